//! Who may do what. A refusal is recorded in the audit trail before it is answered.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::DbConnection;
use crate::domain::access::Role;
use crate::error::{AppError, AppResult};
use crate::store::audit;

use super::Actor;

/// Lets the request through when the user has one of `allowed`; otherwise records the denial
/// (what was attempted, by whom) and answers 403.
pub fn require_role(
    conn: &mut DbConnection,
    user: &Actor,
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
    user: &Actor,
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

/// Records a refused attempt on a record and answers 403 with `why`.
pub fn forbid(
    conn: &mut DbConnection,
    user: &Actor,
    attempted: &str,
    record: (&str, Option<&str>),
    now: NaiveDateTime,
    why: &str,
) -> AppError {
    let (entity_type, id) = record;
    match record_denial(conn, user, attempted, entity_type, id, now) {
        Ok(()) => AppError::Forbidden(why.to_string()),
        Err(e) => e,
    }
}

/// Records an attempt on a record the user may not see and answers 404: its existence is not
/// revealed.
pub fn hide(
    conn: &mut DbConnection,
    user: &Actor,
    attempted: &str,
    record: (&str, &str),
    now: NaiveDateTime,
) -> AppError {
    let (entity_type, id) = record;
    match record_denial(conn, user, attempted, entity_type, Some(id), now) {
        Ok(()) => AppError::NotFound,
        Err(e) => e,
    }
}

/// Administrators and auditors keep the registry running and honest; they do not read the
/// content of incidents and cases (refusals are recorded).
pub fn require_content_reader(
    conn: &mut DbConnection,
    user: &Actor,
    attempted: &str,
    entity_type: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    if user.viewer().reads_incidents() {
        return Ok(());
    }
    Err(forbid(
        conn,
        user,
        attempted,
        (entity_type, None),
        now,
        &format!("Administrators and auditors do not read {entity_type} content."),
    ))
}
