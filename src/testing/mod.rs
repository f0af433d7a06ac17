//! Test utilities for code built on this crate (feature `test-util`).
//!
//! - [`bearer`]: a request carrying a token the way the manager reads it;
//! - [`blocklist_contract`]: the suite every [`Blocklist`](crate::blocklist::Blocklist)
//!   store must pass, to run against your own store;
//! - [`session_contract`]: the suite every [`SessionStore`](crate::blocklist::SessionStore)
//!   must pass (rotation, listing, cut-offs).
//!
//! The manual page [`testing`](crate::manual::testing) shows how to test an
//! app: configuration from a map, expired and not-yet-valid tokens, driving
//! a `Router` with `oneshot`, real Redis.

pub mod blocklist_contract;
mod requests;
pub mod session_contract;

pub use requests::bearer;
