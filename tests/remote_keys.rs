//! Tokens of other issuers verified with keys fetched from a real local
//! provider (tests/provider_support: discovery + JWK Set on 127.0.0.1),
//! through a real Router: routing by `iss`, audience and algorithms per
//! issuer, our own tokens beside them, rotation without restart, one fetch
//! for a burst of a new `kid`, a few fetches for a flood of made-up ones,
//! the provider down (known keys keep working, unknown ones 503) or hung
//! (prompt answers), Keycloak's encryption key skipped, bounded and
//! same-origin fetches, and no URL ever taken from a token.

mod common;
mod provider_support;

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use common::*;
use jwt_extended::axum::{FlaskJson, Jwt};
use jwt_extended::issuers::{RemoteJwks, TrustedIssuer};
use jwt_extended::{Algorithm, JwtConfig, JwtManager};
use provider_support::{AUDIENCE, Mode, Provider, ProviderKey};
use serde_json::{Value, json};

async fn whoami(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({
        "identity": token.identity(),
        "type": token.claims().get("type"),
        "fresh": token.claims().get("fresh"),
    }))
}

fn router(jwt: JwtManager) -> Router {
    Router::new()
        .route("/protected", get(whoami))
        .with_state(jwt)
}

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

/// Remote keys with short, test-sized timings.
fn remote(provider: &Provider) -> RemoteJwks {
    ok(RemoteJwks::discover(&provider.issuer)
        .timeout(Duration::from_millis(800))
        .build())
}

/// A manager with its own HS256 secret that also trusts `provider`.
fn manager(provider: &Provider, jwks: RemoteJwks) -> JwtManager {
    let config = JwtConfig::new()
        .with_secret_key(SECRET)
        .with_identity_claim("email");
    ok(JwtManager::builder(config)
        .trusted_issuer(TrustedIssuer::remote(&provider.issuer, jwks).audience([AUDIENCE]))
        .build())
}

async fn get_with(app: &Router, token: &str) -> TestResponse {
    http_get_bearer(app, "/protected", token).await
}

#[tokio::test]
async fn provider_tokens_are_access_tokens_beside_our_own() {
    let provider = Provider::start(vec![ProviderKey::rsa("k1")]).await;
    let jwt = manager(&provider, remote(&provider));
    let app = router(jwt.clone());

    let response = get_with(&app, &provider.token("alice@example.com")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"identity": "alice@example.com", "type": "access", "fresh": false})
    );
    // Our own tokens keep working (no iss: our keys).
    let own = ok(jwt.create_access_token("bob@example.com"));
    assert_eq!(get_with(&app, &own).await.status, 200);
    assert_eq!(provider.discovery_fetches(), 1);
    assert_eq!(provider.jwks_fetches(), 1);
}

#[tokio::test]
async fn each_issuer_has_its_audience_and_algorithms() {
    let provider = Provider::start(vec![ProviderKey::rsa("k1")]).await;
    let app = router(manager(&provider, remote(&provider)));
    let key = ProviderKey::rsa("k1");

    let mut claims = provider.claims("a@example.com");
    claims["aud"] = json!("someone-else");
    get_with(&app, &key.sign(&claims, Some("k1")))
        .await
        .assert_error(422, "Audience doesn't match");
    claims["aud"] = json!(["someone-else", AUDIENCE]);
    assert_eq!(
        get_with(&app, &key.sign(&claims, Some("k1"))).await.status,
        200
    );
    claims.as_object_mut().map(|c| c.remove("aud"));
    get_with(&app, &key.sign(&claims, Some("k1")))
        .await
        .assert_error(422, "Token is missing the \"aud\" claim");

    // RS512 with the RS256 key: the issuer allows RS256 only.
    let rs512 = ProviderKey::new("k1", Algorithm::RS512, "rsa2048");
    get_with(
        &app,
        &rs512.sign(&provider.claims("a@example.com"), Some("k1")),
    )
    .await
    .assert_error(422, "The specified alg value is not allowed");

    // Algorithm confusion: HS256 signed with the public key as the secret.
    let public_pem = provider_support::fixture("rsa2048_public.pem");
    let forged = hs_token(
        &String::from_utf8_lossy(&public_pem),
        &json!({"alg": "HS256", "typ": "JWT", "kid": "k1"}),
        &provider.claims("a@example.com"),
    );
    get_with(&app, &forged)
        .await
        .assert_error(422, "The specified alg value is not allowed");

    // Expired provider tokens are expired tokens.
    let mut expired = provider.claims("a@example.com");
    expired["exp"] = json!(now() - 60);
    get_with(&app, &key.sign(&expired, Some("k1")))
        .await
        .assert_error(401, "Token has expired");

    // Signed by another key under the provider's kid.
    let impostor = ProviderKey::other_rsa("k1");
    get_with(
        &app,
        &impostor.sign(&provider.claims("a@example.com"), Some("k1")),
    )
    .await
    .assert_error(422, "Signature verification failed");
}

#[tokio::test]
async fn two_providers_are_routed_by_iss() {
    let rsa = Provider::start(vec![ProviderKey::rsa("r1")]).await;
    let ec = Provider::start(vec![ProviderKey::ec("e1")]).await;
    let jwt = ok(JwtManager::builder(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_identity_claim("email"),
    )
    .trusted_issuer(TrustedIssuer::remote(&rsa.issuer, remote(&rsa)).audience([AUDIENCE]))
    .trusted_issuer(
        TrustedIssuer::remote(&ec.issuer, remote(&ec))
            .audience(["ec-api"])
            .algorithms([Algorithm::ES256]),
    )
    .build());
    let app = router(jwt);
    assert_eq!(get_with(&app, &rsa.token("a@x")).await.status, 200);
    let mut claims = ec.claims("b@x");
    claims["aud"] = json!("ec-api");
    let ec_token = ProviderKey::ec("e1").sign(&claims, Some("e1"));
    assert_eq!(get_with(&app, &ec_token).await.status, 200);
    // The EC provider's token with the RSA provider's audience: wrong audience.
    let wrong = ProviderKey::ec("e1").sign(&ec.claims("b@x"), Some("e1"));
    get_with(&app, &wrong)
        .await
        .assert_error(422, "Audience doesn't match");
    // The RSA key named by an EC-issuer token: no such kid there.
    let crossed = ProviderKey::rsa("r1").sign(&claims, Some("r1"));
    get_with(&app, &crossed)
        .await
        .assert_error(422, "The specified alg value is not allowed");
}

#[tokio::test]
async fn a_verify_only_manager_refuses_other_issuers_as_the_reference_would() {
    let provider = Provider::start(vec![ProviderKey::rsa("k1")]).await;
    let jwt = ok(JwtManager::builder(
        JwtConfig::new()
            .with_algorithm(Algorithm::RS256)
            .with_identity_claim("email"),
    )
    .verify_only()
    .trusted_issuer(TrustedIssuer::remote(&provider.issuer, remote(&provider)))
    .build());
    let app = router(jwt);
    assert_eq!(get_with(&app, &provider.token("a@x")).await.status, 200);
    let key = ProviderKey::rsa("k1");
    let mut claims = provider.claims("a@x");
    claims["iss"] = json!("https://elsewhere.example");
    get_with(&app, &key.sign(&claims, Some("k1")))
        .await
        .assert_error(422, "Invalid issuer");
    claims.as_object_mut().map(|c| c.remove("iss"));
    get_with(&app, &key.sign(&claims, Some("k1")))
        .await
        .assert_error(422, "Token is missing the \"iss\" claim");
}

#[tokio::test]
async fn rotation_is_picked_up_without_restart_and_withdrawn_keys_stop() {
    let provider = Provider::start(vec![ProviderKey::rsa("2025-01")]).await;
    let jwks = remote(&provider);
    let app = router(manager(&provider, jwks.clone()));
    let old = provider.token("a@x");
    assert_eq!(get_with(&app, &old).await.status, 200);

    // The provider rotates: new key first (signing), old still published.
    provider.set_keys(vec![
        ProviderKey::other_rsa("2025-07"),
        ProviderKey::rsa("2025-01"),
    ]);
    let new = provider.token("a@x");
    let started = Instant::now();
    assert_eq!(get_with(&app, &new).await.status, 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(get_with(&app, &old).await.status, 200);
    assert_eq!(provider.jwks_fetches(), 2);

    // The old key is withdrawn: after the next refresh it stops verifying.
    provider.set_keys(vec![ProviderKey::other_rsa("2025-07")]);
    assert_eq!(ok(jwks.refresh().await), 1);
    assert_eq!(jwks.kids(), ["2025-07"]);
    assert_eq!(get_with(&app, &new).await.status, 200);
    // The refetch allowance may be spent on it: 422 either way.
    get_with(&app, &old)
        .await
        .assert_error(422, "Signature verification failed");
}

#[tokio::test]
async fn a_burst_of_a_new_kid_causes_one_fetch() {
    let provider = Provider::start(vec![ProviderKey::rsa("k1")]).await;
    let app = router(manager(&provider, remote(&provider)));
    assert_eq!(get_with(&app, &provider.token("a@x")).await.status, 200);
    assert_eq!(provider.jwks_fetches(), 1);

    provider.set_keys(vec![ProviderKey::other_rsa("k2"), ProviderKey::rsa("k1")]);
    let token = provider.token("a@x");
    let requests = (0..200).map(|_| {
        let app = app.clone();
        let token = token.clone();
        tokio::spawn(async move { get_with(&app, &token).await.status })
    });
    for request in requests {
        assert_eq!(ok(request.await), 200);
    }
    assert_eq!(provider.jwks_fetches(), 2);
}

#[tokio::test]
async fn a_flood_of_made_up_kids_causes_a_few_fetches() {
    let provider = Provider::start(vec![ProviderKey::rsa("k1")]).await;
    let jwks = remote(&provider);
    let app = router(manager(&provider, jwks.clone()));
    let key = ProviderKey::rsa("k1");
    for n in 0..300 {
        let token = key.sign(&provider.claims("a@x"), Some(&format!("random-{n}")));
        get_with(&app, &token)
            .await
            .assert_error(422, "Signature verification failed");
    }
    // The first fetch, then the burst allowance (3); nothing refills in time.
    assert!(
        provider.jwks_fetches() <= 4,
        "{} fetches",
        provider.jwks_fetches()
    );
    assert_eq!(jwks.fetch_count() as usize, provider.jwks_fetches());
    // Known keys still verify at once.
    assert_eq!(get_with(&app, &provider.token("a@x")).await.status, 200);
}

#[tokio::test]
async fn a_provider_that_is_down_keeps_known_keys_and_fails_closed_for_unknown() {
    let provider = Provider::start(vec![ProviderKey::rsa("k1")]).await;
    let app = router(manager(&provider, remote(&provider)));
    assert_eq!(get_with(&app, &provider.token("a@x")).await.status, 200);

    provider.set_mode(Mode::Down);
    assert_eq!(get_with(&app, &provider.token("a@x")).await.status, 200);
    let unknown = ProviderKey::other_rsa("k9").sign(&provider.claims("a@x"), Some("k9"));
    get_with(&app, &unknown)
        .await
        .assert_error(503, "Token signing keys are unavailable");
    // Inside the back-off: no new fetch, still 503, still JSON.
    let fetches = provider.jwks_fetches();
    get_with(&app, &unknown)
        .await
        .assert_error(503, "Token signing keys are unavailable");
    assert_eq!(provider.jwks_fetches(), fetches);

    // Back up, with the new key published: accepted again.
    provider.set_keys(vec![ProviderKey::other_rsa("k9"), ProviderKey::rsa("k1")]);
    provider.set_mode(Mode::Up);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get_with(&app, &unknown).await.status, 200);
}

#[tokio::test]
async fn a_provider_down_from_the_start_is_a_503_not_a_500() {
    let provider = Provider::start(vec![ProviderKey::rsa("k1")]).await;
    provider.set_mode(Mode::Down);
    let app = router(manager(&provider, remote(&provider)));
    get_with(&app, &provider.token("a@x"))
        .await
        .assert_error(503, "Token signing keys are unavailable");
    // Our own tokens do not depend on the provider.
    let own = ok(manager(&provider, remote(&provider)).create_access_token("me"));
    assert_eq!(get_with(&app, &own).await.status, 200);
}

#[tokio::test]
async fn a_hung_provider_never_holds_requests_past_the_timeout() {
    let provider = Provider::start(vec![ProviderKey::rsa("k1")]).await;
    let app = router(manager(&provider, remote(&provider)));
    assert_eq!(get_with(&app, &provider.token("a@x")).await.status, 200);

    provider.set_mode(Mode::Hang);
    let unknown = ProviderKey::other_rsa("k9").sign(&provider.claims("a@x"), Some("k9"));
    let started = Instant::now();
    let requests: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            let unknown = unknown.clone();
            tokio::spawn(async move { get_with(&app, &unknown).await })
        })
        .collect();
    for request in requests {
        ok(request.await).assert_error(503, "Token signing keys are unavailable");
    }
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        started.elapsed()
    );
    // Known keys answer at once while the provider hangs.
    let started = Instant::now();
    assert_eq!(get_with(&app, &provider.token("a@x")).await.status, 200);
    assert!(started.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn keys_are_refreshed_in_the_background_as_cache_control_says() {
    let provider = Provider::start(vec![ProviderKey::rsa("k1")]).await;
    provider.set_max_age(Some(1));
    let jwks = ok(RemoteJwks::discover(&provider.issuer)
        .min_age(Duration::ZERO)
        .build());
    assert_eq!(ok(jwks.refresh().await), 1);
    provider.set_keys(vec![ProviderKey::other_rsa("k2")]);
    // No request needed: the refresh runs at 4/5 of the provider's 1 s.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(jwks.kids(), ["k2"]);
    assert!(provider.jwks_fetches() >= 2);
}

#[tokio::test]
async fn keycloak_encryption_keys_and_junk_are_skipped() {
    let provider = Provider::start(vec![ProviderKey::rsa("sig-1")]).await;
    let mut enc = ProviderKey::other_rsa("enc-1").jwk;
    enc["use"] = json!("enc");
    enc["alg"] = json!("RSA-OAEP");
    provider.set_extra(vec![
        enc,
        json!({"kty": "oct", "kid": "secret", "k": "c2VjcmV0"}),
        json!({"kty": "RSA", "kid": "short", "n": "AQAB", "e": "AQAB"}),
        json!("not a key"),
    ]);
    let jwks = remote(&provider);
    let app = router(manager(&provider, jwks.clone()));
    assert_eq!(get_with(&app, &provider.token("a@x")).await.status, 200);
    assert_eq!(jwks.kids(), ["sig-1"]);
    // A token naming the encryption key, signed with it: never verified.
    let enc_signed = ProviderKey::other_rsa("enc-1").sign(&provider.claims("a@x"), Some("enc-1"));
    get_with(&app, &enc_signed)
        .await
        .assert_error(422, "Signature verification failed");
}

#[tokio::test]
async fn fetches_are_bounded_and_stay_on_their_origin() {
    for mode in [Mode::Oversized, Mode::RedirectAway, Mode::WrongIssuer] {
        let provider = Provider::start(vec![ProviderKey::rsa("k1")]).await;
        provider.set_mode(mode);
        let jwks = remote(&provider);
        let error = jwks.refresh().await.err();
        assert!(error.is_some(), "{mode:?} must fail");
        let app = router(manager(&provider, jwks));
        get_with(&app, &provider.token("a@x"))
            .await
            .assert_error(503, "Token signing keys are unavailable");
    }
}

#[tokio::test]
async fn no_token_makes_us_fetch_a_url() {
    let trusted = Provider::start(vec![ProviderKey::rsa("k1")]).await;
    let bait = Provider::start(vec![ProviderKey::other_rsa("evil")]).await;
    let app = router(manager(&trusted, remote(&trusted)));
    let evil = ProviderKey::other_rsa("evil");
    let mut claims = bait.claims("a@x");
    claims["aud"] = json!(AUDIENCE);
    let mut header =
        jwt_extended::jsonwebtoken::Header::new(jwt_extended::jsonwebtoken::Algorithm::RS256);
    header.kid = Some("evil".into());
    header.jku = Some(bait.jwks_uri.clone());
    header.x5u = Some(bait.jwks_uri.clone());
    let pem = provider_support::fixture("rsa2048_other_private.pem");
    let token = ok(jwt_extended::jsonwebtoken::encode(
        &header,
        &claims,
        &ok(jwt_extended::jsonwebtoken::EncodingKey::from_rsa_pem(&pem)),
    ));
    // iss names the bait: not trusted, so our own (HS256) keys refuse it.
    get_with(&app, &token)
        .await
        .assert_error(422, "The specified alg value is not allowed");
    // iss names the trusted provider but jku/x5u point at the bait.
    claims["iss"] = json!(trusted.issuer);
    let token = ok(jwt_extended::jsonwebtoken::encode(
        &header,
        &claims,
        &ok(jwt_extended::jsonwebtoken::EncodingKey::from_rsa_pem(&pem)),
    ));
    get_with(&app, &token)
        .await
        .assert_error(422, "Signature verification failed");
    let _ = evil;
    assert_eq!(bait.jwks_fetches() + bait.discovery_fetches(), 0);
}

#[tokio::test]
async fn a_fixed_key_set_issuer_needs_no_network() {
    let key = ProviderKey::rsa("p-1");
    let set = ok(jwt_extended::KeySet::new().with_key(ok(
        jwt_extended::token::Key::from_public_pem(
            "p-1",
            Algorithm::RS256,
            provider_support::fixture("rsa2048_public.pem"),
        ),
    )));
    let jwt = ok(JwtManager::builder(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_identity_claim("email"),
    )
    .trusted_issuer(TrustedIssuer::with_keys("https://partner.example", set))
    .build());
    let app = router(jwt);
    let mut claims = json!({"iss": "https://partner.example", "email": "p@x", "exp": now() + 60});
    assert_eq!(
        get_with(&app, &key.sign(&claims, Some("p-1"))).await.status,
        200
    );
    // Without kid: tried with the keys of its family.
    assert_eq!(get_with(&app, &key.sign(&claims, None)).await.status, 200);
    claims["email"] = json!("q@x");
    get_with(&app, &key.sign(&claims, Some("p-2")))
        .await
        .assert_error(422, "Signature verification failed");
}

#[test]
fn remote_issuers_refuse_hmac_and_duplicates() {
    let jwks = || ok(RemoteJwks::jwks_url("https://idp.example/certs").build());
    let hmac = JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
        .trusted_issuer(
            TrustedIssuer::remote("https://idp.example", jwks()).algorithms([Algorithm::HS256]),
        )
        .build();
    assert!(hmac.is_err());
    let twice = JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
        .trusted_issuer(TrustedIssuer::remote("https://idp.example", jwks()))
        .trusted_issuer(TrustedIssuer::remote("https://idp.example", jwks()))
        .build();
    assert!(twice.is_err());
    assert!(matches!(
        RemoteJwks::jwks_url("http://idp.example/certs").build(),
        Err(jwt_extended::issuers::RemoteKeysError::InsecureUrl(_))
    ));
}

/// Instance A signs with a key set and publishes it (JWKS + discovery on a
/// real port); instance B trusts A through discovery, so keys shared by
/// publishing need no copying: A rotates, B follows.
#[tokio::test]
async fn one_instance_consumes_another_ones_published_keys() {
    use axum::routing::get_service;
    use jwt_extended::axum::{DiscoveryEndpoint, JwksEndpoint};
    use jwt_extended::token::{Key, KeySet};

    let listener = ok(tokio::net::TcpListener::bind("127.0.0.1:0").await);
    let issuer = format!("http://{}", ok(listener.local_addr()));
    let private = |kid: &str, file: &str| {
        ok(Key::from_private_pem(
            kid,
            Algorithm::RS256,
            provider_support::fixture(file),
        ))
    };
    let a = ok(JwtManager::builder(
        JwtConfig::new()
            .with_algorithm(Algorithm::RS256)
            .with_encode_issuer(&issuer),
    )
    .key_set(ok(
        KeySet::new().with_signing_key(private("a-1", "rsa2048_private.pem"))
    ))
    .build());
    let discovery =
        DiscoveryEndpoint::from_manager(&a).unwrap_or_else(|| panic!("JWT_ENCODE_ISSUER is set"));
    let published = Router::new()
        .route_service("/.well-known/jwks.json", get_service(JwksEndpoint::new(&a)))
        .route_service("/.well-known/openid-configuration", get_service(discovery));
    tokio::spawn(async move {
        let _ = axum::serve(listener, published).await;
    });

    let b = ok(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
            .trusted_issuer(
                TrustedIssuer::discover(&issuer)
                    .map(|t| t.algorithms([Algorithm::RS256]))
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .build(),
    );
    let app_b = router(b);
    let token = ok(a.create_access_token("alice"));
    let response = get_with(&app_b, &token).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["identity"], "alice");

    // A rotates to a new key; B accepts A's next token at once.
    ok(a.keys()
        .add_verification_key(private("a-2", "rsa2048_other_private.pem")));
    ok(a.keys().set_signing_key("a-2"));
    let rotated = ok(a.create_access_token("alice"));
    assert_eq!(get_with(&app_b, &rotated).await.status, 200);
    assert_eq!(get_with(&app_b, &token).await.status, 200);
}
