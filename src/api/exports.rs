//! `GET /api/v1/incidents/export`: the incidents of a list, whole, as CSV or GeoJSON, streamed.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::AppState;
use crate::auth::Actor;
use crate::error::AppError;
use crate::services::exports::{ExportRequest, Format};

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
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let request = export_request(req.query_string())?;
    crate::http::export_stream::stream(&state, user, request).await
}
