//! Python's value rules, where the reference's behaviour depends on them:
//! truthiness (`if not value`), `int(value)` (the time claims), `str()` and
//! `repr()` (identities in messages), and `str.isspace()` (header parsing).
//!
//! Each function answers what CPython 3.11 answers for a JSON value or a
//! header's text, so that a token or header the reference accepts is
//! accepted here, and one it refuses is refused with the same message.

use std::borrow::Cow;

use serde_json::Value;

/// Python truthiness of a JSON value.
pub(crate) fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// What Python's `int(value)` gives for a JSON value, as a float for
/// comparisons with the clock: booleans are 0/1, floats are truncated,
/// strings of decimal digits (with optional sign, surrounding whitespace and
/// single underscores between digits) are parsed. `None` where Python raises.
pub(crate) fn python_int(value: &Value) -> Option<f64> {
    match value {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i as f64)
            } else if let Some(u) = n.as_u64() {
                Some(u as f64)
            } else {
                n.as_f64().filter(|f| f.is_finite()).map(f64::trunc)
            }
        }
        Value::String(s) => parse_python_int_str(s),
        _ => None,
    }
}

/// `int(s)` for a string: surrounding whitespace, an optional sign, and
/// decimal digits of any script with single underscores between them.
fn parse_python_int_str(s: &str) -> Option<f64> {
    let s = s.trim_matches(is_python_whitespace);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut cleaned = String::with_capacity(digits.len());
    let mut previous_underscore = true; // no leading underscore
    for c in digits.chars() {
        if c == '_' {
            if previous_underscore {
                return None;
            }
            previous_underscore = true;
        } else if let Some(digit) = python_decimal_digit(c) {
            cleaned.push(char::from(b'0' + digit));
            previous_underscore = false;
        } else {
            return None;
        }
    }
    if previous_underscore {
        return None; // trailing underscore
    }
    let value: f64 = cleaned.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// The value of a Unicode decimal digit (category `Nd`), which Python's
/// `int()` accepts in any script: `int("\u{665}")` is 5. Every `Nd` block is
/// ten consecutive code points starting at a zero; these are the zeros of
/// Unicode 14.0 (CPython 3.11).
fn python_decimal_digit(c: char) -> Option<u8> {
    const ZEROS: [u32; 66] = [
        0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
        0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
        0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0,
        0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0,
        0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0,
        0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
    ];
    let code = u32::from(c);
    // The last zero not above `code`; the digit is the distance to it.
    let index = ZEROS.partition_point(|zero| *zero <= code).checked_sub(1)?;
    let offset = code - ZEROS.get(index)?;
    u8::try_from(offset).ok().filter(|d| *d < 10)
}

/// Python's `str.isspace()` for the characters a header or JSON string can
/// reasonably hold.
pub(crate) fn is_python_whitespace(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\n'
            | '\x0b'
            | '\x0c'
            | '\r'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\x1f'
            | '\u{85}'
            | '\u{a0}'
    ) || (c > '\u{ff}' && c.is_whitespace())
}

/// Renders a JSON value the way Python's `str()` renders the decoded value:
/// strings as-is, `None`, `True`/`False`, and `repr`-like lists and dicts.
pub(crate) fn python_str(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(python_repr(other)),
    }
}

fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or_default();
                if f.fract() == 0.0 && f.abs() < 1e16 {
                    format!("{f:.1}")
                } else {
                    f.to_string()
                }
            } else {
                n.to_string()
            }
        }
        Value::String(s) => {
            let quote = if s.contains('\'') && !s.contains('"') {
                '"'
            } else {
                '\''
            };
            let mut out = String::with_capacity(s.len() + 2);
            out.push(quote);
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if c == quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out.push(quote);
            out
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        python_repr(&Value::from(k.as_str())),
                        python_repr(v)
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// `s.split(is_python_whitespace)`, scanning bytes when `s` is ASCII (as
/// headers nearly always are): Python's whitespace is then ASCII too, and a
/// byte scan costs a fraction of decoding every character of a token.
pub(crate) fn split_python_whitespace(s: &str) -> impl Iterator<Item = &str> {
    let ascii = s.is_ascii();
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let current = rest?;
        let separator = if ascii {
            find_ascii_python_whitespace(current.as_bytes()).map(|at| (at, at + 1))
        } else {
            current
                .char_indices()
                .find(|(_, c)| is_python_whitespace(*c))
                .map(|(at, c)| (at, at + c.len_utf8()))
        };
        match separator {
            Some((start, end)) => {
                rest = Some(&current[end..]);
                Some(&current[..start])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// [`is_python_whitespace`] for an ASCII byte.
fn is_ascii_python_whitespace(b: u8) -> bool {
    b <= b' ' && matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f)
}

/// The first [`is_ascii_python_whitespace`] byte. Such bytes are at most
/// `b' '`: 16-byte blocks without one are skipped by a test the compiler
/// vectorises, so a token costs a few instructions per block, not per byte.
fn find_ascii_python_whitespace(bytes: &[u8]) -> Option<usize> {
    let mut start = 0;
    for block in bytes.chunks_exact(16) {
        if block.iter().fold(false, |low, &b| low | (b <= b' ')) {
            break;
        }
        start += 16;
    }
    bytes[start..]
        .iter()
        .position(|&b| is_ascii_python_whitespace(b))
        .map(|at| start + at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_int_semantics() {
        assert_eq!(python_int(&json!(true)), Some(1.0));
        assert_eq!(python_int(&json!(1.9)), Some(1.0));
        assert_eq!(python_int(&json!(-1.9)), Some(-1.0));
        assert_eq!(python_int(&json!(" 1_000 ")), Some(1000.0));
        assert_eq!(python_int(&json!("+7")), Some(7.0));
        // Decimal digits of any script, as Python's int() reads them.
        assert_eq!(python_int(&json!("\u{665}")), Some(5.0));
        assert_eq!(python_int(&json!("1\u{ff15}")), Some(15.0));
        assert_eq!(python_int(&json!("\u{b2}")), None); // superscript two is not Nd
        assert_eq!(python_int(&json!("1.5")), None);
        assert_eq!(python_int(&json!("_1")), None);
        assert_eq!(python_int(&json!("1__0")), None);
        assert_eq!(python_int(&json!(null)), None);
        assert_eq!(python_int(&json!({})), None);
    }

    #[test]
    fn python_str_renders_like_python() {
        assert_eq!(python_str(&json!("username")), "username");
        assert_eq!(python_str(&json!(1)), "1");
        assert_eq!(python_str(&json!(null)), "None");
        assert_eq!(python_str(&json!({"a": [1, true]})), "{'a': [1, True]}");
        assert_eq!(python_str(&json!(2.0)), "2.0");
    }

    #[test]
    fn whitespace_split_matches_the_char_split() {
        let samples = [
            "",
            " ",
            "Bearer abc.def.ghi",
            "  Bearer\t\tabc  ",
            "a\x0bb\x0cc\rd\ne\x1cf\x1fg",
            "a\x1bb",
            "Bearer\u{a0}tok",
            "Bearer\u{85}tok en",
            "Bearer\u{2003}tok\u{3000}",
            "é b",
        ];
        for s in samples {
            let ours: Vec<&str> = split_python_whitespace(s).collect();
            let chars: Vec<&str> = s.split(is_python_whitespace).collect();
            assert_eq!(ours, chars, "{s:?}");
        }
        for b in 0..=0x7fu8 {
            assert_eq!(
                is_ascii_python_whitespace(b),
                is_python_whitespace(char::from(b)),
                "{b:#x}"
            );
        }
        // The block scan, at every position and around block edges, with
        // non-whitespace control bytes in the way.
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 300] {
            for at in 0..len {
                for (filler, hit) in [(b'x', b' '), (0x01, b'\t'), (0x1b, 0x1f)] {
                    let mut bytes = vec![b'a'; len];
                    if at > 0 {
                        bytes[at - 1] = filler;
                    }
                    bytes[at] = hit;
                    assert_eq!(find_ascii_python_whitespace(&bytes), Some(at));
                    bytes[at] = filler;
                    assert_eq!(find_ascii_python_whitespace(&bytes), None);
                }
            }
        }
    }
}
