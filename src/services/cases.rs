//! Accountability cases: open, read, change, move along the timeline, accused persons,
//! documents, lists.
//!
//! As for incidents: checks that may refuse and record the refusal run before the write
//! transaction (so the record is not rolled back with it); the transaction reloads what it
//! changes and checks its version. A case the user may not see answers `NotFound`.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Attempt, case_versions, parse_fields as parse};
use crate::auth::{AuthUser, policy};
use crate::db::{DbConnection, write_transaction};
use crate::domain::access::{Clearance, Role};
use crate::domain::case::{
    self as rules, Accused, AccusedInput, CaseFields, CaseInput, CaseStatus, DocumentFields,
    Sentence, TransitionInput, TransitionRefusal,
};
use crate::domain::incident::Status as IncidentStatus;
use crate::domain::validation::FieldError;
use crate::error::{AppError, AppResult};
use crate::store::cases::{
    self as store, AccusedRow, CaseFilter, CaseRow, DocumentRow, TransitionRow,
};
use crate::store::files::{FileProblem, FileStore};
use crate::store::incidents::{self as incident_store, IncidentRow};
use crate::store::{ReferenceCounter, audit, is_unique_violation, next_reference_number, users};

/// A case with its linked incidents (all of them, whoever looks).
#[derive(Debug, Clone)]
pub struct Case {
    pub row: CaseRow,
    pub incidents: Vec<IncidentRow>,
}

impl Case {
    pub fn status(&self) -> CaseStatus {
        CaseStatus::from_code(&self.row.status).unwrap_or(CaseStatus::Opened)
    }

    fn fields(&self) -> CaseFields {
        CaseFields {
            incident_ids: self.incidents.iter().map(|i| i.id.clone()).collect(),
            jurisdiction: self.row.jurisdiction.clone(),
            authority: self.row.authority.clone(),
            lead_officer: Some(self.row.lead_officer.clone()),
            next_action: self.row.next_action.clone(),
            next_action_due: self.row.next_action_due,
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
}

fn classification_of(row: &IncidentRow) -> Clearance {
    Clearance::from_code(&row.classification).unwrap_or(Clearance::StrictlyConfidential)
}

fn deny(
    conn: &mut DbConnection,
    user: &AuthUser,
    attempted: &str,
    id: Option<&str>,
    now: NaiveDateTime,
    why: &str,
) -> AppError {
    policy::forbid(conn, user, attempted, ("case", id), now, why)
}

fn not_found(
    conn: &mut DbConnection,
    user: &AuthUser,
    attempted: &str,
    id: &str,
    now: NaiveDateTime,
) -> AppError {
    policy::hide(conn, user, attempted, ("case", id), now)
}

fn require_reader(
    conn: &mut DbConnection,
    user: &AuthUser,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    policy::require_content_reader(conn, user, attempted, "case", now)
}

fn load(conn: &mut DbConnection, id: &str) -> AppResult<Option<Case>> {
    let Some(row) = store::find(conn, id)? else {
        return Ok(None);
    };
    let incidents = store::linked_incidents(conn, id)?;
    Ok(Some(Case { row, incidents }))
}

/// The case, if this user may see it; `NotFound` (recorded) otherwise.
fn visible(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<Case> {
    require_reader(conn, user, attempted, now)?;
    match load(conn, id)? {
        Some(case)
            if user.viewer().can_see_case(
                &case.row.mission_code,
                case.incidents.iter().map(classification_of),
            ) =>
        {
            Ok(case)
        }
        _ => Err(not_found(conn, user, attempted, id, now)),
    }
}

fn check_may_write(
    conn: &mut DbConnection,
    user: &AuthUser,
    case: &Case,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    if user.viewer().can_write_case(&case.row.mission_code) {
        return Ok(());
    }
    Err(deny(
        conn,
        user,
        attempted,
        Some(&case.row.id),
        now,
        &format!(
            "Only legal officers of {} change its cases.",
            case.row.mission_code
        ),
    ))
}

/// For handlers: the user may see this case and change it (404 or 403, recorded, otherwise).
/// Called before a body is read, so a refused user hears nothing about their body.
pub fn check_may_change(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let case = visible(conn, user, id, attempted, now)?;
    check_may_write(conn, user, &case, attempted, now)
}

/// Only legal officers open cases (refusals are recorded).
pub fn check_may_create(
    conn: &mut DbConnection,
    user: &AuthUser,
    now: NaiveDateTime,
) -> AppResult<()> {
    require_reader(conn, user, "cases.create", now)?;
    if user.role != Role::LegalOfficer {
        return Err(deny(
            conn,
            user,
            "cases.create",
            None,
            now,
            "Only legal officers open cases.",
        ));
    }
    Ok(())
}

/// Checks incidents being linked to a case: each must exist and be visible to the user, be
/// submitted or verified, and belong to `mission` (or, for a new case, to the mission of the
/// first). Returns their rows and the problems, each named by its place in `incident_ids`.
fn check_new_links(
    conn: &mut DbConnection,
    user: &AuthUser,
    all_ids: &[String],
    already_linked: &[String],
    mut mission: Option<String>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<IncidentRow>> {
    let mut rows = Vec::new();
    for (i, id) in all_ids.iter().enumerate() {
        if already_linked.contains(id) {
            continue;
        }
        let field = format!("incident_ids[{i}]");
        let row = incident_store::find(conn, id)?.filter(|row| {
            user.viewer().can_see_incident(
                &row.mission_code,
                row.status == IncidentStatus::Draft.code(),
                classification_of(row),
            )
        });
        let Some(row) = row else {
            errors.push(FieldError::new(field, "is not an incident you can see"));
            continue;
        };
        if row.status != IncidentStatus::Submitted.code()
            && row.status != IncidentStatus::Verified.code()
        {
            errors.push(FieldError::new(
                field,
                format!(
                    "must be a submitted or verified incident (this one is {})",
                    row.status
                ),
            ));
            continue;
        }
        match &mission {
            Some(expected) if *expected != row.mission_code => {
                errors.push(FieldError::new(
                    field,
                    format!(
                        "is an incident of {}; a case covers incidents of one mission ({expected})",
                        row.mission_code
                    ),
                ));
                continue;
            }
            Some(_) => {}
            None => mission = Some(row.mission_code.clone()),
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The lead officer must be an active legal officer who works on the mission.
fn check_lead_officer(
    conn: &mut DbConnection,
    lead: &str,
    mission: &str,
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    let fitting = match users::find_by_id(conn, lead)? {
        Some(user) if !user.disabled && user.role == Role::LegalOfficer.code() => {
            user.all_missions || users::missions_of(conn, lead)?.iter().any(|m| m == mission)
        }
        _ => false,
    };
    if !fitting {
        errors.push(FieldError::new(
            "lead_officer",
            format!("must be the id of an active legal officer who works on {mission}"),
        ));
    }
    Ok(())
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
fn fill_row(row: &mut CaseRow, fields: &CaseFields) {
    row.jurisdiction = fields.jurisdiction.clone();
    row.authority = fields.authority.clone();
    if let Some(lead) = &fields.lead_officer {
        row.lead_officer = lead.clone();
    }
    row.next_action = fields.next_action.clone();
    row.next_action_due = fields.next_action_due;
    row.notes = fields.notes.clone();
    refresh_derived(row);
}

fn refresh_derived(row: &mut CaseRow) {
    let status = CaseStatus::from_code(&row.status).unwrap_or(CaseStatus::Opened);
    row.urgency = rules::urgency(status, row.next_action_due);
    row.search_text = search_text(row);
}

/// A creating request: the body, and the client's `Idempotency-Key` with the body's hash.
pub struct CreateRequest {
    pub body: Map<String, Value>,
    pub idempotency: Option<(String, String)>,
}

pub struct Created {
    pub case: CaseDetail,
    pub replayed: bool,
}

/// Opens a case on submitted or verified incidents of one mission. `opened_on` (optional,
/// default today) dates the first step of the timeline, for cases that began before the
/// registry knew of them.
pub fn create(
    conn: &mut DbConnection,
    user: &AuthUser,
    request: CreateRequest,
    now: NaiveDateTime,
) -> AppResult<Created> {
    check_may_create(conn, user, now)?;
    if let Some((key, hash)) = &request.idempotency
        && let Some(replayed) = replay(conn, user, key, hash, now)?
    {
        return Ok(replayed);
    }
    let today = now.date();
    let mut body = request.body;
    let opened_on = match body.remove("opened_on") {
        None | Some(Value::Null) => Ok(today),
        Some(Value::String(text)) => rules::parse_date(&text),
        Some(_) => Err("must be a date YYYY-MM-DD".to_string()),
    };
    let input: CaseInput = parse(body)?;
    let validated = rules::validate_case(&input);
    let mut errors = validated.as_ref().err().cloned().unwrap_or_default();
    let linked = check_new_links(conn, user, &input.incident_ids, &[], None, &mut errors)?;
    let mission = linked.first().map(|i| i.mission_code.clone());
    if let Some(mission) = &mission
        && !user.viewer().can_write_case(mission)
    {
        return Err(deny(
            conn,
            user,
            "cases.create",
            None,
            now,
            &format!("Only legal officers of {mission} open its cases."),
        ));
    }
    match (&opened_on, earliest_on(&linked)) {
        (Err(message), _) => errors.push(FieldError::new("opened_on", message.clone())),
        (Ok(date), earliest) => {
            if let Err(message) =
                rules::check_effective_on(*date, earliest.unwrap_or(*date), None, today)
            {
                errors.push(FieldError::new("opened_on", message));
            }
        }
    }
    let lead = input
        .lead_officer
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map_or_else(|| user.id.clone(), str::to_string);
    if let Some(mission) = &mission {
        check_lead_officer(conn, &lead, mission, &mut errors)?;
    }
    let (mut fields, mission, opened_on) = match (validated, mission, opened_on) {
        (Ok(fields), Some(mission), Ok(opened_on)) if errors.is_empty() => {
            (fields, mission, opened_on)
        }
        _ => return Err(AppError::Validation(errors)),
    };
    fields.lead_officer = Some(lead);

    let id = Uuid::now_v7().to_string();
    let attempt = |conn: &mut DbConnection| {
        write_transaction(conn, |conn| {
            create_once(
                conn,
                user,
                &id,
                &fields,
                &mission,
                opened_on,
                request.idempotency.as_ref(),
                now,
            )
        })
    };
    let created_id = match attempt(conn) {
        Err(Attempt::KeyTakenMeanwhile) => match attempt(conn) {
            Ok(id) => id,
            Err(Attempt::Failed(error)) => return Err(error),
            Err(Attempt::KeyTakenMeanwhile) => {
                return Err(AppError::Conflict(
                    "Another request with this Idempotency-Key is being handled; retry it."
                        .to_string(),
                ));
            }
        },
        Err(Attempt::Failed(error)) => return Err(error),
        Ok(id) => id,
    };
    let replayed = created_id != id;
    let case = load(conn, &created_id)?.ok_or(AppError::NotFound)?;
    Ok(Created {
        case: detail(conn, user, case)?,
        replayed,
    })
}

/// The case an earlier request with this key made, or 422 when the key came with another body.
fn replay(
    conn: &mut DbConnection,
    user: &AuthUser,
    key: &str,
    hash: &str,
    now: NaiveDateTime,
) -> AppResult<Option<Created>> {
    let Some(case_id) = replayed_id(conn, user, key, hash)? else {
        return Ok(None);
    };
    let case = visible(conn, user, &case_id, "cases.create", now)?;
    Ok(Some(Created {
        case: detail(conn, user, case)?,
        replayed: true,
    }))
}

fn replayed_id(
    conn: &mut DbConnection,
    user: &AuthUser,
    key: &str,
    hash: &str,
) -> AppResult<Option<String>> {
    let Some((stored_hash, resource_id)) =
        incident_store::find_idempotency_key(conn, &user.id, key)?
    else {
        return Ok(None);
    };
    if stored_hash != hash {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "was used before with a different request; use a new key for a new case",
        ));
    }
    Ok(Some(resource_id))
}

#[allow(clippy::too_many_arguments)]
fn create_once(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    fields: &CaseFields,
    mission: &str,
    opened_on: NaiveDate,
    idempotency: Option<&(String, String)>,
    now: NaiveDateTime,
) -> Result<String, Attempt> {
    if let Some((key, hash)) = idempotency {
        if let Some(existing) = replayed_id(conn, user, key, hash)? {
            return Ok(existing);
        }
        incident_store::insert_idempotency_key(conn, &user.id, key, hash, id, now).map_err(
            |e| {
                if is_unique_violation(&e) {
                    Attempt::KeyTakenMeanwhile
                } else {
                    e.into()
                }
            },
        )?;
    }
    let number = next_reference_number(conn, ReferenceCounter::Cases, mission, opened_on.year())?;
    let mut row = CaseRow {
        id: id.to_string(),
        reference: rules::reference(mission, opened_on.year(), number),
        mission_code: mission.to_string(),
        status: CaseStatus::Opened.code().to_string(),
        jurisdiction: String::new(),
        authority: None,
        lead_officer: user.id.clone(),
        next_action: None,
        next_action_due: None,
        urgency: opened_on,
        notes: None,
        closure_reason: None,
        opened_on,
        last_moved_on: opened_on,
        search_text: String::new(),
        version: 1,
        created_by: user.id.clone(),
        created_at: now,
        updated_at: now,
    };
    fill_row(&mut row, fields);
    store::insert(conn, &row)?;
    store::set_incidents(conn, id, &fields.incident_ids)?;
    store::insert_transition(
        conn,
        &TransitionRow {
            case_id: id.to_string(),
            position: 0,
            from_status: None,
            to_status: CaseStatus::Opened.code().to_string(),
            effective_on: opened_on,
            note: None,
            closure_reason: None,
            entered_by: user.id.clone(),
            entered_at: now,
        },
    )?;
    let details = case_versions::record(conn, &user.id, id, None, "create", now)?;
    audit::append(
        conn,
        &user.audit(now),
        "case.create",
        "case",
        Some(id),
        details,
    )?;
    Ok(id.to_string())
}

/// Everything of a case this user may see.
fn detail(conn: &mut DbConnection, user: &AuthUser, case: Case) -> AppResult<CaseDetail> {
    let Case { row, incidents } = case;
    let total = incidents.len();
    let incidents: Vec<IncidentRow> = incidents
        .into_iter()
        .filter(|i| classification_of(i) <= user.clearance)
        .collect();
    Ok(CaseDetail {
        lead_officer_username: store::username_of(conn, &row.lead_officer)?,
        withheld_incidents: total - incidents.len(),
        incidents,
        timeline: store::transitions(conn, &row.id)?,
        accused: store::accused(conn, &row.id)?,
        documents: store::documents(conn, &row.id)?,
        personal: user.viewer().sees_personal_data(&row.mission_code),
        row,
    })
}

pub fn get(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<CaseDetail> {
    let case = visible(conn, user, id, "cases.read", now)?;
    detail(conn, user, case)
}

fn stale(expected_version: i64) -> AppError {
    AppError::Conflict(format!(
        "The case was changed since you read it (version {expected_version}). Read it again."
    ))
}

/// Writes the row as the next version, or 409 when someone else changed it first.
fn save(conn: &mut DbConnection, row: &mut CaseRow, now: NaiveDateTime) -> AppResult<()> {
    let expected = row.version;
    row.version = expected + 1;
    row.updated_at = now;
    if !store::update(conn, row, expected)? {
        return Err(stale(expected));
    }
    Ok(())
}

/// A partial update of the descriptive fields and the linked incidents; `null` clears.
pub fn update(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    patch: Map<String, Value>,
    expected_version: i64,
    now: NaiveDateTime,
) -> AppResult<CaseDetail> {
    let current = visible(conn, user, id, "cases.update", now)?;
    check_may_write(conn, user, &current, "cases.update", now)?;
    if current.row.version != expected_version {
        return Err(stale(expected_version));
    }
    let withheld = current
        .incidents
        .iter()
        .any(|i| classification_of(i) > user.clearance);
    let changes_links = patch.contains_key("incident_ids");
    let mut merged = match serde_json::to_value(current.fields().to_input()) {
        Ok(Value::Object(map)) => map,
        _ => return Err(AppError::internal("case does not serialise to an object")),
    };
    merged.extend(patch);
    let input: CaseInput = parse(merged)?;
    let validated = rules::validate_case(&input);
    let mut errors = validated.as_ref().err().cloned().unwrap_or_default();
    if changes_links && withheld {
        errors.push(FieldError::new(
            "incident_ids",
            "cannot be changed by you: the case links incidents classified above your clearance",
        ));
    }
    let linked_ids: Vec<String> = current.incidents.iter().map(|i| i.id.clone()).collect();
    let added = check_new_links(
        conn,
        user,
        &input.incident_ids,
        &linked_ids,
        Some(current.row.mission_code.clone()),
        &mut errors,
    )?;
    let kept = current
        .incidents
        .iter()
        .filter(|i| input.incident_ids.contains(&i.id));
    let earliest = kept.chain(added.iter()).map(|i| i.occurred_at.date()).min();
    let first_step = store::transitions(conn, id)?
        .iter()
        .map(|step| step.effective_on)
        .min();
    if changes_links
        && let (Some(earliest), Some(first_step)) = (earliest, first_step)
        && earliest > first_step
    {
        errors.push(FieldError::new(
            "incident_ids",
            format!(
                "the timeline starts on {first_step}, before the earliest of these incidents ({earliest})"
            ),
        ));
    }
    if let Some(lead) = input
        .lead_officer
        .as_deref()
        .map(str::trim)
        .filter(|l| *l != current.row.lead_officer)
    {
        check_lead_officer(conn, lead, &current.row.mission_code, &mut errors)?;
    }
    let fields = match validated {
        Ok(mut fields) if errors.is_empty() => {
            if fields.lead_officer.is_none() {
                fields.lead_officer = Some(current.row.lead_officer.clone());
            }
            fields
        }
        _ => return Err(AppError::Validation(errors)),
    };

    write_transaction(conn, |conn| {
        let mut case = load(conn, id)?.ok_or(AppError::NotFound)?;
        if case.row.version != expected_version {
            return Err(stale(expected_version));
        }
        let before = case_versions::snapshot_of(conn, id)?;
        fill_row(&mut case.row, &fields);
        save(conn, &mut case.row, now)?;
        let old_ids: Vec<&String> = case.incidents.iter().map(|i| &i.id).collect();
        if old_ids.len() != fields.incident_ids.len()
            || fields.incident_ids.iter().any(|i| !old_ids.contains(&i))
        {
            store::set_incidents(conn, id, &fields.incident_ids)?;
        }
        let details = case_versions::record(conn, &user.id, id, before.as_ref(), "update", now)?;
        audit::append(
            conn,
            &user.audit(now),
            "case.update",
            "case",
            Some(id),
            details,
        )?;
        Ok(())
    })?;
    get(conn, user, id, now)
}

/// Moves a case along its timeline. Two moves from the same status: the first wins, the
/// second finds the case moved (or, with `version`, changed) and gets 409.
pub fn transition(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
    input: TransitionInput,
    now: NaiveDateTime,
) -> AppResult<CaseDetail> {
    let current = visible(conn, user, id, "cases.transition", now)?;
    check_may_write(conn, user, &current, "cases.transition", now)?;
    write_transaction(conn, |conn| {
        let mut case = load(conn, id)?.ok_or(AppError::NotFound)?;
        if let Some(expected) = input.version
            && expected != case.row.version
        {
            return Err(stale(expected));
        }
        let before = case_versions::snapshot_of(conn, id)?;
        let from = case.status();
        let timeline = store::transitions(conn, id)?;
        // The opening (no `from`) is not a transition: earlier steps may be recorded after it.
        let previous = timeline
            .iter()
            .filter(|step| step.from_status.is_some())
            .map(|step| step.effective_on)
            .max();
        let step = rules::validate_transition(
            &input,
            from,
            case.earliest_incident_on(),
            previous,
            now.date(),
        )
        .map_err(|refusal| match refusal {
            TransitionRefusal::Invalid(errors) => AppError::Validation(errors),
            TransitionRefusal::NotAllowed { from, allowed } => {
                let codes: Vec<String> = allowed.iter().map(|s| s.code().to_string()).collect();
                AppError::MoveNotAllowed {
                    detail: if codes.is_empty() {
                        format!("The case is {}: it can no longer move.", from.code())
                    } else {
                        format!(
                            "A case that is {} can move only to: {}.",
                            from.code(),
                            codes.join(", ")
                        )
                    },
                    allowed: codes,
                }
            }
        })?;
        let position = timeline.len() as i32;
        case.row.status = step.to.code().to_string();
        case.row.closure_reason = step.closure_reason.clone();
        case.row.last_moved_on = step.effective_on;
        refresh_derived(&mut case.row);
        save(conn, &mut case.row, now)?;
        store::insert_transition(
            conn,
            &TransitionRow {
                case_id: id.to_string(),
                position,
                from_status: Some(from.code().to_string()),
                to_status: step.to.code().to_string(),
                effective_on: step.effective_on,
                note: step.note.clone(),
                closure_reason: step.closure_reason.clone(),
                entered_by: user.id.clone(),
                entered_at: now,
            },
        )?;
        let details =
            case_versions::record(conn, &user.id, id, before.as_ref(), "transition", now)?;
        audit::append(
            conn,
            &user.audit(now),
            "case.transition",
            "case",
            Some(id),
            details,
        )?;
        Ok(())
    })?;
    get(conn, user, id, now)
}

fn accused_row(id: &str, case_id: &str, accused: &Accused, now: NaiveDateTime) -> AccusedRow {
    let sentence = accused.sentence.clone().unwrap_or_default();
    AccusedRow {
        id: id.to_string(),
        case_id: case_id.to_string(),
        name: accused.name.clone(),
        affiliation: accused.affiliation.clone(),
        status: accused.status.clone(),
        charges: accused.charges.clone(),
        verdict: accused.verdict.clone(),
        sentence_type: sentence.sentence_type,
        sentence_months: sentence.months,
        sentence_details: sentence.details,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

pub fn accused_of(row: &AccusedRow) -> Accused {
    Accused {
        name: row.name.clone(),
        affiliation: row.affiliation.clone(),
        status: row.status.clone(),
        charges: row.charges.clone(),
        verdict: row.verdict.clone(),
        sentence: row.sentence_type.as_ref().map(|t| Sentence {
            sentence_type: Some(t.clone()),
            months: row.sentence_months,
            details: row.sentence_details.clone(),
        }),
    }
}

/// The audit trail records what changed about an accused person, but never their name.
/// The names of an accused person's fields that a change touched (never their values).
fn accused_fields(before: &Accused, after: &Accused) -> Vec<String> {
    let as_json =
        |accused: &Accused| serde_json::to_value(accused.to_input()).unwrap_or(Value::Null);
    crate::domain::snapshot::changed_fields(&as_json(before), &as_json(after))
}

/// Whether the case's timeline ever reached a judgment.
fn reached_judgment(conn: &mut DbConnection, case_id: &str) -> AppResult<bool> {
    let timeline = store::transitions(conn, case_id)?;
    Ok(rules::reached_judgment(
        timeline
            .iter()
            .filter_map(|step| CaseStatus::from_code(&step.to_status)),
    ))
}

pub fn add_accused(
    conn: &mut DbConnection,
    user: &AuthUser,
    case_id: &str,
    body: Map<String, Value>,
    now: NaiveDateTime,
) -> AppResult<(AccusedRow, bool)> {
    let current = visible(conn, user, case_id, "cases.accused.add", now)?;
    check_may_write(conn, user, &current, "cases.accused.add", now)?;
    let input: AccusedInput = parse(body)?;
    let id = Uuid::now_v7().to_string();
    let row = write_transaction(conn, |conn| {
        store::find(conn, case_id)?.ok_or(AppError::NotFound)?;
        let judged = reached_judgment(conn, case_id)?;
        let accused =
            rules::validate_accused(&input, judged, None).map_err(AppError::Validation)?;
        let row = accused_row(&id, case_id, &accused, now);
        let before = case_versions::snapshot_of(conn, case_id)?;
        store::insert_accused(conn, &row)?;
        let mut details =
            case_versions::record(conn, &user.id, case_id, before.as_ref(), "accused.add", now)?;
        details["accused_id"] = json!(id);
        audit::append(
            conn,
            &user.audit(now),
            "case.accused.add",
            "case",
            Some(case_id),
            details,
        )?;
        Ok::<_, AppError>(row)
    })?;
    Ok((
        row,
        user.viewer().sees_personal_data(&current.row.mission_code),
    ))
}

pub fn update_accused(
    conn: &mut DbConnection,
    user: &AuthUser,
    case_id: &str,
    accused_id: &str,
    patch: Map<String, Value>,
    expected_version: i64,
    now: NaiveDateTime,
) -> AppResult<(AccusedRow, bool)> {
    let current = visible(conn, user, case_id, "cases.accused.update", now)?;
    check_may_write(conn, user, &current, "cases.accused.update", now)?;
    let stored = store::find_accused(conn, case_id, accused_id)?.ok_or(AppError::NotFound)?;
    let stale_accused = || {
        AppError::Conflict(format!(
            "The accused person's record was changed since you read it (version {expected_version}). Read it again."
        ))
    };
    if stored.version != expected_version {
        return Err(stale_accused());
    }
    let mut merged = match serde_json::to_value(accused_of(&stored).to_input()) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(AppError::internal(
                "accused does not serialise to an object",
            ));
        }
    };
    merged.extend(patch);
    let input: AccusedInput = parse(merged)?;
    let row = write_transaction(conn, |conn| {
        let stored = store::find_accused(conn, case_id, accused_id)?.ok_or(AppError::NotFound)?;
        if stored.version != expected_version {
            return Err(stale_accused());
        }
        let judged = reached_judgment(conn, case_id)?;
        let accused = rules::validate_accused(&input, judged, Some(&stored.verdict))
            .map_err(AppError::Validation)?;
        let mut row = accused_row(accused_id, case_id, &accused, now);
        row.version = expected_version + 1;
        row.created_at = stored.created_at;
        let before = case_versions::snapshot_of(conn, case_id)?;
        if !store::update_accused(conn, &row, expected_version)? {
            return Err(stale_accused());
        }
        let mut details = case_versions::record(
            conn,
            &user.id,
            case_id,
            before.as_ref(),
            "accused.update",
            now,
        )?;
        details["accused_id"] = json!(accused_id);
        details["accused_fields"] = json!(accused_fields(&accused_of(&stored), &accused));
        audit::append(
            conn,
            &user.audit(now),
            "case.accused.update",
            "case",
            Some(case_id),
            details,
        )?;
        Ok(row)
    })?;
    Ok((
        row,
        user.viewer().sees_personal_data(&current.row.mission_code),
    ))
}

/// An uploaded file: its bytes and the name the client gave it (kept for display only).
pub struct Upload {
    pub bytes: Vec<u8>,
    pub file_name: Option<String>,
}

/// Keeps letters, digits, dots, dashes and underscores of a client's file name (for the
/// download's suggested name only: files are stored under their hash).
fn clean_file_name(name: Option<&str>) -> String {
    let base = name.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "document".to_string()
    } else {
        cleaned
    }
}

pub fn add_document(
    conn: &mut DbConnection,
    user: &AuthUser,
    case_id: &str,
    fields: DocumentFields,
    upload: Upload,
    files: &FileStore,
    now: NaiveDateTime,
) -> AppResult<DocumentRow> {
    let current = visible(conn, user, case_id, "cases.documents.add", now)?;
    check_may_write(conn, user, &current, "cases.documents.add", now)?;
    let media_type =
        rules::document_media_type(&upload.bytes).ok_or(AppError::UnsupportedFileType)?;
    let sha256 = files.save(&upload.bytes).map_err(AppError::internal)?;
    let row = DocumentRow {
        id: Uuid::now_v7().to_string(),
        case_id: case_id.to_string(),
        title: fields.title,
        kind: fields.kind,
        document_date: fields.date,
        media_type: media_type.to_string(),
        size_bytes: upload.bytes.len() as i64,
        sha256,
        file_name: clean_file_name(upload.file_name.as_deref()),
        uploaded_by: user.id.clone(),
        uploaded_at: now,
    };
    write_transaction(conn, |conn| {
        store::find(conn, case_id)?.ok_or(AppError::NotFound)?;
        let before = case_versions::snapshot_of(conn, case_id)?;
        store::insert_document(conn, &row)?;
        let mut details = case_versions::record(
            conn,
            &user.id,
            case_id,
            before.as_ref(),
            "document.add",
            now,
        )?;
        details["document_id"] = json!(row.id);
        details["kind"] = json!(row.kind);
        details["media_type"] = json!(row.media_type);
        details["size_bytes"] = json!(row.size_bytes);
        details["sha256"] = json!(row.sha256);
        audit::append(
            conn,
            &user.audit(now),
            "case.document.add",
            "case",
            Some(case_id),
            details,
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(row)
}

/// A document's bytes, checked against the hash recorded at upload. Needs clearance
/// `confidential`; every download, and every failed check, is recorded.
pub fn download_document(
    conn: &mut DbConnection,
    user: &AuthUser,
    case_id: &str,
    document_id: &str,
    files: &FileStore,
    now: NaiveDateTime,
) -> AppResult<(DocumentRow, Vec<u8>)> {
    let attempted = "cases.documents.download";
    let case = visible(conn, user, case_id, attempted, now)?;
    let Some(row) = store::find_document(conn, case_id, document_id)? else {
        return Err(not_found(conn, user, attempted, document_id, now));
    };
    if user.clearance < Clearance::Confidential || !user.viewer().works_on(&case.row.mission_code) {
        return Err(deny(
            conn,
            user,
            attempted,
            Some(case_id),
            now,
            "Downloading case documents needs clearance `confidential` or higher.",
        ));
    }
    match files.read_checked(&row.sha256) {
        Ok(bytes) => {
            audit::append_alone(
                conn,
                &user.audit(now),
                "case.document.download",
                "case",
                Some(case_id),
                json!({ "document_id": row.id, "sha256": row.sha256 }),
            )?;
            Ok((row, bytes))
        }
        Err(FileProblem::Unreadable(error)) => Err(AppError::internal(format!(
            "document {} unreadable: {error}",
            row.id
        ))),
        Err(problem) => {
            tracing::error!(
                document_id = %row.id,
                case_id = %case_id,
                problem = %problem,
                "document integrity failure: the stored file does not match its recorded hash"
            );
            audit::append_alone(
                conn,
                &user.audit(now),
                "case.document.integrity_failure",
                "case",
                Some(case_id),
                json!({ "document_id": row.id, "sha256": row.sha256, "problem": problem.to_string() }),
            )?;
            Err(AppError::IntegrityFailure)
        }
    }
}

/// A document whose file is missing or altered.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FailedDocument {
    pub document_id: String,
    pub case_id: String,
    pub sha256: String,
    pub problem: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DocumentCheck {
    pub intact: bool,
    pub checked: u64,
    pub failed: Vec<FailedDocument>,
}

/// Rehashes every stored document against the hash recorded at its upload.
pub fn check_documents(conn: &mut DbConnection, files: &FileStore) -> AppResult<DocumentCheck> {
    let mut checked = 0;
    let mut failed = Vec::new();
    let mut after = String::new();
    loop {
        let batch = store::documents_after(conn, &after, 500)?;
        let Some(last) = batch.last() else { break };
        after = last.id.clone();
        for row in batch {
            checked += 1;
            if let Err(problem) = files.read_checked(&row.sha256) {
                failed.push(FailedDocument {
                    document_id: row.id,
                    case_id: row.case_id,
                    sha256: row.sha256,
                    problem: problem.to_string(),
                });
            }
        }
    }
    Ok(DocumentCheck {
        intact: failed.is_empty(),
        checked,
        failed,
    })
}

/// What a list asks for, as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub missions: Vec<String>,
    pub statuses: Vec<String>,
    pub lead_officer: Option<String>,
    pub jurisdiction: Option<String>,
    pub due_before: Option<NaiveDate>,
    pub stalled_days: Option<u32>,
    pub q: Option<String>,
    pub after: Option<(NaiveDate, String)>,
    pub limit: i64,
}

/// Cases the user may see, most urgent first, one page (one more row to know if more follow).
pub fn list(
    conn: &mut DbConnection,
    user: &AuthUser,
    request: ListRequest,
    now: NaiveDateTime,
) -> AppResult<Vec<CaseRow>> {
    require_reader(conn, user, "cases.list", now)?;
    let filter = CaseFilter {
        missions: request.missions,
        viewer_missions: (!user.all_missions).then(|| user.missions.clone()),
        classifications_allowed: (user.clearance < Clearance::StrictlyConfidential).then(|| {
            Clearance::ALL
                .into_iter()
                .filter(|c| *c <= user.clearance)
                .map(|c| c.code().to_string())
                .collect()
        }),
        statuses: request.statuses,
        lead_officer: request.lead_officer,
        jurisdiction: request.jurisdiction,
        due_by: request.due_before,
        moved_before: request
            .stalled_days
            .map(|days| now.date() - chrono::Days::new(days.into())),
        words: request
            .q
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect(),
        after: request.after,
    };
    Ok(store::list(conn, &filter, request.limit + 1)?)
}
