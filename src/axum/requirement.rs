//! Route requirements: the arguments of `jwt_required(...)` as types.

use crate::manager::VerifyOptions;

/// What a route requires of its token: the arguments of the reference's
/// `jwt_required(...)` as a type, resolved at compile time.
///
/// Use the ready-made [`Access`], [`Fresh`], [`Refresh`] and [`AnyType`], or
/// define your own:
///
/// ```
/// use jwt_extended::{VerifyOptions, config::TokenLocation, axum::{Jwt, Requirement}};
///
/// /// A fresh token, from the `Authorization` header only, revocation not checked.
/// struct FreshFromHeader;
///
/// impl Requirement for FreshFromHeader {
///     const OPTIONS: VerifyOptions = VerifyOptions::new()
///         .fresh(true)
///         .locations(&[TokenLocation::Headers])
///         .skip_revocation_check(true);
/// }
///
/// async fn change_password(token: Jwt<FreshFromHeader>) { /* ... */ }
/// ```
///
/// `optional` is not part of a requirement: use `Option<Jwt<R>>`.
pub trait Requirement: Send + Sync + 'static {
    /// The verification options of routes with this requirement.
    const OPTIONS: VerifyOptions;
}

/// An access token (`@jwt_required()`); refresh tokens are refused. The
/// default requirement of [`Jwt`](super::Jwt), [`CurrentUser`](super::CurrentUser) and [`Claims`](super::Claims).
///
/// ```
/// use jwt_extended::axum::{Access, Jwt};
///
/// async fn handler(token: Jwt<Access>) -> String { // same as `Jwt`
///     token.identity().to_string()
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Access;

impl Requirement for Access {
    const OPTIONS: VerifyOptions = VerifyOptions::new();
}

/// A fresh access token (`@jwt_required(fresh=True)`): a token created with
/// `.fresh(true)` (or still within its `.fresh_for(..)` window). Otherwise
/// 401 `Fresh token required`, replaceable with `needs_fresh_token_loader`.
///
/// ```
/// use jwt_extended::axum::{Fresh, Jwt};
///
/// async fn change_password(token: Jwt<Fresh>) -> String {
///     format!("password of {} changed", token.identity())
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Fresh;

impl Requirement for Fresh {
    const OPTIONS: VerifyOptions = VerifyOptions::new().fresh(true);
}

/// A refresh token (`@jwt_required(refresh=True)`), read from the refresh
/// cookie and JSON key.
///
/// ```
/// use axum::extract::State;
/// use jwt_extended::{JwtManager, axum::{FlaskJson, JwtRejection, Jwt, Refresh}};
/// use serde_json::{Value, json};
///
/// async fn refresh(State(jwt): State<JwtManager>, token: Jwt<Refresh>) -> Result<FlaskJson<Value>, JwtRejection> {
///     let access_token = jwt.create_access_token(token.identity())?;
///     Ok(FlaskJson(json!({ "access_token": access_token })))
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Refresh;

impl Requirement for Refresh {
    const OPTIONS: VerifyOptions = VerifyOptions::new().refresh(true);
}

/// Any token type (`@jwt_required(verify_type=False)`).
///
/// ```
/// use jwt_extended::axum::{AnyType, Jwt};
///
/// async fn logout(token: Jwt<AnyType>) -> String {
///     format!("{} token of {} revoked", token.token_type().unwrap_or("access"), token.identity())
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyType;

impl Requirement for AnyType {
    const OPTIONS: VerifyOptions = VerifyOptions::new().verify_type(false);
}
