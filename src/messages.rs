//! The error messages the library sends, as Flask-JWT-Extended 4.7.1 sends
//! them.
//!
//! With the default responses, each message is the `msg` of the JSON error
//! body (`{"msg": "..."}`), with the status noted on each item. Messages the
//! reference builds from configuration (a header or cookie name) are
//! functions; the constant next to each shows the text under the default
//! configuration.
//!
//! Every item here is checked against answers recorded from the real Python
//! library (`tests/messages.rs`, recorded by `interop/record_messages.py`),
//! so these strings cannot drift from the reference. They are useful to
//! match on in tests, or to tell one failure from another in a custom
//! response:
//!
//! ```
//! use jwt_extended::messages;
//!
//! assert_eq!(messages::missing_header("Authorization"), messages::MISSING_AUTHORIZATION_HEADER);
//! assert_eq!(messages::missing_cookie("access_token_cookie"), r#"Missing cookie "access_token_cookie""#);
//! ```
//!
//! Messages that only this crate sends (a body too large to search, a
//! blocklist that does not answer, a missing layer) are not listed: the
//! reference has no counterpart to check them against. The one exception,
//! [`TOKEN_TOO_LARGE`], is at the end, marked as ours.

use crate::config::TokenLocation;

// ---------------------------------------------------------------------------
// Token lookup: the `Authorization` header.
// ---------------------------------------------------------------------------

/// No `Authorization` header (401). See [`missing_header`] for another
/// `JWT_HEADER_NAME`.
pub const MISSING_AUTHORIZATION_HEADER: &str = "Missing Authorization Header";

/// No header named `header_name` (`JWT_HEADER_NAME`), or an empty one (401).
///
/// ```
/// assert_eq!(jwt_extended::messages::missing_header("X-Token"), "Missing X-Token Header");
/// ```
#[must_use]
pub fn missing_header(header_name: &str) -> String {
    format!("Missing {header_name} Header")
}

/// An `Authorization` header without a `Bearer` part (401). See
/// [`missing_header_type`].
pub const MISSING_BEARER_TYPE: &str =
    "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";

/// A header without a part of type `header_type` (`JWT_HEADER_TYPE`), or with
/// several (401).
///
/// ```
/// use jwt_extended::messages;
///
/// assert_eq!(messages::missing_header_type("Authorization", "Bearer"), messages::MISSING_BEARER_TYPE);
/// ```
#[must_use]
pub fn missing_header_type(header_name: &str, header_type: &str) -> String {
    format!(
        "Missing '{header_type}' type in '{header_name}' header. Expected '{header_name}: {header_type} <JWT>'"
    )
}

/// An `Authorization: Bearer` header that is not `Bearer <JWT>` (422). See
/// [`bad_header`].
pub const BAD_AUTHORIZATION_HEADER: &str =
    "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";

/// A header whose `header_type` part is not followed by exactly one token
/// (422). With an empty `JWT_HEADER_TYPE`, the header must be the token
/// alone.
///
/// ```
/// use jwt_extended::messages;
///
/// assert_eq!(messages::bad_header("Authorization", "Bearer"), messages::BAD_AUTHORIZATION_HEADER);
/// assert_eq!(messages::bad_header("X-Token", ""), "Bad X-Token header. Expected 'X-Token: <JWT>'");
/// ```
#[must_use]
pub fn bad_header(header_name: &str, header_type: &str) -> String {
    if header_type.is_empty() {
        format!("Bad {header_name} header. Expected '{header_name}: <JWT>'")
    } else {
        format!("Bad {header_name} header. Expected '{header_name}: {header_type} <JWT>'")
    }
}

// ---------------------------------------------------------------------------
// Token lookup: cookies and CSRF.
// ---------------------------------------------------------------------------

/// No access-token cookie (401). See [`missing_cookie`].
pub const MISSING_ACCESS_COOKIE: &str = "Missing cookie \"access_token_cookie\"";

/// No refresh-token cookie (401). See [`missing_cookie`].
pub const MISSING_REFRESH_COOKIE: &str = "Missing cookie \"refresh_token_cookie\"";

/// No cookie named `cookie_name`, or an empty one (401).
#[must_use]
pub fn missing_cookie(cookie_name: &str) -> String {
    format!("Missing cookie \"{cookie_name}\"")
}

/// A token from a cookie, on a CSRF-protected method, without the CSRF value
/// in the header (or form field) (401).
pub const MISSING_CSRF_TOKEN: &str = "Missing CSRF token";

/// The CSRF value sent differs from the token's `csrf` claim (401).
pub const CSRF_MISMATCH: &str = "CSRF double submit tokens do not match";

/// A CSRF value was sent with a token that has no `csrf` claim (422).
pub const MISSING_CSRF_CLAIM: &str = "Missing claim: csrf";

// ---------------------------------------------------------------------------
// Token lookup: query string and JSON body.
// ---------------------------------------------------------------------------

/// No `jwt` query parameter (401). The reference misspells "parameter"; so
/// do we. See [`missing_query_param`].
pub const MISSING_JWT_QUERY_PARAM: &str = "Missing 'jwt' query paramater";

/// No query parameter named `name` (`JWT_QUERY_STRING_NAME`), or an empty
/// one (401).
#[must_use]
pub fn missing_query_param(name: &str) -> String {
    format!("Missing '{name}' query paramater")
}

/// The query parameter `name` does not start with `prefix`
/// (`JWT_QUERY_STRING_VALUE_PREFIX`) (422).
///
/// ```
/// assert_eq!(
///     jwt_extended::messages::invalid_query_param("jwt", "Bearer "),
///     "Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '"
/// );
/// ```
#[must_use]
pub fn invalid_query_param(name: &str, prefix: &str) -> String {
    format!(
        "Invalid value for query parameter '{name}'. Expected the value to start with '{prefix}'"
    )
}

/// The `json` location on a request whose body is not JSON (401).
pub const INVALID_JSON_CONTENT_TYPE: &str = "Invalid content-type. Must be application/json.";

/// No `access_token` key in the JSON body, or a falsy value (401). See
/// [`missing_json_key`].
pub const MISSING_ACCESS_TOKEN_JSON_KEY: &str = "Missing \"access_token\" key in json data.";

/// No `refresh_token` key in the JSON body, or a falsy value (401). See
/// [`missing_json_key`].
pub const MISSING_REFRESH_TOKEN_JSON_KEY: &str = "Missing \"refresh_token\" key in json data.";

/// No key named `key` (`JWT_JSON_KEY`, `JWT_REFRESH_JSON_KEY`) in the JSON
/// body, or a falsy value (401).
#[must_use]
pub fn missing_json_key(key: &str) -> String {
    format!("Missing \"{key}\" key in json data.")
}

/// The token in the JSON body is not a string (422).
pub const TOKEN_NOT_A_STRING: &str = "Invalid token type. Token must be a <class 'bytes'>";

/// The token was looked for in several locations and found in none (401):
/// `Missing JWT in headers or cookies (<message of each location>)`.
/// With one location, its own message.
///
/// ```
/// use jwt_extended::{config::TokenLocation, messages};
///
/// let text = messages::missing_in_locations(
///     &[TokenLocation::Headers, TokenLocation::Cookies],
///     &[messages::MISSING_AUTHORIZATION_HEADER.to_owned(), messages::MISSING_ACCESS_COOKIE.to_owned()],
/// );
/// assert_eq!(
///     text,
///     r#"Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "access_token_cookie")"#
/// );
/// ```
#[must_use]
pub fn missing_in_locations(locations: &[TokenLocation], messages: &[String]) -> String {
    match locations {
        [] => String::new(),
        [_] => messages.first().cloned().unwrap_or_default(),
        [init @ .., last] => {
            let start: Vec<&str> = init.iter().map(|l| l.as_str()).collect();
            format!(
                "Missing JWT in {} or {} ({})",
                start.join(", "),
                last.as_str(),
                messages.join("; ")
            )
        }
    }
}

// ---------------------------------------------------------------------------
// Decoding: the token's segments and header (PyJWT's JWS layer). All 422.
// ---------------------------------------------------------------------------

/// The token has fewer than three `.`-separated segments (422).
pub const NOT_ENOUGH_SEGMENTS: &str = "Not enough segments";

/// The header segment is not strict base64url (422).
pub const INVALID_HEADER_PADDING: &str = "Invalid header padding";

/// The payload segment is not strict base64url (422).
pub const INVALID_PAYLOAD_PADDING: &str = "Invalid payload padding";

/// The signature segment is not strict base64url (422).
pub const INVALID_CRYPTO_PADDING: &str = "Invalid crypto padding";

/// The header is JSON but not an object (422).
pub const HEADER_NOT_AN_OBJECT: &str = "Invalid header string: must be a json object";

/// The payload is JSON but not an object (422).
pub const PAYLOAD_NOT_AN_OBJECT: &str = "Invalid payload string: must be a json object";

/// The header is not JSON: `detail` is Python's `json.loads` error (422).
///
/// ```
/// assert_eq!(
///     jwt_extended::messages::invalid_header_json("Expecting value: line 1 column 1 (char 0)"),
///     "Invalid header string: Expecting value: line 1 column 1 (char 0)"
/// );
/// ```
#[must_use]
pub fn invalid_header_json(detail: &str) -> String {
    format!("Invalid header string: {detail}")
}

/// The payload is not JSON: `detail` is Python's `json.loads` error (422).
#[must_use]
pub fn invalid_payload_json(detail: &str) -> String {
    format!("Invalid payload string: {detail}")
}

/// A `kid` header parameter that is not a string (422).
pub const KID_NOT_A_STRING: &str = "Key ID header parameter must be a string";

/// A `crit` header parameter that is not a non-empty list (422).
pub const CRIT_NOT_A_LIST: &str = "Invalid 'crit' header: must be a non-empty list";

/// A `crit` list with a value that is not a string (422).
pub const CRIT_VALUE_NOT_A_STRING: &str = "Invalid 'crit' header: values must be strings";

/// A `crit` list naming an extension other than `b64` (422).
#[must_use]
pub fn unsupported_critical_extension(extension: &str) -> String {
    format!("Unsupported critical extension: {extension}")
}

/// A `crit` list naming an extension whose parameter is absent (422).
#[must_use]
pub fn critical_extension_missing(extension: &str) -> String {
    format!("Critical extension '{extension}' is missing from headers")
}

/// `"b64": false` with a non-empty payload segment (422).
pub const B64_PAYLOAD_NOT_EMPTY: &str = "Payload segment must be empty when 'b64' is false.";

/// `"b64": false` without `b64` in `crit` (422).
pub const B64_NOT_IN_CRIT: &str =
    "The 'b64' header parameter requires 'b64' to be listed in 'crit'.";

/// A detached payload (`"b64": false`), which the reference cannot decode
/// (422).
pub const DETACHED_PAYLOAD_REQUIRED: &str = "It is required that you pass in a value for the \"detached_payload\" argument to decode a message having the b64 header set to false.";

/// No `alg` header parameter (422).
pub const ALGORITHM_NOT_SPECIFIED: &str = "Algorithm not specified";

/// An `alg` outside the decode algorithms (422).
pub const ALGORITHM_NOT_ALLOWED: &str = "The specified alg value is not allowed";

/// The signature does not match (422).
pub const SIGNATURE_VERIFICATION_FAILED: &str = "Signature verification failed";

/// A refresh token presented again after it was exchanged (401): the
/// session is revoked. Not in the reference, which does not rotate.
pub const REFRESH_TOKEN_REUSED: &str = "Refresh token has already been used";

/// A trusted issuer's keys cannot be fetched and the token needs a key not
/// already known (503). Not in the reference, which has no remote keys.
pub const KEYS_UNAVAILABLE: &str = "Token signing keys are unavailable";

// ---------------------------------------------------------------------------
// Decoding: the claims, in PyJWT's order.
// ---------------------------------------------------------------------------

/// An `iat` claim that Python's `int()` refuses (422).
pub const IAT_NOT_AN_INTEGER: &str = "Issued At claim (iat) must be an integer.";

/// An `iat` in the future, beyond the leeway (422).
pub const IAT_IN_THE_FUTURE: &str = "The token is not yet valid (iat)";

/// An `nbf` claim that Python's `int()` refuses (422).
pub const NBF_NOT_AN_INTEGER: &str = "Not Before claim (nbf) must be an integer.";

/// An `nbf` in the future, beyond the leeway (422).
pub const NBF_IN_THE_FUTURE: &str = "The token is not yet valid (nbf)";

/// An `exp` claim that Python's `int()` refuses (422).
pub const EXP_NOT_AN_INTEGER: &str = "Expiration Time claim (exp) must be an integer.";

/// The token has expired (401).
pub const TOKEN_EXPIRED: &str = "Token has expired";

/// A required claim (`iss` with `JWT_DECODE_ISSUER`, `aud` with
/// `JWT_DECODE_AUDIENCE`) is absent (422).
///
/// ```
/// assert_eq!(jwt_extended::messages::missing_required_claim("aud"), r#"Token is missing the "aud" claim"#);
/// ```
#[must_use]
pub fn missing_required_claim(claim: &str) -> String {
    format!("Token is missing the \"{claim}\" claim")
}

/// An `iss` not in `JWT_DECODE_ISSUER` (422).
pub const INVALID_ISSUER: &str = "Invalid issuer";

/// An `iss` that is not a string (422).
pub const ISSUER_NOT_A_STRING: &str = "Payload Issuer (iss) must be a string";

/// An `aud` that is neither a string nor a list of strings (422).
pub const INVALID_AUDIENCE_FORMAT: &str = "Invalid claim format in token";

/// No `aud` value in `JWT_DECODE_AUDIENCE` (422).
pub const AUDIENCE_MISMATCH: &str = "Audience doesn't match";

/// A `sub` that is not a string (with `JWT_VERIFY_SUB`) (422).
pub const SUBJECT_NOT_A_STRING: &str = "Subject must be a string";

/// A `jti` that is not a string (422).
pub const JTI_NOT_A_STRING: &str = "JWT ID must be a string";

/// No identity claim (`JWT_IDENTITY_CLAIM`, `sub` by default) (422).
///
/// ```
/// assert_eq!(jwt_extended::messages::missing_claim("sub"), "Missing claim: sub");
/// ```
#[must_use]
pub fn missing_claim(claim: &str) -> String {
    format!("Missing claim: {claim}")
}

// ---------------------------------------------------------------------------
// After decoding: type, freshness, revocation, custom checks, user lookup.
// ---------------------------------------------------------------------------

/// A refresh token where an access token is required (422).
pub const ONLY_ACCESS_TOKENS: &str = "Only non-refresh tokens are allowed";

/// An access token where a refresh token is required (422).
pub const ONLY_REFRESH_TOKENS: &str = "Only refresh tokens are allowed";

/// A token that is not fresh where a fresh one is required (401).
pub const FRESH_TOKEN_REQUIRED: &str = "Fresh token required";

/// A token the blocklist says is revoked (401).
pub const TOKEN_REVOKED: &str = "Token has been revoked";

/// The claims verification hook refused the token (400).
pub const USER_CLAIMS_VERIFICATION_FAILED: &str = "User claims verification failed";

/// The user lookup hook found no user for `identity`, rendered the way
/// Python's `str()` renders it (401).
///
/// ```
/// assert_eq!(jwt_extended::messages::user_lookup_failed("alice"), "Error loading the user alice");
/// ```
#[must_use]
pub fn user_lookup_failed(identity: &str) -> String {
    format!("Error loading the user {identity}")
}

// ---------------------------------------------------------------------------
// Ours, not the reference's: it has no token size limit of its own.
// ---------------------------------------------------------------------------

/// **Ours, not the reference's.** A token longer than `JWT_MAX_TOKEN_SIZE`
/// ([`ErrorKind::TokenTooLarge`](crate::ErrorKind::TokenTooLarge)): 431 from
/// a header, a cookie or the query string, 413 from the JSON body or
/// [`decode_token`](crate::JwtManager::decode_token).
pub const TOKEN_TOO_LARGE: &str = "Token is too large";
