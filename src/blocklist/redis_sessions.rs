//! [`SessionStore`] for [`RedisBlocklist`]: a hash per session, a sorted
//! set of session ids per identity, a cut-off key per identity. Every
//! script touches one key, and each key carries a `{…}` hash tag, so the
//! layout works on Redis Cluster and Valkey as well (see "Sessions" on
//! [`RedisBlocklist`]).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};

use super::RedisBlocklist;
use crate::blocklist::{
    BlocklistError, IdentityCutoff, Rotation, RotationOutcome, SessionInfo, SessionRecord,
    SessionStore,
};

/// Ends later than this (Unix seconds, the end of year 9999) count as
/// "never": no time to live, and `+inf` in the identity's sorted set.
const NEVER: i64 = 253_402_300_799;

/// Writes a new session hash (replacing any of the same id) and sets it to
/// expire at its end (`ARGV[6]`, empty: never).
const CREATE_SCRIPT: &str = r"
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'identity', ARGV[1], 'current', ARGV[2],
  'created', ARGV[3], 'expires', ARGV[4], 'metadata', ARGV[5])
if ARGV[6] ~= '' then
  redis.call('EXPIREAT', KEYS[1], ARGV[6])
end
return 1
";

/// Adds a session id to its identity's sorted set (score: its end) and
/// lets the set live as long as its latest session.
const INDEX_SCRIPT: &str = r"
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] == 'inf' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('EXPIREAT', KEYS[1], last[2])
end
return 1
";

/// One refresh-token exchange on the session hash, as the table of
/// `RotationOutcome` says. ARGV: presented jti, next jti, now (ms), grace
/// (ms), now (s). Answers `{outcome, current jti or ''}`.
const ROTATE_SCRIPT: &str = r"
local s = redis.call('HMGET', KEYS[1], 'current', 'previous', 'rotated_at', 'expires')
local now_ms = tonumber(ARGV[3])
if not s[1] or not s[4] or tonumber(s[4]) * 1000 <= now_ms then
  return {'unknown', ''}
end
if s[1] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'current', ARGV[2], 'previous', ARGV[1],
    'rotated_at', ARGV[3], 'refreshed', ARGV[5])
  return {'rotated', ''}
end
local grace = tonumber(ARGV[4])
if grace > 0 and s[2] == ARGV[1] and s[3] and now_ms - tonumber(s[3]) <= grace then
  return {'retry', s[1]}
end
redis.call('DEL', KEYS[1])
return {'reused', ''}
";

/// Deletes the session hash if it belongs to `ARGV[1]`; answers its
/// fields (as [`SESSION_FIELDS`]) or nil.
const DELETE_SCRIPT: &str = r"
local s = redis.call('HMGET', KEYS[1], 'identity', 'created', 'refreshed', 'expires', 'metadata')
if s[1] ~= ARGV[1] then
  return false
end
redis.call('DEL', KEYS[1])
return s
";

/// Records a cut-off: the later `revoked_before` wins, and the key lives
/// as long as the longer of the two lifetimes (`ARGV[2]` in seconds,
/// empty: forever).
const CUTOFF_SCRIPT: &str = r"
local ttl = redis.call('TTL', KEYS[1])
local before = ARGV[1]
local old = redis.call('GET', KEYS[1])
if old and tonumber(old) and tonumber(old) > tonumber(before) then
  before = old
end
if ARGV[2] == '' or ttl == -1 then
  redis.call('SET', KEYS[1], before)
elseif ttl > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], before, 'EX', ttl)
else
  redis.call('SET', KEYS[1], before, 'EX', ARGV[2])
end
return 1
";

/// The fields of a session hash read for listing, in order.
const SESSION_FIELDS: [&str; 5] = ["identity", "created", "refreshed", "expires", "metadata"];

/// Escapes what would end or open a hash tag (`{`, `}`) and the escape
/// character itself, so that any id or identity stays inside its tag and
/// distinct ids give distinct keys.
#[cfg(test)]
fn tag(value: &str) -> String {
    let mut tagged = String::with_capacity(value.len() + 2);
    push_tag(&mut tagged, value);
    tagged
}

/// Appends `{value}` with `%`, `{` and `}` escaped; a value without them
/// (nearly every id) is copied in one piece.
fn push_tag(out: &mut String, value: &str) {
    out.push('{');
    if !value.bytes().any(|b| matches!(b, b'%' | b'{' | b'}')) {
        out.push_str(value);
    } else {
        for c in value.chars() {
            match c {
                '%' => out.push_str("%25"),
                '{' => out.push_str("%7B"),
                '}' => out.push_str("%7D"),
                c => out.push(c),
            }
        }
    }
    out.push('}');
}

/// `<prefix><kind>{<value>}` in one allocation.
fn tagged_key(prefix: &str, kind: &str, value: &str) -> String {
    let mut key = String::with_capacity(prefix.len() + kind.len() + value.len() + 2);
    key.push_str(prefix);
    key.push_str(kind);
    push_tag(&mut key, value);
    key
}

/// `<prefix>cutoff:{<identity>}` (see [`RedisBlocklist::cutoff_key`]).
pub(super) fn cutoff_key(prefix: &str, identity: &str) -> String {
    tagged_key(prefix, "cutoff:", identity)
}

/// `<prefix>cutoffs:version` (see [`RedisBlocklist::cutoff_version_key`]).
pub(super) fn cutoff_version_key(prefix: &str) -> String {
    format!("{prefix}cutoffs:version")
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn failed(what: &str) -> impl FnOnce(::redis::RedisError) -> BlocklistError + '_ {
    move |e| BlocklistError::from_source(format!("Redis {what} failed"), e)
}

impl RedisBlocklist {
    /// The hash holding session `session_id`:
    /// `<prefix>session:{<session_id>}` (braces and `%` in the id escaped as
    /// `%7B`, `%7D`, `%25`).
    ///
    /// ```no_run
    /// # async fn run(store: jwt_extended::blocklist::RedisBlocklist) -> Result<(), Box<dyn std::error::Error>> {
    /// let store = store.with_prefix("app:")?;
    /// assert_eq!(store.session_key("0b6f"), "app:session:{0b6f}");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn session_key(&self, session_id: &str) -> String {
        tagged_key(&self.prefix, "session:", session_id)
    }

    /// The sorted set of the sessions of `identity` (an
    /// [`identity_key`](crate::blocklist::identity_key)):
    /// `<prefix>sessions:{<identity>}`, escaped as in
    /// [`session_key`](Self::session_key).
    ///
    /// ```no_run
    /// # async fn run(store: jwt_extended::blocklist::RedisBlocklist) -> Result<(), Box<dyn std::error::Error>> {
    /// assert_eq!(store.identity_sessions_key("\"alice\""), "sessions:{\"alice\"}");
    /// assert_eq!(store.identity_sessions_key("{\"id\":7}"), "sessions:{%7B\"id\":7%7D}");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn identity_sessions_key(&self, identity: &str) -> String {
        tagged_key(&self.prefix, "sessions:", identity)
    }

    /// The key holding the "log out everywhere" cut-off of `identity`:
    /// `<prefix>cutoff:{<identity>}`, escaped as in
    /// [`session_key`](Self::session_key).
    ///
    /// ```no_run
    /// # async fn run(store: jwt_extended::blocklist::RedisBlocklist) -> Result<(), Box<dyn std::error::Error>> {
    /// assert_eq!(store.cutoff_key("42"), "cutoff:{42}");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn cutoff_key(&self, identity: &str) -> String {
        cutoff_key(&self.prefix, identity)
    }

    /// The key whose value changes with every cut-off this store writes:
    /// `<prefix>cutoffs:version`. Each batch of checks reads it, so that
    /// every instance knows when the cut-offs it remembers are out of date
    /// (see [`with_cutoff_cache`](Self::with_cutoff_cache)). A tool that
    /// writes cut-off keys itself should set this key to a new random value
    /// afterwards.
    ///
    /// ```no_run
    /// # async fn run(store: jwt_extended::blocklist::RedisBlocklist) -> Result<(), Box<dyn std::error::Error>> {
    /// assert_eq!(store.cutoff_version_key(), "cutoffs:version");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn cutoff_version_key(&self) -> String {
        cutoff_version_key(&self.prefix)
    }

    /// Reads the sessions `ids` of `identity` (one pipeline of `HMGET`s);
    /// also returns the ids whose hash is gone.
    async fn read_sessions(
        &self,
        identity: &str,
        ids: Vec<String>,
        now: i64,
    ) -> Result<(Vec<SessionInfo>, Vec<String>), BlocklistError> {
        let mut pipeline = ::redis::Pipeline::with_capacity(ids.len());
        for id in &ids {
            pipeline
                .cmd("HMGET")
                .arg(self.session_key(id))
                .arg(&SESSION_FIELDS[..]);
        }
        let mut connection = self.connection.clone();
        let replies: Vec<Vec<Option<String>>> = pipeline
            .query_async(&mut connection)
            .await
            .map_err(failed("session listing"))?;
        let mut listed = Vec::new();
        let mut gone = Vec::new();
        for (id, fields) in ids.into_iter().zip(replies) {
            match session_info(&id, identity, fields)? {
                Some(info) if info.expires_at > now => listed.push(info),
                Some(_) => {}
                None => gone.push(id),
            }
        }
        Ok((listed, gone))
    }
}

/// A listed session from the fields of its hash (as [`SESSION_FIELDS`]);
/// `None` when the hash is gone or belongs to another identity.
fn session_info(
    id: &str,
    identity: &str,
    fields: Vec<Option<String>>,
) -> Result<Option<SessionInfo>, BlocklistError> {
    let mut fields = fields.into_iter();
    let mut next = || fields.next().flatten();
    if next().as_deref() != Some(identity) {
        return Ok(None);
    }
    let (created, refreshed, expires, metadata) = (next(), next(), next(), next());
    let number = |field: Option<String>, name: &str| {
        field
            .as_deref()
            .map(str::parse::<i64>)
            .transpose()
            .map_err(|e| BlocklistError::from_source(format!("session {id}: bad {name}"), e))
    };
    let created = number(created, "created")?.unwrap_or(0);
    let refreshed = number(refreshed, "refreshed")?;
    let expires = number(expires, "expires")?.unwrap_or(0);
    let metadata: Map<String, Json> = match metadata {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| BlocklistError::from_source(format!("session {id}: bad metadata"), e))?,
        None => Map::new(),
    };
    Ok(Some(SessionInfo::new(
        id, created, refreshed, expires, metadata,
    )))
}

fn rotation_outcome(reply: (String, String)) -> Result<RotationOutcome, BlocklistError> {
    match (reply.0.as_str(), reply.1) {
        ("rotated", _) => Ok(RotationOutcome::Rotated),
        ("retry", current_jti) => Ok(RotationOutcome::Retry { current_jti }),
        ("reused", _) => Ok(RotationOutcome::Reused),
        ("unknown", _) => Ok(RotationOutcome::Unknown),
        (other, _) => Err(BlocklistError::new(format!(
            "unexpected answer of the Redis rotation script: {other:?}"
        ))),
    }
}

/// A session's end as `EXPIREAT` takes it (empty: never) and as its score.
fn end_of(expires_at: i64) -> (String, String) {
    if expires_at > NEVER {
        (String::new(), "+inf".to_owned())
    } else {
        (expires_at.to_string(), expires_at.to_string())
    }
}

impl SessionStore for RedisBlocklist {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), BlocklistError> {
        let metadata = serde_json::to_string(&session.metadata)
            .map_err(|e| BlocklistError::from_source("session metadata", e))?;
        let (expire_at, score) = end_of(session.expires_at);
        // Two scripts on keys of different slots: one round trip, each
        // atomic. A session whose listing entry failed is still rotated
        // correctly; it expires on its own.
        let mut pipeline = ::redis::pipe();
        pipeline
            .cmd("EVAL")
            .arg(CREATE_SCRIPT)
            .arg(1)
            .arg(self.session_key(&session.id))
            .arg(&session.identity)
            .arg(&session.refresh_jti)
            .arg(session.created_at)
            .arg(session.expires_at)
            .arg(metadata)
            .arg(expire_at)
            .ignore();
        pipeline
            .cmd("EVAL")
            .arg(INDEX_SCRIPT)
            .arg(1)
            .arg(self.identity_sessions_key(&session.identity))
            .arg(&session.id)
            .arg(score)
            .ignore();
        let mut connection = self.connection.clone();
        pipeline
            .exec_async(&mut connection)
            .await
            .map_err(failed("session creation"))
    }

    async fn rotate(&self, rotation: &Rotation<'_>) -> Result<RotationOutcome, BlocklistError> {
        let mut connection = self.connection.clone();
        let reply: (String, String) = ::redis::cmd("EVAL")
            .arg(ROTATE_SCRIPT)
            .arg(1)
            .arg(self.session_key(rotation.session_id))
            .arg(rotation.presented_jti)
            .arg(rotation.next_jti)
            .arg(rotation.now_ms)
            .arg(rotation.grace_ms)
            .arg(rotation.now_ms.div_euclid(1000))
            .query_async(&mut connection)
            .await
            .map_err(failed("rotation"))?;
        rotation_outcome(reply)
    }

    async fn sessions(&self, identity: &str, now: i64) -> Result<Vec<SessionInfo>, BlocklistError> {
        let key = self.identity_sessions_key(identity);
        let mut connection = self.connection.clone();
        let (ids,): (Vec<String>,) = ::redis::pipe()
            .cmd("ZREMRANGEBYSCORE")
            .arg(&key)
            .arg("-inf")
            .arg(now)
            .ignore()
            .cmd("ZRANGE")
            .arg(&key)
            .arg(0)
            .arg(-1)
            .query_async(&mut connection)
            .await
            .map_err(failed("session listing"))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let (mut listed, gone) = self.read_sessions(identity, ids, now).await?;
        if !gone.is_empty() {
            // Sessions revoked for reuse or deleted elsewhere.
            ::redis::cmd("ZREM")
                .arg(&key)
                .arg(&gone)
                .exec_async(&mut connection)
                .await
                .map_err(failed("session listing"))?;
        }
        listed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(listed)
    }

    async fn delete_session(
        &self,
        identity: &str,
        session_id: &str,
    ) -> Result<Option<SessionInfo>, BlocklistError> {
        let mut connection = self.connection.clone();
        // The set only ever lists this identity's sessions, so the ZREM is
        // harmless when the session is someone else's.
        let (deleted,): (Option<Vec<Option<String>>>,) = ::redis::pipe()
            .cmd("EVAL")
            .arg(DELETE_SCRIPT)
            .arg(1)
            .arg(self.session_key(session_id))
            .arg(identity)
            .cmd("ZREM")
            .arg(self.identity_sessions_key(identity))
            .arg(session_id)
            .ignore()
            .query_async(&mut connection)
            .await
            .map_err(failed("session deletion"))?;
        match deleted {
            Some(fields) => session_info(session_id, identity, fields),
            None => Ok(None),
        }
    }

    async fn revoke_identity(&self, cutoff: &IdentityCutoff) -> Result<(), BlocklistError> {
        let now = now_secs();
        let ttl = match cutoff.expires_at {
            None => String::new(),
            Some(end) if end <= now => return Ok(()), // refuses nothing any more
            Some(end) => (end - now).to_string(),
        };
        let mut connection = self.connection.clone();
        ::redis::cmd("EVAL")
            .arg(CUTOFF_SCRIPT)
            .arg(1)
            .arg(self.cutoff_key(&cutoff.identity))
            .arg(cutoff.revoked_before)
            .arg(ttl)
            .exec_async(&mut connection)
            .await
            .map_err(failed("identity cut-off"))?;
        // Only after the cut-off is written: a check that reads the new
        // version also reads the new cut-off. A fresh random value (not a
        // counter) so that a Redis restarted empty never repeats a version
        // an instance remembers. Another key, maybe in another hash slot:
        // a command of its own, not part of the script.
        ::redis::cmd("SET")
            .arg(self.cutoff_version_key())
            .arg(uuid::Uuid::new_v4().simple().to_string())
            .exec_async(&mut connection)
            .await
            .map_err(failed("cut-off version"))
    }
}

#[cfg(test)]
mod tests {
    use super::{rotation_outcome, session_info, tag};
    use crate::blocklist::RotationOutcome;

    #[test]
    fn tags_keep_any_string_inside_and_apart() {
        assert_eq!(tag("abc"), "{abc}");
        assert_eq!(tag("{a}"), "{%7Ba%7D}");
        assert_eq!(tag("%7B"), "{%257B}");
        assert_ne!(tag("{"), tag("%7B"));
    }

    #[test]
    fn rotation_answers_are_read() {
        let read = |a: &str, b: &str| rotation_outcome((a.into(), b.into())).ok();
        assert_eq!(read("rotated", ""), Some(RotationOutcome::Rotated));
        assert_eq!(
            read("retry", "j1"),
            Some(RotationOutcome::Retry {
                current_jti: "j1".into()
            })
        );
        assert_eq!(read("reused", ""), Some(RotationOutcome::Reused));
        assert_eq!(read("unknown", ""), Some(RotationOutcome::Unknown));
        assert_eq!(read("other", ""), None);
    }

    #[test]
    fn session_fields_are_read() {
        let fields = |identity: &str| {
            vec![
                Some(identity.to_owned()),
                Some("10".into()),
                None,
                Some("20".into()),
                Some(r#"{"ua":"x"}"#.into()),
            ]
        };
        let info = session_info("s", "\"a\"", fields("\"a\"")).ok().flatten();
        assert_eq!(
            info.as_ref().map(|i| (i.created_at, i.expires_at)),
            Some((10, 20))
        );
        assert_eq!(info.and_then(|i| i.last_refreshed_at), None);
        assert!(matches!(
            session_info("s", "\"b\"", fields("\"a\"")),
            Ok(None)
        ));
        assert!(matches!(
            session_info("s", "\"a\"", vec![None; 5]),
            Ok(None)
        ));
    }
}
