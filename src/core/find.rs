//! Substring search without `str::find(&str)`: std's two-way searcher, and the panic
//! formatting it brings along, cost ~2 KB of gzipped wasm; the needles here are short.

/// Byte offset of the first `needle` in `hay`.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    if n.is_empty() {
        return Some(0);
    }
    hay.as_bytes().windows(n.len()).position(|w| w == n)
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
}
