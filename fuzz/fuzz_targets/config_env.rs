//! Configuration from the environment (`JwtConfig::from_vars`) and manager
//! build-time validation.
//!
//! Input: records `[name byte][value bytes] 0x00 ...`. The name byte picks one
//! of the 43 `JWT_*` options or Flask's `SECRET_KEY` (values above 0xf0 use
//! an unknown name, which must be ignored).
//!
//! Invariants: never a panic; an error names a real option; no `Debug` or
//! `Display` output (config, error, manager) ever contains the secret or the
//! private key.
#![no_main]

use jwt_extended::JwtManager;
use jwt_extended::config::{ConfigError, JwtConfig, OPTION_NAMES};
use libfuzzer_sys::fuzz_target;

fn name(byte: u8) -> &'static str {
    match byte {
        0xf0..=0xff => "JWT_NOT_AN_OPTION",
        b => OPTION_NAMES
            .get(usize::from(b) % (OPTION_NAMES.len() + 1))
            .copied()
            .unwrap_or("SECRET_KEY"),
    }
}

fn assert_hidden(text: &str, secrets: &[&str], what: &str) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Secret values get a `canary:` prefix, which no message of the crate
    // contains: finding one in an output is a leak, not a coincidence with
    // an option name or a fixed text.
    let secret_names = ["JWT_SECRET_KEY", "SECRET_KEY", "JWT_PRIVATE_KEY"];
    let mut vars: Vec<(&'static str, String)> = Vec::new();
    for record in text.split('\0') {
        let mut chars = record.chars();
        let Some(first) = chars.next() else {
            continue;
        };
        let name = name(u8::try_from(u32::from(first) & 0xff).unwrap_or(0));
        let value = chars.as_str();
        let value = if secret_names.contains(&name) && !value.is_empty() {
            format!("canary:{value}")
        } else {
            value.to_owned()
        };
        vars.push((name, value));
    }
    // Each secret's final value (a later record overrides an earlier one),
    // unless a non-secret option was given the same text (it may be echoed).
    let secrets: Vec<&str> = secret_names
        .iter()
        .filter_map(|secret| vars.iter().rev().find(|(n, _)| n == secret))
        .map(|(_, v)| v.as_str())
        .filter(|v| v.len() >= 12)
        .filter(|v| {
            !vars
                .iter()
                .any(|(n, other)| !secret_names.contains(n) && other.contains(v))
        })
        .collect();

    let config = match JwtConfig::from_vars(vars.iter().map(|(n, v)| (*n, v.as_str()))) {
        Ok(config) => config,
        Err(error) => {
            check_option(&error);
            assert_hidden(&format!("{error} {error:?}"), &secrets, "ConfigError");
            return;
        }
    };
    assert_hidden(&format!("{config:?}"), &secrets, "JwtConfig Debug");
    match JwtManager::new(config) {
        Ok(jwt) => {
            assert_hidden(&format!("{jwt:?}"), &secrets, "JwtManager Debug");
            // Whatever was configured, creating and checking a token must
            // not panic.
            if let Ok(token) = jwt.create_access_token("fuzz") {
                let _ = jwt.unverified_header(&token);
            }
        }
        Err(error) => {
            check_option(&error);
            assert_hidden(&format!("{error} {error:?}"), &secrets, "ConfigError");
        }
    }
});

fn check_option(error: &ConfigError) {
    let option = error.option();
    assert!(
        OPTION_NAMES.contains(&option) || option == "SECRET_KEY",
        "error names no option: {option:?} ({error})"
    );
}
