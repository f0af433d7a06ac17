//! [`Algorithm`]: the signing algorithms the crate supports, by JOSE name.

use std::fmt;
use std::str::FromStr;

use super::ConfigError;

/// A JWS signing algorithm (`JWT_ALGORITHM`, `JWT_DECODE_ALGORITHMS`).
///
/// These are the algorithms the crate can sign and verify with. Names the
/// reference also knows but this crate does not implement (`ES256K`,
/// `Ed448`, PyJWT's `ES521` alias, …) are refused when the configuration is
/// read, and tokens that use them are refused like any algorithm outside the
/// allow-list.
///
/// `ES512` (ECDSA on P-521) has no counterpart in `jsonwebtoken`: the crate
/// signs and verifies it with the crypto backend directly (`aws-lc-rs`, or
/// the RustCrypto `p521` crate with the `rust-crypto` feature), with the
/// fixed-size 132-byte `r || s` signature JWS uses.
///
/// The name is the JOSE one (`"HS256"`, `"EdDSA"`), written in the token's
/// `alg` header and accepted by [`FromStr`]:
///
/// ```
/// use jwt_extended::Algorithm;
///
/// let algorithm: Algorithm = "ES256".parse()?;
/// assert_eq!(algorithm, Algorithm::ES256);
/// assert_eq!(algorithm.as_str(), "ES256");
/// assert!(!algorithm.is_hmac());
/// assert_eq!("ES512".parse::<Algorithm>()?, Algorithm::ES512);
/// assert!("ES256K".parse::<Algorithm>().is_err());
/// # Ok::<(), jwt_extended::config::ConfigError>(())
/// ```
///
/// It converts into `jsonwebtoken`'s algorithm type for code that calls
/// `jsonwebtoken` directly, and back, with [`TryFrom`] both ways (`ES512`
/// has no `jsonwebtoken` counterpart):
///
/// ```
/// use jwt_extended::Algorithm;
/// use jwt_extended::jsonwebtoken;
///
/// let theirs = jsonwebtoken::Algorithm::try_from(Algorithm::RS256)?;
/// assert_eq!(theirs, jsonwebtoken::Algorithm::RS256);
/// assert_eq!(Algorithm::try_from(theirs)?, Algorithm::RS256);
/// assert!(jsonwebtoken::Algorithm::try_from(Algorithm::ES512).is_err());
/// # Ok::<(), jwt_extended::config::ConfigError>(())
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256 (the default).
    #[default]
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// ECDSA on P-521 with SHA-512 (signed and verified by the crypto
    /// backend directly: `jsonwebtoken` has no ES512).
    ES512,
    /// EdDSA with Ed25519.
    EdDSA,
}

impl Algorithm {
    /// Every supported algorithm, HMAC first.
    #[cfg(test)]
    const ALL: [Self; 13] = [
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::ES512,
        Self::EdDSA,
    ];

    /// The JOSE name, as written in a token's `alg` header.
    ///
    /// ```
    /// assert_eq!(jwt_extended::Algorithm::EdDSA.as_str(), "EdDSA");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::ES512 => "ES512",
            Self::EdDSA => "EdDSA",
        }
    }

    /// Whether the algorithm is an HMAC one (`HS*`), which signs and
    /// verifies with one shared secret rather than a key pair.
    ///
    /// ```
    /// use jwt_extended::Algorithm;
    ///
    /// assert!(Algorithm::HS512.is_hmac());
    /// assert!(!Algorithm::RS256.is_hmac());
    /// ```
    #[must_use]
    pub const fn is_hmac(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }

    /// The algorithm named `name` (exact JOSE spelling), if supported.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "HS256" => Self::HS256,
            "HS384" => Self::HS384,
            "HS512" => Self::HS512,
            "RS256" => Self::RS256,
            "RS384" => Self::RS384,
            "RS512" => Self::RS512,
            "PS256" => Self::PS256,
            "PS384" => Self::PS384,
            "PS512" => Self::PS512,
            "ES256" => Self::ES256,
            "ES384" => Self::ES384,
            "ES512" => Self::ES512,
            "EdDSA" => Self::EdDSA,
            _ => return None,
        })
    }

    /// The error for a name or `jsonwebtoken` algorithm we do not support.
    fn unsupported(value: String) -> ConfigError {
        ConfigError::UnsupportedAlgorithm {
            option: "JWT_ALGORITHM",
            value,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = ConfigError;

    /// Parses a JOSE name (case-sensitive, as in a token header). Anything
    /// else is [`ConfigError::UnsupportedAlgorithm`] for `JWT_ALGORITHM`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| Self::unsupported(s.to_owned()))
    }
}

impl TryFrom<Algorithm> for jsonwebtoken::Algorithm {
    type Error = ConfigError;

    /// Every algorithm but [`Algorithm::ES512`], which `jsonwebtoken` 12
    /// lacks ([`ConfigError::UnsupportedAlgorithm`]).
    fn try_from(algorithm: Algorithm) -> Result<Self, Self::Error> {
        Ok(match algorithm {
            Algorithm::HS256 => Self::HS256,
            Algorithm::HS384 => Self::HS384,
            Algorithm::HS512 => Self::HS512,
            Algorithm::RS256 => Self::RS256,
            Algorithm::RS384 => Self::RS384,
            Algorithm::RS512 => Self::RS512,
            Algorithm::PS256 => Self::PS256,
            Algorithm::PS384 => Self::PS384,
            Algorithm::PS512 => Self::PS512,
            Algorithm::ES256 => Self::ES256,
            Algorithm::ES384 => Self::ES384,
            Algorithm::EdDSA => Self::EdDSA,
            Algorithm::ES512 => return Err(Algorithm::unsupported(algorithm.as_str().to_owned())),
        })
    }
}

impl TryFrom<jsonwebtoken::Algorithm> for Algorithm {
    type Error = ConfigError;

    /// Every algorithm `jsonwebtoken` 12 has is supported; one added by a
    /// later `jsonwebtoken` is [`ConfigError::UnsupportedAlgorithm`] until
    /// this crate learns it.
    fn try_from(algorithm: jsonwebtoken::Algorithm) -> Result<Self, Self::Error> {
        use jsonwebtoken::Algorithm as Jwt;
        Ok(match algorithm {
            Jwt::HS256 => Self::HS256,
            Jwt::HS384 => Self::HS384,
            Jwt::HS512 => Self::HS512,
            Jwt::RS256 => Self::RS256,
            Jwt::RS384 => Self::RS384,
            Jwt::RS512 => Self::RS512,
            Jwt::PS256 => Self::PS256,
            Jwt::PS384 => Self::PS384,
            Jwt::PS512 => Self::PS512,
            Jwt::ES256 => Self::ES256,
            Jwt::ES384 => Self::ES384,
            Jwt::EdDSA => Self::EdDSA,
            other => return Err(Self::unsupported(format!("{other:?}"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for algorithm in Algorithm::ALL {
            let name = algorithm.as_str();
            assert_eq!(name.parse::<Algorithm>(), Ok(algorithm));
            assert_eq!(algorithm.to_string(), name);
            assert_eq!(format!("{algorithm:?}"), name);
        }
        let names: std::collections::HashSet<_> =
            Algorithm::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), Algorithm::ALL.len());
    }

    #[test]
    fn unknown_names_are_refused() {
        for name in [
            "ES256K", "ES521", "Ed448", "none", "None", "hs256", " HS256", "HS256 ", "",
        ] {
            assert_eq!(
                name.parse::<Algorithm>(),
                Err(ConfigError::UnsupportedAlgorithm {
                    option: "JWT_ALGORITHM",
                    value: name.to_owned(),
                }),
                "{name:?}"
            );
        }
    }

    #[test]
    fn converts_to_and_from_jsonwebtoken() {
        for algorithm in Algorithm::ALL {
            let Ok(theirs) = jsonwebtoken::Algorithm::try_from(algorithm) else {
                assert_eq!(algorithm, Algorithm::ES512, "only ES512 is ours alone");
                continue;
            };
            assert_eq!(Algorithm::try_from(theirs), Ok(algorithm));
            // Same name on both sides.
            let by_name: jsonwebtoken::Algorithm =
                algorithm.as_str().parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(theirs, by_name);
            assert_eq!(
                theirs.family() == jsonwebtoken::AlgorithmFamily::Hmac,
                algorithm.is_hmac()
            );
        }
    }

    #[test]
    fn default_is_hs256() {
        assert_eq!(Algorithm::default(), Algorithm::HS256);
    }
}
