//! What a case document may be: its title, kind and date, and the media types accepted,
//! judged by the file's content.

use chrono::NaiveDate;

use super::{one_of_list, optional_text, parse_date};
use crate::domain::validation::{FieldError, Violations};

pub const DOCUMENT_KINDS: &[&str] = &[
    "note_verbale",
    "police_report",
    "warrant",
    "indictment",
    "judgment",
    "other",
];

/// A document's fields as the upload form sends them.
#[derive(Debug, Clone, Default)]
pub struct DocumentInput {
    pub title: Option<String>,
    pub kind: Option<String>,
    pub date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFields {
    pub title: String,
    pub kind: String,
    pub date: Option<NaiveDate>,
}

/// At most this many States share one document.
pub const MAX_SHARED_WITH: usize = 50;

/// The States a document is shared with: ISO3 codes of States that exist today, each named
/// once, sorted.
pub fn check_shared_with(states: Vec<String>) -> Result<Vec<String>, Vec<FieldError>> {
    let mut violations = Violations::new();
    if states.len() > MAX_SHARED_WITH {
        violations.add(
            "shared_with",
            format!("may name at most {MAX_SHARED_WITH} States"),
        );
    }
    for (i, state) in states.iter().enumerate() {
        if let Err(message) = crate::domain::country::check_current(state) {
            violations.add(format!("shared_with[{i}]"), message);
        }
    }
    violations.into_result()?;
    let mut states = states;
    states.sort();
    states.dedup();
    Ok(states)
}

pub fn validate_document(
    input: &DocumentInput,
    today: NaiveDate,
) -> Result<DocumentFields, Vec<FieldError>> {
    let mut violations = Violations::new();
    let title = optional_text(&mut violations, "title", &input.title, 300);
    if title.is_none() {
        violations.add("title", "is required");
    }
    let kind = input.kind.as_deref().unwrap_or("").trim().to_string();
    if !DOCUMENT_KINDS.contains(&kind.as_str()) {
        violations.add("kind", one_of_list(DOCUMENT_KINDS));
    }
    let date = match input.date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match parse_date(text) {
            Ok(date) if date > today => {
                violations.add("date", "must not be in the future");
                None
            }
            Ok(date) => Some(date),
            Err(message) => {
                violations.add("date", message);
                None
            }
        },
    };
    violations.into_result()?;
    Ok(DocumentFields {
        title: title.unwrap_or_default(),
        kind,
        date,
    })
}

/// The media type of a document, decided by its content (never its name): PDF, PNG, JPEG, ODT,
/// DOCX or plain UTF-8 text. `None` for anything else.
pub fn document_media_type(bytes: &[u8]) -> Option<&'static str> {
    type Matcher = fn(&[u8]) -> bool;
    let known: [(Matcher, &'static str); 5] = [
        (infer::archive::is_pdf, "application/pdf"),
        (infer::image::is_png, "image/png"),
        (infer::image::is_jpeg, "image/jpeg"),
        (
            infer::odf::is_odt,
            "application/vnd.oasis.opendocument.text",
        ),
        (
            infer::doc::is_docx,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ];
    if let Some((_, media_type)) = known.iter().find(|(matches, _)| matches(bytes)) {
        return Some(media_type);
    }
    is_plain_text(bytes).then_some("text/plain")
}

/// UTF-8 with no control characters other than tab, line feed, carriage return and form feed,
/// and not a script (`#!`): scripts are programs, not documents.
fn is_plain_text(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && !bytes.starts_with(b"#!")
        && std::str::from_utf8(bytes).is_ok_and(|text| {
            text.chars()
                .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
        })
}
