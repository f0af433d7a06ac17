//! Publishing the manager's public keys: `/.well-known/jwks.json`
//! ([`JwksEndpoint`]) and a minimal OpenID discovery document
//! ([`DiscoveryEndpoint`]), as tower services for axum's `get_service`.

use std::convert::Infallible;
use std::fmt;
use std::future::{Ready, ready};
use std::task::{Context, Poll};
use std::time::Duration;

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower_service::Service;

use crate::manager::JwtManager;
use crate::token::KeyRing;

/// How long clients may cache the key set by default (five minutes).
///
/// Publish the next key at least this long (plus the consumers' own
/// cache time) before signing with it: see the
/// [keys manual](crate::manual::keys).
pub const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(300);

/// Serves the manager's public keys as a JWK Set (RFC 7517 §5): the keys of
/// its [`KeySet`](crate::token::KeySet) that are RSA, EC or Ed25519 keys,
/// never an HMAC secret, read afresh on every request (so a rotation shows
/// at once), with `Cache-Control: public, max-age=…`.
///
/// ```
/// use axum::{Router, routing::get_service};
/// use jwt_extended::{Algorithm, JwtConfig, JwtManager, axum::JwksEndpoint, token::{Key, KeySet}};
///
/// let pem = std::fs::read("tests/fixtures/keys/ed25519_private.pem")?;
/// let jwt = JwtManager::builder(JwtConfig::new().with_algorithm(Algorithm::EdDSA))
///     .key_set(KeySet::new().with_signing_key(Key::from_private_pem("ed-1", Algorithm::EdDSA, &pem)?)?)
///     .build()?;
/// let app: Router = Router::new()
///     .route_service("/.well-known/jwks.json", get_service(JwksEndpoint::new(&jwt)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct JwksEndpoint {
    keys: KeyRing,
    cache_control: HeaderValue,
}

impl fmt::Debug for JwksEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksEndpoint")
            .field("cache_control", &self.cache_control)
            .finish_non_exhaustive()
    }
}

impl JwksEndpoint {
    /// Publishes `manager`'s key set, cached by clients for
    /// [`DEFAULT_JWKS_MAX_AGE`].
    #[must_use]
    pub fn new(manager: &JwtManager) -> Self {
        Self {
            keys: manager.keys().clone(),
            cache_control: cache_control(DEFAULT_JWKS_MAX_AGE),
        }
    }

    /// How long clients may cache the answer (`Cache-Control: public,
    /// max-age=…`, whole seconds).
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// use std::time::Duration;
    /// use jwt_extended::axum::JwksEndpoint;
    ///
    /// let endpoint = JwksEndpoint::new(&jwt).max_age(Duration::from_secs(60));
    /// let response = endpoint.response();
    /// assert_eq!(response.headers()["cache-control"], "public, max-age=60");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.cache_control = cache_control(max_age);
        self
    }

    /// The response for a `GET`: the current JWK Set.
    #[must_use]
    pub fn response(&self) -> Response {
        json_response(&self.keys.jwks(), &self.cache_control)
    }
}

impl<B> Service<Request<B>> for JwksEndpoint {
    type Response = Response;
    type Error = Infallible;
    type Future = Ready<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(if is_read(request.method()) {
            self.response()
        } else {
            method_not_allowed()
        }))
    }
}

/// Serves a minimal OpenID Connect discovery document
/// (`/.well-known/openid-configuration`): `issuer` and `jwks_uri`, enough
/// for clients that find the keys of an issuer through discovery (OpenID
/// Connect Discovery 1.0 §3, RFC 8414).
///
/// The issuer must be the `iss` of the tokens (`JWT_ENCODE_ISSUER`) and is
/// configured, never taken from the request, so a forged `Host` header
/// cannot point clients elsewhere.
///
/// ```
/// use axum::{Router, routing::get_service};
/// use jwt_extended::axum::{DiscoveryEndpoint, JwksEndpoint};
/// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
///
/// let discovery = DiscoveryEndpoint::new("https://auth.example.com");
/// assert_eq!(discovery.document()["jwks_uri"], "https://auth.example.com/.well-known/jwks.json");
/// let app: Router = Router::new()
///     .route_service("/.well-known/jwks.json", get_service(JwksEndpoint::new(&jwt)))
///     .route_service("/.well-known/openid-configuration", get_service(discovery));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct DiscoveryEndpoint {
    document: Value,
    body: Bytes,
    cache_control: HeaderValue,
}

impl fmt::Debug for DiscoveryEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscoveryEndpoint")
            .field("document", &self.document)
            .finish_non_exhaustive()
    }
}

impl DiscoveryEndpoint {
    /// The document of `issuer` (an `https` URL without a trailing slash,
    /// as it appears in `iss`); `jwks_uri` is
    /// `{issuer}/.well-known/jwks.json` unless set with
    /// [`jwks_uri`](Self::jwks_uri).
    #[must_use]
    pub fn new(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        let jwks_uri = format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/'));
        Self::with_document(json!({"issuer": issuer, "jwks_uri": jwks_uri}))
    }

    /// The document of the manager's `JWT_ENCODE_ISSUER`, if it is set.
    ///
    /// ```
    /// use jwt_extended::{JwtConfig, JwtManager, axum::DiscoveryEndpoint};
    ///
    /// let config = JwtConfig::new().with_secret_key("k").with_encode_issuer("https://api.example.com");
    /// let jwt = JwtManager::new(config)?;
    /// let discovery = DiscoveryEndpoint::from_manager(&jwt);
    /// assert_eq!(discovery.map(|d| d.document()["issuer"].clone()), Some("https://api.example.com".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn from_manager(manager: &JwtManager) -> Option<Self> {
        manager
            .config()
            .encode_issuer()
            .filter(|issuer| !issuer.is_empty())
            .map(Self::new)
    }

    /// Where the key set is published, when it is not
    /// `{issuer}/.well-known/jwks.json`.
    ///
    /// ```
    /// use jwt_extended::axum::DiscoveryEndpoint;
    ///
    /// let discovery = DiscoveryEndpoint::new("https://auth.example.com")
    ///     .jwks_uri("https://keys.example.com/jwks.json");
    /// assert_eq!(discovery.document()["jwks_uri"], "https://keys.example.com/jwks.json");
    /// ```
    #[must_use]
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        let mut document = std::mem::take(&mut self.document);
        document["jwks_uri"] = Value::String(uri.into());
        Self {
            cache_control: self.cache_control,
            ..Self::with_document(document)
        }
    }

    /// How long clients may cache the document (default
    /// [`DEFAULT_JWKS_MAX_AGE`]).
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.cache_control = cache_control(max_age);
        self
    }

    /// The document served.
    #[must_use]
    pub fn document(&self) -> &Value {
        &self.document
    }

    fn with_document(document: Value) -> Self {
        let body = Bytes::from(serde_json::to_vec(&document).unwrap_or_default());
        Self {
            document,
            body,
            cache_control: cache_control(DEFAULT_JWKS_MAX_AGE),
        }
    }
}

impl<B> Service<Request<B>> for DiscoveryEndpoint {
    type Response = Response;
    type Error = Infallible;
    type Future = Ready<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(if is_read(request.method()) {
            body_response(self.body.clone(), &self.cache_control)
        } else {
            method_not_allowed()
        }))
    }
}

fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

fn cache_control(max_age: Duration) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={}", max_age.as_secs()))
        .unwrap_or(HeaderValue::from_static("no-cache"))
}

fn json_response(value: &Value, cache_control: &HeaderValue) -> Response {
    body_response(
        Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        cache_control,
    )
}

fn body_response(body: Bytes, cache_control: &HeaderValue) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, cache_control.clone());
    response
}

fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, HeaderValue::from_static("GET, HEAD"))],
    )
        .into_response()
}
