//! Port of Flask-JWT-Extended's `examples/automatic_user_loading.py`: the
//! user of every protected request is loaded from a database, and handlers
//! receive it with `CurrentUser<User>`.
//!
//! Users live in an embedded SQLite database (in memory, through `sqlx`),
//! seeded at start like the reference. The store implements
//! [`UserLoader`]: a database error is answered as such
//! (`ErrorKind::LoaderFailed`, 500), while an unknown user gives the
//! reference's 401 `Error loading the user <id>`.
//!
//! # The identity is an integer, as upstream
//!
//! The upstream example makes the user's integer id the identity, so its
//! tokens carry `"sub": 1`. PyJWT 2.10 and later refuse a non-string `sub`,
//! so on the real library every token from `/login` is answered
//! `422 {"msg": "Subject must be a string"}` on `/who_am_i`. This port
//! reproduces that on purpose, with the explicit [`IdentityClaim::raw`].
//! The fix is to write the id as a string:
//! `IdentityClaim::string(self.id.to_string())`, which is what every
//! built-in `Identity` implementation does (see
//! `jwt_extended::manual::coming_from_flask`). Tokens whose `sub` is the id
//! as a string (e.g. made by a fixed Python service) work here already.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example automatic_user_loading
//! TOKEN=$(curl -s -X POST localhost:5000/login -H 'Content-Type: application/json' \
//!      -d '{"username": "panther", "password": "password"}' | jq -r .access_token)
//! curl -s localhost:5000/who_am_i -H "Authorization: Bearer $TOKEN"
//! ```

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{CurrentUser, FlaskJson};
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
/// id, written as-is. See the module docs: this is the pitfall.
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
    /// Creates and seeds the database. An in-memory database lives as long
    /// as its connection, so the pool holds exactly one, forever.
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

    /// By id, given as the token carries it. A string is compared the way
    /// SQLite compares text with an integer column, like the reference's
    /// query: `"2"` finds user 2, `"batman"` nobody.
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

#[derive(Clone)]
struct AppState {
    jwt: JwtManager,
    users: Users,
}

impl axum::extract::FromRef<AppState> for JwtManager {
    fn from_ref(state: &AppState) -> Self {
        state.jwt.clone()
    }
}

fn wrong_credentials() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        FlaskJson(json!("Wrong username or password")),
    )
        .into_response()
}

async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let json = match common::request_json(&headers, &body) {
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
    // Usernames are text: anything else matches nobody.
    let Some(Value::String(username)) = username else {
        return wrong_credentials();
    };
    let user = match state.users.by_username(&username).await {
        Ok(Some(user)) => user,
        Ok(None) => return wrong_credentials(),
        Err(e) => {
            tracing::error!(error = %e, "user query failed");
            return common::internal_error();
        }
    };
    // Upstream, a password that is not an ASCII string crashes
    // `compare_digest` (500); here it is simply wrong.
    let password_ok = password
        .as_ref()
        .and_then(Value::as_str)
        .is_some_and(|p| user.check_password(p));
    if !password_ok {
        return wrong_credentials();
    }
    // `create_access_token(identity=user)`: the user object itself.
    match state.jwt.create_access_token(&user) {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => jwt_extended::axum::render_error(&state.jwt, &error),
    }
}

/// `current_user`, loaded before the handler runs.
async fn who_am_i(CurrentUser(user): CurrentUser<User>) -> impl IntoResponse {
    FlaskJson(json!({
        "id": user.id,
        "full_name": user.full_name,
        "username": user.username,
    }))
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/who_am_i", get(who_am_i))
        .with_state(state)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let users = Users::seeded().await?;
    let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("super-secret"))
        .user_lookup_loader(users.clone())
        .build()?;
    common::serve("automatic_user_loading", app(AppState { jwt, users })).await
}
