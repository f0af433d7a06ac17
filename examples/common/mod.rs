//! Helpers shared by the examples: serving on `$PORT`, and answering like
//! Flask where axum and Flask differ (automatic `OPTIONS`, 404/405 pages,
//! `request.json` errors), so that each example is HTTP-identical to its
//! Python original.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// `$PORT`, default 5000.
pub(crate) fn port() -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000)
}

/// Serves `app` on `127.0.0.1:$PORT`, logging the address.
pub(crate) async fn serve(name: &str, app: Router) -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let addr = SocketAddr::from(([127, 0, 0, 1], port()));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("{name} listening on http://{addr}");
    axum::serve(listener, tower::make::Shared::new(flask_compat(app))).await?;
    Ok(())
}

fn html(status: StatusCode, title: &str, text: &str) -> Response {
    let reason = status.canonical_reason().unwrap_or("");
    let body = format!(
        "<!doctype html>\n<html lang=en>\n<title>{} {reason}</title>\n<h1>{title}</h1>\n<p>{text}</p>\n",
        status.as_u16()
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Flask's 400 page.
pub(crate) fn bad_request() -> Response {
    html(
        StatusCode::BAD_REQUEST,
        "Bad Request",
        "The browser (or proxy) sent a request that this server could not understand.",
    )
}

/// Flask's 500 page.
pub(crate) fn internal_error() -> Response {
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.",
    )
}

/// Flask's 415 page for `request.json` without a JSON content type.
pub(crate) fn unsupported_media_type() -> Response {
    html(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Unsupported Media Type",
        "Did not attempt to load JSON data because the request Content-Type was not &#39;application/json&#39;.",
    )
}

fn allow_with_options(value: Option<&HeaderValue>) -> HeaderValue {
    let mut methods: Vec<String> = value
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(',')
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    if !methods.iter().any(|m| m == "OPTIONS") {
        methods.push("OPTIONS".to_owned());
    }
    HeaderValue::from_str(&methods.join(", ")).unwrap_or(HeaderValue::from_static("OPTIONS"))
}

async fn flask_like(mut request: Request, next: Next) -> Response {
    let is_options = request.method() == Method::OPTIONS;
    if is_options {
        // Ask the router which methods the path has: an unknown method gets
        // axum's 405 with `Allow`, an unknown path its 404.
        *request.method_mut() = Method::from_bytes(b"FLASKPROBE").unwrap_or(Method::TRACE);
    }
    let response = next.run(request).await;
    match response.status() {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = allow_with_options(response.headers().get(header::ALLOW));
            let mut out = if is_options {
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                )
                    .into_response()
            } else {
                html(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Method Not Allowed",
                    "The method is not allowed for the requested URL.",
                )
            };
            out.headers_mut().insert(header::ALLOW, allow);
            out
        }
        StatusCode::NOT_FOUND if response.headers().get(header::CONTENT_TYPE).is_none() => html(
            StatusCode::NOT_FOUND,
            "Not Found",
            "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
        ),
        _ => response,
    }
}

/// Wraps a router so it answers `OPTIONS`, unknown paths and wrong methods
/// the way Flask does. The wrapper goes around the whole router (not
/// `Router::layer`, which would run before axum adds the `Allow` header).
pub(crate) fn flask_compat(
    app: Router,
) -> impl tower::Service<
    Request,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send + 'static,
> + Clone
+ Send
+ 'static {
    tower::Layer::layer(&middleware::from_fn(flask_like), app)
}

/// Werkzeug's `request.is_json`.
fn is_json(headers: &HeaderMap) -> bool {
    let mimetype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    mimetype == "application/json"
        || (mimetype.starts_with("application/") && mimetype.ends_with("+json"))
}

/// Flask's `request.json`: 415 without a JSON content type, 400 for a body
/// that does not parse. Like Python's `json`, a UTF-8 BOM and the literals
/// `NaN`, `Infinity` and `-Infinity` are accepted (read as `null` here).
// A `Response` is the natural error of handler glue; it is built once per
// failed request, so its size does not matter here.
#[allow(clippy::result_large_err)]
pub(crate) fn request_json(headers: &HeaderMap, body: &Bytes) -> Result<Value, Response> {
    if !is_json(headers) {
        return Err(unsupported_media_type());
    }
    let bytes = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    serde_json::from_slice(bytes)
        .or_else(|_| serde_json::from_slice(&python_literals_as_null(bytes)))
        .map_err(|_| bad_request())
}

/// Replaces Python's non-standard JSON literals outside strings with `null`.
fn python_literals_as_null(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut in_string = false;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if in_string {
            out.push(b);
            if b == b'\\' {
                if let Some(next) = input.get(i + 1) {
                    out.push(*next);
                    i += 1;
                }
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        let rest = &input[i..];
        let literal = [&b"-Infinity"[..], b"Infinity", b"NaN"]
            .into_iter()
            .find(|lit| rest.starts_with(lit));
        if let Some(literal) = literal {
            out.extend_from_slice(b"null");
            i += literal.len();
            continue;
        }
        if b == b'"' {
            in_string = true;
        }
        out.push(b);
        i += 1;
    }
    out
}

/// `request.json.get(key, None)`. Flask crashes (500) when the body is
/// valid JSON but not an object; we answer 400 instead: no 500s from our
/// code, whatever the client sends.
#[allow(clippy::result_large_err)]
pub(crate) fn json_get<'a>(json: &'a Value, key: &str) -> Result<Option<&'a Value>, Response> {
    match json {
        Value::Object(map) => Ok(map.get(key)),
        _ => Err(bad_request()),
    }
}

/// `request.json.get(name, None)` for each name: the login routes' way of
/// reading credentials, with Flask's answers for bad bodies.
#[allow(clippy::result_large_err)]
pub(crate) fn json_fields<const N: usize>(
    headers: &HeaderMap,
    body: &Bytes,
    names: [&str; N],
) -> Result<[Option<Value>; N], Response> {
    let json = request_json(headers, body)?;
    let mut out = [const { None }; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = json_get(&json, name)?.cloned();
    }
    Ok(out)
}
