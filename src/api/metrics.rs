//! `GET /metrics`: the server's figures for monitoring, in Prometheus' text format. Served only
//! on the address `metrics_listen` names, or to a scraper that presents `metrics_token`; to
//! anyone else the path does not exist.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;
use crate::metrics::Snapshot;
use crate::services::audit;

/// The server's figures for monitoring: on the `metrics_listen` address, or here with
/// `Authorization: Bearer <metrics_token>` (not a session's token).
#[utoipa::path(get, path = "/metrics", tag = "health", security(()),
    responses((status = 200, description = "Requests and latencies per route, database waits and pool, failed sign-ins, the audit trail's length (Prometheus text format).",
            content_type = "text/plain", body = String),
        (status = 404, description = "Not served here, or not to this caller.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    if !may_scrape(&state, &req) {
        return Err(AppError::NotFound);
    }
    // Also while the database is away, when the other figures matter most: the trail's
    // length then keeps the last value read.
    let audit_records = state.run(audit::length).await.ok();
    let pool = state.pool.state();
    let text = state
        .metrics
        .render(&Snapshot {
            pool_connections: pool.connections,
            pool_idle_connections: pool.idle_connections,
            audit_records,
        })
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, prometheus::TEXT_FORMAT))
        .body(text))
}

/// On the metrics address, anyone who can reach it; elsewhere only with the token.
fn may_scrape(state: &AppState, req: &HttpRequest) -> bool {
    if state.metrics_addr == Some(req.app_config().local_addr()) {
        return true;
    }
    if state.settings.metrics_token.is_empty() {
        return false;
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared as digests, so the time taken says nothing about how much of the token matched.
    Sha256::digest(presented.as_bytes()) == Sha256::digest(state.settings.metrics_token.as_bytes())
}
