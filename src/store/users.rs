//! Accounts and the missions each works on.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{user_missions, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub clearance: String,
    pub disabled: bool,
    pub must_change_password: bool,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Works on every mission; otherwise only on those of `user_missions`.
    pub all_missions: bool,
    /// The State a focal point speaks for (ISO3); none for every other account.
    pub state: Option<String>,
}

/// A user with the missions they work on.
#[derive(Debug, Clone)]
pub struct UserWithMissions {
    pub user: UserRow,
    pub missions: Vec<String>,
}

/// The language the user chose for the pages, if they did.
pub fn language_of(conn: &mut DbConnection, id: &str) -> QueryResult<Option<String>> {
    users::table
        .find(id)
        .select(users::language)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}

/// A preference, not an account change: neither audited nor versioned.
pub fn set_language(conn: &mut DbConnection, id: &str, code: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::language.eq(code))
        .execute(conn)
        .map(|_| ())
}

/// Every account's id, by id.
pub fn all_ids(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    users::table
        .order(users::id.asc())
        .select(users::id)
        .load(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn missions_of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<String>> {
    user_missions::table
        .filter(user_missions::user_id.eq(user_id))
        .select(user_missions::mission_code)
        .order(user_missions::mission_code.asc())
        .load(conn)
}

pub fn with_missions(conn: &mut DbConnection, user: UserRow) -> QueryResult<UserWithMissions> {
    let missions = missions_of(conn, &user.id)?;
    Ok(UserWithMissions { user, missions })
}

pub fn insert(conn: &mut DbConnection, user: &UserRow, missions: &[String]) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    set_missions(conn, &user.id, missions)
}

pub fn set_missions(
    conn: &mut DbConnection,
    user_id: &str,
    missions: &[String],
) -> QueryResult<()> {
    diesel::delete(user_missions::table.filter(user_missions::user_id.eq(user_id)))
        .execute(conn)?;
    for code in missions {
        diesel::insert_into(user_missions::table)
            .values((
                user_missions::user_id.eq(user_id),
                user_missions::mission_code.eq(code),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Users ordered by username, after `after_username` when given.
pub fn list(
    conn: &mut DbConnection,
    after_username: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserWithMissions>> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(after) = after_username {
        query = query.filter(users::username.gt(after.to_string()));
    }
    let rows: Vec<UserRow> = query.order(users::username.asc()).limit(limit).load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|u| u.id.as_str()).collect();
    let memberships: Vec<(String, String)> = user_missions::table
        .filter(user_missions::user_id.eq_any(&ids))
        .select((user_missions::user_id, user_missions::mission_code))
        .order(user_missions::mission_code.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|user| {
            let missions = memberships
                .iter()
                .filter(|(user_id, _)| *user_id == user.id)
                .map(|(_, code)| code.clone())
                .collect();
            UserWithMissions { user, missions }
        })
        .collect())
}

/// The fields an administrator may change; written only when `version` still matches.
pub struct AccountChange<'a> {
    pub role: &'a str,
    pub clearance: &'a str,
    pub disabled: bool,
    pub all_missions: bool,
    pub state: Option<&'a str>,
}

/// Returns false when the version no longer matches (someone changed the user meanwhile).
pub fn update_account(
    conn: &mut DbConnection,
    id: &str,
    expected_version: i64,
    change: &AccountChange,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::version.eq(expected_version)),
    )
    .set((
        users::role.eq(change.role),
        users::clearance.eq(change.clearance),
        users::disabled.eq(change.disabled),
        users::all_missions.eq(change.all_missions),
        users::state.eq(change.state),
        users::version.eq(users::version + 1),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn set_disabled(
    conn: &mut DbConnection,
    id: &str,
    disabled: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::disabled.eq(disabled),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_password(
    conn: &mut DbConnection,
    id: &str,
    password_hash: &str,
    must_change_password: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::must_change_password.eq(must_change_password),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes the row lock of a user for the rest of the transaction (on PostgreSQL; SQLite's
/// writer lock already covers it) by an update that changes nothing.
pub fn lock_row(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::failed_logins.eq(users::failed_logins))
        .execute(conn)?;
    Ok(())
}

/// Counts one more failed sign-in; returns the count after it. Atomic in the database, so
/// attempts on several servers at once are all counted.
pub fn add_failed_login(conn: &mut DbConnection, id: &str) -> QueryResult<i32> {
    diesel::update(users::table.find(id))
        .set(users::failed_logins.eq(users::failed_logins + 1))
        .execute(conn)?;
    users::table
        .find(id)
        .select(users::failed_logins)
        .first(conn)
}

pub fn lock_until(conn: &mut DbConnection, id: &str, until: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::locked_until.eq(Some(until)),
            users::failed_logins.eq(0),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn clear_failed_logins(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}
