//! Keeps ARCHITECTURE.md true: reads the crate's own sources, collects
//! every `crate::…` (and, inside `src/axum/` and `src/actix/`, `super::…`) reference outside
//! comments and unit-test modules, and fails on any edge the layering
//! tables of ARCHITECTURE.md do not allow. The tables must also name every
//! module that exists (and none that does not), and the allowed graph of
//! top-level modules must have no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `unit -> modules it may use`, from the tables after `marker`.
fn rules(marker: &str) -> BTreeMap<String, BTreeSet<String>> {
    let text = fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md"))
        .unwrap_or_else(|e| panic!("ARCHITECTURE.md: {e}"));
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no {marker:?} table"));
    let mut rules = BTreeMap::new();
    for line in text[start..].lines().skip(1) {
        let line = line.trim();
        if line.is_empty() {
            if rules.is_empty() {
                continue;
            }
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 2
            || cells[0].starts_with("---")
            || cells[0] == "module"
            || cells[0] == "file"
        {
            continue;
        }
        let unit = cells[0].trim_matches('`').to_owned();
        let allowed = cells[1]
            .split(',')
            .map(|c| c.trim().trim_matches('`').to_owned())
            .filter(|c| !c.is_empty() && c != "—" && c != "-")
            .collect();
        rules.insert(unit, allowed);
    }
    assert!(!rules.is_empty(), "the {marker:?} table is empty");
    rules
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its unit-test module.
fn code_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text[..],
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| match line.find(" // ") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The first path segments after every `prefix` (`crate::`, `super::`),
/// including the members of `prefix{a, b::c}` groups.
fn referenced(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue; // `foo_crate::`, `a::super::` …
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars() {
                match c {
                    '{' => depth += 1,
                    ',' if depth == 0 => {
                        out.insert(ident_at(item.trim()));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.insert(ident_at(item.trim()));
        } else {
            out.insert(ident_at(rest));
        }
    }
    out.retain(|s| !s.is_empty() && s != "self");
    out
}

/// Names the crate root re-exports, mapped to their module (`JwtManager`
/// -> `manager`), from `pub use module::{…}` lines of lib.rs.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for statement in lib.split(';') {
        let statement = statement.trim();
        let Some(rest) = statement
            .rsplit("pub use ")
            .next()
            .filter(|_| statement.contains("pub use "))
        else {
            continue;
        };
        let module = ident_at(rest);
        let after = &rest[module.len()..];
        let Some(names) = after.strip_prefix("::") else {
            continue;
        };
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.trim().rsplit("::").next().unwrap_or_default();
            let name = name.rsplit(" as ").next().unwrap_or(name).trim();
            if !name.is_empty() {
                map.insert(name.to_owned(), module.clone());
            }
        }
    }
    map
}

struct Edges {
    /// (from, to) -> files where it happens.
    found: BTreeMap<(String, String), BTreeSet<String>>,
}

fn module_edges() -> (Edges, BTreeSet<String>) {
    let src = Path::new(ROOT).join("src");
    let lib = code_of(&src.join("lib.rs"));
    let reexports = root_reexports(&lib);
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut modules = BTreeSet::new();
    let mut found: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap_or(&file);
        let first = relative
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
            .unwrap_or_default();
        if first == "lib" {
            continue;
        }
        modules.insert(first.clone());
        for target in referenced(&code_of(&file), "crate::") {
            let target = reexports.get(&target).cloned().unwrap_or(target);
            if target != first && target != "jsonwebtoken" {
                found
                    .entry((first.clone(), target))
                    .or_default()
                    .insert(relative.display().to_string());
            }
        }
    }
    (Edges { found }, modules)
}

fn check(edges: &Edges, rules: &BTreeMap<String, BTreeSet<String>>, what: &str) {
    let mut violations = Vec::new();
    for ((from, to), files) in &edges.found {
        let allowed = rules.get(from).is_some_and(|a| a.contains(to));
        if !allowed {
            let files: Vec<&str> = files.iter().map(String::as_str).collect();
            violations.push(format!("{from} -> {to} (in {})", files.join(", ")));
        }
    }
    assert!(
        violations.is_empty(),
        "{what}: edges ARCHITECTURE.md does not allow:\n  {}\nEither remove the dependency or, if the design changed, change the table (and the picture) in ARCHITECTURE.md.",
        violations.join("\n  ")
    );
}

fn assert_acyclic(rules: &BTreeMap<String, BTreeSet<String>>) {
    fn visit(
        node: &str,
        rules: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(at) = path.iter().position(|n| n == node) {
            panic!(
                "the allowed graph has a cycle: {} -> {node}",
                path[at..].join(" -> ")
            );
        }
        path.push(node.to_owned());
        for next in rules.get(node).into_iter().flatten() {
            visit(next, rules, path, done);
        }
        path.pop();
        done.insert(node.to_owned());
    }
    let mut done = BTreeSet::new();
    for node in rules.keys() {
        visit(node, rules, &mut Vec::new(), &mut done);
    }
}

#[test]
fn modules_only_use_what_architecture_md_allows() {
    let rules = rules("<!-- layering: modules -->");
    let (edges, modules) = module_edges();
    let documented: BTreeSet<String> = rules.keys().cloned().collect();
    assert_eq!(
        modules, documented,
        "every module under src/ has a row in ARCHITECTURE.md's module table, and no row names a module that is gone"
    );
    assert!(
        edges
            .found
            .contains_key(&("manager".to_owned(), "token".to_owned())),
        "the reader finds nothing: the manager must use the token layer"
    );
    check(&edges, &rules, "modules");
}

#[test]
fn the_allowed_module_graph_has_no_cycle() {
    assert_acyclic(&rules("<!-- layering: modules -->"));
}

/// The files of one framework module (`src/<module>/`) against the
/// ARCHITECTURE.md table `<!-- layering: <module> -->`.
fn check_framework_files(module: &str) {
    let rules = rules(&format!("<!-- layering: {module} -->"));
    let dir = Path::new(ROOT).join("src").join(module);
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let mut found: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut names = BTreeSet::new();
    for file in &files {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        names.insert(name.clone());
        if name == "mod" {
            continue; // declares and re-exports the others
        }
        let code = code_of(file);
        let mut targets = referenced(&code, "super::");
        targets.extend(
            referenced(&code, &format!("crate::{module}::"))
                .into_iter()
                .filter(|t| t.chars().next().is_some_and(|c| c.is_ascii_lowercase())),
        );
        for target in targets {
            if target != name
                && files
                    .iter()
                    .any(|f| f.file_stem().is_some_and(|s| s == target.as_str()))
            {
                found
                    .entry((name.clone(), target))
                    .or_default()
                    .insert(format!("src/{module}/{name}.rs"));
            }
        }
    }
    names.remove("mod");
    let documented: BTreeSet<String> = rules.keys().cloned().collect();
    assert_eq!(
        names, documented,
        "every file of src/{module}/ has a row in ARCHITECTURE.md's {module} table"
    );
    check(&Edges { found }, &rules, &format!("{module} files"));
    assert_acyclic(&rules);
}

#[test]
fn axum_files_only_use_what_architecture_md_allows() {
    check_framework_files("axum");
}

#[test]
fn actix_files_only_use_what_architecture_md_allows() {
    check_framework_files("actix");
}

#[test]
fn the_reader_sees_groups_and_reexports() {
    let code = "use crate::{a::X, b, c::{D, E}};\nlet x = crate::d::f();\nuse super::e;";
    let names: Vec<String> = referenced(code, "crate::").into_iter().collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    assert_eq!(
        referenced(code, "super::").into_iter().collect::<Vec<_>>(),
        ["e"]
    );
    let lib = "pub use manager::{JwtManager, Verified};\npub use error::Error;";
    let map = root_reexports(lib);
    assert_eq!(map.get("JwtManager").map(String::as_str), Some("manager"));
    assert_eq!(map.get("Error").map(String::as_str), Some("error"));
}
