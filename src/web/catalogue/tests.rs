//! What a table in the code would give for free, kept by tests: every catalogue reads whole,
//! holds every key the code uses, and none that nobody uses.

use std::collections::BTreeSet;
use std::path::Path;

use super::*;
use crate::domain::access::{Clearance, Role};
use crate::domain::case::{self, CaseStatus};
use crate::domain::incident::{self, Status};

fn built_in() -> Catalogues {
    Catalogues::read(BUILT_IN)
}

/// Every code a page shows by its label.
fn codes() -> BTreeSet<String> {
    let lists = [
        incident::ATTACK_TYPES,
        incident::WEAPONS,
        incident::TIME_PRECISIONS,
        incident::GEO_PRECISIONS,
        incident::LOCATION_TYPES,
        incident::ACTOR_TYPES,
        incident::ATTRIBUTIONS,
        incident::PERSONNEL_TYPES,
        incident::GENDERS,
        incident::OUTCOMES,
        incident::SOURCE_TYPES,
        incident::HISTORY_ACTIONS,
        case::CLOSURE_REASONS,
        case::ACCUSED_STATUSES,
        case::VERDICTS,
        case::DOCUMENT_KINDS,
        case::SENTENCE_TYPES,
        crate::domain::assistance::ASSISTANCE_TYPES,
    ];
    let mut codes: BTreeSet<String> = lists
        .iter()
        .flat_map(|list| list.iter().map(|code| code.to_string()))
        .collect();
    codes.extend(Status::ALL.iter().map(|s| s.code().to_string()));
    codes.extend(CaseStatus::ALL.iter().map(|s| s.code().to_string()));
    codes.extend(Role::ALL.iter().map(|r| r.code().to_string()));
    codes.extend(Clearance::ALL.iter().map(|c| c.code().to_string()));
    codes
}

/// The keys the code asks the catalogues for by name.
fn keys_the_code_uses() -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = Texts::KEYS.iter().map(|k| k.to_string()).collect();
    keys.extend(codes().iter().map(|code| format!("label-{code}")));
    let (problems, other) = crate::web::form::problems();
    keys.extend(problems.iter().map(|(_, key)| key.to_string()));
    keys.insert(other.to_string());
    keys.extend((1..=12).map(|month| format!("month-{month}")));
    // The messages that take variables, read with `Lang::format`.
    keys.extend(["date", "date_and_time", "reported_by"].map(String::from));
    keys
}

/// The text of every file under `folder` that `keep` keeps.
fn read_tree(folder: &Path, keep: &dyn Fn(&Path) -> bool) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(folder).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            text.push_str(&read_tree(&path, keep));
        } else if keep(&path) {
            text.push_str(&std::fs::read_to_string(&path).expect("a source file"));
        }
    }
    text
}

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn is_rust(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rs")
}

/// The text of the pages' code and templates, where the words are used.
fn pages_source() -> String {
    read_tree(&src().join("web"), &|path| {
        (is_rust(path) || path.extension().is_some_and(|e| e == "html"))
            && !path.ends_with("i18n.rs")
    })
}

/// The text of the whole service, where the fields are named.
fn service_source() -> String {
    read_tree(&src(), &is_rust)
}

fn names_the_word(source: &str, key: &str) -> bool {
    source.match_indices(key).any(|(at, _)| {
        let after = source[at + key.len()..].chars().next();
        source[..at].ends_with('.') && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn every_catalogue_reads_whole() {
    let catalogues = built_in();
    assert!(catalogues.languages.len() >= 2, "English and French");
    assert_eq!(catalogues.languages[0].language, REFERENCE);
    for catalogue in &catalogues.languages {
        assert!(
            catalogue.problems.is_empty(),
            "{}: {:?}",
            catalogue.language,
            catalogue.problems
        );
        let unique: BTreeSet<_> = catalogue.keys.iter().collect();
        assert_eq!(unique.len(), catalogue.keys.len(), "{}", catalogue.language);
    }
}

#[test]
fn every_language_has_the_keys_of_the_reference_and_no_others() {
    let catalogues = built_in();
    let reference: BTreeSet<_> = catalogues.languages[0].keys.iter().collect();
    for catalogue in &catalogues.languages[1..] {
        let keys: BTreeSet<_> = catalogue.keys.iter().collect();
        let missing: Vec<_> = reference.difference(&keys).collect();
        let extra: Vec<_> = keys.difference(&reference).collect();
        assert!(
            missing.is_empty(),
            "{} lacks {missing:?}",
            catalogue.language
        );
        assert!(
            extra.is_empty(),
            "{} has unknown {extra:?}",
            catalogue.language
        );
    }
}

#[test]
fn every_key_the_code_uses_is_in_every_language() {
    let catalogues = built_in();
    for catalogue in &catalogues.languages {
        for key in keys_the_code_uses() {
            assert!(
                catalogue.keys.contains(&key.as_str()),
                "{} lacks {key}",
                catalogue.language
            );
        }
        // The words of `Texts` take no variable: each has a text of its own.
        for key in Texts::KEYS {
            assert!(
                catalogue.word(key).is_some_and(|word| !word.is_empty()),
                "{}: {key} is empty or takes a variable",
                catalogue.language
            );
        }
    }
}

#[test]
fn no_catalogue_key_goes_unused() {
    let pages = pages_source();
    let service = service_source();
    let wanted = keys_the_code_uses();
    let catalogues = built_in();
    let mut unused = Vec::new();
    for key in &catalogues.languages[0].keys {
        let used = if let Some(field) = key.strip_prefix("field-") {
            service.contains(&format!("\"{field}\""))
        } else if Texts::KEYS.contains(key) {
            // A word of `Texts` is read as `t.key` or `page.t.key` somewhere in the pages.
            names_the_word(&pages, key)
        } else {
            wanted.contains(*key)
        };
        if !used {
            unused.push(*key);
        }
    }
    assert!(unused.is_empty(), "nothing uses {unused:?}");
}

#[test]
fn a_language_is_added_with_a_file_and_falls_back_on_english() {
    let english = BUILT_IN
        .iter()
        .find(|(language, _)| *language == REFERENCE)
        .expect("English is built in");
    let catalogues = Catalogues::read(&[
        ("es", "language_name = Español\nsign_in = Iniciar sesión\n"),
        *english,
        (
            "de",
            "sign_in = Anmelden\nthis line = is broken\nsign_out = Abmelden\n",
        ),
    ]);
    let languages: Vec<_> = catalogues.languages.iter().map(|c| c.language).collect();
    assert_eq!(languages, ["en", "de", "es"]);
    let spanish = &catalogues.languages[2];
    assert!(spanish.problems.is_empty());
    assert_eq!(spanish.texts.language_name, "Español");
    assert_eq!(spanish.texts.sign_in, "Iniciar sesión");
    assert_eq!(spanish.texts.sign_out, "Sign out", "missing: in English");
    // A broken line costs its own message, not the catalogue.
    let german = &catalogues.languages[1];
    assert_eq!(german.problems.len(), 1, "{:?}", german.problems);
    assert_eq!(german.texts.sign_in, "Anmelden");
    assert_eq!(german.texts.sign_out, "Abmelden");
}

#[test]
fn messages_with_variables_are_formatted_and_a_missing_one_is_none() {
    let catalogues = built_in();
    let english = &catalogues.languages[0];
    assert_eq!(
        english.format("date", &[("day", "1"), ("month", "May"), ("year", "2026")]),
        Some("1 May 2026".to_string()),
        "no isolation marks around the values"
    );
    assert_eq!(english.format("date", &[]), None, "a variable is missing");
    assert_eq!(english.format("no-such-key", &[]), None);
    assert_eq!(english.word("date"), None, "it takes variables");
}

#[test]
fn every_message_the_pages_translate_is_one_the_service_writes() {
    // The pages know a message by how it begins: reworded where it is written (in the service,
    // or in a page, in English first), it would fall to `problem-other` without a word.
    let table = src().join("web/form.rs");
    let tests = src().join("web/catalogue");
    let service = read_tree(&src(), &|path| {
        is_rust(path) && path != table && !path.starts_with(&tests)
    });
    let (problems, _) = crate::web::form::problems();
    let unheard: Vec<&str> = problems
        .iter()
        .map(|(start, _)| *start)
        .filter(|start| !service.contains(&format!("\"{start}")))
        .collect();
    assert!(unheard.is_empty(), "no message begins {unheard:?}");
}
