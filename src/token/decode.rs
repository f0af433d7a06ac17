//! Decoding and validating tokens, step by step, with the reference's
//! messages.
//!
//! `jsonwebtoken` only signs and verifies here. Splitting, base64 and JSON
//! parsing, and every claim check are done in this module so that each
//! failure gets the exact text Flask-JWT-Extended (through PyJWT) reports.
//! The order of checks is the reference's; the first failure wins.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use super::keys;
use super::pyjson::python_json_error;
use super::scan::{Claim, HeaderParam, RegisteredClaims, RegisteredHeader};
use crate::config::Algorithm;
use crate::error::{Error, ErrorKind};

/// A token split and parsed, signature not yet checked.
///
/// Only the members the checks read are parsed into values (see
/// [`scan`](super::scan)); the decoded JSON is kept for building the full
/// header and claims when they are asked for.
#[derive(Debug, Clone)]
pub(crate) struct Unverified<'a> {
    pub(crate) header: RegisteredHeader,
    pub(crate) claims: RegisteredClaims,
    pub(crate) json: DecodedJson,
    signing_input: &'a [u8],
    signature: Vec<u8>,
}

/// A token's header and payload, base64url-decoded: JSON objects that the
/// scan has already accepted.
#[derive(Debug, Clone, Default)]
pub(crate) struct DecodedJson {
    header: Vec<u8>,
    payload: Vec<u8>,
}

impl DecodedJson {
    /// The whole header, as `get_unverified_jwt_headers` returns it.
    pub(crate) fn header_map(&self) -> Map<String, Value> {
        full_object(&self.header)
    }

    /// The whole payload, without the reference's defaults.
    pub(crate) fn claims_map(&self) -> Map<String, Value> {
        full_object(&self.payload)
    }

    /// The whole payload with the reference's defaults (`get_jwt()`).
    pub(crate) fn claims_with_defaults(&self) -> Map<String, Value> {
        let mut claims = self.claims_map();
        fill_defaults(&mut claims);
        claims
    }
}

/// Parses JSON the scan has accepted as an object into a `Map`.
fn full_object(json: &[u8]) -> Map<String, Value> {
    match serde_json::from_slice::<Value>(json) {
        Ok(Value::Object(map)) => map,
        // Unreachable: the scan read these bytes with the same parser and
        // found an object (it accepts exactly what this parse accepts).
        _ => Map::new(),
    }
}

/// [`parse_unverified_with`] for callers that do not read the identity
/// claim (it is picked out as `sub`).
pub(crate) fn parse_unverified(token: &[u8]) -> Result<Unverified<'_>, Error> {
    parse_unverified_with(token, "sub")
}

/// Stage 1 of the reference's decode: split, base64url-decode and parse the
/// header and payload, and check the header parameters PyJWT checks before
/// the signature (`kid`, `crit`, `b64`). The claims kept include the
/// identity claim, `identity_claim`.
pub(crate) fn parse_unverified_with<'a>(
    token: &'a [u8],
    identity_claim: &str,
) -> Result<Unverified<'a>, Error> {
    // The last '.' ends the signing input; the first '.' in it ends the header.
    let (signing_input, crypto_segment) =
        rsplit_once(token, b'.').ok_or_else(|| Error::malformed("Not enough segments"))?;
    let (header_segment, payload_segment) =
        split_once(signing_input, b'.').ok_or_else(|| Error::malformed("Not enough segments"))?;

    let header_bytes = decode_segment(header_segment, "header")?;
    let header = scan_object(&header_bytes, "header", RegisteredHeader::scan)?;

    let detached = header.get(HeaderParam::B64) == Some(&Value::Bool(false));
    let payload_bytes = if detached {
        if !payload_segment.is_empty() {
            return Err(Error::malformed(
                "Payload segment must be empty when 'b64' is false.",
            ));
        }
        Vec::new()
    } else {
        decode_segment(payload_segment, "payload")?
    };
    let signature = decode_segment(crypto_segment, "crypto")?;

    check_header_parameters(&header)?;
    if detached {
        let listed = matches!(header.get(HeaderParam::Crit), Some(Value::Array(items))
            if items.iter().any(|i| i.as_str() == Some("b64")));
        if !listed {
            return Err(Error::malformed(
                "The 'b64' header parameter requires 'b64' to be listed in 'crit'.",
            ));
        }
        return Err(Error::malformed(
            "It is required that you pass in a value for the \"detached_payload\" argument to decode a message having the b64 header set to false.",
        ));
    }

    let claims = scan_object(&payload_bytes, "payload", |json| {
        RegisteredClaims::scan(json, identity_claim)
    })?;
    Ok(Unverified {
        header,
        claims,
        json: DecodedJson {
            header: header_bytes,
            payload: payload_bytes,
        },
        signing_input,
        signature,
    })
}

fn rsplit_once(input: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let at = input.iter().rposition(|b| *b == sep)?;
    Some((&input[..at], &input[at + 1..]))
}

fn split_once(input: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let at = input.iter().position(|b| *b == sep)?;
    Some((&input[..at], &input[at + 1..]))
}

/// Strict base64url as PyJWT 2.15 reads it: the URL-safe alphabet only, up to
/// two trailing `=` (and then only on a length that is a multiple of four),
/// and canonical trailing bits.
fn decode_segment(segment: &[u8], name: &'static str) -> Result<Vec<u8>, Error> {
    let message = || Error::malformed(format!("Invalid {name} padding"));
    let mut stripped = segment;
    let mut padding = 0;
    while let [rest @ .., b'='] = stripped {
        stripped = rest;
        padding += 1;
        if padding > 2 {
            return Err(message());
        }
    }
    if padding > 0 && !segment.len().is_multiple_of(4) {
        return Err(message());
    }
    if stripped.len() % 4 == 1 {
        return Err(message());
    }
    URL_SAFE_NO_PAD.decode(stripped).map_err(|_| message())
}

/// Scans JSON that must be an object, with Python's error texts.
fn scan_object<T>(
    bytes: &[u8],
    name: &'static str,
    scan: impl FnOnce(&[u8]) -> Result<Option<T>, serde_json::Error>,
) -> Result<T, Error> {
    match scan(bytes) {
        Ok(Some(members)) => Ok(members),
        Ok(None) => Err(Error::malformed(format!(
            "Invalid {name} string: must be a json object"
        ))),
        Err(serde_error) => {
            let python = python_json_error(bytes);
            if python.is_empty() {
                // Python would accept this (NaN, a BOM, UTF-16, huge numbers,
                // lone surrogates, deep nesting); we refuse it, with our own text.
                Err(Error::malformed(format!(
                    "Invalid {name} string: unsupported JSON ({serde_error})"
                )))
            } else {
                Err(Error::malformed(format!("Invalid {name} string: {python}")))
            }
        }
    }
}

/// `kid` must be a string; `crit` must list only extensions we understand.
fn check_header_parameters(header: &RegisteredHeader) -> Result<(), Error> {
    if let Some(kid) = header.get(HeaderParam::Kid)
        && !kid.is_string()
    {
        return Err(Error::malformed("Key ID header parameter must be a string"));
    }
    if let Some(crit) = header.get(HeaderParam::Crit) {
        let items = match crit {
            Value::Array(items) if !items.is_empty() => items,
            _ => {
                return Err(Error::malformed(
                    "Invalid 'crit' header: must be a non-empty list",
                ));
            }
        };
        for item in items {
            let Some(ext) = item.as_str() else {
                return Err(Error::malformed(
                    "Invalid 'crit' header: values must be strings",
                ));
            };
            if ext != "b64" {
                return Err(Error::malformed(format!(
                    "Unsupported critical extension: {ext}"
                )));
            }
            if header.get(HeaderParam::B64).is_none() {
                return Err(Error::malformed(format!(
                    "Critical extension '{ext}' is missing from headers"
                )));
            }
        }
    }
    Ok(())
}

impl Unverified<'_> {
    /// The `alg` header, checked against the allow-list, as PyJWT does.
    pub(crate) fn algorithm(&self, allowed: &[Algorithm]) -> Result<Algorithm, Error> {
        let Some(alg) = self.header.get(HeaderParam::Alg) else {
            return Err(Error::new(
                ErrorKind::InvalidAlgorithm,
                "Algorithm not specified",
            ));
        };
        let not_allowed = || {
            Error::new(
                ErrorKind::InvalidAlgorithm,
                "The specified alg value is not allowed",
            )
        };
        let name = alg.as_str().ok_or_else(not_allowed)?;
        let algorithm = keys::parse_algorithm(name).ok_or_else(not_allowed)?;
        if allowed.contains(&algorithm) {
            Ok(algorithm)
        } else {
            Err(not_allowed())
        }
    }

    /// Verifies the signature with `key`.
    pub(crate) fn verify_signature(
        &self,
        algorithm: Algorithm,
        key: &Arc<DecodingKey>,
    ) -> Result<(), Error> {
        match keys::verify_cached(algorithm, key, self.signing_input, &self.signature) {
            Ok(true) => Ok(()),
            // A key of the wrong family (an RSA key for an HS256 token) cannot
            // verify anything: the token is refused like a bad signature.
            Ok(false) | Err(_) => Err(Error::new(
                ErrorKind::InvalidSignature,
                "Signature verification failed",
            )),
        }
    }
}

/// The claim checks and their parameters.
#[derive(Debug, Clone)]
pub(crate) struct ClaimRules {
    pub(crate) leeway: f64,
    pub(crate) audience: Option<Vec<String>>,
    pub(crate) issuer: Option<Vec<String>>,
    pub(crate) verify_sub: bool,
    pub(crate) identity_claim: String,
}

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
    let leeway = rules.leeway;
    if let Some(iat) = claims.claim(Claim::Iat) {
        let iat = python_int(iat).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidClaim,
                "Issued At claim (iat) must be an integer.",
            )
        })?;
        if iat > now + leeway {
            return Err(Error::new(
                ErrorKind::ImmatureToken,
                "The token is not yet valid (iat)",
            ));
        }
    }
    if let Some(nbf) = claims.claim(Claim::Nbf) {
        let nbf = python_int(nbf).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidClaim,
                "Not Before claim (nbf) must be an integer.",
            )
        })?;
        if nbf > now + leeway {
            return Err(Error::new(
                ErrorKind::ImmatureToken,
                "The token is not yet valid (nbf)",
            ));
        }
    }
    let exp = match claims.claim(Claim::Exp) {
        Some(exp) => Some(python_int(exp).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidClaim,
                "Expiration Time claim (exp) must be an integer.",
            )
        })?),
        None => None,
    };
    if let Some(expected) = &rules.issuer {
        match claims.claim(Claim::Iss) {
            None => return Err(missing_required("iss")),
            Some(Value::String(iss)) => {
                if !expected.iter().any(|e| e == iss) {
                    return Err(Error::new(ErrorKind::InvalidIssuer, "Invalid issuer"));
                }
            }
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidIssuer,
                    "Payload Issuer (iss) must be a string",
                ));
            }
        }
    }
    if let Some(expected) = &rules.audience {
        check_audience(claims.claim(Claim::Aud), expected)?;
    }
    if rules.verify_sub
        && let Some(sub) = claims.claim(Claim::Sub)
        && !sub.is_string()
    {
        return Err(Error::new(
            ErrorKind::InvalidClaim,
            "Subject must be a string",
        ));
    }
    if let Some(jti) = claims.claim(Claim::Jti)
        && !jti.is_string()
    {
        return Err(Error::new(
            ErrorKind::InvalidClaim,
            "JWT ID must be a string",
        ));
    }

    if claims.identity(&rules.identity_claim).is_none() {
        return Err(Error::new(
            ErrorKind::MissingClaim,
            format!("Missing claim: {}", rules.identity_claim),
        ));
    }
    claims.fill_defaults();

    if let Some(csrf_value) = csrf_value.filter(|v| !v.is_empty()) {
        match claims.claim(Claim::Csrf) {
            None => {
                return Err(Error::new(ErrorKind::MissingClaim, "Missing claim: csrf"));
            }
            Some(claim) => {
                let matches = claim
                    .as_str()
                    .is_some_and(|c| crate::csrf::constant_time_eq(c.as_bytes(), csrf_value));
                if !matches {
                    return Err(Error::new(
                        ErrorKind::CsrfMismatch,
                        "CSRF double submit tokens do not match",
                    ));
                }
            }
        }
    }

    Ok(match exp {
        Some(exp) if exp <= now - leeway => Expiration::Expired,
        _ => Expiration::Valid,
    })
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
        format!("Token is missing the \"{claim}\" claim"),
    )
}

fn check_audience(aud: Option<&Value>, expected: &[String]) -> Result<(), Error> {
    let aud = match aud {
        None => return Err(missing_required("aud")),
        Some(value) if is_falsy(value) => return Err(missing_required("aud")),
        Some(value) => value,
    };
    let format_error = || Error::new(ErrorKind::InvalidAudience, "Invalid claim format in token");
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
            "Audience doesn't match",
        ))
    }
}

/// Python truthiness of a JSON value.
pub(crate) fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// What Python's `int(value)` gives for a JSON value, as a float for
/// comparisons with the clock: booleans are 0/1, floats are truncated,
/// strings of decimal digits (with optional sign, surrounding whitespace and
/// single underscores between digits) are parsed. `None` where Python raises.
pub(crate) fn python_int(value: &Value) -> Option<f64> {
    match value {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i as f64)
            } else if let Some(u) = n.as_u64() {
                Some(u as f64)
            } else {
                n.as_f64().filter(|f| f.is_finite()).map(f64::trunc)
            }
        }
        Value::String(s) => parse_python_int_str(s),
        _ => None,
    }
}

fn parse_python_int_str(s: &str) -> Option<f64> {
    let s = s.trim_matches(is_python_whitespace);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut cleaned = String::with_capacity(digits.len());
    let mut previous_underscore = true; // no leading underscore
    for c in digits.chars() {
        if c == '_' {
            if previous_underscore {
                return None;
            }
            previous_underscore = true;
        } else if let Some(digit) = python_decimal_digit(c) {
            cleaned.push(char::from(b'0' + digit));
            previous_underscore = false;
        } else {
            return None;
        }
    }
    if previous_underscore {
        return None; // trailing underscore
    }
    let value: f64 = cleaned.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// The value of a Unicode decimal digit (category `Nd`), which Python's
/// `int()` accepts in any script: `int("\u{665}")` is 5. Every `Nd` block is
/// ten consecutive code points starting at a zero; these are the zeros of
/// Unicode 14.0 (CPython 3.11).
fn python_decimal_digit(c: char) -> Option<u8> {
    const ZEROS: [u32; 66] = [
        0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
        0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
        0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0,
        0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0,
        0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0,
        0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
    ];
    let code = u32::from(c);
    // The last zero not above `code`; the digit is the distance to it.
    let index = ZEROS.partition_point(|zero| *zero <= code).checked_sub(1)?;
    let offset = code - ZEROS.get(index)?;
    u8::try_from(offset).ok().filter(|d| *d < 10)
}

/// Python's `str.isspace()` for the characters a header or JSON string can
/// reasonably hold.
pub(crate) fn is_python_whitespace(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\n'
            | '\x0b'
            | '\x0c'
            | '\r'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\x1f'
            | '\u{85}'
            | '\u{a0}'
    ) || (c > '\u{ff}' && c.is_whitespace())
}

/// The unverified JOSE header of a token, with the same checks (and errors)
/// as the reference's `get_unverified_jwt_headers`.
pub(crate) fn unverified_header(token: &[u8]) -> Result<Map<String, Value>, Error> {
    parse_unverified(token).map(|u| u.json.header_map())
}

/// Renders a JSON value the way Python's `str()` renders the decoded value:
/// strings as-is, `None`, `True`/`False`, and `repr`-like lists and dicts.
pub(crate) fn python_str(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(python_repr(other)),
    }
}

fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or_default();
                if f.fract() == 0.0 && f.abs() < 1e16 {
                    format!("{f:.1}")
                } else {
                    f.to_string()
                }
            } else {
                n.to_string()
            }
        }
        Value::String(s) => {
            let quote = if s.contains('\'') && !s.contains('"') {
                '"'
            } else {
                '\''
            };
            let mut out = String::with_capacity(s.len() + 2);
            out.push(quote);
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if c == quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out.push(quote);
            out
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        python_repr(&Value::from(k.as_str())),
                        python_repr(v)
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(token: &str) -> String {
        match parse_unverified(token.as_bytes()) {
            Ok(_) => "ok".into(),
            Err(e) => e.message().to_owned(),
        }
    }

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn segment_errors_follow_pyjwt() {
        assert_eq!(msg("foobarbaz"), "Not enough segments");
        assert_eq!(msg("a.b"), "Not enough segments");
        assert_eq!(msg("aaaaa.bbbbb.ccccc"), "Invalid header padding");
        assert_eq!(msg("a.b.c.d"), "Invalid header padding");
        assert_eq!(
            msg(".."),
            "Invalid header string: Expecting value: line 1 column 1 (char 0)"
        );
        let header = b64(r#"{"alg":"HS256"}"#);
        assert_eq!(
            msg(&format!("{}.{}.", b64("[1]"), b64("{}"))),
            "Invalid header string: must be a json object"
        );
        assert_eq!(msg(&format!("{header}.!!.")), "Invalid payload padding");
        assert_eq!(
            msg(&format!("{header}.{}.a", b64("{}"))),
            "Invalid crypto padding"
        );
        assert_eq!(
            msg(&format!("{header}.{}.", b64("[]"))),
            "Invalid payload string: must be a json object"
        );
        assert_eq!(msg(&format!("{header}.{}.", b64("{}"))), "ok");
        // Padding is accepted when it is correct.
        assert_eq!(msg(&format!("{}=.{}.", b64("{}"), b64("{}"))), "ok");
        assert_eq!(
            msg(&format!("{header}=.{}.", b64("{}"))),
            "Invalid header padding"
        );
        assert_eq!(
            msg(&format!("{}===.{}.", b64("{}"), b64("{}"))),
            "Invalid header padding"
        );
    }

    #[test]
    fn header_parameters_are_checked() {
        let payload = b64("{}");
        let with = |h: &str| msg(&format!("{}.{payload}.", b64(h)));
        assert_eq!(
            with(r#"{"kid":1}"#),
            "Key ID header parameter must be a string"
        );
        assert_eq!(
            with(r#"{"crit":["foo"],"foo":1}"#),
            "Unsupported critical extension: foo"
        );
        assert_eq!(
            with(r#"{"crit":[]}"#),
            "Invalid 'crit' header: must be a non-empty list"
        );
        assert_eq!(
            with(r#"{"crit":[1]}"#),
            "Invalid 'crit' header: values must be strings"
        );
        assert_eq!(
            msg(&format!("{}.{payload}.", b64(r#"{"b64":false}"#))),
            "Payload segment must be empty when 'b64' is false."
        );
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

    #[test]
    fn python_int_semantics() {
        assert_eq!(python_int(&json!(true)), Some(1.0));
        assert_eq!(python_int(&json!(1.9)), Some(1.0));
        assert_eq!(python_int(&json!(-1.9)), Some(-1.0));
        assert_eq!(python_int(&json!(" 1_000 ")), Some(1000.0));
        assert_eq!(python_int(&json!("+7")), Some(7.0));
        // Decimal digits of any script, as Python's int() reads them.
        assert_eq!(python_int(&json!("\u{665}")), Some(5.0));
        assert_eq!(python_int(&json!("1\u{ff15}")), Some(15.0));
        assert_eq!(python_int(&json!("\u{b2}")), None); // superscript two is not Nd
        assert_eq!(python_int(&json!("1.5")), None);
        assert_eq!(python_int(&json!("_1")), None);
        assert_eq!(python_int(&json!("1__0")), None);
        assert_eq!(python_int(&json!(null)), None);
        assert_eq!(python_int(&json!({})), None);
    }

    #[test]
    fn python_str_renders_like_python() {
        assert_eq!(python_str(&json!("username")), "username");
        assert_eq!(python_str(&json!(1)), "1");
        assert_eq!(python_str(&json!(null)), "None");
        assert_eq!(python_str(&json!({"a": [1, true]})), "{'a': [1, True]}");
        assert_eq!(python_str(&json!(2.0)), "2.0");
    }
}
