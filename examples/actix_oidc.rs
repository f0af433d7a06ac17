//! Port of Flask-JWT-Extended's `examples/oidc.py` to actix-web (the same
//! contract as the axum example `oidc`): an API that accepts the
//! access tokens of an OpenID Connect provider (Keycloak, Auth0, Google,
//! Microsoft Entra, …), checks the audience, names the user by the `email`
//! claim and requires a group for one route.
//!
//! The reference fetches the provider's *first* key once at start-up and
//! ignores `kid`, so the provider's next key rotation breaks it. Here the
//! keys come through OIDC discovery into a cache that follows rotations:
//! refreshed in the background, refetched (sparingly) for a new `kid`,
//! kept while the provider is down.
//!
//! Configuration (environment):
//! - `OIDC_ISSUER_URL`: the issuer, exactly as its tokens write `iss`
//!   (default `https://my-identity-server.example/auth/realms/master`).
//!   `http` is accepted for loopback hosts only (a local provider).
//! - `OIDC_CLIENT_ID`: the audience (default `example.my-identity-server`).
//! - `PORT`: listen on `127.0.0.1:$PORT` (default 5000).
//!
//! Differences from the reference, on purpose:
//! - a token must name the issuer in `iss` (the reference does not look):
//!   another `iss` gets 422 `Invalid issuer`, none 422 `Token is missing
//!   the "iss" claim`;
//! - the key is chosen by `kid`, among the signature keys the provider
//!   publishes (the reference takes the first key, whatever the token says);
//! - a token without a `groups` claim (or with a `null`/number there) is
//!   refused on `/group-protected` like a user outside the group, 401,
//!   where the reference fails with a 500;
//! - tokens whose key cannot be fetched get 503 with a JSON body.
//!
//! Run against a local provider (see `interop/oidc_provider.py`):
//!
//! ```sh
//! python3 interop/oidc_provider.py --port 8080 &
//! OIDC_ISSUER_URL=http://127.0.0.1:8080/realms/master cargo run --example actix_oidc
//! TOKEN=$(curl -s -X POST localhost:8080/control/mint -d '{}' | jq -r .token)
//! curl -s localhost:5000/group-protected -H "Authorization: Bearer $TOKEN"
//! ```

#[path = "actix_common/mod.rs"]
mod common;

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use jwt_extended::actix::{CurrentUser, FlaskJson, Jwt};
use jwt_extended::hooks::UserLoader;
use jwt_extended::issuers::{RemoteJwks, TrustedIssuer};
use jwt_extended::{Algorithm, DecodedToken, Error, JwtConfig, JwtManager};
use serde_json::{Value, json};

const DEFAULT_ISSUER: &str = "https://my-identity-server.example/auth/realms/master";
const DEFAULT_CLIENT_ID: &str = "example.my-identity-server";
/// The claim naming the user.
const USERNAME_CLAIM: &str = "email";
/// The claim listing the user's groups.
const GROUPS_CLAIM: &str = "groups";
/// The group `/group-protected` requires.
const REQUIRED_GROUP: &str = "api-access";

/// The user of a request: its name is the `email` claim.
#[derive(Clone)]
struct User {
    username: Value,
}

/// The reference's `user_lookup_loader`: every valid token is a user.
struct FromToken;

impl UserLoader for FromToken {
    type User = User;

    async fn load_user(&self, token: &DecodedToken) -> Result<Option<User>, Error> {
        Ok(Some(User {
            username: token.identity().clone(),
        }))
    }
}

async fn anonymous() -> FlaskJson<Value> {
    FlaskJson(json!({"result": "anonymous ok"}))
}

async fn token_protected(_token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({"result": "protected by token ok"}))
}

async fn group_protected(token: Jwt, CurrentUser(user, _): CurrentUser<User>) -> HttpResponse {
    if !in_group(token.claims().get(GROUPS_CLAIM), REQUIRED_GROUP) {
        return FlaskJson(json!({"result": "user not in group required to access this endpoint"}))
            .with_status(StatusCode::UNAUTHORIZED);
    }
    FlaskJson(json!([
        {"result": "protected by token AND group membership ok"},
        {"user": user.username},
    ]))
    .into_response()
}

/// Python's `group in groups`, as the reference asks it: an element of a
/// list, a substring of a string, a key of an object. Anything else
/// (missing, `null`, a number) is not membership.
fn in_group(groups: Option<&Value>, group: &str) -> bool {
    match groups {
        Some(Value::Array(items)) => items.iter().any(|item| item.as_str() == Some(group)),
        Some(Value::String(text)) => text.contains(group),
        Some(Value::Object(keys)) => keys.contains_key(group),
        _ => false,
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/anonymous", &["GET"]).route(common::get().to(anonymous)))
        .service(
            common::resource("/token-protected", &["GET"]).route(common::get().to(token_protected)),
        )
        .service(
            common::resource("/group-protected", &["GET"]).route(common::get().to(group_protected)),
        );
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = env_or("OIDC_ISSUER_URL", DEFAULT_ISSUER);
    let client_id = env_or("OIDC_CLIENT_ID", DEFAULT_CLIENT_ID);

    let keys = RemoteJwks::discover(&issuer)
        .timeout(Duration::from_secs(2))
        .build()?;
    let config = JwtConfig::new()
        .with_algorithm(Algorithm::RS256)
        .with_identity_claim(USERNAME_CLAIM)
        .with_decode_audience(client_id);
    let jwt = JwtManager::builder(config)
        .verify_only()
        .trusted_issuer(TrustedIssuer::remote(&issuer, keys.clone()).algorithms([Algorithm::RS256]))
        .user_lookup_loader(FromToken)
        .build()?;

    // Warm the cache; a provider that is down only delays its tokens.
    actix_web::rt::spawn(async move {
        if let Err(error) = keys.refresh().await {
            eprintln!("oidc: the provider's keys are not available yet: {error}");
        }
    });
    common::serve("actix_oidc", jwt, routes).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_follows_python_in() {
        let group = REQUIRED_GROUP;
        assert!(in_group(Some(&json!(["x", "api-access"])), group));
        assert!(!in_group(Some(&json!(["api-access-2"])), group));
        assert!(in_group(Some(&json!("admins,api-access")), group));
        assert!(in_group(Some(&json!({"api-access": 1})), group));
        assert!(!in_group(Some(&json!(null)), group));
        assert!(!in_group(Some(&json!(7)), group));
        assert!(!in_group(None, group));
    }
}
