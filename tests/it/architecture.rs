//! The house rules of `docs/architecture.md`, checked on the source: the API and the pages
//! reach the database and the access rules only through `services/`, the pages never import
//! the API, services take typed input rather than JSON maps, and no file grows past what a
//! newcomer reads in one sitting. Each failure names the file.

use std::path::{Path, PathBuf};

/// The longest a file of `src/` may be, its own tests included.
const MAX_LINES: usize = 650;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// `api/` and `web/` import neither `store`, nor the access rules (`auth::policy`), nor the
    /// account workflows behind the services (`auth::accounts`).
    ThroughServices,
    /// `web/` never imports `api/`: what both need lives in `http/`.
    PagesApart,
    /// No `serde_json::Map` in the signature of a public function of `services/`.
    TypedInput,
    /// At most `MAX_LINES` lines.
    Short,
}

fn rust_files(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The file's code, without its comments' lines.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
}

fn uses_store_or_policy(text: &str) -> bool {
    code_lines(text).any(|line| {
        let words: Vec<&str> = line
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .collect();
        words.iter().any(|word| {
            word.starts_with("store::")
                || word.starts_with("crate::store")
                || word.contains("policy::")
                || *word == "policy"
                || word.contains("auth::accounts")
        })
    })
}

fn imports_api(text: &str) -> bool {
    code_lines(text).any(|line| line.contains("crate::api") || line.contains("super::super::api"))
}

/// Whether a public function's signature (up to its body), or a public struct's fields, name
/// `Map`, as in `Map<String, Value>`.
fn takes_json_map(text: &str) -> bool {
    let code: String = code_lines(text).collect::<Vec<_>>().join("\n");
    let names_map = |start: usize, end_mark: &str| {
        let rest = &code[start..];
        let end = rest.find(end_mark).unwrap_or(rest.len());
        let part = &rest[..end];
        // `Map<`, but not `BTreeMap<` or `HashMap<`.
        part.match_indices("Map<").any(|(at, _)| {
            !part[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    code.match_indices("pub fn ")
        .any(|(start, _)| names_map(start, "{"))
        || code
            .match_indices("pub struct ")
            .any(|(start, _)| names_map(start, "\n}"))
}

fn breaks(rule: Rule, file: &str, text: &str) -> bool {
    match rule {
        Rule::ThroughServices => {
            (file.starts_with("src/api/") || file.starts_with("src/web/"))
                && uses_store_or_policy(text)
        }
        Rule::PagesApart => file.starts_with("src/web/") && imports_api(text),
        Rule::TypedInput => file.starts_with("src/services/") && takes_json_map(text),
        Rule::Short => text.lines().count() > MAX_LINES,
    }
}

#[test]
fn the_source_keeps_the_house_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut broken = Vec::new();
    for path in rust_files(&root.join("src")) {
        let file = path
            .strip_prefix(root)
            .expect("under the crate")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("a source file");
        for rule in [
            Rule::ThroughServices,
            Rule::PagesApart,
            Rule::TypedInput,
            Rule::Short,
        ] {
            if breaks(rule, &file, &text) {
                broken.push(format!("{file}: {rule:?}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "files breaking the house rules (see docs/architecture.md): {broken:#?}"
    );
}

#[test]
fn the_checks_find_what_they_look_for() {
    assert!(uses_store_or_policy("use crate::store::incidents;"));
    assert!(uses_store_or_policy("    let rows = store::list(conn)?;"));
    assert!(uses_store_or_policy("use crate::auth::{Actor, policy};"));
    assert!(uses_store_or_policy(
        "use crate::auth::accounts::NewAccount;"
    ));
    assert!(!uses_store_or_policy(
        "use crate::services::accounts::NewAccount;"
    ));
    assert!(!uses_store_or_policy(
        "// store::list is behind the service"
    ));
    assert!(!uses_store_or_policy("let files = FileStore::new(folder);"));
    assert!(imports_api("use crate::api::input::page_limit;"));
    assert!(takes_json_map(
        "pub fn update(conn: &mut DbConnection, patch: Map<String, Value>) -> AppResult<()> {"
    ));
    assert!(!takes_json_map(
        "pub fn update(patch: IncidentPatch) -> AppResult<()> {\n    let details = Map::new();"
    ));
    assert!(takes_json_map(
        "pub struct CreateRequest {\n    pub body: Map<String, Value>,\n}"
    ));
    assert!(!takes_json_map(
        "pub struct Report {\n    pub skipped: BTreeMap<String, u64>,\n}"
    ));
    assert!(!takes_json_map(
        "pub struct CreateRequest {\n    pub body: IncidentInput,\n}\nfn f() { Map::new(); }"
    ));
    assert!(breaks(
        Rule::Short,
        "src/x.rs",
        &"line\n".repeat(MAX_LINES + 1)
    ));
    assert!(!breaks(
        Rule::Short,
        "src/x.rs",
        &"line\n".repeat(MAX_LINES)
    ));
}
