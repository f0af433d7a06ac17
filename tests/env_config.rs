//! Configuration from the environment that catches mistakes (issue 13,
//! item 4): unknown `JWT_*` names are warnings with a "did you mean"
//! suggestion, or errors in strict mode; values are explained in the
//! environment's words; the environment layers over code defaults; the
//! start-up warnings come back from the builder, with or without a
//! `tracing` subscriber.
//!
//! The process environment cannot be changed from a test without `unsafe`
//! (forbidden here), so the tests of `from_env`, `from_env_strict` and
//! `merge_env` run this test binary again as a child with a chosen
//! environment (`run_child`).

mod common;

use std::process::Command;
use std::time::Duration;

use common::Captured;
use jwt_extended::config::{
    ConfigError, ConfigWarning, EnvOptions, Expiry, JwtConfig, SameSite, TokenLocation,
};
use jwt_extended::{Algorithm, JwtManager};

/// A secret long enough for HS256, so that it gives no warning.
const LONG_SECRET: &str = "0123456789abcdef0123456789abcdef";

fn config(vars: &[(&str, &str)]) -> JwtConfig {
    JwtConfig::from_vars(vars.iter().copied()).unwrap_or_else(|e| panic!("{vars:?}: {e}"))
}

fn warnings(config: JwtConfig) -> Vec<ConfigWarning> {
    match JwtManager::builder(config).build_with_warnings() {
        Ok((_, warnings)) => warnings,
        Err(e) => panic!("{e}"),
    }
}

fn unknown(name: &str, suggestion: Option<&str>) -> ConfigWarning {
    ConfigWarning::UnknownOption {
        name: name.to_owned(),
        suggestion: suggestion.map(str::to_owned),
    }
}

// ------------------------------------------------------------ unknown names

#[test]
fn unknown_names_are_warnings_with_a_suggestion() {
    let config = config(&[
        ("JWT_SECRET_KEY", LONG_SECRET),
        ("JWT_ACCES_TOKEN_EXPIRES", "3600"),
        ("JWT_AUDIT_LOG", "on"),
        ("PATH", "/usr/bin"),
        ("SECRET_KEY", "flask"),
    ]);
    // The typo was not applied: the default lifetime stands.
    assert_eq!(
        config.access_token_expires(),
        Expiry::After(Duration::from_secs(900))
    );
    let warnings = warnings(config);
    assert_eq!(
        warnings,
        [
            unknown("JWT_ACCES_TOKEN_EXPIRES", Some("JWT_ACCESS_TOKEN_EXPIRES")),
            unknown("JWT_AUDIT_LOG", None),
        ]
    );
    assert_eq!(
        warnings[0].to_string(),
        "JWT_ACCES_TOKEN_EXPIRES: not a known option, ignored (did you mean JWT_ACCESS_TOKEN_EXPIRES?)"
    );
    assert_eq!(
        warnings[1].to_string(),
        "JWT_AUDIT_LOG: not a known option, ignored (the options are listed in jwt_extended::config::OPTION_NAMES)"
    );
    assert_eq!(warnings[0].option(), "JWT_ACCES_TOKEN_EXPIRES");
}

#[test]
fn unknown_values_are_never_repeated() {
    // A mistyped secret's value must not reach the logs.
    let config = config(&[
        ("JWT_SECRET_KEY", LONG_SECRET),
        ("JWT_SECRETKEY", "hunter2"),
    ]);
    let warnings = warnings(config);
    assert_eq!(warnings, [unknown("JWT_SECRETKEY", Some("JWT_SECRET_KEY"))]);
    assert!(!format!("{warnings:?} {}", warnings[0]).contains("hunter2"));
}

#[test]
fn lower_case_names_are_caught() {
    let config = config(&[("JWT_SECRET_KEY", LONG_SECRET), ("jwt_secret_key", "x")]);
    assert_eq!(
        warnings(config),
        [unknown("jwt_secret_key", Some("JWT_SECRET_KEY"))]
    );
}

#[test]
fn strict_mode_refuses_unknown_names() {
    let strict = EnvOptions::new().deny_unknown();
    let error = JwtConfig::new()
        .merge_vars_with([("JWT_ACCES_TOKEN_EXPIRES", "3600")], &strict)
        .err()
        .unwrap_or_else(|| panic!("strict mode accepted a typo"));
    assert_eq!(
        error,
        ConfigError::UnknownOption {
            name: "JWT_ACCES_TOKEN_EXPIRES".into(),
            suggestion: Some("JWT_ACCESS_TOKEN_EXPIRES".into()),
        }
    );
    assert_eq!(error.option(), "JWT_ACCES_TOKEN_EXPIRES");
    assert_eq!(
        error.to_string(),
        "JWT_ACCES_TOKEN_EXPIRES: not a known option (did you mean JWT_ACCESS_TOKEN_EXPIRES?)"
    );
    // Known names, other variables and ignored names pass.
    let strict = strict.add_ignored("JWT_AUDIT_LOG");
    let config = JwtConfig::new()
        .merge_vars_with(
            [
                ("JWT_ACCESS_TOKEN_EXPIRES", "3600"),
                ("HOME", "/root"),
                ("JWT_AUDIT_LOG", "on"),
            ],
            &strict,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.access_token_expires(),
        Expiry::After(Duration::from_secs(3600))
    );
    assert_eq!(
        warnings(config.with_secret_key(LONG_SECRET)),
        Vec::<ConfigWarning>::new()
    );
}

#[test]
fn prefixed_names_are_suggested_with_their_prefix() {
    let flask = EnvOptions::new().with_prefix("FLASK");
    let config = JwtConfig::new()
        .merge_vars_with(
            [
                ("FLASK_JWT_SECRET_KEY", LONG_SECRET),
                ("FLASK_JWT_TOKEN_LOCATIONS", "cookies"),
                // Without the prefix: not ours, even if it is a typo.
                ("JWT_ACCES_TOKEN_EXPIRES", "1"),
                ("FLASK_DEBUG", "1"),
            ],
            &flask,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(config.secret_key().is_some());
    assert_eq!(
        warnings(config),
        [unknown(
            "FLASK_JWT_TOKEN_LOCATIONS",
            Some("FLASK_JWT_TOKEN_LOCATION")
        )]
    );
    let error = JwtConfig::new()
        .merge_vars_with([("FLASK_JWT_SECRET", "x")], &flask.deny_unknown())
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("FLASK_JWT_SECRET: not a known option (did you mean FLASK_JWT_SECRET_KEY?)")
    );
}

// ------------------------------------------------------------ values

#[test]
fn lifetimes_are_explained_in_the_environment_s_words() {
    for value in ["1h", "15m", "1.5", "-5", "true", ""] {
        let error = JwtConfig::from_vars([("JWT_ACCESS_TOKEN_EXPIRES", value)])
            .err()
            .unwrap_or_else(|| panic!("{value:?} accepted"));
        let message = error.to_string();
        assert_eq!(
            message,
            format!("JWT_ACCESS_TOKEN_EXPIRES: expected whole seconds or \"false\", got {value:?}")
        );
        assert!(!message.contains("datetime"), "{message}");
    }
    // What the reference accepts from the environment stays accepted.
    for (value, expected) in [
        ("3600", Expiry::After(Duration::from_secs(3600))),
        (" 60 ", Expiry::After(Duration::from_secs(60))),
        ("false", Expiry::Never),
        ("False", Expiry::Never),
    ] {
        assert_eq!(
            config(&[("JWT_REFRESH_TOKEN_EXPIRES", value)]).refresh_token_expires(),
            expected,
            "{value:?}"
        );
    }
    // A zero lifetime says how to write "never" in the environment.
    let error = JwtManager::new(config(&[
        ("JWT_SECRET_KEY", LONG_SECRET),
        ("JWT_ACCESS_TOKEN_EXPIRES", "0"),
    ]))
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(error.contains("\"false\" in the environment"), "{error}");
}

#[test]
fn switches_list_their_spellings() {
    let error = JwtConfig::from_vars([("JWT_COOKIE_SECURE", "maybe")])
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("JWT_COOKIE_SECURE: expected true or false (or 1/0, yes/no, on/off), got \"maybe\"")
    );
}

// ------------------------------------------------------------ layering

#[test]
fn the_environment_layers_over_code_defaults() {
    let defaults = JwtConfig::new()
        .with_secret_key("from code")
        .with_access_token_expires(Duration::from_secs(3600))
        .with_token_location([TokenLocation::Headers, TokenLocation::Cookies]);
    let config = defaults
        .clone()
        .merge_vars([("JWT_SECRET_KEY", "from the environment")])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.secret_key().map(|s| s.expose().to_vec()),
        Some(b"from the environment".to_vec())
    );
    assert_eq!(
        config.access_token_expires(),
        Expiry::After(Duration::from_secs(3600))
    );
    assert_eq!(
        config.token_location(),
        [TokenLocation::Headers, TokenLocation::Cookies]
    );
    // Nothing in the environment: the code defaults, untouched.
    let config = defaults
        .merge_vars(Vec::<(String, String)>::new())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.secret_key().map(|s| s.expose().to_vec()),
        Some(b"from code".to_vec())
    );
}

// ------------------------------------------------------------ the process environment

/// Runs `child_reads_the_environment` in a child process whose whole
/// environment is `vars` plus the scenario name; returns its report line.
fn run_child(scenario: &str, vars: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new(exe)
        .args(["--exact", "child_reads_the_environment", "--nocapture"])
        .env_clear()
        .env("ENV_CONFIG_CHILD", scenario)
        .envs(vars.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run the child test: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed: {stdout}");
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("REPORT: "))
        .unwrap_or_else(|| panic!("no report from the child: {stdout}"))
        .to_owned()
}

/// The child side of `run_child`: does nothing in a normal test run.
#[test]
fn child_reads_the_environment() {
    let Ok(scenario) = std::env::var("ENV_CONFIG_CHILD") else {
        return;
    };
    let result = match scenario.as_str() {
        "from_env" => JwtConfig::from_env(),
        "from_env_strict" => JwtConfig::from_env_strict(),
        "merge_env" => JwtConfig::new()
            .with_secret_key("dev-only-secret-0123456789abcdef")
            .with_access_token_expires(Duration::from_secs(3600))
            .merge_env(),
        "prefixed" => JwtConfig::from_prefixed_env("FLASK"),
        other => panic!("unknown scenario {other}"),
    };
    let report = match result {
        Err(e) => format!("error: {e}"),
        Ok(config) => {
            let secret = config
                .secret_key()
                .map(|s| String::from_utf8_lossy(s.expose()).into_owned());
            let warnings = JwtManager::builder(config.clone())
                .build_with_warnings()
                .map(|(_, w)| w.iter().map(ToString::to_string).collect::<Vec<_>>());
            format!(
                "secret={secret:?} expires={:?} warnings={warnings:?}",
                config.access_token_expires()
            )
        }
    };
    println!("REPORT: {report}");
}

#[test]
fn from_env_warns_and_from_env_strict_refuses() {
    let env = [
        ("JWT_SECRET_KEY", LONG_SECRET),
        ("JWT_ACCES_TOKEN_EXPIRES", "60"),
    ];
    let report = run_child("from_env", &env);
    assert!(
        report.contains("did you mean JWT_ACCESS_TOKEN_EXPIRES?"),
        "{report}"
    );
    assert!(report.contains("expires=After(900s)"), "{report}");
    assert_eq!(
        run_child("from_env_strict", &env),
        "error: JWT_ACCES_TOKEN_EXPIRES: not a known option (did you mean JWT_ACCESS_TOKEN_EXPIRES?)"
    );
}

#[test]
fn merge_env_lets_the_environment_win() {
    let report = run_child("merge_env", &[("JWT_SECRET_KEY", LONG_SECRET)]);
    assert_eq!(
        report,
        format!("secret=Some({LONG_SECRET:?}) expires=After(3600s) warnings=Ok([])")
    );
    let report = run_child("merge_env", &[("JWT_ACCESS_TOKEN_EXPIRES", "false")]);
    assert!(
        report.starts_with("secret=Some(\"dev-only-secret-0123456789abcdef\") expires=Never"),
        "{report}"
    );
    let report = run_child("prefixed", &[("FLASK_JWT_SECRET_KEY", LONG_SECRET)]);
    assert!(
        report.contains(&format!("secret=Some({LONG_SECRET:?})")),
        "{report}"
    );
}

// ------------------------------------------------------------ start-up warnings

#[test]
fn start_up_warnings_are_returned() {
    let short = warnings(JwtConfig::new().with_secret_key("super-secret"));
    assert_eq!(
        short,
        [ConfigWarning::ShortSecret {
            algorithm: Algorithm::HS256,
            length: 12,
            minimum: 32,
        }]
    );
    assert_eq!(short[0].option(), "JWT_SECRET_KEY");
    assert!(
        short[0].to_string().contains("12 bytes long"),
        "{}",
        short[0]
    );

    let cookies = JwtConfig::new()
        .with_secret_key(LONG_SECRET)
        .with_token_location([TokenLocation::Cookies]);
    assert_eq!(
        warnings(cookies.clone()),
        [ConfigWarning::CookiesWithoutSecure]
    );
    assert_eq!(
        warnings(cookies.clone().with_cookie_samesite(SameSite::None)),
        [
            ConfigWarning::SameSiteNoneWithoutSecure,
            ConfigWarning::CookiesWithoutSecure
        ]
    );
    assert_eq!(
        warnings(cookies.with_cookie_secure(true)),
        Vec::<ConfigWarning>::new()
    );
    // A refused short secret is an error, not a warning.
    assert!(
        JwtManager::builder(JwtConfig::new().with_secret_key("super-secret"))
            .enforce_minimum_key_length()
            .build_with_warnings()
            .is_err()
    );
}

#[test]
fn build_logs_each_warning_once_and_build_with_warnings_logs_none() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let config = config(&[
        ("JWT_SECRET_KEY", "super-secret"),
        ("JWT_ACCES_TOKEN_EXPIRES", "60"),
    ]);
    let _quiet = JwtManager::builder(config.clone()).build_with_warnings();
    let text = || captured.text();
    assert_eq!(text(), "");
    let _jwt = JwtManager::new(config).unwrap_or_else(|e| panic!("{e}"));
    let logged = text();
    let lines: Vec<&str> = logged.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(lines.len(), 2, "{logged}");
    assert!(
        lines[0].contains("did you mean JWT_ACCESS_TOKEN_EXPIRES?")
            && lines[0].contains("option=\"JWT_ACCES_TOKEN_EXPIRES\""),
        "{logged}"
    );
    assert!(lines[1].contains("12 bytes long"), "{logged}");
}
