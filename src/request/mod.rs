//! Finding the token in a request: headers, cookies, query string and JSON
//! body, with the reference's parsing rules and messages. Framework-free: it
//! works on `http` types.
//!
//! A token longer than `JWT_MAX_TOKEN_SIZE` is refused as soon as it is
//! found, before any base64 or JSON work on it: 431 in a header, a cookie or
//! the query string, 413 in the JSON body.
//!
//! Only a *missing* token falls through to the next location. A bad token,
//! a bad `Authorization` layout, a wrong query prefix or a CSRF failure in an
//! earlier location is final, even if a later location holds a valid token.
//!
//! One file per location, as `JWT_TOKEN_LOCATION` names them: `headers`,
//! `cookies`, `query_string` and `json`; [`csrf`] holds the
//! double-submit check that comes with cookies. The parsing rules that are
//! Werkzeug's or Python's live in `crate::compat`.

mod cookies;
pub mod csrf;
mod headers;
mod json;
mod query_string;

use std::borrow::Cow;

use http::{HeaderMap, Method};

use crate::config::TokenLocation;
use crate::error::{Error, ErrorKind};
use crate::messages;
use crate::settings::Settings;

/// What the framework glue could read of the request body (see
/// [`RequestParts`] for an example).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum RequestBody<'a> {
    /// The body was not buffered (no layer, or not needed for this request).
    #[default]
    NotBuffered,
    /// The whole body, buffered by the layer (the handler still gets it).
    Buffered(&'a [u8]),
    /// The body was larger than the configured limit and was not read.
    TooLarge,
}

/// The default limit of the body buffering that framework glue does for the
/// `json` location and CSRF form fields: 1 MiB (the same for every
/// framework module).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// When framework glue buffers JSON bodies (axum's `JwtLayer`, actix's
/// `JwtMiddleware`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BufferJson {
    /// When `json` is among the configured token locations (the default).
    #[default]
    WhenConfigured,
    /// Always (for routes whose `locations` override adds `json`).
    Always,
    /// Never.
    Never,
}

/// Renamed to [`RequestBody`] (axum has a `Body` of its own, and this is
/// a view of what the layer buffered).
#[deprecated(since = "0.2.0", note = "renamed to `RequestBody`")]
pub type Body<'a> = RequestBody<'a>;

/// The parts of a request that token lookup reads, for
/// [`JwtManager::verify_request`](crate::JwtManager::verify_request) outside
/// axum.
///
/// ```
/// use http::{HeaderMap, Method};
/// use jwt_extended::{JwtConfig, JwtManager, VerifyOptions, config::TokenLocation};
/// use jwt_extended::request::{RequestBody, RequestParts};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtManager::new(
///     JwtConfig::new().with_secret_key("s").with_token_location([TokenLocation::Json]),
/// )?;
/// let body = format!(r#"{{"access_token": "{}"}}"#, jwt.create_access_token("alice")?);
/// let mut headers = HeaderMap::new();
/// headers.insert("content-type", "application/json".parse()?);
/// let parts = RequestParts::new(&Method::POST, &headers, None)
///     .with_body(RequestBody::Buffered(body.as_bytes()));
/// let verified = jwt.verify_request(&parts, &VerifyOptions::new()).await?;
/// assert_eq!(verified.map(|v| v.location()), Some(TokenLocation::Json));
/// # Ok(()) }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(run())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The request method.
    pub method: &'a Method,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The raw query string (without `?`), if any.
    pub query: Option<&'a str>,
    /// The buffered body, for the `json` location and CSRF form fields.
    pub body: RequestBody<'a>,
}

impl<'a> RequestParts<'a> {
    /// Lookup parts from the pieces of an `http` request.
    #[must_use]
    pub fn new(method: &'a Method, headers: &'a HeaderMap, query: Option<&'a str>) -> Self {
        Self {
            method,
            headers,
            query,
            body: RequestBody::NotBuffered,
        }
    }

    /// Adds the buffered body.
    #[must_use]
    pub fn with_body(mut self, body: RequestBody<'a>) -> Self {
        self.body = body;
        self
    }
}

/// A raw token found in a request, before decoding.
#[derive(Debug, Clone)]
pub(crate) struct Found<'a> {
    pub(crate) token: Cow<'a, [u8]>,
    pub(crate) csrf: Option<Cow<'a, [u8]>>,
}

/// Looks in one location. `Ok(None)`-like "missing" outcomes are returned as
/// `Err` with [`ErrorKind::MissingToken`] so that the caller can combine
/// their messages.
pub(crate) fn find_in<'a>(
    location: TokenLocation,
    settings: &Settings,
    request: &RequestParts<'a>,
    refresh: bool,
    check_csrf: bool,
) -> Result<Found<'a>, Error> {
    match location {
        TokenLocation::Headers => headers::from_headers(settings, request),
        TokenLocation::Cookies => cookies::from_cookies(settings, request, refresh, check_csrf),
        TokenLocation::QueryString => query_string::from_query(settings, request),
        TokenLocation::Json => json::from_json(settings, request, refresh),
    }
}

/// Refuses a token longer than `JWT_MAX_TOKEN_SIZE` with
/// [`ErrorKind::TokenTooLarge`] (431): one length comparison.
#[inline]
pub(crate) fn check_size(settings: &Settings, token: &[u8]) -> Result<(), Error> {
    if token.len() > settings.config.max_token_size() {
        return Err(token_too_large());
    }
    Ok(())
}

/// [`check_size`] for a token that is content (in the JSON body, or handed
/// to a call without a request): 413 instead of 431.
#[inline]
pub(crate) fn check_content_size(settings: &Settings, token: &[u8]) -> Result<(), Error> {
    check_size(settings, token).map_err(|e| e.with_status(http::StatusCode::PAYLOAD_TOO_LARGE))
}

#[cold]
fn token_too_large() -> Error {
    tracing::debug!("token over JWT_MAX_TOKEN_SIZE refused before decoding");
    Error::new(ErrorKind::TokenTooLarge, messages::TOKEN_TOO_LARGE)
}

/// The buffered body, for the `json` location and CSRF form fields
/// (`purpose` names which, in the message when it was not buffered).
pub(super) fn body_bytes<'a>(request: &RequestParts<'a>, purpose: &str) -> Result<&'a [u8], Error> {
    match request.body {
        RequestBody::Buffered(bytes) => Ok(bytes),
        RequestBody::TooLarge => Err(Error::new(
            ErrorKind::BodyTooLarge,
            "Request body is too large to look for a token",
        )),
        RequestBody::NotBuffered => Err(Error::misconfigured(format!(
            "jwt-extended needs the request body for {purpose}, but it was not buffered: add `JwtLayer` to the router (`.layer(JwtLayer::new(manager))`)"
        ))),
    }
}

/// Builds the combined "missing" message of several locations:
/// `Missing JWT in a, b or c (m1; m2; m3)`.
pub(crate) fn combined_missing(locations: &[TokenLocation], messages: &[String]) -> String {
    messages::missing_in_locations(locations, messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_message_format() {
        use TokenLocation::*;
        let msg = combined_missing(
            &[Headers, Cookies, QueryString, Json],
            &["a".into(), "b".into(), "c".into(), "d".into()],
        );
        assert_eq!(
            msg,
            "Missing JWT in headers, cookies, query_string or json (a; b; c; d)"
        );
        assert_eq!(
            combined_missing(&[Cookies, Headers], &["x".into(), "y".into()]),
            "Missing JWT in cookies or headers (x; y)"
        );
    }
}
