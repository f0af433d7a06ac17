//! The cookie + CSRF flow in a real browser: headless Chromium, driven over
//! WebDriver (`fantoccini`), against the same single-page app built twice:
//! the `browser` example (axum) and `actix_browser` (actix-web). Every
//! scenario runs against both binaries at once, from one body; a failure
//! names the example.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages
//! `chromium` and `chromium-driver`; `scripts/install-deps.sh` installs them).
//! Nothing is downloaded at test time. The example binaries are taken from
//! `$JWT_EXT_EXAMPLES_DIR/browser` and `$JWT_EXT_EXAMPLES_DIR/actix_browser`
//! (set by `scripts/test.sh` after its build); without that variable the
//! test builds them itself with
//! `cargo build --release --example browser --example actix_browser`. A
//! missing browser, driver or binary fails the test loudly: it is never
//! skipped.
//!
//! Steps: log in through the form; call the protected POST (the page copies
//! the CSRF cookie into `X-CSRF-TOKEN`): 200; call it without the header:
//! 401 `Missing CSRF token`; a forged header: 401 `CSRF double submit tokens
//! do not match`; wait until the short-lived token is inside the refresh
//! window and see the implicit refresh (new CSRF cookie, new `jti`); wait
//! until it expires: 401 `Token has expired`; log out: the cookies are gone.
//! Screenshots of the page land in `test-output/EXAMPLE.png` (and
//! `test-output/EXAMPLE-logged-out.png`, `EXAMPLE-signed-out-everywhere.png`),
//! `EXAMPLE` being `browser` or `actix_browser`.

use std::collections::BTreeSet;
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The same app on each framework: axum, then actix-web.
const EXAMPLES: [&str; 2] = ["browser", "actix_browser"];
/// Access-token lifetime and refresh window given to the example.
const LIFETIME: u64 = 10;
const WINDOW: u64 = 6;
/// The longest one scenario may take against one example.
const STEPS_TIMEOUT: Duration = Duration::from_secs(120);

/// A child process killed (and reaped) when the test ends, however it ends.
struct Guard {
    name: String,
    child: Child,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Guard {
    fn spawn(name: String, command: &mut Command) -> Self {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        Self { name, child }
    }

    /// Waits until `port` accepts connections, failing if the process died.
    async fn wait_for_port(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        loop {
            let connect = tokio::net::TcpStream::connect(addr);
            let listening = matches!(
                tokio::time::timeout(Duration::from_millis(200), connect).await,
                Ok(Ok(_))
            );
            // Checked after connecting too: someone else on the port is
            // not our process.
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited before listening: {status}", self.name);
            }
            if listening {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not listen on {port}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A temporary directory removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = Self(std::env::temp_dir().join(format!(
            "jwt-extended-{name}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        )));
        std::fs::create_dir_all(&dir.0).unwrap_or_else(|e| panic!("profile dir: {e}"));
        dir
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port nothing listens on, never the same twice in this process: the
/// scenarios start their apps and drivers concurrently, and the system may
/// hand out a port again as soon as the probe releases it.
fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut given = GIVEN.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        if given.insert(port) {
            return port;
        }
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check_tools() {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: install Debian's chromium and chromium-driver (scripts/install-deps.sh)"
        );
    }
}

/// The directory of the example binaries: `$JWT_EXT_EXAMPLES_DIR`, or a
/// release build made here (once for all the tests of this file).
fn examples_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("JWT_EXT_EXAMPLES_DIR") {
        return PathBuf::from(dir);
    }
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(build_examples).clone()
}

fn build_examples() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut args = vec!["build", "--release"];
    for example in EXAMPLES {
        args.extend(["--example", example]);
    }
    let status = Command::new(&cargo)
        .args(&args)
        .current_dir(manifest_dir())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(status.success(), "`cargo {}` failed", args.join(" "));
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest_dir().join("target"));
    target.join("release/examples")
}

/// The binary of `example`, checked to exist.
fn example_binary(example: &str) -> PathBuf {
    let path = examples_dir().join(example);
    assert!(
        path.is_file(),
        "{} does not exist: build it with `cargo build --release --example {example}` \
         (and point JWT_EXT_EXAMPLES_DIR at its directory, or leave that unset)",
        path.display()
    );
    path
}

/// The steps of one scenario: the example's name (for screenshots), one
/// browser session per profile, the app's port.
type Steps = fn(&'static str, Vec<Client>, u16) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs `steps` against every example at once, each with its own app
/// process (started with `env`), chromedriver and Chromium profiles. Fails
/// naming every example whose run failed.
async fn on_every_example(env: &[(&'static str, String)], profiles: &'static [&str], steps: Steps) {
    check_tools();
    let runs: Vec<_> = EXAMPLES
        .into_iter()
        .map(|example| {
            let binary = example_binary(example);
            let run = tokio::spawn(run_example(example, binary, env.to_vec(), profiles, steps));
            (example, run)
        })
        .collect();
    let mut failures = Vec::new();
    for (example, run) in runs {
        match run.await {
            Ok(Ok(())) => {}
            Ok(Err(message)) => failures.push(message),
            Err(e) if e.is_panic() => {
                failures.push(format!("{example}: {}", panic_message(e.into_panic())));
            }
            Err(e) => failures.push(format!("{example}: did not finish: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// One example: its app, a chromedriver, a Chromium session per profile,
/// then `steps`. The sessions are closed (and Chromium stopped by its
/// driver) even when a step fails.
async fn run_example(
    example: &'static str,
    binary: PathBuf,
    env: Vec<(&'static str, String)>,
    profiles: &'static [&str],
    steps: Steps,
) -> Result<(), String> {
    let app_port = free_port();
    let mut app = Guard::spawn(
        format!("the {example} example"),
        Command::new(&binary)
            .envs(env)
            .env("PORT", app_port.to_string())
            .env("RUST_LOG", "warn"),
    );
    app.wait_for_port(app_port).await;
    let driver_port = free_port();
    let mut driver = Guard::spawn(
        format!("chromedriver for {example}"),
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={driver_port}"))
            .stderr(Stdio::null()),
    );
    driver.wait_for_port(driver_port).await;

    let dirs: Vec<TempDir> = profiles
        .iter()
        .map(|profile| TempDir::new(&format!("{example}-{profile}")))
        .collect();
    let mut sessions = Vec::new();
    for dir in &dirs {
        sessions.push(open_session(driver_port, &dir.0).await);
    }
    let run = tokio::spawn(steps(example, sessions.clone(), app_port));
    let outcome = tokio::time::timeout(STEPS_TIMEOUT, run).await;
    for client in sessions {
        let _ = client.close().await;
    }
    drop(driver);
    drop(app);
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) if e.is_panic() => Err(format!("{example}: {}", panic_message(e.into_panic()))),
        Ok(Err(e)) => Err(format!("{example}: the browser steps did not finish: {e}")),
        Err(_) => Err(format!(
            "{example}: the browser steps took more than {STEPS_TIMEOUT:?}"
        )),
    }
}

async fn open_session(driver_port: u16, profile: &Path) -> Client {
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(chrome_capabilities(profile))
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e}"))
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "panicked".to_owned())
}

fn chrome_capabilities(profile: &Path) -> serde_json::Map<String, Value> {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-quic",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1000,900",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .chain(std::iter::once(format!(
        "--user-data-dir={}",
        profile.display()
    )))
    .collect::<Vec<_>>();
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

async fn click(client: &Client, id: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click #{id}: {e}"));
}

async fn text(client: &Client, id: &str) -> String {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("no text in #{id}: {e}"))
}

/// Waits for the page to report call number `n`, and returns its status line
/// and the response body it shows.
async fn wait_call(client: &Client, n: u32) -> (String, Value) {
    let prefix = format!("#{n} ");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = text(client, "status").await;
        if status.starts_with(&prefix) {
            let body = text(client, "result").await;
            let body = serde_json::from_str(&body).unwrap_or(Value::Null);
            return (status, body);
        }
        assert!(
            Instant::now() < deadline,
            "call {n} never finished; status is {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The browser's cookies (WebDriver sees `HttpOnly` ones too).
async fn cookies(client: &Client) -> Vec<(String, String, bool)> {
    client
        .get_all_cookies()
        .await
        .unwrap_or_else(|e| panic!("cannot read cookies: {e}"))
        .into_iter()
        .map(|c| {
            (
                c.name().to_owned(),
                c.value().to_owned(),
                c.http_only().unwrap_or(false),
            )
        })
        .collect()
}

async fn screenshot(client: &Client, name: &str) {
    let png = client
        .screenshot()
        .await
        .unwrap_or_else(|e| panic!("screenshot failed: {e}"));
    let dir = manifest_dir().join("test-output");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let path = dir.join(name);
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    eprintln!("screenshot: {}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_login_csrf_refresh_logout() {
    let env = [
        ("ACCESS_TOKEN_SECONDS", LIFETIME.to_string()),
        ("REFRESH_WINDOW_SECONDS", WINDOW.to_string()),
    ];
    on_every_example(&env, &["main"], |example, sessions, app_port| {
        Box::pin(async move { steps(example, &sessions[0], app_port).await })
    })
    .await;
}

async fn steps(example: &str, client: &Client, app_port: u16) {
    let base = format!("http://127.0.0.1:{app_port}/");
    client
        .goto(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot open {base}: {e}"));
    assert_eq!(text(client, "state").await, "logged out");

    // 1. Log in through the form.
    click(client, "login-button").await;
    let logged_in_at = Instant::now();
    let (status, body) = wait_call(client, 1).await;
    assert_eq!(status, "#1 HTTP 200: login successful", "{body}");
    assert_eq!(text(client, "state").await, "logged in");
    let jar = cookies(client).await;
    let jwt_cookie = jar.iter().find(|c| c.0 == "access_token_cookie");
    let csrf_cookie = jar.iter().find(|c| c.0 == "csrf_access_token");
    assert!(
        jwt_cookie.is_some_and(|c| c.2),
        "the JWT cookie is HttpOnly: {jar:?}"
    );
    assert!(
        csrf_cookie.is_some_and(|c| !c.2),
        "the CSRF cookie is readable: {jar:?}"
    );
    let first_csrf = csrf_cookie.map(|c| c.1.clone()).unwrap_or_default();
    // JavaScript sees the CSRF cookie but not the JWT.
    let visible = client
        .execute("return document.cookie;", vec![])
        .await
        .unwrap_or_else(|e| panic!("execute failed: {e}"));
    let visible = visible.as_str().unwrap_or_default();
    assert!(
        visible.contains("csrf_access_token=") && !visible.contains("access_token_cookie"),
        "{visible}"
    );
    assert_eq!(text(client, "csrf").await, first_csrf);

    // 2. The protected POST with the CSRF header: succeeds, no renewal yet.
    click(client, "call").await;
    let (status, body) = wait_call(client, 2).await;
    assert_eq!(status, "#2 HTTP 200", "{body}");
    assert_eq!(body["user"], json!("test"));
    let first_jti = body["jti"].clone();
    assert_eq!(text(client, "renewals").await, "0");

    // 3. Without the header: refused before the token is even decoded.
    click(client, "call-no-csrf").await;
    let (status, body) = wait_call(client, 3).await;
    assert_eq!(status, "#3 HTTP 401: Missing CSRF token", "{body}");
    assert_eq!(body, json!({"msg": "Missing CSRF token"}));

    // 3b. A forged header value (what a cross-site page would have to guess).
    let forged = client
        .execute(
            "return fetch('/api/protected', {method: 'POST', headers: {'X-CSRF-TOKEN': 'forged'}})\
               .then(r => r.json().then(b => [r.status, b.msg]));",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("execute failed: {e}"));
    assert_eq!(
        forged,
        json!([401, "CSRF double submit tokens do not match"])
    );

    // 4. Wait until the token is inside the refresh window, then call: the
    //    response carries a new token pair (the page sees a new CSRF cookie).
    let due = Duration::from_secs(LIFETIME - WINDOW + 1);
    tokio::time::sleep(due.saturating_sub(logged_in_at.elapsed())).await;
    click(client, "call").await;
    let (status, body) = wait_call(client, 4).await;
    assert_eq!(status, "#4 HTTP 200", "{body}");
    assert_eq!(
        body["jti"], first_jti,
        "the request still used the old token"
    );
    assert_eq!(
        text(client, "renewals").await,
        "1",
        "implicit refresh seen by the page"
    );
    let renewed_csrf = text(client, "csrf").await;
    assert_ne!(renewed_csrf, first_csrf);
    let renewed_at = Instant::now();

    // 5. The next call uses the renewed token, with the new CSRF value.
    click(client, "call").await;
    let (status, body) = wait_call(client, 5).await;
    assert_eq!(status, "#5 HTTP 200", "{body}");
    assert_ne!(body["jti"], first_jti, "a new token");
    let left = body["expires_in"].as_i64().unwrap_or_default();
    assert!(
        left as u64 > WINDOW,
        "renewed with a full lifetime, {left}s left"
    );
    assert_eq!(text(client, "renewals").await, "1");
    screenshot(client, &format!("{example}.png")).await;

    // 6. Idle past the lifetime: the session is over.
    let expired = Duration::from_secs(LIFETIME + 1);
    tokio::time::sleep(expired.saturating_sub(renewed_at.elapsed())).await;
    click(client, "call").await;
    let (status, _) = wait_call(client, 6).await;
    assert_eq!(status, "#6 HTTP 401: Token has expired");

    // 7. Log out: every JWT and CSRF cookie is gone.
    click(client, "logout").await;
    let (status, _) = wait_call(client, 7).await;
    assert_eq!(status, "#7 HTTP 200: logout successful");
    let jar = cookies(client).await;
    assert!(
        jar.iter().all(|c| !c.0.contains("token")),
        "cookies left after logout: {jar:?}"
    );
    assert_eq!(text(client, "state").await, "logged out");
    click(client, "call").await;
    let (status, _) = wait_call(client, 8).await;
    assert_eq!(
        status,
        "#8 HTTP 401: Missing cookie \"access_token_cookie\""
    );
    screenshot(client, &format!("{example}-logged-out.png")).await;
}

/// Issue 15: "sign out everywhere" across two browser profiles (two
/// Chromium sessions with their own cookie jars): both log in; one signs
/// out everywhere; the other's next call is refused with 401 `Token has
/// been revoked`, and a new login works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_sign_out_everywhere_reaches_the_other_browser() {
    on_every_example(&[], &["home", "work"], |example, sessions, app_port| {
        Box::pin(async move {
            sign_out_everywhere_steps(example, &sessions[0], &sessions[1], app_port).await;
        })
    })
    .await;
}

async fn sign_out_everywhere_steps(example: &str, home: &Client, work: &Client, app_port: u16) {
    let base = format!("http://127.0.0.1:{app_port}/");
    for client in [home, work] {
        client
            .goto(&base)
            .await
            .unwrap_or_else(|e| panic!("cannot open {base}: {e}"));
        click(client, "login-button").await;
        let (status, body) = wait_call(client, 1).await;
        assert_eq!(status, "#1 HTTP 200: login successful", "{body}");
        click(client, "call").await;
        let (status, body) = wait_call(client, 2).await;
        assert_eq!(status, "#2 HTTP 200", "{body}");
    }
    // Two browsers, two sessions: the cookie jars are separate.
    let home_jar = cookies(home).await;
    let work_jar = cookies(work).await;
    let access = |jar: &[(String, String, bool)]| {
        jar.iter()
            .find(|c| c.0 == "access_token_cookie")
            .map(|c| c.1.clone())
    };
    assert_ne!(access(&home_jar), access(&work_jar));

    // Home signs out everywhere.
    click(home, "logout-all").await;
    let (status, body) = wait_call(home, 3).await;
    assert_eq!(status, "#3 HTTP 200: signed out everywhere", "{body}");
    assert_eq!(text(home, "state").await, "logged out");

    // Work still holds its cookies, but its next request is refused.
    assert!(access(&cookies(work).await).is_some());
    click(work, "call").await;
    let (status, body) = wait_call(work, 3).await;
    assert_eq!(status, "#3 HTTP 401: Token has been revoked", "{body}");
    screenshot(work, &format!("{example}-signed-out-everywhere.png")).await;

    // A new login (a later second than the sign-out) works again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    click(work, "login-button").await;
    let (status, _) = wait_call(work, 4).await;
    assert_eq!(status, "#4 HTTP 200: login successful");
    click(work, "call").await;
    let (status, body) = wait_call(work, 5).await;
    assert_eq!(status, "#5 HTTP 200", "{body}");
}
