//! Port of the reference's `tests/test_query_string.py`, plus the parsing
//! details of spec §5.4.
//!
//! Written once, run on axum and on actix-web (`common::frameworks`).

mod common;

use common::frameworks::{FRAMEWORKS, Framework, TestServer};
use common::manager_with;
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::json;

fn base() -> JwtConfig {
    JwtConfig::new()
        .with_secret_key("foobarbaz")
        .with_token_location([TokenLocation::QueryString])
}

/// The shared test app (its `/protected` is `jwt_required()`).
async fn app(framework: Framework, jwt: JwtManager) -> TestServer {
    TestServer::start(framework, jwt).await
}

fn token(jwt: &JwtManager) -> String {
    jwt.create_access_token("username")
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn default_query_parameter() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base());
        let app = app(fw, jwt.clone()).await;
        let r = app
            .get(&format!("/protected?jwt={}", token(&jwt)), &[])
            .await;
        r.assert_json(200, json!({"foo": "bar"}));
    }
}

#[tokio::test]
async fn query_string_value_prefix() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base().with_query_string_value_prefix("bearer "));
        let app = app(fw, jwt.clone()).await;
        let t = token(&jwt);
        let r = app.get(&format!("/protected?jwt=bearer%20{t}"), &[]).await;
        r.assert_json(200, json!({"foo": "bar"}));
        // `+` is a space in a query string, as in Werkzeug.
        let r = app.get(&format!("/protected?jwt=bearer+{t}"), &[]).await;
        r.assert_status(200);
        app.get(&format!("/protected?jwt={t}"), &[])
            .await
            .assert_error(
                422,
                "Invalid value for query parameter 'jwt'. Expected the value to start with 'bearer '",
            );
        // The prefix alone leaves an empty token.
        app.get("/protected?jwt=bearer%20", &[])
            .await
            .assert_error(422, "Not enough segments");
    }
}

#[tokio::test]
async fn custom_query_parameter() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base().with_query_string_name("foo"));
        let app = app(fw, jwt.clone()).await;
        let t = token(&jwt);
        app.get(&format!("/protected?jwt={t}"), &[])
            .await
            .assert_error(401, "Missing 'foo' query paramater");
        let r = app.get(&format!("/protected?foo={t}"), &[]).await;
        r.assert_json(200, json!({"foo": "bar"}));
    }
}

#[tokio::test]
async fn missing_query_parameter() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base());
        let app = app(fw, jwt.clone()).await;
        app.get("/protected", &[])
            .await
            .assert_error(401, "Missing 'jwt' query paramater");
        app.get("/protected?jwt=", &[])
            .await
            .assert_error(401, "Missing 'jwt' query paramater");
        // A header token is not looked at.
        app.get_bearer("/protected", &token(&jwt))
            .await
            .assert_error(401, "Missing 'jwt' query paramater");

        // Custom unauthorized response.
        let custom = fw
            .unauthorized_response(JwtManager::builder(base()), 201, json!({"foo": "bar"}))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let custom_app = TestServer::start(fw, custom).await;
        let r = custom_app.get("/protected", &[]).await;
        r.assert_json(201, json!({"foo": "bar"}));
    }
}

#[tokio::test]
async fn first_value_and_percent_decoding() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base());
        let app = app(fw, jwt.clone()).await;
        let t = token(&jwt);
        let r = app
            .get(&format!("/protected?jwt={t}&jwt=foobarbaz"), &[])
            .await;
        r.assert_status(200);
        app.get(&format!("/protected?jwt=foobarbaz&jwt={t}"), &[])
            .await
            .assert_error(422, "Not enough segments");
        // Percent-encoded characters are decoded before use.
        let first = t.as_bytes()[0];
        let encoded = format!("%{first:02X}{}", &t[1..]);
        let r = app.get(&format!("/protected?jwt={encoded}"), &[]).await;
        r.assert_status(200);
        // The name is case-sensitive.
        app.get(&format!("/protected?JWT={t}"), &[])
            .await
            .assert_error(401, "Missing 'jwt' query paramater");
    }
}
