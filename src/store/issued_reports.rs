//! Annual reports as they were issued.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::issued_reports;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = issued_reports)]
pub struct IssuedReportRow {
    pub id: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub edition: String,
    /// Comma-separated, in order; empty for all missions.
    pub missions: String,
    pub classification: String,
    pub body: String,
    pub sha256: String,
    /// It names accused persons.
    pub with_names: bool,
    pub issued_by: String,
    pub issued_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &IssuedReportRow) -> QueryResult<()> {
    diesel::insert_into(issued_reports::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<IssuedReportRow>> {
    issued_reports::table
        .filter(issued_reports::id.eq(id))
        .select(IssuedReportRow::as_select())
        .first(conn)
        .optional()
}

/// The report last issued for this period, edition and missions, if any.
pub fn latest(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    edition: &str,
    missions: &str,
) -> QueryResult<Option<IssuedReportRow>> {
    issued_reports::table
        .filter(issued_reports::period_from.eq(from))
        .filter(issued_reports::period_to.eq(to))
        .filter(issued_reports::edition.eq(edition))
        .filter(issued_reports::missions.eq(missions))
        .order((issued_reports::issued_at.desc(), issued_reports::id.desc()))
        .select(IssuedReportRow::as_select())
        .first(conn)
        .optional()
}

/// Every issued report's id and body, for the audit trail's verification.
pub fn all_bodies(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    issued_reports::table
        .order(issued_reports::id.asc())
        .select((issued_reports::id, issued_reports::body))
        .load(conn)
}
