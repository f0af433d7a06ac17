//! Helpers shared by the actix examples: serving on `$PORT`, and answering
//! like Flask where actix-web and Flask differ (automatic `OPTIONS`,
//! `HEAD` for `GET` routes, 404/405 pages, `request.json` errors), so that
//! each `actix_NAME` example is HTTP-identical to its Python original and
//! to the axum example `NAME`.
#![allow(dead_code, unreachable_pub)]

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, Resource, Route, guard};
use jwt_extended::JwtManager;
use jwt_extended::actix::{ImplicitRefresh, JwtMiddleware};
use serde_json::Value;

/// `$PORT`, default 5000.
pub(crate) fn port() -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5000)
}

/// Serves the routes of `configure` with the manager as app data on
/// `127.0.0.1:$PORT`, unknown paths answered with Flask's 404 page.
pub(crate) async fn serve<F>(name: &str, jwt: JwtManager, configure: F) -> std::io::Result<()>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    serve_app(name, jwt, configure, false, None).await
}

/// [`serve`] with [`JwtMiddleware`] around the app: the extractors can read
/// the JSON body (the `json` location) while the handler still gets it.
#[allow(dead_code)]
pub(crate) async fn serve_with_middleware<F>(
    name: &str,
    jwt: JwtManager,
    configure: F,
) -> std::io::Result<()>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    serve_app(name, jwt, configure, true, None).await
}

/// [`serve`] with [`ImplicitRefresh`] around the app: access cookies that
/// expire within `window` are renewed on the way out.
#[allow(dead_code)]
pub(crate) async fn serve_with_refresh<F>(
    name: &str,
    jwt: JwtManager,
    configure: F,
    window: std::time::Duration,
) -> std::io::Result<()>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    serve_app(name, jwt, configure, false, Some(window)).await
}

async fn serve_app<F>(
    name: &str,
    jwt: JwtManager,
    configure: F,
    middleware: bool,
    refresh: Option<std::time::Duration>,
) -> std::io::Result<()>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let addr = ("127.0.0.1", port());
    tracing::info!("{name} listening on http://{}:{}", addr.0, addr.1);
    let data = web::Data::new(jwt.clone());
    HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::Condition::new(
                refresh.is_some(),
                ImplicitRefresh::new(jwt.clone(), refresh.unwrap_or_default()),
            ))
            .wrap(actix_web::middleware::Condition::new(
                middleware,
                JwtMiddleware::new(jwt.clone()),
            ))
            .app_data(data.clone())
            .configure(configure.clone())
            .default_service(web::to(not_found))
    })
    .bind(addr)?
    .run()
    .await
}

fn html(status: StatusCode, title: &str, text: &str) -> HttpResponse {
    let reason = status.canonical_reason().unwrap_or("");
    let body = format!(
        "<!doctype html>\n<html lang=en>\n<title>{} {reason}</title>\n<h1>{title}</h1>\n<p>{text}</p>\n",
        status.as_u16()
    );
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body)
}

/// Flask's 404 page.
pub(crate) async fn not_found() -> HttpResponse {
    html(
        StatusCode::NOT_FOUND,
        "Not Found",
        "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
    )
}

/// Flask's 400 page.
pub(crate) fn bad_request() -> HttpResponse {
    html(
        StatusCode::BAD_REQUEST,
        "Bad Request",
        "The browser (or proxy) sent a request that this server could not understand.",
    )
}

/// Flask's 500 page.
#[allow(dead_code)]
pub(crate) fn internal_error() -> HttpResponse {
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.",
    )
}

/// Flask's 415 page for `request.json` without a JSON content type.
pub(crate) fn unsupported_media_type() -> HttpResponse {
    html(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Unsupported Media Type",
        "Did not attempt to load JSON data because the request Content-Type was not &#39;application/json&#39;.",
    )
}

/// A route for `GET` that also answers `HEAD`, as Flask's do.
pub(crate) fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A resource whose other methods are answered like Flask: `OPTIONS`
/// gets 200 with `Allow`, anything else 405 with `Allow`. `methods` are
/// the methods of the routes added to it.
pub(crate) fn resource(path: &str, methods: &'static [&'static str]) -> Resource {
    web::resource(path).default_service(web::to(move |request: HttpRequest| async move {
        let allow = allow(methods);
        if request.method() == Method::OPTIONS {
            HttpResponse::Ok()
                .insert_header((header::ALLOW, allow))
                .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
                .finish()
        } else {
            let mut response = html(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                "The method is not allowed for the requested URL.",
            );
            if let Ok(value) = header::HeaderValue::from_str(&allow) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            response
        }
    }))
}

/// Flask's `Allow`: the route's methods, `HEAD` with `GET`, and `OPTIONS`.
fn allow(methods: &[&str]) -> String {
    let mut all: Vec<&str> = methods.to_vec();
    if all.contains(&"GET") {
        all.push("HEAD");
    }
    all.push("OPTIONS");
    all.join(", ")
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
/// that does not parse. A UTF-8 BOM and Python's `NaN`/`Infinity` literals
/// are accepted (read as `null`), as Python's `json` does.
#[allow(clippy::result_large_err)]
pub(crate) fn request_json(request: &HttpRequest, body: &Bytes) -> Result<Value, HttpResponse> {
    if !is_json(request.headers()) {
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

/// `request.json.get(name, None)` for each name (400 for a body that is
/// valid JSON but not an object, where Flask crashes).
#[allow(clippy::result_large_err)]
pub(crate) fn json_fields<const N: usize>(
    request: &HttpRequest,
    body: &Bytes,
    names: [&str; N],
) -> Result<[Option<Value>; N], HttpResponse> {
    let json = request_json(request, body)?;
    let Value::Object(map) = json else {
        return Err(bad_request());
    };
    let mut out = [const { None }; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = map.get(name).cloned();
    }
    Ok(out)
}

/// `request.json.get(key, None)`; 400 for a body that is valid JSON but not
/// an object (where Flask crashes).
#[allow(dead_code, clippy::result_large_err)]
pub(crate) fn json_get<'a>(json: &'a Value, key: &str) -> Result<Option<&'a Value>, HttpResponse> {
    match json {
        Value::Object(map) => Ok(map.get(key)),
        _ => Err(bad_request()),
    }
}
