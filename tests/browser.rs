//! The cookie + CSRF flow in a real browser: headless Chromium, driven over
//! WebDriver (`fantoccini`), against the `browser` example binary.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages
//! `chromium` and `chromium-driver`; `scripts/install-deps.sh` installs them).
//! Nothing is downloaded at test time. The example binary is taken from
//! `$JWT_EXT_EXAMPLES_DIR/browser` (set by `scripts/test.sh` after its
//! release build); without that variable the test builds it itself with
//! `cargo build --release --example browser`. A missing browser, driver or
//! binary fails the test loudly: it is never skipped.
//!
//! Steps: log in through the form; call the protected POST (the page copies
//! the CSRF cookie into `X-CSRF-TOKEN`): 200; call it without the header:
//! 401 `Missing CSRF token`; a forged header: 401 `CSRF double submit tokens
//! do not match`; wait until the short-lived token is inside the refresh
//! window and see the implicit refresh (new CSRF cookie, new `jti`); wait
//! until it expires: 401 `Token has expired`; log out: the cookies are gone.
//! A screenshot of the page lands in `test-output/browser.png` (and
//! `test-output/browser-logged-out.png`).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Access-token lifetime and refresh window given to the example.
const LIFETIME: u64 = 10;
const WINDOW: u64 = 6;

/// A child process killed (and reaped) when the test ends, however it ends.
struct Guard {
    name: &'static str,
    child: Child,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Guard {
    fn spawn(name: &'static str, command: &mut Command) -> Self {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        Self { name, child }
    }

    /// Waits until `port` accepts connections, failing if the process died.
    fn wait_for_port(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited before listening: {status}", self.name);
            }
            assert!(
                Instant::now() < deadline,
                "{} did not listen on {port}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A temporary directory removed at the end.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The example binary: `$JWT_EXT_EXAMPLES_DIR/browser`, or built here.
fn example_binary() -> PathBuf {
    if let Ok(dir) = std::env::var("JWT_EXT_EXAMPLES_DIR") {
        let path = Path::new(&dir).join("browser");
        assert!(
            path.is_file(),
            "JWT_EXT_EXAMPLES_DIR is set but {} does not exist: build it with `cargo build --release --example browser`",
            path.display()
        );
        return path;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .args(["build", "--release", "--example", "browser"])
        .current_dir(manifest_dir())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        status.success(),
        "`cargo build --release --example browser` failed"
    );
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest_dir().join("target"));
    let path = target.join("release/examples/browser");
    assert!(path.is_file(), "built, but {} is missing", path.display());
    path
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
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: install Debian's chromium and chromium-driver (scripts/install-deps.sh)"
        );
    }
    let binary = example_binary();

    let app_port = free_port();
    let mut app = Guard::spawn(
        "browser example",
        Command::new(&binary)
            .env("PORT", app_port.to_string())
            .env("ACCESS_TOKEN_SECONDS", LIFETIME.to_string())
            .env("REFRESH_WINDOW_SECONDS", WINDOW.to_string())
            .env("RUST_LOG", "warn"),
    );
    app.wait_for_port(app_port);

    let driver_port = free_port();
    let mut driver = Guard::spawn(
        "chromedriver",
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={driver_port}"))
            .stderr(Stdio::null()),
    );
    driver.wait_for_port(driver_port);

    let profile = TempDir(std::env::temp_dir().join(format!(
        "jwt-extended-browser-{}-{app_port}",
        std::process::id()
    )));
    std::fs::create_dir_all(&profile.0).unwrap_or_else(|e| panic!("profile dir: {e}"));

    run_steps(driver_port, app_port, &profile.0).await;
    drop(driver);
    drop(app);
}

async fn run_steps(driver_port: u16, app_port: u16, profile: &Path) {
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(chrome_capabilities(profile))
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e}"));
    // The steps run in their own task so that the browser session is closed
    // (and Chromium stopped by its driver) even when an assertion fails.
    let session = client.clone();
    let steps = tokio::spawn(async move { steps(&session, app_port).await });
    let outcome = tokio::time::timeout(Duration::from_secs(120), steps).await;
    let _ = client.close().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("browser steps did not finish: {e}"),
        Err(_) => panic!("the browser steps took more than 2 minutes"),
    }
}

async fn steps(client: &Client, app_port: u16) {
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
    screenshot(client, "browser.png").await;

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
    screenshot(client, "browser-logged-out.png").await;
}

/// Issue 15: "sign out everywhere" across two browser profiles (two
/// Chromium sessions with their own cookie jars): both log in; one signs
/// out everywhere; the other's next call is refused with 401 `Token has
/// been revoked`, and a new login works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_sign_out_everywhere_reaches_the_other_browser() {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: install Debian's chromium and chromium-driver (scripts/install-deps.sh)"
        );
    }
    let binary = example_binary();
    let app_port = free_port();
    let mut app = Guard::spawn(
        "browser example",
        Command::new(&binary)
            .env("PORT", app_port.to_string())
            .env("RUST_LOG", "warn"),
    );
    app.wait_for_port(app_port);
    let driver_port = free_port();
    let mut driver = Guard::spawn(
        "chromedriver",
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={driver_port}"))
            .stderr(Stdio::null()),
    );
    driver.wait_for_port(driver_port);

    let profile = |name: &str| {
        let dir = TempDir(std::env::temp_dir().join(format!(
            "jwt-extended-browser-{name}-{}-{app_port}",
            std::process::id()
        )));
        std::fs::create_dir_all(&dir.0).unwrap_or_else(|e| panic!("profile dir: {e}"));
        dir
    };
    let (home, work) = (profile("home"), profile("work"));
    let mut sessions = Vec::new();
    for dir in [&home, &work] {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(chrome_capabilities(&dir.0))
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e}"));
        sessions.push(client);
    }
    let (a, b) = (sessions[0].clone(), sessions[1].clone());
    let steps = tokio::spawn(async move { sign_out_everywhere_steps(&a, &b, app_port).await });
    let outcome = tokio::time::timeout(Duration::from_secs(120), steps).await;
    for client in sessions {
        let _ = client.close().await;
    }
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("browser steps did not finish: {e}"),
        Err(_) => panic!("the browser steps took more than 2 minutes"),
    }
    drop(driver);
    drop(app);
}

async fn sign_out_everywhere_steps(home: &Client, work: &Client, app_port: u16) {
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
    screenshot(work, "browser-signed-out-everywhere.png").await;

    // A new login (a later second than the sign-out) works again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    click(work, "login-button").await;
    let (status, _) = wait_call(work, 4).await;
    assert_eq!(status, "#4 HTTP 200: login successful");
    click(work, "call").await;
    let (status, body) = wait_call(work, 5).await;
    assert_eq!(status, "#5 HTTP 200", "{body}");
}
