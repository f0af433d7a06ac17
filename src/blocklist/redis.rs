//! The Redis blocklist store.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Blocklist, BlocklistError, Revocation, revocation_keys};
use crate::token::DecodedToken;

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
/// Checking is one round trip: `EXISTS` on the token's
/// [revocation keys](super::revocation_keys) (its `jti`, and its session id
/// when it has one).
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
    async fn is_revoked(&self, token: &DecodedToken) -> Result<bool, BlocklistError> {
        let keys: Vec<String> = revocation_keys(token).map(|k| self.key(k)).collect();
        if keys.is_empty() {
            return Ok(false);
        }
        let mut connection = self.connection.clone();
        let found: u64 = ::redis::cmd("EXISTS")
            .arg(&keys)
            .query_async(&mut connection)
            .await
            .map_err(|e| BlocklistError::from_source("Redis EXISTS failed", e))?;
        Ok(found > 0)
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
            .arg(self.key(&revocation.jti))
            .arg(ttl)
            .exec_async(&mut connection)
            .await
            .map_err(|e| BlocklistError::from_source("Redis revocation failed", e))
    }
}

#[cfg(test)]
mod tests {
    use super::validate_prefix;

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
