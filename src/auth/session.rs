//! The signed-in user of a request, found from `Authorization: Bearer <token>`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::{NaiveDateTime, TimeDelta};
use tracing_actix_web::RequestId;

use crate::AppState;
use crate::db::DbConnection;
use crate::domain::access::{Clearance, Role};
use crate::domain::session::{SessionState, SessionTimes, needs_touch, session_state};
use crate::error::{AppError, AppResult};
use crate::store::audit::AuditContext;
use crate::store::{second_factors, sessions, users};

use super::recent_sessions::CheckedSession;
use super::token::hash_token;

/// The client's address: the connection's, unless a trusted proxy header is configured, in
/// which case the last entry of that header: the one the proxy wrote, the address it saw
/// connect (entries before it are the client's own words). An entry that is not an address
/// (with or without a port) is not skipped but refused: the connection's address stands. A
/// header is never believed when no proxy is configured: anyone could write it.
pub fn client_address(req: &HttpRequest) -> Option<String> {
    let configured = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.trusted_proxy_header.trim())
        .filter(|name| !name.is_empty());
    if let Some(name) = configured {
        let last = req
            .headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .last();
        let address = last.and_then(|entry| {
            entry
                .parse::<std::net::IpAddr>()
                .ok()
                .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        });
        if let Some(address) = address {
            return Some(address.to_string());
        }
    }
    req.peer_addr().map(|addr| addr.ip().to_string())
}

/// Where a request came from, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

impl RequestMeta {
    pub fn of(req: &HttpRequest) -> Self {
        RequestMeta {
            request_id: req.extensions().get::<RequestId>().map(|id| id.to_string()),
            client_addr: client_address(req),
        }
    }

    pub fn audit(&self, now: NaiveDateTime) -> AuditContext {
        AuditContext {
            request_id: self.request_id.clone(),
            client_addr: self.client_addr.clone(),
            now,
            ..Default::default()
        }
    }
}

/// Who acts: the signed-in user, what they may reach, and the request's metadata that the
/// audit trail records. Every service entry point takes one.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub clearance: Clearance,
    /// Missions the user works on.
    pub missions: Vec<String>,
    /// Works on every mission (headquarters), as the account says explicitly.
    pub all_missions: bool,
    /// The State a focal point speaks for.
    pub state: Option<String>,
    pub must_change_password: bool,
    /// The account must use a second factor and has none confirmed yet: until it has, it
    /// reaches only its own account, sign-out and enrolment.
    pub must_enrol_second_factor: bool,
    pub token_hash: String,
    pub request: RequestMeta,
}

impl Actor {
    pub fn viewer(&self) -> crate::domain::access::Viewer<'_> {
        crate::domain::access::Viewer {
            role: self.role,
            clearance: self.clearance,
            missions: &self.missions,
            all_missions: self.all_missions,
        }
    }

    pub fn audit(&self, now: NaiveDateTime) -> AuditContext {
        AuditContext {
            actor_id: Some(self.id.clone()),
            actor_username: Some(self.username.clone()),
            ..self.request.audit(now)
        }
    }
}

/// Any signed-in user, even one who must still change their password.
pub struct SignedIn(pub Actor);

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = LocalFuture<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        let request = RequestMeta::of(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("application state missing"))?;
            let token = token.ok_or(AppError::Unauthorized)?;
            Ok(SignedIn(user_of_token(&state, &token, request).await?))
        })
    }
}

/// A signed-in user who may use the registry (no pending password change, no second factor
/// still to enrol).
impl FromRequest for Actor {
    type Error = AppError;
    type Future = LocalFuture<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        Box::pin(async move {
            let SignedIn(user) = signed_in.await?;
            if user.must_change_password {
                return Err(AppError::PasswordChangeRequired);
            }
            if user.must_enrol_second_factor {
                return Err(AppError::SecondFactorEnrolmentRequired);
            }
            Ok(user)
        })
    }
}

/// The user of a session token (from the API's bearer header or the pages' cookie), if the
/// session is active; `Unauthorized` otherwise.
pub async fn user_of_token(
    state: &web::Data<AppState>,
    token: &str,
    request: RequestMeta,
) -> AppResult<Actor> {
    let token_hash = hash_token(token);
    let idle = TimeDelta::minutes(state.settings.session_idle_minutes.into());
    if let Some(checked) = state.recent_sessions.get(&token_hash)
        && still_active(&checked, state.clock.now(), idle)
    {
        return Ok(Actor {
            request,
            ..checked.user
        });
    }
    let read = state.recent_sessions.begin_read();
    let clock = state.clock.clone();
    let checked = state
        .run(move |conn| authenticate(conn, token_hash, clock.now(), idle))
        .await?;
    // An administrator's session is asked of the database on every request: a role taken away
    // on another server must not leave its powers here, even for a second.
    if checked.user.role != Role::Admin {
        state
            .recent_sessions
            .keep(read, checked.user.token_hash.clone(), checked.clone());
    }
    Ok(Actor {
        request,
        ..checked.user
    })
}

/// Whether a session checked a moment ago may be believed now: still within its times, and not
/// yet due to have its last use written down.
fn still_active(checked: &CheckedSession, now: NaiveDateTime, idle: TimeDelta) -> bool {
    session_state(&checked.times, now, idle) == SessionState::Active
        && !needs_touch(checked.times.last_seen_at, now)
}

pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

fn authenticate(
    conn: &mut DbConnection,
    token_hash: String,
    now: NaiveDateTime,
    idle: TimeDelta,
) -> AppResult<CheckedSession> {
    let (session, user, missions) =
        sessions::find_with_user(conn, &token_hash)?.ok_or(AppError::Unauthorized)?;
    let mut times = SessionTimes {
        last_seen_at: session.last_seen_at,
        expires_at: session.expires_at,
        revoked_at: session.revoked_at,
    };
    if session_state(&times, now, idle) != SessionState::Active || user.disabled {
        return Err(AppError::Unauthorized);
    }
    if needs_touch(times.last_seen_at, now) {
        sessions::touch(conn, &token_hash, now)?;
        times.last_seen_at = now;
    }
    let role = Role::try_from(user.role.as_str())?;
    let must_enrol_second_factor = role.must_use_second_factor()
        && !second_factors::find(conn, &user.id)?.is_some_and(|factor| factor.is_on());
    let user = Actor {
        role,
        clearance: Clearance::try_from(user.clearance.as_str())?,
        id: user.id,
        username: user.username,
        missions,
        all_missions: user.all_missions,
        state: user.state,
        must_change_password: user.must_change_password,
        must_enrol_second_factor,
        token_hash,
        request: RequestMeta::default(),
    };
    Ok(CheckedSession { user, times })
}

/// The account as an actor, without a session: for what a user reaches by a secret of their
/// own (a calendar feed). `None` for an account disabled, or one that must still change its
/// password or enrol its second factor.
pub fn actor_of_account(conn: &mut DbConnection, user_id: &str) -> AppResult<Option<Actor>> {
    let Some(user) = users::find_by_id(conn, user_id)? else {
        return Ok(None);
    };
    if user.disabled || user.must_change_password {
        return Ok(None);
    }
    let role = Role::try_from(user.role.as_str())?;
    if role.must_use_second_factor()
        && !second_factors::find(conn, &user.id)?.is_some_and(|factor| factor.is_on())
    {
        return Ok(None);
    }
    Ok(Some(Actor {
        role,
        clearance: Clearance::try_from(user.clearance.as_str())?,
        missions: users::missions_of(conn, &user.id)?,
        id: user.id,
        username: user.username,
        all_missions: user.all_missions,
        state: user.state,
        must_change_password: false,
        must_enrol_second_factor: false,
        token_hash: String::new(),
        request: RequestMeta::default(),
    }))
}
