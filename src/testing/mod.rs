//! Test utilities for code built on this crate (feature `test-util`).
//!
//! - [`blocklist_contract`]: the suite every [`Blocklist`](crate::blocklist::Blocklist)
//!   store must pass, to run against your own store.

pub mod blocklist_contract;
