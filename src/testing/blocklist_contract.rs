//! The contract every [`Blocklist`] store must meet, as a test suite you can
//! run against your own store (feature `test-util`).
//!
//! Every store of this crate (memory, Redis, SQLite, PostgreSQL) passes
//! these checks in its own test suite. Each check takes a fresh, empty store
//! and returns `Err` with what went wrong; [`run_all`] runs them all and
//! panics with the list of failures, which is what a test wants:
//!
//! ```
//! use jwt_extended::blocklist::MemoryBlocklist;
//! use jwt_extended::testing::blocklist_contract as contract;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // In your tests: one fresh store per check (use the name for a unique
//! // key prefix or table when the store is shared).
//! contract::run_all(|_check_name| async { MemoryBlocklist::new() }).await;
//! # }
//! ```
//!
//! The checks need a tokio runtime (`#[tokio::test]`). Two of them wait a
//! little over two seconds for entries to outlive a short expiry. The
//! manager-level checks build a [`JwtManager`] around
//! the store and go through revocation, sessions and token pairs, so a
//! store is checked with the keys and lifetimes the manager really writes.
//!
//! What the contract says (see [`Blocklist`]):
//! - a key is revoked from the moment [`Blocklist::revoke`] returns until at
//!   least its `expires_at` (forever for `None`);
//! - a token is revoked when any of its [`RevocationKeys`] is;
//! - revoking again never shortens what is already recorded;
//! - keys are opaque strings: any length and content a `jti` or session id
//!   can have (colons, braces, non-ASCII) must work;
//! - concurrent calls are safe.

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::blocklist::{Blocklist, Revocation, RevocationKeys, RevocationKind};
use crate::{DecodedToken, JwtConfig, JwtManager};

/// A check that did not hold: which one, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFailure {
    /// The check's name (the name of its function in this module).
    pub check: &'static str,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for ContractFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check, self.message)
    }
}

impl std::error::Error for ContractFailure {}

/// The outcome of one check.
pub type CheckResult = Result<(), ContractFailure>;

fn fail(check: &'static str, message: impl Into<String>) -> ContractFailure {
    ContractFailure {
        check,
        message: message.into(),
    }
}

fn ensure(check: &'static str, holds: bool, message: &str) -> CheckResult {
    if holds {
        Ok(())
    } else {
        Err(fail(check, message))
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A key no other check (or earlier run) uses.
fn unique_key(hint: &str) -> String {
    format!("{hint}-{}", uuid::Uuid::new_v4())
}

async fn revoked<S: Blocklist>(
    check: &'static str,
    store: &S,
    keys: RevocationKeys<'_>,
) -> Result<bool, ContractFailure> {
    store
        .is_revoked(keys)
        .await
        .map_err(|e| fail(check, format!("is_revoked failed: {e}")))
}

async fn revoke<S: Blocklist>(
    check: &'static str,
    store: &S,
    revocation: &Revocation,
) -> CheckResult {
    store
        .revoke(revocation)
        .await
        .map_err(|e| fail(check, format!("revoke failed: {e}")))
}

/// Every check of the contract, by name, in the order [`run_all`] runs them.
pub const CHECKS: &[&str] = &[
    "unknown_keys_are_not_revoked",
    "a_revoked_key_is_found",
    "either_key_revokes",
    "revoking_twice_is_harmless",
    "entries_without_expiry_stay",
    "entries_live_until_they_expire",
    "revoking_again_never_shortens",
    "keys_are_opaque_strings",
    "concurrent_calls",
    "manager_revokes_tokens",
    "manager_revokes_sessions",
    "manager_revokes_token_pairs",
];

/// Runs every check, each on a fresh store from `make_store` (called with
/// the check's name, handy for a unique key prefix or table), and panics
/// listing every failed check.
///
/// # Panics
/// When a check fails: that is how a test reports it.
pub async fn run_all<S, F, Fut>(mut make_store: F)
where
    S: Blocklist,
    F: FnMut(&'static str) -> Fut,
    Fut: Future<Output = S>,
{
    let mut failures = Vec::new();
    for &name in CHECKS {
        let store = make_store(name).await;
        if let Err(failure) = run_check(name, store).await {
            failures.push(failure.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "the store breaks the blocklist contract:\n  {}",
        failures.join("\n  ")
    );
}

/// Runs one check by its name (one of [`CHECKS`]).
///
/// # Errors
/// The check's failure, or a failure naming an unknown check.
pub async fn run_check<S: Blocklist>(name: &'static str, store: S) -> CheckResult {
    match name {
        "unknown_keys_are_not_revoked" => unknown_keys_are_not_revoked(store).await,
        "a_revoked_key_is_found" => a_revoked_key_is_found(store).await,
        "either_key_revokes" => either_key_revokes(store).await,
        "revoking_twice_is_harmless" => revoking_twice_is_harmless(store).await,
        "entries_without_expiry_stay" => entries_without_expiry_stay(store).await,
        "entries_live_until_they_expire" => entries_live_until_they_expire(store).await,
        "revoking_again_never_shortens" => revoking_again_never_shortens(store).await,
        "keys_are_opaque_strings" => keys_are_opaque_strings(store).await,
        "concurrent_calls" => concurrent_calls(store).await,
        "manager_revokes_tokens" => manager_revokes_tokens(store).await,
        "manager_revokes_sessions" => manager_revokes_sessions(store).await,
        "manager_revokes_token_pairs" => manager_revokes_token_pairs(store).await,
        _ => Err(fail(name, "no check of this name")),
    }
}

/// An empty store knows no key.
///
/// # Errors
/// When the check does not hold.
pub async fn unknown_keys_are_not_revoked<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "unknown_keys_are_not_revoked";
    let (jti, sid) = (unique_key("jti"), unique_key("sid"));
    let keys = RevocationKeys::new(Some(&jti), Some(&sid));
    ensure(
        CHECK,
        !revoked(CHECK, &store, keys).await?,
        "a key never revoked is reported revoked",
    )
}

/// A revoked key is found; another key is not.
///
/// # Errors
/// When the check does not hold.
pub async fn a_revoked_key_is_found<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "a_revoked_key_is_found";
    let (jti, other) = (unique_key("jti"), unique_key("other"));
    revoke(CHECK, &store, &Revocation::for_jti(&jti, Some(now() + 600))).await?;
    let found = revoked(CHECK, &store, RevocationKeys::new(Some(&jti), None)).await?;
    ensure(CHECK, found, "the revoked key is not found")?;
    let other_found = revoked(CHECK, &store, RevocationKeys::new(Some(&other), None)).await?;
    ensure(
        CHECK,
        !other_found,
        "a key that was not revoked is reported revoked",
    )
}

/// A token is revoked when its `jti` or its session id is.
///
/// # Errors
/// When the check does not hold.
pub async fn either_key_revokes<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "either_key_revokes";
    let (jti, sid, clean) = (unique_key("jti"), unique_key("sid"), unique_key("clean"));
    let session = Revocation::new(
        &sid,
        RevocationKind::Session,
        json!("alice"),
        Some(now() + 600),
    );
    revoke(CHECK, &store, &session).await?;
    let by_session = revoked(CHECK, &store, RevocationKeys::new(Some(&jti), Some(&sid))).await?;
    ensure(
        CHECK,
        by_session,
        "a token whose session id is revoked is not revoked",
    )?;
    revoke(CHECK, &store, &Revocation::for_jti(&jti, Some(now() + 600))).await?;
    let by_jti = revoked(CHECK, &store, RevocationKeys::new(Some(&jti), Some(&clean))).await?;
    ensure(
        CHECK,
        by_jti,
        "a token whose jti is revoked is not revoked (session id clean)",
    )?;
    let neither = revoked(CHECK, &store, RevocationKeys::new(Some(&clean), None)).await?;
    ensure(CHECK, !neither, "a clean key is reported revoked")
}

/// Revoking a key again succeeds and keeps it revoked.
///
/// # Errors
/// When the check does not hold.
pub async fn revoking_twice_is_harmless<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "revoking_twice_is_harmless";
    let jti = unique_key("jti");
    for _ in 0..3 {
        revoke(CHECK, &store, &Revocation::for_jti(&jti, Some(now() + 600))).await?;
    }
    let found = revoked(CHECK, &store, RevocationKeys::new(Some(&jti), None)).await?;
    ensure(CHECK, found, "a key revoked three times is not revoked")
}

/// An entry without `expires_at` stays.
///
/// # Errors
/// When the check does not hold.
pub async fn entries_without_expiry_stay<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "entries_without_expiry_stay";
    let jti = unique_key("jti");
    revoke(CHECK, &store, &Revocation::for_jti(&jti, None)).await?;
    let found = revoked(CHECK, &store, RevocationKeys::new(Some(&jti), None)).await?;
    ensure(CHECK, found, "an entry without expiry is not revoked")
}

/// An entry is there until its `expires_at`, even a near one.
///
/// # Errors
/// When the check does not hold.
pub async fn entries_live_until_they_expire<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "entries_live_until_they_expire";
    let jti = unique_key("jti");
    let until = now() + 3;
    revoke(CHECK, &store, &Revocation::for_jti(&jti, Some(until))).await?;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    if now() < until {
        let found = revoked(CHECK, &store, RevocationKeys::new(Some(&jti), None)).await?;
        ensure(CHECK, found, "an entry is gone before its expires_at")?;
    }
    Ok(())
}

/// Revoking a key again with an earlier expiry (or after a `None`) does
/// not shorten the entry.
///
/// # Errors
/// When the check does not hold.
pub async fn revoking_again_never_shortens<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "revoking_again_never_shortens";
    let (long, forever) = (unique_key("long"), unique_key("forever"));
    revoke(
        CHECK,
        &store,
        &Revocation::for_jti(&long, Some(now() + 3_600)),
    )
    .await?;
    revoke(CHECK, &store, &Revocation::for_jti(&long, Some(now() + 1))).await?;
    revoke(CHECK, &store, &Revocation::for_jti(&forever, None)).await?;
    revoke(
        CHECK,
        &store,
        &Revocation::for_jti(&forever, Some(now() + 1)),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let long_found = revoked(CHECK, &store, RevocationKeys::new(Some(&long), None)).await?;
    ensure(
        CHECK,
        long_found,
        "a second, shorter revocation shortened the entry",
    )?;
    let forever_found = revoked(CHECK, &store, RevocationKeys::new(Some(&forever), None)).await?;
    ensure(
        CHECK,
        forever_found,
        "a revocation with an expiry shortened an entry without one",
    )
}

/// Keys are opaque: colons, braces, spaces, quotes, non-ASCII and long keys
/// are stored and found as they are, and do not collide.
///
/// # Errors
/// When the check does not hold.
pub async fn keys_are_opaque_strings<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "keys_are_opaque_strings";
    let base = unique_key("k");
    let odd = [
        format!("{base}:a:b"),
        format!("{{{base}}}"),
        format!("{base} with spaces"),
        format!("{base}'\"%_"),
        format!("{base}-ключ-鍵"),
        format!("{base}-{}", "x".repeat(1_000)),
    ];
    for key in &odd {
        revoke(CHECK, &store, &Revocation::for_jti(key, Some(now() + 600))).await?;
    }
    for key in &odd {
        let found = revoked(CHECK, &store, RevocationKeys::new(Some(key), None)).await?;
        ensure(
            CHECK,
            found,
            &format!("key {:?} is not found", truncate(key)),
        )?;
    }
    for near in [
        format!("{base}:a"),
        format!("{base}%"),
        format!("{base}'\"__"),
    ] {
        let found = revoked(CHECK, &store, RevocationKeys::new(Some(&near), None)).await?;
        ensure(
            CHECK,
            !found,
            &format!("key {near:?} matches another key (pattern or prefix match?)"),
        )?;
    }
    Ok(())
}

fn truncate(key: &str) -> String {
    key.chars().take(40).collect()
}

/// Concurrent revocations and checks on one store all succeed, and every
/// revoked key is found afterwards.
///
/// # Errors
/// When the check does not hold.
pub async fn concurrent_calls<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "concurrent_calls";
    let keys: Vec<String> = (0..64).map(|i| unique_key(&format!("c{i}"))).collect();
    let calls = keys.iter().enumerate().map(|(i, key)| {
        let store = &store;
        async move {
            if i % 2 == 0 {
                revoke(CHECK, store, &Revocation::for_jti(key, Some(now() + 600))).await
            } else {
                revoked(CHECK, store, RevocationKeys::new(Some(key), None))
                    .await
                    .map(drop)
            }
        }
    });
    for outcome in join_all(calls).await {
        outcome?;
    }
    for key in keys.iter().step_by(2) {
        let found = revoked(CHECK, &store, RevocationKeys::new(Some(key), None)).await?;
        ensure(CHECK, found, "a key revoked concurrently is not found")?;
    }
    Ok(())
}

/// Polls every future on this task until all are done (what
/// `futures::future::join_all` does, without the dependency).
async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

fn manager<S: Blocklist>(
    check: &'static str,
    store: S,
    config: JwtConfig,
) -> Result<JwtManager, ContractFailure> {
    JwtManager::builder(config.with_secret_key("blocklist-contract-secret-of-32+bytes"))
        .blocklist(store)
        .build()
        .map_err(|e| fail(check, format!("building the manager: {e}")))
}

async fn decode(
    check: &'static str,
    jwt: &JwtManager,
    token: &str,
) -> Result<DecodedToken, ContractFailure> {
    jwt.decode_token(token)
        .await
        .map_err(|e| fail(check, format!("decoding a token: {e}")))
}

async fn is_revoked(
    check: &'static str,
    jwt: &JwtManager,
    token: &DecodedToken,
) -> Result<bool, ContractFailure> {
    jwt.is_revoked(token)
        .await
        .map_err(|e| fail(check, format!("JwtManager::is_revoked: {e}")))
}

fn created(
    check: &'static str,
    token: Result<String, crate::Error>,
) -> Result<String, ContractFailure> {
    token.map_err(|e| fail(check, format!("creating a token: {e}")))
}

/// Through a manager: revoking a token (verified, encoded, by claims, with
/// the decode leeway, without `exp`) blocks it and nothing else; revoking
/// an expired token is accepted.
///
/// # Errors
/// When the check does not hold.
pub async fn manager_revokes_tokens<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "manager_revokes_tokens";
    let config = JwtConfig::new().with_decode_leeway(Duration::from_secs(60));
    let jwt = manager(CHECK, store, config)?;
    let token = decode(
        CHECK,
        &jwt,
        &created(CHECK, jwt.create_access_token("alice"))?,
    )
    .await?;
    let other = decode(
        CHECK,
        &jwt,
        &created(CHECK, jwt.create_access_token("alice"))?,
    )
    .await?;
    jwt.revoke(&token)
        .await
        .map_err(|e| fail(CHECK, format!("revoke: {e}")))?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &token).await?,
        "a revoked token is not revoked",
    )?;
    ensure(
        CHECK,
        !is_revoked(CHECK, &jwt, &other).await?,
        "revoking one token revoked another",
    )?;

    let refresh = created(CHECK, jwt.create_refresh_token("alice"))?;
    jwt.revoke_encoded(&refresh)
        .await
        .map_err(|e| fail(CHECK, format!("revoke_encoded: {e}")))?;
    let refresh = decode(CHECK, &jwt, &refresh).await?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &refresh).await?,
        "a refresh token revoked encoded is not revoked",
    )?;

    let by_claims = decode(
        CHECK,
        &jwt,
        &created(CHECK, jwt.create_access_token("bob"))?,
    )
    .await?;
    jwt.revoke_claims(by_claims.claims())
        .await
        .map_err(|e| fail(CHECK, format!("revoke_claims: {e}")))?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &by_claims).await?,
        "a token revoked by its claims is not revoked",
    )?;

    // Expired 5 s ago, still accepted with the 60 s leeway: still revoked.
    let past = SystemTime::now() - Duration::from_secs(5);
    let late = created(CHECK, jwt.access_token("carol").expires_at(past).create())?;
    let late = decode(CHECK, &jwt, &late).await?;
    jwt.revoke(&late)
        .await
        .map_err(|e| fail(CHECK, format!("revoke: {e}")))?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &late).await?,
        "a token within the decode leeway is not revoked",
    )?;

    // Expired beyond the leeway: nothing to block, and no error.
    let long_ago = SystemTime::now() - Duration::from_secs(3_600);
    let expired = created(
        CHECK,
        jwt.access_token("carol").expires_at(long_ago).create(),
    )?;
    jwt.revoke_encoded(&expired)
        .await
        .map_err(|e| fail(CHECK, format!("revoking an expired token: {e}")))?;

    let forever = created(CHECK, jwt.access_token("dave").never_expires().create())?;
    let forever = decode(CHECK, &jwt, &forever).await?;
    jwt.revoke(&forever)
        .await
        .map_err(|e| fail(CHECK, format!("revoke: {e}")))?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &forever).await?,
        "a token without exp is not revoked",
    )
}

/// Through a manager: `revoke_session` blocks the access token, the refresh
/// token and every token carrying their session id, and no other session.
///
/// # Errors
/// When the check does not hold.
pub async fn manager_revokes_sessions<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "manager_revokes_sessions";
    let jwt = manager(CHECK, store, JwtConfig::new())?;
    let sid = unique_key("sid");
    let access = created(CHECK, jwt.access_token("alice").session(&sid).create())?;
    let access = decode(CHECK, &jwt, &access).await?;
    let refresh = created(CHECK, jwt.refresh_token("alice").session(&sid).create())?;
    let sibling = created(CHECK, jwt.access_token("alice").session(&sid).create())?;
    let sibling = decode(CHECK, &jwt, &sibling).await?;
    let untouched = decode(
        CHECK,
        &jwt,
        &created(CHECK, jwt.create_access_token("alice"))?,
    )
    .await?;
    // Tokens made apart, as the reference makes them (no session id).
    let plain_access = created(CHECK, jwt.create_access_token("alice"))?;
    let plain_access = decode(CHECK, &jwt, &plain_access).await?;
    let plain_refresh = created(CHECK, jwt.create_refresh_token("alice"))?;
    jwt.revoke_session(&plain_access, &plain_refresh)
        .await
        .map_err(|e| fail(CHECK, format!("revoke_session: {e}")))?;
    let plain_refresh = decode(CHECK, &jwt, &plain_refresh).await?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &plain_access).await?,
        "the access token is not revoked",
    )?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &plain_refresh).await?,
        "the refresh token is not revoked",
    )?;

    jwt.revoke_session(&access, &refresh)
        .await
        .map_err(|e| fail(CHECK, format!("revoke_session: {e}")))?;
    let refresh = decode(CHECK, &jwt, &refresh).await?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &access).await?,
        "the session's access token is not revoked",
    )?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &refresh).await?,
        "the session's refresh token is not revoked",
    )?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &sibling).await?,
        "a token of the session never presented is not revoked",
    )?;
    ensure(
        CHECK,
        !is_revoked(CHECK, &jwt, &untouched).await?,
        "a token of another session is revoked",
    )
}

/// Through a manager: revoking the refresh token of a
/// [`create_token_pair`](JwtManager::create_token_pair) pair blocks every
/// access token of its session, including those minted later.
///
/// # Errors
/// When the check does not hold.
pub async fn manager_revokes_token_pairs<S: Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "manager_revokes_token_pairs";
    let jwt = manager(CHECK, store, JwtConfig::new())?;
    let pair = jwt
        .create_token_pair("alice")
        .map_err(|e| fail(CHECK, format!("create_token_pair: {e}")))?;
    let first = decode(CHECK, &jwt, &pair.access_token).await?;
    let refresh = decode(CHECK, &jwt, &pair.refresh_token).await?;
    let minted = created(
        CHECK,
        jwt.access_token(refresh.identity())
            .session_of(&refresh)
            .create(),
    )?;
    let minted = decode(CHECK, &jwt, &minted).await?;
    let other = jwt
        .create_token_pair("alice")
        .map_err(|e| fail(CHECK, format!("create_token_pair: {e}")))?;
    let other = decode(CHECK, &jwt, &other.access_token).await?;
    jwt.revoke(&refresh)
        .await
        .map_err(|e| fail(CHECK, format!("revoke: {e}")))?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &first).await?,
        "the pair's access token is not revoked",
    )?;
    ensure(
        CHECK,
        is_revoked(CHECK, &jwt, &minted).await?,
        "an access token minted later is not revoked",
    )?;
    ensure(
        CHECK,
        !is_revoked(CHECK, &jwt, &other).await?,
        "another pair's access token is revoked",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocklist::{BlocklistError, MemoryBlocklist};

    #[tokio::test]
    async fn the_memory_store_meets_the_contract() {
        run_all(|_| async { MemoryBlocklist::new() }).await;
    }

    #[tokio::test]
    async fn a_broken_store_is_caught() {
        /// Forgets everything.
        struct Forgetful;
        impl Blocklist for Forgetful {
            async fn is_revoked(&self, _: RevocationKeys<'_>) -> Result<bool, BlocklistError> {
                Ok(false)
            }
            async fn revoke(&self, _: &Revocation) -> Result<(), BlocklistError> {
                Ok(())
            }
        }
        let failure = a_revoked_key_is_found(Forgetful).await.err();
        assert_eq!(failure.map(|f| f.check), Some("a_revoked_key_is_found"));
        assert!(unknown_keys_are_not_revoked(Forgetful).await.is_ok());
        assert!(run_check("no_such_check", Forgetful).await.is_err());
    }
}
