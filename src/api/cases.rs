//! `/api/v1/cases`: legal officers follow each attack to justice; the mission's security
//! officers and leadership read along.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, Schema, Type};

use crate::AppState;
use crate::auth::Actor;
use crate::domain::access::Role;
use crate::domain::case::{self as rules, CaseStatus, TransitionInput};
use crate::error::AppError;
use crate::http::download::document_response;
use crate::http::upload::{is_multipart, read_upload};
use crate::services::cases::{self as service, AccusedRow, CreateRequest, ListRequest};
use crate::services::member_states;

use super::case_views::{
    AccusedView, CaseSummary, CaseView, DocumentView, accused_view, respond, summary,
};
use super::incidents::{idempotency_key, one_of_codes};
use super::input::{
    JsonBody, etag, expected_version, if_match, page_limit, parse_limit, push_filter_value,
    query_pairs, search_text, take_field, typed_fields,
};
use crate::http::cursor::{decode_dated_cursor, encode_cursor};

/// Open a case on one or more incidents.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases",
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 200, pattern = "^[!-~]+$", description = "1 to 200 visible ASCII characters. The same key with the same body answers the first result again (`Idempotent-Replayed: true`); with another body, 422.")),
    request_body = CaseCreate,
    responses((status = 201, description = "Opened.", body = CaseView, headers(("ETag" = String, description = "The version, for `If-Match`."), ("Location" = String, description = "Where the new record is read."), ("Idempotent-Replayed" = String, description = "`true` when this answers again a request already made with the same `Idempotency-Key`."))),
        (status = 409, description = "Another request with the same idempotency key is being answered just now; retry.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let key = idempotency_key(&req);
    let created = state
        .run(move |conn| {
            service::check_may_create(conn, &user, now)?;
            let mut body: Map<String, Value> = body.parse()?;
            let idempotency = key?.map(|key| crate::http::idempotency::of_case(key, &body));
            let opened_on = take_field(&mut body, "opened_on", "must be a date YYYY-MM-DD")?;
            let request = CreateRequest {
                input: typed_fields(body)?,
                opened_on,
                idempotency,
            };
            service::create(conn, &user, request, now)
        })
        .await?;
    let location = format!("/api/v1/cases/{}", created.case.row.id);
    let replayed = created.replayed;
    let mut response = respond(StatusCode::CREATED, created.case, now);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if replayed {
        response.headers_mut().insert(
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// Read a case.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID).")),
    responses((status = 200, description = "The case with its timeline, accused and documents; a State's focal point gets the State view (no `ETag`).", body = super::state::CaseAnswer, headers(("ETag" = String, description = "The version, for `If-Match`.")))))]
pub async fn get(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    if user.role == Role::StateFocalPoint {
        let view = state
            .run(move |conn| member_states::case(conn, &user, &id, now))
            .await?;
        return Ok(HttpResponse::Ok().json(view));
    }
    let detail = state
        .run(move |conn| service::get(conn, &user, &id, now))
        .await?;
    Ok(respond(StatusCode::OK, detail, now))
}

/// Change a case's descriptive fields.
#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID)."), super::input::VersionHeader),
    request_body = CasePatch,
    responses((status = 200, description = "Changed.", body = CaseView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 409, description = "The version is not the stored one.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let if_match = if_match(&req);
    let detail = state
        .run(move |conn| {
            service::check_may_change(conn, &user, &id, "cases.update", now)?;
            let mut patch: Map<String, Value> = body.parse()?;
            let version = expected_version(
                if_match,
                take_field(&mut patch, "version", "must be a whole number")?,
            )?;
            service::update(conn, &user, &id, typed_fields(patch)?, version, now)
        })
        .await?;
    Ok(respond(StatusCode::OK, detail, now))
}

/// Move a case along its lifecycle.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID)."), super::input::VersionHeader),
    request_body = crate::domain::case::TransitionInput,
    responses((status = 200, description = "Moved.", body = CaseView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 409, description = "A stale version, or a move the lifecycle forbids (`allowed` lists the moves it allows).", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn transition(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let if_match = if_match(&req);
    let detail = state
        .run(move |conn| {
            service::check_may_change(conn, &user, &id, "cases.transition", now)?;
            let mut input: TransitionInput = body.parse()?;
            // The version is optional here: without it, the status read is what must still hold.
            input.version = match (if_match?, input.version) {
                (None, None) => None,
                (header, field) => Some(expected_version(Ok(header), field)?),
            };
            service::transition(conn, &user, &id, input, now)
        })
        .await?;
    Ok(respond(StatusCode::OK, detail, now))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSharing {
    /// Share the step's note with the States concerned (`true`), or keep it the mission's own.
    note_shared: bool,
    /// The case's version (or `If-Match`).
    version: Option<i64>,
}

/// Share a step's note with the States concerned, or make it the mission's own again.
#[utoipa::path(patch, path = "/api/v1/cases/{id}/transitions/{position}", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID)."), ("position" = i32, Path, description = "The step's place in the timeline (0 is the opening)."), super::input::VersionHeader),
    request_body = StepSharing,
    responses((status = 200, description = "Shared as asked.", body = CaseView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 409, description = "The version is not the stored one.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn share_step(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<(String, i32)>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let if_match = if_match(&req);
    let (id, position) = path.into_inner();
    let detail = state
        .run(move |conn| {
            service::check_may_change(conn, &user, &id, "cases.steps.share", now)?;
            let body: StepSharing = body.parse()?;
            let version = expected_version(if_match, body.version)?;
            service::share_step_note(conn, &user, &id, position, version, body.note_shared, now)
        })
        .await?;
    Ok(respond(StatusCode::OK, detail, now))
}

fn respond_accused(status: StatusCode, row: AccusedRow, personal: bool) -> HttpResponse {
    let view = accused_view(row, personal);
    HttpResponse::build(status)
        .insert_header(etag(view.version))
        .json(view)
}

/// Add an accused person to a case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/accused", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID).")),
    request_body = crate::domain::case::AccusedInput,
    responses((status = 201, description = "Added.", body = AccusedView, headers(("ETag" = String, description = "The version, for `If-Match`.")))))]
pub async fn add_accused(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (row, personal) = state
        .run(move |conn| {
            service::check_may_change(conn, &user, &id, "cases.accused.add", now)?;
            service::add_accused(conn, &user, &id, body.parse()?, now)
        })
        .await?;
    Ok(respond_accused(StatusCode::CREATED, row, personal))
}

/// Change an accused person's status, charges, verdict or sentence.
#[utoipa::path(patch, path = "/api/v1/cases/{id}/accused/{accused_id}", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID)."), ("accused_id" = String, Path, description = "The accused person's id."), super::input::VersionHeader),
    request_body = AccusedPatch,
    responses((status = 200, description = "Changed.", body = AccusedView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 409, description = "The version is not the stored one.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_accused(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let if_match = if_match(&req);
    let (case_id, accused_id) = path.into_inner();
    let (row, personal) = state
        .run(move |conn| {
            service::check_may_change(conn, &user, &case_id, "cases.accused.update", now)?;
            let mut patch: Map<String, Value> = body.parse()?;
            let version = expected_version(
                if_match,
                take_field(&mut patch, "version", "must be a whole number")?,
            )?;
            let changes = typed_fields(patch)?;
            service::update_accused(conn, &user, &case_id, &accused_id, changes, version, now)
        })
        .await?;
    Ok(respond_accused(StatusCode::OK, row, personal))
}

/// The body of `POST /api/v1/cases`: a case, and the day it was opened if not today.
pub struct CaseCreate;

impl utoipa::PartialSchema for CaseCreate {
    fn schema() -> RefOr<Schema> {
        use super::openapi::{extended, optional_field};
        extended::<rules::CaseInput>(
            "A case on one or more incidents of one mission.",
            &[(
                "opened_on",
                optional_field(
                    Type::String,
                    Some(KnownFormat::Date),
                    "The day the case was opened, not before its incidents (default today).",
                ),
            )],
        )
    }
}

impl utoipa::ToSchema for CaseCreate {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <rules::CaseInput as utoipa::ToSchema>::schemas(schemas);
    }
}

/// The body of `PATCH /api/v1/cases/{id}`: any fields of a case and the `version` the change
/// is based on. It is read as a map, so that a field left out stays as stored.
pub struct CasePatch;

impl utoipa::PartialSchema for CasePatch {
    fn schema() -> RefOr<Schema> {
        super::openapi::patch_of::<rules::CaseInput>(
            "Any fields of a case (those left out stay as stored), with the version the change \
             is based on.",
            &[("version", super::openapi::version_field())],
        )
    }
}

impl utoipa::ToSchema for CasePatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <rules::CaseInput as utoipa::ToSchema>::schemas(schemas);
    }
}

/// The body of `PATCH /api/v1/cases/{id}/accused/{accused_id}`, read the same way.
pub struct AccusedPatch;

impl utoipa::PartialSchema for AccusedPatch {
    fn schema() -> RefOr<Schema> {
        super::openapi::patch_of::<rules::AccusedInput>(
            "Any fields of an accused person (those left out stay as stored), with the version \
             the change is based on.",
            &[("version", super::openapi::version_field())],
        )
    }
}

impl utoipa::ToSchema for AccusedPatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <rules::AccusedInput as utoipa::ToSchema>::schemas(schemas);
    }
}

/// The parts of a document upload (`multipart/form-data`); no others are read.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct DocumentUpload {
    /// The file: PDF, PNG, JPEG, plain text, ODT or DOCX, judged by its content.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    title: String,
    /// The kind of document, like `indictment` or `judgment`.
    kind: String,
    /// The document's own date (`YYYY-MM-DD`).
    date: Option<chrono::NaiveDate>,
}

/// Upload a document to a case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/documents", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID).")),
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    responses((status = 201, description = "Stored, with its SHA-256.", body = DocumentView, headers(("Location" = String, description = "Where the new record is read.")))))]
pub async fn add_document(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let id = id.into_inner();
    // Who may not add documents hears so before a byte of the body is read.
    let (checker, checked_id) = (user.clone(), id.clone());
    state
        .run(move |conn| {
            service::check_may_change(conn, &checker, &checked_id, "cases.documents.add", now)
        })
        .await?;
    let (input, upload) = receive_document(&state, &req, payload).await?;
    let files = state.documents.clone();
    let row = state
        .run(move |conn| {
            let fields =
                rules::validate_document(&input, now.date()).map_err(AppError::Validation)?;
            service::add_document(conn, &user, &id, fields, upload, &files, now)
        })
        .await?;
    let location = format!("/api/v1/cases/{}/documents/{}", row.case_id, row.id);
    let mut response = HttpResponse::Created().json(DocumentView::from(row));
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// A document upload (`multipart/form-data`), its file within the configured limit.
pub(super) async fn receive_document(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(rules::DocumentInput, service::Upload), AppError> {
    let max_bytes = state.settings.document_max_bytes();
    let limit_mib = state.settings.document_max_mib;
    if !is_multipart(req) {
        return Err(AppError::UnsupportedMediaType(
            "Send the document as multipart/form-data with the parts `file`, `title`, `kind` and `date`.",
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // The form around the file takes a few hundred bytes; allow it some room.
    if declared.is_some_and(|length| length > max_bytes + 64 * 1024) {
        return Err(AppError::FileTooLarge { limit_mib });
    }
    let form = Multipart::new(req.headers(), payload);
    read_upload(form, max_bytes, limit_mib, None).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentSharing {
    /// The States (ISO 3166-1 alpha-3) whose focal points may read the document, when the case
    /// is theirs to see; an empty list shares it with none.
    shared_with: Vec<String>,
    /// The document's version (or `If-Match`).
    version: Option<i64>,
}

/// Share a case document with the States concerned (or stop sharing it).
#[utoipa::path(patch, path = "/api/v1/cases/{id}/documents/{document_id}", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID)."), ("document_id" = String, Path, description = "The document's id."), super::input::VersionHeader),
    request_body = DocumentSharing,
    responses((status = 200, description = "Shared as asked.", body = DocumentView, headers(("ETag" = String, description = "The document's version, for `If-Match`."))),
        (status = 409, description = "The version is not the stored one.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn share_document(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let if_match = if_match(&req);
    let (case_id, document_id) = path.into_inner();
    let row = state
        .run(move |conn| {
            service::check_may_change(conn, &user, &case_id, "cases.documents.share", now)?;
            let body: DocumentSharing = body.parse()?;
            let version = expected_version(if_match, body.version)?;
            service::share_document(
                conn,
                &user,
                &case_id,
                &document_id,
                version,
                body.shared_with,
                now,
            )
        })
        .await?;
    let view = DocumentView::from(row);
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version()))
        .json(view))
}

/// Download a case document, checked against its recorded hash.
#[utoipa::path(get, path = "/api/v1/cases/{id}/documents/{document_id}", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID)."), ("document_id" = String, Path, description = "The document's id.")),
    responses((status = 200, description = "The file as uploaded; `X-Content-SHA256` is its recorded hash.",
        content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "application/vnd.oasis.opendocument.text"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (String = "text/plain")),
        headers(("X-Content-SHA256" = String, description = "The SHA-256 recorded at upload."), ("Content-Disposition" = String, description = "An attachment, with its file name.")))))]
pub async fn download_document(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (case_id, document_id) = path.into_inner();
    let files = state.documents.clone();
    let (row, bytes) = state
        .run(move |conn| {
            if user.role == Role::StateFocalPoint {
                return member_states::download_document(
                    conn,
                    &user,
                    &case_id,
                    &document_id,
                    &files,
                    now,
                );
            }
            service::download_document(conn, &user, &case_id, &document_id, &files, now)
        })
        .await?;
    Ok(document_response(row, bytes))
}

#[derive(Serialize, utoipa::ToSchema)]
struct CasePage {
    items: Vec<CaseSummary>,
    next_cursor: Option<String>,
}

/// At most this many values of one repeatable filter.
const MAX_FILTER_VALUES: usize = 50;

/// Reads the list's query string by hand: `mission` and `status` may repeat.
fn list_request(query: &str) -> Result<ListRequest, AppError> {
    let mut request = ListRequest::default();
    let mut limit = None;
    let statuses: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.code()).collect();
    for (key, value) in query_pairs(query)? {
        match key.as_str() {
            "mission" => push_filter_value("mission", &mut request.missions, value)?,
            "status" => request
                .statuses
                .push(one_of_codes("status", &value, &statuses)?),
            "lead_officer" => request.lead_officer = Some(value),
            "jurisdiction" => request.jurisdiction = Some(value),
            "due_before" => {
                request.due_before = Some(
                    rules::parse_date(&value).map_err(|m| AppError::invalid("due_before", m))?,
                )
            }
            "stalled_days" => {
                request.stalled_days = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|days| *days <= 36_500)
                        .ok_or_else(|| {
                            AppError::invalid(
                                "stalled_days",
                                "must be a whole number of days, 0 to 36500",
                            )
                        })?,
                )
            }
            "q" => request.q = Some(search_text(value)?),
            "limit" => limit = Some(parse_limit(&value)?),
            "cursor" => request.after = Some(decode_dated_cursor(&value)?),
            other => {
                return Err(AppError::bad_request(format!(
                    "Unknown query parameter `{other}`."
                )));
            }
        }
    }
    for (field, count) in [
        ("mission", request.missions.len()),
        ("status", request.statuses.len()),
    ] {
        if count > MAX_FILTER_VALUES {
            return Err(AppError::invalid(
                field,
                format!("may be given at most {MAX_FILTER_VALUES} times"),
            ));
        }
    }
    request.limit = page_limit(limit)?;
    Ok(request)
}

/// List and filter accountability cases.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases",
    params(("mission" = Option<Vec<String>>, Query, explode, max_items = 50, description = "Mission codes; repeat for several (at most 50)."),
        ("status" = Option<Vec<String>>, Query, explode, max_items = 50, description = "Statuses; repeat for several (at most 50)."),
        ("lead_officer" = Option<String>, Query, description = "The lead officer's user id."),
        ("jurisdiction" = Option<String>, Query, description = "One jurisdiction."),
        ("due_before" = Option<chrono::NaiveDate>, Query, description = "Next action due before this day."),
        ("stalled_days" = Option<u32>, Query, maximum = 36500, description = "Open cases with no step for more than this many days."),
        ("q" = Option<String>, Query, max_length = 200, description = "Words to find (at most 200 characters)."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before.")),
    responses((status = 200, description = "Cases the reader may see, most urgent first.", body = CasePage)))]
pub async fn list(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let request = list_request(req.query_string())?;
    let limit = request.limit as usize;
    let now = state.clock.now();
    let rows = state
        .run(move |conn| service::list(conn, &user, request, now))
        .await?;
    let page = crate::services::Page::from_overfetch(rows, limit);
    let next_cursor = page
        .has_more
        .then(|| {
            page.items
                .last()
                .map(|r| encode_cursor(&format!("{}|{}", r.urgency, r.id)))
        })
        .flatten();
    Ok(HttpResponse::Ok().json(CasePage {
        items: page
            .items
            .into_iter()
            .map(|row| summary(row, now.date()))
            .collect::<Result<_, AppError>>()?,
        next_cursor,
    }))
}
