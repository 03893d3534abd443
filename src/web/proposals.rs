//! The legal officers' queue of what host States proposed: each proposal with what it
//! changes, accepted or declined (with a reason the focal point reads) from here.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::AppState;
use crate::auth::Actor;
use crate::domain::case::ProposalKind;
use crate::error::AppError;
use crate::services::cases::proposals as service;

use super::i18n::Lang;
use super::labels::{date_time, label};
use super::{PageFrame, csrf_of, failure_page, form, page_frame, page_user, redirect, render};

struct Line {
    id: String,
    case_id: String,
    case_reference: String,
    mission: String,
    state: String,
    kind: String,
    change: String,
    proposed_by: String,
    proposed_at: String,
    document: bool,
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct QueuePage {
    page: PageFrame,
    lines: Vec<Line>,
    /// Why the last decision was not taken, in words.
    message: String,
}

/// What a proposal changes, in a line of the reader's language.
pub(super) fn describe(lang: Lang, proposal: &service::Proposal) -> String {
    let change = &proposal.change;
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let day = |value: Option<chrono::NaiveDate>| {
        value
            .map(|d| date_time(lang, d.and_time(chrono::NaiveTime::MIN), false))
            .unwrap_or_default()
    };
    match ProposalKind::from_code(&proposal.row.kind) {
        Some(ProposalKind::Step) => {
            let note = change.note.as_ref().map(|n| format!(": {n}"));
            format!(
                "{} ({}){}",
                label(lang, &text(&change.to)),
                day(change.effective_on),
                note.unwrap_or_default()
            )
        }
        Some(ProposalKind::NextAction) => {
            format!(
                "{} ({})",
                text(&change.next_action),
                day(change.next_action_due)
            )
        }
        Some(ProposalKind::AccusedStatus) => label(lang, &text(&change.accused_status)),
        Some(ProposalKind::Document) => format!(
            "{} ({})",
            text(&change.title),
            label(lang, &text(&change.document_kind))
        ),
        None => String::new(),
    }
}

pub(super) fn kind_label(lang: Lang, kind: &str) -> String {
    let t = lang.texts();
    match ProposalKind::from_code(kind) {
        Some(ProposalKind::Step) => t.kind_step,
        Some(ProposalKind::NextAction) => t.next_action,
        Some(ProposalKind::AccusedStatus) => t.kind_accused_status,
        Some(ProposalKind::Document) => t.kind_document,
        None => kind,
    }
    .to_string()
}

async fn queue_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &Actor,
    message: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (lister, now) = (user.clone(), state.clock.now());
    let queued = match state
        .run(move |conn| service::queue(conn, &lister, now))
        .await
    {
        Ok(queued) => queued,
        Err(error) => return Ok(failure_page(req, error)),
    };
    let lang = Lang::of(req);
    let lines = queued
        .into_iter()
        .map(|queued| Line {
            change: describe(lang, &queued.proposal),
            kind: kind_label(lang, &queued.proposal.row.kind),
            document: queued.proposal.row.kind == ProposalKind::Document.code(),
            proposed_by: queued.proposal.proposed_by_username.unwrap_or_default(),
            proposed_at: date_time(lang, queued.proposal.row.proposed_at, true),
            id: queued.proposal.row.id,
            case_id: queued.proposal.row.case_id,
            state: queued.proposal.row.state,
            case_reference: queued.case_reference,
            mission: queued.mission,
        })
        .collect();
    let (csrf, new_csrf) = csrf_of(req);
    let page = QueuePage {
        page: page_frame(req, lang, lang.texts().proposals, Some(user), &csrf),
        lines,
        message,
    };
    render(req, status, &page, new_csrf.then_some(csrf.as_str()))
}

pub async fn queue(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    match page_user(&req, &state).await {
        Ok(user) => queue_page(&req, &state, &user, String::new(), StatusCode::OK).await,
        Err(other_page) => Ok(other_page),
    }
}

/// A decision the rules refused is shown on the queue, saying why; the proposal stays there.
async fn not_decided(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &Actor,
    error: AppError,
) -> Result<HttpResponse, AppError> {
    let (message, status) = match error {
        AppError::MoveNotAllowed { detail, .. } | AppError::Conflict(detail) => {
            (detail, StatusCode::CONFLICT)
        }
        AppError::Validation(errors) => (
            errors
                .iter()
                .map(|e| format!("{} {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        other => return Ok(failure_page(req, other)),
    };
    queue_page(req, state, user, message, status).await
}

pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (_, user) = match super::posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let (decider, now) = (user.clone(), state.clock.now());
    match state
        .run(move |conn| service::accept(conn, &decider, &id, now))
        .await
    {
        Ok(accepted) => Ok(redirect(&format!("/cases/{}", accepted.row.case_id))),
        Err(error) => not_decided(&req, &state, &user, error).await,
    }
}

pub async fn decline(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match super::posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let reason = Some(form::value(&pairs, "reason").to_string());
    let (decider, now) = (user.clone(), state.clock.now());
    match state
        .run(move |conn| service::decline(conn, &decider, &id, reason, now))
        .await
    {
        Ok(_) => Ok(redirect("/proposals")),
        Err(error) => not_decided(&req, &state, &user, error).await,
    }
}
