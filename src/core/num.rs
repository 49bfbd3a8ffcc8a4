//! Numbers to text and back, the JavaScript way, without `core::fmt`'s float code.
//!
//! `<f64 as Display>` and `<f64 as FromStr>` cost about 60 KB of wasm (Grisu/Dragon
//! code and tables, a power-of-five table for parsing). Both jobs are done here with a
//! tiny big-integer type instead, trading speed on the rare slow paths for size:
//!
//! - [`format`] is JavaScript's `String(n)`: integers below 2^53 directly; everything
//!   else with the *shortest* digits that read back to the same number (Steele & White /
//!   Burger & Dybvig, exact big-integer arithmetic), laid out as ECMAScript's
//!   `Number::toString` does (`"1e+21"`, `"1.5e-7"`, `"0.000001"`).
//! - [`parse`] reads a decimal number and rounds it *correctly* (to nearest, ties to
//!   even): small cases exactly with one float operation (Clinger's fast path), others
//!   from a float guess corrected one ulp at a time by exact comparison with the
//!   halfway points between neighbouring floats.

use core::cmp::Ordering;

/// Significant digits kept when parsing. Any halfway point between two floats has at most
/// 767 significant digits, so a longer input is cut here and marked as "a bit more".
const MAX_DIGITS: usize = 800;
const FRAC_MASK: u64 = (1 << 52) - 1;
const INF_BITS: u64 = 0x7ff0_0000_0000_0000;

/// An unsigned big integer: little-endian base-2^32 limbs, no high zero limbs.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn new(n: u64) -> Big {
        let mut b = Big(vec![n as u32, (n >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// `self = self * m + a`.
    fn mul_add(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for x in &mut self.0 {
            let t = u64::from(*x) * u64::from(m) + carry;
            *x = t as u32;
            carry = t >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    /// `self *= base^n` for base 5 or 10.
    fn mul_pow(&mut self, base: u32, mut n: u32) {
        let (chunk, step) = if base == 5 {
            (13, 1_220_703_125) // 5^13
        } else {
            (9, 1_000_000_000) // 10^9
        };
        while n >= chunk {
            self.mul_add(step, 0);
            n -= chunk;
        }
        self.mul_add(base.pow(n), 0);
    }

    /// `self *= 2^n`.
    fn shl(&mut self, n: u32) {
        if self.0.is_empty() {
            return;
        }
        let bits = n % 32;
        if bits > 0 {
            let mut carry = 0;
            for x in &mut self.0 {
                let next = *x >> (32 - bits);
                *x = (*x << bits) | carry;
                carry = next;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        let mut v = vec![0; (n / 32) as usize];
        v.append(&mut self.0);
        self.0 = v;
    }

    fn add(&mut self, o: &Big) {
        if self.0.len() < o.0.len() {
            self.0.resize(o.0.len(), 0);
        }
        let mut carry = 0;
        for (i, x) in self.0.iter_mut().enumerate() {
            let t = u64::from(*x) + u64::from(o.0.get(i).copied().unwrap_or(0)) + carry;
            *x = t as u32;
            carry = t >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    /// `self -= o`; requires `self >= o`.
    fn sub(&mut self, o: &Big) {
        let mut borrow = false;
        for (i, x) in self.0.iter_mut().enumerate() {
            let (t, b1) = x.overflowing_sub(o.0.get(i).copied().unwrap_or(0));
            let (t, b2) = t.overflowing_sub(u32::from(borrow));
            *x = t;
            borrow = b1 || b2;
        }
        self.trim();
    }

    fn cmp(&self, o: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&o.0.len())
            .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }

    /// `(self + o).cmp(s)`.
    fn plus_cmp(&self, o: &Big, s: &Big) -> Ordering {
        let mut t = self.clone();
        t.add(o);
        t.cmp(s)
    }
}

/// A positive finite float's bits as `(m, k)` with value `m * 2^k`.
fn decompose(bits: u64) -> (u64, i32) {
    let exp = (bits >> 52) as i32;
    let frac = bits & FRAC_MASK;
    if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), exp - 1075)
    }
}

fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    for &b in buf.get(i..).unwrap_or_default() {
        out.push(char::from(b));
    }
}

fn push_digits(out: &mut String, digits: &[u8]) {
    out.extend(digits.iter().map(|d| char::from(b'0' + d)));
}

/// JavaScript's `String(n)`: `"3"`, `"-0.5"`, `"0.30000000000000004"`, `"1e+21"`,
/// `"1.5e-7"`, `"NaN"`, `"-Infinity"`; `-0` is `"0"`.
pub fn format(n: f64) -> String {
    let mut out = String::new();
    format_into(n, &mut out);
    out
}

/// `format`, appended to `out` (no string of its own: JSON writing uses this).
pub fn format_into(n: f64, out: &mut String) {
    if n.is_nan() {
        out.push_str("NaN");
        return;
    }
    if n < 0.0 {
        out.push('-');
    }
    let a = n.abs();
    if a.is_infinite() {
        out.push_str("Infinity");
    } else if a < 9_007_199_254_740_992.0 && a == (a as u64) as f64 {
        push_u64(out, a as u64);
    } else {
        let (digits, k) = shortest(a.to_bits());
        let len = digits.len() as i32;
        let (int, frac) = digits.split_at(k.clamp(0, len) as usize);
        if (len..=21).contains(&k) {
            push_digits(out, digits.as_slice());
            out.extend(core::iter::repeat_n('0', (k - len) as usize));
        } else if (1..=21).contains(&k) {
            push_digits(out, int);
            out.push('.');
            push_digits(out, frac);
        } else if (-5..=0).contains(&k) {
            out.push_str("0.");
            out.extend(core::iter::repeat_n('0', k.unsigned_abs() as usize));
            push_digits(out, frac);
        } else {
            let (first, rest) = digits.split_at(digits.len().min(1));
            push_digits(out, first);
            if !rest.is_empty() {
                out.push('.');
                push_digits(out, rest);
            }
            out.push_str(if k > 0 { "e+" } else { "e-" });
            push_u64(out, u64::from((k - 1).unsigned_abs()));
        }
    }
}

/// The shortest digits `d` (each 0–9) and exponent `k` with `0.d × 10^k` reading back
/// as the positive finite float with these bits (Burger & Dybvig's free-format
/// algorithm; the rounding interval is closed when the significand is even, since
/// reading rounds ties to even).
fn shortest(bits: u64) -> (Vec<u8>, i32) {
    let (f, e) = decompose(bits);
    let even = f & 1 == 0;
    // The gap below is half the gap above at the bottom of a binade (but not of the
    // smallest normal one, whose neighbour below is a subnormal at the same spacing).
    let unequal = bits & FRAC_MASK == 0 && bits >> 52 > 1;
    // Everything times 4 so the half-gaps stay whole: v = r/s, v ± half-gap = (r ± m)/s.
    let mut r = Big::new(f << 2);
    let mut s = Big::new(4);
    let mut mp = Big::new(2);
    let mut mm = Big::new(if unequal { 1 } else { 2 });
    if e >= 0 {
        for b in [&mut r, &mut mp, &mut mm] {
            b.shl(e.unsigned_abs());
        }
    } else {
        s.shl(e.unsigned_abs());
    }
    // k ≈ log10(v), from floor(log2(v)) × log10(2); an underestimate by at most 2,
    // which the loop below corrects.
    let lg2 = e + 63 - f.leading_zeros() as i32;
    let mut k = (lg2 * 78_913) >> 18;
    if k >= 0 {
        s.mul_pow(10, k.unsigned_abs());
    } else {
        for b in [&mut r, &mut mp, &mut mm] {
            b.mul_pow(10, k.unsigned_abs());
        }
    }
    let high = |r: &Big, mp: &Big, s: &Big| match r.plus_cmp(mp, s) {
        Ordering::Greater => true,
        Ordering::Equal => even,
        Ordering::Less => false,
    };
    while high(&r, &mp, &s) {
        s.mul_add(10, 0);
        k += 1;
    }
    let mut digits = Vec::new();
    loop {
        for b in [&mut r, &mut mp, &mut mm] {
            b.mul_add(10, 0);
        }
        let mut d = 0u8;
        while r.cmp(&s) != Ordering::Less {
            r.sub(&s);
            d += 1;
        }
        let low = match r.cmp(&mm) {
            Ordering::Less => true,
            Ordering::Equal => even,
            Ordering::Greater => false,
        };
        let high = high(&r, &mp, &s);
        if !low && !high {
            digits.push(d);
            continue;
        }
        // Both neighbours fit: take the nearer (an exact tie cannot happen here).
        if high && (!low || r.plus_cmp(&r, &s) != Ordering::Less) {
            d += 1;
        }
        digits.push(d);
        return (digits, k);
    }
}

/// Reads a decimal number: optional sign, digits with an optional fraction (`"1."`
/// and `".5"` are fine, as in JavaScript), optional exponent. No surrounding space,
/// no `Infinity`/`NaN`/hex. Correctly rounded; out-of-range magnitudes give ±∞ or ±0.
pub fn parse(s: &str) -> Option<f64> {
    let mut bytes = s.bytes().peekable();
    let neg = bytes.peek() == Some(&b'-');
    if matches!(bytes.peek(), Some(b'-' | b'+')) {
        bytes.next();
    }
    // The value is D × 10^exp, D being `digits` read as an integer.
    let mut digits: Vec<u8> = Vec::new();
    let mut exp: i64 = 0;
    let mut any = false;
    let mut more = false;
    let mut frac = false;
    while let Some(&c) = bytes.peek() {
        match c {
            b'0'..=b'9' => {
                any = true;
                let d = c - b'0';
                if digits.len() >= MAX_DIGITS {
                    more |= d != 0;
                    exp += i64::from(!frac);
                } else {
                    if d > 0 || !digits.is_empty() {
                        digits.push(d);
                    }
                    exp -= i64::from(frac);
                }
            }
            b'.' if !frac => frac = true,
            _ => break,
        }
        bytes.next();
    }
    if !any {
        return None;
    }
    match bytes.next() {
        None => {}
        Some(b'e' | b'E') => {
            let eneg = bytes.peek() == Some(&b'-');
            if matches!(bytes.peek(), Some(b'-' | b'+')) {
                bytes.next();
            }
            let mut e: i64 = 0;
            let mut any = false;
            for c in bytes.by_ref() {
                if !c.is_ascii_digit() {
                    return None;
                }
                any = true;
                e = (e * 10 + i64::from(c - b'0')).min(1 << 40);
            }
            if !any {
                return None;
            }
            exp += if eneg { -e } else { e };
        }
        Some(_) => return None,
    }
    let v = parse_digits(digits, exp, more);
    Some(if neg { -v } else { v })
}

/// Rounds `D × 10^exp` (plus a little if `more`) to the nearest float.
fn parse_digits(mut digits: Vec<u8>, mut exp: i64, more: bool) -> f64 {
    if more {
        // Something nonzero beyond the kept digits: any digit after them stands for it.
        digits.push(1);
        exp -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
        exp += 1;
    }
    let nd = digits.len() as i64;
    if nd == 0 || nd + exp <= -324 {
        return 0.0; // below half the smallest subnormal
    }
    if nd + exp > 309 {
        return f64::INFINITY;
    }
    let exp = exp as i32;
    // The first 19 digits as an integer (exact) and the exponent that goes with them.
    let lead = digits
        .iter()
        .take(19)
        .fold(0u64, |n, &d| n * 10 + u64::from(d));
    let lead_exp = exp + (nd as i32 - 19).max(0);
    let guess = scale(lead as f64, lead_exp);
    if nd <= 15 && (-22..=22).contains(&exp) {
        // Clinger's fast path: D and 10^|exp| are exact floats, so one rounding.
        return guess;
    }
    let mut big = Big::new(0);
    for &d in &digits {
        big.mul_add(10, u32::from(d));
    }
    // `D × 10^exp` against the midpoint between the float with `bits` and the next one up.
    let vs_mid = |bits: u64| {
        let (m, k) = decompose(bits);
        let mut x = big.clone();
        let mut y = Big::new(2 * m + 1);
        let p2 = exp - (k - 1); // x has 2^exp from 10^exp, y has 2^(k-1)
        if exp >= 0 {
            x.mul_pow(5, exp.unsigned_abs());
        } else {
            y.mul_pow(5, exp.unsigned_abs());
        }
        if p2 >= 0 {
            x.shl(p2.unsigned_abs());
        } else {
            y.shl(p2.unsigned_abs());
        }
        x.cmp(&y)
    };
    // The guess is within a few ulps; walk to the correctly rounded float.
    let mut bits = guess.to_bits().min(INF_BITS - 1);
    while bits < INF_BITS {
        let odd = bits & 1 == 1;
        match vs_mid(bits) {
            Ordering::Greater => {
                bits += 1;
                continue;
            }
            Ordering::Equal if odd => {
                bits += 1;
                continue;
            }
            _ => {}
        }
        if bits > 0 {
            match vs_mid(bits - 1) {
                Ordering::Less => {
                    bits -= 1;
                    continue;
                }
                Ordering::Equal if odd => {
                    bits -= 1;
                    continue;
                }
                _ => {}
            }
        }
        break;
    }
    f64::from_bits(bits)
}

/// `x × 10^e` in float arithmetic, exact powers of ten up to 10^22 at a time.
fn scale(mut x: f64, mut e: i32) -> f64 {
    while e != 0 {
        let step = e.clamp(-22, 22);
        let mut p = 1.0;
        for _ in 0..step.unsigned_abs() {
            p *= 10.0;
        }
        if step > 0 {
            x *= p;
        } else {
            x /= p;
        }
        e -= step;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_javascript() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-42.0, "-42"),
            (0.1, "0.1"),
            (0.2 + 0.1, "0.30000000000000004"),
            (0.5, "0.5"),
            (-12.5, "-12.5"),
            (19.99, "19.99"),
            (1.5, "1.5"),
            (123_456_789.125, "123456789.125"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (2f64.powi(60), "1152921504606847000"),
            (9_007_199_254_740_992.0, "9007199254740992"),
            (9_007_199_254_740_991.0, "9007199254740991"),
            (123e18, "123000000000000000000"),
            (1.5e21, "1.5e+21"),
            (1e-6, "0.000001"),
            (1.5e-6, "0.0000015"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (5e-324, "5e-324"),
            (-5e-324, "-5e-324"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2.0 / 3.0, "0.6666666666666666"),
            (100.0 / 3.0, "33.333333333333336"),
            (4.35, "4.35"),
            (0.000_123, "0.000123"),
        ];
        for &(n, want) in cases {
            assert_eq!(format(n), want, "format({n:e})");
            if n.is_finite() {
                assert_eq!(parse(want), Some(n), "parse({want})");
            }
        }
    }

    #[test]
    fn parses_decimals() {
        let cases: &[(&str, f64)] = &[
            ("0", 0.0),
            ("-0", -0.0),
            ("+1", 1.0),
            ("1.", 1.0),
            (".5", 0.5),
            ("-.5e1", -5.0),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("25e-1", 2.5),
            ("0.1", 0.1),
            ("19.99", 19.99),
            ("1.5", 1.5),
            ("00012", 12.0),
            ("123456789012345678901234567890", 1.2345678901234568e29),
            ("9007199254740993", 9_007_199_254_740_992.0),
            ("9007199254740995", 9_007_199_254_740_996.0),
            ("2.4703282292062327e-324", 0.0),
            ("2.4703282292062328e-324", 5e-324),
            ("1.7976931348623158e308", f64::MAX),
            ("1.7976931348623159e308", f64::INFINITY),
            ("1e400", f64::INFINITY),
            ("-1e400", f64::NEG_INFINITY),
            ("1e-400", 0.0),
            ("1e99999999999999999999", f64::INFINITY),
            ("0e99999999999999999999", 0.0),
        ];
        for &(s, want) in cases {
            let got = parse(s);
            assert_eq!(got.map(f64::to_bits), Some(want.to_bits()), "parse({s})");
        }
        // A very long input is cut without losing the rounding direction.
        // 9007199254740993 is the midpoint between 2^53 and the next float up.
        let zeros = "0".repeat(1000);
        let tie = format!("9007199254740993.{zeros}");
        assert_eq!(parse(&tie), Some(9_007_199_254_740_992.0));
        let above = format!("9007199254740993.{zeros}1");
        assert_eq!(parse(&above), Some(9_007_199_254_740_994.0));
        let above = format!("9007199254740993{zeros}1e-1001");
        assert_eq!(parse(&above), Some(9_007_199_254_740_994.0));
        let tie = format!("0.0000009007199254740993{zeros}e22");
        assert_eq!(parse(&tie), Some(9_007_199_254_740_992.0));
    }

    #[test]
    fn rejects_what_is_not_a_decimal() {
        for s in [
            "",
            "-",
            "+",
            ".",
            "-.",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "1x",
            " 1",
            "1 ",
            "0x10",
            "Infinity",
            "-Infinity",
            "NaN",
            "inf",
            "1_000",
            "--1",
            "+-1",
            "1e5.5",
        ] {
            assert_eq!(parse(s), None, "parse({s:?})");
        }
    }
}
