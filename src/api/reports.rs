//! `/api/v1/reports/annual` (leadership and legal officers) and `/api/v1/state/reports/annual`
//! (a State's focal point, its State's part): the annual accountability report, in JSON or as
//! one CSV with a `table` column.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Actor;
use crate::db::DbConnection;
use crate::domain::annual_report::{AnnualReport, EDITIONS, Period};
use crate::error::{AppError, AppResult};
use crate::http::download::{annual_report_csv, csv_response};
use crate::services::annual_report::{self as service, ReportRequest};

use super::input::{JsonBody, query_pairs};
use super::summary::wants_csv;

/// The query of a report: `year`, or `from` and `to`; `edition`; `format`.
fn report_request(req: &HttpRequest) -> Result<(ReportRequest, bool), AppError> {
    let (mut year, mut from, mut to, mut edition, mut format) = (None, None, None, None, None);
    let mut names = None;
    for (key, value) in query_pairs(req.query_string())? {
        match key.as_str() {
            "year" => {
                let parsed = value.parse::<i32>().map_err(|_| {
                    AppError::invalid("year", "must be a year between 1945 and 2100")
                })?;
                year = Some(parsed);
            }
            "from" => from = Some(value),
            "to" => to = Some(value),
            "edition" => edition = Some(value),
            "format" => format = Some(value),
            "names" => {
                names = Some(match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(AppError::invalid("names", "must be true or false")),
                })
            }
            other => {
                return Err(AppError::bad_request(format!(
                    "Unknown query parameter `{other}`."
                )));
            }
        }
    }
    let period = Period::asked(year, from.as_deref(), to.as_deref())
        .map_err(|(field, message)| AppError::invalid(field, message))?;
    let unclassified = edition_is_unclassified(edition.as_deref())?;
    let csv = wants_csv(req, format.as_deref())?;
    Ok((
        ReportRequest {
            period,
            unclassified,
            // In JSON, as on a case: names for who may see them. A download leaves them out
            // unless asked for, as every export does.
            names: names.unwrap_or(!csv),
        },
        csv,
    ))
}

/// What the reader asked for; a query that does not read is answered 400 only to a reader
/// the guard lets through (a refusal comes first, and is recorded).
async fn asked_by_reader(
    state: &AppState,
    user: &Actor,
    req: &HttpRequest,
    guard: fn(&mut DbConnection, &Actor, NaiveDateTime) -> AppResult<()>,
) -> AppResult<(ReportRequest, bool)> {
    match report_request(req) {
        Ok(asked) => Ok(asked),
        Err(invalid) => {
            let (reader, now) = (user.clone(), state.clock.now());
            state.run(move |conn| guard(conn, &reader, now)).await?;
            Err(invalid)
        }
    }
}

/// `internal` (the default) or `unclassified`.
fn edition_is_unclassified(edition: Option<&str>) -> Result<bool, AppError> {
    match edition {
        None | Some("internal") => Ok(false),
        Some("unclassified") => Ok(true),
        Some(_) => {
            let listed = EDITIONS
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>();
            Err(AppError::invalid(
                "edition",
                format!("must be one of {}", listed.join(", ")),
            ))
        }
    }
}

fn answer(report: AnnualReport, csv: bool) -> Result<HttpResponse, AppError> {
    if csv {
        let body = annual_report_csv(&report).map_err(AppError::internal)?;
        let name = format!(
            "annual-report-{}.csv",
            report.period.label().replace(' ', "-")
        );
        return Ok(csv_response(&name, body));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// The annual accountability report of a year or period.
#[utoipa::path(get, path = "/api/v1/reports/annual", tag = "reports",
    params(("year" = Option<i32>, Query, minimum = 1945, maximum = 2100, description = "The year; or give `from` and `to`."),
        ("from" = Option<String>, Query, description = "The first day of another period (YYYY-MM-DD)."),
        ("to" = Option<String>, Query, description = "Its last day (YYYY-MM-DD)."),
        ("edition" = Option<String>, Query, description = "`internal` (default: what the reader may count) or `unclassified` (only unclassified records: the edition to publish)."),
        ("names" = Option<bool>, Query, description = "Whether the accused's names are given, to a reader who may see them: by default in JSON, not in CSV."),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`; or ask with `Accept: text/csv`.")),
    responses((status = 200, description = "The report: per host State and international court, per contributing country, and every judgment of the period; CSV rows `table,group,measure,value`.",
        content((AnnualReport = "application/json"), (String = "text/csv")),
        headers(("Content-Disposition" = String, description = "For CSV: an attachment, with its file name.")))))]
pub async fn annual(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (request, csv) = asked_by_reader(&state, &user, &req, service::check_may_read).await?;
    let report = service::annual(&state, &user, request, now).await?;
    answer(report, csv)
}

/// The focal point's State's part of the annual report.
#[utoipa::path(get, path = "/api/v1/state/reports/annual", tag = "state",
    params(("year" = Option<i32>, Query, minimum = 1945, maximum = 2100, description = "The year; or give `from` and `to`."),
        ("from" = Option<String>, Query, description = "The first day of another period (YYYY-MM-DD)."),
        ("to" = Option<String>, Query, description = "Its last day (YYYY-MM-DD)."),
        ("edition" = Option<String>, Query, description = "`internal` (default) or `unclassified`."),
        ("names" = Option<bool>, Query, description = "Whether the accused's names are given, to a reader who may see them: by default in JSON, not in CSV."),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`; or ask with `Accept: text/csv`.")),
    responses((status = 200, description = "The State's part: its courts' figures and judgments, the assistance it received, its nationals.",
        content((AnnualReport = "application/json"), (String = "text/csv")),
        headers(("Content-Disposition" = String, description = "For CSV: an attachment, with its file name.")))))]
pub async fn state_annual(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let guard = service::check_may_read_state;
    let (request, csv) = asked_by_reader(&state, &user, &req, guard).await?;
    let report = service::state_annual(&state, &user, request, now).await?;
    answer(report, csv)
}

/// What to issue: `year`, or `from` and `to`; and the edition.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueInput {
    #[schema(minimum = 1945, maximum = 2100)]
    year: Option<i32>,
    /// The first day of another period (YYYY-MM-DD).
    from: Option<String>,
    /// Its last day (YYYY-MM-DD).
    to: Option<String>,
    /// `internal` (default) or `unclassified`.
    edition: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuedView {
    id: String,
    period: Period,
    edition: String,
    /// The SHA-256 of the report's text as issued, which the audit trail holds too.
    sha256: String,
    issued_at: DateTime<Utc>,
    /// Where it is downloaded, unchanged.
    href: String,
}

/// Issue the annual report as it stands (leadership): its figures are frozen as issued.
#[utoipa::path(post, path = "/api/v1/reports/annual/issue", tag = "reports",
    request_body = IssueInput,
    responses((status = 201, description = "Issued.", body = IssuedView, headers(("Location" = String, description = "Where the issued report is downloaded.")))))]
pub async fn issue(
    state: web::Data<AppState>,
    user: Actor,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let reader = user.clone();
    let request = state
        .run(move |conn| {
            // Who may not issue hears so before what they sent is looked at.
            service::check_may_issue(conn, &reader, now)?;
            let input: IssueInput = body.parse()?;
            let period = Period::asked(input.year, input.from.as_deref(), input.to.as_deref())
                .map_err(|(field, message)| AppError::invalid(field, message))?;
            Ok(ReportRequest {
                period,
                unclassified: edition_is_unclassified(input.edition.as_deref())?,
                names: true,
            })
        })
        .await?;
    let issued = service::issue(&state, &user, request, now).await?;
    let href = format!("/api/v1/reports/issued/{}", issued.id);
    let view = IssuedView {
        id: issued.id,
        period: Period {
            from: issued.period_from,
            to: issued.period_to,
        },
        edition: issued.edition,
        sha256: issued.sha256,
        issued_at: issued.issued_at.and_utc(),
        href: href.clone(),
    };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, href))
        .json(view))
}

/// Download an issued report, byte for byte as it was issued.
#[utoipa::path(get, path = "/api/v1/reports/issued/{id}", tag = "reports",
    params(("id" = String, Path, description = "The issued report's id (a UUID).")),
    responses((status = 200, description = "The report as issued; `Repr-Digest` carries its SHA-256.", body = AnnualReport,
        headers(("Repr-Digest" = String, description = "`sha-256=:…:`, the SHA-256 of the body (RFC 9530).")))))]
pub async fn issued(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let row = state
        .run(move |conn| service::issued(conn, &user, &id, now))
        .await?;
    let digest = hex::decode(&row.sha256).map_err(AppError::internal)?;
    let digest = base64::engine::general_purpose::STANDARD.encode(digest);
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Repr-Digest", format!("sha-256=:{digest}:")))
        .body(row.body))
}
