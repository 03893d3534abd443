//! Assistance to host States: the records, the cases each served, and their versions.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{assistance, assistance_cases, assistance_versions};

use super::Page;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Identifiable)]
#[diesel(table_name = assistance, treat_none_as_null = true)]
pub struct AssistanceRow {
    pub id: String,
    pub assistance_type: String,
    pub state: String,
    pub mission_code: String,
    pub from_on: NaiveDate,
    pub to_on: Option<NaiveDate>,
    pub provider: String,
    pub description: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assistance_versions)]
pub struct AssistanceVersionRow {
    pub assistance_id: String,
    pub version: i64,
    pub action: String,
    pub changed_by: String,
    pub changed_at: NaiveDateTime,
    pub snapshot: String,
}

/// Which records a list reads: all of these that are given.
#[derive(Debug, Clone, Default)]
pub struct AssistanceFilter {
    /// Only these missions (`None`: every mission).
    pub missions: Option<Vec<String>>,
    pub state: Option<String>,
    pub assistance_type: Option<String>,
    /// Running on or after this day (ended before it: left out).
    pub from: Option<NaiveDate>,
    /// Started on or before this day.
    pub to: Option<NaiveDate>,
}

pub fn insert(conn: &mut DbConnection, row: &AssistanceRow) -> QueryResult<()> {
    diesel::insert_into(assistance::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Writes the change if the stored version is still `expected_version`.
pub fn update(
    conn: &mut DbConnection,
    row: &AssistanceRow,
    expected_version: i64,
) -> QueryResult<bool> {
    let changed = diesel::update(
        assistance::table
            .filter(assistance::id.eq(&row.id))
            .filter(assistance::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<AssistanceRow>> {
    assistance::table
        .filter(assistance::id.eq(id))
        .select(AssistanceRow::as_select())
        .first(conn)
        .optional()
}

/// The cases a record served, in id order.
pub fn cases_of(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<String>> {
    assistance_cases::table
        .filter(assistance_cases::assistance_id.eq(id))
        .order(assistance_cases::case_id.asc())
        .select(assistance_cases::case_id)
        .load(conn)
}

/// The cases each of these records served: (record, case), in that order.
pub fn cases_of_all(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    assistance_cases::table
        .filter(assistance_cases::assistance_id.eq_any(ids))
        .order((assistance_cases::assistance_id, assistance_cases::case_id))
        .select((assistance_cases::assistance_id, assistance_cases::case_id))
        .load(conn)
}

/// Replaces the cases a record served.
pub fn set_cases(conn: &mut DbConnection, id: &str, case_ids: &[String]) -> QueryResult<()> {
    diesel::delete(assistance_cases::table.filter(assistance_cases::assistance_id.eq(id)))
        .execute(conn)?;
    for case_id in case_ids {
        diesel::insert_into(assistance_cases::table)
            .values((
                assistance_cases::assistance_id.eq(id),
                assistance_cases::case_id.eq(case_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A page of records, latest start first, after the cursor's `(from_on, id)`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AssistanceFilter,
    after: Option<(NaiveDate, String)>,
    limit: i64,
) -> QueryResult<Page<AssistanceRow>> {
    let mut query = assistance::table.into_boxed();
    if let Some(missions) = &filter.missions {
        query = filter_one_of!(query, assistance::mission_code, missions.as_slice());
    }
    if let Some(state) = &filter.state {
        query = query.filter(assistance::state.eq(state.clone()));
    }
    if let Some(kind) = &filter.assistance_type {
        query = query.filter(assistance::assistance_type.eq(kind.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(assistance::to_on.is_null().or(assistance::to_on.ge(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(assistance::from_on.le(to));
    }
    if let Some((day, id)) = after {
        query = query.filter(
            assistance::from_on
                .lt(day)
                .or(assistance::from_on.eq(day).and(assistance::id.lt(id))),
        );
    }
    let rows = query
        .order((assistance::from_on.desc(), assistance::id.desc()))
        .limit(limit + 1)
        .select(AssistanceRow::as_select())
        .load(conn)?;
    Ok(Page::from_overfetch(rows, limit as usize))
}

pub fn insert_version(conn: &mut DbConnection, row: &AssistanceVersionRow) -> QueryResult<()> {
    diesel::insert_into(assistance_versions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A record's versions, oldest first.
pub fn versions(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<AssistanceVersionRow>> {
    assistance_versions::table
        .filter(assistance_versions::assistance_id.eq(id))
        .order(assistance_versions::version.asc())
        .select(AssistanceVersionRow::as_select())
        .load(conn)
}

/// The stored versions of these records, for the audit trail's verification.
pub fn versions_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<AssistanceVersionRow>> {
    assistance_versions::table
        .filter(assistance_versions::assistance_id.eq_any(ids))
        .select(AssistanceVersionRow::as_select())
        .load(conn)
}

/// Record ids after `after`, in order, for walking all of them in batches.
pub fn ids_after(conn: &mut DbConnection, after: &str, limit: i64) -> QueryResult<Vec<String>> {
    assistance::table
        .filter(assistance::id.gt(after))
        .order(assistance::id.asc())
        .limit(limit)
        .select(assistance::id)
        .load(conn)
}
