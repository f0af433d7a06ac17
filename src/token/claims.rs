//! The claim checks of decoding, in PyJWT's order (`iat`, `nbf`, `exp`,
//! `iss`, `aud`, `sub`, `jti`), then the reference's own steps: the identity
//! claim, the defaults of `type`, `fresh` and `jti`, and the CSRF claim.
//! The first failure wins, with the reference's message; an expired token
//! reports any other problem first.

use serde_json::{Map, Value};

use super::scan::{Claim, RegisteredClaims};
use crate::compat::python::{is_falsy, python_int};
use crate::error::{Error, ErrorKind};
use crate::messages;
use crate::secure::constant_time_eq;
use crate::settings::ClaimRules;

/// What the claim checks concluded when nothing else was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiration {
    Valid,
    Expired,
}

/// Stage 2 (claims) and stage 3 (identity claim, defaults, CSRF) of the
/// reference's decode, in its order. `exp` is only *compared* last, so that
/// an expired token reports any other problem first, as the reference's
/// retry-with-`allow_expired` does.
pub(crate) fn validate_claims<C: ClaimSource>(
    claims: &mut C,
    rules: &ClaimRules,
    now: f64,
    csrf_value: Option<&[u8]>,
) -> Result<Expiration, Error> {
    let latest_start = now + rules.leeway;
    check_iat(claims, latest_start)?;
    check_nbf(claims, latest_start)?;
    let exp = read_exp(claims)?;
    if let Some(expected) = &rules.issuer {
        check_issuer(claims.claim(Claim::Iss), expected)?;
    }
    if let Some(expected) = &rules.audience {
        check_audience(claims.claim(Claim::Aud), expected)?;
    }
    if rules.verify_sub {
        check_sub(claims)?;
    }
    check_jti(claims)?;
    check_identity(claims, &rules.identity_claim)?;
    claims.fill_defaults();
    if let Some(csrf_value) = csrf_value.filter(|v| !v.is_empty()) {
        check_csrf(claims.claim(Claim::Csrf), csrf_value)?;
    }
    Ok(match exp {
        Some(exp) if exp <= now - rules.leeway => Expiration::Expired,
        _ => Expiration::Valid,
    })
}

/// `iat`, when present, is an integer and not after `latest_start`.
fn check_iat<C: ClaimSource>(claims: &C, latest_start: f64) -> Result<(), Error> {
    let Some(iat) = claims.claim(Claim::Iat) else {
        return Ok(());
    };
    let iat = python_int(iat)
        .ok_or_else(|| Error::new(ErrorKind::InvalidClaim, messages::IAT_NOT_AN_INTEGER))?;
    if iat > latest_start {
        return Err(Error::new(
            ErrorKind::ImmatureToken,
            messages::IAT_IN_THE_FUTURE,
        ));
    }
    Ok(())
}

/// `nbf`, when present, is an integer and not after `latest_start`.
fn check_nbf<C: ClaimSource>(claims: &C, latest_start: f64) -> Result<(), Error> {
    let Some(nbf) = claims.claim(Claim::Nbf) else {
        return Ok(());
    };
    let nbf = python_int(nbf)
        .ok_or_else(|| Error::new(ErrorKind::InvalidClaim, messages::NBF_NOT_AN_INTEGER))?;
    if nbf > latest_start {
        return Err(Error::new(
            ErrorKind::ImmatureToken,
            messages::NBF_IN_THE_FUTURE,
        ));
    }
    Ok(())
}

/// `exp`, when present, as an integer; compared with the clock last.
fn read_exp<C: ClaimSource>(claims: &C) -> Result<Option<f64>, Error> {
    claims
        .claim(Claim::Exp)
        .map(|exp| {
            python_int(exp)
                .ok_or_else(|| Error::new(ErrorKind::InvalidClaim, messages::EXP_NOT_AN_INTEGER))
        })
        .transpose()
}

/// `iss` is present, a string, and one of `expected`.
fn check_issuer(iss: Option<&Value>, expected: &[String]) -> Result<(), Error> {
    match iss {
        None => Err(missing_required("iss")),
        Some(Value::String(iss)) if expected.iter().any(|e| e == iss) => Ok(()),
        Some(Value::String(_)) => Err(Error::new(
            ErrorKind::InvalidIssuer,
            messages::INVALID_ISSUER,
        )),
        Some(_) => Err(Error::new(
            ErrorKind::InvalidIssuer,
            messages::ISSUER_NOT_A_STRING,
        )),
    }
}

/// `sub`, when present, is a string (`JWT_VERIFY_SUB`).
fn check_sub<C: ClaimSource>(claims: &C) -> Result<(), Error> {
    match claims.claim(Claim::Sub) {
        Some(sub) if !sub.is_string() => Err(Error::new(
            ErrorKind::InvalidClaim,
            messages::SUBJECT_NOT_A_STRING,
        )),
        _ => Ok(()),
    }
}

/// `jti`, when present, is a string.
fn check_jti<C: ClaimSource>(claims: &C) -> Result<(), Error> {
    match claims.claim(Claim::Jti) {
        Some(jti) if !jti.is_string() => Err(Error::new(
            ErrorKind::InvalidClaim,
            messages::JTI_NOT_A_STRING,
        )),
        _ => Ok(()),
    }
}

/// The identity claim is present.
fn check_identity<C: ClaimSource>(claims: &C, identity_claim: &str) -> Result<(), Error> {
    if claims.identity(identity_claim).is_none() {
        return Err(Error::new(
            ErrorKind::MissingClaim,
            messages::missing_claim(identity_claim),
        ));
    }
    Ok(())
}

/// The `csrf` claim is present and equals the CSRF value the request sent.
fn check_csrf(claim: Option<&Value>, csrf_value: &[u8]) -> Result<(), Error> {
    let Some(claim) = claim else {
        return Err(Error::new(
            ErrorKind::MissingClaim,
            messages::MISSING_CSRF_CLAIM,
        ));
    };
    let matches = claim
        .as_str()
        .is_some_and(|c| constant_time_eq(c.as_bytes(), csrf_value));
    if !matches {
        return Err(Error::new(ErrorKind::CsrfMismatch, messages::CSRF_MISMATCH));
    }
    Ok(())
}

/// The claims of a token, as the checks read them: the full `Map`, or the
/// claims picked out by the [scan](super::scan) (the request path).
pub(crate) trait ClaimSource {
    /// A registered claim.
    fn claim(&self, claim: Claim) -> Option<&Value>;
    /// The identity claim, named `identity_claim`.
    fn identity(&self, identity_claim: &str) -> Option<&Value>;
    /// Fills in the reference's defaults (see [`fill_defaults`]).
    fn fill_defaults(&mut self);
}

impl ClaimSource for Map<String, Value> {
    fn claim(&self, claim: Claim) -> Option<&Value> {
        self.get(claim.name())
    }

    fn identity(&self, identity_claim: &str) -> Option<&Value> {
        self.get(identity_claim)
    }

    fn fill_defaults(&mut self) {
        fill_defaults(self);
    }
}

impl ClaimSource for RegisteredClaims {
    fn claim(&self, claim: Claim) -> Option<&Value> {
        self.get(claim)
    }

    fn identity(&self, identity_claim: &str) -> Option<&Value> {
        RegisteredClaims::identity(self, identity_claim)
    }

    fn fill_defaults(&mut self) {
        // The same three as `fill_defaults` below, on the picked claims.
        if self.get(Claim::Type).is_none() {
            self.set(Claim::Type, Value::from("access"));
        }
        if self.get(Claim::Fresh).is_none() {
            self.set(Claim::Fresh, Value::Bool(false));
        }
        if self.get(Claim::Jti).is_none() {
            self.set(Claim::Jti, Value::Null);
        }
    }
}

/// The reference fills these in after decoding: `type` defaults to
/// `"access"`, `fresh` to `false` and `jti` to `null`.
pub(crate) fn fill_defaults(claims: &mut Map<String, Value>) {
    if !claims.contains_key("type") {
        claims.insert("type".into(), Value::from("access"));
    }
    if !claims.contains_key("fresh") {
        claims.insert("fresh".into(), Value::Bool(false));
    }
    if !claims.contains_key("jti") {
        claims.insert("jti".into(), Value::Null);
    }
}

fn missing_required(claim: &str) -> Error {
    Error::new(
        ErrorKind::MissingClaim,
        messages::missing_required_claim(claim),
    )
}

fn check_audience(aud: Option<&Value>, expected: &[String]) -> Result<(), Error> {
    let aud = match aud {
        None => return Err(missing_required("aud")),
        Some(value) if is_falsy(value) => return Err(missing_required("aud")),
        Some(value) => value,
    };
    let format_error = || {
        Error::new(
            ErrorKind::InvalidAudience,
            messages::INVALID_AUDIENCE_FORMAT,
        )
    };
    let single;
    let audiences: &[Value] = match aud {
        Value::String(_) => {
            single = [aud.clone()];
            &single
        }
        Value::Array(items) => items,
        _ => return Err(format_error()),
    };
    if audiences.iter().any(|a| !a.is_string()) {
        return Err(format_error());
    }
    let overlap = expected
        .iter()
        .any(|e| audiences.iter().any(|a| a.as_str() == Some(e.as_str())));
    if overlap {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidAudience,
            messages::AUDIENCE_MISMATCH,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::jws::parse_unverified_with;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn rules() -> ClaimRules {
        ClaimRules {
            leeway: 0.0,
            audience: None,
            issuer: None,
            verify_sub: true,
            identity_claim: "sub".into(),
        }
    }

    fn check(claims: Value, rules: &ClaimRules) -> String {
        let Value::Object(mut map) = claims else {
            return "not an object".into();
        };
        match validate_claims(&mut map, rules, 1000.0, None) {
            Ok(Expiration::Valid) => "valid".into(),
            Ok(Expiration::Expired) => "expired".into(),
            Err(e) => e.message().to_owned(),
        }
    }

    #[test]
    fn claim_rules_in_reference_order() {
        let r = rules();
        assert_eq!(check(json!({"sub": "a"}), &r), "valid");
        assert_eq!(check(json!({"sub": "a", "exp": 1000}), &r), "expired");
        assert_eq!(check(json!({"sub": "a", "exp": 1001}), &r), "valid");
        assert_eq!(check(json!({"sub": "a", "exp": "1001"}), &r), "valid");
        assert_eq!(
            check(json!({"sub": "a", "exp": "soon"}), &r),
            "Expiration Time claim (exp) must be an integer."
        );
        assert_eq!(
            check(json!({"sub": "a", "iat": 1001}), &r),
            "The token is not yet valid (iat)"
        );
        assert_eq!(check(json!({"sub": "a", "nbf": 1000.9}), &r), "valid");
        assert_eq!(
            check(json!({"sub": "a", "nbf": [1]}), &r),
            "Not Before claim (nbf) must be an integer."
        );
        assert_eq!(check(json!({"sub": 5}), &r), "Subject must be a string");
        assert_eq!(
            check(json!({"sub": "a", "jti": 5}), &r),
            "JWT ID must be a string"
        );
        assert_eq!(check(json!({"foo": 1}), &r), "Missing claim: sub");
        // Expired but also missing the identity claim: the claim error wins.
        assert_eq!(check(json!({"exp": 1}), &r), "Missing claim: sub");
        let no_sub_check = ClaimRules {
            verify_sub: false,
            ..rules()
        };
        assert_eq!(check(json!({"sub": {"id": 1}}), &no_sub_check), "valid");
    }

    #[test]
    fn audience_and_issuer() {
        let r = ClaimRules {
            audience: Some(vec!["a".into(), "b".into()]),
            issuer: Some(vec!["me".into()]),
            ..rules()
        };
        assert_eq!(
            check(json!({"sub": "x", "iss": "me", "aud": "b"}), &r),
            "valid"
        );
        assert_eq!(
            check(json!({"sub": "x", "iss": "me", "aud": ["z", "a"]}), &r),
            "valid"
        );
        assert_eq!(
            check(json!({"sub": "x", "iss": "m", "aud": "a"}), &r),
            "Invalid issuer"
        );
        assert_eq!(
            check(json!({"sub": "x", "aud": "a"}), &r),
            "Token is missing the \"iss\" claim"
        );
        assert_eq!(
            check(json!({"sub": "x", "iss": 1}), &r),
            "Payload Issuer (iss) must be a string"
        );
        assert_eq!(
            check(json!({"sub": "x", "iss": "me"}), &r),
            "Token is missing the \"aud\" claim"
        );
        assert_eq!(
            check(json!({"sub": "x", "iss": "me", "aud": []}), &r),
            "Token is missing the \"aud\" claim"
        );
        assert_eq!(
            check(json!({"sub": "x", "iss": "me", "aud": 5}), &r),
            "Invalid claim format in token"
        );
        assert_eq!(
            check(json!({"sub": "x", "iss": "me", "aud": ["a", 1]}), &r),
            "Invalid claim format in token"
        );
        assert_eq!(
            check(json!({"sub": "x", "iss": "me", "aud": "c"}), &r),
            "Audience doesn't match"
        );
    }

    #[test]
    fn picked_claims_validate_like_the_full_map() {
        let rules = ClaimRules {
            audience: Some(vec!["a".into()]),
            issuer: Some(vec!["me".into()]),
            ..rules()
        };
        let user_rules = ClaimRules {
            identity_claim: "user".into(),
            ..rules.clone()
        };
        let payloads = [
            r#"{"sub":"x","iss":"me","aud":"a"}"#,
            r#"{"sub":"x","iss":"me","aud":"a","exp":5,"sub":7}"#,
            r#"{"sub":"x","iss":"me","aud":"a","exp":5,"iss":"you"}"#,
            r#"{"sub":"x","iss":"me","aud":["b","a"],"type":"refresh","fresh":2000,"jti":null}"#,
            r#"{"user":{"id":1},"iss":"me","aud":"a","type":null,"csrf":"c","sid":"s"}"#,
            r#"{"sub":"x","iss":"me","aud":"a","iat":"1_0","nbf":true,"exp":"2000"}"#,
            r#"{"iss":"me","aud":"a","exp":1}"#,
            r#"{"sub":"x","iss":"me","aud":0}"#,
            r#"{"sub":"x","iss":"me","aud":"a","jti":1,"iat":"x"}"#,
        ];
        for payload in payloads {
            for rules in [&rules, &user_rules] {
                let token = format!("{}.{}.", b64(r#"{"alg":"HS256"}"#), b64(payload));
                let Ok(unverified) = parse_unverified_with(token.as_bytes(), &rules.identity_claim)
                else {
                    panic!("{payload}: did not parse");
                };
                let mut picked = unverified.claims.clone();
                let mut full = unverified.json.claims_map();
                let outcome = |r: Result<Expiration, Error>| r.map_err(|e| e.message().to_owned());
                let picked_outcome = outcome(validate_claims(&mut picked, rules, 1000.0, None));
                let full_outcome = outcome(validate_claims(&mut full, rules, 1000.0, None));
                assert_eq!(picked_outcome, full_outcome, "{payload}");
                if picked_outcome.is_ok() {
                    for name in [
                        "iat", "nbf", "exp", "iss", "aud", "sub", "jti", "type", "fresh", "csrf",
                        "sid", "user",
                    ] {
                        assert_eq!(
                            picked
                                .lookup(name, &rules.identity_claim)
                                .unwrap_or(full.get(name)),
                            full.get(name),
                            "{payload}: {name}"
                        );
                    }
                }
            }
        }
    }
}
