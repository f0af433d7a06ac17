//! Helpers shared by the fuzz targets: a poll-to-completion executor, the
//! managers under test, and the invariants every answer must keep.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_extended::jsonwebtoken::{Algorithm, EncodingKey};
use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager};

/// The secret of every manager here. Seeds never contain a token signed with
/// it, so the fuzzer can only produce one by breaking HMAC-SHA256.
pub const SECRET: &str = "fuzz-secret-0123456789";

/// Runs a future that never waits on I/O (no blocklist, no loaders) to
/// completion. A future that stays pending would spin: libFuzzer's timeout
/// reports it as a hang, which is a finding.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// Builds a manager from a config with the fuzz secret.
///
/// # Panics
/// If the config is invalid: the targets only use fixed, valid configs.
#[must_use]
pub fn manager(config: JwtConfig) -> JwtManager {
    match JwtManager::new(config.with_secret_key(SECRET)) {
        Ok(manager) => manager,
        Err(e) => panic!("fuzz config is invalid: {e}"),
    }
}

/// Every error a client can cause must be a 4xx with a non-empty message.
/// A 5xx here means client input reached a server-side failure path.
///
/// # Panics
/// On a broken invariant (that is the point).
pub fn check_client_error(error: &Error) {
    let status = error.status_code();
    assert!(
        (400..500).contains(&status),
        "client input gave {status} ({:?}): {}",
        error.kind(),
        error.message()
    );
    assert!(
        !error.message().is_empty(),
        "empty message for {:?}",
        error.kind()
    );
    assert_ne!(error.kind(), ErrorKind::Misconfigured);
    assert_ne!(error.kind(), ErrorKind::Encode);
}

/// `base64url(header).base64url(payload).HMAC-SHA256(secret)`, from raw bytes.
#[must_use]
pub fn sign_hs256(header: &[u8], payload: &[u8]) -> String {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = EncodingKey::from_secret(SECRET.as_bytes())
        .and_then(|key| {
            jwt_extended::jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256)
        })
        .unwrap_or_default();
    format!("{message}.{signature}")
}

/// Splits `data` on `sep` into at most `n` parts (the last takes the rest).
#[must_use]
pub fn split_n(data: &[u8], sep: u8, n: usize) -> Vec<&[u8]> {
    data.splitn(n, |b| *b == sep).collect()
}

/// Seconds since the epoch, as a float.
#[must_use]
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}
