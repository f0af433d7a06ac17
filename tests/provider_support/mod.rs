//! A small OpenID provider on 127.0.0.1 for the remote-key tests: a real
//! HTTP server (axum on a free port) serving a Keycloak-shaped discovery
//! document and JWK Set, signing tokens with its current key, and
//! controllable: rotate keys, go down (503), hang (never answer), count
//! fetches, answer with a redirect, an oversized body or another issuer.

#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jwt_extended::Algorithm;
use jwt_extended::jsonwebtoken::{self, EncodingKey, Header};
use jwt_extended::token::Key;
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{ROOT}/tests/fixtures/keys/{name}"))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// One of the provider's keys: the fixture pair and its `kid`.
#[derive(Clone)]
pub struct ProviderKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pub private_pem: Vec<u8>,
    pub jwk: Value,
}

impl ProviderKey {
    /// `base` is the fixture name without `_private.pem`/`_public.pem`.
    pub fn new(kid: &str, algorithm: Algorithm, base: &str) -> Self {
        let public = Key::from_public_pem(kid, algorithm, fixture(&format!("{base}_public.pem")))
            .unwrap_or_else(|e| panic!("key {base}: {e}"));
        let jwk = Value::Object(public.public_jwk().cloned().unwrap_or_default());
        Self {
            kid: kid.to_owned(),
            algorithm,
            private_pem: fixture(&format!("{base}_private.pem")),
            jwk,
        }
    }

    pub fn rsa(kid: &str) -> Self {
        Self::new(kid, Algorithm::RS256, "rsa2048")
    }

    pub fn other_rsa(kid: &str) -> Self {
        Self::new(kid, Algorithm::RS256, "rsa2048_other")
    }

    pub fn ec(kid: &str) -> Self {
        Self::new(kid, Algorithm::ES256, "ec256")
    }

    /// Signs `claims` with this key, `kid` in the header (or `header_kid`).
    pub fn sign(&self, claims: &Value, header_kid: Option<&str>) -> String {
        let mut header = Header::new(self.algorithm.into());
        header.kid = header_kid.map(str::to_owned);
        let key = match self.algorithm {
            Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(&self.private_pem),
            _ => EncodingKey::from_rsa_pem(&self.private_pem),
        }
        .unwrap_or_else(|e| panic!("signing key: {e}"));
        jsonwebtoken::encode(&header, claims, &key).unwrap_or_else(|e| panic!("sign: {e}"))
    }
}

/// What the provider does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Up = 0,
    /// 503 to everything.
    Down = 1,
    /// Never answers.
    Hang = 2,
    /// A JWK Set bigger than any sane limit.
    Oversized = 3,
    /// The JWK Set URL redirects to another origin.
    RedirectAway = 4,
    /// The discovery document names another issuer.
    WrongIssuer = 5,
}

struct ProviderState {
    issuer: Mutex<String>,
    keys: Mutex<Vec<ProviderKey>>,
    /// Entries published beside the keys (an encryption key, junk).
    extra: Mutex<Vec<Value>>,
    max_age: Mutex<Option<u64>>,
    mode: AtomicU8,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
}

/// The running provider.
#[derive(Clone)]
pub struct Provider {
    pub issuer: String,
    pub jwks_uri: String,
    state: Arc<ProviderState>,
}

pub const AUDIENCE: &str = "orders-api";

impl Provider {
    /// Starts a provider publishing `keys` (the first one signs).
    pub async fn start(keys: Vec<ProviderKey>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let issuer = format!("http://127.0.0.1:{port}/realms/test");
        let state = Arc::new(ProviderState {
            issuer: Mutex::new(issuer.clone()),
            keys: Mutex::new(keys),
            extra: Mutex::new(Vec::new()),
            max_age: Mutex::new(Some(300)),
            mode: AtomicU8::new(Mode::Up as u8),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route(
                "/realms/test/.well-known/openid-configuration",
                get(discovery),
            )
            .route("/realms/test/protocol/openid-connect/certs", get(jwks))
            .with_state(Arc::clone(&state));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            jwks_uri: format!("{issuer}/protocol/openid-connect/certs"),
            issuer,
            state,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.mode.store(mode as u8, Ordering::SeqCst);
    }

    pub fn set_keys(&self, keys: Vec<ProviderKey>) {
        *lock(&self.state.keys) = keys;
    }

    pub fn set_extra(&self, extra: Vec<Value>) {
        *lock(&self.state.extra) = extra;
    }

    /// `Cache-Control: max-age` sent with the JWK Set (`None`: no header).
    pub fn set_max_age(&self, seconds: Option<u64>) {
        *lock(&self.state.max_age) = seconds;
    }

    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    pub fn discovery_fetches(&self) -> usize {
        self.state.discovery_fetches.load(Ordering::SeqCst)
    }

    /// The claims of a valid token of this provider, for `email`.
    pub fn claims(&self, email: &str) -> Value {
        let now = jsonwebtoken::get_current_timestamp();
        json!({
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": format!("user-{email}"),
            "email": email,
            "groups": ["api-access"],
            "iat": now,
            "exp": now + 300,
        })
    }

    /// A valid token for `email`, signed with the current key.
    pub fn token(&self, email: &str) -> String {
        let key = lock(&self.state.keys)[0].clone();
        key.sign(&self.claims(email), Some(&key.kid))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the mode says instead of the document, if anything.
async fn misbehave(state: &ProviderState) -> Option<Response> {
    match state.mode.load(Ordering::SeqCst) {
        1 => Some(StatusCode::SERVICE_UNAVAILABLE.into_response()),
        2 => std::future::pending().await,
        _ => None,
    }
}

async fn discovery(State(state): State<Arc<ProviderState>>) -> Response {
    state.discovery_fetches.fetch_add(1, Ordering::SeqCst);
    if let Some(response) = misbehave(&state).await {
        return response;
    }
    let issuer = lock(&state.issuer).clone();
    let named = if state.mode.load(Ordering::SeqCst) == Mode::WrongIssuer as u8 {
        "https://someone-else.example".to_owned()
    } else {
        issuer.clone()
    };
    axum::Json(json!({
        "issuer": named,
        "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
        "authorization_endpoint": format!("{issuer}/protocol/openid-connect/auth"),
        "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }))
    .into_response()
}

async fn jwks(State(state): State<Arc<ProviderState>>) -> Response {
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    if let Some(response) = misbehave(&state).await {
        return response;
    }
    match state.mode.load(Ordering::SeqCst) {
        3 => return "x".repeat(2 * 1024 * 1024).into_response(),
        4 => {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::LOCATION,
                HeaderValue::from_static("http://localhost:1/certs"),
            );
            return (StatusCode::FOUND, headers).into_response();
        }
        _ => {}
    }
    let mut keys: Vec<Value> = lock(&state.keys).iter().map(|k| k.jwk.clone()).collect();
    keys.extend(lock(&state.extra).iter().cloned());
    let mut response = axum::Json(json!({ "keys": keys })).into_response();
    let age = *lock(&state.max_age);
    if let Some(value) =
        age.and_then(|age| HeaderValue::from_str(&format!("public, max-age={age}")).ok())
    {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}
