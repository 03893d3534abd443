//! Proposals a host State's focal point makes on a case, waiting for a legal officer.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{case_proposals, cases};

const PENDING: &str = "pending";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_proposals)]
pub struct ProposalRow {
    pub id: String,
    pub case_id: String,
    /// The State whose focal point proposed it (ISO3).
    pub state: String,
    pub kind: String,
    /// What it changes, as JSON.
    pub content: String,
    pub status: String,
    pub proposed_by: String,
    pub proposed_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    /// The case's version its acceptance made.
    pub applied_version: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &ProposalRow) -> QueryResult<()> {
    diesel::insert_into(case_proposals::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ProposalRow>> {
    case_proposals::table
        .filter(case_proposals::id.eq(id))
        .select(ProposalRow::as_select())
        .first(conn)
        .optional()
}

/// A case's proposals, oldest first; of one State only when `state` is given.
pub fn of_case(
    conn: &mut DbConnection,
    case_id: &str,
    state: Option<&str>,
) -> QueryResult<Vec<ProposalRow>> {
    let mut query = case_proposals::table
        .filter(case_proposals::case_id.eq(case_id))
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(case_proposals::state.eq(state.to_string()));
    }
    query
        .order((case_proposals::proposed_at.asc(), case_proposals::id.asc()))
        .select(ProposalRow::as_select())
        .load(conn)
}

/// Decides a pending proposal; false when it was no longer pending (someone decided first).
pub fn decide(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    decided_by: Option<&str>,
    decided_at: NaiveDateTime,
    reason: Option<&str>,
    applied_version: Option<i64>,
) -> QueryResult<bool> {
    let updated = diesel::update(
        case_proposals::table
            .filter(case_proposals::id.eq(id))
            .filter(case_proposals::status.eq(PENDING)),
    )
    .set((
        case_proposals::status.eq(status),
        case_proposals::decided_by.eq(decided_by),
        case_proposals::decided_at.eq(Some(decided_at)),
        case_proposals::reason.eq(reason),
        case_proposals::applied_version.eq(applied_version),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The ids of a case's pending proposals, of every State but `except` when given.
pub fn pending_ids(
    conn: &mut DbConnection,
    case_id: &str,
    except: Option<&str>,
) -> QueryResult<Vec<String>> {
    let mut query = case_proposals::table
        .filter(case_proposals::case_id.eq(case_id))
        .filter(case_proposals::status.eq(PENDING))
        .into_boxed();
    if let Some(state) = except {
        query = query.filter(case_proposals::state.ne(state.to_string()));
    }
    query
        .order(case_proposals::id.asc())
        .select(case_proposals::id)
        .load(conn)
}

/// How many proposals wait on each of these cases (those with none are left out).
pub fn pending_counts(
    conn: &mut DbConnection,
    case_ids: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    if case_ids.is_empty() {
        return Ok(Vec::new());
    }
    case_proposals::table
        .filter(case_proposals::case_id.eq_any(case_ids))
        .filter(case_proposals::status.eq(PENDING))
        .group_by(case_proposals::case_id)
        .select((case_proposals::case_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Pending proposals on the cases of these missions (every mission when `None`), oldest first,
/// with their case's reference and mission.
pub fn pending_in_missions(
    conn: &mut DbConnection,
    missions: Option<&[String]>,
    limit: i64,
) -> QueryResult<Vec<(ProposalRow, String, String)>> {
    let mut query = case_proposals::table
        .inner_join(cases::table)
        .filter(case_proposals::status.eq(PENDING))
        .into_boxed();
    if let Some(missions) = missions {
        query = query.filter(cases::mission_code.eq_any(missions.to_vec()));
    }
    query
        .order((case_proposals::proposed_at.asc(), case_proposals::id.asc()))
        .limit(limit)
        .select((
            ProposalRow::as_select(),
            cases::reference,
            cases::mission_code,
        ))
        .load(conn)
}
