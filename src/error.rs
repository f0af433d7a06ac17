//! The error type of every fallible operation on tokens and requests.
//!
//! An [`Error`] carries an [`ErrorKind`] (what went wrong, as a value to match
//! on), the client-facing message (byte for byte the text Flask-JWT-Extended
//! would send), and, for the kinds where the reference hands them to its
//! callbacks, the token's header and claims.
//!
//! Nothing in this module knows about HTTP frameworks. The default status of
//! each kind is an [`http::StatusCode`] ([`ErrorKind::status`]), and each kind
//! has a stable machine-readable code ([`ErrorKind::as_str`]); the `axum`
//! module turns errors into responses.
//!
//! One error schema for every failure, from these three parts:
//!
//! ```
//! use jwt_extended::{Error, ErrorKind};
//! use serde_json::json;
//!
//! let error = Error::new(ErrorKind::ExpiredToken, "Token has expired");
//! let body = json!({"error": error.kind().as_str(), "message": error.message()});
//! assert_eq!(error.status(), http::StatusCode::UNAUTHORIZED);
//! assert_eq!(body, json!({"error": "expired_token", "message": "Token has expired"}));
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::StatusCode;
use serde_json::{Map, Value};

/// Shorthand for `Result<T, jwt_extended::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The class of an [`Error`].
///
/// Each variant states its default HTTP status and which of the reference's
/// callbacks it corresponds to. Match on it to customise responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No token in any of the searched locations (401, "unauthorized").
    MissingToken,
    /// A cookie token arrived on a CSRF-protected method without a CSRF value
    /// (401 `Missing CSRF token`, "unauthorized").
    MissingCsrfToken,
    /// The CSRF value did not match the token's `csrf` claim
    /// (401 `CSRF double submit tokens do not match`, "unauthorized").
    CsrfMismatch,
    /// The `Authorization` (or configured) header has the wrong layout (422).
    InvalidHeader,
    /// The query-string value lacks the configured prefix (422).
    InvalidQueryParam,
    /// The token is structurally broken: segments, base64, JSON (422).
    MalformedToken,
    /// The `alg` header is missing, not allowed, or not supported (422).
    InvalidAlgorithm,
    /// The signature does not verify with the key (422).
    InvalidSignature,
    /// `iat` or `nbf` lies in the future (422).
    ImmatureToken,
    /// A claim has the wrong type or format (`iat`, `nbf`, `exp`, `sub`,
    /// `jti`, `aud` format, `iss` type) (422).
    InvalidClaim,
    /// A required claim is absent: the identity claim, `csrf`, or an
    /// expected `aud`/`iss` (422).
    MissingClaim,
    /// The token's audience does not match the expected one (422).
    InvalidAudience,
    /// The token's issuer does not match the expected one (422).
    InvalidIssuer,
    /// An access token where a refresh token is required, or the reverse (422).
    WrongTokenType,
    /// The token has expired (401 `Token has expired`, "expired").
    ExpiredToken,
    /// A fresh token is required (401 `Fresh token required`, "needs fresh").
    FreshTokenRequired,
    /// The token has been revoked (401 `Token has been revoked`, "revoked").
    RevokedToken,
    /// The app's claims verification rejected the token
    /// (400 `User claims verification failed`).
    ClaimsVerificationFailed,
    /// The user lookup found no user (401 `Error loading the user <identity>`).
    UserLookupFailed,
    /// The blocklist store could not answer in time, so the request is refused
    /// (503). Not part of the reference, which has no stores.
    BlocklistUnavailable,
    /// The request body was too large to be searched for a token (413).
    BodyTooLarge,
    /// The token is longer than `JWT_MAX_TOKEN_SIZE` and was refused before
    /// any decoding. Not in the reference, which leaves size limits to its
    /// server. 431 when it came in a header, a cookie or the query string;
    /// the [`Error`] says 413 when it came in the JSON body or was handed to
    /// [`JwtManager::decode_token`](crate::JwtManager::decode_token) (see
    /// [`Error::status`]).
    TokenTooLarge,
    /// A token could not be created: serialisation, key or header problems.
    /// Never caused by a client; 500 if it ever reaches a response.
    Encode,
    /// The application is wired incorrectly (for example an extractor that
    /// needs a layer which was not added). 500, with a message naming the fix.
    Misconfigured,
    /// One of the application's own loaders (user lookup, decode key, …)
    /// failed, for example because its database is down. Not in the
    /// reference, whose loaders can only raise. 500 by default; answer 503
    /// instead with `error_kind_response` if that suits the cause better.
    LoaderFailed,
    /// An authorisation guard refused a valid token: a missing role, group
    /// or scope (403, "forbidden"). Not in the reference, whose custom
    /// decorators answer their own 403s.
    Forbidden,
    /// The keys of a trusted issuer cannot be known right now (its
    /// provider is down or too slow) and the token needs a key not already
    /// known, so the request is refused (503, fail closed). Not in the
    /// reference, which has no remote keys.
    KeysUnavailable,
    /// A refresh token that was already exchanged was presented again
    /// (refresh-token rotation): the session has been revoked (401,
    /// "revoked"). Not in the reference, which does not rotate.
    RefreshTokenReused,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ErrorKind] = &[
        Self::MissingToken,
        Self::MissingCsrfToken,
        Self::CsrfMismatch,
        Self::InvalidHeader,
        Self::InvalidQueryParam,
        Self::MalformedToken,
        Self::InvalidAlgorithm,
        Self::InvalidSignature,
        Self::ImmatureToken,
        Self::InvalidClaim,
        Self::MissingClaim,
        Self::InvalidAudience,
        Self::InvalidIssuer,
        Self::WrongTokenType,
        Self::ExpiredToken,
        Self::FreshTokenRequired,
        Self::RevokedToken,
        Self::ClaimsVerificationFailed,
        Self::UserLookupFailed,
        Self::BlocklistUnavailable,
        Self::BodyTooLarge,
        Self::TokenTooLarge,
        Self::Encode,
        Self::Misconfigured,
        Self::LoaderFailed,
        Self::Forbidden,
        Self::KeysUnavailable,
        Self::RefreshTokenReused,
    ];

    /// A machine-readable code for this kind, in snake_case: the variant's
    /// name (`ExpiredToken` → `"expired_token"`).
    ///
    /// **Stable**: these strings are part of the public API. A code never
    /// changes meaning or spelling once released; new kinds add new codes.
    /// Use them in response bodies, logs and metrics.
    ///
    /// ```
    /// use jwt_extended::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::ExpiredToken.as_str(), "expired_token");
    /// assert_eq!(ErrorKind::Forbidden.as_str(), "forbidden");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::MissingCsrfToken => "missing_csrf_token",
            Self::CsrfMismatch => "csrf_mismatch",
            Self::InvalidHeader => "invalid_header",
            Self::InvalidQueryParam => "invalid_query_param",
            Self::MalformedToken => "malformed_token",
            Self::InvalidAlgorithm => "invalid_algorithm",
            Self::InvalidSignature => "invalid_signature",
            Self::ImmatureToken => "immature_token",
            Self::InvalidClaim => "invalid_claim",
            Self::MissingClaim => "missing_claim",
            Self::InvalidAudience => "invalid_audience",
            Self::InvalidIssuer => "invalid_issuer",
            Self::WrongTokenType => "wrong_token_type",
            Self::ExpiredToken => "expired_token",
            Self::FreshTokenRequired => "fresh_token_required",
            Self::RevokedToken => "revoked_token",
            Self::ClaimsVerificationFailed => "claims_verification_failed",
            Self::UserLookupFailed => "user_lookup_failed",
            Self::BlocklistUnavailable => "blocklist_unavailable",
            Self::BodyTooLarge => "body_too_large",
            Self::TokenTooLarge => "token_too_large",
            Self::Encode => "encode",
            Self::Misconfigured => "misconfigured",
            Self::LoaderFailed => "loader_failed",
            Self::Forbidden => "forbidden",
            Self::KeysUnavailable => "keys_unavailable",
            Self::RefreshTokenReused => "refresh_token_reused",
        }
    }

    /// The status the reference answers with for this kind (403 for
    /// [`Forbidden`](Self::Forbidden), 503, 431, 413 and 500 for the kinds it
    /// does not have). An [`Error`] of kind [`TokenTooLarge`](Self::TokenTooLarge)
    /// may carry 413 instead of this 431: see [`Error::status`].
    ///
    /// ```
    /// use jwt_extended::ErrorKind;
    /// use http::StatusCode;
    ///
    /// assert_eq!(ErrorKind::InvalidSignature.status(), StatusCode::UNPROCESSABLE_ENTITY);
    /// ```
    #[must_use]
    pub const fn status(self) -> StatusCode {
        match self.status_code() {
            400 => StatusCode::BAD_REQUEST,
            401 => StatusCode::UNAUTHORIZED,
            403 => StatusCode::FORBIDDEN,
            413 => StatusCode::PAYLOAD_TOO_LARGE,
            431 => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            422 => StatusCode::UNPROCESSABLE_ENTITY,
            503 => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The status of [`status`](Self::status) as a number.
    ///
    /// ```
    /// assert_eq!(jwt_extended::ErrorKind::MissingToken.status_code(), 401);
    /// ```
    #[must_use]
    pub const fn status_code(self) -> u16 {
        match self {
            Self::MissingToken
            | Self::MissingCsrfToken
            | Self::CsrfMismatch
            | Self::ExpiredToken
            | Self::FreshTokenRequired
            | Self::RevokedToken
            | Self::RefreshTokenReused
            | Self::UserLookupFailed => 401,
            Self::InvalidHeader
            | Self::InvalidQueryParam
            | Self::MalformedToken
            | Self::InvalidAlgorithm
            | Self::InvalidSignature
            | Self::ImmatureToken
            | Self::InvalidClaim
            | Self::MissingClaim
            | Self::InvalidAudience
            | Self::InvalidIssuer
            | Self::WrongTokenType => 422,
            Self::ClaimsVerificationFailed => 400,
            Self::Forbidden => 403,
            Self::BodyTooLarge => 413,
            Self::TokenTooLarge => 431,
            Self::BlocklistUnavailable | Self::KeysUnavailable => 503,
            Self::Encode | Self::Misconfigured | Self::LoaderFailed => 500,
        }
    }

    /// Which of the reference's error callbacks handles this kind.
    #[must_use]
    pub const fn category(self) -> ErrorCategory {
        match self {
            Self::MissingToken | Self::MissingCsrfToken | Self::CsrfMismatch => {
                ErrorCategory::Unauthorized
            }
            Self::ExpiredToken => ErrorCategory::Expired,
            Self::FreshTokenRequired => ErrorCategory::NeedsFresh,
            Self::RevokedToken | Self::RefreshTokenReused => ErrorCategory::Revoked,
            Self::ClaimsVerificationFailed => ErrorCategory::VerificationFailed,
            Self::UserLookupFailed => ErrorCategory::UserLookup,
            Self::BlocklistUnavailable | Self::KeysUnavailable => ErrorCategory::StoreUnavailable,
            Self::Forbidden => ErrorCategory::Forbidden,
            Self::InvalidHeader
            | Self::InvalidQueryParam
            | Self::MalformedToken
            | Self::InvalidAlgorithm
            | Self::InvalidSignature
            | Self::ImmatureToken
            | Self::InvalidClaim
            | Self::MissingClaim
            | Self::InvalidAudience
            | Self::InvalidIssuer
            | Self::WrongTokenType => ErrorCategory::InvalidToken,
            Self::BodyTooLarge
            | Self::TokenTooLarge
            | Self::Encode
            | Self::Misconfigured
            | Self::LoaderFailed => ErrorCategory::Internal,
        }
    }
}

/// The groups in which the reference routes errors to its callbacks
/// (`unauthorized_loader`, `invalid_token_loader`, `expired_token_loader`, …).
///
/// Custom responses can be registered per category or per [`ErrorKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCategory {
    /// Missing token and CSRF errors (`unauthorized_loader`, 401).
    Unauthorized,
    /// Every malformed or invalid token (`invalid_token_loader`, 422).
    InvalidToken,
    /// Expired token (`expired_token_loader`, 401); the error carries the
    /// token's header and claims.
    Expired,
    /// Fresh token required (`needs_fresh_token_loader`, 401).
    NeedsFresh,
    /// Revoked token (`revoked_token_loader`, 401).
    Revoked,
    /// Custom claims verification failed (`token_verification_failed_loader`, 400).
    VerificationFailed,
    /// User lookup found nobody (`user_lookup_error_loader`, 401).
    UserLookup,
    /// The blocklist store or a trusted issuer's key provider is
    /// unreachable (503). Not in the reference.
    StoreUnavailable,
    /// An authorisation guard refused the token (`forbidden_loader`, 403).
    /// Not in the reference.
    Forbidden,
    /// Server-side problems (encoding, wiring) and size limits (body,
    /// token).
    Internal,
}

/// The header and claims of the token an error is about.
///
/// Present on the kinds where the reference passes `(jwt_header, jwt_data)` to
/// its callback: expired, needs fresh, revoked, verification failed and user
/// lookup. For an expired token the claims were fully validated except `exp`.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenParts {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims, with the reference's defaults filled in.
    pub claims: Map<String, Value>,
}

/// An error from creating, decoding or verifying a token, or from looking one
/// up in a request.
///
/// Its [`Display`](fmt::Display) text is the client-facing message, identical
/// to the reference's (for example `Signature verification failed`), except
/// for the crate's own wiring mistakes ([`ErrorKind::Misconfigured`]): their
/// message is a generic `Internal Server Error`, safe to send, while
/// `Display` and [`detail`](Self::detail) name the mistake and its fix for
/// the developer (logged, never sent).
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    detail: Option<Cow<'static, str>>,
    token: Option<TokenParts>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
    /// A status other than the kind's, set by the crate where the same
    /// failure answers differently (an oversized token in a body: 413).
    status: Option<StatusCode>,
    /// The OAuth scope a guard found missing ([`Error::insufficient_scope`]).
    scope: Option<Cow<'static, str>>,
}

impl Error {
    /// Creates an error of the given kind with a client-facing message.
    #[must_use]
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                kind,
                message: message.into(),
                detail: None,
                token: None,
                source: None,
                status: None,
                scope: None,
            }),
        }
    }

    /// Attaches the token's header and claims (kept for custom responses).
    #[must_use]
    pub fn with_token(self, header: Map<String, Value>, claims: Map<String, Value>) -> Self {
        self.map_inner(|inner| inner.token = Some(TokenParts { header, claims }))
    }

    /// Attaches an underlying cause, reachable through
    /// [`std::error::Error::source`].
    #[must_use]
    pub fn with_source(self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.map_inner(|inner| inner.source = Some(Arc::new(source)))
    }

    fn map_inner(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = match Arc::try_unwrap(self.inner) {
            Ok(inner) => inner,
            Err(shared) => Inner {
                kind: shared.kind,
                message: shared.message.clone(),
                detail: shared.detail.clone(),
                token: shared.token.clone(),
                source: shared.source.clone(),
                status: shared.status,
                scope: shared.scope.clone(),
            },
        };
        f(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The client-facing message, as the reference words it.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// What the developer should know beyond the message: set on the
    /// crate's own [`ErrorKind::Misconfigured`] errors (which extractor is
    /// wired wrongly, and the fix), whose message stays generic. Logged,
    /// never sent to clients.
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind};
    ///
    /// assert_eq!(Error::new(ErrorKind::ExpiredToken, "Token has expired").detail(), None);
    /// ```
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.inner.detail.as_deref()
    }

    /// The default HTTP status of this error: its kind's
    /// [`status`](ErrorKind::status), except for a
    /// [`TokenTooLarge`](ErrorKind::TokenTooLarge) token that came in the
    /// JSON body or was handed to
    /// [`decode_token`](crate::JwtManager::decode_token): 413 there, 431
    /// (the kind's) in a header, a cookie or the query string.
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind};
    /// use http::StatusCode;
    ///
    /// let error = Error::forbidden("Admins only!");
    /// assert_eq!(error.status(), StatusCode::FORBIDDEN);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.inner.status.unwrap_or(self.inner.kind.status())
    }

    /// The default HTTP status of this error as a number (see
    /// [`status`](Self::status)).
    #[must_use]
    pub fn status_code(&self) -> u16 {
        self.status().as_u16()
    }

    /// A [`Forbidden`](ErrorKind::Forbidden) error (403): a valid token
    /// that a route's guard refuses. The message is what the client reads
    /// (`{"msg": "<message>"}` by default); a `&'static str` is not copied.
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind};
    ///
    /// let error = Error::forbidden("Admins only!");
    /// assert_eq!((error.kind(), error.message()), (ErrorKind::Forbidden, "Admins only!"));
    /// ```
    #[must_use]
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    /// A [`Forbidden`](ErrorKind::Forbidden) error (403) for a token that
    /// lacks the OAuth `scope` a route needs (`"write:posts"`; several
    /// scopes separated by spaces). The message is `Missing scope <scope>`;
    /// use [`with_scope`](Self::with_scope) on [`Error::forbidden`] for a
    /// message of your own. With the resource-server error style
    /// (`bearer_error_style` on the axum builder) the answer's
    /// `WWW-Authenticate` names the scope: `error="insufficient_scope",
    /// scope="write:posts"`; otherwise it is an ordinary 403.
    ///
    /// ```
    /// use jwt_extended::{Error, ErrorKind};
    ///
    /// let error = Error::insufficient_scope("write:posts");
    /// assert_eq!(error.kind(), ErrorKind::Forbidden);
    /// assert_eq!(error.scope(), Some("write:posts"));
    /// assert_eq!(error.message(), "Missing scope write:posts");
    /// ```
    #[must_use]
    pub fn insufficient_scope(scope: impl Into<Cow<'static, str>>) -> Self {
        let scope = scope.into();
        Self::forbidden(format!("Missing scope {scope}")).with_scope(scope)
    }

    /// Names the OAuth scope that the request lacks (see
    /// [`insufficient_scope`](Self::insufficient_scope)), keeping the
    /// error's kind and message.
    ///
    /// ```
    /// use jwt_extended::Error;
    ///
    /// let error = Error::forbidden("Writers only").with_scope("write:posts");
    /// assert_eq!((error.message(), error.scope()), ("Writers only", Some("write:posts")));
    /// ```
    #[must_use]
    pub fn with_scope(self, scope: impl Into<Cow<'static, str>>) -> Self {
        let scope = scope.into();
        self.map_inner(|inner| inner.scope = Some(scope))
    }

    /// The OAuth scope the request lacks, when the error names one.
    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        self.inner.scope.as_deref()
    }

    /// The header and claims of the token, for the kinds that carry them.
    #[must_use]
    pub fn token(&self) -> Option<&TokenParts> {
        self.inner.token.as_ref()
    }

    pub(crate) fn missing_token(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::MissingToken, message)
    }

    pub(crate) fn malformed(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::MalformedToken, message)
    }

    /// A wiring mistake: the client gets [`INTERNAL_SERVER_ERROR`], the
    /// developer the detail (in `Display` and the logs).
    pub(crate) fn misconfigured(detail: impl Into<Cow<'static, str>>) -> Self {
        let detail = detail.into();
        Self::new(ErrorKind::Misconfigured, INTERNAL_SERVER_ERROR)
            .map_inner(|inner| inner.detail = Some(detail))
    }

    /// The same error answering `status` instead of its kind's (an
    /// oversized token in a body: 413, where its kind says 431).
    pub(crate) fn with_status(self, status: StatusCode) -> Self {
        self.map_inner(|inner| inner.status = Some(status))
    }

    pub(crate) fn encode(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Encode, message)
    }
}

/// The message of [`ErrorKind::Misconfigured`] errors the crate raises: what
/// clients read instead of the detail.
pub(crate) const INTERNAL_SERVER_ERROR: &str = "Internal Server Error";

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(detail) = &self.inner.detail {
            d.field("detail", detail);
        }
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish_non_exhaustive()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail().unwrap_or(&self.inner.message))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_reference() {
        assert_eq!(ErrorKind::MissingToken.status_code(), 401);
        assert_eq!(ErrorKind::CsrfMismatch.status_code(), 401);
        assert_eq!(ErrorKind::WrongTokenType.status_code(), 422);
        assert_eq!(ErrorKind::InvalidHeader.status_code(), 422);
        assert_eq!(ErrorKind::ClaimsVerificationFailed.status_code(), 400);
        assert_eq!(ErrorKind::BlocklistUnavailable.status_code(), 503);
        assert_eq!(ErrorKind::KeysUnavailable.status_code(), 503);
    }

    #[test]
    fn display_is_the_client_message() {
        let err = Error::new(ErrorKind::InvalidSignature, "Signature verification failed");
        assert_eq!(err.to_string(), "Signature verification failed");
        assert_eq!(err.kind().category(), ErrorCategory::InvalidToken);
    }

    #[test]
    fn codes_are_stable() {
        let codes: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            codes,
            [
                "missing_token",
                "missing_csrf_token",
                "csrf_mismatch",
                "invalid_header",
                "invalid_query_param",
                "malformed_token",
                "invalid_algorithm",
                "invalid_signature",
                "immature_token",
                "invalid_claim",
                "missing_claim",
                "invalid_audience",
                "invalid_issuer",
                "wrong_token_type",
                "expired_token",
                "fresh_token_required",
                "revoked_token",
                "claims_verification_failed",
                "user_lookup_failed",
                "blocklist_unavailable",
                "body_too_large",
                "token_too_large",
                "encode",
                "misconfigured",
                "loader_failed",
                "forbidden",
                "keys_unavailable",
                "refresh_token_reused",
            ]
        );
        for kind in ErrorKind::ALL {
            assert_eq!(kind.status().as_u16(), kind.status_code(), "{kind:?}");
            let debug = format!("{kind:?}");
            let snake: String = debug
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
                    sep.into_iter()
                        .chain(std::iter::once(c.to_ascii_lowercase()))
                })
                .collect();
            assert_eq!(kind.as_str(), snake);
        }
    }

    #[test]
    fn misconfigured_errors_keep_the_detail_out_of_the_message() {
        let err = Error::misconfigured("CurrentUser<app::User> needs a user loader");
        assert_eq!(err.message(), "Internal Server Error");
        assert_eq!(
            err.detail(),
            Some("CurrentUser<app::User> needs a user loader")
        );
        assert_eq!(
            err.to_string(),
            "CurrentUser<app::User> needs a user loader"
        );
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_status_override_wins_over_the_kind() {
        let err = Error::new(ErrorKind::TokenTooLarge, "Token is too large");
        assert_eq!(err.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let err = err
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
            .with_source(std::fmt::Error);
        assert_eq!(
            (err.status(), err.status_code()),
            (StatusCode::PAYLOAD_TOO_LARGE, 413)
        );
        assert_eq!(err.kind().status_code(), 431);
        assert_eq!(err.kind().category(), ErrorCategory::Internal);
    }

    #[test]
    fn token_parts_survive_cloning() {
        let mut claims = Map::new();
        claims.insert("sub".into(), Value::from("me"));
        let err = Error::new(ErrorKind::ExpiredToken, "Token has expired")
            .with_token(Map::new(), claims.clone());
        let copy = err.clone();
        assert_eq!(copy.token().map(|t| &t.claims), Some(&claims));
    }
}
