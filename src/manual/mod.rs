//! The manual: topics that need more than an item's documentation.

#[doc = include_str!("coming_from_flask.md")]
pub mod coming_from_flask {}

#[doc = include_str!("cookies_and_csrf.md")]
pub mod cookies_and_csrf {}

#[doc = include_str!("defaults.md")]
pub mod defaults {}

#[doc = include_str!("keys.md")]
pub mod keys {}

#[doc = include_str!("sessions.md")]
pub mod sessions {}

#[doc = include_str!("testing.md")]
pub mod testing {}

#[doc = include_str!("troubleshooting.md")]
pub mod troubleshooting {}
