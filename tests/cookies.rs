//! Port of the reference's `tests/test_cookies.py`, plus the exact
//! `Set-Cookie` lines of spec §6.3 and the CSRF corner cases of §5.3/§7.
//!
//! Written once, run on every framework: the routes are the shared test app
//! (`common::frameworks`), served on axum and on actix-web; the tests that
//! only call the manager need no framework.

mod common;
mod cookie_support;

use std::time::Duration;

use axum::http::Method;
use common::frameworks::{FRAMEWORKS, Framework, TestServer};
use common::manager_with;
use cookie_support::{Client, cookie, multipart, parsed};
use jwt_extended::config::{SameSite, TokenLocation};
use jwt_extended::cookies::CookieOptions;
use jwt_extended::{ErrorKind, JwtConfig};
use serde_json::json;

/// The reference fixture's app: cookies only, secret `foobarbaz`.
fn base() -> JwtConfig {
    JwtConfig::new()
        .with_secret_key("foobarbaz")
        .with_token_location([TokenLocation::Cookies])
}

async fn app(framework: Framework, config: JwtConfig) -> TestServer {
    TestServer::start(framework, manager_with(config)).await
}

/// (login url, JWT cookie, CSRF cookie, GET url, POST url, delete url) for
/// refresh and access, as the reference parametrises.
const KINDS: [(&str, &str, &str, &str, &str, &str); 2] = [
    (
        "/refresh_token",
        "refresh_token_cookie",
        "csrf_refresh_token",
        "/refresh_protected",
        "/post_refresh_protected",
        "/delete_refresh_tokens",
    ),
    (
        "/access_token",
        "access_token_cookie",
        "csrf_access_token",
        "/protected",
        "/post_protected",
        "/delete_access_tokens",
    ),
];

#[tokio::test]
async fn jwt_required_with_cookies() {
    for fw in FRAMEWORKS {
        let app = app(fw, base()).await;
        for (login, cookie_name, _, protected_url, _, delete_url) in KINDS {
            let mut client = Client::new();
            let missing = format!("Missing cookie \"{cookie_name}\"");
            client
                .get_path(&app, protected_url)
                .await
                .assert_error(401, &missing);

            client.get_path(&app, login).await;
            let r = client.get_path(&app, protected_url).await;
            r.assert_json(200, json!({"foo": "bar"}));

            client.get_path(&app, delete_url).await;
            client
                .get_path(&app, protected_url)
                .await
                .assert_error(401, &missing);

            client.get_path(&app, login).await;
            client
                .get_path(&app, protected_url)
                .await
                .assert_status(200);
            client.get_path(&app, "/delete_tokens").await;
            client
                .get_path(&app, protected_url)
                .await
                .assert_error(401, &missing);
            assert!(
                client.jar.is_empty(),
                "all cookies deleted: {:?}",
                client.jar
            );
        }
    }
}

#[tokio::test]
async fn default_csrf_protection() {
    for fw in FRAMEWORKS {
        let app = app(fw, base()).await;
        for (login, _, csrf_cookie, _, post_url, _) in KINDS {
            let mut client = Client::new();
            let r = client.get_path(&app, login).await;
            let csrf = cookie(&r, csrf_cookie).value;

            client
                .post_path(&app, post_url, &[])
                .await
                .assert_error(401, "Missing CSRF token");
            let r = client
                .post_path(&app, post_url, &[("X-CSRF-TOKEN", &csrf)])
                .await;
            r.assert_json(200, json!({"foo": "bar"}));
            // Header names are case-insensitive.
            let r = client
                .post_path(&app, post_url, &[("x-csrf-token", &csrf)])
                .await;
            r.assert_status(200);
            // An empty header counts as missing.
            client
                .post_path(&app, post_url, &[("X-CSRF-TOKEN", "")])
                .await
                .assert_error(401, "Missing CSRF token");
        }
    }
}

#[tokio::test]
async fn non_matching_csrf_token() {
    for fw in FRAMEWORKS {
        let app = app(fw, base()).await;
        for (login, _, _, _, post_url, _) in KINDS {
            let mut client = Client::new();
            client.get_path(&app, login).await;
            client
                .post_path(&app, post_url, &[("X-CSRF-TOKEN", "totally_wrong_token")])
                .await
                .assert_error(401, "CSRF double submit tokens do not match");
        }
    }
}

#[tokio::test]
async fn refresh_csrf_value_does_not_open_access_routes() {
    for fw in FRAMEWORKS {
        let app = app(fw, base()).await;
        let mut client = Client::new();
        client.get_path(&app, "/access_token").await;
        client.get_path(&app, "/refresh_token").await;
        let refresh_csrf = client
            .get("csrf_refresh_token")
            .unwrap_or_default()
            .to_owned();
        let access_csrf = client
            .get("csrf_access_token")
            .unwrap_or_default()
            .to_owned();
        assert_ne!(refresh_csrf, access_csrf);
        client
            .post_path(&app, "/post_protected", &[("X-CSRF-TOKEN", &refresh_csrf)])
            .await
            .assert_error(401, "CSRF double submit tokens do not match");
        client
            .post_path(
                &app,
                "/post_refresh_protected",
                &[("X-CSRF-TOKEN", &access_csrf)],
            )
            .await
            .assert_error(401, "CSRF double submit tokens do not match");
        let r = client
            .post_path(
                &app,
                "/post_refresh_protected",
                &[("X-CSRF-TOKEN", &refresh_csrf)],
            )
            .await;
        r.assert_status(200);
    }
}

#[tokio::test]
async fn csrf_disabled() {
    for fw in FRAMEWORKS {
        let app = app(fw, base().with_cookie_csrf_protect(false)).await;
        for (login, _, _, _, post_url, _) in KINDS {
            let mut client = Client::new();
            let r = client.get_path(&app, login).await;
            assert_eq!(r.set_cookies().len(), 1);
            let r = client.post_path(&app, post_url, &[]).await;
            r.assert_json(200, json!({"foo": "bar"}));
        }
    }
}

#[tokio::test]
async fn csrf_with_custom_header_names() {
    for fw in FRAMEWORKS {
        let app = app(
            fw,
            base()
                .with_access_csrf_header_name("FOO")
                .with_refresh_csrf_header_name("FOO"),
        )
        .await;
        for (login, _, csrf_cookie, _, post_url, _) in KINDS {
            let mut client = Client::new();
            let r = client.get_path(&app, login).await;
            let csrf = cookie(&r, csrf_cookie).value;
            let r = client.post_path(&app, post_url, &[("FOO", &csrf)]).await;
            r.assert_json(200, json!({"foo": "bar"}));
            // The default header name no longer counts.
            client
                .post_path(&app, post_url, &[("X-CSRF-TOKEN", &csrf)])
                .await
                .assert_error(401, "Missing CSRF token");
        }
    }
}

#[tokio::test]
async fn csrf_with_default_form_field() {
    for fw in FRAMEWORKS {
        let app = app(fw, base().with_csrf_check_form(true)).await;
        for (login, _, csrf_cookie, _, post_url, _) in KINDS {
            let mut client = Client::new();
            let r = client.get_path(&app, login).await;
            let csrf = cookie(&r, csrf_cookie).value;
            let r = client
                .post_form(&app, post_url, &[("csrf_token", &csrf)])
                .await;
            r.assert_json(200, json!({"foo": "bar"}));
            // multipart/form-data works too.
            let (content_type, body) = multipart(&[("other", "x"), ("csrf_token", &csrf)]);
            let r = client
                .send(
                    &app,
                    Method::POST,
                    post_url,
                    &[],
                    Some((&content_type, body)),
                )
                .await;
            r.assert_status(200);
            // A wrong form value is a mismatch, no value is missing.
            client
                .post_form(&app, post_url, &[("csrf_token", "nope")])
                .await
                .assert_error(401, "CSRF double submit tokens do not match");
            client
                .post_form(&app, post_url, &[("other", &csrf)])
                .await
                .assert_error(401, "Missing CSRF token");
        }
    }
}

#[tokio::test]
async fn csrf_header_wins_over_form() {
    for fw in FRAMEWORKS {
        let app = app(fw, base().with_csrf_check_form(true)).await;
        let mut client = Client::new();
        let r = client.get_path(&app, "/access_token").await;
        let csrf = cookie(&r, "csrf_access_token").value;
        let body = cookie_support::form_urlencoded(&[("csrf_token", &csrf)]);
        let r = client
            .send(
                &app,
                Method::POST,
                "/post_protected",
                &[("X-CSRF-TOKEN", "wrong")],
                Some(("application/x-www-form-urlencoded", body.into_bytes())),
            )
            .await;
        r.assert_error(401, "CSRF double submit tokens do not match");
        // An empty header falls back to the form.
        let body = cookie_support::form_urlencoded(&[("csrf_token", &csrf)]);
        let r = client
            .send(
                &app,
                Method::POST,
                "/post_protected",
                &[("X-CSRF-TOKEN", "")],
                Some(("application/x-www-form-urlencoded", body.into_bytes())),
            )
            .await;
        r.assert_status(200);
    }
}

#[tokio::test]
async fn csrf_form_field_ignored_unless_enabled() {
    for fw in FRAMEWORKS {
        let app = app(fw, base()).await;
        let mut client = Client::new();
        let r = client.get_path(&app, "/access_token").await;
        let csrf = cookie(&r, "csrf_access_token").value;
        client
            .post_form(&app, "/post_protected", &[("csrf_token", &csrf)])
            .await
            .assert_error(401, "Missing CSRF token");
        // The query string is never consulted.
        client
            .post_path(&app, &format!("/post_protected?csrf_token={csrf}"), &[])
            .await
            .assert_error(401, "Missing CSRF token");
    }
}

#[tokio::test]
async fn csrf_with_custom_form_field() {
    for fw in FRAMEWORKS {
        let app = app(
            fw,
            base()
                .with_csrf_check_form(true)
                .with_access_csrf_field_name("FOO")
                .with_refresh_csrf_field_name("FOO"),
        )
        .await;
        for (login, _, csrf_cookie, _, post_url, _) in KINDS {
            let mut client = Client::new();
            let r = client.get_path(&app, login).await;
            let csrf = cookie(&r, csrf_cookie).value;
            let r = client.post_form(&app, post_url, &[("FOO", &csrf)]).await;
            r.assert_json(200, json!({"foo": "bar"}));
        }
    }
}

#[tokio::test]
async fn custom_csrf_methods() {
    for fw in FRAMEWORKS {
        let app = app(fw, base().with_csrf_methods(["GET"])).await;
        for (login, _, csrf_cookie, get_url, post_url, _) in KINDS {
            let mut client = Client::new();
            let r = client.get_path(&app, login).await;
            let csrf = cookie(&r, csrf_cookie).value;
            let r = client.post_path(&app, post_url, &[]).await;
            r.assert_json(200, json!({"foo": "bar"}));
            client
                .get_path(&app, get_url)
                .await
                .assert_error(401, "Missing CSRF token");
            let r = client
                .send(&app, Method::GET, get_url, &[("X-CSRF-TOKEN", &csrf)], None)
                .await;
            r.assert_json(200, json!({"foo": "bar"}));
        }
    }
}

#[tokio::test]
async fn lowercase_csrf_methods_protect_nothing() {
    for fw in FRAMEWORKS {
        // The reference compares the configured names case-sensitively with the
        // upper-case request method.
        let app = app(fw, base().with_csrf_methods(["post"])).await;
        let mut client = Client::new();
        client.get_path(&app, "/access_token").await;
        client
            .post_path(&app, "/post_protected", &[])
            .await
            .assert_status(200);
    }
}

#[tokio::test]
async fn missing_csrf_is_reported_before_decoding() {
    for fw in FRAMEWORKS {
        let app = app(fw, base()).await;
        let mut client = Client::new();
        for garbage in ["foobarbaz", "a.b.c"] {
            client
                .jar
                .insert("access_token_cookie".into(), garbage.into());
            client
                .post_path(&app, "/post_protected", &[])
                .await
                .assert_error(401, "Missing CSRF token");
            client.get_path(&app, "/protected").await.assert_error(
                422,
                if garbage == "a.b.c" {
                    "Invalid header padding"
                } else {
                    "Not enough segments"
                },
            );
        }
    }
}

#[tokio::test]
async fn token_without_csrf_claim() {
    for fw in FRAMEWORKS {
        // A token minted while CSRF protection was off has no `csrf` claim.
        let no_csrf = manager_with(base().with_cookie_csrf_protect(false));
        let token = no_csrf.create_access_token("username").unwrap_or_default();
        let app = app(fw, base()).await;
        let mut client = Client::new();
        client
            .jar
            .insert("access_token_cookie".into(), token.clone());
        client
            .post_path(&app, "/post_protected", &[("X-CSRF-TOKEN", "x")])
            .await
            .assert_error(422, "Missing claim: csrf");
        client.get_path(&app, "/protected").await.assert_status(200);
        // Setting cookies for it is a typed error, not a panic.
        let jwt = manager_with(base());
        let err = jwt.set_access_cookies(&token).await.err();
        assert_eq!(
            err.map(|e| (e.kind(), e.message().to_owned())),
            Some((ErrorKind::MissingClaim, "Missing claim: csrf".to_owned()))
        );
    }
}

#[tokio::test]
async fn set_cookies_verifies_the_token() {
    let jwt = manager_with(base());
    let expired = jwt
        .access_token("username")
        .expires_in(Duration::ZERO)
        .create();
    let expired = match expired {
        Ok(t) => t,
        // A zero lifetime may be refused at creation; use a past `exp`.
        Err(_) => {
            common::token_with_claims(&json!({"sub": "u", "exp": common::now() - 10, "csrf": "c"}))
        }
    };
    let other = manager_with(base().with_secret_key("another-secret"));
    let foreign = other.create_access_token("username").unwrap_or_default();
    assert_eq!(
        jwt.set_access_cookies(&expired)
            .await
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::ExpiredToken)
    );
    assert_eq!(
        jwt.set_refresh_cookies(&foreign)
            .await
            .err()
            .map(|e| e.message().to_owned()),
        Some("Signature verification failed".to_owned())
    );
    // With CSRF cookies off nothing needs decoding, like the reference.
    let plain = manager_with(base().with_csrf_in_cookies(false));
    assert!(plain.set_access_cookies("not-even-a-jwt").await.is_ok());
}

#[tokio::test]
async fn default_cookie_options() {
    for fw in FRAMEWORKS {
        let app = app(fw, base()).await;
        for (login, jwt_cookie, csrf_cookie, ..) in KINDS {
            let r = app.get(login, &[]).await;
            assert_eq!(r.set_cookies().len(), 2, "JWT and CSRF value");
            let c = cookie(&r, jwt_cookie);
            assert_eq!(c.attr("path"), Some("/"));
            assert!(c.has("httponly"));
            assert!(!c.has("samesite") && !c.has("secure") && !c.has("domain"));
            assert!(!c.has("expires") && !c.has("max-age"), "session cookie");
            let csrf = cookie(&r, csrf_cookie);
            assert_eq!(csrf.attr("path"), Some("/"));
            assert!(
                !csrf.has("httponly"),
                "JavaScript must read the CSRF cookie"
            );
            assert!(!csrf.has("samesite"));
            // The CSRF cookie holds the token's csrf claim.
            let token = c.value.clone();
            assert_eq!(common::payload(&token)["csrf"], json!(csrf.value));
        }
    }
}

#[tokio::test]
async fn exact_default_lines() {
    for fw in FRAMEWORKS {
        let app = app(fw, base()).await;
        let r = app.get("/access_token", &[]).await;
        let lines = r.set_cookies();
        let token = cookie(&r, "access_token_cookie").value;
        let csrf = cookie(&r, "csrf_access_token").value;
        assert_eq!(
            lines,
            [
                format!("access_token_cookie={token}; HttpOnly; Path=/"),
                format!("csrf_access_token={csrf}; Path=/"),
            ]
        );
        let r = app.get("/delete_tokens", &[]).await;
        assert_eq!(
            r.set_cookies(),
            [
                "access_token_cookie=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Path=/",
                "csrf_access_token=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
                "refresh_token_cookie=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Path=/",
                "csrf_refresh_token=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
            ]
        );
    }
}

#[tokio::test]
async fn custom_cookie_options() {
    for fw in FRAMEWORKS {
        let app = app(
            fw,
            base()
                .with_cookie_secure(true)
                .with_cookie_domain("test.com")
                .with_session_cookie(false)
                .with_cookie_samesite(SameSite::Strict),
        )
        .await;
        for (login, jwt_cookie, csrf_cookie, ..) in KINDS {
            let r = app.get(login, &[]).await;
            assert_eq!(r.set_cookies().len(), 2);
            for (name, http_only) in [(jwt_cookie, true), (csrf_cookie, false)] {
                let c = cookie(&r, name);
                assert_eq!(c.attr("domain"), Some("test.com"));
                assert_eq!(c.attr("path"), Some("/"));
                assert_eq!(c.attr("max-age"), Some("31540000"));
                let expires = c.attr("expires").unwrap_or_default();
                let at = httpdate::parse_http_date(expires).unwrap_or(std::time::UNIX_EPOCH);
                let ahead = at
                    .duration_since(std::time::SystemTime::now())
                    .unwrap_or_default()
                    .as_secs();
                assert!(
                    (31_539_990..=31_540_001).contains(&ahead),
                    "Expires = now + Max-Age: {expires}"
                );
                assert!(c.has("secure"));
                assert_eq!(c.has("httponly"), http_only);
                assert_eq!(c.attr("samesite"), Some("Strict"));
                // Werkzeug's attribute order.
                let expected: Vec<&str> = [
                    "Domain", "Expires", "Max-Age", "Secure", "HttpOnly", "Path", "SameSite",
                ]
                .into_iter()
                .filter(|a| http_only || *a != "HttpOnly")
                .collect();
                assert_eq!(c.order, expected);
            }
        }
    }
}

#[tokio::test]
async fn leading_dot_and_port_are_dropped_from_the_domain() {
    for fw in FRAMEWORKS {
        let app = app(fw, base().with_cookie_domain(".example.com")).await;
        let r = app.get("/access_token", &[]).await;
        assert!(
            parsed(&r)
                .iter()
                .all(|c| c.attr("domain") == Some("example.com"))
        );
        let r = app.get("/access_token?domain=.arg.com:8080", &[]).await;
        assert!(
            parsed(&r)
                .iter()
                .all(|c| c.attr("domain") == Some("arg.com"))
        );
    }
}

#[tokio::test]
async fn explicit_max_age_argument() {
    let jwt = manager_with(base().with_cookie_domain("cfg.com"));
    let token = jwt.create_access_token("u").unwrap_or_default();
    let options = CookieOptions::default().max_age(60).domain("arg.com");
    let set = jwt.set_access_cookies_with(&token, &options).await;
    let lines: Vec<String> = set.map(|s| s.header_values().collect()).unwrap_or_default();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        let c = cookie_support::ParsedCookie::parse(line);
        assert_eq!(c.attr("domain"), Some("arg.com"));
        assert_eq!(c.attr("max-age"), Some("60"));
        assert!(c.has("expires"));
    }
    // Zero counts as "not given", like the reference's `max_age or ...`.
    let set = jwt
        .set_access_cookies_with(&token, &CookieOptions::default().max_age(0))
        .await;
    let lines: Vec<String> = set.map(|s| s.header_values().collect()).unwrap_or_default();
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("Max-Age") && !l.contains("Expires")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn unset_never_writes_max_age() {
    for fw in FRAMEWORKS {
        let app = app(
            fw,
            base().with_session_cookie(false).with_cookie_secure(true),
        )
        .await;
        let r = app.get("/delete_tokens", &[]).await;
        let cookies = parsed(&r);
        assert_eq!(cookies.len(), 4);
        for c in cookies {
            assert!(c.value.is_empty());
            assert_eq!(c.attr("expires"), Some("Thu, 01 Jan 1970 00:00:00 GMT"));
            assert!(!c.has("max-age"), "{c:?}");
            assert!(c.has("secure"));
        }
    }
}

#[tokio::test]
async fn custom_cookie_names_and_paths() {
    for fw in FRAMEWORKS {
        let app = app(
            fw,
            base()
                .with_access_csrf_cookie_name("access_foo_csrf")
                .with_refresh_csrf_cookie_name("refresh_foo_csrf")
                .with_access_csrf_cookie_path("/protected")
                .with_refresh_csrf_cookie_path("/refresh_protected")
                .with_access_cookie_name("access_foo")
                .with_refresh_cookie_name("refresh_foo")
                .with_access_cookie_path("/protected")
                .with_refresh_cookie_path("/refresh_protected"),
        )
        .await;
        let r = app.get("/access_token", &[]).await;
        assert_eq!(r.set_cookies().len(), 2);
        assert_eq!(cookie(&r, "access_foo").attr("path"), Some("/protected"));
        assert_eq!(
            cookie(&r, "access_foo_csrf").attr("path"),
            Some("/protected")
        );
        let r = app.get("/refresh_token", &[]).await;
        assert_eq!(r.set_cookies().len(), 2);
        assert_eq!(
            cookie(&r, "refresh_foo").attr("path"),
            Some("/refresh_protected")
        );
        assert_eq!(
            cookie(&r, "refresh_foo_csrf").attr("path"),
            Some("/refresh_protected")
        );
        // Lookup uses the custom names too.
        let mut client = Client::new();
        client.get_path(&app, "/access_token").await;
        client.get_path(&app, "/protected").await.assert_status(200);
        client
            .get_path(&app, "/refresh_protected")
            .await
            .assert_error(401, "Missing cookie \"refresh_foo\"");
    }
}

#[tokio::test]
async fn csrf_token_not_in_cookie() {
    for fw in FRAMEWORKS {
        let app = app(fw, base().with_csrf_in_cookies(false)).await;
        for (login, jwt_cookie, _, _, post_url, _) in KINDS {
            let mut client = Client::new();
            let r = client.get_path(&app, login).await;
            assert_eq!(r.set_cookies().len(), 1);
            let token = cookie(&r, jwt_cookie).value;
            // CSRF checking is still on: the app hands the value out itself.
            client
                .post_path(&app, post_url, &[])
                .await
                .assert_error(401, "Missing CSRF token");
            let jwt = manager_with(base());
            let csrf = jwt.decode_csrf_token(&token).await.unwrap_or_default();
            let r = client
                .post_path(&app, post_url, &[("X-CSRF-TOKEN", &csrf)])
                .await;
            r.assert_status(200);
        }
        // Unsetting writes only the JWT cookies then.
        let r = app.get("/delete_tokens", &[]).await;
        assert_eq!(r.set_cookies().len(), 2);
    }
}

#[tokio::test]
async fn cookies_without_csrf() {
    for fw in FRAMEWORKS {
        let app = app(fw, base().with_cookie_csrf_protect(false)).await;
        for (login, jwt_cookie, ..) in KINDS {
            let r = app.get(login, &[]).await;
            assert_eq!(r.set_cookies().len(), 1);
            let token = cookie(&r, jwt_cookie).value;
            assert!(common::payload(&token).get("csrf").is_none());
        }
        let r = app.get("/delete_tokens", &[]).await;
        assert_eq!(r.set_cookies().len(), 2);
    }
}

#[tokio::test]
async fn optional_route_with_csrf_enabled() {
    for fw in FRAMEWORKS {
        let app = app(fw, base()).await;
        let mut client = Client::new();
        let r = client
            .post_path(&app, "/optional_post_protected", &[])
            .await;
        r.assert_json(200, json!({"foo": "bar"}));
        client.get_path(&app, "/access_token").await;
        client
            .post_path(&app, "/optional_post_protected", &[])
            .await
            .assert_error(401, "Missing CSRF token");
    }
}

#[tokio::test]
async fn override_domain_option() {
    for fw in FRAMEWORKS {
        let app = app(fw, base().with_cookie_domain("test.com")).await;
        let kinds = [
            (
                "/access_token",
                "/delete_access_tokens",
                "access_token_cookie",
                "csrf_access_token",
            ),
            (
                "/refresh_token",
                "/delete_refresh_tokens",
                "refresh_token_cookie",
                "csrf_refresh_token",
            ),
        ];
        for (login, delete, jwt_cookie, csrf_cookie) in kinds {
            for url in [login, delete] {
                let r = app.get(&format!("{url}?domain=yolo.com"), &[]).await;
                assert_eq!(r.set_cookies().len(), 2);
                assert_eq!(cookie(&r, jwt_cookie).attr("domain"), Some("yolo.com"));
                assert_eq!(cookie(&r, csrf_cookie).attr("domain"), Some("yolo.com"));
            }
        }
    }
}

#[tokio::test]
async fn options_requests_are_not_checked() {
    // The extractor answers OPTIONS with 200 without checking anything (the
    // reference's OPTIONS exemption), even with a garbage cookie and no CSRF
    // header.
    for fw in FRAMEWORKS {
        let app = app(fw, base()).await;
        app.call(
            "OPTIONS",
            "/post_protected",
            &[("cookie", "access_token_cookie=garbage")],
        )
        .await
        .assert_status(200);
    }
}
