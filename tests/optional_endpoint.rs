//! Optional routes (`@jwt_required(optional=True)` = `Option<Jwt>`, actix:
//! `Optional<Jwt>`): the port of the reference's
//! `tests/test_get_methods_in_optional_endpoint.py`, plus the "optional"
//! summary table of the spec (§8): only "no token anywhere" is let through;
//! every other failure is still refused.
//!
//! Written once, run on axum and on actix-web (`common::frameworks`).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::frameworks::{FRAMEWORKS, Framework, TestServer, User};
use common::*;
use jwt_extended::config::TokenLocation;
use jwt_extended::{DecodedToken, JwtConfig, JwtManager};
use serde_json::json;

// The shared test app (`common::frameworks`) has the reference's optional
// view as `/optional_user` (GET and POST): `{"foo": "bar"}` without a token,
// else the identity and the loaded user, taken by an optional token and an
// optional `CurrentUser<User>` (a 500 if they disagree), and the bare
// `Option<Jwt>` view as `/optional_claims`.

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
                    username: name.to_owned(),
                });
            async move { user }
        })
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn app(framework: Framework, manager: JwtManager) -> TestServer {
    TestServer::start(framework, manager).await
}

#[tokio::test]
async fn get_jwt_in_optional_route() {
    for fw in FRAMEWORKS {
        let calls = Arc::new(AtomicUsize::new(0));
        let app = app(fw, counting_manager(JwtConfig::new(), calls.clone())).await;
        let response = app.get("/optional_user", &[]).await;
        response.assert_json(200, json!({"foo": "bar"}));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "{fw}: the user loader is not called without a token"
        );
    }
}

#[tokio::test]
async fn optional_with_a_valid_token_loads_the_user_once() {
    for fw in FRAMEWORKS {
        let calls = Arc::new(AtomicUsize::new(0));
        let manager = counting_manager(JwtConfig::new(), calls.clone());
        let token = manager
            .create_access_token("username")
            .unwrap_or_else(|e| panic!("{e}"));
        let app = app(fw, manager).await;
        let response = app.get_bearer("/optional_user", &token).await;
        response.assert_json(200, json!({"identity": "username", "user": "username"}));
        // The optional token and the optional user share one verification.
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{fw}");
    }
}

/// The `optional=True` table of spec §8.
#[tokio::test]
async fn only_a_missing_token_is_optional() {
    for fw in FRAMEWORKS {
        let calls = Arc::new(AtomicUsize::new(0));
        let manager = counting_manager(JwtConfig::new(), calls.clone());
        let app = app(fw, manager.clone()).await;
        let create = |r: Result<String, jwt_extended::Error>| r.unwrap_or_else(|e| panic!("{e}"));

        // No token in any location, including a header with another scheme.
        for headers in [vec![], vec![("Authorization", "Basic x")]] {
            let response = app.get("/optional_user", &headers).await;
            assert_eq!(response.json(), json!({"foo": "bar"}), "{fw}: {headers:?}");
        }
        // Everything else fails as on a required route.
        app.get_bearer("/optional_user", "foobarbaz")
            .await
            .assert_error(422, "Not enough segments");
        let other = JwtManager::new(JwtConfig::new().with_secret_key("other"))
            .unwrap_or_else(|e| panic!("{e}"));
        let forged = create(other.create_access_token("username"));
        app.get_bearer("/optional_user", &forged)
            .await
            .assert_error(422, "Signature verification failed");
        app.get("/optional_user", &[("Authorization", "Bearer")])
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
        app.get_bearer("/optional_user", &expired)
            .await
            .assert_error(401, "Token has expired");
        let refresh = create(manager.create_refresh_token("username"));
        app.get_bearer("/optional_user", &refresh)
            .await
            .assert_error(422, "Only non-refresh tokens are allowed");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "{fw}: no loader call so far"
        );
        let nobody = create(manager.create_access_token("nobody"));
        app.get_bearer("/optional_user", &nobody)
            .await
            .assert_error(401, "Error loading the user nobody");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{fw}");
    }
}

/// A cookie without its CSRF header on a protected method is refused even
/// on an optional route.
#[tokio::test]
async fn optional_does_not_suppress_csrf_errors() {
    for fw in FRAMEWORKS {
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
        let app = app(fw, manager).await;
        let cookie = format!("access_token_cookie={token}");
        let post_with = |headers: Vec<(&'static str, String)>| {
            let app = &app;
            async move {
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                app.call("POST", "/optional_user", &headers).await
            }
        };
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
            json!({"identity": "username", "user": "username"}),
            "{fw}"
        );
        // No cookie at all: anonymous.
        let anonymous = post_with(vec![]).await;
        assert_eq!(anonymous.json(), json!({"foo": "bar"}), "{fw}");
    }
}

/// Without a user loader, the optional token alone works and reads as
/// empty.
#[tokio::test]
async fn optional_without_a_user_loader() {
    for fw in FRAMEWORKS {
        let app = app(fw, manager()).await;
        let response = app.call("POST", "/optional_claims", &[]).await;
        response.assert_json(200, json!({"claims": {}, "header": {}, "identity": null}));
    }
}
