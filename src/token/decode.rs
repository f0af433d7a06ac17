//! Decoding a token: the JWS part ([`jws`](super::jws): segments, header,
//! algorithm, signature) then the claim checks ([`claims`](super::claims)).
//! This module only gathers the steps the manager calls, in that order.

pub(crate) use super::claims::{Expiration, fill_defaults, validate_claims};
pub(crate) use super::jws::{
    DecodedJson, Unverified, parse_unverified, parse_unverified_with, unverified_header,
};
