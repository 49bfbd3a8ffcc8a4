//! Calls into cuekit made while cuekit itself is busy. Host code can run in the middle of
//! our own work: a page's `focusin` listener fires synchronously while a modal takes
//! focus, a page's patched DOM method runs while we render. A call it makes then cannot
//! borrow the runtime; instead of being dropped, it is queued and applied right after the
//! call under way releases the runtime, in the order the calls were made.
//!
//! The queue is the page's (one wasm instance, one thread): each entry holds its runtime
//! weakly, a busy runtime's entries keep their place, and a runtime gone meanwhile drops
//! its entries. It is bounded (`MAX_QUEUED`, warned once): only a runtime that can never
//! be borrowed again could fill it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::env::warn;

/// A queued call, type-erased (the queue is the page's, whatever it calls into).
struct Job {
    /// Whether its target can be borrowed now (`None`: the target is gone).
    free: Box<dyn Fn() -> Option<bool>>,
    run: Box<dyn FnOnce()>,
}

thread_local! {
    static QUEUE: RefCell<Vec<Job>> = const { RefCell::new(Vec::new()) };
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

/// Calls waiting at most (beyond: dropped, warned once).
const MAX_QUEUED: usize = 256;

/// Runs `job` now (true), or — when `shared` is busy (the caller is host code that our
/// own work ran) — queues it (false). Calls queued earlier run first, and those queued
/// while `job` runs run right after it.
pub fn enter<T: 'static>(
    shared: &Rc<RefCell<T>>,
    job: impl FnOnce(&Rc<RefCell<T>>) + 'static,
) -> bool {
    if shared.try_borrow_mut().is_err() {
        let (w1, w2) = (Rc::downgrade(shared), Rc::downgrade(shared));
        push(Job {
            free: Box::new(move || w1.upgrade().map(|rt| rt.try_borrow_mut().is_ok())),
            run: Box::new(move || {
                if let Some(rt) = w2.upgrade() {
                    job(&rt);
                }
            }),
        });
        return false;
    }
    drain();
    job(shared);
    drain();
    true
}

/// How a call into the runtime went.
#[derive(Clone, Copy)]
pub enum Ran {
    /// It ran, with this result.
    Now(bool),
    /// The runtime was busy (host code inside our own work called): it runs right after.
    Queued,
    /// The instance is destroyed: nothing done.
    Gone,
}

impl Ran {
    /// The result, `queued` for a queued call, false after destroy.
    pub fn or(self, queued: bool) -> bool {
        match self {
            Ran::Now(r) => r,
            Ran::Queued => queued,
            Ran::Gone => false,
        }
    }
}

/// What a call made through `with` answers: `bool`, or `()` (true).
pub trait Answer {
    fn answer(self) -> bool;
}

impl Answer for bool {
    fn answer(self) -> bool {
        self
    }
}

impl Answer for () {
    fn answer(self) -> bool {
        true
    }
}

fn push(job: Job) {
    let full = QUEUE.with(|q| match q.try_borrow_mut() {
        Ok(mut q) if q.len() < MAX_QUEUED => {
            q.push(job);
            false
        }
        _ => true,
    });
    if full && !WARNED.with(|w| w.replace(true)) {
        warn("too many calls made while cuekit was busy; the extra ones are dropped");
    }
}

/// Runs the queued calls whose target is free, oldest first (those whose target is gone
/// are dropped).
fn drain() {
    loop {
        let next = QUEUE.with(|q| {
            let mut q = q.try_borrow_mut().ok()?;
            let i = q.iter().position(|j| (j.free)() != Some(false))?;
            Some(q.remove(i))
        });
        let Some(job) = next else { return };
        (job.run)();
    }
}
