//! Issue 13, item 7: `TokenBuilder::issue` (the token with its `jti`, CSRF
//! value and expiry), the cookie helpers taking an `IssuedToken` without
//! decoding it, `set_jwt_cookies`, and the context-aware claims loader.

mod common;
mod cookie_support;

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::{SECRET, manager_with, payload};
use cookie_support::Client;
use jwt_extended::axum::{FlaskJson, Jwt, JwtLayer, Refresh, render_error};
use jwt_extended::config::TokenLocation;
use jwt_extended::cookies::{CookieOptions, CookieSet};
use jwt_extended::token::{CreationContext, IssuedToken};
use jwt_extended::{ErrorKind, JwtConfig, JwtManager, TokenType};
use serde_json::{Value, json};

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

fn lines(cookies: &CookieSet) -> Vec<String> {
    cookies.header_values().collect()
}

fn issue(jwt: &JwtManager, token_type: TokenType) -> IssuedToken {
    match token_type {
        TokenType::Access => ok(jwt.access_token("alice").issue()),
        TokenType::Refresh => ok(jwt.refresh_token("alice").issue()),
    }
}

/// The keys of a token's payload, in the order they were written (the
/// payload's values here are flat, so every `"name":` is a key).
fn payload_keys(token: &str) -> Vec<String> {
    use base64::Engine as _;
    let part = token.split('.').nth(1).unwrap_or_default();
    let json = ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part));
    let json = ok(String::from_utf8(json));
    let pieces: Vec<&str> = json.split("\":").collect();
    // Every piece but the last ends with a key; the last is the last value.
    pieces[..pieces.len() - 1]
        .iter()
        .filter_map(|before| before.rsplit('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn issued_token_knows_what_decoding_would_tell() {
    let jwt = manager_with(JwtConfig::new());
    for token_type in [TokenType::Access, TokenType::Refresh] {
        let issued = issue(&jwt, token_type);
        let decoded = ok(jwt.decode_token(issued.as_str()).await);
        assert_eq!(issued.token_type(), token_type);
        assert_eq!(decoded.token_type(), Some(token_type.as_str()));
        assert_eq!(issued.jti(), decoded.jti());
        assert_eq!(issued.csrf(), decoded.csrf());
        assert_eq!(issued.expires_at(), decoded.expires_at());
        assert!(issued.jti().is_some() && issued.csrf().is_some());
    }
}

#[tokio::test]
async fn issue_writes_the_same_layout_as_create() {
    let jwt = manager_with(
        JwtConfig::new()
            .with_encode_nbf(true)
            .with_encode_issuer("me"),
    );
    let created = ok(jwt.access_token("alice").fresh(true).create());
    let issued = ok(jwt.access_token("alice").fresh(true).issue());
    let keys = payload_keys(&created);
    assert_eq!(
        keys,
        [
            "fresh", "iat", "jti", "type", "sub", "nbf", "csrf", "iss", "exp"
        ]
    );
    assert_eq!(keys, payload_keys(issued.as_str()));
    assert_eq!(
        common::header(&created),
        common::header(issued.as_str()),
        "same header"
    );
    let issued: String = issued.into();
    assert_eq!(issued.split('.').count(), 3);
}

#[test]
fn issued_token_reflects_overriding_claims() {
    let jwt = manager_with(JwtConfig::new());
    let issued = ok(jwt
        .refresh_token("alice")
        .additional_claims(json!({"jti": "session-1", "csrf": 7}))
        .expires_at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000))
        .issue());
    assert_eq!(issued.jti(), Some("session-1"));
    assert_eq!(
        issued.csrf(),
        None,
        "a non-string csrf claim is no CSRF value"
    );
    assert_eq!(issued.expires_at(), Some(1_000));
    let never = ok(jwt.access_token("alice").never_expires().issue());
    assert_eq!(never.expires_at(), None);
}

#[test]
fn issued_token_is_a_redacted_credential() {
    let jwt = manager_with(JwtConfig::new());
    let issued = issue(&jwt, TokenType::Access);
    let debug = format!("{issued:?}");
    assert!(!debug.contains(issued.as_str()), "{debug}");
    let csrf = issued.csrf().unwrap_or_default();
    assert!(!debug.contains(csrf), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
    assert_eq!(issued.to_string(), issued.as_str());
    assert_eq!(AsRef::<str>::as_ref(&issued), issued.as_str());
    assert_eq!(
        ok(serde_json::to_value(&issued)),
        Value::from(issued.as_str())
    );
    assert_eq!(issued.clone(), issued);
}

#[tokio::test]
async fn issued_and_encoded_tokens_give_the_same_cookies() {
    let jwt = manager_with(JwtConfig::new());
    let access = issue(&jwt, TokenType::Access);
    let refresh = issue(&jwt, TokenType::Refresh);
    let encoded_access: String = access.to_string();
    let encoded_refresh: &str = refresh.as_str();
    assert_eq!(
        lines(&ok(jwt.set_access_cookies(&access).await)),
        lines(&ok(jwt.set_access_cookies(&encoded_access).await))
    );
    assert_eq!(
        lines(&ok(jwt.set_refresh_cookies(&refresh).await)),
        lines(&ok(jwt.set_refresh_cookies(encoded_refresh).await))
    );
    let expected = [
        format!("access_token_cookie={access}; HttpOnly; Path=/"),
        format!(
            "csrf_access_token={}; Path=/",
            access.csrf().unwrap_or_default()
        ),
    ];
    assert_eq!(lines(&ok(jwt.set_access_cookies(&access).await)), expected);
}

#[tokio::test]
async fn set_jwt_cookies_is_access_then_refresh() {
    let jwt = manager_with(
        JwtConfig::new()
            .with_cookie_domain("example.com")
            .with_access_cookie_path("/api")
            .with_refresh_cookie_path("/auth"),
    );
    let access = issue(&jwt, TokenType::Access);
    let refresh = issue(&jwt, TokenType::Refresh);
    let both = ok(jwt.set_jwt_cookies(&access, &refresh).await);
    let separately = ok(jwt.set_access_cookies(&access).await)
        .merge(ok(jwt.set_refresh_cookies(&refresh).await));
    assert_eq!(both, separately);
    let names: Vec<&str> = both.cookies().iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        [
            "access_token_cookie",
            "csrf_access_token",
            "refresh_token_cookie",
            "csrf_refresh_token"
        ]
    );
    // Mixed kinds: an encoded refresh token is verified, same cookies.
    let mixed = ok(jwt.set_jwt_cookies(&access, refresh.as_str()).await);
    assert_eq!(mixed, both);
}

#[tokio::test]
async fn set_jwt_cookies_with_applies_options_to_all_four() {
    let jwt = manager_with(JwtConfig::new());
    let access = issue(&jwt, TokenType::Access);
    let refresh = issue(&jwt, TokenType::Refresh);
    let options = CookieOptions::default().max_age(60).domain("example.org");
    let both = ok(jwt.set_jwt_cookies_with(&access, &refresh, &options).await);
    assert_eq!(both.cookies().len(), 4);
    for line in both.header_values() {
        assert!(line.contains("; Domain=example.org; Expires="), "{line}");
        assert!(line.contains("; Max-Age=60;"), "{line}");
    }
}

#[tokio::test]
async fn set_jwt_cookies_without_csrf_cookies() {
    let jwt = manager_with(JwtConfig::new().with_csrf_in_cookies(false));
    let access = issue(&jwt, TokenType::Access);
    let refresh = issue(&jwt, TokenType::Refresh);
    let both = ok(jwt.set_jwt_cookies(&access, &refresh).await);
    assert_eq!(
        lines(&both),
        [
            format!("access_token_cookie={access}; HttpOnly; Path=/"),
            format!("refresh_token_cookie={refresh}; HttpOnly; Path=/"),
        ]
    );
}

#[tokio::test]
async fn an_issued_token_is_not_decoded() {
    // Already expired: an encoded token fails verification, the issued one
    // still gets its cookies (nothing is decoded).
    let jwt = manager_with(JwtConfig::new());
    let issued = ok(jwt
        .access_token("alice")
        .expires_at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000))
        .issue());
    let error = jwt.set_access_cookies(issued.as_str()).await.err();
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::ExpiredToken));
    let cookies = ok(jwt.set_access_cookies(&issued).await);
    assert_eq!(cookies.cookies()[0].value(), issued.as_str());
}

#[tokio::test]
async fn missing_csrf_claim_is_reported_for_both_kinds() {
    let jwt = manager_with(JwtConfig::new());
    let issued = ok(jwt
        .access_token("alice")
        .additional_claims(json!({"csrf": null}))
        .issue());
    for result in [
        jwt.set_access_cookies(&issued).await,
        jwt.set_access_cookies(issued.as_str()).await,
    ] {
        let error = result.err();
        assert_eq!(
            error.as_ref().map(|e| (e.kind(), e.to_string())),
            Some((ErrorKind::MissingClaim, "Missing claim: csrf".to_owned()))
        );
    }
}

#[tokio::test]
async fn set_jwt_cookies_reports_the_access_token_first() {
    let jwt = manager_with(JwtConfig::new());
    let expired = ok(jwt
        .access_token("alice")
        .expires_at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000))
        .create());
    let bad_refresh = "not.a.token";
    let error = jwt.set_jwt_cookies(&expired, bad_refresh).await.err();
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::ExpiredToken));
}

#[tokio::test]
async fn every_encoded_string_type_is_accepted() {
    let jwt = manager_with(JwtConfig::new());
    let token: String = ok(jwt.create_access_token("alice"));
    let expected = lines(&ok(jwt.set_access_cookies(&token).await));
    let as_str: &str = &token;
    let boxed: Box<str> = token.clone().into_boxed_str();
    let cow: std::borrow::Cow<'_, str> = std::borrow::Cow::Borrowed(as_str);
    let arc: std::sync::Arc<str> = std::sync::Arc::from(as_str);
    assert_eq!(lines(&ok(jwt.set_access_cookies(as_str).await)), expected);
    assert_eq!(lines(&ok(jwt.set_access_cookies(&as_str).await)), expected);
    assert_eq!(lines(&ok(jwt.set_access_cookies(&boxed).await)), expected);
    assert_eq!(lines(&ok(jwt.set_access_cookies(&cow).await)), expected);
    assert_eq!(lines(&ok(jwt.set_access_cookies(&arc).await)), expected);
}

// --- a login through a Router, as an app would write it ---

async fn login(State(jwt): State<JwtManager>) -> Response {
    let cookies = async {
        let access = jwt.access_token("alice").issue()?;
        let refresh = jwt.refresh_token("alice").issue()?;
        jwt.set_jwt_cookies(&access, &refresh).await
    };
    match cookies.await {
        Ok(cookies) => (cookies, FlaskJson(json!({"login": true}))).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn protected(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({"user": token.identity()}))
}

async fn refresh(token: Jwt<Refresh>) -> FlaskJson<Value> {
    FlaskJson(json!({"refreshed_for": token.identity()}))
}

fn login_app() -> Router {
    let jwt = manager_with(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_token_location([TokenLocation::Cookies]),
    );
    Router::new()
        .route("/login", post(login))
        .route("/protected", get(protected).post(protected))
        .route("/refresh", post(refresh))
        .layer(JwtLayer::new(jwt.clone()))
        .with_state(jwt)
}

#[tokio::test]
async fn a_login_with_set_jwt_cookies_opens_both_routes() {
    let app = login_app();
    let mut client = Client::new();
    let login = client.send(&app, Method::POST, "/login", &[], None).await;
    assert_eq!(login.status, 200);
    assert_eq!(login.set_cookies().len(), 4);

    let r = client.get_path(&app, "/protected").await;
    assert_eq!(
        (r.status.as_u16(), r.json()),
        (200, json!({"user": "alice"}))
    );

    let csrf_access = client
        .get("csrf_access_token")
        .unwrap_or_default()
        .to_owned();
    let r = client
        .post_path(&app, "/protected", &[("X-CSRF-TOKEN", &csrf_access)])
        .await;
    assert_eq!(r.status, 200);

    let csrf_refresh = client
        .get("csrf_refresh_token")
        .unwrap_or_default()
        .to_owned();
    let r = client
        .post_path(&app, "/refresh", &[("X-CSRF-TOKEN", &csrf_refresh)])
        .await;
    assert_eq!(
        (r.status.as_u16(), r.json()),
        (200, json!({"refreshed_for": "alice"}))
    );
}

// --- the claims loader that knows the token type ---

#[tokio::test]
async fn claims_loader_with_context_sees_the_token_type() {
    let jwt = ok(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
            .additional_claims_loader_with_context(|token: &CreationContext<'_>| {
                json!({
                    "kind": token.token_type().as_str(),
                    "who": token.identity(),
                })
            })
            .build(),
    );
    for token_type in [TokenType::Access, TokenType::Refresh] {
        let issued = issue(&jwt, token_type);
        let decoded = ok(jwt.decode_token(issued.as_str()).await);
        assert_eq!(decoded.claim("kind"), Some(&json!(token_type.as_str())));
        assert_eq!(decoded.claim("who"), Some(&json!("alice")));
    }
    // Per-call claims still win over the loader's.
    let token = ok(jwt
        .access_token("alice")
        .additional_claims(json!({"kind": "override"}))
        .create());
    assert_eq!(payload(&token)["kind"], "override");
}

#[tokio::test]
async fn the_last_claims_loader_registered_wins() {
    let contextual = ok(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
            .additional_claims_loader(|_: &Value| json!({"plain": true}))
            .additional_claims_loader_with_context(|_: &CreationContext<'_>| json!({"ctx": true}))
            .build(),
    );
    let token = ok(contextual.create_access_token("alice"));
    assert_eq!(payload(&token).get("plain"), None);
    assert_eq!(payload(&token)["ctx"], true);

    let plain = ok(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
            .additional_claims_loader_with_context(|_: &CreationContext<'_>| json!({"ctx": true}))
            .additional_claims_loader(|_: &Value| json!({"plain": true}))
            .build(),
    );
    let token = ok(plain.create_access_token("alice"));
    assert_eq!(payload(&token).get("ctx"), None);
    assert_eq!(payload(&token)["plain"], true);
}

#[test]
fn a_context_loader_that_returns_no_object_is_an_encode_error() {
    let jwt = ok(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
            .additional_claims_loader_with_context(|_: &CreationContext<'_>| json!([1, 2]))
            .build(),
    );
    let error = jwt.access_token("alice").issue().err();
    assert_eq!(
        error.as_ref().map(|e| (e.kind(), e.to_string())),
        Some((
            ErrorKind::Encode,
            "additional_claims_loader must return a JSON object, not [1,2]".to_owned()
        ))
    );
}
