//! Security primitives every layer shares (the bottom of the crate, like
//! `error`): comparing secrets in constant time.

use subtle::ConstantTimeEq;

/// Compares two secrets in constant time (for equal lengths; the length
/// itself is not secret).
#[must_use]
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
