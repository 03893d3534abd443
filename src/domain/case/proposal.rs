//! Progress a host State reports on a case: what a proposal may say, and the states it goes
//! through. A proposal becomes the case's own only when a legal officer of the mission accepts
//! it, and the case's rules are applied again then.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    ACCUSED_STATUSES, Transition, TransitionInput, one_of_list, optional_text, parse_date,
};
use crate::domain::validation::{FieldError, Violations};

/// What a proposal changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalKind {
    /// A step of the timeline (`to`, `effective_on`, `note`, `closure_reason`).
    Step,
    /// The next action and its due date.
    NextAction,
    /// An accused person's status.
    AccusedStatus,
    /// A document, uploaded with the proposal.
    Document,
}

impl ProposalKind {
    pub const ALL: [ProposalKind; 4] = [
        ProposalKind::Step,
        ProposalKind::NextAction,
        ProposalKind::AccusedStatus,
        ProposalKind::Document,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProposalKind::Step => "step",
            ProposalKind::NextAction => "next_action",
            ProposalKind::AccusedStatus => "accused_status",
            ProposalKind::Document => "document",
        }
    }

    pub fn from_code(code: &str) -> Option<ProposalKind> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// Where a proposal stands. Only a pending one may be accepted or declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalStatus {
    Pending,
    Accepted,
    Declined,
    /// Closed without a decision: the case's jurisdiction moved to another State.
    Withdrawn,
}

impl ProposalStatus {
    pub const ALL: [ProposalStatus; 4] = [
        ProposalStatus::Pending,
        ProposalStatus::Accepted,
        ProposalStatus::Declined,
        ProposalStatus::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProposalStatus::Pending => "pending",
            ProposalStatus::Accepted => "accepted",
            ProposalStatus::Declined => "declined",
            ProposalStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn from_code(code: &str) -> Option<ProposalStatus> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }
}

/// The reason a proposal is withdrawn when its case moves to another State's courts.
pub const WITHDRAWN_ON_JURISDICTION_CHANGE: &str = "jurisdiction changed";

/// At most this many proposals of one State wait on one case: more is a sign of a client
/// repeating itself, not of progress.
pub const MAX_PENDING_PER_CASE: usize = 20;

/// A proposal as the host State's focal point sends it in JSON. A document is proposed with
/// a `multipart/form-data` upload instead.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalInput {
    /// `step`, `next_action` or `accused_status`.
    pub kind: Option<String>,
    /// A step: the status the case moves to.
    pub to: Option<String>,
    /// A step: the day it happened (`YYYY-MM-DD`).
    pub effective_on: Option<String>,
    /// A step: what happened, in a few words.
    pub note: Option<String>,
    /// A step to `closed`: why.
    pub closure_reason: Option<String>,
    /// A next action: what is to be done.
    pub next_action: Option<String>,
    /// A next action: by when (`YYYY-MM-DD`).
    pub next_action_due: Option<String>,
    /// An accused person's new status: whose (the accused person's id).
    pub accused_id: Option<String>,
    /// An accused person's new status.
    pub accused_status: Option<String>,
}

impl ProposalInput {
    /// A step, as `validate_transition` reads it against the case.
    pub fn step_input(&self) -> TransitionInput {
        TransitionInput {
            to: self.to.clone(),
            effective_on: self.effective_on.clone(),
            note: self.note.clone(),
            note_shared: None,
            closure_reason: self.closure_reason.clone(),
            version: None,
        }
    }
}

/// What a proposal changes: only the fields of its kind are present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProposedChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_action_due: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accused_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accused_status: Option<String>,
    /// A document: its title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A document: its kind, like `warrant`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_kind: Option<String>,
    /// A document: its own date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    /// A document: the SHA-256 of its file, as stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}

impl ProposedChange {
    /// A step as the case's rules accepted it.
    pub fn step(step: &Transition) -> ProposedChange {
        ProposedChange {
            to: Some(step.to.code().to_string()),
            effective_on: Some(step.effective_on),
            note: step.note.clone(),
            closure_reason: step.closure_reason.clone(),
            ..ProposedChange::default()
        }
    }

    /// The step again, as a legal officer would enter it: its note is the mission's own until
    /// shared, as for every step.
    pub fn transition_input(&self) -> TransitionInput {
        TransitionInput {
            to: self.to.clone(),
            effective_on: self.effective_on.map(|d| d.format("%Y-%m-%d").to_string()),
            note: self.note.clone(),
            note_shared: None,
            closure_reason: self.closure_reason.clone(),
            version: None,
        }
    }
}

/// The fields that belong to each kind sent in JSON.
fn fields_of(kind: ProposalKind) -> &'static [&'static str] {
    match kind {
        ProposalKind::Step => &["to", "effective_on", "note", "closure_reason"],
        ProposalKind::NextAction => &["next_action", "next_action_due"],
        ProposalKind::AccusedStatus => &["accused_id", "accused_status"],
        ProposalKind::Document => &[],
    }
}

/// Reads a JSON proposal: its kind, and the fields of that kind (the others refused, each
/// named). A step's own rules depend on the case and are checked by `validate_transition`.
pub fn check_proposal(
    input: &ProposalInput,
) -> Result<(ProposalKind, ProposedChange), Vec<FieldError>> {
    let mut violations = Violations::new();
    let json_kinds = [
        ProposalKind::Step,
        ProposalKind::NextAction,
        ProposalKind::AccusedStatus,
    ];
    let kind = match input.kind.as_deref().map(str::trim) {
        None | Some("") => {
            violations.add("kind", "is required");
            None
        }
        Some(code) => match ProposalKind::from_code(code).filter(|k| json_kinds.contains(k)) {
            Some(kind) => Some(kind),
            None if code == ProposalKind::Document.code() => {
                violations.add(
                    "kind",
                    "a document is proposed as multipart/form-data with the parts `file`, `title`, `kind` and `date`",
                );
                None
            }
            None => {
                violations.add("kind", one_of_list(&json_kinds.map(ProposalKind::code)));
                None
            }
        },
    };
    let given = [
        ("to", input.to.is_some()),
        ("effective_on", input.effective_on.is_some()),
        ("note", input.note.is_some()),
        ("closure_reason", input.closure_reason.is_some()),
        ("next_action", input.next_action.is_some()),
        ("next_action_due", input.next_action_due.is_some()),
        ("accused_id", input.accused_id.is_some()),
        ("accused_status", input.accused_status.is_some()),
    ];
    let Some(kind) = kind else {
        return Err(violations.into_result().err().unwrap_or_default());
    };
    for (field, _) in given
        .iter()
        .filter(|(field, present)| *present && !fields_of(kind).contains(field))
    {
        violations.add(
            *field,
            format!("is not part of a `{}` proposal", kind.code()),
        );
    }
    let mut change = ProposedChange::default();
    match kind {
        // A step's fields are read against the case, by `validate_transition`.
        ProposalKind::Step => {}
        ProposalKind::NextAction => {
            change.next_action =
                optional_text(&mut violations, "next_action", &input.next_action, 500);
            if change.next_action.is_none() {
                violations.add("next_action", "is required");
            }
            change.next_action_due = match input.next_action_due.as_deref().map(str::trim) {
                None | Some("") => {
                    violations.add("next_action_due", "is required (YYYY-MM-DD)");
                    None
                }
                Some(text) => parse_date(text)
                    .map_err(|message| violations.add("next_action_due", message))
                    .ok(),
            };
        }
        ProposalKind::AccusedStatus => {
            change.accused_id = input
                .accused_id
                .as_deref()
                .map(str::trim)
                .filter(|id| !id.is_empty() && id.len() <= 64)
                .map(str::to_string);
            if change.accused_id.is_none() {
                violations.add(
                    "accused_id",
                    "is required: the id of an accused person of the case",
                );
            }
            let status = input.accused_status.as_deref().map(str::trim);
            match status {
                Some(code) if ACCUSED_STATUSES.contains(&code) => {
                    change.accused_status = Some(code.to_string());
                }
                _ => violations.add("accused_status", one_of_list(ACCUSED_STATUSES)),
            }
        }
        ProposalKind::Document => {}
    }
    violations.into_result()?;
    Ok((kind, change))
}

/// Why a legal officer declines a proposal: required, as the focal point reads it.
pub fn check_decline_reason(reason: Option<&str>) -> Result<String, Vec<FieldError>> {
    let mut violations = Violations::new();
    let reason = optional_text(&mut violations, "reason", &reason.map(str::to_string), 1000);
    if reason.is_none() {
        violations.add("reason", "is required: the focal point reads it");
    }
    violations.into_result()?;
    Ok(reason.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_step_keeps_its_fields_for_the_cases_rules() {
        let input = ProposalInput {
            kind: Some("step".into()),
            to: Some("arrests_made".into()),
            effective_on: Some("2026-11-02".into()),
            note: Some("Two arrested in Mopti".into()),
            ..Default::default()
        };
        let (kind, _) = check_proposal(&input).unwrap();
        assert_eq!(kind, ProposalKind::Step);
        let step = input.step_input();
        assert_eq!(step.to.as_deref(), Some("arrests_made"));
        assert_eq!(step.effective_on.as_deref(), Some("2026-11-02"));
        assert_eq!(step.note.as_deref(), Some("Two arrested in Mopti"));
    }

    #[test]
    fn fields_of_another_kind_are_named() {
        let input = ProposalInput {
            kind: Some("next_action".into()),
            next_action: Some("Hearing".into()),
            next_action_due: Some("2027-01-10".into()),
            to: Some("trial".into()),
            accused_status: Some("in_custody".into()),
            ..Default::default()
        };
        assert_eq!(
            fields(check_proposal(&input).unwrap_err()),
            ["to", "accused_status"]
        );
    }

    #[test]
    fn a_next_action_needs_its_text_and_a_due_date() {
        let input = ProposalInput {
            kind: Some("next_action".into()),
            next_action_due: Some("10/01/2027".into()),
            ..Default::default()
        };
        assert_eq!(
            fields(check_proposal(&input).unwrap_err()),
            ["next_action", "next_action_due"]
        );
    }

    #[test]
    fn an_accused_status_names_the_person_and_a_known_status() {
        let input = ProposalInput {
            kind: Some("accused_status".into()),
            accused_status: Some("jailed".into()),
            ..Default::default()
        };
        assert_eq!(
            fields(check_proposal(&input).unwrap_err()),
            ["accused_id", "accused_status"]
        );
        let input = ProposalInput {
            kind: Some("accused_status".into()),
            accused_id: Some("a1".into()),
            accused_status: Some("in_custody".into()),
            ..Default::default()
        };
        assert!(check_proposal(&input).is_ok());
    }

    #[test]
    fn the_kind_is_required_and_a_document_is_uploaded() {
        assert_eq!(
            fields(check_proposal(&ProposalInput::default()).unwrap_err()),
            ["kind"]
        );
        let document = ProposalInput {
            kind: Some("document".into()),
            ..Default::default()
        };
        let errors = check_proposal(&document).unwrap_err();
        assert!(errors[0].message.contains("multipart/form-data"));
    }

    #[test]
    fn a_decline_needs_a_reason() {
        assert!(check_decline_reason(None).is_err());
        assert!(check_decline_reason(Some("  ")).is_err());
        assert!(check_decline_reason(Some(&"x".repeat(1001))).is_err());
        assert_eq!(
            check_decline_reason(Some(" Wrong date ")).unwrap(),
            "Wrong date"
        );
    }

    #[test]
    fn codes_read_back() {
        for kind in ProposalKind::ALL {
            assert_eq!(ProposalKind::from_code(kind.code()), Some(kind));
        }
        for status in ProposalStatus::ALL {
            assert_eq!(ProposalStatus::from_code(status.code()), Some(status));
        }
    }
}
