//! `GET /api/v1/incidents/export`: the incidents of a list, whole, as CSV or GeoJSON, streamed.

use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use tokio::sync::mpsc::error::TrySendError;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::AppError;
use crate::services::exports::{self, ExportRequest, Format};

/// Reads `format` and `include_personal`; every other parameter is a filter of the incident
/// list. Paging does not apply: an export has every matching incident.
fn export_request(query: &str) -> Result<ExportRequest, AppError> {
    let mut format = Format::Csv;
    let mut include_personal = false;
    let mut filters = form_urlencoded::Serializer::new(String::new());
    for (key, value) in super::input::query_pairs(query)? {
        match key.as_str() {
            "format" => {
                format = match value.as_str() {
                    "csv" => Format::Csv,
                    "geojson" => Format::GeoJson,
                    _ => return Err(AppError::invalid("format", "must be csv or geojson")),
                }
            }
            "include_personal" => {
                include_personal = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(AppError::invalid(
                            "include_personal",
                            "must be true or false",
                        ));
                    }
                }
            }
            "limit" | "cursor" => {
                return Err(AppError::bad_request(
                    "An export holds every matching incident: `limit` and `cursor` do not apply.",
                ));
            }
            _ => {
                filters.append_pair(&key, &value);
            }
        }
    }
    Ok(ExportRequest {
        filters: super::incidents::list_request(&filters.finish())?,
        format,
        include_personal,
    })
}

/// How long a client may leave a batch unread before the export is abandoned.
const STALL_LIMIT: Duration = Duration::from_secs(60);

/// Hands a batch to the response; false when the client has gone or stopped reading.
fn hand_on(
    sender: &tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>,
    chunk: web::Bytes,
) -> bool {
    let deadline = Instant::now() + STALL_LIMIT;
    let mut item = Ok(chunk);
    loop {
        match sender.try_send(item) {
            Ok(()) => return true,
            Err(TrySendError::Closed(_)) => return false,
            Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                item = back;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(TrySendError::Full(_)) => return false,
        }
    }
}

/// The GeoJSON export (RFC 7946), as `stream` writes it: a feature for each incident, its
/// geometry a point, or `null` for an incident without coordinates.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FeatureCollection {
    /// `FeatureCollection`.
    #[schema(rename = "type")]
    kind: String,
    features: Vec<serde_json::Value>,
    /// How many of the features have no coordinates.
    unlocated_features: u64,
}

/// Export the matching incidents as CSV or GeoJSON.
#[utoipa::path(get, path = "/api/v1/incidents/export", tag = "incidents",
    params(super::incidents::IncidentFilters,
        ("format" = Option<String>, Query, description = "`csv` (default) or `geojson`."),
        ("include_personal" = Option<bool>, Query, description = "Victims' names and units, for readers cleared for them.")),
    responses((status = 200, description = "Every matching incident, streamed.",
        content((String = "text/csv"), (FeatureCollection = "application/geo+json")),
        headers(("Content-Disposition" = String, description = "An attachment, with its file name.")))))]
pub async fn export(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let request = export_request(req.query_string())?;
    stream(&state, user, request).await
}

/// Checks the export is allowed, then streams it (the API's and the pages' downloads).
pub async fn stream(
    state: &web::Data<AppState>,
    user: AuthUser,
    request: ExportRequest,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (checker, checked) = (user.clone(), request.clone());
    state
        .run(move |conn| exports::check(conn, &checker, &checked, now))
        .await?;

    let (media_type, file_name) = match request.format {
        Format::Csv => ("text/csv; charset=utf-8", "incidents.csv"),
        Format::GeoJson => ("application/geo+json", "incidents.geojson"),
    };
    // A blocking task reads a batch at a time and hands each on; the channel holds a few
    // batches, so a slow client slows the reading instead of filling memory.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    let pool = state.pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let written = exports::write(&pool, &user, request, now, |chunk| {
            hand_on(&sender, web::Bytes::from(chunk))
        });
        if let Err(error) = written {
            tracing::error!(error = %error, "export failed part-way");
            let _ = sender.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .streaming(body))
}
