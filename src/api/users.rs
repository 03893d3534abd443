//! `/api/v1/users`: accounts, for administrators only.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Actor;
use crate::domain::access::{Clearance, Role};
use crate::error::AppError;
use crate::services::accounts::{AccountPatch, NewAccount};
use crate::services::users::{self as service, UserWithMissions};

use super::input::{JsonBody, etag, expected_version, if_match, page_limit};
use crate::http::cursor::{decode_cursor, encode_cursor};

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    id: String,
    username: String,
    role: String,
    clearance: String,
    /// Missions the user works on.
    missions: Vec<String>,
    /// Works on every mission (security officers, legal officers and leadership only).
    all_missions: bool,
    /// The State a focal point speaks for (ISO 3166-1 alpha-3); absent for other accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    disabled: bool,
    must_change_password: bool,
    locked_until: Option<DateTime<Utc>>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<UserWithMissions> for UserView {
    fn from(UserWithMissions { user, missions }: UserWithMissions) -> Self {
        UserView {
            id: user.id,
            username: user.username,
            role: user.role,
            clearance: user.clearance,
            missions,
            all_missions: user.all_missions,
            state: user.state,
            disabled: user.disabled,
            must_change_password: user.must_change_password,
            locked_until: user.locked_until.map(|t| t.and_utc()),
            version: user.version,
            created_at: user.created_at.and_utc(),
            updated_at: user.updated_at.and_utc(),
        }
    }
}

fn with_etag(status: actix_web::http::StatusCode, view: UserView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(etag(view.version))
        .json(view)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserPage {
    items: Vec<UserView>,
    next_cursor: Option<String>,
}

/// List accounts.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    params(ListQuery),
    responses((status = 200, description = "Accounts by username.", body = UserPage)))]
pub async fn list(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let limit = page_limit(query.limit)?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let now = state.clock.now();
    let page = state
        .run(move |conn| service::list(conn, &user, after.as_deref(), limit, now))
        .await?;
    let next_cursor = page
        .has_more
        .then(|| page.items.last().map(|u| encode_cursor(&u.user.username)))
        .flatten();
    Ok(HttpResponse::Ok().json(UserPage {
        items: page.items.into_iter().map(UserView::from).collect(),
        next_cursor,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    username: String,
    password: String,
    role: Role,
    clearance: Option<Clearance>,
    /// The missions the account works on: at least one for security officers, legal officers
    /// and leadership, unless `all_missions`.
    #[serde(default)]
    missions: Vec<String>,
    /// Works on every mission: an explicit grant, for security officers, legal officers and
    /// leadership only.
    #[serde(default)]
    all_missions: bool,
    /// The State a focal point speaks for (ISO 3166-1 alpha-3): required for the role
    /// `state_focal_point`, refused for the others.
    state: Option<String>,
}

/// Create an account with a first password.
#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body = CreateUser,
    responses((status = 201, description = "Created; the user must change the first password.", body = UserView, headers(("ETag" = String, description = "The version, for `If-Match`."), ("Location" = String, description = "Where the new record is read."))),
        (status = 409, description = "The username is taken.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    user: Actor,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let admin = user.clone();
    state
        .run(move |conn| service::require_admin(conn, &admin, "users.create", now))
        .await?;
    let body: CreateUser = body.parse()?;
    let account = NewAccount {
        username: body.username,
        password: body.password,
        role: body.role,
        clearance: body.clearance.unwrap_or(Clearance::Unclassified),
        missions: body.missions,
        all_missions: body.all_missions,
        state: body.state,
        must_change_password: true,
    };
    let created = crate::services::accounts::create_account(&state, &user, account).await?;
    let location = format!("/api/v1/users/{}", created.user.id);
    let view = UserView::from(created);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .insert_header(etag(view.version))
        .json(view))
}

/// Read an account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The record's id (a UUID).")),
    responses((status = 200, description = "The account.", body = UserView, headers(("ETag" = String, description = "The version, for `If-Match`.")))))]
pub async fn get(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let view = state
        .run(move |conn| service::get(conn, &user, &id, now).map(UserView::from))
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, view))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    role: Option<Role>,
    clearance: Option<Clearance>,
    missions: Option<Vec<String>>,
    all_missions: Option<bool>,
    /// The State a focal point speaks for; an account leaving that role leaves its State.
    state: Option<String>,
    disabled: Option<bool>,
    version: Option<i64>,
}

/// Change an account's role, clearance, missions or state.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The record's id (a UUID)."), super::input::VersionHeader),
    request_body = UpdateUser,
    responses((status = 200, description = "Changed.", body = UserView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 409, description = "The version is not the stored one.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let if_match = if_match(&req);
    let view = state
        .change_accounts(move |conn| {
            service::require_admin(conn, &user, "users.update", now)?;
            let body: UpdateUser = body.parse()?;
            let version = expected_version(if_match, body.version)?;
            let patch = AccountPatch {
                role: body.role,
                clearance: body.clearance,
                missions: body.missions,
                all_missions: body.all_missions,
                state: body.state,
                disabled: body.disabled,
            };
            service::update(conn, &user, &id, version, patch, now).map(UserView::from)
        })
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, view))
}
