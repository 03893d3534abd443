//! Creating and changing accounts: an administrator's (API, pages) or the command line's. Each
//! change and its audit record, which proves the account's new snapshot, commit together.

use chrono::NaiveDateTime;
use serde_json::json;
use uuid::Uuid;

use crate::db::{DbConnection, write_transaction};
use crate::domain::access::{Clearance, Role};
use crate::domain::audit::changes as changes_between;
use crate::domain::validation::Violations;
use crate::domain::{password as password_policy, user as user_rules};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, AuditContext};
use crate::store::users::{self, AccountChange, UserRow, UserWithMissions};
use crate::store::{is_unique_violation, missions};

use super::accounts::with_proof;
use super::{password, token};
use crate::store::sessions;

/// The length of the first administrator's generated password.
const FIRST_ADMIN_PASSWORD_CHARS: usize = 20;

/// What is needed to create an account. No `Debug`: it holds a password.
#[derive(Clone)]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub clearance: Clearance,
    pub missions: Vec<String>,
    /// Works on every mission: only for the roles that work on missions, and never implied
    /// by an empty list of missions.
    pub all_missions: bool,
    /// The State a focal point speaks for (ISO3): required for them, refused for the others.
    pub state: Option<String>,
    /// True for accounts an administrator makes: the user picks their own password first.
    pub must_change_password: bool,
}

/// A new account checked but for its missions, its password hashed if it passed.
pub struct CheckedAccount {
    username: String,
    role: Role,
    clearance: Clearance,
    missions: Vec<String>,
    all_missions: bool,
    state: Option<String>,
    must_change_password: bool,
    /// The username's and password's problems; the missions' are added with the write.
    violations: Violations,
    /// None when there are problems: a refused password is not hashed.
    password_hash: Option<String>,
}

/// Checks a new account's username and password, and hashes the password if both pass:
/// Argon2, holding no connection, so run it in a password permit. The missions are checked with
/// the write (`create_user`), and every problem is answered at once.
pub fn check_new_account(account: NewAccount) -> AppResult<CheckedAccount> {
    check_new_account_hashed_by(account, password::hash)
}

/// `check_new_account` with the password hashed by `hash`: test fixtures give all their
/// accounts one hash made once, since each Argon2 hash is slow on purpose.
pub fn check_new_account_hashed_by(
    account: NewAccount,
    hash: impl FnOnce(&str) -> Result<String, String>,
) -> AppResult<CheckedAccount> {
    let username = user_rules::normalize_username(&account.username);
    let mut violations = Violations::new();
    violations.check("username", user_rules::check_username(&username));
    violations.check(
        "password",
        password_policy::check(&account.password, &[&username]),
    );
    if let Some(problem) = account
        .role
        .missions_problem(&account.missions, account.all_missions)
    {
        let field = if account.all_missions {
            "all_missions"
        } else {
            "missions"
        };
        violations.add(field, problem);
    }
    if let Some(problem) = account.role.state_problem(account.state.as_deref()) {
        violations.add("state", problem);
    }
    let password_hash = if violations.is_empty() {
        Some(hash(&account.password).map_err(AppError::internal)?)
    } else {
        None
    };
    Ok(CheckedAccount {
        username,
        role: account.role,
        clearance: account.clearance,
        missions: account.missions,
        all_missions: account.all_missions,
        state: account.state,
        must_change_password: account.must_change_password,
        violations,
        password_hash,
    })
}

/// Writes an account checked by `check_new_account`, once its missions are found to exist.
pub fn create_user(
    conn: &mut DbConnection,
    context: &AuditContext,
    checked: CheckedAccount,
) -> AppResult<UserWithMissions> {
    let CheckedAccount {
        username,
        role,
        clearance,
        missions,
        all_missions,
        state,
        must_change_password,
        mut violations,
        password_hash,
    } = checked;
    check_missions(conn, &mut violations, &missions)?;
    violations.into_result().map_err(AppError::Validation)?;
    // With no problem found, the password passed and was hashed.
    let password_hash =
        password_hash.ok_or_else(|| AppError::internal("an account checked without a hash"))?;
    let user = UserRow {
        id: Uuid::now_v7().to_string(),
        username,
        password_hash,
        role: role.code().to_string(),
        clearance: clearance.code().to_string(),
        disabled: false,
        must_change_password,
        failed_logins: 0,
        locked_until: None,
        version: 1,
        created_at: context.now,
        updated_at: context.now,
        all_missions,
        state,
    };
    let missions = dedup(missions);
    write_transaction(conn, |conn| {
        users::insert(conn, &user, &missions).map_err(|e| {
            if is_unique_violation(&e) {
                AppError::Conflict(format!("The username `{}` is taken.", user.username))
            } else {
                e.into()
            }
        })?;
        audit::append(
            conn,
            context,
            "user.create",
            "user",
            Some(&user.id),
            with_proof(
                json!({
                    "username": user.username,
                    "role": user.role,
                    "clearance": user.clearance,
                    "missions": missions,
                    "all_missions": user.all_missions,
                    "state": user.state,
                    "must_change_password": user.must_change_password,
                }),
                &user,
                &missions,
            ),
        )?;
        Ok(UserWithMissions {
            user: user.clone(),
            missions: missions.clone(),
        })
    })
}

fn dedup(mut codes: Vec<String>) -> Vec<String> {
    codes.sort();
    codes.dedup();
    codes
}

fn check_missions(
    conn: &mut DbConnection,
    violations: &mut Violations,
    codes: &[String],
) -> AppResult<()> {
    let unknown = missions::unknown_codes(conn, codes)?;
    for (i, code) in codes.iter().enumerate() {
        if unknown.contains(code) {
            violations.add(
                format!("missions[{i}]"),
                format!("`{code}` is not a mission"),
            );
        }
    }
    Ok(())
}

/// An administrator's change to an account; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    pub role: Option<Role>,
    pub clearance: Option<Clearance>,
    pub missions: Option<Vec<String>>,
    pub all_missions: Option<bool>,
    /// The State a focal point speaks for; an account leaving that role leaves its State.
    pub state: Option<String>,
    pub disabled: Option<bool>,
}

pub fn update_user(
    conn: &mut DbConnection,
    context: &AuditContext,
    id: &str,
    expected_version: i64,
    patch: AccountPatch,
) -> AppResult<UserWithMissions> {
    let mut violations = Violations::new();
    if let Some(codes) = &patch.missions {
        check_missions(conn, &mut violations, codes)?;
    }
    let acting_on_self = context.actor_id.as_deref() == Some(id);
    if acting_on_self && patch.disabled == Some(true) {
        violations.add(
            "disabled",
            "administrators cannot disable their own account",
        );
    }
    if acting_on_self && patch.role.is_some_and(|role| role != Role::Admin) {
        violations.add(
            "role",
            "administrators cannot remove their own administrator role",
        );
    }
    violations.into_result().map_err(AppError::Validation)?;

    write_transaction(conn, |conn| {
        let current = users::find_by_id(conn, id)?.ok_or(AppError::NotFound)?;
        let current_missions = users::missions_of(conn, id)?;
        let role = patch
            .role
            .map_or(current.role.clone(), |r| r.code().to_string());
        let clearance = patch
            .clearance
            .map_or(current.clearance.clone(), |c| c.code().to_string());
        let disabled = patch.disabled.unwrap_or(current.disabled);
        let new_role = Role::from_code(&role)
            .ok_or_else(|| AppError::internal(format!("unknown role {role}")))?;
        // A State's focal point works on no mission: one becoming it leaves its missions,
        // unless the change names some, which is refused.
        let kept = if new_role == Role::StateFocalPoint {
            Vec::new()
        } else {
            current_missions.clone()
        };
        let missions = patch.missions.clone().map_or(kept, dedup);
        // A role that reads no mission's records drops the flag unless it is asked for.
        let all_missions = patch
            .all_missions
            .unwrap_or(current.all_missions && new_role.works_on_missions());
        // The account as it would stand: unticking the last mission grants nothing.
        if let Some(problem) = new_role.missions_problem(&missions, all_missions) {
            let field = if all_missions {
                "all_missions"
            } else {
                "missions"
            };
            return Err(AppError::invalid(field, problem));
        }
        let state = match new_role {
            Role::StateFocalPoint => patch.state.clone().or(current.state.clone()),
            _ => patch.state.clone(),
        };
        if let Some(problem) = new_role.state_problem(state.as_deref()) {
            return Err(AppError::invalid("state", problem));
        }

        let change = AccountChange {
            role: &role,
            clearance: &clearance,
            disabled,
            all_missions,
            state: state.as_deref(),
        };
        if !users::update_account(conn, id, expected_version, &change, context.now)? {
            return Err(AppError::Conflict(format!(
                "The user was changed since you read it (version {expected_version}; now {}). Read it again.",
                current.version
            )));
        }
        if missions != current_missions {
            users::set_missions(conn, id, &missions)?;
        }
        let mut changes = changes_between(
            &json!({ "role": current.role, "clearance": current.clearance, "disabled": current.disabled, "missions": current_missions, "all_missions": current.all_missions, "state": current.state }),
            &json!({ "role": role, "clearance": clearance, "disabled": disabled, "missions": missions, "all_missions": all_missions, "state": state }),
        );
        if disabled && !current.disabled {
            let ended = sessions::revoke_all_of_user(conn, id, context.now)?;
            changes["sessions_ended"] = json!(ended);
        }
        let user = users::find_by_id(conn, id)?.ok_or(AppError::NotFound)?;
        let details = json!({ "changes": changes, "version_from": current.version });
        audit::append(
            conn,
            context,
            "user.update",
            "user",
            Some(id),
            with_proof(details, &user, &missions),
        )?;
        Ok(UserWithMissions { user, missions })
    })
}

/// Disables an account by username and ends its sessions (the command line's `user disable`).
pub fn disable_user(
    conn: &mut DbConnection,
    context: &AuditContext,
    username: &str,
) -> AppResult<()> {
    let username = user_rules::normalize_username(username);
    write_transaction(conn, |conn| {
        let user = users::find_by_username(conn, &username)?.ok_or(AppError::NotFound)?;
        users::set_disabled(conn, &user.id, true, context.now)?;
        let ended = sessions::revoke_all_of_user(conn, &user.id, context.now)?;
        let now_disabled = users::find_by_id(conn, &user.id)?.ok_or(AppError::NotFound)?;
        let missions = users::missions_of(conn, &user.id)?;
        let details = json!({ "changes": { "disabled": { "from": user.disabled, "to": true } }, "sessions_ended": ended, "version_from": user.version });
        audit::append(
            conn,
            context,
            "user.update",
            "user",
            Some(&user.id),
            with_proof(details, &now_disabled, &missions),
        )?;
        Ok(())
    })
}

/// Takes away the second factor of an account whose user lost it (and their recovery codes),
/// and ends the account's sessions: the next sign-in needs no code, and an account that must
/// have a factor sets up a new one first. For the command line, run by whoever runs the
/// registry, the way back in for the last administrator too.
pub fn reset_second_factor(
    conn: &mut DbConnection,
    context: &AuditContext,
    username: &str,
) -> AppResult<()> {
    let username = user_rules::normalize_username(username);
    write_transaction(conn, |conn| {
        let user = users::find_by_username(conn, &username)?.ok_or(AppError::NotFound)?;
        if !crate::store::second_factors::remove(conn, &user.id)? {
            return Err(AppError::Conflict(format!(
                "`{username}` has no second factor."
            )));
        }
        let ended = sessions::revoke_all_of_user(conn, &user.id, context.now)?;
        audit::append(
            conn,
            context,
            "auth.second_factor_reset",
            "user",
            Some(&user.id),
            json!({ "sessions_ended": ended }),
        )?;
        Ok(())
    })
}

/// On the very first start, with no account at all, creates `admin` with a random password and
/// returns it, to be shown once. The administrator must change it at first sign-in.
pub fn create_first_admin(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> AppResult<Option<String>> {
    if users::count(conn)? > 0 {
        return Ok(None);
    }
    let password = token::random_password(FIRST_ADMIN_PASSWORD_CHARS);
    let password_hash = password::hash(&password).map_err(AppError::internal)?;
    let user = UserRow {
        id: Uuid::now_v7().to_string(),
        username: "admin".to_string(),
        password_hash,
        role: Role::Admin.code().to_string(),
        clearance: Clearance::StrictlyConfidential.code().to_string(),
        disabled: false,
        must_change_password: true,
        failed_logins: 0,
        locked_until: None,
        version: 1,
        created_at: now,
        updated_at: now,
        all_missions: false,
        state: None,
    };
    let context = AuditContext::system(now, "first-start");
    let created = write_transaction(conn, |conn| {
        // Another server starting at the same moment may have been first.
        if users::count(conn)? > 0 {
            return Ok(false);
        }
        match users::insert(conn, &user, &[]) {
            Err(e) if is_unique_violation(&e) => return Ok(false),
            other => other?,
        }
        audit::append(
            conn,
            &context,
            "user.create",
            "user",
            Some(&user.id),
            with_proof(
                json!({ "username": "admin", "role": "admin", "first_start": true }),
                &user,
                &[],
            ),
        )?;
        Ok::<bool, AppError>(true)
    })?;
    Ok(created.then_some(password))
}
