//! Key sets: several keys, each named by a `kid`, one of them signing new
//! tokens ([`KeySet`]); the manager's live copy that rotates at run time
//! ([`KeyRing`]); and the public half published as a JWK Set
//! ([`KeySet::jwks`]).
//!
//! A [`KeySet`] is a plain value: build it, hand it to
//! [`JwtManagerBuilder::key_set`](crate::JwtManagerBuilder::key_set), then
//! change it at run time through [`JwtManager::keys`](crate::JwtManager::keys).
//! Readers take a snapshot (one `Arc` clone under a read lock); writers
//! copy the set, change the copy and swap it in, so a request always sees
//! one consistent set.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde_json::{Map, Value};

use super::SigningKey;
use super::keys;
use crate::config::{Algorithm, Secret};

/// Why a key or a key-set change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key material cannot be used for the algorithm (unparsable PEM,
    /// a key of another family, an HMAC secret that is a PEM key, …).
    #[error("key {kid:?}: {reason}")]
    Invalid {
        /// The key's id.
        kid: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A key id must not be empty.
    #[error("a key id (kid) must not be empty")]
    EmptyKid,
    /// The set already holds a key with this id.
    #[error("the key set already holds a key {0:?}")]
    DuplicateKid(String),
    /// The set holds no key with this id.
    #[error("the key set holds no key {0:?}")]
    UnknownKid(String),
    /// The key has no private half (or secret) to sign with.
    #[error("key {0:?} is a verification key only and cannot sign")]
    CannotSign(String),
    /// The key signs new tokens and cannot be removed before signing moves
    /// to another key.
    #[error("key {0:?} signs new tokens: switch signing to another key before removing it")]
    SigningKeyInUse(String),
    /// The key's algorithm is not among the algorithms the manager accepts
    /// (`JWT_DECODE_ALGORITHMS`, which always includes `JWT_ALGORITHM`).
    #[error("key {kid:?} is for {algorithm}, which JWT_DECODE_ALGORITHMS does not allow")]
    AlgorithmNotAllowed {
        /// The key's id.
        kid: String,
        /// The key's algorithm.
        algorithm: Algorithm,
    },
}

/// One key of a [`KeySet`]: its id (`kid`), the algorithm it is for, what
/// verifies with it and, for a key that can sign, the private half.
///
/// The algorithm binds the key to its family: an RSA key made for `RS256`
/// also verifies `RS384`/`PS256`… tokens (when `JWT_DECODE_ALGORITHMS`
/// allows them), never an `HS*` or `ES*` one. New tokens are signed with
/// the key's own algorithm.
///
/// Cloning is cheap (`Arc`s). `Debug` never shows key material.
///
/// ```
/// use jwt_extended::{Algorithm, token::Key};
///
/// let pem = std::fs::read("tests/fixtures/keys/ec256_private.pem")?;
/// let key = Key::from_private_pem("2025-06", Algorithm::ES256, &pem)?;
/// assert_eq!(key.kid(), "2025-06");
/// assert!(key.can_sign());
/// assert_eq!(key.public_jwk().and_then(|jwk| jwk.get("crv")), Some(&"P-256".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Key {
    kid: Arc<str>,
    algorithm: Algorithm,
    verifying: Arc<DecodingKey>,
    signing: Option<Arc<EncodingKey>>,
    jwk: Option<Arc<Map<String, Value>>>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("can_sign", &self.signing.is_some())
            .finish_non_exhaustive()
    }
}

impl Key {
    /// An HMAC key (`HS256`/`HS384`/`HS512`) that signs and verifies with
    /// `secret`. A secret that is a PEM or SSH key is refused, as for
    /// `JWT_SECRET_KEY`. It is never published.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, token::Key};
    ///
    /// let key = Key::hmac("k1", Algorithm::HS256, "0123456789abcdef0123456789abcdef")?;
    /// assert!(key.can_sign());
    /// assert!(key.public_jwk().is_none());
    /// assert!(Key::hmac("k1", Algorithm::RS256, "secret").is_err());
    /// # Ok::<(), jwt_extended::token::KeyError>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyError::Invalid`] for a non-HMAC algorithm or an unusable secret,
    /// [`KeyError::EmptyKid`] for an empty `kid`.
    pub fn hmac(
        kid: impl Into<String>,
        algorithm: Algorithm,
        secret: impl AsRef<[u8]>,
    ) -> Result<Self, KeyError> {
        let kid = checked_kid(kid.into())?;
        let invalid = invalid(&kid);
        if !algorithm.is_hmac() {
            return Err(invalid(format!("{algorithm} does not use an HMAC secret")));
        }
        let secret = Secret::new(secret.as_ref().to_vec());
        let signing = keys::hmac_encoding_key("kid", &secret).map_err(|e| invalid(reason(&e)))?;
        let verifying = keys::hmac_decoding_key("kid", &secret).map_err(|e| invalid(reason(&e)))?;
        Ok(Self {
            kid,
            algorithm,
            verifying: Arc::new(verifying),
            signing: Some(Arc::new(signing)),
            jwk: None,
        })
    }

    /// A key pair from a PEM private key (RSA PKCS#1 or PKCS#8, EC SEC1 or
    /// PKCS#8, Ed25519 PKCS#8): it signs, and its public half (derived from
    /// the private key) verifies and is published.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, token::Key};
    ///
    /// let pem = std::fs::read("tests/fixtures/keys/rsa2048_private.pem")?;
    /// let key = Key::from_private_pem("rsa-1", Algorithm::RS256, &pem)?;
    /// assert_eq!(key.public_jwk().and_then(|jwk| jwk.get("kty")), Some(&"RSA".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyError::Invalid`] if the PEM is not a private key that can sign
    /// with `algorithm`.
    pub fn from_private_pem(
        kid: impl Into<String>,
        algorithm: Algorithm,
        pem: impl AsRef<[u8]>,
    ) -> Result<Self, KeyError> {
        let kid = checked_kid(kid.into())?;
        let invalid = invalid(&kid);
        keys::ensure_crypto_provider().map_err(|e| invalid(e.to_string()))?;
        if algorithm.is_hmac() {
            return Err(invalid(format!("{algorithm} uses a secret, not a PEM key")));
        }
        let signing =
            keys::private_key(algorithm, pem.as_ref()).map_err(|e| invalid(reason(&e)))?;
        let public = keys::public_half(algorithm, &signing)
            .map_err(|e| invalid(format!("cannot derive the public key: {e}")))?;
        let mut key = Self::verifying_only(kid, algorithm, public)?;
        key.signing = Some(Arc::new(signing));
        Ok(key)
    }

    /// A verification key from a PEM public key (`PUBLIC KEY` or PKCS#1
    /// `RSA PUBLIC KEY`): it verifies and is published, but cannot sign.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, token::Key};
    ///
    /// let pem = std::fs::read("tests/fixtures/keys/ed25519_public.pem")?;
    /// let key = Key::from_public_pem("ed-1", Algorithm::EdDSA, &pem)?;
    /// assert!(!key.can_sign());
    /// assert_eq!(key.public_jwk().and_then(|jwk| jwk.get("kty")), Some(&"OKP".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyError::Invalid`] if the PEM is not a public key for `algorithm`.
    pub fn from_public_pem(
        kid: impl Into<String>,
        algorithm: Algorithm,
        pem: impl AsRef<[u8]>,
    ) -> Result<Self, KeyError> {
        let kid = checked_kid(kid.into())?;
        let invalid = invalid(&kid);
        keys::ensure_crypto_provider().map_err(|e| invalid(e.to_string()))?;
        let public = keys::public_key(algorithm, pem.as_ref()).map_err(|e| invalid(reason(&e)))?;
        Self::verifying_only(kid, algorithm, public)
    }

    /// A verification key from a `jsonwebtoken` [`DecodingKey`] (for
    /// example one built from a JWK), bound to `algorithm`'s family.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, jsonwebtoken::DecodingKey, token::Key};
    ///
    /// let pem = std::fs::read("tests/fixtures/keys/ec256_public.pem")?;
    /// let key = Key::from_decoding_key("ec-1", Algorithm::ES256, DecodingKey::from_ec_pem(&pem)?)?;
    /// assert_eq!(key.algorithm(), Algorithm::ES256);
    /// let wrong = DecodingKey::from_secret(b"a secret")?;
    /// assert!(Key::from_decoding_key("ec-2", Algorithm::ES256, wrong).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyError::Invalid`] if the key is of another family than `algorithm`.
    pub fn from_decoding_key(
        kid: impl Into<String>,
        algorithm: Algorithm,
        key: DecodingKey,
    ) -> Result<Self, KeyError> {
        let kid = checked_kid(kid.into())?;
        keys::ensure_crypto_provider().map_err(|e| invalid(&kid)(e.to_string()))?;
        Self::verifying_only(kid, algorithm, key)
    }

    /// A verification key from a public JWK (RFC 7517), as an identity
    /// provider's JWK Set publishes it: `kty` `RSA` (`n`, `e`; a modulus of
    /// 2048 bits at least), `EC` (`crv` `P-256`, `P-384` or `P-521`, `x`,
    /// `y`) or `OKP` (`crv` `Ed25519`, `x`). It verifies and is published
    /// again (public members only), but cannot sign.
    ///
    /// The `kid` is required. The algorithm is the JWK's `alg` when it has
    /// one (it must suit the key: for EC keys the curve fixes it), else the
    /// key type's usual one: `RS256` for RSA, `ES256`/`ES384`/`ES512` for
    /// P-256/P-384/P-521, `EdDSA` for Ed25519.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, token::Key};
    /// use serde_json::json;
    ///
    /// let published = Key::from_public_pem("ec-1", Algorithm::ES512, std::fs::read("tests/fixtures/keys/ec521_public.pem")?)?;
    /// let jwk = published.public_jwk().cloned().unwrap_or_default();
    /// let key = Key::from_jwk(&jwk)?;
    /// assert_eq!((key.kid(), key.algorithm()), ("ec-1", Algorithm::ES512));
    /// assert!(!key.can_sign());
    ///
    /// // Without `alg`, the curve says which algorithm.
    /// let mut bare = jwk.clone();
    /// bare.remove("alg");
    /// assert_eq!(Key::from_jwk(&bare)?.algorithm(), Algorithm::ES512);
    ///
    /// // An HMAC secret is never taken from a JWK.
    /// let oct = json!({"kty": "oct", "kid": "s", "k": "c2VjcmV0"});
    /// assert!(Key::from_jwk(oct.as_object().unwrap_or(&Default::default())).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyError::EmptyKid`] without a `kid` (or with an empty one);
    /// [`KeyError::Invalid`] for a `kty` of `oct` (an HMAC secret) or any
    /// other unsupported key type or curve, an RSA modulus under 2048 bits,
    /// coordinates of the wrong length or off the curve, an `alg` that does
    /// not suit the key, or a `use` other than `sig` (or `key_ops` without
    /// `verify`).
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Self, KeyError> {
        let kid = jwk_kid(jwk)?;
        let invalid = invalid(&kid);
        keys::ensure_crypto_provider().map_err(|e| invalid(e.to_string()))?;
        check_jwk_use(jwk).map_err(&invalid)?;
        let (algorithm, key) = match jwk.get("kty").and_then(Value::as_str) {
            Some("RSA") => rsa_from_jwk(jwk),
            Some("EC") => ec_from_jwk(jwk),
            Some("OKP") => okp_from_jwk(jwk),
            Some("oct") => Err("an HMAC secret (kty \"oct\") is never taken from a JWK".into()),
            Some(other) => Err(format!("unsupported key type (kty {other:?})")),
            None => Err("the JWK has no \"kty\" string".into()),
        }
        .map_err(&invalid)?;
        Self::verifying_only(kid, algorithm, key)
    }

    fn verifying_only(
        kid: Arc<str>,
        algorithm: Algorithm,
        key: DecodingKey,
    ) -> Result<Self, KeyError> {
        if !keys::decoding_key_fits(algorithm, &key) {
            return Err(invalid(&kid)(format!(
                "the key is not of the kind {algorithm} uses"
            )));
        }
        let jwk = public_jwk(&kid, algorithm, &key).map_err(invalid(&kid))?;
        Ok(Self {
            kid,
            algorithm,
            verifying: Arc::new(key),
            signing: None,
            jwk: jwk.map(Arc::new),
        })
    }

    /// The key id, written into the `kid` header of the tokens it signs.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm the key signs with (and whose family it verifies).
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether the key can sign (a secret or a private key).
    #[must_use]
    pub fn can_sign(&self) -> bool {
        self.signing.is_some()
    }

    /// The public JWK of the key (`kty`, `kid`, `use: "sig"`, `alg` and
    /// `n`/`e`, `crv`/`x`/`y` or `crv`/`x`); `None` for an HMAC secret,
    /// which is never published.
    #[must_use]
    pub fn public_jwk(&self) -> Option<&Map<String, Value>> {
        self.jwk.as_deref()
    }

    /// Whether this key may verify a token signed with `algorithm`.
    fn verifies(&self, algorithm: Algorithm) -> bool {
        keys::same_family(self.algorithm, algorithm)
    }

    /// The key as a [`SigningKey`] naming itself, if it can sign.
    fn signing_key(&self) -> Option<SigningKey> {
        let key = self.signing.clone()?;
        Some(
            SigningKey::new(key)
                .with_kid(&*self.kid)
                .with_algorithm(self.algorithm),
        )
    }
}

fn checked_kid(kid: String) -> Result<Arc<str>, KeyError> {
    if kid.is_empty() {
        Err(KeyError::EmptyKid)
    } else {
        Ok(Arc::from(kid))
    }
}

fn invalid(kid: &Arc<str>) -> impl Fn(String) -> KeyError + use<> {
    let kid = Arc::clone(kid);
    move |reason| KeyError::Invalid {
        kid: kid.to_string(),
        reason,
    }
}

/// A configuration error's reason, without the option name it carries
/// (the key has a `kid`, not an option).
fn reason(error: &crate::config::ConfigError) -> String {
    match error {
        crate::config::ConfigError::InvalidKey { reason, .. }
        | crate::config::ConfigError::InvalidValue { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// The public JWK of an asymmetric key, with `kid`, `use` and `alg`.
fn public_jwk(
    kid: &str,
    algorithm: Algorithm,
    key: &DecodingKey,
) -> Result<Option<Map<String, Value>>, String> {
    if algorithm.is_hmac() {
        return Ok(None);
    }
    if algorithm == Algorithm::ES512 {
        return es512_public_jwk(kid, key).map(Some);
    }
    let algorithm = keys::jwt_algorithm(algorithm).map_err(|e| e.to_string())?;
    let mut jwk = Jwk::from_decoding_key(key, Some(algorithm))
        .map_err(|e| format!("cannot express the public key as a JWK: {e}"))?;
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_id = Some(kid.to_owned());
    match serde_json::to_value(&jwk) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err("the JWK is not a JSON object".to_owned()),
        Err(e) => Err(format!("cannot serialize the JWK: {e}")),
    }
}

/// The public JWK of an ES512 key, which `jsonwebtoken`'s `Jwk` cannot
/// express (it has no ES512): P-521 coordinates of 66 bytes each.
fn es512_public_jwk(kid: &str, key: &DecodingKey) -> Result<Map<String, Value>, String> {
    let (x, y) = keys::es512_coordinates(key)?;
    let mut jwk = Map::new();
    for (name, value) in [
        ("kty", "EC".to_owned()),
        ("crv", "P-521".to_owned()),
        ("x", URL_SAFE_NO_PAD.encode(x)),
        ("y", URL_SAFE_NO_PAD.encode(y)),
        ("alg", Algorithm::ES512.as_str().to_owned()),
        ("use", "sig".to_owned()),
        ("kid", kid.to_owned()),
    ] {
        jwk.insert(name.to_owned(), Value::String(value));
    }
    Ok(jwk)
}

/// The `kid` of a JWK: required, a non-empty string.
fn jwk_kid(jwk: &Map<String, Value>) -> Result<Arc<str>, KeyError> {
    match jwk.get("kid") {
        None => Err(KeyError::EmptyKid),
        Some(Value::String(kid)) => checked_kid(kid.clone()),
        Some(other) => Err(KeyError::Invalid {
            kid: other.to_string(),
            reason: "the JWK's \"kid\" is not a string".to_owned(),
        }),
    }
}

/// Refuses a JWK meant for something else than verifying signatures.
fn check_jwk_use(jwk: &Map<String, Value>) -> Result<(), String> {
    match jwk.get("use") {
        None => {}
        Some(Value::String(use_)) if use_ == "sig" => {}
        Some(other) => return Err(format!("the JWK's use is {other}, not \"sig\"")),
    }
    match jwk.get("key_ops") {
        None => Ok(()),
        Some(Value::Array(ops)) if ops.iter().any(|op| op == "verify") => Ok(()),
        Some(other) => Err(format!(
            "the JWK's key_ops {other} do not include \"verify\""
        )),
    }
}

/// A base64url member of a JWK, decoded.
fn jwk_bytes(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let text = jwk
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the JWK has no {name:?} string"))?;
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| format!("the JWK's {name:?} is not base64url: {e}"))
}

/// The JWK's `alg` if it has one (it must be one `fits` accepts), else
/// `default`.
fn jwk_algorithm(
    jwk: &Map<String, Value>,
    default: Algorithm,
    fits: impl Fn(Algorithm) -> bool,
) -> Result<Algorithm, String> {
    let Some(alg) = jwk.get("alg") else {
        return Ok(default);
    };
    let algorithm = alg
        .as_str()
        .and_then(keys::parse_algorithm)
        .ok_or_else(|| format!("unsupported alg {alg}"))?;
    if fits(algorithm) {
        Ok(algorithm)
    } else {
        Err(format!("alg {algorithm} does not suit this key"))
    }
}

/// The shortest RSA modulus accepted from a JWK, in bits.
const MIN_RSA_BITS: usize = 2048;

/// An RSA verification key from `n` and `e`.
fn rsa_from_jwk(jwk: &Map<String, Value>) -> Result<(Algorithm, DecodingKey), String> {
    let algorithm = jwk_algorithm(jwk, Algorithm::RS256, |a| {
        keys::same_family(a, Algorithm::RS256)
    })?;
    let n = jwk_bytes(jwk, "n")?;
    let e = jwk_bytes(jwk, "e")?;
    let (n, e) = (strip_leading_zeros(&n), strip_leading_zeros(&e));
    let bits = n
        .first()
        .map_or(0, |first| n.len() * 8 - first.leading_zeros() as usize);
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "the RSA modulus has {bits} bits, fewer than {MIN_RSA_BITS}"
        ));
    }
    if e.is_empty() {
        return Err("the RSA exponent is zero".to_owned());
    }
    Ok((algorithm, DecodingKey::from_rsa_raw_components(n, e)))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    &bytes[zeros..]
}

/// An EC verification key from `crv`, `x` and `y`: the curve fixes the
/// algorithm.
fn ec_from_jwk(jwk: &Map<String, Value>) -> Result<(Algorithm, DecodingKey), String> {
    let (algorithm, length) = match jwk.get("crv").and_then(Value::as_str) {
        Some("P-256") => (Algorithm::ES256, 32),
        Some("P-384") => (Algorithm::ES384, 48),
        Some("P-521") => (Algorithm::ES512, 66),
        other => return Err(format!("unsupported EC curve {other:?}")),
    };
    let algorithm = jwk_algorithm(jwk, algorithm, |a| a == algorithm)?;
    let x = jwk_bytes(jwk, "x")?;
    let y = jwk_bytes(jwk, "y")?;
    if x.len() != length || y.len() != length {
        return Err(format!(
            "the coordinates of a {algorithm} key are {length} bytes each, not {} and {}",
            x.len(),
            y.len()
        ));
    }
    let key = if algorithm == Algorithm::ES512 {
        keys::es512_key_from_coordinates(&x, &y)?
    } else {
        DecodingKey::from_ec_der(&[&[0x04][..], &x, &y].concat())
    };
    Ok((algorithm, key))
}

/// An Ed25519 verification key from `crv` and `x`.
fn okp_from_jwk(jwk: &Map<String, Value>) -> Result<(Algorithm, DecodingKey), String> {
    match jwk.get("crv").and_then(Value::as_str) {
        Some("Ed25519") => {}
        other => return Err(format!("unsupported OKP curve {other:?}")),
    }
    let algorithm = jwk_algorithm(jwk, Algorithm::EdDSA, |a| a == Algorithm::EdDSA)?;
    let x = jwk_bytes(jwk, "x")?;
    if x.len() != 32 {
        return Err(format!("an Ed25519 key is 32 bytes, not {}", x.len()));
    }
    Ok((algorithm, DecodingKey::from_ed_der(&x)))
}

/// FNV-1a, for looking up a token's `kid` among our keys. The default
/// SipHash guards a map against keys chosen to collide; here the keys are
/// ours and a client only chooses what it looks up, which cannot lengthen
/// any probe sequence beyond the set's own size. FNV costs a few
/// instructions per byte of a short `kid` instead of SipHash's ~170.
#[derive(Clone, Copy)]
pub(crate) struct KidHasher(u64);

impl Default for KidHasher {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for KidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Keys by `kid`, and which one signs new tokens.
///
/// Lookup by `kid` is a hash-map lookup. A token is only verified with a
/// key of its algorithm's family (and `JWT_DECODE_ALGORITHMS` still
/// applies first).
///
/// ```
/// use jwt_extended::{Algorithm, token::{Key, KeySet}};
///
/// let dir = "tests/fixtures/keys";
/// let old = Key::from_public_pem("2025-01", Algorithm::RS256, std::fs::read(format!("{dir}/rsa2048_other_public.pem"))?)?;
/// let new = Key::from_private_pem("2025-07", Algorithm::RS256, std::fs::read(format!("{dir}/rsa2048_private.pem"))?)?;
/// let set = KeySet::new().with_key(old)?.with_signing_key(new)?;
/// assert_eq!(set.signing_key().map(|k| k.kid()), Some("2025-07"));
/// assert_eq!(set.kids(), ["2025-01", "2025-07"]);
/// assert_eq!(set.jwks()["keys"].as_array().map(Vec::len), Some(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct KeySet {
    keys: HashMap<Arc<str>, Key, BuildHasherDefault<KidHasher>>,
    signing: Option<Arc<str>>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("kids", &self.kids())
            .field("signing", &self.signing)
            .finish()
    }
}

impl KeySet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key (builder style).
    ///
    /// # Errors
    /// [`KeyError::DuplicateKid`] if the set already has a key with its `kid`.
    pub fn with_key(mut self, key: Key) -> Result<Self, KeyError> {
        self.insert(key)?;
        Ok(self)
    }

    /// Adds a key and makes it the signing key (builder style).
    ///
    /// # Errors
    /// [`KeyError::DuplicateKid`], or [`KeyError::CannotSign`] for a
    /// verification-only key.
    pub fn with_signing_key(mut self, key: Key) -> Result<Self, KeyError> {
        let kid = key.kid.clone();
        if !key.can_sign() {
            return Err(KeyError::CannotSign(kid.to_string()));
        }
        self.insert(key)?;
        self.set_signing_key(&kid)?;
        Ok(self)
    }

    /// Adds a key.
    ///
    /// # Errors
    /// [`KeyError::DuplicateKid`] if the set already has a key with its `kid`.
    pub fn insert(&mut self, key: Key) -> Result<(), KeyError> {
        if self.keys.contains_key(&key.kid) {
            return Err(KeyError::DuplicateKid(key.kid.to_string()));
        }
        self.keys.insert(key.kid.clone(), key);
        Ok(())
    }

    /// Makes the key `kid` sign new tokens.
    ///
    /// # Errors
    /// [`KeyError::UnknownKid`], or [`KeyError::CannotSign`] for a
    /// verification-only key.
    pub fn set_signing_key(&mut self, kid: &str) -> Result<(), KeyError> {
        let key = self
            .keys
            .get(kid)
            .ok_or_else(|| KeyError::UnknownKid(kid.to_owned()))?;
        if !key.can_sign() {
            return Err(KeyError::CannotSign(kid.to_owned()));
        }
        self.signing = Some(key.kid.clone());
        Ok(())
    }

    /// Removes the key `kid`: tokens it signed stop verifying.
    ///
    /// # Errors
    /// [`KeyError::UnknownKid`], or [`KeyError::SigningKeyInUse`] for the
    /// current signing key.
    pub fn remove(&mut self, kid: &str) -> Result<Key, KeyError> {
        if self.signing.as_deref() == Some(kid) {
            return Err(KeyError::SigningKeyInUse(kid.to_owned()));
        }
        self.keys
            .remove(kid)
            .ok_or_else(|| KeyError::UnknownKid(kid.to_owned()))
    }

    /// The key `kid`, if the set holds it.
    #[must_use]
    pub fn get(&self, kid: &str) -> Option<&Key> {
        self.keys.get(kid)
    }

    /// The key that signs new tokens, if one is chosen.
    #[must_use]
    pub fn signing_key(&self) -> Option<&Key> {
        self.signing.as_deref().and_then(|kid| self.keys.get(kid))
    }

    /// The number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key ids, sorted.
    #[must_use]
    pub fn kids(&self) -> Vec<&str> {
        let mut kids: Vec<&str> = self.keys.keys().map(|kid| &**kid).collect();
        kids.sort_unstable();
        kids
    }

    /// The keys, sorted by `kid`.
    pub fn iter(&self) -> impl Iterator<Item = &Key> {
        let mut keys: Vec<&Key> = self.keys.values().collect();
        keys.sort_unstable_by(|a, b| a.kid.cmp(&b.kid));
        keys.into_iter()
    }

    /// The public keys as a JWK Set (`{"keys": [...]}`, RFC 7517 §5), sorted
    /// by `kid`. HMAC secrets are never included.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, token::{Key, KeySet}};
    ///
    /// let secret = Key::hmac("hs", Algorithm::HS256, "0123456789abcdef0123456789abcdef")?;
    /// let ed = Key::from_public_pem("ed", Algorithm::EdDSA, std::fs::read("tests/fixtures/keys/ed25519_public.pem")?)?;
    /// let jwks = KeySet::new().with_key(secret)?.with_key(ed)?.jwks();
    /// let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    /// assert_eq!(keys.len(), 1);
    /// assert_eq!(keys[0]["kid"], "ed");
    /// assert_eq!(keys[0]["use"], "sig");
    /// assert_eq!(keys[0]["alg"], "EdDSA");
    /// assert_eq!(keys[0]["crv"], "Ed25519");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .iter()
            .filter_map(|key| key.public_jwk().cloned().map(Value::Object))
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// The key verifying a token with this `kid` and `algorithm`: none for
    /// an unknown `kid` or a key of another family.
    pub(crate) fn verifying_key(
        &self,
        kid: &str,
        algorithm: Algorithm,
    ) -> Option<&Arc<DecodingKey>> {
        self.keys
            .get(kid)
            .filter(|key| key.verifies(algorithm))
            .map(|key| &key.verifying)
    }

    /// Refuses a key whose algorithm the manager does not accept.
    fn check_allowed(&self, allowed: &[Algorithm]) -> Result<(), KeyError> {
        match self.iter().find(|key| !allowed.contains(&key.algorithm)) {
            Some(key) => Err(KeyError::AlgorithmNotAllowed {
                kid: key.kid.to_string(),
                algorithm: key.algorithm,
            }),
            None => Ok(()),
        }
    }
}

/// The manager's live key set: read by every request that carries a `kid`
/// and by every token creation, changed at run time without a restart.
///
/// Get it with [`JwtManager::keys`](crate::JwtManager::keys). Changes are
/// atomic: a request sees the set before or after a change, never half of
/// one, and requests never wait on each other (a read lock held for one
/// `Arc` clone). Each change validates the new set first and leaves the
/// old one in place when it fails.
///
/// Rotation, step by step (see the [keys manual](crate::manual::keys)):
///
/// ```
/// use jwt_extended::{Algorithm, JwtConfig, JwtManager, token::{Key, KeySet}};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let secret = |n: u8| [n; 32];
/// let jwt = JwtManager::builder(JwtConfig::new())
///     .key_set(KeySet::new().with_signing_key(Key::hmac("k1", Algorithm::HS256, secret(1))?)?)
///     .build()?;
/// let old_token = jwt.create_access_token("alice")?;
///
/// // 1. Add the next key: it verifies (and is published) but does not sign yet.
/// jwt.keys().add_verification_key(Key::hmac("k2", Algorithm::HS256, secret(2))?)?;
/// // 2. Sign with it.
/// jwt.keys().set_signing_key("k2")?;
/// let new_token = jwt.create_access_token("alice")?;
/// assert_eq!(jwt.unverified_header(&new_token)?["kid"], "k2");
/// assert!(jwt.decode_token(&old_token).await.is_ok());
/// // 3. Once the longest-lived token signed with k1 has expired, retire it.
/// jwt.keys().remove_key("k1")?;
/// assert!(jwt.decode_token(&old_token).await.is_err());
/// assert!(jwt.decode_token(&new_token).await.is_ok());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct KeyRing {
    shared: Arc<Shared>,
}

struct Shared {
    current: RwLock<Arc<KeySet>>,
    /// Whether the set holds any key: requests read this flag, not the
    /// lock, when the manager runs without a key set.
    in_use: AtomicBool,
    /// The algorithms the manager accepts (`JWT_DECODE_ALGORITHMS`).
    allowed: Vec<Algorithm>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyRing").field(&*self.snapshot()).finish()
    }
}

impl KeyRing {
    /// A ring holding `set`, accepting keys for the `allowed` algorithms.
    pub(crate) fn new(set: KeySet, allowed: Vec<Algorithm>) -> Result<Self, KeyError> {
        set.check_allowed(&allowed)?;
        Ok(Self {
            shared: Arc::new(Shared {
                in_use: AtomicBool::new(!set.is_empty()),
                current: RwLock::new(Arc::new(set)),
                allowed,
            }),
        })
    }

    /// The current set. It does not change under you: later changes swap
    /// in a new set.
    #[must_use]
    pub fn snapshot(&self) -> Arc<KeySet> {
        self.shared
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Adds a key that verifies tokens (and is published, unless it is an
    /// HMAC secret) without signing any yet.
    ///
    /// # Errors
    /// [`KeyError::DuplicateKid`] or [`KeyError::AlgorithmNotAllowed`].
    pub fn add_verification_key(&self, key: Key) -> Result<(), KeyError> {
        if !self.shared.allowed.contains(&key.algorithm) {
            return Err(KeyError::AlgorithmNotAllowed {
                kid: key.kid.to_string(),
                algorithm: key.algorithm,
            });
        }
        self.update(|set| set.insert(key))
    }

    /// Makes the key `kid` (already in the set) sign new tokens. Tokens
    /// signed before keep verifying with their own key.
    ///
    /// # Errors
    /// [`KeyError::UnknownKid`] or [`KeyError::CannotSign`].
    pub fn set_signing_key(&self, kid: &str) -> Result<(), KeyError> {
        self.update(|set| set.set_signing_key(kid))
    }

    /// Removes the key `kid`: the tokens it signed are refused from now on
    /// (`Signature verification failed`). Remove a key only once the
    /// longest-lived token it signed has expired (the refresh token
    /// lifetime, usually).
    ///
    /// # Errors
    /// [`KeyError::UnknownKid`] or [`KeyError::SigningKeyInUse`].
    pub fn remove_key(&self, kid: &str) -> Result<Key, KeyError> {
        self.update(|set| set.remove(kid))
    }

    /// Replaces the whole set (for example after reloading the keys from
    /// files shared by several instances).
    ///
    /// # Errors
    /// [`KeyError::AlgorithmNotAllowed`]; the current set stays.
    pub fn replace(&self, set: KeySet) -> Result<(), KeyError> {
        set.check_allowed(&self.shared.allowed)?;
        self.update(|current| {
            *current = set;
            Ok(())
        })
    }

    /// The public keys as a JWK Set (see [`KeySet::jwks`]).
    #[must_use]
    pub fn jwks(&self) -> Value {
        self.snapshot().jwks()
    }

    /// Copies the set, applies `change` and swaps the copy in (or keeps the
    /// current set when `change` fails).
    fn update<R>(
        &self,
        change: impl FnOnce(&mut KeySet) -> Result<R, KeyError>,
    ) -> Result<R, KeyError> {
        let mut current = self
            .shared
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut next = KeySet::clone(&current);
        let result = change(&mut next)?;
        self.shared
            .in_use
            .store(!next.is_empty(), Ordering::Release);
        *current = Arc::new(next);
        Ok(result)
    }

    /// Whether the set holds any key (no lock taken).
    pub(crate) fn in_use(&self) -> bool {
        self.shared.in_use.load(Ordering::Acquire)
    }

    /// The signing key of the set, if it has one.
    pub(crate) fn signing_key(&self) -> Option<SigningKey> {
        if !self.in_use() {
            return None;
        }
        self.snapshot().signing_key().and_then(Key::signing_key)
    }

    /// The key for a token's `kid` and algorithm, when the set is in use:
    /// `Some(None)` for a `kid` the set does not hold (or a key of another
    /// family), `None` when there is no set to look in.
    pub(crate) fn verifying_key(
        &self,
        kid: &str,
        algorithm: Algorithm,
    ) -> Option<Option<Arc<DecodingKey>>> {
        if !self.in_use() {
            return None;
        }
        let set = self
            .shared
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        Some(set.verifying_key(kid, algorithm).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn hmac(kid: &str, byte: u8) -> Key {
        Key::hmac(kid, Algorithm::HS256, [byte; 32]).unwrap()
    }

    fn ring(set: KeySet) -> KeyRing {
        KeyRing::new(set, vec![Algorithm::HS256, Algorithm::ES256]).unwrap()
    }

    #[test]
    fn lookup_is_by_kid_and_family() {
        let rsa =
            Key::from_public_pem("rsa", Algorithm::RS256, fixture("rsa2048_public.pem")).unwrap();
        let set = KeySet::new()
            .with_key(hmac("hs", 1))
            .unwrap()
            .with_key(rsa)
            .unwrap();
        assert!(set.verifying_key("hs", Algorithm::HS256).is_some());
        assert!(set.verifying_key("hs", Algorithm::HS512).is_some());
        assert!(set.verifying_key("rsa", Algorithm::RS256).is_some());
        assert!(set.verifying_key("rsa", Algorithm::PS384).is_some());
        // Family binding: an RSA key never verifies HS*, a secret never RS*.
        assert!(set.verifying_key("rsa", Algorithm::HS256).is_none());
        assert!(set.verifying_key("hs", Algorithm::RS256).is_none());
        assert!(set.verifying_key("hs", Algorithm::ES256).is_none());
        assert!(set.verifying_key("nope", Algorithm::HS256).is_none());
    }

    #[test]
    fn keys_are_bound_to_their_family_when_built() {
        let rsa_pem = fixture("rsa2048_private.pem");
        assert!(matches!(
            Key::from_private_pem("k", Algorithm::ES256, &rsa_pem),
            Err(KeyError::Invalid { .. })
        ));
        assert!(Key::from_private_pem("k", Algorithm::HS256, &rsa_pem).is_err());
        // A PEM key is not an HMAC secret.
        assert!(Key::hmac("k", Algorithm::HS256, &rsa_pem).is_err());
        assert_eq!(
            Key::hmac("", Algorithm::HS256, "secret").unwrap_err(),
            KeyError::EmptyKid
        );
        let secret = DecodingKey::from_secret(b"secret").unwrap();
        assert!(Key::from_decoding_key("k", Algorithm::EdDSA, secret).is_err());
    }

    #[test]
    fn private_keys_derive_their_public_half() {
        for (file, algorithm, kty) in [
            ("rsa2048_private.pem", Algorithm::RS256, "RSA"),
            ("rsa2048_pkcs1_private.pem", Algorithm::PS256, "RSA"),
            ("ec256_private.pem", Algorithm::ES256, "EC"),
            ("ec256_sec1_private.pem", Algorithm::ES256, "EC"),
            ("ec384_private.pem", Algorithm::ES384, "EC"),
            ("ec521_private.pem", Algorithm::ES512, "EC"),
            ("ec521_sec1_private.pem", Algorithm::ES512, "EC"),
            ("ed25519_private.pem", Algorithm::EdDSA, "OKP"),
        ] {
            let key = Key::from_private_pem("k", algorithm, fixture(file)).unwrap();
            let jwk = key.public_jwk().unwrap();
            assert_eq!(jwk["kty"], kty, "{file}");
            assert_eq!(jwk["alg"], algorithm.as_str(), "{file}");
            assert_eq!(jwk["use"], "sig");
            assert_eq!(jwk["kid"], "k");
            assert!(!jwk.contains_key("d"), "{file}: no private part");
            // What it signs, its derived public half verifies.
            let message = b"message";
            let signing = key.signing.as_ref().unwrap();
            let signature = keys::sign(algorithm, signing, message).unwrap();
            assert!(keys::verify(algorithm, &key.verifying, message, &signature).unwrap());
        }
    }

    #[test]
    fn published_keys_match_the_public_pem() {
        for (private, public, algorithm) in [
            (
                "rsa2048_private.pem",
                "rsa2048_public.pem",
                Algorithm::RS256,
            ),
            ("ec256_private.pem", "ec256_public.pem", Algorithm::ES256),
            ("ec521_private.pem", "ec521_public.pem", Algorithm::ES512),
            (
                "ed25519_private.pem",
                "ed25519_public.pem",
                Algorithm::EdDSA,
            ),
        ] {
            let a = Key::from_private_pem("k", algorithm, fixture(private)).unwrap();
            let b = Key::from_public_pem("k", algorithm, fixture(public)).unwrap();
            assert_eq!(a.public_jwk(), b.public_jwk(), "{private}");
        }
    }

    #[test]
    fn es512_keys_publish_p521_coordinates() {
        let key = Key::from_public_pem("p", Algorithm::ES512, fixture("ec521_public.pem")).unwrap();
        // PyJWT's `ECAlgorithm.to_jwk` of the same key.
        let expected = serde_json::json!({
            "kty": "EC",
            "crv": "P-521",
            "x": "ASOLmnU0IY6wYpPUVmzRDG_Aj2puSGF71J0XZI1MzNQpyqY5J5y0omD23c8R77Yf3ZWKgAaectGnJ1GPGEokaq2L",
            "y": "AH9eAWootmUKVic1zfEKy3Yg2Wu5kcFMTSYE9XjekgENM2zp2zrxM_GMwExRSjTva4S6_m_fZl-P8bGB5BS_YZpg",
            "alg": "ES512",
            "use": "sig",
            "kid": "p",
        });
        assert_eq!(Value::Object(key.public_jwk().unwrap().clone()), expected);
        // The curve fixes the algorithm: a P-521 key is no ES256 key, and
        // a P-256 key no ES512 one.
        assert!(Key::from_public_pem("k", Algorithm::ES256, fixture("ec521_public.pem")).is_err());
        assert!(Key::from_public_pem("k", Algorithm::ES512, fixture("ec256_public.pem")).is_err());
        assert!(
            Key::from_private_pem("k", Algorithm::ES512, fixture("ec384_private.pem")).is_err()
        );
        let p256 = DecodingKey::from_ec_pem(&fixture("ec256_public.pem")).unwrap();
        assert!(Key::from_decoding_key("k", Algorithm::ES512, p256.clone()).is_err());
        assert!(Key::from_decoding_key("k", Algorithm::ES384, p256).is_err());
        assert!(Key::from_public_pem("k", Algorithm::ES256, fixture("ec384_public.pem")).is_err());
        let set = KeySet::new().with_key(key).unwrap();
        assert!(set.verifying_key("p", Algorithm::ES512).is_some());
        assert!(set.verifying_key("p", Algorithm::RS256).is_none());
    }

    fn jwk(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn jwks_round_trip_through_from_jwk() {
        for (file, algorithm) in [
            ("rsa2048_private.pem", Algorithm::RS256),
            ("rsa2048_private.pem", Algorithm::PS384),
            ("ec256_private.pem", Algorithm::ES256),
            ("ec384_private.pem", Algorithm::ES384),
            ("ec521_private.pem", Algorithm::ES512),
            ("ed25519_private.pem", Algorithm::EdDSA),
        ] {
            let private = Key::from_private_pem("k", algorithm, fixture(file)).unwrap();
            let published = private.public_jwk().unwrap();
            let key = Key::from_jwk(published).unwrap();
            assert_eq!((key.kid(), key.algorithm()), ("k", algorithm), "{file}");
            assert!(!key.can_sign());
            assert_eq!(key.public_jwk(), Some(published), "{file}");
            // What the private key signs, the JWK's key verifies.
            let signature = keys::sign(algorithm, private.signing.as_ref().unwrap(), b"m").unwrap();
            assert!(keys::verify(algorithm, &key.verifying, b"m", &signature).unwrap());
            // Without `alg`, the key type's usual algorithm.
            let mut bare = published.clone();
            bare.remove("alg");
            bare.remove("use");
            let usual = match algorithm {
                Algorithm::PS384 => Algorithm::RS256,
                other => other,
            };
            assert_eq!(Key::from_jwk(&bare).unwrap().algorithm(), usual, "{file}");
        }
    }

    #[test]
    fn from_jwk_refuses_what_it_cannot_trust() {
        let es512 =
            Key::from_public_pem("p", Algorithm::ES512, fixture("ec521_public.pem")).unwrap();
        let good = es512.public_jwk().unwrap().clone();
        let with = |name: &str, value: Value| {
            let mut jwk = good.clone();
            jwk.insert(name.to_owned(), value);
            Key::from_jwk(&jwk)
        };
        let without = |name: &str| {
            let mut jwk = good.clone();
            jwk.remove(name);
            Key::from_jwk(&jwk)
        };
        assert_eq!(without("kid").unwrap_err(), KeyError::EmptyKid);
        assert_eq!(with("kid", "".into()).unwrap_err(), KeyError::EmptyKid);
        for refused in [
            with("kid", 7.into()),
            with("use", "enc".into()),
            with("key_ops", serde_json::json!(["encrypt"])),
            with("alg", "ES256".into()),
            with("alg", "RS256".into()),
            with("alg", "ES256K".into()),
            with("crv", "P-256".into()),
            with("crv", "secp256k1".into()),
            with("kty", "oct".into()),
            with("kty", "XYZ".into()),
            without("kty"),
            without("y"),
            with("x", "AQAB".into()),
            with("x", "not base64!".into()),
            with("x", Value::from(URL_SAFE_NO_PAD.encode([1u8; 66]))),
            Key::from_jwk(&jwk(
                serde_json::json!({"kty": "oct", "kid": "s", "k": "c2VjcmV0"}),
            )),
            // A 1024-bit modulus is too short; 2048 bits with a leading zero byte is fine.
            Key::from_jwk(&jwk(serde_json::json!({
                "kty": "RSA", "kid": "r",
                "n": URL_SAFE_NO_PAD.encode([0xc5; 128]), "e": "AQAB",
            }))),
            Key::from_jwk(&jwk(serde_json::json!({
                "kty": "RSA", "kid": "r", "n": URL_SAFE_NO_PAD.encode([0xc5; 256]), "e": "AAAA",
            }))),
            Key::from_jwk(&jwk(
                serde_json::json!({"kty": "OKP", "kid": "o", "crv": "Ed448", "x": "AQAB"}),
            )),
            Key::from_jwk(&jwk(
                serde_json::json!({"kty": "OKP", "kid": "o", "crv": "Ed25519", "x": "AQAB"}),
            )),
        ] {
            assert!(
                matches!(refused, Err(KeyError::Invalid { .. })),
                "{refused:?}"
            );
        }
        let rsa = Key::from_jwk(&jwk(serde_json::json!({
            "kty": "RSA", "kid": "r",
            "n": URL_SAFE_NO_PAD.encode([&[0u8][..], &[0xc5; 256]].concat()), "e": "AQAB",
        })))
        .unwrap();
        assert_eq!(rsa.algorithm(), Algorithm::RS256);
        assert!(with("key_ops", serde_json::json!(["verify"])).is_ok());
    }

    #[test]
    fn the_set_keeps_its_invariants() {
        let verify_only =
            Key::from_public_pem("pub", Algorithm::EdDSA, fixture("ed25519_public.pem")).unwrap();
        let mut set = KeySet::new().with_signing_key(hmac("a", 1)).unwrap();
        assert_eq!(
            set.insert(hmac("a", 2)),
            Err(KeyError::DuplicateKid("a".into()))
        );
        set.insert(verify_only.clone()).unwrap();
        assert_eq!(
            set.set_signing_key("pub"),
            Err(KeyError::CannotSign("pub".into()))
        );
        assert_eq!(
            set.set_signing_key("zz"),
            Err(KeyError::UnknownKid("zz".into()))
        );
        assert_eq!(
            set.remove("a").unwrap_err(),
            KeyError::SigningKeyInUse("a".into())
        );
        assert!(
            KeySet::new()
                .with_signing_key(verify_only)
                .is_err_and(|e| e == KeyError::CannotSign("pub".into()))
        );
        assert_eq!(set.remove("pub").unwrap().kid(), "pub");
        assert_eq!(set.kids(), ["a"]);
    }

    #[test]
    fn hmac_secrets_are_never_published() {
        let set = KeySet::new()
            .with_signing_key(hmac("a", 1))
            .unwrap()
            .with_key(hmac("b", 2))
            .unwrap();
        assert_eq!(set.jwks(), serde_json::json!({"keys": []}));
        assert!(!format!("{set:?}").contains("\\u{1}"));
    }

    #[test]
    fn the_ring_checks_algorithms_and_keeps_the_old_set_on_error() {
        let ring = KeyRing::new(KeySet::new(), vec![Algorithm::HS256]).unwrap();
        assert!(!ring.in_use());
        assert!(ring.signing_key().is_none());
        assert!(ring.verifying_key("a", Algorithm::HS256).is_none());
        let es =
            Key::from_private_pem("es", Algorithm::ES256, fixture("ec256_private.pem")).unwrap();
        assert!(matches!(
            ring.add_verification_key(es.clone()),
            Err(KeyError::AlgorithmNotAllowed { .. })
        ));
        assert!(ring.replace(KeySet::new().with_key(es).unwrap()).is_err());
        ring.add_verification_key(hmac("a", 1)).unwrap();
        assert!(ring.in_use());
        // No signing key yet: the configured key keeps signing.
        assert!(ring.signing_key().is_none());
        assert!(ring.set_signing_key("b").is_err());
        ring.set_signing_key("a").unwrap();
        let signing = ring.signing_key().unwrap();
        assert_eq!(signing.kid(), Some("a"));
        assert_eq!(signing.algorithm(), Some(Algorithm::HS256));
        // An unknown kid is `Some(None)`: looked up, not found.
        assert!(matches!(
            ring.verifying_key("zz", Algorithm::HS256),
            Some(None)
        ));
        let before = ring.snapshot();
        assert!(ring.remove_key("a").is_err());
        assert!(Arc::ptr_eq(&before, &ring.snapshot()), "unchanged on error");
    }

    #[test]
    fn snapshots_do_not_change_under_a_reader() {
        let ring = ring(KeySet::new().with_signing_key(hmac("a", 1)).unwrap());
        let before = ring.snapshot();
        ring.add_verification_key(hmac("b", 2)).unwrap();
        ring.set_signing_key("b").unwrap();
        ring.remove_key("a").unwrap();
        assert_eq!(before.kids(), ["a"]);
        assert_eq!(ring.snapshot().kids(), ["b"]);
        ring.replace(KeySet::new()).unwrap();
        assert!(!ring.in_use());
    }
}
