//! Python-compatible JSON error text.
//!
//! The reference (PyJWT under Flask-JWT-Extended) reports an undecodable token header or
//! payload as `Invalid header string: <e>` / `Invalid payload string: <e>`, where `<e>` is
//! `str(exc)` for the exception raised by CPython 3.11's `json.loads(segment_bytes)`.
//! [`python_json_error`] reproduces that text byte for byte without running Python.
//!
//! What `json.loads(bytes)` does, and what this module mirrors:
//!
//! 1. **Encoding detection** (`json.detect_encoding`): a UTF-32 BOM selects `utf-32`, a
//!    UTF-16 BOM `utf-16`, a UTF-8 BOM `utf-8-sig`; otherwise NUL bytes among the first
//!    four (or two) bytes select `utf-16-be`/`-le` or `utf-32-be`/`-le`; everything else is
//!    UTF-8.
//! 2. **Decoding** with the `surrogatepass` error handler. Failures raise
//!    `UnicodeDecodeError`, e.g. `'utf-8' codec can't decode byte 0xff in position 0:
//!    invalid start byte`, `... bytes in position 3-4: invalid continuation byte`,
//!    `... unexpected end of data`, `'utf-16-le' codec ... truncated data`,
//!    `'utf-32-le' codec ... code point not in range(0x110000)`. Surrogates encoded in
//!    UTF-8 (`ED A0 80` ..`ED BF BF`), UTF-16 or UTF-32 are let through. For `utf-8-sig`
//!    positions count from after the BOM; for the BOM forms of UTF-16/32 they count from
//!    the start of the input.
//! 3. **Scanning** with the C scanner of `_json`: `Expecting value`, `Expecting property
//!    name enclosed in double quotes`, `Expecting ':' delimiter`, `Expecting ','
//!    delimiter`, `Unterminated string starting at`, `Invalid control character at`,
//!    `Invalid \escape`, `Invalid \uXXXX escape`, `Extra data`, each followed by
//!    `: line L column C (char P)` where `P` counts code points of the decoded text and
//!    lines are split on `\n` only. Python 3.11 has no "trailing comma" message: `[1,]`
//!    is `Expecting value`.
//! 4. Two errors without a position: an integer literal longer than 4300 digits
//!    (`Exceeds the limit (4300 digits) for integer string conversion: value has N
//!    digits; use sys.set_int_max_str_digits() to increase the limit`), and nesting deeper
//!    than the interpreter's remaining recursion budget (`maximum recursion depth exceeded
//!    while decoding a JSON array from a unicode string`, or `object`). PyJWT catches both
//!    (`ValueError`, `RecursionError`).
//!
//! # Inputs CPython accepts that `serde_json` rejects
//!
//! The caller parses with `serde_json` and only asks this module for a message when that
//! fails. For the inputs below `serde_json` fails but the reference does **not**;
//! [`python_json_error`] then returns an empty string, so the caller can tell the two
//! apart and decide (the port rejects them, which is a documented deviation):
//!
//! - the literals `NaN`, `Infinity`, `-Infinity` (Python floats);
//! - float literals that overflow `f64`, such as `1e400` (Python gives `inf`; `serde_json`
//!   reports "number out of range");
//! - integer literals too large for `f64` (more than about 309 digits): Python reads them
//!   exactly up to 4300 digits, `serde_json` reports "number out of range" (beyond 4300
//!   digits both fail, and this module returns Python's digit-limit message);
//! - lone surrogates: `\ud800` escapes without a matching low surrogate, and surrogates
//!   encoded directly as UTF-8 bytes (`ED A0 80`), which `surrogatepass` decodes;
//! - a leading UTF-8 BOM (`EF BB BF`);
//! - documents encoded as UTF-16 or UTF-32 (with or without a BOM), detected from NUL
//!   bytes at the start;
//! - nesting deeper than `serde_json`'s limit of 128 (Python accepts about 974 levels in
//!   the reference's payload path, see `MAX_DEPTH`).
//!
//! Accepted by both, but with different results: duplicate object keys (Python keeps the
//! last value; `serde_json::Value` also keeps the last, derived structs reject them),
//! integers beyond 64 bits (exact Python ints; `serde_json` without `arbitrary_precision`
//! rounds them to `f64`) and `-0` (Python `int` 0; `serde_json` `f64` -0.0). The other
//! way round, nothing that `serde_json` accepts is rejected by CPython (none in 420 000
//! differential cases, see `interop/pyjson_diff.py`).
//!
//! The module only depends on `std`, never panics, and runs in time linear in the input.

/// Container nesting depth that CPython still accepts in the reference's payload path.
///
/// The C scanner consumes one level of Python's recursion budget (limit 1000) per
/// `[`/`{`, on top of the frames already on the stack. Measured through a real Flask
/// request with Flask-JWT-Extended 4.7.1 and PyJWT 2.15.1: a payload nested 974 deep
/// (counting the outer object) decodes, 975 fails; headers fail one level earlier (973
/// is the deepest accepted), because they are parsed from a deeper stack. The exact value
/// depends on the Python call stack, so this is an approximation of the reference.
const MAX_DEPTH: usize = 974;

/// CPython's default `sys.get_int_max_str_digits()`.
const MAX_INT_DIGITS: usize = 4300;

const QUOTE: u32 = b'"' as u32;
const BACKSLASH: u32 = b'\\' as u32;
const NEWLINE: u32 = b'\n' as u32;

/// Returns what `str(e)` is in CPython 3.11 for the exception raised by
/// `json.loads(input)` (with `input` passed as `bytes`), or an empty string when CPython
/// would decode `input` without error (see the module docs for those cases).
///
/// Never panics, whatever the input.
pub(crate) fn python_json_error(input: &[u8]) -> String {
    let text = match decode(input) {
        Ok(text) => text,
        Err(message) => return message,
    };
    let mut scanner = Scanner { s: &text, depth: 0 };
    match scanner.document() {
        Ok(()) => String::new(),
        Err(ScanError::At(message, pos)) => with_position(message, &text, pos),
        Err(ScanError::Plain(message)) => message,
    }
}

// ------------------------------------------------------------------------------ decode

/// Codec chosen by `json.detect_encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// `utf-8`.
    Utf8,
    /// `utf-8-sig`: a UTF-8 BOM is skipped, error positions count from after it.
    Utf8Sig,
    /// `utf-16-le`/`-be`; `bom` is true for the `utf-16` codec (BOM present and skipped).
    Utf16 { big_endian: bool, bom: bool },
    /// `utf-32-le`/`-be`; `bom` as for UTF-16.
    Utf32 { big_endian: bool, bom: bool },
}

/// Mirrors `json.detect_encoding` from CPython 3.11.
fn detect_encoding(b: &[u8]) -> Encoding {
    if b.starts_with(&[0xFF, 0xFE, 0, 0]) {
        return Encoding::Utf32 {
            big_endian: false,
            bom: true,
        };
    }
    if b.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Encoding::Utf32 {
            big_endian: true,
            bom: true,
        };
    }
    if b.starts_with(&[0xFF, 0xFE]) {
        return Encoding::Utf16 {
            big_endian: false,
            bom: true,
        };
    }
    if b.starts_with(&[0xFE, 0xFF]) {
        return Encoding::Utf16 {
            big_endian: true,
            bom: true,
        };
    }
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8Sig;
    }
    match *b {
        [0, b1, _, _, ..] => {
            if b1 != 0 {
                Encoding::Utf16 {
                    big_endian: true,
                    bom: false,
                }
            } else {
                Encoding::Utf32 {
                    big_endian: true,
                    bom: false,
                }
            }
        }
        [_, 0, b2, b3, ..] => {
            if b2 != 0 || b3 != 0 {
                Encoding::Utf16 {
                    big_endian: false,
                    bom: false,
                }
            } else {
                Encoding::Utf32 {
                    big_endian: false,
                    bom: false,
                }
            }
        }
        [0, _] => Encoding::Utf16 {
            big_endian: true,
            bom: false,
        },
        [_, 0] => Encoding::Utf16 {
            big_endian: false,
            bom: false,
        },
        _ => Encoding::Utf8,
    }
}

/// Decodes like `bytes.decode(detect_encoding(b), "surrogatepass")`, into code points
/// (surrogates included, hence `u32` rather than `char`). The error is the text of the
/// `UnicodeDecodeError`.
fn decode(input: &[u8]) -> Result<Vec<u32>, String> {
    match detect_encoding(input) {
        Encoding::Utf8 => decode_utf8(input),
        Encoding::Utf8Sig => decode_utf8(input.get(3..).unwrap_or_default()),
        Encoding::Utf16 { big_endian, bom } => {
            decode_utf16(input, if bom { 2 } else { 0 }, big_endian)
        }
        Encoding::Utf32 { big_endian, bom } => {
            decode_utf32(input, if bom { 4 } else { 0 }, big_endian)
        }
    }
}

/// Text of a `UnicodeDecodeError` for `object[start..end]`.
fn decode_error(codec: &str, object: &[u8], start: usize, end: usize, reason: &str) -> String {
    match object.get(start) {
        Some(byte) if end == start + 1 => {
            format!("'{codec}' codec can't decode byte 0x{byte:02x} in position {start}: {reason}")
        }
        _ => format!(
            "'{codec}' codec can't decode bytes in position {start}-{}: {reason}",
            end.saturating_sub(1)
        ),
    }
}

/// True for a UTF-8 continuation byte (`10xxxxxx`).
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Outcome of decoding one UTF-8 sequence the way CPython's strict decoder classifies it.
enum Utf8Step {
    /// A code point and the number of bytes it used.
    Char(u32, usize),
    /// An error covering `len` bytes from the start of the sequence.
    Error(&'static str, usize),
}

/// Decodes the UTF-8 sequence at the start of `s` (non-empty), with CPython's error
/// classification (`Objects/stringlib/codecs.h`, `Objects/unicodeobject.c`).
fn utf8_step(s: &[u8]) -> Utf8Step {
    const INVALID_START: &str = "invalid start byte";
    const INVALID_CONT: &str = "invalid continuation byte";
    const END: &str = "unexpected end of data";
    let b0 = s.first().copied().unwrap_or(0);
    let at = |i: usize| s.get(i).copied();
    let rest = s.len();
    let c = |b: u8| u32::from(b & 0x3F);
    if b0 < 0x80 {
        return Utf8Step::Char(u32::from(b0), 1);
    }
    if b0 < 0xC2 {
        return Utf8Step::Error(INVALID_START, 1);
    }
    if b0 < 0xE0 {
        return match at(1) {
            None => Utf8Step::Error(END, rest),
            Some(b1) if !is_continuation(b1) => Utf8Step::Error(INVALID_CONT, 1),
            Some(b1) => Utf8Step::Char((u32::from(b0 & 0x1F) << 6) | c(b1), 2),
        };
    }
    if b0 < 0xF0 {
        let bad_second = |b1: u8| {
            !is_continuation(b1) || (b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 >= 0xA0)
        };
        return match (at(1), at(2)) {
            (Some(b1), _) if bad_second(b1) => Utf8Step::Error(INVALID_CONT, 1),
            (Some(_), Some(b2)) if !is_continuation(b2) => Utf8Step::Error(INVALID_CONT, 2),
            (Some(b1), Some(b2)) => {
                Utf8Step::Char((u32::from(b0 & 0x0F) << 12) | (c(b1) << 6) | c(b2), 3)
            }
            _ => Utf8Step::Error(END, rest),
        };
    }
    if b0 < 0xF5 {
        let bad_second = |b1: u8| {
            !is_continuation(b1) || (b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 >= 0x90)
        };
        return match (at(1), at(2), at(3)) {
            (Some(b1), _, _) if bad_second(b1) => Utf8Step::Error(INVALID_CONT, 1),
            (Some(_), Some(b2), _) if !is_continuation(b2) => Utf8Step::Error(INVALID_CONT, 2),
            (Some(_), Some(_), Some(b3)) if !is_continuation(b3) => {
                Utf8Step::Error(INVALID_CONT, 3)
            }
            (Some(b1), Some(b2), Some(b3)) => Utf8Step::Char(
                (u32::from(b0 & 0x07) << 18) | (c(b1) << 12) | (c(b2) << 6) | c(b3),
                4,
            ),
            _ => Utf8Step::Error(END, rest),
        };
    }
    Utf8Step::Error(INVALID_START, 1)
}

/// `bytes.decode("utf-8", "surrogatepass")`.
fn decode_utf8(input: &[u8]) -> Result<Vec<u32>, String> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(rest) = input.get(i..).filter(|r| !r.is_empty()) {
        match utf8_step(rest) {
            Utf8Step::Char(cp, used) => {
                out.push(cp);
                i += used;
            }
            Utf8Step::Error(reason, len) => {
                // surrogatepass: a three-byte sequence encoding a surrogate is accepted.
                if let [b0, b1, b2, ..] = *rest {
                    let cp = (u32::from(b0 & 0x0F) << 12)
                        | (u32::from(b1 & 0x3F) << 6)
                        | u32::from(b2 & 0x3F);
                    if b0 & 0xF0 == 0xE0
                        && is_continuation(b1)
                        && is_continuation(b2)
                        && is_surrogate(cp)
                    {
                        out.push(cp);
                        i += 3;
                        continue;
                    }
                }
                return Err(decode_error("utf-8", input, i, i + len, reason));
            }
        }
    }
    Ok(out)
}

/// `bytes.decode("utf-16-le"/"utf-16-be", "surrogatepass")` from offset `start` (after a
/// BOM); error positions count from the start of `input`.
fn decode_utf16(input: &[u8], start: usize, big_endian: bool) -> Result<Vec<u32>, String> {
    let codec = if big_endian { "utf-16-be" } else { "utf-16-le" };
    let body = input.get(start..).unwrap_or_default();
    if body.len() % 2 == 1 {
        // With surrogatepass every complete unit decodes, so the only failure is a lone
        // trailing byte.
        let last = input.len() - 1;
        return Err(decode_error(
            codec,
            input,
            last,
            input.len(),
            "truncated data",
        ));
    }
    let units: Vec<u32> = body
        .chunks_exact(2)
        .map(|pair| match *pair {
            [a, b] if big_endian => u32::from(a) << 8 | u32::from(b),
            [a, b] => u32::from(b) << 8 | u32::from(a),
            _ => 0,
        })
        .collect();
    let mut out = Vec::with_capacity(units.len());
    let mut i = 0;
    while let Some(&unit) = units.get(i) {
        match units.get(i + 1) {
            Some(&low) if (0xD800..0xDC00).contains(&unit) && (0xDC00..0xE000).contains(&low) => {
                out.push(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
                i += 2;
            }
            _ => {
                out.push(unit);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// `bytes.decode("utf-32-le"/"utf-32-be", "surrogatepass")` from offset `start`; error
/// positions count from the start of `input`.
fn decode_utf32(input: &[u8], start: usize, big_endian: bool) -> Result<Vec<u32>, String> {
    let codec = if big_endian { "utf-32-be" } else { "utf-32-le" };
    let mut out = Vec::new();
    let mut pos = start;
    while pos < input.len() {
        let unit = match input.get(pos..pos + 4) {
            Some(&[b0, b1, b2, b3]) if big_endian => u32::from_be_bytes([b0, b1, b2, b3]),
            Some(&[b0, b1, b2, b3]) => u32::from_le_bytes([b0, b1, b2, b3]),
            _ => {
                return Err(decode_error(
                    codec,
                    input,
                    pos,
                    input.len(),
                    "truncated data",
                ));
            }
        };
        if unit > u32::from(char::MAX) {
            return Err(decode_error(
                codec,
                input,
                pos,
                pos + 4,
                "code point not in range(0x110000)",
            ));
        }
        out.push(unit);
        pos += 4;
    }
    Ok(out)
}

/// True for U+D800..=U+DFFF.
fn is_surrogate(cp: u32) -> bool {
    (0xD800..0xE000).contains(&cp)
}

// -------------------------------------------------------------------------------- scan

/// A scanner failure.
#[derive(Debug)]
enum ScanError {
    /// A `JSONDecodeError`: message and code-point offset.
    At(&'static str, usize),
    /// Any other `ValueError`/`RecursionError` text (no position suffix).
    Plain(String),
}

/// `JSONDecodeError.__str__`: `"{msg}: line {l} column {c} (char {pos})"`.
fn with_position(message: &str, text: &[u32], pos: usize) -> String {
    let before = text.get(..pos).unwrap_or(text);
    let line = before.iter().filter(|&&c| c == NEWLINE).count() + 1;
    let column = match before.iter().rposition(|&c| c == NEWLINE) {
        Some(nl) => pos - nl,
        None => pos + 1,
    };
    format!("{message}: line {line} column {column} (char {pos})")
}

/// Mirror of the C scanner in CPython 3.11's `Modules/_json.c` (strict mode, default
/// hooks). Functions return the index just after the parsed item.
struct Scanner<'a> {
    /// The decoded document.
    s: &'a [u32],
    /// Containers currently open.
    depth: usize,
}

impl Scanner<'_> {
    /// Code point at `i`, if any.
    fn at(&self, i: usize) -> Option<u32> {
        self.s.get(i).copied()
    }

    /// True if the code point at `i` is the ASCII character `c`.
    fn is(&self, i: usize, c: u8) -> bool {
        self.at(i) == Some(u32::from(c))
    }

    /// True if the code point at `i` is an ASCII digit.
    fn is_digit(&self, i: usize) -> bool {
        matches!(self.at(i), Some(c) if (0x30..=0x39).contains(&c))
    }

    /// Skips JSON whitespace (space, tab, LF, CR) from `i`.
    fn skip_ws(&self, mut i: usize) -> usize {
        while matches!(self.at(i), Some(0x20 | 0x09 | 0x0A | 0x0D)) {
            i += 1;
        }
        i
    }

    /// True if `word` is spelled out starting at `i`.
    fn word_at(&self, i: usize, word: &str) -> bool {
        word.bytes().enumerate().all(|(k, b)| self.is(i + k, b))
    }

    /// `JSONDecoder.decode`: optional whitespace, one value, optional whitespace, end.
    fn document(&mut self) -> Result<(), ScanError> {
        let start = self.skip_ws(0);
        let end = self.value(start)?;
        let end = self.skip_ws(end);
        if end != self.s.len() {
            return Err(ScanError::At("Extra data", end));
        }
        Ok(())
    }

    /// `scan_once_unicode`: one value starting at `idx`.
    fn value(&mut self, idx: usize) -> Result<usize, ScanError> {
        let Some(c) = self.at(idx) else {
            return Err(ScanError::At("Expecting value", idx));
        };
        match c {
            0x22 => self.string(idx + 1),
            0x7B => {
                self.enter("object")?;
                let end = self.object(idx + 1);
                self.depth -= 1;
                end
            }
            0x5B => {
                self.enter("array")?;
                let end = self.array(idx + 1);
                self.depth -= 1;
                end
            }
            0x6E if self.word_at(idx, "null") => Ok(idx + 4),
            0x74 if self.word_at(idx, "true") => Ok(idx + 4),
            0x66 if self.word_at(idx, "false") => Ok(idx + 5),
            0x4E if self.word_at(idx, "NaN") => Ok(idx + 3),
            0x49 if self.word_at(idx, "Infinity") => Ok(idx + 8),
            0x2D if self.word_at(idx, "-Infinity") => Ok(idx + 9),
            _ => self.number(idx),
        }
    }

    /// `Py_EnterRecursiveCall` for one more container of `kind`.
    fn enter(&mut self, kind: &str) -> Result<(), ScanError> {
        if self.depth >= MAX_DEPTH {
            return Err(ScanError::Plain(format!(
                "maximum recursion depth exceeded while decoding a JSON {kind} from a unicode string"
            )));
        }
        self.depth += 1;
        Ok(())
    }

    /// `_parse_object_unicode`; `idx` is just after `{`.
    fn object(&mut self, idx: usize) -> Result<usize, ScanError> {
        let mut idx = self.skip_ws(idx);
        if !self.is(idx, b'}') {
            loop {
                if !self.is(idx, b'"') {
                    return Err(ScanError::At(
                        "Expecting property name enclosed in double quotes",
                        idx,
                    ));
                }
                idx = self.string(idx + 1)?;
                idx = self.skip_ws(idx);
                if !self.is(idx, b':') {
                    return Err(ScanError::At("Expecting ':' delimiter", idx));
                }
                idx = self.skip_ws(idx + 1);
                idx = self.value(idx)?;
                idx = self.skip_ws(idx);
                if self.is(idx, b'}') {
                    break;
                }
                if !self.is(idx, b',') {
                    return Err(ScanError::At("Expecting ',' delimiter", idx));
                }
                idx = self.skip_ws(idx + 1);
            }
        }
        Ok(idx + 1)
    }

    /// `_parse_array_unicode`; `idx` is just after `[`.
    fn array(&mut self, idx: usize) -> Result<usize, ScanError> {
        let mut idx = self.skip_ws(idx);
        if !self.is(idx, b']') {
            loop {
                idx = self.value(idx)?;
                idx = self.skip_ws(idx);
                if self.is(idx, b']') {
                    break;
                }
                if !self.is(idx, b',') {
                    return Err(ScanError::At("Expecting ',' delimiter", idx));
                }
                idx = self.skip_ws(idx + 1);
            }
        }
        Ok(idx + 1)
    }

    /// `_match_number_unicode`. A malformed number is "Expecting value" at `start`.
    fn number(&self, start: usize) -> Result<usize, ScanError> {
        let len = self.s.len();
        let mut idx = start;
        let negative = self.is(idx, b'-');
        if negative {
            idx += 1;
            if idx >= len {
                return Err(ScanError::At("Expecting value", start));
            }
        }
        if self.is_digit(idx) && !self.is(idx, b'0') {
            idx += 1;
            while self.is_digit(idx) {
                idx += 1;
            }
        } else if self.is(idx, b'0') {
            idx += 1;
        } else {
            return Err(ScanError::At("Expecting value", start));
        }
        let mut is_float = false;
        // A fraction needs a digit after the dot; the dot is not consumed otherwise.
        if idx + 1 < len && self.is(idx, b'.') && self.is_digit(idx + 1) {
            is_float = true;
            idx += 2;
            while self.is_digit(idx) {
                idx += 1;
            }
        }
        // An exponent needs at least one character after the `e`, and digits; otherwise
        // the scanner backtracks to the `e` (which then is "Extra data" or a delimiter
        // error).
        if idx + 1 < len && (self.is(idx, b'e') || self.is(idx, b'E')) {
            let e_start = idx;
            idx += 1;
            if idx + 1 < len && (self.is(idx, b'-') || self.is(idx, b'+')) {
                idx += 1;
            }
            while self.is_digit(idx) {
                idx += 1;
            }
            if self.is_digit(idx - 1) {
                is_float = true;
            } else {
                idx = e_start;
            }
        }
        if !is_float {
            let digits = idx - start - usize::from(negative);
            if digits > MAX_INT_DIGITS {
                return Err(ScanError::Plain(format!(
                    "Exceeds the limit ({MAX_INT_DIGITS} digits) for integer string conversion: \
                     value has {digits} digits; use sys.set_int_max_str_digits() to increase the limit"
                )));
            }
        }
        Ok(idx)
    }

    /// Four hex digits at `i..i + 4`.
    fn hex4(&self, i: usize) -> Option<u32> {
        (i..i + 4).try_fold(0u32, |acc, k| {
            let digit = char::from_u32(self.at(k)?)?.to_digit(16)?;
            Some(acc << 4 | digit)
        })
    }

    /// `scanstring_unicode`; `start` is just after the opening quote.
    fn string(&self, start: usize) -> Result<usize, ScanError> {
        const UNTERMINATED: &str = "Unterminated string starting at";
        const BAD_U: &str = "Invalid \\uXXXX escape";
        let begin = start.saturating_sub(1);
        let len = self.s.len();
        let mut end = start;
        loop {
            // Find the closing quote or the next backslash.
            let mut next = end;
            let c = loop {
                match self.at(next) {
                    None => return Err(ScanError::At(UNTERMINATED, begin)),
                    Some(d) if d == QUOTE || d == BACKSLASH => break d,
                    Some(d) if d <= 0x1F => {
                        return Err(ScanError::At("Invalid control character at", next));
                    }
                    Some(_) => next += 1,
                }
            };
            next += 1;
            if c == QUOTE {
                return Ok(next);
            }
            let Some(c) = self.at(next) else {
                return Err(ScanError::At(UNTERMINATED, begin));
            };
            if c != u32::from(b'u') {
                end = next + 1;
                let valid = matches!(
                    char::from_u32(c),
                    Some('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't')
                );
                if !valid {
                    return Err(ScanError::At("Invalid \\escape", next - 1));
                }
            } else {
                next += 1;
                end = next + 4;
                if end >= len {
                    return Err(ScanError::At(BAD_U, next - 1));
                }
                let high = self.hex4(next).ok_or(ScanError::At(BAD_U, end - 5))?;
                next = end;
                if (0xD800..0xDC00).contains(&high)
                    && end + 6 < len
                    && self.is(next, b'\\')
                    && self.is(next + 1, b'u')
                {
                    end += 6;
                    let low = self.hex4(next + 2).ok_or(ScanError::At(BAD_U, end - 5))?;
                    if !(0xDC00..0xE000).contains(&low) {
                        // Not a pair: the second escape is scanned again on its own.
                        end -= 6;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::python_json_error;

    /// Expected strings were produced by CPython 3.11.7:
    /// `str(e)` for `json.loads(input)`, or "" when it succeeded.
    const CASES: &[(&[u8], &str)] = &[
        (b"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", ""),
        (b" [1, 2.5e-3, -0, true, false, null] \x0a", ""),
        (b"\"\\ud800\"", ""),
        (b"\"\\ud83d\\ude00\"", ""),
        (b"\"\xed\xa0\x80\"", ""),
        (b"NaN", ""),
        (b"-Infinity", ""),
        (b"{\"x\":Infinity}", ""),
        (b"1e400", ""),
        (b"\xef\xbb\xbf{}", ""),
        (b"{\x00\"\x00a\x00\"\x00:\x001\x00}\x00", ""),
        (b"\x00{\x00\"\x00a\x00\"\x00:\x001\x00}", ""),
        (b"\xff\xfe{\x00\"\x00a\x00\"\x00:\x001\x00}\x00", ""),
        (b"{\x00\x00\x00\"\x00\x00\x00a\x00\x00\x00\"\x00\x00\x00:\x00\x00\x001\x00\x00\x00}\x00\x00\x00", ""),
        (b"\x00\x00\x00{\x00\x00\x00\"\x00\x00\x00a\x00\x00\x00\"\x00\x00\x00:\x00\x00\x001\x00\x00\x00}", ""),
        (b"\xff\xfe\x00\x00{\x00\x00\x00\"\x00\x00\x00a\x00\x00\x00\"\x00\x00\x00:\x00\x00\x001\x00\x00\x00}\x00\x00\x00", ""),
        (b"{\"a\":1,\"a\":2}", ""),
        (b"\"\x7f\"", ""),
        (b"", "Expecting value: line 1 column 1 (char 0)"),
        (b" ", "Expecting value: line 1 column 2 (char 1)"),
        (b"not json", "Expecting value: line 1 column 1 (char 0)"),
        (b"[", "Expecting value: line 1 column 2 (char 1)"),
        (b"[1,", "Expecting value: line 1 column 4 (char 3)"),
        (b"[1,]", "Expecting value: line 1 column 4 (char 3)"),
        (b"{\"a\":}", "Expecting value: line 1 column 6 (char 5)"),
        (b"{\"a\":", "Expecting value: line 1 column 6 (char 5)"),
        (b"-", "Expecting value: line 1 column 1 (char 0)"),
        (b"-x", "Expecting value: line 1 column 1 (char 0)"),
        (b"--1", "Expecting value: line 1 column 1 (char 0)"),
        (b"+1", "Expecting value: line 1 column 1 (char 0)"),
        (b".5", "Expecting value: line 1 column 1 (char 0)"),
        (b"nul", "Expecting value: line 1 column 1 (char 0)"),
        (b"tru", "Expecting value: line 1 column 1 (char 0)"),
        (b"fals", "Expecting value: line 1 column 1 (char 0)"),
        (b"Na", "Expecting value: line 1 column 1 (char 0)"),
        (b"Infinit", "Expecting value: line 1 column 1 (char 0)"),
        (b"-Infinit", "Expecting value: line 1 column 1 (char 0)"),
        (b"\x0a\x0a  x", "Expecting value: line 3 column 3 (char 4)"),
        (b"\xef\xbb\xbf\xef\xbb\xbf{}", "Expecting value: line 1 column 1 (char 0)"),
        (b"\x00", "Expecting value: line 1 column 1 (char 0)"),
        (b"a\x00", "Expecting value: line 1 column 1 (char 0)"),
        (b"\x00\x00\x00", "Expecting value: line 1 column 1 (char 0)"),
        (b"\xed\xa0\x80", "Expecting value: line 1 column 1 (char 0)"),
        (b"{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"{ ", "Expecting property name enclosed in double quotes: line 1 column 3 (char 2)"),
        (b"{'a':1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"{\"a\":1,}", "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"),
        (b"{\"a\":1, ", "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)"),
        (b"{a:1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"{\"a\":1,\x0a\x0a }", "Expecting property name enclosed in double quotes: line 3 column 2 (char 10)"),
        (b"{\"a\"", "Expecting ':' delimiter: line 1 column 5 (char 4)"),
        (b"{\"a\" 1}", "Expecting ':' delimiter: line 1 column 6 (char 5)"),
        (b"{\"a\";1}", "Expecting ':' delimiter: line 1 column 5 (char 4)"),
        (b"{\"a\"\x0a,", "Expecting ':' delimiter: line 2 column 1 (char 5)"),
        (b"{\"a\":1", "Expecting ',' delimiter: line 1 column 7 (char 6)"),
        (b"{\"a\":1 \"b\":2}", "Expecting ',' delimiter: line 1 column 8 (char 7)"),
        (b"[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"),
        (b"[1", "Expecting ',' delimiter: line 1 column 3 (char 2)"),
        (b"{\"a\":\"b\"]", "Expecting ',' delimiter: line 1 column 9 (char 8)"),
        (b"[1.]", "Expecting ',' delimiter: line 1 column 3 (char 2)"),
        (b"[1e]", "Expecting ',' delimiter: line 1 column 3 (char 2)"),
        (b"[1e+]", "Expecting ',' delimiter: line 1 column 3 (char 2)"),
        (b"[01]", "Expecting ',' delimiter: line 1 column 3 (char 2)"),
        (b"{\"a\":nulll}", "Expecting ',' delimiter: line 1 column 10 (char 9)"),
        (b"[\"\xc3\xa9\" 1]", "Expecting ',' delimiter: line 1 column 6 (char 5)"),
        (b"{} x", "Extra data: line 1 column 4 (char 3)"),
        (b"{}{}", "Extra data: line 1 column 3 (char 2)"),
        (b"1 2", "Extra data: line 1 column 3 (char 2)"),
        (b"01", "Extra data: line 1 column 2 (char 1)"),
        (b"1.", "Extra data: line 1 column 2 (char 1)"),
        (b"1e", "Extra data: line 1 column 2 (char 1)"),
        (b"1e+", "Extra data: line 1 column 2 (char 1)"),
        (b"1E-", "Extra data: line 1 column 2 (char 1)"),
        (b"0x10", "Extra data: line 1 column 2 (char 1)"),
        (b"truex", "Extra data: line 1 column 5 (char 4)"),
        (b"\"a\" \"b\"", "Extra data: line 1 column 5 (char 4)"),
        (b"[]]", "Extra data: line 1 column 3 (char 2)"),
        (b"1\x0a2", "Extra data: line 2 column 1 (char 2)"),
        (b"\"\xf0\x9f\x98\x80\"x", "Extra data: line 1 column 4 (char 3)"),
        (b"\"abc", "Unterminated string starting at: line 1 column 1 (char 0)"),
        (b"\"", "Unterminated string starting at: line 1 column 1 (char 0)"),
        (b"[\"a", "Unterminated string starting at: line 1 column 2 (char 1)"),
        (b"{\"a\":\"b", "Unterminated string starting at: line 1 column 6 (char 5)"),
        (b"\"\\", "Unterminated string starting at: line 1 column 1 (char 0)"),
        (b"\"\\\"", "Unterminated string starting at: line 1 column 1 (char 0)"),
        (b"\"a\x01b\"", "Invalid control character at: line 1 column 3 (char 2)"),
        (b"\"\x09\"", "Invalid control character at: line 1 column 2 (char 1)"),
        (b"\"\x0a\"", "Invalid control character at: line 1 column 2 (char 1)"),
        (b"{\"k\x1f\":1}", "Invalid control character at: line 1 column 4 (char 3)"),
        (b"\"\\x\"", "Invalid \\escape: line 1 column 2 (char 1)"),
        (b"\"\\a\"", "Invalid \\escape: line 1 column 2 (char 1)"),
        (b"\"\\ \"", "Invalid \\escape: line 1 column 2 (char 1)"),
        (b"\"\\u\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
        (b"\"\\u12\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
        (b"\"\\u12", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
        (b"\"\\u1234", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
        (b"\"\\u12345", "Unterminated string starting at: line 1 column 1 (char 0)"),
        (b"\"\\u12g4\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
        (b"\"\\uD800\\u12\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"),
        (b"\"\\ud800\\uzzzz\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"),
        (b"\"\\ud800\\u0041\"", ""),
        (b"\"\\ud800\\\"", "Unterminated string starting at: line 1 column 1 (char 0)"),
        (b"\"\\ud800\\n\"", ""),
        (b"\"\xc3\xa9\\q\"", "Invalid \\escape: line 1 column 3 (char 2)"),
        (b"\"\xf0\x9f\x98\x80\x01\"", "Invalid control character at: line 1 column 3 (char 2)"),
        (b"\x0a\x0a\"abc", "Unterminated string starting at: line 3 column 1 (char 2)"),
        (b"\xff", "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
        (b"\x80", "'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte"),
        (b"\xc0\x80", "'utf-8' codec can't decode byte 0xc0 in position 0: invalid start byte"),
        (b"\xc1\xbf", "'utf-8' codec can't decode byte 0xc1 in position 0: invalid start byte"),
        (b"\xc2", "'utf-8' codec can't decode byte 0xc2 in position 0: unexpected end of data"),
        (b"\xc2A", "'utf-8' codec can't decode byte 0xc2 in position 0: invalid continuation byte"),
        (b"\xe2\x82", "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data"),
        (b"\xe2(\xa1", "'utf-8' codec can't decode byte 0xe2 in position 0: invalid continuation byte"),
        (b"\xe2\x82(", "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte"),
        (b"\xe0\x80\x80", "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte"),
        (b"\xe0\x9f", "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte"),
        (b"\xe0\xa0", "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data"),
        (b"\xed\xa0", "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte"),
        (b"\"\xed\xa0\"", "'utf-8' codec can't decode byte 0xed in position 1: invalid continuation byte"),
        (b"\xed\xa0A", "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte"),
        (b"\xf0\x80", "'utf-8' codec can't decode byte 0xf0 in position 0: invalid continuation byte"),
        (b"\xf0\x90", "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data"),
        (b"\xf0\x90\x80", "'utf-8' codec can't decode bytes in position 0-2: unexpected end of data"),
        (b"\xf0\x90A", "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte"),
        (b"\xf0\x90\x80A", "'utf-8' codec can't decode bytes in position 0-2: invalid continuation byte"),
        (b"\xf4\x90\x80\x80", "'utf-8' codec can't decode byte 0xf4 in position 0: invalid continuation byte"),
        (b"\xf5\x80", "'utf-8' codec can't decode byte 0xf5 in position 0: invalid start byte"),
        (b"{\"a\":\"\xff\"}", "'utf-8' codec can't decode byte 0xff in position 6: invalid start byte"),
        (b"\xef\xbb\xbf\xff", "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
        (b"\xef\xbb\xbf{\"a\":\xe2\x82}", "'utf-8' codec can't decode bytes in position 5-6: invalid continuation byte"),
        (b"\xef\xbb", "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data"),
        (b"{\x00", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"\x00{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"{\x00}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"\xff\xfe{\x00", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"\xff\xfe{\x00\"", "'utf-16-le' codec can't decode byte 0x22 in position 4: truncated data"),
        (b"\xfe\xff\x00{\x00", "'utf-16-be' codec can't decode byte 0x00 in position 4: truncated data"),
        (b"{\x00\x00\xd8", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"{\x00\x00\xd8X", "'utf-16-le' codec can't decode byte 0x58 in position 4: truncated data"),
        (b"\"\x00\x00\xd8\"\x00", ""),
        (b"\x00\xd8{\x00", "Expecting value: line 1 column 1 (char 0)"),
        (b"\x00\x00\x11\x00", "Expecting value: line 1 column 1 (char 0)"),
        (b"{\x00\x00\x00", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"{\x00\x00\x00}\x00\x00", "'utf-32-le' codec can't decode bytes in position 4-6: truncated data"),
        (b"\x00\x00\x00{\x00\x11\x00\x00\x00\x00", "'utf-32-be' codec can't decode bytes in position 4-7: code point not in range(0x110000)"),
        (b"\xff\xfe\x00\x00\x00\x00\x11\x00", "'utf-32-le' codec can't decode bytes in position 4-7: code point not in range(0x110000)"),
        (b"\xff\xfe\x00\x00\x00\xd8\x00\x00", "Expecting value: line 1 column 1 (char 0)"),
        (b"\xff\xfe\x00\x00{\x00\x00", "'utf-32-le' codec can't decode bytes in position 4-6: truncated data"),
        (b"\x00\x00\xfe\xff\x00\x00\x00[\x00\x00\x00x", "Expecting value: line 1 column 2 (char 1)"),
        (b"[1, \"\x01\", \xff", "'utf-8' codec can't decode byte 0xff in position 9: invalid start byte"),
        (b"{\"a\":[1,2,{\"b\":\"\\q\"}]}", "Invalid \\escape: line 1 column 17 (char 16)"),
        (b"{\"a\":1}\x0a{\"b\":2}", "Extra data: line 2 column 1 (char 8)"),
    ];

    #[test]
    fn matches_cpython() {
        let mut failures = Vec::new();
        for (input, expected) in CASES {
            let got = python_json_error(input);
            if got != *expected {
                failures.push(format!("{input:?}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Integer literals around CPython's 4300-digit limit (expected text from CPython).
    #[test]
    fn long_integers() {
        let limit = |n: usize| {
            format!(
                "Exceeds the limit (4300 digits) for integer string conversion: value has {n} \
                 digits; use sys.set_int_max_str_digits() to increase the limit"
            )
        };
        let ones = |n: usize| "1".repeat(n);
        assert_eq!(
            python_json_error(format!("[{}]", ones(4300)).as_bytes()),
            ""
        );
        assert_eq!(python_json_error(ones(4301).as_bytes()), limit(4301));
        assert_eq!(
            python_json_error(format!("-{}", ones(4301)).as_bytes()),
            limit(4301)
        );
        let garbage = format!("{{\"n\":{},x", "9".repeat(5000));
        assert_eq!(python_json_error(garbage.as_bytes()), limit(5000));
        assert_eq!(
            python_json_error(format!("{}.5", ones(5000)).as_bytes()),
            ""
        );
        assert_eq!(
            python_json_error(format!("{}e5", ones(5000)).as_bytes()),
            ""
        );
    }

    /// Nesting depth: see `MAX_DEPTH` (measured through the reference).
    #[test]
    fn recursion_limit() {
        let deep = |n: usize| {
            let mut v = b"{\"a\":".to_vec();
            v.extend(std::iter::repeat_n(b'[', n - 1));
            v.extend(std::iter::repeat_n(b']', n - 1));
            v.push(b'}');
            v
        };
        assert_eq!(python_json_error(&deep(super::MAX_DEPTH)), "");
        assert_eq!(
            python_json_error(&deep(super::MAX_DEPTH + 1)),
            "maximum recursion depth exceeded while decoding a JSON array from a unicode string"
        );
        let objects = b"{\"a\":".repeat(super::MAX_DEPTH + 1);
        assert_eq!(
            python_json_error(&objects),
            "maximum recursion depth exceeded while decoding a JSON object from a unicode string"
        );
        // A syntax error before the limit is reached wins.
        let mut early = b"[x".to_vec();
        early.extend(b"[".repeat(2000));
        assert_eq!(
            python_json_error(&early),
            "Expecting value: line 1 column 2 (char 1)"
        );
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        // Every prefix of a mixed input, and every single byte value in a few contexts.
        let sample =
            b"\xef\xbb\xbf{\"a\\u12\":[1e,-,\"\xed\xa0\x80\\ud800\\u\",\xf0\x9f\x98\x80]}\x00";
        for end in 0..=sample.len() {
            let _ = python_json_error(&sample[..end]);
            let _ = python_json_error(&sample[end..]);
        }
        for b in 0..=255u8 {
            for ctx in [
                &b"{\"k\":\"?\"}"[..],
                b"[?]",
                b"?",
                b"\x00?",
                b"?\x00",
                b"\"\\?",
            ] {
                let input: Vec<u8> = ctx.iter().map(|&c| if c == b'?' { b } else { c }).collect();
                let _ = python_json_error(&input);
            }
        }
    }
}
