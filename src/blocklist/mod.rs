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
//! and [`is_revoked`](crate::JwtManager::is_revoked) checks a token.
//! A token is revoked when its `jti` or its session id
//! ([`SESSION_CLAIM`](crate::token::SESSION_CLAIM)) is in the store; entries
//! are kept until the token's `exp` plus the decode leeway (refresh tokens
//! and sessions: plus the access-token lifetime).
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
//! A store works on plain keys: the manager hands it the keys of the token
//! to check ([`RevocationKeys`]) and the entries to write ([`Revocation`],
//! already carrying how long to keep them).
//!
//! ```
//! use std::collections::HashSet;
//! use std::sync::Mutex;
//! use jwt_extended::blocklist::{Blocklist, BlocklistError, Revocation, RevocationKeys};
//!
//! #[derive(Default)]
//! struct SetBlocklist(Mutex<HashSet<String>>);
//!
//! impl Blocklist for SetBlocklist {
//!     async fn is_revoked(&self, keys: RevocationKeys<'_>) -> Result<bool, BlocklistError> {
//!         let set = self.0.lock().map_err(|_| BlocklistError::new("poisoned lock"))?;
//!         Ok(keys.iter().any(|key| set.contains(key)))
//!     }
//!
//!     async fn revoke(&self, revocation: &Revocation) -> Result<(), BlocklistError> {
//!         let mut set = self.0.lock().map_err(|_| BlocklistError::new("poisoned lock"))?;
//!         set.insert(revocation.key.clone());
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
//!
//! This toy store never forgets an entry; a real one drops entries after
//! their `expires_at`. With the `test-util` feature,
//! `jwt_extended::testing::blocklist_contract` runs the suite every store of
//! this crate passes against yours.

mod memory;
#[cfg(feature = "redis")]
#[path = "redis.rs"]
mod redis_store;
mod sessions;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

pub use memory::MemoryBlocklist;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::RedisBlocklist;
pub(crate) use sessions::{DynSessionStore, identity_key_in};
pub use sessions::{
    IdentityCutoff, Rotation, RotationOutcome, SessionInfo, SessionRecord, SessionStore,
    identity_key,
};
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

use crate::runtime::BoxFuture;

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

/// What a revocation blocks: one token, or every token of a session.
///
/// The manager decides the kind; stores only record it (the SQL stores write
/// [`as_str`](Self::as_str) into their `token_type` column). Entries of
/// refresh tokens and sessions are kept longer than their `exp` (see
/// [`JwtManager::revoke_entry`](crate::JwtManager::revoke_entry)), because
/// access tokens minted from them may outlive them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationKind {
    /// An access token (or any token that is not a refresh token), by its `jti`.
    Access,
    /// A refresh token, by its `jti`.
    Refresh,
    /// A session id ([`SESSION_CLAIM`](crate::token::SESSION_CLAIM)): every
    /// token carrying it.
    Session,
}

impl RevocationKind {
    /// `"access"`, `"refresh"` or `"session"`.
    ///
    /// ```
    /// use jwt_extended::blocklist::RevocationKind;
    /// assert_eq!(RevocationKind::Refresh.as_str(), "refresh");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
            Self::Session => "session",
        }
    }

    /// Whether access tokens minted later may carry this key (refresh tokens
    /// and sessions), so the entry must outlive its own `exp`.
    #[must_use]
    pub const fn covers_later_tokens(self) -> bool {
        matches!(self, Self::Refresh | Self::Session)
    }
}

impl fmt::Display for RevocationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a store records: a key (a token's `jti` or a session id) that is
/// revoked until `expires_at`.
///
/// The manager builds it from a token and extends `expires_at` by what the
/// key must be kept for; a store writes it as it is.
///
/// ```
/// use jwt_extended::blocklist::{Revocation, RevocationKind};
///
/// let entry = Revocation::new("6f1c…", RevocationKind::Refresh, "alice".into(), Some(1_900_000_000));
/// assert_eq!(entry.key, "6f1c…");
/// assert_eq!(Revocation::for_jti("j1", None).kind, RevocationKind::Access);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Revocation {
    /// The key to record: a token's `jti`, or a session id.
    pub key: String,
    /// What the key stands for.
    pub kind: RevocationKind,
    /// The identity claim value of the token (kept for audit; stores may
    /// ignore it).
    pub identity: Value,
    /// Until when the entry must be kept (Unix seconds); `None` keeps it
    /// until it is removed.
    pub expires_at: Option<i64>,
}

impl Revocation {
    /// A revocation record.
    #[must_use]
    pub fn new(
        key: impl Into<String>,
        kind: RevocationKind,
        identity: Value,
        expires_at: Option<i64>,
    ) -> Self {
        Self {
            key: key.into(),
            kind,
            identity,
            expires_at,
        }
    }

    /// A record for a bare access-token `jti`, expiring at `expires_at`
    /// (Unix seconds).
    #[must_use]
    pub fn for_jti(jti: impl Into<String>, expires_at: Option<i64>) -> Self {
        Self::new(jti, RevocationKind::Access, Value::Null, expires_at)
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

/// The keys a store looks up to decide whether one token is revoked: its
/// `jti` and its session id, as far as the token has them. The manager
/// computes them once per check; a store never reads tokens.
///
/// A token is revoked when any of its keys has been recorded. A token with
/// no key cannot be revoked, and the manager does not ask the store about it.
///
/// ```
/// use jwt_extended::blocklist::RevocationKeys;
///
/// let keys = RevocationKeys::new(Some("jti-1"), Some("session-7"));
/// assert_eq!(keys.iter().collect::<Vec<_>>(), ["jti-1", "session-7"]);
/// // A session id equal to the jti is looked up once.
/// assert_eq!(RevocationKeys::new(Some("s"), Some("s")).len(), 1);
/// assert!(RevocationKeys::new(None, None).is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationKeys<'a> {
    jti: Option<&'a str>,
    session_id: Option<&'a str>,
    identity: Option<(&'a str, Option<i64>)>,
}

impl<'a> RevocationKeys<'a> {
    /// The keys of a token with this `jti` and session id.
    #[must_use]
    pub fn new(jti: Option<&'a str>, session_id: Option<&'a str>) -> Self {
        let session_id = session_id.filter(|sid| Some(*sid) != jti);
        Self {
            jti,
            session_id,
            identity: None,
        }
    }

    /// Also checks the token's identity against "log out everywhere"
    /// cut-offs ([`SessionStore::revoke_identity`]): the token is revoked
    /// when its identity ([`identity_key`]) has a cut-off at or after its
    /// `iat` (`issued_at`, Unix seconds), or has one and the token no `iat`.
    /// The manager adds this when it has a session store.
    ///
    /// ```
    /// use jwt_extended::blocklist::RevocationKeys;
    ///
    /// let keys = RevocationKeys::new(Some("jti-1"), None).with_identity("\"alice\"", Some(1_700_000_000));
    /// assert_eq!(keys.identity(), Some(("\"alice\"", Some(1_700_000_000))));
    /// assert_eq!(keys.len(), 1); // the identity is not a revocation key
    /// ```
    #[must_use]
    pub fn with_identity(mut self, identity: &'a str, issued_at: Option<i64>) -> Self {
        self.identity = Some((identity, issued_at));
        self
    }

    /// The identity to check against cut-offs, with the token's `iat`.
    #[must_use]
    pub fn identity(&self) -> Option<(&'a str, Option<i64>)> {
        self.identity
    }

    /// Whether a cut-off at `revoked_before` (Unix seconds) for this
    /// identity revokes the token (its `iat` is at or before it, or it has
    /// none).
    #[must_use]
    pub fn cut_off_by(&self, revoked_before: i64) -> bool {
        match self.identity {
            Some((_, Some(iat))) => iat <= revoked_before,
            Some((_, None)) => true,
            None => false,
        }
    }

    /// The token's `jti`, if it has a string one.
    #[must_use]
    pub fn jti(&self) -> Option<&'a str> {
        self.jti
    }

    /// The token's session id, if it has one different from its `jti`.
    #[must_use]
    pub fn session_id(&self) -> Option<&'a str> {
        self.session_id
    }

    /// Every key, `jti` first.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.jti.into_iter().chain(self.session_id)
    }

    /// How many keys there are (0, 1 or 2).
    #[must_use]
    pub fn len(&self) -> usize {
        usize::from(self.jti.is_some()) + usize::from(self.session_id.is_some())
    }

    /// Whether there is nothing to look up (no key and no identity).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.identity.is_none()
    }
}

/// A store of revoked keys. Implementations must be safe to share between
/// requests and, for networked stores, between app instances.
///
/// The contract is on plain data: the manager computes the
/// [`RevocationKeys`] of a token and the [`Revocation`] to write (with how
/// long to keep it), so a store never interprets a token. The suite in
/// `jwt_extended::testing::blocklist_contract` (feature `test-util`) checks
/// a store against it; every store of this crate runs it.
///
/// For a check that needs the whole token (the reference's
/// `token_in_blocklist_loader`), register a closure with
/// [`JwtManagerBuilder::token_in_blocklist_loader`](crate::JwtManagerBuilder::token_in_blocklist_loader)
/// instead of (or as well as) a store.
pub trait Blocklist: Send + Sync + 'static {
    /// Whether any of `keys` has been recorded (and has not expired). Never
    /// called with no keys. Errors fail the request closed (503).
    fn is_revoked(
        &self,
        keys: RevocationKeys<'_>,
    ) -> impl Future<Output = Result<bool, BlocklistError>> + Send;

    /// Records a revocation until its `expires_at`. An entry that has
    /// already expired need not be written. Recording a key again must not
    /// shorten its lifetime.
    fn revoke(
        &self,
        revocation: &Revocation,
    ) -> impl Future<Output = Result<(), BlocklistError>> + Send;
}

pub(crate) trait DynBlocklist: Send + Sync {
    fn is_revoked<'a>(
        &'a self,
        keys: RevocationKeys<'a>,
    ) -> BoxFuture<'a, Result<bool, BlocklistError>>;
    fn revoke<'a>(
        &'a self,
        revocation: &'a Revocation,
    ) -> BoxFuture<'a, Result<(), BlocklistError>>;
}

impl<T: Blocklist> DynBlocklist for T {
    fn is_revoked<'a>(
        &'a self,
        keys: RevocationKeys<'a>,
    ) -> BoxFuture<'a, Result<bool, BlocklistError>> {
        Box::pin(Blocklist::is_revoked(self, keys))
    }

    fn revoke<'a>(
        &'a self,
        revocation: &'a Revocation,
    ) -> BoxFuture<'a, Result<(), BlocklistError>> {
        Box::pin(Blocklist::revoke(self, revocation))
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
