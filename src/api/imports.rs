//! `/api/v1/imports`: administrators bring in the official fatalities dataset without a shell.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use crate::AppState;
use crate::auth::Actor;
use crate::error::AppError;
use crate::services::imports;

/// The published file is under 1 MiB; this leaves room for decades more.
const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// Import the UN's fatalities dataset (CSV); the same report as the command line.
#[utoipa::path(post, path = "/api/v1/imports/un-fatalities", tag = "imports",
    params(("dry_run" = Option<bool>, Query, description = "Count everything and change nothing.")),
    request_body(content = String, content_type = "text/csv", description = "The UN fatalities dataset as published (at most 32 MiB)."),
    responses((status = 200, description = "What the import did with every row.", body = crate::services::imports::ImportReport)))]
pub async fn un_fatalities(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let checker = user.clone();
    state
        .run(move |conn| imports::require_importer(conn, &checker, now))
        .await?;
    let mut dry_run = false;
    for (key, value) in super::input::query_pairs(req.query_string())? {
        match (key.as_str(), value.as_str()) {
            ("dry_run", "true") => dry_run = true,
            ("dry_run", "false") => dry_run = false,
            ("dry_run", _) => return Err(AppError::invalid("dry_run", "must be true or false")),
            (other, _) => {
                return Err(AppError::bad_request(format!(
                    "Unknown query parameter `{other}`."
                )));
            }
        }
    }
    let is_csv = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("text/csv"));
    if !is_csv {
        return Err(AppError::UnsupportedMediaType(
            "Send the dataset as the body, with `Content-Type: text/csv`.",
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| AppError::bad_request("The request body could not be read."))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(AppError::FileTooLarge {
                limit_mib: (MAX_IMPORT_BYTES / (1024 * 1024)) as u32,
            });
        }
        body.extend_from_slice(&chunk);
    }
    let report = state
        .change_missions(move |conn| imports::import_upload(conn, &user, &body, dry_run, now))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}
