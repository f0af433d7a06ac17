//! The tower surface of the axum glue: the services over other body types,
//! their accessors, and a rejection's `status()` agreeing with the response
//! it sends when a custom loader changes the status.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::Full;
use jwt_extended::axum::{
    Access, Jwt, JwtManagerBuilderExt, JwtRejection, RejectExt, RequireJwtLayer,
};
use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager};
use tower::{Layer, ServiceExt as _, service_fn};

fn manager() -> JwtManager {
    JwtManager::new(JwtConfig::new().with_secret_key("foobarbaz")).unwrap_or_else(|e| panic!("{e}"))
}

/// An inner service over a non-axum body, answering with the body's length.
async fn body_length(request: Request<Full<Bytes>>) -> Result<Response, Infallible> {
    use http_body::Body as _;
    let len = request.body().size_hint().exact().unwrap_or_default();
    Ok(format!("{len} bytes").into_response())
}

fn full_request(token: Option<&str>) -> Request<Full<Bytes>> {
    let mut builder = Request::post("/");
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder
        .body(Full::new(Bytes::from_static(b"hello")))
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn body_text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn require_jwt_layer_works_over_a_non_axum_body() {
    let jwt = manager();
    let service = RequireJwtLayer::<Access>::new(jwt.clone()).layer(service_fn(body_length));

    let missing = service.clone().oneshot(full_request(None)).await;
    let missing = missing.unwrap_or_else(|never| match never {});
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        body_text(missing).await,
        "{\"msg\":\"Missing Authorization Header\"}\n"
    );

    let token = jwt
        .create_access_token("alice")
        .unwrap_or_else(|e| panic!("{e}"));
    let ok = service.oneshot(full_request(Some(&token))).await;
    let ok = ok.unwrap_or_else(|never| match never {});
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(body_text(ok).await, "5 bytes");
}

#[test]
fn services_give_back_their_inner_service() {
    #[derive(Clone, Debug, PartialEq)]
    struct Inner(u8);

    let jwt = manager();
    let mut require = RequireJwtLayer::<Access>::new(jwt.clone()).layer(Inner(1));
    require.get_mut().0 = 2;
    assert_eq!(require.get_ref(), &Inner(2));
    assert_eq!(require.into_inner(), Inner(2));

    let mut service = jwt_extended::axum::JwtLayer::new(jwt.clone()).layer(Inner(3));
    service.get_mut().0 = 4;
    assert_eq!(service.get_ref(), &Inner(4));
    assert_eq!(service.into_inner(), Inner(4));

    let window = std::time::Duration::from_secs(60);
    let mut refresh = jwt_extended::axum::ImplicitRefreshLayer::new(jwt, window).layer(Inner(5));
    refresh.get_mut().0 = 6;
    assert_eq!(refresh.get_ref(), &Inner(6));
    assert_eq!(refresh.into_inner(), Inner(6));
}

#[test]
fn rejections_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<JwtRejection>();
}

/// A manager whose invalid-token answer is 401 (the default is 422), and
/// whose expired-token loader counts its calls.
fn custom_manager(calls: std::sync::Arc<std::sync::atomic::AtomicUsize>) -> JwtManager {
    JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz"))
        .invalid_token_loader(|message: &str| (StatusCode::UNAUTHORIZED, message.to_owned()))
        .expired_token_loader(move |_: &_, _: &_, _: &str| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            StatusCode::IM_A_TEAPOT
        })
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn rejection_status_is_the_status_sent() {
    let calls = std::sync::Arc::default();
    let jwt = custom_manager(std::sync::Arc::clone(&calls));

    // Built by hand: the loader's status, before and after sending.
    let invalid = Error::new(ErrorKind::InvalidSignature, "Signature verification failed");
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rejection = invalid.reject(&jwt);
    assert_eq!(rejection.status(), StatusCode::UNAUTHORIZED);
    let response = rejection.into_response();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_text(response).await, "Signature verification failed");

    // Asking the status first renders once: the loader runs one time.
    let expired = Error::new(ErrorKind::ExpiredToken, "Token has expired");
    let rejection = JwtRejection::new(expired, &jwt);
    assert_eq!(rejection.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(rejection.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(rejection.into_response().status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);

    // No manager: the defaults, and their status.
    let bare = JwtRejection::from_error(Error::new(
        ErrorKind::InvalidSignature,
        "Signature verification failed",
    ));
    assert_eq!(bare.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bare.into_response().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn an_extractors_rejection_reports_the_status_it_sends() {
    let calls = std::sync::Arc::default();
    let jwt = custom_manager(calls);
    // The handler sees the rejection and reports its status; then sends it.
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|token: Result<Jwt, JwtRejection>| async move {
                match token {
                    Ok(_) => "ok".into_response(),
                    Err(rejection) => {
                        let seen = rejection.status();
                        let mut response = rejection.into_response();
                        let seen = header::HeaderValue::from(seen.as_u16());
                        response.headers_mut().insert("x-seen-status", seen);
                        response
                    }
                }
            }),
        )
        .with_state(jwt);
    let request = Request::get("/")
        .header(header::AUTHORIZATION, "Bearer not.a.token")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app.oneshot(request).await.unwrap_or_else(|e| match e {});
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["x-seen-status"], "401");
}
