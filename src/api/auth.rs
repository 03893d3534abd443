//! Sign-in, sign-out, and the signed-in user's own account.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{RequestMeta, SignedIn};
use crate::error::AppError;
use crate::services::accounts::{self, ActiveSession, NewSession};

use super::input::JsonBody;
use super::users::UserView;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
    /// The one-time code of the account's authenticator app, or one of its recovery codes:
    /// needed when the account has a second factor.
    code: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    token: String,
    token_type: &'static str,
    expires_at: DateTime<Utc>,
    must_change_password: bool,
    /// The account must set up a second factor: until it is confirmed, the token reaches only
    /// `/me`, sign-out and enrolment.
    must_enrol_second_factor: bool,
}

impl From<NewSession> for SessionView {
    fn from(session: NewSession) -> Self {
        SessionView {
            token: session.token,
            token_type: "Bearer",
            expires_at: session.expires_at.and_utc(),
            must_change_password: session.must_change_password,
            must_enrol_second_factor: session.must_enrol_second_factor,
        }
    }
}

/// Sign in: a new session token for a username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()),
    request_body = LoginRequest,
    responses((status = 200, description = "Signed in: a new session token.", body = SessionView),
        (status = 401, description = "The username or password is wrong, or the account is disabled or locked (always the same answer).", body = crate::error::Problem, content_type = "application/problem+json")))]
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
    let session =
        accounts::sign_in(&state, request, body.username, body.password, body.code).await?;
    Ok(HttpResponse::Ok().json(SessionView::from(session)))
}

/// Sign out: end this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "This session has ended.")))]
pub async fn logout(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, AppError> {
    accounts::sign_out(&state, user).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionsEnded {
    sessions_ended: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionList {
    items: Vec<ActiveSession>,
}

/// Sign out everywhere: end every session of the account, this one included.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth",
    responses((status = 200, description = "Every session of the account has ended, this one too.", body = SessionsEnded)))]
pub async fn logout_all(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let ended = accounts::sign_out_everywhere(&state, user).await?;
    Ok(HttpResponse::Ok().json(SessionsEnded {
        sessions_ended: ended,
    }))
}

/// The account's active sessions, newest first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth",
    responses((status = 200, description = "The account's active sessions, newest first.", body = SessionList)))]
pub async fn sessions(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let items = accounts::active_sessions(&state, user).await?;
    Ok(HttpResponse::Ok().json(SessionList { items }))
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, description = "The signed-in account.", body = UserView)))]
pub async fn me(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let view = state
        .run(move |conn| accounts::own_account(conn, &user).map(UserView::from))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current: String,
    new: String,
}

/// Change one's own password.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth",
    request_body = PasswordChange,
    responses((status = 200, description = "Changed. Every session of the account has ended; this is a new one.", body = SessionView),
        (status = 403, description = "The account is locked after failed attempts; try again later.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The password was changed meanwhile, after the current one was checked; sign in again.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn change_password(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let body: PasswordChange = body.parse()?;
    let session = accounts::change_own_password(&state, user, body.current, body.new).await?;
    Ok(HttpResponse::Ok().json(SessionView::from(session)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentRequest {
    /// The account's password, asked again: a session alone does not put a factor on an
    /// account.
    password: String,
}

/// Enrol in the second factor: answers, once, the secret for an authenticator app, the
/// `otpauth://` address its QR code carries, and the recovery codes. Off until confirmed.
#[utoipa::path(post, path = "/api/v1/me/second-factor", tag = "auth",
    request_body = EnrolmentRequest,
    responses((status = 200, description = "The enrolment, shown once; confirm it with a first code.", body = accounts::Enrolment),
        (status = 403, description = "The account is locked after failed attempts; try again later.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account's second factor is on already.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn enrol_second_factor(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let body: EnrolmentRequest = body.parse()?;
    let enrolment = accounts::enrol_second_factor(&state, user, body.password).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(enrolment))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorCode {
    /// The code the authenticator app shows now.
    code: String,
}

/// Switch the second factor on with a first code: from then on every sign-in needs a code.
#[utoipa::path(post, path = "/api/v1/me/second-factor/confirm", tag = "auth",
    request_body = SecondFactorCode,
    responses((status = 204, description = "The second factor is on."),
        (status = 409, description = "There is no enrolment to confirm.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn confirm_second_factor(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let body: SecondFactorCode = body.parse()?;
    accounts::confirm_second_factor(&state, user, body.code).await?;
    Ok(HttpResponse::NoContent().finish())
}
