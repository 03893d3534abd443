//! Mission reference data.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::missions;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = missions)]
pub struct MissionRow {
    pub code: String,
    pub name: String,
    pub host_country: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<MissionRow>> {
    missions::table
        .select(MissionRow::as_select())
        .order(missions::code.asc())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, code: &str) -> QueryResult<Option<MissionRow>> {
    missions::table
        .find(code)
        .select(MissionRow::as_select())
        .first(conn)
        .optional()
}

/// The codes among `codes` that are not missions.
pub fn unknown_codes(conn: &mut DbConnection, codes: &[String]) -> QueryResult<Vec<String>> {
    let known: Vec<String> = missions::table
        .filter(missions::code.eq_any(codes))
        .select(missions::code)
        .load(conn)?;
    Ok(codes
        .iter()
        .filter(|code| !known.contains(code))
        .cloned()
        .collect())
}

pub fn insert(conn: &mut DbConnection, mission: &MissionRow) -> QueryResult<()> {
    diesel::insert_into(missions::table)
        .values(mission)
        .execute(conn)?;
    Ok(())
}

/// Returns false when the version no longer matches.
pub fn update(
    conn: &mut DbConnection,
    code: &str,
    expected_version: i64,
    name: &str,
    host_country: Option<&str>,
    active: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        missions::table
            .filter(missions::code.eq(code))
            .filter(missions::version.eq(expected_version)),
    )
    .set((
        missions::name.eq(name),
        missions::host_country.eq(host_country),
        missions::active.eq(active),
        missions::version.eq(missions::version + 1),
        missions::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}
