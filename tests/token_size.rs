//! Bounded tokens (issue 14 item 8): a token longer than
//! `JWT_MAX_TOKEN_SIZE` (16 KiB by default) is refused where it is found,
//! before any decoding: 431 with a JSON body from a header, a cookie or the
//! query string, 413 from the JSON body or `decode_token`. Tokens under the
//! limit answer exactly as before.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::get;
use common::{TestResponse, manager_with, request, send};
use jwt_extended::axum::{FlaskJson, Jwt, JwtLayer};
use jwt_extended::config::{DEFAULT_MAX_TOKEN_SIZE, TokenLocation};
use jwt_extended::{ErrorKind, JwtConfig, JwtManager, messages};
use serde_json::json;

use TokenLocation::{Cookies, Headers, Json, QueryString};

async fn protected(token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({"sub": token.identity()}))
}

fn app(config: JwtConfig) -> (Router, JwtManager) {
    let jwt = manager_with(config.with_token_location([Headers, Cookies, QueryString, Json]));
    let router = Router::new()
        .route("/protected", get(protected).post(protected))
        .layer(JwtLayer::new(jwt.clone()))
        .with_state(jwt.clone());
    (router, jwt)
}

/// A well-signed access token of at most `len` bytes, within a few bytes
/// of it (base64 grows in steps).
fn token_of_len(jwt: &JwtManager, len: usize) -> String {
    let make = |pad: usize| {
        jwt.access_token("alice")
            .additional_claims(json!({"pad": "g".repeat(pad)}))
            .create()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let base = make(0).len();
    let mut pad = len.saturating_sub(base) * 3 / 4 + 4;
    let mut token = make(pad);
    while token.len() > len {
        pad -= 1;
        token = make(pad);
    }
    assert!(len - token.len() < 4, "{} for {len}", token.len());
    token
}

async fn in_location(app: &Router, location: TokenLocation, token: &str) -> TestResponse {
    let builder = match location {
        Headers => {
            request(Method::GET, "/protected").header("authorization", format!("Bearer {token}"))
        }
        Cookies => request(Method::GET, "/protected")
            .header("cookie", format!("access_token_cookie={token}")),
        QueryString => request(Method::GET, &format!("/protected?jwt={token}")),
        _ => request(Method::POST, "/protected").header("content-type", "application/json"),
    };
    let body = match location {
        Json => Body::from(json!({"access_token": token}).to_string()),
        _ => Body::empty(),
    };
    send(app, builder.body(body).unwrap_or_default()).await
}

fn expected_status(location: TokenLocation) -> u16 {
    if location == Json { 413 } else { 431 }
}

#[track_caller]
fn assert_too_large(r: &TestResponse, status: u16, key: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.json(), json!({ key: messages::TOKEN_TOO_LARGE }));
    assert_eq!(
        r.body,
        format!("{{\"{key}\":\"{}\"}}\n", messages::TOKEN_TOO_LARGE).into_bytes()
    );
}

#[tokio::test]
async fn a_64_kb_well_signed_token_is_refused_in_every_location() {
    let (app, jwt) = app(JwtConfig::new());
    let token = token_of_len(&jwt, 64_000);
    // Well signed: decoding it without the limit would succeed.
    let unbounded = manager_with(JwtConfig::new().with_max_token_size(1 << 20));
    assert!(unbounded.decode_token(&token).await.is_ok());
    for location in [Headers, Cookies, QueryString, Json] {
        let r = in_location(&app, location, &token).await;
        assert_too_large(&r, expected_status(location), "msg");
    }
}

#[tokio::test]
async fn a_token_just_under_the_limit_is_accepted_everywhere() {
    let (app, jwt) = app(JwtConfig::new());
    let token = token_of_len(&jwt, DEFAULT_MAX_TOKEN_SIZE);
    for location in [Headers, Cookies, QueryString, Json] {
        let r = in_location(&app, location, &token).await;
        assert_eq!(r.status, 200, "{location:?}: {}", r.text());
        assert_eq!(r.json(), json!({"sub": "alice"}));
    }
    // One byte over, in a header: refused.
    let over = format!(
        "{token}{}",
        "A".repeat(DEFAULT_MAX_TOKEN_SIZE + 1 - token.len())
    );
    assert_too_large(&in_location(&app, Headers, &over).await, 431, "msg");
}

#[tokio::test]
async fn the_limit_counts_each_token_not_the_whole_header() {
    let (app, jwt) = app(JwtConfig::new());
    let token = token_of_len(&jwt, 10_000);
    // Two cookies of 10 KB each, 20 KB of Cookie header: the token is fine.
    let req = request(Method::GET, "/protected")
        .header(
            "cookie",
            format!("other={}; access_token_cookie={token}", "x".repeat(10_000)),
        )
        .body(Body::empty())
        .unwrap_or_default();
    assert_eq!(send(&app, req).await.status, 200);
    // A 20 KB Authorization header whose token part is 10 KB.
    let req = request(Method::GET, "/protected")
        .header(
            "authorization",
            format!("Basic {}, Bearer {token}", "x".repeat(10_000)),
        )
        .body(Body::empty())
        .unwrap_or_default();
    assert_eq!(send(&app, req).await.status, 200);
}

#[tokio::test]
async fn a_custom_limit_from_code_and_from_the_environment() {
    let from_code = JwtConfig::new()
        .with_max_token_size(2048)
        .with_error_message_key("message");
    let from_env = JwtConfig::from_vars([
        ("JWT_MAX_TOKEN_SIZE", "2048"),
        ("JWT_ERROR_MESSAGE_KEY", "message"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_env.max_token_size(), 2048);
    for config in [from_code, from_env] {
        let (app, jwt) = app(config);
        let fits = token_of_len(&jwt, 2048);
        let over = token_of_len(&jwt, 2100);
        for location in [Headers, Cookies, QueryString, Json] {
            let r = in_location(&app, location, &fits).await;
            assert_eq!(r.status, 200, "{location:?}: {}", r.text());
            let r = in_location(&app, location, &over).await;
            assert_too_large(&r, expected_status(location), "message");
        }
    }
    // A larger limit accepts the 64 KB token.
    let (app, jwt) = app(JwtConfig::new().with_max_token_size(128 * 1024));
    let big = token_of_len(&jwt, 64_000);
    assert_eq!(in_location(&app, Headers, &big).await.status, 200);
}

#[tokio::test]
async fn the_check_comes_before_csrf_and_decoding() {
    let (app, _) = app(JwtConfig::new());
    // Garbage that would fail decoding ("Not enough segments") and a POST
    // without its CSRF value: the size is what is reported.
    let garbage = "A".repeat(20_000);
    let req = request(Method::POST, "/protected")
        .header("cookie", format!("access_token_cookie={garbage}"))
        .body(Body::empty())
        .unwrap_or_default();
    assert_too_large(&send(&app, req).await, 431, "msg");
    // Under the limit, the same garbage keeps the reference's answers.
    let small = "A".repeat(1000);
    in_location(&app, Headers, &small)
        .await
        .assert_error(422, "Not enough segments");
}

#[tokio::test]
async fn decode_token_refuses_with_413() {
    let jwt = manager_with(JwtConfig::new());
    let token = token_of_len(&jwt, 64_000);
    let error = jwt
        .decode_token(&token)
        .await
        .err()
        .unwrap_or_else(|| panic!("a 64 KB token was decoded"));
    assert_eq!(error.kind(), ErrorKind::TokenTooLarge);
    assert_eq!(error.kind().as_str(), "token_too_large");
    assert_eq!(error.message(), messages::TOKEN_TOO_LARGE);
    assert_eq!(error.status(), 413);
    assert_eq!(ErrorKind::TokenTooLarge.status(), 431);
    let header = jwt.unverified_header(&token).err().map(|e| e.kind());
    assert_eq!(header, Some(ErrorKind::TokenTooLarge));
    // Rendered through the manager's responses.
    let response = jwt_extended::axum::render_error(&jwt, &error);
    assert_eq!(response.status(), 413);
    let small = token_of_len(&jwt, 4000);
    assert!(jwt.decode_token(&small).await.is_ok());
}

#[tokio::test]
async fn a_custom_response_for_the_kind_is_used() {
    use jwt_extended::axum::JwtManagerBuilderExt;
    let jwt = JwtManager::builder(JwtConfig::new().with_secret_key(common::SECRET))
        .error_kind_response(ErrorKind::TokenTooLarge, |error| {
            (
                error.status(),
                FlaskJson(json!({"error": error.kind().as_str()})),
            )
                .into_response()
        })
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let router = Router::new()
        .route("/protected", get(protected))
        .with_state(jwt.clone());
    let token = token_of_len(&jwt, 20_000);
    let r = in_location(&router, Headers, &token).await;
    assert_eq!(r.status, 431);
    assert_eq!(r.json(), json!({"error": "token_too_large"}));
}

/// hyper accepts header sections up to about 400 KiB (its default read
/// buffer), so a 200 KB `Authorization` header reaches the crate, which must
/// answer with its own JSON 431 rather than decode it.
#[tokio::test]
async fn a_200_kb_header_over_real_http_gets_our_json_431() {
    let (app, _) = app(JwtConfig::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let huge = format!("Bearer {}", "a.".repeat(100_000));
    let response = client
        .get(format!("http://{addr}/protected"))
        .header("authorization", huge)
        .send()
        .await
        .unwrap_or_else(|e| panic!("request: {e}"));
    assert_eq!(response.status().as_u16(), 431);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body, json!({"msg": messages::TOKEN_TOO_LARGE}));
    server.abort();
}

/// The child side of `the_limit_is_read_from_the_process_environment`:
/// does nothing in a normal test run. (The process environment cannot be
/// changed from a test without `unsafe`, so the parent runs this binary
/// again with a chosen environment, as `tests/env_config.rs` does.)
#[tokio::test]
async fn child_with_the_limit_in_its_environment() {
    if std::env::var("TOKEN_SIZE_CHILD").is_err() {
        return;
    }
    let config = JwtConfig::from_env().unwrap_or_else(|e| panic!("{e}"));
    let (app, jwt) = app(config);
    let fits = in_location(&app, Headers, &token_of_len(&jwt, 2048)).await;
    let over = in_location(&app, Headers, &token_of_len(&jwt, 2100)).await;
    println!(
        "REPORT: limit={} fits={} over={} {}",
        jwt.config().max_token_size(),
        fits.status.as_u16(),
        over.status.as_u16(),
        over.text().trim_end()
    );
}

#[test]
fn the_limit_is_read_from_the_process_environment() {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let output = std::process::Command::new(exe)
        .args([
            "--exact",
            "child_with_the_limit_in_its_environment",
            "--nocapture",
        ])
        .env_clear()
        .env("TOKEN_SIZE_CHILD", "1")
        .env("JWT_SECRET_KEY", common::SECRET)
        .env("JWT_MAX_TOKEN_SIZE", "2048")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the child test: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed: {stdout}");
    let report = stdout
        .lines()
        .find_map(|line| line.strip_prefix("REPORT: "))
        .unwrap_or_else(|| panic!("no report from the child: {stdout}"));
    assert_eq!(
        report,
        r#"limit=2048 fits=200 over=431 {"msg":"Token is too large"}"#
    );
}
