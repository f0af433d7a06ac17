//! The SQL blocklist store (SQLite and PostgreSQL, on `sqlx`).

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::AssertSqlSafe;

use super::{Blocklist, BlocklistError, Revocation, RevocationKeys};

#[path = "sql_sessions.rs"]
mod sessions;

/// The table [`SqlBlocklist`] uses unless told otherwise.
pub const DEFAULT_TABLE_NAME: &str = "jwt_blocklist";

/// The longest table name accepted (PostgreSQL's identifier limit, minus
/// room for the index name derived from it).
const MAX_TABLE_NAME_LEN: usize = 48;

/// A connection pool for [`SqlBlocklist`]: build it from a `sqlx` pool with
/// `From`/`Into`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SqlPool {
    /// A SQLite pool (feature `sqlite`).
    #[cfg(feature = "sqlite")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
    Sqlite(sqlx::SqlitePool),
    /// A PostgreSQL pool (feature `postgres`).
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    Postgres(sqlx::PgPool),
}

#[cfg(feature = "sqlite")]
impl From<sqlx::SqlitePool> for SqlPool {
    fn from(pool: sqlx::SqlitePool) -> Self {
        Self::Sqlite(pool)
    }
}

#[cfg(feature = "postgres")]
impl From<sqlx::PgPool> for SqlPool {
    fn from(pool: sqlx::PgPool) -> Self {
        Self::Postgres(pool)
    }
}

/// The statements of one table, built once from the validated table name.
#[derive(Debug)]
struct Statements {
    create_table: Arc<str>,
    create_index: Arc<str>,
    check: Arc<str>,
    insert: Arc<str>,
    purge: Arc<str>,
    sessions: sessions::SessionStatements,
}

impl Statements {
    fn new(pool: &SqlPool, table: &str) -> Self {
        // `table` is validated by `validate_table_name`: letters, digits and
        // underscores only, so quoting it cannot be escaped.
        let (create_table, create_index, check, insert, purge) = match pool {
            #[cfg(feature = "sqlite")]
            SqlPool::Sqlite(_) => (
                format!(
                    r#"CREATE TABLE IF NOT EXISTS "{table}" (
    jti TEXT NOT NULL PRIMARY KEY,
    token_type TEXT NOT NULL,
    identity TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    expires_at INTEGER
)"#
                ),
                format!(
                    r#"CREATE INDEX IF NOT EXISTS "{table}_expires_at_idx" ON "{table}" (expires_at)"#
                ),
                format!(r#"SELECT EXISTS (SELECT 1 FROM "{table}" WHERE jti = ?1 OR jti = ?2)"#),
                format!(
                    r#"INSERT INTO "{table}" (jti, token_type, identity, revoked_at, expires_at)
VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (jti) DO UPDATE SET expires_at = CASE
    WHEN "{table}".expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL
    ELSE max("{table}".expires_at, excluded.expires_at)
END"#
                ),
                format!(
                    r#"DELETE FROM "{table}" WHERE expires_at IS NOT NULL AND expires_at <= ?1"#
                ),
            ),
            #[cfg(feature = "postgres")]
            SqlPool::Postgres(_) => (
                format!(
                    r#"CREATE TABLE IF NOT EXISTS "{table}" (
    jti TEXT PRIMARY KEY,
    token_type TEXT NOT NULL,
    identity JSONB NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ
)"#
                ),
                format!(
                    r#"CREATE INDEX IF NOT EXISTS "{table}_expires_at_idx" ON "{table}" (expires_at)"#
                ),
                format!(r#"SELECT EXISTS (SELECT 1 FROM "{table}" WHERE jti = $1 OR jti = $2)"#),
                format!(
                    r#"INSERT INTO "{table}" (jti, token_type, identity, revoked_at, expires_at)
VALUES ($1, $2, $3::jsonb, to_timestamp($4::float8), to_timestamp($5::float8))
ON CONFLICT (jti) DO UPDATE SET expires_at = CASE
    WHEN "{table}".expires_at IS NULL OR EXCLUDED.expires_at IS NULL THEN NULL
    ELSE greatest("{table}".expires_at, EXCLUDED.expires_at)
END"#
                ),
                format!(
                    r#"DELETE FROM "{table}" WHERE expires_at IS NOT NULL AND expires_at <= to_timestamp($1::float8)"#
                ),
            ),
        };
        Self {
            create_table: create_table.into(),
            create_index: create_index.into(),
            check: check.into(),
            insert: insert.into(),
            purge: purge.into(),
            sessions: sessions::SessionStatements::new(pool, table),
        }
    }

    /// Every table and index [`SqlBlocklist::migrate`] creates, in order:
    /// the blocklist's, then the sessions' and the cut-offs'.
    fn creation(&self) -> impl Iterator<Item = &Arc<str>> {
        [&self.create_table, &self.create_index]
            .into_iter()
            .chain(&self.sessions.create)
    }
}

/// A blocklist in a SQL table, on SQLite or PostgreSQL (`sqlx`).
///
/// With PostgreSQL (or a SQLite file on a shared disk), every app instance
/// using the same table shares one revocation state, and revocations survive
/// restarts.
///
/// # Tables
///
/// [`migrate`](Self::migrate) creates them (`IF NOT EXISTS`, so call it at
/// every start-up). The blocklist table is [`DEFAULT_TABLE_NAME`] unless
/// set with [`with_table_name`](Self::with_table_name); the session tables
/// are named after it (`jwt_blocklist_sessions`, `jwt_blocklist_cutoffs`),
/// so do not name another store's table like one of them.
///
/// The blocklist, `<table>`:
///
/// | Column | SQLite | PostgreSQL | Content |
/// |---|---|---|---|
/// | `jti` | `TEXT PRIMARY KEY` | `TEXT PRIMARY KEY` | the token's `jti` (or a session id): unique and indexed |
/// | `token_type` | `TEXT` | `TEXT` | `access`, `refresh`, `session`, … |
/// | `identity` | `TEXT` (JSON) | `JSONB` | the identity claim value, as JSON |
/// | `revoked_at` | `INTEGER` (Unix s) | `TIMESTAMPTZ` | when it was revoked |
/// | `expires_at` | `INTEGER` (Unix s) | `TIMESTAMPTZ` | when the entry may go; `NULL` = never |
///
/// Plus an index on `expires_at` for [`purge_expired`](Self::purge_expired).
/// A row counts as revoked whether or not it has expired (an expired token
/// is refused anyway); call `purge_expired` from time to time to keep the
/// table small. Revoking a `jti` twice keeps one row and the later expiry.
///
/// The sessions ([`SessionStore`](super::SessionStore), used when the store
/// is given to
/// [`JwtManagerBuilder::session_store`](crate::JwtManagerBuilder::session_store)),
/// `<table>_sessions`, one row per session, indexed on
/// `(identity, created_at)` and on `expires_at`. Times are Unix seconds in
/// `INTEGER` (SQLite) or `BIGINT` (PostgreSQL) columns:
///
/// | Column | Content |
/// |---|---|
/// | `id` (`TEXT PRIMARY KEY`) | the session id (`sid`) |
/// | `identity` | the identity ([`identity_key`](super::identity_key): the claim's JSON text) |
/// | `current_jti` | the `jti` of the session's current refresh token |
/// | `previous_jti`, `rotated_at_ms` | the refresh token it replaced, and when (Unix ms); `NULL` before the first rotation |
/// | `created_at`, `last_refreshed_at` | when the session started and was last rotated (`NULL`: never) |
/// | `expires_at` | when the session ends: the `exp` of its first refresh token |
/// | `metadata` | what the app attached, as JSON text |
///
/// and the "log out everywhere" cut-offs, `<table>_cutoffs`, one row per
/// identity, indexed on `expires_at`: `identity` (`TEXT PRIMARY KEY`),
/// `revoked_before` (tokens with an `iat` at or before it are refused),
/// `expires_at` (`NULL`: kept forever). A second cut-off keeps the later
/// instant and the later expiry.
///
/// A rotation is one transaction whose first statement is a conditional
/// `UPDATE … WHERE id = … AND current_jti = <presented> AND expires_at > …`:
/// only the exchange of the current refresh token changes the row. On
/// PostgreSQL a concurrent exchange of the same token waits on the row lock
/// and then finds `current_jti` changed; on SQLite the transaction begins
/// `IMMEDIATE`, holding the database's write lock. Either way, of any
/// number of concurrent exchanges through any number of instances, exactly
/// one rotates; the others read the row and get a retry (grace window) or
/// reuse (the session row is deleted).
///
/// Checking a token is one query: `SELECT EXISTS (…)` on the blocklist's
/// primary key for the token's `jti` and session id, and, with a session
/// store, `OR EXISTS (…)` on the cut-off of its identity (primary key).
/// [`sessions`](super::SessionStore::sessions) deletes the identity's ended
/// sessions; `purge_expired` deletes everyone's, and expired cut-offs.
///
/// # In-memory SQLite
///
/// Each connection to `sqlite::memory:` is a separate, empty database, gone
/// when the connection closes. Use a pool of exactly one connection that is
/// never closed, as below (fine for tests and demos; revocations are lost on
/// restart).
///
/// # Example
///
/// ```
/// use jwt_extended::blocklist::SqlBlocklist;
/// use jwt_extended::blocklist::sqlx::sqlite::SqlitePoolOptions;
/// use jwt_extended::{JwtConfig, JwtManager};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = SqlitePoolOptions::new()
///     .max_connections(1)
///     .min_connections(1)
///     .idle_timeout(None)
///     .max_lifetime(None)
///     .connect("sqlite::memory:")
///     .await?;
/// let store = SqlBlocklist::new(pool).with_table_name("revoked_tokens")?;
/// store.migrate().await?;
///
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("super-secret"))
///     .blocklist(store.clone())
///     .build()?;
/// let token = jwt.decode_token(&jwt.create_access_token("alice")?).await?;
/// jwt.revoke(&token).await?;
/// assert!(jwt.is_revoked(&token).await?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqlBlocklist {
    pool: SqlPool,
    table: Arc<str>,
    statements: Arc<Statements>,
}

impl fmt::Debug for SqlBlocklist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match &self.pool {
            #[cfg(feature = "sqlite")]
            SqlPool::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            SqlPool::Postgres(_) => "postgres",
        };
        f.debug_struct("SqlBlocklist")
            .field("backend", &backend)
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn query_failed(e: sqlx::Error) -> BlocklistError {
    BlocklistError::from_source("SQL blocklist query failed", e)
}

/// Letters, digits and `_`, not starting with a digit, at most 48 bytes: a
/// name that needs no escaping in SQLite or PostgreSQL.
fn validate_table_name(name: &str) -> Result<(), BlocklistError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_TABLE_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(BlocklistError::new(format!(
            "invalid blocklist table name {name:?}: use 1 to {MAX_TABLE_NAME_LEN} ASCII letters, \
             digits or underscores, not starting with a digit"
        )))
    }
}

impl SqlBlocklist {
    /// A store on `pool` (a `sqlx::SqlitePool` or `sqlx::PgPool`), using the
    /// table [`DEFAULT_TABLE_NAME`]. Call [`migrate`](Self::migrate) before
    /// use.
    ///
    /// ```no_run
    /// use jwt_extended::blocklist::{SqlBlocklist, sqlx::PgPool};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = PgPool::connect("postgres://app@db.internal/app").await?;
    /// let store = SqlBlocklist::new(pool);
    /// store.migrate().await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn new(pool: impl Into<SqlPool>) -> Self {
        let pool = pool.into();
        let statements = Arc::new(Statements::new(&pool, DEFAULT_TABLE_NAME));
        Self {
            pool,
            table: Arc::from(DEFAULT_TABLE_NAME),
            statements,
        }
    }

    /// Uses another table. The name is checked, never escaped: ASCII
    /// letters, digits and `_`, not starting with a digit, at most 48 bytes.
    /// It is used quoted, so it is case-sensitive in PostgreSQL. To use
    /// another PostgreSQL schema, set the connection's `search_path`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let pool = jwt_extended::blocklist::sqlx::SqlitePool::connect("sqlite::memory:").await?;
    /// use jwt_extended::blocklist::SqlBlocklist;
    ///
    /// let store = SqlBlocklist::new(pool);
    /// assert!(store.clone().with_table_name("revoked_tokens").is_ok());
    /// assert!(store.with_table_name("x; DROP TABLE users").is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// If the name does not follow these rules.
    pub fn with_table_name(mut self, name: impl Into<String>) -> Result<Self, BlocklistError> {
        let name = name.into();
        validate_table_name(&name)?;
        self.statements = Arc::new(Statements::new(&self.pool, &name));
        self.table = Arc::from(name);
        Ok(self)
    }

    /// The table name.
    #[must_use]
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// The connection pool.
    #[must_use]
    pub fn pool(&self) -> &SqlPool {
        &self.pool
    }

    /// Creates the tables and their indexes (the blocklist's, the sessions'
    /// and the cut-offs', see [Tables](Self#tables)) if they do not exist.
    /// Safe to call at every start-up, from several instances at once (on
    /// PostgreSQL the instances take turns through an advisory lock).
    ///
    /// # Errors
    /// If the database refuses the statements.
    pub async fn migrate(&self) -> Result<(), BlocklistError> {
        let s = &*self.statements;
        match &self.pool {
            #[cfg(feature = "sqlite")]
            SqlPool::Sqlite(pool) => {
                let mut tx = pool.begin().await.map_err(query_failed)?;
                for statement in s.creation() {
                    sqlx::query(AssertSqlSafe(statement.clone()))
                        .execute(&mut *tx)
                        .await
                        .map_err(query_failed)?;
                }
                tx.commit().await.map_err(query_failed)
            }
            #[cfg(feature = "postgres")]
            SqlPool::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(query_failed)?;
                // Concurrent `CREATE TABLE IF NOT EXISTS` can still collide in
                // PostgreSQL's catalog; serialise the instances.
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(format!("jwt_extended:{}", self.table))
                    .execute(&mut *tx)
                    .await
                    .map_err(query_failed)?;
                for statement in s.creation() {
                    sqlx::query(AssertSqlSafe(statement.clone()))
                        .execute(&mut *tx)
                        .await
                        .map_err(query_failed)?;
                }
                tx.commit().await.map_err(query_failed)
            }
        }
    }

    /// Deletes the rows whose tokens have expired (and so can no longer be
    /// used), the sessions that have ended and the cut-offs that have
    /// expired; returns how many rows went in all. Run it periodically, e.g. from a
    /// `tokio::time::interval` task.
    ///
    /// ```no_run
    /// # fn run(store: jwt_extended::blocklist::SqlBlocklist) {
    /// use std::time::Duration;
    ///
    /// tokio::spawn(async move {
    ///     let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    ///     loop {
    ///         every_hour.tick().await;
    ///         match store.purge_expired().await {
    ///             Ok(n) => tracing::debug!(rows = n, "purged expired revocations"),
    ///             Err(e) => tracing::warn!(error = %e, "purge failed"),
    ///         }
    ///     }
    /// });
    /// # }
    /// ```
    ///
    /// # Errors
    /// If the query fails.
    pub async fn purge_expired(&self) -> Result<u64, BlocklistError> {
        let now = now();
        let sql = AssertSqlSafe(self.statements.purge.clone());
        let done = match &self.pool {
            #[cfg(feature = "sqlite")]
            SqlPool::Sqlite(pool) => sqlx::query(sql)
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
            #[cfg(feature = "postgres")]
            SqlPool::Postgres(pool) => sqlx::query(sql)
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        };
        let revocations = done.map_err(query_failed)?;
        Ok(revocations + self.purge_sessions(now).await?)
    }
}

impl Blocklist for SqlBlocklist {
    async fn is_revoked(&self, keys: RevocationKeys<'_>) -> Result<bool, BlocklistError> {
        if let Some((identity, issued_at)) = keys.identity() {
            return self.is_revoked_or_cut_off(keys, identity, issued_at).await;
        }
        let mut keys = keys.iter();
        let Some(first) = keys.next() else {
            return Ok(false);
        };
        let second = keys.next().unwrap_or(first);
        let sql = AssertSqlSafe(self.statements.check.clone());
        let found = match &self.pool {
            #[cfg(feature = "sqlite")]
            SqlPool::Sqlite(pool) => {
                sqlx::query_scalar::<_, bool>(sql)
                    .bind(first)
                    .bind(second)
                    .fetch_one(pool)
                    .await
            }
            #[cfg(feature = "postgres")]
            SqlPool::Postgres(pool) => {
                sqlx::query_scalar::<_, bool>(sql)
                    .bind(first)
                    .bind(second)
                    .fetch_one(pool)
                    .await
            }
        };
        found.map_err(query_failed)
    }

    async fn revoke(&self, revocation: &Revocation) -> Result<(), BlocklistError> {
        let now = now();
        if revocation.expires_at.is_some_and(|exp| exp <= now) {
            return Ok(()); // expired: nothing to block
        }
        let identity = serde_json::to_string(&revocation.identity)
            .map_err(|e| BlocklistError::from_source("the identity cannot be stored as JSON", e))?;
        let sql = AssertSqlSafe(self.statements.insert.clone());
        let done = match &self.pool {
            #[cfg(feature = "sqlite")]
            SqlPool::Sqlite(pool) => sqlx::query(sql)
                .bind(revocation.key.as_str())
                .bind(revocation.kind.as_str())
                .bind(identity)
                .bind(now)
                .bind(revocation.expires_at)
                .execute(pool)
                .await
                .map(drop),
            #[cfg(feature = "postgres")]
            SqlPool::Postgres(pool) => sqlx::query(sql)
                .bind(revocation.key.as_str())
                .bind(revocation.kind.as_str())
                .bind(identity)
                .bind(now)
                .bind(revocation.expires_at)
                .execute(pool)
                .await
                .map(drop),
        };
        done.map_err(query_failed)
    }
}

#[cfg(test)]
mod tests {
    use super::validate_table_name;

    #[test]
    fn table_names_are_validated() {
        for ok in ["jwt_blocklist", "T", "_x1", &"a".repeat(48)] {
            assert!(validate_table_name(ok).is_ok(), "{ok:?} should be accepted");
        }
        for bad in [
            "",
            "1abc",
            "a-b",
            "a b",
            "a.b",
            "x\"; DROP TABLE users; --",
            "t'",
            "é",
            &"a".repeat(49),
        ] {
            assert!(
                validate_table_name(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
