//! The incident registry: create, read, change, submit, verify, withdraw, list, history.
//!
//! Every change runs in one transaction with its version row and its audit record. Records a
//! user may not see answer `NotFound` (their existence is not revealed); actions refused on
//! records the user can see answer `Forbidden`; both are recorded as denied attempts.

use chrono::{Datelike, NaiveDateTime};
use serde_json::{Value, json};
use uuid::Uuid;

use super::access::{Guarded, stored_classification};
use super::idempotency::{self, Attempt, IdempotencyKey};
use crate::auth::Actor;
use crate::db::{DbConnection, write_transaction};
use crate::domain::access::{Clearance, Role};
use crate::domain::incident::{
    self, IncidentChanges, IncidentData, IncidentInput, Move, Status, Victim,
};
use crate::domain::snapshot::{self, ChangeFacts};
use crate::domain::validation::{FieldError, text_length};
use crate::domain::{casualty_id, verification};
use crate::error::{AppError, AppResult};
use crate::services::missions::RecentMissions;
use crate::store::incidents::{self as store, Children, IncidentFilter};

pub use crate::store::incidents::{IncidentRow, ListedIncident, VersionRow};
use crate::store::{ReferenceCounter, audit, is_unique_violation, next_reference_number};

mod change;
mod create;
mod imported;
mod prepare;
mod read;
mod rows;

pub use change::*;
pub use create::*;
pub(crate) use imported::*;
use prepare::*;
pub use read::*;
use rows::{children_of, fill_row, refresh_search_text};

/// An incident as stored: its row and its valid content.
#[derive(Debug, Clone)]
pub struct Incident {
    pub row: IncidentRow,
    pub data: IncidentData,
}

impl Incident {
    pub fn status(&self) -> AppResult<Status> {
        Ok(Status::try_from(self.row.status.as_str())?)
    }
}

/// A creating request: the incident, whether to submit it at once, and the client's
/// `Idempotency-Key` with the hash of what was sent.
pub struct CreateRequest {
    pub input: IncidentInput,
    pub submit: bool,
    pub idempotency: Option<IdempotencyKey>,
}

/// The outcome of a create: the incident, and whether it was made by an earlier request
/// with the same idempotency key.
pub struct Created {
    pub incident: Incident,
    pub replayed: bool,
}

/// The whole incident as a version of its history records it, and as its audit records prove
/// it: its content, where it is in its life and who stands behind it.
fn snapshot(incident_row: &IncidentRow, data: &IncidentData) -> Value {
    let mut value = serde_json::to_value(data.to_input()).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        let row = incident_row;
        // The stored code itself: a code the registry does not know must not read as a known one.
        map.insert("classification".into(), json!(row.classification));
        map.insert("status".into(), json!(row.status));
        map.insert("reference".into(), json!(row.reference));
        map.insert("reported_by".into(), json!(row.reported_by));
        map.insert(
            "reported_at".into(),
            json!(incident::format_time(row.reported_at)),
        );
        map.insert("verified_by".into(), json!(row.verified_by));
        map.insert(
            "verified_at".into(),
            json!(row.verified_at.map(incident::format_time)),
        );
        map.insert(
            "last_verified_version".into(),
            json!(row.last_verified_version),
        );
        map.insert("withdrawn_reason".into(), json!(row.withdrawn_reason));
        map.insert(
            "victim_counts".into(),
            json!([row.killed, row.injured, row.abducted, row.missing]),
        );
    }
    value
}

/// The snapshot of the incident as its rows stand now: what its latest audit record must prove.
pub(crate) fn current_snapshot(row: IncidentRow, children: Children) -> AppResult<String> {
    let incident = Incident::try_from((row, children))?;
    Ok(snapshot::canonical(&snapshot(
        &incident.row,
        &incident.data,
    )))
}

/// Writes the version the incident has just become and answers its audit record's details.
fn record_version(
    conn: &mut DbConnection,
    user: &Actor,
    before: Option<&Value>,
    incident: &Incident,
    action: &str,
    reason: Option<&str>,
) -> AppResult<Value> {
    let (version, details) = new_version(
        &user.id,
        before,
        &incident.row,
        &incident.data,
        action,
        reason,
    );
    store::insert_version(conn, &version)?;
    Ok(details)
}

/// The version row of the incident as `row` and `data` now stand, changed by `changed_by`, and
/// the details of its audit record: what kind of change it was, never the values (those stay in
/// the history, which only the incident's readers see).
fn new_version(
    changed_by: &str,
    before: Option<&Value>,
    row: &IncidentRow,
    data: &IncidentData,
    action: &str,
    reason: Option<&str>,
) -> (VersionRow, Value) {
    let after = snapshot(row, data);
    let empty = json!({});
    let before = before.unwrap_or(&empty);
    let changes = crate::domain::audit::changes(before, &after);
    let snapshot_text = snapshot::canonical(&after);
    let facts = ChangeFacts {
        mission: Some(&row.mission_code),
        classification: Some(&row.classification),
        version_from: (row.version > 1).then(|| row.version - 1),
        version_to: row.version,
        status_from: before.get("status").and_then(Value::as_str),
        status_to: Some(&row.status),
        fields: snapshot::changed_fields(before, &after),
        counts: vec![
            ("victims", data.victims.len()),
            ("perpetrators", data.perpetrators.len()),
            ("sources", data.sources.len()),
        ],
        snapshot_sha256: snapshot::digest(&snapshot_text),
        author: Some(changed_by),
    };
    let version = VersionRow {
        incident_id: row.id.clone(),
        version: row.version,
        action: action.to_string(),
        changed_at: row.updated_at,
        changed_by: changed_by.to_string(),
        reason: reason.map(str::to_string),
        changes: changes.to_string(),
        snapshot: snapshot_text,
    };
    (version, facts.details())
}

fn may_see(user: &Actor, row: &IncidentRow) -> bool {
    user.viewer().can_see_incident(
        &row.mission_code,
        row.status == Status::Draft.code(),
        stored_classification(&row.classification),
    )
}

/// Security officers of the incident's mission may change it.
fn may_change(user: &Actor, row: &IncidentRow) -> Result<(), String> {
    if user.viewer().can_write_incident(&row.mission_code) {
        return Ok(());
    }
    Err(format!(
        "Only security officers of {} change its incidents.",
        row.mission_code
    ))
}

/// The incident's row alone, for the checks that need no lists.
impl Guarded for IncidentRow {
    const KIND: &'static str = "incident";

    fn find(conn: &mut DbConnection, id: &str) -> AppResult<Option<Self>> {
        Ok(store::find(conn, id)?)
    }

    fn may_see(&self, user: &Actor) -> bool {
        may_see(user, self)
    }

    fn may_change(&self, user: &Actor) -> Result<(), String> {
        may_change(user, self)
    }
}

impl Guarded for Incident {
    const KIND: &'static str = "incident";

    /// As the guard does, but an incident the user may not see is not decoded at all.
    fn visible(
        conn: &mut DbConnection,
        user: &Actor,
        id: &str,
        attempted: &str,
        now: NaiveDateTime,
    ) -> AppResult<Self> {
        Self::require_reader(conn, user, attempted, now)?;
        match get_if_visible(conn, user, id)? {
            Some(incident) => Ok(incident),
            None => Err(Self::hide(conn, user, attempted, id, now)),
        }
    }

    fn find(conn: &mut DbConnection, id: &str) -> AppResult<Option<Self>> {
        match store::find_with_children(conn, id)? {
            Some((row, children)) => Incident::try_from((row, children)).map(Some),
            None => Ok(None),
        }
    }

    fn may_see(&self, user: &Actor) -> bool {
        may_see(user, &self.row)
    }

    fn may_change(&self, user: &Actor) -> Result<(), String> {
        may_change(user, &self.row)
    }
}

pub fn get(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    Incident::visible(conn, user, id, "incidents.read", now)
}

/// The incident if this user may read it, found by reads alone; `None` where `get` would refuse
/// or answer 404, which only `get` records.
pub fn get_if_visible(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
) -> AppResult<Option<Incident>> {
    if !user.viewer().reads_incidents() {
        return Ok(None);
    }
    match store::find_with_children(conn, id)? {
        Some((row, children)) if may_see(user, &row) => {
            Incident::try_from((row, children)).map(Some)
        }
        _ => Ok(None),
    }
}

/// For handlers: the user may see this incident and change it (404 or 403, recorded, otherwise).
/// Called before a body is read, so a refused user hears nothing about their body.
pub fn check_may_change(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    IncidentRow::changeable(conn, user, id, attempted, now).map(|_| ())
}
