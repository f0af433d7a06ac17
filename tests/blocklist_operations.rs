//! What operators rely on, shown on real servers and real ports:
//! revocations survive a restart; instances sharing a store see each other's
//! revocations on the very next request; a Redis outage refuses requests
//! (none admitted) and the app recovers by itself when Redis is back; a
//! Flask-JWT-Extended service and ours share one Redis.
//!
//! The apps are the shared test app (`common::frameworks`: `POST /login`,
//! `DELETE /logout`, `POST /refresh`, `GET /protected`), and each test body
//! runs on axum and on actix-web; the checks on the store itself run once.

mod blocklist_support;
mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jwt_extended::blocklist::{Blocklist, RedisBlocklist, SqlBlocklist};
use jwt_extended::{JwtConfig, JwtManager};
use reqwest::Method;

use blocklist_support::{self as support, RedisServer, http_login, http_protected};
use common::frameworks::{FRAMEWORKS, Framework, TestServer};

const REVOKED: (u16, &str) = (401, "Token has been revoked");
const UNAVAILABLE: (u16, &str) = (503, "Token revocation status is unavailable");

fn manager(store: impl Blocklist) -> JwtManager {
    support::manager(store, JwtConfig::new())
}

fn status_msg(answer: &(u16, serde_json::Value)) -> (u16, &str) {
    (answer.0, answer.1["msg"].as_str().unwrap_or_default())
}

async fn logout(client: &reqwest::Client, base: &str, token: &str) -> (u16, serde_json::Value) {
    support::http_call(client, Method::DELETE, &format!("{base}/logout"), token).await
}

// ---------------------------------------------------------------------------
// Restart: a new manager on the same store still refuses revoked tokens.
// ---------------------------------------------------------------------------

async fn survives_restart<S, F, Fut>(reopen: F)
where
    S: Blocklist,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    let (token, decoded) = {
        let jwt = manager(reopen().await);
        let token = jwt
            .create_access_token("alice")
            .unwrap_or_else(|e| panic!("{e}"));
        let decoded = jwt
            .decode_token(&token)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        jwt.revoke(&decoded).await.unwrap_or_else(|e| panic!("{e}"));
        (token, decoded)
    }; // the first "app" is gone, connections and all

    let jwt = manager(reopen().await);
    assert!(
        jwt.is_revoked(&decoded)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        "revocation lost across a restart"
    );
    for fw in FRAMEWORKS {
        let app = TestServer::start(fw, manager(reopen().await)).await;
        app.get_bearer("/protected", &token)
            .await
            .assert_error(401, "Token has been revoked");
    }
}

#[tokio::test]
async fn revocations_survive_an_app_restart_on_redis() {
    let url = common::required_env("REDIS_URL");
    let prefix = format!("restart:{}:", support::unique("redis"));
    survives_restart(|| async {
        RedisBlocklist::connect(&url)
            .await
            .and_then(|s| s.with_prefix(prefix.clone()))
            .unwrap_or_else(|e| panic!("{e}"))
    })
    .await;
}

#[tokio::test]
async fn revocations_survive_an_app_restart_on_postgres() {
    let table = format!("t_{}", support::unique("restart"));
    survives_restart(|| async {
        let store = SqlBlocklist::new(support::pg_pool().await)
            .with_table_name(table.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        store
    })
    .await;
}

#[tokio::test]
async fn revocations_survive_an_app_restart_on_a_sqlite_file() {
    let path = std::env::temp_dir().join(format!("{}.sqlite", support::unique("restart")));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    survives_restart(|| async {
        let pool = jwt_extended::blocklist::sqlx::SqlitePool::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let store = SqlBlocklist::new(pool);
        store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        store
    })
    .await;
    let _ = std::fs::remove_file(&path);
}

// ---------------------------------------------------------------------------
// Two instances on two ports, one store.
// ---------------------------------------------------------------------------

async fn two_instances_share_revocations<S, F, Fut>(open: F)
where
    S: Blocklist,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    for fw in FRAMEWORKS {
        two_instances_on(fw, &open).await;
    }
}

async fn two_instances_on<S, F, Fut>(framework: Framework, open: &F)
where
    S: Blocklist,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    // Each instance has its own manager and its own connections.
    let server_a = TestServer::start(framework, manager(open().await)).await;
    let server_b = TestServer::start(framework, manager(open().await)).await;
    let (a, b) = (server_a.base().to_owned(), server_b.base().to_owned());
    assert_ne!(a, b);
    let client = support::client();

    for (first, second) in [(&a, &b), (&b, &a)] {
        let (access, _refresh) = http_login(&client, first).await;
        assert_eq!(http_protected(&client, second, &access).await.0, 200);
        assert_eq!(logout(&client, first, &access).await.0, 200);
        // The very next request, on the other instance.
        assert_eq!(
            status_msg(&http_protected(&client, second, &access).await),
            REVOKED
        );
        assert_eq!(
            status_msg(&http_protected(&client, first, &access).await),
            REVOKED
        );
    }

    // A session revoked through A: its refresh token is refused by B, and so
    // is an access token B minted from it before the logout.
    let (access, refresh) = http_login(&client, &a).await;
    let minted = support::http_call(&client, Method::POST, &format!("{b}/refresh"), &refresh).await;
    assert_eq!(minted.0, 200, "{}", minted.1);
    let minted = minted.1["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let jwt = manager(open().await);
    let refresh_decoded = jwt
        .decode_token(&refresh)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let access_decoded = jwt
        .decode_token(&access)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    jwt.revoke_session(&access_decoded, &refresh)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refresh_decoded.jti(), access_decoded.session_id());
    for token in [&access, &minted] {
        assert_eq!(
            status_msg(&http_protected(&client, &b, token).await),
            REVOKED
        );
    }
    let again = support::http_call(&client, Method::POST, &format!("{b}/refresh"), &refresh).await;
    assert_eq!(status_msg(&again), REVOKED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_two_ports_share_one_redis() {
    let url = common::required_env("REDIS_URL");
    let prefix = format!("two:{}:", support::unique("redis"));
    two_instances_share_revocations(|| async {
        RedisBlocklist::connect(&url)
            .await
            .and_then(|s| s.with_prefix(prefix.clone()))
            .unwrap_or_else(|e| panic!("{e}"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_two_ports_share_one_postgres() {
    let table = format!("t_{}", support::unique("two"));
    two_instances_share_revocations(|| async {
        let store = SqlBlocklist::new(support::pg_pool().await)
            .with_table_name(table.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        store
    })
    .await;
}

// ---------------------------------------------------------------------------
// Redis stopped mid-run, then back on the same port.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_refuses_everything_then_the_app_recovers_by_itself() {
    for fw in FRAMEWORKS {
        redis_outage_on(fw).await;
    }
}

async fn redis_outage_on(framework: Framework) {
    let mut redis = RedisServer::start().await;
    let store = RedisBlocklist::connect(&redis.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let server = TestServer::start(framework, manager(store)).await;
    let base = server.base().to_owned();
    let client = support::client();
    let (valid, _) = http_login(&client, &base).await;
    let (revoked, _) = http_login(&client, &base).await;
    assert_eq!(logout(&client, &base, &revoked).await.0, 200);
    assert_eq!(http_protected(&client, &base, &valid).await.0, 200);
    assert_eq!(
        status_msg(&http_protected(&client, &base, &revoked).await),
        REVOKED
    );

    redis.kill();
    for i in 0..10 {
        for token in [&valid, &revoked] {
            let started = Instant::now();
            let answer = http_protected(&client, &base, token).await;
            assert_eq!(status_msg(&answer), UNAVAILABLE, "request {i} while down");
            // Refused at once, not after the 1.5 s blocklist timeout.
            assert!(
                started.elapsed() < Duration::from_millis(1000),
                "request {i} took {:?}",
                started.elapsed()
            );
        }
    }
    // A login still works (no store needed), its token is refused too.
    let (during, _) = http_login(&client, &base).await;
    assert_eq!(
        status_msg(&http_protected(&client, &base, &during).await),
        UNAVAILABLE
    );

    redis.restart().await; // same port, same data (append-only file)
    let back = Instant::now();
    loop {
        // The revoked token is never admitted, before or after recovery.
        let answer = http_protected(&client, &base, &revoked).await;
        assert!(
            matches!(status_msg(&answer), REVOKED | UNAVAILABLE),
            "revoked token got {answer:?}"
        );
        let answer = http_protected(&client, &base, &valid).await;
        if answer.0 == 200 {
            break;
        }
        assert_eq!(status_msg(&answer), UNAVAILABLE);
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "the app did not recover after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status_msg(&http_protected(&client, &base, &revoked).await),
        REVOKED
    );
    assert_eq!(http_protected(&client, &base, &during).await.0, 200);
    // And revoking works again.
    assert_eq!(logout(&client, &base, &valid).await.0, 200);
    assert_eq!(
        status_msg(&http_protected(&client, &base, &valid).await),
        REVOKED
    );
}

// ---------------------------------------------------------------------------
// A Flask-JWT-Extended service and ours, one Redis.
// ---------------------------------------------------------------------------

/// The reference's Redis example (interop/reference_apps/blocklist_redis.py),
/// killed when dropped.
struct PythonApp {
    child: Child,
    base: String,
}

impl PythonApp {
    async fn start(redis_url: &str) -> Self {
        let port = support::free_port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/interop/reference_apps/blocklist_redis.py"
        );
        let child = Command::new("python3")
            .arg(script)
            .env("PORT", port.to_string())
            .env("REDIS_URL", redis_url)
            .env("PYTHONWARNINGS", "ignore")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
        let mut app = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if let Ok(Some(status)) = app.child.try_wait() {
                panic!(
                    "the Python reference app exited ({status}); install it with \
                     scripts/install-deps.sh (flask-jwt-extended==4.7.1, redis)"
                );
            }
            assert!(Instant::now() < deadline, "the Python app did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        app
    }
}

impl Drop for PythonApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flask_service_and_ours_share_one_redis() {
    let url = common::required_env("REDIS_URL");
    let python = PythonApp::start(&url).await;
    for fw in FRAMEWORKS {
        flask_and_ours_on(fw, &url, &python).await;
    }
}

async fn flask_and_ours_on(framework: Framework, url: &str, python: &PythonApp) {
    // No prefix: the reference recipe's layout.
    let store = RedisBlocklist::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let server = TestServer::start(framework, manager(store)).await;
    let rust = server.base().to_owned();
    let client = support::client();

    let py_login = |client: reqwest::Client, base: String| async move {
        let body: serde_json::Value = client
            .post(format!("{base}/login"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        body["access_token"].as_str().unwrap_or_default().to_owned()
    };

    // Revoked by Python, refused by us.
    let token = py_login(client.clone(), python.base.clone()).await;
    assert_eq!(http_protected(&client, &rust, &token).await.0, 200);
    assert_eq!(logout(&client, &python.base, &token).await.0, 200);
    assert_eq!(
        status_msg(&http_protected(&client, &rust, &token).await),
        REVOKED
    );

    // Revoked by us, refused by Python.
    let (token, _) = http_login(&client, &rust).await;
    assert_eq!(http_protected(&client, &python.base, &token).await.0, 200);
    assert_eq!(logout(&client, &rust, &token).await.0, 200);
    assert_eq!(
        status_msg(&http_protected(&client, &python.base, &token).await),
        REVOKED
    );
}
