//! [`SessionStore`] for [`SqlBlocklist`]: sessions and identity cut-offs in
//! two tables beside the blocklist's, `<table>_sessions` and
//! `<table>_cutoffs`, created by [`SqlBlocklist::migrate`].
//!
//! A rotation is one transaction whose first statement is a conditional
//! `UPDATE` of the session's row (it succeeds only for the current `jti`).
//! On PostgreSQL (READ COMMITTED) a second, concurrent `UPDATE` of the row
//! waits for the first transaction and re-checks its condition on the row
//! the first one committed, so it no longer matches; the loser then reads
//! the row `FOR UPDATE` and decides retry or reuse on committed data. On
//! SQLite the transaction starts with `BEGIN IMMEDIATE`: it holds the
//! database's only write lock from the start, so rotations run one after
//! the other.

use std::sync::Arc;

use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;

use super::{SqlBlocklist, SqlPool, now, query_failed};
use crate::blocklist::{
    BlocklistError, IdentityCutoff, RevocationKeys, Rotation, RotationOutcome, SessionInfo,
    SessionRecord, SessionStore,
};

/// Runs `$body` with `$pool` bound to the backend's own pool type.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            #[cfg(feature = "sqlite")]
            SqlPool::Sqlite($p) => $body,
            #[cfg(feature = "postgres")]
            SqlPool::Postgres($p) => $body,
        }
    };
}

/// What differs between the two dialects in these statements.
struct Dialect {
    /// The type of a Unix time column.
    int: &'static str,
    /// The two-argument maximum.
    greatest: &'static str,
    /// The cast that gives a bare integer parameter its type.
    int_cast: &'static str,
    /// Locks the row read in the rotation's fallback path.
    lock: &'static str,
    /// Starts the rotation's transaction.
    begin: &'static str,
}

impl Dialect {
    fn of(pool: &SqlPool) -> Self {
        match pool {
            #[cfg(feature = "sqlite")]
            SqlPool::Sqlite(_) => Self {
                int: "INTEGER",
                greatest: "max",
                int_cast: "",
                lock: "",
                begin: "BEGIN IMMEDIATE",
            },
            #[cfg(feature = "postgres")]
            SqlPool::Postgres(_) => Self {
                int: "BIGINT",
                greatest: "greatest",
                int_cast: "::bigint",
                lock: " FOR UPDATE",
                begin: "BEGIN",
            },
        }
    }
}

/// The session statements of one blocklist table, built once from its
/// validated name (letters, digits and `_` only, so quoting is enough).
/// Parameters are `$n`, which SQLite accepts as well.
#[derive(Debug)]
pub(super) struct SessionStatements {
    /// The tables and indexes, in order (all `IF NOT EXISTS`).
    pub(super) create: Vec<Arc<str>>,
    /// Keys and cut-off in one query.
    pub(super) check_with_identity: Arc<str>,
    /// Ended sessions and expired cut-offs.
    pub(super) purge: [Arc<str>; 2],
    begin: &'static str,
    insert_session: Arc<str>,
    rotate: Arc<str>,
    read_family: Arc<str>,
    forget_session: Arc<str>,
    forget_ended: Arc<str>,
    list: Arc<str>,
    delete_owned: Arc<str>,
    upsert_cutoff: Arc<str>,
}

impl SessionStatements {
    pub(super) fn new(pool: &SqlPool, table: &str) -> Self {
        let d = Dialect::of(pool);
        let sessions = format!(r#""{table}_sessions""#);
        let cutoffs = format!(r#""{table}_cutoffs""#);
        let columns = "id, created_at, last_refreshed_at, expires_at, metadata";
        Self {
            create: create_statements(&d, table).map(Arc::from).to_vec(),
            check_with_identity: format!(
                r#"SELECT EXISTS (SELECT 1 FROM "{table}" WHERE jti = $1 OR jti = $2)
    OR EXISTS (SELECT 1 FROM {cutoffs} WHERE identity = $3
        AND (expires_at IS NULL OR expires_at > $5)
        AND ($4{cast} IS NULL OR $4{cast} <= revoked_before))"#,
                cast = d.int_cast,
            )
            .into(),
            purge: [
                format!("DELETE FROM {sessions} WHERE expires_at <= $1").into(),
                format!(
                    "DELETE FROM {cutoffs} WHERE expires_at IS NOT NULL AND expires_at <= $1"
                )
                .into(),
            ],
            begin: d.begin,
            insert_session: format!(
                r#"INSERT INTO {sessions} (id, identity, current_jti, created_at, expires_at, metadata)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO UPDATE SET identity = excluded.identity,
    current_jti = excluded.current_jti, previous_jti = NULL, rotated_at_ms = NULL,
    created_at = excluded.created_at, last_refreshed_at = NULL,
    expires_at = excluded.expires_at, metadata = excluded.metadata"#
            )
            .into(),
            rotate: format!(
                r#"UPDATE {sessions}
SET previous_jti = current_jti, current_jti = $3, rotated_at_ms = $4, last_refreshed_at = $5
WHERE id = $1 AND current_jti = $2 AND expires_at > $5"#
            )
            .into(),
            read_family: format!(
                "SELECT current_jti, previous_jti, rotated_at_ms, expires_at FROM {sessions} WHERE id = $1{}",
                d.lock
            )
            .into(),
            forget_session: format!("DELETE FROM {sessions} WHERE id = $1").into(),
            forget_ended: format!(
                "DELETE FROM {sessions} WHERE identity = $1 AND expires_at <= $2"
            )
            .into(),
            list: format!(
                "SELECT {columns} FROM {sessions} WHERE identity = $1 AND expires_at > $2 ORDER BY created_at, id"
            )
            .into(),
            delete_owned: format!(
                "DELETE FROM {sessions} WHERE id = $1 AND identity = $2 RETURNING {columns}"
            )
            .into(),
            upsert_cutoff: format!(
                r#"INSERT INTO {cutoffs} (identity, revoked_before, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (identity) DO UPDATE SET
    revoked_before = {g}({cutoffs}.revoked_before, excluded.revoked_before),
    expires_at = CASE
        WHEN {cutoffs}.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL
        ELSE {g}({cutoffs}.expires_at, excluded.expires_at)
    END"#,
                g = d.greatest,
            )
            .into(),
        }
    }
}

/// The two tables and their indexes. Index names add at most 13 bytes to
/// the table name (48 at most), within PostgreSQL's 63.
fn create_statements(d: &Dialect, table: &str) -> [String; 5] {
    let int = d.int;
    [
        format!(
            r#"CREATE TABLE IF NOT EXISTS "{table}_sessions" (
    id TEXT NOT NULL PRIMARY KEY,
    identity TEXT NOT NULL,
    current_jti TEXT NOT NULL,
    previous_jti TEXT,
    rotated_at_ms {int},
    created_at {int} NOT NULL,
    last_refreshed_at {int},
    expires_at {int} NOT NULL,
    metadata TEXT NOT NULL
)"#
        ),
        format!(
            r#"CREATE INDEX IF NOT EXISTS "{table}_sessions_idx" ON "{table}_sessions" (identity, created_at)"#
        ),
        format!(
            r#"CREATE INDEX IF NOT EXISTS "{table}_sessions_exp" ON "{table}_sessions" (expires_at)"#
        ),
        format!(
            r#"CREATE TABLE IF NOT EXISTS "{table}_cutoffs" (
    identity TEXT NOT NULL PRIMARY KEY,
    revoked_before {int} NOT NULL,
    expires_at {int}
)"#
        ),
        format!(
            r#"CREATE INDEX IF NOT EXISTS "{table}_cutoffs_exp" ON "{table}_cutoffs" (expires_at)"#
        ),
    ]
}

/// A session row as `list` and `delete_owned` return it.
type SessionRow = (String, i64, Option<i64>, i64, String);

/// The rotation state of a session: current and previous `jti`, when the
/// previous one was replaced (ms), when the session ends (s).
type FamilyRow = (String, Option<String>, Option<i64>, i64);

fn session_info(row: SessionRow) -> Result<SessionInfo, BlocklistError> {
    let (id, created_at, last_refreshed_at, expires_at, metadata) = row;
    let metadata: Map<String, Value> = serde_json::from_str(&metadata).map_err(|e| {
        BlocklistError::from_source("stored session metadata is not a JSON object", e)
    })?;
    Ok(SessionInfo::new(
        id,
        created_at,
        last_refreshed_at,
        expires_at,
        metadata,
    ))
}

/// Decides an exchange the conditional update did not win, from the
/// session's committed state (`None`: no such session). Returns the outcome
/// and whether to delete the row (reuse, or a session that has ended).
fn decide(family: Option<FamilyRow>, rotation: &Rotation<'_>) -> (RotationOutcome, bool) {
    let Some((current, previous, rotated_at_ms, expires_at)) = family else {
        return (RotationOutcome::Unknown, false);
    };
    if expires_at <= rotation.now_ms.div_euclid(1000) {
        return (RotationOutcome::Unknown, true);
    }
    let within_grace = rotation.grace_ms > 0
        && previous.as_deref() == Some(rotation.presented_jti)
        && rotated_at_ms.is_some_and(|at| rotation.now_ms - at <= rotation.grace_ms);
    if within_grace {
        (
            RotationOutcome::Retry {
                current_jti: current,
            },
            false,
        )
    } else {
        (RotationOutcome::Reused, true)
    }
}

impl SqlBlocklist {
    /// Whether one of `keys` is recorded or the identity's cut-off revokes
    /// the token: one query.
    pub(super) async fn is_revoked_or_cut_off(
        &self,
        keys: RevocationKeys<'_>,
        identity: &str,
        issued_at: Option<i64>,
    ) -> Result<bool, BlocklistError> {
        let sql = AssertSqlSafe(self.statements.sessions.check_with_identity.clone());
        let found = on_pool!(&self.pool, pool => {
            sqlx::query_scalar::<_, bool>(sql)
                .bind(keys.jti())
                .bind(keys.session_id())
                .bind(identity)
                .bind(issued_at)
                .bind(now())
                .fetch_one(pool)
                .await
        });
        found.map_err(query_failed)
    }

    /// Deletes ended sessions and expired cut-offs at `now`; returns how
    /// many rows went.
    pub(super) async fn purge_sessions(&self, now: i64) -> Result<u64, BlocklistError> {
        let mut purged = 0;
        for statement in &self.statements.sessions.purge {
            let sql = AssertSqlSafe(statement.clone());
            let done = on_pool!(&self.pool, pool => {
                sqlx::query(sql).bind(now).execute(pool).await.map(|r| r.rows_affected())
            });
            purged += done.map_err(query_failed)?;
        }
        Ok(purged)
    }
}

impl SessionStore for SqlBlocklist {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), BlocklistError> {
        let metadata = serde_json::to_string(&session.metadata).map_err(|e| {
            BlocklistError::from_source("the session metadata cannot be stored as JSON", e)
        })?;
        let sql = AssertSqlSafe(self.statements.sessions.insert_session.clone());
        let done = on_pool!(&self.pool, pool => {
            sqlx::query(sql)
                .bind(session.id.as_str())
                .bind(session.identity.as_str())
                .bind(session.refresh_jti.as_str())
                .bind(session.created_at)
                .bind(session.expires_at)
                .bind(metadata)
                .execute(pool)
                .await
                .map(drop)
        });
        done.map_err(query_failed)
    }

    async fn rotate(&self, rotation: &Rotation<'_>) -> Result<RotationOutcome, BlocklistError> {
        let s = &self.statements.sessions;
        let now_secs = rotation.now_ms.div_euclid(1000);
        on_pool!(&self.pool, pool => {
            let mut tx = pool.begin_with(s.begin).await.map_err(query_failed)?;
            let won = sqlx::query(AssertSqlSafe(s.rotate.clone()))
                .bind(rotation.session_id)
                .bind(rotation.presented_jti)
                .bind(rotation.next_jti)
                .bind(rotation.now_ms)
                .bind(now_secs)
                .execute(&mut *tx)
                .await
                .map_err(query_failed)?
                .rows_affected()
                == 1;
            let outcome = if won {
                RotationOutcome::Rotated
            } else {
                let family: Option<FamilyRow> = sqlx::query_as(AssertSqlSafe(s.read_family.clone()))
                    .bind(rotation.session_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(query_failed)?;
                let (outcome, forget) = decide(family, rotation);
                if forget {
                    sqlx::query(AssertSqlSafe(s.forget_session.clone()))
                        .bind(rotation.session_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(query_failed)?;
                }
                outcome
            };
            tx.commit().await.map_err(query_failed)?;
            Ok(outcome)
        })
    }

    async fn sessions(&self, identity: &str, now: i64) -> Result<Vec<SessionInfo>, BlocklistError> {
        let s = &self.statements.sessions;
        let rows: Vec<SessionRow> = on_pool!(&self.pool, pool => {
            sqlx::query(AssertSqlSafe(s.forget_ended.clone()))
                .bind(identity)
                .bind(now)
                .execute(pool)
                .await
                .map_err(query_failed)?;
            sqlx::query_as(AssertSqlSafe(s.list.clone()))
                .bind(identity)
                .bind(now)
                .fetch_all(pool)
                .await
                .map_err(query_failed)?
        });
        rows.into_iter().map(session_info).collect()
    }

    async fn delete_session(
        &self,
        identity: &str,
        session_id: &str,
    ) -> Result<Option<SessionInfo>, BlocklistError> {
        let sql = AssertSqlSafe(self.statements.sessions.delete_owned.clone());
        let row: Option<SessionRow> = on_pool!(&self.pool, pool => {
            sqlx::query_as(sql)
                .bind(session_id)
                .bind(identity)
                .fetch_optional(pool)
                .await
                .map_err(query_failed)?
        });
        // An ended session is forgotten all the same, but was no longer one.
        row.filter(|(_, _, _, expires_at, _)| *expires_at > now())
            .map(session_info)
            .transpose()
    }

    async fn revoke_identity(&self, cutoff: &IdentityCutoff) -> Result<(), BlocklistError> {
        let sql = AssertSqlSafe(self.statements.sessions.upsert_cutoff.clone());
        let done = on_pool!(&self.pool, pool => {
            sqlx::query(sql)
                .bind(cutoff.identity.as_str())
                .bind(cutoff.revoked_before)
                .bind(cutoff.expires_at)
                .execute(pool)
                .await
                .map(drop)
        });
        done.map_err(query_failed)
    }
}

#[cfg(test)]
mod tests {
    use super::{FamilyRow, decide};
    use crate::blocklist::{Rotation, RotationOutcome};

    fn family(previous: Option<&str>, rotated_at_ms: Option<i64>) -> Option<FamilyRow> {
        Some((
            "current".into(),
            previous.map(str::to_owned),
            rotated_at_ms,
            2_000,
        ))
    }

    #[test]
    fn the_fallback_decides_as_the_contract_says() {
        let at = |presented, now_ms, grace_ms| Rotation::new("s", presented, "n", now_ms, grace_ms);
        let retry = RotationOutcome::Retry {
            current_jti: "current".into(),
        };
        assert_eq!(
            decide(None, &at("x", 0, 0)),
            (RotationOutcome::Unknown, false)
        );
        assert_eq!(
            decide(family(None, None), &at("x", 2_000_000, 0)),
            (RotationOutcome::Unknown, true)
        );
        let replaced = family(Some("p"), Some(1_000));
        assert_eq!(
            decide(replaced.clone(), &at("p", 1_500, 500)),
            (retry, false)
        );
        assert_eq!(
            decide(replaced.clone(), &at("p", 1_501, 500)),
            (RotationOutcome::Reused, true)
        );
        assert_eq!(
            decide(replaced.clone(), &at("p", 1_000, 0)),
            (RotationOutcome::Reused, true)
        );
        assert_eq!(
            decide(replaced, &at("older", 1_001, 500)),
            (RotationOutcome::Reused, true)
        );
    }
}
