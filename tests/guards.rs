//! Authorisation guards (`Guard`, `Jwt<(Fresh, Admin)>`), the one error
//! schema (`ErrorKind::as_str`, `Error::status`, one catch-all closure),
//! wiring mistakes answered with a generic 500, and handler errors rendered
//! with the manager's responses without a `JwtLayer` (`reject`).

mod common;

use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::get;
use common::*;
use jwt_extended::axum::{
    Access, ClaimsWith, CurrentUser, CurrentUserWith, FlaskJson, Fresh, Guard, Jwt, JwtLayer,
    JwtManagerBuilderExt, JwtRejection, RejectExt, RequireJwtLayer, manager_for,
};
use jwt_extended::{DecodedToken, Error, JwtConfig, JwtManager, JwtManagerBuilder, Verified};
use serde_json::{Map, Value, json};

/// `"is_administrator": true`.
struct Admin;

impl Guard for Admin {
    const MESSAGE: &'static str = "Admins only!";

    fn allows(verified: &Verified) -> bool {
        verified.token().claim("is_administrator") == Some(&Value::Bool(true))
    }
}

/// `"groups"` contains `"billing"`; refuses with a message naming the user.
struct Billing;

impl Guard for Billing {
    fn check(verified: &Verified) -> Result<(), Error> {
        let groups = verified.token().claim("groups").and_then(Value::as_array);
        if groups.is_some_and(|g| g.iter().any(|g| g == "billing")) {
            Ok(())
        } else {
            let who = verified.token().identity_str().unwrap_or("?").to_owned();
            Err(Error::forbidden(format!("{who} is not in billing")))
        }
    }
}

/// A guard implementing nothing: refuses everything (fails closed).
struct Nobody;

impl Guard for Nobody {}

fn builder() -> JwtManagerBuilder {
    JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
}

fn build(builder: JwtManagerBuilder) -> JwtManager {
    builder
        .build()
        .unwrap_or_else(|e| panic!("bad test config: {e}"))
}

fn token(jwt: &JwtManager, fresh: bool, claims: Value) -> String {
    jwt.access_token("alice")
        .fresh(fresh)
        .additional_claims(claims)
        .create()
        .unwrap_or_else(|e| panic!("cannot create a token: {e}"))
}

fn admin(jwt: &JwtManager) -> String {
    token(jwt, false, json!({"is_administrator": true}))
}

fn user(jwt: &JwtManager) -> String {
    token(jwt, false, json!({"is_administrator": false}))
}

async fn who(token: Jwt<(Access, Admin)>) -> String {
    token.identity_str().unwrap_or_default().to_owned()
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/admin", get(who))
        .route(
            "/fresh_admin",
            get(|_: Jwt<(Fresh, Admin)>| async { "fresh admin" }),
        )
        .route(
            "/admin_billing",
            get(|_: Jwt<(Access, Admin, Billing)>| async { "admin in billing" }),
        )
        .route(
            "/maybe_admin",
            get(|t: Option<Jwt<(Access, Admin)>>| async move {
                t.map_or("anonymous".to_owned(), |t| {
                    t.identity_str().unwrap_or_default().to_owned()
                })
            }),
        )
        .route(
            "/nobody",
            get(|_: Jwt<(Access, Nobody)>| async { "unreachable" }),
        )
        .merge(
            Router::new()
                .route("/layered", get(|| async { "behind the layer" }))
                .route_layer(RequireJwtLayer::<(Access, Admin)>::new(jwt.clone())),
        )
        .with_state(jwt)
}

#[tokio::test]
async fn a_guard_lets_admins_in_and_answers_403_to_others() {
    let jwt = build(builder());
    let app = app(jwt.clone());
    let response = http_get_bearer(&app, "/admin", &admin(&jwt)).await;
    assert_eq!(
        (response.status.as_u16(), response.text()),
        (200, "alice".into())
    );

    let response = http_get_bearer(&app, "/admin", &user(&jwt)).await;
    response.assert_error(403, "Admins only!");
    assert_eq!(response.body, b"{\"msg\":\"Admins only!\"}\n");
    assert_eq!(response.headers["content-type"], "application/json");
}

#[tokio::test]
async fn token_errors_come_before_the_guard() {
    let jwt = build(builder());
    let app = app(jwt.clone());
    http_get(&app, "/admin", &[])
        .await
        .assert_error(401, "Missing Authorization Header");
    let expired = jwt
        .access_token("alice")
        .additional_claims(json!({"is_administrator": false}))
        .expires_in(Duration::from_secs(0))
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    http_get_bearer(&app, "/admin", &expired)
        .await
        .assert_error(401, "Token has expired");
    let refresh = jwt
        .create_refresh_token("alice")
        .unwrap_or_else(|e| panic!("{e}"));
    http_get_bearer(&app, "/admin", &refresh)
        .await
        .assert_error(422, "Only non-refresh tokens are allowed");
}

#[tokio::test]
async fn guards_compose_with_fresh_and_with_each_other() {
    let jwt = build(builder());
    let app = app(jwt.clone());
    http_get_bearer(&app, "/fresh_admin", &admin(&jwt))
        .await
        .assert_error(401, "Fresh token required");
    let fresh_user = token(&jwt, true, json!({"is_administrator": false}));
    http_get_bearer(&app, "/fresh_admin", &fresh_user)
        .await
        .assert_error(403, "Admins only!");
    let fresh_admin = token(&jwt, true, json!({"is_administrator": true}));
    assert_eq!(
        http_get_bearer(&app, "/fresh_admin", &fresh_admin)
            .await
            .status,
        200
    );

    // In order: the first guard that refuses answers.
    http_get_bearer(&app, "/admin_billing", &user(&jwt))
        .await
        .assert_error(403, "Admins only!");
    http_get_bearer(&app, "/admin_billing", &admin(&jwt))
        .await
        .assert_error(403, "alice is not in billing");
    let both = token(
        &jwt,
        false,
        json!({"is_administrator": true, "groups": ["billing"]}),
    );
    assert_eq!(
        http_get_bearer(&app, "/admin_billing", &both).await.status,
        200
    );

    // A guard that implements nothing refuses everything.
    http_get_bearer(&app, "/nobody", &admin(&jwt))
        .await
        .assert_error(403, "Forbidden");
}

#[tokio::test]
async fn optional_routes_and_layers_run_the_guard() {
    let jwt = build(builder());
    let app = app(jwt.clone());
    assert_eq!(
        http_get(&app, "/maybe_admin", &[]).await.text(),
        "anonymous"
    );
    assert_eq!(
        http_get_bearer(&app, "/maybe_admin", &admin(&jwt))
            .await
            .text(),
        "alice"
    );
    http_get_bearer(&app, "/maybe_admin", &user(&jwt))
        .await
        .assert_error(403, "Admins only!");

    http_get_bearer(&app, "/layered", &user(&jwt))
        .await
        .assert_error(403, "Admins only!");
    let response = http_get_bearer(&app, "/layered", &admin(&jwt)).await;
    assert_eq!(
        (response.status.as_u16(), response.text()),
        (200, "behind the layer".into())
    );
}

#[derive(Debug, Clone)]
struct User {
    name: String,
}

#[derive(serde::Deserialize)]
struct AdminClaims {
    sub: String,
    is_administrator: bool,
}

#[tokio::test]
async fn users_and_claims_extractors_take_guards_too() {
    let jwt = build(builder().user_lookup_loader(|token: &DecodedToken| {
        let name = token.identity_str().map(str::to_owned);
        async move { name.map(|name| User { name }) }
    }));
    let app = Router::new()
        .route(
            "/user",
            get(|CurrentUser(user): CurrentUser<User>| async move { user.name }),
        )
        .route(
            "/admin_user",
            get(
                |CurrentUserWith(user, _): CurrentUserWith<User, (Access, Admin)>| async move {
                    user.name
                },
            ),
        )
        .route(
            "/admin_claims",
            get(
                |ClaimsWith(claims, _): ClaimsWith<AdminClaims, (Access, Admin)>| async move {
                    format!("{} {}", claims.sub, claims.is_administrator)
                },
            ),
        )
        .with_state(jwt.clone());
    assert_eq!(
        http_get_bearer(&app, "/user", &user(&jwt)).await.text(),
        "alice"
    );
    assert_eq!(
        http_get_bearer(&app, "/admin_user", &admin(&jwt))
            .await
            .text(),
        "alice"
    );
    http_get_bearer(&app, "/admin_user", &user(&jwt))
        .await
        .assert_error(403, "Admins only!");
    assert_eq!(
        http_get_bearer(&app, "/admin_claims", &admin(&jwt))
            .await
            .text(),
        "alice true"
    );
    http_get_bearer(&app, "/admin_claims", &user(&jwt))
        .await
        .assert_error(403, "Admins only!");
}

#[tokio::test]
async fn the_forbidden_loader_gets_header_claims_and_message() {
    let jwt = build(builder().forbidden_loader(
        |header: &Map<String, Value>, claims: &Map<String, Value>, message: &str| {
            assert_eq!(header["alg"], "HS256");
            (
                StatusCode::IM_A_TEAPOT,
                FlaskJson(json!({"denied": claims["sub"], "why": message})),
            )
        },
    ));
    let app = app(jwt.clone());
    let response = http_get_bearer(&app, "/admin", &user(&jwt)).await;
    assert_eq!(response.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(
        response.json(),
        json!({"denied": "alice", "why": "Admins only!"})
    );
    // The message key of the manager is used by the default body.
    let jwt = build(JwtManager::builder(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_error_message_key("message"),
    ));
    let response = http_get_bearer(&app_of(&jwt), "/admin", &user(&jwt)).await;
    assert_eq!(
        (response.status.as_u16(), response.json()),
        (403, json!({"message": "Admins only!"}))
    );
}

fn app_of(jwt: &JwtManager) -> Router {
    app(jwt.clone())
}

// ---------------------------------------------------------------- one error schema

/// The one closure of the README: `{"error": code, "message": text}`.
fn one_schema(builder: JwtManagerBuilder) -> JwtManagerBuilder {
    builder.error_response(|error: &Error| {
        let body = json!({"error": error.kind().as_str(), "message": error.message()});
        (error.status(), axum::Json(body))
    })
}

#[tokio::test]
async fn one_closure_gives_every_failure_one_schema() {
    let jwt = build(
        one_schema(builder()).user_lookup_loader(|token: &DecodedToken| {
            let name = token.identity_str().map(str::to_owned);
            async move { name }
        }),
    );
    let app = app(jwt.clone()).merge(
        Router::new()
            // Wrong user type: the loader loads `String`.
            .route(
                "/wrong_user",
                get(|CurrentUser(user): CurrentUser<User>| async move { user.name }),
            )
            .with_state(jwt.clone()),
    );
    let cases = [
        (
            "/admin",
            None,
            401,
            "missing_token",
            "Missing Authorization Header".to_owned(),
        ),
        (
            "/admin",
            Some("x.y.z".to_owned()),
            422,
            "malformed_token",
            String::new(),
        ),
        (
            "/admin",
            Some(user(&jwt)),
            403,
            "forbidden",
            "Admins only!".to_owned(),
        ),
        (
            "/fresh_admin",
            Some(admin(&jwt)),
            401,
            "fresh_token_required",
            "Fresh token required".to_owned(),
        ),
        (
            "/wrong_user",
            Some(user(&jwt)),
            500,
            "misconfigured",
            "Internal Server Error".to_owned(),
        ),
    ];
    for (path, token, status, code, message) in cases {
        let response = match &token {
            Some(token) => http_get_bearer(&app, path, token).await,
            None => http_get(&app, path, &[]).await,
        };
        let body = response.json();
        assert_eq!(response.status.as_u16(), status, "{path}: {body}");
        assert_eq!(body["error"], code, "{path}: {body}");
        if !message.is_empty() {
            assert_eq!(body["message"], message.as_str(), "{path}");
        }
        assert_eq!(
            body.as_object().map(Map::len),
            Some(2),
            "{path}: one schema, nothing else: {body}"
        );
        let text = response.text();
        assert!(
            !text.contains("CurrentUser") && !text.contains("::"),
            "no Rust type names: {text}"
        );
    }
}

#[tokio::test]
async fn a_wiring_mistake_is_logged_in_detail_and_answered_generically() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // No user loader at all.
    let jwt = build(builder());
    let app = Router::new()
        .route(
            "/me",
            get(|CurrentUser(user): CurrentUser<User>| async move { user.name }),
        )
        .with_state(jwt.clone());
    let response = http_get_bearer(&app, "/me", &user(&jwt)).await;
    assert_eq!(response.status, 500);
    assert_eq!(response.body, b"{\"msg\":\"Internal Server Error\"}\n");

    let log = captured.text();
    assert!(log.contains("ERROR"), "{log}");
    assert!(log.contains("misconfigured"), "{log}");
    assert!(log.contains("user_lookup_loader"), "{log}");
    assert!(log.contains("CurrentUser<guards::User>"), "{log}");
}

// --------------------------------------------- handler errors without a layer

fn expired_teapot(builder: JwtManagerBuilder) -> JwtManagerBuilder {
    builder.expired_token_loader(
        |_: &Map<String, Value>, _: &Map<String, Value>, message: &str| {
            (
                StatusCode::IM_A_TEAPOT,
                FlaskJson(json!({"custom": message})),
            )
        },
    )
}

async fn decode_with_reject(
    State(jwt): State<JwtManager>,
    token: String,
) -> Result<String, JwtRejection> {
    let decoded = jwt.decode_token(&token).await.reject(&jwt)?;
    Ok(decoded.identity_str().unwrap_or_default().to_owned())
}

async fn decode_with_bare_question_mark(
    State(jwt): State<JwtManager>,
    token: String,
) -> Result<String, JwtRejection> {
    let decoded = jwt.decode_token(&token).await?;
    Ok(decoded.identity_str().unwrap_or_default().to_owned())
}

async fn owner_only(token: Jwt) -> Result<&'static str, JwtRejection> {
    if token.identity_str() == Some("bob") {
        Ok("yours")
    } else {
        Err(token.reject(Error::forbidden("Not your post")))
    }
}

fn expired(jwt: &JwtManager) -> String {
    jwt.access_token("alice")
        .expires_in(Duration::from_secs(0))
        .create()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn reject_keeps_custom_responses_without_a_layer() {
    let jwt = build(expired_teapot(builder()).forbidden_loader(
        |_: &Map<String, Value>, _: &Map<String, Value>, message: &str| {
            (StatusCode::FORBIDDEN, FlaskJson(json!({"custom": message})))
        },
    ));
    let app = Router::new()
        .route("/reject", axum::routing::post(decode_with_reject))
        .route("/bare", axum::routing::post(decode_with_bare_question_mark))
        .route("/owner", get(owner_only))
        .with_state(jwt.clone());
    let token = expired(&jwt);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let post = |path: &'static str, token: String| {
        request(axum::http::Method::POST, path)
            .body(axum::body::Body::from(token))
            .unwrap_or_else(|e| panic!("{e}"))
    };

    // `.reject(&jwt)?`: the manager's expired_token_loader, no layer needed.
    let response = send(&app, post("/reject", token.clone())).await;
    assert_eq!(response.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(response.json(), json!({"custom": "Token has expired"}));

    // `token.reject(error)`: the manager that verified the token.
    let response = http_get_bearer(&app, "/owner", &user(&jwt)).await;
    assert_eq!(
        (response.status.as_u16(), response.json()),
        (403, json!({"custom": "Not your post"}))
    );

    // A bare `?` without a layer: the defaults, as documented.
    send(&app, post("/bare", token.clone()))
        .await
        .assert_error(401, "Token has expired");
    // ... and behind a JwtLayer, the layer's responses.
    let layered = app.layer(JwtLayer::new(jwt.clone()));
    let response = send(&layered, post("/bare", token)).await;
    assert_eq!(response.status, StatusCode::IM_A_TEAPOT);
}

// --------------------------------------------------------- custom extractors

/// The simple path: a custom extractor on top of `Jwt`.
struct TenantMember(Jwt);

impl<S: Send + Sync> FromRequestParts<S> for TenantMember
where
    JwtManager: FromRef<S>,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, JwtRejection> {
        let token = Jwt::from_request_parts(parts, state).await?;
        let tenant = parts.headers.get("x-tenant").and_then(|v| v.to_str().ok());
        if tenant.is_some() && tenant == token.claim("tenant").and_then(Value::as_str) {
            Ok(TenantMember(token))
        } else {
            Err(token.reject(Error::forbidden("Not a member of this tenant")))
        }
    }
}

/// The manager's message key, found as the built-in extractors find it.
struct MessageKey(String);

impl<S: Send + Sync> FromRequestParts<S> for MessageKey
where
    JwtManager: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(MessageKey(
            manager_for(parts, state)
                .config()
                .error_message_key()
                .to_owned(),
        ))
    }
}

#[tokio::test]
async fn custom_extractors_find_the_layers_manager() {
    let state = build(builder());
    let layer = build(JwtManager::builder(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_error_message_key("error"),
    ));
    let routes = || {
        Router::new()
            .route(
                "/tenant",
                get(|TenantMember(t): TenantMember| async move {
                    t.identity_str().unwrap_or_default().to_owned()
                }),
            )
            .route("/key", get(|MessageKey(k): MessageKey| async move { k }))
    };
    let plain = routes().with_state(state.clone());
    let layered = routes()
        .layer(JwtLayer::new(layer.clone()))
        .with_state(state.clone());

    let member = token(&state, false, json!({"tenant": "acme"}));
    let headers = [
        ("Authorization", format!("Bearer {member}")),
        ("X-Tenant", "acme".to_owned()),
    ];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(http_get(&plain, "/tenant", &headers).await.text(), "alice");
    http_get_bearer(&plain, "/tenant", &member)
        .await
        .assert_error(403, "Not a member of this tenant");
    let response = http_get_bearer(&layered, "/tenant", &member).await;
    assert_eq!(
        (response.status.as_u16(), response.json()),
        (403, json!({"error": "Not a member of this tenant"}))
    );

    assert_eq!(http_get(&plain, "/key", &[]).await.text(), "msg");
    assert_eq!(http_get(&layered, "/key", &[]).await.text(), "error");
}
