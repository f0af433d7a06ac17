//! The option table: [`JwtConfig`] and everything generated from it.
//!
//! Each Flask option is declared once, in the [`options!`] invocation below.
//! A row gives the option's Flask name, its field, its kind, its default,
//! the parser that reads it from the environment ([`env`](super::env)), the
//! name of its `with_*` setter and the setter's documentation. From the rows
//! the macro writes the struct fields, `Default`, the setters, the getters
//! (named after the field, documented with the Flask name), the arms of
//! [`JwtConfig::set`] and [`OPTION_NAMES`]. Adding an option is adding a row.
//!
//! The kind says how the field is stored, what the setter takes and what the
//! getter returns:
//!
//! | kind            | field               | setter takes                    | getter returns      |
//! |-----------------|---------------------|---------------------------------|---------------------|
//! | `text`          | `String`            | `impl Into<String>`             | `&str`              |
//! | `texts`         | `Vec<String>`       | `impl IntoIterator<Item = S>` ¹ | `&[String]`         |
//! | `maybe_text`    | `Option<String>`    | `impl Into<String>` ²           | `Option<&str>`      |
//! | `flag`          | `bool`              | `bool`                          | `bool`              |
//! | `explicit_flag` | `Option<bool>` ³    | `bool`                          | `bool`              |
//! | `value[T]`      | `T` (`Copy`)        | `T`                             | `T`                 |
//! | `value_into[T]` | `T` (`Copy`)        | `impl Into<T>`                  | `T`                 |
//! | `list[T]`       | `Vec<T>`            | `impl IntoIterator<Item = T>`   | `&[T]`              |
//! | `secrets`       | `Vec<Secret>`       | `impl IntoIterator<Item = S>` ⁴ | `&[Secret]`         |
//! | `maybe[T]`      | `Option<T>`         | `impl Into<T>` ²                | `Option<&T>`        |
//! | `audiences`     | `Option<Vec<String>>` | `impl Into<OneOrMany>` ²       | `Option<&[String]>` |
//!
//! ¹ with `S: Into<String>`. ² The setter sets the option (`Some`); the
//! default is unset. ³ `None` until set, read as `false`: the setter and
//! the environment record that the value was chosen explicitly. ⁴ with
//! `S: Into<Secret>`.
//!
//! A row ending in `getter custom` gets no generated getter: its getter
//! computes an effective value and is written by hand after the table.
//! Secrets are [`Secret`]s, whose `Debug` output is redacted, so the derived
//! `Debug` of [`JwtConfig`] never shows them.

use std::time::Duration;

use super::env;
use super::{
    Algorithm, ConfigError, ConfigWarning, Expiry, OneOrMany, SameSite, Secret, TokenLocation,
};

/// The non-session cookie lifetime of the reference (about one year).
pub const NON_SESSION_COOKIE_MAX_AGE: u64 = 31_540_000;

/// The default `JWT_MAX_TOKEN_SIZE`: 16 KiB.
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 16 * 1024;

/// Writes [`JwtConfig`] from the option table (see the module docs).
macro_rules! options {
    (
        options {$(
            $(#[doc = $doc:literal])*
            $env:literal => $field:ident: $kind:ident $([$($arg:ty),+])? = $default:expr,
                parse $parser:path, set $setter:ident $(, getter $custom:ident)?;
        )*}
        other_fields {$(
            $(#[doc = $other_doc:literal])*
            $other:ident: $other_ty:ty = $other_default:expr,
        )*}
    ) => {
        /// Every Flask-JWT-Extended option, with the reference's default.
        ///
        /// Build one with [`JwtConfig::new`] (all defaults) and the `with_*` methods,
        /// or read it from the environment with [`JwtConfig::from_env`]. Each getter
        /// and setter names its Flask option in its documentation.
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub struct JwtConfig {
            $(
                $(#[doc = $doc])*
                pub(crate) $field: option_kind!(@type $kind $([$($arg),+])?),
            )*
            $(
                $(#[doc = $other_doc])*
                pub(crate) $other: $other_ty,
            )*
        }

        impl Default for JwtConfig {
            fn default() -> Self {
                Self {
                    $($field: $default,)*
                    $($other: $other_default,)*
                }
            }
        }

        impl JwtConfig {
            $(
                option_kind! {
                    @setter $kind $([$($arg),+])?;
                    $(#[doc = $doc])* $field, $setter
                }
                option_kind! {
                    @getter $($custom)?; $kind $([$($arg),+])?;
                    #[doc = concat!("`", $env, "`.")] $field
                }
            )*

            /// Sets the option named `name` (a Flask name) from text, with
            /// the option's parser. `Ok(false)` for names not in the table.
            pub(super) fn set_option(
                &mut self,
                name: &str,
                value: &str,
            ) -> Result<bool, ConfigError> {
                match name {
                    $($env => self.$field = $parser($env, value)?,)*
                    _ => return Ok(false),
                }
                Ok(true)
            }
        }

        /// The names of all 45 options (the reference's 43 and our
        /// `JWT_MAX_TOKEN_SIZE` and `JWT_SECRET_KEY_FALLBACKS`), as
        /// Flask-JWT-Extended spells them (in alphabetical order).
        pub const OPTION_NAMES: &[&str] = &[$($env),*];
    };
}

/// The per-kind pieces of [`options!`]: `@type` (the field's type),
/// `@setter` and `@getter` (see the kinds in the module docs).
macro_rules! option_kind {
    (@type text) => { String };
    (@type texts) => { Vec<String> };
    (@type maybe_text) => { Option<String> };
    (@type flag) => { bool };
    (@type explicit_flag) => { Option<bool> };
    (@type value[$t:ty]) => { $t };
    (@type value_into[$t:ty]) => { $t };
    (@type list[$t:ty]) => { Vec<$t> };
    (@type secrets) => { Vec<Secret> };
    (@type maybe[$t:ty]) => { Option<$t> };
    (@type audiences) => { Option<Vec<String>> };

    (@setter text; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter(mut self, value: impl Into<String>) -> Self {
            self.$field = value.into();
            self
        }
    };
    (@setter texts; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
            self.$field = values.into_iter().map(Into::into).collect();
            self
        }
    };
    (@setter maybe_text; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter(mut self, value: impl Into<String>) -> Self {
            self.$field = Some(value.into());
            self
        }
    };
    (@setter flag; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter(mut self, value: bool) -> Self {
            self.$field = value;
            self
        }
    };
    (@setter explicit_flag; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter(mut self, value: bool) -> Self {
            self.$field = Some(value);
            self
        }
    };
    (@setter value[$t:ty]; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter(mut self, value: $t) -> Self {
            self.$field = value;
            self
        }
    };
    (@setter value_into[$t:ty]; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter(mut self, value: impl Into<$t>) -> Self {
            self.$field = value.into();
            self
        }
    };
    (@setter list[$t:ty]; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter(mut self, values: impl IntoIterator<Item = $t>) -> Self {
            self.$field = values.into_iter().collect();
            self
        }
    };
    (@setter secrets; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter<S: Into<Secret>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
            self.$field = values.into_iter().map(Into::into).collect();
            self
        }
    };
    (@setter maybe[$t:ty]; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter(mut self, value: impl Into<$t>) -> Self {
            self.$field = Some(value.into());
            self
        }
    };
    (@setter audiences; $(#[$m:meta])* $field:ident, $setter:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $setter(mut self, value: impl Into<OneOrMany>) -> Self {
            self.$field = Some(value.into().as_slice().to_vec());
            self
        }
    };

    (@getter custom; $($rest:tt)*) => {};
    (@getter ; text; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> &str {
            &self.$field
        }
    };
    (@getter ; texts; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> &[String] {
            &self.$field
        }
    };
    (@getter ; maybe_text; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> Option<&str> {
            self.$field.as_deref()
        }
    };
    (@getter ; flag; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> bool {
            self.$field
        }
    };
    (@getter ; explicit_flag; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> bool {
            self.$field.unwrap_or(false)
        }
    };
    (@getter ; value[$t:ty]; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> $t {
            self.$field
        }
    };
    (@getter ; value_into[$t:ty]; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> $t {
            self.$field
        }
    };
    (@getter ; list[$t:ty]; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> &[$t] {
            &self.$field
        }
    };
    (@getter ; secrets; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> &[Secret] {
            &self.$field
        }
    };
    (@getter ; maybe[$t:ty]; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> Option<&$t> {
            self.$field.as_ref()
        }
    };
    (@getter ; audiences; $(#[$m:meta])* $field:ident) => {
        $(#[$m])*
        #[must_use]
        pub fn $field(&self) -> Option<&[String]> {
            self.$field.as_deref()
        }
    };
}

options! {
    options {
        /// `JWT_ACCESS_COOKIE_NAME` (default `access_token_cookie`): the cookie
        /// that holds the access token.
        "JWT_ACCESS_COOKIE_NAME" => access_cookie_name: text = "access_token_cookie".into(),
            parse env::text, set with_access_cookie_name;
        /// `JWT_ACCESS_COOKIE_PATH` (default `/`): `Path` of the access cookie.
        "JWT_ACCESS_COOKIE_PATH" => access_cookie_path: text = "/".into(),
            parse env::text, set with_access_cookie_path;
        /// `JWT_ACCESS_CSRF_COOKIE_NAME` (default `csrf_access_token`): the
        /// script-readable cookie holding the access token's CSRF value.
        "JWT_ACCESS_CSRF_COOKIE_NAME" => access_csrf_cookie_name: text = "csrf_access_token".into(),
            parse env::text, set with_access_csrf_cookie_name;
        /// `JWT_ACCESS_CSRF_COOKIE_PATH` (default `/`).
        "JWT_ACCESS_CSRF_COOKIE_PATH" => access_csrf_cookie_path: text = "/".into(),
            parse env::text, set with_access_csrf_cookie_path;
        /// `JWT_ACCESS_CSRF_FIELD_NAME` (default `csrf_token`): form field
        /// checked when [`with_csrf_check_form`](Self::with_csrf_check_form) is on.
        "JWT_ACCESS_CSRF_FIELD_NAME" => access_csrf_field_name: text = "csrf_token".into(),
            parse env::text, set with_access_csrf_field_name;
        /// `JWT_ACCESS_CSRF_HEADER_NAME` (default `X-CSRF-TOKEN`): header that
        /// carries the CSRF value for access-token cookies.
        "JWT_ACCESS_CSRF_HEADER_NAME" => access_csrf_header_name: text = "X-CSRF-TOKEN".into(),
            parse env::text, set with_access_csrf_header_name;
        /// `JWT_ACCESS_TOKEN_EXPIRES` (default 15 minutes). Accepts a
        /// [`Duration`] or an [`Expiry`].
        "JWT_ACCESS_TOKEN_EXPIRES" => access_token_expires: value_into[Expiry] =
            Expiry::After(Duration::from_secs(15 * 60)),
            parse env::expiry, set with_access_token_expires;
        /// `JWT_ALGORITHM` (default `HS256`): signs new tokens and picks the key
        /// configuration.
        "JWT_ALGORITHM" => algorithm: value[Algorithm] = Algorithm::HS256,
            parse env::algorithm, set with_algorithm;
        /// `JWT_COOKIE_CSRF_PROTECT` (default `true`): master CSRF switch. New
        /// tokens get a `csrf` claim, cookie lookups enforce CSRF on
        /// `JWT_CSRF_METHODS`, and the cookie helpers write CSRF cookies.
        "JWT_COOKIE_CSRF_PROTECT" => cookie_csrf_protect: flag = true,
            parse env::flag, set with_cookie_csrf_protect;
        /// `JWT_COOKIE_DOMAIN` (default unset: host-only cookies). A leading dot
        /// is dropped when the cookie is written, like Werkzeug does.
        "JWT_COOKIE_DOMAIN" => cookie_domain: maybe_text = None,
            parse env::maybe_text, set with_cookie_domain;
        /// `JWT_COOKIE_SAMESITE` (default unset: no `SameSite` attribute, as in
        /// the reference).
        "JWT_COOKIE_SAMESITE" => cookie_samesite: value_into[Option<SameSite>] = None,
            parse env::samesite, set with_cookie_samesite;
        /// `JWT_COOKIE_SECURE` (default `false`, as in the reference): adds
        /// `Secure` to every JWT and CSRF cookie.
        ///
        /// # Security
        /// Turn this on in production: without it browsers also send the cookies
        /// over plain HTTP. When cookies are a token location and this is off,
        /// building the manager logs a `tracing` warning, unless the value was
        /// set explicitly: `.with_cookie_secure(false)` (or
        /// `JWT_COOKIE_SECURE=false` in the environment) is the acknowledgement
        /// for local development over `http://`.
        "JWT_COOKIE_SECURE" => cookie_secure: explicit_flag = None,
            parse env::explicit_flag, set with_cookie_secure;
        /// `JWT_CSRF_CHECK_FORM` (default `false`): when the CSRF header is
        /// missing, also look in the form body (needs the
        /// [`JwtLayer`](crate::axum::JwtLayer) to buffer the body).
        "JWT_CSRF_CHECK_FORM" => csrf_check_form: flag = false,
            parse env::flag, set with_csrf_check_form;
        /// `JWT_CSRF_IN_COOKIES` (default `true`): whether the cookie helpers
        /// write the CSRF cookies. Does not turn CSRF checking off.
        "JWT_CSRF_IN_COOKIES" => csrf_in_cookies: flag = true,
            parse env::flag, set with_csrf_in_cookies;
        /// `JWT_CSRF_METHODS` (default `POST, PUT, PATCH, DELETE`): methods that
        /// need the CSRF value when the token came from a cookie. Compared
        /// case-sensitively with the upper-case request method, as in the reference.
        "JWT_CSRF_METHODS" => csrf_methods: texts =
            ["POST", "PUT", "PATCH", "DELETE"].map(String::from).to_vec(),
            parse env::list, set with_csrf_methods;
        /// `JWT_DECODE_ALGORITHMS` (default: only `JWT_ALGORITHM`): algorithms
        /// accepted when decoding. `JWT_ALGORITHM` is always added.
        "JWT_DECODE_ALGORITHMS" => decode_algorithms: list[Algorithm] = Vec::new(),
            parse env::algorithms, set with_decode_algorithms, getter custom;
        /// `JWT_DECODE_AUDIENCE` (default unset: audience not checked, even when
        /// a token has `aud`). Any overlap between the token's and these
        /// audiences passes.
        "JWT_DECODE_AUDIENCE" => decode_audience: audiences = None,
            parse env::audiences, set with_decode_audience;
        /// `JWT_DECODE_ISSUER` (default unset): expected `iss`. Given a list, any
        /// of its values is accepted. Matching is exact (no substring matching,
        /// unlike PyJWT 2.10.0's CVE-2024-53861).
        "JWT_DECODE_ISSUER" => decode_issuer: audiences = None,
            parse env::audiences, set with_decode_issuer;
        /// `JWT_DECODE_LEEWAY` (default 0): clock skew allowed on `exp`, `nbf`
        /// and `iat`.
        "JWT_DECODE_LEEWAY" => decode_leeway: value[Duration] = Duration::ZERO,
            parse env::seconds, set with_decode_leeway;
        /// `JWT_ENCODE_AUDIENCE` (default unset): `aud` written into new tokens,
        /// a string or a list.
        "JWT_ENCODE_AUDIENCE" => encode_audience: maybe[OneOrMany] = None,
            parse env::audience, set with_encode_audience;
        /// `JWT_ENCODE_ISSUER` (default unset): `iss` written into new tokens.
        "JWT_ENCODE_ISSUER" => encode_issuer: maybe_text = None,
            parse env::maybe_text, set with_encode_issuer;
        /// `JWT_ENCODE_NBF` (default `true`): write an `nbf` claim equal to `iat`.
        "JWT_ENCODE_NBF" => encode_nbf: flag = true,
            parse env::flag, set with_encode_nbf;
        /// `JWT_ERROR_MESSAGE_KEY` (default `msg`): key of the JSON error body.
        "JWT_ERROR_MESSAGE_KEY" => error_message_key: text = "msg".into(),
            parse env::text, set with_error_message_key;
        /// `JWT_HEADER_NAME` (default `Authorization`).
        "JWT_HEADER_NAME" => header_name: text = "Authorization".into(),
            parse env::text, set with_header_name;
        /// `JWT_HEADER_TYPE` (default `Bearer`): the scheme word before the
        /// token; empty means the header holds only the token.
        "JWT_HEADER_TYPE" => header_type: text = "Bearer".into(),
            parse env::text, set with_header_type;
        /// `JWT_IDENTITY_CLAIM` (default `sub`): the claim holding the identity.
        "JWT_IDENTITY_CLAIM" => identity_claim: text = "sub".into(),
            parse env::text, set with_identity_claim;
        /// `JWT_JSON_KEY` (default `access_token`): JSON body key of access tokens.
        "JWT_JSON_KEY" => json_key: text = "access_token".into(),
            parse env::text, set with_json_key;
        /// `JWT_MAX_TOKEN_SIZE` (default 16384 bytes, 16 KiB; **an addition**
        /// to the reference's options): the longest token accepted, in bytes
        /// of its encoded form. A longer one is refused before any base64 or
        /// JSON work, with [`ErrorKind::TokenTooLarge`](crate::ErrorKind::TokenTooLarge):
        /// 431 from a header, a cookie or the query string, 413 from the JSON
        /// body or [`decode_token`](crate::JwtManager::decode_token). The
        /// limit applies to each token (the token part of the `Authorization`
        /// header, one cookie's value), not to a whole header. The default
        /// holds identity-provider tokens with hundreds of groups (an RS256
        /// token with 300 group names of 30 characters is about 14 KB);
        /// raise it if yours are bigger. From the environment: a whole number
        /// of bytes.
        "JWT_MAX_TOKEN_SIZE" => max_token_size: value[usize] = DEFAULT_MAX_TOKEN_SIZE,
            parse env::size, set with_max_token_size;
        /// `JWT_PRIVATE_KEY` (default unset): PEM private key (PKCS#1, PKCS#8 or
        /// SEC1) used to sign with an asymmetric algorithm.
        "JWT_PRIVATE_KEY" => private_key: maybe[Secret] = None,
            parse env::secret, set with_private_key;
        /// `JWT_PUBLIC_KEY` (default unset): PEM public key used to verify with an
        /// asymmetric algorithm.
        "JWT_PUBLIC_KEY" => public_key: maybe_text = None,
            parse env::maybe_text, set with_public_key;
        /// `JWT_QUERY_STRING_NAME` (default `jwt`).
        "JWT_QUERY_STRING_NAME" => query_string_name: text = "jwt".into(),
            parse env::text, set with_query_string_name;
        /// `JWT_QUERY_STRING_VALUE_PREFIX` (default empty): literal prefix the
        /// query value must start with, e.g. `"Bearer "`.
        "JWT_QUERY_STRING_VALUE_PREFIX" => query_string_value_prefix: text = String::new(),
            parse env::text, set with_query_string_value_prefix;
        /// `JWT_REFRESH_COOKIE_NAME` (default `refresh_token_cookie`).
        "JWT_REFRESH_COOKIE_NAME" => refresh_cookie_name: text = "refresh_token_cookie".into(),
            parse env::text, set with_refresh_cookie_name;
        /// `JWT_REFRESH_COOKIE_PATH` (default `/`).
        "JWT_REFRESH_COOKIE_PATH" => refresh_cookie_path: text = "/".into(),
            parse env::text, set with_refresh_cookie_path;
        /// `JWT_REFRESH_CSRF_COOKIE_NAME` (default `csrf_refresh_token`).
        "JWT_REFRESH_CSRF_COOKIE_NAME" => refresh_csrf_cookie_name: text =
            "csrf_refresh_token".into(),
            parse env::text, set with_refresh_csrf_cookie_name;
        /// `JWT_REFRESH_CSRF_COOKIE_PATH` (default `/`).
        "JWT_REFRESH_CSRF_COOKIE_PATH" => refresh_csrf_cookie_path: text = "/".into(),
            parse env::text, set with_refresh_csrf_cookie_path;
        /// `JWT_REFRESH_CSRF_FIELD_NAME` (default `csrf_token`).
        "JWT_REFRESH_CSRF_FIELD_NAME" => refresh_csrf_field_name: text = "csrf_token".into(),
            parse env::text, set with_refresh_csrf_field_name;
        /// `JWT_REFRESH_CSRF_HEADER_NAME` (default `X-CSRF-TOKEN`).
        "JWT_REFRESH_CSRF_HEADER_NAME" => refresh_csrf_header_name: text = "X-CSRF-TOKEN".into(),
            parse env::text, set with_refresh_csrf_header_name;
        /// `JWT_REFRESH_JSON_KEY` (default `refresh_token`).
        "JWT_REFRESH_JSON_KEY" => refresh_json_key: text = "refresh_token".into(),
            parse env::text, set with_refresh_json_key;
        /// `JWT_REFRESH_TOKEN_EXPIRES` (default 30 days).
        "JWT_REFRESH_TOKEN_EXPIRES" => refresh_token_expires: value_into[Expiry] =
            Expiry::After(Duration::from_secs(30 * 24 * 3600)),
            parse env::expiry, set with_refresh_token_expires;
        /// `JWT_SECRET_KEY` (default unset): the HMAC secret for `HS*` algorithms.
        ///
        /// Use random bytes, at least as many as the hash's output (32 for
        /// HS256, 48 for HS384, 64 for HS512; RFC 7518 §3.2): building a manager
        /// with a shorter secret logs a warning, or fails with
        /// [`enforce_minimum_key_length`](crate::JwtManagerBuilder::enforce_minimum_key_length).
        "JWT_SECRET_KEY" => secret_key: maybe[Secret] = None,
            parse env::secret, set with_secret_key, getter custom;
        /// `JWT_SECRET_KEY_FALLBACKS` (default empty; **an addition** to the
        /// reference's options, after Flask's `SECRET_KEY_FALLBACKS`): former
        /// HMAC secrets that still verify tokens without a `kid`, tried in
        /// order after `JWT_SECRET_KEY` when it does not match. They never
        /// sign. Rotate a secret by moving the old one here, and drop it once
        /// the longest-lived token it signed has expired. From the
        /// environment: a JSON list (`["old-2", "old-1"]`) or comma-separated
        /// values. HMAC algorithms only.
        "JWT_SECRET_KEY_FALLBACKS" => secret_key_fallbacks: secrets = Vec::new(),
            parse env::secrets, set with_secret_key_fallbacks;
        /// `JWT_SESSION_COOKIE` (default `true`): session cookies (no
        /// `Max-Age`). When `false`, cookies get `Max-Age=31540000`.
        "JWT_SESSION_COOKIE" => session_cookie: flag = true,
            parse env::flag, set with_session_cookie;
        /// `JWT_TOKEN_LOCATION` (default `headers` only): where tokens are looked
        /// for, in order. Duplicates are dropped when the manager is built.
        "JWT_TOKEN_LOCATION" => token_location: list[TokenLocation] = vec![TokenLocation::Headers],
            parse env::locations, set with_token_location;
        /// `JWT_VERIFY_SUB` (default `true`): a `sub` claim, when present, must
        /// be a string (`Subject must be a string`). Turn off only to read
        /// legacy tokens with non-string subjects.
        "JWT_VERIFY_SUB" => verify_sub: flag = true,
            parse env::flag, set with_verify_sub;
    }
    other_fields {
        /// Flask's `SECRET_KEY` (the fallback for `JWT_SECRET_KEY`; read from
        /// the environment as `SECRET_KEY`, see [`JwtConfig::set`]).
        flask_secret_key: Option<Secret> = None,
        /// Unknown `JWT_*` names met while reading the environment, reported
        /// when the manager is built (names only, never their values).
        env_warnings: Vec<ConfigWarning> = Vec::new(),
    }
}

impl JwtConfig {
    /// A configuration with every option at the reference's default.
    ///
    /// The secret is unset: set [`with_secret_key`](Self::with_secret_key)
    /// (or keys for an asymmetric algorithm) before building a manager.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Flask's `SECRET_KEY`, used when `JWT_SECRET_KEY` is unset (as in the
    /// reference).
    #[must_use]
    pub fn with_flask_secret_key(mut self, secret: impl Into<Secret>) -> Self {
        self.flask_secret_key = Some(secret.into());
        self
    }

    /// The effective HMAC secret: `JWT_SECRET_KEY`, else Flask's `SECRET_KEY`.
    #[must_use]
    pub fn secret_key(&self) -> Option<&Secret> {
        let set = |secret: &&Secret| !secret.expose().is_empty();
        self.secret_key
            .as_ref()
            .filter(set)
            .or(self.flask_secret_key.as_ref().filter(set))
    }

    /// The effective `JWT_DECODE_ALGORITHMS`: the configured list (or
    /// `[JWT_ALGORITHM]`) with `JWT_ALGORITHM` appended when missing.
    #[must_use]
    pub fn decode_algorithms(&self) -> Vec<Algorithm> {
        let mut algorithms = self.decode_algorithms.clone();
        if !algorithms.contains(&self.algorithm) {
            algorithms.push(self.algorithm);
        }
        algorithms
    }

    /// The unknown `JWT_*` names met while reading the environment, as
    /// warnings for the manager's builder.
    pub(crate) fn env_warnings(&self) -> &[ConfigWarning] {
        &self.env_warnings
    }

    /// Whether `JWT_COOKIE_SECURE` was set explicitly (even to `false`): the
    /// acknowledgement that silences the start-up warning.
    pub(crate) fn cookie_secure_is_explicit(&self) -> bool {
        self.cookie_secure.is_some()
    }

    /// The `Max-Age` the cookie helpers write by default: `None` for session
    /// cookies, else [`NON_SESSION_COOKIE_MAX_AGE`].
    #[must_use]
    pub fn cookie_max_age(&self) -> Option<u64> {
        if self.session_cookie {
            None
        } else {
            Some(NON_SESSION_COOKIE_MAX_AGE)
        }
    }
}
