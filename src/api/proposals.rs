//! Progress a host State reports on a case: `/api/v1/cases/{id}/proposals` (its focal points
//! propose; the mission's legal officers and the proposing State read), and
//! `/api/v1/proposals/...` (the legal officers' queue, acceptance and refusal).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Actor;
use crate::domain::case::{self as rules, ProposalInput, ProposedChange};
use crate::error::AppError;
use crate::http::download::document_response;
use crate::http::upload::is_multipart;
use crate::services::cases::proposals::{self as service, Proposal, Proposed, Queued};

use super::cases::{DocumentUpload, receive_document};
use super::input::JsonBody;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    id: String,
    case_id: String,
    /// The proposing State (ISO3).
    state: String,
    /// `step`, `next_action`, `accused_status` or `document`.
    kind: String,
    /// `pending`, `accepted`, `declined` or `withdrawn`.
    status: String,
    /// What it changes: the fields of its kind.
    change: ProposedChange,
    /// The username of the focal point who proposed it.
    proposed_by: Option<String>,
    proposed_at: DateTime<Utc>,
    /// The username of the legal officer who accepted or declined it.
    decided_by: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    /// Why it was declined or withdrawn.
    reason: Option<String>,
    /// The case's version its acceptance made.
    applied_version: Option<i64>,
    /// A proposed document's file.
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<String>,
    /// In the queue: the case's reference and mission.
    #[serde(skip_serializing_if = "Option::is_none")]
    case_reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mission: Option<String>,
}

impl From<Proposal> for ProposalView {
    fn from(proposal: Proposal) -> Self {
        let Proposal {
            row,
            change,
            proposed_by_username,
            decided_by_username,
        } = proposal;
        ProposalView {
            document: (row.kind == rules::ProposalKind::Document.code())
                .then(|| format!("/api/v1/proposals/{}/document", row.id)),
            id: row.id,
            case_id: row.case_id,
            state: row.state,
            kind: row.kind,
            status: row.status,
            change,
            proposed_by: proposed_by_username,
            proposed_at: row.proposed_at.and_utc(),
            decided_by: decided_by_username,
            decided_at: row.decided_at.map(|t| t.and_utc()),
            reason: row.reason,
            applied_version: row.applied_version,
            case_reference: None,
            mission: None,
        }
    }
}

impl From<Queued> for ProposalView {
    fn from(queued: Queued) -> Self {
        let mut view = ProposalView::from(queued.proposal);
        view.case_reference = Some(queued.case_reference);
        view.mission = Some(queued.mission);
        view
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct ProposalList {
    items: Vec<ProposalView>,
}

/// Propose progress on a case (a host State's focal point).
#[utoipa::path(post, path = "/api/v1/cases/{id}/proposals", tag = "proposals",
    params(("id" = String, Path, description = "The case's id (a UUID).")),
    request_body(content((ProposalInput = "application/json"), (DocumentUpload = "multipart/form-data")),
        description = "A step, a next action or an accused person's status in JSON; a document as an upload."),
    responses((status = 201, description = "Proposed; it waits for a legal officer of the mission.", body = ProposalView, headers(("Location" = String, description = "Where the case's proposals are read."))),
        (status = 200, description = "The same proposal already waits (a request sent again): the one stored.", body = ProposalView),
        (status = 409, description = "A move the lifecycle forbids now (`allowed` lists the moves it allows), or too many proposals waiting.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn propose(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let id = id.into_inner();
    // Who may not propose hears so before a byte of the body is read.
    let (checker, checked_id) = (user.clone(), id.clone());
    state
        .run(move |conn| service::check_may_propose(conn, &checker, &checked_id, now))
        .await?;
    let proposed = if is_multipart(&req) {
        let (input, upload) = receive_document(&state, &req, payload).await?;
        let fields = rules::validate_document(&input, now.date()).map_err(AppError::Validation)?;
        Proposed::Document(fields, upload)
    } else {
        let body = JsonBody::from_request(&req, &mut payload.into_inner()).await?;
        Proposed::Change(body.parse()?)
    };
    let files = state.documents.clone();
    let (proposal, created) = state
        .run(move |conn| service::propose(conn, &user, &id, proposed, &files, now))
        .await?;
    let location = format!("/api/v1/cases/{}/proposals", proposal.row.case_id);
    let view = ProposalView::from(proposal);
    if !created {
        return Ok(HttpResponse::Ok().json(view));
    }
    let mut response = HttpResponse::Created().json(view);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// A case's proposals: all of them for the mission's legal officers, its own for a focal point
/// of the proposing State.
#[utoipa::path(get, path = "/api/v1/cases/{id}/proposals", tag = "proposals",
    params(("id" = String, Path, description = "The case's id (a UUID).")),
    responses((status = 200, description = "Oldest first.", body = ProposalList)))]
pub async fn list(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let proposals = state
        .run(move |conn| service::list(conn, &user, &id, now))
        .await?;
    Ok(HttpResponse::Ok().json(ProposalList {
        items: proposals.into_iter().map(ProposalView::from).collect(),
    }))
}

/// The pending proposals on the cases of the legal officer's missions, oldest first.
#[utoipa::path(get, path = "/api/v1/proposals", tag = "proposals",
    responses((status = 200, description = "What waits for the mission's legal officers.", body = ProposalList)))]
pub async fn queue(state: web::Data<AppState>, user: Actor) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let queued = state
        .run(move |conn| service::queue(conn, &user, now))
        .await?;
    Ok(HttpResponse::Ok().json(ProposalList {
        items: queued.into_iter().map(ProposalView::from).collect(),
    }))
}

/// Accept a proposal: the case's rules are applied now, and what it becomes names the
/// proposal.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/accept", tag = "proposals",
    params(("id" = String, Path, description = "The proposal's id.")),
    responses((status = 200, description = "Accepted and applied to the case.", body = ProposalView),
        (status = 409, description = "Already decided, or no longer allowed by the case's rules (a move: `allowed` lists the moves allowed); it stays pending.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn accept(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let proposal = state
        .run(move |conn| service::accept(conn, &user, &id, now))
        .await?;
    Ok(HttpResponse::Ok().json(ProposalView::from(proposal)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decline {
    /// Why, in words the focal point reads (up to 1,000 characters).
    reason: Option<String>,
}

/// Decline a proposal, with the reason the focal point reads.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/decline", tag = "proposals",
    params(("id" = String, Path, description = "The proposal's id.")),
    request_body = Decline,
    responses((status = 200, description = "Declined.", body = ProposalView),
        (status = 409, description = "Already decided.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn decline(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let proposal = state
        .run(move |conn| {
            let body: Decline = body.parse()?;
            service::decline(conn, &user, &id, body.reason, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ProposalView::from(proposal)))
}

/// Download a proposed document, checked against its recorded hash.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/document", tag = "proposals",
    params(("id" = String, Path, description = "The proposal's id.")),
    responses((status = 200, description = "The file as uploaded; `X-Content-SHA256` is its recorded hash.",
        content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "application/vnd.oasis.opendocument.text"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (String = "text/plain")),
        headers(("X-Content-SHA256" = String, description = "The SHA-256 recorded at upload."), ("Content-Disposition" = String, description = "An attachment, with its file name.")))))]
pub async fn download_document(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let files = state.documents.clone();
    let (row, bytes) = state
        .run(move |conn| service::download_document(conn, &user, &id, &files, now))
        .await?;
    Ok(document_response(row, bytes))
}
