//! `/api/v1/state/...`: a Member State's focal point's lists of its State's part, in the State
//! view. The same records answer `GET /api/v1/incidents/{id}` and `GET /api/v1/cases/{id}` to
//! a focal point, in the same view.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::AppState;
use crate::auth::Actor;
use crate::domain::case::CaseStatus;
use crate::domain::state_part::{REACHING_STATUSES, Relation};
use crate::error::AppError;
use crate::http::cursor::{decode_cursor, encode_cursor};
use crate::http::download::{csv_response, state_summary_csv};
use crate::services::Page;
use crate::services::member_states::{
    self as service, ListRequest, StateCase, StateIncident, StateSummary, SummaryRequest,
};

use super::incidents::{one_of_codes, parse_time};
use super::input::{page_limit, parse_limit, push_filter_value, query_pairs};

/// An incident as its reader may see it: the whole record for the missions' staff, the State
/// view for a State's focal point.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum IncidentAnswer {
    Mission(Box<super::incident_views::IncidentView>),
    State(Box<StateIncident>),
}

/// A case as its reader may see it: the whole record for the missions' staff, the State view
/// for a State's focal point.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CaseAnswer {
    Mission(Box<super::case_views::CaseView>),
    State(Box<StateCase>),
}

#[derive(Serialize, utoipa::ToSchema)]
struct StateIncidentPage {
    items: Vec<StateIncident>,
    next_cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct StateCasePage {
    items: Vec<StateCase>,
    next_cursor: Option<String>,
}

/// Reads a State list's query string: `mission` may repeat; `status` is one of `statuses`.
fn list_request(query: &str, statuses: &[&str]) -> Result<ListRequest, AppError> {
    let mut request = ListRequest::default();
    let mut limit = None;
    let relations: Vec<&str> = Relation::ALL.iter().map(|r| r.code()).collect();
    for (key, value) in query_pairs(query)? {
        match key.as_str() {
            "mission" => push_filter_value("mission", &mut request.missions, value)?,
            "status" => request.status = Some(one_of_codes("status", &value, statuses)?),
            "from" => request.from = Some(parse_time("from", &value)?),
            "to" => request.to = Some(parse_time("to", &value)?),
            "relation" => {
                request.relation =
                    Relation::from_code(&one_of_codes("relation", &value, &relations)?)
            }
            "limit" => limit = Some(parse_limit(&value)?),
            "cursor" => {
                let key = decode_cursor(&value)?;
                let (at, id) = key.split_once('|').ok_or_else(|| {
                    AppError::invalid("cursor", "is not a cursor this API returned")
                })?;
                request.after = Some((at.to_string(), id.to_string()));
            }
            other => {
                return Err(AppError::bad_request(format!(
                    "Unknown query parameter `{other}`."
                )));
            }
        }
    }
    if request.missions.len() > 50 {
        return Err(AppError::invalid(
            "mission",
            "may be given at most 50 times",
        ));
    }
    request.limit = page_limit(limit)?;
    Ok(request)
}

/// The incidents of the focal point's State: those with a victim of its nationality and those
/// of its cases as host State.
#[utoipa::path(get, path = "/api/v1/state/incidents", tag = "state",
    params(("mission" = Option<Vec<String>>, Query, explode, max_items = 50, description = "Mission codes; repeat for several (at most 50)."),
        ("status" = Option<String>, Query, description = "`submitted` or `verified`."),
        ("from" = Option<String>, Query, description = "Occurred at or after (RFC 3339)."),
        ("to" = Option<String>, Query, description = "Occurred before (RFC 3339)."),
        ("relation" = Option<String>, Query, description = "`host` or `nationality`: one way the State is concerned (both by default)."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before.")),
    responses((status = 200, description = "The State's incidents in the State view, newest first.", body = StateIncidentPage)))]
pub async fn incidents(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let request = list_request(req.query_string(), &REACHING_STATUSES)?;
    let limit = request.limit as usize;
    let now = state.clock.now();
    let rows = state
        .run(move |conn| service::incidents(conn, &user, request, now))
        .await?;
    let page = Page::from_overfetch(rows, limit);
    let next_cursor = page
        .has_more
        .then(|| page.items.last())
        .flatten()
        .map(|last| {
            let at = last.occurred_at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f");
            encode_cursor(&format!("{at}|{}", last.id))
        });
    Ok(HttpResponse::Ok().json(StateIncidentPage {
        items: page.items,
        next_cursor,
    }))
}

/// The cases of the focal point's State: as host State, and those on attacks on its nationals;
/// overdue next actions first.
#[utoipa::path(get, path = "/api/v1/state/cases", tag = "state",
    params(("mission" = Option<Vec<String>>, Query, explode, max_items = 50, description = "Mission codes; repeat for several (at most 50)."),
        ("status" = Option<String>, Query, description = "One case status."),
        ("from" = Option<String>, Query, description = "Opened on or after (RFC 3339)."),
        ("to" = Option<String>, Query, description = "Opened before (RFC 3339)."),
        ("relation" = Option<String>, Query, description = "`host` or `nationality`: one way the State is concerned (both by default)."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before.")),
    responses((status = 200, description = "The State's cases in the State view, most urgent first.", body = StateCasePage)))]
pub async fn cases(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let statuses: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.code()).collect();
    let request = list_request(req.query_string(), &statuses)?;
    let limit = request.limit as usize;
    let now = state.clock.now();
    let rows = state
        .run(move |conn| service::cases(conn, &user, request, now))
        .await?;
    let page = Page::from_overfetch(rows, limit);
    let next_cursor = page
        .has_more
        .then(|| page.items.last())
        .flatten()
        .map(|last| encode_cursor(&format!("{}|{}", last.urgency, last.id)));
    Ok(HttpResponse::Ok().json(StateCasePage {
        items: page.items,
        next_cursor,
    }))
}

/// A year of the summary's query (`from`, `to`).
fn year(field: &str, value: &str) -> Result<i32, AppError> {
    value
        .parse::<i32>()
        .ok()
        .filter(|y| (1945..=2100).contains(y))
        .ok_or_else(|| AppError::invalid(field, "must be a year YYYY between 1945 and 2100"))
}

/// The focal point's State's summary per year: as host State, the funnel, verdicts and median
/// times to justice of the cases before its courts; as country of nationality, its nationals
/// killed, injured, abducted and missing, and where the cases on those attacks stand.
#[utoipa::path(get, path = "/api/v1/state/summary", tag = "state",
    params(("from" = Option<i32>, Query, minimum = 1945, maximum = 2100, description = "From this year."),
        ("to" = Option<i32>, Query, minimum = 1945, maximum = 2100, description = "To this year, not before `from`."),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`; or ask with `Accept: text/csv`.")),
    responses((status = 200, description = "The State's figures per year.",
        content((StateSummary = "application/json"), (String = "text/csv")),
        headers(("Content-Disposition" = String, description = "For CSV: an attachment, with its file name.")))))]
pub async fn summary(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let mut request = SummaryRequest::default();
    let mut format = None;
    for (key, value) in query_pairs(req.query_string())? {
        match key.as_str() {
            "from" => request.from_year = Some(year("from", &value)?),
            "to" => request.to_year = Some(year("to", &value)?),
            "format" => format = Some(value),
            other => {
                return Err(AppError::bad_request(format!(
                    "Unknown query parameter `{other}`."
                )));
            }
        }
    }
    if let (Some(from), Some(to)) = (request.from_year, request.to_year)
        && from > to
    {
        return Err(AppError::invalid("to", "must not be before `from`"));
    }
    let csv = super::summary::wants_csv(&req, format.as_deref())?;
    let now = state.clock.now();
    let summary = state
        .run(move |conn| service::summary(conn, &user, request, now))
        .await?;
    if csv {
        let body = state_summary_csv(&summary).map_err(AppError::internal)?;
        return Ok(csv_response("state-summary.csv", body));
    }
    Ok(HttpResponse::Ok().json(summary))
}
