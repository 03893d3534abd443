//! Accused persons: their status, charges, verdicts with their days, and sentences.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{one_of_list, optional_text, parse_date};
use crate::domain::validation::{FieldError, Violations};

pub const ACCUSED_STATUSES: &[&str] = &[
    "suspected",
    "wanted",
    "in_custody",
    "released",
    "at_large",
    "deceased",
];
pub const VERDICTS: &[&str] = &["pending", "convicted", "acquitted"];
pub const SENTENCE_TYPES: &[&str] = &[
    "imprisonment",
    "life_imprisonment",
    "death_penalty",
    "fine",
    "suspended_sentence",
    "community_service",
    "other",
];

/// A sentence: its type and, for prison and suspended terms, its length in months.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sentence {
    #[serde(rename = "type")]
    pub sentence_type: Option<String>,
    pub months: Option<i32>,
    pub details: Option<String>,
}

/// An accused person as a client writes them (a create, or a stored one with a patch over it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccusedInput {
    pub name: Option<String>,
    pub affiliation: Option<String>,
    pub status: Option<String>,
    pub charges: Option<String>,
    pub verdict: Option<String>,
    /// The day the verdict was delivered (YYYY-MM-DD): required with any verdict but `pending`.
    pub verdict_on: Option<String>,
    pub sentence: Option<Sentence>,
}

/// An accused person, valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accused {
    pub name: String,
    pub affiliation: Option<String>,
    pub status: String,
    pub charges: Option<String>,
    pub verdict: String,
    pub verdict_on: Option<NaiveDate>,
    pub sentence: Option<Sentence>,
}

impl Accused {
    pub fn to_input(&self) -> AccusedInput {
        AccusedInput {
            name: Some(self.name.clone()),
            affiliation: self.affiliation.clone(),
            status: Some(self.status.clone()),
            charges: self.charges.clone(),
            verdict: Some(self.verdict.clone()),
            verdict_on: self.verdict_on.map(|day| day.to_string()),
            sentence: self.sentence.clone(),
        }
    }
}

/// Checks an accused person: a new verdict other than `pending` needs a case that has reached a
/// judgment (`stored_verdict` is the one already recorded, which stays valid) and the day it was
/// delivered, neither before that judgment nor after `today`; a conviction needs a sentence, and
/// only a conviction has one.
pub fn validate_accused(
    input: &AccusedInput,
    judgment_reached_on: Option<NaiveDate>,
    stored_verdict: Option<&str>,
    today: NaiveDate,
) -> Result<Accused, Vec<FieldError>> {
    let mut violations = Violations::new();
    let name = optional_text(&mut violations, "name", &input.name, 200);
    if name.is_none() {
        violations.add("name", "is required (a name or an alias)");
    }
    let affiliation = optional_text(&mut violations, "affiliation", &input.affiliation, 200);
    let status = input.status.as_deref().unwrap_or("suspected").to_string();
    if !ACCUSED_STATUSES.contains(&status.as_str()) {
        violations.add("status", one_of_list(ACCUSED_STATUSES));
    }
    let charges = optional_text(&mut violations, "charges", &input.charges, 4000);
    let verdict = input.verdict.as_deref().unwrap_or("pending").to_string();
    if !VERDICTS.contains(&verdict.as_str()) {
        violations.add("verdict", one_of_list(VERDICTS));
    } else if verdict != "pending"
        && stored_verdict != Some(verdict.as_str())
        && judgment_reached_on.is_none()
    {
        violations.add(
            "verdict",
            format!("can be `{verdict}` only once the case has reached `judgment`"),
        );
    }
    let verdict_on = validate_verdict_on(
        &mut violations,
        input.verdict_on.as_deref(),
        &verdict,
        judgment_reached_on,
        today,
    );
    let sentence = match (&input.sentence, verdict.as_str()) {
        (None, "convicted") => {
            violations.add("sentence", "is required for a conviction");
            None
        }
        (None, _) => None,
        (Some(_), v) if v != "convicted" => {
            violations.add("sentence", "is only given with a `convicted` verdict");
            None
        }
        (Some(sentence), _) => Some(validate_sentence(&mut violations, sentence)),
    };
    violations.into_result()?;
    Ok(Accused {
        name: name.unwrap_or_default(),
        affiliation,
        status,
        charges,
        verdict,
        verdict_on,
        sentence,
    })
}

/// The day of a verdict: given with every verdict but `pending` and only then, on or after the
/// case's judgment and never in the future.
fn validate_verdict_on(
    violations: &mut Violations,
    text: Option<&str>,
    verdict: &str,
    judgment_reached_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let pending = verdict == "pending";
    let day = match (text, pending) {
        (None, true) => return None,
        (Some(_), true) => {
            violations.add(
                "verdict_on",
                "is only given with a verdict other than `pending`",
            );
            return None;
        }
        (None, false) => {
            violations.add("verdict_on", "is required with a verdict (YYYY-MM-DD)");
            return None;
        }
        (Some(text), false) => match parse_date(text) {
            Ok(day) => day,
            Err(message) => {
                violations.add("verdict_on", message);
                return None;
            }
        },
    };
    if day > today {
        violations.add(
            "verdict_on",
            format!("must not be in the future (today is {today})"),
        );
    } else if let Some(judgment) = judgment_reached_on
        && day < judgment
    {
        violations.add(
            "verdict_on",
            format!("must not be before the case's judgment ({judgment})"),
        );
    }
    Some(day)
}

fn validate_sentence(violations: &mut Violations, sentence: &Sentence) -> Sentence {
    let sentence_type = sentence.sentence_type.as_deref().unwrap_or("");
    if !SENTENCE_TYPES.contains(&sentence_type) {
        violations.add("sentence.type", one_of_list(SENTENCE_TYPES));
    }
    let needs_months = matches!(sentence_type, "imprisonment" | "suspended_sentence");
    match sentence.months {
        None if needs_months => violations.add("sentence.months", "is required for this type"),
        Some(months) if !(1..=1200).contains(&months) => {
            violations.add("sentence.months", "must be between 1 and 1200")
        }
        _ => {}
    }
    let details = optional_text(violations, "sentence.details", &sentence.details, 1000);
    Sentence {
        sentence_type: Some(sentence_type.to_string()),
        months: sentence.months,
        details,
    }
}
