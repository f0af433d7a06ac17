//! Hostile input on every location: huge, duplicate and non-UTF-8 cookies,
//! JSON bodies that are arrays, not JSON, or 10 MB. Each must be a clear 4xx
//! JSON error (or a success where the reference would succeed), never a
//! panic or a 5xx.

mod common;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method};
use axum::response::IntoResponse;
use axum::routing::post;
use common::{TestResponse, manager_with, request, send};
use jwt_extended::axum::{FlaskJson, Jwt, JwtLayer};
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::json;

use TokenLocation::{Cookies, Headers, Json, QueryString};

async fn protected(_token: Jwt, body: Bytes) -> impl IntoResponse {
    FlaskJson(json!({"foo": "bar", "body_len": body.len()}))
}

fn app(locations: &[TokenLocation], csrf_form: bool) -> (Router, JwtManager) {
    let jwt = manager_with(
        JwtConfig::new()
            .with_token_location(locations.iter().copied())
            .with_csrf_check_form(csrf_form),
    );
    let router = Router::new()
        .route("/protected", post(protected).get(protected))
        .layer(JwtLayer::new(jwt.clone()))
        .with_state(jwt.clone());
    (router, jwt)
}

/// A client error with a JSON `msg`, never a 5xx.
#[track_caller]
fn assert_clean_4xx(r: &TestResponse) {
    assert!(
        r.status.is_client_error(),
        "status {} body {}",
        r.status,
        r.text()
    );
    assert_eq!(r.headers["content-type"], "application/json");
    assert!(!r.msg().is_empty(), "{}", r.text());
}

async fn with_cookie_bytes(app: &Router, method: Method, cookie: &[u8]) -> TestResponse {
    let value = HeaderValue::from_bytes(cookie).unwrap_or_else(|e| panic!("{e}"));
    let req = request(method, "/protected")
        .header("cookie", value)
        .body(Body::empty())
        .unwrap_or_default();
    send(app, req).await
}

#[tokio::test]
async fn huge_cookies() {
    let (app, jwt) = app(&[Cookies], false);
    // 1 MB of garbage in the token cookie: over JWT_MAX_TOKEN_SIZE, refused
    // before decoding.
    let huge = format!("access_token_cookie={}", "A".repeat(1 << 20));
    let r = with_cookie_bytes(&app, Method::GET, huge.as_bytes()).await;
    r.assert_error(431, "Token is too large");
    // Garbage under the limit reaches the parser.
    let garbage = format!("access_token_cookie={}", "A".repeat(8 * 1024));
    let r = with_cookie_bytes(&app, Method::GET, garbage.as_bytes()).await;
    r.assert_error(422, "Not enough segments");
    // 1 MB of three-part garbage.
    let huge = format!("access_token_cookie={0}.{0}.{0}", "A".repeat(350_000));
    let r = with_cookie_bytes(&app, Method::GET, huge.as_bytes()).await;
    assert_clean_4xx(&r);
    // Thousands of other cookies before the right one.
    let token = jwt.create_access_token("u").unwrap_or_default();
    let mut many: String = (0..5000).map(|i| format!("c{i}=v{i}; ")).collect();
    many.push_str(&format!("access_token_cookie={token}"));
    let r = with_cookie_bytes(&app, Method::GET, many.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // POST: the size is checked first, then the missing CSRF value is
    // reported before anything is decoded.
    let r = with_cookie_bytes(&app, Method::POST, huge.as_bytes()).await;
    r.assert_error(431, "Token is too large");
    let r = with_cookie_bytes(&app, Method::POST, garbage.as_bytes()).await;
    r.assert_error(401, "Missing CSRF token");
}

#[tokio::test]
async fn duplicate_cookies_first_wins() {
    let (app, jwt) = app(&[Cookies], false);
    let token = jwt.create_access_token("u").unwrap_or_default();
    let good_first = format!("access_token_cookie={token}; access_token_cookie=garbage");
    assert_eq!(
        with_cookie_bytes(&app, Method::GET, good_first.as_bytes())
            .await
            .status,
        200
    );
    let bad_first = format!("access_token_cookie=garbage; access_token_cookie={token}");
    with_cookie_bytes(&app, Method::GET, bad_first.as_bytes())
        .await
        .assert_error(422, "Not enough segments");
    // Two Cookie headers are read as one list.
    let req = request(Method::GET, "/protected")
        .header("cookie", "a=1")
        .header("cookie", format!("access_token_cookie={token}"))
        .body(Body::empty())
        .unwrap_or_default();
    assert_eq!(send(&app, req).await.status, 200);
    // An empty first value counts as missing.
    let empty_first = format!("access_token_cookie=; access_token_cookie={token}");
    with_cookie_bytes(&app, Method::GET, empty_first.as_bytes())
        .await
        .assert_error(401, "Missing cookie \"access_token_cookie\"");
}

#[tokio::test]
async fn non_utf8_cookie_bytes() {
    let (app, _) = app(&[Cookies], false);
    for bytes in [
        &b"access_token_cookie=\xff\xfe\xfd"[..],
        b"access_token_cookie=\xc3\x28.\xa0\xa1.\xe2\x82",
        b"\xff\xff=\xff; access_token_cookie=\x80abc.def.ghi",
        b"access_token_cookie=\"\\377\\376\"",
        b"access_token_cookie=\"unterminated",
    ] {
        let r = with_cookie_bytes(&app, Method::GET, bytes).await;
        assert_clean_4xx(&r);
    }
    // Non-UTF-8 bytes in the CSRF header are compared as bytes: a mismatch.
    let jwt = manager_with(JwtConfig::new().with_token_location([Cookies]));
    let token = jwt.create_access_token("u").unwrap_or_default();
    let req = request(Method::POST, "/protected")
        .header("cookie", format!("access_token_cookie={token}"))
        .header(
            "x-csrf-token",
            HeaderValue::from_bytes(b"\xff\xfe").unwrap_or_else(|e| panic!("{e}")),
        )
        .body(Body::empty())
        .unwrap_or_default();
    send(&app, req)
        .await
        .assert_error(401, "CSRF double submit tokens do not match");
}

async fn post_json_bytes(app: &Router, body: Vec<u8>) -> TestResponse {
    let req = request(Method::POST, "/protected")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap_or_default();
    send(app, req).await
}

#[tokio::test]
async fn hostile_json_bodies() {
    let (app, jwt) = app(&[Json], false);
    let missing = "Missing \"access_token\" key in json data.";
    let token = jwt.create_access_token("u").unwrap_or_default();
    // An array (the reference crashes with a 500 here).
    post_json_bytes(&app, json!([token]).to_string().into_bytes())
        .await
        .assert_error(401, missing);
    // Not JSON at all.
    for body in [
        &b"{nope"[..],
        b"\xff\xfe\x00",
        b"",
        b"[[[[[[[[[[",
        b"\"access_token\"",
    ] {
        post_json_bytes(&app, body.to_vec())
            .await
            .assert_error(401, missing);
    }
    // Deep nesting does not overflow the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    post_json_bytes(&app, deep.into_bytes())
        .await
        .assert_error(401, missing);
    // A token that is an object or a list.
    for value in [json!({"a": 1}), json!([1]), json!(true)] {
        let r = post_json_bytes(
            &app,
            json!({"access_token": value}).to_string().into_bytes(),
        )
        .await;
        assert_clean_4xx(&r);
    }
    // 10 MB: refused with 413, without being buffered whole.
    let mut big = json!({"access_token": token}).to_string().into_bytes();
    big.pop();
    big.extend_from_slice(b", \"pad\": \"");
    big.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    big.extend_from_slice(b"\"}");
    let r = post_json_bytes(&app, big).await;
    r.assert_error(413, "Request body is too large to look for a token");
}

#[tokio::test]
async fn big_body_does_not_matter_when_the_token_is_elsewhere() {
    // The header is found first; the big body is never looked at, and the
    // handler still gets all of it.
    let (app, jwt) = app(&[Headers, Json], false);
    let token = jwt.create_access_token("u").unwrap_or_default();
    let body = vec![b' '; 1536 * 1024];
    let req = request(Method::POST, "/protected")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body))
        .unwrap_or_default();
    let r = send(&app, req).await;
    assert_eq!(
        (r.status.as_u16(), r.json()["body_len"].clone()),
        (200, json!(1536 * 1024))
    );
}

#[tokio::test]
async fn hostile_csrf_forms() {
    let (app, jwt) = app(&[Cookies], true);
    let token = jwt.create_access_token("u").unwrap_or_default();
    let cookie = format!("access_token_cookie={token}");
    let cases: [(&str, Vec<u8>); 5] = [
        (
            "application/x-www-form-urlencoded",
            b"csrf_token=%ff%fe&&&==".to_vec(),
        ),
        ("application/x-www-form-urlencoded", vec![0xff; 1000]),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nno headers here--x--".to_vec(),
        ),
        ("multipart/form-data", b"no boundary at all".to_vec()),
        (
            "multipart/form-data; boundary=\"\"",
            b"----\r\n\r\n".to_vec(),
        ),
    ];
    for (content_type, body) in cases {
        let req = request(Method::POST, "/protected")
            .header("cookie", &cookie)
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap_or_default();
        assert_clean_4xx(&send(&app, req).await);
    }
    // A 10 MB form: 413.
    let mut big = b"csrf_token=".to_vec();
    big.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    let req = request(Method::POST, "/protected")
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(big))
        .unwrap_or_default();
    send(&app, req)
        .await
        .assert_error(413, "Request body is too large to look for a token");
}

#[tokio::test]
async fn hostile_query_strings() {
    let (app, _) = app(&[QueryString], false);
    for query in [
        "jwt=%ff%fe",
        "jwt=%",
        "jwt=%zz.%yy.%xx",
        "jwt&jwt=&=x",
        "jwt=a.b.c&&&&",
    ] {
        let r = common::http_get(&app, &format!("/protected?{query}"), &[]).await;
        assert_clean_4xx(&r);
    }
    // (`http::Uri` caps a URI at 64 KiB.)
    let long = format!("/protected?jwt={}", "a.".repeat(30_000));
    assert_clean_4xx(&common::http_get(&app, &long, &[]).await);
}

#[tokio::test]
async fn hostile_headers() {
    let (app, _) = app(&[Headers], false);
    for value in [
        &b"Bearer \xff\xfe"[..],
        b"Bearer ,,0",
        b"\xff",
        b"Bearer a\xa0b",
        b"Basic x,, Bearer",
    ] {
        let req = request(Method::GET, "/protected")
            .header(
                "authorization",
                HeaderValue::from_bytes(value).unwrap_or_else(|e| panic!("{e}")),
            )
            .body(Body::empty())
            .unwrap_or_default();
        assert_clean_4xx(&send(&app, req).await);
    }
}
