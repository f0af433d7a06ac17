//! Helpers for the blocklist tests: stores on the real servers named by
//! `REDIS_URL` / `DATABASE_URL` (a missing server fails the test), a private
//! `redis-server` the test can stop and restart, and a small app served on a
//! real port.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use jwt_extended::axum::{FlaskJson, Jwt, Refresh, render_error};
use jwt_extended::blocklist::sqlx::postgres::PgPoolOptions;
use jwt_extended::blocklist::sqlx::sqlite::SqlitePoolOptions;
use jwt_extended::blocklist::{Blocklist, RedisBlocklist, SqlBlocklist, redis};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

use crate::common;

/// A name no other test (or earlier run) uses: for key prefixes and tables.
pub fn unique(hint: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let hint: String = hint
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(16)
        .collect();
    format!("{hint}_{}_{n}_{nanos:x}", std::process::id())
}

/// A store on the shared Redis (`REDIS_URL`), under a unique prefix.
pub async fn redis_store(hint: &str) -> RedisBlocklist {
    let url = common::required_env("REDIS_URL");
    let store = RedisBlocklist::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to REDIS_URL={url}: {e}"));
    store
        .with_prefix(format!("test:{}:", unique(hint)))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A plain connection to the shared Redis, for inspecting keys.
pub async fn redis_connection() -> redis::aio::MultiplexedConnection {
    let url = common::required_env("REDIS_URL");
    let client = redis::Client::open(url.as_str()).unwrap_or_else(|e| panic!("{e}"));
    client
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("cannot connect to REDIS_URL={url}: {e}"))
}

/// An in-memory SQLite store (one connection that never closes), migrated.
pub async fn sqlite_store(hint: &str) -> SqlBlocklist {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await
        .unwrap_or_else(|e| panic!("in-memory SQLite: {e}"));
    let store = SqlBlocklist::new(pool)
        .with_table_name(format!("t_{}", unique(hint)))
        .unwrap_or_else(|e| panic!("{e}"));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    store
}

/// A pool on the shared PostgreSQL (`DATABASE_URL`).
pub async fn pg_pool() -> jwt_extended::blocklist::sqlx::PgPool {
    let url = common::required_env("DATABASE_URL");
    PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL={url}: {e}"))
}

/// A store on the shared PostgreSQL, in a table of its own, migrated.
pub async fn postgres_store(hint: &str) -> SqlBlocklist {
    let store = SqlBlocklist::new(pg_pool().await)
        .with_table_name(format!("t_{}", unique(hint)))
        .unwrap_or_else(|e| panic!("{e}"));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    store
}

/// A manager with the test secret and `store`.
pub fn manager(store: impl Blocklist, config: JwtConfig) -> JwtManager {
    JwtManager::builder(config.with_secret_key(common::SECRET))
        .blocklist(store)
        .blocklist_timeout(Duration::from_millis(1500))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn login(State(jwt): State<JwtManager>) -> Response {
    match jwt.create_token_pair("alice") {
        Ok(pair) => FlaskJson(json!({
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
        }))
        .into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn logout(State(jwt): State<JwtManager>, token: Jwt) -> Response {
    match jwt.revoke(&token).await {
        Ok(()) => FlaskJson(json!({"msg": "Access token revoked"})).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn refresh(State(jwt): State<JwtManager>, token: Jwt<Refresh>) -> Response {
    match jwt
        .access_token(token.identity())
        .session_of(&token)
        .create()
    {
        Ok(access) => FlaskJson(json!({ "access_token": access })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn protected(token: Jwt) -> Response {
    FlaskJson(json!({"hello": token.identity()})).into_response()
}

/// `POST /login` (a token pair), `DELETE /logout` (revokes the access
/// token), `POST /refresh`, `GET /protected`.
pub fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/logout", delete(logout))
        .route("/refresh", post(refresh))
        .route("/protected", get(protected))
        .with_state(jwt)
}

/// Serves `app` on `127.0.0.1:0`; returns its base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr: SocketAddr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            panic!("server error: {e}");
        }
    });
    format!("http://{addr}")
}

/// A reqwest client that never waits long.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `POST {base}/login`: (access, refresh).
pub async fn http_login(client: &reqwest::Client, base: &str) -> (String, String) {
    let response = client
        .post(format!("{base}/login"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("login: {e}"));
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap_or_else(|e| panic!("{e}"));
    let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    (field("access_token"), field("refresh_token"))
}

/// Sends `method {base}{path}` with a bearer token: (status, JSON body).
pub async fn http_call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
) -> (u16, Value) {
    let response = client
        .request(method, url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// `GET {base}/protected` with a bearer token.
pub async fn http_protected(client: &reqwest::Client, base: &str, token: &str) -> (u16, Value) {
    http_call(
        client,
        reqwest::Method::GET,
        &format!("{base}/protected"),
        token,
    )
    .await
}

/// A free TCP port on 127.0.0.1 (the listener is closed again).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A `redis-server` owned by one test, on its own port and directory, with
/// an append-only file synced on every write (so that a killed server comes
/// back with its data). Killed when dropped.
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one on a free port and waits until it answers.
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("jwt-ext-redis-{}", unique("srv")));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut server = Self {
            port: free_port(),
            dir,
            child: None,
        };
        server.restart().await;
        server
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills the server (SIGKILL, no goodbye to clients) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory.
    pub async fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server (install it: scripts/install-deps.sh): {e}")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(client) = redis::Client::open(self.url().as_str())
                && let Ok(mut conn) = client.get_multiplexed_async_connection().await
                && redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A plain connection, for commands such as `CLIENT PAUSE`.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url().as_str())
            .unwrap_or_else(|e| panic!("{e}"))
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
