//! The case list, most urgent first, with overdue and stalled cases marked in words (not by
//! colour alone).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;

use crate::AppState;
use crate::domain::case::CaseStatus;
use crate::error::AppError;
use crate::http::cursor::{decode_cursor, encode_cursor};
use crate::services::cases::{self as service, ListRequest};

use super::i18n::Lang;
use super::labels::{date_time, label};
use super::{Choice, PageFrame, choices, csrf_of, failure_page, page_frame, page_user, render};

const PAGE_SIZE: i64 = 100;
/// A case is marked stalled after this many days without a step, as the summaries count it.
const STALLED_AFTER_DAYS: i64 = 180;

struct Row {
    id: String,
    reference: String,
    mission: String,
    status: String,
    next_action: String,
    due: String,
    overdue: bool,
    days_idle: String,
    stalled: bool,
    /// How many of the host State's proposals wait on the case.
    proposals: i64,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    page: PageFrame,
    statuses: Vec<Choice>,
    due_before: String,
    stalled_days: String,
    rows: Vec<Row>,
    next_href: String,
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(away) => return Ok(away),
    };
    let (mut status, mut due_before, mut stalled_days, mut cursor) =
        (String::new(), String::new(), String::new(), String::new());
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        let value = value.replace('\0', "");
        match key.as_ref() {
            "status" => status = value,
            "due_before" => due_before = value,
            "stalled_days" => stalled_days = value,
            "cursor" => cursor = value,
            _ => {}
        }
    }
    let request = ListRequest {
        statuses: CaseStatus::from_code(&status)
            .map(|s| vec![s.code().to_string()])
            .unwrap_or_default(),
        due_before: NaiveDate::parse_from_str(&due_before, "%Y-%m-%d").ok(),
        stalled_days: stalled_days.parse::<u32>().ok().filter(|d| *d <= 36_500),
        after: decode_cursor(&cursor).ok().and_then(|key| {
            let (urgency, id) = key.split_once('|')?;
            let urgency = NaiveDate::parse_from_str(urgency, "%Y-%m-%d").ok()?;
            Some((urgency, id.to_string()))
        }),
        limit: PAGE_SIZE,
        ..Default::default()
    };
    let now = state.clock.now();
    let lister = user.clone();
    let listed = state
        .run(move |conn| {
            let rows = service::list(conn, &lister, request, now)?;
            let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
            Ok::<_, AppError>((rows, service::proposals::pending_counts(conn, &ids)?))
        })
        .await;
    let (rows, waiting) = match listed {
        Ok(listed) => listed,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let page_rows = crate::services::Page::from_overfetch(rows, PAGE_SIZE as usize);
    let next_href = match (page_rows.has_more, page_rows.items.last()) {
        (true, Some(last)) => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (key, value) in [
                ("status", &status),
                ("due_before", &due_before),
                ("stalled_days", &stalled_days),
            ] {
                if !value.is_empty() {
                    query.append_pair(key, value);
                }
            }
            query.append_pair(
                "cursor",
                &encode_cursor(&format!("{}|{}", last.urgency, last.id)),
            );
            format!("/cases?{}", query.finish())
        }
        _ => String::new(),
    };
    let lang = Lang::of(&req);
    let t = lang.texts();
    let today = now.date();
    let (csrf, new_csrf) = csrf_of(&req);
    let rows = page_rows
        .items
        .into_iter()
        .map(|row| {
            let open = service::status_of(&row)?.is_open();
            let idle = (today - row.last_moved_on).num_days();
            Ok(Row {
                overdue: open && row.next_action_due.is_some_and(|due| due < today),
                due: row
                    .next_action_due
                    .map(|d| date_time(lang, d.and_time(chrono::NaiveTime::MIN), false))
                    .unwrap_or_default(),
                stalled: open && idle > STALLED_AFTER_DAYS,
                days_idle: if open {
                    idle.to_string()
                } else {
                    String::new()
                },
                proposals: waiting
                    .iter()
                    .find(|(case_id, _)| *case_id == row.id)
                    .map_or(0, |(_, count)| *count),
                status: label(lang, &row.status),
                next_action: row.next_action.unwrap_or_default(),
                reference: row.reference,
                mission: row.mission_code,
                id: row.id,
            })
        })
        .collect::<Result<Vec<_>, AppError>>();
    let rows = match rows {
        Ok(rows) => rows,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let page = ListPage {
        page: page_frame(&req, lang, t.cases, Some(&user), &csrf),
        statuses: choices(CaseStatus::ALL.map(CaseStatus::code), &status, lang),
        due_before: due_before.clone(),
        stalled_days: stalled_days.clone(),
        rows,
        next_href,
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}
