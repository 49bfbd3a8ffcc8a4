//! A token bucket for host calls (`track()`): a burst is allowed, then a steady rate.
//! Pure: time is an argument.

#[derive(Clone, Debug, PartialEq)]
pub struct RateLimit {
    per_ms: f64,
    burst: f64,
    tokens: f64,
    at: u64,
}

impl RateLimit {
    /// `per_second` calls on average, up to `burst` at once.
    pub fn new(per_second: f64, burst: f64, now: u64) -> RateLimit {
        RateLimit {
            per_ms: per_second / 1000.0,
            burst,
            tokens: burst,
            at: now,
        }
    }

    /// Whether one more call is allowed at `now` (and counts it if so). A clock that
    /// went back refills nothing and takes nothing away.
    pub fn allow(&mut self, now: u64) -> bool {
        let elapsed = now.saturating_sub(self.at) as f64;
        self.tokens = (self.tokens + elapsed * self.per_ms).min(self.burst);
        self.at = self.at.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate() {
        let mut r = RateLimit::new(50.0, 200.0, 0);
        let first = (0..1000).filter(|_| r.allow(0)).count();
        assert_eq!(first, 200, "the burst");
        // One second later: 50 more.
        let next = (0..1000).filter(|_| r.allow(1000)).count();
        assert_eq!(next, 50);
        // A minute of 10,000 calls spread evenly lets through about 50/s.
        let mut r = RateLimit::new(50.0, 200.0, 0);
        let passed = (0..10_000u64).filter(|i| r.allow(i * 6)).count();
        assert!((3000..=3300).contains(&passed), "{passed}");
    }

    #[test]
    fn a_clock_going_back_neither_refills_nor_blocks_forever() {
        let mut r = RateLimit::new(1.0, 1.0, 10_000);
        assert!(r.allow(10_000));
        assert!(!r.allow(5_000), "no refill from going back");
        assert!(r.allow(11_000), "a second after the latest time seen");
    }
}
