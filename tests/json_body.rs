//! Port of the reference's `tests/test_json.py`, plus the body rules of
//! spec §5.5: the body is read without being consumed, and bounded.
//!
//! Written once, run on axum and on actix-web (`common::frameworks`).

mod common;

use common::frameworks::{AppOptions, FRAMEWORKS, Framework, TestServer};
use common::manager_with;
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::json;

fn base() -> JwtConfig {
    JwtConfig::new()
        .with_secret_key("foobarbaz")
        .with_token_location([TokenLocation::Json])
}

/// The shared test app: `/protected` (`jwt_required()`),
/// `/refresh_protected` (`jwt_required(refresh=True)`) and `/echo` (a
/// protected route answering the body it received), behind the JWT layer
/// that buffers the body.
async fn app(framework: Framework, jwt: JwtManager) -> TestServer {
    TestServer::start(framework, jwt).await
}

fn tokens(jwt: &JwtManager) -> (String, String) {
    let access = jwt.create_access_token("username").unwrap_or_default();
    let refresh = jwt.create_refresh_token("username").unwrap_or_default();
    (access, refresh)
}

#[tokio::test]
async fn content_type() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base());
        let app = app(fw, jwt.clone()).await;
        let (access, refresh) = tokens(&jwt);
        let form = format!("access_token={access}");
        app.post_body(
            "/protected",
            Some("application/x-www-form-urlencoded"),
            form,
        )
        .await
        .assert_error(401, "Invalid content-type. Must be application/json.");
        let form = format!("refresh_token={refresh}");
        app.post_body(
            "/refresh_protected",
            Some("application/x-www-form-urlencoded"),
            form,
        )
        .await
        .assert_error(401, "Invalid content-type. Must be application/json.");
        app.post_body("/protected", None, "")
            .await
            .assert_error(401, "Invalid content-type. Must be application/json.");
    }
}

#[tokio::test]
async fn custom_body_key() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base().with_json_key("Foo").with_refresh_json_key("Bar"));
        let app = app(fw, jwt.clone()).await;
        let (access, refresh) = tokens(&jwt);
        app.post_json("/protected", &json!({"access_token": access}))
            .await
            .assert_error(401, "Missing \"Foo\" key in json data.");
        app.post_json("/refresh_protected", &json!({"refresh_token": refresh}))
            .await
            .assert_error(401, "Missing \"Bar\" key in json data.");
        let r = app.post_json("/protected", &json!({"Foo": access})).await;
        r.assert_json(200, json!({"foo": "bar"}));
        let r = app
            .post_json("/refresh_protected", &json!({"Bar": refresh}))
            .await;
        r.assert_json(200, json!({"foo": "bar"}));
    }
}

#[tokio::test]
async fn missing_keys() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base());
        let app = app(fw, jwt.clone()).await;
        app.post_body("/protected", Some("application/json"), "")
            .await
            .assert_error(401, "Missing \"access_token\" key in json data.");
        // A refresh route names its own key.
        let (access, _) = tokens(&jwt);
        app.post_json("/refresh_protected", &json!({"access_token": access}))
            .await
            .assert_error(401, "Missing \"refresh_token\" key in json data.");
        for body in [
            json!({"access_token": ""}),
            json!({"access_token": null}),
            json!({"access_token": 0}),
            json!(null),
        ] {
            app.post_json("/protected", &body)
                .await
                .assert_error(401, "Missing \"access_token\" key in json data.");
        }

        let custom = fw
            .unauthorized_response(JwtManager::builder(base()), 201, json!({"foo": "bar"}))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let custom_app = TestServer::start(fw, custom).await;
        let r = custom_app
            .post_body("/protected", Some("application/json"), "")
            .await;
        r.assert_json(201, json!({"foo": "bar"}));
    }
}

#[tokio::test]
async fn defaults() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base());
        let app = app(fw, jwt.clone()).await;
        let (access, refresh) = tokens(&jwt);
        let r = app
            .post_json("/protected", &json!({"access_token": access}))
            .await;
        r.assert_json(200, json!({"foo": "bar"}));
        let r = app
            .post_json("/refresh_protected", &json!({"refresh_token": refresh}))
            .await;
        r.assert_json(200, json!({"foo": "bar"}));
    }
}

#[tokio::test]
async fn custom_content_type() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base());
        let app = app(fw, jwt.clone()).await;
        let (access, refresh) = tokens(&jwt);
        for ct in [
            "application/json;charset=UTF-8",
            "application/merge-patch+json",
            "Application/JSON",
        ] {
            let r = app
                .post_body(
                    "/protected",
                    Some(ct),
                    json!({"access_token": access}).to_string(),
                )
                .await;
            assert_eq!(
                (r.status.as_u16(), r.json()),
                (200, json!({"foo": "bar"})),
                "{ct}"
            );
        }
        let r = app
            .post_body(
                "/refresh_protected",
                Some("application/json;charset=UTF-8"),
                json!({"refresh_token": refresh}).to_string(),
            )
            .await;
        r.assert_status(200);
        // text/plain is not JSON, whatever the body says.
        app.post_body(
            "/protected",
            Some("text/plain"),
            json!({"access_token": access}).to_string(),
        )
        .await
        .assert_error(401, "Invalid content-type. Must be application/json.");
    }
}

#[tokio::test]
async fn body_is_not_consumed() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base());
        let app = app(fw, jwt.clone()).await;
        let (access, _) = tokens(&jwt);
        let body = json!({"access_token": access, "payload": "x".repeat(10_000)}).to_string();
        let r = app
            .post_body("/echo", Some("application/json"), body.clone())
            .await;
        r.assert_status(200);
        assert_eq!(r.json()["received"], json!(body));
    }
}

#[tokio::test]
async fn non_string_token_is_invalid() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base());
        let app = app(fw, jwt).await;
        app.post_json("/protected", &json!({"access_token": 5}))
            .await
            .assert_error(422, "Invalid token type. Token must be a <class 'bytes'>");
    }
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    for fw in FRAMEWORKS {
        let jwt = manager_with(base());
        let options = AppOptions {
            body_limit: Some(1024),
            ..AppOptions::default()
        };
        let app = TestServer::start_with(fw, jwt.clone(), options).await;
        let (access, _) = tokens(&jwt);
        let big = json!({"access_token": access, "pad": "x".repeat(2048)}).to_string();
        // No Content-Length: read and cut at the limit.
        let r = app
            .post_chunked("/protected", "application/json", big.as_bytes())
            .await;
        r.assert_error(413, "Request body is too large to look for a token");
        assert_eq!(r.headers["content-type"], "application/json", "{fw}");
        // A declared length over the limit is refused without reading.
        let r = app
            .post_body("/protected", Some("application/json"), big.clone())
            .await;
        r.assert_error(413, "Request body is too large to look for a token");
        assert_eq!(r.headers["content-type"], "application/json", "{fw}");
        // Under the limit it works, declared or not.
        let small = json!({"access_token": access}).to_string();
        app.post_body("/protected", Some("application/json"), small.clone())
            .await
            .assert_status(200);
        app.post_chunked("/protected", "application/json", small.as_bytes())
            .await
            .assert_status(200);
    }
}
