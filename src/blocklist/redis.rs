//! The Redis blocklist store.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use tokio::sync::{mpsc, oneshot};

use super::{Blocklist, BlocklistError, Revocation, RevocationKeys};

#[path = "redis_sessions.rs"]
mod sessions;

/// The longest key prefix accepted by [`RedisBlocklist::with_prefix`].
const MAX_PREFIX_LEN: usize = 128;

/// How long a checked identity's cut-off is reused without reading it
/// again, by default (see [`RedisBlocklist::with_cutoff_cache`]).
pub(crate) const DEFAULT_CUTOFF_CACHE_AGE: Duration = Duration::from_secs(5);

/// Most identities whose cut-off the batching task remembers.
const MAX_CACHED_CUTOFFS: usize = 65_536;

/// Records `""` under the key, keeping the longer of the current and the
/// requested lifetimes (an empty `ARGV[1]` means "forever"). One round trip,
/// atomic, and available on every Redis version with scripting.
const REVOKE_SCRIPT: &str = r"
local current = redis.call('TTL', KEYS[1])
if ARGV[1] == '' then
  redis.call('SET', KEYS[1], '')
  return 1
end
local wanted = tonumber(ARGV[1])
if current == -1 or current >= wanted then
  return 0
end
redis.call('SET', KEYS[1], '', 'EX', wanted)
return 1
";

/// A blocklist in Redis, shared by every app instance that points at the same
/// server (and by Python services using Flask-JWT-Extended's Redis recipe).
///
/// # Layout
///
/// A revoked token is one string key: the prefix followed by the `jti`, with
/// the value `""` and a time to live equal to the token's remaining lifetime
/// (plus the decode leeway; see [`JwtManager::revoke_entry`](crate::JwtManager::revoke_entry)).
/// A token without `exp` is kept until the key is deleted. With no prefix
/// (the default) this is exactly what the reference's `blocklist_redis.py`
/// writes (`SET <jti> "" EX <seconds>`), and that recipe's check
/// (`GET <jti>` is not nil) sees our entries, so a Flask service and this
/// crate can share one Redis database. Revoking a key that already exists
/// never shortens its lifetime.
///
/// Checking a token asks `EXISTS` on each of its
/// [revocation keys](super::RevocationKeys) (its `jti`, and its session id
/// when it has one): revoked when one exists. When the manager
/// has a [session store](crate::JwtManagerBuilder::session_store), the check
/// also needs the identity's "log out everywhere" cut-off (below): read with
/// `GET` in the same pipeline, or reused from the instance's cut-off cache
/// while the cut-offs' version key is unchanged (see
/// [`with_cutoff_cache`](Self::with_cutoff_cache)); checks without an
/// identity send the `EXISTS` alone.
///
/// # Sessions
///
/// The store is a [`SessionStore`](super::SessionStore) too (see the
/// [sessions manual](crate::manual::sessions)). Its keys, beside the
/// revoked `jti`s:
///
/// | key | type | holds | lives until |
/// |---|---|---|---|
/// | `<prefix>session:{<sid>}` | hash | `identity`, `current` (the current refresh token's `jti`), `previous` and `rotated_at` (the one it replaced, and when, in ms), `created`, `refreshed`, `expires` (Unix seconds), `metadata` (JSON) | the session's end (`EXPIREAT`) |
/// | `<prefix>sessions:{<identity>}` | sorted set | the identity's session ids, scored by their end | its latest session's end |
/// | `<prefix>cutoff:{<identity>}` | string | the identity's cut-off (`revoked_before`, Unix seconds) | the latest end a cut-off asked for |
/// | `<prefix>cutoffs:version` | string | a random value, replaced after every cut-off is written | forever (one key per prefix) |
///
/// `<identity>` is the [`identity_key`](super::identity_key) (`"alice"` with
/// its quotes). In both ids and identities `%`, `{` and `}` are written
/// `%25`, `%7B` and `%7D`, so that each stays inside its `{…}` hash tag;
/// [`session_key`](Self::session_key),
/// [`identity_sessions_key`](Self::identity_sessions_key) and
/// [`cutoff_key`](Self::cutoff_key) build the names.
///
/// Every write is one Lua script (`EVAL`) on **one** key, so each step is
/// atomic and a script never spans hash slots, as Redis Cluster and Valkey
/// require:
///
/// - a login writes the session hash (a script: fields and `EXPIREAT`) and
///   adds the id to the identity's set (a script: `ZADD`, then `EXPIREAT`
///   at the highest score), both in one round trip;
/// - a refresh is one script on the session hash, deciding as the table of
///   [`RotationOutcome`](super::RotationOutcome) says from the `jti`s and
///   the caller's clock (`now_ms`; Redis's own clock only expires keys):
///   current → rotated; previous within the grace window → retry with the
///   current `jti`; any other → the hash is deleted (reuse); no hash or
///   past its end → unknown. Two instances exchanging the same token at
///   once are serialised by Redis: exactly one rotates;
/// - listing removes ended ids from the set (`ZREMRANGEBYSCORE`), reads the
///   hashes in one pipeline, and removes the ids whose hash is gone
///   (revoked for reuse, or deleted);
/// - deleting a session is a script that checks the owner before `DEL`,
///   pipelined with the `ZREM`;
/// - "log out everywhere" is a script on the cut-off key that keeps the
///   later cut-off and the longer lifetime, followed by a `SET` of a new
///   random value on the version key (a second single-key command).
///
/// Nothing outlives the tokens it can refuse. The store itself connects to
/// one server (a standalone Redis or Valkey, or a primary), and every
/// command and script it sends names keys of one hash slot (a token's
/// `jti` and session id are asked with one `EXISTS` each), so the layout
/// moves to Redis Cluster unchanged.
///
/// # Checks share round trips
///
/// Concurrent checks are batched: each [`is_revoked`](Blocklist::is_revoked)
/// puts its keys and a one-shot answer channel into a bounded queue (1024
/// lookups) and waits. One task per store (spawned on the first check, on
/// the runtime of that check) takes the first waiting lookup, yields once so
/// that the other ready requests can queue theirs, then takes everything
/// queued (at most 256 lookups) and sends it as one pipeline, one `EXISTS`
/// per revocation key of each token, so that every token gets its own
/// answer. When some tokens are checked against cut-offs, the pipeline
/// starts with one `GET` of the cut-offs' version key and ends with one
/// `GET` per distinct identity whose cut-off the task does not hold (or
/// holds for longer than the cache age); when the version differs from the
/// one the held cut-offs were read under, the task forgets them all and
/// reads the ones this batch used again before answering (a second round
/// trip, only after a "log out everywhere"). When the pipeline's
/// answer arrives, each waiter gets its own; the next batch is whatever
/// queued meanwhile. One batch is in flight at a time: the connection
/// answers in order anyway, and the lookups that arrive while a batch is out
/// are sent together as soon as it returns. Under load this turns one socket
/// write and read per request into one per batch, on either tokio runtime;
/// a lone check costs one round trip, as before.
///
/// Failures stay per check and fail closed: if the pipeline fails (Redis
/// down, connection lost, response timeout, an error reply), every lookup of
/// that batch gets the error, never "not revoked". A check abandoned by its
/// caller (the manager's [blocklist timeout](crate::JwtManagerBuilder::blocklist_timeout)
/// drops it) only closes its answer channel: the task skips it, or drops its
/// answer. When the queue is full, checks wait for room (backpressure,
/// within the same timeout). If the task is gone (its runtime was shut
/// down), the next check starts a new one on its own runtime. Revocations
/// are not batched: they go straight to the connection.
///
/// # Connections
///
/// The store runs on the `redis` crate's [`ConnectionManager`]: one
/// multiplexed connection, shared by clones, re-established after a
/// connection loss. While Redis is unreachable every check fails and the
/// request is refused with 503 (fail closed, never later than the manager's
/// [`blocklist_timeout`](crate::JwtManagerBuilder::blocklist_timeout)); once
/// Redis is back, requests succeed again without restarting the app.
/// Revocations survive a Redis restart only if Redis persists its data
/// (`appendonly yes`, or RDB snapshots): configure it so.
///
/// # TLS (`rediss://`)
///
/// `rediss://` URLs need TLS support in the `redis` crate, which this crate
/// does not turn on. Enable it in your own `Cargo.toml` (features unify):
///
/// ```toml
/// redis = { version = "1.8", features = ["tokio-rustls-comp", "tls-rustls-webpki-roots"] }
/// # or, with the platform's TLS library:
/// redis = { version = "1.8", features = ["tokio-native-tls-comp"] }
/// ```
///
/// Without it, [`connect`](Self::connect) fails with an error saying so.
///
/// # Example
///
/// ```no_run
/// use jwt_extended::blocklist::RedisBlocklist;
/// use jwt_extended::{JwtConfig, JwtManager};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisBlocklist::connect("redis://127.0.0.1:6379/0")
///     .await?
///     .with_prefix("myapp:revoked:")?;
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("super-secret"))
///     .blocklist(store)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisBlocklist {
    connection: ConnectionManager,
    prefix: Arc<str>,
    cutoff_cache_age: Duration,
    lookups: Arc<LookupQueue<ConnectionManager>>,
}

impl fmt::Debug for RedisBlocklist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBlocklist")
            .field("prefix", &self.prefix)
            .field("cutoff_cache_age", &self.cutoff_cache_age)
            .finish_non_exhaustive()
    }
}

impl RedisBlocklist {
    /// A store on an existing connection manager, with no key prefix.
    ///
    /// ```no_run
    /// use jwt_extended::blocklist::{RedisBlocklist, redis};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379/0")?;
    /// let manager = redis::aio::ConnectionManager::new(client).await?;
    /// let store = RedisBlocklist::new(manager);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn new(connection: ConnectionManager) -> Self {
        let prefix: Arc<str> = Arc::from("");
        Self {
            lookups: Arc::new(LookupQueue::new(
                connection.clone(),
                CutoffCacheConfig::new(&prefix, DEFAULT_CUTOFF_CACHE_AGE),
            )),
            connection,
            prefix,
            cutoff_cache_age: DEFAULT_CUTOFF_CACHE_AGE,
        }
    }

    /// A new batching queue for the current prefix and cache settings (the
    /// builder methods call it before the store is used).
    fn rebuild_lookups(&mut self) {
        self.lookups = Arc::new(LookupQueue::new(
            self.connection.clone(),
            CutoffCacheConfig::new(&self.prefix, self.cutoff_cache_age),
        ));
    }

    /// Connects to the Redis at `url` (`redis://[user:password@]host[:port][/db]`,
    /// or `rediss://…`, see [TLS](#tls-rediss)) and waits for the first
    /// connection.
    ///
    /// Connection attempts time out after one second and are not retried in
    /// a loop: after a connection loss, the next request tries to reconnect
    /// once. So while Redis is down requests are refused at once (503)
    /// instead of waiting for the blocklist timeout, and the first request
    /// after Redis is back reconnects. Responses time out after the `redis`
    /// crate's default (500 ms), within the manager's blocklist timeout. Use
    /// [`connect_with_config`](Self::connect_with_config) for other settings.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use jwt_extended::blocklist::RedisBlocklist;
    ///
    /// let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    /// let store = RedisBlocklist::connect(&url).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// If the URL is invalid (or `rediss://` without TLS support) or the
    /// server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, BlocklistError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(0);
        Self::connect_with_config(url, config).await
    }

    /// Like [`connect`](Self::connect), with the connection manager's
    /// timeouts and reconnection policy of your choice.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use jwt_extended::blocklist::{RedisBlocklist, redis::aio::ConnectionManagerConfig};
    ///
    /// let config = ConnectionManagerConfig::new()
    ///     .set_connection_timeout(Some(Duration::from_millis(500)))
    ///     .set_response_timeout(Some(Duration::from_millis(200)));
    /// let store = RedisBlocklist::connect_with_config("redis://cache.internal/2", config).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub async fn connect_with_config(
        url: &str,
        config: ConnectionManagerConfig,
    ) -> Result<Self, BlocklistError> {
        let client = ::redis::Client::open(url).map_err(|e| {
            let hint = if url.starts_with("rediss://") {
                " (rediss:// needs the redis crate's `tokio-rustls-comp` or \
                 `tokio-native-tls-comp` feature)"
            } else {
                ""
            };
            BlocklistError::from_source(format!("invalid Redis URL{hint}"), e)
        })?;
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| BlocklistError::from_source("cannot connect to Redis", e))?;
        Ok(Self::new(connection))
    }

    /// Puts every key under `prefix` (for example `"myapp:revoked:"`), to
    /// share a Redis database with other data. Default: no prefix, the
    /// reference's layout.
    ///
    /// ```no_run
    /// # async fn run(store: jwt_extended::blocklist::RedisBlocklist) -> Result<(), Box<dyn std::error::Error>> {
    /// let store = store.with_prefix("myapp:revoked:")?;
    /// assert_eq!(store.key("abc"), "myapp:revoked:abc");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// If the prefix is longer than 128 bytes or contains whitespace,
    /// control characters or the glob characters `* ? [ ] \` (which would
    /// make `SCAN <prefix>*` match other keys).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Result<Self, BlocklistError> {
        let prefix = prefix.into();
        validate_prefix(&prefix)?;
        self.prefix = Arc::from(prefix);
        self.rebuild_lookups();
        Ok(self)
    }

    /// How long each instance reuses an identity's "log out everywhere"
    /// cut-off without reading it again (default 5 s; `Duration::ZERO`
    /// reads it on every check). Only used when the manager has a
    /// [session store](crate::JwtManagerBuilder::session_store).
    ///
    /// Reusing is safe because every batch of checks still reads the
    /// cut-offs' version key ([`cutoff_version_key`](Self::cutoff_version_key))
    /// in its pipeline, and each
    /// [`revoke_identity`](super::SessionStore::revoke_identity) changes it:
    /// a check whose pipeline runs after a cut-off was written sees the new
    /// version and reads the cut-off again, on every instance, with no
    /// delay. The age only bounds how long an instance could miss a cut-off
    /// written without a version change: by something other than this
    /// store, or by a `revoke_identity` whose version write failed (it then
    /// returns an error).
    ///
    /// ```no_run
    /// # async fn run(store: jwt_extended::blocklist::RedisBlocklist) {
    /// use std::time::Duration;
    ///
    /// let store = store.with_cutoff_cache(Duration::from_secs(1));
    /// # }
    /// ```
    #[must_use]
    pub fn with_cutoff_cache(mut self, max_age: Duration) -> Self {
        self.cutoff_cache_age = max_age;
        self.rebuild_lookups();
        self
    }

    /// The key prefix (empty by default).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The Redis key that records a revoked `jti` (or session id).
    #[must_use]
    pub fn key(&self, jti: &str) -> String {
        format!("{}{jti}", self.prefix)
    }

    /// A handle on the connection manager (clones share the connection), for
    /// the app's own commands.
    #[must_use]
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

fn validate_prefix(prefix: &str) -> Result<(), BlocklistError> {
    if prefix.len() > MAX_PREFIX_LEN {
        return Err(BlocklistError::new(format!(
            "Redis key prefix is longer than {MAX_PREFIX_LEN} bytes"
        )));
    }
    if let Some(c) = prefix
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '*' | '?' | '[' | ']' | '\\'))
    {
        return Err(BlocklistError::new(format!(
            "Redis key prefix {prefix:?} contains {c:?}: whitespace, control and glob characters are not allowed"
        )));
    }
    Ok(())
}

impl Blocklist for RedisBlocklist {
    async fn is_revoked(&self, keys: RevocationKeys<'_>) -> Result<bool, BlocklistError> {
        let query = Query {
            keys: keys.iter().map(|k| self.key(k)).collect(),
            identity: keys.identity().map(|(identity, _)| identity.to_owned()),
        };
        if query.is_empty() {
            return Ok(false);
        }
        let found = self.lookups.lookup(query).await?;
        Ok(found.recorded || found.cutoff.is_some_and(|before| keys.cut_off_by(before)))
    }

    async fn revoke(&self, revocation: &Revocation) -> Result<(), BlocklistError> {
        let ttl = match revocation.remaining_lifetime() {
            None => String::new(),
            Some(remaining) if remaining.is_zero() => return Ok(()), // expired: nothing to block
            Some(remaining) => remaining.as_secs().to_string(),
        };
        let mut connection = self.connection.clone();
        ::redis::cmd("EVAL")
            .arg(REVOKE_SCRIPT)
            .arg(1)
            .arg(self.key(&revocation.key))
            .arg(ttl)
            .exec_async(&mut connection)
            .await
            .map_err(|e| BlocklistError::from_source("Redis revocation failed", e))
    }
}

/// Most lookups waiting for the batching task; more checks wait for room.
const QUEUE_CAPACITY: usize = 1024;

/// Most lookups in one pipeline.
const MAX_BATCH: usize = 256;

/// What one check asks Redis: whether any of its keys exists (`EXISTS`),
/// and its identity's cut-off (`GET`, or the batching task's cache).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Query {
    /// The prefixed revocation keys (none, one or two).
    keys: Vec<String>,
    /// The token's [identity key](super::identity_key), if it has one
    /// (the batching task names its cut-off key only when it reads it).
    identity: Option<String>,
}

/// What Redis answered to a [`Query`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Found {
    /// Whether one of the keys is recorded.
    recorded: bool,
    /// The identity's cut-off (`revoked_before`, Unix seconds), if any.
    cutoff: Option<i64>,
}

impl Query {
    fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.identity.is_none()
    }

    /// Adds one single-key `EXISTS` per revocation key to `pipeline` (a
    /// token's `jti` and session id may sit in different hash slots of a
    /// cluster, so they are never named in one command).
    fn add_exists(&self, pipeline: &mut ::redis::Pipeline) {
        for key in &self.keys {
            pipeline.add_command(one_key_command("EXISTS", key));
        }
    }

    /// Reads the answers to [`add_exists`](Self::add_exists) from `replies`.
    fn read_recorded(
        &self,
        replies: &mut impl Iterator<Item = ::redis::Value>,
    ) -> Result<bool, String> {
        let mut recorded = false;
        for _ in &self.keys {
            let count: u64 = parse(replies.next())?;
            recorded |= count > 0;
        }
        Ok(recorded)
    }
}

/// `<name> <key>`, its buffers allocated once at their final size (what
/// `redis::cmd(name).arg(key)` grows into with a reallocation).
fn one_key_command(name: &str, key: &str) -> ::redis::Cmd {
    let mut command = ::redis::Cmd::with_capacity(2, name.len() + key.len());
    command.arg(name).arg(key);
    command
}

fn parse<T: ::redis::FromRedisValue>(reply: Option<::redis::Value>) -> Result<T, String> {
    let reply = reply.ok_or("Redis answered fewer results than commands were sent")?;
    ::redis::from_redis_value(reply).map_err(|e| format!("unexpected Redis reply: {e}"))
}

/// Where the batching task keeps cut-offs, and for how long.
#[derive(Debug, Clone)]
struct CutoffCacheConfig {
    /// The store's key prefix.
    prefix: Arc<str>,
    /// `GET <prefix>cutoffs:version`, built once.
    version_get: ::redis::Cmd,
    /// How long an entry is reused; zero: no cache.
    max_age: Duration,
}

impl CutoffCacheConfig {
    fn new(prefix: &str, max_age: Duration) -> Self {
        Self {
            prefix: Arc::from(prefix),
            version_get: one_key_command("GET", &sessions::cutoff_version_key(prefix)),
            max_age,
        }
    }

    /// The cut-off key of an identity key.
    fn cutoff_key(&self, identity: &str) -> String {
        sessions::cutoff_key(&self.prefix, identity)
    }
}

/// The cut-offs one batching task has read, reused while the cut-offs'
/// version key keeps the value they were read under (each batch reads it)
/// and they are younger than the configured age.
///
/// Correct across instances because a cut-off is written before the
/// version changes, and each batch reads the version before any cut-off:
/// an entry is never older than the version it is kept under, and a batch
/// that sees a new version forgets every entry and reads again what it
/// would have taken from them.
struct CutoffCache {
    config: CutoffCacheConfig,
    /// The version the entries were read under; `None`: not known (no
    /// entries are used).
    version: Option<Option<Vec<u8>>>,
    /// Identity key → (cut-off, until when it may be used). Ordered, not
    /// hashed: a lookup is a few short comparisons, cheaper than hashing
    /// the key for the few identities an instance sees at once, and never
    /// worse than logarithmic whatever identities tokens carry.
    entries: BTreeMap<String, (Option<i64>, Instant)>,
}

impl CutoffCache {
    fn new(config: CutoffCacheConfig) -> Self {
        Self {
            config,
            version: None,
            entries: BTreeMap::new(),
        }
    }

    fn enabled(&self) -> bool {
        !self.config.max_age.is_zero()
    }

    /// The remembered cut-off of `key`, if it may be used at `now`.
    fn get(&self, key: &str, now: Instant) -> Option<Option<i64>> {
        self.version.as_ref()?;
        let (cutoff, until) = self.entries.get(key)?;
        (now < *until).then_some(*cutoff)
    }

    /// Takes note of the version a batch read (`Some(None)`: the key does
    /// not exist; `None`: it could not be read); forgets every entry when
    /// it changed or could not be read. Answers whether entries were
    /// forgotten.
    fn observe(&mut self, version: Option<Option<&[u8]>>) -> bool {
        if let Some(version) = version
            && self
                .version
                .as_ref()
                .is_some_and(|known| known.as_deref() == version)
        {
            return false;
        }
        self.entries.clear();
        self.version = version.map(|v| v.map(<[u8]>::to_vec));
        true
    }

    fn insert(&mut self, key: &str, cutoff: Option<i64>, read_at: Instant) {
        if !self.enabled() || self.version.is_none() {
            return;
        }
        if self.entries.len() >= MAX_CACHED_CUTOFFS && !self.entries.contains_key(key) {
            self.entries.retain(|_, (_, until)| read_at < *until);
            if self.entries.len() >= MAX_CACHED_CUTOFFS {
                self.entries.clear();
            }
        }
        let until = read_at.checked_add(self.config.max_age).unwrap_or(read_at);
        self.entries.insert(key.to_owned(), (cutoff, until));
    }
}

/// Where a check's cut-off comes from in one batch.
#[derive(Debug, Clone, Copy)]
enum CutoffFrom {
    /// The check has no identity.
    Absent,
    /// The cache (valid if the version read in this batch is unchanged).
    Cached(Option<i64>),
    /// The `GET` at this index among the batch's cut-off reads.
    Read(usize),
}

/// Asks Redis the `queries` in one pipeline: the cut-offs' version (when
/// the cache may be used), each query's `EXISTS`, then one `GET` per
/// distinct cut-off key the cache cannot answer. Answers each query, or an
/// error for the whole batch.
async fn ask<C: ConnectionLike>(
    connection: &mut C,
    queries: &[&Query],
    cache: &mut CutoffCache,
) -> Result<Vec<Result<Found, String>>, Failure> {
    let now = Instant::now();
    let mut reads: Vec<&str> = Vec::new();
    // Created at the first identity the cache cannot answer.
    let mut read_index: Option<HashMap<&str, usize>> = None;
    let mut sources = Vec::with_capacity(queries.len());
    for query in queries {
        sources.push(match query.identity.as_deref() {
            None => CutoffFrom::Absent,
            Some(key) => match cache.get(key, now) {
                Some(cutoff) => CutoffFrom::Cached(cutoff),
                None => CutoffFrom::Read(
                    *read_index
                        .get_or_insert_default()
                        .entry(key)
                        .or_insert_with(|| {
                            reads.push(key);
                            reads.len() - 1
                        }),
                ),
            },
        });
    }
    let with_version = cache.enabled() && queries.iter().any(|q| q.identity.is_some());
    let exists: usize = queries.iter().map(|q| q.keys.len()).sum();
    let commands = usize::from(with_version) + exists + reads.len();
    let mut pipeline = ::redis::Pipeline::with_capacity(commands);
    if with_version {
        pipeline.add_command(cache.config.version_get.clone());
    }
    for query in queries {
        query.add_exists(&mut pipeline);
    }
    for identity in &reads {
        pipeline.add_command(one_key_command("GET", &cache.config.cutoff_key(identity)));
    }
    let replies: Vec<::redis::Value> = pipeline
        .query_async(connection)
        .await
        .map_err(Failure::Redis)?;
    if replies.len() != commands {
        return Err(Failure::Reply(format!(
            "Redis answered {} results to a pipeline of {commands} commands",
            replies.len(),
        )));
    }
    let mut replies = replies.into_iter();
    // A version that cannot be read (not a string) counts as changed, every
    // time: the cache is then never used.
    let version_reply = if with_version { replies.next() } else { None };
    let version = with_version.then_some(match &version_reply {
        Some(::redis::Value::BulkString(bytes)) => Some(Some(bytes.as_slice())),
        Some(::redis::Value::Nil) => Some(None),
        _ => None,
    });
    let recorded: Vec<Result<bool, String>> = queries
        .iter()
        .map(|q| q.read_recorded(&mut replies))
        .collect();
    let read: Vec<Result<Option<i64>, String>> =
        reads.iter().map(|_| parse(replies.next())).collect();

    let forgotten = version.is_some_and(|version| cache.observe(version));
    for (key, cutoff) in reads.iter().zip(&read) {
        if let Ok(cutoff) = cutoff {
            cache.insert(key, *cutoff, now);
        }
    }
    // Entries used from a version that has changed since: read those again.
    let mut reread: Option<HashMap<&str, Result<Option<i64>, String>>> = None;
    if forgotten {
        let stale: Vec<&str> = queries
            .iter()
            .zip(&sources)
            .filter(|(_, from)| matches!(from, CutoffFrom::Cached(_)))
            .filter_map(|(q, _)| q.identity.as_deref())
            .collect();
        if !stale.is_empty() {
            let read_again = reread.insert(read_cutoffs(connection, &cache.config, stale).await?);
            for (key, cutoff) in read_again.iter() {
                if let Ok(cutoff) = cutoff {
                    cache.insert(key, *cutoff, now);
                }
            }
        }
    }

    Ok(queries
        .iter()
        .zip(sources)
        .zip(recorded)
        .map(|((query, from), recorded)| {
            let cutoff = match from {
                CutoffFrom::Absent => Ok(None),
                CutoffFrom::Cached(cutoff) if !forgotten => Ok(cutoff),
                CutoffFrom::Cached(_) => query
                    .identity
                    .as_deref()
                    .and_then(|identity| reread.as_ref()?.get(identity))
                    .cloned()
                    .unwrap_or_else(|| Err("a cut-off was not read again".to_owned())),
                CutoffFrom::Read(i) => read
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| Err("a cut-off was not read".to_owned())),
            };
            Ok(Found {
                recorded: recorded?,
                cutoff: cutoff?,
            })
        })
        .collect())
}

/// `GET`s the cut-off of each distinct identity of `identities` in one
/// pipeline.
async fn read_cutoffs<'k, C: ConnectionLike>(
    connection: &mut C,
    config: &CutoffCacheConfig,
    mut keys: Vec<&'k str>,
) -> Result<HashMap<&'k str, Result<Option<i64>, String>>, Failure> {
    keys.sort_unstable();
    keys.dedup();
    let mut pipeline = ::redis::Pipeline::with_capacity(keys.len());
    for identity in &keys {
        pipeline.add_command(one_key_command("GET", &config.cutoff_key(identity)));
    }
    let replies: Vec<::redis::Value> = pipeline
        .query_async(connection)
        .await
        .map_err(Failure::Redis)?;
    let mut replies = replies.into_iter();
    Ok(keys
        .into_iter()
        .map(|key| (key, parse(replies.next())))
        .collect())
}

/// Why a whole batch failed; every check of it gets this as its error.
#[derive(Debug, Clone)]
enum Failure {
    /// The pipeline failed (connection lost, timeout, error reply).
    Redis(::redis::RedisError),
    /// Redis answered something else than the commands ask for.
    Reply(String),
}

impl Failure {
    fn to_error(&self) -> BlocklistError {
        match self {
            Self::Redis(error) => BlocklistError::from_source("Redis lookup failed", error.clone()),
            Self::Reply(message) => BlocklistError::new(message.clone()),
        }
    }
}

/// One waiting check: what it asks and where its answer goes.
struct Lookup {
    query: Query,
    answer: oneshot::Sender<Result<Found, BlocklistError>>,
}

/// The batching of [`RedisBlocklist::is_revoked`] (see "Checks share round
/// trips" on [`RedisBlocklist`]), over any Redis connection.
struct LookupQueue<C> {
    connection: C,
    cutoffs: CutoffCacheConfig,
    /// The queue into the running batching task; replaced when that task is
    /// gone.
    sender: Mutex<Option<mpsc::Sender<Lookup>>>,
}

impl<C> LookupQueue<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    fn new(connection: C, cutoffs: CutoffCacheConfig) -> Self {
        Self {
            connection,
            cutoffs,
            sender: Mutex::new(None),
        }
    }

    /// Asks `query` in a batch with the concurrent checks.
    async fn lookup(&self, query: Query) -> Result<Found, BlocklistError> {
        let Some(queue) = self.queue() else {
            // Not on a tokio runtime: no task to batch with, ask directly.
            return self.lookup_alone(&query).await;
        };
        let (answer, receiver) = oneshot::channel();
        let sent = queue.send(Lookup { query, answer }).await;
        drop(queue);
        if sent.is_err() {
            return Err(BlocklistError::new(
                "the Redis lookup task has stopped (its runtime shut down?)",
            ));
        }
        receiver.await.unwrap_or_else(|_| {
            Err(BlocklistError::new(
                "the Redis lookup task stopped before answering",
            ))
        })
    }

    /// Asks `query` in a pipeline of its own, without the cache.
    async fn lookup_alone(&self, query: &Query) -> Result<Found, BlocklistError> {
        let mut connection = self.connection.clone();
        let mut uncached = CutoffCache::new(CutoffCacheConfig {
            max_age: Duration::ZERO,
            ..self.cutoffs.clone()
        });
        let mut answers = ask(&mut connection, &[query], &mut uncached)
            .await
            .map_err(|failure| failure.to_error())?;
        answers
            .pop()
            .unwrap_or_else(|| Err("no answer".to_owned()))
            .map_err(BlocklistError::new)
    }

    /// The queue into the batching task, starting the task on the current
    /// runtime if there is none yet or the last one is gone. `None` outside
    /// a tokio runtime.
    fn queue(&self) -> Option<mpsc::Sender<Lookup>> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let mut slot = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = slot.as_ref().filter(|s| !s.is_closed()) {
            return Some(sender.clone());
        }
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        runtime.spawn(run_batches(
            self.connection.clone(),
            receiver,
            CutoffCache::new(self.cutoffs.clone()),
        ));
        *slot = Some(sender.clone());
        Some(sender)
    }
}

/// The batching task: one pipeline at a time, for everything queued. Ends
/// when every sender is gone (the store was dropped).
async fn run_batches<C>(
    mut connection: C,
    mut queue: mpsc::Receiver<Lookup>,
    mut cache: CutoffCache,
) where
    C: ConnectionLike + Send,
{
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        // Let the other tasks that are ready (requests read in the same
        // poll of the I/O driver) run and queue their lookups first. On the
        // multi-thread runtime this task would otherwise run right after
        // the one that woke it, and find only its lookup.
        tokio::task::yield_now().await;
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(lookup) => batch.push(lookup),
                Err(_) => break,
            }
        }
        answer(&mut connection, &mut batch, &mut cache).await;
    }
}

/// Sends one pipeline for the batch and answers each lookup (draining the
/// batch). Every lookup gets an error when the pipeline fails.
async fn answer<C: ConnectionLike>(
    connection: &mut C,
    batch: &mut Vec<Lookup>,
    cache: &mut CutoffCache,
) {
    // Checks given up by their callers (timed out) need no answer.
    batch.retain(|lookup| !lookup.answer.is_closed());
    if batch.is_empty() {
        return;
    }
    let queries: Vec<&Query> = batch.iter().map(|lookup| &lookup.query).collect();
    let outcome = ask(connection, &queries, cache).await;
    drop(queries);
    match outcome {
        Ok(answers) => {
            for (lookup, found) in batch.drain(..).zip(answers) {
                // A caller that has given up in the meantime: nothing to do.
                let _ = lookup.answer.send(found.map_err(BlocklistError::new));
            }
        }
        Err(error) => {
            // The batch is not remembered as read: after a failure, the
            // next batch reads the version again before using any entry.
            cache.observe(None);
            for lookup in batch.drain(..) {
                let _ = lookup.answer.send(Err(error.to_error()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::future::Future;
    use std::pin::pin;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll, Waker};

    use ::redis::{Arg, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, Value};
    use tokio::sync::Semaphore;

    use super::{Arc, BlocklistError, Duration, Mutex, PoisonError};
    use super::{
        CutoffCacheConfig, DEFAULT_CUTOFF_CACHE_AGE, Found, LookupQueue, MAX_BATCH, QUEUE_CAPACITY,
        Query, validate_prefix,
    };

    fn config() -> CutoffCacheConfig {
        CutoffCacheConfig::new("", DEFAULT_CUTOFF_CACHE_AGE)
    }

    impl<C> LookupQueue<C>
    where
        C: ::redis::aio::ConnectionLike + Clone + Send + Sync + 'static,
    {
        /// Whether any of `keys` is recorded (a check without identity).
        async fn is_revoked(&self, keys: Vec<String>) -> Result<bool, BlocklistError> {
            let found = self
                .lookup(Query {
                    keys,
                    identity: None,
                })
                .await?;
            Ok(found.recorded)
        }
    }

    /// A Redis stand-in: answers `EXISTS` pipelines from a set of keys,
    /// records the size of every pipeline, can hold pipelines back (each
    /// takes a permit of `gate`) and can fail them.
    #[derive(Clone)]
    struct Fake {
        revoked: Arc<HashSet<String>>,
        /// String keys `GET` answers (before the `cutoff-<n>` rule).
        strings: Arc<Mutex<std::collections::HashMap<String, String>>>,
        /// The keys of every `GET`, in order.
        gets: Arc<Mutex<Vec<String>>>,
        pipelines: Arc<Mutex<Vec<usize>>>,
        gate: Arc<Semaphore>,
        failing: Arc<AtomicBool>,
    }

    impl Fake {
        fn new(revoked: impl IntoIterator<Item = String>) -> Self {
            Self {
                revoked: Arc::new(revoked.into_iter().collect()),
                strings: Arc::default(),
                gets: Arc::default(),
                pipelines: Arc::default(),
                gate: Arc::new(Semaphore::new(Semaphore::MAX_PERMITS)),
                failing: Arc::default(),
            }
        }

        /// A fake whose pipelines wait until `open` is called.
        fn closed(revoked: impl IntoIterator<Item = String>) -> Self {
            Self {
                gate: Arc::new(Semaphore::new(0)),
                ..Self::new(revoked)
            }
        }

        fn open(&self) {
            self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
        }

        fn pipelines(&self) -> Vec<usize> {
            self.pipelines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }

        /// The keys read with `GET` so far (and forgets them).
        fn take_gets(&self) -> Vec<String> {
            std::mem::take(&mut *self.gets.lock().unwrap_or_else(PoisonError::into_inner))
        }

        fn set(&self, key: &str, value: &str) {
            self.strings
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key.to_owned(), value.to_owned());
        }

        /// The reply to one command: `GET` answers the strings set, else the
        /// cut-off of `cutoff-<n>` keys (`n` itself); `EXISTS` counts
        /// revoked keys.
        fn reply(&self, cmd: &Cmd) -> Value {
            let mut args = cmd.args_iter();
            if matches!(args.next(), Some(Arg::Simple(b"GET"))) {
                let Some(Arg::Simple(key)) = args.next() else {
                    return Value::Nil;
                };
                // A cut-off key (`cutoff:{<identity>}`) is recorded and
                // answered by its identity: `cutoff-N` has the cut-off N.
                let key = String::from_utf8_lossy(key).into_owned();
                let key = key
                    .strip_prefix("cutoff:{")
                    .and_then(|k| k.strip_suffix('}'))
                    .map_or(key.clone(), str::to_owned);
                self.gets
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(key.clone());
                let set = self
                    .strings
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(&key)
                    .cloned();
                return set
                    .or_else(|| key.strip_prefix("cutoff-").map(str::to_owned))
                    .map_or(Value::Nil, |v| Value::BulkString(v.into_bytes()));
            }
            Value::Int(self.count(cmd))
        }

        fn count(&self, cmd: &Cmd) -> i64 {
            let found = cmd
                .args_iter()
                .skip(1)
                .filter(|arg| match arg {
                    Arg::Simple(key) => {
                        std::str::from_utf8(key).is_ok_and(|key| self.revoked.contains(key))
                    }
                    _ => false,
                })
                .count();
            i64::try_from(found).unwrap_or(i64::MAX)
        }
    }

    impl ::redis::aio::ConnectionLike for Fake {
        fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
            Box::pin(async move {
                if self.failing.load(Ordering::SeqCst) {
                    return Err(RedisError::from((ErrorKind::Io, "connection reset")));
                }
                Ok(self.reply(cmd))
            })
        }

        fn req_packed_commands<'a>(
            &'a mut self,
            pipeline: &'a Pipeline,
            _offset: usize,
            _count: usize,
        ) -> RedisFuture<'a, Vec<Value>> {
            Box::pin(async move {
                self.pipelines
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(pipeline.len());
                self.gate
                    .acquire()
                    .await
                    .map_err(|_| RedisError::from((ErrorKind::Io, "gate closed")))?
                    .forget();
                if self.failing.load(Ordering::SeqCst) {
                    return Err(RedisError::from((ErrorKind::Io, "connection reset")));
                }
                Ok(pipeline.cmd_iter().map(|cmd| self.reply(cmd)).collect())
            })
        }

        fn get_db(&self) -> i64 {
            0
        }
    }

    fn key(i: usize) -> String {
        format!("jti-{i}")
    }

    /// Every third token is revoked.
    fn is_revoked(i: usize) -> bool {
        i.is_multiple_of(3)
    }

    fn fake(n: usize) -> Fake {
        Fake::new((0..n).filter(|&i| is_revoked(i)).map(key))
    }

    /// Lookups in the queue, not yet taken by the batching task.
    fn queued(queue: &LookupQueue<Fake>) -> usize {
        queue
            .sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, |s| s.max_capacity() - s.capacity())
    }

    /// `n` concurrent checks of tokens `0..n`, each in its own task.
    fn spawn_checks(
        queue: &Arc<LookupQueue<Fake>>,
        range: std::ops::Range<usize>,
    ) -> Vec<tokio::task::JoinHandle<(usize, Result<bool, String>)>> {
        range
            .map(|i| {
                let queue = Arc::clone(queue);
                tokio::spawn(async move {
                    let answer = queue.is_revoked(vec![key(i)]).await;
                    (i, answer.map_err(|e| e.to_string()))
                })
            })
            .collect()
    }

    async fn assert_answers(checks: Vec<tokio::task::JoinHandle<(usize, Result<bool, String>)>>) {
        for check in checks {
            let (i, answer) = check.await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(answer, Ok(is_revoked(i)), "token {i}");
        }
    }

    /// `n` concurrent checks: each gets its answer, in at most
    /// `max_pipelines` pipelines.
    async fn concurrent_checks_share_pipelines(max_pipelines: usize) {
        let n = 500;
        let redis = fake(n);
        let queue = Arc::new(LookupQueue::new(redis.clone(), config()));
        // Spawned from a task, as a burst of requests would be.
        let checks = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { spawn_checks(&queue, 0..n) }
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_answers(checks).await;
        let pipelines = redis.pipelines();
        assert_eq!(pipelines.iter().sum::<usize>(), n, "{pipelines:?}");
        assert!(pipelines.iter().all(|&len| len <= MAX_BATCH));
        assert!(
            pipelines.len() <= max_pipelines,
            "{} pipelines for {n} concurrent checks: {pipelines:?}",
            pipelines.len()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn concurrent_checks_share_pipelines_on_one_worker() {
        // The case of the LIFO slot (see run_batches). The yielded task is
        // woken at the worker's next maintenance (every 61 task polls), so
        // batches are up to about 60 lookups here.
        concurrent_checks_share_pipelines(50).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_checks_share_pipelines_on_two_workers() {
        concurrent_checks_share_pipelines(250).await;
    }

    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_checks_share_pipelines_on_the_current_thread() {
        concurrent_checks_share_pipelines(50).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_held_pipeline_collects_the_next_batch() {
        let n = 300;
        let redis = Fake::closed((0..n).filter(|&i| is_revoked(i)).map(key));
        let queue = Arc::new(LookupQueue::new(redis.clone(), config()));
        let first = spawn_checks(&queue, 0..1);
        while redis.pipelines().is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let rest = spawn_checks(&queue, 1..n);
        while queued(&queue) < n - 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(redis.pipelines(), [1], "one batch in flight at a time");
        redis.open();
        assert_answers(first).await;
        assert_answers(rest).await;
        assert_eq!(redis.pipelines(), [1, MAX_BATCH, n - 1 - MAX_BATCH]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_pipeline_fails_each_of_its_checks() {
        let n = 200;
        let redis = Fake::closed((0..n).filter(|&i| is_revoked(i)).map(key));
        redis.failing.store(true, Ordering::SeqCst);
        let queue = Arc::new(LookupQueue::new(redis.clone(), config()));
        let checks = spawn_checks(&queue, 0..n);
        while queued(&queue) + redis.pipelines().iter().sum::<usize>() < n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        redis.open();
        for check in checks {
            let (i, answer) = check.await.unwrap_or_else(|e| panic!("{e}"));
            let error = answer.err();
            assert!(
                error
                    .as_deref()
                    .is_some_and(|e| e.contains("connection reset")),
                "token {i}: an error, never an answer: {error:?}"
            );
        }
        // The store recovers with the connection.
        redis.failing.store(false, Ordering::SeqCst);
        assert_answers(spawn_checks(&queue, 0..n)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn abandoned_checks_do_not_break_the_queue() {
        let n = 100;
        let redis = Fake::closed((0..n).filter(|&i| is_revoked(i)).map(key));
        let queue = Arc::new(LookupQueue::new(redis.clone(), config()));
        // Checks given up by their callers, as the manager's timeout does:
        // the first batch is out (held), the others queued behind it.
        let abandoned: Vec<_> = (0..n)
            .map(|i| {
                let queue = Arc::clone(&queue);
                tokio::spawn(async move {
                    tokio::time::timeout(Duration::from_millis(50), queue.is_revoked(vec![key(i)]))
                        .await
                        .is_err()
                })
            })
            .collect();
        for check in abandoned {
            assert!(check.await.unwrap_or_else(|e| panic!("{e}")), "timed out");
        }
        let held: usize = redis.pipelines().iter().sum();
        redis.open();
        assert_answers(spawn_checks(&queue, 0..n)).await;
        let pipelines = redis.pipelines();
        assert_eq!(
            pipelines.iter().sum::<usize>(),
            held + n,
            "queued lookups of abandoned checks are not sent: {pipelines:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_queue_is_bounded() {
        let n = QUEUE_CAPACITY + MAX_BATCH + 500;
        let redis = Fake::closed((0..n).filter(|&i| is_revoked(i)).map(key));
        let queue = Arc::new(LookupQueue::new(redis.clone(), config()));
        let checks = spawn_checks(&queue, 0..n);
        while queued(&queue) < QUEUE_CAPACITY {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // One held batch and a full queue; the other checks wait to get in.
        let held = redis.pipelines();
        assert_eq!(held.len(), 1);
        assert!(held[0] <= MAX_BATCH);
        assert_eq!(queued(&queue), QUEUE_CAPACITY);
        assert_eq!(
            checks.iter().filter(|c| c.is_finished()).count(),
            0,
            "nothing answered while Redis holds the batch"
        );
        redis.open();
        assert_answers(checks).await;
        assert_eq!(redis.pipelines().iter().sum::<usize>(), n);
    }

    #[test]
    fn a_new_task_replaces_one_whose_runtime_is_gone() {
        let redis = fake(10);
        let queue = Arc::new(LookupQueue::new(redis.clone(), config()));
        for round in 0..3 {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            runtime.block_on(async {
                assert_answers(spawn_checks(&queue, 0..10)).await;
            });
            // Dropping the runtime drops the batching task with it.
            drop(runtime);
            assert_eq!(redis.pipelines().iter().sum::<usize>(), 10 * (round + 1));
        }
    }

    #[test]
    fn outside_a_tokio_runtime_checks_go_straight_to_redis() {
        let queue = LookupQueue::new(fake(10), config());
        let mut cx = Context::from_waker(Waker::noop());
        for i in 0..10 {
            let mut check = pin!(queue.is_revoked(vec![key(i)]));
            match check.as_mut().poll(&mut cx) {
                Poll::Ready(answer) => {
                    assert_eq!(answer.map_err(|e| e.to_string()), Ok(is_revoked(i)));
                }
                Poll::Pending => panic!("the fake answers at once"),
            }
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn cutoffs_ride_in_the_same_pipeline() {
        let redis = fake(10);
        let queue = Arc::new(LookupQueue::new(redis.clone(), config()));
        let lookups: Vec<_> = (0..10)
            .map(|i| {
                let queue = Arc::clone(&queue);
                // Tokens 0..5 have an identity (cut-off `i` for even ones),
                // the others none.
                let identity = (i < 5).then(|| {
                    if i % 2 == 0 {
                        format!("cutoff-{i}")
                    } else {
                        format!("none-{i}")
                    }
                });
                let query = Query {
                    keys: vec![key(i)],
                    identity,
                };
                tokio::spawn(async move { (i, queue.lookup(query).await.ok()) })
            })
            .collect();
        for lookup in lookups {
            let (i, found) = lookup.await.unwrap_or_else(|e| panic!("{e}"));
            let cutoff = (i < 5 && i % 2 == 0).then(|| i64::try_from(i).unwrap_or_default());
            assert_eq!(
                found,
                Some(Found {
                    recorded: is_revoked(i),
                    cutoff
                }),
                "token {i}"
            );
        }
        // The cut-offs' version, one EXISTS per token, one GET per token
        // with an identity, all in one pipeline.
        assert_eq!(redis.pipelines(), [16]);
    }

    /// One check of token 1 with the identity cut-off key `cutoff`.
    async fn check(queue: &LookupQueue<Fake>, cutoff: &str) -> Option<Found> {
        let query = Query {
            keys: vec![key(1)],
            identity: Some(cutoff.to_owned()),
        };
        queue.lookup(query).await.ok()
    }

    fn found(cutoff: Option<i64>) -> Option<Found> {
        Some(Found {
            recorded: false,
            cutoff,
        })
    }

    #[tokio::test(flavor = "current_thread")]
    async fn remembered_cutoffs_are_read_again_when_the_version_changes() {
        let redis = fake(0);
        let queue = LookupQueue::new(redis.clone(), config());
        assert_eq!(check(&queue, "cutoff-4").await, found(Some(4)));
        assert_eq!(check(&queue, "none-1").await, found(None));
        assert_eq!(
            redis.take_gets(),
            ["cutoffs:version", "cutoff-4", "cutoffs:version", "none-1"]
        );
        // Remembered: only the version is read, whatever the keys hold now.
        redis.set("cutoff-4", "100");
        redis.set("none-1", "7");
        assert_eq!(check(&queue, "cutoff-4").await, found(Some(4)));
        assert_eq!(check(&queue, "none-1").await, found(None));
        assert_eq!(redis.take_gets(), ["cutoffs:version", "cutoffs:version"]);
        // A new version: the cut-off the check would have reused is read
        // again (in a second pipeline), and so is every other one later.
        redis.set("cutoffs:version", "v2");
        assert_eq!(check(&queue, "cutoff-4").await, found(Some(100)));
        assert_eq!(redis.take_gets(), ["cutoffs:version", "cutoff-4"]);
        assert_eq!(check(&queue, "none-1").await, found(Some(7)));
        assert_eq!(redis.take_gets(), ["cutoffs:version", "none-1"]);
        assert_eq!(redis.pipelines(), [3, 3, 2, 2, 2, 1, 3]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn remembered_cutoffs_age_out() {
        let redis = fake(0);
        let config = CutoffCacheConfig::new("", Duration::from_millis(50));
        let queue = LookupQueue::new(redis.clone(), config);
        assert_eq!(check(&queue, "cutoff-4").await, found(Some(4)));
        redis.set("cutoff-4", "9");
        assert_eq!(check(&queue, "cutoff-4").await, found(Some(4)));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(check(&queue, "cutoff-4").await, found(Some(9)));
        assert_eq!(
            redis.take_gets(),
            [
                "cutoffs:version",
                "cutoff-4",
                "cutoffs:version",
                "cutoffs:version",
                "cutoff-4"
            ]
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn without_a_cache_every_check_reads_its_cutoff() {
        let redis = fake(0);
        let queue = LookupQueue::new(redis.clone(), CutoffCacheConfig::new("", Duration::ZERO));
        for _ in 0..3 {
            assert_eq!(check(&queue, "cutoff-4").await, found(Some(4)));
        }
        assert_eq!(redis.take_gets(), ["cutoff-4", "cutoff-4", "cutoff-4"]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_batch_forgets_the_version() {
        let redis = fake(0);
        let queue = LookupQueue::new(redis.clone(), config());
        assert_eq!(check(&queue, "cutoff-4").await, found(Some(4)));
        redis.failing.store(true, Ordering::SeqCst);
        assert_eq!(check(&queue, "cutoff-4").await, None);
        redis.failing.store(false, Ordering::SeqCst);
        redis.set("cutoff-4", "5");
        // The version is unchanged, but after a failure it is not trusted:
        // the cut-off is read again.
        assert_eq!(check(&queue, "cutoff-4").await, found(Some(5)));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_reads_each_cutoff_once() {
        let redis = fake(10);
        let queue = Arc::new(LookupQueue::new(redis.clone(), config()));
        let lookups: Vec<_> = (0..10)
            .map(|i| {
                let queue = Arc::clone(&queue);
                let query = Query {
                    keys: vec![key(i)],
                    identity: Some(format!("cutoff-{}", i % 2)),
                };
                tokio::spawn(async move { (i, queue.lookup(query).await.ok()) })
            })
            .collect();
        for lookup in lookups {
            let (i, answer) = lookup.await.unwrap_or_else(|e| panic!("{e}"));
            let cutoff = i64::try_from(i % 2).ok();
            assert_eq!(
                answer.map(|f| (f.recorded, f.cutoff)),
                Some((is_revoked(i), cutoff))
            );
        }
        assert_eq!(redis.pipelines(), [1 + 10 + 2]);
    }

    #[test]
    fn prefixes_are_validated() {
        for ok in ["", "jwt:", "myapp:revoked:", "a/b-c_d.e|", "révoqué:"] {
            assert!(validate_prefix(ok).is_ok(), "{ok:?} should be accepted");
        }
        let long = "x".repeat(129);
        for bad in [
            "a b",
            "tab\t",
            "nl\n",
            "star*",
            "q?",
            "[x]",
            "back\\",
            long.as_str(),
        ] {
            assert!(validate_prefix(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
