//! Accountability cases: open, read, change, move along the timeline, accused persons,
//! documents, lists.
//!
//! As for incidents: checks that may refuse and record the refusal run before the write
//! transaction (so the record is not rolled back with it); the transaction reloads what it
//! changes and checks its version. A case the user may not see answers `NotFound`.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};
use uuid::Uuid;

use super::access::{Guarded, stored_classification};
use super::case_versions;
use super::idempotency::{self, Attempt, IdempotencyKey};
use crate::auth::Actor;
use crate::db::{DbConnection, write_transaction};
use crate::domain::access::{Clearance, Role};
use crate::domain::case::{
    self as rules, Accused, AccusedChanges, AccusedInput, CaseChanges, CaseFields, CaseInput,
    CaseStatus, DocumentFields, Sentence, TransitionInput, TransitionRefusal,
};
use crate::domain::incident::Status as IncidentStatus;
use crate::domain::validation::FieldError;
use crate::error::{AppError, AppResult};
use crate::store::cases::{self as store, CaseFilter};
use crate::store::files::{FileProblem, FileStore};
use crate::store::incidents::{self as incident_store, IncidentRow};
use crate::store::{ReferenceCounter, audit, next_reference_number, users};

pub use crate::store::cases::{AccusedRow, CaseRow, DocumentRow, TransitionRow};

mod accused;
mod change;
mod create;
mod documents;
pub mod proposals;
mod read;

pub use accused::*;
pub use change::*;
pub use create::*;
pub use documents::*;
pub use read::*;

/// A case with its linked incidents (all of them, whoever looks).
#[derive(Debug, Clone)]
pub struct Case {
    pub row: CaseRow,
    pub incidents: Vec<IncidentRow>,
}

impl Case {
    pub fn status(&self) -> AppResult<CaseStatus> {
        status_of(&self.row)
    }

    fn fields(&self) -> CaseFields {
        CaseFields {
            incident_ids: self.incidents.iter().map(|i| i.id.clone()).collect(),
            jurisdiction: self.row.jurisdiction.clone(),
            jurisdiction_state: self.row.jurisdiction_state.clone(),
            authority: self.row.authority.clone(),
            lead_officer: Some(self.row.lead_officer.clone()),
            next_action: self.row.next_action.clone(),
            next_action_due: self.row.next_action_due,
            next_action_shared: self.row.next_action_shared,
            notes: self.row.notes.clone(),
        }
    }

    /// The day of the earliest linked incident: no step of the timeline may precede it.
    fn earliest_incident_on(&self) -> NaiveDate {
        earliest_on(&self.incidents).unwrap_or(self.row.opened_on)
    }
}

fn earliest_on(incidents: &[IncidentRow]) -> Option<NaiveDate> {
    incidents.iter().map(|i| i.occurred_at.date()).min()
}

/// A case as one user may see it.
#[derive(Debug, Clone)]
pub struct CaseDetail {
    pub row: CaseRow,
    pub status: CaseStatus,
    pub lead_officer_username: Option<String>,
    /// The linked incidents this user may see, earliest first.
    pub incidents: Vec<IncidentRow>,
    /// How many linked incidents are classified above this user's clearance.
    pub withheld_incidents: usize,
    pub timeline: Vec<TransitionRow>,
    pub accused: Vec<AccusedRow>,
    pub documents: Vec<DocumentRow>,
    /// Whether accused persons' names are shown to this user.
    pub personal: bool,
    /// Where the steps and documents that came from a host State's proposals came from.
    pub provenance: Vec<proposals::Provenance>,
    /// How many of the host State's proposals wait for a legal officer.
    pub pending_proposals: usize,
}

/// A case's status as stored; a code the registry does not know is an error.
pub fn status_of(row: &CaseRow) -> AppResult<CaseStatus> {
    Ok(CaseStatus::try_from(row.status.as_str())?)
}

fn classification_of(row: &IncidentRow) -> Clearance {
    stored_classification(&row.classification)
}

fn load(conn: &mut DbConnection, id: &str) -> AppResult<Option<Case>> {
    let Some(row) = store::find(conn, id)? else {
        return Ok(None);
    };
    let incidents = store::linked_incidents(conn, id)?;
    Ok(Some(Case { row, incidents }))
}

impl Guarded for Case {
    const KIND: &'static str = "case";

    fn find(conn: &mut DbConnection, id: &str) -> AppResult<Option<Self>> {
        load(conn, id)
    }

    /// Seen by those of its mission cleared for every incident it links.
    fn may_see(&self, user: &Actor) -> bool {
        user.viewer().can_see_case(
            &self.row.mission_code,
            self.incidents.iter().map(classification_of),
        )
    }

    /// Changed by the legal officers of its mission.
    fn may_change(&self, user: &Actor) -> Result<(), String> {
        if user.viewer().can_write_case(&self.row.mission_code) {
            return Ok(());
        }
        Err(format!(
            "Only legal officers of {} change its cases.",
            self.row.mission_code
        ))
    }
}

/// For handlers: the user may see this case and change it (404 or 403, recorded, otherwise).
/// Called before a body is read, so a refused user hears nothing about their body.
pub fn check_may_change(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    Case::changeable(conn, user, id, attempted, now).map(|_| ())
}

fn search_text(row: &CaseRow) -> String {
    [
        Some(row.reference.as_str()),
        Some(row.jurisdiction.as_str()),
        row.authority.as_deref(),
        row.next_action.as_deref(),
        row.notes.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" \n ")
    .to_lowercase()
}

/// Copies the descriptive fields into the row and refreshes what is derived from them.
fn fill_row(row: &mut CaseRow, fields: &CaseFields) -> AppResult<()> {
    row.jurisdiction = fields.jurisdiction.clone();
    row.jurisdiction_state = fields.jurisdiction_state.clone();
    row.authority = fields.authority.clone();
    if let Some(lead) = &fields.lead_officer {
        row.lead_officer = lead.clone();
    }
    row.next_action = fields.next_action.clone();
    row.next_action_due = fields.next_action_due;
    row.next_action_shared = fields.next_action_shared;
    row.notes = fields.notes.clone();
    refresh_derived(row)
}

fn refresh_derived(row: &mut CaseRow) -> AppResult<()> {
    let status = status_of(row)?;
    row.urgency = rules::urgency(status, row.next_action_due);
    row.search_text = search_text(row);
    Ok(())
}

/// Everything of a case this user may see.
fn detail(conn: &mut DbConnection, user: &Actor, case: Case) -> AppResult<CaseDetail> {
    let Case { row, incidents } = case;
    let total = incidents.len();
    let incidents: Vec<IncidentRow> = incidents
        .into_iter()
        .filter(|i| classification_of(i) <= user.clearance)
        .collect();
    Ok(CaseDetail {
        status: status_of(&row)?,
        lead_officer_username: store::username_of(conn, &row.lead_officer)?,
        withheld_incidents: total - incidents.len(),
        incidents,
        timeline: store::transitions(conn, &row.id)?,
        accused: store::accused(conn, &row.id)?,
        documents: store::documents(conn, &row.id)?,
        personal: user.viewer().sees_personal_data(&row.mission_code),
        provenance: proposals::provenance(conn, &row.id)?,
        pending_proposals: proposals::pending_counts(conn, std::slice::from_ref(&row.id))?
            .first()
            .map_or(0, |(_, count)| *count as usize),
        row,
    })
}

pub fn get(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<CaseDetail> {
    let case = Case::visible(conn, user, id, "cases.read", now)?;
    detail(conn, user, case)
}
