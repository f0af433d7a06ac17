//! Additional claims at creation: the reference's
//! `tests/test_additional_claims_loader.py`, plus the precedence rules of
//! spec §3 (per-call claims win, reserved claims can be overridden, order of
//! the payload) and the typed errors for claims that are not a JSON object.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use jwt_extended::axum::{FlaskJson, Jwt, Refresh};
use jwt_extended::token::{Identity, IdentityClaim};
use jwt_extended::{ErrorKind, JwtConfig, JwtManager, JwtManagerBuilder};
use serde_json::{Value, json};

async fn get_claims(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(Value::Object(token.claims().clone()))
}

async fn get_refresh_claims(token: Jwt<Refresh>) -> FlaskJson<Value> {
    FlaskJson(Value::Object(token.claims().clone()))
}

fn builder() -> JwtManagerBuilder {
    JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz"))
}

fn build(builder: JwtManagerBuilder) -> JwtManager {
    builder
        .build()
        .unwrap_or_else(|e| panic!("bad test config: {e}"))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/protected", get(get_claims))
        .route("/protected2", get(get_refresh_claims))
        .with_state(jwt)
}

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

/// The payload segment exactly as serialised.
fn raw_payload(token: &str) -> String {
    let part = token.split('.').nth(1).unwrap_or_default();
    String::from_utf8(URL_SAFE_NO_PAD.decode(part).unwrap_or_default()).unwrap_or_default()
}

#[tokio::test]
async fn additional_claims_in_access_token() {
    let jwt = build(builder().additional_claims_loader(|_identity| json!({"foo": "bar"})));
    let token = ok(jwt.create_access_token("username"));
    let response = http_get_bearer(&app(jwt), "/protected", &token).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["foo"], "bar");
}

#[tokio::test]
async fn non_serializable_claims() {
    // The reference raises TypeError; here creation returns a typed error.
    struct NotSerializable;
    impl serde::Serialize for NotSerializable {
        fn serialize<S: serde::Serializer>(&self, _s: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom(
                "Object of type object is not JSON serializable",
            ))
        }
    }
    let jwt = build(builder().additional_claims_loader(|_identity| NotSerializable));
    let err = jwt.create_access_token("username").err();
    assert_eq!(err.as_ref().map(|e| e.kind()), Some(ErrorKind::Encode));
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("not serializable"), "{message}");

    // Also for per-call claims.
    let jwt = build(builder());
    let err = jwt
        .access_token("username")
        .additional_claims(NotSerializable)
        .create()
        .err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Encode));
}

#[tokio::test]
async fn claims_that_are_not_an_object_are_an_encode_error() {
    for value in [json!([1, 2]), json!("foo"), json!(5)] {
        let loader_value = value.clone();
        let jwt = build(builder().additional_claims_loader(move |_identity| loader_value.clone()));
        let err = jwt.create_access_token("username").err();
        assert_eq!(err.as_ref().map(|e| e.kind()), Some(ErrorKind::Encode));
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("JSON object"), "{message}");

        let jwt = build(builder());
        let err = jwt
            .access_token("username")
            .additional_claims(value)
            .create()
            .err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Encode));
    }
    // `null` (e.g. `None` or `()`) means "no claims".
    let jwt = build(builder().additional_claims_loader(|_identity| None::<Value>));
    assert!(jwt.create_access_token("username").is_ok());
}

#[tokio::test]
async fn token_from_complex_object() {
    struct TestObject {
        username: String,
    }
    impl Identity for TestObject {
        fn identity_claim(&self) -> IdentityClaim {
            IdentityClaim::string(self.username.clone())
        }
    }
    // The loader sees the identity claim the object turned into.
    let jwt = build(builder().additional_claims_loader(|identity| json!({"username": identity})));
    let token = ok(jwt.create_access_token(&TestObject {
        username: "username".into(),
    }));

    let decoded = ok(jwt.decode_token(&token).await);
    assert_eq!(decoded.claim("sub"), Some(&json!("username")));
    assert_eq!(decoded.claim("username"), Some(&json!("username")));

    let response = http_get_bearer(&app(jwt), "/protected", &token).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["username"], "username");
}

#[tokio::test]
async fn additional_claims_in_refresh_token() {
    let jwt = build(builder().additional_claims_loader(|_identity| json!({"foo": "bar"})));
    let token = ok(jwt.create_refresh_token("username"));
    let response = http_get_bearer(&app(jwt), "/protected2", &token).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["foo"], "bar");
}

#[tokio::test]
async fn additional_claims_in_refresh_token_specified_at_creation() {
    let jwt = build(builder());
    let token = ok(jwt
        .refresh_token("username")
        .additional_claims(json!({"foo": "bar"}))
        .create());
    let response = http_get_bearer(&app(jwt), "/protected2", &token).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["foo"], "bar");
}

#[tokio::test]
async fn additional_claims_in_access_token_specified_at_creation() {
    let jwt = build(builder());
    let token = ok(jwt
        .access_token("username")
        .additional_claims(json!({"foo": "bar"}))
        .create());
    let response = http_get_bearer(&app(jwt), "/protected", &token).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["foo"], "bar");
}

#[tokio::test]
async fn addition_claims_merge() {
    let jwt = build(builder().additional_claims_loader(|_identity| json!({"default": "value"})));
    let token = ok(jwt
        .access_token("username")
        .additional_claims(json!({"foo": "bar"}))
        .create());
    let response = http_get_bearer(&app(jwt), "/protected", &token).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["foo"], "bar");
    assert_eq!(response.json()["default"], "value");
}

#[tokio::test]
async fn addition_claims_merge_tie_goes_to_create_access_token() {
    let jwt = build(builder().additional_claims_loader(|_identity| json!({"default": "value"})));
    let token = ok(jwt
        .access_token("username")
        .additional_claims(json!({"default": "foo"}))
        .create());
    let response = http_get_bearer(&app(jwt), "/protected", &token).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["default"], "foo");
}

#[tokio::test]
async fn later_per_call_claims_merge_over_earlier_ones() {
    let jwt = build(builder());
    let token = ok(jwt
        .access_token("username")
        .additional_claims(json!({"a": 1, "b": 1}))
        .additional_claims(json!({"b": 2}))
        .create());
    let claims = payload(&token);
    assert_eq!(
        (claims["a"].clone(), claims["b"].clone()),
        (json!(1), json!(2))
    );
}

#[tokio::test]
async fn the_loader_runs_once_per_token_with_the_identity_claim() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = calls.clone();
    let jwt = build(builder().additional_claims_loader(move |identity| {
        if let Ok(mut log) = log.lock() {
            log.push(identity.clone());
        }
        json!({})
    }));
    ok(jwt.create_access_token("alice"));
    ok(jwt.create_refresh_token(&42_u64));
    let calls = calls.lock().map(|c| c.clone()).unwrap_or_default();
    assert_eq!(calls, [json!("alice"), json!("42")]);
}

#[tokio::test]
async fn reserved_claims_can_be_overridden_in_place() {
    // Spec §3.3: an overridden claim keeps its position, new ones follow.
    let jwt = build(
        builder()
            .additional_claims_loader(|identity| json!({"type": "refresh", "loader": identity})),
    );
    let token = ok(jwt
        .access_token("x")
        .additional_claims(json!({"sub": "other", "fresh": true, "jti": "X", "iat": 5, "nbf": 6, "csrf": "c", "exp": 1}))
        .create());
    let raw = raw_payload(&token);
    assert_eq!(
        raw,
        r#"{"fresh":true,"iat":5,"jti":"X","type":"refresh","sub":"other","nbf":6,"csrf":"c","exp":1,"loader":"x"}"#
    );
}

#[tokio::test]
async fn overriding_the_type_changes_which_routes_accept_the_token() {
    let jwt = build(builder());
    let token = ok(jwt
        .access_token("username")
        .additional_claims(json!({"type": "refresh"}))
        .create());
    let app = app(jwt);
    http_get_bearer(&app, "/protected", &token)
        .await
        .assert_error(422, "Only non-refresh tokens are allowed");
    assert_eq!(
        http_get_bearer(&app, "/protected2", &token).await.status,
        200
    );
}

#[tokio::test]
async fn overriding_sub_with_a_non_string_is_refused_on_the_way_back() {
    // The reference's pitfall is reachable through additional claims too,
    // and answered exactly like the reference.
    let jwt = build(builder());
    let token = ok(jwt
        .access_token("username")
        .additional_claims(json!({"sub": 7}))
        .create());
    http_get_bearer(&app(jwt), "/protected", &token)
        .await
        .assert_error(422, "Subject must be a string");
}

#[tokio::test]
async fn non_string_identity() {
    // The reference's test_non_string_identity: `create_access_token(1234)`
    // writes an integer `sub`, refused with 422. Here an integer identity is
    // written as a string, and the reference's token takes an explicit raw
    // identity.
    let jwt = build(builder());
    let app = app(jwt.clone());

    let token = ok(jwt.create_access_token(&1234));
    assert_eq!(payload(&token)["sub"], "1234");
    assert_eq!(
        http_get_bearer(&app, "/protected", &token).await.status,
        200
    );

    let raw = ok(jwt.create_access_token(&IdentityClaim::raw(1234)));
    assert_eq!(payload(&raw)["sub"], 1234);
    http_get_bearer(&app, "/protected", &raw)
        .await
        .assert_error(422, "Subject must be a string");

    // JWT_VERIFY_SUB = False accepts it, as in the reference.
    let lenient = build(JwtManager::builder(
        JwtConfig::new()
            .with_secret_key("foobarbaz")
            .with_verify_sub(false),
    ));
    let response = http_get_bearer(&self::app(lenient), "/protected", &raw).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["sub"], 1234);
}
