//! User loading: the reference's `tests/test_user_lookup.py`, plus the Rust
//! side of it (async loader, `CurrentUser<U>` wiring mistakes, optional
//! routes, loader errors, how the identity is printed).
//!
//! Written once, run on axum and on actix-web (`common::frameworks`); only
//! the detail of a wiring mistake, read from the error axum puts in the
//! response extensions, is checked on axum alone.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::get;
use common::frameworks::{Account, FRAMEWORKS, Framework, Hook, Loader, Reply, TestServer, User};
use common::*;
use jwt_extended::axum::{CurrentUser, FlaskJson};
use jwt_extended::hooks::UserLoader;
use jwt_extended::token::IdentityClaim;
use jwt_extended::{DecodedToken, Error, ErrorKind, JwtConfig, JwtManager, JwtManagerBuilder};
use serde_json::{Value, json};

// The shared test app (`common::frameworks`) has the reference's routes
// `/get_user1` (`CurrentUser<User>`: `{"foo": <username>}`) and
// `/get_user2` (the user through the verification result, a 500
// `{"error": "no user loaded"}` without one), and `/maybe_user` (an
// optional `CurrentUser<User>`: `{"user": <username or null>}`), `/zero`
// (`CurrentUser<i64>`, as text), `/me` (`CurrentUser<Account>`: its name)
// and `/all` (five extractors of one request).

/// `GET /get_user1` on a wrongly wired axum route: the response, and the
/// detail of the error it carries in its extensions (what the log shows).
/// Axum only: the response extensions are axum's; the wire answer is
/// checked on every framework by the tests themselves.
async fn misconfigured(jwt: JwtManager, token: &str) -> (TestResponse, String) {
    async fn get_user1(CurrentUser(user): CurrentUser<User>) -> FlaskJson<Value> {
        FlaskJson(json!({ "foo": user.username }))
    }
    let app = Router::new()
        .route("/get_user1", get(get_user1))
        .with_state(jwt);
    let request = request(axum::http::Method::GET, "/get_user1")
        .header("Authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap_or_else(|e| panic!("bad request: {e}"));
    let response = tower::ServiceExt::oneshot(app, request)
        .await
        .unwrap_or_else(|e| match e {});
    let error = response.extensions().get::<Error>().cloned();
    assert_eq!(
        error.as_ref().map(Error::kind),
        Some(ErrorKind::Misconfigured)
    );
    let detail = error
        .and_then(|e| e.detail().map(str::to_owned))
        .unwrap_or_default();
    let (parts, body) = response.into_parts();
    let body = http_body_util::BodyExt::collect(body)
        .await
        .unwrap_or_else(|e| panic!("body error: {e}"))
        .to_bytes()
        .to_vec();
    let response = TestResponse {
        status: parts.status,
        headers: parts.headers,
        body,
        framework: None,
    };
    (response, detail)
}

fn builder() -> JwtManagerBuilder {
    JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz"))
}

fn build(builder: JwtManagerBuilder) -> JwtManager {
    builder
        .build()
        .unwrap_or_else(|e| panic!("bad test config: {e}"))
}

async fn app(framework: Framework, jwt: JwtManager) -> TestServer {
    TestServer::start(framework, jwt).await
}

fn token(jwt: &JwtManager, identity: &str) -> String {
    jwt.create_access_token(identity)
        .unwrap_or_else(|e| panic!("cannot create a token: {e}"))
}

/// The loader of the reference test: `{"username": jwt_data["sub"]}`.
fn by_sub(builder: JwtManagerBuilder) -> JwtManagerBuilder {
    builder.user_lookup_loader(|token: &DecodedToken| {
        let username = token.identity_str().map(str::to_owned);
        async move { username.map(|username| User { username }) }
    })
}

#[tokio::test]
async fn no_user_lookup_loader_specified() {
    for fw in FRAMEWORKS {
        let jwt = build(builder());
        let app = app(fw, jwt.clone()).await;
        // The reference raises a RuntimeError naming `@jwt.user_lookup_loader`;
        // here the client gets a generic 500 and the log names the fix.
        app.get_bearer("/get_user1", &token(&jwt, "username"))
            .await
            .assert_error(500, "Internal Server Error");

        // Without a loader nothing is loaded, and the request is not refused
        // for that: only asking for the user is a mistake.
        let response = app.get_bearer("/get_user2", &token(&jwt, "username")).await;
        response.assert_json(500, json!({"error": "no user loaded"}));
    }
    // The detail (axum's response extensions) names the fix.
    let jwt = build(builder());
    let (response, detail) = misconfigured(jwt.clone(), &token(&jwt, "username")).await;
    response.assert_error(500, "Internal Server Error");
    assert!(detail.contains("user_lookup_loader"), "{detail}");
    assert!(detail.contains("CurrentUser<"), "{detail}");
}

#[tokio::test]
async fn load_valid_user() {
    for fw in FRAMEWORKS {
        let jwt = build(by_sub(builder()));
        let app = app(fw, jwt.clone()).await;
        for url in ["/get_user1", "/get_user2"] {
            let response = app.get_bearer(url, &token(&jwt, "username")).await;
            assert_eq!(response.status, 200, "{fw} {url}: {}", response.text());
            assert_eq!(response.json(), json!({"foo": "username"}), "{fw} {url}");
        }
    }
}

#[tokio::test]
async fn load_invalid_user() {
    for fw in FRAMEWORKS {
        let jwt =
            build(builder().user_lookup_loader(|_token: &DecodedToken| async { None::<User> }));
        let app = app(fw, jwt.clone()).await;
        for url in ["/get_user1", "/get_user2"] {
            let response = app.get_bearer(url, &token(&jwt, "username")).await;
            response.assert_error(401, "Error loading the user username");
            assert_eq!(
                response.body, b"{\"msg\":\"Error loading the user username\"}\n",
                "{fw} {url}"
            );
        }
    }
}

#[tokio::test]
async fn custom_user_lookup_errors() {
    for fw in FRAMEWORKS {
        let (custom, calls) = fw.loader_response(
            builder().user_lookup_loader(|_token: &DecodedToken| async { None::<User> }),
            Loader::UserLookupError,
            201,
            json!({"foo": "bar"}),
        );
        let jwt = build(custom);
        let app = app(fw, jwt.clone()).await;
        for url in ["/get_user1", "/get_user2"] {
            let response = app.get_bearer(url, &token(&jwt, "username")).await;
            assert_eq!(response.status, 201, "{fw} {url}");
            assert_eq!(response.json(), json!({"foo": "bar"}), "{fw} {url}");
            let call = calls.last();
            assert_eq!(call.header["alg"], "HS256", "{fw} {url}");
            assert_eq!(call.claims["sub"], "username", "{fw} {url}");
        }
    }
}

#[tokio::test]
async fn wrong_user_type_names_both_types() {
    let by_name = || {
        build(builder().user_lookup_loader(|token: &DecodedToken| {
            let name = token.identity_str().map(str::to_owned);
            async move { name }
        }))
    };
    for fw in FRAMEWORKS {
        let jwt = by_name();
        let app = app(fw, jwt.clone()).await;
        let response = app.get_bearer("/get_user1", &token(&jwt, "username")).await;
        response.assert_error(500, "Internal Server Error");
        assert!(
            !response.text().contains("String"),
            "{fw}: {}",
            response.text()
        );
    }
    // The detail (axum's response extensions) names both types.
    let jwt = by_name();
    let (response, detail) = misconfigured(jwt.clone(), &token(&jwt, "username")).await;
    response.assert_error(500, "Internal Server Error");
    assert!(!response.text().contains("String"), "{}", response.text());
    assert!(
        detail.contains("does not match the user loader") && detail.contains("String"),
        "{detail}"
    );
    assert!(detail.contains("User>"), "{detail}");
}

#[tokio::test]
async fn loader_is_async_and_sees_the_whole_token() {
    for fw in FRAMEWORKS {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let jwt = build(builder().user_lookup_loader(move |token: &DecodedToken| {
            let header = token.header().clone();
            let claims = token.claims().clone();
            let log = log.clone();
            async move {
                tokio::task::yield_now().await;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                let name = claims["sub"].as_str().map(str::to_owned);
                if let Ok(mut log) = log.lock() {
                    log.push((header, claims));
                }
                name.map(|username| User { username })
            }
        }));
        let app = app(fw, jwt.clone()).await;
        let token = jwt
            .access_token("username")
            .additional_claims(json!({"role": "admin"}))
            .create()
            .unwrap_or_default();
        let response = app.get_bearer("/get_user1", &token).await;
        response.assert_status(200);
        let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(seen.len(), 1, "{fw}: called once per request");
        assert_eq!(seen[0].0["alg"], "HS256", "{fw}");
        assert_eq!(seen[0].1["role"], "admin", "{fw}");
        assert_eq!(seen[0].1["type"], "access", "{fw}");
    }
}

#[tokio::test]
async fn optional_routes_without_a_token_never_call_the_loader() {
    for fw in FRAMEWORKS {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let jwt = build(builder().user_lookup_loader(move |token: &DecodedToken| {
            counter.fetch_add(1, Ordering::SeqCst);
            let username = token.identity_str().map(str::to_owned);
            async move { username.map(|username| User { username }) }
        }));
        let app = app(fw, jwt.clone()).await;

        let anonymous = app.get("/maybe_user", &[]).await;
        anonymous.assert_json(200, json!({"user": null}));
        assert_eq!(calls.load(Ordering::SeqCst), 0, "{fw}");

        let known = app.get_bearer("/maybe_user", &token(&jwt, "ann")).await;
        assert_eq!(known.json(), json!({"user": "ann"}), "{fw}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{fw}");
    }
}

#[tokio::test]
async fn optional_route_with_a_token_still_fails_when_nobody_is_found() {
    for fw in FRAMEWORKS {
        let jwt =
            build(builder().user_lookup_loader(|_token: &DecodedToken| async { None::<User> }));
        let app = app(fw, jwt.clone()).await;
        let response = app.get_bearer("/maybe_user", &token(&jwt, "ghost")).await;
        response.assert_error(401, "Error loading the user ghost");
    }
}

#[tokio::test]
async fn optional_user_without_a_loader_and_without_a_token_is_none() {
    // Like the reference's `current_user` on an optional route: None, even
    // with no loader registered.
    for fw in FRAMEWORKS {
        let app = app(fw, build(builder())).await;
        let response = app.get("/maybe_user", &[]).await;
        response.assert_json(200, json!({"user": null}));
    }
}

#[tokio::test]
async fn falsy_users_count_as_loaded() {
    // The reference only treats `None` as "not found"; 0 or {} are users.
    for fw in FRAMEWORKS {
        let jwt =
            build(builder().user_lookup_loader(|_token: &DecodedToken| async { Some(0_i64) }));
        let app = app(fw, jwt.clone()).await;
        let response = app.get_bearer("/zero", &token(&jwt, "x")).await;
        assert_eq!(
            (response.status.as_u16(), response.text().as_str()),
            (200, "0"),
            "{fw}"
        );
    }
}

#[tokio::test]
async fn the_identity_is_printed_like_python_str() {
    for fw in FRAMEWORKS {
        let jwt = build(
            JwtManager::builder(
                JwtConfig::new()
                    .with_secret_key("foobarbaz")
                    .with_verify_sub(false),
            )
            .user_lookup_loader(|_token: &DecodedToken| async { None::<User> }),
        );
        let app = app(fw, jwt.clone()).await;
        for (identity, printed) in [
            (json!("username"), "username"),
            (json!(1234), "1234"),
            (json!(1.5), "1.5"),
            (json!(true), "True"),
            (json!(null), "None"),
            (json!([1, "a"]), "[1, 'a']"),
            (json!({"id": 1, "name": "x"}), "{'id': 1, 'name': 'x'}"),
        ] {
            let token = jwt
                .create_access_token(&IdentityClaim::raw(identity.clone()))
                .unwrap_or_default();
            let response = app.get_bearer("/get_user1", &token).await;
            response.assert_error(401, &format!("Error loading the user {printed}"));
        }
    }
}

#[tokio::test]
async fn the_message_key_applies_to_the_lookup_error() {
    for fw in FRAMEWORKS {
        let jwt = build(
            JwtManager::builder(
                JwtConfig::new()
                    .with_secret_key("foobarbaz")
                    .with_error_message_key("message"),
            )
            .user_lookup_loader(|_token: &DecodedToken| async { None::<User> }),
        );
        let app = app(fw, jwt.clone()).await;
        let response = app.get_bearer("/get_user1", &token(&jwt, "username")).await;
        response.assert_json(401, json!({"message": "Error loading the user username"}));
    }
}

/// A loader whose store can fail: the trait form.
struct FlakyStore {
    up: bool,
}

impl UserLoader for FlakyStore {
    type User = User;

    async fn load_user(&self, token: &DecodedToken) -> Result<Option<User>, Error> {
        if !self.up {
            return Err(Error::new(
                ErrorKind::LoaderFailed,
                "user store unavailable",
            ));
        }
        Ok(token.identity_str().map(|u| User {
            username: u.to_owned(),
        }))
    }
}

#[tokio::test]
async fn loader_errors_are_not_lookup_failures() {
    for fw in FRAMEWORKS {
        let jwt = build(builder().user_lookup_loader(FlakyStore { up: false }));
        let server = app(fw, jwt.clone()).await;
        let response = server
            .get_bearer("/get_user1", &token(&jwt, "username"))
            .await;
        response.assert_error(500, "user store unavailable");

        // An app can answer 503 for this kind only.
        let jwt = build(fw.fixed_response(
            builder().user_lookup_loader(FlakyStore { up: false }),
            Hook::Kind(ErrorKind::LoaderFailed),
            Reply::status(503),
        ));
        let server = app(fw, jwt.clone()).await;
        let response = server
            .get_bearer("/get_user1", &token(&jwt, "username"))
            .await;
        response.assert_status(503);

        let jwt = build(builder().user_lookup_loader(FlakyStore { up: true }));
        let server = app(fw, jwt.clone()).await;
        let response = server
            .get_bearer("/get_user1", &token(&jwt, "username"))
            .await;
        assert_eq!(response.json(), json!({"foo": "username"}), "{fw}");
    }
}

const ACCOUNTS: [Account; 2] = [
    Account {
        id: 1,
        name: "bruce",
    },
    Account { id: 2, name: "ann" },
];

#[tokio::test]
async fn a_struct_identity_round_trips_to_its_user() {
    for fw in FRAMEWORKS {
        let jwt = build(builder().user_lookup_loader(|token: &DecodedToken| {
            let id = token.identity_str().and_then(|s| s.parse::<u32>().ok());
            async move { ACCOUNTS.iter().find(|a| Some(a.id) == id).cloned() }
        }));
        let app = app(fw, jwt.clone()).await;
        let token = jwt.create_access_token(&ACCOUNTS[1]).unwrap_or_default();
        assert_eq!(
            payload(&token)["sub"],
            "2",
            "integer ids are written as strings"
        );
        let response = app.get_bearer("/me", &token).await;
        assert_eq!(
            (response.status.as_u16(), response.text().as_str()),
            (200, "ann"),
            "{fw}"
        );
    }
}

/// Extractors of one request share their verification: the token is
/// verified (and the user loaded) once per distinct set of options.
#[tokio::test]
async fn extractors_of_one_request_verify_once_per_requirement() {
    for fw in FRAMEWORKS {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let jwt = build(builder().user_lookup_loader(move |token: &DecodedToken| {
            counter.fetch_add(1, Ordering::SeqCst);
            let username = token.identity_str().map(str::to_owned);
            async move { username.map(|username| User { username }) }
        }));
        // `/all` has three requirements: required access, optional
        // any-type, optional access; the second `Jwt` and `CurrentUser`
        // repeat the first.
        let app = app(fw, jwt.clone()).await;
        let response = app.get_bearer("/all", &token(&jwt, "ann")).await;
        assert_eq!(
            response.json(),
            json!({"first": "ann", "any": "ann", "maybe": "ann", "again": "ann", "user": "ann"}),
            "{fw}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3, "{fw}");
    }
}
