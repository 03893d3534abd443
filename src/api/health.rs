//! `/healthz`: the process answers. `/readyz`: the database answers and its schema is current.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::AppState;
use crate::db::migrations_current;
use crate::error::AppError;

#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthStatus {
    /// `ok` from `/healthz`, `ready` from `/readyz`.
    status: &'static str,
}

/// Whether the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, description = "The process answers.", body = HealthStatus)))]
pub async fn alive() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus { status: "ok" })
}

/// Whether the database answers and its schema is current.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses((status = 200, description = "The database answers and its schema is current.", body = HealthStatus)))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let current = state
        .run(|conn| migrations_current(conn).map_err(AppError::internal))
        .await;
    match current {
        Ok(true) => Ok(HttpResponse::Ok().json(HealthStatus { status: "ready" })),
        Ok(false) => Err(AppError::Unavailable("migrations pending".to_string())),
        Err(AppError::Unavailable(why)) => Err(AppError::Unavailable(why)),
        Err(other) => Err(AppError::Unavailable(other.to_string())),
    }
}
