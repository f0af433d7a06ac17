//! Port of the reference's `tests/test_multiple_token_locations.py`, plus
//! the fall-through rules of spec §5.1 and the per-route `locations`
//! override.

mod common;
mod cookie_support;

use axum::Router;
use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::{TestResponse, manager_with, request, send};
use cookie_support::Client;
use jwt_extended::axum::{FlaskJson, Jwt, JwtLayer, Requirement, render_error};
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager, VerifyOptions};
use serde_json::{Value, json};

use TokenLocation::{Cookies, Headers, Json, QueryString};

const ALL: [TokenLocation; 4] = [Headers, Cookies, QueryString, Json];

/// The reference's `jwt_required(locations=[...all four...])`.
struct AllLocations;

impl Requirement for AllLocations {
    const OPTIONS: VerifyOptions = VerifyOptions::new().locations(&ALL);
}

async fn cookie_login(State(jwt): State<JwtManager>) -> Response {
    let cookies = match jwt.create_access_token("username") {
        Ok(token) => jwt.set_access_cookies(&token).await,
        Err(e) => Err(e),
    };
    match cookies {
        Ok(cookies) => (cookies, FlaskJson(json!({"login": true}))).into_response(),
        Err(e) => render_error(&jwt, &e),
    }
}

async fn protected(token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({"foo": "bar", "location": token.location().as_str()}))
}

async fn protected_all(token: Jwt<AllLocations>) -> impl IntoResponse {
    FlaskJson(json!({"foo": "bar", "location": token.location().as_str()}))
}

/// `JWT_TOKEN_LOCATION` = all four (or `locations`).
fn app(locations: &[TokenLocation]) -> (Router, JwtManager) {
    let jwt = manager_with(
        JwtConfig::new()
            .with_secret_key("foobarbaz")
            .with_token_location(locations.iter().copied()),
    );
    let router = Router::new()
        .route("/cookie_login", get(cookie_login))
        .route("/protected", get(protected).post(protected))
        .layer(JwtLayer::new(jwt.clone()))
        .with_state(jwt.clone());
    (router, jwt)
}

/// Headers only in the config, all four on the route.
fn app_with_locations() -> (Router, JwtManager) {
    let jwt = manager_with(JwtConfig::new().with_secret_key("foobarbaz"));
    let router = Router::new()
        .route("/cookie_login", get(cookie_login))
        .route("/protected", get(protected_all).post(protected_all))
        // The config does not list `json`, so ask the layer to buffer JSON.
        .layer(JwtLayer::new(jwt.clone()).buffer_json(jwt_extended::axum::BufferJson::Always))
        .with_state(jwt.clone());
    (router, jwt)
}

fn both() -> [(Router, JwtManager); 2] {
    [app(&ALL), app_with_locations()]
}

fn ok(location: &str) -> Value {
    json!({"foo": "bar", "location": location})
}

#[track_caller]
fn assert_ok(r: &TestResponse, location: &str) {
    assert_eq!(
        (r.status.as_u16(), r.json()),
        (200, ok(location)),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn header_access() {
    // (The reference's version of this test uses the first app twice.)
    for (app, jwt) in both() {
        let token = jwt.create_access_token("username").unwrap_or_default();
        assert_ok(
            &common::http_get_bearer(&app, "/protected", &token).await,
            "headers",
        );
    }
}

#[tokio::test]
async fn cookie_access() {
    for (app, _) in both() {
        let mut client = Client::new();
        client.get_path(&app, "/cookie_login").await;
        assert_ok(&client.get_path(&app, "/protected").await, "cookies");
    }
}

#[tokio::test]
async fn query_string_access() {
    for (app, jwt) in both() {
        let token = jwt.create_access_token("username").unwrap_or_default();
        assert_ok(
            &common::http_get(&app, &format!("/protected?jwt={token}"), &[]).await,
            "query_string",
        );
    }
}

#[tokio::test]
async fn json_access() {
    for (app, jwt) in both() {
        let token = jwt.create_access_token("username").unwrap_or_default();
        let r = send(
            &app,
            request(Method::POST, "/protected")
                .header("content-type", "application/json")
                .body(json!({"access_token": token}).to_string().into())
                .unwrap_or_default(),
        )
        .await;
        assert_ok(&r, "json");
    }
}

#[tokio::test]
async fn no_jwt_in_request() {
    let cases: [(&[TokenLocation], &str); 4] = [
        (
            &[Cookies, Headers],
            "Missing JWT in cookies or headers (Missing cookie \"access_token_cookie\"; Missing Authorization Header)",
        ),
        (
            &[Json, QueryString],
            "Missing JWT in json or query_string (Invalid content-type. Must be application/json.; Missing 'jwt' query paramater)",
        ),
        (
            &ALL,
            "Missing JWT in headers, cookies, query_string or json (Missing Authorization Header; Missing cookie \"access_token_cookie\"; Missing 'jwt' query paramater; Invalid content-type. Must be application/json.)",
        ),
        (&[Headers], "Missing Authorization Header"),
    ];
    for (locations, expected) in cases {
        let (app, _) = app(locations);
        common::http_get(&app, "/protected", &[])
            .await
            .assert_error(401, expected);
    }
    // The per-route override builds the message from its own list.
    let (app, _) = app_with_locations();
    common::http_get(&app, "/protected", &[])
        .await
        .assert_error(401, "Missing JWT in headers, cookies, query_string or json (Missing Authorization Header; Missing cookie \"access_token_cookie\"; Missing 'jwt' query paramater; Invalid content-type. Must be application/json.)");
}

#[tokio::test]
async fn order_of_locations_with_a_valid_cookie() {
    for locations in [[Cookies, Headers], [Headers, Cookies]] {
        let (app, _) = app(&locations);
        let mut client = Client::new();
        client.get_path(&app, "/cookie_login").await;
        assert_ok(&client.get_path(&app, "/protected").await, "cookies");
    }
}

#[tokio::test]
async fn order_of_locations_with_one_invalid_token() {
    for (locations, expected) in [
        ([Cookies, Headers], Ok("cookies")),
        ([Headers, Cookies], Err("Invalid header padding")),
    ] {
        let (app, jwt) = app(&locations);
        let token = jwt.create_access_token("username").unwrap_or_default();
        let broken = format!("000000{}", &token[5..]);
        let mut client = Client::new();
        client.get_path(&app, "/cookie_login").await;
        let r = client
            .send(
                &app,
                Method::GET,
                "/protected",
                &[("Authorization", &format!("Bearer {broken}"))],
                None,
            )
            .await;
        match expected {
            Ok(location) => assert_ok(&r, location),
            Err(message) => r.assert_error(422, message),
        }
    }
}

#[tokio::test]
async fn only_missing_falls_through() {
    let (app, jwt) = app(&[Headers, Cookies, QueryString, Json]);
    let token = jwt.create_access_token("username").unwrap_or_default();
    let mut client = Client::new();
    client.get_path(&app, "/cookie_login").await;
    let query = format!("/protected?jwt={token}");

    // A scheme mismatch counts as missing.
    let r = client
        .send(
            &app,
            Method::GET,
            &query,
            &[("Authorization", "Basic x")],
            None,
        )
        .await;
    assert_ok(&r, "cookies");
    // A bad header layout is final.
    client
        .send(
            &app,
            Method::GET,
            &query,
            &[("Authorization", "Bearer")],
            None,
        )
        .await
        .assert_error(
            422,
            "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
        );
    // A CSRF failure in the cookie location is final, even with a valid
    // query token after it.
    client
        .send(&app, Method::POST, &query, &[], None)
        .await
        .assert_error(401, "Missing CSRF token");
    // An expired cookie is final.
    let expired = common::hs_token(
        "foobarbaz",
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": "username", "type": "access", "exp": common::now() - 10}),
    );
    let mut stale = Client::new();
    stale.jar.insert("access_token_cookie".into(), expired);
    stale
        .get_path(&app, &query)
        .await
        .assert_error(401, "Token has expired");
    // A header token is used before the cookie, even on POST without CSRF.
    let r = client
        .send(
            &app,
            Method::POST,
            "/protected",
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
        .await;
    assert_ok(&r, "headers");
    // A wrong query prefix is final (prefix configured below).
    let jwt2 = manager_with(
        JwtConfig::new()
            .with_secret_key("foobarbaz")
            .with_token_location([QueryString, Json])
            .with_query_string_value_prefix("Bearer "),
    );
    let app2: Router = Router::new()
        .route("/protected", get(protected).post(protected))
        .layer(JwtLayer::new(jwt2.clone()))
        .with_state(jwt2);
    let r = send(
        &app2,
        request(Method::POST, &query)
            .header("content-type", "application/json")
            .body(json!({"access_token": token}).to_string().into())
            .unwrap_or_default(),
    )
    .await;
    r.assert_error(
        422,
        "Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '",
    );
}

/// A route that reads only the header even though the config lists more
/// (the reference's `locations="headers"`).
struct HeadersOnly;

impl Requirement for HeadersOnly {
    const OPTIONS: VerifyOptions = VerifyOptions::new().locations(&[Headers]);
}

async fn headers_only(token: Jwt<HeadersOnly>) -> impl IntoResponse {
    FlaskJson(json!({"location": token.location().as_str()}))
}

#[tokio::test]
async fn per_route_override_narrows() {
    let jwt = manager_with(
        JwtConfig::new()
            .with_secret_key("foobarbaz")
            .with_token_location(ALL),
    );
    let app: Router = Router::new()
        .route("/cookie_login", get(cookie_login))
        .route("/only_headers", get(headers_only))
        .layer(JwtLayer::new(jwt.clone()))
        .with_state(jwt.clone());
    let token = jwt.create_access_token("username").unwrap_or_default();
    let mut client = Client::new();
    client.get_path(&app, "/cookie_login").await;
    client
        .get_path(&app, &format!("/only_headers?jwt={token}"))
        .await
        .assert_error(401, "Missing Authorization Header");
    let r = common::http_get_bearer(&app, "/only_headers", &token).await;
    assert_eq!(r.json(), json!({"location": "headers"}));
}
