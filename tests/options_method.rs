//! `OPTIONS` requests skip every token check (the port of the reference's
//! `tests/test_options_method.py`).
//!
//! The reference runs the view for `OPTIONS` without looking for a token,
//! even on fresh and refresh routes. In the port:
//! - [`RequireJwtLayer`] lets `OPTIONS` through to the handler (the
//!   reference's contract: 200 and the handler's body);
//! - a handler taking `Jwt<R>` cannot run without a token, so the extractor
//!   answers `200 OK` with an empty body;
//! - `Option<Jwt>` (actix: `Optional<Jwt>`) gives `None`.
//!
//! The extractor tests are written once and run on axum and on actix-web
//! (`common::frameworks`); the `RequireJwtLayer` tests are axum-only (a
//! tower layer: actix-web has no route layer of its own in the crate).

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::routing::{MethodFilter, on};
use common::frameworks::{FRAMEWORKS, TestServer};
use common::*;
use jwt_extended::JwtManager;
use jwt_extended::axum::{Access, Fresh, Refresh, RequireJwtLayer, Requirement};

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

// The shared test app (`common::frameworks`) answers every method on
// `/protected` (`Jwt`), `/fresh_protected` (`Jwt<Fresh>`),
// `/refresh_protected` (`Jwt<Refresh>`) and `/optional_text` (an optional
// `Jwt`: `token for <identity>` or `no token`).

const REQUIRED: [&str; 3] = ["/protected", "/fresh_protected", "/refresh_protected"];

/// `method uri` with an optional bearer token.
async fn call(app: &TestServer, method: &str, uri: &str, token: Option<&str>) -> TestResponse {
    match token {
        Some(token) => {
            app.call(
                method,
                uri,
                &[("Authorization", &format!("Bearer {token}"))],
            )
            .await
        }
        None => app.call(method, uri, &[]).await,
    }
}

/// The extractor cannot hand the handler a token that was never checked:
/// `OPTIONS` is answered 200 with an empty body, without running it.
#[tokio::test]
async fn extractor_answers_options_with_empty_200() {
    for fw in FRAMEWORKS {
        let app = TestServer::start(fw, manager()).await;
        for path in REQUIRED {
            for token in [None, Some("foobarbaz")] {
                let response = call(&app, "OPTIONS", path, token).await;
                assert_eq!(
                    (response.status, response.body.as_slice()),
                    (StatusCode::OK, &b""[..]),
                    "{fw}: OPTIONS {path} (token {token:?})"
                );
            }
            call(&app, "GET", path, None)
                .await
                .assert_error(401, "Missing Authorization Header");
        }
    }
}

#[tokio::test]
async fn optional_extractor_gives_none_for_options() {
    for fw in FRAMEWORKS {
        let manager = manager();
        let token = manager
            .create_access_token("username")
            .unwrap_or_else(|e| panic!("{e}"));
        let app = TestServer::start(fw, manager).await;
        // Nothing is verified for OPTIONS, not even a valid token.
        for t in [None, Some(token.as_str()), Some("foobarbaz")] {
            let response = call(&app, "OPTIONS", "/optional_text", t).await;
            assert_eq!(
                (response.status, response.text().as_str()),
                (StatusCode::OK, "no token"),
                "{fw}: token {t:?}"
            );
        }
        let response = call(&app, "GET", "/optional_text", Some(&token)).await;
        assert_eq!(response.text(), "token for \"username\"", "{fw}");
    }
}

/// Only `OPTIONS` is exempt: `HEAD` is checked like `GET`.
#[tokio::test]
async fn head_is_not_exempt() {
    let manager = manager();
    let app = layer_app(&manager);
    let response = send_method(&app, Method::HEAD, "/jwt_required", None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    for fw in FRAMEWORKS {
        let extractor = TestServer::start(fw, manager.clone()).await;
        let response = call(&extractor, "HEAD", "/protected", None).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{fw}");
    }
}
