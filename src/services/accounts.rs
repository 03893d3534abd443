//! Signing in, changing one's own password and creating accounts: the steps that hash or
//! check a password run in a password permit holding no database connection (see
//! `AppState::with_password_permit`), the others in database permits.

use actix_web::web::Data;
use chrono::NaiveDateTime;

use crate::AppState;
use crate::auth::accounts;
pub use crate::auth::accounts::{AccountPatch, ActiveSession, NewAccount, NewSession};
use crate::auth::{Actor, RequestMeta};
use crate::db::DbConnection;
use crate::domain::second_factor;
use crate::error::{AppError, AppResult};
use crate::store::audit;
use crate::store::second_factors;
use crate::store::users::{self, UserWithMissions};
use serde_json::json;

/// Checks a sign-in and counts a refusal, in three steps: the account is read in a
/// database permit, the password checked in a password permit holding no connection, and the
/// attempt recorded (and the session started) in a database permit. A storm of sign-ins so
/// takes no connection from under the requests waiting for one. The steps run as a task
/// of their own: a client that leaves once its password was checked still has the attempt
/// recorded, and counted towards the lockout.
pub async fn sign_in(
    state: &Data<AppState>,
    request: RequestMeta,
    username: String,
    password: String,
    code: Option<String>,
) -> AppResult<NewSession> {
    let state = Data::clone(state);
    let steps = actix_web::rt::spawn(async move {
        let settings = state.settings.clone();
        let name = username.clone();
        let account = state
            .run(move |conn| accounts::find_account(conn, &name))
            .await?;
        let (account, password_ok) = state
            .with_password_permit(move || {
                let password_ok = accounts::check_password(account.as_ref(), &password);
                (account, password_ok)
            })
            .await?;
        // The waits may have taken a while: the session starts now.
        let now = state.clock.now();
        let outcome = state
            .run(move |conn| {
                accounts::finish_sign_in(
                    conn,
                    &settings,
                    now,
                    &request,
                    &username,
                    account,
                    password_ok,
                    code.as_deref(),
                )
            })
            .await;
        if matches!(outcome, Err(AppError::Unauthorized)) {
            state.metrics.failed_sign_ins.inc();
        }
        outcome
    });
    steps.await.map_err(AppError::internal)?
}

/// Changes the user's own password in three steps, as `sign_in` checks one: the account
/// is read in a database permit, the current password checked and the new one hashed in a
/// password permit holding no connection, and the change (or the count of a wrong current
/// password) written in a database permit, after which the sessions this server checked
/// lately are forgotten. A task of its own, so a wrong password is counted even when the
/// client leaves.
pub async fn change_own_password(
    state: &Data<AppState>,
    user: Actor,
    current: String,
    new: String,
) -> AppResult<NewSession> {
    let state = Data::clone(state);
    let steps = actix_web::rt::spawn(async move {
        let (settings, now) = (state.settings.clone(), state.clock.now());
        let reader = user.clone();
        let stored = state
            .run(move |conn| accounts::account_for_password_change(conn, &reader, now))
            .await?;
        let check = state
            .with_password_permit(move || accounts::check_password_change(&stored, &current, &new))
            .await??;
        // The waits may have taken a while: the change happens now.
        let now = state.clock.now();
        state
            .change_accounts(move |conn| {
                accounts::finish_password_change(conn, &settings, &user, check, now)
            })
            .await
    });
    steps.await.map_err(AppError::internal)?
}

/// Creates an account for `creator` (an administrator) in two steps: its username and
/// password checked and the password hashed in a password permit holding no connection, then
/// its missions checked and the account written in a database permit.
pub async fn create_account(
    state: &AppState,
    creator: &Actor,
    account: NewAccount,
) -> AppResult<UserWithMissions> {
    let checked = state
        .with_password_permit(move || accounts::check_new_account(account))
        .await??;
    let context = creator.audit(state.clock.now());
    state
        .run(move |conn| accounts::create_user(conn, &context, checked))
        .await
}

/// Ends the user's session (signing out).
pub async fn sign_out(state: &AppState, user: Actor) -> AppResult<()> {
    let now = state.clock.now();
    state
        .change_accounts(move |conn| accounts::logout(conn, &user, now))
        .await
}

/// Ends every session of the user, this one too (a lost device, a shared computer); says how
/// many ended.
pub async fn sign_out_everywhere(state: &AppState, user: Actor) -> AppResult<usize> {
    let now = state.clock.now();
    state
        .change_accounts(move |conn| accounts::logout_everywhere(conn, &user, now))
        .await
}

/// The user's active sessions, newest first.
pub async fn active_sessions(state: &AppState, user: Actor) -> AppResult<Vec<ActiveSession>> {
    let (settings, now) = (state.settings.clone(), state.clock.now());
    state
        .run(move |conn| accounts::active_sessions(conn, &settings, &user, now))
        .await
}

/// What an enrolment in the second factor shows once: the secret to type into an
/// authenticator app, the address its QR code carries, and the recovery codes.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_uri: String,
    pub recovery_codes: Vec<String>,
}

/// Starts the user's second factor, or starts it again while it is not yet confirmed: a new
/// secret and new recovery codes, off until a first code confirms them. The account's password
/// is asked again, and a factor already on is not replaced this way (409): a stolen session
/// must not be enough to put a factor of its own on the account, nor to open an account still
/// waiting for one. A wrong password counts toward the lock-out (422 naming `password`).
pub async fn enrol_second_factor(
    state: &AppState,
    user: Actor,
    password: String,
) -> AppResult<Enrolment> {
    let now = state.clock.now();
    let reader = user.clone();
    let stored = state
        .run(move |conn| accounts::account_for_password_change(conn, &reader, now))
        .await?;
    let password_ok = state
        .with_password_permit(move || {
            Ok::<_, AppError>(crate::auth::password::verify(
                &password,
                &stored.password_hash,
            ))
        })
        .await??;
    let settings = state.settings.clone();
    state
        .run(move |conn| {
            // The inner result is the answer; the outer one commits the count of a wrong
            // password too.
            crate::db::write_transaction(conn, |conn| -> AppResult<AppResult<Enrolment>> {
                if !password_ok {
                    accounts::count_wrong_password(
                        conn,
                        &settings,
                        &user.audit(now),
                        &user.id,
                        "auth.second_factor_enrol_failed",
                    )?;
                    return Ok(Err(AppError::invalid("password", "is not your password")));
                }
                Ok(begin_second_factor(conn, &user, now))
            })?
        })
        .await
}

/// A new secret and recovery codes for the user, off until confirmed.
fn begin_second_factor(
    conn: &mut DbConnection,
    user: &Actor,
    now: NaiveDateTime,
) -> AppResult<Enrolment> {
    if second_factors::find(conn, &user.id)?.is_some_and(|f| f.is_on()) {
        return Err(AppError::Conflict(
            "This account's second factor is on already.".to_string(),
        ));
    }
    let secret = second_factor::new_secret();
    let otpauth_uri = second_factor::otpauth_uri(&secret, &user.username)
        .ok_or_else(|| AppError::internal("a username no address can carry"))?;
    let recovery_codes = second_factor::new_recovery_codes();
    let hashes: Vec<String> = recovery_codes
        .iter()
        .filter_map(|code| second_factor::recovery_code(code))
        .map(|code| accounts::recovery_code_hash(&user.id, &code))
        .collect();
    second_factors::begin(conn, &user.id, &secret, &hashes, now)?;
    audit::append(
        conn,
        &user.audit(now),
        "auth.second_factor_enrol",
        "user",
        Some(&user.id),
        json!({}),
    )?;
    Ok(Enrolment {
        secret: second_factor::secret_text(&secret),
        otpauth_uri,
        recovery_codes,
    })
}

/// Whether the user's second factor is on, and how many recovery codes it has left.
pub async fn second_factor_state(state: &AppState, user: Actor) -> AppResult<(bool, i64)> {
    state
        .run(move |conn| {
            let on = second_factors::find(conn, &user.id)?.is_some_and(|f| f.is_on());
            let left = if on {
                second_factors::recovery_codes_left(conn, &user.id)?
            } else {
                0
            };
            Ok((on, left))
        })
        .await
}

/// Switches the user's second factor on with a first code from the authenticator app; a wrong
/// code is refused naming `code`, and nothing changes. A session that had to wait for the
/// factor reaches everything from the next request on: the sessions checked lately are
/// forgotten, so none is believed still waiting.
pub async fn confirm_second_factor(state: &AppState, user: Actor, code: String) -> AppResult<()> {
    let now = state.clock.now();
    state
        .change_accounts(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let Some(factor) = second_factors::find(conn, &user.id)? else {
                    return Err(AppError::Conflict(
                        "Enrol first: POST /api/v1/me/second-factor.".to_string(),
                    ));
                };
                let taken = accounts::take_one_time_code(conn, &factor, &code, now)?;
                if !taken {
                    return Err(AppError::invalid(
                        "code",
                        "is not the code the authenticator app shows now",
                    ));
                }
                audit::append(
                    conn,
                    &user.audit(now),
                    "auth.second_factor_on",
                    "user",
                    Some(&user.id),
                    json!({}),
                )?;
                Ok(())
            })
        })
        .await
}

/// The signed-in user's own account, with its missions.
pub fn own_account(conn: &mut DbConnection, user: &Actor) -> AppResult<UserWithMissions> {
    let row = users::find_by_id(conn, &user.id)?.ok_or(AppError::NotFound)?;
    Ok(users::with_missions(conn, row)?)
}

/// The language an account chose for the pages, if any (a code like `fr`).
pub fn language_of(conn: &mut DbConnection, user_id: &str) -> AppResult<Option<String>> {
    Ok(users::language_of(conn, user_id)?)
}

/// Keeps the language the signed-in user chose, so that it follows them to another device.
pub fn set_language(conn: &mut DbConnection, user: &Actor, code: &str) -> AppResult<()> {
    Ok(users::set_language(conn, &user.id, code)?)
}
