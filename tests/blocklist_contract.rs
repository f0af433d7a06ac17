//! One contract for every blocklist store, run against memory, Redis,
//! SQLite and PostgreSQL: the published suite
//! (`jwt_extended::testing::blocklist_contract`, feature `test-util`) plus the
//! scenarios that need a router or check the manager's own refusals.
//! Redis and PostgreSQL come from `REDIS_URL` and `DATABASE_URL`
//! (scripts/test.sh starts them); without them these tests fail, they never
//! skip. Each test uses its own key prefix or table, so
//! they run in parallel.

mod blocklist_support;
mod common;

use std::time::Duration;

use axum::http::Method;
use jwt_extended::blocklist::{Blocklist, MemoryBlocklist, Revocation};
use jwt_extended::testing::blocklist_contract as contract;
use jwt_extended::{DecodedToken, ErrorKind, JwtConfig, JwtManager};
use serde_json::json;

use blocklist_support as support;

fn jwt_with<S: Blocklist>(store: S) -> JwtManager {
    support::manager(store, JwtConfig::new())
}

async fn decode(jwt: &JwtManager, token: &str) -> DecodedToken {
    jwt.decode_token(token)
        .await
        .unwrap_or_else(|e| panic!("decode: {e}"))
}

async fn access(jwt: &JwtManager, identity: &str) -> DecodedToken {
    let token = jwt
        .create_access_token(identity)
        .unwrap_or_else(|e| panic!("{e}"));
    decode(jwt, &token).await
}

async fn revoked(jwt: &JwtManager, token: &DecodedToken) -> bool {
    jwt.is_revoked(token)
        .await
        .unwrap_or_else(|e| panic!("is_revoked: {e}"))
}

/// The scenarios, each written once.
mod scenarios {
    use super::*;

    pub(super) async fn revoke_by_claims_and_by_jti<S: Blocklist>(store: S) {
        let jwt = jwt_with(store);
        let by_claims = access(&jwt, "alice").await;
        jwt.revoke_claims(by_claims.claims())
            .await
            .unwrap_or_else(|e| panic!("revoke_claims: {e}"));
        assert!(revoked(&jwt, &by_claims).await);

        let by_jti = access(&jwt, "bob").await;
        let entry = Revocation::for_jti(by_jti.jti().unwrap_or_default(), by_jti.expires_at());
        jwt.revoke_entry(&entry)
            .await
            .unwrap_or_else(|e| panic!("revoke_entry: {e}"));
        assert!(revoked(&jwt, &by_jti).await);

        // Any token with a revoked jti is revoked, whoever made it.
        let same_jti = common::token_with_claims(&json!({
            "sub": "mallory", "type": "access", "fresh": false, "iat": common::now(),
            "exp": common::now() + 600, "jti": by_jti.jti(),
        }));
        assert!(revoked(&jwt, &decode(&jwt, &same_jti).await).await);
    }

    pub(super) async fn revoke_an_encoded_token<S: Blocklist>(store: S) {
        let jwt = jwt_with(store);
        let refresh = jwt
            .create_refresh_token("alice")
            .unwrap_or_else(|e| panic!("{e}"));
        jwt.revoke_encoded(&refresh)
            .await
            .unwrap_or_else(|e| panic!("revoke_encoded: {e}"));
        assert!(revoked(&jwt, &decode(&jwt, &refresh).await).await);

        // Forged tokens are refused, not stored.
        let forged = common::hs_token(
            "another-secret",
            &json!({"alg": "HS256", "typ": "JWT"}),
            &json!({"sub": "x", "jti": "forged", "exp": common::now() + 600}),
        );
        let error = jwt.revoke_encoded(&forged).await.err();
        assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::InvalidSignature));
    }

    pub(super) async fn tokens_without_jti<S: Blocklist>(store: S) {
        let jwt = jwt_with(store);
        let token = common::token_with_claims(&json!({
            "sub": "alice", "type": "access", "fresh": false,
            "iat": common::now(), "exp": common::now() + 600,
        }));
        let decoded = decode(&jwt, &token).await;
        assert!(!revoked(&jwt, &decoded).await, "nothing to look up");
        let error = jwt.revoke(&decoded).await.err();
        assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::InvalidClaim));
    }

    pub(super) async fn revoke_session_checks_the_refresh_token<S: Blocklist>(store: S) {
        let jwt = jwt_with(store);
        let alice = access(&jwt, "alice").await;
        let bobs_refresh = jwt
            .create_refresh_token("bob")
            .unwrap_or_else(|e| panic!("{e}"));
        let error = jwt.revoke_session(&alice, &bobs_refresh).await.err();
        assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::InvalidClaim));
        assert!(!revoked(&jwt, &decode(&jwt, &bobs_refresh).await).await);

        let not_refresh = jwt
            .create_access_token("alice")
            .unwrap_or_else(|e| panic!("{e}"));
        let error = jwt.revoke_session(&alice, &not_refresh).await.err();
        assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::WrongTokenType));
        assert!(!revoked(&jwt, &alice).await, "nothing revoked on error");
    }

    pub(super) async fn revoked_tokens_are_refused_by_routes<S: Blocklist>(store: S) {
        let jwt = jwt_with(store);
        let app = support::app(jwt.clone());
        let login = common::send(
            &app,
            common::request(Method::POST, "/login")
                .body(axum::body::Body::empty())
                .unwrap_or_default(),
        )
        .await;
        let access_token = login.json()["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let refresh_token = login.json()["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let ok = common::http_get_bearer(&app, "/protected", &access_token).await;
        assert_eq!(ok.status, 200, "{}", ok.text());

        let bearer = format!("Bearer {access_token}");
        let logout = common::send(
            &app,
            common::request(Method::DELETE, "/logout")
                .header("Authorization", bearer.as_str())
                .body(axum::body::Body::empty())
                .unwrap_or_default(),
        )
        .await;
        assert_eq!(logout.status, 200, "{}", logout.text());
        common::http_get_bearer(&app, "/protected", &access_token)
            .await
            .assert_error(401, "Token has been revoked");

        // Refresh tokens are checked too.
        let refresh = decode(&jwt, &refresh_token).await;
        jwt.revoke(&refresh).await.unwrap_or_else(|e| panic!("{e}"));
        let response = common::send(
            &app,
            common::request(Method::POST, "/refresh")
                .header("Authorization", format!("Bearer {refresh_token}"))
                .body(axum::body::Body::empty())
                .unwrap_or_default(),
        )
        .await;
        response.assert_error(401, "Token has been revoked");
    }
}

/// Runs the published contract (`jwt_extended::testing::blocklist_contract`, one
/// test per check) and the scenarios above against one store; `$make` is
/// an async fn taking a unique hint and returning a fresh store.
macro_rules! contract {
    ($store:ident, $make:path) => {
        mod $store {
            use super::*;

            contract!(@published $make;
                unknown_keys_are_not_revoked,
                a_revoked_key_is_found,
                either_key_revokes,
                revoking_twice_is_harmless,
                entries_without_expiry_stay,
                entries_live_until_they_expire,
                revoking_again_never_shortens,
                keys_are_opaque_strings,
                concurrent_calls,
                manager_revokes_tokens,
                manager_revokes_sessions,
                manager_revokes_token_pairs,
            );
            contract!(@tests $make;
                revoke_by_claims_and_by_jti,
                revoke_an_encoded_token,
                tokens_without_jti,
                revoke_session_checks_the_refresh_token,
                revoked_tokens_are_refused_by_routes,
            );
        }
    };
    (@published $make:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let store = $make(stringify!($check)).await;
                if let Err(failure) = contract::run_check(stringify!($check), store).await {
                    panic!("{failure}");
                }
            }
        )*

        #[test]
        fn every_published_check_runs() {
            assert_eq!(contract::CHECKS, [$(stringify!($check)),*]);
        }
    };
    (@tests $make:path; $($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                scenarios::$scenario($make(stringify!($scenario)).await).await;
            }
        )*
    };
}

async fn memory_store(_hint: &str) -> MemoryBlocklist {
    MemoryBlocklist::new()
}

contract!(memory, memory_store);
contract!(redis, support::redis_store);
contract!(sqlite, support::sqlite_store);
contract!(postgres, support::postgres_store);

/// What only Redis promises: the reference recipe's layout.
mod redis_layout {
    use super::*;
    use jwt_extended::blocklist::{RedisBlocklist, redis};

    async fn ttl(key: &str) -> i64 {
        let mut conn = support::redis_connection().await;
        redis::cmd("TTL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("TTL: {e}"))
    }

    async fn get(key: &str) -> Option<String> {
        let mut conn = support::redis_connection().await;
        redis::cmd("GET")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("GET: {e}"))
    }

    async fn unprefixed() -> RedisBlocklist {
        let url = common::required_env("REDIS_URL");
        RedisBlocklist::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn without_prefix_the_key_is_the_jti_with_an_empty_value_and_a_ttl() {
        let store = unprefixed().await;
        assert_eq!(store.prefix(), "");
        let jwt = jwt_with(store);
        let token = access(&jwt, "alice").await; // 15 minutes
        jwt.revoke(&token).await.unwrap_or_else(|e| panic!("{e}"));
        let jti = token.jti().unwrap_or_default();
        assert_eq!(get(jti).await.as_deref(), Some(""));
        let ttl = ttl(jti).await;
        assert!((890..=900).contains(&ttl), "TTL {ttl}, expected about 900");
    }

    #[tokio::test]
    async fn tokens_without_exp_get_no_ttl() {
        let jwt = jwt_with(unprefixed().await);
        let token = jwt
            .access_token("alice")
            .never_expires()
            .create()
            .unwrap_or_else(|e| panic!("{e}"));
        let token = decode(&jwt, &token).await;
        jwt.revoke(&token).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ttl(token.jti().unwrap_or_default()).await, -1);
    }

    #[tokio::test]
    async fn the_prefix_goes_in_front_of_the_jti() {
        let store = support::redis_store("prefix").await;
        let prefix = store.prefix().to_owned();
        let jwt = jwt_with(store);
        let token = access(&jwt, "alice").await;
        jwt.revoke(&token).await.unwrap_or_else(|e| panic!("{e}"));
        let jti = token.jti().unwrap_or_default();
        assert_eq!(get(&format!("{prefix}{jti}")).await.as_deref(), Some(""));
        assert_eq!(get(jti).await, None);
    }

    #[tokio::test]
    async fn entries_written_by_the_reference_recipe_are_seen() {
        // What `blocklist_redis.py` does at logout: SET <jti> "" EX 3600.
        let jwt = jwt_with(unprefixed().await);
        let token = access(&jwt, "alice").await;
        let mut conn = support::redis_connection().await;
        redis::cmd("SET")
            .arg(token.jti().unwrap_or_default())
            .arg("")
            .arg("EX")
            .arg(3600)
            .exec_async(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(revoked(&jwt, &token).await);
    }

    #[tokio::test]
    async fn revoking_again_never_shortens_the_ttl() {
        let store = unprefixed().await;
        let jwt = jwt_with(store.clone());
        let token = access(&jwt, "alice").await;
        let jti = token.jti().unwrap_or_default();
        store
            .revoke(&Revocation::for_jti(jti, Some(common::now() + 5000)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .revoke(&Revocation::for_jti(jti, Some(common::now() + 100)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(ttl(jti).await > 4000);
        store
            .revoke(&Revocation::for_jti(jti, None))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ttl(jti).await, -1, "no exp: kept until removed");
    }

    #[tokio::test]
    async fn rediss_without_tls_support_is_a_clear_error() {
        let error = RedisBlocklist::connect("rediss://127.0.0.1:6380/0")
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("tokio-rustls-comp"), "{error}");
    }

    #[tokio::test]
    async fn bad_prefixes_are_refused() {
        let store = unprefixed().await;
        assert!(store.clone().with_prefix("a b").is_err());
        assert!(store.with_prefix("keys*").is_err());
    }
}

/// What only the SQL store promises: its table, purge and name checks.
mod sql_table {
    use super::*;
    use jwt_extended::blocklist::SqlBlocklist;
    use jwt_extended::blocklist::sqlx::{self, Row};

    async fn revoke_two(store: &SqlBlocklist) {
        store
            .revoke(&Revocation::for_jti("past", Some(common::now() + 1)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .revoke(&Revocation::for_jti("future", Some(common::now() + 3600)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .revoke(&Revocation::for_jti("forever", None))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[tokio::test]
    async fn sqlite_purge_drops_only_expired_rows() {
        let store = support::sqlite_store("purge").await;
        revoke_two(&store).await;
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(
            store
                .purge_expired()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            1
        );
        assert_eq!(
            store
                .purge_expired()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            0
        );
    }

    #[tokio::test]
    async fn postgres_purge_drops_only_expired_rows() {
        let store = support::postgres_store("purge").await;
        revoke_two(&store).await;
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(
            store
                .purge_expired()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            1
        );
        assert_eq!(
            store
                .purge_expired()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            0
        );
    }

    #[tokio::test]
    async fn postgres_rows_hold_type_identity_and_times() {
        let store = support::postgres_store("columns").await;
        let jwt = jwt_with(store.clone());
        let refresh = jwt
            .create_refresh_token("alice")
            .unwrap_or_else(|e| panic!("{e}"));
        let refresh = decode(&jwt, &refresh).await;
        jwt.revoke(&refresh).await.unwrap_or_else(|e| panic!("{e}"));
        let pool = match store.pool() {
            jwt_extended::blocklist::SqlPool::Postgres(pool) => pool.clone(),
            other => panic!("not PostgreSQL: {other:?}"),
        };
        let sql = format!(
            "SELECT token_type, identity #>> '{{}}' AS identity, \
             extract(epoch from revoked_at)::bigint AS revoked_at, \
             extract(epoch from expires_at)::bigint AS expires_at \
             FROM \"{}\" WHERE jti = $1",
            store.table_name()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(refresh.jti().unwrap_or_default())
            .fetch_one(&pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(row.get::<String, _>("token_type"), "refresh");
        assert_eq!(row.get::<String, _>("identity"), "alice");
        assert!((row.get::<i64, _>("revoked_at") - common::now()).abs() <= 2);
        // exp + the access-token lifetime (15 minutes): access tokens of the
        // session minted late must stay blocked.
        let expected = refresh.expires_at().unwrap_or_default() + 900;
        assert_eq!(row.get::<i64, _>("expires_at"), expected);
    }

    #[tokio::test]
    async fn migrate_is_idempotent_and_concurrent_safe() {
        let pool = support::pg_pool().await;
        let store = SqlBlocklist::new(pool)
            .with_table_name(format!("t_{}", support::unique("migrate")))
            .unwrap_or_else(|e| panic!("{e}"));
        let (a, b, c) = tokio::join!(store.migrate(), store.migrate(), store.migrate());
        for result in [a, b, c] {
            result.unwrap_or_else(|e| panic!("migrate: {e}"));
        }
        store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    }

    #[tokio::test]
    async fn injection_in_table_names_is_refused() {
        let store = support::sqlite_store("names").await;
        for bad in ["x; DROP TABLE users", "a\"b", "1x", "schema.table", ""] {
            assert!(store.clone().with_table_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(store.table_name().get(..2), Some("t_"));
    }
}
