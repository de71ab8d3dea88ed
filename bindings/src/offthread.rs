//! Runs a blocking engine call on its own thread and awaits it, for the
//! `*_async` methods: Kotlin `suspend` functions and Swift `async` functions
//! that never block the caller's thread (the UI thread, a coroutine
//! dispatcher, the Swift cooperative pool), whatever executor polls them.
//!
//! Runtime-agnostic on purpose (no tokio): the future is woken by the worker
//! thread through the standard `Waker`, which uniffi's foreign-side executors
//! implement.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::error::HearthError;

struct Slot<T> {
    result: Option<Result<T, HearthError>>,
    waker: Option<Waker>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The result of a call running on another thread.
pub(crate) struct OffThread<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

/// Start `f` on a new thread. A panic in `f` becomes
/// [`HearthError::Internal`]; it never leaves the future pending forever.
pub(crate) fn run<T, F>(f: F) -> OffThread<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, HearthError> + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
    }));
    let worker_slot = Arc::clone(&slot);
    let work = move || {
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
                Err(HearthError::Internal {
                    reason: "a background call panicked".into(),
                })
            });
        let mut s = lock(&worker_slot);
        s.result = Some(result);
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("hearth-async".into())
        .spawn(work)
    {
        lock(&slot).result = Some(Err(HearthError::Io {
            path: String::new(),
            reason: format!("could not start a thread: {e}"),
        }));
    }
    OffThread { slot }
}

impl<T> Future for OffThread<T> {
    type Output = Result<T, HearthError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = lock(&self.slot);
        match s.result.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Condvar;
    use std::task::Wake;

    /// A minimal executor: block the test thread until the future is ready.
    fn block_on<F: Future>(f: F) -> F::Output {
        struct Signal(Mutex<bool>, Condvar);
        impl Wake for Signal {
            fn wake(self: Arc<Self>) {
                *lock(&self.0) = true;
                self.1.notify_one();
            }
        }
        let signal = Arc::new(Signal(Mutex::new(false), Condvar::new()));
        let waker = Waker::from(Arc::clone(&signal));
        let mut cx = Context::from_waker(&waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            let mut woken = lock(&signal.0);
            while !*woken {
                woken = signal.1.wait(woken).unwrap_or_else(PoisonError::into_inner);
            }
            *woken = false;
        }
    }

    #[test]
    fn runs_elsewhere_and_wakes() {
        let caller = std::thread::current().id();
        let r = block_on(run(move || Ok(std::thread::current().id() != caller)));
        assert_eq!(r, Ok(true));
    }

    #[test]
    fn a_panic_is_an_internal_error() {
        #[allow(clippy::panic)]
        let r: Result<(), HearthError> = block_on(run(|| panic!("boom")));
        assert!(matches!(r, Err(HearthError::Internal { .. })));
    }
}
