//! One accountability case: opening it from an incident, its timeline, the accused, the
//! documents (upload; the download is in `documents`), and the move to a next status, offering only the
//! statuses the lifecycle allows from the current one.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveTime;

use crate::AppState;
use crate::auth::Actor;
use crate::domain::case::{
    self as rules, ACCUSED_STATUSES, AccusedChanges, AccusedInput, CLOSURE_REASONS, CaseInput,
    CaseStatus, DOCUMENT_KINDS, TransitionInput, VERDICTS, allowed_moves,
};
use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::http::upload::{is_multipart, read_upload};
use crate::services::cases::{self as service, CreateRequest};

use super::form::{self, Field, Kind, Problem};
use super::i18n::Lang;
use super::labels::{date_time, label, reported_by};
use super::{
    Choice, PageFrame, csrf_holds, csrf_of, error_page, failure_page, page_frame, page_user,
    redirect,
};

fn day(lang: Lang, date: chrono::NaiveDate) -> String {
    date_time(lang, date.and_time(NaiveTime::MIN), false)
}

/// A field of a posted form, trimmed; `None` when left empty.
fn filled(pairs: &[(String, String)], name: &str) -> Option<String> {
    Some(form::value(pairs, name).trim().to_string()).filter(|value| !value.is_empty())
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    page: PageFrame,
    sets_csrf: bool,
    incident: String,
    incident_reference: String,
    fields: Vec<Field>,
    /// Offered by name to the jurisdiction.
    countries: Vec<Choice>,
    problems: Vec<Problem>,
}

const NEW_CASE_FIELDS: &[(&str, Kind)] = &[
    ("jurisdiction", Kind::Country),
    ("jurisdiction_state", Kind::Select),
    ("authority", Kind::Text),
    ("opened_on", Kind::Date),
    ("next_action", Kind::Text),
    ("next_action_due", Kind::Date),
    ("next_action_shared", Kind::Checkbox),
    ("notes", Kind::LongText),
];

async fn new_case_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &Actor,
    pairs: &[(String, String)],
    errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(req);
    let incident = form::value(pairs, "incident").to_string();
    let (reader, read_id, now) = (user.clone(), incident.clone(), state.clock.now());
    let found = state
        .run(move |conn| crate::services::incidents::get(conn, &reader, &read_id, now))
        .await;
    let incident_row = match found {
        Ok(incident) => incident.row,
        Err(error) => return Ok(failure_page(req, error)),
    };
    let mut messages = form::messages(lang, errors);
    // The incident is the form's own: its messages go above the form.
    if let Some(message) = messages.remove("incident_ids[0]") {
        messages.insert("incident_ids".to_string(), message);
    }
    let fields = NEW_CASE_FIELDS
        .iter()
        .map(|(name, kind)| {
            let field = Field::new(lang, name, *kind, form::value(pairs, name));
            let field = match *name {
                "jurisdiction" => field.required(),
                "jurisdiction_state" => field.countries(lang),
                _ => field,
            };
            field.with_error(&mut messages)
        })
        .collect();
    let t = lang.texts();
    let (csrf, sets_csrf) = csrf_of(req);
    let page = NewCasePage {
        page: page_frame(req, lang, t.open_case, Some(user), &csrf),
        sets_csrf,
        incident,
        incident_reference: incident_row
            .reference
            .unwrap_or_else(|| t.no_reference.to_string()),
        fields,
        countries: super::countries::choices(lang, ""),
        problems: form::leftovers(lang, messages),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let new_csrf = page.sets_csrf.then_some(page.page.csrf.as_str());
    super::render(req, status, &page, new_csrf)
}

pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let (checker, now) = (user.clone(), state.clock.now());
    if let Err(error) = state
        .run(move |conn| service::check_may_create(conn, &checker, now))
        .await
    {
        return Ok(failure_page(&req, error));
    }
    let pairs = form::pairs(req.query_string().as_bytes());
    new_case_page(&req, &state, &user, &pairs, &[]).await
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match super::posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let field = |name| filled(&pairs, name);
    let request = CreateRequest {
        input: CaseInput {
            incident_ids: vec![form::value(&pairs, "incident").to_string()],
            jurisdiction: field("jurisdiction"),
            jurisdiction_state: field("jurisdiction_state").map(|state| state.to_uppercase()),
            authority: field("authority"),
            lead_officer: None,
            next_action: field("next_action"),
            next_action_due: field("next_action_due"),
            next_action_shared: Some(form::value(&pairs, "next_action_shared") == "true"),
            notes: field("notes"),
        },
        opened_on: field("opened_on"),
        idempotency: None,
    };
    let (opener, now) = (user.clone(), state.clock.now());
    let created = state
        .run(move |conn| service::create(conn, &opener, request, now))
        .await;
    match created {
        Ok(created) => Ok(redirect(&format!("/cases/{}", created.case.row.id))),
        Err(AppError::Validation(errors)) => {
            new_case_page(&req, &state, &user, &pairs, &errors).await
        }
        Err(error) => Ok(failure_page(&req, error)),
    }
}

struct Step {
    from: String,
    to: String,
    effective_on: String,
    note: String,
    reported_by: String,
}

struct AccusedLine {
    id: String,
    version: i64,
    status_choices: Vec<Choice>,
    verdict_choices: Vec<Choice>,
    name: String,
    affiliation: String,
    status: String,
    charges: String,
    verdict: String,
    verdict_on: String,
}

struct DocumentLine {
    href: String,
    title: String,
    kind: String,
    date: String,
    size_kib: String,
    reported_by: String,
}

struct IncidentLink {
    href: String,
    reference: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    page: PageFrame,
    id: String,
    status: String,
    mission: String,
    jurisdiction: String,
    authority: String,
    lead_officer: String,
    opened_on: String,
    next_action: String,
    next_action_due: String,
    notes: String,
    version: i64,
    incidents: Vec<IncidentLink>,
    withheld_incidents: usize,
    timeline: Vec<Step>,
    accused: Vec<AccusedLine>,
    documents: Vec<DocumentLine>,
    /// How many of the host State's proposals wait for a legal officer.
    pending_proposals: usize,
    writes: bool,
    move_fields: Vec<Field>,
    accused_fields: Vec<Field>,
    document_fields: Vec<Field>,
    document_limit_mib: u32,
    file_error: String,
    /// The forms of a refused request are shown open, with their messages.
    forms_open: bool,
    problems: Vec<Problem>,
}

/// The case with what the reader may do to it; `errors` and `posted` are a refused form's.
async fn case_page(
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
        .run(move |conn| service::get(conn, &reader, &id, now))
        .await;
    let case = match found {
        Ok(case) => case,
        Err(error) => return Ok(failure_page(req, error)),
    };
    let lang = Lang::of(req);
    let t = lang.texts();
    let row = &case.row;
    let current = case.status;
    let mut messages = form::messages(lang, errors);
    let value = |name: &str| form::value(posted, name).to_string();
    let today = now.date().format("%Y-%m-%d").to_string();
    let effective_on = Some(value("effective_on"))
        .filter(|v| !v.is_empty())
        .unwrap_or(today);
    let move_fields = vec![
        Field::new(lang, "to", Kind::Select, &value("to"))
            .codes(
                lang,
                allowed_moves(current).into_iter().map(CaseStatus::code),
            )
            .required()
            .with_error(&mut messages),
        Field::new(lang, "effective_on", Kind::Date, &effective_on)
            .required()
            .with_error(&mut messages),
        Field::new(lang, "note", Kind::LongText, &value("note")).with_error(&mut messages),
        Field::new(lang, "note_shared", Kind::Checkbox, &value("note_shared"))
            .with_error(&mut messages),
        Field::new(
            lang,
            "closure_reason",
            Kind::Select,
            &value("closure_reason"),
        )
        .codes(lang, CLOSURE_REASONS.iter().copied())
        .with_error(&mut messages),
    ];
    let accused_fields = vec![
        Field::new(lang, "name", Kind::Text, &value("name"))
            .required()
            .with_error(&mut messages),
        Field::new(lang, "affiliation", Kind::Text, &value("affiliation"))
            .with_error(&mut messages),
        Field::new(lang, "status", Kind::Select, &value("status"))
            .codes(lang, ACCUSED_STATUSES.iter().copied())
            .required()
            .with_error(&mut messages),
        Field::new(lang, "charges", Kind::LongText, &value("charges")).with_error(&mut messages),
    ];
    let document_fields = vec![
        Field::new(lang, "title", Kind::Text, &value("title"))
            .required()
            .with_error(&mut messages),
        Field::new(lang, "kind", Kind::Select, &value("kind"))
            .codes(lang, DOCUMENT_KINDS.iter().copied())
            .required()
            .with_error(&mut messages),
        Field::new(lang, "date", Kind::Date, &value("date")).with_error(&mut messages),
    ];
    let (csrf, new_csrf) = csrf_of(req);
    let page = CasePage {
        page: page_frame(req, lang, &row.reference, Some(user), &csrf),
        id: row.id.clone(),
        status: label(lang, &row.status),
        mission: row.mission_code.clone(),
        // A named court with its State's code beside it.
        jurisdiction: match &row.jurisdiction_state {
            Some(state) if *state != row.jurisdiction => format!("{} ({state})", row.jurisdiction),
            _ => row.jurisdiction.clone(),
        },
        authority: row.authority.clone().unwrap_or_default(),
        lead_officer: case
            .lead_officer_username
            .clone()
            .unwrap_or_else(|| row.lead_officer.clone()),
        opened_on: day(lang, row.opened_on),
        next_action: row.next_action.clone().unwrap_or_default(),
        next_action_due: row
            .next_action_due
            .map(|d| day(lang, d))
            .unwrap_or_default(),
        notes: row.notes.clone().unwrap_or_default(),
        version: row.version,
        incidents: case
            .incidents
            .iter()
            .map(|i| IncidentLink {
                href: format!("/incidents/{}", i.id),
                reference: i.reference.clone().unwrap_or_else(|| i.id.clone()),
            })
            .collect(),
        withheld_incidents: case.withheld_incidents,
        timeline: case
            .timeline
            .iter()
            .map(|step| Step {
                from: step
                    .from_status
                    .as_deref()
                    .map(|s| label(lang, s))
                    .unwrap_or_default(),
                to: label(lang, &step.to_status),
                effective_on: day(lang, step.effective_on),
                note: [
                    step.note.clone(),
                    step.closure_reason.as_deref().map(|r| label(lang, r)),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" — "),
                reported_by: reported_by(lang, step.proposal_id.as_ref(), &case.provenance),
            })
            .collect(),
        accused: case
            .accused
            .iter()
            .map(|a| AccusedLine {
                id: a.id.clone(),
                version: a.version,
                status_choices: super::choices(ACCUSED_STATUSES.iter().copied(), &a.status, lang),
                verdict_choices: super::choices(VERDICTS.iter().copied(), &a.verdict, lang),
                name: if case.personal {
                    a.name.clone()
                } else {
                    t.withheld.to_string()
                },
                affiliation: a.affiliation.clone().unwrap_or_default(),
                status: label(lang, &a.status),
                charges: a.charges.clone().unwrap_or_default(),
                verdict: label(lang, &a.verdict),
                verdict_on: a.verdict_on.map(|day| day.to_string()).unwrap_or_default(),
            })
            .collect(),
        documents: case
            .documents
            .iter()
            .map(|d| DocumentLine {
                href: format!("/cases/{}/documents/{}", d.case_id, d.id),
                title: d.title.clone(),
                kind: label(lang, &d.kind),
                date: d
                    .document_date
                    .map(|date| day(lang, date))
                    .unwrap_or_default(),
                size_kib: format!("{:.1}", d.size_bytes as f64 / 1024.0),
                reported_by: reported_by(lang, d.proposal_id.as_ref(), &case.provenance),
            })
            .collect(),
        pending_proposals: case.pending_proposals,
        writes: user.viewer().can_write_case(&row.mission_code)
            && user.role == crate::domain::access::Role::LegalOfficer,
        move_fields,
        accused_fields,
        document_fields,
        document_limit_mib: state.settings.document_max_mib,
        file_error: messages.remove("file").unwrap_or_default(),
        forms_open: !errors.is_empty(),
        problems: form::leftovers(lang, messages),
    };
    super::render(req, status, &page, new_csrf.then_some(csrf.as_str()))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    case_page(
        &req,
        &state,
        &user,
        id.into_inner(),
        &[],
        &[],
        StatusCode::OK,
    )
    .await
}

/// What a refused form on the case page turns into: the page again, with the messages.
/// A conflict is reported on `conflict_field`: the form the officer just sent.
async fn refused(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &Actor,
    id: String,
    posted: &[(String, String)],
    error: AppError,
    conflict_field: &str,
) -> Result<HttpResponse, AppError> {
    // Someone else moved or changed the case since this page was read.
    let meanwhile = |_| FieldError::new(conflict_field, Lang::ENGLISH.texts().changed_meanwhile);
    let (errors, status) = match super::refused::refusal(error, meanwhile) {
        Ok(refusal) => refusal,
        Err(other) => return Ok(failure_page(req, other)),
    };
    case_page(req, state, user, id, posted, &errors, status).await
}

pub async fn move_case(
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
    let input = TransitionInput {
        to: text("to"),
        effective_on: text("effective_on"),
        note: text("note"),
        note_shared: Some(form::value(&pairs, "note_shared") == "true"),
        closure_reason: text("closure_reason"),
        // The version the officer read: a move made meanwhile is not silently overtaken.
        version: form::value(&pairs, "version").parse().ok(),
    };
    let (mover, moved_id, now) = (user.clone(), id.clone(), state.clock.now());
    match state
        .run(move |conn| service::transition(conn, &mover, &moved_id, input, now))
        .await
    {
        Ok(_) => Ok(redirect(&format!("/cases/{id}"))),
        Err(error) => refused(&req, &state, &user, id, &pairs, error, "to").await,
    }
}

pub async fn add_accused(
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
    let input = AccusedInput {
        name: filled(&pairs, "name"),
        affiliation: filled(&pairs, "affiliation"),
        status: filled(&pairs, "status"),
        charges: filled(&pairs, "charges"),
        ..Default::default()
    };
    let (writer, case_id, now) = (user.clone(), id.clone(), state.clock.now());
    match state
        .run(move |conn| service::add_accused(conn, &writer, &case_id, input, now))
        .await
    {
        Ok(_) => Ok(redirect(&format!("/cases/{id}#accused"))),
        Err(error) => refused(&req, &state, &user, id, &pairs, error, "name").await,
    }
}

/// A new status or verdict for an accused person (a verdict once the case reached judgment).
pub async fn update_accused(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match super::posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let (id, accused_id) = path.into_inner();
    // A field left empty stays as stored; a verdict back to `pending` drops its day.
    let verdict = filled(&pairs, "verdict");
    let verdict_on = match verdict.as_deref() {
        Some("pending") => Some(None),
        _ => filled(&pairs, "verdict_on").map(Some),
    };
    let changes = AccusedChanges {
        status: filled(&pairs, "status").map(Some),
        verdict: verdict.map(Some),
        verdict_on,
        ..Default::default()
    };
    let version: i64 = form::value(&pairs, "version").parse().unwrap_or(-1);
    let (writer, case_id, now) = (user.clone(), id.clone(), state.clock.now());
    match state
        .run(move |conn| {
            service::update_accused(conn, &writer, &case_id, &accused_id, changes, version, now)
        })
        .await
    {
        Ok(_) => Ok(redirect(&format!("/cases/{id}#accused"))),
        // Its messages go above the page, not to the form for a new accused person.
        Err(AppError::Validation(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| FieldError::new(format!("accused.{}", e.field), e.message))
                .collect();
            let error = AppError::Validation(errors);
            refused(&req, &state, &user, id, &[], error, "accused").await
        }
        Err(error) => refused(&req, &state, &user, id, &[], error, "accused").await,
    }
}

pub async fn add_document(
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
        .run(move |conn| {
            service::check_may_change(conn, &checker, &checked_id, "cases.documents.add", now)
        })
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
        Err(error) => return refused(&req, &state, &user, id, &[], error, "title").await,
    };
    let posted = [
        ("title".to_string(), input.title.clone().unwrap_or_default()),
        ("kind".to_string(), input.kind.clone().unwrap_or_default()),
        ("date".to_string(), input.date.clone().unwrap_or_default()),
    ];
    let files = state.documents.clone();
    let (writer, case_id) = (user.clone(), id.clone());
    match state
        .run(move |conn| {
            let fields =
                rules::validate_document(&input, now.date()).map_err(AppError::Validation)?;
            service::add_document(conn, &writer, &case_id, fields, upload, &files, now)
        })
        .await
    {
        Ok(_) => Ok(redirect(&format!("/cases/{id}#documents"))),
        Err(error) => refused(&req, &state, &user, id, &posted, error, "title").await,
    }
}
