//! ES512 (ECDSA on P-521 with SHA-512), which `jsonwebtoken` 12 lacks:
//! signed and verified with the crypto backend directly, `aws-lc-rs` when
//! its feature is on (as for the other algorithms when both backends are
//! enabled), else the RustCrypto `p521` crate. Without either backend every
//! call fails, like the other algorithms without a crypto provider.
//!
//! The keys are `jsonwebtoken`'s EC key types, holding what they hold for
//! P-256 and P-384: the PKCS#8 DER of the private key, and the uncompressed
//! SEC1 point (`04 || x || y`) of the public key. Signatures are JWS's
//! fixed-size `r || s` (RFC 7518 §3.4), never DER.

use jsonwebtoken::{AlgorithmFamily, DecodingKey, EncodingKey};

/// The length of a P-521 coordinate (and of `r` and `s`): 521 bits.
pub(crate) const COORDINATE_LEN: usize = 66;
/// The length of an ES512 signature: `r || s`.
pub(crate) const SIGNATURE_LEN: usize = 2 * COORDINATE_LEN;
/// The length of an uncompressed SEC1 P-521 point: `04 || x || y`.
pub(crate) const POINT_LEN: usize = 1 + 2 * COORDINATE_LEN;

/// Why an ES512 key or signature cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Es512Error {
    /// Not a P-521 key of the expected form.
    InvalidKey,
    /// The backend failed to sign.
    #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
    Signing,
    /// Neither `aws-lc-rs` nor `rust-crypto` is enabled.
    #[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
    NoBackend,
}

impl std::fmt::Display for Es512Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::InvalidKey => "not a P-521 key for ES512",
            #[cfg(any(feature = "aws-lc-rs", feature = "rust-crypto"))]
            Self::Signing => "the ES512 signature could not be computed",
            #[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
            Self::NoBackend => "ES512 needs the aws-lc-rs or rust-crypto feature of jwt-extended",
        })
    }
}

/// A P-521 private key, parsed once, ready to sign.
pub(crate) struct Signer(backend::SigningKey);

impl Signer {
    /// Parses the PKCS#8 DER an EC [`EncodingKey`] holds; a key on another
    /// curve is refused.
    pub(crate) fn new(key: &EncodingKey) -> Result<Self, Es512Error> {
        if key.family() != AlgorithmFamily::Ec {
            return Err(Es512Error::InvalidKey);
        }
        backend::SigningKey::from_pkcs8(key.as_bytes()).map(Self)
    }

    /// The fixed-size `r || s` signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Es512Error> {
        self.0.sign(message)
    }

    /// The public key as an uncompressed SEC1 point.
    pub(crate) fn public_point(&self) -> Vec<u8> {
        self.0.public_point()
    }
}

/// A P-521 public key, parsed (and checked to be on the curve) once.
pub(crate) struct Verifier(backend::VerifyingKey);

impl Verifier {
    /// Parses the SEC1 point an EC [`DecodingKey`] holds; anything but an
    /// uncompressed P-521 point is refused.
    pub(crate) fn new(key: &DecodingKey) -> Result<Self, Es512Error> {
        if key.family() != AlgorithmFamily::Ec {
            return Err(Es512Error::InvalidKey);
        }
        let point = key.try_get_as_bytes().map_err(|_| Es512Error::InvalidKey)?;
        Self::from_point(point)
    }

    /// Parses an uncompressed SEC1 P-521 point (133 bytes, `04 || x || y`).
    pub(crate) fn from_point(point: &[u8]) -> Result<Self, Es512Error> {
        if point.len() != POINT_LEN || point.first() != Some(&0x04) {
            return Err(Es512Error::InvalidKey);
        }
        backend::VerifyingKey::from_point(point).map(Self)
    }

    /// Whether `signature` is a valid fixed-size ES512 signature of
    /// `message`. Any other length (a DER signature, a P-256 one) is `false`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        signature.len() == SIGNATURE_LEN && self.0.verify(message, signature)
    }
}

#[cfg(feature = "aws-lc-rs")]
mod backend {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        ECDSA_P521_SHA512_FIXED, ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
        ParsedPublicKey,
    };

    use super::Es512Error;

    pub(super) struct SigningKey(EcdsaKeyPair);

    impl SigningKey {
        pub(super) fn from_pkcs8(der: &[u8]) -> Result<Self, Es512Error> {
            EcdsaKeyPair::from_pkcs8(&ECDSA_P521_SHA512_FIXED_SIGNING, der)
                .map(Self)
                .map_err(|_| Es512Error::InvalidKey)
        }

        pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Es512Error> {
            self.0
                .sign(&SystemRandom::new(), message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| Es512Error::Signing)
        }

        pub(super) fn public_point(&self) -> Vec<u8> {
            self.0.public_key().as_ref().to_vec()
        }
    }

    pub(super) struct VerifyingKey(ParsedPublicKey);

    impl VerifyingKey {
        pub(super) fn from_point(point: &[u8]) -> Result<Self, Es512Error> {
            ParsedPublicKey::new(&ECDSA_P521_SHA512_FIXED, point)
                .map(Self)
                .map_err(|_| Es512Error::InvalidKey)
        }

        pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
            self.0.verify_sig(message, signature).is_ok()
        }
    }
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod backend {
    use p521::ecdsa::signature::{Signer as _, Verifier as _};
    use p521::ecdsa::{Signature, SigningKey as P521SigningKey, VerifyingKey as P521VerifyingKey};
    use p521::pkcs8::DecodePrivateKey as _;

    use super::Es512Error;

    pub(super) struct SigningKey(P521SigningKey);

    impl SigningKey {
        pub(super) fn from_pkcs8(der: &[u8]) -> Result<Self, Es512Error> {
            P521SigningKey::from_pkcs8_der(der)
                .map(Self)
                .map_err(|_| Es512Error::InvalidKey)
        }

        pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Es512Error> {
            let signature: Signature = self.0.try_sign(message).map_err(|_| Es512Error::Signing)?;
            Ok(signature.to_bytes().to_vec())
        }

        pub(super) fn public_point(&self) -> Vec<u8> {
            self.0
                .verifying_key()
                .to_sec1_point(false)
                .as_bytes()
                .to_vec()
        }
    }

    pub(super) struct VerifyingKey(P521VerifyingKey);

    impl VerifyingKey {
        pub(super) fn from_point(point: &[u8]) -> Result<Self, Es512Error> {
            P521VerifyingKey::from_sec1_bytes(point)
                .map(Self)
                .map_err(|_| Es512Error::InvalidKey)
        }

        pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
            Signature::from_slice(signature)
                .is_ok_and(|signature| self.0.verify(message, &signature).is_ok())
        }
    }
}

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
mod backend {
    //! No backend: no ES512 key can be built, so nothing signs or verifies.

    use super::Es512Error;

    pub(super) enum SigningKey {}

    impl SigningKey {
        pub(super) fn from_pkcs8(_: &[u8]) -> Result<Self, Es512Error> {
            Err(Es512Error::NoBackend)
        }

        pub(super) fn sign(&self, _: &[u8]) -> Result<Vec<u8>, Es512Error> {
            match *self {}
        }

        pub(super) fn public_point(&self) -> Vec<u8> {
            match *self {}
        }
    }

    pub(super) enum VerifyingKey {}

    impl VerifyingKey {
        pub(super) fn from_point(_: &[u8]) -> Result<Self, Es512Error> {
            Err(Es512Error::NoBackend)
        }

        pub(super) fn verify(&self, _: &[u8], _: &[u8]) -> bool {
            match *self {}
        }
    }
}

#[cfg(all(test, any(feature = "aws-lc-rs", feature = "rust-crypto")))]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn pair() -> (Signer, Verifier) {
        let private = EncodingKey::from_ec_pem(&fixture("ec521_private.pem")).unwrap();
        let public = DecodingKey::from_ec_pem(&fixture("ec521_public.pem")).unwrap();
        (
            Signer::new(&private).unwrap(),
            Verifier::new(&public).unwrap(),
        )
    }

    #[test]
    fn signs_fixed_size_signatures_the_public_key_verifies() {
        let (signer, verifier) = pair();
        let signature = signer.sign(b"message").unwrap();
        assert_eq!(signature.len(), SIGNATURE_LEN);
        assert!(verifier.verify(b"message", &signature));
        assert!(!verifier.verify(b"messagE", &signature));
        let derived = Verifier::from_point(&signer.public_point()).unwrap();
        assert!(derived.verify(b"message", &signature));
        assert_eq!(signer.public_point().len(), POINT_LEN);
    }

    #[test]
    fn malformed_signatures_are_false_never_a_panic() {
        let (signer, verifier) = pair();
        let good = signer.sign(b"m").unwrap();
        let mut flipped = good.clone();
        flipped[10] ^= 1;
        let zeros = vec![0u8; SIGNATURE_LEN];
        let ones = vec![0xff; SIGNATURE_LEN];
        for bad in [
            &[][..],
            &good[..SIGNATURE_LEN - 1],
            &[good.as_slice(), &[0]].concat(),
            &flipped,
            &zeros,
            &ones,
            &[0u8; 64],
            &[0u8; 96],
        ] {
            assert!(!verifier.verify(b"m", bad), "{} bytes", bad.len());
        }
    }

    /// Signed by PyJWT 2.15 with `ec521_private.pem`: the other backend's
    /// signatures verify here too (the lib tests run once per backend).
    const PYJWT_TOKEN: &str = "eyJhbGciOiJFUzUxMiIsImtpZCI6InB5IiwidHlwIjoiSldUIn0.eyJzdWIiOiJweWp3dCJ9.AaBAowL2cBisHGrP0P18_uiw5RqIqURjryv0FX-ljA_km6bmivkSpYPL_XVoNCz0Vk_uqC7E3Om72l6LVquKoDvtALTbB3oYDAA7v-hi8ijUoNupQ2YnGZPyXIGLIyYbvKm3JZsdszr7mWBqTXrWSNC06WzCvZ14NhRroW3pUamtFbnM";

    #[test]
    fn verifies_what_pyjwt_signed() {
        use base64::Engine as _;
        let (_, verifier) = pair();
        let (message, signature) = PYJWT_TOKEN.rsplit_once('.').unwrap();
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .unwrap();
        assert!(verifier.verify(message.as_bytes(), &signature));
        assert!(!verifier.verify(b"other", &signature));
    }

    #[test]
    fn other_curves_are_refused() {
        let p256 = EncodingKey::from_ec_pem(&fixture("ec256_private.pem")).unwrap();
        assert_eq!(Signer::new(&p256).err(), Some(Es512Error::InvalidKey));
        let p384 = DecodingKey::from_ec_pem(&fixture("ec384_public.pem")).unwrap();
        assert_eq!(Verifier::new(&p384).err(), Some(Es512Error::InvalidKey));
        let secret = DecodingKey::from_secret(b"secret").unwrap();
        assert_eq!(Verifier::new(&secret).err(), Some(Es512Error::InvalidKey));
        let mut off_curve = vec![0x04];
        off_curve.extend([1u8; 2 * COORDINATE_LEN]);
        assert_eq!(
            Verifier::from_point(&off_curve).err(),
            Some(Es512Error::InvalidKey)
        );
    }
}
