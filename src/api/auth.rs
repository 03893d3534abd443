//! Sign-in, sign-out, and the signed-in user's own account.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::accounts::{self, NewSession};
use crate::auth::{RequestMeta, SignedIn};
use crate::error::AppError;

use super::input::JsonBody;
use super::users::UserView;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub struct SessionView {
    token: String,
    token_type: &'static str,
    expires_at: DateTime<Utc>,
    must_change_password: bool,
}

impl From<NewSession> for SessionView {
    fn from(session: NewSession) -> Self {
        SessionView {
            token: session.token,
            token_type: "Bearer",
            expires_at: session.expires_at.and_utc(),
            must_change_password: session.must_change_password,
        }
    }
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let body: LoginRequest = body.parse()?;
    let request = RequestMeta::of(&req);
    state
        .throttles
        .sign_in(request.client_addr.as_deref(), &body.username)?;
    let settings = state.settings.clone();
    let now = state.clock.now();
    let pool = state.pool.clone();
    // The pool, not a connection: none is held while the password hash is checked.
    let session = web::block(move || {
        accounts::login(
            &pool,
            &settings,
            now,
            &request,
            &body.username,
            &body.password,
        )
    })
    .await??;
    Ok(HttpResponse::Ok().json(SessionView::from(session)))
}

pub async fn logout(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    state
        .run(move |conn| accounts::logout(conn, &user, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/auth/logout-all`: ends every session of the user, this one included.
pub async fn logout_all(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let ended = state
        .run(move |conn| accounts::logout_everywhere(conn, &user, now))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "sessions_ended": ended })))
}

/// `GET /api/v1/me/sessions`: the user's active sessions, newest first.
pub async fn sessions(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let (settings, now) = (state.settings.clone(), state.clock.now());
    let items = state
        .run(move |conn| accounts::active_sessions(conn, &settings, &user, now))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

pub async fn me(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let view = state
        .run(move |conn| UserView::load(conn, &user.id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current: String,
    new: String,
}

pub async fn change_password(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let body: PasswordChange = body.parse()?;
    let settings = state.settings.clone();
    let now = state.clock.now();
    let session = state
        .run(move |conn| {
            accounts::change_own_password(conn, &settings, &user, &body.current, &body.new, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SessionView::from(session)))
}
