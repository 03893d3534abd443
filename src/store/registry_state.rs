//! Whether figures counted before still hold: how far the audit trail had come when they were
//! counted, and whether any record written since changes what they count. Every change leaves
//! an audit record in its own transaction, so the records tell.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConnection;
use crate::db::schema::{audit_chain, audit_log, audit_pending};

/// How far the audit trail had come: every change writes a record in its own transaction, so
/// within one snapshot the same state means the same registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct RegistryState {
    /// Records sealed into the chain (numbered from 1 without a gap).
    #[diesel(sql_type = BigInt)]
    pub sealed: i64,
    /// Records waiting for the sealer.
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
}

pub fn registry_state(conn: &mut DbConnection) -> QueryResult<RegistryState> {
    diesel::sql_query(
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM audit_chain) AS sealed, \
            (SELECT COUNT(*) FROM audit_pending) AS pending",
    )
    .get_result(conn)
}

/// The actions that never change what the summaries count: signing in and out, accounts,
/// refusals, downloads, case documents, an import's dry run, the audit baseline (which only
/// proves what is there), assistance and issued reports. Any other action, one added later
/// included, is taken as a change.
pub const UNCOUNTED_ACTIONS: [&str; 27] = [
    "auth.login",
    "auth.login_failed",
    "auth.login_locked",
    "auth.lockout",
    "auth.logout",
    "auth.logout_all",
    "user.create",
    "user.update",
    "user.password_change",
    "user.password_change_failed",
    "user.password_change_locked",
    "access.denied",
    "export.incidents",
    "export.incidents.finished",
    "export.csv",
    "case.document.add",
    "case.document.download",
    "case.document.integrity_failure",
    "import.un_fatalities.dry_run",
    "audit.baseline",
    "assistance.create",
    "assistance.update",
    "report.issue",
    "report.annual.read",
    "state.read",
    "user.calendar.create",
    "user.calendar.revoke",
];

/// The records waiting for the sealer, up to `limit` of them.
pub fn pending_records(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<i64>> {
    audit_pending::table
        .select(audit_pending::audit_id)
        .order(audit_pending::audit_id)
        .limit(limit)
        .load(conn)
}

/// Past this many records written since figures were counted, they are taken as changed
/// without a look at each.
const CHANGES_LOOKED_AT: usize = 5_000;

/// Whether figures may have changed since the chain was sealed up to `sealed`, leaving out the
/// records `already_counted` and those of actions `uncounted` (some of `UNCOUNTED_ACTIONS`). A
/// change made since is either sealed after it or still waiting for the sealer, so only those
/// records are looked at, each by its key. (One statement joining them to the whole trail let
/// PostgreSQL scan the trail for the uncounted actions: 40 ms at 200,000 records, at every
/// request of a reader whose reading is itself recorded.)
pub fn counted_changes_since(
    conn: &mut DbConnection,
    sealed: i64,
    already_counted: &[i64],
    uncounted: &[&'static str],
) -> QueryResult<bool> {
    // Enough of each to know there are more than are looked at.
    let enough = i64::try_from(CHANGES_LOOKED_AT + already_counted.len() + 1).unwrap_or(i64::MAX);
    let mut written_since: Vec<i64> = audit_chain::table
        .filter(audit_chain::seq.gt(sealed))
        .select(audit_chain::audit_id)
        .limit(enough)
        .load(conn)?;
    written_since.extend(
        audit_pending::table
            .select(audit_pending::audit_id)
            .limit(enough)
            .load::<i64>(conn)?,
    );
    let counted: std::collections::HashSet<i64> = already_counted.iter().copied().collect();
    let new: Vec<i64> = written_since
        .into_iter()
        .filter(|id| !counted.contains(id))
        .collect();
    if new.len() > CHANGES_LOOKED_AT {
        return Ok(true);
    }
    if new.is_empty() {
        return Ok(false);
    }
    let changes: i64 = audit_log::table
        .filter(audit_log::id.eq_any(&new))
        .filter(audit_log::action.ne_all(uncounted))
        .count()
        .get_result(conn)?;
    Ok(changes > 0)
}
