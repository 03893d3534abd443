//! Sign-in sessions, found by the SHA-256 of their bearer token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{sessions, user_missions, users};
use crate::store::users::UserRow;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, session: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)?;
    Ok(())
}

/// The session, its user and the user's missions (in order), whatever their state; the caller
/// decides what is still valid. One query, as every signed-in request asks it.
pub fn find_with_user(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<(SessionRow, UserRow, Vec<String>)>> {
    let rows: Vec<(SessionRow, UserRow, Option<String>)> = sessions::table
        .inner_join(users::table.left_join(user_missions::table))
        .filter(sessions::token_hash.eq(token_hash))
        .order(user_missions::mission_code.asc())
        .select((
            SessionRow::as_select(),
            UserRow::as_select(),
            user_missions::mission_code.nullable(),
        ))
        .load(conn)?;
    let mut rows = rows.into_iter();
    let Some((session, user, first_mission)) = rows.next() else {
        return Ok(None);
    };
    let missions = first_mission
        .into_iter()
        .chain(rows.filter_map(|(_, _, mission)| mission))
        .collect();
    Ok(Some((session, user, missions)))
}

/// Whether the session exists and has not been ended.
pub fn is_open(conn: &mut DbConnection, token_hash: &str) -> QueryResult<bool> {
    let revoked_at: Option<Option<NaiveDateTime>> = sessions::table
        .find(token_hash)
        .select(sessions::revoked_at)
        .first(conn)
        .optional()?;
    Ok(matches!(revoked_at, Some(None)))
}

pub fn touch(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(token_hash))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn revoke(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        sessions::table
            .filter(sessions::token_hash.eq(token_hash))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// The user's sessions not revoked and not past their absolute end, newest first; the
/// caller applies the idle limit.
pub fn open_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .order(sessions::created_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

/// Ends every open session of a user; returns how many were open.
pub fn revoke_all_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(now)))
    .execute(conn)
}
