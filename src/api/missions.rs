//! `/api/v1/missions`: the missions reference data. Everyone signed in reads it; administrators
//! add missions and change or deactivate them.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Actor;
use crate::error::AppError;
use crate::services;
use crate::services::missions::{MissionPatch, MissionRow, NewMission};

use super::input::{JsonBody, etag, expected_version, if_match, nullable};

#[derive(Serialize, utoipa::ToSchema)]
pub struct MissionView {
    code: String,
    name: String,
    host_country: Option<String>,
    active: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<MissionRow> for MissionView {
    fn from(row: MissionRow) -> Self {
        MissionView {
            code: row.code,
            name: row.name,
            host_country: row.host_country,
            active: row.active,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct MissionList {
    items: Vec<MissionView>,
}

/// List missions.
#[utoipa::path(get, path = "/api/v1/missions", tag = "missions",
    responses((status = 200, description = "Every mission.", body = MissionList)))]
pub async fn list(state: web::Data<AppState>, user: Actor) -> Result<HttpResponse, AppError> {
    let rows = state
        .run(move |conn| services::missions::list(conn, &user))
        .await?;
    Ok(HttpResponse::Ok().json(MissionList {
        items: rows.into_iter().map(MissionView::from).collect(),
    }))
}

/// Read a mission.
#[utoipa::path(get, path = "/api/v1/missions/{code}", tag = "missions",
    params(("code" = String, Path, description = "The mission's code, like `MINUSCA`.")),
    responses((status = 200, description = "The mission.", body = MissionView, headers(("ETag" = String, description = "The version, for `If-Match`.")))))]
pub async fn get(
    state: web::Data<AppState>,
    user: Actor,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let row = state
        .run(move |conn| services::missions::get(conn, &user, &code))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(MissionView::from(row)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMission {
    code: String,
    name: String,
    host_country: Option<String>,
    active: Option<bool>,
}

/// Create a mission.
#[utoipa::path(post, path = "/api/v1/missions", tag = "missions",
    request_body = CreateMission,
    responses((status = 201, description = "Created.", body = MissionView, headers(("ETag" = String, description = "The version, for `If-Match`."), ("Location" = String, description = "Where the new record is read."))),
        (status = 409, description = "The code is taken.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    user: Actor,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let row = state
        .change_missions(move |conn| {
            services::users::require_admin(conn, &user, "missions.create", now)?;
            let body: CreateMission = body.parse()?;
            let new = NewMission {
                code: body.code,
                name: body.name,
                host_country: body.host_country,
                active: body.active.unwrap_or(true),
            };
            services::missions::create(conn, &user, new, now)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/missions/{}", row.code)))
        .insert_header(etag(row.version))
        .json(MissionView::from(row)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMission {
    name: Option<String>,
    /// `null` clears the host country; absent leaves it.
    #[serde(default, deserialize_with = "nullable")]
    host_country: Option<Option<String>>,
    active: Option<bool>,
    version: Option<i64>,
}

/// Rename, close or reopen a mission.
#[utoipa::path(patch, path = "/api/v1/missions/{code}", tag = "missions",
    params(("code" = String, Path, description = "The mission's code, like `MINUSCA`."), super::input::VersionHeader),
    request_body = UpdateMission,
    responses((status = 200, description = "Changed.", body = MissionView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 409, description = "The version is not the stored one.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    code: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let if_match = if_match(&req);
    let row = state
        .change_missions(move |conn| {
            services::users::require_admin(conn, &user, "missions.update", now)?;
            let body: UpdateMission = body.parse()?;
            let version = expected_version(if_match, body.version)?;
            let patch = MissionPatch {
                name: body.name,
                host_country: body.host_country,
                active: body.active,
            };
            services::missions::update(conn, &user, &code, version, patch, now)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(MissionView::from(row)))
}
