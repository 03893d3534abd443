//! `/api/v1/summary`: the figures leadership asks for, as JSON or as CSV for spreadsheets.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde_json::json;

use crate::AppState;
use crate::auth::Actor;
use crate::domain::case::parse_date;
use crate::domain::spreadsheet::safe_cell;
use crate::domain::summary::Grouping;
use crate::error::AppError;
use crate::http::download::{csv_response, summary_csv};
use crate::services::Page;
use crate::services::summary::{self as service, StalledCase, StalledRequest, SummaryRequest};

use super::input::{MAX_FILTER_VALUES, page_limit, parse_limit, query_pairs};
use crate::http::cursor::{decode_dated_cursor, encode_cursor};

/// JSON unless CSV is asked for, by `format=csv` or `Accept: text/csv`.
pub(super) fn wants_csv(req: &HttpRequest, format: Option<&str>) -> Result<bool, AppError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(AppError::invalid("format", "must be json or csv")),
        None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/csv"))),
    }
}

fn date(field: &str, value: &str) -> Result<NaiveDate, AppError> {
    parse_date(value).map_err(|m| AppError::invalid(field, m))
}

/// The query of a summary: `from`, `to`, `mission` (repeatable), `group`, `format`.
fn summary_request(query: &str) -> Result<(SummaryRequest, Option<String>), AppError> {
    let mut request = SummaryRequest {
        missions: Vec::new(),
        from: None,
        to: None,
        grouping: Grouping::Year,
    };
    let mut format = None;
    for (key, value) in query_pairs(query)? {
        match key.as_str() {
            "mission" => request.missions.push(value),
            "from" => request.from = Some(date("from", &value)?),
            "to" => request.to = Some(date("to", &value)?),
            "group" => {
                request.grouping = Grouping::from_code(&value)
                    .ok_or_else(|| AppError::invalid("group", "must be year, quarter or month"))?
            }
            "format" => format = Some(value),
            other => {
                return Err(AppError::bad_request(format!(
                    "Unknown query parameter `{other}`."
                )));
            }
        }
    }
    if request.missions.len() > MAX_FILTER_VALUES {
        return Err(AppError::invalid(
            "mission",
            format!("may be given at most {MAX_FILTER_VALUES} times"),
        ));
    }
    if let (Some(from), Some(to)) = (request.from, request.to)
        && from > to
    {
        return Err(AppError::invalid("to", "must not be before `from`"));
    }
    Ok((request, format))
}

/// Attacks, casualties, the justice funnel and time to justice, per mission and period.
#[utoipa::path(get, path = "/api/v1/summary", tag = "summary",
    params(("mission" = Option<Vec<String>>, Query, explode, max_items = 50, description = "Mission codes; repeat for several (at most 50). None: every mission the reader works on."),
        ("from" = Option<chrono::NaiveDate>, Query, description = "Incidents from this day."),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Incidents to this day, not before `from`."),
        ("group" = Option<String>, Query, description = "`year` (default), `quarter` or `month`."),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`; or ask with `Accept: text/csv`.")),
    responses((status = 200, description = "The figures per mission and period, and in total.",
        content((crate::services::summary::Summary = "application/json"), (String = "text/csv")),
        headers(("Content-Disposition" = String, description = "For CSV: an attachment, with its file name.")))))]
pub async fn summary(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (request, format) = summary_request(req.query_string())?;
    let csv = wants_csv(&req, format.as_deref())?;
    let now = state.clock.now();
    let filters = json!({
        "from": request.from, "to": request.to, "missions": request.missions,
        "group": request.grouping,
    });
    let summary = crate::services::summary::summary(&state, &user, request, now).await?;
    if csv {
        let rows = summary.rows.len();
        state
            .run(move |conn| service::record_download(conn, &user, "summary", filters, rows, now))
            .await?;
        let body = summary_csv(&summary).map_err(AppError::internal)?;
        return Ok(csv_response("summary.csv", body));
    }
    Ok(HttpResponse::Ok().json(&*summary))
}

/// Open cases with no step for longer than `days`.
#[utoipa::path(get, path = "/api/v1/summary/stalled", tag = "summary",
    params(("days" = Option<u32>, Query, maximum = 36500, description = "Idle for more than this many days (default 180)."),
        ("mission" = Option<Vec<String>>, Query, explode, max_items = 50, description = "Mission codes; repeat for several (at most 50)."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50); JSON only: a CSV download has every case (at most 10,000)."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before; JSON only."),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`; or ask with `Accept: text/csv`.")),
    responses((status = 200, description = "Open cases with no step for longer than `days`, oldest first: in pages (JSON), or all of them (CSV).",
        content((StalledList = "application/json"), (String = "text/csv")),
        headers(("Content-Disposition" = String, description = "For CSV: an attachment, with its file name.")))))]
pub async fn stalled(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let mut days: u32 = 180;
    let mut missions = Vec::new();
    let mut format = None;
    let mut limit = None;
    let mut after = None;
    for (key, value) in query_pairs(req.query_string())? {
        match key.as_str() {
            "days" => {
                days = value
                    .parse::<u32>()
                    .ok()
                    .filter(|d| *d <= 36_500)
                    .ok_or_else(|| {
                        AppError::invalid("days", "must be a whole number of days, 0 to 36500")
                    })?
            }
            "mission" => missions.push(value),
            "format" => format = Some(value),
            "limit" => limit = Some(parse_limit(&value)?),
            "cursor" => after = Some(decode_dated_cursor(&value)?),
            other => {
                return Err(AppError::bad_request(format!(
                    "Unknown query parameter `{other}`."
                )));
            }
        }
    }
    if missions.len() > MAX_FILTER_VALUES {
        return Err(AppError::invalid(
            "mission",
            format!("may be given at most {MAX_FILTER_VALUES} times"),
        ));
    }
    let csv = wants_csv(&req, format.as_deref())?;
    let limit = if csv {
        // A download is the whole list: pages are for reading it in JSON.
        for (field, given) in [("limit", limit.is_some()), ("cursor", after.is_some())] {
            if given {
                return Err(AppError::invalid(
                    field,
                    "applies to JSON pages; a CSV download has every case (at most 10,000)",
                ));
            }
        }
        service::STALLED_LIMIT
    } else {
        page_limit(limit)?
    };
    let now = state.clock.now();
    let filters = json!({ "days": days, "missions": missions });
    let request = StalledRequest {
        missions,
        days,
        after,
        // One more than asked tells whether another page follows.
        limit: limit + 1,
    };
    let page = state
        .run(move |conn| {
            let cases = service::stalled(conn, &user, request, now)?;
            let page = Page::from_overfetch(cases, limit as usize);
            if csv {
                let rows = page.items.len();
                service::record_download(conn, &user, "stalled", filters, rows, now)?;
            }
            Ok(page)
        })
        .await?;
    if csv {
        let body = stalled_csv(&page.items).map_err(AppError::internal)?;
        return Ok(csv_response("stalled.csv", body));
    }
    let next_cursor = page
        .has_more
        .then(|| page.items.last())
        .flatten()
        .map(|case| encode_cursor(&format!("{}|{}", case.last_moved_on, case.reference)));
    Ok(HttpResponse::Ok().json(StalledList {
        days,
        items: page.items,
        next_cursor,
    }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct StalledList {
    /// The idle time asked for, in days.
    days: u32,
    items: Vec<StalledCase>,
    /// The cursor of the next page; `null` on the last.
    next_cursor: Option<String>,
}

fn stalled_csv(cases: &[StalledCase]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "mission",
        "reference",
        "status",
        "days_idle",
        "last_moved_on",
        "next_action",
        "next_action_due",
        "lead_officer",
    ])?;
    for case in cases {
        writer.write_record([
            safe_cell(&case.mission).into_owned(),
            safe_cell(&case.reference).into_owned(),
            case.status.clone(),
            case.days_idle.to_string(),
            case.last_moved_on.to_string(),
            safe_cell(case.next_action.as_deref().unwrap_or("")).into_owned(),
            case.next_action_due
                .map(|d| d.to_string())
                .unwrap_or_default(),
            safe_cell(
                case.lead_officer_username
                    .as_deref()
                    .unwrap_or(&case.lead_officer),
            )
            .into_owned(),
        ])?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}
