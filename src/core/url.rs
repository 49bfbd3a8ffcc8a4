//! Link-target and webhook URL safety, checked at config time and again after values
//! are substituted.
//!
//! A link may be `http:`, `https:` or relative (`/x`, `x/y`, `?q`, `#frag`). The scheme
//! is found the way the WHATWG URL parser (what the browser uses) finds it: leading and
//! trailing C0 controls and spaces are stripped, tabs and newlines are removed anywhere,
//! and a scheme is an ASCII letter, then letters, digits, `+`, `-` or `.`, then `:`. So
//! `JaVaScRiPt:`, `java\nscript:` and `\u{1} javascript:` are all seen as `javascript:`
//! and refused. Protocol-relative links (`//host`, `\\host`, `/\host`) are refused too,
//! and so is any link with a control character or a leading or trailing space, even a
//! harmless one: the link is used exactly as written, with nothing for a parser to clean.

use super::reader::{err, Errors};
use super::template::{compile, Template};
use super::value::Value;

/// Checks a link target (or a link template's source) from the config.
pub fn check_link(src: &str) -> Result<(), String> {
    let norm: String = src
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if norm.is_empty() {
        return Err("link is empty".into());
    }
    match scheme(&norm) {
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {
            let rest = norm.get(s.len() + 1..).unwrap_or_default();
            let host = rest.strip_prefix("//").unwrap_or_default();
            if host.is_empty() || host.starts_with(['/', '\\', '?', '#']) {
                return Err(format!(
                    "link has no host; write {}://example.com/…",
                    s.to_ascii_lowercase()
                ));
            }
        }
        Some(s) => {
            return Err(format!(
                "link scheme \"{}:\" is not allowed; use http:, https: or a relative URL",
                s.to_ascii_lowercase()
            ))
        }
        None => {
            let mut it = norm.chars();
            if matches!(it.next(), Some('/' | '\\')) && matches!(it.next(), Some('/' | '\\')) {
                return Err(
                    "protocol-relative links (\"//host\") are not allowed; write https://host"
                        .into(),
                );
            }
        }
    }
    if src.chars().any(char::is_control) {
        return Err("link contains a control character".into());
    }
    if src.starts_with(' ') || src.ends_with(' ') {
        return Err("link starts or ends with a space".into());
    }
    Ok(())
}

/// The scheme of `s` (without the `:`), if it has one.
fn scheme(s: &str) -> Option<&str> {
    let mut it = s.char_indices();
    if !it.next()?.1.is_ascii_alphabetic() {
        return None;
    }
    for (i, c) in it {
        if c == ':' {
            return s.get(..i);
        }
        if !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
            return None;
        }
    }
    None
}

/// Compiles a link template (`/search?q={{props.q}}`) after checking its source with
/// [`check_link`]; the error names `path`.
pub fn compile_link(src: &str, path: &str, errors: &mut Errors) -> Option<Template> {
    if let Err(m) = check_link(src) {
        err(errors, path, m);
        return None;
    }
    compile(src, path, errors)
}

/// Percent-encodes `s` as JavaScript's `encodeURIComponent` does (UTF-8 bytes; letters,
/// digits and `-_.!~*'()` are kept).
pub fn encode_component(s: &str) -> String {
    fn hex(n: u8) -> char {
        char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
    }
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            )
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex(b >> 4));
            out.push(hex(b & 15));
        }
    }
    out
}

/// Renders a link template: every substituted value (and default) is percent-encoded
/// with [`encode_component`], and the result is checked again with [`check_link`].
/// `None` when a value is missing (links never point at `/product/`), the URL would be
/// too long, or the result is not an allowed link.
pub fn render_url(template: &Template, ctx: &Value) -> Option<String> {
    let url = template.render_encoded(ctx, encode_component)?;
    check_link(&url).ok()?;
    Some(url)
}

/// Checks a webhook URL: `https:` only, plus `http:` to `localhost`, `127.0.0.1` or
/// `[::1]` (any port) for development; no credentials, spaces, control characters or
/// backslashes.
pub fn check_webhook(url: &str) -> Result<(), String> {
    if url
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err("webhook URL contains a space, control character or backslash".into());
    }
    let need_https = || {
        String::from(
            "webhook URL must start with https:// (http:// is allowed only for localhost, 127.0.0.1 and [::1])",
        )
    };
    let (scheme, rest) = super::find::split_once(url, "://").ok_or_else(need_https)?;
    let https = scheme.eq_ignore_ascii_case("https");
    if !https && !scheme.eq_ignore_ascii_case("http") {
        return Err(need_https());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("webhook URL must not contain credentials (user:password@)".into());
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (inside, after) = v6
                .split_once(']')
                .ok_or_else(|| String::from("webhook URL has an unclosed \"[\" in its host"))?;
            if !after.is_empty() && !after.starts_with(':') {
                return Err("webhook URL has a malformed host".into());
            }
            (inside, after.strip_prefix(':'))
        }
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err("webhook URL has no host".into());
    }
    if let Some(p) = port {
        if p.len() > 5
            || !p.bytes().all(|b| b.is_ascii_digit())
            || p.parse::<u32>().is_ok_and(|n| n > 65_535)
        {
            return Err("webhook URL has an invalid port".into());
        }
    }
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host == "127.0.0.1"
        || (authority.starts_with('[') && host == "::1");
    if https || loopback {
        Ok(())
    } else {
        Err(need_https())
    }
}

/// `url` without its query (`?…`) and fragment (`#…`), for payloads.
pub fn strip_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::template::MAX_VALUE_CHARS;

    #[test]
    fn ordinary_links_are_accepted() {
        for ok in [
            "https://example.com",
            "https://example.com/cart?x=1#top",
            "HTTPS://EXAMPLE.COM/",
            "http://localhost:8080/a",
            "/cart",
            "/",
            "cart/checkout",
            "../up",
            "./here",
            "?q=1",
            "#frag",
            "./product:12",
            "/search?q=javascript:alert(1)",
            "/a\\b",
            "\\cart",
            "%6Aavascript:alert(1)",
            "\u{A0}javascript:alert(1)",
            "ｊavascript:alert(1)",
            "1javascript:x",
            "/{{props.id}}",
            "{{page.url}}",
        ] {
            assert_eq!(check_link(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn dangerous_links_are_refused() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "JAVASCRIPT:alert(1)",
            "java\nscript:alert(1)",
            "java\tscript:alert(1)",
            "java\rscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "\u{0}javascript:alert(1)",
            " javascript:alert(1)",
            "\u{1f} \t\njavascript:alert(1)",
            "javascript:alert(1)\u{0}",
            "data:text/html,<script>alert(1)</script>",
            "DATA:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "mailto:a@b.c",
            "blob:https://example.com/x",
            "x-custom+1.0:thing",
            "product:12",
            "//evil.com",
            "\\\\evil.com",
            "/\\evil.com",
            "\\/evil.com",
            " //evil.com",
            "https:evil.com",
            "https:/evil.com",
            "https://",
            "http:///x",
            "",
            " ",
            "\n",
        ] {
            assert!(check_link(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn link_messages() {
        assert_eq!(
            check_link("java\nscript:alert(1)"),
            Err(
                "link scheme \"javascript:\" is not allowed; use http:, https: or a relative URL"
                    .into()
            )
        );
        assert_eq!(
            check_link("//evil.com"),
            Err("protocol-relative links (\"//host\") are not allowed; write https://host".into())
        );
        assert_eq!(
            check_link("/ca\nrt"),
            Err("link contains a control character".into())
        );
        assert_eq!(
            check_link("/cart\u{7f}"),
            Err("link contains a control character".into())
        );
        assert_eq!(
            check_link(" /cart"),
            Err("link starts or ends with a space".into())
        );
        assert_eq!(
            check_link("/cart "),
            Err("link starts or ends with a space".into())
        );
        assert_eq!(check_link("\u{1}"), Err("link is empty".into()));
        assert_eq!(
            check_link("HTTPS:/x"),
            Err("link has no host; write https://example.com/…".into())
        );
    }

    #[test]
    fn encodes_like_encode_uri_component() {
        assert_eq!(encode_component(""), "");
        assert_eq!(encode_component("abcXYZ019-_.!~*'()"), "abcXYZ019-_.!~*'()");
        assert_eq!(
            encode_component("a b&c=d/e?f#g"),
            "a%20b%26c%3Dd%2Fe%3Ff%23g"
        );
        assert_eq!(encode_component("é€😀"), "%C3%A9%E2%82%AC%F0%9F%98%80");
        assert_eq!(encode_component("\n\u{0}%:"), "%0A%00%25%3A");
        assert_eq!(
            encode_component("javascript:alert(1)"),
            "javascript%3Aalert(1)"
        );
        assert_eq!(
            encode_component("{{x}}<>\"`\\"),
            "%7B%7Bx%7D%7D%3C%3E%22%60%5C"
        );
    }

    fn tpl(src: &str) -> Template {
        let mut errors = Errors::new();
        let t = compile_link(src, "rules[0].action.link", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        t.unwrap()
    }

    fn ctx(json: &str) -> Value {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn render_url_encodes_values() {
        let t = tpl("/search?q={{props.q}}&page={{n|1}}");
        assert_eq!(
            render_url(&t, &ctx(r#"{"props":{"q":"a b&c=<x>"}}"#)).as_deref(),
            Some("/search?q=a%20b%26c%3D%3Cx%3E&page=1")
        );
        assert_eq!(
            render_url(&tpl("/p/{{id}}"), &ctx(r#"{"id":42}"#)).as_deref(),
            Some("/p/42")
        );
        assert_eq!(
            render_url(
                &tpl("https://shop.example/{{#tags}}{{.}},{{/tags}}"),
                &ctx(r#"{"tags":["a/b","c"]}"#)
            )
            .as_deref(),
            Some("https://shop.example/a%2Fb,c,")
        );
        // A substituted full URL is encoded into an inert relative path.
        assert_eq!(
            render_url(&tpl("{{u}}"), &ctx(r#"{"u":"https://evil.com/x"}"#)).as_deref(),
            Some("https%3A%2F%2Fevil.com%2Fx")
        );
        assert_eq!(
            render_url(&tpl("{{u}}"), &ctx(r#"{"u":"//evil.com"}"#)).as_deref(),
            Some("%2F%2Fevil.com")
        );
    }

    #[test]
    fn render_url_refuses_missing_long_and_unsafe_results() {
        assert_eq!(render_url(&tpl("/p/{{id}}"), &ctx("{}")), None);
        assert_eq!(render_url(&tpl("/p/{{id}}"), &ctx(r#"{"id":""}"#)), None);
        // Letters survive encoding, so a scheme can be assembled: refused on re-check.
        assert_eq!(
            render_url(&tpl("{{s}}:alert(1)"), &ctx(r#"{"s":"javascript"}"#)),
            None
        );
        assert_eq!(
            render_url(&tpl("java{{x|}}script:alert(1)"), &ctx("{}")),
            None
        );
        assert_eq!(render_url(&tpl("{{x|}}"), &ctx("{}")), None);
        let long = Value::Obj(crate::core::value::Map(vec![(
            "q".into(),
            Value::Str("q".repeat(MAX_VALUE_CHARS + 1)),
        )]));
        assert_eq!(render_url(&tpl("/s?q={{q}}"), &long), None);
    }

    #[test]
    fn compile_link_reports_bad_sources() {
        let mut errors = Errors::new();
        assert!(compile_link("javascript:{{x}}", "a.link", &mut errors).is_none());
        assert!(compile_link("/x/{{y", "b.link", &mut errors).is_none());
        let msgs: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            [
                "a.link: link scheme \"javascript:\" is not allowed; use http:, https: or a relative URL",
                "b.link: unclosed \"{{\" at character 4",
            ]
        );
    }

    #[test]
    fn webhooks() {
        for ok in [
            "https://hooks.example.com/x?y=1",
            "HTTPS://hooks.example.com",
            "https://hooks.example.com:8443/p",
            "http://localhost/hook",
            "http://LOCALHOST:3000/hook",
            "http://127.0.0.1:8080",
            "http://[::1]:9000/x",
            "http://[::1]",
            "http://localhost:",
            "https://[2001:db8::1]/x",
        ] {
            assert_eq!(check_webhook(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://example.com/hook",
            "http://localhost.evil.com/",
            "http://127.0.0.1.nip.io/",
            "http://127.0.0.2/",
            "http://[::2]/",
            "http://::1/",
            "ftp://example.com",
            "javascript:alert(1)",
            "//example.com",
            "/relative",
            "https://",
            "https:///x",
            "https://user:pass@example.com/",
            "https://user@example.com/",
            "http://evil.com@localhost/",
            "http://localhost@evil.com/",
            "http://localhost\\@evil.com/",
            "https://example.com/a b",
            " https://example.com",
            "https://exa\nmple.com",
            "https://example.com:99999/",
            "https://example.com:8o/",
            "https://[::1/",
            "https://[::1]x/",
        ] {
            assert!(check_webhook(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_webhook("https://u:p@example.com"),
            Err("webhook URL must not contain credentials (user:password@)".into())
        );
        assert_eq!(
            check_webhook("http://example.com"),
            Err("webhook URL must start with https:// (http:// is allowed only for localhost, 127.0.0.1 and [::1])".into())
        );
    }

    #[test]
    fn strips_query_and_fragment() {
        assert_eq!(strip_query("https://x.com/a?b=1#c"), "https://x.com/a");
        assert_eq!(strip_query("https://x.com/a#c?d"), "https://x.com/a");
        assert_eq!(strip_query("/cart"), "/cart");
        assert_eq!(strip_query("?only"), "");
        assert_eq!(strip_query(""), "");
    }
}
