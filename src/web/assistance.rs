//! Assistance to host States on the pages: the list (a mission's staff see their missions', a
//! focal point its State's), the form to record it, and each record with its correction form
//! and history. Links to cases are made through the API.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::AppState;
use crate::auth::Actor;
use crate::domain::assistance::{ASSISTANCE_TYPES, AssistanceChanges, AssistanceInput};
use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::http::cursor::{decode_dated_cursor, encode_cursor};
use crate::services::assistance::{self as service, ListRequest, Shown};

use super::form::{self, Field, Kind, Problem};
use super::i18n::Lang;
use super::labels::label;
use super::{
    PageFrame, csrf_of, failure_page, page_frame, page_user, posted_form, redirect, render,
};

struct Line {
    href: String,
    kind: String,
    state: String,
    mission: String,
    days: String,
    provider: String,
}

#[derive(Template)]
#[template(path = "assistance_list.html")]
struct ListPage {
    page: PageFrame,
    lines: Vec<Line>,
    next_href: String,
    writes: bool,
    fields: Vec<Field>,
    problems: Vec<Problem>,
}

struct VersionLine {
    version: i64,
    when: String,
    who: String,
    fields: String,
}

#[derive(Template)]
#[template(path = "assistance.html")]
struct RecordPage {
    page: PageFrame,
    id: String,
    kind: String,
    state: String,
    mission: String,
    days: String,
    provider: String,
    description: String,
    cases: Vec<String>,
    other_cases: usize,
    version: i64,
    writes: bool,
    fields: Vec<Field>,
    problems: Vec<Problem>,
    history: Vec<VersionLine>,
}

fn days(shown: &Shown) -> String {
    match shown.row.to_on {
        Some(to) => format!("{} – {to}", shown.row.from_on),
        None => format!("{} –", shown.row.from_on),
    }
}

/// The record's fields, filled from what was posted (or stored), with their messages.
fn fields(
    lang: Lang,
    value: &dyn Fn(&str) -> String,
    errors: &[FieldError],
    with_mission: bool,
) -> (Vec<Field>, Vec<Problem>) {
    let mut messages = form::messages(lang, errors);
    let mut fields = vec![
        Field::new(lang, "type", Kind::Select, &value("type"))
            .codes(lang, ASSISTANCE_TYPES.iter().copied())
            .required()
            .with_error(&mut messages),
        Field::new(lang, "state", Kind::Text, &value("state"))
            .countries(lang)
            .required()
            .with_error(&mut messages),
    ];
    if with_mission {
        fields.push(
            Field::new(lang, "mission", Kind::Text, &value("mission"))
                .required()
                .with_error(&mut messages),
        );
    }
    fields.extend([
        Field::new(lang, "from", Kind::Date, &value("from"))
            .required()
            .with_error(&mut messages),
        Field::new(lang, "to", Kind::Date, &value("to")).with_error(&mut messages),
        Field::new(lang, "provider", Kind::Text, &value("provider"))
            .required()
            .with_error(&mut messages),
        Field::new(lang, "description", Kind::LongText, &value("description"))
            .with_error(&mut messages),
    ]);
    (fields, form::leftovers(lang, messages))
}

fn filled(pairs: &[(String, String)], name: &str) -> Option<String> {
    let value = form::value(pairs, name).trim();
    (!value.is_empty()).then(|| value.to_string())
}

async fn list_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: Actor,
    posted: &[(String, String)],
    errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let after = form::pairs(req.query_string().as_bytes())
        .into_iter()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, v)| decode_dated_cursor(&v).ok());
    let (reader, now) = (user.clone(), state.clock.now());
    let request = ListRequest {
        after,
        limit: 50,
        ..Default::default()
    };
    let page = match state
        .run(move |conn| service::list(conn, &reader, request, now))
        .await
    {
        Ok(page) => page,
        Err(error) => return Ok(failure_page(req, error)),
    };
    let lang = Lang::of(req);
    let t = lang.texts();
    let next_href = match (page.has_more, page.items.last()) {
        (true, Some(last)) => format!(
            "/assistance?cursor={}",
            encode_cursor(&format!("{}|{}", last.row.from_on, last.row.id))
        ),
        _ => String::new(),
    };
    let value = |name: &str| form::value(posted, name).to_string();
    let (fields, problems) = fields(lang, &value, errors, true);
    let (csrf, new_csrf) = csrf_of(req);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let list = ListPage {
        page: page_frame(req, lang, t.assistance, Some(&user), &csrf),
        lines: page
            .items
            .iter()
            .map(|shown| Line {
                href: format!("/assistance/{}", shown.row.id),
                kind: label(lang, &shown.row.assistance_type),
                state: shown.row.state.clone(),
                mission: shown.row.mission_code.clone(),
                days: days(shown),
                provider: shown.row.provider.clone(),
            })
            .collect(),
        next_href,
        writes: service::writes(&user),
        fields,
        problems,
    };
    render(req, status, &list, new_csrf.then_some(csrf.as_str()))
}

pub(super) async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    list_page(&req, &state, user, &[], &[]).await
}

pub(super) async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let input = AssistanceInput {
        assistance_type: filled(&pairs, "type"),
        state: filled(&pairs, "state"),
        mission: filled(&pairs, "mission"),
        from: filled(&pairs, "from"),
        to: filled(&pairs, "to"),
        provider: filled(&pairs, "provider"),
        description: filled(&pairs, "description"),
        case_ids: None,
    };
    let (writer, now) = (user.clone(), state.clock.now());
    match state
        .run(move |conn| service::create(conn, &writer, input, None, now))
        .await
    {
        Ok((shown, _)) => Ok(redirect(&format!("/assistance/{}", shown.row.id))),
        Err(AppError::Validation(errors)) => list_page(&req, &state, user, &pairs, &errors).await,
        Err(error) => Ok(failure_page(&req, error)),
    }
}

async fn record_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: Actor,
    id: String,
    posted: Option<&[(String, String)]>,
    errors: &[FieldError],
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (reader, now) = (user.clone(), state.clock.now());
    let found = state
        .run(move |conn| {
            let shown = service::get(conn, &reader, &id, now)?;
            let history = service::history(conn, &reader, &id, now)?;
            Ok::<_, AppError>((shown, history))
        })
        .await;
    let (shown, history) = match found {
        Ok(found) => found,
        Err(error) => return Ok(failure_page(req, error)),
    };
    let lang = Lang::of(req);
    let t = lang.texts();
    let stored = |name: &str| match name {
        "type" => shown.row.assistance_type.clone(),
        "state" => shown.row.state.clone(),
        "from" => shown.row.from_on.to_string(),
        "to" => shown.row.to_on.map(|d| d.to_string()).unwrap_or_default(),
        "provider" => shown.row.provider.clone(),
        "description" => shown.row.description.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let value = |name: &str| match posted {
        Some(pairs) => form::value(pairs, name).to_string(),
        None => stored(name),
    };
    let (fields, problems) = fields(lang, &value, errors, false);
    let (csrf, new_csrf) = csrf_of(req);
    let page = RecordPage {
        page: page_frame(req, lang, t.assistance, Some(&user), &csrf),
        kind: label(lang, &shown.row.assistance_type),
        days: days(&shown),
        id: shown.row.id.clone(),
        state: shown.row.state.clone(),
        mission: shown.row.mission_code.clone(),
        provider: shown.row.provider.clone(),
        description: shown.row.description.clone().unwrap_or_default(),
        cases: shown.case_ids.clone(),
        other_cases: shown.other_cases,
        version: shown.row.version,
        writes: service::writes(&user) && user.viewer().works_on(&shown.row.mission_code),
        fields,
        problems,
        history: history
            .into_iter()
            .map(|v| VersionLine {
                version: v.version,
                when: v.changed_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                who: v.changed_by.unwrap_or_default(),
                fields: v.fields.join(", "),
            })
            .collect(),
    };
    render(req, status, &page, new_csrf.then_some(csrf.as_str()))
}

pub(super) async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    record_page(
        &req,
        &state,
        user,
        id.into_inner(),
        None,
        &[],
        StatusCode::OK,
    )
    .await
}

/// A correction at the version the form was read at; fields left empty are cleared where
/// they may be (`to`, `description`).
pub(super) async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let id = id.into_inner();
    let changes = AssistanceChanges {
        assistance_type: filled(&pairs, "type"),
        state: filled(&pairs, "state"),
        from: filled(&pairs, "from"),
        to: Some(filled(&pairs, "to")),
        provider: filled(&pairs, "provider"),
        description: Some(filled(&pairs, "description")),
        case_ids: None,
    };
    let version: i64 = form::value(&pairs, "version").parse().unwrap_or(-1);
    let (writer, record, now) = (user.clone(), id.clone(), state.clock.now());
    match state
        .run(move |conn| service::update(conn, &writer, &record, changes, version, now))
        .await
    {
        Ok(_) => Ok(redirect(&format!("/assistance/{id}"))),
        Err(AppError::Validation(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            record_page(&req, &state, user, id, Some(&pairs), &errors, status).await
        }
        // Someone corrected it meanwhile: the page as it stands now, saying so.
        Err(AppError::Conflict(why)) => {
            let errors = [FieldError::new("version", why)];
            record_page(&req, &state, user, id, None, &errors, StatusCode::CONFLICT).await
        }
        Err(error) => Ok(failure_page(&req, error)),
    }
}
