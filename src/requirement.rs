//! Route requirements: the arguments of `jwt_required(...)` as types, and
//! the authorisation guards that compose with them. Framework-free: the
//! extractors of every web framework module (`axum`, `actix`) take the same
//! requirements, so a guard is written once. Each framework module
//! re-exports them (`jwt_extended::axum::Access` is
//! `jwt_extended::requirement::Access`).

use crate::error::Error;
use crate::manager::{Verified, VerifyOptions};

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
///
/// A requirement may also check the verified token (its claims, its loaded
/// user) with [`check`](Self::check); the usual way is a [`Guard`] paired
/// with a requirement in a tuple, `Jwt<(Fresh, Admin)>`.
pub trait Requirement: Send + Sync + 'static {
    /// The verification options of routes with this requirement.
    const OPTIONS: VerifyOptions;

    /// Checks a token that passed the verification of [`OPTIONS`](Self::OPTIONS):
    /// `Err` refuses the request with that error (rendered with the
    /// manager's responses). Accepts everything by default.
    ///
    /// # Errors
    /// Whatever the requirement refuses, usually [`Error::forbidden`].
    #[inline]
    fn check(verified: &Verified) -> Result<(), Error> {
        let _ = verified;
        Ok(())
    }
}

/// An authorisation guard: a check on a verified token beyond its type and
/// freshness — a role, a group, a scope, any predicate on the claims or on
/// the loaded user. A guard is a type (usually a unit struct), so it costs
/// nothing per request but the check itself; nothing is allocated unless it
/// refuses.
///
/// Pair it with a [`Requirement`] in a tuple: `Jwt<(Access, Admin)>` is "an
/// access token of an administrator", `Jwt<(Fresh, Admin, Billing)>` a fresh
/// one that also passes `Billing`. Tuples are requirements, so they work with
/// every extractor ([`Jwt`](crate::axum::Jwt), [`CurrentUserWith`](crate::axum::CurrentUserWith),
/// [`ClaimsWith`](crate::axum::ClaimsWith), `Option<…>`) and with
/// [`RequireJwtLayer`](crate::axum::RequireJwtLayer) for a whole router.
///
/// A refusal answers **403** with `{"msg": MESSAGE}` (the manager's message
/// key), an [`ErrorKind::Forbidden`](crate::ErrorKind::Forbidden) error, so
/// [`forbidden_loader`](crate::axum::JwtManagerBuilderExt::forbidden_loader) and
/// the catch-all custom response render it like every other error. Token
/// errors come first: a guard only sees tokens that passed verification.
/// With `Option<Jwt<(Access, Admin)>>`, no token gives `None`, but a token
/// that fails the guard is still refused. A scope guard can refuse with
/// [`Error::insufficient_scope`]`("write:posts")`: with the
/// [resource-server error style](crate::axum::JwtManagerBuilderExt::bearer_error_style)
/// the 403 then names the missing scope in its `WWW-Authenticate` header.
///
/// ```
/// use axum::{Router, routing::get};
/// use jwt_extended::{JwtConfig, JwtManager, Verified, axum::{Access, Fresh, Guard, Jwt, RequireJwtLayer}};
///
/// /// Tokens whose `roles` claim contains `"admin"`.
/// struct Admin;
///
/// impl Guard for Admin {
///     const MESSAGE: &'static str = "Admins only!";
///
///     fn allows(verified: &Verified) -> bool {
///         verified.token().claim("roles")
///             .and_then(|roles| roles.as_array())
///             .is_some_and(|roles| roles.iter().any(|r| r == "admin"))
///     }
/// }
///
/// async fn dashboard(token: Jwt<(Access, Admin)>) -> String {
///     format!("hello, admin {}", token.identity())
/// }
///
/// async fn delete_user(token: Jwt<(Fresh, Admin)>) -> &'static str { // fresh *and* admin
///     "deleted"
/// }
///
/// # fn build() -> Result<Router, Box<dyn std::error::Error>> {
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
/// let app: Router = Router::new()
///     .route("/dashboard", get(dashboard))
///     .route("/users/delete", get(delete_user))
///     // or a whole router at once:
///     .merge(
///         Router::new()
///             .route("/admin/stats", get(|| async { "stats" }))
///             .route_layer(RequireJwtLayer::<(Access, Admin)>::new(jwt.clone())),
///     )
///     .with_state(jwt);
/// # Ok(app) }
/// ```
///
/// For a message or an error that depends on the token, implement
/// [`check`](Self::check) instead of `allows`:
///
/// ```
/// use jwt_extended::{Error, Verified, axum::Guard};
///
/// /// The loaded user (see `user_lookup_loader`) must be active.
/// struct Active;
///
/// #[derive(Clone)]
/// struct User { name: String, active: bool }
///
/// impl Guard for Active {
///     fn check(verified: &Verified) -> Result<(), Error> {
///         match verified.user::<User>() {
///             Some(user) if user.active => Ok(()),
///             Some(user) => Err(Error::forbidden(format!("{} is suspended", user.name))),
///             None => Err(Error::forbidden("Forbidden")),
///         }
///     }
/// }
/// ```
pub trait Guard: Send + Sync + 'static {
    /// The message of the 403 answer when [`allows`](Self::allows) says no.
    const MESSAGE: &'static str = "Forbidden";

    /// Whether the verified token passes. Refuses everything unless
    /// implemented (implement this or [`check`](Self::check)).
    #[inline]
    fn allows(verified: &Verified) -> bool {
        let _ = verified;
        false
    }

    /// Checks the verified token: by default [`allows`](Self::allows), and
    /// [`Error::forbidden`]`(MESSAGE)` when it says no.
    ///
    /// # Errors
    /// The refusal; any [`Error`] is rendered with the manager's responses
    /// for its kind, so a guard may also answer something other than 403.
    #[inline]
    fn check(verified: &Verified) -> Result<(), Error> {
        if Self::allows(verified) {
            Ok(())
        } else {
            Err(Error::forbidden(Self::MESSAGE))
        }
    }
}

/// Runs `R`'s checks (its guards) on a verified token, for the extractors
/// and layers of every framework module. A refusal carries the
/// token's header and claims, like the reference's token errors, for the
/// loaders that take them.
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn check<R: Requirement>(verified: &Verified) -> Result<(), Error> {
    R::check(verified).map_err(|error| match error.token() {
        Some(_) => error,
        None => error.with_token(
            verified.token().header().clone(),
            verified.token().claims().clone(),
        ),
    })
}

macro_rules! guarded_requirement {
    ($($guard:ident),+) => {
        /// The requirement `R` and every guard, checked in order.
        impl<R: Requirement, $($guard: Guard),+> Requirement for (R, $($guard),+) {
            const OPTIONS: VerifyOptions = R::OPTIONS;

            #[inline]
            fn check(verified: &Verified) -> Result<(), Error> {
                R::check(verified)?;
                $($guard::check(verified)?;)+
                Ok(())
            }
        }
    };
}

guarded_requirement!(G1);
guarded_requirement!(G1, G2);
guarded_requirement!(G1, G2, G3);
guarded_requirement!(G1, G2, G3, G4);

/// An access token (`@jwt_required()`); refresh tokens are refused. The
/// default requirement of [`Jwt`](crate::axum::Jwt), [`CurrentUser`](crate::axum::CurrentUser) and [`Claims`](crate::axum::Claims).
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

/// The refresh token a logout revokes, found where refresh tokens are (the
/// refresh cookie, the JSON body's `refresh_token`, the header): its CSRF
/// value is not checked, an already revoked one is accepted, and its type
/// is not enforced — the access token in the `Authorization` header is
/// found too, so keep only a token that
/// [`is_refresh`](crate::DecodedToken::is_refresh). Use it beside a
/// [`Jwt`](crate::axum::Jwt) for the access token, whose CSRF check
/// protects the request, as `Option<Jwt<RefreshToRevoke>>` so that a client
/// without one can still log out:
///
/// ```
/// use axum::extract::State;
/// use jwt_extended::axum::{FlaskJson, Jwt, JwtRejection, RefreshToRevoke};
/// use jwt_extended::JwtManager;
/// use serde_json::{Value, json};
///
/// async fn logout(
///     State(jwt): State<JwtManager>,
///     access: Jwt,
///     refresh: Option<Jwt<RefreshToRevoke>>,
/// ) -> Result<FlaskJson<Value>, JwtRejection> {
///     jwt.revoke_session_of(&access).await?;
///     if let Some(refresh) = refresh.filter(|t| t.is_refresh()) {
///         jwt.revoke(&refresh).await?; // a refresh token of no session
///     }
///     Ok(FlaskJson(json!({"msg": "Logged out"})))
/// }
/// ```
///
/// With token pairs ([`JwtManager::token_pair`](crate::JwtManager::token_pair))
/// both tokens share a session id, and
/// [`revoke_session_of`](crate::JwtManager::revoke_session_of) on the access
/// token alone revokes the refresh token too.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefreshToRevoke;

impl Requirement for RefreshToRevoke {
    const OPTIONS: VerifyOptions = VerifyOptions::new()
        .refresh(true)
        .verify_type(false)
        .csrf(false)
        .skip_revocation_check(true);
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
