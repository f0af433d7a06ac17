//! The HTTP side of remote keys: one bounded GET (size, time, redirects),
//! the URL rules (`https`, or `http` on loopback) and OIDC discovery.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL};
use reqwest::{Client, Url, redirect};

use super::remote::RemoteKeysError;

/// A fetched document and the freshness its server gave it.
pub(crate) struct Fetched {
    pub(crate) body: Vec<u8>,
    /// `Cache-Control: max-age` (`Some(0)` for `no-store`/`no-cache`).
    pub(crate) max_age: Option<Duration>,
}

/// Parses `url` and checks its scheme: `https`, or `http` when the host is
/// a loopback address (`localhost`, `127.0.0.0/8`, `::1`) or `allow_http`.
pub(crate) fn checked_url(url: &str, allow_http: bool) -> Result<Url, RemoteKeysError> {
    let parsed = Url::parse(url).map_err(|e| RemoteKeysError::InvalidUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if allow_http || is_loopback(&parsed) => Ok(parsed),
        "http" => Err(RemoteKeysError::InsecureUrl(url.to_owned())),
        other => Err(RemoteKeysError::InvalidUrl {
            url: url.to_owned(),
            reason: format!("the scheme {other:?} is not http(s)"),
        }),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Whether two URLs share scheme, host and port.
fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// The client made when the user brings none: connect timeout, redirects
/// only within the same origin (at most 5), rustls.
pub(crate) fn default_client(connect_timeout: Duration) -> Result<Client, RemoteKeysError> {
    let policy = redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().cloned();
        match first {
            Some(first) if attempt.previous().len() <= 5 && same_origin(&first, attempt.url()) => {
                attempt.follow()
            }
            _ => attempt.stop(),
        }
    });
    Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(policy)
        .user_agent(concat!("jwt-extended/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| RemoteKeysError::Transport(e.to_string()))
}

/// GETs `url` as JSON: at most `max_bytes` of body, within `timeout` in all
/// (connect, headers and body), refusing an answer from another origin
/// (a redirect the client followed) and any status but 200.
pub(crate) async fn get_json(
    client: &Client,
    url: &Url,
    timeout: Duration,
    max_bytes: usize,
) -> Result<Fetched, RemoteKeysError> {
    let fetch = async {
        let mut response = client
            .get(url.clone())
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| RemoteKeysError::Transport(e.to_string()))?;
        if !same_origin(response.url(), url) {
            return Err(RemoteKeysError::Transport(format!(
                "redirected to another origin ({})",
                response.url().origin().ascii_serialization()
            )));
        }
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(RemoteKeysError::Status(status.as_u16()));
        }
        let max_age = response
            .headers()
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(cache_max_age);
        if response
            .content_length()
            .is_some_and(|len| len > max_bytes as u64)
        {
            return Err(RemoteKeysError::TooLarge(max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| RemoteKeysError::Transport(e.to_string()))?
        {
            if body.len() + chunk.len() > max_bytes {
                return Err(RemoteKeysError::TooLarge(max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, max_age })
    };
    crate::runtime::with_timeout(timeout, fetch)
        .await
        .unwrap_or(Err(RemoteKeysError::Timeout(timeout)))
}

/// The freshness a `Cache-Control` value gives: `max-age=N`, or zero for
/// `no-store`/`no-cache`.
fn cache_max_age(value: &str) -> Option<Duration> {
    value.split(',').map(str::trim).find_map(|directive| {
        let (name, arg) = directive.split_once('=').unwrap_or((directive, ""));
        match name.trim().to_ascii_lowercase().as_str() {
            "max-age" => arg
                .trim()
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs),
            "no-store" | "no-cache" => Some(Duration::ZERO),
            _ => None,
        }
    })
}

/// The discovery document's URL for `issuer`
/// (`{issuer}/.well-known/openid-configuration`, OpenID Connect Discovery
/// §4).
pub(crate) fn discovery_url(issuer: &str, allow_http: bool) -> Result<Url, RemoteKeysError> {
    let base = issuer.trim_end_matches('/');
    checked_url(
        &format!("{base}/.well-known/openid-configuration"),
        allow_http,
    )
}

/// Reads `jwks_uri` from a discovery document, after checking that it
/// describes `issuer` (OpenID Connect Discovery §4.3).
pub(crate) fn jwks_uri_of(
    document: &[u8],
    issuer: &str,
    allow_http: bool,
) -> Result<Url, RemoteKeysError> {
    let bad = |reason: &str| RemoteKeysError::Discovery(reason.to_owned());
    let document: serde_json::Value =
        serde_json::from_slice(document).map_err(|_| bad("the document is not JSON"))?;
    match document.get("issuer").and_then(|v| v.as_str()) {
        Some(found) if found == issuer => {}
        Some(found) => {
            return Err(RemoteKeysError::Discovery(format!(
                "the document is for issuer {found:?}, not {issuer:?}"
            )));
        }
        None => return Err(bad("the document has no \"issuer\"")),
    }
    let uri = document
        .get("jwks_uri")
        .and_then(|v| v.as_str())
        .ok_or_else(|| bad("the document has no \"jwks_uri\""))?;
    checked_url(uri, allow_http)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_unless_loopback() {
        assert!(checked_url("https://idp.example/jwks", false).is_ok());
        for ok in [
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://[::1]:9/x",
            "http://127.3.2.1/",
        ] {
            assert!(checked_url(ok, false).is_ok(), "{ok}");
        }
        assert!(matches!(
            checked_url("http://idp.example/jwks", false),
            Err(RemoteKeysError::InsecureUrl(_))
        ));
        assert!(checked_url("http://idp.example/jwks", true).is_ok());
        assert!(checked_url("file:///etc/passwd", true).is_err());
        assert!(checked_url("not a url", true).is_err());
    }

    #[test]
    fn cache_control() {
        assert_eq!(
            cache_max_age("public, max-age=300"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(cache_max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(
            cache_max_age("max-age=\"60\", must-revalidate"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(cache_max_age("public"), None);
        assert_eq!(cache_max_age("max-age=abc"), None);
    }

    #[test]
    fn discovery_documents() {
        let issuer = "https://idp.example/realms/a";
        assert_eq!(
            discovery_url("https://idp.example/realms/a/", false)
                .unwrap()
                .as_str(),
            "https://idp.example/realms/a/.well-known/openid-configuration"
        );
        let doc =
            br#"{"issuer":"https://idp.example/realms/a","jwks_uri":"https://idp.example/certs"}"#;
        assert_eq!(
            jwks_uri_of(doc, issuer, false).unwrap().as_str(),
            "https://idp.example/certs"
        );
        let other = br#"{"issuer":"https://evil.example","jwks_uri":"https://idp.example/certs"}"#;
        assert!(jwks_uri_of(other, issuer, false).is_err());
        let insecure =
            br#"{"issuer":"https://idp.example/realms/a","jwks_uri":"http://idp.example/certs"}"#;
        assert!(jwks_uri_of(insecure, issuer, false).is_err());
        assert!(jwks_uri_of(b"nope", issuer, false).is_err());
    }
}
