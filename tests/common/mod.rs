//! Helpers shared by the integration tests: a oneshot client for a `Router`,
//! and hand-made tokens.
#![allow(dead_code, unreachable_pub)]

pub mod frameworks;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::BodyExt as _;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::Value;
use tower::ServiceExt as _;

/// The secret most tests use.
pub const SECRET: &str = "super-secret";

/// A manager with the test secret and otherwise default settings.
pub fn manager() -> JwtManager {
    manager_with(JwtConfig::new())
}

/// A manager from a config, with the test secret added when none is set.
pub fn manager_with(config: JwtConfig) -> JwtManager {
    let config = if config.secret_key().is_none() {
        config.with_secret_key(SECRET)
    } else {
        config
    };
    match JwtManager::new(config) {
        Ok(m) => m,
        Err(e) => panic!("test config is invalid: {e}"),
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The framework that answered, when the request went through a
    /// [`frameworks::TestServer`]: failed assertions name it.
    pub framework: Option<frameworks::Framework>,
}

impl TestResponse {
    /// " (on axum)" when a framework answered, for assertion messages.
    pub fn on(&self) -> String {
        self.framework
            .map(|f| format!(" (on {f})"))
            .unwrap_or_default()
    }

    /// Asserts status and JSON body together.
    #[track_caller]
    pub fn assert_json(&self, status: u16, body: Value) {
        assert_eq!(
            (self.status.as_u16(), self.json()),
            (status, body),
            "body{}: {}",
            self.on(),
            self.text()
        );
    }

    /// Asserts the status only.
    #[track_caller]
    pub fn assert_status(&self, status: u16) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body{}: {}",
            self.on(),
            self.text()
        );
    }

    /// The body as JSON (panics with the body text if it is not JSON).
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body{} is not JSON ({e}): {:?}", self.on(), self.text()))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `msg` of a default error body.
    pub fn msg(&self) -> String {
        self.json()["msg"].as_str().unwrap_or_default().to_owned()
    }

    /// All `Set-Cookie` values.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Asserts status and `msg` together, for readable failures.
    #[track_caller]
    pub fn assert_error(&self, status: u16, msg: &str) {
        assert_eq!(
            (self.status.as_u16(), self.msg().as_str()),
            (status, msg),
            "body{}: {}",
            self.on(),
            self.text()
        );
    }
}

/// Sends a request through the router.
pub async fn send(app: &Router, request: Request<Body>) -> TestResponse {
    let response = match app.clone().oneshot(request).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let (parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(e) => panic!("body error: {e}"),
    };
    TestResponse {
        status: parts.status,
        headers: parts.headers,
        body,
        framework: None,
    }
}

/// Where a test sends its requests: an axum `Router` (through `oneshot`) or
/// a [`frameworks::TestServer`] (real HTTP), so that helpers such as the
/// cookie client serve both.
pub trait Target {
    /// Sends `method uri` with raw header values (repeated names allowed)
    /// and an optional body.
    fn request(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &[u8])],
        body: Option<&[u8]>,
    ) -> impl std::future::Future<Output = TestResponse>;
}

impl Target for Router {
    async fn request(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &[u8])],
        body: Option<&[u8]>,
    ) -> TestResponse {
        let method =
            Method::from_bytes(method.as_bytes()).unwrap_or_else(|e| panic!("method: {e}"));
        let mut builder = request(method, uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = body.map(|b| Body::from(b.to_vec())).unwrap_or_default();
        let request = builder
            .body(body)
            .unwrap_or_else(|e| panic!("bad test request: {e}"));
        send(self, request).await
    }
}

impl Target for frameworks::TestServer {
    async fn request(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &[u8])],
        body: Option<&[u8]>,
    ) -> TestResponse {
        self.send(method, uri, headers, body).await
    }
}

/// A request builder with a method and URI.
pub fn request(method: Method, uri: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(uri)
}

/// `GET uri` with optional headers.
pub async fn http_get(app: &Router, uri: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut builder = request(Method::GET, uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    send(app, builder.body(Body::empty()).unwrap_or_default()).await
}

/// `GET uri` with `Authorization: Bearer <token>`.
pub async fn http_get_bearer(app: &Router, uri: &str, token: &str) -> TestResponse {
    http_get(app, uri, &[("Authorization", &format!("Bearer {token}"))]).await
}

/// Signs arbitrary header and claims JSON with an HMAC secret (HS256 unless
/// the header says otherwise), for tokens the library would not create.
pub fn hs_token(secret: &str, header: &Value, claims: &Value) -> String {
    let alg = header["alg"].as_str().unwrap_or("HS256");
    let algorithm: jsonwebtoken::Algorithm = alg.parse().unwrap_or(jsonwebtoken::Algorithm::HS256);
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    // jsonwebtoken's process-wide crypto backend is chosen when the first
    // manager is built (with both backend features on, it has no default).
    let _ = manager();
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes())
        .unwrap_or_else(|e| panic!("bad secret: {e}"));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, algorithm)
        .unwrap_or_else(|e| panic!("cannot sign: {e}"));
    format!("{message}.{signature}")
}

/// `hs_token` with the default header and the test secret.
pub fn token_with_claims(claims: &Value) -> String {
    hs_token(
        SECRET,
        &serde_json::json!({"alg": "HS256", "typ": "JWT"}),
        claims,
    )
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Decodes a token's payload without verifying it.
pub fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// Decodes a token's header without verifying it.
pub fn header(token: &str) -> Value {
    let part = token.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// A required environment variable: tests that need a real server fail
/// loudly without one (the test script starts them).
pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test.sh, which starts Redis and PostgreSQL")
    })
}

/// A `tracing` writer into a shared buffer: what a test's subscriber wrote.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut out) = self.0.lock() {
            out.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

/// Captures the events up to `level` on this thread until the guard drops.
pub fn capture(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(level)
        .with_ansi(false)
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}
