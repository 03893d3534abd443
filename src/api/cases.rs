//! `/api/v1/cases`: legal officers follow each attack to justice; the mission's security
//! officers and leadership read along.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, Schema, Type};

use crate::AppState;
use crate::auth::AuthUser;
use crate::domain::case::{self as rules, CaseStatus, DocumentInput, Sentence, TransitionInput};
use crate::error::AppError;
use crate::services::cases::{self as service, CaseDetail, CreateRequest, ListRequest, Upload};
use crate::store::cases::{AccusedRow, CaseRow, DocumentRow, TransitionRow};
use crate::store::files::FileStore;
use crate::store::incidents::ListedIncident;

use super::incidents::{IncidentSummary, idempotency_key, one_of_codes};
use super::input::{
    JsonBody, decode_dated_cursor, encode_cursor, etag, expected_version, if_match, page_limit,
    parse_limit, push_filter_value, query_pairs, search_text,
};

#[derive(Serialize, utoipa::ToSchema)]
pub struct TransitionView {
    from: Option<String>,
    to: String,
    effective_on: NaiveDate,
    note: Option<String>,
    closure_reason: Option<String>,
    entered_by: String,
    entered_at: DateTime<Utc>,
}

impl From<TransitionRow> for TransitionView {
    fn from(row: TransitionRow) -> Self {
        TransitionView {
            from: row.from_status,
            to: row.to_status,
            effective_on: row.effective_on,
            note: row.note,
            closure_reason: row.closure_reason,
            entered_by: row.entered_by,
            entered_at: row.entered_at.and_utc(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AccusedView {
    id: String,
    /// Personal data: present only for users cleared `confidential` or higher on the mission.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    name_withheld: bool,
    affiliation: Option<String>,
    status: String,
    charges: Option<String>,
    verdict: String,
    sentence: Option<Sentence>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn accused_view(row: AccusedRow, personal: bool) -> AccusedView {
    let sentence = service::accused_of(&row).sentence;
    AccusedView {
        name: personal.then_some(row.name),
        name_withheld: !personal,
        id: row.id,
        affiliation: row.affiliation,
        status: row.status,
        charges: row.charges,
        verdict: row.verdict,
        sentence,
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    id: String,
    title: String,
    kind: String,
    date: Option<NaiveDate>,
    media_type: String,
    size_bytes: i64,
    sha256: String,
    file_name: String,
    uploaded_by: String,
    uploaded_at: DateTime<Utc>,
    download: String,
}

impl From<DocumentRow> for DocumentView {
    fn from(row: DocumentRow) -> Self {
        DocumentView {
            download: format!("/api/v1/cases/{}/documents/{}", row.case_id, row.id),
            id: row.id,
            title: row.title,
            kind: row.kind,
            date: row.document_date,
            media_type: row.media_type,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
            file_name: row.file_name,
            uploaded_by: row.uploaded_by,
            uploaded_at: row.uploaded_at.and_utc(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseView {
    id: String,
    reference: String,
    mission: String,
    status: String,
    /// The statuses the case may move to next.
    allowed_transitions: Vec<&'static str>,
    jurisdiction: String,
    authority: Option<String>,
    lead_officer: String,
    lead_officer_username: Option<String>,
    next_action: Option<String>,
    next_action_due: Option<NaiveDate>,
    overdue: bool,
    notes: Option<String>,
    closure_reason: Option<String>,
    opened_on: NaiveDate,
    last_moved_on: NaiveDate,
    /// Days since the last step of the timeline, for open cases.
    days_idle: Option<i64>,
    incidents: Vec<IncidentSummary>,
    /// Linked incidents classified above the reader's clearance, not shown.
    withheld_incidents: usize,
    timeline: Vec<TransitionView>,
    accused: Vec<AccusedView>,
    documents: Vec<DocumentView>,
    version: i64,
    created_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The derived facts of a case on `today`: its status, whether its next action is overdue,
/// and how long it has been idle.
fn urgency_facts(row: &CaseRow, today: NaiveDate) -> (CaseStatus, bool, Option<i64>) {
    let status = CaseStatus::from_code(&row.status).unwrap_or(CaseStatus::Opened);
    let open = status.is_open();
    let overdue = open && row.next_action_due.is_some_and(|due| due < today);
    let days_idle = open.then(|| (today - row.last_moved_on).num_days());
    (status, overdue, days_idle)
}

fn view(detail: CaseDetail, now: NaiveDateTime) -> CaseView {
    let CaseDetail {
        row,
        lead_officer_username,
        incidents,
        withheld_incidents,
        timeline,
        accused,
        documents,
        personal,
    } = detail;
    let (status, overdue, days_idle) = urgency_facts(&row, now.date());
    CaseView {
        allowed_transitions: rules::allowed_moves(status)
            .into_iter()
            .map(CaseStatus::code)
            .collect(),
        overdue,
        days_idle,
        lead_officer_username,
        incidents: incidents
            .into_iter()
            .map(|row| IncidentSummary::from(ListedIncident::from(row)))
            .collect(),
        withheld_incidents,
        timeline: timeline.into_iter().map(TransitionView::from).collect(),
        accused: accused
            .into_iter()
            .map(|a| accused_view(a, personal))
            .collect(),
        documents: documents.into_iter().map(DocumentView::from).collect(),
        id: row.id,
        reference: row.reference,
        mission: row.mission_code,
        status: row.status,
        jurisdiction: row.jurisdiction,
        authority: row.authority,
        lead_officer: row.lead_officer,
        next_action: row.next_action,
        next_action_due: row.next_action_due,
        notes: row.notes,
        closure_reason: row.closure_reason,
        opened_on: row.opened_on,
        last_moved_on: row.last_moved_on,
        version: row.version,
        created_by: row.created_by,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    }
}

fn respond(status: StatusCode, detail: CaseDetail, now: NaiveDateTime) -> HttpResponse {
    let view = view(detail, now);
    HttpResponse::build(status)
        .insert_header(etag(view.version))
        .json(view)
}

/// Open a case on one or more incidents.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases",
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 200, pattern = "^[!-~]+$", description = "1 to 200 visible ASCII characters. The same key with the same body answers the first result again (`Idempotent-Replayed: true`); with another body, 422.")),
    request_body = CaseCreate,
    responses((status = 201, description = "Opened.", body = CaseView, headers(("ETag" = String, description = "The version, for `If-Match`."), ("Location" = String, description = "Where the new record is read."), ("Idempotent-Replayed" = String, description = "`true` when this answers again a request already made with the same `Idempotency-Key`."))),
        (status = 409, description = "Another request with the same idempotency key is being answered just now; retry.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let key = idempotency_key(&req);
    let created = state
        .run(move |conn| {
            service::check_may_create(conn, &user, now)?;
            let body: Map<String, Value> = body.parse()?;
            // Keys are shared with incidents: the kind is part of the hash, so one key cannot
            // answer for both.
            let canonical = format!("case\n{}", Value::Object(body.clone()));
            let hash = hex::encode(Sha256::digest(canonical));
            let idempotency = key?.map(|key| (key, hash));
            service::create(conn, &user, CreateRequest { body, idempotency }, now)
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
    responses((status = 200, description = "The case with its timeline, accused and documents.", body = CaseView, headers(("ETag" = String, description = "The version, for `If-Match`.")))))]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let detail = state
        .run(move |conn| service::get(conn, &user, &id, now))
        .await?;
    Ok(respond(StatusCode::OK, detail, now))
}

/// Takes the `version` field out of a patch body.
fn take_version(patch: &mut Map<String, Value>) -> Result<Option<i64>, AppError> {
    match patch.remove("version") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(_) => Err(AppError::invalid("version", "must be a whole number")),
    }
}

/// Change a case's descriptive fields.
#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID)."), super::input::VersionHeader),
    request_body = CasePatch,
    responses((status = 200, description = "Changed.", body = CaseView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 409, description = "The version is not the stored one.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
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
            let version = expected_version(if_match, take_version(&mut patch)?)?;
            service::update(conn, &user, &id, patch, version, now)
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
    user: AuthUser,
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
    user: AuthUser,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (row, personal) = state
        .run(move |conn| {
            service::check_may_change(conn, &user, &id, "cases.accused.add", now)?;
            let body: Map<String, Value> = body.parse()?;
            service::add_accused(conn, &user, &id, body, now)
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
    user: AuthUser,
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
            let version = expected_version(if_match, take_version(&mut patch)?)?;
            service::update_accused(conn, &user, &case_id, &accused_id, patch, version, now)
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

/// The parts of an upload form other than the file are short texts.
const MAX_TEXT_PART: usize = 4096;
/// The form has four parts; a few more are tolerated before the upload is refused.
const MAX_PARTS: usize = 8;

/// Reads the upload form: the `file` part up to `max_bytes` (413 beyond), and the short
/// `title`, `kind` and `date` parts. Anything else is refused, naming the part.
pub async fn read_upload(
    mut form: Multipart,
    max_bytes: usize,
    limit_mib: u32,
    csrf: Option<&mut String>,
) -> Result<(DocumentInput, Upload), AppError> {
    let mut csrf = csrf;
    let mut input = DocumentInput::default();
    let mut upload: Option<Upload> = None;
    let unreadable = || AppError::bad_request("The multipart body could not be read.");
    let mut parts = 0;
    while let Some(part) = form.next().await {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(AppError::bad_request(format!(
                "The upload form has more than {MAX_PARTS} parts."
            )));
        }
        let mut part = part.map_err(|_| unreadable())?;
        let name = part.name().unwrap_or("").to_string();
        let is_file = name == "file";
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let limit = if is_file { max_bytes } else { MAX_TEXT_PART };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| unreadable())?;
            if bytes.len() + chunk.len() > limit {
                return Err(if is_file {
                    AppError::FileTooLarge { limit_mib }
                } else {
                    AppError::invalid(name, format!("must be at most {MAX_TEXT_PART} bytes"))
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || {
            String::from_utf8(bytes.clone())
                .ok()
                .filter(|t| !t.contains('\0'))
                .ok_or_else(|| AppError::invalid(name.as_str(), "must be UTF-8 text"))
        };
        match name.as_str() {
            "file" if upload.is_some() => {
                return Err(AppError::invalid("file", "send one file per upload"));
            }
            "file" => upload = Some(Upload { bytes, file_name }),
            "title" => input.title = Some(text()?),
            "kind" => input.kind = Some(text()?),
            "date" => input.date = Some(text()?),
            // The pages' form carries its CSRF token as a part of its own.
            "csrf" if csrf.is_some() => {
                if let Some(token) = csrf.as_deref_mut() {
                    *token = text()?;
                }
            }
            _ => {
                return Err(AppError::invalid(
                    name.as_str(),
                    "is not a part of the upload form (file, title, kind, date)",
                ));
            }
        }
    }
    match upload {
        Some(upload) if !upload.bytes.is_empty() => Ok((input, upload)),
        Some(_) => Err(AppError::invalid("file", "is empty")),
        None => Err(AppError::invalid("file", "is required")),
    }
}

pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Upload a document to a case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/documents", tag = "cases",
    params(("id" = String, Path, description = "The case's id (a UUID).")),
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    responses((status = 201, description = "Stored, with its SHA-256.", body = DocumentView, headers(("Location" = String, description = "Where the new record is read.")))))]
pub async fn add_document(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let id = id.into_inner();
    let max_bytes = state.settings.document_max_bytes();
    let limit_mib = state.settings.document_max_mib;
    // Who may not add documents hears so before a byte of the body is read.
    let (checker, checked_id) = (user.clone(), id.clone());
    state
        .run(move |conn| {
            service::check_may_change(conn, &checker, &checked_id, "cases.documents.add", now)
        })
        .await?;
    if !is_multipart(&req) {
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
    let (input, upload) = read_upload(form, max_bytes, limit_mib, None).await?;
    let files = FileStore::new(&state.settings.document_folder);
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
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (case_id, document_id) = path.into_inner();
    let files = FileStore::new(&state.settings.document_folder);
    let (row, bytes) = state
        .run(move |conn| {
            service::download_document(conn, &user, &case_id, &document_id, &files, now)
        })
        .await?;
    Ok(document_response(row, bytes))
}

/// A stored document as a download, never shown in place.
pub fn document_response(row: DocumentRow, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, row.media_type.as_str()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", row.file_name),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Content-SHA256", row.sha256.as_str()))
        .body(bytes)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseSummary {
    id: String,
    reference: String,
    mission: String,
    status: String,
    jurisdiction: String,
    authority: Option<String>,
    lead_officer: String,
    next_action: Option<String>,
    next_action_due: Option<NaiveDate>,
    overdue: bool,
    opened_on: NaiveDate,
    last_moved_on: NaiveDate,
    days_idle: Option<i64>,
    version: i64,
}

fn summary(row: CaseRow, today: NaiveDate) -> CaseSummary {
    let (_, overdue, days_idle) = urgency_facts(&row, today);
    CaseSummary {
        overdue,
        days_idle,
        id: row.id,
        reference: row.reference,
        mission: row.mission_code,
        status: row.status,
        jurisdiction: row.jurisdiction,
        authority: row.authority,
        lead_officer: row.lead_officer,
        next_action: row.next_action,
        next_action_due: row.next_action_due,
        opened_on: row.opened_on,
        last_moved_on: row.last_moved_on,
        version: row.version,
    }
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
    user: AuthUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let request = list_request(req.query_string())?;
    let limit = request.limit as usize;
    let now = state.clock.now();
    let rows = state
        .run(move |conn| service::list(conn, &user, request, now))
        .await?;
    let page = crate::store::Page::from_overfetch(rows, limit);
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
            .collect(),
        next_cursor,
    }))
}
