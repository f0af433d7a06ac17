//! The app's error responses, framework-free: which registered handler
//! answers an error (its kind, then its category, then the resource-server
//! style, then the catch-all), the reference's loader shapes (header,
//! claims, message) and its default `{"msg": …}` body. Each framework
//! module stores one [`ErrorHandlers`] per response type in the builder's
//! extensions and only turns the chosen answer into its own response.

mod bearer;

use std::fmt;
use std::sync::Arc;

use http::{HeaderValue, StatusCode};
use serde_json::{Map, Value};

pub use bearer::BearerErrorStyle;

use crate::compat::json::flask_json_bytes;
use crate::error::{Error, ErrorCategory, ErrorKind};

/// A registered response: the error in, the framework's response out.
pub(crate) type Handler<R> = Arc<dyn Fn(&Error) -> R + Send + Sync>;

/// The custom responses of one framework (`R` is its response type), in
/// the order of precedence the reference's loaders imply.
pub(crate) struct ErrorHandlers<R> {
    kinds: Vec<(ErrorKind, Handler<R>)>,
    categories: Vec<(ErrorCategory, Handler<R>)>,
    fallback: Option<Handler<R>>,
    bearer: Option<BearerErrorStyle>,
}

impl<R> Default for ErrorHandlers<R> {
    fn default() -> Self {
        Self {
            kinds: Vec::new(),
            categories: Vec::new(),
            fallback: None,
            bearer: None,
        }
    }
}

impl<R> Clone for ErrorHandlers<R> {
    fn clone(&self) -> Self {
        Self {
            kinds: self.kinds.clone(),
            categories: self.categories.clone(),
            fallback: self.fallback.clone(),
            bearer: self.bearer.clone(),
        }
    }
}

impl<R> fmt::Debug for ErrorHandlers<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorResponses")
            .field(
                "kinds",
                &self.kinds.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field(
                "categories",
                &self.categories.iter().map(|(c, _)| c).collect::<Vec<_>>(),
            )
            .field("fallback", &self.fallback.is_some())
            .field("bearer", &self.bearer)
            .finish()
    }
}

/// How the app answers an error, before a framework renders it.
pub(crate) enum Answer<'a, R> {
    /// A registered handler's response.
    Custom(&'a Handler<R>),
    /// The default body with this status and `WWW-Authenticate` challenge
    /// (the resource-server style).
    Bearer(StatusCode, HeaderValue),
}

impl<R> ErrorHandlers<R> {
    /// The app's answer for `error`, in the order of precedence: its kind,
    /// its category, the resource-server style, the catch-all. `None`: the
    /// reference's default.
    pub(crate) fn answer(&self, error: &Error) -> Option<Answer<'_, R>> {
        if let Some(handler) = self.specific(error) {
            return Some(Answer::Custom(handler));
        }
        if let Some((status, challenge)) = self.bearer.as_ref().and_then(|b| b.challenge(error)) {
            return Some(Answer::Bearer(status, challenge));
        }
        self.fallback.as_ref().map(Answer::Custom)
    }

    fn specific(&self, error: &Error) -> Option<&Handler<R>> {
        let kind = error.kind();
        self.kinds
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, h)| h)
            .or_else(|| {
                self.categories
                    .iter()
                    .find(|(c, _)| *c == kind.category())
                    .map(|(_, h)| h)
            })
    }

    /// Registers the response of a category (one of the reference's loaders).
    pub(crate) fn set_category(&mut self, category: ErrorCategory, handler: Handler<R>) {
        self.categories.retain(|(c, _)| *c != category);
        self.categories.push((category, handler));
    }

    /// Registers the response of one kind.
    pub(crate) fn set_kind(&mut self, kind: ErrorKind, handler: Handler<R>) {
        self.kinds.retain(|(k, _)| *k != kind);
        self.kinds.push((kind, handler));
    }

    /// Registers the catch-all response.
    pub(crate) fn set_fallback(&mut self, handler: Handler<R>) {
        self.fallback = Some(handler);
    }

    /// Switches the resource-server style on.
    pub(crate) fn set_bearer(&mut self, style: BearerErrorStyle) {
        self.bearer = Some(style);
    }
}

/// The token's header and claims carried by an error (empty maps when it
/// has none), for the loaders that take them.
pub(crate) fn token_parts(error: &Error) -> (Map<String, Value>, Map<String, Value>) {
    error
        .token()
        .map(|t| (t.header.clone(), t.claims.clone()))
        .unwrap_or_default()
}

/// The reference's loader shape `(header, claims, message)` as a handler.
pub(crate) fn claims_handler<R, F>(f: F) -> impl Fn(&Error) -> R + Send + Sync + 'static
where
    F: Fn(&Map<String, Value>, &Map<String, Value>, &str) -> R + Send + Sync + 'static,
{
    move |error| {
        let (header, claims) = token_parts(error);
        f(&header, &claims, error.message())
    }
}

/// The reference's loader shape `(message)` as a handler.
pub(crate) fn message_handler<R, F>(f: F) -> impl Fn(&Error) -> R + Send + Sync + 'static
where
    F: Fn(&str) -> R + Send + Sync + 'static,
{
    move |error| f(error.message())
}

/// The reference's default body, `{"<key>": "<message>"}` encoded like
/// Flask's `jsonify`.
pub(crate) fn default_body(error: &Error, message_key: &str) -> Vec<u8> {
    let mut body = Map::new();
    body.insert(message_key.to_owned(), Value::from(error.message()));
    // A map of strings always serialises; the fallback is never used.
    flask_json_bytes(&Value::Object(body)).unwrap_or_else(|_| b"{}\n".to_vec())
}

/// Logs a refusal: server-side faults (5xx) as errors, with the detail of
/// a wiring mistake; client errors at debug level.
pub(crate) fn log(error: &Error) {
    let code = error.kind().as_str();
    if error.status().is_server_error() {
        tracing::error!(code, error = %error, "request refused");
    } else {
        tracing::debug!(code, error = %error, "request refused");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handlers() -> ErrorHandlers<u16> {
        let mut handlers = ErrorHandlers::default();
        handlers.set_fallback(Arc::new(|_| 1));
        handlers.set_category(ErrorCategory::InvalidToken, Arc::new(|_| 2));
        handlers.set_kind(ErrorKind::WrongTokenType, Arc::new(|_| 3));
        handlers
    }

    fn chosen(handlers: &ErrorHandlers<u16>, kind: ErrorKind) -> Option<u16> {
        match handlers.answer(&Error::new(kind, "x")) {
            Some(Answer::Custom(handler)) => Some(handler(&Error::new(kind, "x"))),
            Some(Answer::Bearer(status, _)) => Some(status.as_u16()),
            None => None,
        }
    }

    #[test]
    fn kind_then_category_then_bearer_then_fallback() {
        let mut handlers = handlers();
        assert_eq!(chosen(&handlers, ErrorKind::WrongTokenType), Some(3));
        assert_eq!(chosen(&handlers, ErrorKind::InvalidSignature), Some(2));
        assert_eq!(chosen(&handlers, ErrorKind::ExpiredToken), Some(1));
        handlers.set_bearer(BearerErrorStyle::new());
        assert_eq!(chosen(&handlers, ErrorKind::ExpiredToken), Some(401));
        assert_eq!(chosen(&handlers, ErrorKind::CsrfMismatch), Some(1));
        assert_eq!(
            chosen(&ErrorHandlers::default(), ErrorKind::CsrfMismatch),
            None
        );
    }

    #[test]
    fn default_body_is_jsonify() {
        let error = Error::new(ErrorKind::ExpiredToken, "Token has expired");
        assert_eq!(
            default_body(&error, "msg"),
            b"{\"msg\":\"Token has expired\"}\n"
        );
    }
}
