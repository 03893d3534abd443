//! Accounts' second factors and their recovery codes. A code's step and a recovery code are
//! each taken by one conditional update, so two servers given the same code at once accept it
//! once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{recovery_codes, second_factors};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = second_factors)]
pub struct SecondFactorRow {
    pub user_id: String,
    pub secret: Vec<u8>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub last_step: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl SecondFactorRow {
    /// Whether a sign-in needs a code: the factor was confirmed by a first good code.
    pub fn is_on(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

pub fn find(conn: &mut DbConnection, user_id: &str) -> QueryResult<Option<SecondFactorRow>> {
    second_factors::table
        .find(user_id)
        .select(SecondFactorRow::as_select())
        .first(conn)
        .optional()
}

/// Starts an enrolment (or starts it again, before it was confirmed): a new secret and new
/// recovery codes replace any earlier ones.
pub fn begin(
    conn: &mut DbConnection,
    user_id: &str,
    secret: &[u8],
    recovery_hashes: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(second_factors::table.find(user_id)).execute(conn)?;
    diesel::insert_into(second_factors::table)
        .values(SecondFactorRow {
            user_id: user_id.to_string(),
            secret: secret.to_vec(),
            confirmed_at: None,
            last_step: None,
            created_at: now,
        })
        .execute(conn)?;
    // One statement a code: a batch insert does not pass through the connection that serves
    // both databases.
    for hash in recovery_hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Takes the step of an accepted code: true when no code of this step or a later one was taken
/// before. Confirms the factor with the first.
pub fn take_step(
    conn: &mut DbConnection,
    user_id: &str,
    step: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let newer = second_factors::last_step
        .is_null()
        .or(second_factors::last_step.lt(step));
    let taken = diesel::update(
        second_factors::table
            .filter(second_factors::user_id.eq(user_id))
            .filter(newer),
    )
    .set(second_factors::last_step.eq(step))
    .execute(conn)?;
    if taken == 1 {
        diesel::update(
            second_factors::table
                .filter(second_factors::user_id.eq(user_id))
                .filter(second_factors::confirmed_at.is_null()),
        )
        .set(second_factors::confirmed_at.eq(now))
        .execute(conn)?;
    }
    Ok(taken == 1)
}

/// Uses a recovery code: true when the account has it and it was not used before.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    user_id: &str,
    code_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(code_hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(used == 1)
}

/// How many recovery codes the account has left.
pub fn recovery_codes_left(conn: &mut DbConnection, user_id: &str) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// Removes the account's second factor and its recovery codes; true when it had one.
pub fn remove(conn: &mut DbConnection, user_id: &str) -> QueryResult<bool> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let removed = diesel::delete(second_factors::table.filter(second_factors::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(removed == 1)
}
