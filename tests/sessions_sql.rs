//! Refresh-token rotation on SQL across app instances (issue 15, item 2):
//! two `JwtManager`s, each with its own `SqlBlocklist` pool on the same
//! PostgreSQL database and table (`DATABASE_URL`; without it these tests
//! fail, they never skip), receive 100 concurrent refreshes of one refresh
//! token. Exactly one rotation wins. Also: SQLite's locking gives the same
//! with a file database and a pool of several connections.

mod blocklist_support;
mod common;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{FlaskJson, Jwt, Refresh, render_error};
use jwt_extended::blocklist::SqlBlocklist;
use jwt_extended::blocklist::sqlx::postgres::PgPoolOptions;
use jwt_extended::blocklist::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use jwt_extended::testing::session_contract as contract;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

use blocklist_support as support;

const REFRESHES: usize = 100;

/// One app instance's store: its own pool on the shared database.
async fn instance_store(table: &str) -> SqlBlocklist {
    let url = common::required_env("DATABASE_URL");
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL={url}: {e}"));
    SqlBlocklist::new(pool)
        .with_table_name(table)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn instance(store: SqlBlocklist, grace: Duration) -> JwtManager {
    JwtManager::builder(JwtConfig::new().with_secret_key(common::SECRET))
        .session_store(store)
        .refresh_token_rotation(grace)
        .blocklist_timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn pair_body(access: &str, refresh: &str) -> Response {
    FlaskJson(json!({ "access_token": access, "refresh_token": refresh })).into_response()
}

async fn login(State(jwt): State<JwtManager>) -> Response {
    match jwt.token_pair("alice").create().await {
        Ok(pair) => pair_body(&pair.access_token, &pair.refresh_token),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn refresh(State(jwt): State<JwtManager>, token: Jwt<Refresh>) -> Response {
    match jwt.rotate_refresh_token(&token).await {
        Ok(pair) => pair_body(&pair.access_token, &pair.refresh_token),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn protected(token: Jwt) -> Response {
    FlaskJson(json!({ "logged_in_as": token.identity() })).into_response()
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/refresh", post(refresh))
        .route("/protected", get(protected))
        .with_state(jwt)
}

/// Two instances on one table, migrated at the same moment: their base
/// URLs and managers.
async fn two_instances(grace: Duration) -> [(String, JwtManager); 2] {
    let table = format!("t_{}", support::unique("sessions"));
    let (a, b) = tokio::join!(instance_store(&table), instance_store(&table));
    let (migrated_a, migrated_b) = tokio::join!(a.migrate(), b.migrate());
    migrated_a.unwrap_or_else(|e| panic!("migrate: {e}"));
    migrated_b.unwrap_or_else(|e| panic!("migrate: {e}"));
    let (a, b) = (instance(a, grace), instance(b, grace));
    [
        (support::serve(app(a.clone())).await, a),
        (support::serve(app(b.clone())).await, b),
    ]
}

async fn post_refresh(client: &reqwest::Client, base: &str, token: &str) -> (u16, Value) {
    support::http_call(
        client,
        reqwest::Method::POST,
        &format!("{base}/refresh"),
        token,
    )
    .await
}

/// `REFRESHES` concurrent refreshes of `token`, alternating between the
/// instances: (status, body) of each.
async fn refresh_concurrently(bases: [String; 2], token: &str) -> Vec<(u16, Value)> {
    let client = support::client();
    let tasks: Vec<_> = (0..REFRESHES)
        .map(|n| {
            let client = client.clone();
            let base = bases[n % 2].clone();
            let token = token.to_owned();
            tokio::spawn(async move { post_refresh(&client, &base, &token).await })
        })
        .collect();
    let mut answers = Vec::with_capacity(REFRESHES);
    for task in tasks {
        answers.push(task.await.unwrap_or_else(|e| panic!("{e}")));
    }
    answers
}

async fn jti(jwt: &JwtManager, token: &str) -> String {
    let decoded = jwt
        .decode_token(token)
        .await
        .unwrap_or_else(|e| panic!("decode: {e}"));
    decoded.jti().unwrap_or_default().to_owned()
}

fn field(body: &Value, name: &str) -> String {
    body[name].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_grace_one_refresh_wins_and_the_session_is_revoked() {
    let [(base_a, jwt), (base_b, _)] = two_instances(Duration::ZERO).await;
    let client = support::client();
    let (access, refresh) = support::http_login(&client, &base_a).await;

    let answers = refresh_concurrently([base_a.clone(), base_b.clone()], &refresh).await;
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(winners.len(), 1, "{} refreshes won, not 1", winners.len());
    let refused = answers.iter().filter(|(status, _)| *status == 401).count();
    assert_eq!(refused, REFRESHES - 1, "every other refresh is 401");

    // A loser saw a used refresh token: the whole session is revoked, on
    // both instances, the winner's new tokens included.
    let next_refresh = field(winners[0], "refresh_token");
    let next_access = field(winners[0], "access_token");
    for base in [&base_a, &base_b] {
        let (status, body) = post_refresh(&client, base, &next_refresh).await;
        assert_eq!(status, 401, "{body}");
        for token in [&access, &next_access] {
            let (status, body) = support::http_protected(&client, base, token).await;
            assert_eq!(
                (status, body),
                (401, json!({"msg": "Token has been revoked"}))
            );
        }
    }
    assert!(
        jwt.sessions(&json!("alice"))
            .await
            .is_ok_and(|s| s.is_empty())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn within_grace_one_refresh_wins_and_the_others_get_the_current_token() {
    let [(base_a, jwt), (base_b, _)] = two_instances(Duration::from_secs(10)).await;
    let client = support::client();
    let (_, refresh) = support::http_login(&client, &base_b).await;
    let first_jti = jti(&jwt, &refresh).await;

    let answers = refresh_concurrently([base_a.clone(), base_b.clone()], &refresh).await;
    let mut jtis = Vec::with_capacity(REFRESHES);
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        jtis.push(jti(&jwt, &field(body, "refresh_token")).await);
    }
    jtis.sort_unstable();
    jtis.dedup();
    // One rotation: every answer carries the one refresh token it made
    // current (the winner's, and the retries' copy of it).
    assert_eq!(jtis.len(), 1, "the refreshes answered {jtis:?}");
    assert_ne!(jtis[0], first_jti);

    // That token is the current one: it rotates, and the session lives on.
    let current = field(&answers[0].1, "refresh_token");
    let (status, body) = post_refresh(&client, &base_a, &current).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) =
        support::http_protected(&client, &base_b, &field(&body, "access_token")).await;
    assert_eq!(status, 200);
    assert!(
        jwt.sessions(&json!("alice"))
            .await
            .is_ok_and(|s| s.len() == 1)
    );
}

/// SQLite with a file and several connections: `BEGIN IMMEDIATE` makes
/// concurrent rotations take turns, so exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_with_many_connections_has_one_winner() {
    let path = std::env::temp_dir().join(format!("{}.db", support::unique("sessions")));
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let store = SqlBlocklist::new(pool.clone());
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    let result = contract::run_check("concurrent_rotations_have_one_winner", store).await;
    pool.close().await;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
