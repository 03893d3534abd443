//! What a Member State's focal point reads: its State's part of the record (the rules are in
//! `domain::state_part`), through the access guard like every reader, and in the State views
//! of `views`. A record outside the part answers 404, as one that does not exist; every read
//! is recorded in the audit trail, without content.

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

use super::access::{Guarded, stored_classification};
use crate::auth::{Actor, policy};
use crate::db::{DbConnection, read_transaction};
use crate::domain::access::{Clearance, Role};
use crate::domain::state_part::{self, IncidentFacts, Relation};
use crate::error::{AppError, AppResult};
use crate::store::audit;
use crate::store::cases::{
    self as case_store, AccusedRow, CaseFilter, CaseRow, DocumentRow, LinkedIncidentRow,
    TransitionRow,
};
use crate::store::files::FileStore;
use crate::store::incidents::{self as incident_store, IncidentFilter, IncidentRow, VictimRow};

mod summary;
mod views;

pub use summary::{StateSummary, SummaryRequest, summary};

pub use views::{
    Casualties, LinkedIncident, National, NationalityCasualties, SharedDocument, StateAccused,
    StateCase, StateIncident, StateStep,
};

/// The State a focal point speaks for; refused (403, recorded) to every other account, which
/// reads the missions' records instead.
fn state_of<'a>(
    conn: &mut DbConnection,
    user: &'a Actor,
    attempted: &str,
    kind: &str,
    now: NaiveDateTime,
) -> AppResult<&'a str> {
    match (&user.role, user.state.as_deref()) {
        (Role::StateFocalPoint, Some(state)) => Ok(state),
        _ => Err(policy::forbid(
            conn,
            user,
            attempted,
            (kind, None),
            now,
            "Only a State's focal point reads a State's part.",
        )),
    }
}

fn facts_of<'a>(row: &'a IncidentRow, victims: &'a [VictimRow]) -> IncidentFacts<'a> {
    IncidentFacts {
        status: &row.status,
        classification: stored_classification(&row.classification),
        nationalities: victims
            .iter()
            .filter(|v| v.incident_id == row.id)
            .filter_map(|v| v.nationality.as_deref())
            .collect(),
    }
}

/// `facts_of` a case's linked incident, from its victims' nationalities.
fn linked_facts_of<'a>(
    row: &'a LinkedIncidentRow,
    nationalities: &'a [(String, String)],
) -> IncidentFacts<'a> {
    IncidentFacts {
        status: &row.status,
        classification: stored_classification(&row.classification),
        nationalities: nationalities
            .iter()
            .filter(|(incident, _)| *incident == row.id)
            .map(|(_, nationality)| nationality.as_str())
            .collect(),
    }
}

/// An incident with what decides which States it reaches: its victims' nationalities and the
/// host States of the cases on it.
struct IncidentInPart {
    row: IncidentRow,
    victims: Vec<VictimRow>,
    host_states: Vec<String>,
}

impl IncidentInPart {
    fn relations(&self, user: &Actor) -> Vec<Relation> {
        let Some(state) = user.state.as_deref() else {
            return Vec::new();
        };
        let hosts: Vec<&str> = self.host_states.iter().map(String::as_str).collect();
        state_part::incident_relations(
            state,
            user.clearance,
            &facts_of(&self.row, &self.victims),
            &hosts,
        )
    }
}

impl Guarded for IncidentInPart {
    const KIND: &'static str = "incident";

    fn require_reader(
        conn: &mut DbConnection,
        user: &Actor,
        attempted: &str,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        state_of(conn, user, attempted, Self::KIND, now).map(|_| ())
    }

    fn find(conn: &mut DbConnection, id: &str) -> AppResult<Option<Self>> {
        let Some(row) = incident_store::find(conn, id)? else {
            return Ok(None);
        };
        let ids = [row.id.clone()];
        let victims = incident_store::victims_of(conn, &ids)?;
        let host_states = case_store::host_states_of(conn, &ids)?
            .into_iter()
            .map(|(_, state)| state)
            .collect();
        Ok(Some(IncidentInPart {
            row,
            victims,
            host_states,
        }))
    }

    fn may_see(&self, user: &Actor) -> bool {
        !self.relations(user).is_empty()
    }

    fn may_change(&self, _user: &Actor) -> Result<(), String> {
        Err("A State's focal point changes no incident.".into())
    }
}

/// A case with its linked incidents and their victims' nationalities: what decides which
/// States it reaches.
struct CaseInPart {
    row: CaseRow,
    incidents: Vec<LinkedIncidentRow>,
    /// (incident id, nationality) pairs.
    nationalities: Vec<(String, String)>,
}

impl CaseInPart {
    fn relations(&self, user: &Actor) -> Vec<Relation> {
        let Some(state) = user.state.as_deref() else {
            return Vec::new();
        };
        let facts: Vec<IncidentFacts> = self
            .incidents
            .iter()
            .map(|row| linked_facts_of(row, &self.nationalities))
            .collect();
        state_part::case_relations(
            state,
            user.clearance,
            self.row.jurisdiction_state.as_deref(),
            &facts,
        )
    }

    /// The linked incidents the reader may see: every one that reaches it for the host State;
    /// for a State concerned only by its nationals, those with one of them.
    fn reaching(&self, user: &Actor, relations: &[Relation]) -> Vec<&LinkedIncidentRow> {
        let state = user.state.as_deref().unwrap_or_default();
        let host = relations.contains(&Relation::Host);
        self.incidents
            .iter()
            .filter(|row| {
                let facts = linked_facts_of(row, &self.nationalities);
                facts.reaches(user.clearance) && (host || facts.nationalities.contains(&state))
            })
            .collect()
    }
}

impl Guarded for CaseInPart {
    const KIND: &'static str = "case";

    fn require_reader(
        conn: &mut DbConnection,
        user: &Actor,
        attempted: &str,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        state_of(conn, user, attempted, Self::KIND, now).map(|_| ())
    }

    fn find(conn: &mut DbConnection, id: &str) -> AppResult<Option<Self>> {
        let Some(row) = case_store::find(conn, id)? else {
            return Ok(None);
        };
        let incidents = case_store::linked_incident_facts(conn, id)?;
        let ids: Vec<String> = incidents.iter().map(|i| i.id.clone()).collect();
        let nationalities = incident_store::nationalities_of(conn, &ids)?;
        Ok(Some(CaseInPart {
            row,
            incidents,
            nationalities,
        }))
    }

    fn may_see(&self, user: &Actor) -> bool {
        !self.relations(user).is_empty()
    }

    fn may_change(&self, _user: &Actor) -> Result<(), String> {
        Err("A State's focal point reports progress through proposals; it changes no case.".into())
    }
}

/// A case of the reader's part: 404 (recorded) outside it.
pub(crate) fn visible_case(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<CaseRow> {
    Ok(CaseInPart::visible(conn, user, id, attempted, now)?.row)
}

/// A case whose host State the reader speaks for: 404 (recorded) outside its part, 403
/// (recorded) to a State concerned only by its nationals, which reads and does not report.
pub(crate) fn hosted_case(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<CaseRow> {
    let found = CaseInPart::visible(conn, user, id, attempted, now)?;
    if !found.relations(user).contains(&Relation::Host) {
        let why = "Only the host State's focal points report progress on a case; a State concerned by its nationals reads it.";
        return Err(CaseInPart::forbid(
            conn,
            user,
            attempted,
            Some(id),
            now,
            why,
        ));
    }
    Ok(found.row)
}

/// Whether the case is of the focal point's part (without a record of it: for naming the cases
/// another record links to).
pub(crate) fn sees_case(conn: &mut DbConnection, user: &Actor, id: &str) -> AppResult<bool> {
    Ok(CaseInPart::find(conn, id)?.is_some_and(|case| case.may_see(user)))
}

/// Records a focal point's read: what and how the State is concerned, never the content.
pub(crate) fn record_read(
    conn: &mut DbConnection,
    user: &Actor,
    now: NaiveDateTime,
    kind: &str,
    id: Option<&str>,
    details: serde_json::Value,
) -> AppResult<()> {
    audit::append_alone(conn, &user.audit(now), "state.read", kind, id, details)?;
    Ok(())
}

/// An incident in the State view; 404 (recorded) outside the reader's part.
pub fn incident(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<StateIncident> {
    let found = IncidentInPart::visible(conn, user, id, "state.incidents.read", now)?;
    let relations = found.relations(user);
    let state = user.state.as_deref().unwrap_or_default();
    let victims: Vec<&VictimRow> = found.victims.iter().collect();
    let view = StateIncident::of(&found.row, &victims, state, user.clearance, relations);
    record_read(
        conn,
        user,
        now,
        "incident",
        Some(id),
        json!({ "relations": view.relations }),
    )?;
    Ok(view)
}

/// A case in the State view; 404 (recorded) outside the reader's part.
pub fn case(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<StateCase> {
    let found = CaseInPart::visible(conn, user, id, "state.cases.read", now)?;
    let relations = found.relations(user);
    let timeline = case_store::transitions(conn, id)?;
    let accused = case_store::accused(conn, id)?;
    let documents = case_store::documents(conn, id)?;
    let view = state_case(user, &found, &timeline, &accused, &documents, relations);
    record_read(
        conn,
        user,
        now,
        "case",
        Some(id),
        json!({ "relations": view.relations }),
    )?;
    Ok(view)
}

/// The State view of a case the guard let through, from its parts.
fn state_case(
    user: &Actor,
    found: &CaseInPart,
    timeline: &[TransitionRow],
    accused: &[AccusedRow],
    documents: &[DocumentRow],
    relations: Vec<Relation>,
) -> StateCase {
    let state = user.state.clone().unwrap_or_default();
    let shared: Vec<&DocumentRow> = documents
        .iter()
        .filter(|document| document.shared_with().contains(&state))
        .collect();
    StateCase::of(
        &found.row,
        &found.reaching(user, &relations),
        timeline,
        accused,
        &shared,
        user.clearance,
        relations,
    )
}

/// A document shared with the reader's State, of a case of its part: its bytes, checked
/// against the hash recorded at upload. Not shared with it: 404, as a document that does not
/// exist; below clearance `confidential`: 403, as for everyone.
pub fn download_document(
    conn: &mut DbConnection,
    user: &Actor,
    case_id: &str,
    document_id: &str,
    files: &FileStore,
    now: NaiveDateTime,
) -> AppResult<(DocumentRow, Vec<u8>)> {
    let attempted = "state.documents.download";
    CaseInPart::visible(conn, user, case_id, attempted, now)?;
    let state = user.state.clone().unwrap_or_default();
    let Some(row) = case_store::find_document(conn, case_id, document_id)?
        .filter(|document| document.shared_with().contains(&state))
    else {
        return Err(CaseInPart::hide(conn, user, attempted, document_id, now));
    };
    crate::services::cases::check_may_download(conn, user, case_id, attempted, now)?;
    crate::services::cases::read_checked(conn, user, case_id, row, files, now)
}

/// What a State's list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub missions: Vec<String>,
    /// One status (an incident's `submitted` or `verified`; a case's status).
    pub status: Option<String>,
    /// Incidents: occurred at or after; cases: opened on or after.
    pub from: Option<NaiveDateTime>,
    /// Incidents: occurred before; cases: opened before.
    pub to: Option<NaiveDateTime>,
    /// One way of being concerned; both when none.
    pub relation: Option<Relation>,
    /// Continue after this (time or date, id), as the list's order goes.
    pub after: Option<(String, String)>,
    pub limit: i64,
}

impl ListRequest {
    fn relations(&self) -> Vec<Relation> {
        self.relation.map_or(Relation::ALL.to_vec(), |r| vec![r])
    }

    /// The cursor's key, read by `parse`; a key it cannot read is named as a bad cursor.
    fn after_as<T>(&self, parse: impl Fn(&str) -> Option<T>) -> AppResult<Option<(T, String)>> {
        self.after
            .as_ref()
            .map(|(key, id)| {
                parse(key)
                    .map(|key| (key, id.clone()))
                    .ok_or_else(|| AppError::invalid("cursor", "is not a cursor of this list"))
            })
            .transpose()
    }
}

/// The pages of each relation merged in the list's order, each record once: the first
/// `limit` and one more, to tell whether more follow.
fn merged<T, K: Ord>(
    mut rows: Vec<T>,
    limit: i64,
    order: impl Fn(&T) -> K,
    id: impl Fn(&T) -> &String,
) -> Vec<T> {
    rows.sort_by_key(|row| order(row));
    rows.dedup_by(|a, b| id(a) == id(b));
    rows.truncate(usize::try_from(limit + 1).unwrap_or(usize::MAX));
    rows
}

fn allowed_classifications(clearance: Clearance) -> Vec<String> {
    Clearance::ALL
        .into_iter()
        .filter(|c| *c <= clearance)
        .map(|c| c.code().to_string())
        .collect()
}

/// One page of the State's incidents, read in one transaction by `incidents`.
fn incident_page(
    conn: &mut DbConnection,
    user: &Actor,
    state: &str,
    request: &ListRequest,
    after: Option<(NaiveDateTime, String)>,
) -> AppResult<Vec<StateIncident>> {
    let mut rows: Vec<IncidentRow> = Vec::new();
    for relation in request.relations() {
        let filter = IncidentFilter {
            missions: request.missions.clone(),
            classifications_allowed: allowed_classifications(user.clearance),
            status: request.status.clone(),
            from: request.from,
            to: request.to,
            after: after.clone(),
            state_part: Some((state.to_string(), relation)),
            ..Default::default()
        };
        rows.extend(incident_store::list(conn, &filter, request.limit + 1)?);
    }
    let rows = merged(
        rows,
        request.limit,
        |row| (Reverse(row.occurred_at), Reverse(row.id.clone())),
        |row| &row.id,
    );

    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let victims = incident_store::victims_of(conn, &ids)?;
    let host_states = case_store::host_states_of(conn, &ids)?;
    let items: Vec<StateIncident> = rows
        .iter()
        .map(|row| {
            let theirs: Vec<&VictimRow> =
                victims.iter().filter(|v| v.incident_id == row.id).collect();
            let hosts: Vec<&str> = host_states
                .iter()
                .filter(|(incident, _)| *incident == row.id)
                .map(|(_, state)| state.as_str())
                .collect();
            let relations = state_part::incident_relations(
                state,
                user.clearance,
                &facts_of(row, &victims),
                &hosts,
            );
            StateIncident::of(row, &theirs, state, user.clearance, relations)
        })
        .collect();
    Ok(items)
}

/// The incidents of the reader's State, newest first: one page, with one more to tell whether
/// more follow. Each way the State is concerned is one indexed query, merged in order.
pub fn incidents(
    conn: &mut DbConnection,
    user: &Actor,
    request: ListRequest,
    now: NaiveDateTime,
) -> AppResult<Vec<StateIncident>> {
    let state = state_of(conn, user, "state.incidents.list", "incident", now)?.to_string();
    let after =
        request.after_as(|at| NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").ok())?;
    let items = read_transaction(conn, |conn| {
        incident_page(conn, user, &state, &request, after)
    })?;
    record_read(
        conn,
        user,
        now,
        "incident",
        None,
        json!({ "listed": items.iter().map(|i| &i.id).collect::<Vec<_>>(), "relation": request.relation }),
    )?;
    Ok(items)
}

/// A case with its parts: what decides which States it reaches, its steps, accused persons and
/// documents.
struct CaseWithParts {
    found: CaseInPart,
    timeline: Vec<TransitionRow>,
    accused: Vec<AccusedRow>,
    documents: Vec<DocumentRow>,
}

/// Cases with their parts, read in a few queries whatever their number.
fn with_parts(conn: &mut DbConnection, rows: Vec<CaseRow>) -> AppResult<Vec<CaseWithParts>> {
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let parts = case_store::parts_of(conn, &ids)?;
    let incident_ids: Vec<String> = parts.incidents.iter().map(|(_, i)| i.id.clone()).collect();
    let nationalities = by_key(
        incident_store::nationalities_of(conn, &incident_ids)?,
        |(incident, _)| incident,
    );
    let mut incidents = by_key(parts.incidents, |(case_id, _)| case_id);
    let mut timelines = by_key(parts.transitions, |t| &t.case_id);
    let mut accused = by_key(parts.accused, |a| &a.case_id);
    let mut documents = by_key(parts.documents, |d| &d.case_id);
    Ok(rows
        .into_iter()
        .map(|row| {
            let linked: Vec<LinkedIncidentRow> = incidents
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, incident)| incident)
                .collect();
            let nationalities = linked
                .iter()
                .flat_map(|incident| nationalities.get(&incident.id).into_iter().flatten())
                .cloned()
                .collect();
            CaseWithParts {
                timeline: timelines.remove(&row.id).unwrap_or_default(),
                accused: accused.remove(&row.id).unwrap_or_default(),
                documents: documents.remove(&row.id).unwrap_or_default(),
                found: CaseInPart {
                    incidents: linked,
                    nationalities,
                    row,
                },
            }
        })
        .collect())
}

/// Items grouped by a key, each group in the items' order.
fn by_key<T>(items: Vec<T>, key: impl Fn(&T) -> &String) -> HashMap<String, Vec<T>> {
    let mut groups: HashMap<String, Vec<T>> = HashMap::new();
    for item in items {
        groups.entry(key(&item).clone()).or_default().push(item);
    }
    groups
}

/// One page of the State's cases, read in one transaction by `cases`.
fn case_page(
    conn: &mut DbConnection,
    user: &Actor,
    state: &str,
    request: &ListRequest,
    after: Option<(NaiveDate, String)>,
) -> AppResult<Vec<StateCase>> {
    let mut rows: Vec<CaseRow> = Vec::new();
    for relation in request.relations() {
        let filter = CaseFilter {
            missions: request.missions.clone(),
            classifications_allowed: Some(allowed_classifications(user.clearance)),
            statuses: request.status.clone().into_iter().collect(),
            opened_from: request.from.map(|t| t.date()),
            // Opened on a day: a `to` later than its midnight counts that day whole.
            opened_to: request.to.map(|t| {
                let day = t.date();
                if t == day.and_time(chrono::NaiveTime::MIN) {
                    day
                } else {
                    day.succ_opt().unwrap_or(day)
                }
            }),
            state_part: Some((state.to_string(), relation)),
            after: after.clone(),
            ..Default::default()
        };
        rows.extend(case_store::list(conn, &filter, request.limit + 1)?);
    }
    let rows = merged(
        rows,
        request.limit,
        |row| (row.urgency, row.id.clone()),
        |row| &row.id,
    );

    let mut items = Vec::with_capacity(rows.len());
    for case in with_parts(conn, rows)? {
        let relations = case.found.relations(user);
        if relations.is_empty() {
            continue;
        }
        items.push(state_case(
            user,
            &case.found,
            &case.timeline,
            &case.accused,
            &case.documents,
            relations,
        ));
    }
    Ok(items)
}

/// The cases of the reader's State, most urgent first (overdue next actions first): one page,
/// with one more to tell whether more follow.
pub fn cases(
    conn: &mut DbConnection,
    user: &Actor,
    request: ListRequest,
    now: NaiveDateTime,
) -> AppResult<Vec<StateCase>> {
    let state = state_of(conn, user, "state.cases.list", "case", now)?.to_string();
    let after = request.after_as(|urgency| NaiveDate::parse_from_str(urgency, "%Y-%m-%d").ok())?;
    let items = read_transaction(conn, |conn| case_page(conn, user, &state, &request, after))?;
    record_read(
        conn,
        user,
        now,
        "case",
        None,
        json!({ "listed": items.iter().map(|c| &c.id).collect::<Vec<_>>(), "relation": request.relation }),
    )?;
    Ok(items)
}
