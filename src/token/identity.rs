//! How a value becomes the identity claim of a token: the typed form of the
//! reference's `user_identity_loader`.
//!
//! # The "Subject must be a string" pitfall
//!
//! The reference writes whatever its `user_identity_loader` returns into
//! `sub`, and since PyJWT 2.10 it refuses a non-string `sub` when the token
//! comes back (422 `Subject must be a string`, unless `JWT_VERIFY_SUB` is
//! off). Apps that used integer user ids broke on upgrade: creation accepted
//! what verification rejects.
//!
//! Here the identity goes through [`Identity`], whose implementations write
//! strings (integers and UUIDs are converted), so a token this library makes
//! passes its own verification. Writing another JSON value takes an explicit
//! [`IdentityClaim::raw`] (or passing a [`serde_json::Value`]), for
//! compatibility with services that expect one; read such tokens with
//! [`JwtConfig::with_verify_sub(false)`](crate::JwtConfig::with_verify_sub).

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;

/// The value written into the identity claim (`sub` by default).
///
/// Made from strings by default, which is what verification accepts.
/// [`IdentityClaim::raw`] writes any JSON value as the reference does; with
/// the identity claim `sub` and `JWT_VERIFY_SUB` on (the default), a
/// non-string made that way is refused on every request with
/// `Subject must be a string`. That is the reference's most reported
/// pitfall, so it takes an explicit call here.
///
/// ```
/// use jwt_extended::token::IdentityClaim;
///
/// assert_eq!(IdentityClaim::string("42").as_value(), "42");
/// assert_eq!(IdentityClaim::raw(42).as_value(), 42); // refused on the way back
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityClaim(Value);

impl IdentityClaim {
    /// A string identity (the safe default).
    ///
    /// ```
    /// use jwt_extended::token::IdentityClaim;
    ///
    /// let claim = IdentityClaim::string(format!("user-{}", 7));
    /// assert_eq!(claim.as_value(), "user-7");
    /// ```
    #[must_use]
    pub fn string(value: impl Into<String>) -> Self {
        Self(Value::String(value.into()))
    }

    /// Any JSON value, written as-is: the reference's behaviour, for
    /// services that expect an integer or object identity. With the default
    /// `JWT_VERIFY_SUB` such a `sub` is rejected when the token comes back
    /// (422 `Subject must be a string`); turn it off with
    /// [`JwtConfig::with_verify_sub(false)`](crate::JwtConfig::with_verify_sub)
    /// on every service that reads these tokens.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use jwt_extended::{ErrorKind, JwtConfig, JwtManager, token::IdentityClaim};
    ///
    /// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
    /// let token = jwt.create_access_token(&IdentityClaim::raw(1234))?;
    /// let err = jwt.decode_token(&token).await.unwrap_err();
    /// assert_eq!(err.to_string(), "Subject must be a string");
    ///
    /// let lenient = JwtManager::new(
    ///     JwtConfig::new().with_secret_key("secret").with_verify_sub(false),
    /// )?;
    /// assert_eq!(lenient.decode_token(&token).await?.identity(), 1234);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn raw(value: impl Into<Value>) -> Self {
        Self(value.into())
    }

    /// Serialises any value as the raw identity (see [`raw`](Self::raw)).
    ///
    /// ```
    /// use jwt_extended::token::IdentityClaim;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Legacy { id: u32 }
    ///
    /// let claim = IdentityClaim::from_serialize(&Legacy { id: 1 })?;
    /// assert_eq!(claim.as_value(), &serde_json::json!({"id": 1}));
    /// # Ok::<(), jwt_extended::Error>(())
    /// ```
    ///
    /// # Errors
    /// An [`ErrorKind::Encode`](crate::ErrorKind::Encode) error if the value
    /// cannot be serialised.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        serde_json::to_value(value)
            .map(Self)
            .map_err(|e| Error::encode(format!("identity is not serializable: {e}")).with_source(e))
    }

    /// The JSON value.
    ///
    /// ```
    /// use jwt_extended::token::IdentityClaim;
    ///
    /// assert!(IdentityClaim::string("a").as_value().is_string());
    /// ```
    #[must_use]
    pub fn as_value(&self) -> &Value {
        &self.0
    }

    /// Consumes the claim into its JSON value.
    ///
    /// ```
    /// use jwt_extended::token::IdentityClaim;
    ///
    /// assert_eq!(IdentityClaim::string("a").into_value(), serde_json::json!("a"));
    /// ```
    #[must_use]
    pub fn into_value(self) -> Value {
        self.0
    }
}

/// Anything that can be the identity of a token: the Rust form of the
/// reference's `user_identity_loader`, chosen per type instead of once per
/// manager.
///
/// Implemented for strings, integers and UUIDs (all written as strings), for
/// [`IdentityClaim`], and for [`serde_json::Value`] (written as-is, so that
/// `jwt.create_access_token(token.identity())` re-issues a token with the
/// same identity). Implement it for your user type so that
/// `create_access_token(&user)` works:
///
/// ```
/// use jwt_extended::token::{Identity, IdentityClaim};
///
/// struct User { id: u64, name: String }
///
/// impl Identity for User {
///     fn identity_claim(&self) -> IdentityClaim {
///         // The id, as a string: what `sub` must be.
///         IdentityClaim::string(self.id.to_string())
///     }
/// }
/// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
/// let token = jwt.create_access_token(&User { id: 1, name: "alice".into() })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The additional-claims, additional-headers and encode-key loaders then see
/// this claim value (the reference passes them the object itself).
pub trait Identity {
    /// The value to write into the identity claim.
    ///
    /// ```
    /// use jwt_extended::token::Identity;
    ///
    /// assert_eq!(7_u32.identity_claim().as_value(), "7");
    /// ```
    fn identity_claim(&self) -> IdentityClaim;
}

impl Identity for IdentityClaim {
    fn identity_claim(&self) -> IdentityClaim {
        self.clone()
    }
}

impl Identity for str {
    fn identity_claim(&self) -> IdentityClaim {
        IdentityClaim::string(self)
    }
}

impl Identity for String {
    fn identity_claim(&self) -> IdentityClaim {
        IdentityClaim::string(self.as_str())
    }
}

impl Identity for Cow<'_, str> {
    fn identity_claim(&self) -> IdentityClaim {
        IdentityClaim::string(self.as_ref())
    }
}

/// A JSON value is written as-is (like [`IdentityClaim::raw`]): passing JSON
/// is taken as asking for the reference's behaviour. A string stays a
/// string, so re-issuing from a verified token's identity is safe.
impl Identity for Value {
    fn identity_claim(&self) -> IdentityClaim {
        IdentityClaim::raw(self.clone())
    }
}

impl Identity for uuid::Uuid {
    fn identity_claim(&self) -> IdentityClaim {
        IdentityClaim::string(self.to_string())
    }
}

macro_rules! integer_identity {
    ($($t:ty),*) => {$(
        /// Written as a decimal string, so that it passes `Subject must be a
        /// string` on the way back.
        impl Identity for $t {
            fn identity_claim(&self) -> IdentityClaim {
                IdentityClaim::string(self.to_string())
            }
        }
    )*};
}
integer_identity!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl<T: Identity + ?Sized> Identity for &T {
    fn identity_claim(&self) -> IdentityClaim {
        (**self).identity_claim()
    }
}

impl<T: Identity + ?Sized> Identity for Box<T> {
    fn identity_claim(&self) -> IdentityClaim {
        (**self).identity_claim()
    }
}

impl<T: Identity + ?Sized> Identity for Arc<T> {
    fn identity_claim(&self) -> IdentityClaim {
        (**self).identity_claim()
    }
}

impl<T: Identity + ?Sized> Identity for Rc<T> {
    fn identity_claim(&self) -> IdentityClaim {
        (**self).identity_claim()
    }
}

/// Logs (once per process) that a token is being created with a `sub` that
/// this library's own verification will refuse: the reference's pitfall,
/// reached through [`IdentityClaim::raw`], a JSON identity or an additional
/// `sub` claim. Creation still succeeds, as in the reference.
pub(crate) fn warn_if_unverifiable(identity_claim: &str, verify_sub: bool, sub: Option<&Value>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static WARNED: AtomicBool = AtomicBool::new(false);
    let unverifiable = identity_claim == "sub" && verify_sub && sub.is_some_and(|s| !s.is_string());
    if unverifiable && !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "creating a token whose `sub` is not a string: with JWT_VERIFY_SUB on it will be \
             refused with \"Subject must be a string\"; use a string identity, or \
             JwtConfig::with_verify_sub(false) where such tokens are read"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_and_numbers_become_strings() {
        assert_eq!("a".identity_claim().into_value(), json!("a"));
        assert_eq!(1234_u32.identity_claim().into_value(), json!("1234"));
        assert_eq!((-5_i64).identity_claim().into_value(), json!("-5"));
    }

    #[test]
    fn raw_values_stay_raw() {
        assert_eq!(IdentityClaim::raw(1234).into_value(), json!(1234));
        assert_eq!(
            json!({"id": 1}).identity_claim().into_value(),
            json!({"id": 1})
        );
    }
}
