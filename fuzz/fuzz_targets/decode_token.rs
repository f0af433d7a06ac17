//! The token decoder and claim validator.
//!
//! Two modes, chosen by the first byte:
//! - raw: the rest is the token itself (any bytes; through the request flow,
//!   so that non-UTF-8 reaches the decoder as it would from a header);
//! - signed: the rest is `header JSON 0x00 payload JSON`; the target signs it
//!   with the fuzz secret, so the fuzzer explores the claim checks behind the
//!   signature (types, times, issuer, audience, identity, `jti`, CSRF).
//!
//! Invariants: never a panic or a 5xx; a raw token is never accepted; an
//! accepted token satisfies the reference's rules, checked here again with
//! an independent, simpler oracle.
#![no_main]

use std::sync::LazyLock;

use http::{HeaderMap, HeaderValue, Method};
use jwt_extended::request::RequestParts;
use jwt_extended::{DecodeOptions, DecodedToken, JwtConfig, JwtManager, VerifyOptions};
use jwt_extended_fuzz::{block_on, check_client_error, manager, now, sign_hs256, split_n};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

static PLAIN: LazyLock<JwtManager> = LazyLock::new(|| manager(JwtConfig::new()));
static STRICT: LazyLock<JwtManager> = LazyLock::new(|| {
    manager(
        JwtConfig::new()
            .with_decode_issuer("issuer")
            .with_decode_audience(vec!["aud-1", "aud-2"])
            .with_identity_claim("identity")
            .with_verify_sub(false),
    )
});

/// The value as an integer timestamp, when it is a plain JSON number.
fn number(value: Option<&Value>) -> Option<f64> {
    value.and_then(Value::as_f64)
}

/// What must hold for any token the decoder accepted.
fn accepted(jwt: &JwtManager, token: &DecodedToken, options: DecodeOptions<'_>) {
    let strict = jwt.config().decode_issuer().is_some();
    let claims = token.claims();
    let now = now();
    assert_eq!(
        token.header().get("alg"),
        Some(&Value::from("HS256")),
        "accepted an algorithm outside the allow-list"
    );
    if !options.is_allow_expired() {
        if let Some(exp) = number(claims.get("exp")) {
            assert!(
                exp.trunc() > now - 2.0,
                "accepted an expired token: {claims:?}"
            );
        }
    }
    for claim in ["nbf", "iat"] {
        if let Some(at) = number(claims.get(claim)) {
            assert!(
                at.trunc() <= now + 2.0,
                "accepted a future {claim}: {claims:?}"
            );
        }
    }
    assert!(
        claims
            .get("jti")
            .is_some_and(|j| j.is_string() || j.is_null())
    );
    if strict {
        assert!(claims.contains_key("identity"), "{claims:?}");
        assert_eq!(
            claims.get("iss"),
            Some(&Value::from("issuer")),
            "{claims:?}"
        );
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => a == "aud-1" || a == "aud-2",
            Some(Value::Array(items)) => {
                items.iter().all(Value::is_string)
                    && items.iter().any(|a| a == "aud-1" || a == "aud-2")
            }
            _ => false,
        };
        assert!(aud_ok, "accepted a foreign audience: {claims:?}");
    } else {
        assert!(
            claims.get("sub").is_some_and(Value::is_string),
            "{claims:?}"
        );
    }
    if let Some(csrf) = options.csrf().filter(|c| !c.is_empty()) {
        assert_eq!(
            token.csrf(),
            Some(csrf),
            "CSRF value accepted without a match"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let jwt: &JwtManager = if mode & 0b10 == 0 { &PLAIN } else { &STRICT };
    if mode & 1 == 0 {
        // Raw token bytes, through the header path.
        let mut headers = HeaderMap::new();
        let mut value = b"Bearer ".to_vec();
        value.extend_from_slice(rest);
        let Ok(value) = HeaderValue::from_bytes(&value) else {
            return;
        };
        headers.insert(http::header::AUTHORIZATION, value);
        let request = RequestParts::new(&Method::GET, &headers, None);
        match block_on(jwt.verify_request(&request, &VerifyOptions::new())) {
            Ok(verified) => panic!("accepted a token without the secret: {verified:?}"),
            Err(error) => check_client_error(&error),
        }
        return;
    }
    // Signed: header 0x00 payload [0x00 csrf value].
    let parts = split_n(rest, 0, 3);
    let (header, payload) = match parts.as_slice() {
        [header, payload, ..] => (*header, *payload),
        _ => return,
    };
    let csrf = parts.get(2).and_then(|c| std::str::from_utf8(c).ok());
    let token = sign_hs256(header, payload);
    let mut options = DecodeOptions::new().allow_expired(mode & 0b100 != 0);
    if let Some(csrf) = csrf {
        options = options.csrf_value(csrf);
    }
    match block_on(jwt.decode_token_with(&token, options)) {
        Ok(decoded) => accepted(jwt, &decoded, options),
        Err(error) => check_client_error(&error),
    }
});
