//! The rules of an incident: what a valid one is, how uncertain times are stored, and which
//! moves its lifecycle allows.

use chrono::{Datelike, DurationRound, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};

use super::access::Clearance;
use super::country;
use super::validation::{FieldError, Violations, text_length};

pub const ATTACK_TYPES: &[&str] = &[
    "direct_fire",
    "indirect_fire",
    "ied",
    "landmine",
    "suicide_attack",
    "complex_attack",
    "ambush",
    "grenade",
    "abduction",
    "mob_violence",
    "arson_looting",
    "air_or_drone",
    "other",
];
pub const WEAPONS: &[&str] = &[
    "small_arms",
    "rpg",
    "mortar",
    "rocket",
    "ied",
    "vbied",
    "landmine",
    "grenade",
    "blade",
    "drone",
    "other",
];
pub const TIME_PRECISIONS: &[&str] = &["exact", "day", "week", "month"];
pub const GEO_PRECISIONS: &[&str] = &["exact", "near", "region", "unknown"];
pub const LOCATION_TYPES: &[&str] = &[
    "base",
    "patrol",
    "convoy",
    "checkpoint",
    "airfield",
    "other",
];
pub const ACTOR_TYPES: &[&str] = &[
    "state_forces",
    "armed_group",
    "militia",
    "criminal",
    "crowd",
    "unknown",
];
pub const ATTRIBUTIONS: &[&str] = &["confirmed", "likely", "possible", "unknown"];
pub const PERSONNEL_TYPES: &[&str] = &[
    "military",
    "police",
    "military_observer",
    "international_civilian",
    "national_staff",
    "other",
];
pub const GENDERS: &[&str] = &["female", "male", "unknown"];
pub const OUTCOMES: &[&str] = &["killed", "injured", "abducted", "missing"];
pub const SOURCE_TYPES: &[&str] = &[
    "incident_report",
    "witness",
    "medical",
    "police",
    "media",
    "official_dataset",
    "other",
];
pub const RELIABILITIES: &[&str] = &["A", "B", "C", "D", "E", "F"];

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

/// RFC 3339 in UTC, as the API writes times.
pub fn format_time(time: NaiveDateTime) -> String {
    time.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The year the first peacekeeping mission (UNTSO) began: no incident of the registry is
/// older. It also keeps out years PostgreSQL cannot store (before year 1).
pub const EARLIEST_YEAR: i32 = 1948;

/// Parses an RFC 3339 time, kept at the microsecond precision both databases store.
fn parse_time(text: &str) -> Result<NaiveDateTime, String> {
    let time = chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| {
            let time = t.naive_utc();
            time.duration_trunc(TimeDelta::microseconds(1))
                .unwrap_or(time)
        })
        .map_err(|_| "must be an RFC 3339 date-time, e.g. 2026-03-14T06:30:00Z".to_string())?;
    if time.year() < EARLIEST_YEAR {
        return Err(format!("must not be before {EARLIEST_YEAR}"));
    }
    Ok(time)
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

/// The period an uncertain time is known to: its day, ISO week (Monday to Monday) or month.
fn period(time: NaiveDateTime, precision: &str) -> (NaiveDateTime, NaiveDateTime) {
    let day = time.date();
    let (first, next) = match precision {
        "day" => (day, day + TimeDelta::days(1)),
        "week" => {
            let monday = day - TimeDelta::days(day.weekday().num_days_from_monday().into());
            (monday, monday + TimeDelta::days(7))
        }
        "month" => {
            let first = day.with_day(1).unwrap_or(day);
            let next = if first.month() == 12 {
                NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
            }
            .unwrap_or(first);
            (first, next)
        }
        _ => return (time, time),
    };
    (
        first.and_time(NaiveTime::MIN),
        next.and_time(NaiveTime::MIN),
    )
}

/// Where ACLED puts an uncertain date: the middle of the period it is known to.
pub fn period_midpoint(time: NaiveDateTime, precision: &str) -> NaiveDateTime {
    let (start, end) = period(time, precision);
    start + (end - start) / 2
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

/// Where an incident is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    Verified,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::Submitted,
        Status::Verified,
        Status::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Verified => "verified",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What can be done to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Edit,
    Submit,
    Verify,
    Withdraw,
}

/// The status after `action`, or why it is not allowed. An edit of a verified incident is an
/// amendment: it needs a reason and sends the incident back to be verified again, by someone
/// who did not write the amendment (see `verification`).
pub fn next_status(current: Status, action: Move, has_reason: bool) -> Result<Status, String> {
    use Status::*;
    match (current, action) {
        (Withdrawn, _) => Err("the incident is withdrawn; it can no longer change".to_string()),
        (Draft | Submitted, Move::Edit) => Ok(current),
        (Verified, Move::Edit) if has_reason => Ok(Submitted),
        (Verified, Move::Edit) => Err(
            "a verified incident is changed by an amendment, which needs a `reason`".to_string(),
        ),
        (Draft, Move::Submit) => Ok(Submitted),
        (_, Move::Submit) => Err(format!(
            "only a draft can be submitted; this one is {}",
            current.code()
        )),
        (Submitted, Move::Verify) => Ok(Verified),
        (_, Move::Verify) => Err(format!(
            "only a submitted incident can be verified; this one is {}",
            current.code()
        )),
        (_, Move::Withdraw) => Ok(Withdrawn),
    }
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
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        parse_time("2026-11-28T10:00:00Z").unwrap()
    }

    fn minimal() -> IncidentInput {
        IncidentInput {
            mission: Some("MINUSCA".into()),
            occurred_at: Some("2026-11-27T06:30:00Z".into()),
            attack_type: Some("ambush".into()),
            summary: Some("Patrol ambushed near Bambari".into()),
            ..Default::default()
        }
    }

    fn fields(input: &IncidentInput) -> Vec<String> {
        validate(input, now())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_minimal_incident_gets_defaults() {
        let valid = validate(&minimal(), now()).unwrap();
        assert_eq!(valid.time_precision, "exact");
        assert_eq!(valid.geo_precision, "unknown");
        assert_eq!(valid.location_type, "other");
        assert_eq!(valid.classification, Clearance::Unclassified);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut input = minimal();
        input.attack_type = Some("drive_by".into());
        input.latitude = Some(95.0);
        input.longitude = Some(200.0);
        input.summary = Some(String::new());
        input.victims = vec![VictimInput {
            personnel_type: Some("military".into()),
            outcome: Some("killed".into()),
            nationality: Some("XXX".into()),
            ..Default::default()
        }];
        input.sources = vec![SourceInput {
            source_type: Some("witness".into()),
            description: Some("A villager".into()),
            reliability: Some("G".into()),
            credibility: Some(7),
            ..Default::default()
        }];
        assert_eq!(
            fields(&input),
            vec![
                "latitude",
                "longitude",
                "attack_type",
                "victims[0].nationality",
                "sources[0].credibility",
                "sources[0].reliability",
                "summary"
            ]
        );
    }

    #[test]
    fn coordinates_come_in_pairs() {
        let mut input = minimal();
        input.latitude = Some(4.5);
        assert_eq!(fields(&input), vec!["longitude"]);
        input.latitude = None;
        input.longitude = Some(20.1);
        assert_eq!(fields(&input), vec!["latitude"]);
    }

    #[test]
    fn times_are_checked() {
        let mut input = minimal();
        input.occurred_at = Some("2026-11-28T10:06:00Z".into());
        assert_eq!(fields(&input), vec!["occurred_at"]);
        input.occurred_at = Some("2026-11-28T10:04:00Z".into());
        assert!(
            validate(&input, now()).is_ok(),
            "five minutes of clock drift are allowed"
        );
        input.occurred_at = Some("yesterday".into());
        assert_eq!(fields(&input), vec!["occurred_at"]);
        let mut input = minimal();
        input.occurred_until = Some("2026-11-27T06:00:00Z".into());
        assert_eq!(fields(&input), vec!["occurred_until"]);
        input.occurred_until = Some("2026-11-27T08:00:00Z".into());
        input.time_precision = Some("day".into());
        assert_eq!(fields(&input), vec!["occurred_until"]);
    }

    #[test]
    fn uncertain_dates_are_stored_at_the_middle_of_their_period() {
        let at = parse_time("2026-02-10T06:30:00Z").unwrap();
        assert_eq!(
            format_time(period_midpoint(at, "exact")),
            "2026-02-10T06:30:00Z"
        );
        assert_eq!(
            format_time(period_midpoint(at, "day")),
            "2026-02-10T12:00:00Z"
        );
        // 10 February 2026 is a Tuesday: its ISO week runs 9 to 15 February.
        assert_eq!(
            format_time(period_midpoint(at, "week")),
            "2026-02-12T12:00:00Z"
        );
        assert_eq!(
            format_time(period_midpoint(at, "month")),
            "2026-02-15T00:00:00Z"
        );
        let july = parse_time("2026-07-30T00:00:00Z").unwrap();
        assert_eq!(
            format_time(period_midpoint(july, "month")),
            "2026-07-16T12:00:00Z"
        );
        let december = parse_time("2026-12-02T00:00:00Z").unwrap();
        assert_eq!(
            format_time(period_midpoint(december, "month")),
            "2026-12-16T12:00:00Z"
        );
    }

    #[test]
    fn an_uncertain_date_of_the_current_period_is_accepted_and_stable() {
        // Now is 28 November 2026: "this month" has its middle on 16 November, "this week" on
        // Thursday 26; both have begun, so both are accepted, and validating the stored value
        // again gives it back unchanged.
        for precision in ["day", "week", "month"] {
            let mut input = minimal();
            input.occurred_at = Some("2026-11-28T09:00:00Z".into());
            input.time_precision = Some(precision.into());
            let stored = validate(&input, now()).unwrap().occurred_at;
            input.occurred_at = Some(format_time(stored));
            assert_eq!(
                validate(&input, now()).unwrap().occurred_at,
                stored,
                "{precision}"
            );
        }
        let mut input = minimal();
        input.occurred_at = Some("2026-12-01T00:00:00Z".into());
        input.time_precision = Some("month".into());
        assert_eq!(
            fields(&input),
            vec!["occurred_at"],
            "next month has not begun"
        );
    }

    #[test]
    fn times_before_the_first_mission_are_refused() {
        // The last is still 1947 once in UTC.
        for given in [
            "0000-03-14T06:30:00Z",
            "1947-12-31T23:59:59Z",
            "1948-01-01T00:30:00+01:00",
        ] {
            let mut input = minimal();
            input.occurred_at = Some(given.into());
            assert_eq!(fields(&input), vec!["occurred_at"], "{given}");
        }
        let mut input = minimal();
        input.occurred_at = Some("1948-01-01T00:00:00Z".into());
        assert!(validate(&input, now()).is_ok());
        input.sources = vec![SourceInput {
            source_type: Some("witness".into()),
            description: Some("A villager".into()),
            received_at: Some("0001-01-01T00:00:00Z".into()),
            reliability: Some("B".into()),
            credibility: Some(2),
        }];
        assert_eq!(fields(&input), vec!["sources[0].received_at"]);
    }

    #[test]
    fn times_keep_microseconds() {
        let mut input = minimal();
        input.occurred_at = Some("2026-11-27T06:30:00.123456789Z".into());
        let stored = validate(&input, now()).unwrap().occurred_at;
        assert_eq!(format_time(stored), "2026-11-27T06:30:00.123456Z");
    }

    #[test]
    fn list_limits() {
        let mut input = minimal();
        input.victims = vec![
            VictimInput {
                personnel_type: Some("police".into()),
                outcome: Some("injured".into()),
                ..Default::default()
            };
            MAX_VICTIMS + 1
        ];
        assert_eq!(fields(&input), vec!["victims"]);
        let mut input = minimal();
        input.perpetrators = vec![PerpetratorInput::default(); MAX_PERPETRATORS + 1];
        assert_eq!(fields(&input), vec!["perpetrators"]);
    }

    #[test]
    fn casualty_ids_are_unique_within_an_incident() {
        let mut input = minimal();
        let victim = VictimInput {
            personnel_type: Some("military".into()),
            outcome: Some("killed".into()),
            casualty_id: Some("MINUSCA-2026-11-00001".into()),
            ..Default::default()
        };
        let mut spaced = victim.clone();
        spaced.casualty_id = Some(" MINUSCA-2026-11-00001 ".into());
        input.victims = vec![victim.clone(), spaced];
        assert_eq!(fields(&input), vec!["victims[1].casualty_id"]);
        let mut blank = victim.clone();
        blank.casualty_id = Some(String::new());
        input.victims = vec![blank.clone(), blank];
        assert!(validate(&input, now()).is_ok(), "blank ids are no ids");
    }

    #[test]
    fn every_lifecycle_move() {
        use Move::*;
        use Status::*;
        let cases = [
            (Draft, Edit, false, Ok(Draft)),
            (Draft, Submit, false, Ok(Submitted)),
            (Draft, Verify, false, Err(())),
            (Draft, Withdraw, false, Ok(Withdrawn)),
            (Submitted, Edit, false, Ok(Submitted)),
            (Submitted, Submit, false, Err(())),
            (Submitted, Verify, false, Ok(Verified)),
            (Submitted, Withdraw, false, Ok(Withdrawn)),
            (Verified, Edit, false, Err(())),
            (Verified, Edit, true, Ok(Submitted)),
            (Verified, Submit, false, Err(())),
            (Verified, Verify, false, Err(())),
            (Verified, Withdraw, false, Ok(Withdrawn)),
            (Withdrawn, Edit, true, Err(())),
            (Withdrawn, Submit, false, Err(())),
            (Withdrawn, Verify, false, Err(())),
            (Withdrawn, Withdraw, false, Err(())),
        ];
        for (from, action, reason, expected) in cases {
            assert_eq!(
                next_status(from, action, reason).map_err(|_| ()),
                expected,
                "{from:?} {action:?}"
            );
        }
    }

    #[test]
    fn references_and_changes() {
        assert_eq!(reference("MINUSCA", 2026, 7), "MINUSCA-2026-00007");
        let before = serde_json::json!({ "summary": "a", "victims": [] });
        let after = serde_json::json!({ "summary": "b", "victims": [] });
        assert_eq!(
            crate::domain::audit::changes(&before, &after),
            serde_json::json!({ "summary": { "from": "a", "to": "b" } })
        );
        let mut value = serde_json::json!({ "victims": [{ "personnel_type": "police", "outcome": "killed", "name": "X", "unit": "Y" }] });
        redact_personal(&mut value);
        assert_eq!(
            value,
            serde_json::json!({ "victims": [{ "personnel_type": "police", "outcome": "killed" }] })
        );
    }
}
