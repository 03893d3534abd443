//! Accountability cases: the road from a report to a judgment. The state machine, the date rules
//! of the timeline, the fields of a case and of an accused person, and what a document may be.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::access::one_of;
use super::country;
use super::validation::{FieldError, Violations, text_length};

mod accused;
mod changes;
mod document;
mod proposal;

pub use accused::*;
pub use changes::{AccusedChanges, CaseChanges};
pub use document::{
    DOCUMENT_KINDS, DocumentFields, DocumentInput, MAX_SHARED_WITH, check_shared_with,
    document_media_type, validate_document,
};
pub use proposal::*;

/// Where a case stands. The ordinary path runs from `Opened` to `Final`, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Opened,
    Referred,
    Investigating,
    SuspectsIdentified,
    WarrantsIssued,
    ArrestsMade,
    Charged,
    InTrial,
    Judgment,
    Appeal,
    Final,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 12] = [
        CaseStatus::Opened,
        CaseStatus::Referred,
        CaseStatus::Investigating,
        CaseStatus::SuspectsIdentified,
        CaseStatus::WarrantsIssued,
        CaseStatus::ArrestsMade,
        CaseStatus::Charged,
        CaseStatus::InTrial,
        CaseStatus::Judgment,
        CaseStatus::Appeal,
        CaseStatus::Final,
        CaseStatus::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CaseStatus::Opened => "opened",
            CaseStatus::Referred => "referred",
            CaseStatus::Investigating => "investigating",
            CaseStatus::SuspectsIdentified => "suspects_identified",
            CaseStatus::WarrantsIssued => "warrants_issued",
            CaseStatus::ArrestsMade => "arrests_made",
            CaseStatus::Charged => "charged",
            CaseStatus::InTrial => "in_trial",
            CaseStatus::Judgment => "judgment",
            CaseStatus::Appeal => "appeal",
            CaseStatus::Final => "final",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn from_code(code: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Open cases are still on their way; `final` and `closed` ones have ended.
    pub fn is_open(self) -> bool {
        !matches!(self, CaseStatus::Final | CaseStatus::Closed)
    }

    /// This status means a first-instance judgment has been delivered.
    pub fn follows_judgment(self) -> bool {
        matches!(
            self,
            CaseStatus::Judgment | CaseStatus::Appeal | CaseStatus::Final
        )
    }
}

/// The day a timeline (its steps, with their dates) first reached a judgment, if it did: verdicts
/// can be recorded from then on, also after a retrial was ordered or the case was closed, and no
/// verdict is dated before it. A step past the judgment counts too, for a timeline that skipped
/// it when it was brought into the registry.
pub fn judgment_reached_on(
    timeline: impl IntoIterator<Item = (CaseStatus, NaiveDate)>,
) -> Option<NaiveDate> {
    timeline
        .into_iter()
        .filter(|(status, _)| status.follows_judgment())
        .map(|(_, day)| day)
        .min()
}

/// The statuses a case may move to from `from`:
/// - forward along the ordinary path, skipping steps if need be, up to `judgment`
///   (an arrest can precede formal identification; a trial in absentia skips arrest);
/// - `appeal` only from `judgment`, and `final` only from `judgment` or `appeal`: both are about
///   a judgment that exists; `appeal` may also return to `in_trial` (a retrial);
/// - any open status to `closed`; `closed` back to `investigating` when new evidence appears;
/// - nothing from `final`.
pub fn allowed_moves(from: CaseStatus) -> Vec<CaseStatus> {
    use CaseStatus::*;
    let mut moves: Vec<CaseStatus> = match from {
        Final => return Vec::new(),
        Closed => return vec![Investigating],
        Appeal => vec![InTrial, Final],
        Judgment => vec![Appeal, Final],
        _ => CaseStatus::ALL
            .into_iter()
            .filter(|to| *to > from && *to <= Judgment)
            .collect(),
    };
    moves.push(Closed);
    moves
}

/// Whether the state machine allows `from` -> `to`; when not, the statuses it allows instead.
pub fn check_move(from: CaseStatus, to: CaseStatus) -> Result<(), Vec<CaseStatus>> {
    let allowed = allowed_moves(from);
    if allowed.contains(&to) {
        Ok(())
    } else {
        Err(allowed)
    }
}

pub const CLOSURE_REASONS: &[&str] = &[
    "no_suspect",
    "suspect_deceased",
    "insufficient_evidence",
    "dismissed",
    "amnesty",
    "transferred",
    "other",
];

/// The dates a case's timeline must respect: a step cannot precede the attack that led to the
/// case, nor the transition before it, nor today. (The opening of a case in the registry is
/// not a transition: a referral made before the registry knew of the case can be recorded.)
pub fn check_effective_on(
    effective_on: NaiveDate,
    earliest_incident: NaiveDate,
    previous: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), String> {
    if effective_on > today {
        return Err(format!("must not be in the future (today is {today})"));
    }
    if effective_on < earliest_incident {
        // No date here: the incident may be classified above the reader's clearance.
        return Err("must not be before the earliest linked incident".to_string());
    }
    if let Some(previous) = previous
        && effective_on < previous
    {
        return Err(format!(
            "must not be before the previous step of the timeline ({previous})"
        ));
    }
    Ok(())
}

/// A transition as a client asks for it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    pub to: Option<String>,
    pub effective_on: Option<String>,
    pub note: Option<String>,
    /// Share the note with the States concerned (it is the mission's own by default).
    pub note_shared: Option<bool>,
    pub closure_reason: Option<String>,
    pub version: Option<i64>,
}

/// A transition ready to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: CaseStatus,
    pub to: CaseStatus,
    pub effective_on: NaiveDate,
    pub note: Option<String>,
    pub note_shared: bool,
    pub closure_reason: Option<String>,
}

/// Why a transition is refused: the move itself (409, with what is allowed instead), or its fields
/// (422, each named).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionRefusal {
    NotAllowed {
        from: CaseStatus,
        allowed: Vec<CaseStatus>,
    },
    Invalid(Vec<FieldError>),
}

/// Checks a transition of a case now at `from` whose earliest incident happened on
/// `earliest_incident` and whose timeline last moved on `previous`.
pub fn validate_transition(
    input: &TransitionInput,
    from: CaseStatus,
    earliest_incident: NaiveDate,
    previous: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Transition, TransitionRefusal> {
    let to = match input.to.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(TransitionRefusal::Invalid(vec![FieldError::new(
                "to",
                "is required",
            )]));
        }
        Some(code) => CaseStatus::from_code(code).ok_or_else(|| {
            TransitionRefusal::Invalid(vec![FieldError::new(
                "to",
                one_of(CaseStatus::ALL.map(CaseStatus::code)),
            )])
        })?,
    };
    check_move(from, to).map_err(|allowed| TransitionRefusal::NotAllowed { from, allowed })?;

    let mut violations = Violations::new();
    let effective_on = match input.effective_on.as_deref() {
        None => {
            violations.add("effective_on", "is required (YYYY-MM-DD)");
            None
        }
        Some(text) => match parse_date(text) {
            Err(message) => {
                violations.add("effective_on", message);
                None
            }
            Ok(date) => {
                violations.check(
                    "effective_on",
                    check_effective_on(date, earliest_incident, previous, today),
                );
                Some(date)
            }
        },
    };
    let note = optional_text(&mut violations, "note", &input.note, 2000);
    let note_shared = input.note_shared.unwrap_or(false);
    if note_shared && note.is_none() {
        violations.add("note_shared", "is only for a step with a note");
    }
    let closure_reason = input
        .closure_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    match (to, closure_reason) {
        (CaseStatus::Closed, None) => violations.add(
            "closure_reason",
            format!(
                "is required to close a case: {}",
                one_of_list(CLOSURE_REASONS)
            ),
        ),
        (CaseStatus::Closed, Some(reason)) if !CLOSURE_REASONS.contains(&reason) => {
            violations.add("closure_reason", one_of_list(CLOSURE_REASONS))
        }
        (CaseStatus::Closed, Some(_)) => {}
        (_, Some(_)) => violations.add("closure_reason", "is only given when closing a case"),
        (_, None) => {}
    }
    violations
        .into_result()
        .map_err(TransitionRefusal::Invalid)?;
    Ok(Transition {
        from,
        to,
        effective_on: effective_on.unwrap_or(today),
        note,
        note_shared,
        closure_reason: closure_reason.map(str::to_string),
    })
}

fn one_of_list(codes: &[&'static str]) -> String {
    one_of(codes.iter().copied())
}

/// `YYYY-MM-DD`, within the years the registry can mean.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| (1945..=2100).contains(&d.year()))
        .ok_or_else(|| "must be a date YYYY-MM-DD between 1945 and 2100".to_string())
}

/// Trims an optional text; empty means absent. Records an error when it is too long.
pub(crate) fn optional_text(
    violations: &mut Violations,
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Option<String> {
    let text = value.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
    violations.check(field, text_length(text, 1, max));
    Some(text.to_string())
}

/// Where a case stands in the order of urgency: an open case by its next action's due date;
/// then open cases without one; ended cases last.
pub fn urgency(status: CaseStatus, next_action_due: Option<NaiveDate>) -> NaiveDate {
    let far_future = |day| NaiveDate::from_ymd_opt(9999, 12, day).unwrap_or(NaiveDate::MAX);
    match next_action_due {
        _ if !status.is_open() => far_future(31),
        Some(due) => due,
        None => far_future(30),
    }
}

/// `CASE-MISSION-YYYY-NNNN`.
pub fn reference(mission: &str, year: i32, number: i32) -> String {
    format!("CASE-{mission}-{year:04}-{number:04}")
}

pub const MAX_INCIDENTS_PER_CASE: usize = 100;

/// A case's descriptive fields as a client writes them (a create, or a stored case with a
/// patch laid over it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    #[serde(default)]
    pub incident_ids: Vec<String>,
    pub jurisdiction: Option<String>,
    /// The State of a named court (ISO3), when it is a State's: its focal points follow the
    /// case as host State. Not given when the jurisdiction is a State's code already.
    pub jurisdiction_state: Option<String>,
    pub authority: Option<String>,
    pub lead_officer: Option<String>,
    pub next_action: Option<String>,
    pub next_action_due: Option<String>,
    /// Share the next action's text with the States concerned (the mission's own by default;
    /// a new text is the mission's own again unless this is sent with it).
    pub next_action_shared: Option<bool>,
    pub notes: Option<String>,
}

/// A case's descriptive fields, valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFields {
    pub incident_ids: Vec<String>,
    pub jurisdiction: String,
    /// The host State: the jurisdiction when it is a State's code, the named court's State
    /// when one was given, none for an international court.
    pub jurisdiction_state: Option<String>,
    pub authority: Option<String>,
    pub lead_officer: Option<String>,
    pub next_action: Option<String>,
    pub next_action_due: Option<NaiveDate>,
    pub next_action_shared: bool,
    pub notes: Option<String>,
}

impl CaseFields {
    pub fn to_input(&self) -> CaseInput {
        CaseInput {
            incident_ids: self.incident_ids.clone(),
            jurisdiction: Some(self.jurisdiction.clone()),
            // Given only for a named court: a State's code is its own State.
            jurisdiction_state: self
                .jurisdiction_state
                .clone()
                .filter(|state| *state != self.jurisdiction),
            authority: self.authority.clone(),
            lead_officer: self.lead_officer.clone(),
            next_action: self.next_action.clone(),
            next_action_due: self.next_action_due.map(|d| d.to_string()),
            next_action_shared: Some(self.next_action_shared),
            notes: self.notes.clone(),
        }
    }
}

/// `ICC`, a State's ISO 3166-1 alpha-3 code, or the name of a special court.
pub fn check_jurisdiction(value: &str) -> Result<(), String> {
    if value == "ICC" || country::is_iso3(value) {
        return Ok(());
    }
    let is_code_like = value.len() <= 3 && value.chars().all(|c| c.is_ascii_uppercase());
    if is_code_like || text_length(value, 4, 120).is_err() {
        return Err(
            "must be `ICC`, an ISO 3166-1 alpha-3 country code, or the name of a special court (4 to 120 characters)"
                .to_string(),
        );
    }
    Ok(())
}

/// The host State of a case before `jurisdiction`, given `state` for a named court: a State's
/// code is its own State (and `state`, if given, must be that code), the ICC has none, and a
/// named court has the State given (a State that exists today), or none for an international
/// one.
pub fn host_state(jurisdiction: &str, state: Option<&str>) -> Result<Option<String>, String> {
    if jurisdiction == "ICC" {
        return match state {
            None => Ok(None),
            Some(_) => Err("is for a court of a State; the ICC is an international court".into()),
        };
    }
    if country::is_iso3(jurisdiction) {
        return match state {
            Some(other) if other != jurisdiction => Err(format!(
                "is the jurisdiction itself when that is a State's code (`{jurisdiction}`)"
            )),
            _ => Ok(Some(jurisdiction.to_string())),
        };
    }
    match state {
        None => Ok(None),
        Some(code) => country::check_current(code).map(|()| Some(code.to_string())),
    }
}

/// Checks every field at once; the database rules (incidents, lead officer) come after.
pub fn validate_case(input: &CaseInput) -> Result<CaseFields, Vec<FieldError>> {
    let mut violations = Violations::new();
    let mut incident_ids: Vec<String> = Vec::new();
    if input.incident_ids.is_empty() {
        violations.add("incident_ids", "must name at least one incident");
    } else if input.incident_ids.len() > MAX_INCIDENTS_PER_CASE {
        violations.add(
            "incident_ids",
            format!("must name at most {MAX_INCIDENTS_PER_CASE} incidents"),
        );
    }
    for (i, id) in input.incident_ids.iter().enumerate() {
        let id = id.trim();
        if id.is_empty() || id.len() > 64 {
            violations.add(format!("incident_ids[{i}]"), "is not an incident id");
        } else if incident_ids.iter().any(|seen| seen == id) {
            violations.add(format!("incident_ids[{i}]"), "is named twice");
        } else {
            incident_ids.push(id.to_string());
        }
    }
    let jurisdiction = input
        .jurisdiction
        .as_deref()
        .map(str::trim)
        .filter(|j| !j.is_empty());
    match jurisdiction {
        None => violations.add("jurisdiction", "is required"),
        Some(value) => violations.check("jurisdiction", check_jurisdiction(value)),
    }
    let given_state = input
        .jurisdiction_state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let jurisdiction_state = match host_state(jurisdiction.unwrap_or_default(), given_state) {
        Ok(state) => state,
        Err(message) => {
            violations.add("jurisdiction_state", message);
            None
        }
    };
    let authority = optional_text(&mut violations, "authority", &input.authority, 200);
    let lead_officer = input
        .lead_officer
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let next_action = optional_text(&mut violations, "next_action", &input.next_action, 500);
    let next_action_due = match input.next_action_due.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match parse_date(text) {
            Ok(date) => Some(date),
            Err(message) => {
                violations.add("next_action_due", message);
                None
            }
        },
    };
    if next_action_due.is_some() && next_action.is_none() {
        violations.add("next_action", "is required when `next_action_due` is set");
    }
    let next_action_shared = input.next_action_shared.unwrap_or(false);
    if next_action_shared && next_action.is_none() {
        violations.add(
            "next_action_shared",
            "is only for a case with a next action",
        );
    }
    let notes = optional_text(&mut violations, "notes", &input.notes, 10_000);
    violations.into_result()?;
    Ok(CaseFields {
        incident_ids,
        jurisdiction: jurisdiction.unwrap_or_default().to_string(),
        jurisdiction_state,
        authority,
        lead_officer,
        next_action,
        next_action_due,
        next_action_shared,
        notes,
    })
}

#[cfg(test)]
mod tests;
