//! Sessions through a real Router (memory store; the per-store contract is
//! tests/session_contract.rs, the `sessions` example's end-to-end check
//! interop/sessions_check.py): logout of a browser client whose access and
//! refresh tokens are both cookies, with one CSRF header, and logout with
//! the access token alone.

mod common;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::Method;
use axum::routing::{get, post};
use common::*;
use jwt_extended::axum::{FlaskJson, Jwt, JwtRejection, RefreshToRevoke};
use jwt_extended::blocklist::MemoryBlocklist;
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

async fn logout(
    State(jwt): State<JwtManager>,
    access: Jwt,
    refresh: Option<Jwt<RefreshToRevoke>>,
) -> Result<FlaskJson<Value>, JwtRejection> {
    jwt.revoke_session_of(&access).await?;
    let refresh = refresh.filter(|t| t.is_refresh());
    let refresh_seen = refresh.is_some();
    if let Some(refresh) = refresh {
        jwt.revoke(&refresh).await?;
    }
    Ok(FlaskJson(
        json!({"msg": "Logged out", "refresh_seen": refresh_seen}),
    ))
}

async fn protected(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({"sid": token.session_id()}))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/logout", post(logout))
        .route("/protected", get(protected))
        .with_state(jwt)
}

fn cookie_manager() -> JwtManager {
    JwtManager::builder(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_token_location([TokenLocation::Cookies, TokenLocation::Headers]),
    )
    .session_store(MemoryBlocklist::new())
    .build()
    .unwrap_or_else(|e| panic!("{e}"))
}

fn cookie_request(
    method: Method,
    uri: &str,
    cookies: &str,
    csrf: Option<&str>,
) -> axum::http::Request<Body> {
    let mut builder = request(method, uri).header("Cookie", cookies);
    if let Some(csrf) = csrf {
        builder = builder.header("X-CSRF-TOKEN", csrf);
    }
    builder.body(Body::empty()).unwrap_or_default()
}

#[tokio::test]
async fn browser_logout_with_both_cookies_and_one_csrf_header() {
    let jwt = cookie_manager();
    let app = app(jwt.clone());
    let pair = jwt
        .token_pair("alice")
        .create()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let access_csrf = payload(&pair.access_token)["csrf"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let cookies = format!(
        "access_token_cookie={}; refresh_token_cookie={}",
        pair.access_token, pair.refresh_token
    );

    // The access token's CSRF check still guards the route.
    send(
        &app,
        cookie_request(Method::POST, "/logout", &cookies, None),
    )
    .await
    .assert_error(401, "Missing CSRF token");

    // One header, the access token's value: the refresh cookie does not
    // fight over it.
    let response = send(
        &app,
        cookie_request(Method::POST, "/logout", &cookies, Some(&access_csrf)),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"msg": "Logged out", "refresh_seen": true})
    );

    for token in [&pair.access_token, &pair.refresh_token] {
        let decoded = jwt
            .decode_token(token)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(jwt.is_revoked(&decoded).await.unwrap_or(false));
    }
    // Logging out again with the now revoked cookies is refused by the
    // access token's check (revoked), never a 500.
    send(
        &app,
        cookie_request(Method::POST, "/logout", &cookies, Some(&access_csrf)),
    )
    .await
    .assert_error(401, "Token has been revoked");
}

#[tokio::test]
async fn api_logout_with_the_access_token_alone() {
    let jwt = cookie_manager();
    let app = app(jwt.clone());
    let pair = jwt
        .token_pair("bob")
        .create()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let response = http_get_bearer(&app, "/protected", &pair.access_token).await;
    assert_eq!(response.json(), json!({"sid": pair.session_id}));
    let logout = send(
        &app,
        request(Method::POST, "/logout")
            .header("Authorization", format!("Bearer {}", pair.access_token))
            .body(Body::empty())
            .unwrap_or_default(),
    )
    .await;
    assert_eq!(
        logout.json(),
        json!({"msg": "Logged out", "refresh_seen": false})
    );
    let refresh = jwt
        .decode_token(&pair.refresh_token)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(jwt.is_revoked(&refresh).await.unwrap_or(false));
    assert!(
        jwt.sessions(&json!("bob"))
            .await
            .unwrap_or_default()
            .is_empty()
    );
    let reused = jwt.rotate_refresh_token(&refresh).await;
    assert_eq!(
        reused.err().map(|e| e.kind()),
        Some(jwt_extended::ErrorKind::RevokedToken)
    );
}

#[tokio::test]
async fn session_apis_need_a_session_store() {
    let jwt = manager();
    let error = jwt.sessions(&json!("alice")).await.err();
    assert_eq!(
        error.map(|e| e.kind()),
        Some(jwt_extended::ErrorKind::Misconfigured)
    );
    // Pairs still work without one (not recorded), as create_token_pair did.
    let pair = jwt.token_pair("alice").fresh(true).create().await;
    assert!(pair.is_ok());
}
