//! Property tests for `core::num`, with Rust's own float formatting and parsing as the
//! reference (used only here, never in the library):
//! - `format` gives exactly JavaScript's `String(x)` for every finite float: the shortest
//!   round-tripping digits (checked against Rust's `{:e}`, also shortest) in JS layout,
//!   so `parse(format(x)) == x` bit for bit;
//! - `parse` is correctly rounded: it agrees exactly with `str::parse::<f64>` on random
//!   decimal strings, on exact expansions of floats and on halfway points between floats.
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::num::{format, parse};
use proptest::prelude::*;

/// JavaScript's `Number::toString` layout applied to Rust's shortest digits.
fn js_reference(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let e = format!("{:e}", x.abs());
    let (mantissa, exp) = e.split_once('e').unwrap();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len() as i32;
    let k = exp.parse::<i32>().unwrap() + 1; // value = 0.digits × 10^k
    let sign = if x < 0.0 { "-" } else { "" };
    let body = if n <= k && k <= 21 {
        format!("{digits}{}", "0".repeat((k - n) as usize))
    } else if 0 < k && k <= 21 {
        format!("{}.{}", &digits[..k as usize], &digits[k as usize..])
    } else if -6 < k && k <= 0 {
        format!("0.{}{digits}", "0".repeat((-k) as usize))
    } else {
        let rest = if n > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        let es = if k > 0 { "+" } else { "-" };
        format!("{}{rest}e{es}{}", &digits[..1], (k - 1).abs())
    };
    format!("{sign}{body}")
}

/// The exact decimal expansion of the midpoint between the positive float with `bits`
/// and the next one up: (2m+1) × 2^(k-1), by schoolbook base-10 arithmetic.
fn midpoint_decimal(bits: u64) -> String {
    let exp = (bits >> 52) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (m, k) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), exp - 1075)
    };
    // Little-endian decimal digits of 2m+1.
    let mut digits: Vec<u32> = (2 * m + 1)
        .to_string()
        .bytes()
        .rev()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let mul = |digits: &mut Vec<u32>, f: u32| {
        let mut carry = 0;
        for d in digits.iter_mut() {
            let t = *d * f + carry;
            *d = t % 10;
            carry = t / 10;
        }
        while carry > 0 {
            digits.push(carry % 10);
            carry /= 10;
        }
    };
    let p = k - 1;
    let point = if p >= 0 {
        for _ in 0..p {
            mul(&mut digits, 2);
        }
        0
    } else {
        // × 2^p = × 5^-p / 10^-p
        for _ in 0..-p {
            mul(&mut digits, 5);
        }
        (-p) as usize
    };
    let s: String = digits
        .iter()
        .rev()
        .map(|d| char::from(b'0' + *d as u8))
        .collect();
    if point == 0 {
        s
    } else if point >= s.len() {
        format!("0.{}{s}", "0".repeat(point - s.len()))
    } else {
        format!("{}.{}", &s[..s.len() - point], &s[s.len() - point..])
    }
}

fn finite() -> impl Strategy<Value = f64> {
    any::<u64>()
        .prop_map(f64::from_bits)
        .prop_filter("finite", |x| x.is_finite())
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    a.map(f64::to_bits) == b.map(f64::to_bits)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn format_is_javascript_and_round_trips_exactly(x in finite()) {
        let s = format(x);
        prop_assert_eq!(&s, &js_reference(x));
        let back = parse(&s).unwrap();
        if x == 0.0 {
            prop_assert_eq!(back, 0.0);
        } else {
            prop_assert_eq!(back.to_bits(), x.to_bits());
        }
    }

    #[test]
    fn format_round_trips_ordinary_magnitudes(m in -1_000_000_000i64..1_000_000_000, e in -12i32..12) {
        let x = m as f64 * 10f64.powi(e);
        prop_assert_eq!(format(x), js_reference(x));
        prop_assert_eq!(parse(&format(x)), Some(x));
    }

    #[test]
    fn integers_format_like_rust(n in -(1i64 << 53)..(1i64 << 53), big in any::<u64>()) {
        prop_assert_eq!(format(n as f64), n.to_string());
        let x = big as f64;
        // Above 2^53 JS prints the shortest digits padded with zeros: the same value.
        prop_assert_eq!(format(x).parse::<f64>().unwrap(), format!("{x}").parse::<f64>().unwrap());
    }

    #[test]
    fn parse_matches_rust_on_decimal_strings(
        s in "[+-]?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][+-]?[0-9]{1,3})?"
    ) {
        prop_assert!(same(parse(&s), s.parse::<f64>().ok()), "{}", s);
    }

    #[test]
    fn parse_matches_rust_near_floats(x in finite(), digits in 1usize..30, junk in "[0-9]{0,5}") {
        let x = x.abs();
        // Rounded to a few digits, then with more digits appended.
        let short = format!("{:.*e}", digits, x);
        prop_assert!(same(parse(&short), short.parse().ok()), "{}", short);
        let (m, e) = short.split_once('e').unwrap();
        let longer = format!("{m}{junk}e{e}");
        prop_assert!(same(parse(&longer), longer.parse().ok()), "{}", longer);
        // The float's exact expansion (at most 767 significant digits).
        let exact = format!("{:.800e}", x);
        prop_assert!(same(parse(&exact), Some(x)), "{}", exact);
    }

    #[test]
    fn parse_rounds_halfway_points_to_even(x in finite()) {
        let bits = x.abs().to_bits();
        prop_assume!(bits < f64::MAX.to_bits());
        let mid = midpoint_decimal(bits);
        let want = if bits & 1 == 0 { bits } else { bits + 1 };
        prop_assert_eq!(parse(&mid).map(f64::to_bits), Some(want), "{}", mid);
        prop_assert!(same(parse(&mid), mid.parse().ok()));
        let above = if mid.contains('.') { format!("{mid}0001") } else { format!("{mid}.0001") };
        prop_assert_eq!(parse(&above).map(f64::to_bits), Some(bits + 1));
        if let Some(cut) = mid.strip_suffix('5').filter(|_| mid.contains('.')) {
            // A fractional midpoint ends in 5: just below it is ...4999.
            let below = format!("{cut}4999");
            prop_assert_eq!(parse(&below).map(f64::to_bits), Some(bits), "{}", below);
        }
    }
}
