//! Reading a JWK Set someone else published: keep the signature keys we
//! can use, skip the rest without failing (an encryption key, an unknown
//! `kty` or `alg`, a short RSA modulus), and bound what we read.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use crate::config::Algorithm;
use crate::token::keys;

/// The smallest RSA modulus accepted from a JWK Set, in bits (NIST SP
/// 800-131A; RFC 7518 §3.3 requires 2048 for RS*/PS*).
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// A verification key read from a JWK Set.
#[derive(Clone)]
pub(crate) struct PublishedKey {
    /// The key's algorithm: its `alg`, or the usual one for its type.
    pub(crate) algorithm: Algorithm,
    /// Whether the JWK named its `alg`: then it verifies only that one
    /// (RFC 7517 §4.4); otherwise any algorithm of its family.
    pub(crate) bound: bool,
    pub(crate) key: Arc<DecodingKey>,
}

impl PublishedKey {
    /// Whether this key may verify a token signed with `algorithm`.
    pub(crate) fn fits(&self, algorithm: Algorithm) -> bool {
        if self.bound {
            self.algorithm == algorithm
        } else {
            keys::same_family(self.algorithm, algorithm)
        }
    }
}

/// The usable keys of a JWK Set.
#[derive(Clone, Default)]
pub(crate) struct PublishedKeys {
    pub(crate) by_kid: HashMap<String, PublishedKey>,
    /// Keys published without a `kid` (tried for tokens without one).
    pub(crate) unnamed: Vec<PublishedKey>,
}

impl PublishedKeys {
    /// How many keys are usable.
    pub(crate) fn len(&self) -> usize {
        self.by_kid.len() + self.unnamed.len()
    }

    /// The `kid`s, sorted.
    pub(crate) fn kids(&self) -> Vec<String> {
        let mut kids: Vec<String> = self.by_kid.keys().cloned().collect();
        kids.sort();
        kids
    }

    /// The keys that may verify a token with `kid` (or, without one, every
    /// key fitting `algorithm`).
    pub(crate) fn matching(
        &self,
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Vec<Arc<DecodingKey>> {
        match kid {
            Some(kid) => self
                .by_kid
                .get(kid)
                .filter(|key| key.fits(algorithm))
                .map(|key| Arc::clone(&key.key))
                .into_iter()
                .collect(),
            None => self
                .by_kid
                .values()
                .chain(&self.unnamed)
                .filter(|key| key.fits(algorithm))
                .map(|key| Arc::clone(&key.key))
                .collect(),
        }
    }
}

/// Why a JWK Set as a whole was refused (the keys known before stay).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum JwkSetError {
    #[error("the JWK Set is not a JSON object with a \"keys\" array")]
    NotASet,
    #[error("the JWK Set holds {0} keys, more than the limit of {1}")]
    TooManyKeys(usize, usize),
    #[error("the JWK Set holds no usable signature key")]
    NoUsableKey,
}

/// A key of the set that was left out, and why (for logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkippedKey {
    pub(crate) kid: Option<String>,
    pub(crate) reason: String,
}

/// Reads the usable keys of the JWK Set `body`: at most `max_keys` entries.
///
/// # Errors
/// When the body is not a JWK Set, holds too many entries or no usable key.
pub(crate) fn parse_jwk_set(
    body: &[u8],
    max_keys: usize,
) -> Result<(PublishedKeys, Vec<SkippedKey>), JwkSetError> {
    let set: Value = serde_json::from_slice(body).map_err(|_| JwkSetError::NotASet)?;
    let entries = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JwkSetError::NotASet)?;
    if entries.len() > max_keys {
        return Err(JwkSetError::TooManyKeys(entries.len(), max_keys));
    }
    let mut keys = PublishedKeys::default();
    let mut skipped = Vec::new();
    for entry in entries {
        let kid = entry.get("kid").and_then(Value::as_str).map(str::to_owned);
        let result = entry
            .as_object()
            .ok_or_else(|| "not a JSON object".to_owned())
            .and_then(read_key);
        match (result, kid) {
            (Ok(key), Some(kid)) if keys.by_kid.contains_key(&kid) => skipped.push(SkippedKey {
                kid: Some(kid),
                reason: format!("a second key with this kid ({})", key.algorithm),
            }),
            (Ok(key), Some(kid)) => {
                keys.by_kid.insert(kid, key);
            }
            (Ok(key), None) => keys.unnamed.push(key),
            (Err(reason), kid) => skipped.push(SkippedKey { kid, reason }),
        }
    }
    if keys.len() == 0 {
        return Err(JwkSetError::NoUsableKey);
    }
    Ok((keys, skipped))
}

/// One JWK, if it is a signature key we can verify with.
fn read_key(jwk: &Map<String, Value>) -> Result<PublishedKey, String> {
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    match text("use") {
        None | Some("sig") => {}
        Some(other) => return Err(format!("use {other:?} is not \"sig\"")),
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
        if !verifies {
            return Err("key_ops does not include \"verify\"".to_owned());
        }
    }
    let kty = text("kty").ok_or_else(|| "no kty".to_owned())?;
    let stated = match text("alg") {
        Some(alg) => Some(
            keys::parse_algorithm(alg)
                .ok_or_else(|| format!("alg {alg:?} is not a signature algorithm we support"))?,
        ),
        None => None,
    };
    let field = |name: &str| text(name).ok_or_else(|| format!("{kty} key without {name:?}"));
    let (usual, key) = match kty {
        "RSA" => {
            let (n, e) = (field("n")?, field("e")?);
            check_rsa_modulus(n)?;
            let key = DecodingKey::from_rsa_components(n, e).map_err(|e| e.to_string())?;
            (Algorithm::RS256, key)
        }
        "EC" => {
            let usual = match field("crv")? {
                "P-256" => Algorithm::ES256,
                "P-384" => Algorithm::ES384,
                crv => return Err(format!("curve {crv:?} is not supported")),
            };
            let key = DecodingKey::from_ec_components(field("x")?, field("y")?)
                .map_err(|e| e.to_string())?;
            (usual, key)
        }
        "OKP" => {
            if field("crv")? != "Ed25519" {
                return Err("only the Ed25519 curve is supported for OKP keys".to_owned());
            }
            let key = DecodingKey::from_ed_components(field("x")?).map_err(|e| e.to_string())?;
            (Algorithm::EdDSA, key)
        }
        "oct" => {
            return Err("a shared secret (kty \"oct\") is never taken from a JWK Set".to_owned());
        }
        other => return Err(format!("kty {other:?} is not supported")),
    };
    let algorithm = stated.unwrap_or(usual);
    if !keys::same_family(algorithm, usual) || !keys::decoding_key_fits(algorithm, &key) {
        return Err(format!("alg {algorithm} does not fit a {kty} key"));
    }
    if algorithm != usual && kty == "EC" {
        return Err(format!("alg {algorithm} does not fit the key's curve"));
    }
    Ok(PublishedKey {
        algorithm,
        bound: stated.is_some(),
        key: Arc::new(key),
    })
}

/// Refuses an RSA modulus under [`MIN_RSA_BITS`].
fn check_rsa_modulus(n: &str) -> Result<(), String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(n.trim_end_matches('='))
        .map_err(|_| "the RSA modulus is not base64url".to_owned())?;
    let significant = bytes.iter().skip_while(|b| **b == 0).count();
    let bits = match bytes.iter().find(|b| **b != 0) {
        Some(first) => (significant - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    };
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "an RSA key of {bits} bits is under the minimum of {MIN_RSA_BITS}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture_jwk() -> Map<String, Value> {
        let pem = std::fs::read(format!(
            "{}/tests/fixtures/keys/rsa2048_public.pem",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let key = crate::token::Key::from_public_pem("k1", Algorithm::RS256, pem).unwrap();
        key.public_jwk().unwrap().clone()
    }

    fn set(keys: Vec<Value>) -> Vec<u8> {
        serde_json::to_vec(&json!({ "keys": keys })).unwrap()
    }

    #[test]
    fn keeps_signature_keys_and_skips_the_rest() {
        let sig = Value::Object(fixture_jwk());
        let mut enc = fixture_jwk();
        enc.insert("kid".into(), json!("enc-1"));
        enc.insert("use".into(), json!("enc"));
        enc.insert("alg".into(), json!("RSA-OAEP"));
        let oct = json!({"kty": "oct", "kid": "s", "k": "c2VjcmV0"});
        let odd = json!({"kty": "XYZ", "kid": "x"});
        let (keys, skipped) =
            parse_jwk_set(&set(vec![sig, Value::Object(enc), oct, odd, json!(3)]), 10).unwrap();
        assert_eq!(keys.kids(), ["k1"]);
        assert_eq!(skipped.len(), 4);
        assert_eq!(keys.matching(Some("k1"), Algorithm::RS256).len(), 1);
        // Bound to its alg: RS256 only, never RS512, never HS256.
        assert!(keys.matching(Some("k1"), Algorithm::RS512).is_empty());
        assert!(keys.matching(Some("k1"), Algorithm::HS256).is_empty());
        assert!(keys.matching(Some("other"), Algorithm::RS256).is_empty());
        assert_eq!(keys.matching(None, Algorithm::RS256).len(), 1);
    }

    #[test]
    fn a_key_without_alg_verifies_its_family() {
        let mut jwk = fixture_jwk();
        jwk.remove("alg");
        let (keys, _) = parse_jwk_set(&set(vec![Value::Object(jwk)]), 10).unwrap();
        assert_eq!(keys.matching(Some("k1"), Algorithm::PS256).len(), 1);
        assert!(keys.matching(Some("k1"), Algorithm::ES256).is_empty());
    }

    #[test]
    fn bounds_and_garbage() {
        assert_eq!(parse_jwk_set(b"[]", 10).err(), Some(JwkSetError::NotASet));
        assert_eq!(
            parse_jwk_set(b"{\"keys\":", 10).err(),
            Some(JwkSetError::NotASet)
        );
        let many = set(vec![json!({}); 11]);
        assert_eq!(
            parse_jwk_set(&many, 10).err(),
            Some(JwkSetError::TooManyKeys(11, 10))
        );
        assert_eq!(
            parse_jwk_set(&set(vec![json!({"kty": "oct"})]), 10).err(),
            Some(JwkSetError::NoUsableKey)
        );
    }

    #[test]
    fn short_rsa_moduli_are_refused() {
        let mut jwk = fixture_jwk();
        // 1024-bit modulus (128 bytes, top bit set).
        jwk.insert("n".into(), json!(URL_SAFE_NO_PAD.encode([0xc1u8; 128])));
        let (_, reason) = (0, read_key(&jwk).err().unwrap());
        assert!(reason.contains("1024 bits"), "{reason}");
        assert!(check_rsa_modulus(&URL_SAFE_NO_PAD.encode([0x80u8; 256])).is_ok());
        assert!(check_rsa_modulus(&URL_SAFE_NO_PAD.encode([0x7fu8; 256])).is_err());
    }
}
