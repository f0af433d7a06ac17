//! Additional JOSE headers at creation: the reference's
//! `tests/test_jwt_header_loader.py` (with the conflict assertion its
//! "override" tests lack), plus the header rules of spec §3.5.
//!
//! The requests are written once and run on axum and on actix-web
//! (`common::frameworks`); the tests of token creation alone need no server.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::frameworks::{FRAMEWORKS, Framework, TestServer};
use common::*;
use jwt_extended::hooks::SigningKey;
use jwt_extended::{ErrorKind, JwtConfig, JwtManager, JwtManagerBuilder};
use serde_json::json;

// The shared test app (`common::frameworks`) answers the verified token's
// header at `/token_header` (`Jwt`, the reference's `/protected`) and
// `/refresh_token_header` (`Jwt<Refresh>`, its `/protected2`).

fn builder() -> JwtManagerBuilder {
    JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz"))
}

fn build(builder: JwtManagerBuilder) -> JwtManager {
    builder
        .build()
        .unwrap_or_else(|e| panic!("bad test config: {e}"))
}

/// `GET uri` with a bearer token, on `framework` serving `jwt`.
async fn get_bearer(
    framework: Framework,
    jwt: &JwtManager,
    uri: &str,
    token: &str,
) -> TestResponse {
    TestServer::start(framework, jwt.clone())
        .await
        .get_bearer(uri, token)
        .await
}

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

/// The header segment exactly as serialised.
fn raw_header(token: &str) -> String {
    let part = token.split('.').next().unwrap_or_default();
    String::from_utf8(URL_SAFE_NO_PAD.decode(part).unwrap_or_default()).unwrap_or_default()
}

#[tokio::test]
async fn jwt_headers_in_access_token() {
    let jwt = build(builder().additional_headers_loader(|_identity| json!({"foo": "bar"})));
    let token = ok(jwt.create_access_token("username"));
    for fw in FRAMEWORKS {
        let response = get_bearer(fw, &jwt, "/token_header", &token).await;
        response.assert_status(200);
        assert_eq!(response.json()["foo"], "bar", "{fw}");
    }
}

#[tokio::test]
async fn non_serializable_headers() {
    struct NotSerializable;
    impl serde::Serialize for NotSerializable {
        fn serialize<S: serde::Serializer>(&self, _s: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom(
                "Object of type object is not JSON serializable",
            ))
        }
    }
    let jwt = build(builder().additional_headers_loader(|_identity| NotSerializable));
    let err = jwt.create_access_token("username").err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Encode));

    let jwt =
        build(builder().additional_headers_loader(|_identity| json!(["not", "an", "object"])));
    let err = jwt.create_access_token("username").err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Encode));

    let jwt = build(builder());
    let err = jwt
        .access_token("username")
        .additional_headers(NotSerializable)
        .create()
        .err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Encode));
}

#[tokio::test]
async fn jwt_headers_in_refresh_token() {
    let jwt = build(builder().additional_headers_loader(|_identity| json!({"foo": "bar"})));
    let token = ok(jwt.create_refresh_token("username"));
    for fw in FRAMEWORKS {
        let response = get_bearer(fw, &jwt, "/refresh_token_header", &token).await;
        response.assert_status(200);
        assert_eq!(response.json()["foo"], "bar", "{fw}");
    }
}

#[tokio::test]
async fn jwt_header_in_refresh_token_specified_at_creation() {
    let jwt = build(builder());
    let token = ok(jwt
        .refresh_token("username")
        .additional_headers(json!({"foo": "bar"}))
        .create());
    for fw in FRAMEWORKS {
        let response = get_bearer(fw, &jwt, "/refresh_token_header", &token).await;
        response.assert_status(200);
        assert_eq!(response.json()["foo"], "bar", "{fw}");
    }
}

#[tokio::test]
async fn jwt_header_in_access_token_specified_at_creation() {
    let jwt = build(builder());
    let token = ok(jwt
        .access_token("username")
        .additional_headers(json!({"foo": "bar"}))
        .create());
    for fw in FRAMEWORKS {
        let response = get_bearer(fw, &jwt, "/token_header", &token).await;
        response.assert_status(200);
        assert_eq!(response.json()["foo"], "bar", "{fw}");
    }
}

#[tokio::test]
async fn jwt_header_in_access_token_specified_at_creation_override() {
    let jwt = build(
        builder().additional_headers_loader(|_identity| json!({"ping": "pong", "foo": "loader"})),
    );
    let token = ok(jwt
        .access_token("username")
        .additional_headers(json!({"foo": "bar"}))
        .create());
    for fw in FRAMEWORKS {
        let response = get_bearer(fw, &jwt, "/token_header", &token).await;
        response.assert_status(200);
        let header = response.json();
        // Both are merged, and on a conflict the per-call header wins (the
        // assertion the reference test lacks).
        assert_eq!(header["ping"], "pong", "{fw}");
        assert_eq!(header["foo"], "bar", "{fw}");
    }
}

#[tokio::test]
async fn jwt_header_in_refresh_token_specified_at_creation_override() {
    let jwt = build(
        builder().additional_headers_loader(|_identity| json!({"ping": "pong", "foo": "loader"})),
    );
    let token = ok(jwt
        .refresh_token("username")
        .additional_headers(json!({"foo": "bar"}))
        .create());
    for fw in FRAMEWORKS {
        let response = get_bearer(fw, &jwt, "/refresh_token_header", &token).await;
        response.assert_status(200);
        let header = response.json();
        assert_eq!(header["ping"], "pong", "{fw}");
        assert_eq!(header["foo"], "bar", "{fw}");
    }
}

#[tokio::test]
async fn the_header_has_sorted_keys_and_typ_null_removes_typ() {
    let jwt = build(
        builder().additional_headers_loader(|_identity| json!({"kid": "k1", "foo": "loader"})),
    );
    let token = ok(jwt.create_access_token("x"));
    assert_eq!(
        raw_header(&token),
        r#"{"alg":"HS256","foo":"loader","kid":"k1","typ":"JWT"}"#
    );

    let token = ok(jwt
        .access_token("x")
        .additional_headers(json!({"foo": 1, "typ": null}))
        .create());
    assert_eq!(raw_header(&token), r#"{"alg":"HS256","foo":1,"kid":"k1"}"#);
    // Still a valid token.
    for fw in FRAMEWORKS {
        let response = get_bearer(fw, &jwt, "/token_header", &token).await;
        response.assert_json(200, json!({"alg": "HS256", "foo": 1, "kid": "k1"}));
    }
}

#[tokio::test]
async fn an_alg_header_changes_the_signing_algorithm() {
    let jwt = build(builder().additional_headers_loader(|_identity| json!({"alg": "HS512"})));
    let token = ok(jwt.create_access_token("x"));
    assert_eq!(header(&token)["alg"], "HS512");
    let lenient = build(JwtManager::builder(
        JwtConfig::new()
            .with_secret_key("foobarbaz")
            .with_decode_algorithms([
                jwt_extended::Algorithm::HS256,
                jwt_extended::Algorithm::HS512,
            ]),
    ));
    for fw in FRAMEWORKS {
        // The app's own decoder refuses it unless HS512 is accepted.
        get_bearer(fw, &jwt, "/token_header", &token)
            .await
            .assert_error(422, "The specified alg value is not allowed");
        get_bearer(fw, &lenient, "/token_header", &token)
            .await
            .assert_status(200);
    }
}

#[tokio::test]
async fn a_non_string_kid_is_refused_at_creation() {
    let jwt = build(builder());
    let err = jwt
        .access_token("x")
        .additional_headers(json!({"kid": 1}))
        .create()
        .err();
    assert_eq!(err.as_ref().map(|e| e.kind()), Some(ErrorKind::Encode));
    assert_eq!(
        err.map(|e| e.to_string()).unwrap_or_default(),
        "Key ID header parameter must be a string"
    );
}

#[tokio::test]
async fn a_kid_header_beats_the_signing_keys_kid() {
    let jwt = build(
        JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz")).encode_key_loader(
            |_identity| {
                SigningKey::from_secret("foobarbaz")
                    .map(|k| k.with_kid("from-key"))
                    .map_err(|e| jwt_extended::Error::new(ErrorKind::Encode, e.to_string()))
            },
        ),
    );
    assert_eq!(header(&ok(jwt.create_access_token("x")))["kid"], "from-key");
    let token = ok(jwt
        .access_token("x")
        .additional_headers(json!({"kid": "from-call"}))
        .create());
    assert_eq!(header(&token)["kid"], "from-call");
}
