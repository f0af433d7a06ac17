//! `OPTIONS` requests skip every token check (the port of the reference's
//! `tests/test_options_method.py`).
//!
//! The reference runs the view for `OPTIONS` without looking for a token,
//! even on fresh and refresh routes. In the port:
//! - [`RequireJwtLayer`] lets `OPTIONS` through to the handler (the
//!   reference's contract: 200 and the handler's body);
//! - a handler taking `Jwt<R>` cannot run without a token, so the extractor
//!   answers `200 OK` with an empty body;
//! - `Option<Jwt>` gives `None`.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::routing::{MethodFilter, on};
use common::*;
use jwt_extended::JwtManager;
use jwt_extended::axum::{Access, Fresh, Jwt, Refresh, RequireJwtLayer, Requirement};

async fn send_method(app: &Router, method: Method, uri: &str, token: Option<&str>) -> TestResponse {
    let mut builder = request(method, uri);
    if let Some(token) = token {
        builder = builder.header("Authorization", format!("Bearer {token}"));
    }
    send(
        app,
        builder
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await
}

/// One route answering "ok" to GET and OPTIONS, protected by the layer.
fn layered<R: Requirement>(manager: &JwtManager, path: &str) -> Router {
    Router::new()
        .route(
            path,
            on(MethodFilter::GET.or(MethodFilter::OPTIONS), || async {
                "ok"
            }),
        )
        .route_layer(RequireJwtLayer::<R>::new(manager.clone()))
}

fn layer_app(manager: &JwtManager) -> Router {
    Router::new()
        .merge(layered::<Access>(manager, "/jwt_required"))
        .merge(layered::<Fresh>(manager, "/fresh_jwt_required"))
        .merge(layered::<Refresh>(manager, "/jwt_refresh_token_required"))
}

#[tokio::test]
async fn layer_runs_the_handler_for_options() {
    let manager = manager();
    let app = layer_app(&manager);
    for path in [
        "/jwt_required",
        "/fresh_jwt_required",
        "/jwt_refresh_token_required",
    ] {
        let response = send_method(&app, Method::OPTIONS, path, None).await;
        assert_eq!(
            (response.status, response.text().as_str()),
            (StatusCode::OK, "ok"),
            "OPTIONS {path}"
        );
        // Even a garbage token is not looked at.
        let response = send_method(&app, Method::OPTIONS, path, Some("foobarbaz")).await;
        assert_eq!(
            (response.status, response.text().as_str()),
            (StatusCode::OK, "ok"),
            "OPTIONS {path} with a bad token"
        );
        // The layer is active for other methods.
        send_method(&app, Method::GET, path, None)
            .await
            .assert_error(401, "Missing Authorization Header");
    }
}

#[tokio::test]
async fn layer_still_checks_get() {
    let manager = manager();
    let app = layer_app(&manager);
    let access = manager
        .create_access_token("username")
        .unwrap_or_else(|e| panic!("{e}"));
    let refresh = manager
        .create_refresh_token("username")
        .unwrap_or_else(|e| panic!("{e}"));
    let ok = send_method(&app, Method::GET, "/jwt_required", Some(&access)).await;
    assert_eq!((ok.status, ok.text().as_str()), (StatusCode::OK, "ok"));
    send_method(&app, Method::GET, "/fresh_jwt_required", Some(&access))
        .await
        .assert_error(401, "Fresh token required");
    send_method(
        &app,
        Method::GET,
        "/jwt_refresh_token_required",
        Some(&access),
    )
    .await
    .assert_error(422, "Only refresh tokens are allowed");
    let ok = send_method(
        &app,
        Method::GET,
        "/jwt_refresh_token_required",
        Some(&refresh),
    )
    .await;
    assert_eq!((ok.status, ok.text().as_str()), (StatusCode::OK, "ok"));
}

fn extractor_app(manager: JwtManager) -> Router {
    let both = MethodFilter::GET.or(MethodFilter::OPTIONS);
    Router::new()
        .route("/jwt_required", on(both, |_: Jwt| async { "ok" }))
        .route(
            "/fresh_jwt_required",
            on(both, |_: Jwt<Fresh>| async { "ok" }),
        )
        .route(
            "/jwt_refresh_token_required",
            on(both, |_: Jwt<Refresh>| async { "ok" }),
        )
        .route(
            "/optional",
            on(both, |token: Option<Jwt>| async move {
                match token {
                    Some(t) => format!("token for {}", t.identity()),
                    None => "no token".to_owned(),
                }
            }),
        )
        .with_state(manager)
}

/// The extractor cannot hand the handler a token that was never checked:
/// `OPTIONS` is answered 200 with an empty body, without running it.
#[tokio::test]
async fn extractor_answers_options_with_empty_200() {
    let app = extractor_app(manager());
    for path in [
        "/jwt_required",
        "/fresh_jwt_required",
        "/jwt_refresh_token_required",
    ] {
        for token in [None, Some("foobarbaz")] {
            let response = send_method(&app, Method::OPTIONS, path, token).await;
            assert_eq!(
                (response.status, response.body.as_slice()),
                (StatusCode::OK, &b""[..]),
                "OPTIONS {path} (token {token:?})"
            );
        }
        send_method(&app, Method::GET, path, None)
            .await
            .assert_error(401, "Missing Authorization Header");
    }
}

#[tokio::test]
async fn optional_extractor_gives_none_for_options() {
    let manager = manager();
    let token = manager
        .create_access_token("username")
        .unwrap_or_else(|e| panic!("{e}"));
    let app = extractor_app(manager);
    // Nothing is verified for OPTIONS, not even a valid token.
    for t in [None, Some(token.as_str()), Some("foobarbaz")] {
        let response = send_method(&app, Method::OPTIONS, "/optional", t).await;
        assert_eq!(
            (response.status, response.text().as_str()),
            (StatusCode::OK, "no token"),
            "token {t:?}"
        );
    }
    let response = send_method(&app, Method::GET, "/optional", Some(&token)).await;
    assert_eq!(response.text(), "token for \"username\"");
}

/// Only `OPTIONS` is exempt: `HEAD` is checked like `GET`.
#[tokio::test]
async fn head_is_not_exempt() {
    let manager = manager();
    let app = layer_app(&manager);
    let response = send_method(&app, Method::HEAD, "/jwt_required", None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    let extractor = extractor_app(manager);
    let response = send_method(&extractor, Method::HEAD, "/jwt_required", None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}
