//! The incident form: a new incident, a change to a draft or a submitted one, an amendment of
//! a verified one (with its reason). Victims, perpetrators and sources repeat: "add" posts the
//! form back and it returns with more empty rows, nothing saved, so it works without script.
//! A change made on a version someone else has since changed is not saved: the page shows
//! what changed meanwhile and keeps the officer's values, ready to be saved again.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde_json::{Map, Number, Value};

use crate::AppState;
use crate::auth::Actor;
use crate::domain::access::Clearance;
use crate::domain::incident::{
    ACTOR_TYPES, ATTACK_TYPES, ATTRIBUTIONS, GENDERS, GEO_PRECISIONS, IncidentChanges,
    IncidentInput, LOCATION_TYPES, OUTCOMES, PERSONNEL_TYPES, RELIABILITIES, SOURCE_TYPES, Status,
    TIME_PRECISIONS, WEAPONS, validate,
};
use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::services::incidents::{self as service, CreateRequest};

use super::form::{self, Field, Kind, Problem};
use super::i18n::Lang;
use super::labels::label;
use super::{Choice, PageFrame, csrf_of, failure_page, page_frame, redirect};

mod handlers;
mod page;

pub use handlers::*;
pub use page::*;

/// A field of the form and how it is drawn; codes for the lists.
type Spec = (&'static str, Kind, &'static [&'static str]);

const NO_CODES: &[&str] = &[];

const TOP: &[Spec] = &[
    ("mission", Kind::Select, NO_CODES),
    ("classification", Kind::Select, NO_CODES),
    ("occurred_at", Kind::DateTime, NO_CODES),
    ("time_precision", Kind::Select, TIME_PRECISIONS),
    ("attack_type", Kind::Select, ATTACK_TYPES),
    ("location_type", Kind::Select, LOCATION_TYPES),
    ("place_name", Kind::Text, NO_CODES),
    ("admin1", Kind::Text, NO_CODES),
    ("admin2", Kind::Text, NO_CODES),
    ("latitude", Kind::Number, NO_CODES),
    ("longitude", Kind::Number, NO_CODES),
    ("geo_precision", Kind::Select, GEO_PRECISIONS),
    ("summary", Kind::Text, NO_CODES),
    ("narrative", Kind::LongText, NO_CODES),
];

/// Victims' fields shown only to readers cleared for personal data.
const PERSONAL: &[&str] = &["name", "unit"];

const REQUIRED: &[&str] = &[
    "mission",
    "occurred_at",
    "attack_type",
    "location_type",
    "summary",
    "outcome",
    "personnel_type",
    "actor_type",
    "source_type",
    "description",
];

/// The repeating parts: (name, fields of one row).
const GROUPS: [(&str, &[Spec]); 3] = [
    (
        "victims",
        &[
            ("outcome", Kind::Select, OUTCOMES),
            ("personnel_type", Kind::Select, PERSONNEL_TYPES),
            ("nationality", Kind::Country, NO_CODES),
            ("gender", Kind::Select, GENDERS),
            ("name", Kind::Text, NO_CODES),
            ("unit", Kind::Text, NO_CODES),
        ],
    ),
    (
        "perpetrators",
        &[
            ("actor_name", Kind::Text, NO_CODES),
            ("actor_type", Kind::Select, ACTOR_TYPES),
            ("attribution", Kind::Select, ATTRIBUTIONS),
            ("claimed_responsibility", Kind::Checkbox, NO_CODES),
        ],
    ),
    (
        "sources",
        &[
            ("source_type", Kind::Select, SOURCE_TYPES),
            ("description", Kind::Text, NO_CODES),
            ("reliability", Kind::Select, RELIABILITIES),
            ("credibility", Kind::Number, NO_CODES),
        ],
    ),
];

/// Each stored row carries its place in the stored list (`origin`), so what the form does
/// not show (casualty ids, receipt times, and names for readers not cleared to see them) is
/// carried over to the same victim or source when the officer saves.
const ORIGIN: &str = "origin";

/// The form's values as text, as the officer typed them.
#[derive(Debug, Clone, Default, PartialEq)]
struct IncidentForm {
    top: BTreeMap<String, String>,
    weapons: Vec<String>,
    /// Victims, perpetrators, sources: the rows with something in them, in order.
    groups: [Vec<BTreeMap<String, String>>; 3],
}

impl IncidentForm {
    fn posted(pairs: &[(String, String)]) -> IncidentForm {
        let mut form = IncidentForm::default();
        let mut rows: [BTreeMap<usize, BTreeMap<String, String>>; 3] = Default::default();
        for (name, value) in pairs {
            let value = value.trim().to_string();
            if name == "weapons" {
                form.weapons.push(value);
            } else if TOP.iter().any(|(field, _, _)| field == name) {
                form.top.insert(name.clone(), value);
            } else if let Some((group, index, field)) = row_field(name) {
                rows[group]
                    .entry(index)
                    .or_default()
                    .insert(field.to_string(), value);
            }
        }
        for (group, found) in rows.into_iter().enumerate() {
            form.groups[group] = found
                .into_values()
                .filter(|row| row.iter().any(|(k, v)| k != ORIGIN && !v.is_empty()))
                .collect();
        }
        form
    }

    /// The form of a stored incident; names and units only for a reader who may see them.
    fn stored(input: &IncidentInput, personal: bool) -> IncidentForm {
        let mut form = IncidentForm::default();
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let number = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
        for (name, value) in [
            ("mission", text(&input.mission)),
            ("classification", text(&input.classification)),
            ("occurred_at", local_time(input.occurred_at.as_deref())),
            ("time_precision", text(&input.time_precision)),
            ("attack_type", text(&input.attack_type)),
            ("location_type", text(&input.location_type)),
            ("place_name", text(&input.place_name)),
            ("admin1", text(&input.admin1)),
            ("admin2", text(&input.admin2)),
            ("latitude", number(input.latitude)),
            ("longitude", number(input.longitude)),
            ("geo_precision", text(&input.geo_precision)),
            ("summary", text(&input.summary)),
            ("narrative", text(&input.narrative)),
        ] {
            form.top.insert(name.to_string(), value);
        }
        form.weapons = input.weapons.clone();
        let row = |pairs: Vec<(&str, String)>| -> BTreeMap<String, String> {
            pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
        };
        form.groups[0] = input
            .victims
            .iter()
            .map(|v| {
                row(vec![
                    ("outcome", text(&v.outcome)),
                    ("personnel_type", text(&v.personnel_type)),
                    ("nationality", text(&v.nationality)),
                    ("gender", text(&v.gender)),
                    ("name", text(&v.name)),
                    ("unit", text(&v.unit)),
                ])
            })
            .collect();
        form.groups[1] = input
            .perpetrators
            .iter()
            .map(|p| {
                let claimed = if p.claimed_responsibility == Some(true) {
                    "true"
                } else {
                    ""
                };
                row(vec![
                    ("actor_name", text(&p.actor_name)),
                    ("actor_type", text(&p.actor_type)),
                    ("attribution", text(&p.attribution)),
                    ("claimed_responsibility", claimed.to_string()),
                ])
            })
            .collect();
        form.groups[2] = input
            .sources
            .iter()
            .map(|s| {
                row(vec![
                    ("source_type", text(&s.source_type)),
                    ("description", text(&s.description)),
                    ("reliability", text(&s.reliability)),
                    (
                        "credibility",
                        s.credibility.map(|c| c.to_string()).unwrap_or_default(),
                    ),
                ])
            })
            .collect();
        for group in &mut form.groups {
            for (origin, row) in group.iter_mut().enumerate() {
                row.insert(ORIGIN.to_string(), origin.to_string());
                if !personal {
                    row.remove("name");
                    row.remove("unit");
                }
            }
        }
        form
    }

    /// What the form does not show goes back into the input, row by row, from the stored
    /// incident: casualty ids and receipt times always, names and units when the reader may
    /// not see them.
    fn carry_over(&self, input: &mut IncidentInput, stored: &IncidentInput, personal: bool) {
        let origin = |row: &BTreeMap<String, String>| row.get(ORIGIN)?.parse::<usize>().ok();
        let keep = |field: &mut Option<String>, stored: &Option<String>| {
            if stored.is_some() {
                field.clone_from(stored);
            }
        };
        for (row, victim) in self.groups[0].iter().zip(input.victims.iter_mut()) {
            if let Some(was) = origin(row).and_then(|i| stored.victims.get(i)) {
                keep(&mut victim.casualty_id, &was.casualty_id);
                if !personal {
                    keep(&mut victim.name, &was.name);
                    keep(&mut victim.unit, &was.unit);
                }
            }
        }
        for (row, source) in self.groups[2].iter().zip(input.sources.iter_mut()) {
            if let Some(was) = origin(row).and_then(|i| stored.sources.get(i)) {
                keep(&mut source.received_at, &was.received_at);
            }
        }
    }

    /// What the officer typed, as the service takes it. Text that cannot be a number or a
    /// time is refused here, by field.
    fn input(&self) -> (IncidentInput, Vec<FieldError>) {
        let (body, mut errors) = self.body();
        // The form's fields are read through the table above into the input's own shape.
        let input = serde_json::from_value(Value::Object(body)).unwrap_or_else(|error| {
            errors.push(FieldError::new("body", error.to_string()));
            IncidentInput::default()
        });
        (input, errors)
    }

    /// The fields typed, converted by kind; an empty one is left out.
    fn body(&self) -> (Map<String, Value>, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut body = Map::new();
        for (name, kind, _) in TOP {
            let text = self.top.get(*name).map_or("", String::as_str);
            if let Some(value) = convert(name, *kind, text, &mut errors) {
                body.insert(name.to_string(), value);
            }
        }
        body.insert(
            "weapons".to_string(),
            Value::Array(
                self.weapons
                    .iter()
                    .filter(|w| !w.is_empty())
                    .map(|w| Value::String(w.clone()))
                    .collect(),
            ),
        );
        for (group, (key, specs)) in GROUPS.iter().enumerate() {
            let mut rows = Vec::new();
            for (index, row) in self.groups[group].iter().enumerate() {
                let mut object = Map::new();
                for (name, value) in row.iter().filter(|(name, _)| *name != ORIGIN) {
                    let kind = specs
                        .iter()
                        .find(|(field, _, _)| field == name)
                        .map_or(Kind::Text, |(_, kind, _)| *kind);
                    let path = format!("{key}[{index}].{name}");
                    if kind == Kind::Checkbox {
                        object.insert(name.clone(), Value::Bool(value == "true"));
                    } else if let Some(value) = convert(&path, kind, value, &mut errors) {
                        object.insert(name.clone(), value);
                    }
                }
                if specs.iter().any(|(_, kind, _)| *kind == Kind::Checkbox) {
                    for (name, _, _) in specs.iter().filter(|(_, k, _)| *k == Kind::Checkbox) {
                        object.entry(name.to_string()).or_insert(Value::Bool(false));
                    }
                }
                rows.push(Value::Object(object));
            }
            body.insert(key.to_string(), Value::Array(rows));
        }
        (body, errors)
    }
}

/// Text the form could not read is named, and so is everything else wrong with the rest:
/// the officer corrects all at once.
fn with_rule_errors(
    input: &IncidentInput,
    mut unreadable: Vec<FieldError>,
    now: NaiveDateTime,
) -> Vec<FieldError> {
    if let Err(found) = validate(input, now) {
        for error in found {
            if !unreadable.iter().any(|e| e.field == error.field) {
                unreadable.push(error);
            }
        }
    }
    unreadable
}

/// `victims[2].outcome` → (0, 2, "outcome").
fn row_field(name: &str) -> Option<(usize, usize, &str)> {
    let (key, rest) = name.split_once('[')?;
    let (index, field) = rest.split_once("].")?;
    let group = GROUPS.iter().position(|(k, _)| *k == key)?;
    let index: usize = index.parse().ok()?;
    // More rows than the service takes are refused by it; this only bounds the reading.
    (index < 1000).then_some((group, index, field))
}

/// An RFC 3339 time as the `datetime-local` field shows it, in UTC.
fn local_time(text: Option<&str>) -> String {
    text.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.naive_utc().format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

fn convert(path: &str, kind: Kind, text: &str, errors: &mut Vec<FieldError>) -> Option<Value> {
    if text.is_empty() {
        return None;
    }
    match kind {
        Kind::Number => {
            let parsed = text
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64);
            match parsed {
                // Whole numbers (credibility) go as integers.
                Some(n)
                    if n.as_f64()
                        .is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e9) =>
                {
                    Some(Value::from(n.as_f64().unwrap_or_default() as i64))
                }
                Some(n) => Some(Value::Number(n)),
                None => {
                    errors.push(FieldError::new(path, "must be a number"));
                    None
                }
            }
        }
        Kind::DateTime => {
            let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"));
            match parsed {
                Ok(time) => Some(Value::String(time.format("%Y-%m-%dT%H:%M:%SZ").to_string())),
                Err(_) => {
                    errors.push(FieldError::new(path, "must be a date"));
                    None
                }
            }
        }
        _ => Some(Value::String(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(text: &str) -> IncidentForm {
        IncidentForm::posted(&form::pairs(text.as_bytes()))
    }

    #[test]
    fn rows_left_empty_are_dropped_and_the_rest_keep_their_order() {
        let form = posted(
            "victims%5B0%5D.outcome=&victims%5B0%5D.name=&victims%5B1%5D.outcome=killed\
             &victims%5B2%5D.outcome=injured&summary=Ambush",
        );
        assert_eq!(form.groups[0].len(), 2);
        assert_eq!(form.groups[0][0]["outcome"], "killed");
        assert_eq!(form.groups[0][1]["outcome"], "injured");
        let (input, unreadable) = form.input();
        assert!(unreadable.is_empty());
        assert_eq!(input.victims[1].outcome.as_deref(), Some("injured"));
        assert_eq!(input.summary.as_deref(), Some("Ambush"));
        assert_eq!(input.narrative, None);
    }

    #[test]
    fn times_numbers_and_checkboxes_become_what_the_service_reads() {
        let form = posted(
            "occurred_at=2026-03-14T06%3A30&latitude=12%2C5&perpetrators%5B0%5D.actor_type=militia\
             &sources%5B0%5D.credibility=2",
        );
        let input = form.input().0;
        assert_eq!(input.occurred_at.as_deref(), Some("2026-03-14T06:30:00Z"));
        assert_eq!(input.latitude, Some(12.5));
        assert_eq!(input.perpetrators[0].claimed_responsibility, Some(false));
        assert_eq!(input.sources[0].credibility, Some(2));
        let (_, unreadable) = posted("occurred_at=yesterday&longitude=east").input();
        let fields: Vec<String> = unreadable.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["occurred_at", "longitude"]);
    }

    #[test]
    fn a_stored_incident_fills_the_form_it_came_from() {
        let form = posted(
            "mission=MINUSCA&occurred_at=2026-03-14T06%3A30&summary=S&weapons=rpg\
             &victims%5B0%5D.outcome=killed&victims%5B0%5D.gender=male",
        );
        let (input, unreadable) = form.input();
        assert!(unreadable.is_empty());
        let again = IncidentForm::stored(&input, true);
        assert_eq!(again.top["occurred_at"], "2026-03-14T06:30");
        assert_eq!(again.weapons, vec!["rpg"]);
        assert_eq!(again.groups[0][0]["outcome"], "killed");
        assert!(differences(Lang::ENGLISH, &again, &form).is_empty());
    }
}
