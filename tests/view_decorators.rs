//! Route protection: the port of the reference's
//! `tests/test_view_decorators.py`. `@jwt_required()` and its arguments
//! become the extractors `Jwt`, `Jwt<Fresh>`, `Jwt<Refresh>`, `Jwt<AnyType>`,
//! `Option<Jwt>` and custom [`Requirement`]s.

mod common;

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::*;
use jwt_extended::axum::JwtManagerBuilderExt;
use jwt_extended::axum::{
    AnyType, FlaskJson, Fresh, Jwt, JwtRejection, Refresh, Requirement, render_error,
    verify_jwt_in_request,
};
use jwt_extended::config::TokenLocation;
use jwt_extended::token::IdentityClaim;
use jwt_extended::{ErrorKind, JwtConfig, JwtManager, JwtManagerBuilder, VerifyOptions};
use serde_json::{Map, Value, json};

fn foo(value: &str) -> FlaskJson<Value> {
    FlaskJson(json!({ "foo": value }))
}

/// A token from `encode_token`-style hand-made claims is only signed; the
/// reference routes all answer `{"foo": "bar"}`.
fn routes() -> Router<JwtManager> {
    Router::new()
        .route("/protected", get(|_: Jwt| async { foo("bar") }))
        .route(
            "/fresh_protected",
            get(|_: Jwt<Fresh>| async { foo("bar") }),
        )
        .route(
            "/refresh_protected",
            get(|_: Jwt<Refresh>| async { foo("bar") }),
        )
        .route(
            "/optional_protected",
            get(|token: Option<Jwt>| async move {
                // `if get_jwt_identity():` in the reference.
                let has_identity = token.is_some_and(|t| !t.identity().is_null());
                foo(if has_identity { "baz" } else { "bar" })
            }),
        )
        .route(
            "/no_typecheck_protected",
            get(|_: Jwt<AnyType>| async { foo("bar") }),
        )
}

fn build(builder: JwtManagerBuilder) -> JwtManager {
    builder
        .build()
        .unwrap_or_else(|e| panic!("invalid test config: {e}"))
}

fn app_for(manager: JwtManager) -> Router {
    routes().with_state(manager)
}

struct Tokens {
    access: String,
    fresh: String,
    refresh: String,
}

fn tokens(manager: &JwtManager) -> Tokens {
    let create = |r: Result<String, jwt_extended::Error>| r.unwrap_or_else(|e| panic!("{e}"));
    Tokens {
        access: create(manager.create_access_token("username")),
        fresh: create(manager.access_token("username").fresh(true).create()),
        refresh: create(manager.create_refresh_token("username")),
    }
}

fn expired(manager: &JwtManager) -> String {
    manager
        .access_token("username")
        .expires_at(SystemTime::now() - Duration::from_secs(60))
        .create()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[track_caller]
fn assert_foo(response: &TestResponse, value: &str) {
    assert_eq!(
        (response.status, response.json()),
        (StatusCode::OK, json!({ "foo": value })),
        "body: {}",
        response.text()
    );
}

#[track_caller]
fn assert_custom(response: &TestResponse, status: StatusCode, body: Value) {
    assert_eq!((response.status, response.json()), (status, body));
}

#[tokio::test]
async fn jwt_required() {
    let manager = manager();
    let app = app_for(manager.clone());
    let t = tokens(&manager);
    for token in [&t.access, &t.fresh] {
        assert_foo(&http_get_bearer(&app, "/protected", token).await, "bar");
    }
    http_get(&app, "/protected", &[])
        .await
        .assert_error(401, "Missing Authorization Header");
    http_get_bearer(&app, "/protected", &t.refresh)
        .await
        .assert_error(422, "Only non-refresh tokens are allowed");
}

#[tokio::test]
async fn fresh_jwt_required() {
    let manager = manager();
    let app = app_for(manager.clone());
    let t = tokens(&manager);
    let url = "/fresh_protected";
    let fresh_for_5_minutes = manager
        .access_token("username")
        .fresh_for(Duration::from_secs(300))
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    // `fresh=timedelta(minutes=-1)`: fresh until a minute ago.
    let stale_timed = manager
        .access_token("username")
        .fresh_until(SystemTime::now() - Duration::from_secs(60))
        .create()
        .unwrap_or_else(|e| panic!("{e}"));

    assert_foo(&http_get_bearer(&app, url, &t.fresh).await, "bar");
    http_get_bearer(&app, url, &t.access)
        .await
        .assert_error(401, "Fresh token required");
    assert_foo(
        &http_get_bearer(&app, url, &fresh_for_5_minutes).await,
        "bar",
    );
    http_get_bearer(&app, url, &stale_timed)
        .await
        .assert_error(401, "Fresh token required");
    http_get(&app, url, &[])
        .await
        .assert_error(401, "Missing Authorization Header");
    http_get_bearer(&app, url, &t.refresh)
        .await
        .assert_error(422, "Only non-refresh tokens are allowed");

    // A custom response gets the token's header and claims.
    let custom = build(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET)).needs_fresh_token_loader(
            |header: &Map<String, Value>, claims: &Map<String, Value>, _message: &str| {
                assert_eq!(header["alg"], "HS256");
                assert_eq!(claims["sub"], "username");
                (StatusCode::CREATED, FlaskJson(json!({"msg": "foobar"})))
            },
        ),
    );
    let response = http_get_bearer(&app_for(custom), url, &t.access).await;
    assert_custom(&response, StatusCode::CREATED, json!({"msg": "foobar"}));
}

#[tokio::test]
async fn refresh_jwt_required() {
    let manager = manager();
    let app = app_for(manager.clone());
    let t = tokens(&manager);
    let url = "/refresh_protected";
    for token in [&t.fresh, &t.access] {
        http_get_bearer(&app, url, token)
            .await
            .assert_error(422, "Only refresh tokens are allowed");
    }
    http_get(&app, url, &[])
        .await
        .assert_error(401, "Missing Authorization Header");
    assert_foo(&http_get_bearer(&app, url, &t.refresh).await, "bar");
}

#[tokio::test]
async fn jwt_required_no_typecheck() {
    let manager = manager();
    let app = app_for(manager.clone());
    let t = tokens(&manager);
    for token in [&t.access, &t.fresh, &t.refresh] {
        assert_foo(
            &http_get_bearer(&app, "/no_typecheck_protected", token).await,
            "bar",
        );
    }
    http_get(&app, "/no_typecheck_protected", &[])
        .await
        .assert_error(401, "Missing Authorization Header");
}

#[tokio::test]
async fn jwt_optional() {
    let manager = manager();
    let app = app_for(manager.clone());
    let t = tokens(&manager);
    let url = "/optional_protected";
    assert_foo(&http_get_bearer(&app, url, &t.fresh).await, "baz");
    assert_foo(&http_get_bearer(&app, url, &t.access).await, "baz");
    http_get_bearer(&app, url, &t.refresh)
        .await
        .assert_error(422, "Only non-refresh tokens are allowed");
    http_get_bearer(&app, url, &expired(&manager))
        .await
        .assert_error(401, "Token has expired");
}

#[tokio::test]
async fn jwt_optional_with_no_valid_jwt() {
    let app = app_for(manager());
    let url = "/optional_protected";
    const BAD: &str = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";
    assert_foo(&http_get(&app, url, &[]).await, "bar");
    // A scheme that is not configured counts as "no token".
    assert_foo(
        &http_get(&app, url, &[("Authorization", "basic creds")]).await,
        "bar",
    );
    let get = |value: &'static str| {
        let app = app.clone();
        async move { http_get(&app, url, &[("Authorization", value)]).await }
    };
    get("Bearer ").await.assert_error(422, BAD);
    get("Bearer xxx")
        .await
        .assert_error(422, "Not enough segments");
    assert_foo(&get("Foo 1, Bar 2, Baz, 3").await, "bar");
    get("Foo 1, Bearer, Baz, 3").await.assert_error(422, BAD);
    get("Foo 1, Bearer 2, Baz, 3")
        .await
        .assert_error(422, "Not enough segments");
    // Pinned by the reference's HEAD (PR #567); 4.7.1 itself answers 500.
    get("Bearer ,,0").await.assert_error(422, BAD);
}

/// `@jwt_required(locations="headers")` on a cookie-only app.
struct HeadersOnly;

impl Requirement for HeadersOnly {
    const OPTIONS: VerifyOptions = VerifyOptions::new().locations(&[TokenLocation::Headers]);
}

#[tokio::test]
async fn override_jwt_location() {
    let manager = manager_with(JwtConfig::new().with_token_location([TokenLocation::Cookies]));
    let app = routes()
        .route(
            "/protected_other",
            get(|_: Jwt<HeadersOnly>| async { foo("bar") }),
        )
        .with_state(manager.clone());
    let token = tokens(&manager).access;
    assert_foo(
        &http_get_bearer(&app, "/protected_other", &token).await,
        "bar",
    );
    http_get_bearer(&app, "/protected", &token)
        .await
        .assert_error(401, "Missing cookie \"access_token_cookie\"");
    // The reference's `locations="INVALID_LOCATION"` is a 500 at request
    // time; here a location is an enum, and parsing an unknown name fails.
    match "INVALID_LOCATION".parse::<TokenLocation>() {
        Ok(location) => panic!("an unknown location parsed as {location:?}"),
        Err(error) => assert_eq!(error.option(), "JWT_TOKEN_LOCATION"),
    }
}

#[tokio::test]
async fn invalid_jwt() {
    let invalid = "aaaaa.bbbbb.ccccc";
    let app = app_for(manager());
    http_get_bearer(&app, "/protected", invalid)
        .await
        .assert_error(422, "Invalid header padding");

    let custom = build(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET)).invalid_token_loader(
            |message: &str| {
                assert_eq!(message, "Invalid header padding");
                (StatusCode::CREATED, FlaskJson(json!({"msg": "foobar"})))
            },
        ),
    );
    let response = http_get_bearer(&app_for(custom), "/protected", invalid).await;
    assert_custom(&response, StatusCode::CREATED, json!({"msg": "foobar"}));
}

#[tokio::test]
async fn jwt_missing_claims() {
    let app = app_for(manager());
    let token = token_with_claims(&json!({"foo": "bar"}));
    http_get_bearer(&app, "/protected", &token)
        .await
        .assert_error(422, "Missing claim: sub");
}

#[tokio::test]
async fn jwt_invalid_audience() {
    // No audience expected or provided: fine.
    let plain = app_for(manager());
    assert_foo(
        &http_get_bearer(
            &plain,
            "/protected",
            &token_with_claims(&json!({"sub": "me"})),
        )
        .await,
        "bar",
    );
    // (The reference changes the config mid-test; the port builds a second app.)
    let app = app_for(manager_with(
        JwtConfig::new().with_decode_audience("my_audience"),
    ));
    http_get_bearer(
        &app,
        "/protected",
        &token_with_claims(&json!({"sub": "me"})),
    )
    .await
    .assert_error(422, "Token is missing the \"aud\" claim");
    let wrong = token_with_claims(&json!({"aud": "different_audience", "sub": "me"}));
    http_get_bearer(&app, "/protected", &wrong)
        .await
        .assert_error(422, "Audience doesn't match");
    let right = token_with_claims(&json!({"aud": "my_audience", "sub": "me"}));
    assert_foo(&http_get_bearer(&app, "/protected", &right).await, "bar");
}

#[tokio::test]
async fn jwt_invalid_issuer() {
    let plain = app_for(manager());
    assert_foo(
        &http_get_bearer(
            &plain,
            "/protected",
            &token_with_claims(&json!({"sub": "me"})),
        )
        .await,
        "bar",
    );
    let app = app_for(manager_with(
        JwtConfig::new().with_decode_issuer("my_issuer"),
    ));
    http_get_bearer(
        &app,
        "/protected",
        &token_with_claims(&json!({"sub": "me"})),
    )
    .await
    .assert_error(422, "Token is missing the \"iss\" claim");
    let wrong = token_with_claims(&json!({"iss": "different_issuer", "sub": "me"}));
    http_get_bearer(&app, "/protected", &wrong)
        .await
        .assert_error(422, "Invalid issuer");
    let right = token_with_claims(&json!({"iss": "my_issuer", "sub": "me"}));
    assert_foo(&http_get_bearer(&app, "/protected", &right).await, "bar");
}

#[tokio::test]
async fn malformed_token() {
    let app = app_for(manager());
    http_get_bearer(&app, "/protected", "foobarbaz")
        .await
        .assert_error(422, "Not enough segments");
}

#[tokio::test]
async fn expired_token() {
    let manager = manager();
    let token = expired(&manager);
    let app = app_for(manager);
    http_get_bearer(&app, "/protected", &token)
        .await
        .assert_error(401, "Token has expired");

    let custom = build(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET)).expired_token_loader(
            |header: &Map<String, Value>, claims: &Map<String, Value>, _message: &str| {
                assert_eq!(header["alg"], "HS256");
                assert_eq!(claims["sub"], "username");
                assert_eq!(claims["type"], "access");
                (StatusCode::CREATED, FlaskJson(json!({"msg": "foobar"})))
            },
        ),
    );
    let response = http_get_bearer(&app_for(custom), "/protected", &token).await;
    assert_custom(&response, StatusCode::CREATED, json!({"msg": "foobar"}));
}

/// An expired token decoded by hand in an unprotected handler gets the
/// configured expired response too (the reference's global error handlers).
#[tokio::test]
async fn expired_token_via_decode_token() {
    let manager = build(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET)).expired_token_loader(
            |header: &Map<String, Value>, claims: &Map<String, Value>, _message: &str| {
                assert_eq!(header["alg"], "HS256");
                assert_eq!(claims["sub"], "username");
                (
                    StatusCode::UNAUTHORIZED,
                    FlaskJson(json!({"msg": "foobar"})),
                )
            },
        ),
    );
    async fn test_route(State(jwt): State<JwtManager>) -> Response {
        let token = jwt
            .access_token("username")
            .expires_at(SystemTime::now() - Duration::from_secs(60))
            .create()
            .unwrap_or_else(|e| panic!("{e}"));
        match jwt.decode_token(&token).await {
            Ok(_) => (StatusCode::OK, FlaskJson(json!({"msg": "baz"}))).into_response(),
            Err(error) => {
                assert_eq!(error.kind(), ErrorKind::ExpiredToken);
                render_error(&jwt, &error)
            }
        }
    }
    let app = Router::new()
        .route("/test", get(test_route))
        .with_state(manager);
    let response = http_get(&app, "/test", &[]).await;
    assert_custom(
        &response,
        StatusCode::UNAUTHORIZED,
        json!({"msg": "foobar"}),
    );
}

#[tokio::test]
async fn no_token() {
    let app = app_for(manager());
    http_get(&app, "/protected", &[])
        .await
        .assert_error(401, "Missing Authorization Header");
    let custom = build(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET)).unauthorized_loader(
            |message: &str| {
                assert_eq!(message, "Missing Authorization Header");
                (StatusCode::CREATED, FlaskJson(json!({"msg": "foobar"})))
            },
        ),
    );
    let response = http_get(&app_for(custom), "/protected", &[]).await;
    assert_custom(&response, StatusCode::CREATED, json!({"msg": "foobar"}));
}

/// An HS256 token on an app switched to HS512 (same secret): the reference
/// changes `JWT_ALGORITHM` mid-test; the port builds a second manager.
#[tokio::test]
async fn different_token_algorithm() {
    let token = tokens(&manager()).access;
    let hs512 = manager_with(JwtConfig::new().with_algorithm(jwt_extended::Algorithm::HS512));
    http_get_bearer(&app_for(hs512), "/protected", &token)
        .await
        .assert_error(422, "The specified alg value is not allowed");
}

/// A custom extractor calling `verify_jwt_in_request` gets the verified
/// header and claims back.
struct CheckedByHand;

impl<S: Send + Sync> FromRequestParts<S> for CheckedByHand
where
    JwtManager: FromRef<S>,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let manager = JwtManager::from_ref(state);
        let verified = verify_jwt_in_request(parts, &manager, &VerifyOptions::new())
            .await?
            .unwrap_or_else(|| panic!("a required verification returns the token"));
        assert_eq!(verified.token().header()["alg"], "HS256");
        assert_eq!(verified.token().claims()["sub"], "username");
        Ok(Self)
    }
}

#[tokio::test]
async fn verify_jwt_in_request_returns_decoded_token() {
    let manager = manager();
    let app = Router::new()
        .route("/custom", get(|_: CheckedByHand| async { foo("bar") }))
        .with_state(manager.clone());
    let token = tokens(&manager).access;
    assert_foo(&http_get_bearer(&app, "/custom", &token).await, "bar");
    http_get(&app, "/custom", &[])
        .await
        .assert_error(401, "Missing Authorization Header");
}

/// `create_access_token(1234)` succeeds and the request fails. In the port a
/// raw JSON identity does that; integers given as Rust integers are written
/// as strings (the `Identity` impls), so they pass.
#[tokio::test]
async fn non_string_identity() {
    let manager = manager();
    let app = app_for(manager.clone());
    let raw = manager
        .create_access_token(&IdentityClaim::raw(1234))
        .unwrap_or_else(|e| panic!("a non-string identity is still created: {e}"));
    assert_eq!(payload(&raw)["sub"], json!(1234));
    http_get_bearer(&app, "/protected", &raw)
        .await
        .assert_error(422, "Subject must be a string");

    let stringified = manager
        .create_access_token(&1234_u32)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(payload(&stringified)["sub"], json!("1234"));
    assert_foo(
        &http_get_bearer(&app, "/protected", &stringified).await,
        "bar",
    );

    // With JWT_VERIFY_SUB off the raw identity passes.
    let lenient = manager_with(JwtConfig::new().with_verify_sub(false));
    assert_foo(
        &http_get_bearer(&app_for(lenient), "/protected", &raw).await,
        "bar",
    );
}

/// Tokens made elsewhere with only `{"sub": ...}` pass `Jwt` (type defaults
/// to access); a custom type passes access routes and fails refresh routes.
#[tokio::test]
async fn claim_defaults_and_custom_types() {
    let app = app_for(manager());
    let bare = token_with_claims(&json!({"sub": "me"}));
    assert_foo(&http_get_bearer(&app, "/protected", &bare).await, "bar");
    http_get_bearer(&app, "/refresh_protected", &bare)
        .await
        .assert_error(422, "Only refresh tokens are allowed");
    http_get_bearer(&app, "/fresh_protected", &bare)
        .await
        .assert_error(401, "Fresh token required");
    let app_type = token_with_claims(&json!({"sub": "me", "type": "app"}));
    assert_foo(&http_get_bearer(&app, "/protected", &app_type).await, "bar");
    http_get_bearer(&app, "/refresh_protected", &app_type)
        .await
        .assert_error(422, "Only refresh tokens are allowed");
}
