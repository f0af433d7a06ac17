//! `ImplicitRefreshLayer`: renews access cookies near expiry, and leaves
//! every other response alone.

mod common;
mod cookie_support;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::{TestResponse, hs_token, manager_with, now, payload, request, send};
use cookie_support::parsed;
use jwt_extended::axum::{
    FlaskJson, ImplicitRefreshLayer, Jwt, Refresh, RequireJwtLayer, render_error,
};
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

const WINDOW: Duration = Duration::from_secs(30 * 60);

fn config() -> JwtConfig {
    JwtConfig::new()
        .with_token_location([TokenLocation::Cookies, TokenLocation::Headers])
        .with_access_token_expires(Duration::from_secs(3600))
}

async fn protected(token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({"user": token.identity()}))
}

async fn optional(token: Option<Jwt>) -> impl IntoResponse {
    FlaskJson(json!({"user": token.map(|t| t.identity().clone())}))
}

async fn logout(State(jwt): State<JwtManager>, _token: Jwt) -> Response {
    (jwt.unset_jwt_cookies(), FlaskJson(json!({"msg": "bye"}))).into_response()
}

async fn login(State(jwt): State<JwtManager>, _token: Jwt) -> Response {
    let cookies = match jwt.create_access_token("someone-else") {
        Ok(t) => jwt.set_access_cookies(&t).await,
        Err(e) => Err(e),
    };
    match cookies {
        Ok(c) => (c, FlaskJson(json!({"msg": "switched"}))).into_response(),
        Err(e) => render_error(&jwt, &e),
    }
}

async fn teapot(_token: Jwt) -> impl IntoResponse {
    (StatusCode::IM_A_TEAPOT, "short and stout")
}

async fn refresh_route(_token: Jwt<Refresh>) -> impl IntoResponse {
    "refreshed"
}

fn app(jwt: &JwtManager, layer: ImplicitRefreshLayer) -> Router {
    let guarded: Router<JwtManager> = Router::new()
        .route("/guarded", get(|| async { "plain handler" }))
        .route_layer(RequireJwtLayer::<jwt_extended::axum::Access>::new(
            jwt.clone(),
        ));
    Router::new()
        .route(
            "/protected",
            get(protected).post(protected).options(protected),
        )
        .route("/optional", get(optional))
        .route("/logout", post(logout))
        .route("/login_as_other", post(login))
        .route("/teapot", get(teapot))
        .route("/refresh", post(refresh_route))
        .route("/open", get(|| async { "open" }))
        .merge(guarded)
        .layer(layer)
        .with_state(jwt.clone())
}

fn setup() -> (Router, JwtManager) {
    let jwt = manager_with(config());
    let router = app(&jwt, ImplicitRefreshLayer::new(jwt.clone(), WINDOW));
    (router, jwt)
}

/// An access token issued `age` seconds ago that lives an hour, with extras.
fn aged(age: i64, extra: Value) -> String {
    let iat = now() - age;
    let mut claims = json!({
        "fresh": false, "iat": iat, "jti": "4f1a7d5e-2b1c-4c55-9a44-1b2c3d4e5f60",
        "type": "access", "sub": "alice", "nbf": iat,
        "csrf": "0d6f3e8a-6c57-4a5e-bd6c-7f1c2b3a4d5e", "exp": iat + 3600,
    });
    if let (Value::Object(map), Value::Object(extra)) = (&mut claims, extra) {
        for (k, v) in extra {
            if v.is_null() {
                map.remove(&k);
            } else {
                map.insert(k, v);
            }
        }
    }
    hs_token(
        common::SECRET,
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims,
    )
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    cookie: &str,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut builder =
        request(method, uri).header("cookie", format!("access_token_cookie={cookie}"));
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    send(app, builder.body(Body::empty()).unwrap_or_default()).await
}

#[track_caller]
fn assert_renewed(r: &TestResponse, identity: &str) -> Value {
    let cookies = parsed(r);
    assert_eq!(
        cookies.len(),
        2,
        "JWT and CSRF cookie: {:?}",
        r.set_cookies()
    );
    let jwt_cookie = cookies.iter().find(|c| c.name == "access_token_cookie");
    let csrf_cookie = cookies.iter().find(|c| c.name == "csrf_access_token");
    let (Some(jwt_cookie), Some(csrf_cookie)) = (jwt_cookie, csrf_cookie) else {
        panic!("renewal cookies missing: {:?}", r.set_cookies());
    };
    assert!(jwt_cookie.has("httponly") && !csrf_cookie.has("httponly"));
    let claims = payload(&jwt_cookie.value);
    assert_eq!(claims["sub"], json!(identity));
    assert_eq!(claims["type"], json!("access"));
    assert_eq!(claims["fresh"], json!(false));
    assert_eq!(claims["csrf"], json!(csrf_cookie.value));
    let lifetime =
        claims["exp"].as_i64().unwrap_or_default() - claims["iat"].as_i64().unwrap_or_default();
    assert_eq!(lifetime, 3600);
    claims
}

#[track_caller]
fn assert_untouched(r: &TestResponse) {
    assert!(
        r.set_cookies().is_empty(),
        "unexpected cookies: {:?}",
        r.set_cookies()
    );
}

#[tokio::test]
async fn renews_within_the_window_only() {
    let (app, _) = setup();
    // 50 and 31 minutes old (10 and 29 minutes left): renewed.
    for age in [3000, 31 * 60] {
        let r = call(&app, Method::GET, "/protected", &aged(age, json!({})), &[]).await;
        assert_eq!(r.status, 200);
        assert_renewed(&r, "alice");
    }
    // 29 minutes old (31 minutes left): not yet.
    let r = call(
        &app,
        Method::GET,
        "/protected",
        &aged(29 * 60, json!({})),
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_untouched(&r);
    // No `exp`: never expires, never renewed.
    let r = call(
        &app,
        Method::GET,
        "/protected",
        &aged(3000, json!({"exp": null})),
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_untouched(&r);
}

#[tokio::test]
async fn renewal_works_and_is_usable() {
    let (app, _) = setup();
    let r = call(&app, Method::GET, "/protected", &aged(3000, json!({})), &[]).await;
    let claims = assert_renewed(&r, "alice");
    let new_cookie = parsed(&r)
        .into_iter()
        .find(|c| c.name == "access_token_cookie")
        .map(|c| c.value)
        .unwrap_or_default();
    let csrf = claims["csrf"].as_str().unwrap_or_default().to_owned();
    // The new pair works for a CSRF-protected POST, and is not renewed again.
    let r = call(
        &app,
        Method::POST,
        "/protected",
        &new_cookie,
        &[("X-CSRF-TOKEN", &csrf)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_untouched(&r);
}

#[tokio::test]
async fn identity_only_by_default_claims_on_request() {
    let (router, jwt) = setup();
    let old = aged(3000, json!({"sub": "other", "role": "admin"}));
    let r = call(&router, Method::GET, "/protected", &old, &[]).await;
    let claims = assert_renewed(&r, "other");
    assert!(
        claims.get("role").is_none(),
        "custom claims are not copied by default"
    );

    let keeping = app(
        &jwt,
        ImplicitRefreshLayer::new(jwt.clone(), WINDOW).keep_custom_claims(true),
    );
    let r = call(&keeping, Method::GET, "/protected", &old, &[]).await;
    let claims = assert_renewed(&r, "other");
    assert_eq!(claims["role"], json!("admin"));
    assert_ne!(claims["jti"], json!("4f1a7d5e-2b1c-4c55-9a44-1b2c3d4e5f60"));
}

#[tokio::test]
async fn the_loader_supplies_claims_again() {
    let jwt = JwtManager::builder(config().with_secret_key(common::SECRET))
        .additional_claims_loader(|identity: &Value| json!({"role_of": identity}))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let router = app(&jwt, ImplicitRefreshLayer::new(jwt.clone(), WINDOW));
    let r = call(
        &router,
        Method::GET,
        "/protected",
        &aged(3000, json!({})),
        &[],
    )
    .await;
    let claims = assert_renewed(&r, "alice");
    assert_eq!(claims["role_of"], json!("alice"));
}

#[tokio::test]
async fn never_touches_requests_without_a_valid_token() {
    let (app, jwt) = setup();
    let near = aged(3000, json!({}));
    // Unprotected route with a near-expiry cookie.
    assert_untouched(&call(&app, Method::GET, "/open", &near, &[]).await);
    // Expired, garbage, wrong signature.
    let r = call(&app, Method::GET, "/protected", &aged(7200, json!({})), &[]).await;
    r.assert_error(401, "Token has expired");
    assert_untouched(&r);
    let r = call(&app, Method::GET, "/protected", "foobarbaz", &[]).await;
    assert_eq!(r.status, 422);
    assert_untouched(&r);
    let other = manager_with(config().with_secret_key("another"));
    let foreign = other
        .access_token("alice")
        .expires_in(Duration::from_secs(60))
        .create()
        .unwrap_or_default();
    let r = call(&app, Method::GET, "/protected", &foreign, &[]).await;
    assert_eq!(r.status, 422);
    assert_untouched(&r);
    // CSRF failure.
    let r = call(&app, Method::POST, "/protected", &near, &[]).await;
    r.assert_error(401, "Missing CSRF token");
    assert_untouched(&r);
    // OPTIONS is never renewed.
    let r = call(&app, Method::OPTIONS, "/protected", &near, &[]).await;
    assert_eq!(r.status, 200);
    assert_untouched(&r);
    // Optional route without a token.
    let req = request(Method::GET, "/optional")
        .body(Body::empty())
        .unwrap_or_default();
    assert_untouched(&send(&app, req).await);
    // A refresh token is never turned into an access cookie.
    let refresh = jwt
        .refresh_token("alice")
        .expires_in(Duration::from_secs(60))
        .create()
        .unwrap_or_default();
    let req = request(Method::POST, "/refresh")
        .header("cookie", format!("refresh_token_cookie={refresh}"))
        .header(
            "x-csrf-token",
            common::payload(&refresh)["csrf"]
                .as_str()
                .unwrap_or_default(),
        )
        .body(Body::empty())
        .unwrap_or_default();
    let r = send(&app, req).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_untouched(&r);
}

#[tokio::test]
async fn header_tokens_are_not_renewed() {
    let (app, _) = setup();
    let near = aged(3000, json!({}));
    let req = request(Method::GET, "/protected")
        .header("authorization", format!("Bearer {near}"))
        .body(Body::empty())
        .unwrap_or_default();
    let r = send(&app, req).await;
    assert_eq!(r.status, 200);
    assert_untouched(&r);
}

#[tokio::test]
async fn head_and_other_statuses_are_renewed() {
    let (app, _) = setup();
    let near = aged(3000, json!({}));
    let r = call(&app, Method::HEAD, "/protected", &near, &[]).await;
    assert_eq!(r.status, 200);
    assert_renewed(&r, "alice");
    let r = call(&app, Method::GET, "/teapot", &near, &[]).await;
    assert_eq!(r.status, StatusCode::IM_A_TEAPOT);
    assert_renewed(&r, "alice");
}

#[tokio::test]
async fn a_response_that_sets_or_unsets_the_cookie_wins() {
    let (app, _) = setup();
    let near = aged(3000, json!({}));
    let csrf = payload(&near)["csrf"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = call(
        &app,
        Method::POST,
        "/logout",
        &near,
        &[("X-CSRF-TOKEN", &csrf)],
    )
    .await;
    assert_eq!(r.status, 200);
    let cookies = parsed(&r);
    assert_eq!(cookies.len(), 4);
    assert!(
        cookies.iter().all(|c| c.is_deletion()),
        "logout only deletes: {:?}",
        r.set_cookies()
    );
    let r = call(
        &app,
        Method::POST,
        "/login_as_other",
        &near,
        &[("X-CSRF-TOKEN", &csrf)],
    )
    .await;
    assert_eq!(r.status, 200);
    let cookies = parsed(&r);
    assert_eq!(cookies.len(), 2);
    let token = cookies
        .iter()
        .find(|c| c.name == "access_token_cookie")
        .map(|c| c.value.clone())
        .unwrap_or_default();
    assert_eq!(payload(&token)["sub"], json!("someone-else"));
}

#[tokio::test]
async fn route_layer_verification_is_reused() {
    let (app, _) = setup();
    let r = call(&app, Method::GET, "/guarded", &aged(3000, json!({})), &[]).await;
    assert_eq!(r.status, 200);
    assert_renewed(&r, "alice");
    let r = call(&app, Method::GET, "/guarded", &aged(60, json!({})), &[]).await;
    assert_untouched(&r);
}

#[tokio::test]
async fn csrf_cookies_follow_the_config() {
    let jwt = manager_with(config().with_csrf_in_cookies(false));
    let router = app(&jwt, ImplicitRefreshLayer::new(jwt.clone(), WINDOW));
    let r = call(
        &router,
        Method::GET,
        "/protected",
        &aged(3000, json!({})),
        &[],
    )
    .await;
    assert_eq!(r.set_cookies().len(), 1);
    let jwt = manager_with(config().with_cookie_secure(true).with_session_cookie(false));
    let router = app(&jwt, ImplicitRefreshLayer::new(jwt.clone(), WINDOW));
    let r = call(
        &router,
        Method::GET,
        "/protected",
        &aged(3000, json!({})),
        &[],
    )
    .await;
    for c in parsed(&r) {
        assert!(c.has("secure"));
        assert_eq!(c.attr("max-age"), Some("31540000"));
    }
}
