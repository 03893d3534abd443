//! Accountability cases: the case row, its linked incidents, its timeline, its accused persons,
//! its documents' records, its reference numbers.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Text};

use crate::db::DbConnection;
use crate::db::schema::{
    case_accused, case_documents, case_incidents, case_transitions, case_versions, cases,
    incident_nationalities, incidents, users,
};
use crate::db::stored_time::StoredTime;
use crate::domain::state_part::{REACHING_STATUSES, Relation};
use crate::store::incidents::IncidentRow;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Identifiable)]
#[diesel(table_name = cases, treat_none_as_null = true)]
pub struct CaseRow {
    pub id: String,
    pub reference: String,
    pub mission_code: String,
    pub status: String,
    pub jurisdiction: String,
    /// The host State (see `domain::case::host_state`).
    pub jurisdiction_state: Option<String>,
    pub authority: Option<String>,
    pub lead_officer: String,
    pub next_action: Option<String>,
    pub next_action_due: Option<NaiveDate>,
    /// The next action's text is shared with the States concerned.
    pub next_action_shared: bool,
    pub urgency: NaiveDate,
    pub notes: Option<String>,
    pub closure_reason: Option<String>,
    pub opened_on: NaiveDate,
    pub last_moved_on: NaiveDate,
    pub search_text: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_transitions)]
pub struct TransitionRow {
    pub case_id: String,
    pub position: i32,
    pub from_status: Option<String>,
    pub to_status: String,
    pub effective_on: NaiveDate,
    pub note: Option<String>,
    pub closure_reason: Option<String>,
    pub entered_by: String,
    pub entered_at: NaiveDateTime,
    /// The note is shared with the States concerned.
    pub note_shared: bool,
    /// The accepted proposal of a host State the step came from.
    pub proposal_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Identifiable)]
#[diesel(table_name = case_accused, treat_none_as_null = true)]
pub struct AccusedRow {
    pub id: String,
    pub case_id: String,
    pub name: String,
    pub affiliation: Option<String>,
    pub status: String,
    pub charges: Option<String>,
    pub verdict: String,
    pub sentence_type: Option<String>,
    pub sentence_months: Option<i32>,
    pub sentence_details: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub verdict_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_documents)]
pub struct DocumentRow {
    pub id: String,
    pub case_id: String,
    pub title: String,
    pub kind: String,
    pub document_date: Option<NaiveDate>,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub file_name: String,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
    /// The States it is shared with: a JSON list of ISO3 codes.
    pub shared_with: String,
    pub version: i64,
    /// The accepted proposal of a host State the document came from.
    pub proposal_id: Option<String>,
}

impl DocumentRow {
    /// The States it is shared with; a list the registry did not write shares it with none.
    pub fn shared_with(&self) -> Vec<String> {
        serde_json::from_str(&self.shared_with).unwrap_or_default()
    }
}

pub fn insert(conn: &mut DbConnection, row: &CaseRow) -> QueryResult<()> {
    diesel::insert_into(cases::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<CaseRow>> {
    cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

/// Writes the whole row when the stored version is still `expected_version`; false otherwise.
pub fn update(conn: &mut DbConnection, row: &CaseRow, expected_version: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        cases::table
            .filter(cases::id.eq(&row.id))
            .filter(cases::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

/// The incidents linked to a case, earliest first.
pub fn linked_incidents(conn: &mut DbConnection, case_id: &str) -> QueryResult<Vec<IncidentRow>> {
    case_incidents::table
        .inner_join(incidents::table)
        .filter(case_incidents::case_id.eq(case_id))
        .order((incidents::occurred_at.asc(), incidents::id.asc()))
        .select(IncidentRow::as_select())
        .load(conn)
}

/// What a case's reader needs of a linked incident: whether it reaches them, and its name.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = incidents)]
pub struct LinkedIncidentRow {
    pub id: String,
    pub reference: Option<String>,
    pub status: String,
    pub classification: String,
    #[diesel(deserialize_as = StoredTime)]
    pub occurred_at: NaiveDateTime,
}

/// `linked_incidents`, with only what `LinkedIncidentRow` holds.
pub fn linked_incident_facts(
    conn: &mut DbConnection,
    case_id: &str,
) -> QueryResult<Vec<LinkedIncidentRow>> {
    case_incidents::table
        .inner_join(incidents::table)
        .filter(case_incidents::case_id.eq(case_id))
        .order((incidents::occurred_at.asc(), incidents::id.asc()))
        .select(LinkedIncidentRow::as_select())
        .load(conn)
}

/// The cases on these incidents: (incident id, case id, case status).
pub fn cases_on(
    conn: &mut DbConnection,
    incident_ids: &[String],
) -> QueryResult<Vec<(String, String, String)>> {
    case_incidents::table
        .inner_join(cases::table)
        .filter(case_incidents::incident_id.eq_any(incident_ids))
        .select((case_incidents::incident_id, cases::id, cases::status))
        .load(conn)
}

/// The host States of the cases on these incidents: (incident id, State) pairs.
pub fn host_states_of(
    conn: &mut DbConnection,
    incident_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    let pairs: Vec<(String, Option<String>)> = case_incidents::table
        .inner_join(cases::table)
        .filter(case_incidents::incident_id.eq_any(incident_ids))
        .filter(cases::jurisdiction_state.is_not_null())
        .select((case_incidents::incident_id, cases::jurisdiction_state))
        .load(conn)?;
    Ok(pairs
        .into_iter()
        .filter_map(|(incident, state)| Some((incident, state?)))
        .collect())
}

/// Holds these incidents FOR SHARE on PostgreSQL until the transaction ends; taken before the case
/// that will link them is changed. A new link then waits for a change of its incident to
/// commit, and such a change for the link, so that `cases.reaching_classification`, kept by the
/// database, misses neither (see its migration). SQLite has one writer at a time.
pub fn hold_for_linking(conn: &mut DbConnection, incident_ids: &[String]) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        incidents::table
            .filter(incidents::id.eq_any(incident_ids))
            .order(incidents::id)
            .select(incidents::id)
            .for_share()
            .load::<String>(pg)?;
    }
    Ok(())
}

/// Replaces the links of a case with these incidents.
pub fn set_incidents(
    conn: &mut DbConnection,
    case_id: &str,
    incident_ids: &[String],
) -> QueryResult<()> {
    diesel::delete(case_incidents::table.filter(case_incidents::case_id.eq(case_id)))
        .execute(conn)?;
    for incident_id in incident_ids {
        diesel::insert_into(case_incidents::table)
            .values((
                case_incidents::case_id.eq(case_id),
                case_incidents::incident_id.eq(incident_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert_transition(conn: &mut DbConnection, row: &TransitionRow) -> QueryResult<()> {
    diesel::insert_into(case_transitions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The timeline of a case, in the order it was entered.
pub fn transitions(conn: &mut DbConnection, case_id: &str) -> QueryResult<Vec<TransitionRow>> {
    case_transitions::table
        .filter(case_transitions::case_id.eq(case_id))
        .order(case_transitions::position.asc())
        .select(TransitionRow::as_select())
        .load(conn)
}

/// Marks a step's note shared with the States concerned, or not.
pub fn share_step_note(
    conn: &mut DbConnection,
    case_id: &str,
    position: i32,
    shared: bool,
) -> QueryResult<()> {
    diesel::update(
        case_transitions::table
            .filter(case_transitions::case_id.eq(case_id))
            .filter(case_transitions::position.eq(position)),
    )
    .set(case_transitions::note_shared.eq(shared))
    .execute(conn)?;
    Ok(())
}

pub fn insert_accused(conn: &mut DbConnection, row: &AccusedRow) -> QueryResult<()> {
    diesel::insert_into(case_accused::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_accused(
    conn: &mut DbConnection,
    case_id: &str,
    id: &str,
) -> QueryResult<Option<AccusedRow>> {
    case_accused::table
        .filter(case_accused::case_id.eq(case_id))
        .filter(case_accused::id.eq(id))
        .select(AccusedRow::as_select())
        .first(conn)
        .optional()
}

/// Writes the whole row when the stored version is still `expected_version`; false otherwise.
pub fn update_accused(
    conn: &mut DbConnection,
    row: &AccusedRow,
    expected_version: i64,
) -> QueryResult<bool> {
    let updated = diesel::update(
        case_accused::table
            .filter(case_accused::id.eq(&row.id))
            .filter(case_accused::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn accused(conn: &mut DbConnection, case_id: &str) -> QueryResult<Vec<AccusedRow>> {
    case_accused::table
        .filter(case_accused::case_id.eq(case_id))
        .order((case_accused::created_at.asc(), case_accused::id.asc()))
        .select(AccusedRow::as_select())
        .load(conn)
}

pub fn insert_document(conn: &mut DbConnection, row: &DocumentRow) -> QueryResult<()> {
    diesel::insert_into(case_documents::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Shares a document with these States (a JSON list), when its version is still `expected`;
/// false otherwise.
pub fn share_document(
    conn: &mut DbConnection,
    id: &str,
    expected: i64,
    shared_with: &str,
) -> QueryResult<bool> {
    let updated = diesel::update(
        case_documents::table
            .filter(case_documents::id.eq(id))
            .filter(case_documents::version.eq(expected)),
    )
    .set((
        case_documents::shared_with.eq(shared_with),
        case_documents::version.eq(case_documents::version + 1),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn find_document(
    conn: &mut DbConnection,
    case_id: &str,
    id: &str,
) -> QueryResult<Option<DocumentRow>> {
    case_documents::table
        .filter(case_documents::case_id.eq(case_id))
        .filter(case_documents::id.eq(id))
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()
}

pub fn documents(conn: &mut DbConnection, case_id: &str) -> QueryResult<Vec<DocumentRow>> {
    case_documents::table
        .filter(case_documents::case_id.eq(case_id))
        .order((case_documents::uploaded_at.asc(), case_documents::id.asc()))
        .select(DocumentRow::as_select())
        .load(conn)
}

/// Every document record after `after_id`, by id, a batch at a time (for the integrity check).
pub fn documents_after(
    conn: &mut DbConnection,
    after_id: &str,
    limit: i64,
) -> QueryResult<Vec<DocumentRow>> {
    case_documents::table
        .filter(case_documents::id.gt(after_id))
        .order(case_documents::id.asc())
        .limit(limit)
        .select(DocumentRow::as_select())
        .load(conn)
}

/// The earliest step of any case's timeline that links this incident.
pub fn first_step_on_incident(
    conn: &mut DbConnection,
    incident_id: &str,
) -> QueryResult<Option<NaiveDate>> {
    let case_ids = case_incidents::table
        .filter(case_incidents::incident_id.eq(incident_id))
        .select(case_incidents::case_id);
    case_transitions::table
        .filter(case_transitions::case_id.eq_any(case_ids))
        .select(diesel::dsl::min(case_transitions::effective_on))
        .first(conn)
}

/// One version of a case: the snapshot of the case and its parts after a change.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_versions)]
pub struct CaseVersionRow {
    pub case_id: String,
    pub version: i64,
    pub action: String,
    pub changed_at: NaiveDateTime,
    pub changed_by: String,
    pub snapshot: String,
}

/// Takes the case's row lock for the rest of the transaction (PostgreSQL; SQLite has one writer
/// at a time anyway), so that two changes to parts of one case number their versions in turn.
pub fn lock(conn: &mut DbConnection, case_id: &str) -> QueryResult<()> {
    diesel::update(cases::table.find(case_id))
        .set(cases::id.eq(cases::id))
        .execute(conn)?;
    Ok(())
}

/// The number of the case's latest version (0 before its first).
pub fn latest_version(conn: &mut DbConnection, case_id: &str) -> QueryResult<i64> {
    let latest: Option<i64> = case_versions::table
        .filter(case_versions::case_id.eq(case_id))
        .select(diesel::dsl::max(case_versions::version))
        .first(conn)?;
    Ok(latest.unwrap_or(0))
}

pub fn insert_version(conn: &mut DbConnection, row: &CaseVersionRow) -> QueryResult<()> {
    diesel::insert_into(case_versions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The versions of these cases, by case and version.
pub fn versions_of(
    conn: &mut DbConnection,
    case_ids: &[String],
) -> QueryResult<Vec<CaseVersionRow>> {
    case_versions::table
        .filter(case_versions::case_id.eq_any(case_ids))
        .order((case_versions::case_id.asc(), case_versions::version.asc()))
        .select(CaseVersionRow::as_select())
        .load(conn)
}

/// The ids of the linked incidents of a case, sorted.
pub fn incident_ids(conn: &mut DbConnection, case_id: &str) -> QueryResult<Vec<String>> {
    case_incidents::table
        .filter(case_incidents::case_id.eq(case_id))
        .order(case_incidents::incident_id.asc())
        .select(case_incidents::incident_id)
        .load(conn)
}

/// Case ids after `after_id`, by id, a batch at a time.
pub fn ids_after(conn: &mut DbConnection, after_id: &str, limit: i64) -> QueryResult<Vec<String>> {
    cases::table
        .filter(cases::id.gt(after_id))
        .order(cases::id.asc())
        .limit(limit)
        .select(cases::id)
        .load(conn)
}

/// The user's name, for showing who leads a case.
pub fn username_of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .select(users::username)
        .first(conn)
        .optional()
}

/// What a list may show and what it asks for.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Missions asked for; empty means every mission the viewer may see.
    pub missions: Vec<String>,
    /// Missions the viewer works on; `None` means all.
    pub viewer_missions: Option<Vec<String>>,
    /// Classifications the viewer's clearance covers; `None` means all. A case is listed only
    /// when at least one of its incidents is of one of these.
    pub classifications_allowed: Option<Vec<String>>,
    pub statuses: Vec<String>,
    pub lead_officer: Option<String>,
    pub jurisdiction: Option<String>,
    /// Open cases whose next action is due on or before this date.
    pub due_by: Option<NaiveDate>,
    /// Open cases whose timeline last moved before this date.
    pub moved_before: Option<NaiveDate>,
    /// Lower-case words that must all appear.
    pub words: Vec<String>,
    /// Opened on or after this day.
    pub opened_from: Option<NaiveDate>,
    /// Opened before this day.
    pub opened_to: Option<NaiveDate>,
    /// A State's part, one way it is concerned: its cases as host State, or the cases on the
    /// attacks on its nationals; seen only through incidents that reach a State.
    pub state_part: Option<(String, Relation)>,
    /// Continue after this (urgency, id).
    pub after: Option<(NaiveDate, String)>,
}

/// Cases not ended (the ended statuses are those of `CaseStatus::is_open`). Written out as the
/// partial index `cases_open_by_last_step` states it: SQLite uses a partial index only when the
/// query's condition names the same values, not values bound at run time.
pub fn still_open() -> SqlLiteral<Bool> {
    diesel::dsl::sql::<Bool>(r#""cases"."status" NOT IN ('final', 'closed')"#)
}

/// Most urgent first: by the next action's due date (cases without one, and ended cases, last),
/// keyset-paged on (urgency, id).
pub fn list(conn: &mut DbConnection, filter: &CaseFilter, limit: i64) -> QueryResult<Vec<CaseRow>> {
    let mut query = cases::table.select(CaseRow::as_select()).into_boxed();
    if let Some(visible) = &filter.viewer_missions {
        query = filter_one_of!(query, cases::mission_code, visible.as_slice());
    }
    if !filter.missions.is_empty() {
        query = filter_one_of!(query, cases::mission_code, filter.missions.as_slice());
    }
    if let Some(allowed) = &filter.classifications_allowed {
        query = if filter.state_part.is_some() {
            // A State sees a case only through incidents that reach it: the database keeps the
            // lowest classification among them on the case.
            query.filter(cases::reaching_classification.eq_any(allowed.clone()))
        } else {
            query.filter(diesel::dsl::exists(
                case_incidents::table
                    .inner_join(incidents::table)
                    .filter(case_incidents::case_id.eq(cases::id))
                    .filter(incidents::classification.eq_any(allowed.clone())),
            ))
        };
    }
    match &filter.state_part {
        Some((state, Relation::Host)) => {
            query = query.filter(cases::jurisdiction_state.eq(state.clone()));
        }
        Some((state, Relation::Nationality)) => {
            let with_national = case_incidents::table
                .inner_join(incidents::table)
                .filter(incidents::status.eq_any(REACHING_STATUSES))
                .filter(
                    incidents::classification
                        .eq_any(filter.classifications_allowed.clone().unwrap_or_default()),
                )
                .filter(
                    incidents::id.eq_any(
                        incident_nationalities::table
                            .filter(incident_nationalities::nationality.eq(state.clone()))
                            .select(incident_nationalities::incident_id),
                    ),
                )
                .select(case_incidents::case_id);
            query = query.filter(cases::id.eq_any(with_national));
        }
        None => {}
    }
    if let Some(from) = filter.opened_from {
        query = query.filter(cases::opened_on.ge(from));
    }
    if let Some(to) = filter.opened_to {
        query = query.filter(cases::opened_on.lt(to));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(cases::status.eq_any(filter.statuses.clone()));
    }
    if let Some(lead) = &filter.lead_officer {
        query = query.filter(cases::lead_officer.eq(lead.clone()));
    }
    if let Some(jurisdiction) = &filter.jurisdiction {
        query = query.filter(cases::jurisdiction.eq(jurisdiction.clone()));
    }
    if let Some(due_by) = filter.due_by {
        query = query
            .filter(cases::next_action_due.le(due_by))
            .filter(still_open());
    }
    if let Some(before) = filter.moved_before {
        query = query
            .filter(cases::last_moved_on.lt(before))
            .filter(still_open());
    }
    for word in &filter.words {
        query = query.filter(
            cases::search_text
                .like(super::incidents::like_pattern(word))
                .escape('\\'),
        );
    }
    if let Some((urgency, id)) = &filter.after {
        // A row comparison: one range of the index on (urgency, id) for both databases.
        query = query.filter(
            diesel::dsl::sql::<Bool>(r#"("cases"."urgency", "cases"."id") > ("#)
                .bind::<Date, _>(*urgency)
                .sql(", ")
                .bind::<Text, _>(id.clone())
                .sql(")"),
        );
    }
    query
        .order((cases::urgency.asc(), cases::id.asc()))
        .limit(limit)
        .load(conn)
}

/// What makes up several cases, read at once for a page of them: their linked incidents (with
/// the case each is linked to), steps, accused persons and documents.
pub struct CasesParts {
    pub incidents: Vec<(String, LinkedIncidentRow)>,
    pub transitions: Vec<TransitionRow>,
    pub accused: Vec<AccusedRow>,
    pub documents: Vec<DocumentRow>,
}

pub fn parts_of(conn: &mut DbConnection, case_ids: &[String]) -> QueryResult<CasesParts> {
    Ok(CasesParts {
        incidents: case_incidents::table
            .inner_join(incidents::table)
            .filter(case_incidents::case_id.eq_any(case_ids))
            .order((incidents::occurred_at.asc(), incidents::id.asc()))
            .select((case_incidents::case_id, LinkedIncidentRow::as_select()))
            .load(conn)?,
        transitions: case_transitions::table
            .filter(case_transitions::case_id.eq_any(case_ids))
            .order((
                case_transitions::case_id.asc(),
                case_transitions::position.asc(),
            ))
            .select(TransitionRow::as_select())
            .load(conn)?,
        accused: case_accused::table
            .filter(case_accused::case_id.eq_any(case_ids))
            .order((case_accused::created_at.asc(), case_accused::id.asc()))
            .select(AccusedRow::as_select())
            .load(conn)?,
        documents: case_documents::table
            .filter(case_documents::case_id.eq_any(case_ids))
            .order((case_documents::uploaded_at.asc(), case_documents::id.asc()))
            .select(DocumentRow::as_select())
            .load(conn)?,
    })
}
