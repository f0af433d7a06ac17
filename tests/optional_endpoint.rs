//! Optional routes (`@jwt_required(optional=True)` = `Option<Jwt>`): the
//! port of the reference's `tests/test_get_methods_in_optional_endpoint.py`,
//! plus the "optional" summary table of the spec (§8): only "no token
//! anywhere" is let through; every other failure is still refused.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use common::*;
use jwt_extended::axum::{CurrentUser, FlaskJson, Jwt};
use jwt_extended::config::TokenLocation;
use jwt_extended::{DecodedToken, JwtConfig, JwtManager};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct User {
    name: String,
}

/// The optional view of the reference: everything it can read about the
/// token is empty, and the user is `None`.
async fn optional_view(token: Option<Jwt>, user: Option<CurrentUser<User>>) -> FlaskJson<Value> {
    match (token, user) {
        (None, None) => FlaskJson(json!({"foo": "bar"})),
        (Some(t), Some(u)) => FlaskJson(json!({
            "identity": t.identity(),
            "user": u.name,
        })),
        (t, u) => panic!("token and user disagree: {t:?} / {u:?}"),
    }
}

/// A manager whose user loader counts its calls; `None` for "nobody".
fn counting_manager(config: JwtConfig, calls: Arc<AtomicUsize>) -> JwtManager {
    let config = if config.secret_key().is_none() {
        config.with_secret_key(SECRET)
    } else {
        config
    };
    JwtManager::builder(config)
        .user_lookup_loader(move |token: &DecodedToken| {
            calls.fetch_add(1, Ordering::SeqCst);
            let user = token
                .identity_str()
                .filter(|name| *name != "nobody")
                .map(|name| User {
                    name: name.to_owned(),
                });
            async move { user }
        })
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn app(manager: JwtManager) -> Router {
    Router::new()
        .route("/optional", get(optional_view).post(optional_view))
        .with_state(manager)
}

#[tokio::test]
async fn get_jwt_in_optional_route() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = app(counting_manager(JwtConfig::new(), calls.clone()));
    let response = http_get(&app, "/optional", &[]).await;
    assert_eq!(
        (response.status, response.json()),
        (StatusCode::OK, json!({"foo": "bar"}))
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "the user loader is not called without a token"
    );
}

#[tokio::test]
async fn optional_with_a_valid_token_loads_the_user_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let manager = counting_manager(JwtConfig::new(), calls.clone());
    let token = manager
        .create_access_token("username")
        .unwrap_or_else(|e| panic!("{e}"));
    let app = app(manager);
    let response = http_get_bearer(&app, "/optional", &token).await;
    assert_eq!(
        (response.status, response.json()),
        (
            StatusCode::OK,
            json!({"identity": "username", "user": "username"})
        )
    );
    // `Option<Jwt>` and `Option<CurrentUser>` share one verification.
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// The `optional=True` table of spec §8.
#[tokio::test]
async fn only_a_missing_token_is_optional() {
    let calls = Arc::new(AtomicUsize::new(0));
    let manager = counting_manager(JwtConfig::new(), calls.clone());
    let app = app(manager.clone());
    let create = |r: Result<String, jwt_extended::Error>| r.unwrap_or_else(|e| panic!("{e}"));

    // No token in any location, including a header with another scheme.
    for headers in [vec![], vec![("Authorization", "Basic x")]] {
        let response = http_get(&app, "/optional", &headers).await;
        assert_eq!(response.json(), json!({"foo": "bar"}), "{headers:?}");
    }
    // Everything else fails as on a required route.
    http_get_bearer(&app, "/optional", "foobarbaz")
        .await
        .assert_error(422, "Not enough segments");
    let other = JwtManager::new(JwtConfig::new().with_secret_key("other"))
        .unwrap_or_else(|e| panic!("{e}"));
    let forged = create(other.create_access_token("username"));
    http_get_bearer(&app, "/optional", &forged)
        .await
        .assert_error(422, "Signature verification failed");
    http_get(&app, "/optional", &[("Authorization", "Bearer")])
        .await
        .assert_error(
            422,
            "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
        );
    let expired = create(
        manager
            .access_token("username")
            .expires_at(SystemTime::now() - Duration::from_secs(1))
            .create(),
    );
    http_get_bearer(&app, "/optional", &expired)
        .await
        .assert_error(401, "Token has expired");
    let refresh = create(manager.create_refresh_token("username"));
    http_get_bearer(&app, "/optional", &refresh)
        .await
        .assert_error(422, "Only non-refresh tokens are allowed");
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no loader call so far");
    let nobody = create(manager.create_access_token("nobody"));
    http_get_bearer(&app, "/optional", &nobody)
        .await
        .assert_error(401, "Error loading the user nobody");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// A cookie without its CSRF header on a protected method is refused even
/// on an optional route.
#[tokio::test]
async fn optional_does_not_suppress_csrf_errors() {
    let calls = Arc::new(AtomicUsize::new(0));
    let manager = counting_manager(
        JwtConfig::new().with_token_location([TokenLocation::Cookies]),
        calls,
    );
    let token = manager
        .create_access_token("username")
        .unwrap_or_else(|e| panic!("{e}"));
    let csrf = payload(&token)["csrf"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let app = app(manager);
    let post_with = |headers: Vec<(&'static str, String)>| {
        let app = app.clone();
        async move {
            let mut builder = request(Method::POST, "/optional");
            for (name, value) in headers {
                builder = builder.header(name, value);
            }
            send(
                &app,
                builder
                    .body(Body::empty())
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .await
        }
    };
    let cookie = format!("access_token_cookie={token}");
    post_with(vec![("Cookie", cookie.clone())])
        .await
        .assert_error(401, "Missing CSRF token");
    post_with(vec![
        ("Cookie", cookie.clone()),
        ("X-CSRF-TOKEN", "wrong".into()),
    ])
    .await
    .assert_error(401, "CSRF double submit tokens do not match");
    let ok = post_with(vec![("Cookie", cookie), ("X-CSRF-TOKEN", csrf)]).await;
    assert_eq!(
        ok.json(),
        json!({"identity": "username", "user": "username"})
    );
    // No cookie at all: anonymous.
    let anonymous = post_with(vec![]).await;
    assert_eq!(anonymous.json(), json!({"foo": "bar"}));
}

/// Without a user loader, `Option<Jwt>` alone works and reads as empty.
#[tokio::test]
async fn optional_without_a_user_loader() {
    let manager = manager();
    let app = Router::new()
        .route(
            "/optional",
            post(|token: Option<Jwt>| async move {
                FlaskJson(match token {
                    None => json!({"claims": {}, "header": {}, "identity": null}),
                    Some(t) => json!({"claims": t.claims(), "header": t.header(), "identity": t.identity()}),
                })
            }),
        )
        .with_state(manager);
    let response = send(
        &app,
        request(Method::POST, "/optional")
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(
        (response.status, response.json()),
        (
            StatusCode::OK,
            json!({"claims": {}, "header": {}, "identity": null})
        )
    );
}
