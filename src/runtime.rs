//! What the core needs from an async runtime: boxed futures and a timer.
//!
//! The core is framework-free but not runtime-free, by choice: it bounds
//! every store call with [`tokio::time::timeout`] (feature `time` of tokio
//! only; no executor is started here). Both frameworks the crate serves,
//! axum and actix-web, run on tokio, and so do the store clients (`redis`,
//! `sqlx`). Every use of the timer goes through [`with_timeout`], so moving
//! to another runtime would change this one file.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed, sendable future (what the object-safe forms of the hooks and
/// stores return).
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs `future` for at most `limit`; `None` when the time ran out (the
/// future is dropped).
///
/// Needs a tokio runtime with its timer enabled (what `#[tokio::main]`,
/// axum and actix-web give).
pub(crate) async fn with_timeout<F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    tokio::time::timeout(limit, future).await.ok()
}

/// Runs `task` in the background on the current tokio runtime; `false`
/// (and `task` dropped) when no runtime is running.
#[cfg(feature = "remote-keys")]
pub(crate) fn spawn<F>(task: F) -> bool
where
    F: Future<Output = ()> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            drop(handle.spawn(task));
            true
        }
        Err(_) => false,
    }
}

/// Waits for `duration`.
#[cfg(feature = "remote-keys")]
pub(crate) async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}
