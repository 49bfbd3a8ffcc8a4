//! Small string helpers that keep std's heavier generic code out of the wasm: substring
//! search without `str::find(&str)` (std's two-way searcher, and the panic formatting it
//! brings along, cost ~2 KB gzipped; the needles here are short), and `join` without
//! `[S]::join` (an unrolled copy loop per element type).

/// Byte offset of the first `needle` in `hay`.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let Some((&first, rest)) = needle.as_bytes().split_first() else {
        return Some(0);
    };
    // Only where the first byte matches is the rest compared (no call per position).
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.first() == Some(&first) && w.get(1..) == Some(rest))
}

/// `hay` contains `needle`.
pub fn contains(hay: &str, needle: &str) -> bool {
    find(hay, needle).is_some()
}

/// `hay` split around the first `needle`.
pub fn split_once<'a>(hay: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let i = find(hay, needle)?;
    Some((hay.get(..i)?, hay.get(i + needle.len()..)?))
}

/// `parts` joined with `sep`.
pub fn join<S: AsRef<str>>(parts: &[S], sep: &str) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(p.as_ref());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_std() {
        let hays = [
            "",
            "a",
            "abc",
            "aab",
            "https://x",
            "{{a}}{{",
            "ééé☕x",
            "abababc",
        ];
        let needles = [
            "", "a", "ab", "abc", "b", "://", "{{", "}}", "é", "☕x", "ababc", "zz",
        ];
        for h in hays {
            for n in needles {
                assert_eq!(find(h, n), h.find(n), "{h:?} {n:?}");
                assert_eq!(contains(h, n), h.contains(n));
                assert_eq!(split_once(h, n), h.split_once(n));
            }
        }
    }

    #[test]
    fn join_agrees_with_std() {
        for parts in [&[][..], &["a"], &["a", "", "b"], &["é", "☕"]] {
            assert_eq!(join(parts, ", "), parts.join(", "));
            let owned: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
            assert_eq!(join(&owned, "."), owned.join("."));
        }
    }
}
