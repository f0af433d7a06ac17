//! User loading: the reference's `tests/test_user_lookup.py`, plus the Rust
//! side of it (async loader, `CurrentUser<U>` wiring mistakes, optional
//! routes, loader errors, how the identity is printed).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use jwt_extended::axum::JwtManagerBuilderExt;
use jwt_extended::axum::{CurrentUser, FlaskJson, Jwt};
use jwt_extended::hooks::UserLoader;
use jwt_extended::token::IdentityClaim;
use jwt_extended::{DecodedToken, Error, ErrorKind, JwtConfig, JwtManager, JwtManagerBuilder};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq)]
struct User {
    username: String,
}

/// `get_current_user()["username"]`: through the extractor.
async fn get_user1(CurrentUser(user): CurrentUser<User>) -> FlaskJson<Value> {
    FlaskJson(json!({ "foo": user.username }))
}

/// `current_user["username"]`: through the verification result.
async fn get_user2(token: Jwt) -> (StatusCode, FlaskJson<Value>) {
    match token.verified().user::<User>() {
        Some(user) => (StatusCode::OK, FlaskJson(json!({ "foo": user.username }))),
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            FlaskJson(json!({"error": "no user loaded"})),
        ),
    }
}

async fn maybe_user(user: Option<CurrentUser<User>>) -> FlaskJson<Value> {
    FlaskJson(json!({ "user": user.map(|CurrentUser(u)| u.username) }))
}

/// `GET /get_user1` on a wrongly wired route: the response, and the detail
/// of the error it carries in its extensions (what the log shows).
async fn misconfigured(app: &Router, token: &str) -> (TestResponse, String) {
    let request = request(axum::http::Method::GET, "/get_user1")
        .header("Authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap_or_else(|e| panic!("bad request: {e}"));
    let response = tower::ServiceExt::oneshot(app.clone(), request)
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

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/get_user1", get(get_user1))
        .route("/get_user2", get(get_user2))
        .route("/maybe_user", get(maybe_user))
        .with_state(jwt)
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
    let jwt = build(builder());
    let app = app(jwt.clone());
    // The reference raises a RuntimeError naming `@jwt.user_lookup_loader`;
    // here the client gets a generic 500 and the log (and the error in the
    // response extensions) names the fix.
    let (response, detail) = misconfigured(&app, &token(&jwt, "username")).await;
    response.assert_error(500, "Internal Server Error");
    assert!(detail.contains("user_lookup_loader"), "{detail}");
    assert!(detail.contains("CurrentUser<"), "{detail}");

    // Without a loader nothing is loaded, and the request is not refused
    // for that: only asking for the user is a mistake.
    let response = http_get_bearer(&app, "/get_user2", &token(&jwt, "username")).await;
    assert_eq!(response.status, 500);
    assert_eq!(response.json(), json!({"error": "no user loaded"}));
}

#[tokio::test]
async fn load_valid_user() {
    let jwt = build(by_sub(builder()));
    let app = app(jwt.clone());
    for url in ["/get_user1", "/get_user2"] {
        let response = http_get_bearer(&app, url, &token(&jwt, "username")).await;
        assert_eq!(response.status, 200, "{url}: {}", response.text());
        assert_eq!(response.json(), json!({"foo": "username"}), "{url}");
    }
}

#[tokio::test]
async fn load_invalid_user() {
    let jwt = build(builder().user_lookup_loader(|_token: &DecodedToken| async { None::<User> }));
    let app = app(jwt.clone());
    for url in ["/get_user1", "/get_user2"] {
        let response = http_get_bearer(&app, url, &token(&jwt, "username")).await;
        response.assert_error(401, "Error loading the user username");
        assert_eq!(
            response.body, b"{\"msg\":\"Error loading the user username\"}\n",
            "{url}"
        );
    }
}

#[tokio::test]
async fn custom_user_lookup_errors() {
    let jwt = build(
        builder()
            .user_lookup_loader(|_token: &DecodedToken| async { None::<User> })
            .user_lookup_error_loader(
                |header: &Map<String, Value>, claims: &Map<String, Value>, _message: &str| {
                    assert_eq!(header["alg"], "HS256");
                    assert_eq!(claims["sub"], "username");
                    (StatusCode::CREATED, FlaskJson(json!({"foo": "bar"})))
                },
            ),
    );
    let app = app(jwt.clone());
    for url in ["/get_user1", "/get_user2"] {
        let response = http_get_bearer(&app, url, &token(&jwt, "username")).await;
        assert_eq!(response.status, 201, "{url}");
        assert_eq!(response.json(), json!({"foo": "bar"}), "{url}");
    }
}

#[tokio::test]
async fn wrong_user_type_names_both_types() {
    let jwt = build(builder().user_lookup_loader(|token: &DecodedToken| {
        let name = token.identity_str().map(str::to_owned);
        async move { name }
    }));
    let app = app(jwt.clone());
    let (response, detail) = misconfigured(&app, &token(&jwt, "username")).await;
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
    let app = app(jwt.clone());
    let token = jwt
        .access_token("username")
        .additional_claims(json!({"role": "admin"}))
        .create()
        .unwrap_or_default();
    let response = http_get_bearer(&app, "/get_user1", &token).await;
    assert_eq!(response.status, 200);
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(seen.len(), 1, "called once per request");
    assert_eq!(seen[0].0["alg"], "HS256");
    assert_eq!(seen[0].1["role"], "admin");
    assert_eq!(seen[0].1["type"], "access");
}

#[tokio::test]
async fn optional_routes_without_a_token_never_call_the_loader() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let jwt = build(builder().user_lookup_loader(move |token: &DecodedToken| {
        counter.fetch_add(1, Ordering::SeqCst);
        let username = token.identity_str().map(str::to_owned);
        async move { username.map(|username| User { username }) }
    }));
    let app = app(jwt.clone());

    let anonymous = http_get(&app, "/maybe_user", &[]).await;
    assert_eq!(anonymous.status, 200);
    assert_eq!(anonymous.json(), json!({"user": null}));
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    let known = http_get_bearer(&app, "/maybe_user", &token(&jwt, "ann")).await;
    assert_eq!(known.json(), json!({"user": "ann"}));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn optional_route_with_a_token_still_fails_when_nobody_is_found() {
    let jwt = build(builder().user_lookup_loader(|_token: &DecodedToken| async { None::<User> }));
    let app = app(jwt.clone());
    let response = http_get_bearer(&app, "/maybe_user", &token(&jwt, "ghost")).await;
    response.assert_error(401, "Error loading the user ghost");
}

#[tokio::test]
async fn optional_user_without_a_loader_and_without_a_token_is_none() {
    // Like the reference's `current_user` on an optional route: None, even
    // with no loader registered.
    let app = app(build(builder()));
    let response = http_get(&app, "/maybe_user", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"user": null}));
}

#[tokio::test]
async fn falsy_users_count_as_loaded() {
    // The reference only treats `None` as "not found"; 0 or {} are users.
    async fn zero(CurrentUser(n): CurrentUser<i64>) -> String {
        n.to_string()
    }
    let jwt = build(builder().user_lookup_loader(|_token: &DecodedToken| async { Some(0_i64) }));
    let app = Router::new()
        .route("/zero", get(zero))
        .with_state(jwt.clone());
    let response = http_get_bearer(&app, "/zero", &token(&jwt, "x")).await;
    assert_eq!(
        (response.status.as_u16(), response.text().as_str()),
        (200, "0")
    );
}

#[tokio::test]
async fn the_identity_is_printed_like_python_str() {
    let jwt = build(
        JwtManager::builder(
            JwtConfig::new()
                .with_secret_key("foobarbaz")
                .with_verify_sub(false),
        )
        .user_lookup_loader(|_token: &DecodedToken| async { None::<User> }),
    );
    let app = app(jwt.clone());
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
        let response = http_get_bearer(&app, "/get_user1", &token).await;
        response.assert_error(401, &format!("Error loading the user {printed}"));
    }
}

#[tokio::test]
async fn the_message_key_applies_to_the_lookup_error() {
    let jwt = build(
        JwtManager::builder(
            JwtConfig::new()
                .with_secret_key("foobarbaz")
                .with_error_message_key("message"),
        )
        .user_lookup_loader(|_token: &DecodedToken| async { None::<User> }),
    );
    let app = app(jwt.clone());
    let response = http_get_bearer(&app, "/get_user1", &token(&jwt, "username")).await;
    assert_eq!(response.status, 401);
    assert_eq!(
        response.json(),
        json!({"message": "Error loading the user username"})
    );
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
    let jwt = build(builder().user_lookup_loader(FlakyStore { up: false }));
    let router = app(jwt.clone());
    let response = http_get_bearer(&router, "/get_user1", &token(&jwt, "username")).await;
    response.assert_error(500, "user store unavailable");

    // An app can answer 503 for this kind only.
    let jwt = build(
        builder()
            .user_lookup_loader(FlakyStore { up: false })
            .error_kind_response(ErrorKind::LoaderFailed, |_e: &Error| {
                StatusCode::SERVICE_UNAVAILABLE
            }),
    );
    let router = app(jwt.clone());
    let response = http_get_bearer(&router, "/get_user1", &token(&jwt, "username")).await;
    assert_eq!(response.status, 503);

    let jwt = build(builder().user_lookup_loader(FlakyStore { up: true }));
    let router = app(jwt.clone());
    let response = http_get_bearer(&router, "/get_user1", &token(&jwt, "username")).await;
    assert_eq!(response.json(), json!({"foo": "username"}));
}

#[tokio::test]
async fn a_struct_identity_round_trips_to_its_user() {
    use jwt_extended::token::Identity;

    #[derive(Clone)]
    struct Account {
        id: u32,
        name: &'static str,
    }
    impl Identity for Account {
        fn identity_claim(&self) -> IdentityClaim {
            IdentityClaim::string(self.id.to_string())
        }
    }
    const ACCOUNTS: [Account; 2] = [
        Account {
            id: 1,
            name: "bruce",
        },
        Account { id: 2, name: "ann" },
    ];
    async fn me(CurrentUser(account): CurrentUser<Account>) -> String {
        account.name.to_owned()
    }
    let jwt = build(builder().user_lookup_loader(|token: &DecodedToken| {
        let id = token.identity_str().and_then(|s| s.parse::<u32>().ok());
        async move { ACCOUNTS.iter().find(|a| Some(a.id) == id).cloned() }
    }));
    let app = Router::new().route("/me", get(me)).with_state(jwt.clone());
    let token = jwt.create_access_token(&ACCOUNTS[1]).unwrap_or_default();
    assert_eq!(
        payload(&token)["sub"],
        "2",
        "integer ids are written as strings"
    );
    let response = http_get_bearer(&app, "/me", &token).await;
    assert_eq!(
        (response.status.as_u16(), response.text().as_str()),
        (200, "ann")
    );
}

/// Extractors of one request share their verification: the token is
/// verified (and the user loaded) once per distinct set of options.
#[tokio::test]
async fn extractors_of_one_request_verify_once_per_requirement() {
    use jwt_extended::axum::AnyType;

    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let jwt = build(builder().user_lookup_loader(move |token: &DecodedToken| {
        counter.fetch_add(1, Ordering::SeqCst);
        let username = token.identity_str().map(str::to_owned);
        async move { username.map(|username| User { username }) }
    }));
    // Three requirements: required access, optional any-type, optional
    // access; the second `Jwt` and `CurrentUser` repeat the first.
    async fn handler(
        first: Jwt,
        any: Option<Jwt<AnyType>>,
        maybe: Option<Jwt>,
        again: Jwt,
        CurrentUser(user): CurrentUser<User>,
    ) -> FlaskJson<Value> {
        FlaskJson(json!({
            "first": first.identity(),
            "any": any.map(|t| t.identity().clone()),
            "maybe": maybe.map(|t| t.identity().clone()),
            "again": again.identity(),
            "user": user.username,
        }))
    }
    let app = Router::new()
        .route("/all", get(handler))
        .with_state(jwt.clone());

    let response = http_get_bearer(&app, "/all", &token(&jwt, "ann")).await;
    assert_eq!(
        response.json(),
        json!({"first": "ann", "any": "ann", "maybe": "ann", "again": "ann", "user": "ann"})
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}
