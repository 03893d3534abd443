//! The missions reference data: adding a mission and changing one, each with its audit record.

use std::sync::Arc;

use chrono::NaiveDateTime;
use serde_json::json;

use super::users;
use crate::auth::Actor;
use crate::clock::Clock;
use crate::db::{DbConnection, write_transaction};
use crate::domain::audit::changes as changes_between;
use crate::domain::mission;
use crate::domain::validation::Violations;
use crate::error::{AppError, AppResult};
use crate::recently_read::RecentlyRead;
use crate::store::audit::{self};
use crate::store::is_unique_violation;
use crate::store::missions;

pub use crate::store::missions::MissionRow;

/// The missions as the database showed them within the last second (see `recently_read`).
/// Every incident written is checked against its mission (does it exist, is it still open),
/// and missions change a few times a year: asking the database once or twice a second instead
/// of once a write saves one statement of the eight a create sends.
pub struct RecentMissions {
    all: RecentlyRead<(), Arc<Vec<MissionRow>>>,
}

impl RecentMissions {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        RecentMissions {
            all: RecentlyRead::new(clock),
        }
    }

    /// The mission of this code, as the database showed it within `recently_read::AT_MOST`.
    pub fn find(&self, conn: &mut DbConnection, code: &str) -> AppResult<Option<MissionRow>> {
        let missions = match self.all.get(&()) {
            Some(missions) => missions,
            None => {
                let read = self.all.begin_read();
                let missions = Arc::new(missions::list(conn)?);
                self.all.keep(read, (), Arc::clone(&missions));
                missions
            }
        };
        Ok(missions.iter().find(|m| m.code == code).cloned())
    }

    /// Forgets the missions: after this server changed one.
    pub fn forget_all(&self) {
        self.all.forget_all();
    }
}

pub struct NewMission {
    pub code: String,
    pub name: String,
    pub host_country: Option<String>,
    pub active: bool,
}

/// Adds a mission (administrators only).
pub fn create(
    conn: &mut DbConnection,
    user: &Actor,
    new: NewMission,
    now: NaiveDateTime,
) -> AppResult<MissionRow> {
    users::require_admin(conn, user, "missions.create", now)?;
    let context = &user.audit(now);
    let mut violations = Violations::new();
    violations.check("code", mission::check_code(&new.code));
    violations.check("name", mission::check_name(&new.name));
    mission::check_host_country(&mut violations, new.host_country.as_deref());
    violations.into_result().map_err(AppError::Validation)?;
    let row = MissionRow {
        code: new.code,
        name: new.name,
        host_country: new.host_country,
        active: new.active,
        version: 1,
        created_at: context.now,
        updated_at: context.now,
    };
    write_transaction(conn, |conn| {
        missions::insert(conn, &row).map_err(|e| {
            if is_unique_violation(&e) {
                AppError::Conflict(format!("The mission `{}` exists already.", row.code))
            } else {
                e.into()
            }
        })?;
        audit::append(
            conn,
            context,
            "mission.create",
            "mission",
            Some(&row.code),
            json!({ "name": row.name, "host_country": row.host_country, "active": row.active }),
        )?;
        Ok(row)
    })
}

/// A change to a mission; absent fields stay, `host_country: Some(None)` clears it.
pub struct MissionPatch {
    pub name: Option<String>,
    pub host_country: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Renames, closes or reopens a mission at the version read (administrators only).
pub fn update(
    conn: &mut DbConnection,
    user: &Actor,
    code: &str,
    expected_version: i64,
    patch: MissionPatch,
    now: NaiveDateTime,
) -> AppResult<MissionRow> {
    users::require_admin(conn, user, "missions.update", now)?;
    let context = &user.audit(now);
    let mut violations = Violations::new();
    if let Some(name) = &patch.name {
        violations.check("name", mission::check_name(name));
    }
    if let Some(host_country) = &patch.host_country {
        mission::check_host_country(&mut violations, host_country.as_deref());
    }
    violations.into_result().map_err(AppError::Validation)?;
    write_transaction(conn, |conn| {
        let current = missions::find(conn, code)?.ok_or(AppError::NotFound)?;
        let name = patch.name.clone().unwrap_or(current.name.clone());
        let host_country = patch
            .host_country
            .clone()
            .unwrap_or(current.host_country.clone());
        let active = patch.active.unwrap_or(current.active);
        if !missions::update(
            conn,
            code,
            expected_version,
            &name,
            host_country.as_deref(),
            active,
            now,
        )? {
            return Err(AppError::Conflict(format!(
                "The mission was changed since you read it (version {expected_version}; now {}). Read it again.",
                current.version
            )));
        }
        let changes = changes_between(
            &json!({ "name": current.name, "host_country": current.host_country, "active": current.active }),
            &json!({ "name": name, "host_country": host_country, "active": active }),
        );
        audit::append(
            conn,
            context,
            "mission.update",
            "mission",
            Some(code),
            json!({ "changes": changes }),
        )?;
        missions::find(conn, code)?.ok_or(AppError::NotFound)
    })
}

/// Every mission, by code. The missions are the registry's reference: every signed-in user
/// reads them.
pub fn list(conn: &mut DbConnection, _reader: &Actor) -> AppResult<Vec<MissionRow>> {
    Ok(missions::list(conn)?)
}

/// The mission of this code (404 when there is none), for any signed-in user.
pub fn get(conn: &mut DbConnection, _reader: &Actor, code: &str) -> AppResult<MissionRow> {
    missions::find(conn, code)?.ok_or(AppError::NotFound)
}

/// The codes of the missions the user works on (every mission for headquarters users), for
/// the mission lists of filters and forms.
pub fn worked_on(conn: &mut DbConnection, user: &Actor) -> AppResult<Vec<String>> {
    Ok(missions::list(conn)?
        .into_iter()
        .map(|m| m.code)
        .filter(|code| user.viewer().works_on(code))
        .collect())
}
