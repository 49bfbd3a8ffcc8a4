//! Webhook delivery on page hide (a `keepalive` fetch, never `sendBeacon`), redirects
//! and erasure, in headless Chromium with the recorders of `support/webhook_mock.rs`
//! (split from `browser_webhook.rs`: each file's run stays well inside the runner's
//! 20 s limit).
#![cfg(target_arch = "wasm32")]

#[path = "support/webhook_mock.rs"]
mod mock;

use cuekit::web::webhook::Webhooks;
use mock::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn flush_beacon_hands_over_the_queue_by_keepalive_fetch_and_keeps_what_failed() {
    fresh(
        "wh-beacon",
        "[{status: 503, headers: {'Retry-After': '3600'}}, {status: 503, headers: {'Retry-After': '3600'}}]",
    );
    let wh = Webhooks::new("wh-beacon", true);
    wh.send(URL, &payload("a"));
    wh.send("https://example.invalid/other", &payload("b"));
    sleep(100).await;
    assert_eq!(calls(), 2);
    assert_eq!(wh.pending(), 2, "waiting an hour");
    // Queued for a URL that is failing: it keeps that URL's pace (not tried yet).
    wh.send(URL, &payload("c"));
    sleep(100).await;
    assert_eq!(calls(), 2, "one request at a time to a failing endpoint");
    wh.flush_beacon();
    assert_eq!(beacons(), 0, "never sendBeacon: it sends cookies");
    assert_eq!(calls(), 5);
    let expect = [
        (URL, "a"),
        ("https://example.invalid/other", "b"),
        (URL, "c"),
    ];
    for (i, (url, sku)) in (2..).zip(expect) {
        assert_eq!(call(i, "url").as_string().unwrap(), url);
        assert_eq!(call(i, "body").as_string().unwrap(), payload_json(sku));
        assert_eq!(
            call(i, "contentType").as_string().unwrap(),
            "text/plain;charset=UTF-8",
            "no preflight"
        );
        assert_eq!(call(i, "keepalive").as_bool(), Some(true));
        assert_eq!(call(i, "credentials").as_string().unwrap(), "omit");
        assert_eq!(call(i, "redirect").as_string().unwrap(), "manual");
        assert_eq!(call(i, "nullProto").as_bool(), Some(true));
    }
    // The page may not live to see the answers: the two that had failed stay stored for
    // the next page; the one never tried is handed over.
    assert_eq!(wh.pending(), 2);
    let kept = js("return JSON.parse(localStorage.getItem('wh-beacon:webhooks')).items.map((x) => JSON.parse(x.b).properties['props.sku']).join()");
    assert_eq!(kept.as_string().unwrap(), "a,b");
    // It does (200s): all three are delivered, nothing is left.
    sleep(50).await;
    assert_eq!(wh.delivered(), 3);
    assert_eq!(wh.pending(), 0);
    assert_eq!(stored("wh-beacon"), None);
    wh.flush_beacon();
    sleep(50).await;
    assert_eq!(calls(), 5, "nothing twice");
}

#[wasm_bindgen_test]
async fn a_page_hide_request_that_fails_or_cannot_start_stays_queued() {
    fresh("wh-nobeacon", "[{reject: true}]");
    let wh = Webhooks::new("wh-nobeacon", false);
    wh.set_allowed(true);
    // Never tried: it leaves with the page-hide request…
    js("window.__hooks.script = [{reject: true}, {status: 200}]");
    wh.send(URL, &payload("a"));
    wh.flush_beacon();
    assert_eq!(calls(), 1);
    assert_eq!(wh.pending(), 0);
    // …and comes back when that fails while the page lives, to be retried.
    sleep(50).await;
    assert_eq!(wh.pending(), 1);
    assert!(stored("wh-nobeacon").is_some(), "kept for the next page");
    sleep(1_300).await;
    assert_eq!(calls(), 2, "retried after the backoff");
    assert_eq!(wh.delivered(), 1);
    assert_eq!(wh.pending(), 0);
    // No fetch at all: kept.
    js("window.__hooks.script = [{status: 503, headers: {'Retry-After': '3600'}}]");
    wh.send(URL, &payload("b"));
    sleep(100).await;
    js("window.__keep = window.fetch; window.fetch = undefined;");
    wh.flush_beacon();
    js("window.fetch = window.__keep;");
    assert_eq!(wh.pending(), 1, "no fetch: kept too");
    assert!(stored("wh-nobeacon").is_some());
    assert_eq!(beacons(), 0);
    drop(wh);
    clear_storage("wh-nobeacon");
}

#[wasm_bindgen_test]
async fn a_redirect_is_dropped_and_not_retried() {
    fresh("wh-redirect", "[{redirect: true}]");
    let wh = Webhooks::new("wh-redirect", true);
    wh.send(URL, &payload("a"));
    sleep(100).await;
    assert_eq!(calls(), 1);
    assert_eq!(wh.pending(), 0);
    assert_eq!(wh.dropped(), 1);
    assert_eq!(wh.delivered(), 0, "not delivered");
    assert_eq!(stored("wh-redirect"), None);
    sleep(1_200).await;
    assert_eq!(calls(), 1, "never retried");
}

#[wasm_bindgen_test]
async fn erase_drops_the_queue_its_stored_copy_and_the_timer() {
    fresh("wh-erase", "[{status: 500}, {hang: true}, {hang: true}]");
    let mut wh = Webhooks::new("wh-erase", true);
    wh.send(URL, &payload("a"));
    sleep(100).await;
    assert_eq!(calls(), 1);
    assert!(stored("wh-erase").is_some());
    wh.erase();
    assert_eq!(wh.pending(), 0);
    assert_eq!(stored("wh-erase"), None);
    wh.flush_beacon();
    assert_eq!(calls(), 1, "no page-hide request");
    // Still working afterwards; an answer to a request on the wire at the erasure
    // touches nothing.
    wh.send(URL, &payload("b"));
    sleep(100).await;
    assert_eq!(calls(), 2);
    wh.erase();
    js("window.__hooks.release()");
    sleep(50).await;
    assert_eq!(wh.pending(), 0);
    assert_eq!(wh.delivered(), 0);
    assert_eq!(stored("wh-erase"), None);
    // A page-hide request on the wire at the erasure that fails does not bring its
    // payload back.
    wh.send(URL, &payload("c"));
    wh.flush_beacon();
    assert_eq!(calls(), 3);
    wh.erase();
    js("window.__hooks.release(true)");
    sleep(50).await;
    assert_eq!(wh.pending(), 0, "not restored after the erasure");
    assert_eq!(stored("wh-erase"), None);
    sleep(1_100).await;
    assert_eq!(calls(), 3, "nothing retried (the backoff is 1 s)");
    // A new page finds nothing.
    drop(wh);
    let wh = Webhooks::new("wh-erase", true);
    sleep(50).await;
    assert_eq!(calls(), 3);
    assert_eq!(wh.pending(), 0);
}
