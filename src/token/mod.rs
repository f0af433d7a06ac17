//! Tokens: creating them, decoding them, and the verified result.
//!
//! - [`TokenBuilder`] creates access and refresh tokens with the reference's
//!   claim layout (`fresh`, `iat`, `jti`, `type`, identity, `nbf`, `csrf`,
//!   `aud`, `iss`, `exp`, then additional claims): encoded
//!   ([`create`](TokenBuilder::create)) or as an [`IssuedToken`] that also
//!   tells its `jti`, CSRF value and expiry ([`issue`](TokenBuilder::issue)).
//! - [`CreationContext`] is what a context-aware additional-claims loader
//!   learns about the token being built (identity, token type).
//! - [`DecodedToken`] is a token whose signature and claims were verified.
//! - [`Identity`] turns your user type into the identity claim.
//! - [`SESSION_CLAIM`] ties tokens of one session together ([`TokenPair`]).
//! - [`SigningKey`] is a key to sign with, optionally naming itself (`kid`).
//! - [`KeySet`] holds several [`Key`]s by `kid`, one of them signing; the
//!   manager's live copy is a [`KeyRing`], rotated at run time and
//!   published as a JWK Set.
//!
//! This layer knows nothing of the manager: a [`TokenBuilder`] borrows the
//! manager's issuer part (signing key, creation hooks, a settings snapshot),
//! and decoding takes the key and the claim rules as arguments.

pub(crate) mod claims;
mod create;
mod identity;
pub(crate) mod issue;
pub(crate) mod jws;
pub(crate) mod keys;
mod keyset;
pub(crate) mod scan;
mod session;

use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use create::{IssuedToken, TokenBuilder};
pub use identity::{Identity, IdentityClaim};
pub use issue::{CreationContext, SigningKey};
pub use keyset::{Key, KeyError, KeyRing, KeySet};
pub use session::{SESSION_CLAIM, TokenPair};

use crate::error::{Error, ErrorKind};
use scan::{Claim, RegisteredClaims};

/// The two kinds of token (the `type` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// `"type": "access"`: used on protected routes.
    Access,
    /// `"type": "refresh"`: only accepted where a refresh token is required.
    Refresh,
}

impl TokenType {
    /// `"access"` or `"refresh"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// A token whose signature and claims have been verified.
///
/// The claims include the reference's defaults (`type` = `"access"`,
/// `fresh` = `false`, `jti` = `null` when absent). Cloning is cheap.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use jwt_extended::{JwtConfig, JwtManager};
///
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
/// let token = jwt.create_access_token("alice")?;
/// let decoded = jwt.decode_token(&token).await?;
/// assert_eq!(decoded.identity(), "alice");
/// assert_eq!(decoded.token_type(), Some("access"));
/// assert!(!decoded.is_fresh());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedToken {
    inner: Arc<DecodedInner>,
}

/// The claims the library reads are picked out at decode time
/// (`registered`); the full header and claims are parsed from the decoded
/// JSON on first use, so a request whose handler only reads the identity
/// never builds a `Map`.
struct DecodedInner {
    /// The registered claims and the identity claim, defaults filled in.
    registered: RegisteredClaims,
    json: jws::DecodedJson,
    header: OnceLock<Map<String, Value>>,
    claims: OnceLock<Map<String, Value>>,
    identity_claim: Arc<str>,
}

impl DecodedToken {
    /// A verified token. `maps`: the full header and claims (defaults
    /// filled in) when the decode already had them.
    pub(crate) fn new(
        registered: RegisteredClaims,
        json: jws::DecodedJson,
        maps: Option<(Map<String, Value>, Map<String, Value>)>,
        identity_claim: Arc<str>,
    ) -> Self {
        let (header, claims) = match maps {
            Some((header, claims)) => (OnceLock::from(header), OnceLock::from(claims)),
            None => (OnceLock::new(), OnceLock::new()),
        };
        Self {
            inner: Arc::new(DecodedInner {
                registered,
                json,
                header,
                claims,
                identity_claim,
            }),
        }
    }

    /// The JOSE header (`alg`, `typ`, `kid`, and any additional headers).
    #[must_use]
    pub fn header(&self) -> &Map<String, Value> {
        self.inner.header()
    }

    /// Every claim of the payload, with the reference's defaults filled in
    /// (what `get_jwt()` returns in Flask).
    #[must_use]
    pub fn claims(&self) -> &Map<String, Value> {
        self.inner.claims()
    }

    /// One claim by name.
    #[must_use]
    pub fn claim(&self, name: &str) -> Option<&Value> {
        let inner = &*self.inner;
        match inner.registered.lookup(name, &inner.identity_claim) {
            Some(value) => value,
            None => inner.claims().get(name),
        }
    }

    /// The claims deserialised into your own type.
    ///
    /// # Errors
    /// An [`ErrorKind::InvalidClaim`] error if the claims do not fit `T`.
    pub fn claims_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&Value::Object(self.claims().clone()))
            .map_err(|e| Error::new(ErrorKind::InvalidClaim, format!("Invalid claims: {e}")))
    }

    /// The identity (the value of `JWT_IDENTITY_CLAIM`, `sub` by default):
    /// what `get_jwt_identity()` returns in Flask.
    #[must_use]
    pub fn identity(&self) -> &Value {
        self.inner
            .registered
            .identity(&self.inner.identity_claim)
            .unwrap_or(&Value::Null)
    }

    /// The identity as a string, when it is one.
    #[must_use]
    pub fn identity_str(&self) -> Option<&str> {
        self.identity().as_str()
    }

    /// The `jti` claim (a UUID for tokens made by this library or the
    /// reference), if it is a string.
    #[must_use]
    pub fn jti(&self) -> Option<&str> {
        self.registered(Claim::Jti).and_then(Value::as_str)
    }

    /// The `type` claim, if it is a string (`"access"`, `"refresh"`, or a
    /// custom type).
    #[must_use]
    pub fn token_type(&self) -> Option<&str> {
        self.registered(Claim::Type).and_then(Value::as_str)
    }

    /// Whether this is a refresh token (`type == "refresh"`).
    #[must_use]
    pub fn is_refresh(&self) -> bool {
        self.token_type() == Some("refresh")
    }

    /// The `exp` claim as Unix seconds, if present and numeric.
    #[must_use]
    pub fn expires_at(&self) -> Option<i64> {
        self.registered(Claim::Exp)
            .and_then(crate::compat::python::python_int)
            .map(|f| f as i64)
    }

    /// The `iat` claim as Unix seconds, if present and numeric.
    #[must_use]
    pub fn issued_at(&self) -> Option<i64> {
        self.registered(Claim::Iat)
            .and_then(crate::compat::python::python_int)
            .map(|f| f as i64)
    }

    /// The `csrf` claim, if present.
    #[must_use]
    pub fn csrf(&self) -> Option<&str> {
        self.registered(Claim::Csrf).and_then(Value::as_str)
    }

    /// Whether the token counts as fresh now: `fresh` is `true`, or a
    /// timestamp not yet passed. Any other value is not fresh.
    #[must_use]
    pub fn is_fresh(&self) -> bool {
        self.is_fresh_at(now_f64())
    }

    pub(crate) fn is_fresh_at(&self, now: f64) -> bool {
        match self.registered(Claim::Fresh) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|ts| ts >= now),
            _ => false,
        }
    }

    /// A claim the decode picked out (no `Map` needed).
    pub(crate) fn registered(&self, claim: Claim) -> Option<&Value> {
        self.inner.registered.get(claim)
    }

    /// The name of the identity claim this token was decoded with.
    #[must_use]
    pub fn identity_claim_name(&self) -> &str {
        &self.inner.identity_claim
    }
}

impl DecodedInner {
    fn header(&self) -> &Map<String, Value> {
        self.header.get_or_init(|| self.json.header_map())
    }

    fn claims(&self) -> &Map<String, Value> {
        self.claims.get_or_init(|| self.json.claims_with_defaults())
    }
}

// By content, as when the maps were built eagerly: the lazily built maps
// are compared (and shown), never the cache state.
impl PartialEq for DecodedInner {
    fn eq(&self, other: &Self) -> bool {
        self.header() == other.header()
            && self.claims() == other.claims()
            && self.identity_claim == other.identity_claim
    }
}

impl std::fmt::Debug for DecodedInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedInner")
            .field("header", self.header())
            .field("claims", self.claims())
            .field("identity_claim", &self.identity_claim)
            .finish()
    }
}

/// The current time as a float Unix timestamp (microsecond precision, like
/// Python's `datetime.now(timezone.utc).timestamp()`).
pub(crate) fn now_f64() -> f64 {
    let (secs, micros) = now_parts();
    (secs as f64 * 1e6 + f64::from(micros)) / 1e6
}

/// The current time as whole seconds plus microseconds.
pub(crate) fn now_parts() -> (i64, u32) {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_micros(),
        ),
        Err(_) => (0, 0),
    }
}
