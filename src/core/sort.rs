//! One small stable sort shared by every caller.
//!
//! `slice::sort*` is compiled afresh for each element type and comparator, 1–3.5 KB of
//! wasm each (nine of them were 27 KB, 7 % of the module). Here the merge sort runs once,
//! over indices, with a `dyn` comparator; each caller adds only a short permutation. The
//! lists sorted are small (decisions of one event, a ledger of at most a few hundred
//! entries), so the indirect calls cost nothing that shows.

use core::cmp::Ordering;

/// Lists this short are sorted in place by insertion.
const SMALL: usize = 12;

/// Sorts `v` by `cmp`, keeping equal elements in their order (stable).
pub fn sort_by<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() <= SMALL {
        // In place, no allocation: the common case (the decisions of one event).
        for i in 1..v.len() {
            let mut j = i;
            while j > 0 {
                let after = match (v.get(j - 1), v.get(j)) {
                    (Some(a), Some(b)) => cmp(a, b) == Ordering::Greater,
                    _ => false,
                };
                if !after {
                    break;
                }
                v.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let order = {
        let items: &[T] = v;
        order(
            items.len(),
            &mut |a, b| match (items.get(a), items.get(b)) {
                (Some(x), Some(y)) => cmp(x, y) == Ordering::Greater,
                _ => false,
            },
        )
    };
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    for i in order {
        if let Some(x) = slots.get_mut(i).and_then(Option::take) {
            v.push(x);
        }
    }
}

/// Sorts `v` by a key, stable.
pub fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in ascending order, stable.
pub fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

/// The stable order of `0..n` (bottom-up merge sort); `after(a, b)` is true when item `a`
/// must come after item `b`.
fn order(n: usize, after: &mut dyn FnMut(usize, usize) -> bool) -> Vec<usize> {
    let mut cur: Vec<usize> = (0..n).collect();
    let mut width = 1;
    while width < n {
        let mut next = Vec::with_capacity(n);
        for chunk in cur.chunks(width.saturating_mul(2)) {
            let (left, right) = chunk.split_at(width.min(chunk.len()));
            let (mut l, mut r) = (left.iter().peekable(), right.iter().peekable());
            loop {
                let take_right = match (l.peek(), r.peek()) {
                    (Some(&&x), Some(&&y)) => after(x, y),
                    (Some(_), None) => false,
                    (None, Some(_)) => true,
                    (None, None) => break,
                };
                let taken = if take_right { r.next() } else { l.next() };
                if let Some(&i) = taken {
                    next.push(i);
                }
            }
        }
        cur = next;
        width = width.saturating_mul(2);
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_result_as_the_standard_stable_sort() {
        let mut seed = 0x2545_f491_u64;
        let mut rand = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            seed >> 33
        };
        for n in 0..200usize {
            // Pairs (key, original position): few distinct keys, so stability matters.
            let v: Vec<(u64, usize)> = (0..n).map(|i| (rand() % 7, i)).collect();
            let mut ours = v.clone();
            sort_by_key(&mut ours, |p| p.0);
            let mut std = v.clone();
            std.sort_by_key(|p| p.0);
            assert_eq!(ours, std, "n = {n}");
            let mut desc = v.clone();
            sort_by(&mut desc, |a, b| b.0.cmp(&a.0));
            let mut std = v;
            std.sort_by_key(|p| std::cmp::Reverse(p.0));
            assert_eq!(desc, std, "n = {n}, descending");
        }
        let mut words = vec!["pear", "apple", "fig", "apple"];
        sort(&mut words);
        assert_eq!(words, ["apple", "apple", "fig", "pear"]);
    }
}
