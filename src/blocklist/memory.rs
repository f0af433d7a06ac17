//! An in-process blocklist.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{
    Blocklist, BlocklistError, IdentityCutoff, Revocation, RevocationKeys, Rotation,
    RotationOutcome, SessionInfo, SessionRecord, SessionStore,
};

/// A blocklist kept in memory, for single-instance apps and tests.
///
/// Entries are forgotten once the token they block has expired anyway
/// (checked on access, and in bulk every so many insertions), so memory use
/// is bounded by the number of live revoked tokens. Cloning shares the store.
///
/// Revocations are lost on restart and are not shared between processes:
/// use `RedisBlocklist` or `SqlBlocklist` for that.
#[derive(Debug, Clone, Default)]
pub struct MemoryBlocklist {
    inner: Arc<RwLock<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// jti -> expiry (Unix seconds), `None` for never.
    entries: HashMap<String, Option<i64>>,
    inserts_since_purge: usize,
    /// Sessions by id.
    sessions: HashMap<String, Session>,
    /// identity -> (revoked before, kept until).
    cutoffs: HashMap<String, (i64, Option<i64>)>,
}

/// A session and the state of its refresh-token family.
#[derive(Debug, Clone)]
struct Session {
    record: SessionRecord,
    current: String,
    previous: Option<(String, i64)>,
    last_refreshed_at: Option<i64>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl MemoryBlocklist {
    /// An empty blocklist.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a `jti` is currently revoked.
    #[must_use]
    pub fn contains(&self, jti: &str) -> bool {
        let Ok(state) = self.inner.read() else {
            // A poisoned lock means a panic elsewhere; treat every token as
            // revoked rather than admit one.
            return true;
        };
        match state.entries.get(jti) {
            Some(None) => true,
            Some(Some(exp)) => *exp > now(),
            None => false,
        }
    }

    /// The number of entries currently held (expired ones may linger until
    /// the next purge).
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.read().map_or(0, |s| s.entries.len())
    }

    /// Whether the store holds no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops entries whose tokens have expired; returns how many.
    pub fn purge_expired(&self) -> usize {
        let Ok(mut state) = self.inner.write() else {
            return 0;
        };
        let before = state.entries.len() + state.sessions.len() + state.cutoffs.len();
        let now = now();
        state.entries.retain(|_, exp| exp.is_none_or(|e| e > now));
        state.sessions.retain(|_, s| s.record.expires_at > now);
        state
            .cutoffs
            .retain(|_, (_, exp)| exp.is_none_or(|e| e > now));
        state.inserts_since_purge = 0;
        before - (state.entries.len() + state.sessions.len() + state.cutoffs.len())
    }

    /// Whether an identity cut-off revokes a token with these keys.
    fn cut_off(&self, keys: &RevocationKeys<'_>) -> bool {
        let Some((identity, _)) = keys.identity() else {
            return false;
        };
        let Ok(state) = self.inner.read() else {
            return true;
        };
        state
            .cutoffs
            .get(identity)
            .is_some_and(|(before, exp)| exp.is_none_or(|e| e > now()) && keys.cut_off_by(*before))
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, State>, BlocklistError> {
        self.inner
            .write()
            .map_err(|_| BlocklistError::new("memory blocklist lock poisoned"))
    }

    /// Counts an insertion; purges every 1024.
    fn inserted(&self, state: &mut State) -> bool {
        state.inserts_since_purge += 1;
        state.inserts_since_purge >= 1024
    }
}

impl Blocklist for MemoryBlocklist {
    async fn is_revoked(&self, keys: RevocationKeys<'_>) -> Result<bool, BlocklistError> {
        Ok(keys.iter().any(|key| self.contains(key)) || self.cut_off(&keys))
    }

    async fn revoke(&self, revocation: &Revocation) -> Result<(), BlocklistError> {
        if revocation.expires_at.is_some_and(|exp| exp <= now()) {
            return Ok(()); // already expired: nothing to block
        }
        let purge = {
            let mut state = self
                .inner
                .write()
                .map_err(|_| BlocklistError::new("memory blocklist lock poisoned"))?;
            // Revoking again never shortens an entry: the later expiry
            // wins, and `None` (never) beats any time.
            let expires_at = match state.entries.get(&revocation.key) {
                Some(&current) => current.zip(revocation.expires_at).map(|(a, b)| a.max(b)),
                None => revocation.expires_at,
            };
            state.entries.insert(revocation.key.clone(), expires_at);
            state.inserts_since_purge += 1;
            state.inserts_since_purge >= 1024
        };
        if purge {
            self.purge_expired();
        }
        Ok(())
    }
}

impl SessionStore for MemoryBlocklist {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), BlocklistError> {
        let purge = {
            let mut state = self.write()?;
            state.sessions.insert(
                session.id.clone(),
                Session {
                    record: session.clone(),
                    current: session.refresh_jti.clone(),
                    previous: None,
                    last_refreshed_at: None,
                },
            );
            self.inserted(&mut state)
        };
        if purge {
            self.purge_expired();
        }
        Ok(())
    }

    async fn rotate(&self, rotation: &Rotation<'_>) -> Result<RotationOutcome, BlocklistError> {
        let mut state = self.write()?;
        let now_secs = rotation.now_ms.div_euclid(1000);
        let Some(session) = state
            .sessions
            .get_mut(rotation.session_id)
            .filter(|s| s.record.expires_at > now_secs)
        else {
            return Ok(RotationOutcome::Unknown);
        };
        if session.current == rotation.presented_jti {
            let replaced = std::mem::replace(&mut session.current, rotation.next_jti.to_owned());
            session.previous = Some((replaced, rotation.now_ms));
            session.last_refreshed_at = Some(now_secs);
            return Ok(RotationOutcome::Rotated);
        }
        let retry = session.previous.as_ref().is_some_and(|(jti, at)| {
            jti == rotation.presented_jti && rotation.now_ms - at <= rotation.grace_ms
        }) && rotation.grace_ms > 0;
        if retry {
            return Ok(RotationOutcome::Retry {
                current_jti: session.current.clone(),
            });
        }
        state.sessions.remove(rotation.session_id);
        Ok(RotationOutcome::Reused)
    }

    async fn sessions(&self, identity: &str, now: i64) -> Result<Vec<SessionInfo>, BlocklistError> {
        let mut state = self.write()?;
        state.sessions.retain(|_, s| s.record.expires_at > now);
        let mut listed: Vec<SessionInfo> = state
            .sessions
            .values()
            .filter(|s| s.record.identity == identity)
            .map(|s| {
                SessionInfo::new(
                    s.record.id.clone(),
                    s.record.created_at,
                    s.last_refreshed_at,
                    s.record.expires_at,
                    s.record.metadata.clone(),
                )
            })
            .collect();
        listed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(listed)
    }

    async fn delete_session(
        &self,
        identity: &str,
        session_id: &str,
    ) -> Result<Option<SessionInfo>, BlocklistError> {
        let mut state = self.write()?;
        let owned = state
            .sessions
            .get(session_id)
            .is_some_and(|s| s.record.identity == identity && s.record.expires_at > now());
        if !owned {
            return Ok(None);
        }
        Ok(state.sessions.remove(session_id).map(|s| {
            SessionInfo::new(
                s.record.id,
                s.record.created_at,
                s.last_refreshed_at,
                s.record.expires_at,
                s.record.metadata,
            )
        }))
    }

    async fn revoke_identity(&self, cutoff: &IdentityCutoff) -> Result<(), BlocklistError> {
        let mut state = self.write()?;
        let entry = state
            .cutoffs
            .entry(cutoff.identity.clone())
            .or_insert((cutoff.revoked_before, cutoff.expires_at));
        // A later cut-off wins; the entry is kept as long as either needs.
        entry.0 = entry.0.max(cutoff.revoked_before);
        entry.1 = entry.1.zip(cutoff.expires_at).map(|(a, b)| a.max(b));
        Ok(())
    }
}
