//! The webhook queue says why every payload it drops was not delivered (`Lost`, whose
//! message names the limit), and answers to page-hide requests (`beacon_result`) settle
//! what was handed over.
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::json::parse;
use cuekit::core::queue::{
    classify, network_error, Lost, Outcome, Queue, BEACON_LIMIT, MAX_AGE_MS, MAX_BYTES, MAX_ITEMS,
};

const URL: &str = "https://hooks.example/in";
const T0: u64 = 1_700_000_000_000;

#[test]
fn a_payload_too_large_for_the_queue_says_so_and_names_the_limit() {
    let mut q = Queue::new();
    let body = "x".repeat(300 * 1024);
    assert_eq!(q.enqueue(URL.into(), body, T0), None);
    let bytes = URL.len() + 300 * 1024;
    assert_eq!(q.take_lost(), [Lost::TooLarge { bytes }]);
    assert_eq!(q.dropped(), 1);
    let m = Lost::TooLarge { bytes }.message();
    assert!(m.contains("too large"), "{m}");
    assert!(m.contains(&bytes.to_string()), "{m}");
    assert!(
        m.contains("200 KB") && m.contains(&MAX_BYTES.to_string()),
        "{m}"
    );
    assert!(!m.contains("full"), "not the queue-full warning: {m}");
    assert!(q.take_lost().is_empty(), "taken once");
}

#[test]
fn every_reason_a_payload_is_dropped_is_reported() {
    // Evicted: the queue is full.
    let mut q = Queue::new();
    for _ in 0..=MAX_ITEMS {
        q.enqueue(URL.into(), "{}".into(), T0);
    }
    assert_eq!(q.take_lost(), [Lost::Evicted]);
    let m = Lost::Evicted.message();
    assert!(
        m.contains(&format!("{MAX_ITEMS} payloads")) && m.contains("200 KB"),
        "{m}"
    );

    // Refused: a 4xx, with its status.
    let mut q = Queue::new();
    q.enqueue(URL.into(), "{}".into(), T0);
    let (id, _, _) = q.due(T0).remove(0);
    q.result(id, classify(404, None), T0);
    assert_eq!(q.take_lost(), [Lost::Refused { status: 404 }]);
    assert!(Lost::Refused { status: 404 }.message().contains("HTTP 404"));

    // Redirected.
    q.enqueue(URL.into(), "{}".into(), T0);
    let (id, _, _) = q.due(T0).remove(0);
    q.result(id, Outcome::Drop(Lost::Redirected), T0);
    assert_eq!(q.take_lost(), [Lost::Redirected]);
    assert!(Lost::Redirected.message().contains("redirect"));

    // Expired: a day without delivery.
    let mut q = Queue::new();
    q.enqueue(URL.into(), "{}".into(), T0);
    let (id, _, _) = q.due(T0).remove(0);
    q.result(id, network_error(), T0);
    assert!(q.due(T0 + MAX_AGE_MS + 1).is_empty());
    assert_eq!(q.take_lost(), [Lost::Expired]);
    let hours = MAX_AGE_MS / 3_600_000;
    assert!(Lost::Expired.message().contains(&format!("{hours} hours")));

    // A stored queue: a refused URL and an expired item.
    let stored = format!(
        r#"{{"v":1,"items":[{{"u":"http://evil.example/x","b":"{{}}","a":0,"t":{T0},"c":{T0}}},
            {{"u":"{URL}","b":"{{}}","a":0,"t":{T0},"c":{T0}}}]}}"#
    );
    let v = parse(&stored).unwrap();
    let mut q = Queue::from_value(&v, T0 + MAX_AGE_MS + 1);
    assert_eq!(q.take_lost(), [Lost::BadUrl, Lost::Expired]);
    assert!(Lost::BadUrl.message().contains("URL rules"));
    // One kind each, below KINDS.
    let all = [
        Lost::TooLarge { bytes: 1 },
        Lost::Evicted,
        Lost::Refused { status: 400 },
        Lost::Redirected,
        Lost::Expired,
        Lost::BadUrl,
    ];
    let mut kinds: Vec<usize> = all.iter().map(Lost::kind).collect();
    kinds.dedup();
    assert_eq!(kinds, (0..Lost::KINDS).collect::<Vec<_>>());
}

#[test]
fn page_hide_answers_settle_what_was_handed_over() {
    // Never tried: it left the queue; delivered, it counts; failed, it comes back paced.
    let mut q = Queue::new();
    q.enqueue(URL.into(), "{\"a\":1}".into(), T0);
    q.enqueue(URL.into(), "{\"a\":2}".into(), T0);
    let mut batch = q.beacon_batch(BEACON_LIMIT);
    assert_eq!(batch.len(), 2);
    assert!(q.is_empty());
    let second = batch.remove(1);
    q.beacon_result(batch.remove(0), Outcome::Ok, T0 + 10);
    assert_eq!(q.delivered(), 1);
    assert!(q.is_empty());
    q.beacon_result(second, network_error(), T0 + 10);
    assert_eq!(q.len(), 1, "back, to be retried");
    assert_eq!(q.items()[0].attempts(), 1);
    assert!(q.due(T0 + 500).is_empty(), "after the backoff");
    assert_eq!(q.due(T0 + 1_010).len(), 1);

    // Failed before: the copy's answer settles the original too.
    let mut q = Queue::new();
    q.enqueue(URL.into(), "{}".into(), T0);
    let (id, _, _) = q.due(T0).remove(0);
    q.result(id, network_error(), T0);
    let copy = q.beacon_batch(BEACON_LIMIT).remove(0);
    assert_eq!(q.len(), 1, "kept for the next page");
    q.beacon_result(copy.clone(), Outcome::Ok, T0 + 10);
    assert!(q.is_empty());
    assert_eq!(q.delivered(), 1);
    // A refusal drops it, with the reason; a failure leaves it as it was.
    let mut q = Queue::new();
    q.enqueue(URL.into(), "{}".into(), T0);
    let (id, _, _) = q.due(T0).remove(0);
    q.result(id, network_error(), T0);
    let copy = q.beacon_batch(BEACON_LIMIT).remove(0);
    q.beacon_result(copy.clone(), network_error(), T0 + 10);
    assert_eq!(q.len(), 1);
    q.beacon_result(copy, Outcome::Drop(Lost::Redirected), T0 + 10);
    assert!(q.is_empty());
    assert_eq!(q.take_lost(), [Lost::Redirected]);
}
