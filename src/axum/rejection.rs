//! Rejections and error responses.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use axum_core::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::compat::json::flask_json_bytes;
use crate::error::{Error, ErrorCategory, ErrorKind};
use crate::manager::{JwtManager, JwtManagerBuilder};
use crate::responses::{
    Answer, BearerErrorStyle, ErrorHandlers, claims_handler, default_body, log, message_handler,
};

/// A JSON response encoded exactly like Flask's `jsonify`: keys sorted,
/// compact separators, non-ASCII escaped, a trailing newline, and
/// `Content-Type: application/json`. Use it where byte-for-byte parity with
/// a Flask service matters; otherwise axum's `Json` is fine.
///
/// ```
/// use axum::response::IntoResponse;
/// use jwt_extended::axum::FlaskJson;
///
/// let response = FlaskJson(serde_json::json!({"msg": "é", "a": 1})).into_response();
/// assert_eq!(response.headers()["content-type"], "application/json");
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct FlaskJson<T>(pub T);

impl<T: Serialize> IntoResponse for FlaskJson<T> {
    fn into_response(self) -> Response {
        match flask_json_bytes(&self.0) {
            Ok(body) => {
                let mut response = Response::new(body.into());
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "response body is not serializable");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// The custom error responses of a manager: the reference's
/// `expired_token_loader`, `invalid_token_loader`, … callbacks.
///
/// Register them with the `*_loader` methods on [`JwtManagerBuilder`]
/// (this type is where the builder keeps them). For each error the most
/// specific registration wins: one for its [`ErrorKind`]
/// ([`error_kind_response`](JwtManagerBuilderExt::error_kind_response)), then
/// one for its [`ErrorCategory`] (the reference's loaders), then the
/// [resource-server style](JwtManagerBuilderExt::bearer_error_style) if it
/// is on and covers the error, then the catch-all
/// ([`error_response`](JwtManagerBuilderExt::error_response)), then the
/// reference's default `{"msg": …}` body with the kind's status.
///
/// Whatever renders it, the response carries the original [`Error`] in its
/// extensions, for logging middleware.
///
/// ```
/// use jwt_extended::axum::JwtManagerBuilderExt;
/// use axum::{http::StatusCode, response::IntoResponse};
/// use jwt_extended::{ErrorKind, JwtConfig, JwtManager, axum::FlaskJson};
/// use serde_json::json;
///
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
///     // every invalid token: 401 instead of 422
///     .invalid_token_loader(|message: &str| {
///         (StatusCode::UNAUTHORIZED, FlaskJson(json!({"error": message})))
///     })
///     // but a wrong token type keeps its own answer
///     .error_kind_response(ErrorKind::WrongTokenType, |error| {
///         (StatusCode::FORBIDDEN, error.message().to_owned()).into_response()
///     })
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct ErrorResponses(ErrorHandlers<Response>);

impl fmt::Debug for ErrorResponses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl ErrorResponses {
    /// The app's response for `error`, in the order of precedence: its
    /// kind, its category, the resource-server style, the catch-all.
    fn render(&self, error: &Error, message_key: &str) -> Option<Response> {
        match self.0.answer(error)? {
            Answer::Custom(handler) => Some(handler(error)),
            Answer::Bearer(status, challenge) => {
                let mut response = render_default_error(error, message_key);
                *response.status_mut() = status;
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, challenge);
                Some(response)
            }
        }
    }
}

/// Custom error responses for axum: the reference's error loaders
/// (`expired_token_loader`, …) as methods of
/// [`JwtManagerBuilder`], added by this extension trait (the pattern of
/// axum-extra's `RouterExt`). Bring it into scope with
/// `use jwt_extended::axum::JwtManagerBuilderExt;`.
///
/// Each loader receives what the reference gives its callback (the token's
/// header and claims, or the message) — followed by the message where the
/// reference gives only the header and claims — and returns anything that
/// implements [`IntoResponse`]: any status, any body, any headers. Registering one
/// again replaces it. The responses are kept in the builder's
/// [extensions](JwtManagerBuilder::extension_mut) as an [`ErrorResponses`],
/// so another framework's integration can plug in the same way, from
/// outside the core.
pub trait JwtManagerBuilderExt: sealed::Sealed + Sized {
    /// Response for expired tokens (`expired_token_loader`), given the
    /// token's header and claims (verified, except for `exp`), as the
    /// reference does, and the message. Default: 401 `Token has expired`.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::http::StatusCode;
    /// use jwt_extended::{JwtConfig, JwtManager, axum::FlaskJson};
    /// use serde_json::{Map, Value, json};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .expired_token_loader(|_header: &Map<String, Value>, claims: &Map<String, Value>, message: &str| {
    ///         let kind = claims.get("type").cloned().unwrap_or(Value::Null);
    ///         (StatusCode::UNAUTHORIZED, FlaskJson(json!({"msg": message, "type": kind})))
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn expired_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Response for every invalid token (`invalid_token_loader`): malformed,
    /// bad signature, bad claims, wrong type, bad header layout. Given the
    /// message. Default: 422 with the message.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::http::StatusCode;
    /// use jwt_extended::{JwtConfig, JwtManager, axum::FlaskJson};
    /// use serde_json::json;
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .invalid_token_loader(|message: &str| {
    ///         (StatusCode::UNAUTHORIZED, FlaskJson(json!({"msg": message})))
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn invalid_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&str) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Response for a missing token and for CSRF errors
    /// (`unauthorized_loader`), given the message. Default: 401 with the
    /// message.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::{http::{StatusCode, header}, response::IntoResponse};
    /// use jwt_extended::{JwtConfig, JwtManager};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .unauthorized_loader(|_message: &str| {
    ///         (StatusCode::FOUND, [(header::LOCATION, "/login")]).into_response()
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn unauthorized_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&str) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Response when a fresh token is required and the token is not
    /// (`needs_fresh_token_loader`), given its header and claims and the
    /// message. Default: 401 `Fresh token required`.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::http::StatusCode;
    /// use jwt_extended::{JwtConfig, JwtManager, axum::FlaskJson};
    /// use serde_json::{Map, Value, json};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .needs_fresh_token_loader(|_header: &Map<String, Value>, _claims: &Map<String, Value>, _message: &str| {
    ///         (StatusCode::UNAUTHORIZED, FlaskJson(json!({"msg": "please log in again"})))
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn needs_fresh_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Response for revoked tokens (`revoked_token_loader`), given their
    /// header and claims and the message. Default: 401 `Token has been
    /// revoked`.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::http::StatusCode;
    /// use jwt_extended::{JwtConfig, JwtManager, axum::FlaskJson};
    /// use serde_json::{Map, Value, json};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .revoked_token_loader(|_header: &Map<String, Value>, claims: &Map<String, Value>, _message: &str| {
    ///         let kind = claims.get("type").cloned().unwrap_or(Value::Null);
    ///         (StatusCode::UNAUTHORIZED, FlaskJson(json!({"msg": format!("{kind} token revoked")})))
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn revoked_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Response when the custom verification
    /// ([`token_verification_loader`](JwtManagerBuilder::token_verification_loader))
    /// refuses a token (`token_verification_failed_loader`), given its header
    /// and claims and the message. Default: 400 `User claims verification
    /// failed`.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::http::StatusCode;
    /// use jwt_extended::{JwtConfig, JwtManager, axum::FlaskJson};
    /// use serde_json::{Map, Value, json};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .token_verification_failed_loader(|_header: &Map<String, Value>, _claims: &Map<String, Value>, _message: &str| {
    ///         (StatusCode::FORBIDDEN, FlaskJson(json!({"msg": "not allowed"})))
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn token_verification_failed_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Response when the user lookup
    /// ([`user_lookup_loader`](JwtManagerBuilder::user_lookup_loader)) finds
    /// nobody (`user_lookup_error_loader`), given the token's header and
    /// claims and the message. Default: 401 `Error loading the user
    /// <identity>`.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::http::StatusCode;
    /// use jwt_extended::{JwtConfig, JwtManager, axum::FlaskJson};
    /// use serde_json::{Map, Value, json};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .user_lookup_error_loader(|_header: &Map<String, Value>, claims: &Map<String, Value>, message: &str| {
    ///         let who = claims.get("sub").cloned().unwrap_or(Value::Null);
    ///         (StatusCode::NOT_FOUND, FlaskJson(json!({"msg": message, "sub": who})))
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn user_lookup_error_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Response when an authorisation [`Guard`](super::Guard) refuses a
    /// valid token ([`ErrorKind::Forbidden`]; not in the reference), given
    /// the token's header and claims and the guard's message. Default: 403
    /// `{"msg": "<the guard's message>"}`.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::http::StatusCode;
    /// use jwt_extended::{JwtConfig, JwtManager, axum::FlaskJson};
    /// use serde_json::{Map, Value, json};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .forbidden_loader(|_header: &Map<String, Value>, claims: &Map<String, Value>, message: &str| {
    ///         let who = claims.get("sub").cloned().unwrap_or(Value::Null);
    ///         (StatusCode::FORBIDDEN, FlaskJson(json!({"error": "forbidden", "message": message, "sub": who})))
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn forbidden_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Response when the blocklist store fails or times out (not in the
    /// reference, which has no stores), given the error. Default: 503
    /// `{"msg": "Token revocation status is unavailable"}`.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::{http::{StatusCode, header}, response::IntoResponse};
    /// use jwt_extended::{JwtConfig, JwtManager};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .blocklist_unavailable_loader(|_error| {
    ///         (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")]).into_response()
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn blocklist_unavailable_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Response for one specific [`ErrorKind`], given the error. More
    /// specific than the loaders above, which cover a whole category.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::http::StatusCode;
    /// use jwt_extended::{ErrorKind, JwtConfig, JwtManager};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .error_kind_response(ErrorKind::LoaderFailed, |_error| StatusCode::SERVICE_UNAVAILABLE)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn error_kind_response<R, F>(self, kind: ErrorKind, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Catch-all response for every error without a more specific loader,
    /// given the error (its [`kind`](Error::kind) with its stable
    /// [code](ErrorKind::as_str), [`message`](Error::message),
    /// [`status`](Error::status) and, where the reference has them, the
    /// token's header and claims).
    ///
    /// One error schema for the whole API is this one closure: every
    /// failure of every extractor, layer and guard, and the errors handlers
    /// return with [`reject`](RejectExt::reject), go through it. The message
    /// of a wiring mistake ([`ErrorKind::Misconfigured`]) is a generic
    /// `Internal Server Error` (the detail is logged), so the body never
    /// shows Rust type names.
    ///
    /// ```
    /// use jwt_extended::axum::JwtManagerBuilderExt;
    /// use axum::Json;
    /// use jwt_extended::{JwtConfig, JwtManager};
    /// use serde_json::json;
    ///
    /// // Every error as {"error": "<code>", "message": "<text>"}, same statuses.
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .error_response(|error| {
    ///         let body = json!({"error": error.kind().as_str(), "message": error.message()});
    ///         (error.status(), Json(body))
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn error_response<R, F>(self, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: IntoResponse;

    /// Answers token errors in the resource-server style of RFC 6750 §3,
    /// what OAuth clients expect: 401 with `WWW-Authenticate: Bearer` for a
    /// missing token, 401 `error="invalid_token"` for an invalid, expired
    /// or revoked one, 403 `error="insufficient_scope"` for a guard's
    /// refusal (with `scope="…"` from [`Error::insufficient_scope`]). The
    /// JSON body stays `{"<message key>": "<message>"}`. See
    /// [`BearerErrorStyle`] for the full table and the errors it leaves
    /// alone.
    ///
    /// Off by default (the reference's 422s and bodies). Responses
    /// registered for an error kind or category still win over it; the
    /// catch-all [`error_response`](Self::error_response) only renders the
    /// errors it leaves alone. Calling it again replaces the style.
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager};
    /// use jwt_extended::axum::{BearerErrorStyle, JwtManagerBuilderExt, JwtRejection};
    /// use axum::response::IntoResponse;
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .bearer_error_style(BearerErrorStyle::new().realm("example"))
    ///     .build()?;
    /// let expired = Error::new(ErrorKind::ExpiredToken, "Token has expired");
    /// let response = JwtRejection::new(expired, &jwt).into_response();
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(
    ///     response.headers()["www-authenticate"],
    ///     r#"Bearer realm="example", error="invalid_token", error_description="Token has expired""#,
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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

fn with_category<R, F>(
    mut builder: JwtManagerBuilder,
    category: ErrorCategory,
    f: F,
) -> JwtManagerBuilder
where
    F: Fn(&Error) -> R + Send + Sync + 'static,
    R: IntoResponse,
{
    builder
        .extension_mut::<ErrorResponses>()
        .0
        .set_category(category, Arc::new(move |e| f(e).into_response()));
    builder
}

impl JwtManagerBuilderExt for JwtManagerBuilder {
    fn expired_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        with_category(self, ErrorCategory::Expired, claims_handler(f))
    }

    fn invalid_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&str) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        with_category(self, ErrorCategory::InvalidToken, message_handler(f))
    }

    fn unauthorized_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&str) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        with_category(self, ErrorCategory::Unauthorized, message_handler(f))
    }

    fn needs_fresh_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        with_category(self, ErrorCategory::NeedsFresh, claims_handler(f))
    }

    fn revoked_token_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        with_category(self, ErrorCategory::Revoked, claims_handler(f))
    }

    fn token_verification_failed_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        with_category(self, ErrorCategory::VerificationFailed, claims_handler(f))
    }

    fn user_lookup_error_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        with_category(self, ErrorCategory::UserLookup, claims_handler(f))
    }

    fn forbidden_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        with_category(self, ErrorCategory::Forbidden, claims_handler(f))
    }

    fn blocklist_unavailable_loader<R, F>(self, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        with_category(self, ErrorCategory::StoreUnavailable, f)
    }

    fn error_kind_response<R, F>(mut self, kind: ErrorKind, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.extension_mut::<ErrorResponses>()
            .0
            .set_kind(kind, Arc::new(move |e| f(e).into_response()));
        self
    }

    fn error_response<R, F>(mut self, f: F) -> Self
    where
        F: Fn(&Error) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.extension_mut::<ErrorResponses>()
            .0
            .set_fallback(Arc::new(move |e| f(e).into_response()));
        self
    }

    fn bearer_error_style(mut self, style: BearerErrorStyle) -> Self {
        self.extension_mut::<ErrorResponses>().0.set_bearer(style);
        self
    }
}

/// Why an extractor refused the request; renders the manager's custom
/// response for the error, or the reference's default.
///
/// The [`Error`] is also placed in the response's extensions, so a
/// middleware can log it. Handlers can return it too, for errors of their
/// own token work (the reference's global error handlers).
///
/// # Errors a handler returns
///
/// A rejection renders the manager's custom responses only if it knows the
/// manager. Give it one, and the answer is the same with or without a
/// [`JwtLayer`](super::JwtLayer):
///
/// - `.reject(&jwt)?` ([`RejectExt`]) on a `Result<_, Error>` or an
///   [`Error`], with the manager from `State`;
/// - [`token.reject(error)`](super::Jwt::reject) when the handler has a
///   [`Jwt`](super::Jwt) (it carries the manager that verified it).
///
/// A bare `?` on an [`Error`] ([`From<Error>`](#impl-From%3CError%3E-for-JwtRejection))
/// has no manager: behind a `JwtLayer` the layer renders it with its
/// manager, but without one it gets the defaults (`{"msg": …}`), not your
/// custom responses.
///
/// ```
/// use axum::extract::State;
/// use jwt_extended::{JwtManager, axum::{FlaskJson, JwtRejection, RejectExt}};
/// use serde_json::{Value, json};
///
/// async fn inspect(State(jwt): State<JwtManager>, body: String) -> Result<FlaskJson<Value>, JwtRejection> {
///     let token = jwt.decode_token(&body).await.reject(&jwt)?; // e.g. the expired_token_loader's answer
///     Ok(FlaskJson(json!({"sub": token.identity()})))
/// }
/// ```
#[must_use]
pub struct JwtRejection {
    inner: RejectionInner,
}

enum RejectionInner {
    Error(Refusal),
    Options,
}

/// An error, the manager that renders it (if known) and, once rendered,
/// the response.
struct Refusal {
    error: Error,
    manager: Option<JwtManager>,
    /// Rendered on first need ([`JwtRejection::status`] or `into_response`),
    /// so a custom loader runs once and the status read is the status sent.
    /// A `Mutex` because a response body is not `Sync` and the rejection is;
    /// boxed to keep the rejection small (it is only filled when
    /// `status()` is asked before sending).
    response: Mutex<Option<Box<Response>>>,
}

impl Refusal {
    fn new(error: Error, manager: Option<JwtManager>) -> Self {
        Self {
            error,
            manager,
            response: Mutex::new(None),
        }
    }

    /// The status of the response this refusal sends.
    fn status(&self) -> StatusCode {
        let Some(manager) = &self.manager else {
            return self.error.status();
        };
        let mut slot = self.response.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert_with(|| Box::new(render_error(manager, &self.error)))
            .status()
    }

    fn into_response(self) -> Response {
        let rendered = self
            .response
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        match (rendered, self.manager) {
            (Some(response), _) => *response,
            (None, Some(manager)) => render_error(&manager, &self.error),
            (None, None) => render_unmanaged(self.error),
        }
    }
}

impl fmt::Debug for JwtRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            RejectionInner::Error(refusal) => {
                f.debug_tuple("JwtRejection").field(&refusal.error).finish()
            }
            RejectionInner::Options => f.write_str("JwtRejection(OPTIONS)"),
        }
    }
}

impl fmt::Display for JwtRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            RejectionInner::Error(refusal) => fmt::Display::fmt(&refusal.error, f),
            RejectionInner::Options => f.write_str("OPTIONS requests carry no token"),
        }
    }
}

impl std::error::Error for JwtRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner {
            RejectionInner::Error(refusal) => Some(&refusal.error),
            RejectionInner::Options => None,
        }
    }
}

impl JwtRejection {
    /// A rejection for `error`, rendered with `manager`'s custom responses
    /// and message key.
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager, axum::JwtRejection};
    ///
    /// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
    /// let rejection = JwtRejection::new(Error::new(ErrorKind::ExpiredToken, "Token has expired"), &jwt);
    /// assert_eq!(rejection.status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(error: Error, manager: &JwtManager) -> Self {
        Self {
            inner: RejectionInner::Error(Refusal::new(error, Some(manager.clone()))),
        }
    }

    /// A rejection without a manager. This is what `?` on an [`Error`] gives
    /// in a handler that returns `Result<_, JwtRejection>`. Behind a
    /// [`JwtLayer`](super::JwtLayer) the layer renders it with its manager's
    /// custom responses and message key (as the reference's app-wide error
    /// handlers do for an exception raised in a view); **without one it is
    /// rendered with the defaults** (key `msg`, no custom responses). Prefer
    /// [`RejectExt::reject`] or [`Jwt::reject`](super::Jwt::reject), which
    /// name the manager.
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind, axum::JwtRejection};
    ///
    /// let rejection = JwtRejection::from_error(Error::new(ErrorKind::RevokedToken, "Token has been revoked"));
    /// assert_eq!(rejection.to_string(), "Token has been revoked");
    /// ```
    pub fn from_error(error: Error) -> Self {
        Self {
            inner: RejectionInner::Error(Refusal::new(error, None)),
        }
    }

    /// `OPTIONS` requests are exempt from token checks, as in the reference,
    /// but a handler that requires a token cannot run without one: such
    /// requests are answered `200 OK` with an empty body (what a CORS
    /// preflight expects).
    pub(crate) fn options() -> Self {
        Self {
            inner: RejectionInner::Options,
        }
    }

    /// The error, unless this is the `OPTIONS` exemption.
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind, axum::JwtRejection};
    ///
    /// let rejection = JwtRejection::from_error(Error::new(ErrorKind::MissingToken, "Missing Authorization Header"));
    /// assert_eq!(rejection.error().map(Error::kind), Some(ErrorKind::MissingToken));
    /// ```
    #[must_use]
    pub fn error(&self) -> Option<&Error> {
        match &self.inner {
            RejectionInner::Error(refusal) => Some(&refusal.error),
            RejectionInner::Options => None,
        }
    }

    /// The status code this rejection answers with: the manager's custom
    /// response's status when it has one for the error (say an
    /// `invalid_token_loader` answering 401 instead of 422), else the
    /// error's [`status`](Error::status); 200 for the `OPTIONS` exemption.
    ///
    /// With a manager, the first call renders the response (running the
    /// custom loader) and keeps it for [`into_response`](IntoResponse::into_response),
    /// so the loader runs once either way. A rejection made by
    /// [`from_error`](Self::from_error) reports the default status, which is
    /// what it sends unless a [`JwtLayer`](super::JwtLayer) renders it again.
    ///
    /// ```
    /// use axum::{http::StatusCode, response::IntoResponse};
    /// use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager};
    /// use jwt_extended::axum::{JwtManagerBuilderExt, JwtRejection};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .invalid_token_loader(|message: &str| (StatusCode::UNAUTHORIZED, message.to_owned()))
    ///     .build()?;
    /// let error = Error::new(ErrorKind::InvalidSignature, "Signature verification failed");
    /// assert_eq!(error.status(), 422); // the reference's default
    /// let rejection = JwtRejection::new(error, &jwt);
    /// assert_eq!(rejection.status(), 401); // what the loader answers
    /// assert_eq!(rejection.into_response().status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match &self.inner {
            RejectionInner::Error(refusal) => refusal.status(),
            RejectionInner::Options => StatusCode::OK,
        }
    }
}

/// Renders the reference's default response for an error:
/// `{"<key>": "<message>"}` with the kind's status, encoded like Flask's
/// `jsonify`. Custom loaders can fall back to it. A wiring mistake
/// ([`ErrorKind::Misconfigured`]) answers 500 with a generic message, never
/// its detail.
///
/// ```
/// use jwt_extended::{Error, ErrorKind, axum::render_default_error};
///
/// let error = Error::new(ErrorKind::FreshTokenRequired, "Fresh token required");
/// let response = render_default_error(&error, "message");
/// assert_eq!(response.status(), 401); // body: {"message":"Fresh token required"}
/// ```
#[must_use]
pub fn render_default_error(error: &Error, message_key: &str) -> Response {
    let mut response = Response::new(default_body(error, message_key).into());
    *response.status_mut() = error.status();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Renders `error` as `manager` is configured to answer it: its custom
/// loader if one is registered, else the reference's default; the error is
/// put in the response's extensions. Use it to answer errors from a manual
/// [`JwtManager::decode_token`] in a handler the same way the extractors do
/// (in the reference, its global error handlers do this);
/// `JwtRejection::new(error, &jwt)` is the same as a rejection.
///
/// Not to be confused with the builder's
/// [`error_response`](JwtManagerBuilderExt::error_response), which
/// *registers* the catch-all response that this function may use.
///
/// ```
/// use axum::{extract::State, response::{IntoResponse, Response}};
/// use jwt_extended::{JwtManager, axum::{FlaskJson, render_error}};
/// use serde_json::json;
///
/// async fn check(State(jwt): State<JwtManager>, token: String) -> Response {
///     match jwt.decode_token(&token).await {
///         Ok(decoded) => FlaskJson(json!({"sub": decoded.identity()})).into_response(),
///         Err(error) => render_error(&jwt, &error), // e.g. the expired_token_loader's answer
///     }
/// }
/// ```
#[must_use]
pub fn render_error(manager: &JwtManager, error: &Error) -> Response {
    log(error);
    let message_key = manager.config().error_message_key();
    let mut response = manager
        .extension::<ErrorResponses>()
        .and_then(|r| r.render(error, message_key))
        .unwrap_or_else(|| render_default_error(error, message_key));
    response.extensions_mut().insert(error.clone());
    response
}

/// Renamed [`render_error`] (the builder's
/// [`error_response`](JwtManagerBuilderExt::error_response) registers the
/// catch-all response; this function renders an error).
#[deprecated(since = "0.2.0", note = "renamed to `render_error`")]
#[must_use]
pub fn error_response(manager: &JwtManager, error: &Error) -> Response {
    render_error(manager, error)
}

/// Renamed [`render_default_error`].
#[deprecated(since = "0.2.0", note = "renamed to `render_default_error`")]
#[must_use]
pub fn default_error_response(error: &Error, message_key: &str) -> Response {
    render_default_error(error, message_key)
}

/// Renders an error without a manager: the defaults with the key `msg`,
/// marked so that a [`JwtLayer`](super::JwtLayer) further out renders it
/// again with its manager.
fn render_unmanaged(error: Error) -> Response {
    log(&error);
    let mut response = render_default_error(&error, "msg");
    response.extensions_mut().insert(error);
    response.extensions_mut().insert(RenderedWithDefaults);
    response
}

/// Marks a response that a [`JwtRejection`] without a manager rendered with
/// the defaults, so that a [`JwtLayer`](super::JwtLayer) further out can
/// render its error again with the layer's manager.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RenderedWithDefaults;

/// Renders again, with `manager`'s responses, a response that a
/// [`JwtRejection::from_error`] (`?` on an [`Error`] in a handler) rendered
/// with the defaults. Headers the handler put beside the rejection (say, a
/// `Set-Cookie`) and response extensions are kept; any other response is
/// returned as it is.
pub(crate) fn render_with_manager(manager: &JwtManager, response: Response) -> Response {
    if response
        .extensions()
        .get::<RenderedWithDefaults>()
        .is_none()
    {
        return response;
    }
    let Some(error) = response.extensions().get::<Error>().cloned() else {
        return response;
    };
    let (parts, _default_body) = response.into_parts();
    let mut rendered = render_error(manager, &error);
    let own: Vec<header::HeaderName> = rendered.headers().keys().cloned().collect();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH && !own.contains(name) {
            rendered.headers_mut().append(name.clone(), value.clone());
        }
    }
    let mut extensions = parts.extensions;
    extensions.remove::<RenderedWithDefaults>();
    extensions.extend(std::mem::take(rendered.extensions_mut()));
    *rendered.extensions_mut() = extensions;
    rendered
}

impl IntoResponse for JwtRejection {
    fn into_response(self) -> Response {
        match self.inner {
            RejectionInner::Options => StatusCode::OK.into_response(),
            RejectionInner::Error(refusal) => refusal.into_response(),
        }
    }
}

/// `?` on an [`Error`] in a handler: rendered with the defaults (see
/// [`JwtRejection::from_error`]), or with the manager's responses when a
/// [`JwtLayer`](super::JwtLayer) wraps the route. To get the manager's
/// responses without a layer, use [`RejectExt::reject`].
impl From<Error> for JwtRejection {
    fn from(error: Error) -> Self {
        Self::from_error(error)
    }
}

/// `.reject(&manager)`: turns an [`Error`], or the error of a
/// `Result<T, Error>`, into a [`JwtRejection`] rendered with that manager's
/// custom responses and message key, with or without a
/// [`JwtLayer`](super::JwtLayer). The explicit form of `?` for handlers
/// (a bare `?` cannot know the manager).
///
/// ```
/// use axum::{Json, extract::State};
/// use jwt_extended::{JwtManager, axum::{JwtRejection, RejectExt}};
/// use serde_json::{Value, json};
///
/// async fn login(State(jwt): State<JwtManager>) -> Result<Json<Value>, JwtRejection> {
///     let access_token = jwt.create_access_token("alice").reject(&jwt)?;
///     Ok(Json(json!({ "access_token": access_token })))
/// }
/// ```
pub trait RejectExt: sealed::SealedReject {
    /// What the rejection wraps: `JwtRejection` for an [`Error`],
    /// `Result<T, JwtRejection>` for a `Result<T, Error>`.
    type Output;

    /// Attaches `manager` to the error, for rendering with its responses.
    ///
    /// ```
    /// use jwt_extended::{Error, JwtConfig, JwtManager, axum::RejectExt};
    ///
    /// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
    /// let rejection = Error::forbidden("Admins only!").reject(&jwt);
    /// assert_eq!(rejection.status(), 403);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
