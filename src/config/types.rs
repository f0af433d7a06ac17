//! The value types of the options: token locations, lifetimes, cookie
//! attributes, audiences and secrets.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use zeroize::Zeroizing;

use super::ConfigError;

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

/// One string or a list of strings, kept as given: what the audience and
/// issuer options take (`JWT_ENCODE_AUDIENCE` writes it into new tokens as
/// `"aud": "value"` or `"aud": ["a", "b"]`; `JWT_DECODE_AUDIENCE` and
/// `JWT_DECODE_ISSUER` accept any of its strings).
///
/// ```
/// use jwt_extended::config::OneOrMany;
///
/// assert_eq!(OneOrMany::from("api").as_slice(), ["api"]);
/// assert_eq!(OneOrMany::from(vec!["a", "b"]).as_slice(), ["a", "b"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrMany {
    /// One string.
    One(String),
    /// A list of strings.
    Many(Vec<String>),
}

/// Renamed to [`OneOrMany`]: the issuer options take it too.
#[deprecated(
    since = "0.2.0",
    note = "renamed to `OneOrMany` (the issuer options take it too)"
)]
pub type Audience = OneOrMany;

impl From<&str> for OneOrMany {
    fn from(value: &str) -> Self {
        Self::One(value.to_owned())
    }
}

impl From<String> for OneOrMany {
    fn from(value: String) -> Self {
        Self::One(value)
    }
}

impl<S: Into<String>> From<Vec<S>> for OneOrMany {
    fn from(value: Vec<S>) -> Self {
        Self::Many(value.into_iter().map(Into::into).collect())
    }
}

impl OneOrMany {
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
        crate::secure::constant_time_eq(&self.0, &other.0)
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
