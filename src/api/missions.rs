//! `/api/v1/missions`: the missions reference data. Everyone signed in reads it; administrators
//! add missions and change or deactivate them.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::auth::{AuthUser, policy};
use crate::db::write_transaction;
use crate::domain::access::Role;
use crate::domain::mission;
use crate::domain::validation::Violations;
use crate::error::AppError;
use crate::store::missions::{self, MissionRow};
use crate::store::{audit, is_unique_violation};

use super::input::{ApiJson, etag, expected_version, nullable};

#[derive(Serialize)]
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

#[derive(Serialize)]
struct MissionList {
    items: Vec<MissionView>,
}

pub async fn list(state: web::Data<AppState>, _user: AuthUser) -> Result<HttpResponse, AppError> {
    let rows = state.run(|conn| Ok(missions::list(conn)?)).await?;
    Ok(HttpResponse::Ok().json(MissionList {
        items: rows.into_iter().map(MissionView::from).collect(),
    }))
}

pub async fn get(
    state: web::Data<AppState>,
    _user: AuthUser,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let row = state
        .run(move |conn| missions::find(conn, &code)?.ok_or(AppError::NotFound))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(MissionView::from(row)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateMission {
    code: String,
    name: String,
    host_country: Option<String>,
    active: Option<bool>,
}

pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<CreateMission>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let row = state
        .run(move |conn| {
            policy::require_role(conn, &user, &[Role::Admin], "missions.create", now)?;
            let mut violations = Violations::new();
            violations.check("code", mission::check_code(&body.code));
            violations.check("name", mission::check_name(&body.name));
            mission::check_host_country(&mut violations, body.host_country.as_deref());
            violations.into_result().map_err(AppError::Validation)?;
            let row = MissionRow {
                code: body.code,
                name: body.name,
                host_country: body.host_country,
                active: body.active.unwrap_or(true),
                version: 1,
                created_at: now,
                updated_at: now,
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
                    &user.audit(now),
                    "mission.create",
                    "mission",
                    Some(&row.code),
                    json!({ "name": row.name, "host_country": row.host_country, "active": row.active }),
                )?;
                Ok(row)
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/missions/{}", row.code)))
        .insert_header(etag(row.version))
        .json(MissionView::from(row)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMission {
    name: Option<String>,
    /// `null` clears the host country; absent leaves it.
    #[serde(default, deserialize_with = "nullable")]
    host_country: Option<Option<String>>,
    active: Option<bool>,
    version: Option<i64>,
}

pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    code: web::Path<String>,
    ApiJson(body): ApiJson<UpdateMission>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let version = expected_version(&req, body.version);
    let row = state
        .run(move |conn| {
            policy::require_role(conn, &user, &[Role::Admin], "missions.update", now)?;
            let version = version?;
            let mut violations = Violations::new();
            if let Some(name) = &body.name {
                violations.check("name", mission::check_name(name));
            }
            if let Some(host_country) = &body.host_country {
                mission::check_host_country(&mut violations, host_country.as_deref());
            }
            violations.into_result().map_err(AppError::Validation)?;
            write_transaction(conn, |conn| {
                let current = missions::find(conn, &code)?.ok_or(AppError::NotFound)?;
                let name = body.name.clone().unwrap_or(current.name.clone());
                let host_country = body.host_country.clone().unwrap_or(current.host_country.clone());
                let active = body.active.unwrap_or(current.active);
                if !missions::update(conn, &code, version, &name, host_country.as_deref(), active, now)? {
                    return Err(AppError::Conflict(format!(
                        "The mission was changed since you read it (version {version}; now {}). Read it again.",
                        current.version
                    )));
                }
                let mut changes = serde_json::Map::new();
                if name != current.name {
                    changes.insert("name".into(), json!({ "from": current.name, "to": name }));
                }
                if host_country != current.host_country {
                    changes.insert(
                        "host_country".into(),
                        json!({ "from": current.host_country, "to": host_country }),
                    );
                }
                if active != current.active {
                    changes.insert("active".into(), json!({ "from": current.active, "to": active }));
                }
                audit::append(
                    conn,
                    &user.audit(now),
                    "mission.update",
                    "mission",
                    Some(&code),
                    json!({ "changes": changes }),
                )?;
                missions::find(conn, &code)?.ok_or(AppError::NotFound)
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .json(MissionView::from(row)))
}
