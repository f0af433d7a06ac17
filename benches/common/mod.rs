//! Set-up shared by the benchmarks (`benches/jwt.rs` under criterion,
//! `benches/icount.rs` under callgrind): for each algorithm, our manager and
//! routers, and a hand-written `jsonwebtoken` baseline doing the same work.
//!
//! The baseline is what an application would write without this crate: a
//! typed claims struct, `jsonwebtoken::decode` with a `Validation` matching
//! the checks the reference applies to a valid token (algorithm allow-list,
//! `exp` and `nbf` with no leeway, `sub` required), the token type check,
//! and for the Router paths a minimal `FromRequestParts` extractor (bearer
//! header, or cookie plus `X-CSRF-TOKEN` compared in constant time, or a
//! `jti` lookup in an in-memory revocation map).
#![allow(dead_code, unreachable_pub, missing_docs, clippy::expect_used)]

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll, Waker};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::routing::get;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use jwt_extended::axum::Jwt;
use jwt_extended::blocklist::{Blocklist, MemoryBlocklist, Revocation};
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use tower::ServiceExt;

/// The algorithms benchmarked, by their JOSE names.
pub const ALGORITHMS: [&str; 4] = ["HS256", "RS256", "ES256", "EdDSA"];

/// Revoked entries preloaded into both blocklists (the benchmarked token is
/// not among them).
pub const REVOKED_ENTRIES: usize = 1000;

const SECRET: &str = "super-secret-dev-key";
const IDENTITY: &str = "testuser";
const ACCESS_LIFETIME_SECS: u64 = 15 * 60;

struct KeyPair {
    algorithm: Algorithm,
    private_pem: &'static str,
    public_pem: &'static str,
}

fn key_pair(name: &str) -> KeyPair {
    let (algorithm, private_pem, public_pem) = match name {
        "HS256" => (Algorithm::HS256, SECRET, SECRET),
        "RS256" => (
            Algorithm::RS256,
            include_str!("../../tests/fixtures/keys/rsa2048_private.pem"),
            include_str!("../../tests/fixtures/keys/rsa2048_public.pem"),
        ),
        "ES256" => (
            Algorithm::ES256,
            include_str!("../../tests/fixtures/keys/ec256_private.pem"),
            include_str!("../../tests/fixtures/keys/ec256_public.pem"),
        ),
        "EdDSA" => (
            Algorithm::EdDSA,
            include_str!("../../tests/fixtures/keys/ed25519_private.pem"),
            include_str!("../../tests/fixtures/keys/ed25519_public.pem"),
        ),
        other => panic!("unknown algorithm {other}"),
    };
    KeyPair {
        algorithm,
        private_pem,
        public_pem,
    }
}

/// Our configuration for an algorithm, reading tokens from `locations`.
fn config(name: &str, locations: &[TokenLocation]) -> JwtConfig {
    let keys = key_pair(name);
    let config = JwtConfig::new()
        .with_algorithm(
            jwt_extended::Algorithm::try_from(keys.algorithm).expect("a supported algorithm"),
        )
        .with_token_location(locations.iter().copied());
    if keys.algorithm == Algorithm::HS256 {
        config.with_secret_key(SECRET)
    } else {
        config
            .with_private_key(keys.private_pem)
            .with_public_key(keys.public_pem)
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Polls a future that never waits (no I/O, no timers) to completion
/// without a runtime, so that the decode benchmarks measure decoding only.
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future was expected to complete at once"),
    }
}

/// The reference's claims for an access token, typed, in the order the
/// reference writes them (so both sides sign payloads of the same size).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub fresh: bool,
    pub iat: u64,
    pub jti: String,
    #[serde(rename = "type")]
    pub token_type: String,
    pub sub: String,
    pub nbf: u64,
    pub csrf: String,
    pub exp: u64,
}

/// Where the baseline extractor reads the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `Authorization: Bearer <token>`.
    Header,
    /// The `access_token_cookie` cookie, with `X-CSRF-TOKEN` on POST.
    CookieCsrf,
}

/// The hand-written side: keys and validation built once.
pub struct Baseline {
    pub algorithm: Algorithm,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub validation: Validation,
    pub source: Source,
    /// `jti` -> expiry, when revocation is checked.
    pub revoked: Option<RwLock<HashMap<String, u64>>>,
}

impl Baseline {
    pub fn new(name: &str, source: Source, with_blocklist: bool) -> Self {
        let keys = key_pair(name);
        let (encoding, decoding) = match keys.algorithm {
            Algorithm::HS256 => (
                EncodingKey::from_secret(SECRET.as_bytes()).expect("secret"),
                DecodingKey::from_secret(SECRET.as_bytes()).expect("secret"),
            ),
            Algorithm::RS256 => (
                EncodingKey::from_rsa_pem(keys.private_pem.as_bytes()).expect("rsa key"),
                DecodingKey::from_rsa_pem(keys.public_pem.as_bytes()).expect("rsa key"),
            ),
            Algorithm::ES256 => (
                EncodingKey::from_ec_pem(keys.private_pem.as_bytes()).expect("ec key"),
                DecodingKey::from_ec_pem(keys.public_pem.as_bytes()).expect("ec key"),
            ),
            Algorithm::EdDSA => (
                EncodingKey::from_ed_pem(keys.private_pem.as_bytes()).expect("ed key"),
                DecodingKey::from_ed_pem(keys.public_pem.as_bytes()).expect("ed key"),
            ),
            other => panic!("unsupported {other:?}"),
        };
        let mut validation = Validation::new(keys.algorithm);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["sub"]);
        let revoked = with_blocklist.then(|| {
            let exp = now_secs() + 3600;
            RwLock::new(
                (0..REVOKED_ENTRIES)
                    .map(|i| (format!("revoked-{i}"), exp))
                    .collect(),
            )
        });
        Self {
            algorithm: keys.algorithm,
            encoding,
            decoding,
            validation,
            source,
            revoked,
        }
    }

    /// `create_access_token(identity)`, by hand.
    pub fn create(&self, identity: &str) -> String {
        let now = now_secs();
        let claims = Claims {
            fresh: false,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            token_type: "access".into(),
            sub: identity.into(),
            nbf: now,
            csrf: uuid::Uuid::new_v4().to_string(),
            exp: now + ACCESS_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.encoding).expect("encode")
    }

    /// Verify and decode, with the checks the reference applies.
    pub fn decode(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }

    fn is_revoked(&self, jti: &str) -> bool {
        let Some(revoked) = &self.revoked else {
            return false;
        };
        let Ok(map) = revoked.read() else {
            return true;
        };
        map.get(jti).is_some_and(|exp| *exp > now_secs())
    }
}

/// The hand-written extractor.
pub struct BaselineAuth(pub Claims);

fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

impl FromRequestParts<Arc<Baseline>> for BaselineAuth {
    type Rejection = StatusCode;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<Baseline>,
    ) -> Result<Self, Self::Rejection> {
        let (token, csrf) = match state.source {
            Source::Header => {
                let token = parts
                    .headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .ok_or(StatusCode::UNAUTHORIZED)?;
                (token, None)
            }
            Source::CookieCsrf => {
                let token = cookie(parts, "access_token_cookie").ok_or(StatusCode::UNAUTHORIZED)?;
                let csrf = parts
                    .headers
                    .get("x-csrf-token")
                    .map(HeaderValue::as_bytes)
                    .ok_or(StatusCode::UNAUTHORIZED)?;
                (token, Some(csrf))
            }
        };
        let claims = state
            .decode(token)
            .ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
        if claims.token_type != "access" {
            return Err(StatusCode::UNPROCESSABLE_ENTITY);
        }
        if let Some(csrf) = csrf
            && !bool::from(claims.csrf.as_bytes().ct_eq(csrf))
        {
            return Err(StatusCode::UNAUTHORIZED);
        }
        if state.is_revoked(&claims.jti) {
            return Err(StatusCode::UNAUTHORIZED);
        }
        Ok(Self(claims))
    }
}

async fn baseline_protected(BaselineAuth(claims): BaselineAuth) -> Json<Value> {
    Json(json!({ "logged_in_as": claims.sub }))
}

async fn ours_protected(token: Jwt) -> Json<Value> {
    Json(json!({ "logged_in_as": token.identity() }))
}

/// The three Router scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// GET with a bearer header.
    Header,
    /// POST with the access cookie and `X-CSRF-TOKEN`.
    CookieCsrf,
    /// GET with a bearer header, revocation checked in an in-memory store
    /// holding [`REVOKED_ENTRIES`] entries.
    Blocklist,
}

impl Scenario {
    pub const ALL: [Self; 3] = [Self::Header, Self::CookieCsrf, Self::Blocklist];

    pub fn name(self) -> &'static str {
        match self {
            Self::Header => "router_header",
            Self::CookieCsrf => "router_cookie_csrf",
            Self::Blocklist => "router_blocklist",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One scenario, both sides: routers and the request headers to send.
pub struct RouterPair {
    pub ours: Router,
    pub baseline: Router,
    ours_headers: Vec<(header::HeaderName, HeaderValue)>,
    baseline_headers: Vec<(header::HeaderName, HeaderValue)>,
    method: axum::http::Method,
}

fn request_headers(
    scenario: Scenario,
    token: &str,
    csrf: &str,
) -> Vec<(header::HeaderName, HeaderValue)> {
    let value = |s: String| HeaderValue::from_str(&s).expect("header value");
    match scenario {
        Scenario::Header | Scenario::Blocklist => {
            vec![(header::AUTHORIZATION, value(format!("Bearer {token}")))]
        }
        Scenario::CookieCsrf => vec![
            (
                header::COOKIE,
                value(format!(
                    "access_token_cookie={token}; csrf_access_token={csrf}"
                )),
            ),
            (
                header::HeaderName::from_static("x-csrf-token"),
                value(csrf.to_owned()),
            ),
        ],
    }
}

impl RouterPair {
    pub async fn new(name: &str, scenario: Scenario) -> Self {
        let (locations, source) = match scenario {
            Scenario::Header | Scenario::Blocklist => {
                (&[TokenLocation::Headers][..], Source::Header)
            }
            Scenario::CookieCsrf => (&[TokenLocation::Cookies][..], Source::CookieCsrf),
        };
        let with_blocklist = scenario == Scenario::Blocklist;

        let mut builder = JwtManager::builder(config(name, locations));
        if with_blocklist {
            let store = MemoryBlocklist::new();
            let exp = i64::try_from(now_secs() + 3600).expect("time");
            for i in 0..REVOKED_ENTRIES {
                store
                    .revoke(&Revocation::for_jti(format!("revoked-{i}"), Some(exp)))
                    .await
                    .expect("revoke");
            }
            builder = builder.blocklist(store);
        }
        let jwt = builder.build().expect("manager");
        let ours_token = jwt.create_access_token(IDENTITY).expect("token");
        let ours_csrf = jwt.decode_csrf_token(&ours_token).await.expect("csrf");
        let ours = Router::new()
            .route("/protected", get(ours_protected).post(ours_protected))
            .with_state(jwt);

        let baseline_state = Arc::new(Baseline::new(name, source, with_blocklist));
        let baseline_token = baseline_state.create(IDENTITY);
        let baseline_csrf = baseline_state
            .decode(&baseline_token)
            .expect("baseline token")
            .csrf;
        let baseline = Router::new()
            .route(
                "/protected",
                get(baseline_protected).post(baseline_protected),
            )
            .with_state(baseline_state);

        let pair = Self {
            ours,
            baseline,
            ours_headers: request_headers(scenario, &ours_token, &ours_csrf),
            baseline_headers: request_headers(scenario, &baseline_token, &baseline_csrf),
            method: match scenario {
                Scenario::CookieCsrf => axum::http::Method::POST,
                _ => axum::http::Method::GET,
            },
        };
        for side in [Side::Ours, Side::Baseline] {
            let status = pair.call(side).await;
            assert_eq!(status, StatusCode::OK, "{name} {scenario:?} {side:?}");
        }
        pair
    }

    fn request(&self, side: Side) -> Request<Body> {
        let headers = match side {
            Side::Ours => &self.ours_headers,
            Side::Baseline => &self.baseline_headers,
        };
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri("/protected");
        for (name, value) in headers {
            request = request.header(name, value.clone());
        }
        request.body(Body::empty()).expect("request")
    }

    /// One request through the side's router; the status code.
    pub async fn call(&self, side: Side) -> StatusCode {
        let router = match side {
            Side::Ours => &self.ours,
            Side::Baseline => &self.baseline,
        };
        let request = self.request(side);
        match router.clone().oneshot(request).await {
            Ok(response) => response.status(),
            Err(never) => match never {},
        }
    }
}

/// Which implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Ours,
    Baseline,
}

impl Side {
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ours" => Some(Self::Ours),
            "baseline" | "jsonwebtoken" => Some(Self::Baseline),
            _ => None,
        }
    }
}

/// Token creation and decoding, both sides.
pub struct TokenPair {
    pub ours: JwtManager,
    pub baseline: Baseline,
    pub ours_token: String,
    pub baseline_token: String,
}

impl TokenPair {
    pub fn new(name: &str) -> Self {
        let ours = JwtManager::new(config(name, &[TokenLocation::Headers])).expect("manager");
        let baseline = Baseline::new(name, Source::Header, false);
        let ours_token = ours.create_access_token(IDENTITY).expect("token");
        let baseline_token = baseline.create(IDENTITY);
        // Both sides accept both tokens: the same claims, the same keys.
        assert!(ready(ours.decode_token(&baseline_token)).is_ok());
        assert!(baseline.decode(&ours_token).is_some());
        Self {
            ours,
            baseline,
            ours_token,
            baseline_token,
        }
    }

    pub fn create(&self, side: Side) -> usize {
        match side {
            Side::Ours => self
                .ours
                .create_access_token(IDENTITY)
                .expect("token")
                .len(),
            Side::Baseline => self.baseline.create(IDENTITY).len(),
        }
    }

    /// Decodes the side's own token; whether it verified.
    pub fn decode(&self, side: Side) -> bool {
        match side {
            Side::Ours => ready(self.ours.decode_token(&self.ours_token)).is_ok(),
            Side::Baseline => self.baseline.decode(&self.baseline_token).is_some(),
        }
    }
}
