//! The Redis blocklist store.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use tokio::sync::{mpsc, oneshot};

use super::{Blocklist, BlocklistError, Revocation, RevocationKeys};

#[path = "redis_sessions.rs"]
mod sessions;

/// The longest key prefix accepted by [`RedisBlocklist::with_prefix`].
const MAX_PREFIX_LEN: usize = 128;

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
/// also reads the identity's "log out everywhere" cut-off (`GET`, below) in
/// the same pipeline; checks without an identity send the `EXISTS` alone.
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
///   later cut-off and the longer lifetime.
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
/// per revocation key of each token (and one `GET` per token whose identity
/// is checked against cut-offs), so that every token gets its own answer. When the pipeline's
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
    lookups: Arc<LookupQueue<ConnectionManager>>,
}

impl fmt::Debug for RedisBlocklist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBlocklist")
            .field("prefix", &self.prefix)
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
        Self {
            lookups: Arc::new(LookupQueue::new(connection.clone())),
            connection,
            prefix: Arc::from(""),
        }
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
        Ok(self)
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
            cutoff: keys
                .identity()
                .map(|(identity, _)| self.cutoff_key(identity)),
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
/// and its identity's cut-off (`GET`), in the same pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Query {
    /// The prefixed revocation keys (none, one or two).
    keys: Vec<String>,
    /// The prefixed cut-off key of the token's identity, if it has one.
    cutoff: Option<String>,
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
        self.keys.is_empty() && self.cutoff.is_none()
    }

    /// Adds the query's commands to `pipeline`: one single-key `EXISTS` per
    /// revocation key (a token's `jti` and session id may sit in different
    /// hash slots of a cluster, so they are never named in one command),
    /// and the cut-off's `GET`.
    fn add_to(&self, pipeline: &mut ::redis::Pipeline) {
        for key in &self.keys {
            pipeline.cmd("EXISTS").arg(key);
        }
        if let Some(cutoff) = &self.cutoff {
            pipeline.cmd("GET").arg(cutoff);
        }
    }

    /// How many commands [`add_to`](Self::add_to) adds.
    fn commands(&self) -> usize {
        self.keys.len() + usize::from(self.cutoff.is_some())
    }

    /// Reads the answers to the query's commands from `replies`.
    fn read(&self, replies: &mut impl Iterator<Item = ::redis::Value>) -> Result<Found, String> {
        let mut found = Found {
            recorded: false,
            cutoff: None,
        };
        for _ in &self.keys {
            let count: u64 = parse(replies.next())?;
            found.recorded |= count > 0;
        }
        if self.cutoff.is_some() {
            found.cutoff = parse(replies.next())?;
        }
        Ok(found)
    }
}

fn parse<T: ::redis::FromRedisValue>(reply: Option<::redis::Value>) -> Result<T, String> {
    let reply = reply.ok_or("Redis answered fewer results than commands were sent")?;
    ::redis::from_redis_value(reply).map_err(|e| format!("unexpected Redis reply: {e}"))
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
    /// The queue into the running batching task; replaced when that task is
    /// gone.
    sender: Mutex<Option<mpsc::Sender<Lookup>>>,
}

impl<C> LookupQueue<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    fn new(connection: C) -> Self {
        Self {
            connection,
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

    /// Asks `query` in a pipeline of its own.
    async fn lookup_alone(&self, query: &Query) -> Result<Found, BlocklistError> {
        let mut connection = self.connection.clone();
        let mut pipeline = ::redis::Pipeline::with_capacity(query.commands());
        query.add_to(&mut pipeline);
        let replies: Vec<::redis::Value> = pipeline
            .query_async(&mut connection)
            .await
            .map_err(|e| BlocklistError::from_source("Redis lookup failed", e))?;
        query
            .read(&mut replies.into_iter())
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
        runtime.spawn(run_batches(self.connection.clone(), receiver));
        *slot = Some(sender.clone());
        Some(sender)
    }
}

/// The batching task: one pipeline at a time, for everything queued. Ends
/// when every sender is gone (the store was dropped).
async fn run_batches<C>(mut connection: C, mut queue: mpsc::Receiver<Lookup>)
where
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
        answer(&mut connection, &mut batch).await;
    }
}

/// Sends one pipeline for the batch and answers each lookup (draining the
/// batch). Every lookup gets an error when the pipeline fails.
async fn answer<C: ConnectionLike>(connection: &mut C, batch: &mut Vec<Lookup>) {
    // Checks given up by their callers (timed out) need no answer.
    batch.retain(|lookup| !lookup.answer.is_closed());
    if batch.is_empty() {
        return;
    }
    let commands = batch.iter().map(|lookup| lookup.query.commands()).sum();
    let mut pipeline = ::redis::Pipeline::with_capacity(commands);
    for lookup in batch.iter() {
        lookup.query.add_to(&mut pipeline);
    }
    let outcome: Result<Vec<::redis::Value>, _> = pipeline.query_async(connection).await;
    match outcome {
        Ok(replies) if replies.len() == commands => {
            let mut replies = replies.into_iter();
            for lookup in batch.drain(..) {
                let found = lookup.query.read(&mut replies).map_err(BlocklistError::new);
                // A caller that has given up in the meantime: nothing to do.
                let _ = lookup.answer.send(found);
            }
        }
        Ok(replies) => {
            let message = format!(
                "Redis answered {} results to a pipeline of {commands} commands",
                replies.len(),
            );
            for lookup in batch.drain(..) {
                let _ = lookup
                    .answer
                    .send(Err(BlocklistError::new(message.clone())));
            }
        }
        Err(error) => {
            for lookup in batch.drain(..) {
                let _ = lookup.answer.send(Err(BlocklistError::from_source(
                    "Redis lookup failed",
                    error.clone(),
                )));
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
    use super::{Found, LookupQueue, MAX_BATCH, QUEUE_CAPACITY, Query, validate_prefix};

    impl<C> LookupQueue<C>
    where
        C: ::redis::aio::ConnectionLike + Clone + Send + Sync + 'static,
    {
        /// Whether any of `keys` is recorded (a check without identity).
        async fn is_revoked(&self, keys: Vec<String>) -> Result<bool, BlocklistError> {
            let found = self.lookup(Query { keys, cutoff: None }).await?;
            Ok(found.recorded)
        }
    }

    /// A Redis stand-in: answers `EXISTS` pipelines from a set of keys,
    /// records the size of every pipeline, can hold pipelines back (each
    /// takes a permit of `gate`) and can fail them.
    #[derive(Clone)]
    struct Fake {
        revoked: Arc<HashSet<String>>,
        pipelines: Arc<Mutex<Vec<usize>>>,
        gate: Arc<Semaphore>,
        failing: Arc<AtomicBool>,
    }

    impl Fake {
        fn new(revoked: impl IntoIterator<Item = String>) -> Self {
            Self {
                revoked: Arc::new(revoked.into_iter().collect()),
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

        /// The reply to one command: `GET` answers the cut-off of
        /// `cutoff-<n>` keys (`n` itself), `EXISTS` counts revoked keys.
        fn reply(&self, cmd: &Cmd) -> Value {
            let mut args = cmd.args_iter();
            if matches!(args.next(), Some(Arg::Simple(b"GET"))) {
                return match args.next() {
                    Some(Arg::Simple(key)) => std::str::from_utf8(key)
                        .ok()
                        .and_then(|key| key.strip_prefix("cutoff-"))
                        .map_or(Value::Nil, |n| Value::BulkString(n.as_bytes().to_vec())),
                    _ => Value::Nil,
                };
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
        let queue = Arc::new(LookupQueue::new(redis.clone()));
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
        let queue = Arc::new(LookupQueue::new(redis.clone()));
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
        let queue = Arc::new(LookupQueue::new(redis.clone()));
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
        let queue = Arc::new(LookupQueue::new(redis.clone()));
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
        let queue = Arc::new(LookupQueue::new(redis.clone()));
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
        let queue = Arc::new(LookupQueue::new(redis.clone()));
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
        let queue = LookupQueue::new(fake(10));
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
        let queue = Arc::new(LookupQueue::new(redis.clone()));
        let lookups: Vec<_> = (0..10)
            .map(|i| {
                let queue = Arc::clone(&queue);
                // Tokens 0..5 have an identity (cut-off `i` for even ones),
                // the others none.
                let cutoff = (i < 5).then(|| {
                    if i % 2 == 0 {
                        format!("cutoff-{i}")
                    } else {
                        format!("none-{i}")
                    }
                });
                let query = Query {
                    keys: vec![key(i)],
                    cutoff,
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
        // One EXISTS per token, one GET per token with an identity, all in
        // one pipeline.
        assert_eq!(redis.pipelines(), [15]);
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
