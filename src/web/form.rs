//! What every form of the pages shares: reading a posted form, one labelled field with its
//! message beside it, and the service's field messages in the reader's language.

use std::collections::BTreeMap;

use crate::domain::validation::FieldError;

use super::Choice;
use super::i18n::Lang;
use super::labels::field_label;

/// How a field is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    LongText,
    DateTime,
    Date,
    Number,
    Select,
    Checkbox,
    Password,
    /// Typed with the page's list of countries offered by name (`countries.html`); sends the
    /// code picked, or the text typed (a special court's name, for a jurisdiction).
    Country,
}

/// One labelled field, its value and the message about it, if any.
pub struct Field {
    pub name: String,
    pub label: String,
    pub kind: Kind,
    pub value: String,
    pub choices: Vec<Choice>,
    pub error: String,
    pub required: bool,
}

impl Field {
    pub fn new(lang: Lang, name: &str, kind: Kind, value: &str) -> Field {
        let last = name.rsplit('.').next().unwrap_or(name);
        Field {
            name: name.to_string(),
            label: field_label(lang, last),
            kind,
            value: value.to_string(),
            choices: Vec::new(),
            error: String::new(),
            required: false,
        }
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    /// A list of choices, labelled in the reader's language.
    pub fn codes<'a>(mut self, lang: Lang, codes: impl IntoIterator<Item = &'a str>) -> Field {
        self.choices = super::choices(codes, &self.value, lang);
        self
    }

    /// A list of every country by name in the reader's language, sending its code.
    pub fn countries(mut self, lang: Lang) -> Field {
        self.kind = Kind::Select;
        self.choices = super::countries::choices(lang, &self.value);
        self
    }

    /// Takes this field's message out of `errors`.
    pub fn with_error(mut self, errors: &mut BTreeMap<String, String>) -> Field {
        if let Some(message) = errors.remove(&self.name) {
            self.error = message;
        }
        self
    }
}

/// A message about a field that has no place of its own on the form, linked to nothing.
pub struct Problem {
    pub label: String,
    pub message: String,
}

/// The pairs of a posted form, in order, with NUL taken out (no column stores it).
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.replace('\0', ""), v.replace('\0', "")))
        .collect()
}

/// The first value of `name`, or "".
pub fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The service's messages by field, in the reader's language.
pub fn messages(lang: Lang, errors: &[FieldError]) -> BTreeMap<String, String> {
    let mut by_field = BTreeMap::new();
    for error in errors {
        by_field
            .entry(error.field.clone())
            .or_insert_with(|| message(lang, &error.message));
    }
    by_field
}

/// What is left after the fields took theirs: shown above the form.
pub fn leftovers(lang: Lang, errors: BTreeMap<String, String>) -> Vec<Problem> {
    errors
        .into_iter()
        .map(|(field, message)| Problem {
            label: field_label(lang, field.rsplit('.').next().unwrap_or(&field)),
            message,
        })
        .collect()
}

/// The service writes its messages in English for API clients; the pages show the catalogue's
/// `problem-<kind>` for the ones a person meets (`$said` holds the service's own words), by how
/// the message begins. The longer beginnings come first.
const PROBLEMS: &[(&str, &str)] = &[
    ("is required with", "problem-pair_required"),
    ("is required", "problem-required"),
    ("must not be in the future", "problem-in_future"),
    ("must be one of", "problem-not_a_choice"),
    ("must be an RFC 3339", "problem-not_a_time"),
    ("must be a date", "problem-not_a_date"),
    ("must be a number", "problem-not_a_number"),
    ("must not be before", "problem-too_early"),
    ("must be at most", "problem-too_long"),
    ("must be at least", "problem-too_short"),
    ("is not an incident you can see", "problem-unknown_incident"),
    (
        "must be a submitted or verified incident",
        "problem-incident_not_submitted",
    ),
    ("was used before", "problem-form_saved_already"),
    ("is only for", "problem-exact_time_only"),
    ("is too large", "problem-file_too_large"),
    ("The username", "problem-username_taken"),
    ("The mission", "problem-mission_exists"),
];

/// Any other refused value.
const OTHER_PROBLEM: &str = "problem-other";

pub fn message(lang: Lang, english: &str) -> String {
    // The pages' own messages are written in English first, like the service's.
    if english == Lang::ENGLISH.texts().changed_meanwhile {
        return lang.texts().changed_meanwhile.to_string();
    }
    let key = PROBLEMS
        .iter()
        .find(|(start, _)| english.starts_with(start))
        .map_or(OTHER_PROBLEM, |(_, key)| key);
    lang.format(key, &[("said", english)])
}

/// How the service's messages begin, with the catalogue key of each, and the key for any other:
/// for the catalogues' tests.
#[cfg(test)]
pub fn problems() -> (&'static [(&'static str, &'static str)], &'static str) {
    (PROBLEMS, OTHER_PROBLEM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_stay_in_order_and_nul_is_dropped() {
        let read = pairs(b"weapons=rifle&weapons=rpg&summary=a%00b");
        assert_eq!(read.len(), 3);
        assert_eq!(value(&read, "weapons"), "rifle");
        assert_eq!(value(&read, "summary"), "ab");
        assert_eq!(value(&read, "absent"), "");
    }

    #[test]
    fn messages_are_translated_for_french_readers() {
        let french = Lang::from_code("fr").expect("French is built in");
        assert_eq!(message(french, "is required"), "est obligatoire");
        assert_eq!(message(Lang::ENGLISH, "is required"), "is required");
        assert_eq!(
            message(Lang::ENGLISH, "must be at most 200 characters"),
            "must be at most 200 characters"
        );
        assert_eq!(message(french, "something new"), "valeur refusée");
        assert_eq!(
            message(french, "is required with longitude"),
            "va avec l’autre coordonnée : donnez les deux ou aucune"
        );
        assert_eq!(
            message(Lang::ENGLISH, "was used before"),
            "this form was saved already; the incident is in the list"
        );
    }
}
