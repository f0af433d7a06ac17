//! Refresh-token rotation across instances (issue 15, item 2): two app
//! instances, each with its own `JwtManager` and `RedisBlocklist` on the
//! same Redis (`REDIS_URL`, same key prefix, same secret), serving
//! `POST /refresh` on real ports. 200 concurrent refreshes of one refresh
//! token, split across both: exactly one rotation wins. And the store's
//! layout: every key expires, a `}` in an identity stays inside its hash
//! tag, listing forgets sessions that are gone.

mod blocklist_support;
mod common;

use std::collections::HashSet;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use jwt_extended::axum::{FlaskJson, Jwt, Refresh, render_error};
use jwt_extended::blocklist::RedisBlocklist;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

use blocklist_support as support;

const REQUESTS: usize = 200;

async fn refresh(State(jwt): State<JwtManager>, token: Jwt<Refresh>) -> Response {
    match jwt.rotate_refresh_token(&token).await {
        Ok(pair) => FlaskJson(json!({
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
        }))
        .into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn protected(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({ "logged_in_as": token.identity() }))
}

/// One instance: its own connection to Redis, under the shared `prefix`.
async fn instance(prefix: &str, grace: Duration) -> (JwtManager, String) {
    instance_with(prefix, grace, None).await
}

/// [`instance`], with a cut-off cache age other than the default.
async fn instance_with(
    prefix: &str,
    grace: Duration,
    cutoff_cache: Option<Duration>,
) -> (JwtManager, String) {
    let url = common::required_env("REDIS_URL");
    let store = RedisBlocklist::connect(&url)
        .await
        .and_then(|store| store.with_prefix(prefix))
        .map(|store| match cutoff_cache {
            Some(age) => store.with_cutoff_cache(age),
            None => store,
        })
        .unwrap_or_else(|e| panic!("REDIS_URL={url}: {e}"));
    let jwt = JwtManager::builder(JwtConfig::new().with_secret_key(common::SECRET))
        .session_store(store)
        .refresh_token_rotation(grace)
        .blocklist_timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let app = Router::new()
        .route("/refresh", post(refresh))
        .route("/protected", axum::routing::get(protected))
        .with_state(jwt.clone());
    (jwt, support::serve(app).await)
}

/// Sends `REQUESTS` concurrent `POST /refresh` with `token`, alternating
/// between the instances: every (status, body).
async fn refresh_all(bases: [&str; 2], token: &str) -> Vec<(u16, Value)> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let requests: Vec<_> = (0..REQUESTS)
        .map(|n| {
            let client = client.clone();
            let url = format!("{}/refresh", bases[n % 2]);
            let token = token.to_owned();
            tokio::spawn(async move {
                support::http_call(&client, reqwest::Method::POST, &url, &token).await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(REQUESTS);
    for request in requests {
        answers.push(request.await.unwrap_or_else(|e| panic!("{e}")));
    }
    answers
}

/// The `jti` of an encoded token.
async fn jti(jwt: &JwtManager, token: &str) -> String {
    let decoded = jwt
        .decode_token(token)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    decoded.jti().unwrap_or_default().to_owned()
}

/// Two instances on one Redis prefix, and a login made on the first.
async fn setup(grace: Duration) -> ([(JwtManager, String); 2], String, String) {
    let prefix = format!("test:{}:", support::unique("rotation"));
    let first = instance(&prefix, grace).await;
    let second = instance(&prefix, grace).await;
    let identity = support::unique("alice");
    let pair = first
        .0
        .token_pair(identity.as_str())
        .create()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    ([first, second], identity, pair.refresh_token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_grace_one_rotation_wins_and_the_reuse_revokes_the_session() {
    let ([(a, base_a), (b, base_b)], identity, token) = setup(Duration::ZERO).await;
    let answers = refresh_all([&base_a, &base_b], &token).await;
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(winners.len(), 1, "one rotation wins: {answers:?}");
    for (status, body) in &answers {
        if *status != 200 {
            assert_eq!(*status, 401, "{body}");
            let message = body["msg"].as_str().unwrap_or_default();
            assert!(
                [
                    "Refresh token has already been used",
                    "Token has been revoked"
                ]
                .contains(&message),
                "{body}"
            );
        }
    }
    assert!(
        answers
            .iter()
            .any(|(_, body)| body["msg"] == "Refresh token has already been used"),
        "the reuse was detected"
    );
    // The session is revoked on both instances: the winner's tokens too.
    for jwt in [&a, &b] {
        for field in ["access_token", "refresh_token"] {
            let token = winners[0][field].as_str().unwrap_or_default();
            let decoded = jwt
                .decode_token(token)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                jwt.is_revoked(&decoded)
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
                "the winner's {field} survived the reuse"
            );
        }
        let left = jwt
            .sessions(&json!(identity))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(left.is_empty(), "the session is still listed: {left:?}");
    }
    let winner = winners[0]["refresh_token"].as_str().unwrap_or_default();
    let (status, body) = support::http_call(
        &support::client(),
        reqwest::Method::POST,
        &format!("{base_b}/refresh"),
        winner,
    )
    .await;
    assert_eq!(
        (status, body),
        (401, json!({"msg": "Token has been revoked"}))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn within_grace_every_racer_gets_the_one_current_refresh_token() {
    let ([(a, base_a), (_, base_b)], identity, token) = setup(Duration::from_secs(10)).await;
    let answers = refresh_all([&base_a, &base_b], &token).await;
    let mut refresh_jtis = HashSet::new();
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        let refresh = body["refresh_token"].as_str().unwrap_or_default();
        refresh_jtis.insert(jti(&a, refresh).await);
    }
    assert_eq!(
        refresh_jtis.len(),
        1,
        "one rotation wins, every racer gets its refresh token: {refresh_jtis:?}"
    );
    assert!(!refresh_jtis.contains(&jti(&a, &token).await));
    // The session lives on: its current refresh token rotates once more,
    // on the other instance.
    let current = answers[0].1["refresh_token"].as_str().unwrap_or_default();
    let (status, body) = support::http_call(
        &support::client(),
        reqwest::Method::POST,
        &format!("{base_b}/refresh"),
        current,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sessions = a
        .sessions(&json!(identity))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].last_refreshed_at.is_some());
}

/// Seconds `key` has left to live (-1: forever, -2: gone).
async fn ttl(
    connection: &mut jwt_extended::blocklist::redis::aio::MultiplexedConnection,
    key: &str,
) -> i64 {
    jwt_extended::blocklist::redis::cmd("TTL")
        .arg(key)
        .query_async(connection)
        .await
        .unwrap_or_else(|e| panic!("TTL {key}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_expires_and_listing_drops_what_is_gone() {
    use jwt_extended::blocklist::{
        IdentityCutoff, Rotation, RotationOutcome, SessionRecord, SessionStore,
    };

    let store = support::redis_store("layout").await;
    let mut redis = support::redis_connection().await;
    let identity = "{\"id\": \"}{\"}";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or_default());
    let record = |id: &str, end: i64| {
        SessionRecord::new(id, identity, "j0", now, end, serde_json::Map::new())
    };
    for (id, end) in [("short", now + 100), ("long", now + 1000)] {
        store
            .create_session(&record(id, end))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // Keys: one hash per session, one set per identity, each tagged; a `}`
    // in the identity stays inside the tag.
    let set = store.identity_sessions_key(identity);
    assert_eq!(
        set,
        format!("{}sessions:{{%7B\"id\": \"%7D%7B\"%7D}}", store.prefix())
    );
    let short = ttl(&mut redis, &store.session_key("short")).await;
    let long = ttl(&mut redis, &store.session_key("long")).await;
    assert!((95..=100).contains(&short), "{short}");
    assert!((995..=1000).contains(&long), "{long}");
    let set_ttl = ttl(&mut redis, &set).await;
    assert!(
        (995..=1000).contains(&set_ttl),
        "the set lives as long as its latest session: {set_ttl}"
    );
    // A session revoked for reuse is gone, and the next listing drops it.
    let t = now * 1000;
    for (presented, outcome) in [
        ("j0", RotationOutcome::Rotated),
        ("j0", RotationOutcome::Reused),
    ] {
        let rotation = Rotation::new("short", presented, "j1", t, 0);
        assert_eq!(store.rotate(&rotation).await.ok(), Some(outcome));
    }
    assert_eq!(ttl(&mut redis, &store.session_key("short")).await, -2);
    let listed = store
        .sessions(identity, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        listed.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["long"]
    );
    let members: Vec<String> = jwt_extended::blocklist::redis::cmd("ZRANGE")
        .arg(&set)
        .arg(0)
        .arg(-1)
        .query_async(&mut redis)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(members, ["long"]);
    // A cut-off lives as long as the longest of its writes asks.
    let cutoff = store.cutoff_key(identity);
    for keep in [now + 500, now + 50] {
        store
            .revoke_identity(&IdentityCutoff::new(identity, now, Some(keep)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let cutoff_ttl = ttl(&mut redis, &cutoff).await;
    assert!((495..=500).contains(&cutoff_ttl), "{cutoff_ttl}");
}

/// `GET /protected` on each base with `token`, concurrently: the statuses.
async fn protected_statuses(bases: &[&str], token: &str, each: usize) -> Vec<u16> {
    let client = support::client();
    let calls: Vec<_> = bases
        .iter()
        .flat_map(|base| std::iter::repeat_n(*base, each))
        .map(|base| {
            let client = client.clone();
            let base = base.to_owned();
            let token = token.to_owned();
            tokio::spawn(async move { support::http_protected(&client, &base, &token).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap_or_else(|e| panic!("{e}")));
    }
    statuses
}

/// Issue 15, item 3, with each instance remembering cut-offs (the default
/// cache): a log out everywhere on one instance is refused by the other on
/// its very next request, because every batch of checks reads the
/// cut-offs' version. A cut-off written behind the store's back (no new
/// version) shows that the second instance really reuses what it read,
/// until the version changes or the entry ages out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_out_everywhere_reaches_the_other_instance_at_once() {
    use jwt_extended::blocklist::identity_key;

    let prefix = format!("test:{}:", support::unique("cutoffs"));
    let (first, first_base) = instance(&prefix, Duration::ZERO).await;
    let (_, second_base) = instance(&prefix, Duration::ZERO).await;
    let (_, uncached_base) = instance_with(&prefix, Duration::ZERO, Some(Duration::ZERO)).await;
    let identity = support::unique("alice");
    let pair = first
        .token_pair(identity.as_str())
        .create()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bases = [first_base.as_str(), second_base.as_str()];
    // Both instances read (and remember) that the identity has no cut-off.
    assert_eq!(
        protected_statuses(&bases, &pair.access_token, 20).await,
        vec![200; 40]
    );

    // A cut-off written straight into Redis, without a new version: the
    // instances that remember "none" still accept the token; the one
    // without a cache refuses it.
    let naming = support::redis_store("naming")
        .await
        .with_prefix(prefix.as_str())
        .unwrap_or_else(|e| panic!("{e}"));
    let key = naming.cutoff_key(&identity_key(&json!(identity)));
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() + 60);
    let mut redis = support::redis_connection().await;
    jwt_extended::blocklist::redis::cmd("SET")
        .arg(&key)
        .arg(later)
        .arg("EX")
        .arg(120)
        .exec_async(&mut redis)
        .await
        .unwrap_or_else(|e| panic!("SET {key}: {e}"));
    assert_eq!(
        protected_statuses(&bases, &pair.access_token, 5).await,
        vec![200; 10],
        "the cut-off was remembered, not read per request"
    );
    assert_eq!(
        protected_statuses(&[uncached_base.as_str()], &pair.access_token, 1).await,
        [401]
    );
    jwt_extended::blocklist::redis::cmd("DEL")
        .arg(&key)
        .exec_async(&mut redis)
        .await
        .unwrap_or_else(|e| panic!("DEL {key}: {e}"));

    // The real thing, on the first instance: the second refuses at once.
    first
        .revoke_all_tokens_of(&json!(identity))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, body) =
        support::http_protected(&support::client(), &second_base, &pair.access_token).await;
    assert_eq!(
        (status, body),
        (401, json!({"msg": "Token has been revoked"}))
    );
    assert_eq!(
        protected_statuses(&bases, &pair.access_token, 20).await,
        vec![401; 40]
    );
}
