//! The idempotency keys of creating requests: which record a client's key made, and the hash of
//! the request that made it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::idempotency_keys;
use crate::db::{DbConnection, on_own_backend};

/// The record a creating request made under this key, with the hash of that request.
pub fn find(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
) -> QueryResult<Option<(String, String)>> {
    on_own_backend!(conn, |own| idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::resource_id,
        ))
        .first(own)
        .optional())
}

/// Records that this key makes `resource_id`; fails on the key's uniqueness when another
/// request took it first.
pub fn insert(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    request_hash: &str,
    resource_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    on_own_backend!(conn, |own| diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::resource_id.eq(resource_id),
            idempotency_keys::created_at.eq(now),
        ))
        .execute(own))?;
    Ok(())
}
