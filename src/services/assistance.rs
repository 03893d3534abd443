//! Assistance to host States: recorded and corrected by the legal officers and leadership of the
//! mission that gave it, read by its staff and by the focal points of the State assisted. Each
//! version is kept with its snapshot; its audit record carries the snapshot's hash and the names
//! of the fields that changed, never their values.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Value, json};
use uuid::Uuid;

use super::access::Guarded;
use super::idempotency::{self, Attempt, IdempotencyKey};
use crate::auth::Actor;
use crate::db::{DbConnection, write_transaction};
use crate::domain::access::Role;
use crate::domain::assistance::{
    Assistance, AssistanceChanges, AssistanceInput, validate_assistance,
};
use crate::domain::snapshot::{self, ChangeFacts};
use crate::domain::validation::FieldError;
use crate::error::{AppError, AppResult};
use crate::store::assistance::{self as store, AssistanceFilter, AssistanceVersionRow};
use crate::store::audit;
use crate::store::{Page, missions, users};

pub use crate::store::assistance::AssistanceRow;

/// A record of assistance with the cases it served, as stored.
pub struct Record {
    pub row: AssistanceRow,
    pub case_ids: Vec<String>,
}

impl Record {
    fn fields(&self) -> Assistance {
        Assistance {
            assistance_type: self.row.assistance_type.clone(),
            state: self.row.state.clone(),
            mission: self.row.mission_code.clone(),
            from: self.row.from_on,
            to: self.row.to_on,
            provider: self.row.provider.clone(),
            description: self.row.description.clone(),
            case_ids: self.case_ids.clone(),
        }
    }
}

impl Guarded for Record {
    const KIND: &'static str = "assistance";

    fn find(conn: &mut DbConnection, id: &str) -> AppResult<Option<Self>> {
        let Some(row) = store::find(conn, id)? else {
            return Ok(None);
        };
        let case_ids = store::cases_of(conn, id)?;
        Ok(Some(Record { row, case_ids }))
    }

    /// The mission's staff, and the focal points of the State assisted.
    fn may_see(&self, user: &Actor) -> bool {
        user.viewer().works_on(&self.row.mission_code)
            || (user.role == Role::StateFocalPoint
                && user.state.as_deref() == Some(self.row.state.as_str()))
    }

    fn may_change(&self, user: &Actor) -> Result<(), String> {
        if writes(user) && user.viewer().works_on(&self.row.mission_code) {
            return Ok(());
        }
        Err(format!(
            "Only legal officers and leadership of {} record its assistance.",
            self.row.mission_code
        ))
    }
}

/// Legal officers and leadership record assistance (of the missions they work on).
pub fn writes(user: &Actor) -> bool {
    matches!(user.role, Role::LegalOfficer | Role::Leadership)
}

/// A record as one reader sees it: the cases it served that the reader may see, and how many
/// others (a case above the reader's clearance is not named).
pub struct Shown {
    pub row: AssistanceRow,
    pub case_ids: Vec<String>,
    pub other_cases: usize,
}

fn shown(conn: &mut DbConnection, user: &Actor, record: Record) -> AppResult<Shown> {
    let mut case_ids = Vec::new();
    for id in &record.case_ids {
        if sees_case(conn, user, id)? {
            case_ids.push(id.clone());
        }
    }
    // A focal point is not told how many cases it may not see exist.
    let other_cases = if user.role == Role::StateFocalPoint {
        0
    } else {
        record.case_ids.len() - case_ids.len()
    };
    Ok(Shown {
        other_cases,
        row: record.row,
        case_ids,
    })
}

fn sees_case(conn: &mut DbConnection, user: &Actor, id: &str) -> AppResult<bool> {
    if user.role == Role::StateFocalPoint {
        super::member_states::sees_case(conn, user, id)
    } else {
        Ok(super::cases::sees(conn, user, id)?.is_some())
    }
}

/// Every case named must be one of the mission's that the writer may see.
fn check_cases(conn: &mut DbConnection, user: &Actor, fields: &Assistance) -> AppResult<()> {
    for id in &fields.case_ids {
        if super::cases::sees(conn, user, id)?.as_deref() != Some(fields.mission.as_str()) {
            return Err(AppError::Validation(vec![FieldError::new(
                "case_ids",
                format!(
                    "`{id}` is not a case of {} that you may see",
                    fields.mission
                ),
            )]));
        }
    }
    Ok(())
}

/// Who may not record assistance hears so before its body is read (403, recorded).
pub fn check_may_create(
    conn: &mut DbConnection,
    user: &Actor,
    now: NaiveDateTime,
) -> AppResult<()> {
    Record::require_reader(conn, user, "assistance.create", now)?;
    if !writes(user) {
        let why = "Legal officers and leadership of a mission record its assistance.";
        return Err(Record::forbid(
            conn,
            user,
            "assistance.create",
            None,
            now,
            why,
        ));
    }
    Ok(())
}

/// Who may not correct this record hears so before its body is read (404 or 403, recorded).
pub fn check_may_change(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    Record::changeable(conn, user, id, "assistance.update", now).map(|_| ())
}

/// Records assistance; a retry with the same idempotency key answers the first record.
pub fn create(
    conn: &mut DbConnection,
    user: &Actor,
    input: AssistanceInput,
    key: Option<IdempotencyKey>,
    now: NaiveDateTime,
) -> AppResult<(Shown, bool)> {
    check_may_create(conn, user, now)?;
    let key = key.as_ref();
    if let Some(earlier) = idempotency::earlier(conn, user, key, "record of assistance")? {
        return Ok((get(conn, user, &earlier, now)?, true));
    }
    let fields = validate_assistance(&input, now.date()).map_err(AppError::Validation)?;
    if missions::find(conn, &fields.mission)?.is_none() {
        return Err(AppError::invalid(
            "mission",
            "is not a mission of the registry",
        ));
    }
    if !user.viewer().works_on(&fields.mission) {
        let why = format!(
            "Only legal officers and leadership of {} record its assistance.",
            fields.mission
        );
        return Err(Record::forbid(
            conn,
            user,
            "assistance.create",
            None,
            now,
            &why,
        ));
    }
    check_cases(conn, user, &fields)?;
    let id = Uuid::now_v7().to_string();
    let created = idempotency::at_most_twice(|| {
        write_transaction(conn, |conn| {
            if let Some(earlier) =
                idempotency::claim(conn, user, key, "record of assistance", &id, now)?
            {
                return Ok::<_, Attempt>(earlier);
            }
            let row = row_of(&id, &fields, 1, &user.id, now, now);
            store::insert(conn, &row)?;
            store::set_cases(conn, &id, &fields.case_ids)?;
            record_version(conn, user, &row, &fields, None, "create", now)?;
            Ok(id.clone())
        })
    })?;
    Ok((get(conn, user, &created, now)?, created != id))
}

/// Corrects a record at the version read; the mission stays.
pub fn update(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    changes: AssistanceChanges,
    expected_version: i64,
    now: NaiveDateTime,
) -> AppResult<Shown> {
    let stored = Record::changeable(conn, user, id, "assistance.update", now)?;
    let stale = || {
        AppError::Conflict(format!(
            "The record of assistance was changed since you read it (version {expected_version}). Read it again."
        ))
    };
    if stored.row.version != expected_version {
        return Err(stale());
    }
    let before = stored.fields();
    let mut input = changes.applied_to(before.to_input());
    input.mission = Some(stored.row.mission_code.clone());
    let fields = validate_assistance(&input, now.date()).map_err(AppError::Validation)?;
    // Cases named before stay, even one the writer may no longer see; new ones are checked.
    let added = Assistance {
        case_ids: fields
            .case_ids
            .iter()
            .filter(|c| !before.case_ids.contains(c))
            .cloned()
            .collect(),
        ..fields.clone()
    };
    check_cases(conn, user, &added)?;
    write_transaction(conn, |conn| {
        let row = row_of(
            id,
            &fields,
            expected_version + 1,
            &stored.row.created_by,
            stored.row.created_at,
            now,
        );
        if !store::update(conn, &row, expected_version)? {
            return Err(stale());
        }
        store::set_cases(conn, id, &fields.case_ids)?;
        record_version(conn, user, &row, &fields, Some(&before), "update", now)?;
        Ok(())
    })?;
    get(conn, user, id, now)
}

fn row_of(
    id: &str,
    fields: &Assistance,
    version: i64,
    created_by: &str,
    created_at: NaiveDateTime,
    now: NaiveDateTime,
) -> AssistanceRow {
    AssistanceRow {
        id: id.to_string(),
        assistance_type: fields.assistance_type.clone(),
        state: fields.state.clone(),
        mission_code: fields.mission.clone(),
        from_on: fields.from,
        to_on: fields.to,
        provider: fields.provider.clone(),
        description: fields.description.clone(),
        version,
        created_by: created_by.to_string(),
        created_at,
        updated_at: now,
    }
}

/// What a version says, as the audit trail's hash covers it.
pub(crate) fn snapshot_of(fields: &Assistance) -> Value {
    json!({
        "type": fields.assistance_type,
        "state": fields.state,
        "mission": fields.mission,
        "from": fields.from,
        "to": fields.to,
        "provider": fields.provider,
        "description": fields.description,
        "case_ids": fields.case_ids,
    })
}

/// The canonical text of a record's snapshot as its rows stand now.
pub(crate) fn current_snapshot(conn: &mut DbConnection, id: &str) -> AppResult<Option<String>> {
    Ok(Record::find(conn, id)?.map(|record| snapshot::canonical(&snapshot_of(&record.fields()))))
}

/// Keeps the version the record has just become, with its audit record.
fn record_version(
    conn: &mut DbConnection,
    user: &Actor,
    row: &AssistanceRow,
    after: &Assistance,
    before: Option<&Assistance>,
    action: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let after = snapshot_of(after);
    let text = snapshot::canonical(&after);
    let digest = snapshot::digest(&text);
    store::insert_version(
        conn,
        &AssistanceVersionRow {
            assistance_id: row.id.clone(),
            version: row.version,
            action: action.to_string(),
            changed_by: user.id.clone(),
            changed_at: now,
            snapshot: text,
        },
    )?;
    let before = before.map(snapshot_of).unwrap_or_else(|| json!({}));
    let facts = ChangeFacts {
        mission: Some(&row.mission_code),
        classification: None,
        version_from: (row.version > 1).then_some(row.version - 1),
        version_to: row.version,
        status_from: None,
        status_to: None,
        fields: snapshot::changed_fields(&before, &after),
        counts: vec![("cases", row_cases(&after))],
        snapshot_sha256: digest,
        author: Some(&user.id),
    };
    audit::append(
        conn,
        &user.audit(now),
        &format!("assistance.{action}"),
        "assistance",
        Some(&row.id),
        facts.details(),
    )?;
    Ok(())
}

fn row_cases(snapshot: &Value) -> usize {
    snapshot["case_ids"].as_array().map_or(0, Vec::len)
}

/// One record, as this user may see it (404, recorded, otherwise).
pub fn get(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Shown> {
    let record = Record::visible(conn, user, id, "assistance.read", now)?;
    shown(conn, user, record)
}

/// What a list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub mission: Option<String>,
    pub state: Option<String>,
    pub assistance_type: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub after: Option<(NaiveDate, String)>,
    pub limit: i64,
}

/// The records this user may see, latest start first: a mission's staff those of their
/// missions; a focal point those to its State.
pub fn list(
    conn: &mut DbConnection,
    user: &Actor,
    request: ListRequest,
    now: NaiveDateTime,
) -> AppResult<Page<Shown>> {
    Record::require_reader(conn, user, "assistance.list", now)?;
    let mut filter = AssistanceFilter {
        missions: request.mission.map(|m| vec![m]),
        state: request.state,
        assistance_type: request.assistance_type,
        from: request.from,
        to: request.to,
    };
    if user.role == Role::StateFocalPoint {
        let own = user.state.clone().unwrap_or_default();
        if filter.state.as_ref().is_some_and(|asked| *asked != own) {
            return Ok(Page {
                items: Vec::new(),
                has_more: false,
            });
        }
        filter.state = Some(own);
    } else if !user.all_missions {
        let mine = user.missions.clone();
        filter.missions = Some(match filter.missions {
            Some(asked) => asked.into_iter().filter(|m| mine.contains(m)).collect(),
            None => mine,
        });
    }
    let page = store::list(conn, &filter, request.after, request.limit)?;
    let ids: Vec<String> = page.items.iter().map(|row| row.id.clone()).collect();
    let links = store::cases_of_all(conn, &ids)?;
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        let case_ids = links
            .iter()
            .filter(|(a, _)| *a == row.id)
            .map(|(_, c)| c.clone())
            .collect();
        items.push(shown(conn, user, Record { row, case_ids })?);
    }
    Ok(Page {
        items,
        has_more: page.has_more,
    })
}

/// One version of a record: who made it, when, and which fields it changed.
pub struct Version {
    pub version: i64,
    pub action: String,
    pub changed_at: NaiveDateTime,
    pub changed_by: Option<String>,
    pub fields: Vec<String>,
}

/// A record's versions, oldest first (404, recorded, to who may not see it).
pub fn history(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<Vec<Version>> {
    Record::visible(conn, user, id, "assistance.history", now)?;
    let mut before = json!({});
    let mut versions = Vec::new();
    for row in store::versions(conn, id)? {
        let after: Value = serde_json::from_str(&row.snapshot)
            .map_err(|e| AppError::internal(format!("a stored assistance snapshot: {e}")))?;
        versions.push(Version {
            version: row.version,
            action: row.action,
            changed_at: row.changed_at,
            // The mission's staff by name; to a State, the change alone.
            changed_by: match user.role {
                Role::StateFocalPoint => None,
                _ => users::find_by_id(conn, &row.changed_by)?.map(|u| u.username),
            },
            fields: snapshot::changed_fields(&before, &after),
        });
        before = after;
    }
    Ok(versions)
}
