//! The per-request state the axum glue shares, in one place: what the
//! layers leave in the request extensions (the buffered body, the refresh
//! probe), the verified-token cache, and how a request finds its manager.
//! Extractors and layers use this module; they do not import each other.

use std::sync::{Arc, Mutex};

use axum_core::extract::FromRef;
use bytes::Bytes;
use http::request::Parts;

use crate::manager::{JwtManager, Verified, VerifyOptions};
use crate::request::{RequestBody, RequestParts};

/// The request body as the layer buffered it.
#[derive(Debug, Clone)]
pub(crate) enum BufferedBody {
    Complete(Bytes),
    TooLarge,
}

/// Where the extractors leave the token they verified, so that the layer can
/// read it after the handler ran (the request itself, with its extensions,
/// is consumed by the handler).
#[derive(Clone, Default)]
pub(crate) struct RefreshProbe(Arc<Mutex<Option<Verified>>>);

impl RefreshProbe {
    /// Records a successful verification (the last one wins).
    pub(crate) fn record(&self, verified: &Verified) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(verified.clone());
        }
    }

    pub(crate) fn take(&self) -> Option<Verified> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// Results already computed for this request, so that several extractors
/// (or a [`RequireJwtLayer`](super::RequireJwtLayer) and an extractor) verify
/// once, one entry per set of options.
///
/// Nearly every request verifies once: the first entry is kept inline, so
/// that caching it allocates nothing besides the extension itself.
#[derive(Clone, Default)]
pub(crate) struct VerifiedCache {
    first: Option<CacheEntry>,
    more: Vec<CacheEntry>,
}

type CacheEntry = (VerifyOptions, Option<Verified>);

impl VerifiedCache {
    pub(crate) fn insert(
        parts: &mut http::Extensions,
        options: VerifyOptions,
        verified: Option<Verified>,
    ) {
        if let (Some(probe), Some(verified)) = (parts.get::<RefreshProbe>(), verified.as_ref()) {
            probe.record(verified);
        }
        let cache = parts.get_or_insert_default::<VerifiedCache>();
        let VerifiedCache { first, more } = cache;
        match first {
            None => *first = Some((options, verified)),
            Some(entry) if entry.0 == options => entry.1 = verified,
            Some(_) => match more.iter_mut().find(|(o, _)| *o == options) {
                Some(entry) => entry.1 = verified,
                None => more.push((options, verified)),
            },
        }
    }

    pub(crate) fn get(
        parts: &http::Extensions,
        options: &VerifyOptions,
    ) -> Option<Option<Verified>> {
        let cache = parts.get::<VerifiedCache>()?;
        cache
            .first
            .iter()
            .chain(cache.more.iter())
            .find(|(o, _)| o == options)
            .map(|(_, v)| v.clone())
    }
}

/// The manager for this request, found exactly as the built-in extractors
/// find it: the one a [`JwtLayer`](super::JwtLayer) put in the request
/// extensions, else the router state's (`JwtManager: FromRef<S>`). For
/// custom extractors, instead of `JwtManager::from_ref(state)`, which
/// ignores the layer.
///
/// ```
/// use axum::{extract::{FromRef, FromRequestParts}, http::request::Parts};
/// use jwt_extended::{JwtManager, axum::manager_for};
///
/// /// The message key the request's errors will use.
/// struct ErrorKey(String);
///
/// impl<S: Send + Sync> FromRequestParts<S> for ErrorKey
/// where
///     JwtManager: FromRef<S>,
/// {
///     type Rejection = std::convert::Infallible;
///
///     async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
///         let manager = manager_for(parts, state);
///         Ok(ErrorKey(manager.config().error_message_key().to_owned()))
///     }
/// }
/// ```
#[must_use]
pub fn manager_for<S>(parts: &Parts, state: &S) -> JwtManager
where
    JwtManager: FromRef<S>,
{
    parts
        .extensions
        .get::<JwtManager>()
        .cloned()
        .unwrap_or_else(|| JwtManager::from_ref(state))
}

/// The request view the core flow reads, from axum request parts.
pub(crate) fn request_parts<'a>(parts: &'a Parts) -> RequestParts<'a> {
    let body = match parts.extensions.get::<BufferedBody>() {
        Some(BufferedBody::Complete(bytes)) => RequestBody::Buffered(bytes),
        Some(BufferedBody::TooLarge) => RequestBody::TooLarge,
        None => RequestBody::NotBuffered,
    };
    RequestParts::new(&parts.method, &parts.headers, parts.uri.query()).with_body(body)
}
