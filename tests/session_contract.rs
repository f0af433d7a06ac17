//! The session contract (`jwt_extended::testing::session_contract`,
//! feature `test-util`: rotation with reuse detection, listing, deleting,
//! "log out everywhere" cut-offs), one test per check, run against every
//! store that implements `SessionStore`. Redis and PostgreSQL come from
//! `REDIS_URL` and `DATABASE_URL` (scripts/test.sh starts them); without
//! them these tests fail, they never skip.

mod blocklist_support;
mod common;

use jwt_extended::blocklist::MemoryBlocklist;
use jwt_extended::testing::session_contract as contract;

#[allow(unused_imports)]
use blocklist_support as support;

/// One test per published check against the store `$make` returns (an
/// async fn taking a unique hint).
macro_rules! sessions {
    ($store:ident, $make:path) => {
        mod $store {
            use super::*;

            sessions!(@checks $make;
                rotation_follows_the_current_token,
                grace_covers_only_the_immediate_predecessor,
                grace_ends_and_zero_means_none,
                unknown_and_ended_sessions,
                concurrent_rotations_have_one_winner,
                sessions_are_listed_per_identity,
                deleting_needs_the_owner,
                identity_cutoffs,
                ids_are_opaque_strings,
                manager_rotates_and_detects_reuse,
                manager_logs_out_everywhere,
            );
        }
    };
    (@checks $make:path; $($check:ident),* $(,)?) => {
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
}

async fn memory_store(_hint: &str) -> MemoryBlocklist {
    MemoryBlocklist::new()
}

sessions!(memory, memory_store);
sessions!(sqlite, support::sqlite_store);
sessions!(postgres, support::postgres_store);
sessions!(redis, support::redis_store);
