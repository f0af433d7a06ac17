//! An in-process blocklist.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{Blocklist, BlocklistError, Revocation, RevocationKeys};

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
        let before = state.entries.len();
        let now = now();
        state.entries.retain(|_, exp| exp.is_none_or(|e| e > now));
        state.inserts_since_purge = 0;
        before - state.entries.len()
    }
}

impl Blocklist for MemoryBlocklist {
    async fn is_revoked(&self, keys: RevocationKeys<'_>) -> Result<bool, BlocklistError> {
        Ok(keys.iter().any(|key| self.contains(key)))
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
