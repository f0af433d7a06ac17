//! A remote JWK Set: fetched over HTTPS (directly or through OIDC
//! discovery), cached, refreshed ahead of expiry in the background,
//! refetched for a `kid` it does not know (single-flight, with a small
//! allowance that refills slowly), and kept while the provider is down.
//!
//! Requests never wait on a lock held across a fetch: the keys are an
//! `Arc` snapshot swapped in whole when a fetch succeeds. Only a request
//! that needs a key not yet known waits, for one shared fetch bounded by
//! the timeout.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use reqwest::{Client, Url};
use tokio::sync::watch;

use super::LookupError;
use super::http;
use super::jwk::{self, PublishedKeys};
use crate::config::Algorithm;
use crate::runtime;

/// Why a remote key source could not be set up, or why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteKeysError {
    /// The URL (or the issuer it was derived from) does not parse, or is
    /// not `http(s)`.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A plain-`http` URL on a host that is not loopback, without
    /// [`RemoteJwksBuilder::allow_http`].
    #[error(
        "{0:?} is not https (plain http is only allowed for loopback hosts, or with allow_http)"
    )]
    InsecureUrl(String),
    /// The request failed: connection, TLS, a redirect to another origin.
    #[error("request failed: {0}")]
    Transport(String),
    /// No complete answer within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The server answered with another status than 200.
    #[error("the server answered {0}")]
    Status(u16),
    /// The answer was bigger than the size limit (bytes).
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// The discovery document is unusable (not JSON, another issuer, no
    /// `jwks_uri`, an insecure `jwks_uri`).
    #[error("OIDC discovery: {0}")]
    Discovery(String),
    /// The JWK Set is unusable as a whole (not a set, too many keys, no
    /// usable signature key); the keys known before stay in use.
    #[error("JWK Set: {0}")]
    JwkSet(String),
}

/// Where the keys are published.
#[derive(Debug, Clone)]
enum Location {
    Jwks(Url),
    Discovery { issuer: String, url: Url },
}

/// The settings of a [`RemoteJwks`]; see [`RemoteJwksBuilder`] for each.
#[derive(Debug, Clone)]
struct Options {
    timeout: Duration,
    connect_timeout: Duration,
    max_age: Duration,
    min_age: Duration,
    stale_if_error: Duration,
    refetch_burst: u32,
    refetch_every: Duration,
    max_response_bytes: usize,
    max_keys: usize,
    allow_http: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            max_age: Duration::from_secs(600),
            min_age: Duration::from_secs(30),
            stale_if_error: Duration::from_secs(24 * 3600),
            refetch_burst: 3,
            refetch_every: Duration::from_secs(10),
            max_response_bytes: 256 * 1024,
            max_keys: 64,
            allow_http: false,
        }
    }
}

/// Builds a [`RemoteJwks`]; every setting has a default (the table in
/// [`RemoteJwks`]).
#[derive(Debug, Clone)]
#[must_use]
pub struct RemoteJwksBuilder {
    target: Target,
    options: Options,
    client: Option<Client>,
}

#[derive(Debug, Clone)]
enum Target {
    Jwks(String),
    Discovery(String),
}

impl RemoteJwksBuilder {
    /// Gives up on a fetch (discovery and JWK Set together) after this long
    /// (default 5 s). No request waits longer than this for keys.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// Gives up connecting after this long (default 2 s). Applies to the
    /// client made here; bring your own with [`http_client`](Self::http_client)
    /// to set it yourself ([`timeout`](Self::timeout) still bounds the whole).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = timeout;
        self
    }

    /// The longest the keys are used before they are fetched again
    /// (default 10 minutes). A provider's `Cache-Control: max-age` shortens
    /// it, down to [`min_age`](Self::min_age); it never lengthens it. The
    /// refresh runs in the background when four fifths of it have passed,
    /// so requests do not wait for it.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.options.max_age = max_age;
        self
    }

    /// The shortest time between scheduled refreshes, whatever the
    /// provider's `Cache-Control` says (default 30 s; at most
    /// [`max_age`](Self::max_age)).
    pub fn min_age(mut self, min_age: Duration) -> Self {
        self.options.min_age = min_age;
        self
    }

    /// How long the keys stay in use after they should have been
    /// refreshed, while the provider cannot be reached (default 24 hours).
    /// After that every token of the issuer gets 503 until a fetch
    /// succeeds.
    pub fn stale_if_error(mut self, stale_for: Duration) -> Self {
        self.options.stale_if_error = stale_for;
        self
    }

    /// The refetches a token with an unknown `kid` may cause: at most
    /// `burst` in a row, then one per `every` (defaults 3 and 10 s).
    /// Requests that arrive while a fetch runs share it and cost nothing,
    /// so a thousand concurrent tokens with a new `kid` cause one fetch,
    /// and a flood of random `kid`s causes `burst` fetches plus one per
    /// `every`.
    pub fn unknown_kid_refetches(mut self, burst: u32, every: Duration) -> Self {
        self.options.refetch_burst = burst;
        self.options.refetch_every = every;
        self
    }

    /// The largest discovery document or JWK Set read, in bytes (default
    /// 256 KiB).
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.options.max_response_bytes = bytes;
        self
    }

    /// The most entries a JWK Set may hold (default 64); a bigger set is
    /// refused as a whole and the known keys stay.
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.options.max_keys = max_keys;
        self
    }

    /// Allows plain `http` to hosts that are not loopback. Only for tests
    /// and networks you trust: keys fetched over `http` can be replaced by
    /// anyone on the path. Loopback hosts (`localhost`, `127.0.0.0/8`,
    /// `::1`) are always allowed.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.options.allow_http = allow;
        self
    }

    /// Fetches with your own `reqwest` client (a private CA, client
    /// certificates, a proxy). The [`timeout`](Self::timeout) still bounds
    /// every fetch, and an answer from another origin than the one asked
    /// (after a redirect) is still refused.
    pub fn http_client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The source. Nothing is fetched yet: the first token that needs a key
    /// (or [`RemoteJwks::refresh`]) starts it.
    ///
    /// # Errors
    /// [`RemoteKeysError::InvalidUrl`], [`RemoteKeysError::InsecureUrl`],
    /// or [`RemoteKeysError::Transport`] if the HTTP client cannot be made.
    pub fn build(self) -> Result<RemoteJwks, RemoteKeysError> {
        let mut options = self.options;
        options.min_age = options.min_age.min(options.max_age);
        options.refetch_every = options.refetch_every.max(Duration::from_millis(1));
        let location = match self.target {
            Target::Jwks(url) => Location::Jwks(http::checked_url(&url, options.allow_http)?),
            Target::Discovery(issuer) => Location::Discovery {
                url: http::discovery_url(&issuer, options.allow_http)?,
                issuer,
            },
        };
        let client = match self.client {
            Some(client) => client,
            None => http::default_client(options.connect_timeout)?,
        };
        let now = Instant::now();
        Ok(RemoteJwks {
            inner: Arc::new(Inner {
                refetches: Mutex::new(Allowance {
                    left: options.refetch_burst,
                    since: now,
                }),
                location,
                options,
                client,
                keys: RwLock::new(Arc::new(Snapshot::empty(now))),
                jwks_uri: Mutex::new(None),
                flight: Mutex::new(Flight::default()),
                refresher: AtomicBool::new(false),
                fetches: AtomicU64::new(0),
            }),
        })
    }
}

/// The keys of an identity provider or another service, fetched from its
/// JWK Set and kept current. Give it to a
/// [`TrustedIssuer`](super::TrustedIssuer). Cloning shares the cache.
///
/// | setting | default | [panva/jose] `createRemoteJWKSet` |
/// |---|---|---|
/// | [`timeout`](RemoteJwksBuilder::timeout) | 5 s | 5 s |
/// | [`max_age`](RemoteJwksBuilder::max_age) | 10 min, refreshed in the background at 8 min, shortened by `Cache-Control` | 10 min, refetched on the next request after it |
/// | [`unknown_kid_refetches`](RemoteJwksBuilder::unknown_kid_refetches) | 3 at once, then one per 10 s | one per 30 s (`cooldownDuration`) |
/// | [`stale_if_error`](RemoteJwksBuilder::stale_if_error) | 24 h | none: a failed refetch fails the request |
/// | [`max_response_size`](RemoteJwksBuilder::max_response_size) / [`max_keys`](RemoteJwksBuilder::max_keys) | 256 KiB / 64 | none |
///
/// Where ours differ, why: refreshing *ahead* keeps the fetch off the
/// request path; a burst allowance instead of a flat cooldown accepts a key
/// the provider has just published at once, even right after another
/// fetch, while a flood of made-up `kid`s still costs only a few fetches;
/// keeping the known keys while the provider is down (stale-if-error) means
/// an outage of the provider is not an outage of every API that trusts it.
/// A token whose key is not known while the provider is down gets 503 (the
/// keys are unavailable), never 500, and never waits more than the timeout.
///
/// Only signature keys (`use` absent or `"sig"`) of a type we verify are
/// kept: RSA (2048 bits or more), EC P-256/P-384, Ed25519; a key naming
/// its `alg` verifies only that algorithm. Encryption keys, unknown types
/// or algorithms and shared secrets (`kty: "oct"`) are skipped with a
/// `tracing` event and never spoil a refresh. A refresh replaces the whole
/// set, so a key the provider withdrew stops verifying.
///
/// ```no_run
/// use std::time::Duration;
/// use jwt_extended::issuers::RemoteJwks;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let google = RemoteJwks::discover("https://accounts.google.com")
///     .timeout(Duration::from_secs(3))
///     .build()?;
/// // Optional: fetch now rather than on the first token.
/// let keys = google.refresh().await?;
/// println!("{keys} keys: {:?}", google.kids());
/// # Ok(()) }
/// ```
///
/// [panva/jose]: https://github.com/panva/jose
#[derive(Clone)]
pub struct RemoteJwks {
    inner: Arc<Inner>,
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("location", &self.inner.location)
            .field("kids", &self.kids())
            .finish_non_exhaustive()
    }
}

impl RemoteJwks {
    /// Keys published at a JWK Set URL (`jwks_uri`).
    pub fn jwks_url(url: impl Into<String>) -> RemoteJwksBuilder {
        RemoteJwksBuilder {
            target: Target::Jwks(url.into()),
            options: Options::default(),
            client: None,
        }
    }

    /// Keys of an OpenID Connect provider, found through discovery: the
    /// document at `{issuer}/.well-known/openid-configuration` must name
    /// `issuer` exactly, and its `jwks_uri` gives the keys. The document is
    /// read again when fetching the keys fails.
    pub fn discover(issuer: impl Into<String>) -> RemoteJwksBuilder {
        RemoteJwksBuilder {
            target: Target::Discovery(issuer.into()),
            options: Options::default(),
            client: None,
        }
    }

    /// Fetches the keys now (sharing a fetch already running) and starts
    /// the background refresh: to warm the cache at start-up, or after
    /// hearing that the provider rotated. Returns how many keys are usable.
    ///
    /// # Errors
    /// Why the fetch failed; the keys known before stay in use.
    pub async fn refresh(&self) -> Result<usize, RemoteKeysError> {
        self.start_refresher();
        if self.inner.fetch_shared().await {
            Ok(self.inner.snapshot().keys.len())
        } else {
            Err(self
                .last_error()
                .unwrap_or(RemoteKeysError::Timeout(self.inner.options.timeout)))
        }
    }

    /// The `kid`s of the keys in use, sorted.
    #[must_use]
    pub fn kids(&self) -> Vec<String> {
        self.inner.snapshot().keys.kids()
    }

    /// How many times the JWK Set was requested (discovery documents not
    /// counted), successful or not.
    #[must_use]
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// Why the last fetch failed, while the provider is failing; `None`
    /// once a fetch succeeds.
    #[must_use]
    pub fn last_error(&self) -> Option<RemoteKeysError> {
        self.inner.lock_flight().last_error.clone()
    }

    /// The keys that may verify a token with this `kid` and algorithm.
    pub(crate) async fn keys(
        &self,
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Result<Vec<Arc<DecodingKey>>, LookupError> {
        self.start_refresher();
        let inner = &self.inner;
        let snapshot = inner.snapshot();
        let now = Instant::now();
        if snapshot.fetched_at.is_none() {
            // Nothing known yet: wait for the first fetch (shared; not
            // counted against the refetch allowance) unless it just failed.
            if !inner.may_fetch(now) {
                return Err(LookupError::Unavailable);
            }
            inner.fetch_shared().await;
            return inner.lookup_fetched(kid, algorithm);
        }
        if now >= snapshot.fresh_until {
            inner.revalidate_in_background(now);
        }
        if now < snapshot.usable_until {
            let found = snapshot.keys.matching(kid, algorithm);
            if !found.is_empty() {
                return Ok(found);
            }
        }
        if inner.may_refetch(now) {
            inner.fetch_shared().await;
            return inner.lookup_fetched(kid, algorithm);
        }
        if inner.is_healthy() && now < snapshot.usable_until {
            Err(LookupError::NoKey)
        } else {
            Err(LookupError::Unavailable)
        }
    }

    /// Starts the background refresh task once (when a tokio runtime is
    /// running; otherwise it is tried again on the next use).
    fn start_refresher(&self) {
        let inner = &self.inner;
        if inner.refresher.load(Ordering::Acquire) || inner.refresher.swap(true, Ordering::AcqRel) {
            return;
        }
        if !runtime::spawn(refresh_loop(Arc::downgrade(inner))) {
            inner.refresher.store(false, Ordering::Release);
        }
    }
}

/// The keys in use and how long they are good for.
struct Snapshot {
    keys: PublishedKeys,
    /// When they were fetched; `None` before the first successful fetch.
    fetched_at: Option<Instant>,
    /// When they should be fetched again.
    fresh_until: Instant,
    /// When they stop being used if no fetch succeeded meanwhile.
    usable_until: Instant,
}

impl Snapshot {
    fn empty(now: Instant) -> Self {
        Self {
            keys: PublishedKeys::default(),
            fetched_at: None,
            fresh_until: now,
            usable_until: now,
        }
    }
}

/// The fetch running now, and how the last ones went.
#[derive(Default)]
struct Flight {
    running: Option<watch::Receiver<Option<bool>>>,
    failures: u32,
    last_failure: Option<Instant>,
    last_error: Option<RemoteKeysError>,
}

impl Flight {
    /// How long to wait after the last failure before trying again: 1 s,
    /// doubling, at most 30 s.
    fn backoff(&self) -> Duration {
        let doublings = self.failures.saturating_sub(1).min(5);
        Duration::from_secs(1 << doublings).min(Duration::from_secs(30))
    }

    fn retry_at(&self) -> Option<Instant> {
        self.last_failure.map(|at| at + self.backoff())
    }
}

/// The unknown-`kid` refetches left: `left` now, one more per
/// `refetch_every` since `since`, up to the burst.
struct Allowance {
    left: u32,
    since: Instant,
}

struct Inner {
    location: Location,
    options: Options,
    client: Client,
    keys: RwLock<Arc<Snapshot>>,
    /// The `jwks_uri` found through discovery, until a fetch fails.
    jwks_uri: Mutex<Option<Url>>,
    flight: Mutex<Flight>,
    refetches: Mutex<Allowance>,
    refresher: AtomicBool,
    fetches: AtomicU64,
}

impl Inner {
    fn snapshot(&self) -> Arc<Snapshot> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn lock_flight(&self) -> std::sync::MutexGuard<'_, Flight> {
        self.flight.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the last fetch succeeded (or none failed yet).
    fn is_healthy(&self) -> bool {
        self.lock_flight().failures == 0
    }

    /// Whether a fetch may start now: one is running (join it), or the
    /// last failure's back-off is over.
    fn may_fetch(&self, now: Instant) -> bool {
        let flight = self.lock_flight();
        flight.running.is_some() || flight.retry_at().is_none_or(|at| now >= at)
    }

    /// Whether a token with an unknown `kid` may cause a fetch: joining a
    /// running one is free; starting one takes from the allowance.
    fn may_refetch(&self, now: Instant) -> bool {
        {
            let flight = self.lock_flight();
            if flight.running.is_some() {
                return true;
            }
            if flight.retry_at().is_some_and(|at| now < at) {
                return false;
            }
        }
        let mut allowance = self
            .refetches
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let every = self.options.refetch_every;
        let earned = now.saturating_duration_since(allowance.since).as_nanos() / every.as_nanos();
        let earned = u32::try_from(earned).unwrap_or(u32::MAX);
        if earned > 0 {
            allowance.left = allowance
                .left
                .saturating_add(earned)
                .min(self.options.refetch_burst);
            allowance.since = if allowance.left == self.options.refetch_burst {
                now
            } else {
                allowance.since + every * earned
            };
        }
        if allowance.left == 0 {
            tracing::debug!(
                target: "jwt_extended::issuers",
                "unknown kid: refetch allowance used up, not fetching"
            );
            return false;
        }
        allowance.left -= 1;
        true
    }

    /// The lookup after a fetch: the keys if known now; else 422 when the
    /// provider answered, 503 when it did not.
    fn lookup_fetched(
        &self,
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Result<Vec<Arc<DecodingKey>>, LookupError> {
        let snapshot = self.snapshot();
        if snapshot.fetched_at.is_none() || Instant::now() >= snapshot.usable_until {
            return Err(LookupError::Unavailable);
        }
        let found = snapshot.keys.matching(kid, algorithm);
        if !found.is_empty() {
            Ok(found)
        } else if self.is_healthy() {
            Err(LookupError::NoKey)
        } else {
            Err(LookupError::Unavailable)
        }
    }

    /// Keys past their age: fetch in the background (the current keys keep
    /// serving), unless a fetch runs or the back-off says wait.
    fn revalidate_in_background(self: &Arc<Self>, now: Instant) {
        if !self.may_fetch(now) || self.lock_flight().running.is_some() {
            return;
        }
        let inner = Arc::clone(self);
        runtime::spawn(async move {
            inner.fetch_shared().await;
        });
    }

    /// Fetches the keys, or waits for the fetch already running; `true`
    /// when it succeeded. Waits at most the timeout (and a little).
    async fn fetch_shared(self: &Arc<Self>) -> bool {
        let Some(mut done) = self.join_or_start() else {
            // No runtime to spawn on: nothing to share with.
            return self.fetch_and_record().await;
        };
        let limit = self.options.timeout + Duration::from_millis(250);
        match runtime::with_timeout(limit, done.wait_for(Option::is_some)).await {
            Some(Ok(outcome)) => outcome.unwrap_or(false),
            _ => false,
        }
    }

    /// The running fetch's outcome channel, or a new fetch's after
    /// spawning it; `None` when there is no runtime to spawn on.
    fn join_or_start(self: &Arc<Self>) -> Option<watch::Receiver<Option<bool>>> {
        let mut flight = self.lock_flight();
        if let Some(running) = &flight.running {
            return Some(running.clone());
        }
        let (report, done) = watch::channel(None);
        flight.running = Some(done.clone());
        drop(flight);
        let inner = Arc::clone(self);
        let task = async move {
            let ok = inner.fetch_and_record().await;
            inner.lock_flight().running = None;
            report.send_replace(Some(ok));
        };
        if runtime::spawn(task) {
            Some(done)
        } else {
            self.lock_flight().running = None;
            None
        }
    }

    /// One fetch, with its outcome recorded (keys swapped in, or the
    /// failure counted and logged).
    async fn fetch_and_record(&self) -> bool {
        let timeout = self.options.timeout;
        let result = runtime::with_timeout(timeout, self.fetch())
            .await
            .unwrap_or(Err(RemoteKeysError::Timeout(timeout)));
        let mut flight = self.lock_flight();
        match result {
            Ok(()) => {
                flight.failures = 0;
                flight.last_failure = None;
                flight.last_error = None;
                true
            }
            Err(error) => {
                flight.failures = flight.failures.saturating_add(1);
                flight.last_failure = Some(Instant::now());
                let known = self.snapshot().keys.len();
                tracing::warn!(
                    target: "jwt_extended::issuers",
                    location = ?self.location,
                    failures = flight.failures,
                    known_keys = known,
                    "fetching the JWK Set failed: {error}"
                );
                flight.last_error = Some(error);
                if let Location::Discovery { .. } = self.location {
                    *self.jwks_uri.lock().unwrap_or_else(PoisonError::into_inner) = None;
                }
                false
            }
        }
    }

    /// Discovery when needed, then the JWK Set; swaps the new keys in.
    async fn fetch(&self) -> Result<(), RemoteKeysError> {
        let url = self.jwks_url().await?;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let options = &self.options;
        let fetched = http::get_json(
            &self.client,
            &url,
            options.timeout,
            options.max_response_bytes,
        )
        .await?;
        let (keys, skipped) = jwk::parse_jwk_set(&fetched.body, options.max_keys)
            .map_err(|e| RemoteKeysError::JwkSet(e.to_string()))?;
        for key in &skipped {
            tracing::debug!(
                target: "jwt_extended::issuers",
                url = %url,
                kid = ?key.kid,
                "skipped a key of the JWK Set: {}",
                key.reason
            );
        }
        let age = fetched
            .max_age
            .unwrap_or(options.max_age)
            .clamp(options.min_age, options.max_age);
        let now = Instant::now();
        tracing::info!(
            target: "jwt_extended::issuers",
            url = %url,
            kids = ?keys.kids(),
            skipped = skipped.len(),
            max_age = ?age,
            "fetched the JWK Set"
        );
        let snapshot = Snapshot {
            keys,
            fetched_at: Some(now),
            fresh_until: now + age,
            usable_until: now + age + options.stale_if_error,
        };
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(snapshot);
        Ok(())
    }

    /// The JWK Set's URL: configured, or found through discovery (kept
    /// until a fetch fails).
    async fn jwks_url(&self) -> Result<Url, RemoteKeysError> {
        let (issuer, discovery) = match &self.location {
            Location::Jwks(url) => return Ok(url.clone()),
            Location::Discovery { issuer, url } => (issuer, url),
        };
        if let Some(url) = self
            .jwks_uri
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Ok(url);
        }
        let options = &self.options;
        let document = http::get_json(
            &self.client,
            discovery,
            options.timeout,
            options.max_response_bytes,
        )
        .await?;
        let url = http::jwks_uri_of(&document.body, issuer, options.allow_http)?;
        tracing::info!(
            target: "jwt_extended::issuers",
            issuer = %issuer,
            jwks_uri = %url,
            "discovered the JWK Set"
        );
        *self.jwks_uri.lock().unwrap_or_else(PoisonError::into_inner) = Some(url.clone());
        Ok(url)
    }

    /// How long the background task sleeps before the next refresh: at
    /// once before the first fetch, the back-off after a failure, else
    /// until four fifths of the keys' age have passed.
    fn next_refresh_in(&self, now: Instant) -> Duration {
        if let Some(retry_at) = self.lock_flight().retry_at() {
            return retry_at.saturating_duration_since(now);
        }
        let snapshot = self.snapshot();
        let Some(fetched_at) = snapshot.fetched_at else {
            return Duration::ZERO;
        };
        let age = snapshot.fresh_until.saturating_duration_since(fetched_at);
        let due = fetched_at + age * 4 / 5;
        due.saturating_duration_since(now)
            .max(Duration::from_millis(100))
    }
}

/// The background refresh: sleeps until the next refresh is due, fetches,
/// repeats; ends when the last [`RemoteJwks`] is dropped.
async fn refresh_loop(inner: Weak<Inner>) {
    loop {
        let delay = match inner.upgrade() {
            Some(inner) => inner.next_refresh_in(Instant::now()),
            None => return,
        };
        runtime::sleep(delay).await;
        let Some(strong) = inner.upgrade() else {
            return;
        };
        strong.fetch_shared().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_thirty_seconds() {
        let mut flight = Flight::default();
        let seconds: Vec<u64> = (1..=8)
            .map(|failures| {
                flight.failures = failures;
                flight.backoff().as_secs()
            })
            .collect();
        assert_eq!(seconds, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn urls_are_checked_when_built() {
        assert!(matches!(
            RemoteJwks::jwks_url("http://idp.example/certs").build(),
            Err(RemoteKeysError::InsecureUrl(_))
        ));
        assert!(
            RemoteJwks::jwks_url("http://127.0.0.1:1/certs")
                .build()
                .is_ok()
        );
        assert!(
            RemoteJwks::discover("http://idp.example")
                .allow_http(true)
                .build()
                .is_ok()
        );
    }

    #[tokio::test]
    async fn the_allowance_refills_slowly() {
        let jwks = RemoteJwks::jwks_url("http://127.0.0.1:1/certs")
            .unknown_kid_refetches(2, Duration::from_secs(3600))
            .build()
            .unwrap();
        let now = Instant::now();
        assert!(jwks.inner.may_refetch(now));
        assert!(jwks.inner.may_refetch(now));
        assert!(!jwks.inner.may_refetch(now));
        assert!(jwks.inner.may_refetch(now + Duration::from_secs(3600)));
        assert!(!jwks.inner.may_refetch(now + Duration::from_secs(3601)));
    }

    #[tokio::test]
    async fn an_unreachable_provider_is_unavailable_and_prompt() {
        // Port 1 on loopback refuses at once.
        let jwks = RemoteJwks::jwks_url("http://127.0.0.1:1/certs")
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let started = Instant::now();
        let result = jwks.keys(Some("k"), Algorithm::RS256).await;
        assert_eq!(result.err(), Some(LookupError::Unavailable));
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(matches!(
            jwks.last_error(),
            Some(RemoteKeysError::Transport(_))
        ));
        // Inside the back-off the next token does not even try.
        assert_eq!(
            jwks.keys(Some("k"), Algorithm::RS256).await.err(),
            Some(LookupError::Unavailable)
        );
    }
}
