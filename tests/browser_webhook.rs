//! Webhook delivery in headless Chromium: `window.fetch` and `navigator.sendBeacon` are
//! replaced by recorders (`fetch` answers from a script: 500 then 200, 429 with
//! `Retry-After`, 404, redirects, network errors, hanging requests; `sendBeacon`, which
//! sends cookies, must never be called), and the real localStorage holds the queue
//! across "reloads" (a new `Webhooks` with the same prefix).
#![cfg(target_arch = "wasm32")]

#[path = "support/webhook_mock.rs"]
mod mock;

use cuekit::web::webhook::Webhooks;
use mock::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn posts_the_exact_json_with_keepalive_and_no_credentials() {
    fresh("wh-post", "[]");
    let wh = Webhooks::new("wh-post", true);
    wh.send(URL, &payload("mug-1"));
    assert_eq!(calls(), 0, "fetch is never called inside send()");
    sleep(100).await;
    assert_eq!(calls(), 1);
    assert_eq!(call(0, "url").as_string().unwrap(), URL);
    assert_eq!(call(0, "method").as_string().unwrap(), "POST");
    assert_eq!(call(0, "body").as_string().unwrap(), payload_json("mug-1"));
    assert_eq!(
        call(0, "contentType").as_string().unwrap(),
        "application/json"
    );
    assert_eq!(call(0, "keepalive").as_bool(), Some(true));
    assert_eq!(call(0, "credentials").as_string().unwrap(), "omit");
    assert_eq!(call(0, "mode").as_string().unwrap(), "cors");
    assert_eq!(call(0, "redirect").as_string().unwrap(), "manual");
    assert_eq!(
        call(0, "referrerPolicy").as_string().unwrap(),
        "strict-origin"
    );
    assert_eq!(call(0, "nullProto").as_bool(), Some(true));
    assert_eq!(call(0, "signal").as_bool(), Some(true), "a request timeout");
    assert_eq!(wh.pending(), 0);
    assert_eq!(wh.delivered(), 1);
    assert_eq!(
        stored("wh-post"),
        None,
        "an empty queue leaves nothing stored"
    );
    sleep(1_100).await;
    assert_eq!(calls(), 1, "delivered once");
}

#[wasm_bindgen_test]
async fn a_500_is_retried_after_the_backoff() {
    fresh("wh-500", "[{status: 500}, {status: 200}]");
    let wh = Webhooks::new("wh-500", true);
    wh.send(URL, &payload("mug-1"));
    sleep(100).await;
    assert_eq!(calls(), 1);
    assert_eq!(wh.pending(), 1);
    let text = stored("wh-500").expect("the waiting payload is stored");
    assert!(text.contains("\"a\":1"), "{text}");
    sleep(700).await;
    assert_eq!(calls(), 1, "not before the 1 s backoff");
    sleep(600).await;
    assert_eq!(calls(), 2);
    let gap = call(1, "t").as_f64().unwrap() - call(0, "t").as_f64().unwrap();
    assert!((950.0..1_500.0).contains(&gap), "retried after {gap} ms");
    assert_eq!(call(1, "body").as_string().unwrap(), payload_json("mug-1"));
    assert_eq!(wh.pending(), 0);
    assert_eq!(wh.delivered(), 1);
    assert_eq!(stored("wh-500"), None);
}

#[wasm_bindgen_test]
async fn retry_after_is_honoured() {
    fresh(
        "wh-429",
        "[{status: 429, headers: {'Retry-After': '2'}}, {status: 200}]",
    );
    let wh = Webhooks::new("wh-429", true);
    wh.send(URL, &payload("mug-1"));
    sleep(100).await;
    assert_eq!(calls(), 1);
    sleep(1_400).await;
    assert_eq!(calls(), 1, "Retry-After: 2 beats the 1 s backoff");
    sleep(800).await;
    assert_eq!(calls(), 2);
    let gap = call(1, "t").as_f64().unwrap() - call(0, "t").as_f64().unwrap();
    assert!((1_950.0..2_600.0).contains(&gap), "retried after {gap} ms");
    assert_eq!(wh.pending(), 0);
}

#[wasm_bindgen_test]
async fn a_4xx_is_dropped() {
    fresh("wh-404", "[{status: 404}]");
    let wh = Webhooks::new("wh-404", true);
    wh.send(URL, &payload("mug-1"));
    sleep(100).await;
    assert_eq!(calls(), 1);
    assert_eq!(wh.pending(), 0);
    assert_eq!(wh.dropped(), 1);
    assert_eq!(stored("wh-404"), None);
    sleep(1_200).await;
    assert_eq!(calls(), 1, "never retried");
}

#[wasm_bindgen_test]
async fn network_errors_are_retried() {
    fresh("wh-net", "[{reject: true}, {status: 204}]");
    let wh = Webhooks::new("wh-net", true);
    wh.send(URL, &payload("a"));
    sleep(100).await;
    assert_eq!(calls(), 1);
    assert_eq!(wh.pending(), 1);
    sleep(1_200).await;
    assert_eq!(calls(), 2);
    assert_eq!(wh.pending(), 0);
    assert_eq!(wh.delivered(), 1);
}

#[wasm_bindgen_test]
async fn a_missing_or_throwing_fetch_is_a_failed_attempt() {
    fresh("wh-throw", "[{throwSync: true}]");
    js("window.__keep = window.fetch; window.fetch = undefined;");
    let wh = Webhooks::new("wh-throw", true);
    wh.send(URL, &payload("a"));
    sleep(100).await;
    assert_eq!(wh.pending(), 1, "no fetch: kept for later");
    js("window.fetch = window.__keep;");
    sleep(1_100).await;
    assert_eq!(calls(), 1, "the throwing wrapper was called");
    assert_eq!(wh.pending(), 1, "and the payload is kept");
    drop(wh);
    clear_storage("wh-throw");
}

#[wasm_bindgen_test]
async fn at_most_four_requests_in_flight() {
    fresh(
        "wh-four",
        "[{hang: true}, {hang: true}, {hang: true}, {hang: true}, {hang: true}, {hang: true}]",
    );
    let wh = Webhooks::new("wh-four", true);
    for i in 0..6 {
        wh.send(URL, &payload(&format!("sku-{i}")));
    }
    sleep(100).await;
    assert_eq!(calls(), 4);
    assert_eq!(wh.pending(), 6);
    js("window.__hooks.release()");
    sleep(100).await;
    assert_eq!(calls(), 6);
    js("window.__hooks.release()");
    sleep(100).await;
    assert_eq!(wh.pending(), 0);
    assert_eq!(wh.delivered(), 6);
    let bodies: Vec<String> = (0..6)
        .map(|i| call(i, "body").as_string().unwrap())
        .collect();
    let expected: Vec<String> = (0..6).map(|i| payload_json(&format!("sku-{i}"))).collect();
    assert_eq!(bodies, expected, "oldest first");
}

#[wasm_bindgen_test]
async fn the_queue_survives_a_reload() {
    fresh("wh-reload", "[{status: 500}, {status: 200}]");
    let wh = Webhooks::new("wh-reload", true);
    wh.send(URL, &payload("mug-1"));
    sleep(100).await;
    assert_eq!(calls(), 1);
    drop(wh);
    assert!(stored("wh-reload").is_some());
    sleep(1_200).await;
    assert_eq!(calls(), 1, "the dropped instance's timer is cancelled");
    // The next page: a new instance with the same prefix sends what was pending.
    let wh = Webhooks::new("wh-reload", true);
    assert_eq!(wh.pending(), 1);
    sleep(100).await;
    assert_eq!(calls(), 2);
    assert_eq!(call(1, "body").as_string().unwrap(), payload_json("mug-1"));
    assert_eq!(wh.pending(), 0);
    assert_eq!(stored("wh-reload"), None);
    // Another prefix does not see it.
    let other = Webhooks::new("wh-reload-other", true);
    assert_eq!(other.pending(), 0);
}

#[wasm_bindgen_test]
async fn answers_after_drop_touch_nothing_and_the_payload_is_sent_again() {
    fresh("wh-late", "[{hang: true}]");
    let wh = Webhooks::new("wh-late", true);
    wh.send(URL, &payload("mug-1"));
    sleep(50).await;
    assert_eq!(calls(), 1);
    drop(wh);
    js("window.__hooks.release()");
    sleep(50).await;
    // At least once: the answer was lost with the page, so the next page sends it again.
    let wh = Webhooks::new("wh-late", true);
    sleep(100).await;
    assert_eq!(calls(), 2);
    assert_eq!(wh.pending(), 0);
}

#[wasm_bindgen_test]
async fn without_consent_nothing_is_stored_or_sent() {
    fresh("wh-consent", "[]");
    let wh = Webhooks::new("wh-consent", false);
    wh.send(URL, &payload("a"));
    sleep(100).await;
    assert_eq!(calls(), 0);
    assert_eq!(wh.pending(), 0);
    assert_eq!(stored("wh-consent"), None);
    wh.flush_beacon();
    assert_eq!(beacons(), 0);
    wh.set_allowed(true);
    wh.send(URL, &payload("b"));
    sleep(100).await;
    assert_eq!(calls(), 1);
    assert_eq!(call(0, "body").as_string().unwrap(), payload_json("b"));
}

#[wasm_bindgen_test]
async fn withdrawing_consent_drops_everything() {
    fresh("wh-revoke", "[{status: 500}]");
    let wh = Webhooks::new("wh-revoke", true);
    wh.send(URL, &payload("a"));
    sleep(100).await;
    assert_eq!(calls(), 1);
    assert!(stored("wh-revoke").is_some());
    wh.set_allowed(false);
    assert_eq!(wh.pending(), 0);
    assert_eq!(stored("wh-revoke"), None);
    sleep(1_200).await;
    assert_eq!(calls(), 1, "no retry");
    wh.send(URL, &payload("b"));
    wh.flush_beacon();
    sleep(100).await;
    assert_eq!(calls(), 1, "nothing sent afterwards");
    assert_eq!(beacons(), 0);
    assert_eq!(stored("wh-revoke"), None, "nothing stored afterwards");
    // Withdrawal also erases a copy stored by an earlier page.
    fresh("wh-revoke2", "[{status: 500}]");
    let earlier = Webhooks::new("wh-revoke2", true);
    earlier.send(URL, &payload("c"));
    sleep(100).await;
    drop(earlier);
    assert!(stored("wh-revoke2").is_some());
    let later = Webhooks::new("wh-revoke2", false);
    later.set_allowed(false);
    assert_eq!(stored("wh-revoke2"), None);
}

#[wasm_bindgen_test]
async fn a_failing_storage_keeps_the_queue_in_memory() {
    fresh("wh-quota", "[{status: 500}, {status: 200}]");
    js(r#"Storage.prototype.setItem = function () {
            throw new DOMException('full', 'QuotaExceededError');
        };"#);
    let wh = Webhooks::new("wh-quota", true);
    wh.send(URL, &payload("a"));
    sleep(100).await;
    assert_eq!(calls(), 1);
    assert_eq!(wh.pending(), 1);
    assert_eq!(stored("wh-quota"), None);
    sleep(1_200).await;
    assert_eq!(calls(), 2, "retried from memory");
    assert_eq!(wh.pending(), 0);
    js("Storage.prototype.setItem = window.__orig.setItem;");
}

#[wasm_bindgen_test]
async fn bad_urls_and_garbage_in_storage_are_ignored() {
    fresh("wh-bad", "[]");
    let st = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    st.set_item("wh-bad:webhooks", "{\"v\":1,\"items\":[{\"u\":\"javascript:alert(1)\",\"b\":\"x\",\"a\":0,\"t\":0,\"c\":0}, 3, \"x\"]}")
        .unwrap();
    let wh = Webhooks::new("wh-bad", true);
    assert_eq!(wh.pending(), 0);
    st.set_item("wh-bad:webhooks", "not json").unwrap();
    let wh2 = Webhooks::new("wh-bad", true);
    assert_eq!(wh2.pending(), 0);
    wh.send("http://evil.example/hook", &payload("a"));
    wh.send("javascript:alert(1)", &payload("a"));
    sleep(100).await;
    assert_eq!(calls(), 0);
    clear_storage("wh-bad");
}
