//! Port of Flask-JWT-Extended's `examples/automatic_user_loading.py` to
//! actix-web: the user object as the identity, a user lookup on every
//! protected request, `CurrentUser<User>`. Users in an in-memory SQLite
//! database (sqlx). The same contract as the axum example
//! `automatic_user_loading`.

#[path = "actix_common/mod.rs"]
mod common;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use jwt_extended::actix::{CurrentUser, FlaskJson, render_error};
use jwt_extended::hooks::UserLoader;
use jwt_extended::token::{Identity, IdentityClaim};
use jwt_extended::{DecodedToken, Error, ErrorKind, JwtConfig, JwtManager};
use serde_json::{Value, json};
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};
use subtle::ConstantTimeEq as _;

/// A row of the `user` table.
#[derive(Debug, Clone, sqlx::FromRow)]
struct User {
    id: i64,
    username: String,
    full_name: String,
}

impl User {
    /// Demo only: every user's password is "password". In a real
    /// application, store a salted hash and verify against it.
    fn check_password(&self, password: &str) -> bool {
        bool::from(password.as_bytes().ct_eq(b"password"))
    }
}

/// The reference's `user_identity_loader` (`return user.id`): the integer
/// id, written as-is.
impl Identity for User {
    fn identity_claim(&self) -> IdentityClaim {
        IdentityClaim::raw(self.id)
    }
}

const SEED_USERS: [(&str, &str); 3] = [
    ("Bruce Wayne", "batman"),
    ("Ann Takamaki", "panther"),
    ("Jester Lavore", "little_sapphire"),
];

/// The user table, in an in-memory SQLite database.
#[derive(Clone)]
struct Users {
    pool: SqlitePool,
}

impl Users {
    /// Creates and seeds the database (one connection, kept forever: an
    /// in-memory database lives as long as its connection).
    async fn seeded() -> Result<Self, sqlx::Error> {
        let pool = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect("sqlite::memory:")
            .await?;
        sqlx::query(
            "CREATE TABLE user (id INTEGER PRIMARY KEY, \
             username TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL)",
        )
        .execute(&pool)
        .await?;
        for (full_name, username) in SEED_USERS {
            sqlx::query("INSERT INTO user (full_name, username) VALUES (?, ?)")
                .bind(full_name)
                .bind(username)
                .execute(&pool)
                .await?;
        }
        Ok(Self { pool })
    }

    async fn by_username(&self, username: &str) -> Result<Option<User>, sqlx::Error> {
        sqlx::query_as("SELECT id, username, full_name FROM user WHERE username = ?")
            .bind(username)
            .fetch_optional(&self.pool)
            .await
    }

    /// By id, given as the token carries it (SQLite's text/integer
    /// comparison, like the reference's query).
    async fn by_id(&self, id: &Value) -> Result<Option<User>, sqlx::Error> {
        let query = sqlx::query_as("SELECT id, username, full_name FROM user WHERE id = ?");
        let query = match id {
            Value::String(s) => query.bind(s.clone()),
            Value::Number(n) => match n.as_i64() {
                Some(i) => query.bind(i),
                None => query.bind(n.as_f64()),
            },
            _ => return Ok(None),
        };
        query.fetch_optional(&self.pool).await
    }
}

/// The reference's `user_lookup_loader`: runs on every protected request.
impl UserLoader for Users {
    type User = User;

    async fn load_user(&self, token: &DecodedToken) -> Result<Option<User>, Error> {
        self.by_id(token.identity()).await.map_err(|e| {
            Error::new(ErrorKind::LoaderFailed, "The user database is unavailable").with_source(e)
        })
    }
}

fn wrong_credentials() -> HttpResponse {
    FlaskJson(json!("Wrong username or password")).with_status(StatusCode::UNAUTHORIZED)
}

async fn login(
    jwt: web::Data<JwtManager>,
    users: web::Data<Users>,
    request: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    let json = match common::request_json(&request, &body) {
        Ok(json) => json,
        Err(response) => return response,
    };
    let (username, password) = match (
        common::json_get(&json, "username"),
        common::json_get(&json, "password"),
    ) {
        (Ok(username), Ok(password)) => (username.cloned(), password.cloned()),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    let Some(Value::String(username)) = username else {
        return wrong_credentials();
    };
    let user = match users.by_username(&username).await {
        Ok(Some(user)) => user,
        Ok(None) => return wrong_credentials(),
        Err(e) => {
            tracing::error!(error = %e, "user query failed");
            return common::internal_error();
        }
    };
    let password_ok = password
        .as_ref()
        .and_then(Value::as_str)
        .is_some_and(|p| user.check_password(p));
    if !password_ok {
        return wrong_credentials();
    }
    match jwt.create_access_token(&user) {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

/// `current_user`, loaded before the handler runs.
async fn who_am_i(CurrentUser(user, _): CurrentUser<User>) -> FlaskJson<Value> {
    FlaskJson(json!({
        "id": user.id,
        "full_name": user.full_name,
        "username": user.username,
    }))
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let users = Users::seeded().await?;
    let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("super-secret"))
        .user_lookup_loader(users.clone())
        .build()?;
    let users = web::Data::new(users);
    let routes = move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(users.clone())
            .service(common::resource("/login", &["POST"]).route(web::post().to(login)))
            .service(common::resource("/who_am_i", &["GET"]).route(common::get().to(who_am_i)));
    };
    common::serve("actix_automatic_user_loading", jwt, routes).await?;
    Ok(())
}
