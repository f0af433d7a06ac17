//! The session half of the store contract: refresh-token families with
//! rotation and reuse detection, a user's sessions, and "log out
//! everywhere" cut-offs.
//!
//! As for revocations, a store never reads tokens: the manager hands it
//! plain records ([`SessionRecord`], [`Rotation`], [`IdentityCutoff`]) and
//! reads back plain answers ([`RotationOutcome`], [`SessionInfo`]). Every
//! store of this crate implements both halves on the same connection, so
//! one store value serves as the blocklist and the session store.

use std::borrow::Cow;
use std::future::Future;

use serde_json::{Map, Value};

use super::BlocklistError;
use crate::runtime::BoxFuture;

/// A new session, as the manager records it when it issues the first
/// refresh token of a family.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionRecord {
    /// The session id (the `sid` claim of every token of the session).
    pub id: String,
    /// The identity the session belongs to, as an opaque key (the identity
    /// claim's JSON text, see [`identity_key`]).
    pub identity: String,
    /// The `jti` of the session's current refresh token.
    pub refresh_jti: String,
    /// When the session started (Unix seconds).
    pub created_at: i64,
    /// When the session ends whatever happens (Unix seconds): the `exp` of
    /// its first refresh token. Rotation never moves it; the store may
    /// forget the session after it.
    pub expires_at: i64,
    /// What the application attached (a user agent, an IP address, a
    /// device name), returned as is by [`SessionStore::sessions`].
    pub metadata: Map<String, Value>,
}

impl SessionRecord {
    /// A session record.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        identity: impl Into<String>,
        refresh_jti: impl Into<String>,
        created_at: i64,
        expires_at: i64,
        metadata: Map<String, Value>,
    ) -> Self {
        Self {
            id: id.into(),
            identity: identity.into(),
            refresh_jti: refresh_jti.into(),
            created_at,
            expires_at,
            metadata,
        }
    }
}

/// One session, as [`SessionStore::sessions`] lists it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session id (`sid`).
    pub id: String,
    /// When the session started (Unix seconds).
    pub created_at: i64,
    /// When its refresh token was last rotated (Unix seconds), if ever.
    pub last_refreshed_at: Option<i64>,
    /// When the session ends (Unix seconds).
    pub expires_at: i64,
    /// What the application attached when the session started.
    pub metadata: Map<String, Value>,
}

impl SessionInfo {
    /// A session as listed.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        created_at: i64,
        last_refreshed_at: Option<i64>,
        expires_at: i64,
        metadata: Map<String, Value>,
    ) -> Self {
        Self {
            id: id.into(),
            created_at,
            last_refreshed_at,
            expires_at,
            metadata,
        }
    }
}

/// One refresh-token exchange, to be decided atomically by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rotation<'a> {
    /// The session of the presented refresh token.
    pub session_id: &'a str,
    /// The `jti` of the presented refresh token.
    pub presented_jti: &'a str,
    /// The `jti` of the refresh token that replaces it if it is current.
    pub next_jti: &'a str,
    /// Now, in Unix milliseconds.
    pub now_ms: i64,
    /// The grace window in milliseconds: the immediate predecessor of the
    /// current refresh token is accepted again for this long after it was
    /// replaced (0: never).
    pub grace_ms: i64,
}

impl<'a> Rotation<'a> {
    /// An exchange of `presented_jti` for `next_jti` in session `session_id`.
    #[must_use]
    pub fn new(
        session_id: &'a str,
        presented_jti: &'a str,
        next_jti: &'a str,
        now_ms: i64,
        grace_ms: i64,
    ) -> Self {
        Self {
            session_id,
            presented_jti,
            next_jti,
            now_ms,
            grace_ms,
        }
    }
}

/// How the store decided a [`Rotation`].
///
/// In one atomic step (a Redis script, an SQL transaction with a
/// conditional update), the store compares the presented `jti` with the
/// session's current and previous ones:
///
/// | presented | outcome | the store |
/// |---|---|---|
/// | the current `jti` | [`Rotated`](Self::Rotated) | makes `next_jti` current, keeps the presented one as previous with the time, updates `last_refreshed_at` |
/// | the previous `jti`, within the grace window | [`Retry`](Self::Retry) | changes nothing |
/// | any other `jti` of the session (older, or previous after the window) | [`Reused`](Self::Reused) | deletes the session, so no later exchange can succeed |
/// | — (no such session: ended, revoked, never recorded) | [`Unknown`](Self::Unknown) | changes nothing |
///
/// Of two concurrent exchanges of the same current token, exactly one is
/// `Rotated`; the other sees a previous `jti` (`Retry` or `Reused`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RotationOutcome {
    /// The presented token was current; `next_jti` is current now.
    Rotated,
    /// The presented token was replaced moments ago (within the grace
    /// window): a client that raced or retried. `current_jti` is the
    /// session's current refresh token, which the manager issues again.
    Retry {
        /// The current refresh token's `jti`.
        current_jti: String,
    },
    /// A token that was already exchanged was presented again: possible
    /// theft. The store has deleted the session.
    Reused,
    /// The session is not (or no longer) known.
    Unknown,
}

/// "Log out everywhere": every token of `identity` issued at or before
/// `revoked_before` is revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdentityCutoff {
    /// The identity (see [`identity_key`]).
    pub identity: String,
    /// Tokens with an `iat` at or before this instant (Unix seconds) are
    /// revoked; so are tokens of the identity without `iat`.
    pub revoked_before: i64,
    /// Until when to keep the cut-off (Unix seconds): when the longest-lived
    /// token it can refuse has expired. `None`: forever.
    pub expires_at: Option<i64>,
}

impl IdentityCutoff {
    /// A cut-off for `identity` at `revoked_before`, kept until `expires_at`.
    #[must_use]
    pub fn new(identity: impl Into<String>, revoked_before: i64, expires_at: Option<i64>) -> Self {
        Self {
            identity: identity.into(),
            revoked_before,
            expires_at,
        }
    }
}

/// The key of an identity in a store: the compact JSON text of the identity
/// claim's value (`"alice"` with its quotes, `42`), so that the string
/// `"42"` and the number `42` stay apart.
///
/// ```
/// use jwt_extended::blocklist::identity_key;
/// use serde_json::json;
///
/// assert_eq!(identity_key(&json!("alice")), "\"alice\"");
/// assert_eq!(identity_key(&json!(42)), "42");
/// ```
#[must_use]
pub fn identity_key(identity: &Value) -> String {
    match identity {
        // The common case, without serde's growing buffer: a string with
        // nothing to escape is its quoted self.
        Value::String(text) if !needs_escaping(text) => {
            let mut key = String::with_capacity(text.len() + 2);
            key.push('"');
            key.push_str(text);
            key.push('"');
            key
        }
        other => other.to_string(),
    }
}

/// [`identity_key`], written into `buffer` when the identity is a string
/// with nothing to escape that fits (the usual case, without allocating),
/// built otherwise.
pub(crate) fn identity_key_in<'b>(identity: &Value, buffer: &'b mut [u8; 128]) -> Cow<'b, str> {
    if let Value::String(text) = identity
        && text.len() + 2 <= buffer.len()
        && !needs_escaping(text)
    {
        let end = text.len() + 1;
        buffer[0] = b'"';
        buffer[1..end].copy_from_slice(text.as_bytes());
        buffer[end] = b'"';
        if let Ok(key) = std::str::from_utf8(&buffer[..=end]) {
            return Cow::Borrowed(key);
        }
    }
    Cow::Owned(identity_key(identity))
}

/// Whether JSON writes `text` with escapes (a quote, a backslash or a
/// control character).
fn needs_escaping(text: &str) -> bool {
    text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

/// A store of sessions: refresh-token families, their rotation with reuse
/// detection, the sessions of an identity, and identity cut-offs.
///
/// Implemented by `MemoryBlocklist`, `RedisBlocklist` and `SqlBlocklist`
/// beside [`Blocklist`](super::Blocklist); the suite in
/// `jwt_extended::testing::session_contract` (feature `test-util`) checks a
/// store against it. Every method is one atomic step of the store, safe
/// against concurrent calls from many app instances.
pub trait SessionStore: Send + Sync + 'static {
    /// Records a new session.
    fn create_session(
        &self,
        session: &SessionRecord,
    ) -> impl Future<Output = Result<(), BlocklistError>> + Send;

    /// Decides one refresh-token exchange (see [`RotationOutcome`]), in one
    /// atomic step.
    fn rotate(
        &self,
        rotation: &Rotation<'_>,
    ) -> impl Future<Output = Result<RotationOutcome, BlocklistError>> + Send;

    /// The sessions of `identity` that have not ended at `now` (Unix
    /// seconds), oldest first. Ended sessions are never listed, and the
    /// store forgets them (nothing grows without bound).
    fn sessions(
        &self,
        identity: &str,
        now: i64,
    ) -> impl Future<Output = Result<Vec<SessionInfo>, BlocklistError>> + Send;

    /// Deletes session `session_id` if it belongs to `identity` and returns
    /// it (`None`: no such session of this identity). Tokens of the session
    /// are revoked by the manager, through the blocklist.
    fn delete_session(
        &self,
        identity: &str,
        session_id: &str,
    ) -> impl Future<Output = Result<Option<SessionInfo>, BlocklistError>> + Send;

    /// Records a "log out everywhere" cut-off (a later one replaces an
    /// earlier one; an earlier one never replaces a later one). Checked by
    /// [`Blocklist::is_revoked`](super::Blocklist::is_revoked) for keys
    /// carrying the identity.
    fn revoke_identity(
        &self,
        cutoff: &IdentityCutoff,
    ) -> impl Future<Output = Result<(), BlocklistError>> + Send;
}

pub(crate) trait DynSessionStore: Send + Sync {
    fn create_session<'a>(
        &'a self,
        session: &'a SessionRecord,
    ) -> BoxFuture<'a, Result<(), BlocklistError>>;
    fn rotate<'a>(
        &'a self,
        rotation: &'a Rotation<'a>,
    ) -> BoxFuture<'a, Result<RotationOutcome, BlocklistError>>;
    fn sessions<'a>(
        &'a self,
        identity: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Vec<SessionInfo>, BlocklistError>>;
    fn delete_session<'a>(
        &'a self,
        identity: &'a str,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionInfo>, BlocklistError>>;
    fn revoke_identity<'a>(
        &'a self,
        cutoff: &'a IdentityCutoff,
    ) -> BoxFuture<'a, Result<(), BlocklistError>>;
}

impl<T: SessionStore> DynSessionStore for T {
    fn create_session<'a>(
        &'a self,
        session: &'a SessionRecord,
    ) -> BoxFuture<'a, Result<(), BlocklistError>> {
        Box::pin(SessionStore::create_session(self, session))
    }

    fn rotate<'a>(
        &'a self,
        rotation: &'a Rotation<'a>,
    ) -> BoxFuture<'a, Result<RotationOutcome, BlocklistError>> {
        Box::pin(SessionStore::rotate(self, rotation))
    }

    fn sessions<'a>(
        &'a self,
        identity: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Vec<SessionInfo>, BlocklistError>> {
        Box::pin(SessionStore::sessions(self, identity, now))
    }

    fn delete_session<'a>(
        &'a self,
        identity: &'a str,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<SessionInfo>, BlocklistError>> {
        Box::pin(SessionStore::delete_session(self, identity, session_id))
    }

    fn revoke_identity<'a>(
        &'a self,
        cutoff: &'a IdentityCutoff,
    ) -> BoxFuture<'a, Result<(), BlocklistError>> {
        Box::pin(SessionStore::revoke_identity(self, cutoff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_keys_are_the_json_text() {
        for value in [
            json!("alice"),
            json!(""),
            json!("ünï {cøde} % :*"),
            json!("quote \" and \\ and \n and \u{1}"),
            json!(42),
            json!({"id": 7}),
            json!(null),
        ] {
            assert_eq!(identity_key(&value), value.to_string(), "{value}");
            let mut buffer = [0; 128];
            assert_eq!(identity_key_in(&value, &mut buffer), value.to_string());
        }
    }

    #[test]
    fn identity_keys_in_a_buffer_borrow_only_when_they_fit() {
        let mut buffer = [0; 128];
        assert!(matches!(
            identity_key_in(&json!("alice"), &mut buffer),
            Cow::Borrowed("\"alice\"")
        ));
        let fits = "a".repeat(126);
        let key = identity_key_in(&json!(fits), &mut buffer);
        assert!(matches!(key, Cow::Borrowed(_)));
        assert_eq!(key, format!("\"{fits}\""));
        let long = "a".repeat(127);
        let key = identity_key_in(&json!(long), &mut buffer);
        assert!(matches!(key, Cow::Owned(_)));
        assert_eq!(key, format!("\"{long}\""));
    }
}
