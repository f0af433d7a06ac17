//! How a value becomes the identity claim of a token.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;

/// The value written into the identity claim (`sub` by default).
///
/// Made from strings (and, converted to strings, from integers and UUIDs),
/// which is what verification accepts. [`IdentityClaim::raw`] writes any JSON
/// value, as the reference does; a non-string `sub` made that way is then
/// refused on every request with `Subject must be a string` unless
/// `JWT_VERIFY_SUB` is off. That is the reference's most reported pitfall, so
/// it takes an explicit call here.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityClaim(Value);

impl IdentityClaim {
    /// A string identity.
    #[must_use]
    pub fn string(value: impl Into<String>) -> Self {
        Self(Value::String(value.into()))
    }

    /// Any JSON value, written as-is (the reference's behaviour). Prefer a
    /// string: with the default `JWT_VERIFY_SUB`, a non-string `sub` is
    /// rejected when the token comes back.
    #[must_use]
    pub fn raw(value: impl Into<Value>) -> Self {
        Self(value.into())
    }

    /// Serialises any value as the raw identity (see [`raw`](Self::raw)).
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
    #[must_use]
    pub fn as_value(&self) -> &Value {
        &self.0
    }

    /// Consumes the claim into its JSON value.
    #[must_use]
    pub fn into_value(self) -> Value {
        self.0
    }
}

/// Anything that can be the identity of a token: the Rust form of the
/// reference's `user_identity_loader`.
///
/// Implemented for strings, integers and UUIDs (all written as strings).
/// Implement it for your user type so that `create_access_token(&user)`
/// works:
///
/// ```
/// use jwt_extended::token::{Identity, IdentityClaim};
///
/// struct User { id: u64, name: String }
///
/// impl Identity for User {
///     fn identity_claim(&self) -> IdentityClaim {
///         IdentityClaim::string(self.name.clone())
///     }
/// }
/// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
/// let token = jwt.create_access_token(&User { id: 1, name: "alice".into() })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Identity {
    /// The value to write into the identity claim.
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
/// explicitly is taken as asking for the reference's behaviour.
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
