//! Port of Flask-JWT-Extended's `examples/additional_data_in_access_token.py`
//! to actix-web: extra claims at login, read back with `Claims<T>`. The same
//! contract as the axum example `additional_data_in_access_token`.

#[path = "actix_common/mod.rs"]
mod common;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use jwt_extended::actix::{Claims, FlaskJson, render_error};
use jwt_extended::{JwtConfig, JwtManager};
use serde::Deserialize;
use serde_json::{Value, json};

async fn login(jwt: web::Data<JwtManager>, request: HttpRequest, body: Bytes) -> HttpResponse {
    let [username, password] = match common::json_fields(&request, &body, ["username", "password"])
    {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let username = match (username, password) {
        (Some(Value::String(u)), Some(Value::String(p))) if u == "test" && p == "test" => u,
        _ => {
            return FlaskJson(json!({"msg": "Bad username or password"}))
                .with_status(StatusCode::UNAUTHORIZED);
        }
    };
    // `create_access_token(identity, additional_claims=...)`
    let token = jwt
        .access_token(&username)
        .additional_claims(json!({"aud": "some_audience", "foo": "bar"}))
        .create();
    match token {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

/// The claims this route needs. A token without `foo` is refused with 422
/// (upstream, `get_jwt()["foo"]` raises a KeyError: 500).
#[derive(Deserialize)]
struct Extra {
    foo: Value,
}

async fn protected(Claims(claims, _): Claims<Extra>) -> FlaskJson<Value> {
    FlaskJson(json!({ "foo": claims.foo }))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/login", &["POST"]).route(web::post().to(login)))
        .service(common::resource("/protected", &["GET"]).route(common::get().to(protected)));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
    common::serve("actix_additional_data_in_access_token", jwt, routes).await?;
    Ok(())
}
