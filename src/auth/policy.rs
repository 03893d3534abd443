//! Who may do what. A refusal is recorded in the audit trail before it is answered.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::DbConnection;
use crate::domain::access::Role;
use crate::error::{AppError, AppResult};
use crate::store::audit;

use super::AuthUser;

/// Lets the request through when the user has one of `allowed`; otherwise records the denial
/// (what was attempted, by whom) and answers 403.
pub fn require_role(
    conn: &mut DbConnection,
    user: &AuthUser,
    allowed: &[Role],
    attempted: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    if allowed.contains(&user.role) {
        return Ok(());
    }
    record_denial(conn, user, attempted, "endpoint", None, now)?;
    let roles: Vec<&str> = allowed.iter().map(|role| role.code()).collect();
    Err(AppError::Forbidden(format!(
        "This needs the role {}; yours is {}.",
        roles.join(" or "),
        user.role.code()
    )))
}

/// Records a refused attempt (in a transaction of its own: the request changes nothing else).
pub fn record_denial(
    conn: &mut DbConnection,
    user: &AuthUser,
    attempted: &str,
    entity_type: &str,
    entity_id: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<()> {
    audit::append_alone(
        conn,
        &user.audit(now),
        "access.denied",
        entity_type,
        entity_id,
        json!({ "attempted": attempted, "role": user.role.code() }),
    )?;
    Ok(())
}
