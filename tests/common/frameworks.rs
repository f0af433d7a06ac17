//! Behaviour tests written once, run per framework: [`TestServer::start`]
//! serves the same small app on axum or on actix-web on a free port, and
//! tests send real HTTP requests to it (reqwest), looping over
//! [`FRAMEWORKS`].
//!
//! A failed assertion says which framework failed: every [`TestResponse`]
//! the server returns carries it (`TestResponse::assert_error`,
//! `assert_json`, `assert_status` print it), and a server dropped while a
//! test panics adds a note naming its framework, for every other assertion.
//!
//! The app (the reference's test routes, the union of what the suites use;
//! every route answers GET and POST unless noted):
//!
//! | Route | Extractor | Answer |
//! |---|---|---|
//! | `/protected`, `/post_protected` | `Jwt` | `{"foo": "bar"}` |
//! | `/fresh_protected` | `Jwt<Fresh>` | `{"foo": "bar"}` |
//! | `/refresh_protected`, `/post_refresh_protected` | `Jwt<Refresh>` | `{"foo": "bar"}` |
//! | `/any_protected` | `Jwt<AnyType>` (`verify_type=False`) | `{"foo": "bar"}` |
//! | `/optional_protected` | optional `Jwt` | `{"foo": "bar"}` with a token, `{"foo": "baz"}` without |
//! | `/optional_post_protected` | optional `Jwt` | `{"foo": "bar"}` |
//! | `/whoami` (GET) | `Jwt` | `{"sub": <identity>}` |
//! | `/location` | `Jwt` | `{"foo": "bar", "location": <where the token was>}` |
//! | `/location_all` | `Jwt<`[`AllLocations`]`>` | as `/location` |
//! | `/only_headers` (GET) | `Jwt<`[`HeadersOnly`]`>` | `{"location": …}` |
//! | `/echo` (POST) | `Jwt` and the body | `{"received": <body text>}` |
//! | `/optional_identity` | optional `Jwt` | `{"foo": "baz"}` with an identity, `{"foo": "bar"}` without |
//! | `/headers_protected` | `Jwt<`[`HeadersOnly`]`>` | `{"foo": "bar"}` |
//! | `/verified_by_hand` (GET) | `verify_jwt_in_request` in the handler | `{"foo": "bar", "alg": …, "sub": …}` |
//! | `/decode_expired` (GET, unprotected) | `decode_token` of an expired token | `{"msg": "baz"}` or the configured error |
//! | `/access_token`, `/refresh_token` (GET, `?domain=`) | manager | sets the cookies, `{"login": true}` |
//! | `/delete_tokens`, `/delete_access_tokens`, `/delete_refresh_tokens` (GET, `?domain=`) | manager | unsets them |
//! | `/optional_user` | optional `Jwt` and optional `CurrentUser<`[`User`]`>` | `{"foo": "bar"}` without a token, else `{"identity": …, "user": …}` (500 if they disagree) |
//! | `/optional_claims` | optional `Jwt` | `{"claims": …, "header": …, "identity": …}` (empty without a token) |
//! | `/optional_text` | optional `Jwt` | `token for <identity>` or `no token` (text) |
//! | `/get_user1` (GET) | `CurrentUser<`[`User`]`>` | `{"foo": <username>}` |
//! | `/get_user2` (GET) | `Jwt`, the user from its verification | `{"foo": <username>}`, or 500 `{"error": "no user loaded"}` |
//! | `/maybe_user` (GET) | optional `CurrentUser<`[`User`]`>` | `{"user": <username or null>}` |
//! | `/zero` (GET) | `CurrentUser<i64>` | the number (text) |
//! | `/me` (GET) | `CurrentUser<`[`Account`]`>` | its name (text) |
//! | `/all` (GET) | `Jwt`, optional `Jwt<AnyType>`, optional `Jwt`, `Jwt`, `CurrentUser<`[`User`]`>` | the five identities |
//! | `/token_header` (GET), `/refresh_token_header` (GET) | `Jwt`, `Jwt<Refresh>` | the token's JOSE header |
//! | `/login` (POST) | manager | `{"access_token": …, "refresh_token": …}` for `alice` |
//! | `/logout` (DELETE) | `Jwt` | revokes it: `{"msg": "Access token revoked"}` |
//! | `/refresh` (POST) | `Jwt<Refresh>` | `{"access_token": …}` in the refresh token's session |
//!
//! Error responses: [`Framework::respond`] registers a [`Reply`] on any
//! [`Hook`] (the reference's loaders, one error kind, the catch-all, the
//! blocklist outage) through either framework's builder extension.
//!
//! The JWT layer (axum `JwtLayer`, actix `JwtMiddleware`) wraps every
//! route; [`AppOptions`] sets its body limit and JSON buffering.

use std::collections::HashMap;
use std::fmt;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use jwt_extended::axum::BufferJson;
use jwt_extended::config::TokenLocation;
use jwt_extended::cookies::CookieOptions;
use jwt_extended::{DecodedToken, Error, ErrorKind, JwtManager, JwtManagerBuilder, VerifyOptions};
use serde_json::{Map, Value, json};

use super::TestResponse;

/// The web frameworks the crate integrates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    Axum,
    Actix,
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Framework::Axum => "axum",
            Framework::Actix => "actix-web",
        })
    }
}

/// The reference's `jwt_required(locations=[...all four...])`.
pub struct AllLocations;

impl jwt_extended::axum::Requirement for AllLocations {
    const OPTIONS: VerifyOptions = VerifyOptions::new().locations(&[
        TokenLocation::Headers,
        TokenLocation::Cookies,
        TokenLocation::QueryString,
        TokenLocation::Json,
    ]);
}

/// The reference's `jwt_required(locations="headers")`.
pub struct HeadersOnly;

impl jwt_extended::axum::Requirement for HeadersOnly {
    const OPTIONS: VerifyOptions = VerifyOptions::new().locations(&[TokenLocation::Headers]);
}

/// How the JWT layer of the test app is set up.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppOptions {
    /// The largest body buffered (the layer's default when `None`).
    pub body_limit: Option<usize>,
    /// When JSON bodies are buffered (the layer's default when `None`).
    pub buffer_json: Option<BufferJson>,
}

/// The cookie options of the `?domain=` query parameter.
fn cookie_options(params: &HashMap<String, String>) -> CookieOptions {
    match params.get("domain") {
        Some(domain) => CookieOptions::default().domain(domain),
        None => CookieOptions::default(),
    }
}

/// Every framework, for `for framework in FRAMEWORKS { … }`.
pub const FRAMEWORKS: [Framework; 2] = [Framework::Axum, Framework::Actix];

impl Framework {
    /// Registers the reference's `unauthorized_loader` through this
    /// framework's builder extension, answering `status` with `body`.
    pub fn unauthorized_response(
        self,
        builder: JwtManagerBuilder,
        status: u16,
        body: Value,
    ) -> JwtManagerBuilder {
        match self {
            Framework::Axum => {
                use jwt_extended::axum::{FlaskJson, JwtManagerBuilderExt};
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
                builder.unauthorized_loader(move |_message: &str| (status, FlaskJson(body.clone())))
            }
            Framework::Actix => {
                use actix_web::http::StatusCode as ActixStatus;
                use jwt_extended::actix::{FlaskJson, JwtManagerBuilderExt};
                let status = ActixStatus::from_u16(status).unwrap_or(ActixStatus::IM_A_TEAPOT);
                builder.unauthorized_loader(move |_message: &str| {
                    FlaskJson(body.clone()).with_status(status)
                })
            }
        }
    }
}

/// The reference's error loaders, for [`Framework::loader_response`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loader {
    Expired,
    InvalidToken,
    Unauthorized,
    NeedsFresh,
    Revoked,
    VerificationFailed,
    UserLookupError,
}

/// Where [`Framework::respond`] registers a response: one of the
/// reference's loaders, one error kind (`error_kind_response`), the
/// catch-all (`error_response`) or the blocklist outage response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Loader(Loader),
    Kind(ErrorKind),
    CatchAll,
    BlocklistUnavailable,
}

impl From<Loader> for Hook {
    fn from(loader: Loader) -> Self {
        Hook::Loader(loader)
    }
}

/// A response registered for an error, built the same way on every
/// framework: a status, extra headers and, when given, a Flask-style JSON
/// body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
}

impl Reply {
    /// `status` with a JSON `body`.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    /// `status` and an empty body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header (`name` in lower case).
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn into_axum(self) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        use jwt_extended::axum::FlaskJson;
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::IM_A_TEAPOT);
        let mut response = match self.body {
            Some(body) => (status, FlaskJson(body)).into_response(),
            None => status.into_response(),
        };
        for (name, value) in self.headers {
            let value = axum::http::HeaderValue::from_str(&value)
                .unwrap_or_else(|e| panic!("header value: {e}"));
            response
                .headers_mut()
                .insert(axum::http::HeaderName::from_static(name), value);
        }
        response
    }

    fn into_actix(self) -> actix_web::HttpResponse {
        use actix_web::http::StatusCode as ActixStatus;
        use actix_web::http::header::{HeaderName, HeaderValue};
        use jwt_extended::actix::FlaskJson;
        let status = ActixStatus::from_u16(self.status).unwrap_or(ActixStatus::IM_A_TEAPOT);
        let mut response = match self.body {
            Some(body) => FlaskJson(body).with_status(status),
            None => actix_web::HttpResponse::build(status).finish(),
        };
        for (name, value) in self.headers {
            let value =
                HeaderValue::from_str(&value).unwrap_or_else(|e| panic!("header value: {e}"));
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
        response
    }
}

/// What a registered response was called with: the token's header and
/// claims (empty for the loaders given only a message, and for errors
/// about no particular token), the message, and the error kind for the
/// hooks given the whole error.
#[derive(Debug, Clone, Default)]
pub struct LoaderCall {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    pub message: String,
    pub kind: Option<ErrorKind>,
}

/// The calls of a registered loader, recorded for the test to check after
/// the request: a loader runs inside the server, where a failed assertion
/// would only drop the connection.
#[derive(Debug, Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<LoaderCall>>>);

impl Calls {
    fn push(&self, call: LoaderCall) -> LoaderCall {
        if let Ok(mut calls) = self.0.lock() {
            calls.push(call.clone());
        }
        call
    }

    fn record(
        &self,
        header: &Map<String, Value>,
        claims: &Map<String, Value>,
        message: &str,
    ) -> LoaderCall {
        self.push(LoaderCall {
            header: header.clone(),
            claims: claims.clone(),
            message: message.to_owned(),
            kind: None,
        })
    }

    fn record_error(&self, error: &Error) -> LoaderCall {
        let (header, claims) = error
            .token()
            .map(|t| (t.header.clone(), t.claims.clone()))
            .unwrap_or_default();
        self.push(LoaderCall {
            header,
            claims,
            message: error.message().to_owned(),
            kind: Some(error.kind()),
        })
    }

    /// Every call so far.
    pub fn all(&self) -> Vec<LoaderCall> {
        self.0.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The last call (panics if the loader was never called).
    #[track_caller]
    pub fn last(&self) -> LoaderCall {
        self.all()
            .pop()
            .unwrap_or_else(|| panic!("the loader was never called"))
    }
}

/// Registers `$hook` on `$builder` answering `$respond(&call)`, recording
/// its calls in `$calls`; expanded once per framework (the hooks have the
/// same names and arguments, and framework-specific responses).
macro_rules! register_hook {
    ($builder:expr, $hook:expr, $calls:expr, $respond:expr) => {{
        let calls = $calls;
        let respond = $respond;
        let none = Map::new();
        match $hook {
            Hook::Loader(Loader::Expired) => $builder.expired_token_loader(
                move |h: &Map<String, Value>, c: &Map<String, Value>, m: &str| {
                    respond(&calls.record(h, c, m))
                },
            ),
            Hook::Loader(Loader::NeedsFresh) => $builder.needs_fresh_token_loader(
                move |h: &Map<String, Value>, c: &Map<String, Value>, m: &str| {
                    respond(&calls.record(h, c, m))
                },
            ),
            Hook::Loader(Loader::Revoked) => $builder.revoked_token_loader(
                move |h: &Map<String, Value>, c: &Map<String, Value>, m: &str| {
                    respond(&calls.record(h, c, m))
                },
            ),
            Hook::Loader(Loader::VerificationFailed) => $builder.token_verification_failed_loader(
                move |h: &Map<String, Value>, c: &Map<String, Value>, m: &str| {
                    respond(&calls.record(h, c, m))
                },
            ),
            Hook::Loader(Loader::UserLookupError) => $builder.user_lookup_error_loader(
                move |h: &Map<String, Value>, c: &Map<String, Value>, m: &str| {
                    respond(&calls.record(h, c, m))
                },
            ),
            Hook::Loader(Loader::InvalidToken) => $builder
                .invalid_token_loader(move |m: &str| respond(&calls.record(&none, &none, m))),
            Hook::Loader(Loader::Unauthorized) => {
                $builder.unauthorized_loader(move |m: &str| respond(&calls.record(&none, &none, m)))
            }
            Hook::Kind(kind) => {
                $builder.error_kind_response(kind, move |e: &Error| respond(&calls.record_error(e)))
            }
            Hook::CatchAll => {
                $builder.error_response(move |e: &Error| respond(&calls.record_error(e)))
            }
            Hook::BlocklistUnavailable => $builder
                .blocklist_unavailable_loader(move |e: &Error| respond(&calls.record_error(e))),
        }
    }};
}

impl Framework {
    /// Registers `hook` through this framework's builder extension,
    /// answering what `reply` makes of each call; the returned [`Calls`]
    /// record what it was called with.
    pub fn respond(
        self,
        builder: JwtManagerBuilder,
        hook: impl Into<Hook>,
        reply: impl Fn(&LoaderCall) -> Reply + Send + Sync + 'static,
    ) -> (JwtManagerBuilder, Calls) {
        let calls = Calls::default();
        let hook = hook.into();
        let builder = match self {
            Framework::Axum => {
                use jwt_extended::axum::JwtManagerBuilderExt;
                register_hook!(builder, hook, calls.clone(), move |call: &LoaderCall| {
                    reply(call).into_axum()
                })
            }
            Framework::Actix => {
                use jwt_extended::actix::JwtManagerBuilderExt;
                register_hook!(builder, hook, calls.clone(), move |call: &LoaderCall| {
                    reply(call).into_actix()
                })
            }
        };
        (builder, calls)
    }

    /// Registers `loader` answering `status` with `body` (Flask-style
    /// JSON); the returned [`Calls`] record what it was called with.
    pub fn loader_response(
        self,
        builder: JwtManagerBuilder,
        loader: Loader,
        status: u16,
        body: Value,
    ) -> (JwtManagerBuilder, Calls) {
        self.respond(builder, loader, move |_| Reply::json(status, body.clone()))
    }

    /// Registers `hook` answering the same `reply` every time.
    pub fn fixed_response(
        self,
        builder: JwtManagerBuilder,
        hook: impl Into<Hook>,
        reply: Reply,
    ) -> JwtManagerBuilder {
        self.respond(builder, hook, move |_| reply.clone()).0
    }
}

/// The test app, served on `127.0.0.1:<free port>` until dropped.
pub struct TestServer {
    pub framework: Framework,
    base: String,
    client: reqwest::Client,
    stop: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Unwinding from a failed assertion: say which framework it was.
            eprintln!("note: the failure above happened on {}", self.framework);
        }
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

impl TestServer {
    /// Serves the test app with `manager` on `framework`.
    pub async fn start(framework: Framework, manager: JwtManager) -> Self {
        Self::start_with(framework, manager, AppOptions::default()).await
    }

    /// Serves the test app with `manager` and layer `options` on `framework`.
    pub async fn start_with(
        framework: Framework,
        manager: JwtManager,
        options: AppOptions,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local_addr: {e}"));
        let stop = match framework {
            Framework::Axum => axum_app::serve(listener, manager, options),
            Framework::Actix => actix_app::serve(listener, manager, options),
        };
        Self {
            framework,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(stop),
        }
    }

    /// Sends `method uri` with raw header values (repeated names allowed,
    /// bytes outside ASCII kept as they are).
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &[u8])],
        body: Option<&[u8]>,
    ) -> TestResponse {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .unwrap_or_else(|e| panic!("method: {e}"));
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .unwrap_or_else(|e| panic!("header name: {e}"));
            let value = reqwest::header::HeaderValue::from_bytes(value)
                .unwrap_or_else(|e| panic!("header value: {e}"));
            map.append(name, value);
        }
        let mut request = self
            .client
            .request(method, format!("{}{uri}", self.base))
            .headers(map);
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: request failed: {e}", self.framework));
        let status = response.status();
        let headers: HeaderMap = response.headers().clone();
        let body = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{}: body: {e}", self.framework))
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
            framework: Some(self.framework),
        }
    }

    /// `http://127.0.0.1:<port>`, for requests the helpers do not cover.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET uri` with text headers.
    pub async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> TestResponse {
        let raw: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        self.send("GET", uri, &raw, None).await
    }

    /// `GET uri` with `Authorization: Bearer <token>`.
    pub async fn get_bearer(&self, uri: &str, token: &str) -> TestResponse {
        self.get(uri, &[("Authorization", &format!("Bearer {token}"))])
            .await
    }

    /// `method uri` with text headers and no body.
    pub async fn call(&self, method: &str, uri: &str, headers: &[(&str, &str)]) -> TestResponse {
        let raw: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        self.send(method, uri, &raw, None).await
    }

    /// `POST uri` with a body and, when given, its content type.
    pub async fn post_body(
        &self,
        uri: &str,
        content_type: Option<&str>,
        body: impl AsRef<[u8]>,
    ) -> TestResponse {
        let mut raw: Vec<(&str, &[u8])> = Vec::new();
        if let Some(ct) = content_type {
            raw.push(("content-type", ct.as_bytes()));
        }
        self.send("POST", uri, &raw, Some(body.as_ref())).await
    }

    /// `POST uri` with a body sent in chunks (`Transfer-Encoding: chunked`,
    /// no `Content-Length`), written by hand on a plain TCP connection: the
    /// server learns the size only by reading.
    pub async fn post_chunked(&self, uri: &str, content_type: &str, body: &[u8]) -> TestResponse {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let host = self.base.trim_start_matches("http://");
        let mut request = format!(
            "POST {uri} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        .into_bytes();
        for chunk in body.chunks(512) {
            request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            request.extend_from_slice(chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        let mut stream = tokio::net::TcpStream::connect(host)
            .await
            .unwrap_or_else(|e| panic!("{}: connect: {e}", self.framework));
        stream
            .write_all(&request)
            .await
            .unwrap_or_else(|e| panic!("{}: write: {e}", self.framework));
        let mut raw = Vec::new();
        let mut buffer = [0_u8; 4096];
        // Read until the server closes (a reset after the answer is fine).
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buffer[..n]);
        }
        parse_http1(&raw, self.framework)
    }

    /// `POST uri` with a JSON body.
    pub async fn post_json(&self, uri: &str, value: &Value) -> TestResponse {
        self.post_body(uri, Some("application/json"), value.to_string())
            .await
    }
}

/// An HTTP/1.1 response read whole from the wire.
fn parse_http1(raw: &[u8], framework: Framework) -> TestResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{framework}: no complete response: {raw:?}"));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or_else(|| panic!("{framework}: bad status line: {head}"));
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let name = axum::http::HeaderName::from_bytes(name.trim().as_bytes());
            let value = axum::http::HeaderValue::from_str(value.trim());
            if let (Ok(name), Ok(value)) = (name, value) {
                headers.append(name, value);
            }
        }
    }
    let rest = &raw[split + 4..];
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    TestResponse {
        status,
        headers,
        body,
        framework: Some(framework),
    }
}

/// The data of a chunked body.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .unwrap_or_default();
        if size == 0 || rest.len() < end + 2 + size {
            break;
        }
        body.extend_from_slice(&rest[end + 2..end + 2 + size]);
        rest = &rest[(end + 4 + size).min(rest.len())..];
    }
    body
}

/// `/optional_identity`'s answer (`if get_jwt_identity():` in the
/// reference's `optional_protected`).
fn identity_body(identity: Option<&Value>) -> Value {
    let has_identity = identity.is_some_and(|i| !i.is_null());
    json!({"foo": if has_identity { "baz" } else { "bar" }})
}

/// `/verified_by_hand`'s answer.
fn verified_body(verified: Option<&jwt_extended::Verified>) -> Value {
    match verified {
        Some(v) => json!({
            "foo": "bar",
            "alg": v.token().header()["alg"],
            "sub": v.token().claims()["sub"],
        }),
        None => json!({"foo": "no token"}),
    }
}

/// The user of the user routes, loaded by the test's `user_lookup_loader`.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: String,
}

/// A user whose identity is a struct (`/me`): its id goes into `sub`.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: u32,
    pub name: &'static str,
}

impl jwt_extended::token::Identity for Account {
    fn identity_claim(&self) -> jwt_extended::token::IdentityClaim {
        jwt_extended::token::IdentityClaim::string(self.id.to_string())
    }
}

/// `/optional_user`'s answer: the reference's optional view, where the
/// token and the user are both there or both absent.
fn optional_user_reply(token: Option<&DecodedToken>, user: Option<&User>) -> Reply {
    match (token, user) {
        (None, None) => Reply::json(200, json!({"foo": "bar"})),
        (Some(t), Some(u)) => {
            Reply::json(200, json!({"identity": t.identity(), "user": u.username}))
        }
        (t, u) => Reply::json(
            500,
            json!({"error": format!("token and user disagree: {} / {u:?}", t.is_some())}),
        ),
    }
}

/// `/get_user2`'s answer: the user through the verification result.
fn loaded_user_reply(verified: &jwt_extended::Verified) -> Reply {
    match verified.user::<User>() {
        Some(user) => Reply::json(200, json!({ "foo": user.username })),
        None => Reply::json(500, json!({"error": "no user loaded"})),
    }
}

/// `/optional_claims`'s answer: what an optional view can read.
fn claims_body(token: Option<&DecodedToken>) -> Value {
    match token {
        None => json!({"claims": {}, "header": {}, "identity": null}),
        Some(t) => json!({"claims": t.claims(), "header": t.header(), "identity": t.identity()}),
    }
}

/// `/optional_text`'s answer.
fn optional_text(token: Option<&DecodedToken>) -> String {
    match token {
        Some(t) => format!("token for {}", t.identity()),
        None => "no token".to_owned(),
    }
}

/// `/all`'s answer: the identities of five extractors of one request.
fn all_body(
    first: &DecodedToken,
    any: Option<&DecodedToken>,
    maybe: Option<&DecodedToken>,
    again: &DecodedToken,
    user: &User,
) -> Value {
    json!({
        "first": first.identity(),
        "any": any.map(|t| t.identity().clone()),
        "maybe": maybe.map(|t| t.identity().clone()),
        "again": again.identity(),
        "user": user.username,
    })
}

/// `/login`'s answer: a token pair for `alice`.
fn login_reply(jwt: &JwtManager) -> Result<Value, Error> {
    let pair = jwt.create_token_pair("alice")?;
    Ok(json!({
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
    }))
}

/// `/refresh`'s answer: an access token in the refresh token's session.
fn refresh_reply(jwt: &JwtManager, refresh: &DecodedToken) -> Result<Value, Error> {
    let access = jwt
        .access_token(refresh.identity())
        .session_of(refresh)
        .create()?;
    Ok(json!({ "access_token": access }))
}

/// An access token for `username` that expired a minute ago.
fn expired_token(jwt: &JwtManager) -> Result<String, jwt_extended::Error> {
    jwt.access_token("username")
        .expires_at(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
        .create()
}

/// The optional route's answer.
fn optional_body(identity: Option<&Value>) -> Value {
    match identity {
        Some(_) => json!({"foo": "bar"}),
        None => json!({"foo": "baz"}),
    }
}

mod axum_app {
    use std::collections::HashMap;
    use std::net::TcpListener;

    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::{Query, State};
    use axum::response::{IntoResponse, Response};
    use axum::routing::{any, delete, get, post};
    use jwt_extended::JwtManager;
    use jwt_extended::axum::{
        Access, AnyType, CurrentUser, FlaskJson, Fresh, Jwt, JwtLayer, Refresh, Requirement,
        render_error, verify_jwt_in_request,
    };
    use jwt_extended::cookies::CookieSet;
    use serde_json::{Value, json};

    use super::{Account, AllLocations, AppOptions, HeadersOnly, User, cookie_options};

    type Params = Query<HashMap<String, String>>;

    fn foo_bar() -> FlaskJson<Value> {
        FlaskJson(json!({"foo": "bar"}))
    }

    async fn location<R: Requirement>(token: Jwt<R>) -> FlaskJson<Value> {
        FlaskJson(json!({"foo": "bar", "location": token.location().as_str()}))
    }

    async fn only_headers(token: Jwt<HeadersOnly>) -> FlaskJson<Value> {
        FlaskJson(json!({"location": token.location().as_str()}))
    }

    async fn echo(_token: Jwt, body: Bytes) -> FlaskJson<Value> {
        FlaskJson(json!({"received": String::from_utf8_lossy(&body)}))
    }

    async fn verified_by_hand(
        State(jwt): State<JwtManager>,
        request: axum::extract::Request,
    ) -> Response {
        let (mut parts, _) = request.into_parts();
        let options = jwt_extended::VerifyOptions::new();
        match verify_jwt_in_request(&mut parts, &jwt, &options).await {
            Ok(verified) => FlaskJson(super::verified_body(verified.as_ref())).into_response(),
            Err(rejection) => rejection.into_response(),
        }
    }

    async fn decode_expired(State(jwt): State<JwtManager>) -> Response {
        let token = match super::expired_token(&jwt) {
            Ok(token) => token,
            Err(error) => return render_error(&jwt, &error),
        };
        match jwt.decode_token(&token).await {
            Ok(_) => FlaskJson(json!({"msg": "baz"})).into_response(),
            Err(error) => render_error(&jwt, &error),
        }
    }

    fn with_cookies(
        jwt: &JwtManager,
        cookies: Result<CookieSet, jwt_extended::Error>,
        body: Value,
    ) -> Response {
        match cookies {
            Ok(cookies) => (cookies, FlaskJson(body)).into_response(),
            Err(e) => render_error(jwt, &e),
        }
    }

    async fn access_token(State(jwt): State<JwtManager>, Query(params): Params) -> Response {
        let cookies = match jwt.create_access_token("username") {
            Ok(token) => {
                jwt.set_access_cookies_with(&token, &cookie_options(&params))
                    .await
            }
            Err(e) => Err(e),
        };
        with_cookies(&jwt, cookies, json!({"login": true}))
    }

    async fn refresh_token(State(jwt): State<JwtManager>, Query(params): Params) -> Response {
        let cookies = match jwt.create_refresh_token("username") {
            Ok(token) => {
                jwt.set_refresh_cookies_with(&token, &cookie_options(&params))
                    .await
            }
            Err(e) => Err(e),
        };
        with_cookies(&jwt, cookies, json!({"login": true}))
    }

    async fn delete_tokens(State(jwt): State<JwtManager>, Query(params): Params) -> Response {
        let cookies = jwt.unset_jwt_cookies_with(&cookie_options(&params));
        with_cookies(&jwt, Ok(cookies), json!({"logout": true}))
    }

    async fn delete_access(State(jwt): State<JwtManager>, Query(params): Params) -> Response {
        let cookies = jwt.unset_access_cookies_with(&cookie_options(&params));
        with_cookies(&jwt, Ok(cookies), json!({"access_revoked": true}))
    }

    async fn delete_refresh(State(jwt): State<JwtManager>, Query(params): Params) -> Response {
        let cookies = jwt.unset_refresh_cookies_with(&cookie_options(&params));
        with_cookies(&jwt, Ok(cookies), json!({"refresh_revoked": true}))
    }

    // Like actix's `web::route()`, these answer every method (OPTIONS too).
    fn protected_routes(router: Router<JwtManager>) -> Router<JwtManager> {
        router
            .route("/protected", any(|_: Jwt| async { foo_bar() }))
            .route("/post_protected", any(|_: Jwt| async { foo_bar() }))
            .route("/fresh_protected", any(|_: Jwt<Fresh>| async { foo_bar() }))
            .route(
                "/refresh_protected",
                any(|_: Jwt<Refresh>| async { foo_bar() }),
            )
            .route(
                "/post_refresh_protected",
                any(|_: Jwt<Refresh>| async { foo_bar() }),
            )
            .route("/any_protected", any(|_: Jwt<AnyType>| async { foo_bar() }))
    }

    fn optional_routes(router: Router<JwtManager>) -> Router<JwtManager> {
        router
            .route(
                "/optional_protected",
                any(|t: Option<Jwt>| async move {
                    FlaskJson(super::optional_body(t.as_ref().map(|t| t.identity())))
                }),
            )
            .route(
                "/optional_post_protected",
                any(|_: Option<Jwt>| async { foo_bar() }),
            )
    }

    fn other_routes(router: Router<JwtManager>) -> Router<JwtManager> {
        router
            .route(
                "/whoami",
                get(|t: Jwt| async move { FlaskJson(json!({"sub": t.identity()})) }),
            )
            .route("/location", any(location::<Access>))
            .route("/location_all", any(location::<AllLocations>))
            .route("/only_headers", get(only_headers))
            .route("/echo", post(echo))
            .route(
                "/optional_identity",
                any(|t: Option<Jwt>| async move {
                    FlaskJson(super::identity_body(t.as_ref().map(|t| t.identity())))
                }),
            )
            .route(
                "/headers_protected",
                any(|_: Jwt<HeadersOnly>| async { foo_bar() }),
            )
            .route("/verified_by_hand", get(verified_by_hand))
            .route("/decode_expired", get(decode_expired))
    }

    fn cookie_routes(router: Router<JwtManager>) -> Router<JwtManager> {
        router
            .route("/access_token", get(access_token))
            .route("/refresh_token", get(refresh_token))
            .route("/delete_tokens", get(delete_tokens))
            .route("/delete_access_tokens", get(delete_access))
            .route("/delete_refresh_tokens", get(delete_refresh))
    }

    async fn optional_user(token: Option<Jwt>, user: Option<CurrentUser<User>>) -> Response {
        let user = user.map(|CurrentUser(u)| u);
        super::optional_user_reply(token.as_deref(), user.as_ref()).into_axum()
    }

    async fn all(
        first: Jwt,
        any: Option<Jwt<AnyType>>,
        maybe: Option<Jwt>,
        again: Jwt,
        CurrentUser(user): CurrentUser<User>,
    ) -> FlaskJson<Value> {
        FlaskJson(super::all_body(
            &first,
            any.as_deref(),
            maybe.as_deref(),
            &again,
            &user,
        ))
    }

    fn user_routes(router: Router<JwtManager>) -> Router<JwtManager> {
        router
            .route("/optional_user", any(optional_user))
            .route(
                "/optional_claims",
                any(|t: Option<Jwt>| async move { FlaskJson(super::claims_body(t.as_deref())) }),
            )
            .route(
                "/optional_text",
                any(|t: Option<Jwt>| async move { super::optional_text(t.as_deref()) }),
            )
            .route(
                "/get_user1",
                get(|CurrentUser(u): CurrentUser<User>| async move {
                    FlaskJson(json!({ "foo": u.username }))
                }),
            )
            .route(
                "/get_user2",
                get(|t: Jwt| async move { super::loaded_user_reply(t.verified()).into_axum() }),
            )
            .route(
                "/maybe_user",
                get(|u: Option<CurrentUser<User>>| async move {
                    FlaskJson(json!({ "user": u.map(|CurrentUser(u)| u.username) }))
                }),
            )
            .route(
                "/zero",
                get(|CurrentUser(n): CurrentUser<i64>| async move { n.to_string() }),
            )
            .route(
                "/me",
                get(|CurrentUser(a): CurrentUser<Account>| async move { a.name.to_owned() }),
            )
            .route("/all", get(all))
            .route(
                "/token_header",
                get(|t: Jwt| async move { FlaskJson(Value::Object(t.header().clone())) }),
            )
            .route(
                "/refresh_token_header",
                get(|t: Jwt<Refresh>| async move { FlaskJson(Value::Object(t.header().clone())) }),
            )
    }

    fn json_or_error(jwt: &JwtManager, result: Result<Value, jwt_extended::Error>) -> Response {
        match result {
            Ok(body) => FlaskJson(body).into_response(),
            Err(error) => render_error(jwt, &error),
        }
    }

    async fn logout(State(jwt): State<JwtManager>, token: Jwt) -> Response {
        let revoked = jwt.revoke(&token).await;
        json_or_error(
            &jwt,
            revoked.map(|()| json!({"msg": "Access token revoked"})),
        )
    }

    fn blocklist_routes(router: Router<JwtManager>) -> Router<JwtManager> {
        router
            .route(
                "/login",
                post(|State(jwt): State<JwtManager>| async move {
                    json_or_error(&jwt, super::login_reply(&jwt))
                }),
            )
            .route("/logout", delete(logout))
            .route(
                "/refresh",
                post(
                    |State(jwt): State<JwtManager>, t: Jwt<Refresh>| async move {
                        json_or_error(&jwt, super::refresh_reply(&jwt, &t))
                    },
                ),
            )
    }

    fn layer(manager: &JwtManager, options: AppOptions) -> JwtLayer {
        let mut layer = JwtLayer::new(manager.clone());
        if let Some(limit) = options.body_limit {
            layer = layer.body_limit(limit);
        }
        if let Some(when) = options.buffer_json {
            layer = layer.buffer_json(when);
        }
        layer
    }

    fn app(manager: JwtManager, options: AppOptions) -> Router {
        let router = Router::new();
        let router = protected_routes(router);
        let router = optional_routes(router);
        let router = other_routes(router);
        let router = user_routes(router);
        let router = blocklist_routes(router);
        cookie_routes(router)
            .layer(layer(&manager, options))
            .with_state(manager)
    }

    pub(super) fn serve(
        listener: TcpListener,
        manager: JwtManager,
        options: AppOptions,
    ) -> Box<dyn FnOnce() + Send> {
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("nonblocking: {e}"));
        let listener =
            tokio::net::TcpListener::from_std(listener).unwrap_or_else(|e| panic!("listener: {e}"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app(manager, options)).await;
        });
        Box::new(move || task.abort())
    }
}

mod actix_app {
    use std::collections::HashMap;
    use std::net::TcpListener;

    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    use jwt_extended::JwtManager;
    use jwt_extended::actix::{
        Access, AnyType, CurrentUser, FlaskJson, Fresh, Jwt, JwtCookiesExt, JwtMiddleware,
        JwtRejection, Optional, Refresh, Requirement, manager_for, render_error,
        verify_jwt_in_request,
    };
    use jwt_extended::cookies::CookieSet;
    use serde_json::{Value, json};

    use super::{Account, AllLocations, AppOptions, HeadersOnly, User, cookie_options};

    type Params = web::Query<HashMap<String, String>>;
    type Manager = web::Data<JwtManager>;

    async fn foo_bar() -> FlaskJson<Value> {
        FlaskJson(json!({"foo": "bar"}))
    }

    async fn optional(Optional(token): Optional<Jwt>) -> FlaskJson<Value> {
        FlaskJson(super::optional_body(token.as_ref().map(|t| t.identity())))
    }

    async fn optional_foo_bar(_: Optional<Jwt>) -> FlaskJson<Value> {
        foo_bar().await
    }

    async fn whoami(token: Jwt) -> FlaskJson<Value> {
        FlaskJson(json!({"sub": token.identity()}))
    }

    async fn location<R: Requirement + 'static>(token: Jwt<R>) -> FlaskJson<Value> {
        FlaskJson(json!({"foo": "bar", "location": token.location().as_str()}))
    }

    async fn only_headers(token: Jwt<HeadersOnly>) -> FlaskJson<Value> {
        FlaskJson(json!({"location": token.location().as_str()}))
    }

    async fn echo(_token: Jwt, body: web::Bytes) -> FlaskJson<Value> {
        FlaskJson(json!({"received": String::from_utf8_lossy(&body)}))
    }

    async fn optional_identity(Optional(token): Optional<Jwt>) -> FlaskJson<Value> {
        FlaskJson(super::identity_body(token.as_ref().map(|t| t.identity())))
    }

    async fn verified_by_hand(request: HttpRequest) -> Result<FlaskJson<Value>, JwtRejection> {
        let jwt = manager_for(&request).map_err(JwtRejection::from_error)?;
        let options = jwt_extended::VerifyOptions::new();
        let verified = verify_jwt_in_request(&request, &jwt, &options).await?;
        Ok(FlaskJson(super::verified_body(verified.as_ref())))
    }

    async fn decode_expired(jwt: Manager) -> HttpResponse {
        let token = match super::expired_token(&jwt) {
            Ok(token) => token,
            Err(error) => return render_error(&jwt, &error),
        };
        match jwt.decode_token(&token).await {
            Ok(_) => FlaskJson(json!({"msg": "baz"})).into_response(),
            Err(error) => render_error(&jwt, &error),
        }
    }

    fn with_cookies(
        jwt: &JwtManager,
        cookies: Result<CookieSet, jwt_extended::Error>,
        body: Value,
    ) -> HttpResponse {
        match cookies {
            Ok(cookies) => {
                let mut response = FlaskJson(body).into_response();
                response.jwt_cookies(&cookies);
                response
            }
            Err(e) => render_error(jwt, &e),
        }
    }

    async fn access_token(jwt: Manager, params: Params) -> HttpResponse {
        let cookies = match jwt.create_access_token("username") {
            Ok(token) => {
                jwt.set_access_cookies_with(&token, &cookie_options(&params))
                    .await
            }
            Err(e) => Err(e),
        };
        with_cookies(&jwt, cookies, json!({"login": true}))
    }

    async fn refresh_token(jwt: Manager, params: Params) -> HttpResponse {
        let cookies = match jwt.create_refresh_token("username") {
            Ok(token) => {
                jwt.set_refresh_cookies_with(&token, &cookie_options(&params))
                    .await
            }
            Err(e) => Err(e),
        };
        with_cookies(&jwt, cookies, json!({"login": true}))
    }

    async fn delete_tokens(jwt: Manager, params: Params) -> HttpResponse {
        let cookies = jwt.unset_jwt_cookies_with(&cookie_options(&params));
        with_cookies(&jwt, Ok(cookies), json!({"logout": true}))
    }

    async fn delete_access(jwt: Manager, params: Params) -> HttpResponse {
        let cookies = jwt.unset_access_cookies_with(&cookie_options(&params));
        with_cookies(&jwt, Ok(cookies), json!({"access_revoked": true}))
    }

    async fn delete_refresh(jwt: Manager, params: Params) -> HttpResponse {
        let cookies = jwt.unset_refresh_cookies_with(&cookie_options(&params));
        with_cookies(&jwt, Ok(cookies), json!({"refresh_revoked": true}))
    }

    fn protected_routes(cfg: &mut web::ServiceConfig) {
        cfg.route("/protected", web::route().to(|_: Jwt| foo_bar()))
            .route("/post_protected", web::route().to(|_: Jwt| foo_bar()))
            .route(
                "/fresh_protected",
                web::route().to(|_: Jwt<Fresh>| foo_bar()),
            )
            .route(
                "/refresh_protected",
                web::route().to(|_: Jwt<Refresh>| foo_bar()),
            )
            .route(
                "/post_refresh_protected",
                web::route().to(|_: Jwt<Refresh>| foo_bar()),
            )
            .route(
                "/any_protected",
                web::route().to(|_: Jwt<AnyType>| foo_bar()),
            );
    }

    fn other_routes(cfg: &mut web::ServiceConfig) {
        cfg.route("/optional_protected", web::route().to(optional))
            .route(
                "/optional_post_protected",
                web::route().to(optional_foo_bar),
            )
            .route("/whoami", web::get().to(whoami))
            .route("/location", web::route().to(location::<Access>))
            .route("/location_all", web::route().to(location::<AllLocations>))
            .route("/only_headers", web::get().to(only_headers))
            .route("/echo", web::post().to(echo))
            .route("/optional_identity", web::route().to(optional_identity))
            .route(
                "/headers_protected",
                web::route().to(|_: Jwt<HeadersOnly>| foo_bar()),
            )
            .route("/verified_by_hand", web::get().to(verified_by_hand))
            .route("/decode_expired", web::get().to(decode_expired));
    }

    fn cookie_routes(cfg: &mut web::ServiceConfig) {
        cfg.route("/access_token", web::get().to(access_token))
            .route("/refresh_token", web::get().to(refresh_token))
            .route("/delete_tokens", web::get().to(delete_tokens))
            .route("/delete_access_tokens", web::get().to(delete_access))
            .route("/delete_refresh_tokens", web::get().to(delete_refresh));
    }

    async fn optional_user(
        Optional(token): Optional<Jwt>,
        Optional(user): Optional<CurrentUser<User>>,
    ) -> HttpResponse {
        let user = user.map(CurrentUser::into_inner);
        super::optional_user_reply(token.as_deref(), user.as_ref()).into_actix()
    }

    async fn optional_claims(Optional(token): Optional<Jwt>) -> FlaskJson<Value> {
        FlaskJson(super::claims_body(token.as_deref()))
    }

    async fn optional_text(Optional(token): Optional<Jwt>) -> String {
        super::optional_text(token.as_deref())
    }

    async fn get_user1(CurrentUser(user, _): CurrentUser<User>) -> FlaskJson<Value> {
        FlaskJson(json!({ "foo": user.username }))
    }

    async fn get_user2(token: Jwt) -> HttpResponse {
        super::loaded_user_reply(token.verified()).into_actix()
    }

    async fn maybe_user(Optional(user): Optional<CurrentUser<User>>) -> FlaskJson<Value> {
        FlaskJson(json!({ "user": user.map(|u| u.into_inner().username) }))
    }

    async fn zero(CurrentUser(n, _): CurrentUser<i64>) -> String {
        n.to_string()
    }

    async fn me(CurrentUser(account, _): CurrentUser<Account>) -> String {
        account.name.to_owned()
    }

    async fn all(
        first: Jwt,
        Optional(any): Optional<Jwt<AnyType>>,
        Optional(maybe): Optional<Jwt>,
        again: Jwt,
        CurrentUser(user, _): CurrentUser<User>,
    ) -> FlaskJson<Value> {
        FlaskJson(super::all_body(
            &first,
            any.as_deref(),
            maybe.as_deref(),
            &again,
            &user,
        ))
    }

    async fn token_header(token: Jwt) -> FlaskJson<Value> {
        FlaskJson(Value::Object(token.header().clone()))
    }

    async fn refresh_token_header(token: Jwt<Refresh>) -> FlaskJson<Value> {
        FlaskJson(Value::Object(token.header().clone()))
    }

    fn user_routes(cfg: &mut web::ServiceConfig) {
        cfg.route("/optional_user", web::route().to(optional_user))
            .route("/optional_claims", web::route().to(optional_claims))
            .route("/optional_text", web::route().to(optional_text))
            .route("/get_user1", web::get().to(get_user1))
            .route("/get_user2", web::get().to(get_user2))
            .route("/maybe_user", web::get().to(maybe_user))
            .route("/zero", web::get().to(zero))
            .route("/me", web::get().to(me))
            .route("/all", web::get().to(all))
            .route("/token_header", web::get().to(token_header))
            .route("/refresh_token_header", web::get().to(refresh_token_header));
    }

    fn json_or_error(jwt: &JwtManager, result: Result<Value, jwt_extended::Error>) -> HttpResponse {
        match result {
            Ok(body) => FlaskJson(body).into_response(),
            Err(error) => render_error(jwt, &error),
        }
    }

    async fn login(jwt: Manager) -> HttpResponse {
        json_or_error(&jwt, super::login_reply(&jwt))
    }

    async fn logout(jwt: Manager, token: Jwt) -> HttpResponse {
        let revoked = jwt.revoke(&token).await;
        json_or_error(
            &jwt,
            revoked.map(|()| json!({"msg": "Access token revoked"})),
        )
    }

    async fn refresh(jwt: Manager, token: Jwt<Refresh>) -> HttpResponse {
        json_or_error(&jwt, super::refresh_reply(&jwt, &token))
    }

    fn blocklist_routes(cfg: &mut web::ServiceConfig) {
        cfg.route("/login", web::post().to(login))
            .route("/logout", web::delete().to(logout))
            .route("/refresh", web::post().to(refresh));
    }

    fn middleware(manager: &JwtManager, options: AppOptions) -> JwtMiddleware {
        let mut middleware = JwtMiddleware::new(manager.clone());
        if let Some(limit) = options.body_limit {
            middleware = middleware.body_limit(limit);
        }
        if let Some(when) = options.buffer_json {
            middleware = middleware.buffer_json(when);
        }
        middleware
    }

    pub(super) fn serve(
        listener: TcpListener,
        manager: JwtManager,
        options: AppOptions,
    ) -> Box<dyn FnOnce() + Send> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let data = web::Data::new(manager.clone());
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .wrap(middleware(&manager, options))
                        .configure(protected_routes)
                        .configure(other_routes)
                        .configure(user_routes)
                        .configure(blocklist_routes)
                        .configure(cookie_routes)
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .unwrap_or_else(|e| panic!("listen: {e}"))
                .run();
                let _ = tx.send(server.handle());
                let _ = server.await;
            });
        });
        let handle = rx
            .recv()
            .unwrap_or_else(|e| panic!("actix server did not start: {e}"));
        Box::new(move || {
            drop(handle.stop(false));
        })
    }
}
