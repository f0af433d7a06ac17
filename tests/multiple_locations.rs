//! Port of the reference's `tests/test_multiple_token_locations.py`, plus
//! the fall-through rules of spec §5.1 and the per-route `locations`
//! override.

mod common;
mod cookie_support;

use axum::http::Method;
use common::frameworks::{AppOptions, FRAMEWORKS, Framework, TestServer};
use common::{TestResponse, manager_with};
use cookie_support::Client;
use jwt_extended::axum::BufferJson;
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

use TokenLocation::{Cookies, Headers, Json, QueryString};

const ALL: [TokenLocation; 4] = [Headers, Cookies, QueryString, Json];

/// The shared app's cookie login (`set_access_cookies` for `username`).
const LOGIN: &str = "/access_token";

/// `JWT_TOKEN_LOCATION` = `locations`; the route is `/location`
/// (`jwt_required()`, answering where the token was found).
async fn app(framework: Framework, locations: &[TokenLocation]) -> (TestServer, JwtManager) {
    let jwt = manager_with(
        JwtConfig::new()
            .with_secret_key("foobarbaz")
            .with_token_location(locations.iter().copied()),
    );
    (TestServer::start(framework, jwt.clone()).await, jwt)
}

/// Headers only in the config, all four on the route (`/location_all`,
/// the reference's `jwt_required(locations=[...])`).
async fn app_with_locations(framework: Framework) -> (TestServer, JwtManager) {
    let jwt = manager_with(JwtConfig::new().with_secret_key("foobarbaz"));
    // The config does not list `json`, so ask the layer to buffer JSON.
    let options = AppOptions {
        buffer_json: Some(BufferJson::Always),
        ..AppOptions::default()
    };
    let server = TestServer::start_with(framework, jwt.clone(), options).await;
    (server, jwt)
}

/// Both apps with the URL of their protected route.
async fn both(framework: Framework) -> [(TestServer, JwtManager, &'static str); 2] {
    let (first, first_jwt) = app(framework, &ALL).await;
    let (second, second_jwt) = app_with_locations(framework).await;
    [
        (first, first_jwt, "/location"),
        (second, second_jwt, "/location_all"),
    ]
}

fn ok(location: &str) -> Value {
    json!({"foo": "bar", "location": location})
}

#[track_caller]
fn assert_ok(r: &TestResponse, location: &str) {
    r.assert_json(200, ok(location));
}

#[tokio::test]
async fn header_access() {
    // (The reference's version of this test uses the first app twice.)
    for fw in FRAMEWORKS {
        for (app, jwt, url) in both(fw).await {
            let token = jwt.create_access_token("username").unwrap_or_default();
            assert_ok(&app.get_bearer(url, &token).await, "headers");
        }
    }
}

#[tokio::test]
async fn cookie_access() {
    for fw in FRAMEWORKS {
        for (app, _, url) in both(fw).await {
            let mut client = Client::new();
            client.get_path(&app, LOGIN).await;
            assert_ok(&client.get_path(&app, url).await, "cookies");
        }
    }
}

#[tokio::test]
async fn query_string_access() {
    for fw in FRAMEWORKS {
        for (app, jwt, url) in both(fw).await {
            let token = jwt.create_access_token("username").unwrap_or_default();
            assert_ok(
                &app.get(&format!("{url}?jwt={token}"), &[]).await,
                "query_string",
            );
        }
    }
}

#[tokio::test]
async fn json_access() {
    for fw in FRAMEWORKS {
        for (app, jwt, url) in both(fw).await {
            let token = jwt.create_access_token("username").unwrap_or_default();
            let r = app.post_json(url, &json!({"access_token": token})).await;
            assert_ok(&r, "json");
        }
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
    for fw in FRAMEWORKS {
        for (locations, expected) in cases {
            let (app, _) = app(fw, locations).await;
            app.get("/location", &[]).await.assert_error(401, expected);
        }
        // The per-route override builds the message from its own list.
        let (app, _) = app_with_locations(fw).await;
        app.get("/location_all", &[])
            .await
            .assert_error(401, "Missing JWT in headers, cookies, query_string or json (Missing Authorization Header; Missing cookie \"access_token_cookie\"; Missing 'jwt' query paramater; Invalid content-type. Must be application/json.)");
    }
}

#[tokio::test]
async fn order_of_locations_with_a_valid_cookie() {
    for fw in FRAMEWORKS {
        for locations in [[Cookies, Headers], [Headers, Cookies]] {
            let (app, _) = app(fw, &locations).await;
            let mut client = Client::new();
            client.get_path(&app, LOGIN).await;
            assert_ok(&client.get_path(&app, "/location").await, "cookies");
        }
    }
}

#[tokio::test]
async fn order_of_locations_with_one_invalid_token() {
    for fw in FRAMEWORKS {
        for (locations, expected) in [
            ([Cookies, Headers], Ok("cookies")),
            ([Headers, Cookies], Err("Invalid header padding")),
        ] {
            let (app, jwt) = app(fw, &locations).await;
            let token = jwt.create_access_token("username").unwrap_or_default();
            let broken = format!("000000{}", &token[5..]);
            let mut client = Client::new();
            client.get_path(&app, LOGIN).await;
            let r = client
                .send(
                    &app,
                    Method::GET,
                    "/location",
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
}

#[tokio::test]
async fn only_missing_falls_through() {
    for fw in FRAMEWORKS {
        let (app, jwt) = app(fw, &[Headers, Cookies, QueryString, Json]).await;
        let token = jwt.create_access_token("username").unwrap_or_default();
        let mut client = Client::new();
        client.get_path(&app, LOGIN).await;
        let query = format!("/location?jwt={token}");

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
                "/location",
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
        let app2 = TestServer::start(fw, jwt2).await;
        let r = app2
            .post_body(
                &query,
                Some("application/json"),
                json!({"access_token": token}).to_string(),
            )
            .await;
        r.assert_error(
            422,
            "Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '",
        );
    }
}

/// A route that reads only the header even though the config lists more
/// (the reference's `locations="headers"`): the shared app's
/// `/only_headers`, a `Jwt<HeadersOnly>`.
#[tokio::test]
async fn per_route_override_narrows() {
    for fw in FRAMEWORKS {
        let (app, jwt) = app(fw, &ALL).await;
        let token = jwt.create_access_token("username").unwrap_or_default();
        let mut client = Client::new();
        client.get_path(&app, LOGIN).await;
        client
            .get_path(&app, &format!("/only_headers?jwt={token}"))
            .await
            .assert_error(401, "Missing Authorization Header");
        let r = app.get_bearer("/only_headers", &token).await;
        assert_eq!(r.json(), json!({"location": "headers"}), "{fw}");
    }
}
