//! Per-error responses: the loader parts of the reference's
//! `tests/test_view_decorators.py` (custom needs-fresh, invalid, expired and
//! unauthorized responses, statuses 201/404 kept verbatim, an expired token
//! decoded by hand in a handler), then every other replaceable response, the
//! catch-all, precedence, the message key, and the original error in the
//! response extensions.
//!
//! Written once, run on axum and on actix-web (`common::frameworks`),
//! except what only axum has: the error in the response extensions, and
//! `JwtLayer` rendering the rejections handlers return with `?` (an actix
//! handler attaches its manager itself, with `RejectExt::reject`).

mod common;

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::frameworks::{FRAMEWORKS, Framework, Hook, Loader, Reply, TestServer};
use common::*;
use jwt_extended::axum::JwtManagerBuilderExt;
use jwt_extended::axum::{FlaskJson, Fresh, Jwt, JwtLayer, JwtRejection, Refresh, render_error};
use jwt_extended::blocklist::{Blocklist, BlocklistError, Revocation, RevocationKeys};
use jwt_extended::{DecodedToken, Error, ErrorKind, JwtConfig, JwtManager, JwtManagerBuilder};
use serde_json::{Map, Value, json};
use tower::ServiceExt as _;

// The shared test app (`common::frameworks`) has the reference's routes
// `/protected`, `/fresh_protected`, `/refresh_protected`, and
// `/decode_expired` (the reference's `/test`: an expired token decoded by
// hand in an unprotected view).

async fn foo_bar() -> FlaskJson<Value> {
    FlaskJson(json!({"foo": "bar"}))
}

/// `create_access_token(expires_delta=timedelta(minutes=-1))` then
/// `decode_token(token)` in an unprotected view.
async fn decode_by_hand(State(jwt): State<JwtManager>) -> Response {
    let expired = jwt
        .access_token("username")
        .expires_at(SystemTime::now() - Duration::from_secs(60))
        .create();
    let token = match expired {
        Ok(token) => token,
        Err(error) => return render_error(&jwt, &error),
    };
    match jwt.decode_token(&token).await {
        Ok(_) => FlaskJson(json!({"msg": "baz"})).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

/// The routes of the reference test as an axum `Router`, for what only axum
/// shows (the response extensions).
fn axum_app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/protected", get(|_: Jwt| foo_bar()))
        .route("/fresh_protected", get(|_: Jwt<Fresh>| foo_bar()))
        .route("/refresh_protected", get(|_: Jwt<Refresh>| foo_bar()))
        .route("/test", get(decode_by_hand))
        .with_state(jwt)
}

async fn app(framework: Framework, jwt: JwtManager) -> TestServer {
    TestServer::start(framework, jwt).await
}

fn builder() -> JwtManagerBuilder {
    JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz"))
}

fn build(builder: JwtManagerBuilder) -> JwtManager {
    builder
        .build()
        .unwrap_or_else(|e| panic!("bad test config: {e}"))
}

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

fn expired(jwt: &JwtManager) -> String {
    ok(jwt
        .access_token("username")
        .expires_at(SystemTime::now() - Duration::from_secs(60))
        .create())
}

#[tokio::test]
async fn fresh_jwt_required_custom_response() {
    for fw in FRAMEWORKS {
        let plain = build(builder());
        let token = ok(plain.create_access_token("username"));
        app(fw, plain)
            .await
            .get_bearer("/fresh_protected", &token)
            .await
            .assert_error(401, "Fresh token required");

        let (custom, calls) =
            fw.loader_response(builder(), Loader::NeedsFresh, 201, json!({"msg": "foobar"}));
        let response = app(fw, build(custom))
            .await
            .get_bearer("/fresh_protected", &token)
            .await;
        response.assert_json(201, json!({"msg": "foobar"}));
        let call = calls.last();
        assert_eq!(call.header["alg"], "HS256", "{fw}");
        assert_eq!(call.claims["sub"], "username", "{fw}");
    }
}

#[tokio::test]
async fn invalid_jwt_custom_response() {
    for fw in FRAMEWORKS {
        let invalid = "aaaaa.bbbbb.ccccc";
        app(fw, build(builder()))
            .await
            .get_bearer("/protected", invalid)
            .await
            .assert_error(422, "Invalid header padding");

        let (custom, calls) = fw.loader_response(
            builder(),
            Loader::InvalidToken,
            201,
            json!({"msg": "foobar"}),
        );
        let response = app(fw, build(custom))
            .await
            .get_bearer("/protected", invalid)
            .await;
        response.assert_json(201, json!({"msg": "foobar"}));
        assert_eq!(calls.last().message, "Invalid header padding", "{fw}");
    }
}

#[tokio::test]
async fn expired_token_custom_response() {
    for fw in FRAMEWORKS {
        let plain = build(builder());
        let token = expired(&plain);
        app(fw, plain)
            .await
            .get_bearer("/protected", &token)
            .await
            .assert_error(401, "Token has expired");

        let (custom, calls) =
            fw.loader_response(builder(), Loader::Expired, 201, json!({"msg": "foobar"}));
        let response = app(fw, build(custom))
            .await
            .get_bearer("/protected", &token)
            .await;
        response.assert_json(201, json!({"msg": "foobar"}));
        let call = calls.last();
        assert_eq!(call.header["alg"], "HS256", "{fw}");
        assert_eq!(call.claims["sub"], "username", "{fw}");
        assert_eq!(call.claims["type"], "access", "{fw}");
    }
}

#[tokio::test]
async fn expired_token_via_decode_token() {
    for fw in FRAMEWORKS {
        let (custom, calls) =
            fw.loader_response(builder(), Loader::Expired, 401, json!({"msg": "foobar"}));
        let response = app(fw, build(custom))
            .await
            .get("/decode_expired", &[])
            .await;
        response.assert_json(401, json!({"msg": "foobar"}));
        let call = calls.last();
        assert_eq!(call.header["alg"], "HS256", "{fw}");
        assert_eq!(call.claims["sub"], "username", "{fw}");

        // Without a custom loader: the reference's default.
        app(fw, build(builder()))
            .await
            .get("/decode_expired", &[])
            .await
            .assert_error(401, "Token has expired");
    }
}

#[tokio::test]
async fn no_token_custom_response() {
    for fw in FRAMEWORKS {
        app(fw, build(builder()))
            .await
            .get("/protected", &[])
            .await
            .assert_error(401, "Missing Authorization Header");

        let (custom, calls) = fw.loader_response(
            builder(),
            Loader::Unauthorized,
            201,
            json!({"msg": "foobar"}),
        );
        let response = app(fw, build(custom)).await.get("/protected", &[]).await;
        response.assert_json(201, json!({"msg": "foobar"}));
        assert_eq!(calls.last().message, "Missing Authorization Header", "{fw}");
    }
}

/// A store that is always down.
struct DownStore;

impl Blocklist for DownStore {
    async fn is_revoked(&self, _keys: RevocationKeys<'_>) -> Result<bool, BlocklistError> {
        Err(BlocklistError::new("connection refused"))
    }

    async fn revoke(&self, _revocation: &Revocation) -> Result<(), BlocklistError> {
        Err(BlocklistError::new("connection refused"))
    }
}

/// One request per replaceable response, with the default it replaces.
struct Case {
    name: &'static str,
    configure: fn(JwtManagerBuilder) -> JwtManagerBuilder,
    /// Where the custom response ([`tagged`] with the name) goes.
    custom: Hook,
    request: fn(&JwtManager) -> (&'static str, Option<String>),
    default: (u16, &'static str),
}

impl Case {
    /// The case's builder with its custom response, on `framework`.
    fn custom(&self, framework: Framework) -> JwtManagerBuilder {
        framework.fixed_response((self.configure)(builder()), self.custom, tagged(self.name))
    }
}

/// 418, an `x-custom` header and `{"custom": tag}`.
fn tagged(tag: &'static str) -> Reply {
    Reply::json(418, json!({ "custom": tag })).header("x-custom", tag)
}

fn cases() -> Vec<Case> {
    fn same(b: JwtManagerBuilder) -> JwtManagerBuilder {
        b
    }
    vec![
        Case {
            name: "expired",
            configure: same,
            custom: Hook::Loader(Loader::Expired),
            request: |jwt| ("/protected", Some(expired(jwt))),
            default: (401, "Token has expired"),
        },
        Case {
            name: "invalid",
            configure: same,
            custom: Hook::Loader(Loader::InvalidToken),
            request: |_| ("/protected", Some("foobarbaz".into())),
            default: (422, "Not enough segments"),
        },
        Case {
            name: "wrong type (invalid)",
            configure: same,
            custom: Hook::Loader(Loader::InvalidToken),
            request: |jwt| {
                (
                    "/refresh_protected",
                    jwt.create_access_token("username").ok(),
                )
            },
            default: (422, "Only refresh tokens are allowed"),
        },
        Case {
            name: "unauthorized",
            configure: same,
            custom: Hook::Loader(Loader::Unauthorized),
            request: |_| ("/protected", None),
            default: (401, "Missing Authorization Header"),
        },
        Case {
            name: "needs fresh",
            configure: same,
            custom: Hook::Loader(Loader::NeedsFresh),
            request: |jwt| ("/fresh_protected", jwt.create_access_token("username").ok()),
            default: (401, "Fresh token required"),
        },
        Case {
            name: "revoked",
            configure: |b| b.token_in_blocklist_loader(|_: &DecodedToken| async { true }),
            custom: Hook::Loader(Loader::Revoked),
            request: |jwt| ("/protected", jwt.create_access_token("username").ok()),
            default: (401, "Token has been revoked"),
        },
        Case {
            name: "verification failed",
            configure: |b| b.token_verification_loader(|_: &DecodedToken| async { false }),
            custom: Hook::Loader(Loader::VerificationFailed),
            request: |jwt| ("/protected", jwt.create_access_token("username").ok()),
            default: (400, "User claims verification failed"),
        },
        Case {
            name: "user lookup",
            configure: |b| b.user_lookup_loader(|_: &DecodedToken| async { None::<String> }),
            custom: Hook::Loader(Loader::UserLookupError),
            request: |jwt| ("/protected", jwt.create_access_token("username").ok()),
            default: (401, "Error loading the user username"),
        },
        Case {
            name: "blocklist unavailable",
            configure: |b| b.blocklist(DownStore),
            custom: Hook::BlocklistUnavailable,
            request: |jwt| ("/protected", jwt.create_access_token("username").ok()),
            default: (503, "Token revocation status is unavailable"),
        },
    ]
}

async fn run(framework: Framework, jwt: &JwtManager, case: &Case) -> TestResponse {
    let (path, token) = (case.request)(jwt);
    let app = app(framework, jwt.clone()).await;
    match token {
        Some(token) => app.get_bearer(path, &token).await,
        None => app.get(path, &[]).await,
    }
}

#[tokio::test]
async fn every_default_response_is_replaceable() {
    for fw in FRAMEWORKS {
        for case in cases() {
            let plain = build((case.configure)(builder()));
            let response = run(fw, &plain, &case).await;
            let (status, msg) = case.default;
            assert_eq!(
                (response.status.as_u16(), response.msg()),
                (status, msg.to_owned()),
                "{fw}: default of {}",
                case.name
            );

            let custom = build(case.custom(fw));
            let response = run(fw, &custom, &case).await;
            assert_eq!(response.status, 418, "{fw}: {}", case.name);
            assert_eq!(response.headers["x-custom"], case.name, "{fw}");
            assert_eq!(
                response.json(),
                json!({ "custom": case.name }),
                "{fw}: {}",
                case.name
            );
        }
    }
}

#[tokio::test]
async fn the_catch_all_answers_what_no_loader_covers() {
    for fw in FRAMEWORKS {
        for case in cases() {
            let (custom, _calls) =
                fw.respond((case.configure)(builder()), Hook::CatchAll, |call| {
                    let kind = call.kind.map(|kind| format!("{kind:?}"));
                    Reply::json(418, json!({"kind": kind, "message": call.message}))
                });
            let response = run(fw, &build(custom), &case).await;
            assert_eq!(response.status, 418, "{fw}: {}", case.name);
            assert_eq!(
                response.json()["message"],
                case.default.1,
                "{fw}: {}",
                case.name
            );
        }
    }
}

#[tokio::test]
async fn the_most_specific_response_wins() {
    for fw in FRAMEWORKS {
        let custom = fw.fixed_response(builder(), Hook::CatchAll, tagged("catch-all"));
        let custom = fw.fixed_response(custom, Loader::InvalidToken, tagged("category"));
        let custom = fw.fixed_response(
            custom,
            Hook::Kind(ErrorKind::WrongTokenType),
            tagged("kind"),
        );
        let jwt = build(custom);
        let server = app(fw, jwt.clone()).await;
        let access = ok(jwt.create_access_token("username"));
        let wrong_type = server.get_bearer("/refresh_protected", &access).await;
        assert_eq!(wrong_type.json(), json!({"custom": "kind"}), "{fw}");
        let malformed = server.get_bearer("/protected", "foobarbaz").await;
        assert_eq!(malformed.json(), json!({"custom": "category"}), "{fw}");
        let missing = server.get("/protected", &[]).await;
        assert_eq!(missing.json(), json!({"custom": "catch-all"}), "{fw}");

        // Registering again replaces.
        let custom = fw.fixed_response(builder(), Loader::InvalidToken, tagged("first"));
        let custom = fw.fixed_response(custom, Loader::InvalidToken, tagged("second"));
        let response = app(fw, build(custom))
            .await
            .get_bearer("/protected", "foobarbaz")
            .await;
        assert_eq!(response.json(), json!({"custom": "second"}), "{fw}");
    }
}

#[tokio::test]
async fn the_message_key_applies_to_every_default() {
    for fw in FRAMEWORKS {
        for case in cases() {
            let jwt = build((case.configure)(JwtManager::builder(
                JwtConfig::new()
                    .with_secret_key("foobarbaz")
                    .with_error_message_key("message"),
            )));
            let response = run(fw, &jwt, &case).await;
            assert_eq!(
                response.json(),
                json!({ "message": case.default.1 }),
                "{fw}: {}",
                case.name
            );
        }
    }
}

#[tokio::test]
async fn default_bodies_are_flask_jsonify_bytes() {
    for fw in FRAMEWORKS {
        let response = app(fw, build(builder())).await.get("/protected", &[]).await;
        assert_eq!(
            response.headers[header::CONTENT_TYPE],
            "application/json",
            "{fw}"
        );
        assert_eq!(
            response.body, b"{\"msg\":\"Missing Authorization Header\"}\n",
            "{fw}"
        );
        assert!(
            response.headers.get(header::WWW_AUTHENTICATE).is_none(),
            "{fw}"
        );
    }
}

// ------------------------------------- axum only: the response extensions

async fn raw(app: &Router, uri: &str, token: Option<&str>) -> Response {
    let mut request = request(Method::GET, uri);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    match app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap_or_default())
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

#[tokio::test]
async fn the_original_error_is_in_the_response_extensions() {
    // Default responses, custom ones, the catch-all and render_error()
    // from a handler all carry it.
    for jwt in [
        build(builder()),
        build(builder().expired_token_loader(
            |_: &Map<String, Value>, _: &Map<String, Value>, _message: &str| {
                StatusCode::IM_A_TEAPOT
            },
        )),
        build(builder().error_response(|_: &Error| StatusCode::IM_A_TEAPOT)),
    ] {
        let app = axum_app(jwt.clone());
        let response = raw(&app, "/protected", Some(&expired(&jwt))).await;
        let error = response.extensions().get::<Error>();
        assert_eq!(error.map(Error::kind), Some(ErrorKind::ExpiredToken));
        let claims = error.and_then(|e| e.token()).map(|t| t.claims.clone());
        assert_eq!(claims.map(|c| c["sub"].clone()), Some(json!("username")));

        let response = raw(&app, "/test", None).await;
        let error = response.extensions().get::<Error>();
        assert_eq!(error.map(Error::kind), Some(ErrorKind::ExpiredToken));

        let response = raw(&app, "/protected", Some("foobarbaz")).await;
        let error = response.extensions().get::<Error>();
        assert_eq!(error.map(Error::message), Some("Not enough segments"));
    }
}

// ------------------------------ axum only: `?` in a handler, behind JwtLayer

/// Decodes an expired token by hand and returns the error with `?`, beside a
/// header of its own.
async fn decode_with_question_mark(
    State(jwt): State<JwtManager>,
) -> Result<FlaskJson<Value>, ([(header::HeaderName, &'static str); 1], JwtRejection)> {
    let outcome = async {
        let token = jwt
            .access_token("username")
            .expires_at(SystemTime::now() - Duration::from_secs(60))
            .create()?;
        jwt.decode_token(&token).await?;
        Ok::<_, JwtRejection>(FlaskJson(json!({"msg": "baz"})))
    }
    .await;
    outcome.map_err(|rejection| ([(header::CACHE_CONTROL, "no-store")], rejection))
}

#[tokio::test]
async fn errors_returned_with_question_mark_get_the_layers_custom_responses() {
    let custom = || {
        build(
            JwtManager::builder(
                JwtConfig::new()
                    .with_secret_key("foobarbaz")
                    .with_error_message_key("message"),
            )
            .expired_token_loader(
                |_: &Map<String, Value>, claims: &Map<String, Value>, _message: &str| {
                    (
                        StatusCode::IM_A_TEAPOT,
                        FlaskJson(json!({"expired_for": claims["sub"]})),
                    )
                },
            ),
        )
    };
    let routes = |jwt: &JwtManager| {
        Router::new()
            .route("/question_mark", get(decode_with_question_mark))
            .with_state(jwt.clone())
    };

    // Behind the layer: the manager's loader, as the extractors get it; the
    // handler's own header stays, and the error is still in the extensions.
    let jwt = custom();
    let app = routes(&jwt).layer(JwtLayer::new(jwt.clone()));
    let request = || {
        axum::http::Request::get("/question_mark")
            .body(Body::empty())
            .unwrap_or_default()
    };
    let response = app
        .clone()
        .oneshot(request())
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        response.extensions().get::<Error>().map(Error::kind),
        Some(ErrorKind::ExpiredToken)
    );
    let body = http_get(&app, "/question_mark", &[]).await;
    assert_eq!(body.json(), json!({"expired_for": "username"}));

    // No custom loader for the error: the default body, with the manager's
    // message key.
    let keyed = build(JwtManager::builder(
        JwtConfig::new()
            .with_secret_key("foobarbaz")
            .with_error_message_key("message"),
    ));
    let app = routes(&keyed).layer(JwtLayer::new(keyed.clone()));
    let response = http_get(&app, "/question_mark", &[]).await;
    assert_eq!(response.status, 401);
    assert_eq!(response.json(), json!({"message": "Token has expired"}));
    assert_eq!(response.headers[header::CACHE_CONTROL], "no-store");

    // Without the layer there is no manager to ask: the defaults.
    let response = http_get(&routes(&jwt), "/question_mark", &[]).await;
    assert_eq!(response.status, 401);
    assert_eq!(response.json(), json!({"msg": "Token has expired"}));

    // Responses that are not such rejections pass the layer untouched, and
    // the extractors' own errors are rendered once, as before.
    let app = Router::new()
        .route("/ok", get(foo_bar))
        .route("/protected", get(|_: Jwt| foo_bar()))
        .layer(JwtLayer::new(jwt.clone()))
        .with_state(jwt.clone());
    let response = http_get(&app, "/ok", &[]).await;
    assert_eq!(
        (response.status.as_u16(), response.json()),
        (200, json!({"foo": "bar"}))
    );
    let expired = jwt
        .access_token("username")
        .expires_at(SystemTime::now() - Duration::from_secs(60))
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    let response = http_get_bearer(&app, "/protected", &expired).await;
    assert_eq!(response.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(response.json(), json!({"expired_for": "username"}));
}
