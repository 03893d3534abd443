//! The incident registry: create, read, change, submit, verify, withdraw, list, history.
//!
//! Every change runs in one transaction with its version row and its audit record. Records a
//! user may not see answer `NotFound` (their existence is not revealed); actions refused on
//! records the user can see answer `Forbidden`; both are recorded as denied attempts.

use chrono::{Datelike, NaiveDateTime};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Attempt, parse_fields};
use crate::auth::{AuthUser, policy};
use crate::db::{DbConnection, write_transaction};
use crate::domain::access::{Clearance, Role};
use crate::domain::incident::{
    self, IncidentData, IncidentInput, Move, Perpetrator, Source, Status, Victim,
};
use crate::domain::snapshot::{self, ChangeFacts};
use crate::domain::validation::{FieldError, text_length};
use crate::domain::{casualty_id, verification};
use crate::error::{AppError, AppResult};
use crate::services::missions::RecentMissions;
use crate::store::incidents::{
    self as store, Children, IncidentFilter, IncidentRow, ListedIncident, PerpetratorRow,
    SourceRow, VersionRow, VictimRow,
};
use crate::store::{ReferenceCounter, audit, is_unique_violation, next_reference_number};

/// An incident as stored: its row and its valid content.
#[derive(Debug, Clone)]
pub struct Incident {
    pub row: IncidentRow,
    pub data: IncidentData,
}

impl Incident {
    pub fn status(&self) -> Status {
        Status::from_code(&self.row.status).unwrap_or(Status::Draft)
    }
}

/// A creating request: the body, and the client's `Idempotency-Key` with the body's hash.
pub struct CreateRequest {
    pub body: Map<String, Value>,
    pub idempotency: Option<(String, String)>,
}

/// The outcome of a create: the incident, and whether it was made by an earlier request
/// with the same idempotency key.
pub struct Created {
    pub incident: Incident,
    pub replayed: bool,
}

fn classification_of(code: &str) -> Clearance {
    Clearance::from_code(code).unwrap_or(Clearance::StrictlyConfidential)
}

fn assemble(row: IncidentRow, children: Children) -> AppResult<Incident> {
    let data = IncidentData {
        mission: row.mission_code.clone(),
        classification: classification_of(&row.classification),
        occurred_at: row.occurred_at,
        time_precision: row.time_precision.clone(),
        occurred_until: row.occurred_until,
        place_name: row.place_name.clone(),
        admin1: row.admin1.clone(),
        admin2: row.admin2.clone(),
        latitude: row.latitude,
        longitude: row.longitude,
        geo_precision: row.geo_precision.clone(),
        location_type: row.location_type.clone(),
        attack_type: row.attack_type.clone(),
        weapons: serde_json::from_str(&row.weapons).map_err(AppError::internal)?,
        perpetrators: children
            .perpetrators
            .into_iter()
            .map(|p| Perpetrator {
                actor_name: p.actor_name,
                actor_type: p.actor_type,
                attribution: p.attribution,
                claimed_responsibility: p.claimed_responsibility,
            })
            .collect(),
        victims: children
            .victims
            .into_iter()
            .map(|v| Victim {
                personnel_type: v.personnel_type,
                nationality: v.nationality,
                gender: v.gender,
                outcome: v.outcome,
                casualty_id: v.casualty_id,
                name: v.name,
                unit: v.unit,
            })
            .collect(),
        sources: children
            .sources
            .into_iter()
            .map(|s| Source {
                source_type: s.source_type,
                description: s.description,
                received_at: s.received_at,
                reliability: s.reliability,
                credibility: s.credibility,
            })
            .collect(),
        summary: row.summary.clone(),
        narrative: row.narrative.clone(),
    };
    Ok(Incident { row, data })
}

fn children_of(id: &str, data: &IncidentData) -> Children {
    Children {
        victims: data
            .victims
            .iter()
            .enumerate()
            .map(|(i, v)| VictimRow {
                incident_id: id.to_string(),
                position: i as i32,
                personnel_type: v.personnel_type.clone(),
                nationality: v.nationality.clone(),
                gender: v.gender.clone(),
                outcome: v.outcome.clone(),
                casualty_id: v.casualty_id.clone(),
                name: v.name.clone(),
                unit: v.unit.clone(),
            })
            .collect(),
        perpetrators: data
            .perpetrators
            .iter()
            .enumerate()
            .map(|(i, p)| PerpetratorRow {
                incident_id: id.to_string(),
                position: i as i32,
                actor_name: p.actor_name.clone(),
                actor_type: p.actor_type.clone(),
                attribution: p.attribution.clone(),
                claimed_responsibility: p.claimed_responsibility,
            })
            .collect(),
        sources: data
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| SourceRow {
                incident_id: id.to_string(),
                position: i as i32,
                source_type: s.source_type.clone(),
                description: s.description.clone(),
                received_at: s.received_at,
                reliability: s.reliability.clone(),
                credibility: s.credibility,
            })
            .collect(),
    }
}

/// Copies the content into the row (the row keeps its identity, status and trail fields).
fn fill_row(row: &mut IncidentRow, data: &IncidentData) {
    let [killed, injured, abducted, missing] = data.victim_counts();
    row.mission_code = data.mission.clone();
    row.classification = data.classification.code().to_string();
    row.occurred_at = data.occurred_at;
    row.time_precision = data.time_precision.clone();
    row.occurred_until = data.occurred_until;
    row.place_name = data.place_name.clone();
    row.admin1 = data.admin1.clone();
    row.admin2 = data.admin2.clone();
    row.latitude = data.latitude;
    row.longitude = data.longitude;
    row.geo_precision = data.geo_precision.clone();
    row.location_type = data.location_type.clone();
    row.attack_type = data.attack_type.clone();
    row.weapons = json!(data.weapons).to_string();
    row.summary = data.summary.clone();
    row.narrative = data.narrative.clone();
    row.killed = killed;
    row.injured = injured;
    row.abducted = abducted;
    row.missing = missing;
    refresh_search_text(row);
}

fn refresh_search_text(row: &mut IncidentRow) {
    let parts = [
        row.reference.as_deref(),
        Some(row.summary.as_str()),
        Some(row.narrative.as_str()),
        row.place_name.as_deref(),
        row.admin1.as_deref(),
        row.admin2.as_deref(),
    ];
    row.search_text = parts
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" \n ")
        .to_lowercase();
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
    let incident = assemble(row, children)?;
    Ok(snapshot::canonical(&snapshot(
        &incident.row,
        &incident.data,
    )))
}

/// Writes the version the incident has just become and answers its audit record's details.
fn record_version(
    conn: &mut DbConnection,
    user: &AuthUser,
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

fn deny(
    conn: &mut DbConnection,
    user: &AuthUser,
    attempted: &str,
    id: Option<&str>,
    now: NaiveDateTime,
    why: &str,
) -> AppError {
    policy::forbid(conn, user, attempted, ("incident", id), now, why)
}

fn not_found(
    conn: &mut DbConnection,
    user: &AuthUser,
    attempted: &str,
    id: &str,
    now: NaiveDateTime,
) -> AppError {
    policy::hide(conn, user, attempted, ("incident", id), now)
}

fn require_reader(
    conn: &mut DbConnection,
    user: &AuthUser,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    policy::require_content_reader(conn, user, attempted, "incident", now)
}

/// The incident, if this user may see it; `NotFound` (recorded) otherwise.
fn visible(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    require_reader(conn, user, attempted, now)?;
    match get_if_visible(conn, user, id)? {
        Some(incident) => Ok(incident),
        None => Err(not_found(conn, user, attempted, id, now)),
    }
}

/// The incident's row alone (no lists), if this user may see it; `NotFound` (recorded) otherwise.
fn visible_row(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<IncidentRow> {
    require_reader(conn, user, attempted, now)?;
    match store::find(conn, id)? {
        Some(row) if may_see(user, &row) => Ok(row),
        _ => Err(not_found(conn, user, attempted, id, now)),
    }
}

fn may_see(user: &AuthUser, row: &IncidentRow) -> bool {
    user.viewer().can_see_incident(
        &row.mission_code,
        row.status == Status::Draft.code(),
        classification_of(&row.classification),
    )
}

/// Turns an incident as written into one ready to store, or refuses it: 403 (recorded) when the
/// user may not write in its mission; otherwise one 422 listing every problem at once, those of
/// the fields and those only the registry can see (an unknown or closed mission, a
/// classification above the author's clearance, a casualty id recorded elsewhere).
/// `current` is the stored incident's content: records of a closed mission can still be corrected,
/// and the casualty ids already on it stay as they are.
#[allow(clippy::too_many_arguments)]
fn prepare(
    conn: &mut DbConnection,
    missions: &RecentMissions,
    user: &AuthUser,
    input: &IncidentInput,
    incident_id: &str,
    current: Option<&IncidentData>,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<IncidentData> {
    let current_mission = current.map(|data| data.mission.as_str());
    let existing_ids: Vec<String> = current
        .map(|data| {
            data.victims
                .iter()
                .filter_map(|v| v.casualty_id.clone())
                .collect()
        })
        .unwrap_or_default();
    let validated = incident::validate(input, now);
    let mut errors = validated.as_ref().err().cloned().unwrap_or_default();

    // Casualty ids are checked only against a mission the registry knows and the user writes in.
    let mut mission_known = false;
    if let Some(code) = input.mission.as_deref().filter(|m| !m.is_empty()) {
        match missions.find(conn, code)? {
            None => errors.push(FieldError::new(
                "mission",
                format!("`{code}` is not a mission"),
            )),
            Some(mission) => {
                if !user.viewer().can_write_incident(code) {
                    return Err(deny(
                        conn,
                        user,
                        attempted,
                        Some(incident_id),
                        now,
                        &format!("Only security officers of {code} record its incidents."),
                    ));
                }
                mission_known = true;
                if !mission.active && current_mission != Some(code) {
                    errors.push(FieldError::new(
                        "mission",
                        format!("`{code}` is no longer active"),
                    ));
                }
            }
        }
    }
    if let Some(classification) = input
        .classification
        .as_deref()
        .and_then(Clearance::from_code)
        && classification > user.clearance
    {
        errors.push(FieldError::new("classification", "is above your clearance"));
    }
    let ids: Vec<(usize, String)> = input
        .victims
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let id = v.casualty_id.as_deref()?.trim();
            (!id.is_empty()).then(|| (i, id.to_string()))
        })
        .collect();
    // An id new in this change must be of the incident's own mission (the ids already on it,
    // the official dataset's among them, stay as they are), so that only one's own mission's
    // ids can be found taken.
    let mission = input.mission.as_deref().unwrap_or_default();
    let mut wanted: Vec<(usize, String)> = Vec::new();
    for (i, id) in ids.into_iter().filter(|_| mission_known) {
        if existing_ids.contains(&id) {
            continue;
        }
        if casualty_id::fits(mission, &id) {
            wanted.push((i, id));
        } else {
            errors.push(FieldError::new(
                format!("victims[{i}].casualty_id"),
                format!("must read {mission}-YYYY-MM-NNNNN: a UN casualty id of the incident's own mission"),
            ));
        }
    }
    if !wanted.is_empty() {
        let asked: Vec<String> = wanted.iter().map(|(_, id)| id.clone()).collect();
        let holders = store::holders_of_casualty_ids(conn, &asked, incident_id)?;
        for (i, id) in &wanted {
            let Some(holder) = holders.iter().find(|h| &h.casualty_id == id) else {
                continue;
            };
            // The other incident is named only to those who may read it.
            let seen = user.viewer().can_see_incident(
                &holder.mission_code,
                holder.status == Status::Draft.code(),
                classification_of(&holder.classification),
            );
            let message = match (&holder.reference, seen) {
                (Some(reference), true) => {
                    format!("is already recorded for a victim of {reference}")
                }
                _ => "is already recorded for a victim of another incident".to_string(),
            };
            errors.push(FieldError::new(
                format!("victims[{i}].casualty_id"),
                message,
            ));
        }
    }
    match validated {
        Ok(data) if errors.is_empty() => Ok(data),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Only security officers record incidents (refusals are recorded).
pub fn check_may_create(
    conn: &mut DbConnection,
    user: &AuthUser,
    now: NaiveDateTime,
) -> AppResult<()> {
    require_reader(conn, user, "incidents.create", now)?;
    if user.role != Role::SecurityOfficer {
        return Err(deny(
            conn,
            user,
            "incidents.create",
            None,
            now,
            "Only security officers record incidents.",
        ));
    }
    Ok(())
}

/// Creates a draft (or a submitted incident when the body says `"submit": true`).
pub fn create(
    conn: &mut DbConnection,
    missions: &RecentMissions,
    user: &AuthUser,
    request: CreateRequest,
    now: NaiveDateTime,
) -> AppResult<Created> {
    check_may_create(conn, user, now)?;
    let mut body = request.body;
    let submit = match body.remove("submit") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(AppError::invalid("submit", "must be true or false")),
    };
    // A retry is answered before anything else is checked: its first answer was a success.
    if let Some((key, hash)) = &request.idempotency
        && let Some(replayed) = replay(conn, user, key, hash, now)?
    {
        return Ok(replayed);
    }
    let input = parse_fields::<IncidentInput>(body)?;
    let id = Uuid::now_v7().to_string();
    let data = match prepare(
        conn,
        missions,
        user,
        &input,
        &id,
        None,
        "incidents.create",
        now,
    ) {
        Ok(data) => data,
        Err(error) => {
            // A request with the same key may have committed meanwhile (its casualty ids are
            // then "in use"): answer as it did.
            if let Some((key, hash)) = &request.idempotency
                && let Some(replayed) = replay(conn, user, key, hash, now)?
            {
                return Ok(replayed);
            }
            return Err(error);
        }
    };

    // Two requests with the same key at once: the key row is written first, so the second
    // waits for the first's (on SQLite, for the single writer), fails on it, and is answered
    // with the first's incident.
    let attempt = |conn: &mut DbConnection| {
        write_transaction(conn, |conn| {
            create_once(
                conn,
                user,
                &id,
                &data,
                submit,
                request.idempotency.as_ref(),
                now,
            )
        })
    };
    match attempt(conn) {
        Err(Attempt::KeyTakenMeanwhile) => match attempt(conn) {
            Ok(created) => Ok(created),
            Err(Attempt::Failed(error)) => Err(error),
            Err(Attempt::KeyTakenMeanwhile) => Err(AppError::Conflict(
                "Another request with this Idempotency-Key is being handled; retry it.".to_string(),
            )),
        },
        Err(Attempt::Failed(error)) => Err(error),
        Ok(created) => Ok(created),
    }
}

/// The incident an earlier request with this key made, answered as a read would answer it now
/// (404 when the user may no longer see it), or 422 when the key came with another body.
fn replay(
    conn: &mut DbConnection,
    user: &AuthUser,
    key: &str,
    hash: &str,
    now: NaiveDateTime,
) -> AppResult<Option<Created>> {
    let Some((stored_hash, resource_id)) = store::find_idempotency_key(conn, &user.id, key)? else {
        return Ok(None);
    };
    if stored_hash != hash {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "was used before with a different request; use a new key for a new incident",
        ));
    }
    Ok(Some(Created {
        incident: visible(conn, user, &resource_id, "incidents.create", now)?,
        replayed: true,
    }))
}

fn create_once(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    data: &IncidentData,
    submit: bool,
    idempotency: Option<&(String, String)>,
    now: NaiveDateTime,
) -> Result<Created, Attempt> {
    if let Some((key, hash)) = idempotency {
        if let Some(replayed) = replay(conn, user, key, hash, now)? {
            return Ok(replayed);
        }
        store::insert_idempotency_key(conn, &user.id, key, hash, id, now).map_err(|e| {
            if is_unique_violation(&e) {
                Attempt::KeyTakenMeanwhile
            } else {
                e.into()
            }
        })?;
    }

    let mut row = blank_row(id, &user.id, now);
    fill_row(&mut row, data);
    let mut incident = Incident {
        row,
        data: data.clone(),
    };
    let (version, details) = new_version(&user.id, None, &incident.row, data, "create", None);
    let record = audit::new_record(
        &user.audit(now),
        "incident.create",
        "incident",
        Some(id),
        details,
    );
    let children = children_of(id, data);
    store::insert_recorded(conn, &incident.row, &children, &version, &record).map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Conflict("A casualty id of this incident is already recorded.".to_string())
        } else {
            e.into()
        }
    })?;
    if submit {
        incident = submit_loaded(conn, user, incident, now)?;
    }
    Ok(Created {
        incident,
        replayed: false,
    })
}

/// A draft row with no content yet, reported now by `reporter_id`.
fn blank_row(id: &str, reporter_id: &str, now: NaiveDateTime) -> IncidentRow {
    IncidentRow {
        id: id.to_string(),
        reference: None,
        mission_code: String::new(),
        status: Status::Draft.code().to_string(),
        classification: String::new(),
        occurred_at: now,
        time_precision: String::new(),
        occurred_until: None,
        reported_at: now,
        reported_by: reporter_id.to_string(),
        place_name: None,
        admin1: None,
        admin2: None,
        latitude: None,
        longitude: None,
        geo_precision: String::new(),
        location_type: String::new(),
        attack_type: String::new(),
        weapons: String::new(),
        summary: String::new(),
        narrative: String::new(),
        verified_by: None,
        verified_at: None,
        withdrawn_reason: None,
        killed: 0,
        injured: 0,
        abducted: 0,
        missing: 0,
        search_text: String::new(),
        version: 1,
        created_at: now,
        updated_at: now,
        last_verified_version: None,
    }
}

/// Records an incident of the official fatalities dataset: verified at once, by the account
/// that stands for the dataset, with its version and audit record, in the caller's transaction.
pub(crate) fn record_imported(
    conn: &mut DbConnection,
    context: &audit::AuditContext,
    reporter_id: &str,
    data: &IncidentData,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<IncidentRow> {
    let id = Uuid::now_v7().to_string();
    let mut row = blank_row(&id, reporter_id, now);
    fill_row(&mut row, data);
    let year = row.occurred_at.year();
    let number = next_reference_number(conn, ReferenceCounter::Incidents, &row.mission_code, year)?;
    row.reference = Some(incident::reference(&row.mission_code, year, number));
    row.status = Status::Verified.code().to_string();
    row.verified_by = Some(reporter_id.to_string());
    row.verified_at = Some(now);
    row.last_verified_version = Some(row.version);
    refresh_search_text(&mut row);
    let (version, details) = new_version(reporter_id, None, &row, data, "import", Some(reason));
    let record = audit::new_record(context, "incident.import", "incident", Some(&id), details);
    store::insert_recorded(conn, &row, &children_of(&id, data), &version, &record)?;
    Ok(row)
}

/// Adds deaths that a later edition of the official dataset lists to the incident of their
/// day, as a new version (in the caller's transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_imported_victims(
    conn: &mut DbConnection,
    context: &audit::AuditContext,
    reporter_id: &str,
    incident_id: &str,
    victims: &[Victim],
    summary_and_narrative: Option<(String, String)>,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let mut incident = reload(conn, incident_id)?;
    let before = snapshot(&incident.row, &incident.data);
    incident.data.victims.extend(victims.iter().cloned());
    if let Some((summary, narrative)) = summary_and_narrative {
        incident.data.summary = summary;
        incident.data.narrative = narrative;
    }
    let data = incident.data.clone();
    fill_row(&mut incident.row, &data);
    let expected = incident.row.version;
    // The official source stands behind the deaths it adds: a verified incident of the import
    // stays verified by the dataset's account, at its new version. One amended by an officer
    // still waits for a second officer, the import's deaths included.
    if incident.status() == Status::Verified {
        incident.row.last_verified_version = Some(expected + 1);
        incident.row.verified_by = Some(reporter_id.to_string());
        incident.row.verified_at = Some(now);
    }
    save(conn, &mut incident, expected, now)?;
    store::replace_children(conn, incident_id, &children_of(incident_id, &incident.data))?;
    let (version, details) = new_version(
        reporter_id,
        Some(&before),
        &incident.row,
        &incident.data,
        "import",
        Some(reason),
    );
    store::insert_version(conn, &version)?;
    audit::append(
        conn,
        context,
        "incident.import",
        "incident",
        Some(incident_id),
        details,
    )?;
    Ok(())
}

pub fn get(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    visible(conn, user, id, "incidents.read", now)
}

/// The incident if this user may read it, found by reads alone; `None` where `get` would refuse
/// or answer 404, which only `get` records.
pub fn get_if_visible(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
) -> AppResult<Option<Incident>> {
    if !user.viewer().reads_incidents() {
        return Ok(None);
    }
    match store::find_with_children(conn, id)? {
        Some((row, children)) if may_see(user, &row) => assemble(row, children).map(Some),
        _ => Ok(None),
    }
}

/// Security officers of the incident's mission may change it; others are refused (recorded).
/// Run outside the write transaction, so the refusal's record is not rolled back with it.
fn check_may_write(
    conn: &mut DbConnection,
    user: &AuthUser,
    row: &IncidentRow,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    if user.viewer().can_write_incident(&row.mission_code) {
        return Ok(());
    }
    Err(deny(
        conn,
        user,
        attempted,
        Some(&row.id),
        now,
        &format!(
            "Only security officers of {} change its incidents.",
            row.mission_code
        ),
    ))
}

/// For handlers: the user may see this incident and change it (404 or 403, recorded, otherwise).
/// Called before a body is read, so a refused user hears nothing about their body.
pub fn check_may_change(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let row = visible_row(conn, user, id, attempted, now)?;
    check_may_write(conn, user, &row, attempted, now)
}

/// The status after the move, or 409 when the lifecycle does not allow it now.
fn check_status(incident: &Incident, action: Move, has_reason: bool) -> AppResult<Status> {
    incident::next_status(incident.status(), action, has_reason).map_err(AppError::Conflict)
}

/// The incident as stored now, inside a write transaction.
fn reload(conn: &mut DbConnection, id: &str) -> AppResult<Incident> {
    let (row, children) = store::find_with_children(conn, id)?.ok_or(AppError::NotFound)?;
    assemble(row, children)
}

fn save(
    conn: &mut DbConnection,
    incident: &mut Incident,
    expected_version: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    incident.row.version = expected_version + 1;
    incident.row.updated_at = now;
    if !store::update(conn, &incident.row, expected_version)? {
        return Err(AppError::Conflict(format!(
            "The incident was changed since you read it (version {expected_version}). Read it again."
        )));
    }
    Ok(())
}

/// A partial update: the fields sent replace the stored ones (lists whole); `null` clears.
#[allow(clippy::too_many_arguments)]
pub fn update(
    conn: &mut DbConnection,
    missions: &RecentMissions,
    user: &AuthUser,
    id: &str,
    mut patch: Map<String, Value>,
    expected_version: i64,
    reason: Option<String>,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    let current = visible(conn, user, id, "incidents.update", now)?;
    check_may_write(conn, user, &current.row, "incidents.update", now)?;
    let stale = || {
        AppError::Conflict(format!(
            "The incident was changed since you read it (version {expected_version}). Read it again."
        ))
    };
    if current.row.version != expected_version {
        return Err(stale());
    }
    let amendment = current.status() == Status::Verified;
    let reason = check_reason(reason, false)?;
    if amendment && reason.is_none() {
        return Err(AppError::invalid(
            "reason",
            "is required: a verified incident is changed by an amendment that says why",
        ));
    }
    check_status(&current, Move::Edit, true)?;
    let mut merged = match serde_json::to_value(current.data.to_input()) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(AppError::internal(
                "incident does not serialise to an object",
            ));
        }
    };
    for (key, value) in std::mem::take(&mut patch) {
        merged.insert(key, value);
    }
    let input = parse_fields::<IncidentInput>(merged)?;
    if input.mission.as_deref() != Some(current.data.mission.as_str())
        && current.row.reference.is_some()
    {
        return Err(AppError::invalid(
            "mission",
            "cannot change once the incident has a reference",
        ));
    }
    let data = prepare(
        conn,
        missions,
        user,
        &input,
        id,
        Some(&current.data),
        "incidents.update",
        now,
    )?;
    // A case's timeline never precedes its attacks: a correction cannot move this incident
    // after a step already recorded in a case on it.
    if let Some(first_step) = crate::store::cases::first_step_on_incident(conn, id)?
        && data.occurred_at.date() > first_step
    {
        return Err(AppError::invalid(
            "occurred_at",
            format!(
                "must not be after {first_step}: a case on this incident records a step on that day"
            ),
        ));
    }

    write_transaction(conn, |conn| {
        let mut incident = reload(conn, id)?;
        // The merge above started from `current`; it still holds only if nobody changed it.
        if incident.row.version != expected_version {
            return Err(stale());
        }
        check_status(&incident, Move::Edit, reason.is_some())?;
        let before = snapshot(&incident.row, &incident.data);
        fill_row(&mut incident.row, &data);
        incident.data = data;
        if amendment {
            // Nobody has yet stood behind the amended content: it waits for a second officer.
            incident.row.status = Status::Submitted.code().to_string();
            incident.row.verified_by = None;
            incident.row.verified_at = None;
        }
        save(conn, &mut incident, expected_version, now)?;
        store::replace_children(conn, id, &children_of(id, &incident.data)).map_err(|e| {
            if is_unique_violation(&e) {
                AppError::Conflict(
                    "A casualty id of this incident is already recorded.".to_string(),
                )
            } else {
                e.into()
            }
        })?;
        let action = if amendment { "amend" } else { "update" };
        let details = record_version(
            conn,
            user,
            Some(&before),
            &incident,
            action,
            reason.as_deref(),
        )?;
        audit::append(
            conn,
            &user.audit(now),
            &format!("incident.{action}"),
            "incident",
            Some(id),
            details,
        )?;
        Ok(incident)
    })
}

fn check_reason(reason: Option<String>, required: bool) -> AppResult<Option<String>> {
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    match &reason {
        None if required => Err(AppError::invalid("reason", "is required")),
        Some(r) => text_length(r, 1, 2000)
            .map(|_| reason.clone())
            .map_err(|m| AppError::invalid("reason", m)),
        None => Ok(None),
    }
}

fn submit_loaded(
    conn: &mut DbConnection,
    user: &AuthUser,
    mut incident: Incident,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    check_status(&incident, Move::Submit, false)?;
    let before = snapshot(&incident.row, &incident.data);
    let year = incident.row.occurred_at.year();
    let number = next_reference_number(
        conn,
        ReferenceCounter::Incidents,
        &incident.row.mission_code,
        year,
    )?;
    incident.row.reference = Some(incident::reference(
        &incident.row.mission_code,
        year,
        number,
    ));
    incident.row.status = Status::Submitted.code().to_string();
    incident.row.reported_at = now;
    refresh_search_text(&mut incident.row);
    let expected = incident.row.version;
    save(conn, &mut incident, expected, now)?;
    let details = record_version(conn, user, Some(&before), &incident, "submit", None)?;
    audit::append(
        conn,
        &user.audit(now),
        "incident.submit",
        "incident",
        Some(&incident.row.id),
        details,
    )?;
    Ok(incident)
}

pub fn submit(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    let current = visible_row(conn, user, id, "incidents.submit", now)?;
    check_may_write(conn, user, &current, "incidents.submit", now)?;
    write_transaction(conn, |conn| {
        let incident = reload(conn, id)?;
        submit_loaded(conn, user, incident, now)
    })
}

/// Who wrote content of this incident since it was last verified, from its history.
fn writers_since_verified(
    conn: &mut DbConnection,
    row: &IncidentRow,
) -> AppResult<std::collections::BTreeSet<String>> {
    let history = store::authorship(conn, &row.id)?;
    let steps = history
        .iter()
        .map(|(version, action, by)| verification::Step {
            version: *version,
            action,
            by,
        });
    Ok(
        verification::writers_since(steps, row.last_verified_version)
            .into_iter()
            .map(str::to_string)
            .collect(),
    )
}

/// Whether this user may verify the incident now: a security officer of its mission, the
/// incident submitted, and none of its content written by them since it was last verified.
pub fn may_verify(conn: &mut DbConnection, user: &AuthUser, row: &IncidentRow) -> AppResult<bool> {
    if !user.viewer().can_write_incident(&row.mission_code)
        || row.status != Status::Submitted.code()
    {
        return Ok(false);
    }
    Ok(!writers_since_verified(conn, row)?.contains(&user.id))
}

/// Verifies the version `expected_version` of a submitted incident (409 when it is no longer
/// the stored one), under the two-person rule (403 for anyone who wrote content since the last
/// verification).
pub fn verify(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    expected_version: i64,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    let current = visible_row(conn, user, id, "incidents.verify", now)?;
    check_may_write(conn, user, &current, "incidents.verify", now)?;
    let stale = || {
        AppError::Conflict(format!(
            "The incident was changed since you read it (version {expected_version}); read it again before you verify it."
        ))
    };
    let refused = |conn: &mut DbConnection, row: &IncidentRow| -> AppResult<Option<&'static str>> {
        let writers = writers_since_verified(conn, row)?;
        let writers = writers.iter().map(String::as_str).collect();
        Ok(verification::refusal(&user.id, &writers))
    };
    if current.version == expected_version
        && current.status == Status::Submitted.code()
        && let Some(why) = refused(conn, &current)?
    {
        return Err(deny(conn, user, "incidents.verify", Some(id), now, why));
    }
    let verified = write_transaction(conn, |conn| {
        let mut incident = reload(conn, id)?;
        check_status(&incident, Move::Verify, false)?;
        if incident.row.version != expected_version {
            return Err(stale());
        }
        // Checked again inside the transaction: the history cannot have grown since the
        // version was compared, but the rule is cheap and this keeps it in one place.
        if let Some(why) = refused(conn, &incident.row)? {
            return Err(AppError::Forbidden(why.to_string()));
        }
        let before = snapshot(&incident.row, &incident.data);
        incident.row.status = Status::Verified.code().to_string();
        incident.row.verified_by = Some(user.id.clone());
        incident.row.verified_at = Some(now);
        incident.row.last_verified_version = Some(expected_version + 1);
        save(conn, &mut incident, expected_version, now)?;
        let details = record_version(conn, user, Some(&before), &incident, "verify", None)?;
        audit::append(
            conn,
            &user.audit(now),
            "incident.verify",
            "incident",
            Some(id),
            details,
        )?;
        Ok(incident)
    });
    match verified {
        // A refusal found inside the transaction is recorded outside it, so it is not undone.
        Err(AppError::Forbidden(why)) => {
            Err(deny(conn, user, "incidents.verify", Some(id), now, &why))
        }
        other => other,
    }
}

pub fn withdraw(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    reason: Option<String>,
    now: NaiveDateTime,
) -> AppResult<Incident> {
    let current = visible_row(conn, user, id, "incidents.withdraw", now)?;
    check_may_write(conn, user, &current, "incidents.withdraw", now)?;
    let reason = check_reason(reason, true)?;
    write_transaction(conn, |conn| {
        let mut incident = reload(conn, id)?;
        check_status(&incident, Move::Withdraw, true)?;
        let before = snapshot(&incident.row, &incident.data);
        incident.row.status = Status::Withdrawn.code().to_string();
        incident.row.withdrawn_reason = reason.clone();
        let expected = incident.row.version;
        save(conn, &mut incident, expected, now)?;
        let details = record_version(
            conn,
            user,
            Some(&before),
            &incident,
            "withdraw",
            reason.as_deref(),
        )?;
        audit::append(
            conn,
            &user.audit(now),
            "incident.withdraw",
            "incident",
            Some(id),
            details,
        )?;
        Ok(incident)
    })
}

/// Every version, oldest first; without victims' names and units for those who may not see them.
pub fn history(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Vec<VersionRow>> {
    let incident = visible(conn, user, id, "incidents.history", now)?;
    let personal = user.viewer().sees_personal_data(&incident.row.mission_code);
    let mut versions = store::versions(conn, id)?;
    // A version classified higher than the reader's clearance (before a downgrade) is withheld:
    // its number, time and author stay, its content does not; and the change that followed it
    // shows only the new values.
    let mut previous_hidden = false;
    for version in &mut versions {
        let classification = serde_json::from_str::<Value>(&version.snapshot)
            .ok()
            .and_then(|v| v["classification"].as_str().and_then(Clearance::from_code))
            .unwrap_or(Clearance::StrictlyConfidential);
        let hidden = classification > user.clearance;
        if hidden {
            version.snapshot = json!({ "withheld": "classified above your clearance" }).to_string();
            version.changes = json!({}).to_string();
        } else if previous_hidden
            && let Ok(Value::Object(mut changes)) = serde_json::from_str::<Value>(&version.changes)
        {
            for change in changes.values_mut() {
                if let Value::Object(fields) = change {
                    fields.remove("from");
                }
            }
            version.changes = Value::Object(changes).to_string();
        }
        previous_hidden = hidden;
    }
    if !personal {
        for version in &mut versions {
            for text in [&mut version.changes, &mut version.snapshot] {
                if let Ok(mut value) = serde_json::from_str::<Value>(text) {
                    incident::redact_personal(&mut value);
                    *text = value.to_string();
                }
            }
        }
    }
    Ok(versions)
}

/// What a list asks for, as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub missions: Vec<String>,
    pub status: Option<String>,
    pub attack_type: Option<String>,
    pub classification: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub fatal: Option<bool>,
    /// Only those the user may verify: submitted, of their missions, none of their content
    /// written by the user since the last verification.
    pub awaiting_my_verification: bool,
    pub q: Option<String>,
    pub after: Option<(NaiveDateTime, String)>,
    pub limit: i64,
}

/// What a user may see of a list request, as the store's filter.
pub(crate) fn filter_for(user: &AuthUser, request: ListRequest) -> IncidentFilter {
    let viewer = user.viewer();
    IncidentFilter {
        missions: request.missions,
        viewer_missions: (!user.all_missions).then(|| user.missions.clone()),
        classifications_allowed: Clearance::ALL
            .into_iter()
            .filter(|c| *c <= viewer.clearance)
            .map(|c| c.code().to_string())
            .collect(),
        include_drafts: viewer.role == Role::SecurityOfficer,
        status: request.status,
        attack_type: request.attack_type,
        classification: request.classification,
        from: request.from,
        to: request.to,
        fatal: request.fatal,
        awaiting_verification_by: request.awaiting_my_verification.then(|| user.id.clone()),
        words: request
            .q
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect(),
        after: request.after,
    }
}

/// Only readers of incident content may list or export them (refusals are recorded).
pub(crate) fn check_may_read(
    conn: &mut DbConnection,
    user: &AuthUser,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    require_reader(conn, user, attempted, now)
}

/// Incidents the user may see, newest first, one page (asks for one more to know if more follow).
pub fn list(
    conn: &mut DbConnection,
    user: &AuthUser,
    request: ListRequest,
    now: NaiveDateTime,
) -> AppResult<Vec<ListedIncident>> {
    require_reader(conn, user, "incidents.list", now)?;
    if request.awaiting_my_verification && user.role != Role::SecurityOfficer {
        // Only security officers verify.
        return Ok(Vec::new());
    }
    let limit = request.limit;
    Ok(store::list_page(
        conn,
        &filter_for(user, request),
        limit + 1,
    )?)
}
