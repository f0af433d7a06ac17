//! When the blocklist store fails, requests are refused (503, a clear JSON
//! error, overridable), never admitted, never left hanging past the
//! configured timeout. Fail-open exists, is opt-in, and does what its
//! warning says.

mod blocklist_support;
mod common;

use std::error::Error as _;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use jwt_extended::axum::FlaskJson;
use jwt_extended::axum::JwtManagerBuilderExt;
use jwt_extended::blocklist::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use jwt_extended::blocklist::sqlx::postgres::PgPoolOptions;
use jwt_extended::blocklist::sqlx::sqlite::SqlitePoolOptions;
use jwt_extended::blocklist::{
    Blocklist, BlocklistError, FailureMode, RedisBlocklist, SqlBlocklist, redis,
};
use jwt_extended::{ErrorKind, JwtConfig, JwtManager, JwtManagerBuilder};
use serde_json::json;

use blocklist_support::{self as support, RedisServer};

const UNAVAILABLE: &str = "Token revocation status is unavailable";

fn builder(store: impl Blocklist, timeout: Duration) -> JwtManagerBuilder {
    JwtManager::builder(JwtConfig::new().with_secret_key(common::SECRET))
        .blocklist(store)
        .blocklist_timeout(timeout)
}

fn build(builder: JwtManagerBuilder) -> JwtManager {
    builder.build().unwrap_or_else(|e| panic!("{e}"))
}

async fn logout(app: &axum::Router, token: &str) -> common::TestResponse {
    common::send(
        app,
        common::request(Method::DELETE, "/logout")
            .header("Authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap_or_default(),
    )
    .await
}

fn token(jwt: &JwtManager) -> String {
    jwt.create_access_token("alice")
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A TCP server that accepts connections and never says a word.
async fn silent_listener() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // keep it open, read nothing, answer nothing
        }
    });
    (port, task)
}

#[tokio::test]
async fn redis_down_refuses_every_token_with_503_and_admits_none() {
    let mut server = RedisServer::start().await;
    let store = RedisBlocklist::connect(&server.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let jwt = build(builder(store, Duration::from_secs(1)));
    let app = support::app(jwt.clone());
    let valid = token(&jwt);
    let revoked = token(&jwt);
    assert_eq!(logout(&app, &revoked).await.status, 200);
    common::http_get_bearer(&app, "/protected", &revoked)
        .await
        .assert_error(401, "Token has been revoked");

    server.kill();
    for _ in 0..3 {
        for token in [&valid, &revoked] {
            let started = Instant::now();
            let response = common::http_get_bearer(&app, "/protected", token).await;
            response.assert_error(503, UNAVAILABLE);
            assert_eq!(
                response.headers["content-type"], "application/json",
                "a JSON error"
            );
            assert!(
                started.elapsed() < Duration::from_millis(3000),
                "bounded by the 1 s timeout, took {:?}",
                started.elapsed()
            );
        }
    }
    // Revoking while the store is down is refused too (the client retries).
    logout(&app, &valid).await.assert_error(503, UNAVAILABLE);
}

#[tokio::test]
async fn the_error_keeps_the_store_error_as_its_source() {
    let mut server = RedisServer::start().await;
    let store = RedisBlocklist::connect(&server.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let jwt = build(builder(store, Duration::from_secs(1)));
    let decoded = jwt
        .decode_token(&token(&jwt))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    server.kill();
    let error = jwt.is_revoked(&decoded).await.err();
    let error = error.unwrap_or_else(|| panic!("a dead store cannot say `not revoked`"));
    assert_eq!(error.kind(), ErrorKind::BlocklistUnavailable);
    assert_eq!(error.kind().status_code(), 503);
    let store_error = error
        .source()
        .and_then(|s| s.downcast_ref::<BlocklistError>())
        .unwrap_or_else(|| panic!("source is the BlocklistError: {error:?}"));
    assert!(
        store_error
            .source()
            .and_then(|s| s.downcast_ref::<redis::RedisError>())
            .is_some(),
        "and its source is the driver's error: {store_error:?}"
    );
}

#[tokio::test]
async fn a_paused_redis_is_cut_off_at_the_timeout_and_recovers() {
    let server = RedisServer::start().await;
    let store = RedisBlocklist::connect(&server.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let timeout = Duration::from_millis(300);
    let jwt = build(builder(store, timeout));
    let app = support::app(jwt.clone());
    let valid = token(&jwt);
    assert_eq!(
        common::http_get_bearer(&app, "/protected", &valid)
            .await
            .status,
        200
    );

    let mut admin = server.connection().await;
    redis::cmd("CLIENT")
        .arg(&["PAUSE", "1500", "ALL"])
        .exec_async(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("CLIENT PAUSE: {e}"));
    let started = Instant::now();
    let response = common::http_get_bearer(&app, "/protected", &valid).await;
    let took = started.elapsed();
    response.assert_error(503, UNAVAILABLE);
    assert!(
        took >= timeout && took < timeout + Duration::from_millis(1500),
        "refused after the 300 ms timeout, took {took:?}"
    );

    // Once the pause is over, the same app answers again.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = common::http_get_bearer(&app, "/protected", &valid)
            .await
            .status;
        if status == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery after the pause");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_redis_that_never_answers_is_cut_off_at_the_timeout() {
    let (port, _listener) = silent_listener().await;
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/0").as_str())
        .unwrap_or_else(|e| panic!("{e}"));
    let manager = ConnectionManager::new_lazy_with_config(
        client,
        ConnectionManagerConfig::new()
            .set_connection_timeout(None)
            .set_response_timeout(None),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let timeout = Duration::from_millis(400);
    let jwt = build(builder(RedisBlocklist::new(manager), timeout));
    let app = support::app(jwt.clone());
    let started = Instant::now();
    common::http_get_bearer(&app, "/protected", &token(&jwt))
        .await
        .assert_error(503, UNAVAILABLE);
    let took = started.elapsed();
    assert!(
        took >= timeout && took < timeout + Duration::from_millis(1500),
        "took {took:?}"
    );
}

#[tokio::test]
async fn a_postgres_that_never_answers_is_cut_off_at_the_timeout() {
    let (port, _listener) = silent_listener().await;
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(60))
        .connect_lazy(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .unwrap_or_else(|e| panic!("{e}"));
    let timeout = Duration::from_millis(400);
    let jwt = build(builder(SqlBlocklist::new(pool), timeout));
    let app = support::app(jwt.clone());
    let started = Instant::now();
    common::http_get_bearer(&app, "/protected", &token(&jwt))
        .await
        .assert_error(503, UNAVAILABLE);
    let took = started.elapsed();
    assert!(
        took >= timeout && took < timeout + Duration::from_millis(1500),
        "took {took:?}"
    );
}

#[tokio::test]
async fn postgres_unreachable_refuses_with_503() {
    let port = support::free_port(); // nothing listens there
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .unwrap_or_else(|e| panic!("{e}"));
    let jwt = build(builder(SqlBlocklist::new(pool), Duration::from_secs(2)));
    let app = support::app(jwt.clone());
    common::http_get_bearer(&app, "/protected", &token(&jwt))
        .await
        .assert_error(503, UNAVAILABLE);
}

#[tokio::test]
async fn a_sql_error_refuses_with_503() {
    // The app forgot `migrate()`: every query fails with "no such table".
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let jwt = build(builder(SqlBlocklist::new(pool), Duration::from_secs(2)));
    let app = support::app(jwt.clone());
    let valid = token(&jwt);
    common::http_get_bearer(&app, "/protected", &valid)
        .await
        .assert_error(503, UNAVAILABLE);
    logout(&app, &valid).await.assert_error(503, UNAVAILABLE);
}

#[tokio::test]
async fn the_503_response_can_be_replaced() {
    let port = support::free_port();
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(300))
        .connect_lazy(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .unwrap_or_else(|e| panic!("{e}"));
    let jwt = build(
        builder(SqlBlocklist::new(pool), Duration::from_secs(2)).blocklist_unavailable_loader(
            |error| {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [("retry-after", "5")],
                    FlaskJson(json!({"error": "try again later", "detail": error.message()})),
                )
                    .into_response()
            },
        ),
    );
    let app = support::app(jwt.clone());
    let response = common::http_get_bearer(&app, "/protected", &token(&jwt)).await;
    assert_eq!(response.status, 503);
    assert_eq!(response.headers["retry-after"], "5");
    assert_eq!(
        response.json(),
        json!({"error": "try again later", "detail": UNAVAILABLE})
    );
}

#[tokio::test]
async fn fail_open_admits_tokens_while_the_store_is_down_even_revoked_ones() {
    // The documented danger of FailureMode::Open, shown.
    let mut server = RedisServer::start().await;
    let store = RedisBlocklist::connect(&server.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let jwt =
        build(builder(store, Duration::from_millis(500)).blocklist_failure_mode(FailureMode::Open));
    let app = support::app(jwt.clone());
    let revoked = token(&jwt);
    assert_eq!(logout(&app, &revoked).await.status, 200);
    common::http_get_bearer(&app, "/protected", &revoked)
        .await
        .assert_error(401, "Token has been revoked");
    server.kill();
    let response = common::http_get_bearer(&app, "/protected", &revoked).await;
    assert_eq!(
        response.status,
        200,
        "fail-open admits a revoked token: {}",
        response.text()
    );
    // Revoking still fails: fail-open only concerns the check.
    logout(&app, &revoked).await.assert_error(503, UNAVAILABLE);
}

#[tokio::test]
async fn fail_closed_is_the_default() {
    let port = support::free_port();
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(300))
        .connect_lazy(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
        .unwrap_or_else(|e| panic!("{e}"));
    let jwt = build(
        JwtManager::builder(JwtConfig::new().with_secret_key(common::SECRET))
            .blocklist(SqlBlocklist::new(pool)),
    );
    let app = support::app(jwt.clone());
    common::http_get_bearer(&app, "/protected", &token(&jwt))
        .await
        .assert_error(503, UNAVAILABLE);
}

// Concurrent checks on Redis share round trips (RedisBlocklist batches them
// into pipelines); each still gets its own answer, and failures fail each
// of them closed.

/// `n` tokens of `jwt`, every third one revoked (directly, not batched).
async fn tokens_every_third_revoked(
    jwt: &JwtManager,
    n: usize,
) -> Vec<(jwt_extended::DecodedToken, bool)> {
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let decoded = jwt
            .decode_token(&token(jwt))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let revoked = i.is_multiple_of(3);
        if revoked {
            jwt.revoke(&decoded)
                .await
                .unwrap_or_else(|e| panic!("revoke: {e}"));
        }
        tokens.push((decoded, revoked));
    }
    tokens
}

/// Checks every token at once, each in its own task (spawned from a task,
/// as a burst of requests would be): (expected, outcome) per token.
async fn check_all_at_once(
    jwt: &JwtManager,
    tokens: &[(jwt_extended::DecodedToken, bool)],
) -> Vec<(bool, Result<bool, jwt_extended::Error>)> {
    let tokens = tokens.to_vec();
    let jwt = jwt.clone();
    let handles = tokio::spawn(async move {
        tokens
            .into_iter()
            .map(|(decoded, revoked)| {
                let jwt = jwt.clone();
                tokio::spawn(async move { (revoked, jwt.is_revoked(&decoded).await) })
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let mut outcomes = Vec::with_capacity(handles.len());
    for handle in handles {
        outcomes.push(handle.await.unwrap_or_else(|e| panic!("{e}")));
    }
    outcomes
}

/// A manager on a fresh `RedisBlocklist` connected to `server`.
async fn redis_manager(server: &RedisServer, timeout: Duration) -> JwtManager {
    let store = RedisBlocklist::connect(&server.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    build(builder(store, timeout))
}

/// Makes Redis hold every client's commands for `millis`.
async fn pause_redis(server: &RedisServer, millis: u64) {
    let mut admin = server.connection().await;
    redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(millis)
        .arg("ALL")
        .exec_async(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("CLIENT PAUSE: {e}"));
}

/// Every check answered, and answered right.
fn assert_all_answered(outcomes: Vec<(bool, Result<bool, jwt_extended::Error>)>) {
    for (i, (expected, outcome)) in outcomes.into_iter().enumerate() {
        let outcome = outcome.unwrap_or_else(|e| panic!("token {i}: {e}"));
        assert_eq!(outcome, expected, "token {i}");
    }
}

/// A counter from Redis' `INFO stats`.
async fn redis_stat(server: &RedisServer, name: &str) -> u64 {
    let mut admin = server.connection().await;
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("INFO: {e}"));
    info.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in INFO stats"))
}

async fn concurrent_checks_share_round_trips() {
    let server = RedisServer::start().await;
    let jwt = redis_manager(&server, Duration::from_secs(5)).await;
    let n = 300;
    let tokens = tokens_every_third_revoked(&jwt, n).await;
    let reads = redis_stat(&server, "total_reads_processed").await;
    let commands = redis_stat(&server, "total_commands_processed").await;

    assert_all_answered(check_all_at_once(&jwt, &tokens).await);

    // One EXISTS per token (per-token answers), in far fewer socket reads
    // than tokens: the lookups travelled together. (The INFO calls count
    // too: two reads and two commands.)
    let reads = redis_stat(&server, "total_reads_processed").await - reads;
    let commands = redis_stat(&server, "total_commands_processed").await - commands;
    assert!(commands >= n as u64, "{commands} commands for {n} tokens");
    assert!(
        reads <= (n / 10) as u64,
        "{reads} reads by Redis for {n} concurrent checks"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn concurrent_redis_checks_share_round_trips_on_the_multi_thread_runtime() {
    concurrent_checks_share_round_trips().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_redis_checks_share_round_trips_on_two_workers() {
    concurrent_checks_share_round_trips().await;
}

#[tokio::test(flavor = "current_thread")]
async fn concurrent_redis_checks_share_round_trips_on_the_current_thread_runtime() {
    concurrent_checks_share_round_trips().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_under_concurrent_checks_fails_each_closed_then_recovers() {
    let mut server = RedisServer::start().await;
    let jwt = redis_manager(&server, Duration::from_secs(5)).await;
    let tokens = tokens_every_third_revoked(&jwt, 300).await;

    // Hold the checks in Redis (one batch sent, the others queued behind
    // it), then kill it under them.
    pause_redis(&server, 3000).await;
    let checks = {
        let jwt = jwt.clone();
        let tokens = tokens.clone();
        tokio::spawn(async move { check_all_at_once(&jwt, &tokens).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.kill();
    let started = Instant::now();
    for (i, (_, outcome)) in checks
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .enumerate()
    {
        match outcome {
            Ok(answer) => panic!("token {i}: answered {answer} by a dead Redis"),
            Err(e) => assert_eq!(e.kind(), ErrorKind::BlocklistUnavailable, "token {i}"),
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "refused at once, not at the timeout: {:?}",
        started.elapsed()
    );

    // Back on the same port (its append-only file kept the revocations):
    // the same store answers every token correctly again.
    server.restart().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while jwt.is_revoked(&tokens[1].0).await.is_err() {
        assert!(Instant::now() < deadline, "no recovery after the restart");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_all_answered(check_all_at_once(&jwt, &tokens).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_cut_off_by_the_timeout_leave_the_queue_working() {
    let server = RedisServer::start().await;
    let jwt = redis_manager(&server, Duration::from_millis(100)).await;
    let tokens = tokens_every_third_revoked(&jwt, 300).await;

    pause_redis(&server, 400).await;
    for (i, (_, outcome)) in check_all_at_once(&jwt, &tokens)
        .await
        .into_iter()
        .enumerate()
    {
        let error = outcome.err().map(|e| e.kind());
        assert_eq!(error, Some(ErrorKind::BlocklistUnavailable), "token {i}");
    }

    // Once Redis answers again, so does every check: the abandoned ones
    // left nothing behind.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let outcomes = check_all_at_once(&jwt, &tokens).await;
        if outcomes.iter().all(|(_, outcome)| outcome.is_ok()) {
            assert_all_answered(outcomes);
            break;
        }
        assert!(Instant::now() < deadline, "no recovery after the pause");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
