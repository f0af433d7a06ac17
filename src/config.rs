//! Configuration: every `JWT_*` option of Flask-JWT-Extended, with its default.
//!
//! [`JwtConfig`] is a plain builder. Nothing is checked while you set values;
//! everything is validated once, when the [`JwtManager`](crate::JwtManager) is
//! built, into a [`ConfigError`] that names the offending option. A running
//! server therefore never fails because of its configuration.
//!
//! ```
//! use std::time::Duration;
//! use jwt_extended::config::{JwtConfig, TokenLocation};
//!
//! let config = JwtConfig::new()
//!     .with_secret_key("super-secret")
//!     .with_access_token_expires(Duration::from_secs(3600))
//!     .with_token_location([TokenLocation::Headers, TokenLocation::Cookies]);
//! assert_eq!(config.header_name(), "Authorization");
//! ```
//!
//! A Flask team can carry its settings over unchanged with
//! [`JwtConfig::from_env`] (reads `JWT_SECRET_KEY`, `JWT_TOKEN_LOCATION`, …) or
//! [`JwtConfig::from_prefixed_env`] (reads `FLASK_JWT_SECRET_KEY`, …, like
//! Flask's `app.config.from_prefixed_env()`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;
use zeroize::Zeroizing;

pub use jsonwebtoken::Algorithm;

/// Where a token may be found in a request (`JWT_TOKEN_LOCATION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenLocation {
    /// The `Authorization` header (or `JWT_HEADER_NAME`).
    Headers,
    /// The access/refresh cookies, with CSRF double-submit protection.
    Cookies,
    /// A query-string parameter (`JWT_QUERY_STRING_NAME`).
    QueryString,
    /// A key of a JSON request body (`JWT_JSON_KEY`, `JWT_REFRESH_JSON_KEY`).
    Json,
}

impl TokenLocation {
    /// The reference's name of the location: `headers`, `cookies`,
    /// `query_string` or `json`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Headers => "headers",
            Self::Cookies => "cookies",
            Self::QueryString => "query_string",
            Self::Json => "json",
        }
    }
}

impl fmt::Display for TokenLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenLocation {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "headers" => Ok(Self::Headers),
            "cookies" => Ok(Self::Cookies),
            "query_string" => Ok(Self::QueryString),
            "json" => Ok(Self::Json),
            other => Err(ConfigError::UnknownTokenLocation(other.to_owned())),
        }
    }
}

/// How long a token lives (`JWT_ACCESS_TOKEN_EXPIRES`,
/// `JWT_REFRESH_TOKEN_EXPIRES`).
///
/// Unlike the reference, a zero duration is rejected when the manager is
/// built: in Python `timedelta(0)` silently means "never expires".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expiry {
    /// Expires this long after creation.
    After(Duration),
    /// Expires after a number of calendar months (like `relativedelta(months=n)`:
    /// the day of month is kept, clamped to the target month's length), plus a
    /// further duration.
    Months {
        /// Calendar months to add.
        months: u32,
        /// Extra time added after the months.
        plus: Duration,
    },
    /// No `exp` claim: the token never expires (the reference's `False`).
    Never,
}

impl From<Duration> for Expiry {
    fn from(value: Duration) -> Self {
        Self::After(value)
    }
}

/// The `SameSite` attribute of the JWT and CSRF cookies (`JWT_COOKIE_SAMESITE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None` (browsers require `Secure` with it).
    None,
}

impl SameSite {
    /// The attribute value as written in `Set-Cookie`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "Strict",
            Self::Lax => "Lax",
            Self::None => "None",
        }
    }
}

/// An audience, as written into new tokens (`JWT_ENCODE_AUDIENCE`): a single
/// string or a list, kept as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `"aud": "value"`.
    One(String),
    /// `"aud": ["a", "b"]`.
    Many(Vec<String>),
}

impl From<&str> for Audience {
    fn from(value: &str) -> Self {
        Self::One(value.to_owned())
    }
}

impl From<String> for Audience {
    fn from(value: String) -> Self {
        Self::One(value)
    }
}

impl<S: Into<String>> From<Vec<S>> for Audience {
    fn from(value: Vec<S>) -> Self {
        Self::Many(value.into_iter().map(Into::into).collect())
    }
}

impl Audience {
    /// The audiences as a list (a single string is a one-element list).
    #[must_use]
    pub fn as_slice(&self) -> &[String] {
        match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many,
        }
    }
}

/// Secret bytes (an HMAC secret or a PEM private key) that never show up in
/// `Debug` output or logs. Equality is checked in constant time (for equal
/// lengths). The bytes are overwritten with zeros when the value is dropped
/// (with the `zeroize` crate), so a dropped configuration leaves no copy of
/// the secret in freed memory.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        crate::csrf::constant_time_eq(&self.0, &other.0)
    }
}

impl Eq for Secret {}

impl Secret {
    /// Wraps secret bytes.
    #[must_use]
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(bytes.into()))
    }

    /// The secret bytes. Handle with care.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value.as_bytes())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value.into_bytes())
    }
}

impl From<&[u8]> for Secret {
    fn from(value: &[u8]) -> Self {
        Self::new(value)
    }
}

impl From<Vec<u8>> for Secret {
    fn from(value: Vec<u8>) -> Self {
        Self::new(value)
    }
}

/// A configuration problem, found when the manager is built.
///
/// Every variant names the option at fault ([`ConfigError::option`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An HMAC algorithm is configured but no secret is set.
    #[error(
        "JWT_SECRET_KEY or flask SECRET_KEY must be set when using symmetric algorithm \"{0}\""
    )]
    MissingSecret(String),
    /// An asymmetric algorithm is configured but no private key is set.
    #[error("JWT_PRIVATE_KEY must be set to use asymmetric cryptography algorithm \"{0}\"")]
    MissingPrivateKey(String),
    /// An asymmetric algorithm is configured but no public key is set.
    #[error("JWT_PUBLIC_KEY must be set to use asymmetric cryptography algorithm \"{0}\"")]
    MissingPublicKey(String),
    /// A key could not be parsed or does not suit the algorithm.
    #[error("{option}: {reason}")]
    InvalidKey {
        /// The option holding the key.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `JWT_TOKEN_LOCATION` (or a per-route override) is empty.
    #[error(
        "JWT_TOKEN_LOCATION must contain at least one of \"headers\", \"cookies\", \"query_string\", or \"json\""
    )]
    EmptyTokenLocation,
    /// `JWT_TOKEN_LOCATION` names an unknown location.
    #[error(
        "JWT_TOKEN_LOCATION can only contain \"headers\", \"cookies\", \"query_string\", or \"json\" (got {0:?})"
    )]
    UnknownTokenLocation(String),
    /// A header-name option is empty or not a valid HTTP header name.
    #[error("{option} must be a valid, non-empty HTTP header name (got {value:?})")]
    InvalidHeaderName {
        /// The option.
        option: &'static str,
        /// The rejected value.
        value: String,
    },
    /// An algorithm is unknown or not supported by this crate.
    #[error("{option}: algorithm {value:?} is not supported")]
    UnsupportedAlgorithm {
        /// The option.
        option: &'static str,
        /// The rejected name.
        value: String,
    },
    /// Any other invalid value (zero lifetimes, unparsable environment
    /// values, empty names, …).
    #[error("{option}: {reason}")]
    InvalidValue {
        /// The option.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No `jsonwebtoken` crypto backend is available: enable the `aws-lc-rs`
    /// or `rust-crypto` feature, or install a `jsonwebtoken` `CryptoProvider`.
    #[error(
        "no jsonwebtoken CryptoProvider: enable the `aws-lc-rs` or `rust-crypto` feature of jwt-extended"
    )]
    NoCryptoProvider,
}

impl ConfigError {
    /// The name of the Flask option this error is about (e.g. `JWT_SECRET_KEY`).
    #[must_use]
    pub fn option(&self) -> &'static str {
        match self {
            Self::MissingSecret(_) => "JWT_SECRET_KEY",
            Self::MissingPrivateKey(_) => "JWT_PRIVATE_KEY",
            Self::MissingPublicKey(_) => "JWT_PUBLIC_KEY",
            Self::EmptyTokenLocation | Self::UnknownTokenLocation(_) => "JWT_TOKEN_LOCATION",
            Self::InvalidKey { option, .. }
            | Self::InvalidHeaderName { option, .. }
            | Self::UnsupportedAlgorithm { option, .. }
            | Self::InvalidValue { option, .. } => option,
            Self::NoCryptoProvider => "JWT_ALGORITHM",
        }
    }

    fn invalid(option: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidValue {
            option,
            reason: reason.into(),
        }
    }
}

/// The non-session cookie lifetime of the reference (about one year).
pub const NON_SESSION_COOKIE_MAX_AGE: u64 = 31_540_000;

/// Every Flask-JWT-Extended option, with the reference's default.
///
/// Build one with [`JwtConfig::new`] (all defaults) and the `with_*` methods,
/// or read it from the environment with [`JwtConfig::from_env`]. Each getter
/// and setter names its Flask option in its documentation.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct JwtConfig {
    pub(crate) access_cookie_name: String,
    pub(crate) access_cookie_path: String,
    pub(crate) access_csrf_cookie_name: String,
    pub(crate) access_csrf_cookie_path: String,
    pub(crate) access_csrf_field_name: String,
    pub(crate) access_csrf_header_name: String,
    pub(crate) access_token_expires: Expiry,
    pub(crate) algorithm: Algorithm,
    pub(crate) cookie_csrf_protect: bool,
    pub(crate) cookie_domain: Option<String>,
    pub(crate) cookie_samesite: Option<SameSite>,
    pub(crate) cookie_secure: bool,
    /// Whether `JWT_COOKIE_SECURE` was set explicitly (even to `false`): the
    /// acknowledgement that silences the start-up warning.
    pub(crate) cookie_secure_explicit: bool,
    pub(crate) csrf_check_form: bool,
    pub(crate) csrf_in_cookies: bool,
    pub(crate) csrf_methods: Vec<String>,
    pub(crate) decode_algorithms: Vec<Algorithm>,
    pub(crate) decode_audience: Option<Vec<String>>,
    pub(crate) decode_issuer: Option<Vec<String>>,
    pub(crate) decode_leeway: Duration,
    pub(crate) encode_audience: Option<Audience>,
    pub(crate) encode_issuer: Option<String>,
    pub(crate) encode_nbf: bool,
    pub(crate) error_message_key: String,
    pub(crate) header_name: String,
    pub(crate) header_type: String,
    pub(crate) identity_claim: String,
    pub(crate) json_key: String,
    pub(crate) private_key: Option<Secret>,
    pub(crate) public_key: Option<String>,
    pub(crate) query_string_name: String,
    pub(crate) query_string_value_prefix: String,
    pub(crate) refresh_cookie_name: String,
    pub(crate) refresh_cookie_path: String,
    pub(crate) refresh_csrf_cookie_name: String,
    pub(crate) refresh_csrf_cookie_path: String,
    pub(crate) refresh_csrf_field_name: String,
    pub(crate) refresh_csrf_header_name: String,
    pub(crate) refresh_json_key: String,
    pub(crate) refresh_token_expires: Expiry,
    pub(crate) secret_key: Option<Secret>,
    pub(crate) flask_secret_key: Option<Secret>,
    pub(crate) session_cookie: bool,
    pub(crate) token_location: Vec<TokenLocation>,
    pub(crate) verify_sub: bool,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            access_cookie_name: "access_token_cookie".into(),
            access_cookie_path: "/".into(),
            access_csrf_cookie_name: "csrf_access_token".into(),
            access_csrf_cookie_path: "/".into(),
            access_csrf_field_name: "csrf_token".into(),
            access_csrf_header_name: "X-CSRF-TOKEN".into(),
            access_token_expires: Expiry::After(Duration::from_secs(15 * 60)),
            algorithm: Algorithm::HS256,
            cookie_csrf_protect: true,
            cookie_domain: None,
            cookie_samesite: None,
            cookie_secure: false,
            cookie_secure_explicit: false,
            csrf_check_form: false,
            csrf_in_cookies: true,
            csrf_methods: ["POST", "PUT", "PATCH", "DELETE"]
                .map(String::from)
                .to_vec(),
            decode_algorithms: Vec::new(),
            decode_audience: None,
            decode_issuer: None,
            decode_leeway: Duration::ZERO,
            encode_audience: None,
            encode_issuer: None,
            encode_nbf: true,
            error_message_key: "msg".into(),
            header_name: "Authorization".into(),
            header_type: "Bearer".into(),
            identity_claim: "sub".into(),
            json_key: "access_token".into(),
            private_key: None,
            public_key: None,
            query_string_name: "jwt".into(),
            query_string_value_prefix: String::new(),
            refresh_cookie_name: "refresh_token_cookie".into(),
            refresh_cookie_path: "/".into(),
            refresh_csrf_cookie_name: "csrf_refresh_token".into(),
            refresh_csrf_cookie_path: "/".into(),
            refresh_csrf_field_name: "csrf_token".into(),
            refresh_csrf_header_name: "X-CSRF-TOKEN".into(),
            refresh_json_key: "refresh_token".into(),
            refresh_token_expires: Expiry::After(Duration::from_secs(30 * 24 * 3600)),
            secret_key: None,
            flask_secret_key: None,
            session_cookie: true,
            token_location: vec![TokenLocation::Headers],
            verify_sub: true,
        }
    }
}

macro_rules! string_options {
    ($( $(#[$doc:meta])* $field:ident, $setter:ident; )*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $setter(mut self, value: impl Into<String>) -> Self {
                self.$field = value.into();
                self
            }
        )*
    };
}

macro_rules! string_getters {
    ($( $(#[$doc:meta])* $field:ident; )*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $field(&self) -> &str {
                &self.$field
            }
        )*
    };
}

macro_rules! bool_options {
    ($( $(#[$doc:meta])* $field:ident, $setter:ident; )*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $setter(mut self, value: bool) -> Self {
                self.$field = value;
                self
            }
        )*
    };
}

macro_rules! bool_getters {
    ($( $(#[$doc:meta])* $field:ident; )*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $field(&self) -> bool {
                self.$field
            }
        )*
    };
}

impl JwtConfig {
    /// A configuration with every option at the reference's default.
    ///
    /// The secret is unset: set [`with_secret_key`](Self::with_secret_key)
    /// (or keys for an asymmetric algorithm) before building a manager.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    string_options! {
        /// `JWT_ACCESS_COOKIE_NAME` (default `access_token_cookie`): the cookie
        /// that holds the access token.
        access_cookie_name, with_access_cookie_name;
        /// `JWT_ACCESS_COOKIE_PATH` (default `/`): `Path` of the access cookie.
        access_cookie_path, with_access_cookie_path;
        /// `JWT_ACCESS_CSRF_COOKIE_NAME` (default `csrf_access_token`): the
        /// script-readable cookie holding the access token's CSRF value.
        access_csrf_cookie_name, with_access_csrf_cookie_name;
        /// `JWT_ACCESS_CSRF_COOKIE_PATH` (default `/`).
        access_csrf_cookie_path, with_access_csrf_cookie_path;
        /// `JWT_ACCESS_CSRF_FIELD_NAME` (default `csrf_token`): form field
        /// checked when [`with_csrf_check_form`](Self::with_csrf_check_form) is on.
        access_csrf_field_name, with_access_csrf_field_name;
        /// `JWT_ACCESS_CSRF_HEADER_NAME` (default `X-CSRF-TOKEN`): header that
        /// carries the CSRF value for access-token cookies.
        access_csrf_header_name, with_access_csrf_header_name;
        /// `JWT_ERROR_MESSAGE_KEY` (default `msg`): key of the JSON error body.
        error_message_key, with_error_message_key;
        /// `JWT_HEADER_NAME` (default `Authorization`).
        header_name, with_header_name;
        /// `JWT_HEADER_TYPE` (default `Bearer`): the scheme word before the
        /// token; empty means the header holds only the token.
        header_type, with_header_type;
        /// `JWT_IDENTITY_CLAIM` (default `sub`): the claim holding the identity.
        identity_claim, with_identity_claim;
        /// `JWT_JSON_KEY` (default `access_token`): JSON body key of access tokens.
        json_key, with_json_key;
        /// `JWT_QUERY_STRING_NAME` (default `jwt`).
        query_string_name, with_query_string_name;
        /// `JWT_QUERY_STRING_VALUE_PREFIX` (default empty): literal prefix the
        /// query value must start with, e.g. `"Bearer "`.
        query_string_value_prefix, with_query_string_value_prefix;
        /// `JWT_REFRESH_COOKIE_NAME` (default `refresh_token_cookie`).
        refresh_cookie_name, with_refresh_cookie_name;
        /// `JWT_REFRESH_COOKIE_PATH` (default `/`).
        refresh_cookie_path, with_refresh_cookie_path;
        /// `JWT_REFRESH_CSRF_COOKIE_NAME` (default `csrf_refresh_token`).
        refresh_csrf_cookie_name, with_refresh_csrf_cookie_name;
        /// `JWT_REFRESH_CSRF_COOKIE_PATH` (default `/`).
        refresh_csrf_cookie_path, with_refresh_csrf_cookie_path;
        /// `JWT_REFRESH_CSRF_FIELD_NAME` (default `csrf_token`).
        refresh_csrf_field_name, with_refresh_csrf_field_name;
        /// `JWT_REFRESH_CSRF_HEADER_NAME` (default `X-CSRF-TOKEN`).
        refresh_csrf_header_name, with_refresh_csrf_header_name;
        /// `JWT_REFRESH_JSON_KEY` (default `refresh_token`).
        refresh_json_key, with_refresh_json_key;
    }

    string_getters! {
        /// `JWT_ACCESS_COOKIE_NAME`.
        access_cookie_name;
        /// `JWT_ACCESS_COOKIE_PATH`.
        access_cookie_path;
        /// `JWT_ACCESS_CSRF_COOKIE_NAME`.
        access_csrf_cookie_name;
        /// `JWT_ACCESS_CSRF_COOKIE_PATH`.
        access_csrf_cookie_path;
        /// `JWT_ACCESS_CSRF_FIELD_NAME`.
        access_csrf_field_name;
        /// `JWT_ACCESS_CSRF_HEADER_NAME`.
        access_csrf_header_name;
        /// `JWT_ERROR_MESSAGE_KEY`.
        error_message_key;
        /// `JWT_HEADER_NAME`.
        header_name;
        /// `JWT_HEADER_TYPE`.
        header_type;
        /// `JWT_IDENTITY_CLAIM`.
        identity_claim;
        /// `JWT_JSON_KEY`.
        json_key;
        /// `JWT_QUERY_STRING_NAME`.
        query_string_name;
        /// `JWT_QUERY_STRING_VALUE_PREFIX`.
        query_string_value_prefix;
        /// `JWT_REFRESH_COOKIE_NAME`.
        refresh_cookie_name;
        /// `JWT_REFRESH_COOKIE_PATH`.
        refresh_cookie_path;
        /// `JWT_REFRESH_CSRF_COOKIE_NAME`.
        refresh_csrf_cookie_name;
        /// `JWT_REFRESH_CSRF_COOKIE_PATH`.
        refresh_csrf_cookie_path;
        /// `JWT_REFRESH_CSRF_FIELD_NAME`.
        refresh_csrf_field_name;
        /// `JWT_REFRESH_CSRF_HEADER_NAME`.
        refresh_csrf_header_name;
        /// `JWT_REFRESH_JSON_KEY`.
        refresh_json_key;
    }

    bool_options! {
        /// `JWT_COOKIE_CSRF_PROTECT` (default `true`): master CSRF switch. New
        /// tokens get a `csrf` claim, cookie lookups enforce CSRF on
        /// `JWT_CSRF_METHODS`, and the cookie helpers write CSRF cookies.
        cookie_csrf_protect, with_cookie_csrf_protect;
        /// `JWT_CSRF_CHECK_FORM` (default `false`): when the CSRF header is
        /// missing, also look in the form body (needs the
        /// [`JwtLayer`](crate::axum::JwtLayer) to buffer the body).
        csrf_check_form, with_csrf_check_form;
        /// `JWT_CSRF_IN_COOKIES` (default `true`): whether the cookie helpers
        /// write the CSRF cookies. Does not turn CSRF checking off.
        csrf_in_cookies, with_csrf_in_cookies;
        /// `JWT_ENCODE_NBF` (default `true`): write an `nbf` claim equal to `iat`.
        encode_nbf, with_encode_nbf;
        /// `JWT_SESSION_COOKIE` (default `true`): session cookies (no
        /// `Max-Age`). When `false`, cookies get `Max-Age=31540000`.
        session_cookie, with_session_cookie;
        /// `JWT_VERIFY_SUB` (default `true`): a `sub` claim, when present, must
        /// be a string (`Subject must be a string`). Turn off only to read
        /// legacy tokens with non-string subjects.
        verify_sub, with_verify_sub;
    }

    bool_getters! {
        /// `JWT_COOKIE_CSRF_PROTECT`.
        cookie_csrf_protect;
        /// `JWT_COOKIE_SECURE`.
        cookie_secure;
        /// `JWT_CSRF_CHECK_FORM`.
        csrf_check_form;
        /// `JWT_CSRF_IN_COOKIES`.
        csrf_in_cookies;
        /// `JWT_ENCODE_NBF`.
        encode_nbf;
        /// `JWT_SESSION_COOKIE`.
        session_cookie;
        /// `JWT_VERIFY_SUB`.
        verify_sub;
    }

    /// `JWT_COOKIE_SECURE` (default `false`, as in the reference): adds
    /// `Secure` to every JWT and CSRF cookie.
    ///
    /// # Security
    /// Turn this on in production: without it browsers also send the cookies
    /// over plain HTTP. When cookies are a token location and this is off,
    /// building the manager logs a `tracing` warning, unless the value was
    /// set explicitly: `.with_cookie_secure(false)` (or
    /// `JWT_COOKIE_SECURE=false` in the environment) is the acknowledgement
    /// for local development over `http://`.
    #[must_use]
    pub fn with_cookie_secure(mut self, value: bool) -> Self {
        self.cookie_secure = value;
        self.cookie_secure_explicit = true;
        self
    }

    /// `JWT_SECRET_KEY` (default unset): the HMAC secret for `HS*` algorithms.
    ///
    /// Use random bytes, at least as many as the hash's output (32 for
    /// HS256, 48 for HS384, 64 for HS512; RFC 7518 §3.2): building a manager
    /// with a shorter secret logs a warning, or fails with
    /// [`enforce_minimum_key_length`](crate::JwtManagerBuilder::enforce_minimum_key_length).
    #[must_use]
    pub fn with_secret_key(mut self, secret: impl Into<Secret>) -> Self {
        self.secret_key = Some(secret.into());
        self
    }

    /// Flask's `SECRET_KEY`, used when `JWT_SECRET_KEY` is unset (as in the
    /// reference).
    #[must_use]
    pub fn with_flask_secret_key(mut self, secret: impl Into<Secret>) -> Self {
        self.flask_secret_key = Some(secret.into());
        self
    }

    /// The effective HMAC secret: `JWT_SECRET_KEY`, else Flask's `SECRET_KEY`.
    #[must_use]
    pub fn secret_key(&self) -> Option<&Secret> {
        self.secret_key
            .as_ref()
            .filter(|s| !s.0.is_empty())
            .or(self.flask_secret_key.as_ref().filter(|s| !s.0.is_empty()))
    }

    /// `JWT_PRIVATE_KEY` (default unset): PEM private key (PKCS#1, PKCS#8 or
    /// SEC1) used to sign with an asymmetric algorithm.
    #[must_use]
    pub fn with_private_key(mut self, pem: impl Into<Secret>) -> Self {
        self.private_key = Some(pem.into());
        self
    }

    /// `JWT_PRIVATE_KEY`.
    #[must_use]
    pub fn private_key(&self) -> Option<&Secret> {
        self.private_key.as_ref()
    }

    /// `JWT_PUBLIC_KEY` (default unset): PEM public key used to verify with an
    /// asymmetric algorithm.
    #[must_use]
    pub fn with_public_key(mut self, pem: impl Into<String>) -> Self {
        self.public_key = Some(pem.into());
        self
    }

    /// `JWT_PUBLIC_KEY`.
    #[must_use]
    pub fn public_key(&self) -> Option<&str> {
        self.public_key.as_deref()
    }

    /// `JWT_ACCESS_TOKEN_EXPIRES` (default 15 minutes). Accepts a
    /// [`Duration`] or an [`Expiry`].
    #[must_use]
    pub fn with_access_token_expires(mut self, expiry: impl Into<Expiry>) -> Self {
        self.access_token_expires = expiry.into();
        self
    }

    /// `JWT_ACCESS_TOKEN_EXPIRES`.
    #[must_use]
    pub fn access_token_expires(&self) -> Expiry {
        self.access_token_expires
    }

    /// `JWT_REFRESH_TOKEN_EXPIRES` (default 30 days).
    #[must_use]
    pub fn with_refresh_token_expires(mut self, expiry: impl Into<Expiry>) -> Self {
        self.refresh_token_expires = expiry.into();
        self
    }

    /// `JWT_REFRESH_TOKEN_EXPIRES`.
    #[must_use]
    pub fn refresh_token_expires(&self) -> Expiry {
        self.refresh_token_expires
    }

    /// `JWT_ALGORITHM` (default `HS256`): signs new tokens and picks the key
    /// configuration.
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// `JWT_ALGORITHM`.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// `JWT_DECODE_ALGORITHMS` (default: only `JWT_ALGORITHM`): algorithms
    /// accepted when decoding. `JWT_ALGORITHM` is always added.
    #[must_use]
    pub fn with_decode_algorithms(
        mut self,
        algorithms: impl IntoIterator<Item = Algorithm>,
    ) -> Self {
        self.decode_algorithms = algorithms.into_iter().collect();
        self
    }

    /// The effective `JWT_DECODE_ALGORITHMS`: the configured list (or
    /// `[JWT_ALGORITHM]`) with `JWT_ALGORITHM` appended when missing.
    #[must_use]
    pub fn decode_algorithms(&self) -> Vec<Algorithm> {
        let mut algorithms = self.decode_algorithms.clone();
        if !algorithms.contains(&self.algorithm) {
            algorithms.push(self.algorithm);
        }
        algorithms
    }

    /// `JWT_COOKIE_DOMAIN` (default unset: host-only cookies). A leading dot
    /// is dropped when the cookie is written, like Werkzeug does.
    #[must_use]
    pub fn with_cookie_domain(mut self, domain: impl Into<String>) -> Self {
        self.cookie_domain = Some(domain.into());
        self
    }

    /// `JWT_COOKIE_DOMAIN`.
    #[must_use]
    pub fn cookie_domain(&self) -> Option<&str> {
        self.cookie_domain.as_deref()
    }

    /// `JWT_COOKIE_SAMESITE` (default unset: no `SameSite` attribute, as in
    /// the reference).
    #[must_use]
    pub fn with_cookie_samesite(mut self, samesite: impl Into<Option<SameSite>>) -> Self {
        self.cookie_samesite = samesite.into();
        self
    }

    /// `JWT_COOKIE_SAMESITE`.
    #[must_use]
    pub fn cookie_samesite(&self) -> Option<SameSite> {
        self.cookie_samesite
    }

    /// `JWT_CSRF_METHODS` (default `POST, PUT, PATCH, DELETE`): methods that
    /// need the CSRF value when the token came from a cookie. Compared
    /// case-sensitively with the upper-case request method, as in the reference.
    #[must_use]
    pub fn with_csrf_methods<S: Into<String>>(
        mut self,
        methods: impl IntoIterator<Item = S>,
    ) -> Self {
        self.csrf_methods = methods.into_iter().map(Into::into).collect();
        self
    }

    /// `JWT_CSRF_METHODS`.
    #[must_use]
    pub fn csrf_methods(&self) -> &[String] {
        &self.csrf_methods
    }

    /// `JWT_DECODE_AUDIENCE` (default unset: audience not checked, even when
    /// a token has `aud`). Any overlap between the token's and these
    /// audiences passes.
    #[must_use]
    pub fn with_decode_audience(mut self, audience: impl Into<Audience>) -> Self {
        self.decode_audience = Some(audience.into().as_slice().to_vec());
        self
    }

    /// `JWT_DECODE_AUDIENCE`.
    #[must_use]
    pub fn decode_audience(&self) -> Option<&[String]> {
        self.decode_audience.as_deref()
    }

    /// `JWT_DECODE_ISSUER` (default unset): expected `iss`. Given a list, any
    /// of its values is accepted. Matching is exact (no substring matching,
    /// unlike PyJWT 2.10.0's CVE-2024-53861).
    #[must_use]
    pub fn with_decode_issuer(mut self, issuer: impl Into<Audience>) -> Self {
        self.decode_issuer = Some(issuer.into().as_slice().to_vec());
        self
    }

    /// `JWT_DECODE_ISSUER`.
    #[must_use]
    pub fn decode_issuer(&self) -> Option<&[String]> {
        self.decode_issuer.as_deref()
    }

    /// `JWT_DECODE_LEEWAY` (default 0): clock skew allowed on `exp`, `nbf`
    /// and `iat`.
    #[must_use]
    pub fn with_decode_leeway(mut self, leeway: Duration) -> Self {
        self.decode_leeway = leeway;
        self
    }

    /// `JWT_DECODE_LEEWAY`.
    #[must_use]
    pub fn decode_leeway(&self) -> Duration {
        self.decode_leeway
    }

    /// `JWT_ENCODE_AUDIENCE` (default unset): `aud` written into new tokens,
    /// a string or a list.
    #[must_use]
    pub fn with_encode_audience(mut self, audience: impl Into<Audience>) -> Self {
        self.encode_audience = Some(audience.into());
        self
    }

    /// `JWT_ENCODE_AUDIENCE`.
    #[must_use]
    pub fn encode_audience(&self) -> Option<&Audience> {
        self.encode_audience.as_ref()
    }

    /// `JWT_ENCODE_ISSUER` (default unset): `iss` written into new tokens.
    #[must_use]
    pub fn with_encode_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.encode_issuer = Some(issuer.into());
        self
    }

    /// `JWT_ENCODE_ISSUER`.
    #[must_use]
    pub fn encode_issuer(&self) -> Option<&str> {
        self.encode_issuer.as_deref()
    }

    /// `JWT_TOKEN_LOCATION` (default `headers` only): where tokens are looked
    /// for, in order. Duplicates are dropped when the manager is built.
    #[must_use]
    pub fn with_token_location(
        mut self,
        locations: impl IntoIterator<Item = TokenLocation>,
    ) -> Self {
        self.token_location = locations.into_iter().collect();
        self
    }

    /// `JWT_TOKEN_LOCATION`.
    #[must_use]
    pub fn token_location(&self) -> &[TokenLocation] {
        &self.token_location
    }

    /// The `Max-Age` the cookie helpers write by default: `None` for session
    /// cookies, else [`NON_SESSION_COOKIE_MAX_AGE`].
    #[must_use]
    pub fn cookie_max_age(&self) -> Option<u64> {
        if self.session_cookie {
            None
        } else {
            Some(NON_SESSION_COOKIE_MAX_AGE)
        }
    }

    /// Reads every `JWT_*` option (and Flask's `SECRET_KEY`) from the process
    /// environment, starting from the defaults.
    ///
    /// Values use the forms a Flask config file would: numbers of seconds or
    /// `false` for lifetimes, `true`/`false` for switches, comma-separated or
    /// JSON lists for `JWT_TOKEN_LOCATION`, `JWT_CSRF_METHODS`,
    /// `JWT_DECODE_ALGORITHMS` and audiences.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first option whose value cannot be parsed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Like [`from_env`](Self::from_env) for variables named with a prefix,
    /// as Flask's `app.config.from_prefixed_env(prefix)` reads them:
    /// `from_prefixed_env("FLASK")` reads `FLASK_JWT_SECRET_KEY`,
    /// `FLASK_SECRET_KEY`, …
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first option whose value cannot be parsed.
    pub fn from_prefixed_env(prefix: &str) -> Result<Self, ConfigError> {
        let prefix = format!("{prefix}_");
        Self::from_vars(
            std::env::vars()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_owned(), v))),
        )
    }

    /// Builds a configuration from `(name, value)` pairs using the Flask
    /// option names; unknown names are ignored.
    ///
    /// ```
    /// use jwt_extended::config::{JwtConfig, TokenLocation, Expiry};
    ///
    /// let config = JwtConfig::from_vars([
    ///     ("JWT_SECRET_KEY", "s3cret"),
    ///     ("JWT_ACCESS_TOKEN_EXPIRES", "false"),
    ///     ("JWT_TOKEN_LOCATION", "headers,cookies"),
    /// ])?;
    /// assert_eq!(config.access_token_expires(), Expiry::Never);
    /// assert_eq!(config.token_location(), [TokenLocation::Headers, TokenLocation::Cookies]);
    /// # Ok::<(), jwt_extended::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first option whose value cannot be parsed.
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Self, ConfigError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut config = Self::default();
        for (name, value) in vars {
            config.set(name.as_ref(), value.as_ref())?;
        }
        Ok(config)
    }

    /// Sets one option from its Flask name and a string value (the forms of
    /// [`from_env`](Self::from_env)). Returns `false` for unknown names.
    ///
    /// # Errors
    /// A [`ConfigError`] if the value cannot be parsed for that option.
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool, ConfigError> {
        let option = match OPTION_NAMES.iter().find(|n| **n == name) {
            Some(option) => *option,
            None if name == "SECRET_KEY" => {
                self.flask_secret_key = Some(value.into());
                return Ok(true);
            }
            None => return Ok(false),
        };
        let text = || value.to_owned();
        match option {
            "JWT_ACCESS_COOKIE_NAME" => self.access_cookie_name = text(),
            "JWT_ACCESS_COOKIE_PATH" => self.access_cookie_path = text(),
            "JWT_ACCESS_CSRF_COOKIE_NAME" => self.access_csrf_cookie_name = text(),
            "JWT_ACCESS_CSRF_COOKIE_PATH" => self.access_csrf_cookie_path = text(),
            "JWT_ACCESS_CSRF_FIELD_NAME" => self.access_csrf_field_name = text(),
            "JWT_ACCESS_CSRF_HEADER_NAME" => self.access_csrf_header_name = text(),
            "JWT_ACCESS_TOKEN_EXPIRES" => self.access_token_expires = parse_expiry(option, value)?,
            "JWT_ALGORITHM" => self.algorithm = parse_algorithm(option, value.trim())?,
            "JWT_COOKIE_CSRF_PROTECT" => self.cookie_csrf_protect = parse_bool(option, value)?,
            "JWT_COOKIE_DOMAIN" => self.cookie_domain = non_empty(value),
            "JWT_COOKIE_SAMESITE" => self.cookie_samesite = parse_samesite(option, value)?,
            "JWT_COOKIE_SECURE" => {
                self.cookie_secure = parse_bool(option, value)?;
                self.cookie_secure_explicit = true;
            }
            "JWT_CSRF_CHECK_FORM" => self.csrf_check_form = parse_bool(option, value)?,
            "JWT_CSRF_IN_COOKIES" => self.csrf_in_cookies = parse_bool(option, value)?,
            "JWT_CSRF_METHODS" => self.csrf_methods = parse_list(option, value)?,
            "JWT_DECODE_ALGORITHMS" => {
                self.decode_algorithms = parse_list(option, value)?
                    .iter()
                    .map(|a| parse_algorithm(option, a))
                    .collect::<Result<_, _>>()?;
            }
            "JWT_DECODE_AUDIENCE" => {
                self.decode_audience =
                    parse_audience(option, value)?.map(|a| a.as_slice().to_vec());
            }
            "JWT_DECODE_ISSUER" => {
                self.decode_issuer = parse_audience(option, value)?.map(|a| a.as_slice().to_vec());
            }
            "JWT_DECODE_LEEWAY" => self.decode_leeway = parse_seconds(option, value)?,
            "JWT_ENCODE_AUDIENCE" => self.encode_audience = parse_audience(option, value)?,
            "JWT_ENCODE_ISSUER" => self.encode_issuer = non_empty(value),
            "JWT_ENCODE_NBF" => self.encode_nbf = parse_bool(option, value)?,
            "JWT_ERROR_MESSAGE_KEY" => self.error_message_key = text(),
            "JWT_HEADER_NAME" => self.header_name = text(),
            "JWT_HEADER_TYPE" => self.header_type = text(),
            "JWT_IDENTITY_CLAIM" => self.identity_claim = text(),
            "JWT_JSON_KEY" => self.json_key = text(),
            "JWT_PRIVATE_KEY" => self.private_key = non_empty(value).map(Secret::from),
            "JWT_PUBLIC_KEY" => self.public_key = non_empty(value),
            "JWT_QUERY_STRING_NAME" => self.query_string_name = text(),
            "JWT_QUERY_STRING_VALUE_PREFIX" => self.query_string_value_prefix = text(),
            "JWT_REFRESH_COOKIE_NAME" => self.refresh_cookie_name = text(),
            "JWT_REFRESH_COOKIE_PATH" => self.refresh_cookie_path = text(),
            "JWT_REFRESH_CSRF_COOKIE_NAME" => self.refresh_csrf_cookie_name = text(),
            "JWT_REFRESH_CSRF_COOKIE_PATH" => self.refresh_csrf_cookie_path = text(),
            "JWT_REFRESH_CSRF_FIELD_NAME" => self.refresh_csrf_field_name = text(),
            "JWT_REFRESH_CSRF_HEADER_NAME" => self.refresh_csrf_header_name = text(),
            "JWT_REFRESH_JSON_KEY" => self.refresh_json_key = text(),
            "JWT_REFRESH_TOKEN_EXPIRES" => {
                self.refresh_token_expires = parse_expiry(option, value)?;
            }
            "JWT_SECRET_KEY" => self.secret_key = non_empty(value).map(Secret::from),
            "JWT_SESSION_COOKIE" => self.session_cookie = parse_bool(option, value)?,
            "JWT_TOKEN_LOCATION" => {
                self.token_location = parse_list(option, value)?
                    .iter()
                    .map(|l| l.parse())
                    .collect::<Result<_, _>>()?;
            }
            "JWT_VERIFY_SUB" => self.verify_sub = parse_bool(option, value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The names of all 43 options, as Flask-JWT-Extended spells them.
pub const OPTION_NAMES: [&str; 43] = [
    "JWT_ACCESS_COOKIE_NAME",
    "JWT_ACCESS_COOKIE_PATH",
    "JWT_ACCESS_CSRF_COOKIE_NAME",
    "JWT_ACCESS_CSRF_COOKIE_PATH",
    "JWT_ACCESS_CSRF_FIELD_NAME",
    "JWT_ACCESS_CSRF_HEADER_NAME",
    "JWT_ACCESS_TOKEN_EXPIRES",
    "JWT_ALGORITHM",
    "JWT_COOKIE_CSRF_PROTECT",
    "JWT_COOKIE_DOMAIN",
    "JWT_COOKIE_SAMESITE",
    "JWT_COOKIE_SECURE",
    "JWT_CSRF_CHECK_FORM",
    "JWT_CSRF_IN_COOKIES",
    "JWT_CSRF_METHODS",
    "JWT_DECODE_ALGORITHMS",
    "JWT_DECODE_AUDIENCE",
    "JWT_DECODE_ISSUER",
    "JWT_DECODE_LEEWAY",
    "JWT_ENCODE_AUDIENCE",
    "JWT_ENCODE_ISSUER",
    "JWT_ENCODE_NBF",
    "JWT_ERROR_MESSAGE_KEY",
    "JWT_HEADER_NAME",
    "JWT_HEADER_TYPE",
    "JWT_IDENTITY_CLAIM",
    "JWT_JSON_KEY",
    "JWT_PRIVATE_KEY",
    "JWT_PUBLIC_KEY",
    "JWT_QUERY_STRING_NAME",
    "JWT_QUERY_STRING_VALUE_PREFIX",
    "JWT_REFRESH_COOKIE_NAME",
    "JWT_REFRESH_COOKIE_PATH",
    "JWT_REFRESH_CSRF_COOKIE_NAME",
    "JWT_REFRESH_CSRF_COOKIE_PATH",
    "JWT_REFRESH_CSRF_FIELD_NAME",
    "JWT_REFRESH_CSRF_HEADER_NAME",
    "JWT_REFRESH_JSON_KEY",
    "JWT_REFRESH_TOKEN_EXPIRES",
    "JWT_SECRET_KEY",
    "JWT_SESSION_COOKIE",
    "JWT_TOKEN_LOCATION",
    "JWT_VERIFY_SUB",
];

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

fn parse_bool(option: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::invalid(
            option,
            format!("expected true or false, got {value:?}"),
        )),
    }
}

/// A comma-separated list, or a JSON list of strings (Flask's
/// `from_prefixed_env` parses values as JSON).
fn parse_list(option: &'static str, value: &str) -> Result<Vec<String>, ConfigError> {
    let trimmed = value.trim();
    if trimmed.starts_with('[') {
        return serde_json::from_str::<Vec<String>>(trimmed).map_err(|e| {
            ConfigError::invalid(option, format!("expected a JSON list of strings: {e}"))
        });
    }
    if trimmed.starts_with('"')
        && let Ok(single) = serde_json::from_str::<String>(trimmed)
    {
        return Ok(vec![single]);
    }
    Ok(trimmed
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

fn parse_audience(option: &'static str, value: &str) -> Result<Option<Audience>, ConfigError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.starts_with('[') || trimmed.contains(',') {
        let list = parse_list(option, trimmed)?;
        return Ok((!list.is_empty()).then_some(Audience::Many(list)));
    }
    Ok(Some(Audience::One(
        serde_json::from_str::<String>(trimmed).unwrap_or_else(|_| trimmed.to_owned()),
    )))
}

fn parse_algorithm(option: &'static str, value: &str) -> Result<Algorithm, ConfigError> {
    value
        .parse()
        .map_err(|_| ConfigError::UnsupportedAlgorithm {
            option,
            value: value.to_owned(),
        })
}

fn parse_samesite(option: &'static str, value: &str) -> Result<Option<SameSite>, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "strict" => Ok(Some(SameSite::Strict)),
        "lax" => Ok(Some(SameSite::Lax)),
        "none" => Ok(Some(SameSite::None)),
        _ => Err(ConfigError::invalid(
            option,
            format!("expected Strict, Lax or None, got {value:?}"),
        )),
    }
}

fn parse_seconds(option: &'static str, value: &str) -> Result<Duration, ConfigError> {
    let secs: f64 = value.trim().parse().map_err(|_| {
        ConfigError::invalid(
            option,
            format!("expected a number of seconds, got {value:?}"),
        )
    })?;
    Duration::try_from_secs_f64(secs).map_err(|_| {
        ConfigError::invalid(
            option,
            format!("expected a non-negative number of seconds, got {value:?}"),
        )
    })
}

fn parse_expiry(option: &'static str, value: &str) -> Result<Expiry, ConfigError> {
    let trimmed = value.trim();
    if trimmed.eq_ignore_ascii_case("false") {
        return Ok(Expiry::Never);
    }
    match trimmed.parse::<u64>() {
        Ok(secs) => Ok(Expiry::After(Duration::from_secs(secs))),
        Err(_) => Err(ConfigError::invalid(
            option,
            format!(
                "must be able to add {option} to datetime.datetime: expected a whole number of seconds or false, got {value:?}"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_reference() {
        let c = JwtConfig::new();
        assert_eq!(c.token_location(), [TokenLocation::Headers]);
        assert_eq!(c.access_cookie_name(), "access_token_cookie");
        assert_eq!(c.csrf_methods(), ["POST", "PUT", "PATCH", "DELETE"]);
        assert_eq!(
            c.access_token_expires(),
            Expiry::After(Duration::from_secs(900))
        );
        assert_eq!(
            c.refresh_token_expires(),
            Expiry::After(Duration::from_secs(2_592_000))
        );
        assert_eq!(c.decode_algorithms(), vec![Algorithm::HS256]);
        assert_eq!(c.cookie_max_age(), None);
        assert_eq!(c.error_message_key(), "msg");
        assert!(c.verify_sub());
    }

    #[test]
    fn env_values_parse() {
        let c = JwtConfig::from_vars([
            ("JWT_ACCESS_TOKEN_EXPIRES", "60"),
            ("JWT_REFRESH_TOKEN_EXPIRES", "False"),
            ("JWT_TOKEN_LOCATION", r#"["cookies", "json"]"#),
            ("JWT_CSRF_METHODS", "GET"),
            ("JWT_COOKIE_SAMESITE", "strict"),
            ("JWT_DECODE_ALGORITHMS", "HS512"),
            ("JWT_ALGORITHM", "RS256"),
            ("JWT_SESSION_COOKIE", "false"),
            ("UNRELATED", "x"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.access_token_expires(),
            Expiry::After(Duration::from_secs(60))
        );
        assert_eq!(c.refresh_token_expires(), Expiry::Never);
        assert_eq!(
            c.token_location(),
            [TokenLocation::Cookies, TokenLocation::Json]
        );
        assert_eq!(c.csrf_methods(), ["GET"]);
        assert_eq!(c.cookie_samesite(), Some(SameSite::Strict));
        assert_eq!(
            c.decode_algorithms(),
            vec![Algorithm::HS512, Algorithm::RS256]
        );
        assert_eq!(c.cookie_max_age(), Some(31_540_000));
    }

    #[test]
    fn env_errors_name_the_option() {
        let err = JwtConfig::from_vars([("JWT_ACCESS_TOKEN_EXPIRES", "banana")]).unwrap_err();
        assert_eq!(err.option(), "JWT_ACCESS_TOKEN_EXPIRES");
        let err = JwtConfig::from_vars([("JWT_TOKEN_LOCATION", "banana")]).unwrap_err();
        assert_eq!(err.option(), "JWT_TOKEN_LOCATION");
        let err = JwtConfig::from_vars([("JWT_ALGORITHM", "ES512")]).unwrap_err();
        assert_eq!(err.option(), "JWT_ALGORITHM");
        let err = JwtConfig::from_vars([("JWT_COOKIE_SECURE", "maybe")]).unwrap_err();
        assert_eq!(err.option(), "JWT_COOKIE_SECURE");
    }

    #[test]
    fn secrets_are_redacted() {
        let c = JwtConfig::new()
            .with_secret_key("hunter2-very-secret")
            .with_private_key("-----BEGIN PRIVATE KEY-----");
        let debug = format!("{c:?}");
        assert!(!debug.contains("hunter2"));
        assert!(!debug.contains("BEGIN"));
    }

    #[test]
    fn flask_secret_key_is_the_fallback() {
        let c = JwtConfig::new().with_flask_secret_key("flask");
        assert_eq!(c.secret_key().map(Secret::expose), Some(&b"flask"[..]));
        let c = c.with_secret_key("jwt");
        assert_eq!(c.secret_key().map(Secret::expose), Some(&b"jwt"[..]));
    }

    #[test]
    fn option_names_are_all_settable() {
        for name in OPTION_NAMES {
            let mut c = JwtConfig::new();
            let sample = match name {
                "JWT_ACCESS_TOKEN_EXPIRES" | "JWT_REFRESH_TOKEN_EXPIRES" | "JWT_DECODE_LEEWAY" => {
                    "5"
                }
                "JWT_ALGORITHM" | "JWT_DECODE_ALGORITHMS" => "HS384",
                "JWT_TOKEN_LOCATION" => "json",
                "JWT_COOKIE_SAMESITE" => "Lax",
                n if n.ends_with("_PROTECT")
                    || n.ends_with("_SECURE")
                    || n.ends_with("_FORM")
                    || n.ends_with("_IN_COOKIES")
                    || n.ends_with("_NBF")
                    || n.ends_with("_SESSION_COOKIE")
                    || n.ends_with("_VERIFY_SUB") =>
                {
                    "false"
                }
                _ => "x",
            };
            assert_eq!(c.set(name, sample), Ok(true), "{name}");
        }
    }
}
