//! The access guard: for each kind of record, who may see one and who may change it, decided
//! here for the API and the pages alike. Every refusal is recorded in the audit trail; a record
//! the user may not see is answered 404, so that its existence is not confirmed.

use chrono::NaiveDateTime;

use crate::auth::{Actor, policy};
use crate::db::DbConnection;
use crate::domain::access::{Clearance, Role};
use crate::error::{AppError, AppResult};

/// A kind of record behind the guard: how it is found and what its rules are. The provided
/// functions are the guard itself, the same for every kind.
pub(crate) trait Guarded: Sized {
    /// The kind's name in the audit trail: `incident`, `case`.
    const KIND: &'static str;

    fn find(conn: &mut DbConnection, id: &str) -> AppResult<Option<Self>>;

    fn may_see(&self, user: &Actor) -> bool;

    /// `Err` says why this user may not change it.
    fn may_change(&self, user: &Actor) -> Result<(), String>;

    /// Only those who read incidents' content read records of this kind (403, recorded).
    fn require_reader(
        conn: &mut DbConnection,
        user: &Actor,
        attempted: &str,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        policy::require_content_reader(conn, user, attempted, Self::KIND, now)
    }

    /// Lists and exports are for the missions' staff: a State's focal point reads its State's
    /// part through the State's own lists (403, recorded).
    fn require_lister(
        conn: &mut DbConnection,
        user: &Actor,
        attempted: &str,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        Self::require_reader(conn, user, attempted, now)?;
        if user.role == Role::StateFocalPoint {
            let why = "A State's focal point reads its State's part: /api/v1/state/incidents and /api/v1/state/cases.";
            return Err(Self::forbid(conn, user, attempted, None, now, why));
        }
        Ok(())
    }

    /// The record, if this user may see it; 404 (recorded) otherwise.
    fn visible(
        conn: &mut DbConnection,
        user: &Actor,
        id: &str,
        attempted: &str,
        now: NaiveDateTime,
    ) -> AppResult<Self> {
        Self::require_reader(conn, user, attempted, now)?;
        match Self::find(conn, id)? {
            Some(record) if record.may_see(user) => Ok(record),
            _ => Err(Self::hide(conn, user, attempted, id, now)),
        }
    }

    /// The record, if this user may see it (404 otherwise) and change it (403 otherwise).
    fn changeable(
        conn: &mut DbConnection,
        user: &Actor,
        id: &str,
        attempted: &str,
        now: NaiveDateTime,
    ) -> AppResult<Self> {
        let record = Self::visible(conn, user, id, attempted, now)?;
        match record.may_change(user) {
            Ok(()) => Ok(record),
            Err(why) => Err(Self::forbid(conn, user, attempted, Some(id), now, &why)),
        }
    }

    /// 403, recorded.
    fn forbid(
        conn: &mut DbConnection,
        user: &Actor,
        attempted: &str,
        id: Option<&str>,
        now: NaiveDateTime,
        why: &str,
    ) -> AppError {
        policy::forbid(conn, user, attempted, (Self::KIND, id), now, why)
    }

    /// 404, recorded: the record is not confirmed to exist.
    fn hide(
        conn: &mut DbConnection,
        user: &Actor,
        attempted: &str,
        id: &str,
        now: NaiveDateTime,
    ) -> AppError {
        policy::hide(conn, user, attempted, (Self::KIND, id), now)
    }
}

/// A record's classification as stored, when deciding who may see it. A code the registry does
/// not know (a row changed by hand) is logged as the fault it is, and the record is kept from
/// everyone below the highest clearance rather than shown.
pub(crate) fn stored_classification(code: &str) -> Clearance {
    Clearance::try_from(code).unwrap_or_else(|unknown| {
        tracing::error!(%unknown, "read as strictly confidential");
        Clearance::StrictlyConfidential
    })
}
