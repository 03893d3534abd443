//! The audit trail for auditors: every recorded action, newest first, with the filters of the
//! API, and the verification of the hash chain and of the stored documents.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Days, NaiveDate, NaiveTime};

use crate::AppState;
use crate::error::AppError;
use crate::http::cursor::{decode_cursor, encode_cursor};
use crate::services::audit::{self as audit_service, AuditFilter, TrailCheck};

use super::i18n::Lang;
use super::labels::date_time;
use super::{PageFrame, csrf_of, failure_page, page_frame, page_user, render};

const PAGE_SIZE: i64 = 100;

#[derive(Default)]
struct Asked {
    entity_type: String,
    entity_id: String,
    actor: String,
    action: String,
    from: String,
    to: String,
    cursor: String,
}

impl Asked {
    fn of(query: &str) -> Asked {
        let mut asked = Asked::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value: String = value.replace('\0', "").chars().take(200).collect();
            match key.as_ref() {
                "entity_type" => asked.entity_type = value,
                "entity_id" => asked.entity_id = value,
                "actor" => asked.actor = value,
                "action" => asked.action = value,
                "from" => asked.from = value,
                "to" => asked.to = value,
                "cursor" => asked.cursor = value,
                _ => {}
            }
        }
        asked
    }

    fn next(&self, cursor: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("entity_type", &self.entity_type),
            ("entity_id", &self.entity_id),
            ("actor", &self.actor),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        query.append_pair("cursor", cursor);
        format!("/audit?{}", query.finish())
    }
}

struct Line {
    sequence: i64,
    when: String,
    who: String,
    action: String,
    entity: String,
    details: String,
    sealed: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: PageFrame,
    entity_type: String,
    entity_id: String,
    actor: String,
    action: String,
    from: String,
    to: String,
    lines: Vec<Line>,
    next_href: String,
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let asked = Asked::of(req.query_string());
    let text = |value: &str| (!value.trim().is_empty()).then(|| value.trim().to_string());
    let day = |value: &str| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
    let filter = AuditFilter {
        entity_type: text(&asked.entity_type),
        entity_id: text(&asked.entity_id),
        actor_id: None,
        action: text(&asked.action),
        from: day(&asked.from).map(|d| d.and_time(NaiveTime::MIN)),
        // The day given is included.
        to: day(&asked.to)
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .map(|d| d.and_time(NaiveTime::MIN)),
        before_id: decode_cursor(&asked.cursor)
            .ok()
            .and_then(|c| c.parse().ok()),
    };
    let actor = text(&asked.actor);
    let (reader, now) = (user.clone(), state.clock.now());
    let found = state
        // Auditors look people up by the name they know.
        .run(move |conn| {
            audit_service::page(conn, &reader, filter, actor.as_deref(), PAGE_SIZE, now)
        })
        .await;
    let page_rows = match found {
        Ok(found) => found,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let next_href = match (page_rows.has_more, page_rows.items.last()) {
        (true, Some((last, _))) => asked.next(&encode_cursor(&last.id.to_string())),
        _ => String::new(),
    };
    let lang = Lang::of(&req);
    let t = lang.texts();
    let (csrf, new_csrf) = csrf_of(&req);
    let page = AuditPage {
        page: page_frame(&req, lang, t.audit_trail, Some(&user), &csrf),
        lines: page_rows
            .items
            .into_iter()
            .map(|(record, sealed)| Line {
                sequence: record.id,
                when: date_time(lang, record.occurred_at, true),
                who: record
                    .actor_username
                    .or(record.actor_id)
                    .unwrap_or_else(|| "—".to_string()),
                entity: match record.entity_id {
                    Some(id) => format!("{} {id}", record.entity_type),
                    None => record.entity_type,
                },
                action: record.action,
                details: record.details,
                sealed,
            })
            .collect(),
        next_href,
        entity_type: asked.entity_type,
        entity_id: asked.entity_id,
        actor: asked.actor,
        action: asked.action,
        from: asked.from,
        to: asked.to,
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

struct Failure {
    what: String,
    problem: String,
}

#[derive(Template)]
#[template(path = "audit_verify.html")]
struct VerifyPage {
    page: PageFrame,
    intact: bool,
    chain_intact: bool,
    records_checked: u64,
    head_hash: String,
    documents_checked: u64,
    failures: Vec<Failure>,
}

pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let files = state.documents.clone();
    let (reader, now) = (user.clone(), state.clock.now());
    let found = state
        .run(move |conn| audit_service::verify_trail_for(conn, &reader, &files, now))
        .await;
    let TrailCheck {
        chain,
        documents,
        records,
    } = match found {
        Ok(found) => found,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let lang = Lang::of(&req);
    let t = lang.texts();
    let mut failures: Vec<Failure> = chain
        .first_broken
        .iter()
        .map(|broken| Failure {
            what: format!("{} {}", t.audit_record, broken.sequence),
            problem: broken.reason.clone(),
        })
        .collect();
    failures.extend(documents.failed.iter().map(|failed| Failure {
        what: format!("{} {}", t.document, failed.document_id),
        problem: failed.problem.clone(),
    }));
    failures.extend(records.problems.iter().map(|problem| Failure {
        what: match problem.version {
            Some(version) => format!(
                "{} {} ({} {version})",
                problem.entity_type, problem.entity_id, t.version
            ),
            None => format!("{} {}", problem.entity_type, problem.entity_id),
        },
        problem: problem.problem.clone(),
    }));
    let (csrf, new_csrf) = csrf_of(&req);
    let page = VerifyPage {
        page: page_frame(&req, lang, t.verify_chain, Some(&user), &csrf),
        intact: chain.intact && documents.intact && records.intact,
        chain_intact: chain.intact,
        records_checked: chain.records_checked,
        head_hash: chain.head_hash,
        documents_checked: documents.checked,
        failures,
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}
