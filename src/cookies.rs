//! Setting and unsetting the JWT and CSRF cookies, attribute for attribute as
//! Flask-JWT-Extended (through Werkzeug) writes them.
//!
//! The helpers return a [`CookieSet`]: a list of `Set-Cookie` values that the
//! `axum` module turns into response headers. Werkzeug's attribute order is
//! kept: `Domain`, `Expires`, `Max-Age`, `Secure`, `HttpOnly`, `Path`,
//! `SameSite`. The [cookie manual](crate::manual::cookies_and_csrf) explains
//! the browser flow and the production settings.
//!
//! The helpers take a [`CookieToken`]: a token the manager has just issued
//! ([`TokenBuilder::issue`](crate::token::TokenBuilder::issue)) is used as
//! is, an encoded token is verified first to read its CSRF value (as the
//! reference does). [`set_jwt_cookies`](crate::JwtManager::set_jwt_cookies)
//! sets both tokens' cookies at once, the counterpart of
//! [`unset_jwt_cookies`](crate::JwtManager::unset_jwt_cookies).
//!
//! ```
//! use jwt_extended::{JwtConfig, JwtManager};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
//! let token = jwt.create_access_token("alice")?;
//! let lines: Vec<String> = jwt.set_access_cookies(&token).await?.header_values().collect();
//! assert_eq!(lines[0], format!("access_token_cookie={token}; HttpOnly; Path=/"));
//! assert!(lines[1].starts_with("csrf_access_token=") && lines[1].ends_with("; Path=/"));
//! # Ok(()) }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(run())
//! # }
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::compat::werkzeug::{quote_path, quote_value};
use crate::config::{JwtConfig, SameSite};

/// Per-call overrides of the cookie helpers (the reference's `max_age=` and
/// `domain=` arguments).
///
/// ```
/// use jwt_extended::cookies::CookieOptions;
///
/// let options = CookieOptions::default().max_age(3600).domain("example.com");
/// assert_eq!(options.max_age, Some(3600));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieOptions {
    /// `Max-Age` in seconds, overriding `JWT_SESSION_COOKIE`. As in the
    /// reference, zero counts as "not given".
    pub max_age: Option<u64>,
    /// `Domain`, overriding `JWT_COOKIE_DOMAIN`.
    pub domain: Option<String>,
}

impl CookieOptions {
    /// No overrides: the configured `Max-Age` and `Domain`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_age: None,
            domain: None,
        }
    }

    /// Sets `max_age`.
    #[must_use]
    pub const fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Sets `domain`.
    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }
}

/// One `Set-Cookie` header value. Its `Debug` output hides the value (a
/// token or a CSRF value); [`value`](Self::value) and `Display` give it.
///
/// ```
/// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
/// let unset = jwt.unset_access_cookies();
/// let cookie = &unset.cookies()[0];
/// assert_eq!((cookie.name(), cookie.value(), cookie.http_only()), ("access_token_cookie", "", true));
/// assert_eq!(
///     cookie.to_string(),
///     "access_token_cookie=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Path=/"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SetCookie {
    name: String,
    value: String,
    domain: Option<String>,
    expires: Option<SystemTime>,
    max_age: Option<u64>,
    secure: bool,
    http_only: bool,
    path: String,
    same_site: Option<SameSite>,
}

impl fmt::Debug for SetCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.value.is_empty() {
            ""
        } else {
            "[redacted]"
        };
        f.debug_struct("SetCookie")
            .field("name", &self.name)
            .field("value", &value)
            .field("domain", &self.domain)
            .field("expires", &self.expires)
            .field("max_age", &self.max_age)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("path", &self.path)
            .field("same_site", &self.same_site)
            .finish()
    }
}

impl SetCookie {
    /// The cookie name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cookie value (empty when unsetting).
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether the cookie is `HttpOnly` (JWT cookies are, CSRF cookies are not).
    #[must_use]
    pub fn http_only(&self) -> bool {
        self.http_only
    }

    /// The `Max-Age` attribute, if any.
    #[must_use]
    pub fn max_age(&self) -> Option<u64> {
        self.max_age
    }

    /// The `Domain` attribute, if any.
    #[must_use]
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The `Path` attribute.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the cookie is `Secure` (`JWT_COOKIE_SECURE`).
    #[must_use]
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// The `SameSite` attribute, if any (`JWT_COOKIE_SAMESITE`).
    #[must_use]
    pub fn same_site(&self) -> Option<SameSite> {
        self.same_site
    }

    /// The `Expires` attribute, if any (the Unix epoch when unsetting).
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
    /// let unset = jwt.unset_access_cookies();
    /// let cookie = &unset.cookies()[0];
    /// assert_eq!(cookie.expires(), Some(std::time::SystemTime::UNIX_EPOCH));
    /// assert_eq!((cookie.path(), cookie.domain(), cookie.secure(), cookie.same_site()), ("/", None, false, None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }
}

impl fmt::Display for SetCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, quote_value(&self.value))?;
        if let Some(domain) = &self.domain {
            write!(f, "; Domain={domain}")?;
        }
        if let Some(expires) = self.expires {
            write!(f, "; Expires={}", httpdate::fmt_http_date(expires))?;
        }
        if let Some(max_age) = self.max_age {
            write!(f, "; Max-Age={max_age}")?;
        }
        if self.secure {
            f.write_str("; Secure")?;
        }
        if self.http_only {
            f.write_str("; HttpOnly")?;
        }
        write!(f, "; Path={}", quote_path(&self.path))?;
        if let Some(same_site) = self.same_site {
            write!(f, "; SameSite={}", same_site.as_str())?;
        }
        Ok(())
    }
}

/// The `Set-Cookie` values one helper call produces, in order. With the
/// `axum` feature it is a response part: put it in the response tuple.
///
/// ```
/// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
/// // `unset_jwt_cookies` (like `set_jwt_cookies`) is the access set followed
/// // by the refresh set.
/// let all = jwt.unset_access_cookies().merge(jwt.unset_refresh_cookies());
/// assert_eq!(all, jwt.unset_jwt_cookies());
/// assert_eq!(all.header_values().count(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "a CookieSet does nothing until it is added to a response"]
pub struct CookieSet(Vec<SetCookie>);

impl CookieSet {
    /// The cookies.
    #[must_use]
    pub fn cookies(&self) -> &[SetCookie] {
        &self.0
    }

    /// Appends the cookies of another set (e.g. access and refresh cookies in
    /// one response).
    pub fn merge(mut self, other: CookieSet) -> Self {
        self.0.extend(other.0);
        self
    }

    /// The `Set-Cookie` header values.
    pub fn header_values(&self) -> impl Iterator<Item = String> + '_ {
        self.0.iter().map(ToString::to_string)
    }
}

impl IntoIterator for CookieSet {
    type Item = SetCookie;
    type IntoIter = std::vec::IntoIter<SetCookie>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A token the cookie helpers accept
/// ([`JwtManager::set_access_cookies`](crate::JwtManager::set_access_cookies),
/// [`set_refresh_cookies`](crate::JwtManager::set_refresh_cookies),
/// [`set_jwt_cookies`](crate::JwtManager::set_jwt_cookies) and their `_with`
/// forms). Two kinds, which differ in how the CSRF value is found:
///
/// - an **encoded token** (`&str`, `&String`, `&Box<str>`, `&Cow<str>`,
///   `&Arc<str>`): the helper verifies it to read its `csrf` claim, as the
///   reference does, so an expired or foreign token is an error;
/// - a token the manager **just issued**
///   ([`&IssuedToken`](crate::token::IssuedToken), from
///   [`TokenBuilder::issue`](crate::token::TokenBuilder::issue)): its CSRF
///   value is already known, so nothing is decoded and a decoding error
///   cannot happen.
///
/// The cookies are the same either way. The trait is sealed: the crate
/// implements it for these types only.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use jwt_extended::{JwtConfig, JwtManager};
///
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
/// let issued = jwt.access_token("alice").issue()?;
/// let encoded: String = issued.to_string();
/// // No decode for the issued token; a full verification for the string.
/// assert_eq!(
///     jwt.set_access_cookies(&issued).await?.cookies()[1].value(),
///     jwt.set_access_cookies(&encoded).await?.cookies()[1].value(),
/// );
/// # Ok(()) }
/// ```
pub trait CookieToken: sealed::Sealed {}

pub(crate) mod sealed {
    /// What the cookie helpers need from a [`CookieToken`](super::CookieToken).
    pub trait Sealed {
        /// The token, and its CSRF value when it is known without decoding.
        fn cookie_token(&self) -> TokenForCookies<'_>;
    }

    /// The two kinds of cookie token.
    #[derive(Debug, Clone, Copy)]
    pub enum TokenForCookies<'a> {
        /// An encoded token: verify it to learn its CSRF value.
        Encoded(&'a str),
        /// A token just issued, with its `csrf` claim (if it has a string one).
        Issued {
            /// The encoded token.
            encoded: &'a str,
            /// Its `csrf` claim.
            csrf: Option<&'a str>,
        },
    }

    impl<'a> TokenForCookies<'a> {
        /// The encoded token, the JWT cookie's value.
        pub fn encoded(self) -> &'a str {
            match self {
                Self::Encoded(encoded) | Self::Issued { encoded, .. } => encoded,
            }
        }
    }
}

/// Encoded-token types: `&T` is a [`CookieToken`] that is verified.
macro_rules! encoded_cookie_tokens {
    ($($ty:ty),*) => {$(
        impl sealed::Sealed for &$ty {
            fn cookie_token(&self) -> sealed::TokenForCookies<'_> {
                sealed::TokenForCookies::Encoded(AsRef::<str>::as_ref(*self))
            }
        }
        impl CookieToken for &$ty {}
    )*};
}

encoded_cookie_tokens!(
    str,
    String,
    &str,
    &String,
    Box<str>,
    std::borrow::Cow<'_, str>,
    std::sync::Arc<str>
);

#[derive(Clone, Copy)]
pub(crate) struct Names<'a> {
    pub(crate) cookie: &'a str,
    pub(crate) cookie_path: &'a str,
    pub(crate) csrf_cookie: &'a str,
    pub(crate) csrf_path: &'a str,
}

pub(crate) fn access_names(config: &JwtConfig) -> Names<'_> {
    Names {
        cookie: config.access_cookie_name(),
        cookie_path: config.access_cookie_path(),
        csrf_cookie: config.access_csrf_cookie_name(),
        csrf_path: config.access_csrf_cookie_path(),
    }
}

pub(crate) fn refresh_names(config: &JwtConfig) -> Names<'_> {
    Names {
        cookie: config.refresh_cookie_name(),
        cookie_path: config.refresh_cookie_path(),
        csrf_cookie: config.refresh_csrf_cookie_name(),
        csrf_path: config.refresh_csrf_cookie_path(),
    }
}

fn cookie_domain(config: &JwtConfig, options: &CookieOptions) -> Option<String> {
    let domain = options
        .domain
        .as_deref()
        .filter(|d| !d.is_empty())
        .or(config.cookie_domain().filter(|d| !d.is_empty()))?;
    let host = domain.split(':').next().unwrap_or_default();
    Some(host.trim_start_matches('.').to_owned())
}

fn base(config: &JwtConfig, name: &str, value: &str, path: &str, http_only: bool) -> SetCookie {
    SetCookie {
        name: name.to_owned(),
        value: value.to_owned(),
        domain: None,
        expires: None,
        max_age: None,
        secure: config.cookie_secure(),
        http_only,
        path: path.to_owned(),
        same_site: config.cookie_samesite(),
    }
}

pub(crate) fn set(
    config: &JwtConfig,
    names: Names<'_>,
    token: &str,
    csrf: Option<&str>,
    options: &CookieOptions,
) -> CookieSet {
    let max_age = options
        .max_age
        .filter(|m| *m > 0)
        .or(config.cookie_max_age());
    let expires = max_age.map(|m| SystemTime::now() + Duration::from_secs(m));
    let domain = cookie_domain(config, options);
    let mut out = Vec::with_capacity(2);
    let mut jwt = base(config, names.cookie, token, names.cookie_path, true);
    jwt.domain.clone_from(&domain);
    jwt.max_age = max_age;
    jwt.expires = expires;
    out.push(jwt);
    if let Some(csrf) = csrf {
        let mut cookie = base(config, names.csrf_cookie, csrf, names.csrf_path, false);
        cookie.domain = domain;
        cookie.max_age = max_age;
        cookie.expires = expires;
        out.push(cookie);
    }
    CookieSet(out)
}

pub(crate) fn unset(config: &JwtConfig, names: Names<'_>, options: &CookieOptions) -> CookieSet {
    let domain = cookie_domain(config, options);
    let mut out = Vec::with_capacity(2);
    let mut jwt = base(config, names.cookie, "", names.cookie_path, true);
    jwt.domain.clone_from(&domain);
    jwt.expires = Some(SystemTime::UNIX_EPOCH);
    out.push(jwt);
    if config.cookie_csrf_protect() && config.csrf_in_cookies() {
        let mut cookie = base(config, names.csrf_cookie, "", names.csrf_path, false);
        cookie.domain = domain;
        cookie.expires = Some(SystemTime::UNIX_EPOCH);
        out.push(cookie);
    }
    CookieSet(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_lines() {
        let config = JwtConfig::new();
        let set = set(
            &config,
            access_names(&config),
            "tok",
            Some("uuid"),
            &CookieOptions::default(),
        );
        let lines: Vec<String> = set.header_values().collect();
        assert_eq!(
            lines,
            [
                "access_token_cookie=tok; HttpOnly; Path=/",
                "csrf_access_token=uuid; Path=/"
            ]
        );
        let unset = unset(&config, access_names(&config), &CookieOptions::default());
        let lines: Vec<String> = unset.header_values().collect();
        assert_eq!(
            lines,
            [
                "access_token_cookie=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Path=/",
                "csrf_access_token=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"
            ]
        );
    }

    #[test]
    fn custom_attributes() {
        let config = JwtConfig::new()
            .with_cookie_secure(true)
            .with_cookie_domain(".example.com")
            .with_cookie_samesite(SameSite::Strict)
            .with_session_cookie(false);
        let set = set(
            &config,
            access_names(&config),
            "tok",
            None,
            &CookieOptions::default(),
        );
        let line = set.header_values().next().unwrap_or_default();
        assert!(
            line.starts_with("access_token_cookie=tok; Domain=example.com; Expires="),
            "{line}"
        );
        assert!(
            line.ends_with("; Max-Age=31540000; Secure; HttpOnly; Path=/; SameSite=Strict"),
            "{line}"
        );
        let over = CookieOptions::default().max_age(60).domain("arg.com");
        let set = super::set(&config, access_names(&config), "tok", None, &over);
        let line = set.header_values().next().unwrap_or_default();
        assert!(
            line.contains("Domain=arg.com;") && line.contains("Max-Age=60;"),
            "{line}"
        );
    }
}
