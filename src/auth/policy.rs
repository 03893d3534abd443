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
    audit::append_alone(
        conn,
        &user.audit(now),
        "access.denied",
        "endpoint",
        None,
        json!({ "attempted": attempted, "role": user.role.code() }),
    )?;
    let roles: Vec<&str> = allowed.iter().map(|role| role.code()).collect();
    Err(AppError::Forbidden(format!(
        "This needs the role {}; yours is {}.",
        roles.join(" or "),
        user.role.code()
    )))
}
