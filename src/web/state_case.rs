//! A case as a State's focal point reads it (the State view), and, for the host State, the
//! forms that propose progress: a step, the next action, an accused person's status, a
//! document; with the State's own proposals and what became of them.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveTime;

use crate::AppState;
use crate::auth::Actor;
use crate::domain::case::{
    ACCUSED_STATUSES, CaseStatus, DOCUMENT_KINDS, ProposalInput, ProposalStatus, allowed_moves,
    validate_document,
};
use crate::domain::state_part::Relation;
use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::http::download::document_response;
use crate::http::upload::{is_multipart, read_upload};
use crate::services::cases::proposals::{self, Proposed};
use crate::services::member_states;

use super::form::{self, Field, Kind, Problem};
use super::i18n::Lang;
use super::labels::{date_time, label};
use super::{
    PageFrame, csrf_holds, csrf_of, error_page, failure_page, page_frame, page_user, redirect,
    render,
};

struct Line {
    text: String,
    note: String,
}

struct ProposalLine {
    kind: String,
    change: String,
    status: String,
    reason: String,
    proposed_at: String,
}

#[derive(Template)]
#[template(path = "state_case.html")]
struct StateCasePage {
    page: PageFrame,
    id: String,
    status: String,
    jurisdiction: String,
    authority: String,
    next_action: String,
    next_action_due: String,
    relations: String,
    timeline: Vec<Line>,
    accused: Vec<Line>,
    documents: Vec<(String, String)>,
    incidents: Vec<(String, String)>,
    host: bool,
    step_fields: Vec<Field>,
    next_action_fields: Vec<Field>,
    accused_fields: Vec<Field>,
    document_fields: Vec<Field>,
    proposals: Vec<ProposalLine>,
    problems: Vec<Problem>,
}

/// How the State is concerned, in words.
pub(super) fn relation_label(lang: Lang, relation: Relation) -> &'static str {
    let t = lang.texts();
    match relation {
        Relation::Host => t.relation_host,
        Relation::Nationality => t.relation_nationality,
    }
}

fn proposal_status_label(lang: Lang, status: &str) -> String {
    let t = lang.texts();
    match ProposalStatus::from_code(status) {
        Some(ProposalStatus::Pending) => t.proposal_pending,
        Some(ProposalStatus::Accepted) => t.proposal_accepted,
        Some(ProposalStatus::Declined) => t.proposal_declined,
        Some(ProposalStatus::Withdrawn) => t.proposal_withdrawn,
        None => status,
    }
    .to_string()
}

fn day(lang: Lang, date: chrono::NaiveDate) -> String {
    date_time(lang, date.and_time(NaiveTime::MIN), false)
}

/// The case in the State view, with its forms; `errors` and `posted` are a refused proposal's.
async fn state_case_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &Actor,
    id: String,
    posted: &[(String, String)],
    errors: &[FieldError],
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (reader, now) = (user.clone(), state.clock.now());
    let found = state
        .run(move |conn| {
            let case = member_states::case(conn, &reader, &id, now)?;
            let proposals = proposals::list(conn, &reader, &id, now)?;
            Ok::<_, AppError>((case, proposals))
        })
        .await;
    let (case, own) = match found {
        Ok(found) => found,
        Err(error) => return Ok(failure_page(req, error)),
    };
    let lang = Lang::of(req);
    let mut messages = form::messages(lang, errors);
    let value = |name: &str| form::value(posted, name).to_string();
    let current = CaseStatus::from_code(&case.status).unwrap_or(CaseStatus::Opened);
    let mut accused_field = Field::new(lang, "accused_id", Kind::Select, &value("accused_id"))
        .required()
        .with_error(&mut messages);
    // The accused by name where the reader may read names, else by position.
    accused_field.choices = case
        .accused
        .iter()
        .enumerate()
        .map(|(i, a)| super::Choice {
            value: a.id.clone(),
            label: a.name.clone().unwrap_or_else(|| format!("#{}", i + 1)),
            selected: a.id == value("accused_id"),
        })
        .collect();
    let page = StateCasePage {
        page: page_frame(req, lang, &case.reference, Some(user), &csrf_of(req).0),
        status: label(lang, &case.status),
        jurisdiction: match &case.jurisdiction_state {
            Some(s) if *s != case.jurisdiction => {
                format!(
                    "{} ({})",
                    case.jurisdiction,
                    super::countries::name(lang, s)
                )
            }
            Some(s) => super::countries::name(lang, s),
            None => case.jurisdiction.clone(),
        },
        authority: case.authority.clone().unwrap_or_default(),
        next_action: case.next_action.clone().unwrap_or_default(),
        next_action_due: case
            .next_action_due
            .map(|d| day(lang, d))
            .unwrap_or_default(),
        relations: case
            .relations
            .iter()
            .map(|r| relation_label(lang, *r))
            .collect::<Vec<_>>()
            .join(", "),
        timeline: case
            .timeline
            .iter()
            .map(|step| Line {
                text: format!(
                    "{}: {}",
                    day(lang, step.effective_on),
                    label(lang, &step.to)
                ),
                note: step.note.clone().unwrap_or_default(),
            })
            .collect(),
        accused: case
            .accused
            .iter()
            .map(|a| Line {
                text: a
                    .name
                    .clone()
                    .unwrap_or_else(|| lang.texts().withheld.to_string()),
                note: match a.verdict_on {
                    Some(day) => format!(
                        "{}, {} ({day})",
                        label(lang, &a.status),
                        label(lang, &a.verdict)
                    ),
                    None => format!("{}, {}", label(lang, &a.status), label(lang, &a.verdict)),
                },
            })
            .collect(),
        documents: case
            .documents
            .iter()
            .map(|d| {
                let href = format!("/state/cases/{}/documents/{}", case.id, d.id);
                (href, format!("{} ({})", d.title, label(lang, &d.kind)))
            })
            .collect(),
        incidents: case
            .incidents
            .iter()
            .map(|i| {
                let reference = i.reference.clone().unwrap_or_default();
                (format!("/state/incidents/{}", i.id), reference)
            })
            .collect(),
        host: case.relations.contains(&Relation::Host),
        step_fields: vec![
            Field::new(lang, "to", Kind::Select, &value("to"))
                .codes(
                    lang,
                    allowed_moves(current).into_iter().map(CaseStatus::code),
                )
                .required()
                .with_error(&mut messages),
            Field::new(lang, "effective_on", Kind::Date, &value("effective_on"))
                .required()
                .with_error(&mut messages),
            Field::new(lang, "note", Kind::LongText, &value("note")).with_error(&mut messages),
        ],
        next_action_fields: vec![
            Field::new(lang, "next_action", Kind::Text, &value("next_action"))
                .required()
                .with_error(&mut messages),
            Field::new(
                lang,
                "next_action_due",
                Kind::Date,
                &value("next_action_due"),
            )
            .required()
            .with_error(&mut messages),
        ],
        accused_fields: vec![
            accused_field,
            Field::new(
                lang,
                "accused_status",
                Kind::Select,
                &value("accused_status"),
            )
            .codes(lang, ACCUSED_STATUSES.iter().copied())
            .required()
            .with_error(&mut messages),
        ],
        document_fields: vec![
            Field::new(lang, "title", Kind::Text, &value("title"))
                .required()
                .with_error(&mut messages),
            Field::new(lang, "kind", Kind::Select, &value("kind"))
                .codes(lang, DOCUMENT_KINDS.iter().copied())
                .required()
                .with_error(&mut messages),
            Field::new(lang, "date", Kind::Date, &value("date")).with_error(&mut messages),
        ],
        proposals: own
            .iter()
            .map(|p| ProposalLine {
                kind: super::proposals::kind_label(lang, &p.row.kind),
                change: super::proposals::describe(lang, p),
                status: proposal_status_label(lang, &p.row.status),
                reason: p.row.reason.clone().unwrap_or_default(),
                proposed_at: date_time(lang, p.row.proposed_at, true),
            })
            .collect(),
        problems: form::leftovers(lang, messages),
        id: case.id,
    };
    let (csrf, new_csrf) = csrf_of(req);
    render(req, status, &page, new_csrf.then_some(csrf.as_str()))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    match page_user(&req, &state).await {
        Ok(user) => {
            let id = id.into_inner();
            state_case_page(&req, &state, &user, id, &[], &[], StatusCode::OK).await
        }
        Err(other_page) => Ok(other_page),
    }
}

/// A proposal refused for its content is shown on the case with its messages; any other
/// refusal is the usual page.
async fn refused(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &Actor,
    id: String,
    posted: &[(String, String)],
    error: AppError,
) -> Result<HttpResponse, AppError> {
    // A proposal the case no longer allows is said on the step's form.
    let (errors, status) =
        match super::refused::refusal(error, |detail| FieldError::new("to", detail)) {
            Ok(refusal) => refusal,
            Err(other) => return Ok(failure_page(req, other)),
        };
    state_case_page(req, state, user, id, posted, &errors, status).await
}

/// A step, a next action or an accused person's status, from its form.
pub async fn propose(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match super::posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let id = id.into_inner();
    let text =
        |name: &str| Some(form::value(&pairs, name).trim().to_string()).filter(|v| !v.is_empty());
    // Which form: `step`, `next_action` or `accused_status`.
    let kind = text("proposal");
    let input = match kind.as_deref() {
        Some("step") => ProposalInput {
            to: text("to"),
            effective_on: text("effective_on"),
            note: text("note"),
            ..ProposalInput::default()
        },
        Some("next_action") => ProposalInput {
            next_action: text("next_action"),
            next_action_due: text("next_action_due"),
            ..ProposalInput::default()
        },
        _ => ProposalInput {
            accused_id: text("accused_id"),
            accused_status: text("accused_status"),
            ..ProposalInput::default()
        },
    };
    let input = ProposalInput { kind, ..input };
    let (proposer, case_id, now) = (user.clone(), id.clone(), state.clock.now());
    let files = state.documents.clone();
    match state
        .run(move |conn| {
            let proposed = Proposed::Change(input);
            proposals::propose(conn, &proposer, &case_id, proposed, &files, now)
        })
        .await
    {
        Ok(_) => Ok(redirect(&format!("/state/cases/{id}#proposals"))),
        Err(error) => refused(&req, &state, &user, id, &pairs, error).await,
    }
}

/// A document, uploaded with the proposal.
pub async fn propose_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let id = id.into_inner();
    let (checker, checked_id, now) = (user.clone(), id.clone(), state.clock.now());
    if let Err(error) = state
        .run(move |conn| proposals::check_may_propose(conn, &checker, &checked_id, now))
        .await
    {
        return Ok(failure_page(&req, error));
    }
    if !is_multipart(&req) {
        return Ok(error_page(&req, StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    let (max_bytes, limit_mib) = (
        state.settings.document_max_bytes(),
        state.settings.document_max_mib,
    );
    let mut csrf = String::new();
    let form = Multipart::new(req.headers(), payload);
    let read = read_upload(form, max_bytes, limit_mib, Some(&mut csrf)).await;
    if !csrf_holds(&req, &csrf) {
        return Ok(error_page(&req, StatusCode::FORBIDDEN));
    }
    let (input, upload) = match read {
        Ok(read) => read,
        Err(error) => return refused(&req, &state, &user, id, &[], error).await,
    };
    let posted = [
        ("title".to_string(), input.title.clone().unwrap_or_default()),
        ("kind".to_string(), input.kind.clone().unwrap_or_default()),
        ("date".to_string(), input.date.clone().unwrap_or_default()),
    ];
    let (proposer, case_id, files) = (user.clone(), id.clone(), state.documents.clone());
    match state
        .run(move |conn| {
            let fields = validate_document(&input, now.date()).map_err(AppError::Validation)?;
            let proposed = Proposed::Document(fields, upload);
            proposals::propose(conn, &proposer, &case_id, proposed, &files, now)
        })
        .await
    {
        Ok(_) => Ok(redirect(&format!("/state/cases/{id}#proposals"))),
        Err(error) => refused(&req, &state, &user, id, &posted, error).await,
    }
}

/// A document shared with the reader's State.
pub async fn document(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let (case_id, document_id) = path.into_inner();
    let (files, now) = (state.documents.clone(), state.clock.now());
    match state
        .run(move |conn| {
            member_states::download_document(conn, &user, &case_id, &document_id, &files, now)
        })
        .await
    {
        Ok((row, bytes)) => Ok(document_response(row, bytes)),
        Err(error) => Ok(failure_page(&req, error)),
    }
}
