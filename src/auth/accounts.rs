//! Account operations shared by the API and the command line: sign-in, sign-out and password
//! changes here, creating and changing accounts in `account_changes`. Each change and its audit
//! record commit together.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::config::Settings;
use crate::db::{DbConnection, write_transaction};
use crate::domain::access::Role;
use crate::domain::session::{SessionState, SessionTimes, is_locked, session_state};
use crate::domain::validation::Violations;
use crate::domain::{password as password_policy, second_factor, snapshot, user as user_rules};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, AuditContext};
use crate::store::second_factors::{self, SecondFactorRow};
use crate::store::sessions::{self, SessionRow};
use crate::store::users::{self, UserRow};

use super::{Actor, RequestMeta, password, token};

pub use super::account_changes::{
    AccountPatch, CheckedAccount, NewAccount, check_new_account, check_new_account_hashed_by,
    create_first_admin, create_user, disable_user, reset_second_factor, update_user,
};

/// A new session, as handed to the user once.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: String,
    pub token: String,
    pub expires_at: NaiveDateTime,
    pub must_change_password: bool,
    /// The account must use a second factor and has none yet: the session reaches only its own
    /// account, sign-out and enrolment until one is confirmed.
    pub must_enrol_second_factor: bool,
}

fn start_session(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
    settings: &Settings,
) -> AppResult<(String, NaiveDateTime)> {
    let (token, token_hash) = token::new_token();
    let expires_at = now + TimeDelta::hours(settings.session_absolute_hours.into());
    sessions::insert(
        conn,
        &SessionRow {
            token_hash,
            user_id: user_id.to_string(),
            created_at: now,
            last_seen_at: now,
            expires_at,
            revoked_at: None,
        },
    )?;
    Ok((token, expires_at))
}

/// Counts a wrong password against the account, in the caller's transaction, and locks the
/// account when the failures in a row reach the threshold.
pub(crate) fn count_wrong_password(
    conn: &mut DbConnection,
    settings: &Settings,
    attempt: &AuditContext,
    user_id: &str,
    action: &str,
) -> AppResult<()> {
    count_failure(conn, settings, attempt, user_id, action, "wrong_password")
}

/// Counts a failed sign-in toward the lock-out, recording why.
fn count_failure(
    conn: &mut DbConnection,
    settings: &Settings,
    attempt: &AuditContext,
    user_id: &str,
    action: &str,
    reason: &str,
) -> AppResult<()> {
    let failures = users::add_failed_login(conn, user_id)?;
    audit::append(
        conn,
        attempt,
        action,
        "user",
        Some(user_id),
        json!({ "reason": reason, "consecutive_failures": failures }),
    )?;
    if failures >= settings.lockout_threshold as i32 {
        let until = attempt.now + TimeDelta::minutes(settings.lockout_minutes.into());
        users::lock_until(conn, user_id, until)?;
        audit::append(
            conn,
            attempt,
            "auth.lockout",
            "user",
            Some(user_id),
            json!({ "locked_until": until, "failures": failures }),
        )?;
    }
    Ok(())
}

/// The first step of a sign-in (see `services::accounts::sign_in`): the account of this username, if any.
pub fn find_account(conn: &mut DbConnection, username: &str) -> AppResult<Option<UserRow>> {
    Ok(users::find_by_username(
        conn,
        &user_rules::normalize_username(username),
    )?)
}

/// Whether the password is the account's; for an unknown account, the same work against a
/// dummy hash, and false.
pub fn check_password(account: Option<&UserRow>, password_given: &str) -> bool {
    match account {
        Some(user) => password::verify(password_given, &user.password_hash),
        None => {
            password::verify_against_dummy(password_given);
            false
        }
    }
}

/// The last step of a sign-in: records the attempt and, when `password_ok` says the password
/// matched `account`'s hash, the account may sign in, and its second factor (when it has one)
/// accepts `code`, starts its session. Every failure answers the same `Unauthorized`, after the
/// same work; only a right password without the code the account needs is told so.
#[allow(clippy::too_many_arguments)]
pub fn finish_sign_in(
    conn: &mut DbConnection,
    settings: &Settings,
    now: NaiveDateTime,
    request: &RequestMeta,
    username: &str,
    account: Option<UserRow>,
    password_ok: bool,
    code: Option<&str>,
) -> AppResult<NewSession> {
    let attempt = AuditContext {
        actor_username: Some(user_rules::normalize_username(username)),
        ..request.audit(now)
    };
    let Some(user) = account else {
        audit::append_alone(
            conn,
            &attempt,
            "auth.login_failed",
            "user",
            None,
            json!({ "reason": "unknown_user" }),
        )?;
        return Err(AppError::Unauthorized);
    };
    let attempt = AuditContext {
        actor_id: Some(user.id.clone()),
        ..attempt
    };
    let checked_hash = user.password_hash;

    // The inner result is the answer; the outer one commits the audit records of a refusal too.
    write_transaction(conn, |conn| -> AppResult<AppResult<NewSession>> {
        // Lock the account's row, then read it again: attempts on several servers at once are
        // judged one after the other, so none slips past a lock another has just set.
        users::lock_row(conn, &user.id)?;
        let user = users::find_by_id(conn, &user.id)?.ok_or(AppError::Unauthorized)?;
        // A password changed since it was checked: the one given is no longer the account's.
        let password_ok = password_ok && user.password_hash == checked_hash;
        if is_locked(user.locked_until, now) {
            audit::append(
                conn,
                &attempt,
                "auth.login_locked",
                "user",
                Some(&user.id),
                json!({ "locked_until": user.locked_until }),
            )?;
            return Ok(Err(AppError::Unauthorized));
        }
        if user.disabled {
            audit::append(
                conn,
                &attempt,
                "auth.login_failed",
                "user",
                Some(&user.id),
                json!({ "reason": "disabled" }),
            )?;
            return Ok(Err(AppError::Unauthorized));
        }
        if !password_ok {
            count_wrong_password(conn, settings, &attempt, &user.id, "auth.login_failed")?;
            return Ok(Err(AppError::Unauthorized));
        }
        let factor = second_factors::find(conn, &user.id)?.filter(|f| f.is_on());
        let must_enrol_second_factor = factor.is_none()
            && Role::from_code(&user.role).is_some_and(Role::must_use_second_factor);
        if let Some(factor) = factor {
            let Some(code) = code else {
                audit::append(
                    conn,
                    &attempt,
                    "auth.login_needs_second_factor",
                    "user",
                    Some(&user.id),
                    json!({}),
                )?;
                return Ok(Err(AppError::SecondFactorRequired));
            };
            if !second_factor_accepts(conn, &factor, code, now)? {
                count_failure(
                    conn,
                    settings,
                    &attempt,
                    &user.id,
                    "auth.login_failed",
                    "wrong_second_factor",
                )?;
                return Ok(Err(AppError::Unauthorized));
            }
        }
        users::clear_failed_logins(conn, &user.id)?;
        let (token, expires_at) = start_session(conn, &user.id, now, settings)?;
        audit::append(
            conn,
            &attempt,
            "auth.login",
            "user",
            Some(&user.id),
            json!({ "session_expires_at": expires_at }),
        )?;
        Ok(Ok(NewSession {
            user_id: user.id.clone(),
            token,
            expires_at,
            must_change_password: user.must_change_password,
            must_enrol_second_factor,
        }))
    })?
}

/// Whether `code` is a one-time code of the account's factor not used before, or one of its
/// recovery codes not used before; either is used up by being accepted.
fn second_factor_accepts(
    conn: &mut DbConnection,
    factor: &SecondFactorRow,
    code: &str,
    now: NaiveDateTime,
) -> AppResult<bool> {
    if let Some(recovery) = second_factor::recovery_code(code) {
        let hash = recovery_code_hash(&factor.user_id, &recovery);
        return Ok(second_factors::use_recovery_code(
            conn,
            &factor.user_id,
            &hash,
            now,
        )?);
    }
    take_one_time_code(conn, factor, code, now)
}

/// Takes a one-time code of the account's factor: true when it is valid now and of a step newer
/// than the last one used, which it becomes.
pub fn take_one_time_code(
    conn: &mut DbConnection,
    factor: &SecondFactorRow,
    code: &str,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let unix_seconds = u64::try_from(now.and_utc().timestamp()).unwrap_or(0);
    let last_step = factor.last_step.and_then(|step| u64::try_from(step).ok());
    match second_factor::accepted_step(&factor.secret, code, unix_seconds, last_step)
        .and_then(|step| i64::try_from(step).ok())
    {
        Some(step) => Ok(second_factors::take_step(conn, &factor.user_id, step, now)?),
        None => Ok(false),
    }
}

/// A recovery code as stored: its SHA-256 with the account's id, so the same code of two
/// accounts is stored differently. The codes carry about 49 bits of randomness each.
pub fn recovery_code_hash(user_id: &str, code: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(format!("{user_id}:{code}").as_bytes()))
}

pub fn logout(conn: &mut DbConnection, user: &Actor, now: NaiveDateTime) -> AppResult<()> {
    write_transaction(conn, |conn| {
        sessions::revoke(conn, &user.token_hash, now)?;
        audit::append(
            conn,
            &user.audit(now),
            "auth.logout",
            "user",
            Some(&user.id),
            json!({}),
        )?;
        Ok(())
    })
}

/// Ends every session of the user, this one too (a lost device, a shared computer).
pub fn logout_everywhere(
    conn: &mut DbConnection,
    user: &Actor,
    now: NaiveDateTime,
) -> AppResult<usize> {
    write_transaction(conn, |conn| {
        let ended = sessions::revoke_all_of_user(conn, &user.id, now)?;
        audit::append(
            conn,
            &user.audit(now),
            "auth.logout_all",
            "user",
            Some(&user.id),
            json!({ "sessions_ended": ended }),
        )?;
        Ok(ended)
    })
}

/// One of the user's active sessions, named by the start of its token's hash (never the
/// token, which only its holder has).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ActiveSession {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub current: bool,
}

pub fn active_sessions(
    conn: &mut DbConnection,
    settings: &Settings,
    user: &Actor,
    now: NaiveDateTime,
) -> AppResult<Vec<ActiveSession>> {
    let idle = TimeDelta::minutes(settings.session_idle_minutes.into());
    Ok(sessions::open_of_user(conn, &user.id, now)?
        .into_iter()
        .filter(|s| {
            let times = SessionTimes {
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                revoked_at: s.revoked_at,
            };
            session_state(&times, now, idle) == SessionState::Active
        })
        .map(|s| ActiveSession {
            id: s.token_hash.chars().take(12).collect(),
            current: s.token_hash == user.token_hash,
            started_at: s.created_at.and_utc(),
            last_seen_at: s.last_seen_at.and_utc(),
            expires_at: s.expires_at.and_utc(),
        })
        .collect())
}

/// The first step of changing one's own password: the account as stored, whose hash the
/// current password is then checked against (`check_password_change`). A locked account may
/// not change it, and the attempt is recorded.
pub fn account_for_password_change(
    conn: &mut DbConnection,
    user: &Actor,
    now: NaiveDateTime,
) -> AppResult<UserRow> {
    let stored = users::find_by_id(conn, &user.id)?.ok_or(AppError::Unauthorized)?;
    if is_locked(stored.locked_until, now) {
        write_transaction(conn, |conn| record_locked_out(conn, user, &stored, now))?;
        return Err(locked_out());
    }
    Ok(stored)
}

/// Records a password change tried on a locked account (as a sign-in records
/// `auth.login_locked`): a stolen token still in use after the lock-out is worth seeing.
fn record_locked_out(
    conn: &mut DbConnection,
    user: &Actor,
    stored: &UserRow,
    now: NaiveDateTime,
) -> AppResult<()> {
    audit::append(
        conn,
        &user.audit(now),
        "user.password_change_locked",
        "user",
        Some(&user.id),
        json!({ "locked_until": stored.locked_until }),
    )?;
    Ok(())
}

fn locked_out() -> AppError {
    AppError::Forbidden("The account is locked after failed attempts; try again later.".to_string())
}

/// What the check of a password change found.
pub enum PasswordChangeCheck {
    /// The current password is right and the new one acceptable.
    Ready {
        /// The hash the current password was checked against.
        checked_hash: String,
        new_hash: String,
    },
    /// The password given as the current one is not.
    WrongCurrent,
}

/// The second step: checks the current password against `stored`'s hash and the new one
/// against the policy, and hashes the new one. Argon2 twice, holding no connection: run it in
/// a password permit. A new password refused is answered at once; a wrong current one is counted
/// in the last step.
pub fn check_password_change(
    stored: &UserRow,
    current: &str,
    new: &str,
) -> AppResult<PasswordChangeCheck> {
    if !password::verify(current, &stored.password_hash) {
        return Ok(PasswordChangeCheck::WrongCurrent);
    }
    let mut violations = Violations::new();
    violations.check("new", password_policy::check(new, &[&stored.username]));
    if new == current {
        violations.add("new", "must differ from the current password");
    }
    violations.into_result().map_err(AppError::Validation)?;
    let new_hash = password::hash(new).map_err(AppError::internal)?;
    Ok(PasswordChangeCheck::Ready {
        checked_hash: stored.password_hash.clone(),
        new_hash,
    })
}

/// The last step, under the account's row lock, which may come a while after the request was
/// authenticated: the session must still be open and the account enabled and unlocked. A
/// wrong current password counts like a failed sign-in (a stolen token must not open
/// unlimited guessing); a right one sets the new password and ends every session of the user,
/// this one too, and a fresh session is returned so the user carries on.
pub fn finish_password_change(
    conn: &mut DbConnection,
    settings: &Settings,
    user: &Actor,
    check: PasswordChangeCheck,
    now: NaiveDateTime,
) -> AppResult<NewSession> {
    // The inner result is the answer; the outer one commits the count of a wrong password too.
    write_transaction(conn, |conn| -> AppResult<AppResult<NewSession>> {
        users::lock_row(conn, &user.id)?;
        let stored = users::find_by_id(conn, &user.id)?.ok_or(AppError::Unauthorized)?;
        if stored.disabled || !sessions::is_open(conn, &user.token_hash)? {
            return Ok(Err(AppError::Unauthorized));
        }
        if is_locked(stored.locked_until, now) {
            record_locked_out(conn, user, &stored, now)?;
            return Ok(Err(locked_out()));
        }
        let new_hash = match check {
            PasswordChangeCheck::WrongCurrent => {
                count_wrong_password(
                    conn,
                    settings,
                    &user.audit(now),
                    &user.id,
                    "user.password_change_failed",
                )?;
                return Ok(Err(AppError::invalid(
                    "current",
                    "is not the current password",
                )));
            }
            // The password given was right when checked: nothing to count.
            PasswordChangeCheck::Ready { checked_hash, .. }
                if stored.password_hash != checked_hash =>
            {
                return Ok(Err(AppError::Conflict(
                    "The password was changed meanwhile; sign in again.".to_string(),
                )));
            }
            PasswordChangeCheck::Ready { new_hash, .. } => new_hash,
        };
        users::set_password(conn, &user.id, &new_hash, false, now)?;
        let ended = sessions::revoke_all_of_user(conn, &user.id, now)?;
        let (token, expires_at) = start_session(conn, &user.id, now, settings)?;
        audit::append(
            conn,
            &user.audit(now),
            "user.password_change",
            "user",
            Some(&user.id),
            json!({ "sessions_ended": ended }),
        )?;
        Ok(Ok(NewSession {
            user_id: user.id.clone(),
            token,
            expires_at,
            must_change_password: false,
            must_enrol_second_factor: user.must_enrol_second_factor,
        }))
    })?
}

/// What an audit record of an account change proves: the version the account became and the
/// hash of its snapshot, added to the record's details.
pub(crate) fn with_proof(mut details: Value, user: &UserRow, missions: &[String]) -> Value {
    let account = snapshot::account(
        &user.role,
        &user.clearance,
        missions,
        user.all_missions,
        user.disabled,
        user.state.as_deref(),
    );
    details["version_to"] = json!(user.version);
    details["snapshot_sha256"] = json!(snapshot::digest(&snapshot::canonical(&account)));
    details
}

/// The snapshot of an account as its rows stand now: what its latest audit record must prove.
pub(crate) fn current_snapshot(conn: &mut DbConnection, id: &str) -> AppResult<Option<String>> {
    let Some(user) = users::find_by_id(conn, id)? else {
        return Ok(None);
    };
    let missions = users::missions_of(conn, id)?;
    let account = snapshot::account(
        &user.role,
        &user.clearance,
        &missions,
        user.all_missions,
        user.disabled,
        user.state.as_deref(),
    );
    Ok(Some(snapshot::canonical(&account)))
}
