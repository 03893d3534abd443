//! Accounts as administrators manage them: listed, read and changed by administrators alone,
//! every refusal recorded. Creating one hashes its password: see `accounts::create_account`.

use chrono::NaiveDateTime;

use crate::auth::accounts::{self, AccountPatch};
use crate::auth::{Actor, policy};
use crate::db::DbConnection;
use crate::domain::access::Role;
use crate::error::{AppError, AppResult};
use crate::store::missions;
use crate::store::users;

pub use crate::store::Page;
pub use crate::store::users::{UserRow, UserWithMissions};

/// Only administrators manage accounts and missions (403, recorded).
pub fn require_admin(
    conn: &mut DbConnection,
    user: &Actor,
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    policy::require_role(conn, user, &[Role::Admin], attempted, now)
}

/// One page of accounts by username, after the account `after` (a username).
pub fn list(
    conn: &mut DbConnection,
    user: &Actor,
    after: Option<&str>,
    limit: i64,
    now: NaiveDateTime,
) -> AppResult<Page<UserWithMissions>> {
    require_admin(conn, user, "users.list", now)?;
    let rows = users::list(conn, after, limit + 1)?;
    Ok(Page::from_overfetch(rows, limit as usize))
}

/// One account with its missions (404 when there is none).
pub fn get(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> AppResult<UserWithMissions> {
    require_admin(conn, user, "users.read", now)?;
    let row = users::find_by_id(conn, id)?.ok_or(AppError::NotFound)?;
    Ok(users::with_missions(conn, row)?)
}

/// Changes an account's role, clearance, missions or state, at the version read.
pub fn update(
    conn: &mut DbConnection,
    user: &Actor,
    id: &str,
    version: i64,
    patch: AccountPatch,
    now: NaiveDateTime,
) -> AppResult<UserWithMissions> {
    require_admin(conn, user, "users.update", now)?;
    accounts::update_user(conn, &user.audit(now), id, version, patch)
}

/// The codes of every mission, for the choice of an account's missions.
pub fn mission_codes(conn: &mut DbConnection) -> AppResult<Vec<String>> {
    Ok(missions::list(conn)?.into_iter().map(|m| m.code).collect())
}
