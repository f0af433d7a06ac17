//! The contract every [`SessionStore`] must meet (feature `test-util`),
//! run like the [blocklist contract](super::blocklist_contract): one fresh
//! store per check, [`run_all`] panics listing the failures.
//!
//! ```
//! use jwt_extended::blocklist::MemoryBlocklist;
//! use jwt_extended::testing::session_contract as contract;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! contract::run_all(|_check_name| async { MemoryBlocklist::new() }).await;
//! # }
//! ```
//!
//! What the contract says (see [`SessionStore`] and [`RotationOutcome`]):
//! - rotation is decided atomically on the presented `jti`: current →
//!   `Rotated`, the immediate predecessor within the grace window →
//!   `Retry` with the current `jti`, any other → `Reused` and the session
//!   is gone, no session → `Unknown`; the store reads time only from the
//!   [`Rotation`] (`now_ms`);
//! - of many concurrent exchanges of one token, exactly one is `Rotated`;
//! - sessions are listed per identity, oldest first, with their metadata,
//!   never after they end; deleting needs the owning identity;
//! - an identity cut-off revokes the identity's tokens issued at or before
//!   it (and those without `iat`), never another identity's, never later
//!   ones; a later cut-off wins; an expired one is forgotten;
//! - session ids and identities are opaque strings (braces, colons,
//!   quotes, non-ASCII).

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, json};

use super::blocklist_contract::{CheckResult, ContractFailure};
use crate::blocklist::{
    Blocklist, IdentityCutoff, RevocationKeys, Rotation, RotationOutcome, SessionRecord,
    SessionStore,
};
use crate::{ErrorKind, JwtConfig, JwtManager};

/// Every check of the contract, by name, in the order [`run_all`] runs them.
pub const CHECKS: &[&str] = &[
    "rotation_follows_the_current_token",
    "grace_covers_only_the_immediate_predecessor",
    "grace_ends_and_zero_means_none",
    "unknown_and_ended_sessions",
    "concurrent_rotations_have_one_winner",
    "sessions_are_listed_per_identity",
    "deleting_needs_the_owner",
    "identity_cutoffs",
    "ids_are_opaque_strings",
    "manager_rotates_and_detects_reuse",
    "manager_logs_out_everywhere",
];

/// Runs every check, each on a fresh store from `make_store`, and panics
/// listing every failed check.
///
/// # Panics
/// When a check fails: that is how a test reports it.
pub async fn run_all<S, F, Fut>(mut make_store: F)
where
    S: SessionStore + Blocklist + Clone,
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
        "the store breaks the session contract:\n  {}",
        failures.join("\n  ")
    );
}

/// Runs one check by its name (one of [`CHECKS`]).
///
/// # Errors
/// The check's failure, or a failure naming an unknown check.
pub async fn run_check<S>(name: &'static str, store: S) -> CheckResult
where
    S: SessionStore + Blocklist + Clone,
{
    match name {
        "rotation_follows_the_current_token" => rotation_follows_the_current_token(store).await,
        "grace_covers_only_the_immediate_predecessor" => {
            grace_covers_only_the_immediate_predecessor(store).await
        }
        "grace_ends_and_zero_means_none" => grace_ends_and_zero_means_none(store).await,
        "unknown_and_ended_sessions" => unknown_and_ended_sessions(store).await,
        "concurrent_rotations_have_one_winner" => concurrent_rotations_have_one_winner(store).await,
        "sessions_are_listed_per_identity" => sessions_are_listed_per_identity(store).await,
        "deleting_needs_the_owner" => deleting_needs_the_owner(store).await,
        "identity_cutoffs" => identity_cutoffs(store).await,
        "ids_are_opaque_strings" => ids_are_opaque_strings(store).await,
        "manager_rotates_and_detects_reuse" => manager_rotates_and_detects_reuse(store).await,
        "manager_logs_out_everywhere" => manager_logs_out_everywhere(store).await,
        _ => Err(fail(name, "no check of this name")),
    }
}

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

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn unique(hint: &str) -> String {
    format!("{hint}-{}", uuid::Uuid::new_v4())
}

/// A session of `identity` starting now, ending in an hour.
async fn create<S: SessionStore>(
    check: &'static str,
    store: &S,
    identity: &str,
    first_jti: &str,
) -> Result<String, ContractFailure> {
    let id = unique("session");
    let now = now_ms() / 1000;
    let mut metadata = Map::new();
    metadata.insert("user_agent".into(), json!(format!("agent of {id}")));
    let record = SessionRecord::new(&id, identity, first_jti, now, now + 3600, metadata);
    store
        .create_session(&record)
        .await
        .map_err(|e| fail(check, format!("create_session failed: {e}")))?;
    Ok(id)
}

async fn rotate<S: SessionStore>(
    check: &'static str,
    store: &S,
    rotation: Rotation<'_>,
) -> Result<RotationOutcome, ContractFailure> {
    store
        .rotate(&rotation)
        .await
        .map_err(|e| fail(check, format!("rotate failed: {e}")))
}

async fn expect<S: SessionStore>(
    check: &'static str,
    store: &S,
    rotation: Rotation<'_>,
    expected: &RotationOutcome,
) -> CheckResult {
    let outcome = rotate(check, store, rotation).await?;
    ensure(
        check,
        &outcome == expected,
        &format!(
            "presenting {:?} (grace {} ms): expected {expected:?}, got {outcome:?}",
            rotation.presented_jti, rotation.grace_ms
        ),
    )
}

/// Current → `Rotated`, twice; the first token again → `Reused`; after that
/// the session is gone, even for its current token.
///
/// # Errors
/// When the check does not hold.
pub async fn rotation_follows_the_current_token<S: SessionStore>(store: S) -> CheckResult {
    const CHECK: &str = "rotation_follows_the_current_token";
    let id = create(CHECK, &store, "\"alice\"", "j0").await?;
    let t = now_ms();
    let rotated = RotationOutcome::Rotated;
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j0", "j1", t, 0),
        &rotated,
    )
    .await?;
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j1", "j2", t + 10, 0),
        &rotated,
    )
    .await?;
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j0", "jx", t + 20, 0),
        &RotationOutcome::Reused,
    )
    .await?;
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j2", "j3", t + 30, 0),
        &RotationOutcome::Unknown,
    )
    .await
}

/// Within the window the predecessor gets `Retry` with the current `jti`
/// (several times); the one before it is reuse even inside the window.
///
/// # Errors
/// When the check does not hold.
pub async fn grace_covers_only_the_immediate_predecessor<S: SessionStore>(store: S) -> CheckResult {
    const CHECK: &str = "grace_covers_only_the_immediate_predecessor";
    let grace = 60_000;
    let id = create(CHECK, &store, "\"alice\"", "j0").await?;
    let t = now_ms();
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j0", "j1", t, grace),
        &RotationOutcome::Rotated,
    )
    .await?;
    let retry = RotationOutcome::Retry {
        current_jti: "j1".into(),
    };
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j0", "jx", t + 5, grace),
        &retry,
    )
    .await?;
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j0", "jy", t + 6, grace),
        &retry,
    )
    .await?;
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j1", "j2", t + 7, grace),
        &RotationOutcome::Rotated,
    )
    .await?;
    // j0 is two steps back now: reuse, although well within the window.
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j0", "jz", t + 8, grace),
        &RotationOutcome::Reused,
    )
    .await
}

/// After the window the predecessor is reuse; with no window it is reuse
/// at once.
///
/// # Errors
/// When the check does not hold.
pub async fn grace_ends_and_zero_means_none<S: SessionStore>(store: S) -> CheckResult {
    const CHECK: &str = "grace_ends_and_zero_means_none";
    let t = now_ms();
    let late = create(CHECK, &store, "\"alice\"", "j0").await?;
    expect(
        CHECK,
        &store,
        Rotation::new(&late, "j0", "j1", t, 1_000),
        &RotationOutcome::Rotated,
    )
    .await?;
    expect(
        CHECK,
        &store,
        Rotation::new(&late, "j0", "jx", t + 2_000, 1_000),
        &RotationOutcome::Reused,
    )
    .await?;
    let zero = create(CHECK, &store, "\"alice\"", "k0").await?;
    expect(
        CHECK,
        &store,
        Rotation::new(&zero, "k0", "k1", t, 0),
        &RotationOutcome::Rotated,
    )
    .await?;
    expect(
        CHECK,
        &store,
        Rotation::new(&zero, "k0", "kx", t, 0),
        &RotationOutcome::Reused,
    )
    .await
}

/// No such session, or one that has ended: `Unknown`, and an ended session
/// is not listed.
///
/// # Errors
/// When the check does not hold.
pub async fn unknown_and_ended_sessions<S: SessionStore>(store: S) -> CheckResult {
    const CHECK: &str = "unknown_and_ended_sessions";
    let t = now_ms();
    let missing = unique("missing");
    expect(
        CHECK,
        &store,
        Rotation::new(&missing, "a", "b", t, 0),
        &RotationOutcome::Unknown,
    )
    .await?;
    let identity = unique("\"ended\"");
    let id = unique("ended");
    let now = t / 1000;
    let record = SessionRecord::new(&id, &identity, "j0", now - 100, now - 1, Map::new());
    store
        .create_session(&record)
        .await
        .map_err(|e| fail(CHECK, format!("create_session failed: {e}")))?;
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j0", "j1", t, 0),
        &RotationOutcome::Unknown,
    )
    .await?;
    let listed = store
        .sessions(&identity, now)
        .await
        .map_err(|e| fail(CHECK, format!("sessions failed: {e}")))?;
    ensure(CHECK, listed.is_empty(), "an ended session is listed")
}

/// Fifty concurrent exchanges of the current token: exactly one `Rotated`.
///
/// # Errors
/// When the check does not hold.
pub async fn concurrent_rotations_have_one_winner<S: SessionStore + Clone>(
    store: S,
) -> CheckResult {
    const CHECK: &str = "concurrent_rotations_have_one_winner";
    for grace in [0, 60_000] {
        let id = create(CHECK, &store, "\"alice\"", "j0").await?;
        let t = now_ms();
        let tasks: Vec<_> = (0..50)
            .map(|n| {
                let store = store.clone();
                let id = id.clone();
                tokio::spawn(async move {
                    let next = format!("next-{n}");
                    store
                        .rotate(&Rotation::new(&id, "j0", &next, t, grace))
                        .await
                })
            })
            .collect();
        let mut rotated = 0;
        for task in tasks {
            match task.await {
                Ok(Ok(RotationOutcome::Rotated)) => rotated += 1,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(fail(CHECK, format!("rotate failed: {e}"))),
                Err(e) => return Err(fail(CHECK, format!("task failed: {e}"))),
            }
        }
        ensure(
            CHECK,
            rotated == 1,
            &format!("grace {grace} ms: {rotated} of 50 concurrent exchanges rotated, not 1"),
        )?;
    }
    Ok(())
}

/// Listing: the identity's sessions only, oldest first, with metadata and
/// `last_refreshed_at` once rotated.
///
/// # Errors
/// When the check does not hold.
pub async fn sessions_are_listed_per_identity<S: SessionStore>(store: S) -> CheckResult {
    const CHECK: &str = "sessions_are_listed_per_identity";
    let alice = unique("\"alice\"");
    let bob = unique("\"bob\"");
    let first = create(CHECK, &store, &alice, "a0").await?;
    let second = create(CHECK, &store, &alice, "b0").await?;
    create(CHECK, &store, &bob, "c0").await?;
    rotate(
        CHECK,
        &store,
        Rotation::new(&second, "b0", "b1", now_ms(), 0),
    )
    .await?;
    let listed = store
        .sessions(&alice, now_ms() / 1000)
        .await
        .map_err(|e| fail(CHECK, format!("sessions failed: {e}")))?;
    let mut ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    let mut expected = vec![first.as_str(), second.as_str()];
    expected.sort_unstable();
    ensure(
        CHECK,
        ids == expected,
        &format!("listed {ids:?}, expected {expected:?}"),
    )?;
    let by_id = |id: &str| listed.iter().find(|s| s.id == id);
    let (Some(one), Some(two)) = (by_id(&first), by_id(&second)) else {
        return Err(fail(CHECK, "a session is missing"));
    };
    ensure(
        CHECK,
        one.metadata.get("user_agent") == Some(&json!(format!("agent of {first}"))),
        "metadata is not returned as recorded",
    )?;
    ensure(
        CHECK,
        one.last_refreshed_at.is_none(),
        "a session never rotated has last_refreshed_at",
    )?;
    ensure(
        CHECK,
        two.last_refreshed_at.is_some(),
        "a rotated session has no last_refreshed_at",
    )?;
    ensure(
        CHECK,
        listed
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at),
        "sessions are not listed oldest first",
    )?;
    ensure(
        CHECK,
        one.expires_at > one.created_at,
        "expires_at is not kept",
    )
}

/// Deleting: only the owner's identity deletes, and returns the session.
///
/// # Errors
/// When the check does not hold.
pub async fn deleting_needs_the_owner<S: SessionStore>(store: S) -> CheckResult {
    const CHECK: &str = "deleting_needs_the_owner";
    let alice = unique("\"alice\"");
    let id = create(CHECK, &store, &alice, "j0").await?;
    let delete = |identity: String| {
        let store = &store;
        let id = id.clone();
        async move {
            store
                .delete_session(&identity, &id)
                .await
                .map_err(|e| fail(CHECK, format!("delete_session failed: {e}")))
        }
    };
    ensure(
        CHECK,
        delete(unique("\"mallory\"")).await?.is_none(),
        "another identity deleted the session",
    )?;
    let deleted = delete(alice.clone()).await?;
    ensure(
        CHECK,
        deleted.as_ref().map(|s| s.id.as_str()) == Some(id.as_str()),
        "the owner could not delete it",
    )?;
    ensure(
        CHECK,
        delete(alice).await?.is_none(),
        "a session was deleted twice",
    )?;
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "j0", "j1", now_ms(), 0),
        &RotationOutcome::Unknown,
    )
    .await
}

/// Cut-offs: earlier and equal `iat` and no `iat` are revoked, later not;
/// other identities untouched; a later cut-off wins, an earlier one does
/// not move it back; expired ones are forgotten.
///
/// # Errors
/// When the check does not hold.
pub async fn identity_cutoffs<S: SessionStore + Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "identity_cutoffs";
    let alice = unique("\"alice\"");
    let bob = unique("\"bob\"");
    let now = now_ms() / 1000;
    let cutoff = |identity: &str, before: i64, expires_at: Option<i64>| {
        IdentityCutoff::new(identity, before, expires_at)
    };
    let write = |c: IdentityCutoff| {
        let store = &store;
        async move {
            store
                .revoke_identity(&c)
                .await
                .map_err(|e| fail(CHECK, format!("revoke_identity failed: {e}")))
        }
    };
    let revoked = |identity: String, iat: Option<i64>| {
        let store = &store;
        async move {
            let jti = unique("jti");
            store
                .is_revoked(RevocationKeys::new(Some(&jti), None).with_identity(&identity, iat))
                .await
                .map_err(|e| fail(CHECK, format!("is_revoked failed: {e}")))
        }
    };
    ensure(
        CHECK,
        !revoked(alice.clone(), Some(now)).await?,
        "revoked before any cut-off",
    )?;
    write(cutoff(&alice, now, Some(now + 3600))).await?;
    ensure(
        CHECK,
        revoked(alice.clone(), Some(now - 10)).await?,
        "an earlier token survives the cut-off",
    )?;
    ensure(
        CHECK,
        revoked(alice.clone(), Some(now)).await?,
        "a token of the cut-off's second survives",
    )?;
    ensure(
        CHECK,
        revoked(alice.clone(), None).await?,
        "a token without iat survives the cut-off",
    )?;
    ensure(
        CHECK,
        !revoked(alice.clone(), Some(now + 1)).await?,
        "a later token is revoked",
    )?;
    ensure(
        CHECK,
        !revoked(bob.clone(), Some(now - 10)).await?,
        "another identity is revoked",
    )?;
    write(cutoff(&alice, now + 5, Some(now + 3600))).await?;
    ensure(
        CHECK,
        revoked(alice.clone(), Some(now + 3)).await?,
        "a later cut-off does not replace an earlier one",
    )?;
    write(cutoff(&alice, now - 100, Some(now + 3600))).await?;
    ensure(
        CHECK,
        revoked(alice.clone(), Some(now + 3)).await?,
        "an earlier cut-off moved the cut-off back",
    )?;
    write(cutoff(&bob, now, Some(now - 1))).await?;
    ensure(
        CHECK,
        !revoked(bob, Some(now - 10)).await?,
        "an expired cut-off still revokes",
    )?;
    // Plain keys still work beside an identity.
    let jti = unique("jti");
    store
        .revoke(&crate::blocklist::Revocation::for_jti(&jti, Some(now + 60)))
        .await
        .map_err(|e| fail(CHECK, format!("revoke failed: {e}")))?;
    let carol = unique("\"carol\"");
    let keys = RevocationKeys::new(Some(&jti), None).with_identity(&carol, Some(now));
    let found = store
        .is_revoked(keys)
        .await
        .map_err(|e| fail(CHECK, format!("is_revoked failed: {e}")))?;
    ensure(
        CHECK,
        found,
        "a revoked jti is not found when an identity comes along",
    )
}

/// Session ids and identities with braces, colons, quotes, spaces and
/// non-ASCII work everywhere.
///
/// # Errors
/// When the check does not hold.
pub async fn ids_are_opaque_strings<S: SessionStore + Blocklist>(store: S) -> CheckResult {
    const CHECK: &str = "ids_are_opaque_strings";
    let identity = unique("{\"user\": \"ünï {cøde}\" : *?}");
    let id = create(CHECK, &store, &identity, "{j0}:*").await?;
    expect(
        CHECK,
        &store,
        Rotation::new(&id, "{j0}:*", "j 1", now_ms(), 0),
        &RotationOutcome::Rotated,
    )
    .await?;
    let listed = store
        .sessions(&identity, now_ms() / 1000)
        .await
        .map_err(|e| fail(CHECK, format!("sessions failed: {e}")))?;
    ensure(
        CHECK,
        listed.len() == 1,
        "the session of an odd identity is not listed",
    )?;
    let now = now_ms() / 1000;
    store
        .revoke_identity(&IdentityCutoff::new(&identity, now, Some(now + 60)))
        .await
        .map_err(|e| fail(CHECK, format!("revoke_identity failed: {e}")))?;
    let keys = RevocationKeys::new(None, None).with_identity(&identity, Some(now));
    let found = store
        .is_revoked(keys)
        .await
        .map_err(|e| fail(CHECK, format!("is_revoked failed: {e}")))?;
    ensure(CHECK, found, "the cut-off of an odd identity is not found")
}

fn manager<S: SessionStore + Blocklist + Clone>(
    store: S,
    grace: Duration,
) -> Result<JwtManager, ContractFailure> {
    JwtManager::builder(JwtConfig::new().with_secret_key("contract-secret-0123456789abcdef"))
        .session_store(store)
        .refresh_token_rotation(grace)
        .build()
        .map_err(|e| fail("manager", format!("cannot build a manager: {e}")))
}

/// Through the manager: a pair, a rotation, the old refresh token again →
/// `RefreshTokenReused`, and then every token of the session is revoked.
///
/// # Errors
/// When the check does not hold.
pub async fn manager_rotates_and_detects_reuse<S: SessionStore + Blocklist + Clone>(
    store: S,
) -> CheckResult {
    const CHECK: &str = "manager_rotates_and_detects_reuse";
    let jwt = manager(store, Duration::ZERO)?;
    let step = |e: crate::Error| fail(CHECK, e.to_string());
    let identity = unique("alice");
    let pair = jwt
        .token_pair(identity.as_str())
        .create()
        .await
        .map_err(step)?;
    let first = jwt.decode_token(&pair.refresh_token).await.map_err(step)?;
    let next = jwt.rotate_refresh_token(&first).await.map_err(step)?;
    ensure(
        CHECK,
        next.session_id == pair.session_id,
        "rotation changed the session",
    )?;
    let second = jwt.decode_token(&next.refresh_token).await.map_err(step)?;
    ensure(
        CHECK,
        second.expires_at() == first.expires_at(),
        "rotation moved the session's end",
    )?;
    let reused = jwt.rotate_refresh_token(&first).await;
    ensure(
        CHECK,
        reused.as_ref().err().map(crate::Error::kind) == Some(ErrorKind::RefreshTokenReused),
        &format!("reusing the first refresh token gave {reused:?}"),
    )?;
    for token in [&pair.access_token, &next.access_token, &next.refresh_token] {
        let decoded = jwt.decode_token(token).await.map_err(step)?;
        ensure(
            CHECK,
            jwt.is_revoked(&decoded).await.map_err(step)?,
            "a token of the reused session is not revoked",
        )?;
    }
    Ok(())
}

/// Through the manager: log out everywhere revokes every token of the
/// identity and ends its sessions; another identity and later tokens work.
///
/// # Errors
/// When the check does not hold.
pub async fn manager_logs_out_everywhere<S: SessionStore + Blocklist + Clone>(
    store: S,
) -> CheckResult {
    const CHECK: &str = "manager_logs_out_everywhere";
    let jwt = manager(store, Duration::ZERO)?;
    let step = |e: crate::Error| fail(CHECK, e.to_string());
    let alice = unique("alice");
    let bob = unique("bob");
    let phone = jwt
        .token_pair(alice.as_str())
        .create()
        .await
        .map_err(step)?;
    let laptop = jwt
        .token_pair(alice.as_str())
        .create()
        .await
        .map_err(step)?;
    let other = jwt.token_pair(bob.as_str()).create().await.map_err(step)?;
    jwt.revoke_all_tokens_of(&json!(alice))
        .await
        .map_err(step)?;
    for token in [&phone.access_token, &laptop.refresh_token] {
        let decoded = jwt.decode_token(token).await.map_err(step)?;
        ensure(
            CHECK,
            jwt.is_revoked(&decoded).await.map_err(step)?,
            "a token survived log out everywhere",
        )?;
    }
    let bobs = jwt.decode_token(&other.access_token).await.map_err(step)?;
    ensure(
        CHECK,
        !jwt.is_revoked(&bobs).await.map_err(step)?,
        "another identity was logged out",
    )?;
    let left = jwt.sessions(&json!(alice)).await.map_err(step)?;
    ensure(
        CHECK,
        left.is_empty(),
        "sessions survived log out everywhere",
    )?;
    // A token made after the cut-off's second works.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = jwt
        .token_pair(alice.as_str())
        .create()
        .await
        .map_err(step)?;
    let decoded = jwt.decode_token(&later.access_token).await.map_err(step)?;
    ensure(
        CHECK,
        !jwt.is_revoked(&decoded).await.map_err(step)?,
        "a token made after log out everywhere is revoked",
    )
}
