//! The rules of an incident: what a valid one is, how uncertain times are stored, and which
//! moves its lifecycle allows.

use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use super::access::Clearance;
use super::country;
use super::validation::{FieldError, Violations, text_length};

mod changes;
mod codes;
mod lifecycle;
mod time;

pub use changes::IncidentChanges;
pub use codes::*;
pub use lifecycle::{Move, Status, next_status};
pub use time::{EARLIEST_YEAR, format_time, period_midpoint};
use time::{parse_time, period};

pub const MAX_VICTIMS: usize = 500;
pub const MAX_PERPETRATORS: usize = 50;
pub const MAX_SOURCES: usize = 50;
const MAX_SHORT_TEXT: usize = 200;
const MAX_NARRATIVE: usize = 20_000;
const MAX_DESCRIPTION: usize = 2_000;
/// Clocks drift; a report a few minutes "in the future" is a clock, not a prophecy.
const FUTURE_TOLERANCE_MINUTES: i64 = 5;

/// An incident as a client writes it. Everything is optional and codes are plain text so that
/// every problem can be found and reported at once, by field path.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentInput {
    pub mission: Option<String>,
    pub classification: Option<String>,
    pub occurred_at: Option<String>,
    pub time_precision: Option<String>,
    pub occurred_until: Option<String>,
    pub place_name: Option<String>,
    pub admin1: Option<String>,
    pub admin2: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub geo_precision: Option<String>,
    pub location_type: Option<String>,
    pub attack_type: Option<String>,
    #[serde(default)]
    pub weapons: Vec<String>,
    #[serde(default)]
    pub perpetrators: Vec<PerpetratorInput>,
    #[serde(default)]
    pub victims: Vec<VictimInput>,
    #[serde(default)]
    pub sources: Vec<SourceInput>,
    pub summary: Option<String>,
    pub narrative: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PerpetratorInput {
    pub actor_name: Option<String>,
    pub actor_type: Option<String>,
    pub attribution: Option<String>,
    pub claimed_responsibility: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VictimInput {
    pub personnel_type: Option<String>,
    pub nationality: Option<String>,
    pub gender: Option<String>,
    pub outcome: Option<String>,
    pub casualty_id: Option<String>,
    pub name: Option<String>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    pub source_type: Option<String>,
    pub description: Option<String>,
    pub received_at: Option<String>,
    pub reliability: Option<String>,
    pub credibility: Option<i32>,
}

/// A valid incident, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentData {
    pub mission: String,
    pub classification: Clearance,
    pub occurred_at: NaiveDateTime,
    pub time_precision: String,
    pub occurred_until: Option<NaiveDateTime>,
    pub place_name: Option<String>,
    pub admin1: Option<String>,
    pub admin2: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub geo_precision: String,
    pub location_type: String,
    pub attack_type: String,
    pub weapons: Vec<String>,
    pub perpetrators: Vec<Perpetrator>,
    pub victims: Vec<Victim>,
    pub sources: Vec<Source>,
    pub summary: String,
    pub narrative: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Perpetrator {
    pub actor_name: Option<String>,
    pub actor_type: String,
    pub attribution: String,
    pub claimed_responsibility: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Victim {
    pub personnel_type: String,
    pub nationality: Option<String>,
    pub gender: String,
    pub outcome: String,
    pub casualty_id: Option<String>,
    pub name: Option<String>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub source_type: String,
    pub description: String,
    pub received_at: Option<NaiveDateTime>,
    pub reliability: String,
    pub credibility: i32,
}

impl IncidentData {
    /// Victims by outcome: killed, injured, abducted, missing.
    pub fn victim_counts(&self) -> [i32; 4] {
        let count =
            |outcome: &str| self.victims.iter().filter(|v| v.outcome == outcome).count() as i32;
        [
            count("killed"),
            count("injured"),
            count("abducted"),
            count("missing"),
        ]
    }

    /// The same incident in the form a client writes it (for merging a partial update).
    pub fn to_input(&self) -> IncidentInput {
        IncidentInput {
            mission: Some(self.mission.clone()),
            classification: Some(self.classification.code().to_string()),
            occurred_at: Some(format_time(self.occurred_at)),
            time_precision: Some(self.time_precision.clone()),
            occurred_until: self.occurred_until.map(format_time),
            place_name: self.place_name.clone(),
            admin1: self.admin1.clone(),
            admin2: self.admin2.clone(),
            latitude: self.latitude,
            longitude: self.longitude,
            geo_precision: Some(self.geo_precision.clone()),
            location_type: Some(self.location_type.clone()),
            attack_type: Some(self.attack_type.clone()),
            weapons: self.weapons.clone(),
            perpetrators: self
                .perpetrators
                .iter()
                .map(|p| PerpetratorInput {
                    actor_name: p.actor_name.clone(),
                    actor_type: Some(p.actor_type.clone()),
                    attribution: Some(p.attribution.clone()),
                    claimed_responsibility: Some(p.claimed_responsibility),
                })
                .collect(),
            victims: self
                .victims
                .iter()
                .map(|v| VictimInput {
                    personnel_type: Some(v.personnel_type.clone()),
                    nationality: v.nationality.clone(),
                    gender: Some(v.gender.clone()),
                    outcome: Some(v.outcome.clone()),
                    casualty_id: v.casualty_id.clone(),
                    name: v.name.clone(),
                    unit: v.unit.clone(),
                })
                .collect(),
            sources: self
                .sources
                .iter()
                .map(|s| SourceInput {
                    source_type: Some(s.source_type.clone()),
                    description: Some(s.description.clone()),
                    received_at: s.received_at.map(format_time),
                    reliability: Some(s.reliability.clone()),
                    credibility: Some(s.credibility),
                })
                .collect(),
            summary: Some(self.summary.clone()),
            narrative: Some(self.narrative.clone()),
        }
    }
}

fn code(
    violations: &mut Violations,
    field: &str,
    value: Option<&str>,
    allowed: &[&str],
    default: Option<&str>,
) -> String {
    match (value, default) {
        (Some(v), _) if allowed.contains(&v) => v.to_string(),
        (Some(_), _) => {
            let listed: Vec<String> = allowed.iter().map(|c| format!("`{c}`")).collect();
            violations.add(field, format!("must be one of {}", listed.join(", ")));
            String::new()
        }
        (None, Some(d)) => d.to_string(),
        (None, None) => {
            violations.add(field, "is required");
            String::new()
        }
    }
}

fn optional_text(
    violations: &mut Violations,
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Option<String> {
    let value = value
        .as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())?;
    violations.check(field, text_length(&value, 1, max));
    Some(value)
}

/// Checks an incident as written and gives it back ready to store, or every problem at once.
pub fn validate(
    input: &IncidentInput,
    now: NaiveDateTime,
) -> Result<IncidentData, Vec<FieldError>> {
    let mut v = Violations::new();

    let mission = match input.mission.as_deref() {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => {
            v.add("mission", "is required");
            String::new()
        }
    };
    let classification = match input.classification.as_deref() {
        None => Clearance::Unclassified,
        Some(c) => Clearance::from_code(c).unwrap_or_else(|| {
            v.add(
                "classification",
                super::access::one_of(Clearance::ALL.map(Clearance::code)),
            );
            Clearance::Unclassified
        }),
    };

    let time_precision = code(
        &mut v,
        "time_precision",
        input.time_precision.as_deref(),
        TIME_PRECISIONS,
        Some("exact"),
    );
    let mut occurred_at = match input.occurred_at.as_deref() {
        None => {
            v.add("occurred_at", "is required");
            None
        }
        // An uncertain date may have its middle ahead of now ("this month"); its period must
        // have begun.
        Some(text) => match parse_time(text) {
            Ok(time)
                if period(time, &time_precision).0
                    > now + TimeDelta::minutes(FUTURE_TOLERANCE_MINUTES) =>
            {
                v.add("occurred_at", "must not be in the future");
                None
            }
            Ok(time) => Some(time),
            Err(e) => {
                v.add("occurred_at", e);
                None
            }
        },
    };
    let occurred_until = match input.occurred_until.as_deref() {
        None => None,
        Some(text) => match parse_time(text) {
            Err(e) => {
                v.add("occurred_until", e);
                None
            }
            Ok(until) => {
                if time_precision != "exact" {
                    v.add(
                        "occurred_until",
                        "is only for events timed exactly (`time_precision` `exact`)",
                    );
                }
                if occurred_at.is_some_and(|at| until < at) {
                    v.add("occurred_until", "must not be before `occurred_at`");
                }
                if until > now + TimeDelta::minutes(FUTURE_TOLERANCE_MINUTES) {
                    v.add("occurred_until", "must not be in the future");
                }
                Some(until)
            }
        },
    };
    if let Some(at) = occurred_at {
        occurred_at = Some(period_midpoint(at, &time_precision));
    }

    let place_name = optional_text(&mut v, "place_name", &input.place_name, MAX_SHORT_TEXT);
    let admin1 = optional_text(&mut v, "admin1", &input.admin1, MAX_SHORT_TEXT);
    let admin2 = optional_text(&mut v, "admin2", &input.admin2, MAX_SHORT_TEXT);
    match (input.latitude, input.longitude) {
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) {
                v.add("latitude", "must be between -90 and 90");
            }
            if !(-180.0..=180.0).contains(&lon) {
                v.add("longitude", "must be between -180 and 180");
            }
        }
        (Some(_), None) => v.add(
            "longitude",
            "is required with `latitude` (give both or neither)",
        ),
        (None, Some(_)) => v.add(
            "latitude",
            "is required with `longitude` (give both or neither)",
        ),
        (None, None) => {}
    }
    let default_geo = if input.latitude.is_some() {
        "exact"
    } else {
        "unknown"
    };
    let geo_precision = code(
        &mut v,
        "geo_precision",
        input.geo_precision.as_deref(),
        GEO_PRECISIONS,
        Some(default_geo),
    );
    let location_type = code(
        &mut v,
        "location_type",
        input.location_type.as_deref(),
        LOCATION_TYPES,
        Some("other"),
    );
    let attack_type = code(
        &mut v,
        "attack_type",
        input.attack_type.as_deref(),
        ATTACK_TYPES,
        None,
    );

    let mut weapons = Vec::new();
    for (i, weapon) in input.weapons.iter().enumerate() {
        let field = format!("weapons[{i}]");
        let w = code(&mut v, &field, Some(weapon), WEAPONS, None);
        if weapons.contains(&w) {
            v.add(field, "is listed twice");
        } else {
            weapons.push(w);
        }
    }

    if input.perpetrators.len() > MAX_PERPETRATORS {
        v.add(
            "perpetrators",
            format!("must hold at most {MAX_PERPETRATORS} entries"),
        );
    }
    let perpetrators = input
        .perpetrators
        .iter()
        .take(MAX_PERPETRATORS)
        .enumerate()
        .map(|(i, p)| Perpetrator {
            actor_name: optional_text(
                &mut v,
                &format!("perpetrators[{i}].actor_name"),
                &p.actor_name,
                MAX_SHORT_TEXT,
            ),
            actor_type: code(
                &mut v,
                &format!("perpetrators[{i}].actor_type"),
                p.actor_type.as_deref(),
                ACTOR_TYPES,
                Some("unknown"),
            ),
            attribution: code(
                &mut v,
                &format!("perpetrators[{i}].attribution"),
                p.attribution.as_deref(),
                ATTRIBUTIONS,
                Some("unknown"),
            ),
            claimed_responsibility: p.claimed_responsibility.unwrap_or(false),
        })
        .collect();

    if input.victims.len() > MAX_VICTIMS {
        v.add(
            "victims",
            format!("must hold at most {MAX_VICTIMS} entries"),
        );
    }
    let mut casualty_ids: Vec<String> = Vec::new();
    let victims = input
        .victims
        .iter()
        .take(MAX_VICTIMS)
        .enumerate()
        .map(|(i, victim)| {
            let at = |name: &str| format!("victims[{i}].{name}");
            let nationality = victim.nationality.as_deref().filter(|n| !n.is_empty());
            if let Some(n) = nationality {
                v.check(&at("nationality"), country::check_iso3(n));
            }
            let casualty_id = optional_text(&mut v, &at("casualty_id"), &victim.casualty_id, 64);
            if let Some(id) = &casualty_id {
                if casualty_ids.contains(id) {
                    v.add(
                        at("casualty_id"),
                        "is given to another victim of this incident",
                    );
                }
                casualty_ids.push(id.clone());
            }
            Victim {
                personnel_type: code(
                    &mut v,
                    &at("personnel_type"),
                    victim.personnel_type.as_deref(),
                    PERSONNEL_TYPES,
                    None,
                ),
                nationality: nationality.map(str::to_string),
                gender: code(
                    &mut v,
                    &at("gender"),
                    victim.gender.as_deref(),
                    GENDERS,
                    Some("unknown"),
                ),
                outcome: code(
                    &mut v,
                    &at("outcome"),
                    victim.outcome.as_deref(),
                    OUTCOMES,
                    None,
                ),
                casualty_id,
                name: optional_text(&mut v, &at("name"), &victim.name, MAX_SHORT_TEXT),
                unit: optional_text(&mut v, &at("unit"), &victim.unit, MAX_SHORT_TEXT),
            }
        })
        .collect();

    if input.sources.len() > MAX_SOURCES {
        v.add(
            "sources",
            format!("must hold at most {MAX_SOURCES} entries"),
        );
    }
    let sources = input
        .sources
        .iter()
        .take(MAX_SOURCES)
        .enumerate()
        .map(|(i, s)| {
            let at = |name: &str| format!("sources[{i}].{name}");
            let received_at = s
                .received_at
                .as_deref()
                .and_then(|text| match parse_time(text) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        v.add(at("received_at"), e);
                        None
                    }
                });
            let credibility = match s.credibility {
                Some(c) if (1..=6).contains(&c) => c,
                Some(_) => {
                    v.add(
                        at("credibility"),
                        "must be an Admiralty credibility grade from 1 to 6",
                    );
                    0
                }
                None => {
                    v.add(at("credibility"), "is required (1 to 6)");
                    0
                }
            };
            let description = s.description.clone().unwrap_or_default();
            v.check(
                &at("description"),
                text_length(description.trim(), 1, MAX_DESCRIPTION),
            );
            Source {
                source_type: code(
                    &mut v,
                    &at("source_type"),
                    s.source_type.as_deref(),
                    SOURCE_TYPES,
                    None,
                ),
                description: description.trim().to_string(),
                received_at,
                reliability: code(
                    &mut v,
                    &at("reliability"),
                    s.reliability.as_deref(),
                    RELIABILITIES,
                    None,
                ),
                credibility,
            }
        })
        .collect();

    let summary = input.summary.clone().unwrap_or_default().trim().to_string();
    v.check("summary", text_length(&summary, 1, MAX_SHORT_TEXT));
    let narrative = input.narrative.clone().unwrap_or_default();
    v.check("narrative", text_length(&narrative, 0, MAX_NARRATIVE));

    v.into_result()?;
    Ok(IncidentData {
        mission,
        classification,
        occurred_at: occurred_at.unwrap_or(now),
        time_precision,
        occurred_until,
        place_name,
        admin1,
        admin2,
        latitude: input.latitude,
        longitude: input.longitude,
        geo_precision,
        location_type,
        attack_type,
        weapons,
        perpetrators,
        victims,
        sources,
        summary,
        narrative,
    })
}

/// `MISSION-YYYY-NNNNN`.
pub fn reference(mission: &str, year: i32, number: i32) -> String {
    format!("{mission}-{year:04}-{number:05}")
}

/// Removes victims' names and units from a JSON form of an incident (or of changes to one).
pub fn redact_personal(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if map.contains_key("personnel_type") && map.contains_key("outcome") {
                map.remove("name");
                map.remove("unit");
            }
            map.values_mut().for_each(redact_personal);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_personal),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
