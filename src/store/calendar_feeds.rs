//! Users' private calendar feeds, known by the hash of their secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::calendar_feeds;

/// Gives the user a feed with this secret's hash, in place of any earlier one.
pub fn replace(
    conn: &mut DbConnection,
    user_id: &str,
    secret_sha256: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    delete(conn, user_id)?;
    diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::user_id.eq(user_id),
            calendar_feeds::secret_sha256.eq(secret_sha256),
            calendar_feeds::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Revokes the user's feed; whether there was one.
pub fn delete(conn: &mut DbConnection, user_id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(calendar_feeds::table.filter(calendar_feeds::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(deleted > 0)
}

/// The user whose feed has this secret's hash.
pub fn owner(conn: &mut DbConnection, secret_sha256: &str) -> QueryResult<Option<String>> {
    calendar_feeds::table
        .filter(calendar_feeds::secret_sha256.eq(secret_sha256))
        .select(calendar_feeds::user_id)
        .first(conn)
        .optional()
}

/// Whether the user has a feed.
pub fn exists(conn: &mut DbConnection, user_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        calendar_feeds::table.filter(calendar_feeds::user_id.eq(user_id)),
    ))
    .get_result(conn)
}
