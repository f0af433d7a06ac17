//! Errors as actix responses: [`JwtRejection`] (a [`ResponseError`]), the
//! custom responses registered on the builder ([`JwtManagerBuilderExt`]),
//! and [`FlaskJson`].

use std::fmt;
use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode as ActixStatus;
use actix_web::http::header::{self, HeaderValue as ActixHeaderValue};
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::compat::json::flask_json_bytes;
use crate::error::{Error, ErrorCategory, ErrorKind};
use crate::manager::{JwtManager, JwtManagerBuilder};
use crate::responses::{
    Answer, BearerErrorStyle, ErrorHandlers, claims_handler, default_body, log, message_handler,
};

/// A JSON response encoded exactly like Flask's `jsonify` (keys sorted,
/// compact, non-ASCII escaped, a trailing newline, `Content-Type:
/// application/json`): actix's `web::Json` for byte-for-byte parity with a
/// Flask service.
///
/// ```
/// use jwt_extended::actix::FlaskJson;
///
/// async fn handler() -> FlaskJson<serde_json::Value> {
///     FlaskJson(serde_json::json!({"msg": "é"})) // body: {"msg":"\u00e9"}
/// }
///
/// let response = FlaskJson(serde_json::json!({"msg": "é"})).into_response();
/// assert_eq!(response.headers().get("content-type").map(|v| v.as_bytes()), Some(&b"application/json"[..]));
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct FlaskJson<T>(pub T);

impl<T: Serialize> FlaskJson<T> {
    /// The response with status 200 (a `Responder` needs no request for it).
    ///
    /// ```
    /// use jwt_extended::actix::FlaskJson;
    ///
    /// let response = FlaskJson(serde_json::json!({"ok": true})).into_response();
    /// assert_eq!(response.status(), 200);
    /// ```
    pub fn into_response(self) -> HttpResponse {
        self.with_status(ActixStatus::OK)
    }

    /// The response with another status.
    ///
    /// ```
    /// use actix_web::http::StatusCode;
    /// use jwt_extended::actix::FlaskJson;
    ///
    /// let response = FlaskJson(serde_json::json!({"msg": "Bad username or password"}))
    ///     .with_status(StatusCode::UNAUTHORIZED);
    /// assert_eq!(response.status(), 401);
    /// ```
    pub fn with_status(self, status: ActixStatus) -> HttpResponse {
        match flask_json_bytes(&self.0) {
            Ok(body) => json_response(status, body),
            Err(e) => {
                tracing::error!(error = %e, "response body is not serializable");
                HttpResponse::InternalServerError().finish()
            }
        }
    }
}

impl<T: Serialize> Responder for FlaskJson<T> {
    type Body = BoxBody;

    fn respond_to(self, _request: &HttpRequest) -> HttpResponse {
        self.into_response()
    }
}

fn json_response(status: ActixStatus, body: Vec<u8>) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(body)
}

/// The core's status as actix's (`http` 0.2) type.
pub(crate) fn actix_status(status: http::StatusCode) -> ActixStatus {
    ActixStatus::from_u16(status.as_u16()).unwrap_or(ActixStatus::INTERNAL_SERVER_ERROR)
}

/// The custom error responses of a manager for actix: the reference's
/// `expired_token_loader`, `invalid_token_loader`, … callbacks, registered
/// with [`JwtManagerBuilderExt`]. The same precedence as axum's: the
/// error's kind, its category, the resource-server style, the catch-all,
/// the reference's default.
#[derive(Clone, Default)]
pub struct ErrorResponses(ErrorHandlers<HttpResponse>);

impl fmt::Debug for ErrorResponses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl ErrorResponses {
    fn render(&self, error: &Error, message_key: &str) -> Option<HttpResponse> {
        match self.0.answer(error)? {
            Answer::Custom(handler) => Some(handler(error)),
            Answer::Bearer(status, challenge) => {
                let mut response = render_default_error(error, message_key);
                *response.status_mut() = actix_status(status);
                if let Ok(value) = ActixHeaderValue::from_bytes(challenge.as_bytes()) {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, value);
                }
                Some(response)
            }
        }
    }
}

/// Custom error responses for actix-web: the reference's error loaders as
/// methods of [`JwtManagerBuilder`] (the same names and arguments as
/// [`axum::JwtManagerBuilderExt`](crate::axum::JwtManagerBuilderExt)); each
/// returns anything that converts into an [`HttpResponse`] (an
/// `HttpResponse`, an `HttpResponseBuilder`). Registering one again
/// replaces it. Kept in the builder's extensions as an [`ErrorResponses`].
///
/// ```
/// use actix_web::HttpResponse;
/// use jwt_extended::{ErrorKind, JwtConfig, JwtManager, actix::JwtManagerBuilderExt};
/// use serde_json::{Map, Value, json};
///
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
///     .expired_token_loader(|_header: &Map<String, Value>, claims: &Map<String, Value>, _message: &str| {
///         HttpResponse::Unauthorized().json(json!({"code": 401, "err": "I can't let you do that", "type": claims["type"]}))
///     })
///     .invalid_token_loader(|message: &str| HttpResponse::Unauthorized().json(json!({"error": message})))
///     .error_kind_response(ErrorKind::WrongTokenType, |error| HttpResponse::Forbidden().body(error.message().to_owned()))
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait JwtManagerBuilderExt: sealed::Sealed + Sized {
    /// Response for expired tokens (`expired_token_loader`): the token's
    /// header and claims, and the message. Default: 401 `Token has expired`.
    #[must_use]
    fn expired_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Response for every invalid token (`invalid_token_loader`), given the
    /// message. Default: 422 with the message.
    #[must_use]
    fn invalid_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&str) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Response for a missing token and CSRF errors (`unauthorized_loader`),
    /// given the message. Default: 401 with the message.
    #[must_use]
    fn unauthorized_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&str) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Response when a fresh token is required (`needs_fresh_token_loader`).
    /// Default: 401 `Fresh token required`.
    #[must_use]
    fn needs_fresh_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Response for revoked tokens (`revoked_token_loader`). Default: 401
    /// `Token has been revoked`.
    #[must_use]
    fn revoked_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Response when the custom verification refuses a token
    /// (`token_verification_failed_loader`). Default: 400 `User claims
    /// verification failed`.
    #[must_use]
    fn token_verification_failed_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Response when the user lookup finds nobody
    /// (`user_lookup_error_loader`). Default: 401 `Error loading the user
    /// <identity>`.
    #[must_use]
    fn user_lookup_error_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Response when a [`Guard`](crate::requirement::Guard) refuses a valid
    /// token. Default: 403 with the guard's message.
    #[must_use]
    fn forbidden_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Response when the blocklist store fails or times out. Default: 503.
    #[must_use]
    fn blocklist_unavailable_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Response for one specific [`ErrorKind`], more specific than the
    /// loaders above.
    #[must_use]
    fn error_kind_response<R, F>(self, kind: ErrorKind, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Catch-all response for every error without a more specific one.
    ///
    /// ```
    /// use actix_web::{HttpResponse, http::StatusCode};
    /// use jwt_extended::{JwtConfig, JwtManager, actix::JwtManagerBuilderExt};
    /// use serde_json::json;
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .error_response(|error| {
    ///         let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ///         HttpResponse::build(status)
    ///             .json(json!({"error": error.kind().as_str(), "message": error.message()}))
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    fn error_response<R, F>(self, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>;

    /// Answers token errors in the resource-server style of RFC 6750 §3
    /// (see [`BearerErrorStyle`]). Off by default.
    #[must_use]
    fn bearer_error_style(self, style: BearerErrorStyle) -> Self;
}

#[allow(unreachable_pub)] // the sealed-trait pattern: public, but unnameable
mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::JwtManagerBuilder {}

    pub trait SealedReject {}
    impl SealedReject for crate::Error {}
    impl<T> SealedReject for Result<T, crate::Error> {}
}

fn responses(builder: &mut JwtManagerBuilder) -> &mut ErrorHandlers<HttpResponse> {
    &mut builder.extension_mut::<ErrorResponses>().0
}

fn boxed<R, F>(f: F) -> Arc<dyn Fn(&Error) -> HttpResponse + Send + Sync>
where
    F: Fn(&Error) -> R + Send + Sync + 'static,
    R: Into<HttpResponse>,
{
    Arc::new(move |error| f(error).into())
}

fn with_category<R, F>(
    mut builder: JwtManagerBuilder,
    category: ErrorCategory,
    f: F,
) -> JwtManagerBuilder
where
    F: Fn(&Error) -> R + Send + Sync + 'static,
    R: Into<HttpResponse>,
{
    responses(&mut builder).set_category(category, boxed(f));
    builder
}

macro_rules! claims_loader {
    ($name:ident, $category:ident) => {
        fn $name<R, F>(self, f: F) -> Self
        where
            F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
            R: Into<HttpResponse>,
        {
            with_category(self, ErrorCategory::$category, claims_handler(f))
        }
    };
}

macro_rules! message_loader {
    ($name:ident, $category:ident) => {
        fn $name<R, F>(self, f: F) -> Self
        where
            F: Fn(&str) -> R + Send + Sync + 'static,
            R: Into<HttpResponse>,
        {
            with_category(self, ErrorCategory::$category, message_handler(f))
        }
    };
}

impl JwtManagerBuilderExt for JwtManagerBuilder {
    claims_loader!(expired_token_loader, Expired);
    message_loader!(invalid_token_loader, InvalidToken);
    message_loader!(unauthorized_loader, Unauthorized);
    claims_loader!(needs_fresh_token_loader, NeedsFresh);
    claims_loader!(revoked_token_loader, Revoked);
    claims_loader!(token_verification_failed_loader, VerificationFailed);
    claims_loader!(user_lookup_error_loader, UserLookup);
    claims_loader!(forbidden_loader, Forbidden);

    fn blocklist_unavailable_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>,
    {
        with_category(self, ErrorCategory::StoreUnavailable, f)
    }

    fn error_kind_response<R, F>(mut self, kind: ErrorKind, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>,
    {
        responses(&mut self).set_kind(kind, boxed(f));
        self
    }

    fn error_response<R, F>(mut self, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: Into<HttpResponse>,
    {
        responses(&mut self).set_fallback(boxed(f));
        self
    }

    fn bearer_error_style(mut self, style: BearerErrorStyle) -> Self {
        responses(&mut self).set_bearer(style);
        self
    }
}

/// The reference's default response for an error: `{"<key>": "<message>"}`
/// with the kind's status, encoded like Flask's `jsonify`.
///
/// ```
/// use jwt_extended::{Error, ErrorKind, actix::render_default_error};
///
/// let error = Error::new(ErrorKind::FreshTokenRequired, "Fresh token required");
/// assert_eq!(render_default_error(&error, "msg").status(), 401);
/// ```
#[must_use]
pub fn render_default_error(error: &Error, message_key: &str) -> HttpResponse {
    json_response(
        actix_status(error.status()),
        default_body(error, message_key),
    )
}

/// Renders `error` as `manager` is configured to answer it: its custom
/// response if one is registered, else the reference's default.
///
/// ```
/// use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager, actix::render_error};
///
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
/// let error = Error::new(ErrorKind::ExpiredToken, "Token has expired");
/// assert_eq!(render_error(&jwt, &error).status(), 401);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn render_error(manager: &JwtManager, error: &Error) -> HttpResponse {
    log(error);
    let message_key = manager.config().error_message_key();
    let mut response = manager
        .extension::<ErrorResponses>()
        .and_then(|r| r.render(error, message_key))
        .unwrap_or_else(|| render_default_error(error, message_key));
    response.extensions_mut().insert(error.clone());
    response
}

/// Why an extractor refused the request: an actix [`ResponseError`] that
/// renders the manager's custom response for the error, or the reference's
/// default `{"msg": …}` body with its status. Handlers can return it too
/// (`Result<_, JwtRejection>`), for errors of their own token work.
///
/// ```
/// use actix_web::web;
/// use jwt_extended::{JwtManager, actix::{FlaskJson, JwtRejection, RejectExt}};
/// use serde_json::{Value, json};
///
/// async fn login(jwt: web::Data<JwtManager>) -> Result<FlaskJson<Value>, JwtRejection> {
///     let access_token = jwt.create_access_token("alice").reject(&jwt)?;
///     Ok(FlaskJson(json!({ "access_token": access_token })))
/// }
/// ```
pub struct JwtRejection {
    inner: Inner,
}

enum Inner {
    Error(Error, Option<JwtManager>),
    Options,
}

impl JwtRejection {
    /// A rejection for `error`, rendered with `manager`'s custom responses
    /// and message key.
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager, actix::JwtRejection};
    /// use actix_web::ResponseError;
    ///
    /// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
    /// let rejection = JwtRejection::new(Error::new(ErrorKind::ExpiredToken, "Token has expired"), &jwt);
    /// assert_eq!(rejection.error_response().status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(error: Error, manager: &JwtManager) -> Self {
        Self {
            inner: Inner::Error(error, Some(manager.clone())),
        }
    }

    /// A rejection without a manager (what `?` on an [`Error`] gives): the
    /// defaults, key `msg`, no custom responses. Prefer [`RejectExt::reject`].
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind, actix::JwtRejection};
    ///
    /// let rejection = JwtRejection::from_error(Error::new(ErrorKind::RevokedToken, "Token has been revoked"));
    /// assert_eq!(rejection.to_string(), "Token has been revoked");
    /// ```
    #[must_use]
    pub fn from_error(error: Error) -> Self {
        Self {
            inner: Inner::Error(error, None),
        }
    }

    /// `OPTIONS` requests are exempt, as in the reference; a handler that
    /// requires a token cannot run without one, so they get `200 OK`.
    pub(crate) fn options() -> Self {
        Self {
            inner: Inner::Options,
        }
    }

    /// The error, unless this is the `OPTIONS` exemption.
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind, actix::JwtRejection};
    ///
    /// let rejection = JwtRejection::from_error(Error::new(ErrorKind::MissingToken, "Missing JWT"));
    /// assert_eq!(rejection.error().map(Error::kind), Some(ErrorKind::MissingToken));
    /// ```
    #[must_use]
    pub fn error(&self) -> Option<&Error> {
        match &self.inner {
            Inner::Error(error, _) => Some(error),
            Inner::Options => None,
        }
    }
}

impl fmt::Debug for JwtRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Error(error, _) => f.debug_tuple("JwtRejection").field(error).finish(),
            Inner::Options => f.write_str("JwtRejection(OPTIONS)"),
        }
    }
}

impl fmt::Display for JwtRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Error(error, _) => fmt::Display::fmt(error, f),
            Inner::Options => f.write_str("OPTIONS requests carry no token"),
        }
    }
}

impl std::error::Error for JwtRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner {
            Inner::Error(error, _) => Some(error),
            Inner::Options => None,
        }
    }
}

impl ResponseError for JwtRejection {
    /// The error's default status; the response may carry another one when
    /// a custom response is registered (actix sends `error_response`).
    fn status_code(&self) -> ActixStatus {
        match &self.inner {
            Inner::Error(error, _) => actix_status(error.status()),
            Inner::Options => ActixStatus::OK,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match &self.inner {
            Inner::Options => HttpResponse::Ok().finish(),
            Inner::Error(error, Some(manager)) => render_error(manager, error),
            Inner::Error(error, None) => {
                log(error);
                render_default_error(error, "msg")
            }
        }
    }
}

/// `?` on an [`Error`] in a handler: rendered with the defaults (see
/// [`JwtRejection::from_error`]).
impl From<Error> for JwtRejection {
    fn from(error: Error) -> Self {
        Self::from_error(error)
    }
}

/// `.reject(&manager)`: an [`Error`], or the error of a `Result<T, Error>`,
/// as a [`JwtRejection`] rendered with that manager's custom responses.
///
/// ```
/// use jwt_extended::{Error, JwtConfig, JwtManager, actix::RejectExt};
///
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
/// let rejection = Error::forbidden("Admins only!").reject(&jwt);
/// assert_eq!(rejection.to_string(), "Admins only!");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait RejectExt: sealed::SealedReject {
    /// `JwtRejection` for an [`Error`], `Result<T, JwtRejection>` for a
    /// `Result<T, Error>`.
    type Output;

    /// Attaches `manager` to the error, for rendering with its responses.
    fn reject(self, manager: &JwtManager) -> Self::Output;
}

impl RejectExt for Error {
    type Output = JwtRejection;

    fn reject(self, manager: &JwtManager) -> JwtRejection {
        JwtRejection::new(self, manager)
    }
}

impl<T> RejectExt for Result<T, Error> {
    type Output = Result<T, JwtRejection>;

    fn reject(self, manager: &JwtManager) -> Result<T, JwtRejection> {
        self.map_err(|error| JwtRejection::new(error, manager))
    }
}
