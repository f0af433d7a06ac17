//! The feature tables cannot drift: the `| Feature | Default | … |` table in
//! README.md and the one in the crate docs (src/lib.rs) must be identical, row
//! for row and word for word (names, defaults, descriptions, order), and both
//! must list exactly the features of Cargo.toml, with `yes` in the Default
//! column exactly for the members of `default`. Features that only switch on
//! an optional dependency (`name = ["dep:name"]`, what Cargo makes implicitly)
//! are internal and are not listed.
//!
//! The files are read with `include_str!`, so the test needs nothing at run
//! time and reruns whenever one of them changes.

use std::collections::BTreeMap;

const README: &str = include_str!("../README.md");
const LIB_RS: &str = include_str!("../src/lib.rs");
const CARGO_TOML: &str = include_str!("../Cargo.toml");

const TABLE_HEADER: &str = "| Feature | Default |";

/// One row of a feature table.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    name: String,
    default: bool,
    description: String,
}

/// The first feature table in a Markdown text.
fn feature_table(markdown: &str, source: &str) -> Vec<Row> {
    let mut lines = markdown
        .lines()
        .map(str::trim)
        .skip_while(|line| !line.starts_with(TABLE_HEADER));
    if lines.next().is_none() {
        panic!("{source}: no table starting with `{TABLE_HEADER}`");
    }
    match lines.next() {
        Some(separator) if separator.starts_with("|---") => {}
        other => panic!("{source}: expected the table's |---| line, found {other:?}"),
    }
    lines
        .take_while(|line| line.starts_with('|'))
        .map(|line| parse_row(line, source))
        .collect()
}

fn parse_row(line: &str, source: &str) -> Row {
    let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
    let [name, default, description] = cells.as_slice() else {
        panic!("{source}: a feature row needs three cells: {line}");
    };
    let default = match *default {
        "yes" => true,
        "no" => false,
        other => panic!("{source}: Default must be `yes` or `no`, not `{other}`: {line}"),
    };
    Row {
        name: name.trim_matches('`').to_owned(),
        default,
        description: (*description).to_owned(),
    }
}

/// The crate-level docs of src/lib.rs (its `//!` lines) as Markdown.
fn crate_docs() -> String {
    LIB_RS
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Cargo.toml's `[features]`: each name with the list it enables.
fn cargo_features(manifest: &str) -> BTreeMap<String, Vec<String>> {
    let section: String = manifest
        .lines()
        .skip_while(|line| line.trim() != "[features]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        // Feature names and values never contain `#`: the rest is a comment.
        .map(|line| line.split_once('#').map_or(line, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n");
    let mut features = BTreeMap::new();
    let mut rest = section.as_str();
    while let Some((name, after)) = rest.split_once('=') {
        let Some((list, remaining)) = after.split_once(']') else {
            panic!("Cargo.toml: feature `{}` has no closing `]`", name.trim());
        };
        let values = list
            .split(',')
            .map(|value| {
                value
                    .trim()
                    .trim_start_matches('[')
                    .trim()
                    .trim_matches('"')
            })
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect();
        features.insert(name.trim().trim_matches('"').to_owned(), values);
        rest = remaining;
    }
    features
}

/// The features a user chooses: not `default`, not implicit `dep:` ones.
fn public_features(features: &BTreeMap<String, Vec<String>>) -> BTreeMap<&str, bool> {
    let defaults = features.get("default").cloned().unwrap_or_default();
    features
        .iter()
        .filter(|(name, enables)| *name != "default" && **enables != [format!("dep:{name}")])
        .map(|(name, _)| (name.as_str(), defaults.contains(name)))
        .collect()
}

#[test]
fn readme_and_crate_docs_have_the_same_feature_table() {
    let readme = feature_table(README, "README.md");
    let docs = feature_table(&crate_docs(), "src/lib.rs");
    assert_eq!(
        readme, docs,
        "README.md's feature table differs from the one in src/lib.rs's crate docs"
    );
}

#[test]
fn feature_tables_list_exactly_the_cargo_features() {
    let features = cargo_features(CARGO_TOML);
    let expected = public_features(&features);
    assert!(
        !expected.is_empty(),
        "no features found in Cargo.toml: {features:?}"
    );
    for (markdown, source) in [
        (README.to_owned(), "README.md"),
        (crate_docs(), "src/lib.rs"),
    ] {
        let rows = feature_table(&markdown, source);
        let listed: BTreeMap<&str, bool> = rows
            .iter()
            .map(|row| (row.name.as_str(), row.default))
            .collect();
        assert_eq!(
            listed.len(),
            rows.len(),
            "{source}: a feature is listed twice"
        );
        for (name, default) in &expected {
            match listed.get(name) {
                None => panic!("{source}: feature `{name}` of Cargo.toml is not in the table"),
                Some(listed_default) => assert_eq!(
                    listed_default,
                    default,
                    "{source}: feature `{name}` is{} a default feature in Cargo.toml",
                    if *default { "" } else { " not" }
                ),
            }
        }
        for name in listed.keys() {
            assert!(
                expected.contains_key(name),
                "{source}: the table lists `{name}`, which Cargo.toml does not have"
            );
        }
    }
}

#[test]
fn the_manifest_parser_reads_multi_line_lists_and_skips_implicit_features() {
    let manifest = r#"
[package]
name = "x"

[features]
default = ["a"]
## docs
a = [
    "dep:foo", # a comment
    "b",
]
b = []
bar = ["dep:bar"]

[dependencies]
"#;
    let features = cargo_features(manifest);
    assert_eq!(features["a"], ["dep:foo", "b"]);
    assert_eq!(
        public_features(&features),
        BTreeMap::from([("a", true), ("b", false)])
    );
}

/// The lines of the README's `## Usage` section.
fn usage_section() -> Vec<&'static str> {
    README
        .lines()
        .skip_while(|line| *line != "## Usage")
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .collect()
}

/// The usage snippet lets the environment win: the secret set in code is a
/// development fallback set before `merge_env()` (never a call after
/// `from_env()` that would replace `JWT_SECRET_KEY`), and only in debug
/// builds.
#[test]
fn the_usage_snippet_does_not_override_the_environment_s_secret() {
    let usage = usage_section();
    let position = |needle: &str| usage.iter().position(|line| line.contains(needle));
    let merge = position(".merge_env()?").unwrap_or_else(|| panic!("Usage: no merge_env()"));
    let debug_only =
        position("cfg!(debug_assertions)").unwrap_or_else(|| panic!("Usage: no debug-only secret"));
    assert!(!usage.iter().any(|line| line.contains("from_env()?.with_")));
    for (index, line) in usage.iter().enumerate() {
        if line.contains("with_secret_key(") {
            assert!(debug_only < index && index < merge, "README Usage: {line}");
        }
    }
    // The state holding the manager derives FromRef, and the warnings are shown.
    assert!(position("#[derive(Clone, FromRef)]").is_some());
    assert!(position("build_with_warnings()").is_some());
}
