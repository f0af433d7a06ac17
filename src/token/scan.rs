//! One pass over a token's JSON header or payload that keeps only the
//! members this library reads itself.
//!
//! Parsing a payload into a `serde_json::Map` allocates every key and every
//! string value and builds a `BTreeMap`; on a protected request nothing but
//! the registered claims (and the identity claim) is ever read. The scan
//! below picks those out in a single pass and skips everything else, so the
//! full maps are only built when someone asks for them
//! ([`DecodedToken::claims`](super::DecodedToken::claims) and friends).
//!
//! The scan accepts and refuses exactly the documents that parsing into a
//! `serde_json::Value` does, with the same error at the same position:
//! every member goes through `deserialize_any`, as `Value` does, and
//! duplicate keys resolve the same way (the last one wins).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// The claims the library reads itself: the claim checks, the request flow
/// (type, freshness, CSRF), the blocklists (`jti`, `sid`, `exp`) and the
/// implicit refresh (`exp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    Iat,
    Nbf,
    Exp,
    Iss,
    Aud,
    Sub,
    Jti,
    Type,
    Fresh,
    Csrf,
    Sid,
}

impl Claim {
    const COUNT: usize = 11;

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "iat" => Self::Iat,
            "nbf" => Self::Nbf,
            "exp" => Self::Exp,
            "iss" => Self::Iss,
            "aud" => Self::Aud,
            "sub" => Self::Sub,
            "jti" => Self::Jti,
            "type" => Self::Type,
            "fresh" => Self::Fresh,
            "csrf" => Self::Csrf,
            "sid" => Self::Sid,
            _ => return None,
        })
    }

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Iat => "iat",
            Self::Nbf => "nbf",
            Self::Exp => "exp",
            Self::Iss => "iss",
            Self::Aud => "aud",
            Self::Sub => "sub",
            Self::Jti => "jti",
            Self::Type => "type",
            Self::Fresh => "fresh",
            Self::Csrf => "csrf",
            Self::Sid => "sid",
        }
    }
}

/// The [`Claim`]s of a payload, plus the identity claim (whose name is
/// configurable) when it is not one of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RegisteredClaims {
    values: [Option<Value>; Claim::COUNT],
    /// The identity claim, when its name is not one of [`Claim`]'s (those
    /// are in `values` whatever the identity claim is).
    identity: Option<Value>,
}

impl RegisteredClaims {
    pub(crate) fn get(&self, claim: Claim) -> Option<&Value> {
        self.values[claim as usize].as_ref()
    }

    pub(crate) fn set(&mut self, claim: Claim, value: Value) {
        self.values[claim as usize] = Some(value);
    }

    /// The identity claim named `identity_claim`.
    pub(crate) fn identity(&self, identity_claim: &str) -> Option<&Value> {
        match Claim::from_name(identity_claim) {
            Some(claim) => self.get(claim),
            None => self.identity.as_ref(),
        }
    }

    /// Claim `name` if the scan kept it: `Some(None)` when it kept the name
    /// and the payload has no such claim, `None` when it did not keep it
    /// (the full claims must be consulted).
    pub(crate) fn lookup(&self, name: &str, identity_claim: &str) -> Option<Option<&Value>> {
        match Claim::from_name(name) {
            Some(claim) => Some(self.get(claim)),
            None if name == identity_claim => Some(self.identity.as_ref()),
            None => None,
        }
    }

    /// Scans a JSON payload. `Ok(None)`: valid JSON, but not an object.
    pub(crate) fn scan(
        json: &[u8],
        identity_claim: &str,
    ) -> Result<Option<Self>, serde_json::Error> {
        scan_object(
            json,
            ClaimsPick {
                claims: Self::default(),
                identity_claim,
            },
        )
        .map(|pick| pick.map(|p| p.claims))
    }
}

/// The header parameters checked before the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderParam {
    Alg,
    Kid,
    Crit,
    B64,
}

impl HeaderParam {
    const COUNT: usize = 4;

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "alg" => Self::Alg,
            "kid" => Self::Kid,
            "crit" => Self::Crit,
            "b64" => Self::B64,
            _ => return None,
        })
    }
}

/// The [`HeaderParam`]s of a JOSE header.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RegisteredHeader {
    values: [Option<Value>; HeaderParam::COUNT],
}

impl RegisteredHeader {
    pub(crate) fn get(&self, param: HeaderParam) -> Option<&Value> {
        self.values[param as usize].as_ref()
    }

    /// Scans a JSON header. `Ok(None)`: valid JSON, but not an object.
    pub(crate) fn scan(json: &[u8]) -> Result<Option<Self>, serde_json::Error> {
        scan_object(json, Self::default())
    }
}

/// Where the value of an object member goes, by the member's name; `None`:
/// skip it.
trait Pick {
    fn slot(&mut self, name: &str) -> Option<&mut Option<Value>>;
}

struct ClaimsPick<'a> {
    claims: RegisteredClaims,
    identity_claim: &'a str,
}

impl Pick for ClaimsPick<'_> {
    fn slot(&mut self, name: &str) -> Option<&mut Option<Value>> {
        match Claim::from_name(name) {
            Some(claim) => Some(&mut self.claims.values[claim as usize]),
            None if name == self.identity_claim => Some(&mut self.claims.identity),
            None => None,
        }
    }
}

impl Pick for RegisteredHeader {
    fn slot(&mut self, name: &str) -> Option<&mut Option<Value>> {
        HeaderParam::from_name(name).map(|param| &mut self.values[param as usize])
    }
}

/// `serde_json::from_slice`, with the object's members picked by `pick`.
fn scan_object<P: Pick>(json: &[u8], pick: P) -> Result<Option<P>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let picked = deserializer.deserialize_any(ObjectVisitor(pick))?;
    // Trailing characters are an error, as in `from_slice`.
    deserializer.end()?;
    Ok(picked)
}

struct ObjectVisitor<P>(P);

/// Scalars at the top level: valid JSON, not an object.
macro_rules! not_an_object {
    ($($method:ident($($ty:ty)?)),* $(,)?) => {$(
        fn $method<E: de::Error>(self $(, _: $ty)?) -> Result<Self::Value, E> {
            Ok(None)
        }
    )*};
}

impl<'de, P: Pick> Visitor<'de> for ObjectVisitor<P> {
    type Value = Option<P>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pick = self.0;
        while let Some(slot) = map.next_key_seed(KeySeed(&mut pick))? {
            match slot {
                // A repeated name overwrites: the last one wins, as in a `Map`.
                Some(slot) => *slot = Some(map.next_value()?),
                None => map.next_value::<Skip>().map(drop)?,
            }
        }
        Ok(Some(pick))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        // Still checked to the end: a syntax error after a '[' is reported
        // as such, not as "must be a json object".
        Skip.visit_seq(seq)?;
        Ok(None)
    }

    not_an_object!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
        visit_str(&str),
        visit_unit(),
    );
}

/// Reads a member name and returns where its value goes.
struct KeySeed<'p, P>(&'p mut P);

impl<'de, 'p, P: Pick> DeserializeSeed<'de> for KeySeed<'p, P> {
    type Value = Option<&'p mut Option<Value>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        // Like `Value`'s own key reader: serde_json hands over the name
        // borrowed from the input, or unescaped in its scratch buffer; no
        // allocation either way.
        deserializer.deserialize_str(self)
    }
}

impl<'p, P: Pick> Visitor<'_> for KeySeed<'p, P> {
    type Value = Option<&'p mut Option<Value>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(self.0.slot(name))
    }
}

/// Skips one JSON value, checking it exactly as parsing it into a `Value`
/// would (UTF-8 and lone surrogates in strings, numbers out of range, the
/// nesting limit) but without allocating. `serde::de::IgnoredAny` is not
/// enough: serde_json skips it with a looser scanner that accepts all three.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Skip)
    }
}

macro_rules! skip_scalars {
    ($($method:ident($($ty:ty)?)),* $(,)?) => {$(
        fn $method<E: de::Error>(self $(, _: $ty)?) -> Result<Self::Value, E> {
            Ok(Skip)
        }
    )*};
}

impl<'de> Visitor<'de> for Skip {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }

    skip_scalars!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
        visit_str(&str),
        visit_unit(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    /// What parsing into a `Value` says: the object, "not an object", or
    /// the error text.
    fn reference(json: &[u8]) -> Result<Option<Map<String, Value>>, String> {
        match serde_json::from_slice::<Value>(json) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            Ok(_) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    const DOCUMENTS: &[&str] = &[
        r#"{"sub":"a","exp":1,"x":[1,{"y":null}]}"#,
        r#"{"sub":"a","sub":"b","sub":3}"#,
        r#"{"a\u0062c":1,"s\u0075b":"escaped key"}"#,
        r#"{"x":1e400}"#,
        r#"{"x":"\ud800"}"#,
        r#"{"\ud800":1}"#,
        r#"{"x":"\ud83d\ude00"}"#,
        r#"{"x":-0,"y":18446744073709551616,"z":1.5e-400}"#,
        r#"{"x":1} "#,
        r#"{"x":1} x"#,
        r#"{"x":1,}"#,
        r#"{"x" 1}"#,
        r#"{1:1}"#,
        r#"{"x":tru}"#,
        r#"{"x":"a
b"}"#,
        r#"[1,2"#,
        r#"[1,1e400]"#,
        r#"[1] 2"#,
        r#"[{"a":1}]"#,
        r#""text""#,
        r#"12"#,
        r#"null"#,
        r#"true"#,
        r#""#,
        r#"{"#,
        r#"{}"#,
        r#"{"a":{}}"#,
        "{\"x\":\"\u{e9}\"}",
    ];

    #[test]
    fn accepts_and_refuses_like_value() {
        let mut documents: Vec<Vec<u8>> = DOCUMENTS.iter().map(|d| d.as_bytes().to_vec()).collect();
        documents.push(b"{\"x\":\"\xff\"}".to_vec()); // invalid UTF-8 in a skipped string
        documents.push(b"{\"sub\":\"\xc3\"}".to_vec()); // ... and in a kept one
        documents.push(b"{\"\xff\":1}".to_vec()); // ... and in a key
        let deep = |n: usize| format!("{{\"x\":{}{}}}", "[".repeat(n), "]".repeat(n));
        documents.push(deep(126).into_bytes());
        documents.push(deep(127).into_bytes());
        documents.push(deep(200).into_bytes());
        documents.push(format!("{}{}", "[".repeat(200), "]".repeat(200)).into_bytes());
        for json in &documents {
            assert_same_as_value(json);
        }
    }

    /// Compares the scan with parsing into a `Value` on one input.
    fn assert_same_as_value(json: &[u8]) {
        let expected = reference(json);
        let shown = String::from_utf8_lossy(json);
        let claims = RegisteredClaims::scan(json, "sub").map_err(|e| e.to_string());
        let header = RegisteredHeader::scan(json).map_err(|e| e.to_string());
        let object = |r: &Result<Option<Map<String, Value>>, String>| {
            r.as_ref().map(Option::is_some).map_err(Clone::clone)
        };
        assert_eq!(
            claims.as_ref().map(Option::is_some).map_err(Clone::clone),
            object(&expected),
            "{shown}"
        );
        assert_eq!(header.map(|h| h.is_some()), object(&expected), "{shown}");
        // Every kept member is the map's (the last of duplicates).
        if let (Ok(Some(map)), Ok(Some(claims))) = (&expected, &claims) {
            for name in [
                "iat", "nbf", "exp", "iss", "aud", "sub", "jti", "type", "fresh", "csrf", "sid",
            ] {
                assert_eq!(
                    claims.lookup(name, "sub"),
                    Some(map.get(name)),
                    "{shown}: {name}"
                );
            }
        }
    }

    #[test]
    fn mutated_documents_give_the_same_outcome_as_value() {
        // Every single-byte replacement (from a set of JSON-significant and
        // invalid bytes), deletion and truncation of a few documents.
        let seeds: &[&[u8]] = &[
            br#"{"sub":"a\u00e9","exp":12,"x":[1.5,{"y":null}],"sub":true}"#,
            br#"{"iat":-1e3,"aud":["a","b"],"\ud83d\ude00":"\ud83d\ude00"}"#,
            b"[{\"a\":[]},\"\xc3\xa9\",0]",
        ];
        let replacements = b"{}[]\":,.-+0e9tfnu \\\x00\x7f\xc3\xff";
        for seed in seeds {
            for at in 0..seed.len() {
                for &byte in replacements {
                    let mut mutated = seed.to_vec();
                    mutated[at] = byte;
                    assert_same_as_value(&mutated);
                }
                let mut deleted = seed.to_vec();
                deleted.remove(at);
                assert_same_as_value(&deleted);
                assert_same_as_value(&seed[..at]);
            }
        }
    }

    #[test]
    fn keeps_registered_claims_and_the_identity_claim() {
        let json = json!({
            "iat": 1, "nbf": 2, "exp": 3, "iss": "i", "aud": ["a"], "sub": "s",
            "jti": "j", "type": "refresh", "fresh": true, "csrf": "c", "sid": "x",
            "user": {"id": 7}, "other": [1, 2]
        });
        let bytes = serde_json::to_vec(&json).unwrap_or_default();
        let Ok(Some(claims)) = RegisteredClaims::scan(&bytes, "user") else {
            panic!("scan failed");
        };
        for claim in [
            Claim::Iat,
            Claim::Nbf,
            Claim::Exp,
            Claim::Iss,
            Claim::Aud,
            Claim::Sub,
            Claim::Jti,
            Claim::Type,
            Claim::Fresh,
            Claim::Csrf,
            Claim::Sid,
        ] {
            assert_eq!(
                claims.get(claim),
                json.get(claim.name()),
                "{}",
                claim.name()
            );
        }
        assert_eq!(claims.identity("user"), Some(&json!({"id": 7})));
        assert_eq!(claims.lookup("user", "user"), Some(Some(&json!({"id": 7}))));
        assert_eq!(claims.lookup("other", "user"), None);
        // An identity claim that is also a registered claim is read from its slot.
        assert_eq!(claims.identity("jti"), Some(&json!("j")));
        let Ok(Some(header)) = RegisteredHeader::scan(
            br#"{"alg":"HS256","typ":"JWT","kid":"k","crit":["b64"],"b64":true}"#,
        ) else {
            panic!("scan failed");
        };
        assert_eq!(header.get(HeaderParam::Alg), Some(&json!("HS256")));
        assert_eq!(header.get(HeaderParam::Kid), Some(&json!("k")));
        assert_eq!(header.get(HeaderParam::Crit), Some(&json!(["b64"])));
        assert_eq!(header.get(HeaderParam::B64), Some(&json!(true)));
    }
}
