//! Every message of `jwt_extended::messages` equals what the real
//! Flask-JWT-Extended 4.7.1 sent for the same failure, as recorded by
//! `interop/record_messages.py` in `tests/fixtures/interop/messages.json`;
//! and each recorded request, replayed here, fails with the same message and
//! status.

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use jwt_extended::config::TokenLocation;
use jwt_extended::messages as m;
use jwt_extended::request::{RequestBody, RequestParts};
use jwt_extended::{DecodedToken, JwtConfig, JwtManager, VerifyOptions};
use serde_json::Value;

const RECORDED: &str = include_str!("fixtures/interop/messages.json");

/// Recorded name (a constant, or a template with its arguments) -> our text.
fn ours() -> Vec<(&'static str, String)> {
    let missing_everywhere = [
        m::MISSING_AUTHORIZATION_HEADER,
        m::MISSING_ACCESS_COOKIE,
        m::MISSING_JWT_QUERY_PARAM,
        m::INVALID_JSON_CONTENT_TYPE,
    ]
    .map(String::from);
    vec![
        // Header.
        (
            "MISSING_AUTHORIZATION_HEADER",
            m::MISSING_AUTHORIZATION_HEADER.into(),
        ),
        ("missing_header(X-Token)", m::missing_header("X-Token")),
        ("MISSING_BEARER_TYPE", m::MISSING_BEARER_TYPE.into()),
        (
            "missing_header_type(X-Token, JWT)",
            m::missing_header_type("X-Token", "JWT"),
        ),
        (
            "BAD_AUTHORIZATION_HEADER",
            m::BAD_AUTHORIZATION_HEADER.into(),
        ),
        ("bad_header(X-Token, )", m::bad_header("X-Token", "")),
        ("bad_header(X-Token, JWT)", m::bad_header("X-Token", "JWT")),
        // Cookies and CSRF.
        ("MISSING_ACCESS_COOKIE", m::MISSING_ACCESS_COOKIE.into()),
        ("MISSING_REFRESH_COOKIE", m::MISSING_REFRESH_COOKIE.into()),
        ("missing_cookie(my_cookie)", m::missing_cookie("my_cookie")),
        ("MISSING_CSRF_TOKEN", m::MISSING_CSRF_TOKEN.into()),
        ("CSRF_MISMATCH", m::CSRF_MISMATCH.into()),
        ("MISSING_CSRF_CLAIM", m::MISSING_CSRF_CLAIM.into()),
        // Query string and JSON body.
        ("MISSING_JWT_QUERY_PARAM", m::MISSING_JWT_QUERY_PARAM.into()),
        (
            "missing_query_param(token)",
            m::missing_query_param("token"),
        ),
        (
            "invalid_query_param(jwt, Bearer )",
            m::invalid_query_param("jwt", "Bearer "),
        ),
        (
            "INVALID_JSON_CONTENT_TYPE",
            m::INVALID_JSON_CONTENT_TYPE.into(),
        ),
        (
            "MISSING_ACCESS_TOKEN_JSON_KEY",
            m::MISSING_ACCESS_TOKEN_JSON_KEY.into(),
        ),
        (
            "MISSING_REFRESH_TOKEN_JSON_KEY",
            m::MISSING_REFRESH_TOKEN_JSON_KEY.into(),
        ),
        ("missing_json_key(tok)", m::missing_json_key("tok")),
        ("TOKEN_NOT_A_STRING", m::TOKEN_NOT_A_STRING.into()),
        (
            "missing_in_locations(headers, cookies)",
            m::missing_in_locations(
                &[TokenLocation::Headers, TokenLocation::Cookies],
                &missing_everywhere[..2],
            ),
        ),
        (
            "missing_in_locations(headers, cookies, query_string, json)",
            m::missing_in_locations(
                &[
                    TokenLocation::Headers,
                    TokenLocation::Cookies,
                    TokenLocation::QueryString,
                    TokenLocation::Json,
                ],
                &missing_everywhere,
            ),
        ),
        // Segments and header.
        ("NOT_ENOUGH_SEGMENTS", m::NOT_ENOUGH_SEGMENTS.into()),
        ("INVALID_HEADER_PADDING", m::INVALID_HEADER_PADDING.into()),
        ("INVALID_PAYLOAD_PADDING", m::INVALID_PAYLOAD_PADDING.into()),
        ("INVALID_CRYPTO_PADDING", m::INVALID_CRYPTO_PADDING.into()),
        ("HEADER_NOT_AN_OBJECT", m::HEADER_NOT_AN_OBJECT.into()),
        ("PAYLOAD_NOT_AN_OBJECT", m::PAYLOAD_NOT_AN_OBJECT.into()),
        (
            "invalid_header_json(Expecting value: line 1 column 1 (char 0))",
            m::invalid_header_json("Expecting value: line 1 column 1 (char 0)"),
        ),
        (
            "invalid_payload_json(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
            m::invalid_payload_json(
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
        ),
        ("KID_NOT_A_STRING", m::KID_NOT_A_STRING.into()),
        ("CRIT_NOT_A_LIST", m::CRIT_NOT_A_LIST.into()),
        ("CRIT_VALUE_NOT_A_STRING", m::CRIT_VALUE_NOT_A_STRING.into()),
        (
            "unsupported_critical_extension(foo)",
            m::unsupported_critical_extension("foo"),
        ),
        (
            "critical_extension_missing(b64)",
            m::critical_extension_missing("b64"),
        ),
        ("B64_PAYLOAD_NOT_EMPTY", m::B64_PAYLOAD_NOT_EMPTY.into()),
        ("B64_NOT_IN_CRIT", m::B64_NOT_IN_CRIT.into()),
        (
            "DETACHED_PAYLOAD_REQUIRED",
            m::DETACHED_PAYLOAD_REQUIRED.into(),
        ),
        ("ALGORITHM_NOT_SPECIFIED", m::ALGORITHM_NOT_SPECIFIED.into()),
        ("ALGORITHM_NOT_ALLOWED", m::ALGORITHM_NOT_ALLOWED.into()),
        (
            "SIGNATURE_VERIFICATION_FAILED",
            m::SIGNATURE_VERIFICATION_FAILED.into(),
        ),
        // Claims.
        ("IAT_NOT_AN_INTEGER", m::IAT_NOT_AN_INTEGER.into()),
        ("IAT_IN_THE_FUTURE", m::IAT_IN_THE_FUTURE.into()),
        ("NBF_NOT_AN_INTEGER", m::NBF_NOT_AN_INTEGER.into()),
        ("NBF_IN_THE_FUTURE", m::NBF_IN_THE_FUTURE.into()),
        ("EXP_NOT_AN_INTEGER", m::EXP_NOT_AN_INTEGER.into()),
        ("TOKEN_EXPIRED", m::TOKEN_EXPIRED.into()),
        (
            "missing_required_claim(iss)",
            m::missing_required_claim("iss"),
        ),
        (
            "missing_required_claim(aud)",
            m::missing_required_claim("aud"),
        ),
        ("INVALID_ISSUER", m::INVALID_ISSUER.into()),
        ("ISSUER_NOT_A_STRING", m::ISSUER_NOT_A_STRING.into()),
        ("INVALID_AUDIENCE_FORMAT", m::INVALID_AUDIENCE_FORMAT.into()),
        ("AUDIENCE_MISMATCH", m::AUDIENCE_MISMATCH.into()),
        ("SUBJECT_NOT_A_STRING", m::SUBJECT_NOT_A_STRING.into()),
        ("JTI_NOT_A_STRING", m::JTI_NOT_A_STRING.into()),
        ("missing_claim(sub)", m::missing_claim("sub")),
        // After decoding.
        ("ONLY_ACCESS_TOKENS", m::ONLY_ACCESS_TOKENS.into()),
        ("ONLY_REFRESH_TOKENS", m::ONLY_REFRESH_TOKENS.into()),
        ("FRESH_TOKEN_REQUIRED", m::FRESH_TOKEN_REQUIRED.into()),
        ("TOKEN_REVOKED", m::TOKEN_REVOKED.into()),
        (
            "USER_CLAIMS_VERIFICATION_FAILED",
            m::USER_CLAIMS_VERIFICATION_FAILED.into(),
        ),
        ("user_lookup_failed(alice)", m::user_lookup_failed("alice")),
    ]
}

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn recorded() -> TestResult<serde_json::Map<String, Value>> {
    let document: Value = serde_json::from_str(RECORDED)?;
    document["messages"]
        .as_object()
        .cloned()
        .ok_or_else(|| "the fixture has no messages object".into())
}

#[test]
fn every_message_matches_the_reference() -> TestResult {
    let recorded = recorded()?;
    for (name, text) in ours() {
        let Some(entry) = recorded.get(name) else {
            panic!("{name} was not recorded: rerun interop/record_messages.py");
        };
        assert_eq!(entry["msg"], text.as_str(), "{name}");
    }
    Ok(())
}

#[test]
fn every_recorded_message_is_checked() -> TestResult {
    let checked: Vec<&str> = ours().into_iter().map(|(name, _)| name).collect();
    for name in recorded()?.keys() {
        assert!(checked.contains(&name.as_str()), "{name} is not checked");
    }
    Ok(())
}

/// A manager configured as the reference app of `entry` was.
fn manager_for(entry: &Value) -> TestResult<JwtManager> {
    let mut vars = vec![("JWT_SECRET_KEY".to_owned(), "super-secret".to_owned())];
    for (name, value) in entry["config"].as_object().into_iter().flatten() {
        let value = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        vars.push((name.clone(), value));
    }
    let config = JwtConfig::from_vars(vars)?;
    let mut builder = JwtManager::builder(config);
    for hook in entry["hooks"].as_array().into_iter().flatten() {
        builder = match hook.as_str() {
            Some("revoked") => builder.token_in_blocklist_loader(|_: &DecodedToken| async { true }),
            Some("claims_fail") => {
                builder.token_verification_loader(|_: &DecodedToken| async { false })
            }
            Some("no_user") => {
                builder.user_lookup_loader(|_: &DecodedToken| async { None::<String> })
            }
            other => return Err(format!("unknown hook {other:?}").into()),
        };
    }
    Ok(builder.build()?)
}

/// The request of `entry`, as method, headers, query string and body.
fn request_of(entry: &Value) -> TestResult<(Method, HeaderMap, Option<String>, Vec<u8>)> {
    let request = &entry["request"];
    let method: Method = request["method"].as_str().unwrap_or_default().parse()?;
    let mut headers = HeaderMap::new();
    for (name, value) in request["headers"].as_object().into_iter().flatten() {
        headers.append(
            HeaderName::from_bytes(name.as_bytes())?,
            HeaderValue::from_str(value.as_str().unwrap_or_default())?,
        );
    }
    if let Some(cookies) = request["cookies"].as_object() {
        let line: Vec<String> = cookies
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        headers.append(
            http::header::COOKIE,
            HeaderValue::from_str(&line.join("; "))?,
        );
    }
    let query = request["query"].as_object().map(|params| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            query.append_pair(k, v.as_str().unwrap_or_default());
        }
        query.finish()
    });
    let mut body = Vec::new();
    if let Some(json) = request.get("json") {
        headers.append(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        body = serde_json::to_vec(json)?;
    }
    Ok((method, headers, query, body))
}

#[tokio::test]
async fn each_recorded_request_gets_the_same_answer_here() -> TestResult {
    for (name, entry) in recorded()? {
        let manager = manager_for(&entry)?;
        let (method, headers, query, body) = request_of(&entry)?;
        let parts = RequestParts::new(&method, &headers, query.as_deref())
            .with_body(RequestBody::Buffered(&body));
        let options = match entry["request"]["route"].as_str() {
            Some("/fresh") => VerifyOptions::new().fresh(true),
            Some("/refresh") => VerifyOptions::new().refresh(true),
            _ => VerifyOptions::new(),
        };
        let error = match manager.verify_request(&parts, &options).await {
            Ok(_) => panic!("{name}: the request was accepted"),
            Err(error) => error,
        };
        assert_eq!(error.message(), entry["msg"], "{name}");
        assert_eq!(
            u64::from(error.status_code()),
            entry["status"].as_u64().unwrap_or_default(),
            "{name}"
        );
    }
    Ok(())
}
