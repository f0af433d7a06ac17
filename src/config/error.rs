//! [`ConfigError`]: what can be wrong with a configuration.

use super::warning::suggestion_text;

/// A configuration problem, found when the manager is built.
///
/// Every variant names the option at fault ([`ConfigError::option`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An HMAC algorithm is configured but no secret is set.
    #[error(
        "JWT_SECRET_KEY or flask SECRET_KEY must be set when using symmetric algorithm \"{0}\""
    )]
    MissingSecret(String),
    /// An asymmetric algorithm is configured but no private key is set.
    #[error("JWT_PRIVATE_KEY must be set to use asymmetric cryptography algorithm \"{0}\"")]
    MissingPrivateKey(String),
    /// An asymmetric algorithm is configured but no public key is set.
    #[error("JWT_PUBLIC_KEY must be set to use asymmetric cryptography algorithm \"{0}\"")]
    MissingPublicKey(String),
    /// A key could not be parsed or does not suit the algorithm.
    #[error("{option}: {reason}")]
    InvalidKey {
        /// The option holding the key.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `JWT_TOKEN_LOCATION` (or a per-route override) is empty.
    #[error(
        "JWT_TOKEN_LOCATION must contain at least one of \"headers\", \"cookies\", \"query_string\", or \"json\""
    )]
    EmptyTokenLocation,
    /// `JWT_TOKEN_LOCATION` names an unknown location.
    #[error(
        "JWT_TOKEN_LOCATION can only contain \"headers\", \"cookies\", \"query_string\", or \"json\" (got {0:?})"
    )]
    UnknownTokenLocation(String),
    /// A header-name option is empty or not a valid HTTP header name.
    #[error("{option} must be a valid, non-empty HTTP header name (got {value:?})")]
    InvalidHeaderName {
        /// The option.
        option: &'static str,
        /// The rejected value.
        value: String,
    },
    /// An algorithm is unknown or not supported by this crate.
    #[error("{option}: algorithm {value:?} is not supported")]
    UnsupportedAlgorithm {
        /// The option.
        option: &'static str,
        /// The rejected name.
        value: String,
    },
    /// Any other invalid value (zero lifetimes, unparsable environment
    /// values, empty names, …).
    #[error("{option}: {reason}")]
    InvalidValue {
        /// The option.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A `JWT_*` name in the environment is not an option (strict mode:
    /// [`EnvOptions::deny_unknown`](super::EnvOptions::deny_unknown)).
    #[error("{name}: not a known option{}", suggestion_text(suggestion.as_deref()))]
    UnknownOption {
        /// The name as it was found (with its prefix, if any).
        name: String,
        /// The closest option name, spelled as the environment would need
        /// it, when one is close enough to be a likely typo.
        suggestion: Option<String>,
    },
    /// No `jsonwebtoken` crypto backend is available: enable the `aws-lc-rs`
    /// or `rust-crypto` feature, or install a `jsonwebtoken` `CryptoProvider`.
    #[error(
        "no jsonwebtoken CryptoProvider: enable the `aws-lc-rs` or `rust-crypto` feature of jwt-extended"
    )]
    NoCryptoProvider,
}

impl ConfigError {
    /// The name of the Flask option this error is about (e.g.
    /// `JWT_SECRET_KEY`), or the unknown name for
    /// [`UnknownOption`](Self::UnknownOption).
    #[must_use]
    pub fn option(&self) -> &str {
        match self {
            Self::MissingSecret(_) => "JWT_SECRET_KEY",
            Self::MissingPrivateKey(_) => "JWT_PRIVATE_KEY",
            Self::MissingPublicKey(_) => "JWT_PUBLIC_KEY",
            Self::EmptyTokenLocation | Self::UnknownTokenLocation(_) => "JWT_TOKEN_LOCATION",
            Self::InvalidKey { option, .. }
            | Self::InvalidHeaderName { option, .. }
            | Self::UnsupportedAlgorithm { option, .. }
            | Self::InvalidValue { option, .. } => option,
            Self::UnknownOption { name, .. } => name,
            Self::NoCryptoProvider => "JWT_ALGORITHM",
        }
    }

    /// An [`InvalidValue`](Self::InvalidValue) for `option`.
    pub(crate) fn invalid(option: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidValue {
            option,
            reason: reason.into(),
        }
    }
}
