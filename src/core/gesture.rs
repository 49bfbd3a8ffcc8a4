//! Small, pure detectors for pointer gestures the browser layer reports: rage clicks and
//! exit intent. Time and positions are arguments, so the rules are tested natively.

/// Several fast clicks on one spot.
pub struct RageClicks {
    clicks: usize,
    within: u64,
    radius: f64,
    recent: Vec<(u64, f64, f64)>,
}

impl RageClicks {
    pub fn new(clicks: u32, within: u64, radius: f64) -> RageClicks {
        RageClicks {
            clicks: (clicks as usize).max(2),
            within,
            radius,
            recent: Vec::new(),
        }
    }

    /// Records a click; returns the burst size when it completes a rage click. After a
    /// rage click the burst starts again, so a long burst reports once per `clicks`.
    pub fn click(&mut self, now: u64, x: f64, y: f64) -> Option<u32> {
        let r2 = self.radius * self.radius;
        let within = self.within;
        self.recent.retain(|(t, px, py)| {
            now.saturating_sub(*t) <= within && (px - x).powi(2) + (py - y).powi(2) <= r2
        });
        self.recent.push((now, x, y));
        if self.recent.len() >= self.clicks {
            let n = self.recent.len() as u32;
            self.recent.clear();
            return Some(n);
        }
        None
    }
}

/// The pointer leaving the page through the top edge, moving upward.
pub struct ExitIntent {
    delay: u64,
    start: u64,
    last_y: Option<f64>,
    last_fire: Option<u64>,
}

/// Exit intent fires at most once in this interval.
pub const EXIT_REPEAT_MS: u64 = 10_000;

impl ExitIntent {
    pub fn new(start: u64, delay: u64) -> ExitIntent {
        ExitIntent {
            delay,
            start,
            last_y: None,
            last_fire: None,
        }
    }

    /// A new page (SPA navigation) restarts the initial delay.
    pub fn restart(&mut self, now: u64) {
        self.start = now;
        self.last_y = None;
    }

    pub fn pointer_move(&mut self, y: f64) {
        self.last_y = Some(y);
    }

    /// The pointer left an element. `to_outside` is true when it left the document (no
    /// related target); `from_select` when it came from a `<select>` (whose dropdown
    /// reports the pointer as outside).
    pub fn pointer_out(&mut self, now: u64, y: f64, to_outside: bool, from_select: bool) -> bool {
        let moving_up = self.last_y.is_none_or(|ly| y <= ly);
        let fire = to_outside
            && !from_select
            && y <= 0.0
            && moving_up
            && now.saturating_sub(self.start) >= self.delay
            && self
                .last_fire
                .is_none_or(|t| now.saturating_sub(t) >= EXIT_REPEAT_MS);
        if fire {
            self.last_fire = Some(now);
        }
        fire
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rage_needs_enough_fast_clicks_in_one_spot() {
        let mut r = RageClicks::new(3, 1_000, 30.0);
        assert_eq!(r.click(0, 10.0, 10.0), None);
        assert_eq!(r.click(300, 12.0, 11.0), None);
        assert_eq!(r.click(600, 11.0, 9.0), Some(3));
        // Too slow.
        assert_eq!(r.click(2_000, 10.0, 10.0), None);
        assert_eq!(r.click(3_100, 10.0, 10.0), None);
        assert_eq!(r.click(4_200, 10.0, 10.0), None);
        // Too spread out.
        assert_eq!(r.click(5_000, 0.0, 0.0), None);
        assert_eq!(r.click(5_100, 100.0, 0.0), None);
        assert_eq!(r.click(5_200, 200.0, 0.0), None);
        // Exactly at the window edge still counts.
        assert_eq!(r.click(6_000, 0.0, 0.0), None);
        assert_eq!(r.click(6_500, 0.0, 0.0), None);
        assert_eq!(r.click(7_000, 0.0, 0.0), Some(3));
    }

    #[test]
    fn exit_intent_only_upward_through_the_top_after_the_delay() {
        let mut e = ExitIntent::new(0, 3_000);
        e.pointer_move(50.0);
        assert!(
            !e.pointer_out(1_000, -1.0, true, false),
            "within the first seconds"
        );
        e.pointer_move(40.0);
        assert!(
            !e.pointer_out(4_000, -1.0, true, true),
            "a <select> dropdown"
        );
        assert!(
            !e.pointer_out(4_000, 300.0, true, false),
            "left through the side"
        );
        assert!(
            !e.pointer_out(4_000, -1.0, false, false),
            "moved onto another element"
        );
        e.pointer_move(-5.0);
        assert!(!e.pointer_out(4_000, 0.0, true, false), "moving down");
        e.pointer_move(20.0);
        assert!(e.pointer_out(4_000, -2.0, true, false));
        e.pointer_move(20.0);
        assert!(
            !e.pointer_out(5_000, -2.0, true, false),
            "not again so soon"
        );
        e.pointer_move(20.0);
        assert!(e.pointer_out(4_000 + EXIT_REPEAT_MS, -2.0, true, false));
    }
}
