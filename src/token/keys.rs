//! Key material: parsing PEM keys and secrets once, at build time, and the
//! signing/verifying primitives built on `jsonwebtoken`'s crypto providers
//! (and, for ES512, which `jsonwebtoken` lacks, on the backend directly:
//! [`es512`]).

mod es512;

use std::cell::RefCell;
use std::sync::{Arc, Weak};
use std::thread::LocalKey;

use base64::Engine as _;
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{Error as JwtError, ErrorKind as JwtErrorKind};
use jsonwebtoken::{AlgorithmFamily, DecodingKey, EncodingKey};

use crate::config::{Algorithm, ConfigError, ConfigWarning, JwtConfig, Secret};

/// Makes sure `jsonwebtoken` has a process-wide crypto provider.
///
/// `jsonwebtoken` picks one by itself only when exactly one of its backend
/// features is enabled; with both enabled (feature unification in a larger
/// build) it would panic at the first signature. We install our preferred
/// backend in that case, so first use never panics.
pub(crate) fn ensure_crypto_provider() -> Result<(), ConfigError> {
    if CryptoProvider::try_get_default().is_some() {
        return Ok(());
    }
    #[cfg(feature = "aws-lc-rs")]
    {
        // Losing the race to another thread is fine: someone installed one.
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    {
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    }
    CryptoProvider::try_get_default()
        .map(|_| ())
        .ok_or(ConfigError::NoCryptoProvider)
}

/// Whether an algorithm uses a shared secret (HS*) rather than a key pair.
pub(crate) fn is_symmetric(algorithm: Algorithm) -> bool {
    algorithm.is_hmac()
}

/// The shortest HMAC secret RFC 7518 §3.2 allows for an HS algorithm: as
/// many bytes as the hash's output (32, 48, 64). `None` for other families.
pub(crate) fn hmac_minimum_key_length(algorithm: Algorithm) -> Option<usize> {
    match algorithm {
        Algorithm::HS256 => Some(32),
        Algorithm::HS384 => Some(48),
        Algorithm::HS512 => Some(64),
        _ => None,
    }
}

/// The HMAC secret's length and the minimum RFC 7518 §3.2 asks for, when
/// it is shorter (as PyJWT checks since 2.10, warning with
/// `InsecureKeyLengthWarning`).
fn short_hmac_secret(algorithm: Algorithm, secret: &[u8]) -> Option<(usize, usize)> {
    let minimum = hmac_minimum_key_length(algorithm)?;
    (secret.len() < minimum).then_some((secret.len(), minimum))
}

/// With `enforce`, refuses a short HMAC secret with a [`ConfigError`];
/// without, a short secret is only a [`short_secret_warning`].
fn check_hmac_key_length(
    algorithm: Algorithm,
    secret: &[u8],
    enforce: bool,
) -> Result<(), ConfigError> {
    match short_hmac_secret(algorithm, secret) {
        Some((length, minimum)) if enforce => Err(ConfigError::InvalidValue {
            option: "JWT_SECRET_KEY",
            reason: format!(
                "the HMAC key is {length} bytes long, below the minimum of {minimum} bytes \
                 for {} (RFC 7518 section 3.2)",
                algorithm_name(algorithm)
            ),
        }),
        _ => Ok(()),
    }
}

/// The start-up warning for a configured HMAC secret shorter than RFC 7518
/// §3.2 asks for (`None` for other algorithms or long enough secrets).
pub(crate) fn short_secret_warning(config: &JwtConfig) -> Option<ConfigWarning> {
    let algorithm = config.algorithm();
    let secret = config.secret_key()?;
    short_hmac_secret(algorithm, secret.expose()).map(|(length, minimum)| {
        ConfigWarning::ShortSecret {
            algorithm,
            length,
            minimum,
        }
    })
}

/// The reference's name of an algorithm (`HS256`, `EdDSA`, …).
pub(crate) fn algorithm_name(algorithm: Algorithm) -> &'static str {
    algorithm.as_str()
}

/// Parses a token's `alg` header value into an algorithm this crate can
/// verify. Names the reference knows but this crate does not implement
/// (`ES256K`, `Ed448`, …) return `None`.
pub(crate) fn parse_algorithm(name: &str) -> Option<Algorithm> {
    Algorithm::from_name(name)
}

/// The `jsonwebtoken` key family of an algorithm (which PEM parser to use).
fn family(algorithm: Algorithm) -> AlgorithmFamily {
    match algorithm {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => AlgorithmFamily::Hmac,
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => AlgorithmFamily::Rsa,
        Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => AlgorithmFamily::Ec,
        Algorithm::EdDSA => AlgorithmFamily::Ed,
    }
}

/// `jsonwebtoken`'s name for an algorithm it implements (all but ES512).
pub(crate) fn jwt_algorithm(algorithm: Algorithm) -> Result<jsonwebtoken::Algorithm, JwtError> {
    jsonwebtoken::Algorithm::try_from(algorithm)
        .map_err(|_| JwtError::from(JwtErrorKind::InvalidAlgorithm))
}

/// Whether two algorithms use the same kind of key (HMAC secret, RSA,
/// EC or Ed25519): an RSA key for RS256 also verifies PS384, never HS256.
pub(crate) fn same_family(a: Algorithm, b: Algorithm) -> bool {
    family(a) == family(b)
}

/// Whether a verification key is of the family `algorithm` needs (and,
/// for an EC key, on its curve).
pub(crate) fn decoding_key_fits(algorithm: Algorithm, key: &DecodingKey) -> bool {
    key.family() == family(algorithm) && ec_curve_fits(algorithm, key)
}

/// For an ES algorithm, whether the key's SEC1 point has the size of the
/// algorithm's curve (the curve fixes the algorithm: P-256 ES256, P-384
/// ES384, P-521 ES512). `true` for the other families.
fn ec_curve_fits(algorithm: Algorithm, key: &DecodingKey) -> bool {
    let coordinate = match algorithm {
        Algorithm::ES256 => 32,
        Algorithm::ES384 => 48,
        Algorithm::ES512 => es512::COORDINATE_LEN,
        _ => return true,
    };
    match key.try_get_as_bytes() {
        Ok([0x04, rest @ ..]) => rest.len() == 2 * coordinate,
        Ok([0x02 | 0x03, rest @ ..]) => rest.len() == coordinate,
        _ => false,
    }
}

/// Refuses to treat PEM or SSH key text as an HMAC secret (PyJWT does the
/// same): such a configuration is the classic algorithm-confusion set-up.
fn check_hmac_secret(option: &'static str, secret: &[u8]) -> Result<(), ConfigError> {
    let looks_like_key = [
        &b"-----BEGIN "[..],
        b"ssh-rsa ",
        b"ssh-ed25519 ",
        b"ecdsa-sha2-",
    ]
    .iter()
    .any(|marker| secret.windows(marker.len()).any(|w| w == *marker));
    if looks_like_key {
        return Err(ConfigError::InvalidKey {
            option,
            reason: "the value is a PEM or SSH key, which must not be used as an HMAC secret"
                .into(),
        });
    }
    Ok(())
}

/// Builds the HMAC signing key from a secret.
pub(crate) fn hmac_encoding_key(
    option: &'static str,
    secret: &Secret,
) -> Result<EncodingKey, ConfigError> {
    check_hmac_secret(option, secret.expose())?;
    EncodingKey::from_secret(secret.expose()).map_err(|e| ConfigError::InvalidKey {
        option,
        reason: e.to_string(),
    })
}

/// Builds the HMAC verifying key from a secret.
pub(crate) fn hmac_decoding_key(
    option: &'static str,
    secret: &Secret,
) -> Result<DecodingKey, ConfigError> {
    check_hmac_secret(option, secret.expose())?;
    DecodingKey::from_secret(secret.expose()).map_err(|e| ConfigError::InvalidKey {
        option,
        reason: e.to_string(),
    })
}

/// Parses a PEM private key for an asymmetric algorithm. RSA keys may be
/// PKCS#1 or PKCS#8; EC keys may be SEC1 (`BEGIN EC PRIVATE KEY`) or PKCS#8;
/// Ed25519 keys PKCS#8.
pub(crate) fn private_key(algorithm: Algorithm, pem: &[u8]) -> Result<EncodingKey, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidKey {
        option: "JWT_PRIVATE_KEY",
        reason,
    };
    let key = match family(algorithm) {
        AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(pem),
        AlgorithmFamily::Ec => match sec1_to_pkcs8(pem).map_err(invalid)? {
            Some(der) => Ok(EncodingKey::from_ec_der(&der)),
            None => EncodingKey::from_ec_pem(pem),
        },
        AlgorithmFamily::Ed => EncodingKey::from_ed_pem(pem),
        AlgorithmFamily::Hmac => {
            return Err(invalid(
                "an HMAC algorithm does not use a private key".into(),
            ));
        }
    };
    let key = key.map_err(|e| {
        invalid(format!(
            "cannot parse the PEM key for {}: {e}",
            algorithm_name(algorithm)
        ))
    })?;
    // Parsing the PEM armour does not prove the key works for this algorithm
    // (a P-384 key for ES256, a truncated RSA key): sign once to find out now
    // rather than on the first login.
    sign(algorithm, &key, b"jwt-extended key check").map_err(|e| {
        invalid(format!(
            "the key cannot sign with {}: {e}",
            algorithm_name(algorithm)
        ))
    })?;
    Ok(key)
}

/// Parses a PEM public key for an asymmetric algorithm (PKCS#1 `RSA PUBLIC
/// KEY` or SubjectPublicKeyInfo `PUBLIC KEY`).
pub(crate) fn public_key(algorithm: Algorithm, pem: &[u8]) -> Result<DecodingKey, ConfigError> {
    let key = match family(algorithm) {
        AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem),
        AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem),
        AlgorithmFamily::Ed => DecodingKey::from_ed_pem(pem),
        AlgorithmFamily::Hmac => {
            return Err(ConfigError::InvalidKey {
                option: "JWT_PUBLIC_KEY",
                reason: "an HMAC algorithm does not use a public key".into(),
            });
        }
    };
    let key = key.map_err(|e| ConfigError::InvalidKey {
        option: "JWT_PUBLIC_KEY",
        reason: format!(
            "cannot parse the PEM key for {}: {e}",
            algorithm_name(algorithm)
        ),
    })?;
    // The PEM parser takes any EC curve: make sure it is the algorithm's.
    let wrong_curve = || ConfigError::InvalidKey {
        option: "JWT_PUBLIC_KEY",
        reason: format!(
            "the EC key is not on the curve of {}",
            algorithm_name(algorithm)
        ),
    };
    if !ec_curve_fits(algorithm, &key) {
        return Err(wrong_curve());
    }
    if algorithm == Algorithm::ES512 {
        es512::Verifier::new(&key).map_err(|_| wrong_curve())?;
    }
    Ok(key)
}

/// The public half of a private key, as a verification key: for ES512 from
/// the backend, for the others from `jsonwebtoken`'s JWK helpers.
pub(crate) fn public_half(
    algorithm: Algorithm,
    private: &EncodingKey,
) -> Result<DecodingKey, String> {
    if algorithm == Algorithm::ES512 {
        let signer = es512::Signer::new(private).map_err(|e| e.to_string())?;
        return Ok(DecodingKey::from_ec_der(&signer.public_point()));
    }
    let algorithm = jwt_algorithm(algorithm).map_err(|e| e.to_string())?;
    jsonwebtoken::jwk::Jwk::from_encoding_key(private, algorithm)
        .and_then(|jwk| DecodingKey::from_jwk(&jwk))
        .map_err(|e| e.to_string())
}

/// The `x` and `y` coordinates (66 bytes each) of an ES512 verification
/// key, after checking that it is a point of P-521.
pub(crate) fn es512_coordinates(key: &DecodingKey) -> Result<(&[u8], &[u8]), String> {
    es512::Verifier::new(key).map_err(|e| e.to_string())?;
    key.try_get_as_bytes()
        .ok()
        .and_then(|point| point.get(1..))
        .and_then(|coordinates| coordinates.split_at_checked(es512::COORDINATE_LEN))
        .ok_or_else(|| es512::Es512Error::InvalidKey.to_string())
}

/// An ES512 verification key from its JWK coordinates (66 bytes each),
/// checked to be a point of P-521.
pub(crate) fn es512_key_from_coordinates(x: &[u8], y: &[u8]) -> Result<DecodingKey, String> {
    let point = [&[0x04][..], x, y].concat();
    es512::Verifier::from_point(&point).map_err(|e| e.to_string())?;
    Ok(DecodingKey::from_ec_der(&point))
}

/// Checks that the public key verifies what the private key signs.
pub(crate) fn check_pair(
    algorithm: Algorithm,
    private: &EncodingKey,
    public: &DecodingKey,
) -> Result<(), ConfigError> {
    let message = b"jwt-extended key pair check";
    let ok = sign(algorithm, private, message)
        .and_then(|sig| verify(algorithm, public, message, &sig))
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(ConfigError::InvalidKey {
            option: "JWT_PUBLIC_KEY",
            reason: format!(
                "the public key does not verify signatures made with JWT_PRIVATE_KEY ({})",
                algorithm_name(algorithm)
            ),
        })
    }
}

/// The process-wide `jsonwebtoken` provider, or the error a missing one is.
fn provider() -> Result<&'static CryptoProvider, JwtError> {
    CryptoProvider::try_get_default().ok_or_else(|| JwtErrorKind::InvalidAlgorithm.into())
}

/// An ES512 backend error as a `jsonwebtoken` one (what the callers report).
fn es512_error(error: es512::Es512Error) -> JwtError {
    match error {
        es512::Es512Error::InvalidKey => JwtErrorKind::InvalidEcdsaKey.into(),
        other => JwtErrorKind::Signing(other.to_string()).into(),
    }
}

/// A signer for one key and algorithm: the provider's, or ours for ES512.
enum Signer {
    Provider(Box<dyn JwtSigner>),
    Es512(es512::Signer),
}

impl Signer {
    fn new(algorithm: Algorithm, key: &EncodingKey) -> Result<Self, JwtError> {
        if algorithm == Algorithm::ES512 {
            return es512::Signer::new(key)
                .map(Self::Es512)
                .map_err(es512_error);
        }
        let signer = (provider()?.signer_factory)(&jwt_algorithm(algorithm)?, key)?;
        Ok(Self::Provider(signer))
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JwtError> {
        match self {
            Self::Provider(signer) => signer
                .try_sign(message)
                .map_err(|e| JwtErrorKind::Signing(e.to_string()).into()),
            Self::Es512(signer) => signer.sign(message).map_err(es512_error),
        }
    }
}

/// A verifier for one key and algorithm: the provider's, or ours for ES512.
enum Verifier {
    Provider(Box<dyn JwtVerifier>),
    Es512(es512::Verifier),
}

impl Verifier {
    fn new(algorithm: Algorithm, key: &DecodingKey) -> Result<Self, JwtError> {
        if algorithm == Algorithm::ES512 {
            return es512::Verifier::new(key)
                .map(Self::Es512)
                .map_err(es512_error);
        }
        let verifier = (provider()?.verifier_factory)(&jwt_algorithm(algorithm)?, key)?;
        Ok(Self::Provider(verifier))
    }

    #[allow(
        clippy::ptr_arg,
        reason = "jsonwebtoken's verifiers take &Vec<u8>: no copy"
    )]
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> bool {
        match self {
            Self::Provider(verifier) => verifier.verify(message, signature).is_ok(),
            Self::Es512(verifier) => verifier.verify(message, signature),
        }
    }
}

/// Signs `message` and returns the raw signature bytes.
pub(crate) fn sign(
    algorithm: Algorithm,
    key: &EncodingKey,
    message: &[u8],
) -> Result<Vec<u8>, JwtError> {
    Signer::new(algorithm, key)?.sign(message)
}

/// Verifies raw signature bytes over `message`. `Ok(false)` means the
/// signature does not match; `Err` means the key does not suit the algorithm.
pub(crate) fn verify(
    algorithm: Algorithm,
    key: &DecodingKey,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, JwtError> {
    Ok(Verifier::new(algorithm, key)?.verify(message, &signature.to_vec()))
}

/// A signer or verifier built last on this thread, and for what.
struct Cached<K, T> {
    /// Identifies the key by its allocation, which this `Weak` keeps from
    /// being freed (and reused by another key) while the entry lives.
    key: Weak<K>,
    algorithm: Algorithm,
    built: T,
}

type CacheSlot<K, T> = RefCell<Option<Cached<K, T>>>;

thread_local! {
    static SIGNER: CacheSlot<EncodingKey, Signer> = const { RefCell::new(None) };
    static VERIFIER: CacheSlot<DecodingKey, Verifier> = const { RefCell::new(None) };
}

/// Runs `run` on the signer or verifier `slot` holds for `key` and
/// `algorithm`, building it with `build` when the entry is for another key
/// or algorithm. Building one is per-token work that depends on nothing
/// else (for HMAC, the key schedule: two SHA-256 blocks; for the others, a
/// copy or parse of the key), so the configured key pays it once per thread
/// instead of once per token. The entry is replaced by the next key used on
/// the thread; a key loader that makes a new key per call simply never
/// hits. `None` when thread-local storage is torn down or in use: the
/// caller takes the uncached path.
fn with_cached<K, T, R>(
    slot: &'static LocalKey<CacheSlot<K, T>>,
    algorithm: Algorithm,
    key: &Arc<K>,
    build: impl FnOnce() -> Result<T, JwtError>,
    run: impl FnOnce(&T) -> Result<R, JwtError>,
) -> Option<Result<R, JwtError>> {
    slot.try_with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        let hit = slot.as_ref().is_some_and(|c| {
            c.algorithm == algorithm && std::ptr::eq(c.key.as_ptr(), Arc::as_ptr(key))
        });
        if !hit {
            let built = match build() {
                Ok(built) => built,
                Err(e) => return Some(Err(e)),
            };
            *slot = Some(Cached {
                key: Arc::downgrade(key),
                algorithm,
                built,
            });
        }
        Some(run(&slot.as_ref()?.built))
    })
    .ok()
    .flatten()
}

/// [`sign`], reusing this thread's signer for the key and algorithm (see
/// [`with_cached`]).
pub(crate) fn sign_cached(
    algorithm: Algorithm,
    key: &Arc<EncodingKey>,
    message: &[u8],
) -> Result<Vec<u8>, JwtError> {
    with_cached(
        &SIGNER,
        algorithm,
        key,
        || Signer::new(algorithm, key),
        |signer| signer.sign(message),
    )
    .unwrap_or_else(|| sign(algorithm, key, message))
}

/// [`verify`], reusing this thread's verifier for the key and algorithm
/// (see [`with_cached`]).
#[allow(
    clippy::ptr_arg,
    reason = "jsonwebtoken's verifiers take &Vec<u8>: no copy"
)]
pub(crate) fn verify_cached(
    algorithm: Algorithm,
    key: &Arc<DecodingKey>,
    message: &[u8],
    signature: &Vec<u8>,
) -> Result<bool, JwtError> {
    with_cached(
        &VERIFIER,
        algorithm,
        key,
        || Verifier::new(algorithm, key),
        |verifier| Ok(verifier.verify(message, signature)),
    )
    .unwrap_or_else(|| verify(algorithm, key, message, signature))
}

/// A verification key together with the algorithm family it belongs to.
pub(crate) type SharedDecodingKey = Arc<DecodingKey>;

/// If `pem` holds a SEC1 `EC PRIVATE KEY`, returns it re-wrapped as PKCS#8
/// DER (which is what the crypto backends accept). `Ok(None)` for other PEM
/// labels.
fn sec1_to_pkcs8(pem: &[u8]) -> Result<Option<Vec<u8>>, String> {
    const BEGIN: &str = "-----BEGIN EC PRIVATE KEY-----";
    const END: &str = "-----END EC PRIVATE KEY-----";
    let text = std::str::from_utf8(pem).map_err(|_| "the PEM text is not UTF-8".to_owned())?;
    let Some(start) = text.find(BEGIN) else {
        return Ok(None);
    };
    let body_start = start + BEGIN.len();
    let body_len = text[body_start..]
        .find(END)
        .ok_or_else(|| "unterminated EC PRIVATE KEY block".to_owned())?;
    let body: String = text[body_start..body_start + body_len]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let sec1 = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| format!("invalid base64 in EC PRIVATE KEY: {e}"))?;
    let curve_oid: &[u8] = match sec1_private_scalar_len(&sec1) {
        Some(32) => &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], // P-256
        Some(48) => &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],                   // P-384
        Some(66) => &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],                   // P-521
        _ => {
            return Err(
                "unsupported or malformed SEC1 EC key (P-256, P-384 and P-521 only)".into(),
            );
        }
    };
    let ec_public_key_oid: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    let mut algorithm_id = Vec::new();
    algorithm_id.extend_from_slice(ec_public_key_oid);
    algorithm_id.extend_from_slice(curve_oid);
    let mut body = vec![0x02, 0x01, 0x00]; // version 0
    body.extend(der_tlv(0x30, &algorithm_id));
    body.extend(der_tlv(0x04, &sec1));
    Ok(Some(der_tlv(0x30, &body)))
}

/// Reads the length of the private-key OCTET STRING inside a SEC1
/// `ECPrivateKey ::= SEQUENCE { version INTEGER, privateKey OCTET STRING, ... }`.
fn sec1_private_scalar_len(der: &[u8]) -> Option<usize> {
    let (tag, content, _) = der_read(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, _, rest) = der_read(content)?;
    if tag != 0x02 {
        return None;
    }
    let (tag, key, _) = der_read(rest)?;
    (tag == 0x04).then_some(key.len())
}

/// Splits one DER TLV off the front of `input`: `(tag, content, rest)`.
fn der_read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, tail) = rest.split_at_checked(n)?;
        rest = tail;
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    let (content, tail) = rest.split_at_checked(len)?;
    Some((tag, content, tail))
}

fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The keys the default key loaders use, resolved from the configuration.
#[derive(Clone)]
pub(crate) struct ConfiguredKeys {
    pub(crate) encoding: Option<Arc<EncodingKey>>,
    pub(crate) decoding: Option<SharedDecodingKey>,
    /// `JWT_SECRET_KEY_FALLBACKS`: tried in order after `decoding`.
    pub(crate) fallbacks: Vec<SharedDecodingKey>,
}

impl std::fmt::Debug for ConfiguredKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfiguredKeys")
            .field("encoding", &self.encoding.as_ref().map(|_| "[redacted]"))
            .field("decoding", &self.decoding.is_some())
            .field("fallbacks", &self.fallbacks.len())
            .finish()
    }
}

impl ConfiguredKeys {
    /// Resolves the configured keys. `need_encoding`/`need_decoding` say
    /// whether the default loaders will be used (a custom key loader makes
    /// the corresponding configured key optional); `enforce_key_length`
    /// turns a too-short HMAC secret from a warning into an error.
    pub(crate) fn from_config(
        config: &JwtConfig,
        need_encoding: bool,
        need_decoding: bool,
        enforce_key_length: bool,
    ) -> Result<Self, ConfigError> {
        let algorithm = config.algorithm();
        let name = algorithm_name(algorithm).to_owned();
        let fallbacks = fallback_keys(config, enforce_key_length)?;
        if is_symmetric(algorithm) {
            let secret = config.secret_key();
            if (need_encoding || need_decoding) && secret.is_none() {
                return Err(ConfigError::MissingSecret(name));
            }
            if let Some(secret) = secret {
                check_hmac_key_length(algorithm, secret.expose(), enforce_key_length)?;
            }
            let encoding = match secret {
                Some(s) => Some(Arc::new(hmac_encoding_key("JWT_SECRET_KEY", s)?)),
                None => None,
            };
            let decoding = match secret {
                Some(s) => Some(Arc::new(hmac_decoding_key("JWT_SECRET_KEY", s)?)),
                None => None,
            };
            return Ok(Self {
                encoding,
                decoding,
                fallbacks,
            });
        }
        let encoding = match config.private_key() {
            Some(pem) => Some(Arc::new(private_key(algorithm, pem.expose())?)),
            None if need_encoding => return Err(ConfigError::MissingPrivateKey(name)),
            None => None,
        };
        let decoding = match config.public_key() {
            Some(pem) => Some(Arc::new(public_key(algorithm, pem.as_bytes())?)),
            None if need_decoding => return Err(ConfigError::MissingPublicKey(name)),
            None => None,
        };
        if let (Some(private), Some(public)) = (&encoding, &decoding) {
            check_pair(algorithm, private, public)?;
        }
        Ok(Self {
            encoding,
            decoding,
            fallbacks,
        })
    }
}

/// The verification keys of `JWT_SECRET_KEY_FALLBACKS`, with the checks of
/// `JWT_SECRET_KEY`. Only an HMAC algorithm uses them.
fn fallback_keys(
    config: &JwtConfig,
    enforce_key_length: bool,
) -> Result<Vec<SharedDecodingKey>, ConfigError> {
    const OPTION: &str = "JWT_SECRET_KEY_FALLBACKS";
    let secrets = config.secret_key_fallbacks();
    let algorithm = config.algorithm();
    if !secrets.is_empty() && !is_symmetric(algorithm) {
        return Err(ConfigError::InvalidValue {
            option: OPTION,
            reason: format!("fallback secrets need an HMAC algorithm, not {algorithm}"),
        });
    }
    secrets
        .iter()
        .filter(|secret| !secret.expose().is_empty())
        .map(|secret| {
            check_hmac_key_length(algorithm, secret.expose(), enforce_key_length).map_err(|e| {
                match e {
                    ConfigError::InvalidValue { reason, .. } => ConfigError::InvalidValue {
                        option: OPTION,
                        reason,
                    },
                    other => other,
                }
            })?;
            hmac_decoding_key(OPTION, secret).map(Arc::new)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_is_not_an_hmac_secret() {
        let err = hmac_decoding_key(
            "JWT_SECRET_KEY",
            &Secret::from("-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----"),
        )
        .unwrap_err();
        assert_eq!(err.option(), "JWT_SECRET_KEY");
    }

    #[test]
    fn cached_verifiers_follow_the_key() -> Result<(), Box<dyn std::error::Error>> {
        ensure_crypto_provider()?;
        let message = b"header.payload";
        let signed_with = |secret: &str| {
            sign(
                Algorithm::HS256,
                &EncodingKey::from_secret(secret.as_bytes())?,
                message,
            )
        };
        let (sig_a, sig_b) = (signed_with("a")?, signed_with("b")?);
        let key = |secret: &str| DecodingKey::from_secret(secret.as_bytes()).map(Arc::new);

        let a = key("a")?;
        assert!(verify_cached(Algorithm::HS256, &a, message, &sig_a)?);
        assert!(verify_cached(Algorithm::HS256, &a, message, &sig_a)?); // cached
        assert!(!verify_cached(Algorithm::HS256, &a, message, &sig_b)?);
        // Another algorithm with the same key is another verifier.
        let sig_384 = sign(Algorithm::HS384, &EncodingKey::from_secret(b"a")?, message)?;
        assert!(!verify_cached(Algorithm::HS256, &a, message, &sig_384)?);
        assert!(verify_cached(Algorithm::HS384, &a, message, &sig_384)?);
        // A dropped key's entry is never used for the next key, even one
        // allocated where it was.
        drop(a);
        for _ in 0..3 {
            let b = key("b")?;
            assert!(!verify_cached(Algorithm::HS256, &b, message, &sig_a)?);
            assert!(verify_cached(Algorithm::HS256, &b, message, &sig_b)?);
        }
        // A key of the wrong family is an error, as uncached.
        let rsa = Arc::new(DecodingKey::from_rsa_components("AQAB", "AQAB")?);
        assert!(verify_cached(Algorithm::HS256, &rsa, message, &sig_a).is_err());
        Ok(())
    }

    #[test]
    fn cached_signers_follow_the_key() -> Result<(), Box<dyn std::error::Error>> {
        ensure_crypto_provider()?;
        let message = b"header.payload";
        let plain =
            |alg, secret: &str| sign(alg, &EncodingKey::from_secret(secret.as_bytes())?, message);
        let key = |secret: &str| EncodingKey::from_secret(secret.as_bytes()).map(Arc::new);

        let a = key("a")?;
        let expected = plain(Algorithm::HS256, "a")?;
        assert_eq!(sign_cached(Algorithm::HS256, &a, message)?, expected);
        assert_eq!(sign_cached(Algorithm::HS256, &a, message)?, expected); // cached
        assert_eq!(
            sign_cached(Algorithm::HS256, &a, b"other")?,
            sign(Algorithm::HS256, &a, b"other")?
        );
        // Another algorithm with the same key is another signer.
        assert_eq!(
            sign_cached(Algorithm::HS384, &a, message)?,
            plain(Algorithm::HS384, "a")?
        );
        // A dropped key's signer is never used for the next key, even one
        // allocated where it was.
        drop(a);
        for _ in 0..3 {
            let b = key("b")?;
            assert_eq!(
                sign_cached(Algorithm::HS256, &b, message)?,
                plain(Algorithm::HS256, "b")?
            );
        }
        // A key of the wrong family is an error, as uncached.
        let pem = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/keys/ec256_private.pem"
        ))?;
        let ec = Arc::new(EncodingKey::from_ec_pem(&pem)?);
        assert!(sign_cached(Algorithm::HS256, &ec, message).is_err());
        assert!(sign_cached(Algorithm::ES256, &ec, message).is_ok());
        Ok(())
    }

    #[test]
    fn der_lengths_round_trip() {
        let long = vec![7u8; 300];
        let tlv = der_tlv(0x04, &long);
        let (tag, content, rest) = der_read(&tlv).unwrap_or((0, &[], &[]));
        assert_eq!((tag, content.len(), rest.len()), (0x04, 300, 0));
    }

    #[test]
    fn der_reader_never_panics_on_garbage() {
        for input in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 2, 3, 4, 5],
            &[0x30, 0x82, 0xff],
        ] {
            let _ = der_read(input);
            let _ = sec1_private_scalar_len(input);
        }
    }
}
