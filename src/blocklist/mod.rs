//! Token revocation: the [`Blocklist`] trait and its stores.
//!
//! A blocklist answers one question on every protected request: has this
//! token been revoked? It is consulted after the token is verified and its
//! type and freshness checked (the reference's `token_in_blocklist_loader`),
//! for access and refresh tokens alike, unless the route opts out with
//! `skip_revocation_check`.
//!
//! Stores keep an entry only as long as the token could still be used: the
//! entry's lifetime follows the token's `exp`.
//!
//! | Store | Feature | Shared between instances |
//! |---|---|---|
//! | [`MemoryBlocklist`] | always | no |
//! | `RedisBlocklist` | `redis` | yes |
//! | `SqlBlocklist` (SQLite, PostgreSQL) | `sqlite`, `postgres` | yes (PostgreSQL) |
//!
//! When the store fails or does not answer within the manager's blocklist
//! timeout, the request is refused with 503 (fail closed). A revoked token is
//! never admitted because of a store error.
//!
//! # Revoking
//!
//! Every store is driven through the same [`JwtManager`](crate::JwtManager)
//! methods:
//!
//! | To revoke | Call |
//! |---|---|
//! | the token of the request | [`revoke(&token)`](crate::JwtManager::revoke) |
//! | an encoded token (e.g. the refresh token sent at logout) | [`revoke_encoded`](crate::JwtManager::revoke_encoded) |
//! | a token by its claims | [`revoke_claims`](crate::JwtManager::revoke_claims), or [`revoke_entry`](crate::JwtManager::revoke_entry) with a [`Revocation`] |
//! | the access **and** refresh token of a session | [`revoke_session(&access, refresh)`](crate::JwtManager::revoke_session) |
//! | every token of a session made by [`create_token_pair`](crate::JwtManager::create_token_pair) | [`revoke`](crate::JwtManager::revoke) its refresh token |
//!
//! and [`is_revoked`](crate::JwtManager::is_revoked) checks a token. A token
//! is revoked when its `jti` or its session id ([`SESSION_CLAIM`]) is in the
//! store; entries are kept until the token's `exp` plus the decode leeway
//! (refresh tokens and sessions: plus the access-token lifetime).
//!
//! ## Logging out of a session
//!
//! Flask-JWT-Extended's most asked question is how to revoke the access
//! *and* the refresh token at logout. Two ways, which combine:
//!
//! 1. **The client sends both**: the access token authenticates the logout
//!    request and the refresh token travels in the body or a cookie;
//!    [`revoke_session`](crate::JwtManager::revoke_session) verifies the
//!    refresh token, checks it belongs to the same identity, and revokes
//!    both. Works with every store and with tokens made by the reference.
//! 2. **Tokens made as a pair** with
//!    [`create_token_pair`](crate::JwtManager::create_token_pair) (opt-in)
//!    share a session id: the refresh token's `jti`, written into both
//!    tokens' `sid` claim. Revoking the refresh token revokes every access
//!    token of the session, including those a refresh endpoint minted later
//!    with [`TokenBuilder::session_of`](crate::token::TokenBuilder::session_of)
//!    and those the client did not send. Services that ignore `sid` (a Flask
//!    service sharing the Redis store) still see the individual `jti`s.
//!
//! # Writing your own store
//!
//! ```
//! use std::collections::HashSet;
//! use std::sync::Mutex;
//! use jwt_extended::blocklist::{Blocklist, BlocklistError, Revocation, revocation_keys};
//! use jwt_extended::DecodedToken;
//!
//! #[derive(Default)]
//! struct SetBlocklist(Mutex<HashSet<String>>);
//!
//! impl Blocklist for SetBlocklist {
//!     async fn is_revoked(&self, token: &DecodedToken) -> Result<bool, BlocklistError> {
//!         let set = self.0.lock().map_err(|_| BlocklistError::new("poisoned lock"))?;
//!         // The `jti`, and the session id when there is one.
//!         Ok(revocation_keys(token).any(|key| set.contains(key)))
//!     }
//!
//!     async fn revoke(&self, revocation: &Revocation) -> Result<(), BlocklistError> {
//!         let mut set = self.0.lock().map_err(|_| BlocklistError::new("poisoned lock"))?;
//!         set.insert(revocation.jti.clone());
//!         Ok(())
//!     }
//! }
//!
//! let jwt = jwt_extended::JwtManager::builder(
//!     jwt_extended::JwtConfig::new().with_secret_key("secret"),
//! )
//! .blocklist(SetBlocklist::default())
//! .build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod memory;
#[cfg(feature = "redis")]
#[path = "redis.rs"]
mod redis_store;
mod session;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

pub use memory::MemoryBlocklist;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::RedisBlocklist;
pub use session::{SESSION_CLAIM, TokenPair, revocation_keys};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres"))))]
pub use sql::{DEFAULT_TABLE_NAME, SqlBlocklist, SqlPool};

/// The `redis` crate [`RedisBlocklist`] runs on (for its connection types).
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use ::redis;

/// The `sqlx` crate [`SqlBlocklist`] runs on (for its pool types).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres"))))]
pub use ::sqlx;

use crate::hooks::BoxFuture;
use crate::token::DecodedToken;

/// An error from a blocklist store (unreachable, timed out, bad response…).
///
/// During a request it becomes a 503 `ErrorKind::BlocklistUnavailable`
/// (fail closed). The underlying error is kept as the [`source`](std::error::Error::source).
pub struct BlocklistError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl BlocklistError {
    /// An error with a message.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// An error wrapping the store's own error.
    #[must_use]
    pub fn from_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

impl fmt::Debug for BlocklistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlocklistError")
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for BlocklistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for BlocklistError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// What a store records about a revoked token.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Revocation {
    /// The token's `jti` (the lookup key).
    pub jti: String,
    /// The token's `type` (`access`, `refresh`, …).
    pub token_type: String,
    /// The token's identity claim value.
    pub identity: Value,
    /// When the token expires (Unix seconds); `None` for tokens that never
    /// expire, which stay revoked until removed.
    pub expires_at: Option<i64>,
}

impl Revocation {
    /// The revocation record of a verified token.
    ///
    /// # Errors
    /// If the token has no string `jti` (tokens made elsewhere may lack one):
    /// such a token cannot be revoked by id.
    pub fn from_token(token: &DecodedToken) -> Result<Self, BlocklistError> {
        Self::from_claims(token.claims(), token.identity_claim_name())
    }

    /// The revocation record of a token's claims (for example read from a
    /// refresh token the client handed back at logout).
    ///
    /// # Errors
    /// If the claims have no string `jti`.
    pub fn from_claims(
        claims: &Map<String, Value>,
        identity_claim: &str,
    ) -> Result<Self, BlocklistError> {
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .ok_or_else(|| BlocklistError::new("the token has no string `jti` to revoke it by"))?;
        Ok(Self {
            jti: jti.to_owned(),
            token_type: claims
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("access")
                .to_owned(),
            identity: claims.get(identity_claim).cloned().unwrap_or(Value::Null),
            expires_at: claims
                .get("exp")
                .and_then(crate::compat::python::python_int)
                .map(|f| f as i64),
        })
    }

    /// A record for a bare `jti`, expiring at `expires_at` (Unix seconds).
    #[must_use]
    pub fn for_jti(jti: impl Into<String>, expires_at: Option<i64>) -> Self {
        Self {
            jti: jti.into(),
            token_type: "access".into(),
            identity: Value::Null,
            expires_at,
        }
    }

    /// How long the entry must be kept from now: `None` = forever,
    /// `Some(ZERO)` = already expired (nothing to keep).
    #[must_use]
    pub fn remaining_lifetime(&self) -> Option<Duration> {
        let exp = self.expires_at?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let remaining = u64::try_from(exp).unwrap_or(0).saturating_sub(now);
        Some(Duration::from_secs(remaining))
    }
}

/// A store of revoked tokens (the reference's `token_in_blocklist_loader`,
/// plus revocation). Implementations must be safe to share between requests
/// and, for networked stores, between app instances.
pub trait Blocklist: Send + Sync + 'static {
    /// Whether the token has been revoked: whether any of its
    /// [`revocation_keys`] (its `jti`, and its session id if any) has been
    /// recorded. Errors fail the request closed (503).
    fn is_revoked(
        &self,
        token: &DecodedToken,
    ) -> impl Future<Output = Result<bool, BlocklistError>> + Send;

    /// Records a revocation. The entry may be dropped once the token has
    /// expired.
    fn revoke(
        &self,
        revocation: &Revocation,
    ) -> impl Future<Output = Result<(), BlocklistError>> + Send;
}

pub(crate) trait DynBlocklist: Send + Sync {
    fn is_revoked<'a>(
        &'a self,
        token: &'a DecodedToken,
    ) -> BoxFuture<'a, Result<bool, BlocklistError>>;
    fn revoke<'a>(
        &'a self,
        revocation: &'a Revocation,
    ) -> BoxFuture<'a, Result<(), BlocklistError>>;
}

impl<T: Blocklist> DynBlocklist for T {
    fn is_revoked<'a>(
        &'a self,
        token: &'a DecodedToken,
    ) -> BoxFuture<'a, Result<bool, BlocklistError>> {
        Box::pin(Blocklist::is_revoked(self, token))
    }

    fn revoke<'a>(
        &'a self,
        revocation: &'a Revocation,
    ) -> BoxFuture<'a, Result<(), BlocklistError>> {
        Box::pin(Blocklist::revoke(self, revocation))
    }
}

/// Adapts a closure `Fn(&DecodedToken) -> impl Future<Output = bool>` into a
/// read-only blocklist (the reference's `token_in_blocklist_loader`).
/// Revoking through it fails: the closure owns the storage.
pub struct BlocklistFn<F>(pub F);

impl<F> fmt::Debug for BlocklistFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlocklistFn")
    }
}

impl<F, Fut> Blocklist for BlocklistFn<F>
where
    F: Fn(&DecodedToken) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    async fn is_revoked(&self, token: &DecodedToken) -> Result<bool, BlocklistError> {
        Ok((self.0)(token).await)
    }

    async fn revoke(&self, _revocation: &Revocation) -> Result<(), BlocklistError> {
        Err(BlocklistError::new(
            "this blocklist is a read-only loader function; revoke through your own storage",
        ))
    }
}

/// What to do when the blocklist store fails or times out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FailureMode {
    /// Refuse the request with 503 (the default).
    #[default]
    Closed,
    /// Admit the token as if it were not revoked.
    ///
    /// # Danger
    /// While the store is down, revoked tokens (stolen, logged out) are
    /// accepted again. Only for stores that hold nothing security-relevant.
    Open,
}
