//! Every token of `tests/fixtures/interop/tokens.json` (made and answered by
//! the real Flask-JWT-Extended 4.7.1, see `interop/make_token_fixtures.py`)
//! is replayed against a router built like the reference's fixture app, and
//! our status and body must equal the recorded ones.
//!
//! Where the port deliberately answers differently (the spec's **Port:**
//! notes), the case is listed in [`DEVIATIONS`] with the answer the port must
//! give instead. Nothing is skipped: a listed case that starts matching the
//! reference, or that answers anything but its listed port answer, fails.

mod common;

use std::collections::{BTreeMap, HashSet};

use axum::Router;
use axum::routing::get;
use jwt_extended::axum::{FlaskJson, Fresh, Jwt, Refresh};
use jwt_extended::config::ConfigError;
use jwt_extended::{DecodedToken, JwtConfig, JwtManager};
use serde::Deserialize;
use serde_json::{Map, Value, json};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/interop/tokens.json"
);
const KEY_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys");

#[derive(Debug, Deserialize)]
struct Fixtures {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    config: Map<String, Value>,
    token: Option<String>,
    route: String,
    expected_status: u16,
    expected_body: Option<Value>,
    expected_text: Option<String>,
}

/// What the port answers instead of the reference.
#[derive(Debug, Clone, Copy)]
enum Port {
    /// An error response `{"msg": <message>}` with this status.
    Error(u16, &'static str),
    /// A 200 response with this JSON body.
    Ok(&'static str),
    /// The fixture's configuration is refused when the manager is built,
    /// with a `ConfigError` about this option.
    ConfigRejected(&'static str),
}

/// 422 for a header or payload the reference's `json` module reads but
/// `serde_json` refuses. The text in brackets is serde_json's error.
macro_rules! unsupported {
    ($part:literal, $detail:literal) => {
        Port::Error(
            422,
            concat!(
                "Invalid ",
                $part,
                " string: unsupported JSON (",
                $detail,
                ")"
            ),
        )
    };
}

/// Cases where the port deliberately differs from the reference, with the
/// port's answer, grouped by reason.
const DEVIATIONS: &[(&str, Port)] = &[
    // --- Reference 500s caused by the client become 4xx (spec §10, Port).
    // A `fresh` claim that is neither a bool nor a number crashes the
    // reference's comparison; the port treats it as not fresh (spec §8 step 5).
    (
        "fresh claim string true",
        Port::Error(401, "Fresh token required"),
    ),
    ("fresh claim null", Port::Error(401, "Fresh token required")),
    ("fresh claim list", Port::Error(401, "Fresh token required")),
    // An HS256 token on an app whose configured key is an RSA public key:
    // PyJWT refuses the PEM as an HMAC secret with an unhandled error (500);
    // the port's key cannot verify an HMAC, so it is a bad signature (§12).
    (
        "HS256 token MACed with the RSA public key PEM on an RS256+HS256 app",
        Port::Error(422, "Signature verification failed"),
    ),
    // --- Config the port refuses at build time (spec §1 and §2.1, Port):
    // `none` and unknown algorithm names cannot be configured at all (the
    // reference fails per request: 500 for `none`, `Algorithm not supported`
    // for `XYZ`).
    (
        "alg none on an app that lists none",
        Port::ConfigRejected("JWT_DECODE_ALGORITHMS"),
    ),
    (
        "alg XYZ on an app that lists XYZ",
        Port::ConfigRejected("JWT_DECODE_ALGORITHMS"),
    ),
    // --- JSON that CPython's `json` reads and serde_json refuses (spec §16;
    // listed in src/token/pyjson.rs). The port answers 422 with its own text.
    // NaN / Infinity / out-of-range float literals:
    (
        "exp infinity (1e400 literal)",
        unsupported!("payload", "number out of range at line 1 column 23"),
    ),
    (
        "exp NaN literal",
        unsupported!("payload", "expected value at line 1 column 19"),
    ),
    (
        "exp -Infinity literal",
        unsupported!("payload", "invalid number at line 1 column 20"),
    ),
    (
        "payload with NaN claim",
        unsupported!("payload", "expected value at line 1 column 17"),
    ),
    (
        "payload with Infinity claim",
        unsupported!("payload", "expected value at line 1 column 17"),
    ),
    (
        "payload with big exponent float",
        unsupported!("payload", "number out of range at line 1 column 21"),
    ),
    // Integers beyond the f64 range (Python ints are exact up to 4300 digits):
    (
        "payload with 4300-digit integer",
        unsupported!("payload", "number out of range at line 1 column 4316"),
    ),
    // Nesting deeper than serde_json's limit of 128:
    (
        "payload nested 200 deep",
        unsupported!("payload", "recursion limit exceeded at line 1 column 143"),
    ),
    // Lone surrogates (escaped, or as CESU-8 bytes read with surrogatepass):
    (
        "payload with lone surrogate escape in sub",
        unsupported!(
            "payload",
            "unexpected end of hex escape at line 1 column 15"
        ),
    ),
    (
        "payload with CESU surrogate bytes in sub",
        unsupported!("payload", "invalid unicode code point at line 1 column 9"),
    ),
    // A UTF-8 byte-order mark, and UTF-16 / UTF-32 documents:
    (
        "header with UTF-8 BOM",
        unsupported!("header", "expected value at line 1 column 1"),
    ),
    (
        "payload with UTF-8 BOM",
        unsupported!("payload", "expected value at line 1 column 1"),
    ),
    (
        "header JSON utf-16-le object",
        unsupported!("header", "key must be a string at line 1 column 2"),
    ),
    (
        "payload JSON utf-16-le object",
        unsupported!("payload", "key must be a string at line 1 column 2"),
    ),
    (
        "header encoded as UTF-16-LE",
        unsupported!("header", "key must be a string at line 1 column 2"),
    ),
    (
        "payload encoded as UTF-16-BE",
        unsupported!("payload", "expected value at line 1 column 1"),
    ),
    (
        "payload encoded as UTF-32 with BOM",
        unsupported!("payload", "expected value at line 1 column 1"),
    ),
    // `-0` is read by both, as Python's int 0 but as serde_json's float -0.0,
    // which is what `get_jwt()` then echoes (documented in src/token/pyjson.rs;
    // a parsed serde_json value cannot tell `-0` from `-0.0`).
    (
        "payload with -0",
        Port::Ok(
            r#"{"claims":{"fresh":false,"jti":null,"n":-0.0,"sub":"me","type":"access"},"header":{"alg":"HS256"},"identity":"me"}"#,
        ),
    ),
];

/// Turns a fixture config into a [`JwtConfig`] through the Flask option
/// names. Key options hold file names in `tests/fixtures/keys/`.
fn config_of(case: &Case) -> Result<JwtConfig, ConfigError> {
    let mut config = JwtConfig::new();
    for (name, value) in &case.config {
        let text = match (name.as_str(), value) {
            ("JWT_PUBLIC_KEY" | "JWT_PRIVATE_KEY", Value::String(file)) => {
                let path = format!("{KEY_DIR}/{file}");
                std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: cannot read {path}: {e}", case.name))
            }
            (_, Value::String(s)) => s.clone(),
            (_, Value::Bool(b)) => b.to_string(),
            (_, Value::Number(n)) => n.to_string(),
            (_, Value::Null) => String::new(),
            // Lists (algorithms, audiences, issuers) as JSON lists.
            (_, list) => list.to_string(),
        };
        let known = config.set(name, &text)?;
        assert!(
            known,
            "{}: option {name} is not known to JwtConfig",
            case.name
        );
    }
    Ok(config)
}

fn manager_of(case: &Case) -> Result<JwtManager, ConfigError> {
    let config = config_of(case)?;
    let asymmetric = !matches!(
        config.algorithm(),
        jwt_extended::config::Algorithm::HS256
            | jwt_extended::config::Algorithm::HS384
            | jwt_extended::config::Algorithm::HS512
    );
    let builder = JwtManager::builder(config);
    // The fixture apps only verify: they have a public key and no private key.
    let builder = if asymmetric {
        builder.verify_only()
    } else {
        builder
    };
    builder.build()
}

/// The fixture app's view body: `{identity, claims, header}`.
fn view(token: Option<&DecodedToken>) -> FlaskJson<Value> {
    FlaskJson(match token {
        Some(t) => json!({
            "identity": t.identity(),
            "claims": t.claims(),
            "header": t.header(),
        }),
        None => json!({"identity": null, "claims": {}, "header": {}}),
    })
}

fn router(manager: JwtManager) -> Router {
    Router::new()
        .route("/protected", get(|t: Jwt| async move { view(Some(&t)) }))
        .route("/fresh", get(|t: Jwt<Fresh>| async move { view(Some(&t)) }))
        .route(
            "/refresh",
            get(|t: Jwt<Refresh>| async move { view(Some(&t)) }),
        )
        .route(
            "/optional",
            get(|t: Option<Jwt>| async move { view(t.as_deref()) }),
        )
        .with_state(manager)
}

/// What one case gave on our side.
#[derive(Debug, PartialEq)]
enum Outcome {
    Response { status: u16, body: Value },
    ConfigRejected { option: String, message: String },
}

async fn run(case: &Case) -> Outcome {
    let manager = match manager_of(case) {
        Ok(m) => m,
        Err(e) => {
            return Outcome::ConfigRejected {
                option: e.option().to_owned(),
                message: e.to_string(),
            };
        }
    };
    let app = router(manager);
    let response = match &case.token {
        Some(token) => common::http_get_bearer(&app, &case.route, token).await,
        None => common::http_get(&app, &case.route, &[]).await,
    };
    let body = serde_json::from_slice(&response.body)
        .unwrap_or_else(|_| panic!("{}: our body is not JSON: {:?}", case.name, response.text()));
    Outcome::Response {
        status: response.status.as_u16(),
        body,
    }
}

fn matches_reference(case: &Case, outcome: &Outcome) -> bool {
    match (outcome, &case.expected_body) {
        (Outcome::Response { status, body }, Some(expected)) => {
            *status == case.expected_status && body == expected
        }
        _ => false,
    }
}

fn matches_port(port: Port, outcome: &Outcome) -> bool {
    match (port, outcome) {
        (Port::Error(status, msg), Outcome::Response { status: s, body }) => {
            *s == status && *body == json!({ "msg": msg })
        }
        (Port::Ok(expected), Outcome::Response { status, body }) => {
            let expected: Value = serde_json::from_str(expected)
                .unwrap_or_else(|e| panic!("bad JSON in DEVIATIONS ({e}): {expected}"));
            *status == 200 && *body == expected
        }
        (Port::ConfigRejected(option), Outcome::ConfigRejected { option: o, .. }) => o == option,
        _ => false,
    }
}

fn reference_answer(case: &Case) -> String {
    match (&case.expected_body, &case.expected_text) {
        (Some(body), _) => format!("{} {body}", case.expected_status),
        (None, Some(text)) => format!(
            "{} (not JSON) {}",
            case.expected_status,
            text.chars().take(120).collect::<String>()
        ),
        (None, None) => format!("{} (no body recorded)", case.expected_status),
    }
}

#[tokio::test]
async fn every_fixture_token_gets_the_reference_answer() {
    let text =
        std::fs::read_to_string(FIXTURES).unwrap_or_else(|e| panic!("cannot read {FIXTURES}: {e}"));
    let fixtures: Fixtures =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{FIXTURES} is not valid: {e}"));
    assert!(
        fixtures.cases.len() >= 450,
        "expected the full corpus, got {} cases",
        fixtures.cases.len()
    );

    let deviations: BTreeMap<&str, Port> = DEVIATIONS.iter().copied().collect();
    assert_eq!(
        deviations.len(),
        DEVIATIONS.len(),
        "duplicate names in DEVIATIONS"
    );
    let names: HashSet<&str> = fixtures.cases.iter().map(|c| c.name.as_str()).collect();
    for name in deviations.keys() {
        assert!(
            names.contains(name),
            "DEVIATIONS lists {name:?}, which is not a fixture case"
        );
    }

    let mut matched = 0;
    let mut deviated = 0;
    let mut failures = Vec::new();
    for case in &fixtures.cases {
        let outcome = run(case).await;
        let same = matches_reference(case, &outcome);
        match deviations.get(case.name.as_str()) {
            None if same => matched += 1,
            None => failures.push(format!(
                "{}\n    reference: {}\n    ours:      {outcome:?}",
                case.name,
                reference_answer(case)
            )),
            Some(_) if same => failures.push(format!(
                "{}: listed in DEVIATIONS but now matches the reference; remove it",
                case.name
            )),
            Some(port) if matches_port(*port, &outcome) => deviated += 1,
            Some(port) => failures.push(format!(
                "{}\n    port answer expected: {port:?}\n    ours:      {outcome:?}",
                case.name
            )),
        }
    }
    println!(
        "interop fixtures: {} cases, {matched} match the reference, {deviated} documented deviations",
        fixtures.cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        fixtures.cases.len(),
        failures.join("\n")
    );
    assert_eq!(matched + deviated, fixtures.cases.len());
}
