//! The pages of a State's focal point: its State's cases (overdue next actions first) and
//! incidents, an incident in the State view, and its State's summary. The case page, with the
//! host State's proposals, is in `state_case`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveTime;

use crate::AppState;
use crate::domain::summary::{Delay, FUNNEL};
use crate::error::AppError;
use crate::http::download::{csv_response, state_summary_csv};
use crate::services::member_states::{
    self as service, ListRequest, StateCase, StateSummary, SummaryRequest,
};

use super::i18n::Lang;
use super::labels::{date_time, label};
use super::state_case::relation_label;
use super::{PageFrame, csrf_of, failure_page, page_frame, page_user, render};

/// How many records a State's list shows.
const PAGE_SIZE: i64 = 100;

/// A line of a State's list.
pub(super) struct StateLine {
    pub href: String,
    pub reference: String,
    pub mission: String,
    pub status: String,
    pub day: String,
    pub relations: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "state_list.html")]
struct ListPage {
    page: PageFrame,
    cases: bool,
    lines: Vec<StateLine>,
}

#[derive(Template)]
#[template(path = "state_incident.html")]
struct IncidentPage {
    page: PageFrame,
    facts: Vec<(String, String)>,
    by_nationality: Vec<(String, String)>,
    nationals: Vec<String>,
    relations: String,
}

#[derive(Template)]
#[template(path = "state_summary.html")]
struct SummaryPage {
    page: PageFrame,
    host_header: Vec<String>,
    host_rows: Vec<Vec<String>>,
    nationals_header: Vec<String>,
    nationals_rows: Vec<Vec<String>>,
}

/// The summary's two tables, with their headers in the reader's language.
fn summary_page(lang: Lang, summary: &StateSummary, page: PageFrame) -> SummaryPage {
    let t = lang.texts();
    let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    let mut host_header = words(&[t.year, t.cases, t.open_cases]);
    host_header.extend(words(&[
        t.funnel_referred,
        t.funnel_investigating,
        t.funnel_suspects_identified,
        t.funnel_arrests,
        t.funnel_charged,
        t.funnel_in_trial,
        t.funnel_judgment,
        t.funnel_final,
        t.funnel_convicted,
    ]));
    host_header.push(label(lang, "acquitted"));
    host_header.extend(words(&[
        t.days_to_referral,
        t.days_to_first_arrest,
        t.days_to_charge,
        t.days_to_first_judgment,
    ]));
    let host_rows = summary
        .host
        .iter()
        .map(|y| {
            let mut row = vec![y.year.to_string(), y.cases.to_string(), y.open.to_string()];
            row.extend(
                FUNNEL
                    .iter()
                    .map(|step| y.reached.get(step.code()).copied().unwrap_or(0).to_string()),
            );
            row.extend([y.convicted.to_string(), y.acquitted.to_string()]);
            row.extend(Delay::ALL.iter().map(|delay| {
                y.median_days
                    .get(delay.code())
                    .map_or_else(|| t.not_yet.to_string(), |days| days.to_string())
            }));
            row
        })
        .collect();
    let mut nationals_header = words(&[t.year, t.incidents, t.killed, t.injured]);
    nationals_header.extend([label(lang, "abducted"), label(lang, "missing")]);
    nationals_header.extend(words(&[t.cases_by_status, t.without_case]));
    let nationals_rows = summary
        .nationals
        .iter()
        .map(|y| {
            let cases = y
                .cases_by_status
                .iter()
                .map(|(status, n)| format!("{}: {n}", label(lang, status)))
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                y.year.to_string(),
                y.incidents.to_string(),
                y.killed.to_string(),
                y.injured.to_string(),
                y.abducted.to_string(),
                y.missing.to_string(),
                cases,
                y.incidents_without_case.to_string(),
            ]
        })
        .collect();
    SummaryPage {
        page,
        host_header,
        host_rows,
        nationals_header,
        nationals_rows,
    }
}

fn day(lang: Lang, date: chrono::NaiveDate) -> String {
    date_time(lang, date.and_time(NaiveTime::MIN), false)
}

/// A State's case as its lists show it.
pub(super) fn case_line(lang: Lang, case: &StateCase, today: chrono::NaiveDate) -> StateLine {
    StateLine {
        href: format!("/state/cases/{}", case.id),
        reference: case.reference.clone(),
        mission: case.mission.clone(),
        status: label(lang, &case.status),
        day: case
            .next_action_due
            .map(|d| day(lang, d))
            .unwrap_or_default(),
        relations: relations(lang, &case.relations),
        overdue: case.next_action_due.is_some_and(|due| due < today)
            && crate::domain::case::CaseStatus::from_code(&case.status)
                .is_some_and(|s| s.is_open()),
    }
}

fn relations(lang: Lang, relations: &[crate::domain::state_part::Relation]) -> String {
    relations
        .iter()
        .map(|r| relation_label(lang, *r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first cases of the reader's State, most urgent first (for its home page).
pub(super) async fn first_cases(
    state: &web::Data<AppState>,
    user: &crate::auth::Actor,
    lang: Lang,
    limit: i64,
) -> Result<Vec<StateLine>, AppError> {
    let (reader, now) = (user.clone(), state.clock.now());
    let request = ListRequest {
        limit,
        ..ListRequest::default()
    };
    let cases = state
        .run(move |conn| service::cases(conn, &reader, request, now))
        .await?;
    Ok(cases
        .iter()
        .take(limit as usize)
        .map(|case| case_line(lang, case, now.date()))
        .collect())
}

pub async fn cases(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let lang = Lang::of(&req);
    let lines = match first_cases(&state, &user, lang, PAGE_SIZE).await {
        Ok(lines) => lines,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let (csrf, new_csrf) = csrf_of(&req);
    let page = ListPage {
        page: page_frame(&req, lang, lang.texts().state_cases, Some(&user), &csrf),
        cases: true,
        lines,
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

pub async fn incidents(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let (reader, now) = (user.clone(), state.clock.now());
    let request = ListRequest {
        limit: PAGE_SIZE,
        ..ListRequest::default()
    };
    let found = state
        .run(move |conn| service::incidents(conn, &reader, request, now))
        .await;
    let incidents = match found {
        Ok(incidents) => incidents,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let lang = Lang::of(&req);
    let lines = incidents
        .iter()
        .take(PAGE_SIZE as usize)
        .map(|i| StateLine {
            href: format!("/state/incidents/{}", i.id),
            reference: i.reference.clone().unwrap_or_default(),
            mission: i.mission.clone(),
            status: label(lang, &i.attack_type),
            day: date_time(lang, i.occurred_at.naive_utc(), false),
            relations: relations(lang, &i.relations),
            overdue: false,
        })
        .collect();
    let (csrf, new_csrf) = csrf_of(&req);
    let page = ListPage {
        page: page_frame(&req, lang, lang.texts().state_incidents, Some(&user), &csrf),
        cases: false,
        lines,
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

pub async fn incident(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let (reader, now) = (user.clone(), state.clock.now());
    let found = state
        .run(move |conn| service::incident(conn, &reader, &id, now))
        .await;
    let incident = match found {
        Ok(incident) => incident,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let lang = Lang::of(&req);
    let t = lang.texts();
    let c = &incident.casualties;
    let counts = |killed: i32, injured: i32, abducted: i32, missing: i32| {
        format!(
            "{killed} {}, {injured} {}, {abducted} {}, {missing} {}",
            label(lang, "killed"),
            label(lang, "injured"),
            label(lang, "abducted"),
            label(lang, "missing")
        )
    };
    let facts = vec![
        (t.mission.to_string(), incident.mission.clone()),
        (
            t.occurred.to_string(),
            date_time(lang, incident.occurred_at.naive_utc(), false),
        ),
        (
            t.admin_areas.to_string(),
            [incident.admin1.clone(), incident.admin2.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            t.attack_type.to_string(),
            label(lang, &incident.attack_type),
        ),
        (
            t.casualties.to_string(),
            counts(c.killed, c.injured, c.abducted, c.missing),
        ),
    ];
    let by_nationality = incident
        .casualties_by_nationality
        .iter()
        .map(|n| {
            let c = &n.casualties;
            (
                n.nationality
                    .as_deref()
                    .map_or_else(|| "?".into(), |code| super::countries::name(lang, code)),
                counts(c.killed, c.injured, c.abducted, c.missing),
            )
        })
        .collect();
    let nationals = incident
        .nationals
        .iter()
        .map(|n| {
            [
                n.name.clone(),
                n.unit.clone(),
                n.casualty_id.clone(),
                Some(label(lang, &n.personnel_type)),
                Some(label(lang, &n.outcome)),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ")
        })
        .collect();
    let (csrf, new_csrf) = csrf_of(&req);
    let title = incident.reference.clone().unwrap_or_default();
    let page = IncidentPage {
        page: page_frame(&req, lang, &title, Some(&user), &csrf),
        facts,
        by_nationality,
        nationals,
        relations: relations(lang, &incident.relations),
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

pub async fn summary(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let download = req.path().ends_with("/download");
    let (reader, now) = (user.clone(), state.clock.now());
    let found = state
        .run(move |conn| service::summary(conn, &reader, SummaryRequest::default(), now))
        .await;
    let summary = match found {
        Ok(summary) => summary,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    if download {
        let body = state_summary_csv(&summary).map_err(AppError::internal)?;
        return Ok(csv_response("state-summary.csv", body));
    }
    let lang = Lang::of(&req);
    let (csrf, new_csrf) = csrf_of(&req);
    let frame = page_frame(&req, lang, lang.texts().state_summary, Some(&user), &csrf);
    let page = summary_page(lang, &summary, frame);
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}
