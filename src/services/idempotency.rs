//! Creating requests that carry an `Idempotency-Key`: a retry with the same key and the same
//! body is answered with what the first request made, however its first answer was lost on
//! the way; the same key with another body is refused. Incidents and cases share the keys.

use chrono::NaiveDateTime;

use crate::auth::Actor;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::store::idempotency as store;
use crate::store::is_unique_violation;

/// A client's key, with the hash of the body it came with.
#[derive(Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

/// Why one attempt at a creating transaction rolled back.
pub(crate) enum Attempt {
    /// A concurrent request with the same key committed first: the next attempt answers it.
    KeyTakenMeanwhile,
    Failed(AppError),
}

impl From<AppError> for Attempt {
    fn from(error: AppError) -> Self {
        Attempt::Failed(error)
    }
}

impl From<diesel::result::Error> for Attempt {
    fn from(error: diesel::result::Error) -> Self {
        Attempt::Failed(error.into())
    }
}

/// The id of the record an earlier request with this key made, if one did; 422 naming the
/// header when the key came with another body. `record` names what is made ("incident").
pub(crate) fn earlier(
    conn: &mut DbConnection,
    user: &Actor,
    key: Option<&IdempotencyKey>,
    record: &str,
) -> AppResult<Option<String>> {
    let Some(key) = key else {
        return Ok(None);
    };
    let Some((stored_hash, resource_id)) = store::find(conn, &user.id, &key.key)? else {
        return Ok(None);
    };
    if stored_hash != key.request_hash {
        return Err(AppError::invalid(
            "Idempotency-Key",
            format!("was used before with a different request; use a new key for a new {record}"),
        ));
    }
    Ok(Some(resource_id))
}

/// Inside the creating transaction, before anything is written: the id an earlier request
/// with this key made (nothing is to be written then), or `None` with the key taken for
/// `new_id`. The key's row is written first, so that a second request with the same key at
/// once waits for the first (on SQLite, for the single writer) and then fails on it.
pub(crate) fn claim(
    conn: &mut DbConnection,
    user: &Actor,
    key: Option<&IdempotencyKey>,
    record: &str,
    new_id: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, Attempt> {
    let Some(key) = key else {
        return Ok(None);
    };
    if let Some(existing) = earlier(conn, user, Some(key), record)? {
        return Ok(Some(existing));
    }
    store::insert(conn, &user.id, &key.key, &key.request_hash, new_id, now).map_err(|e| {
        if is_unique_violation(&e) {
            Attempt::KeyTakenMeanwhile
        } else {
            e.into()
        }
    })?;
    Ok(None)
}

/// Runs one creating transaction, and once more when a request with the same key committed
/// first meanwhile: the second attempt finds that request's record and answers with it.
pub(crate) fn at_most_twice<T>(mut attempt: impl FnMut() -> Result<T, Attempt>) -> AppResult<T> {
    match attempt() {
        Ok(done) => Ok(done),
        Err(Attempt::Failed(error)) => Err(error),
        Err(Attempt::KeyTakenMeanwhile) => match attempt() {
            Ok(done) => Ok(done),
            Err(Attempt::Failed(error)) => Err(error),
            Err(Attempt::KeyTakenMeanwhile) => Err(AppError::Conflict(
                "Another request with this Idempotency-Key is being handled; retry it.".to_string(),
            )),
        },
    }
}
