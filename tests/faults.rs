//! Store faults under load, against real Redis and PostgreSQL servers that
//! each test starts (and kills) itself.
//!
//! - Kill the store mid-load, then bring it back: no request with a revoked
//!   token is ever admitted, refused requests get the clear 503, revocations
//!   attempted while the store is down fail loudly, and the same app recovers
//!   without a restart (revocations made before the crash still hold).
//! - Slow store (a paused Redis: `CLIENT PAUSE`; a locked PostgreSQL table):
//!   every request is answered within the configured blocklist timeout (plus
//!   scheduling slack), with 503 while the store hangs.
//!
//! Needs `redis-server` and PostgreSQL's `initdb`/`pg_ctl` (installed by
//! scripts/install-deps.sh). A missing binary fails the test; nothing is
//! skipped. As root, PostgreSQL runs as the `postgres` user (`runuser`).

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use jwt_extended::axum::{FlaskJson, Jwt};
use jwt_extended::blocklist::sqlx::postgres::{PgConnection, PgPoolOptions};
use jwt_extended::blocklist::sqlx::{self, Connection as _};
use jwt_extended::blocklist::{Blocklist, RedisBlocklist, SqlBlocklist};
use jwt_extended::{ErrorKind, JwtConfig, JwtManager};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The blocklist timeout of every app here.
const TIMEOUT: Duration = Duration::from_millis(500);
/// Scheduling slack on top of it: two cores, shared with the rest of the
/// test run and with the stores themselves.
const SLACK: Duration = Duration::from_millis(1500);
const UNAVAILABLE: &str = "Token revocation status is unavailable";
const REVOKED: &str = "Token has been revoked";
const WORKERS: usize = 16;
const TOKENS: usize = 48;

// ---------------------------------------------------------------- processes

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn scratch_dir(kind: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "jwt-ext-faults-{kind}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// Runs a command to completion; panics with its output if it fails.
fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run {command:?}: {e} (scripts/install-deps.sh installs it)")
    });
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Sends one inline command to a Redis port and returns the first reply line.
async fn redis_command(port: u16, command: &str) -> Option<String> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    stream
        .write_all(format!("{command}\r\n").as_bytes())
        .await
        .ok()?;
    let mut reply = vec![0; 256];
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut reply))
        .await
        .ok()?
        .ok()?;
    Some(String::from_utf8_lossy(&reply[..n]).trim().to_owned())
}

/// A `redis-server` of this test: own port, own directory, append-only file
/// synced on every write so that a killed server comes back with its data.
struct RedisProcess {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisProcess {
    async fn start() -> Self {
        let mut redis = Self {
            port: free_port(),
            dir: scratch_dir("redis"),
            child: None,
        };
        redis.restart().await;
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// SIGKILL: no shutdown, no goodbye to the clients.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server (scripts/install-deps.sh): {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while redis_command(self.port, "PING").await.as_deref() != Some("+PONG") {
            assert!(
                Instant::now() < deadline,
                "redis-server did not come up on {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Suspends the processing of every client's commands.
    async fn pause(&self, for_: Duration) {
        let reply =
            redis_command(self.port, &format!("CLIENT PAUSE {} ALL", for_.as_millis())).await;
        assert_eq!(reply.as_deref(), Some("+OK"), "CLIENT PAUSE failed");
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A PostgreSQL cluster of this test (initdb, pg_ctl), on its own port.
struct PostgresProcess {
    port: u16,
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
}

fn pg_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("PG_BIN") {
        return PathBuf::from(bin);
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.filter_map(Result::ok)
                .map(|d| d.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .find(|bin| bin.join("pg_ctl").exists())
        .unwrap_or_else(|| {
            panic!("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): run scripts/install-deps.sh")
        })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PostgresProcess {
    async fn start() -> Self {
        let dir = scratch_dir("pg");
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres").arg(&dir));
        }
        let pg = Self {
            port: free_port(),
            dir,
            bin: pg_bin(),
            as_postgres,
        };
        run(pg
            .command("initdb")
            .arg("-D")
            .arg(pg.data())
            .args(["--auth=trust", "-U", "postgres"]));
        pg.restart().await;
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl stop -m immediate`: every server process quits at once, like
    /// a crash (recovery runs at the next start).
    fn kill(&self) {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"]));
    }

    async fn restart(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.dir.display()
        );
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-o", &options, "start"]));
        let deadline = Instant::now() + Duration::from_secs(20);
        while PgConnection::connect(&self.url()).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not come up on {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for PostgresProcess {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------- the app and the load

async fn protected(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({ "logged_in_as": token.identity() }))
}

fn manager(store: impl Blocklist) -> JwtManager {
    JwtManager::builder(JwtConfig::new().with_secret_key(common::SECRET))
        .blocklist(store)
        .blocklist_timeout(TIMEOUT)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Serves the app on a real port; returns its base URL.
async fn serve(jwt: JwtManager) -> String {
    let app = Router::new()
        .route("/protected", get(protected))
        .with_state(jwt);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
enum Phase {
    Up = 0,
    Faulty = 1,
    Recovering = 2,
}

impl Phase {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Up,
            1 => Self::Faulty,
            _ => Self::Recovering,
        }
    }
}

/// Tokens, which of them are revoked (confirmed by the store), and what the
/// load saw.
struct Load {
    base: String,
    jwt: JwtManager,
    tokens: Vec<String>,
    revoked: Mutex<HashSet<usize>>,
    /// Revocations tried, including those that failed: a revocation cut off
    /// by the timeout has an unknown outcome and may land later.
    attempted: Mutex<HashSet<usize>>,
    /// Whether the store cannot answer at all during the fault (killed), so
    /// that any 200 then means a token was admitted without asking it.
    unreachable_during_fault: AtomicBool,
    phase: AtomicU8,
    stop: AtomicBool,
    client: reqwest::Client,
    tally: Mutex<BTreeMap<(Phase, String), usize>>,
    violations: Mutex<Vec<String>>,
    slowest: Mutex<Duration>,
    failed_revocations: AtomicUsize,
    fault_at: Mutex<Option<Instant>>,
}

impl Load {
    async fn new(jwt: JwtManager) -> Arc<Self> {
        let base = serve(jwt.clone()).await;
        let tokens = (0..TOKENS)
            .map(|i| {
                jwt.create_access_token(&format!("user{i}"))
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        Arc::new(Self {
            base,
            jwt,
            tokens,
            revoked: Mutex::default(),
            attempted: Mutex::default(),
            unreachable_during_fault: AtomicBool::new(false),
            phase: AtomicU8::new(Phase::Up as u8),
            stop: AtomicBool::new(false),
            client,
            tally: Mutex::default(),
            violations: Mutex::default(),
            slowest: Mutex::new(Duration::ZERO),
            failed_revocations: AtomicUsize::new(0),
            fault_at: Mutex::new(None),
        })
    }

    fn is_revoked(&self, i: usize) -> bool {
        self.revoked.lock().map(|r| r.contains(&i)).unwrap_or(false)
    }

    fn was_attempted(&self, i: usize) -> bool {
        self.attempted
            .lock()
            .map(|r| r.contains(&i))
            .unwrap_or(false)
    }

    fn violation(&self, text: String) {
        if let Ok(mut v) = self.violations.lock() {
            v.push(text);
        }
    }

    /// Revokes token `i`; on success it joins the revoked set.
    async fn revoke(&self, i: usize) -> bool {
        if let Ok(mut a) = self.attempted.lock() {
            a.insert(i);
        }
        match self.jwt.revoke_encoded(&self.tokens[i]).await {
            Ok(()) => {
                if let Ok(mut r) = self.revoked.lock() {
                    r.insert(i);
                }
                true
            }
            Err(e) => {
                if e.kind() != ErrorKind::BlocklistUnavailable {
                    self.violation(format!("revocation failed with {:?}: {e}", e.kind()));
                }
                self.failed_revocations.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// One request with token `i`, checked.
    async fn call(&self, i: usize) -> (u16, String) {
        let phase = Phase::from_u8(self.phase.load(Ordering::SeqCst));
        let revoked_before = self.is_revoked(i);
        let started = Instant::now();
        let response = self
            .client
            .get(format!("{}/protected", self.base))
            .bearer_auth(&self.tokens[i])
            .send()
            .await;
        let (status, body) = match response {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.text().await.unwrap_or_default())
            }
            Err(e) => {
                self.violation(format!("connection error: {e}"));
                return (0, String::new());
            }
        };
        let elapsed = started.elapsed();
        // A request counts as "during the fault" only when it was sent and
        // answered while the store was down; one still waiting when the
        // store came back may rightly get the store's answer.
        let phase = match (phase, Phase::from_u8(self.phase.load(Ordering::SeqCst))) {
            (Phase::Faulty, Phase::Faulty) => Phase::Faulty,
            (Phase::Up, _) | (_, Phase::Up) => Phase::Up,
            _ => Phase::Recovering,
        };
        if let Ok(mut slowest) = self.slowest.lock() {
            *slowest = (*slowest).max(elapsed);
        }
        if elapsed > TIMEOUT + SLACK {
            self.violation(format!(
                "{status} after {elapsed:?} (bound {:?})",
                TIMEOUT + SLACK
            ));
        }
        let msg = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v.get("msg").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        let kind = match (status, msg.as_str()) {
            (200, _) if revoked_before => {
                self.violation(format!(
                    "token {i} was admitted after its revocation: {body}"
                ));
                "ADMITTED REVOKED"
            }
            (200, _)
                if phase == Phase::Faulty
                    && self.unreachable_during_fault.load(Ordering::SeqCst) =>
            {
                self.violation(format!(
                    "token {i} admitted while the store was down (sent {:?} after the fault)",
                    self.fault_at
                        .lock()
                        .ok()
                        .and_then(|f| f.map(|f| started.duration_since(f)))
                ));
                "200"
            }
            (200, _) => "200",
            (401, REVOKED) if self.was_attempted(i) => "401 revoked",
            (503, UNAVAILABLE) => "503",
            _ => {
                self.violation(format!("token {i}: unexpected {status} {body}"));
                "unexpected"
            }
        };
        if let Ok(mut tally) = self.tally.lock() {
            *tally.entry((phase, kind.to_owned())).or_default() += 1;
        }
        (status, msg)
    }

    fn spawn_workers(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut handles: Vec<_> = (0..WORKERS)
            .map(|w| {
                let load = self.clone();
                tokio::spawn(async move {
                    let mut i = w;
                    while !load.stop.load(Ordering::SeqCst) {
                        load.call(i % TOKENS).await;
                        i += WORKERS + 1;
                    }
                })
            })
            .collect();
        // A revoker: one more token every 100 ms, whatever the store's state.
        let load = self.clone();
        handles.push(tokio::spawn(async move {
            let mut next = TOKENS / 4;
            while !load.stop.load(Ordering::SeqCst) && next < TOKENS {
                if load.revoke(next).await {
                    next += 1;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
        handles
    }

    fn set_phase(&self, phase: Phase) {
        if phase == Phase::Faulty
            && let Ok(mut at) = self.fault_at.lock()
        {
            *at = Some(Instant::now());
        }
        self.phase.store(phase as u8, Ordering::SeqCst);
    }

    fn count(&self, phase: Phase, kind: &str) -> usize {
        self.tally
            .lock()
            .map(|t| t.get(&(phase, kind.to_owned())).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Waits until a valid token gets 200 and a revoked one 401 again.
    async fn wait_for_recovery(&self, within: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let valid = (0..TOKENS).find(|i| !self.is_revoked(*i));
            let revoked = (0..TOKENS).find(|i| self.is_revoked(*i));
            if let (Some(valid), Some(revoked)) = (valid, revoked) {
                let (a, _) = self.call(valid).await;
                let (b, _) = self.call(revoked).await;
                if a == 200 && b == 401 {
                    return started.elapsed();
                }
            }
            assert!(
                started.elapsed() < within,
                "the app did not recover within {within:?} of the store's return: {:?}",
                self.tally.lock().map(|t| t.clone()).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn finish(&self, handles: Vec<tokio::task::JoinHandle<()>>) {
        self.stop.store(true, Ordering::SeqCst);
        for handle in handles {
            let _ = handle.await;
        }
        // After everything: each confirmed revocation still holds.
        let revoked: Vec<usize> = self
            .revoked
            .lock()
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        for i in revoked {
            let (status, msg) = self.call(i).await;
            assert_eq!(
                (status, msg.as_str()),
                (401, REVOKED),
                "token {i} after the run"
            );
        }
        let violations = self
            .violations
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default();
        let tally = self.tally.lock().map(|t| t.clone()).unwrap_or_default();
        eprintln!(
            "tally {tally:?}, slowest {:?}, failed revocations {}",
            self.slowest.lock().map(|s| *s).unwrap_or_default(),
            self.failed_revocations.load(Ordering::Relaxed)
        );
        assert!(
            violations.is_empty(),
            "{} violations, first: {:?}",
            violations.len(),
            violations.iter().take(5).collect::<Vec<_>>()
        );
    }
}

/// Revokes the first quarter of the tokens before any load.
async fn revoke_some(load: &Load) {
    for i in 0..TOKENS / 4 {
        assert!(
            load.revoke(i).await,
            "revocation {i} failed with the store up"
        );
    }
}

// ---------------------------------------------------------------- kill and restart

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_load_and_restarted() {
    let mut redis = RedisProcess::start().await;
    let store = RedisBlocklist::connect(&redis.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let load = Load::new(manager(store)).await;
    revoke_some(&load).await;
    let workers = load.spawn_workers();

    tokio::time::sleep(Duration::from_secs(2)).await;
    load.unreachable_during_fault.store(true, Ordering::SeqCst);
    redis.kill();
    // Requests sent from now on find the store gone.
    load.set_phase(Phase::Faulty);
    tokio::time::sleep(Duration::from_secs(3)).await;
    load.set_phase(Phase::Recovering);
    redis.restart().await;
    let recovery = load.wait_for_recovery(Duration::from_secs(15)).await;
    eprintln!("Redis: recovered {recovery:?} after the restart");
    tokio::time::sleep(Duration::from_secs(2)).await;
    load.finish(workers).await;

    assert!(load.count(Phase::Up, "200") > 0 && load.count(Phase::Up, "401 revoked") > 0);
    assert!(
        load.count(Phase::Faulty, "503") > 0,
        "the outage was never seen"
    );
    assert_eq!(
        load.count(Phase::Faulty, "200"),
        0,
        "admitted without asking the store"
    );
    assert!(
        load.failed_revocations.load(Ordering::Relaxed) > 0,
        "no revocation hit the outage"
    );
    assert!(load.count(Phase::Recovering, "200") > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_mid_load_and_restarted() {
    let pg = PostgresProcess::start().await;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(2))
        .connect(&pg.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let store = SqlBlocklist::new(pool);
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    let load = Load::new(manager(store)).await;
    revoke_some(&load).await;
    let workers = load.spawn_workers();

    tokio::time::sleep(Duration::from_secs(2)).await;
    load.unreachable_during_fault.store(true, Ordering::SeqCst);
    pg.kill();
    // Requests sent from now on find the store gone.
    load.set_phase(Phase::Faulty);
    tokio::time::sleep(Duration::from_secs(3)).await;
    load.set_phase(Phase::Recovering);
    pg.restart().await;
    let recovery = load.wait_for_recovery(Duration::from_secs(20)).await;
    eprintln!("PostgreSQL: recovered {recovery:?} after the restart");
    tokio::time::sleep(Duration::from_secs(2)).await;
    load.finish(workers).await;

    assert!(load.count(Phase::Up, "200") > 0 && load.count(Phase::Up, "401 revoked") > 0);
    assert!(
        load.count(Phase::Faulty, "503") > 0,
        "the outage was never seen"
    );
    assert_eq!(
        load.count(Phase::Faulty, "200"),
        0,
        "admitted without asking the store"
    );
    assert!(
        load.failed_revocations.load(Ordering::Relaxed) > 0,
        "no revocation hit the outage"
    );
    assert!(load.count(Phase::Recovering, "200") > 0);
}

// ---------------------------------------------------------------- slow stores

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_redis_times_out_at_the_bound() {
    let redis = RedisProcess::start().await;
    let store = RedisBlocklist::connect(&redis.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let load = Load::new(manager(store)).await;
    revoke_some(&load).await;
    let workers = load.spawn_workers();

    tokio::time::sleep(Duration::from_secs(1)).await;
    load.set_phase(Phase::Faulty);
    let pause = Duration::from_secs(3);
    let paused_at = Instant::now();
    redis.pause(pause).await;
    // Measure one request in the middle of the pause.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let (status, msg) = load.call(TOKENS - 1).await;
    let took = started.elapsed();
    assert_eq!((status, msg.as_str()), (503, UNAVAILABLE));
    assert!(
        took >= TIMEOUT.mul_f32(0.9) && took <= TIMEOUT + SLACK,
        "a paused store answered in {took:?}, not at the {TIMEOUT:?} bound"
    );
    // Requests still waiting when the pause ends count as recovering.
    tokio::time::sleep_until((paused_at + pause - Duration::from_millis(200)).into()).await;
    load.set_phase(Phase::Recovering);
    load.wait_for_recovery(Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    load.finish(workers).await;
    assert!(load.count(Phase::Faulty, "503") > 0);
    assert!(load.count(Phase::Recovering, "200") > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_postgres_table_times_out_at_the_bound() {
    let pg = PostgresProcess::start().await;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(2))
        .connect(&pg.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let store = SqlBlocklist::new(pool);
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    let table = store.table_name().to_owned();
    let load = Load::new(manager(store)).await;
    revoke_some(&load).await;
    let workers = load.spawn_workers();

    tokio::time::sleep(Duration::from_secs(1)).await;
    // Another session holds an exclusive lock: every lookup waits.
    let mut locker = PgConnection::connect(&pg.url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("BEGIN")
        .execute(&mut locker)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
    )))
    .execute(&mut locker)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    load.set_phase(Phase::Faulty);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let (status, msg) = load.call(TOKENS - 1).await;
    let took = started.elapsed();
    assert_eq!((status, msg.as_str()), (503, UNAVAILABLE));
    assert!(
        took >= TIMEOUT.mul_f32(0.9) && took <= TIMEOUT + SLACK,
        "a locked table answered in {took:?}, not at the {TIMEOUT:?} bound"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    load.set_phase(Phase::Recovering);
    sqlx::query("COMMIT")
        .execute(&mut locker)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    load.wait_for_recovery(Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    load.finish(workers).await;
    assert!(load.count(Phase::Faulty, "503") > 0);
    assert!(load.count(Phase::Recovering, "200") > 0);
}
