//! [`ConfigWarning`]: what is allowed in a configuration but probably a
//! mistake, and the "did you mean" suggestion for unknown option names.

use std::fmt;

use super::Algorithm;
use super::options::OPTION_NAMES;

/// A configuration that works but is probably not what you meant.
///
/// Building a manager with [`JwtManagerBuilder::build`](crate::JwtManagerBuilder::build)
/// (or [`JwtManager::new`](crate::JwtManager::new)) logs each one as a
/// `tracing` warning; [`build_with_warnings`](crate::JwtManagerBuilder::build_with_warnings)
/// returns them instead, so that they are visible without a `tracing`
/// subscriber (print them, or fail a start-up check on them).
///
/// ```
/// use jwt_extended::config::{ConfigWarning, JwtConfig};
/// use jwt_extended::JwtManager;
///
/// let config = JwtConfig::from_vars([
///     ("JWT_SECRET_KEY", "too-short"),
///     ("JWT_ACCES_TOKEN_EXPIRES", "3600"),
/// ])?;
/// let (_jwt, warnings) = JwtManager::builder(config).build_with_warnings()?;
/// for warning in &warnings {
///     eprintln!("warning: {warning}");
/// }
/// assert!(warnings.contains(&ConfigWarning::UnknownOption {
///     name: "JWT_ACCES_TOKEN_EXPIRES".into(),
///     suggestion: Some("JWT_ACCESS_TOKEN_EXPIRES".into()),
/// }));
/// assert!(warnings.iter().any(|w| matches!(w, ConfigWarning::ShortSecret { .. })));
/// # Ok::<(), jwt_extended::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigWarning {
    /// A `JWT_*` name read from the environment (or from
    /// [`JwtConfig::from_vars`](super::JwtConfig::from_vars)) that is not an
    /// option: its value was ignored. With
    /// [`EnvOptions::deny_unknown`](super::EnvOptions::deny_unknown) it is a
    /// [`ConfigError::UnknownOption`](super::ConfigError::UnknownOption)
    /// instead.
    UnknownOption {
        /// The name as it was found (with its prefix, if any).
        name: String,
        /// The closest option name, spelled as the environment would need
        /// it, when one is close enough to be a likely typo.
        suggestion: Option<String>,
    },
    /// The HMAC secret (`JWT_SECRET_KEY`) is shorter than RFC 7518 §3.2
    /// asks for its algorithm. Refuse it instead with
    /// [`enforce_minimum_key_length`](crate::JwtManagerBuilder::enforce_minimum_key_length).
    ShortSecret {
        /// The HMAC algorithm (`JWT_ALGORITHM`).
        algorithm: Algorithm,
        /// The secret's length in bytes.
        length: usize,
        /// The length the algorithm asks for.
        minimum: usize,
    },
    /// Tokens are read from cookies but `JWT_COOKIE_SECURE` was never set,
    /// so browsers also send the cookies over plain HTTP. Setting it, even
    /// to `false`, silences the warning.
    CookiesWithoutSecure,
    /// `JWT_COOKIE_SAMESITE` is `None` but `JWT_COOKIE_SECURE` is off:
    /// browsers reject such cookies.
    SameSiteNoneWithoutSecure,
}

impl ConfigWarning {
    /// The option the warning is about: `JWT_SECRET_KEY`,
    /// `JWT_COOKIE_SECURE`, or the unknown name itself.
    #[must_use]
    pub fn option(&self) -> &str {
        match self {
            Self::UnknownOption { name, .. } => name,
            Self::ShortSecret { .. } => "JWT_SECRET_KEY",
            Self::CookiesWithoutSecure | Self::SameSiteNoneWithoutSecure => "JWT_COOKIE_SECURE",
        }
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownOption { name, suggestion } => {
                let hint = suggestion_text(suggestion.as_deref());
                write!(f, "{name}: not a known option, ignored{hint}")
            }
            Self::ShortSecret {
                algorithm,
                length,
                minimum,
            } => write!(
                f,
                "JWT_SECRET_KEY is {length} bytes long, below the {minimum} bytes RFC 7518 \
                 section 3.2 asks for {algorithm}: short secrets can be brute-forced from one \
                 token; use a random secret of at least {minimum} bytes"
            ),
            Self::CookiesWithoutSecure => f.write_str(
                "tokens are read from cookies but JWT_COOKIE_SECURE is off, so browsers also \
                 send them over plain HTTP: use .with_cookie_secure(true) in production, or set \
                 it to false explicitly (.with_cookie_secure(false) or JWT_COOKIE_SECURE=false) \
                 to acknowledge local development over http://",
            ),
            Self::SameSiteNoneWithoutSecure => f.write_str(
                "JWT_COOKIE_SAMESITE is None but JWT_COOKIE_SECURE is off: browsers reject \
                 such cookies",
            ),
        }
    }
}

/// ` (did you mean X?)`, or where the option names are listed.
pub(super) fn suggestion_text(suggestion: Option<&str>) -> String {
    match suggestion {
        Some(option) => format!(" (did you mean {option}?)"),
        None => " (the options are listed in jwt_extended::config::OPTION_NAMES)".to_owned(),
    }
}

/// The option name closest to `name` (compared in upper case), if it is
/// close enough to be a typo: at most a third of the name's characters
/// edited, or else the one option that adds a single word to it
/// (`JWT_SECRET` → `JWT_SECRET_KEY`).
pub(super) fn closest_option(name: &str) -> Option<&'static str> {
    let wanted = name.to_ascii_uppercase();
    let limit = (wanted.len() / 3).max(1);
    let typo = OPTION_NAMES
        .iter()
        .map(|&option| (distance(&wanted, option), option))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, option)| option);
    typo.or_else(|| one_word_longer(&wanted))
}

/// The only option that is `name` plus one `_WORD`, if exactly one is.
fn one_word_longer(name: &str) -> Option<&'static str> {
    let mut longer = OPTION_NAMES.iter().filter(|option| {
        option
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|word| !word.is_empty() && !word.contains('_'))
    });
    match (longer.next(), longer.next()) {
        (Some(option), None) => Some(option),
        _ => None,
    }
}

/// The optimal-string-alignment distance: insertions, deletions,
/// substitutions and swaps of neighbours each count one.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        rows[at(i, 0)] = i;
    }
    for j in 0..=b.len() {
        rows[at(0, j)] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[at(i - 1, j)] + 1)
                .min(rows[at(i, j - 1)] + 1)
                .min(rows[at(i - 1, j - 1)] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[at(i - 2, j - 2)] + 1);
            }
            rows[at(i, j)] = best;
        }
    }
    rows[at(a.len(), b.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_option_they_meant() {
        for (typo, meant) in [
            ("JWT_ACCES_TOKEN_EXPIRES", "JWT_ACCESS_TOKEN_EXPIRES"),
            ("JWT_ACCESS_TOKEN_EXPIRE", "JWT_ACCESS_TOKEN_EXPIRES"),
            ("JWT_ACCESS_TOKEN_EXPIRY", "JWT_ACCESS_TOKEN_EXPIRES"),
            ("JWT_SECERT_KEY", "JWT_SECRET_KEY"),
            ("JWT_SECRET", "JWT_SECRET_KEY"),
            ("jwt_secret_key", "JWT_SECRET_KEY"),
            ("JWT_TOKEN_LOCATIONS", "JWT_TOKEN_LOCATION"),
            ("JWT_COOKIE_SAME_SITE", "JWT_COOKIE_SAMESITE"),
            ("JWT_ALGORITHMS", "JWT_ALGORITHM"),
        ] {
            assert_eq!(closest_option(typo), Some(meant), "{typo}");
        }
    }

    #[test]
    fn unrelated_names_get_no_suggestion() {
        for name in [
            "JWT_EXT_SERVICES_DIR",
            "JWT_FOO",
            "JWT_BLACKLIST_ENABLED",
            "JWT_",
        ] {
            assert_eq!(closest_option(name), None, "{name}");
        }
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", "abc"), 0);
        assert_eq!(distance("abc", "acb"), 1);
        assert_eq!(distance("abc", "ab"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
