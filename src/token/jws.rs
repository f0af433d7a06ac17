//! The JWS part of decoding, as PyJWT does it: split the token into its
//! segments, decode them as strict base64url, parse the header and payload
//! (with Python's JSON error texts), check the header parameters, pick the
//! algorithm from the `alg` allow-list, and verify the signature.
//!
//! `jsonwebtoken` only verifies the signature here; every other step is
//! ours so that each failure gets the reference's exact message. The claim
//! checks that follow are in [`claims`](super::claims).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;

use crate::config::Algorithm;
use serde_json::{Map, Value};

use super::claims::fill_defaults;
use super::keys;
use super::scan::{HeaderParam, RegisteredClaims, RegisteredHeader};
use crate::compat::pyjson::python_json_error;
use crate::error::{Error, ErrorKind};
use crate::messages;

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
        rsplit_once(token, b'.').ok_or_else(|| Error::malformed(messages::NOT_ENOUGH_SEGMENTS))?;
    let (header_segment, payload_segment) = split_once(signing_input, b'.')
        .ok_or_else(|| Error::malformed(messages::NOT_ENOUGH_SEGMENTS))?;

    let header_bytes = decode_segment(header_segment, messages::INVALID_HEADER_PADDING)?;
    let header = scan_object(&header_bytes, JsonSegment::Header, RegisteredHeader::scan)?;

    let detached = header.get(HeaderParam::B64) == Some(&Value::Bool(false));
    let payload_bytes = if detached {
        if !payload_segment.is_empty() {
            return Err(Error::malformed(messages::B64_PAYLOAD_NOT_EMPTY));
        }
        Vec::new()
    } else {
        decode_segment(payload_segment, messages::INVALID_PAYLOAD_PADDING)?
    };
    let signature = decode_segment(crypto_segment, messages::INVALID_CRYPTO_PADDING)?;

    check_header_parameters(&header)?;
    if detached {
        let listed = matches!(header.get(HeaderParam::Crit), Some(Value::Array(items))
            if items.iter().any(|i| i.as_str() == Some("b64")));
        if !listed {
            return Err(Error::malformed(messages::B64_NOT_IN_CRIT));
        }
        return Err(Error::malformed(messages::DETACHED_PAYLOAD_REQUIRED));
    }

    let claims = scan_object(&payload_bytes, JsonSegment::Payload, |json| {
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
///
/// `invalid_padding` is the segment's message.
fn decode_segment(segment: &[u8], invalid_padding: &'static str) -> Result<Vec<u8>, Error> {
    let message = || Error::malformed(invalid_padding);
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

/// The two segments that hold JSON.
#[derive(Debug, Clone, Copy)]
enum JsonSegment {
    Header,
    Payload,
}

impl JsonSegment {
    fn name(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Payload => "payload",
        }
    }

    fn not_an_object(self) -> &'static str {
        match self {
            Self::Header => messages::HEADER_NOT_AN_OBJECT,
            Self::Payload => messages::PAYLOAD_NOT_AN_OBJECT,
        }
    }

    fn invalid_json(self, python_error: &str) -> String {
        match self {
            Self::Header => messages::invalid_header_json(python_error),
            Self::Payload => messages::invalid_payload_json(python_error),
        }
    }
}

/// Scans JSON that must be an object, with Python's error texts.
fn scan_object<T>(
    bytes: &[u8],
    segment: JsonSegment,
    scan: impl FnOnce(&[u8]) -> Result<Option<T>, serde_json::Error>,
) -> Result<T, Error> {
    match scan(bytes) {
        Ok(Some(members)) => Ok(members),
        Ok(None) => Err(Error::malformed(segment.not_an_object())),
        Err(serde_error) => {
            let python = python_json_error(bytes);
            if python.is_empty() {
                // Python would accept this (NaN, a BOM, UTF-16, huge numbers,
                // lone surrogates, deep nesting); we refuse it, with our own text.
                Err(Error::malformed(format!(
                    "Invalid {} string: unsupported JSON ({serde_error})",
                    segment.name()
                )))
            } else {
                Err(Error::malformed(segment.invalid_json(&python)))
            }
        }
    }
}

/// `kid` must be a string; `crit` must list only extensions we understand.
fn check_header_parameters(header: &RegisteredHeader) -> Result<(), Error> {
    if let Some(kid) = header.get(HeaderParam::Kid)
        && !kid.is_string()
    {
        return Err(Error::malformed(messages::KID_NOT_A_STRING));
    }
    if let Some(crit) = header.get(HeaderParam::Crit) {
        let items = match crit {
            Value::Array(items) if !items.is_empty() => items,
            _ => {
                return Err(Error::malformed(messages::CRIT_NOT_A_LIST));
            }
        };
        for item in items {
            let Some(ext) = item.as_str() else {
                return Err(Error::malformed(messages::CRIT_VALUE_NOT_A_STRING));
            };
            if ext != "b64" {
                return Err(Error::malformed(messages::unsupported_critical_extension(
                    ext,
                )));
            }
            if header.get(HeaderParam::B64).is_none() {
                return Err(Error::malformed(messages::critical_extension_missing(ext)));
            }
        }
    }
    Ok(())
}

impl Unverified<'_> {
    /// The `kid` header, when it is present (it is a string: checked at
    /// parse time).
    pub(crate) fn kid(&self) -> Option<&str> {
        self.header.get(HeaderParam::Kid).and_then(Value::as_str)
    }

    /// The `alg` header, checked against the allow-list, as PyJWT does.
    pub(crate) fn algorithm(&self, allowed: &[Algorithm]) -> Result<Algorithm, Error> {
        let Some(alg) = self.header.get(HeaderParam::Alg) else {
            return Err(Error::new(
                ErrorKind::InvalidAlgorithm,
                messages::ALGORITHM_NOT_SPECIFIED,
            ));
        };
        let not_allowed =
            || Error::new(ErrorKind::InvalidAlgorithm, messages::ALGORITHM_NOT_ALLOWED);
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
                messages::SIGNATURE_VERIFICATION_FAILED,
            )),
        }
    }
}

/// The unverified JOSE header of a token, with the same checks (and errors)
/// as the reference's `get_unverified_jwt_headers`.
pub(crate) fn unverified_header(token: &[u8]) -> Result<Map<String, Value>, Error> {
    parse_unverified(token).map(|u| u.json.header_map())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
