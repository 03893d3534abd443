//! `/healthz`: the process answers. `/readyz`: the database answers and its schema is current.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::AppState;
use crate::db::migrations_current;
use crate::error::AppError;

pub async fn alive() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let current = state
        .run(|conn| migrations_current(conn).map_err(AppError::internal))
        .await;
    match current {
        Ok(true) => Ok(HttpResponse::Ok().json(json!({ "status": "ready" }))),
        Ok(false) => Err(AppError::Unavailable("migrations pending".to_string())),
        Err(AppError::Unavailable(why)) => Err(AppError::Unavailable(why)),
        Err(other) => Err(AppError::Unavailable(other.to_string())),
    }
}
