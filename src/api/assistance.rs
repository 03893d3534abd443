//! `/api/v1/assistance`: the support the UN gave host States, recorded by the legal officers and
//! leadership of the mission, read by its staff and by the focal points of the State assisted.

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::{RefOr, Schema};

use crate::AppState;
use crate::auth::Actor;
use crate::domain::assistance::{ASSISTANCE_TYPES, AssistanceChanges, AssistanceInput};
use crate::domain::case::parse_date;
use crate::error::AppError;
use crate::http::cursor::{decode_dated_cursor, encode_cursor};
use crate::services::assistance::{self as service, ListRequest, Shown, Version};

use super::incidents::idempotency_key;
use super::input::{
    JsonBody, check_query_text, etag, expected_version, if_match, page_limit, take_field,
    typed_fields,
};

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssistanceView {
    id: String,
    /// `training`, `investigative_support`, `forensic_support`, `deployed_investigators`,
    /// `legal_aid`, `detention_support`, `equipment` or `other`.
    #[serde(rename = "type")]
    assistance_type: String,
    /// The host State assisted (ISO3).
    state: String,
    mission: String,
    from: NaiveDate,
    /// Absent while it goes on.
    to: Option<NaiveDate>,
    provider: String,
    description: Option<String>,
    /// The cases it served that the reader may see.
    case_ids: Vec<String>,
    /// How many other cases it served, which the reader may not see.
    other_cases: usize,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn view(shown: Shown) -> AssistanceView {
    let Shown {
        row,
        case_ids,
        other_cases,
    } = shown;
    AssistanceView {
        id: row.id,
        assistance_type: row.assistance_type,
        state: row.state,
        mission: row.mission_code,
        from: row.from_on,
        to: row.to_on,
        provider: row.provider,
        description: row.description,
        case_ids,
        other_cases,
        version: row.version,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    }
}

fn respond(mut response: actix_web::HttpResponseBuilder, shown: Shown) -> HttpResponse {
    let version = shown.row.version;
    response.insert_header(etag(version)).json(view(shown))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssistanceQuery {
    mission: Option<String>,
    /// The State assisted (ISO3); a focal point reads its own State's only.
    state: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    assistance_type: Option<String>,
    /// Running on or after this day (YYYY-MM-DD).
    from: Option<String>,
    /// Started on or before this day (YYYY-MM-DD).
    to: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct AssistancePage {
    items: Vec<AssistanceView>,
    next_cursor: Option<String>,
}

fn query_day(field: &str, value: &Option<String>) -> Result<Option<NaiveDate>, AppError> {
    value
        .as_deref()
        .map(|text| parse_date(text).map_err(|message| AppError::invalid(field, message)))
        .transpose()
}

/// List the assistance the reader may see, latest start first.
#[utoipa::path(get, path = "/api/v1/assistance", tag = "assistance",
    params(AssistanceQuery),
    responses((status = 200, description = "Records of assistance: a mission's staff read their missions'; a focal point its State's.", body = AssistancePage)))]
pub async fn list(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<AssistanceQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    check_query_text("mission", &query.mission)?;
    check_query_text("state", &query.state)?;
    if let Some(kind) = &query.assistance_type
        && !ASSISTANCE_TYPES.contains(&kind.as_str())
    {
        return Err(AppError::invalid(
            "type",
            crate::domain::access::one_of(ASSISTANCE_TYPES.iter().copied()),
        ));
    }
    let (from, to) = (query_day("from", &query.from)?, query_day("to", &query.to)?);
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(AppError::invalid("to", "must not be before `from`"));
    }
    let request = ListRequest {
        mission: query.mission,
        state: query.state,
        assistance_type: query.assistance_type,
        from,
        to,
        after: query
            .cursor
            .as_deref()
            .map(decode_dated_cursor)
            .transpose()?,
        limit: page_limit(query.limit)?,
    };
    let now = state.clock.now();
    let page = state
        .run(move |conn| service::list(conn, &user, request, now))
        .await?;
    let next_cursor = page
        .has_more
        .then(|| page.items.last())
        .flatten()
        .map(|last| encode_cursor(&format!("{}|{}", last.row.from_on, last.row.id)));
    Ok(HttpResponse::Ok().json(AssistancePage {
        items: page.items.into_iter().map(view).collect(),
        next_cursor,
    }))
}

/// Record assistance given to a host State (legal officers and leadership of the mission).
#[utoipa::path(post, path = "/api/v1/assistance", tag = "assistance",
    request_body = AssistanceInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key and body answers the first record.")),
    responses((status = 201, description = "Recorded.", body = AssistanceView, headers(("Location" = String, description = "The record."), ("ETag" = String, description = "The version, for `If-Match`.")))))]
pub async fn create(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let key = idempotency_key(&req);
    let (shown, replayed) = state
        .run(move |conn| {
            service::check_may_create(conn, &user, now)?;
            let input: AssistanceInput = body.parse()?;
            let key = key?.map(|key| crate::http::idempotency::of_assistance(key, &input));
            service::create(conn, &user, input, key, now)
        })
        .await?;
    let location = format!("/api/v1/assistance/{}", shown.row.id);
    let mut response = respond(HttpResponse::Created(), shown);
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

/// Read a record of assistance.
#[utoipa::path(get, path = "/api/v1/assistance/{id}", tag = "assistance",
    params(("id" = String, Path, description = "The record's id (a UUID).")),
    responses((status = 200, description = "The record.", body = AssistanceView, headers(("ETag" = String, description = "The version, for `If-Match`.")))))]
pub async fn get(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let shown = state
        .run(move |conn| service::get(conn, &user, &id, now))
        .await?;
    Ok(respond(HttpResponse::Ok(), shown))
}

/// The body of a correction: any fields of the record, with the version read.
pub struct AssistancePatch;

impl utoipa::PartialSchema for AssistancePatch {
    fn schema() -> RefOr<Schema> {
        super::openapi::patch_of::<AssistanceInput>(
            "Any fields of the record but its mission (those left out stay as stored; `null` \
             clears `to` and `description`), with the version the change is based on.",
            &[("version", super::openapi::version_field())],
        )
    }
}

impl utoipa::ToSchema for AssistancePatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <AssistanceInput as utoipa::ToSchema>::schemas(schemas);
    }
}

/// Correct a record of assistance at the version read; its mission stays.
#[utoipa::path(patch, path = "/api/v1/assistance/{id}", tag = "assistance",
    params(("id" = String, Path, description = "The record's id (a UUID)."), super::input::VersionHeader),
    request_body = AssistancePatch,
    responses((status = 200, description = "Corrected.", body = AssistanceView),
        (status = 409, description = "The record changed since it was read.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let header_version = if_match(&req);
    let shown = state
        .run(move |conn| {
            // Who may not change it hears so before its body is read.
            service::check_may_change(conn, &user, &id, now)?;
            let mut patch: Map<String, Value> = body.parse()?;
            let version = expected_version(
                header_version,
                take_field(&mut patch, "version", "must be a whole number")?,
            )?;
            let changes: AssistanceChanges = typed_fields(patch)?;
            service::update(conn, &user, &id, changes, version, now)
        })
        .await?;
    Ok(respond(HttpResponse::Ok(), shown))
}

#[derive(Serialize, utoipa::ToSchema)]
struct AssistanceVersion {
    version: i64,
    /// `create` or `update`.
    action: String,
    changed_at: DateTime<Utc>,
    changed_by: Option<String>,
    /// The fields this version changed.
    fields: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct AssistanceHistory {
    items: Vec<AssistanceVersion>,
}

/// A record's versions: who changed what, and when.
#[utoipa::path(get, path = "/api/v1/assistance/{id}/history", tag = "assistance",
    params(("id" = String, Path, description = "The record's id (a UUID).")),
    responses((status = 200, description = "Its versions, oldest first.", body = AssistanceHistory)))]
pub async fn history(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let versions = state
        .run(move |conn| service::history(conn, &user, &id, now))
        .await?;
    let items = versions
        .into_iter()
        .map(|v: Version| AssistanceVersion {
            version: v.version,
            action: v.action,
            changed_at: v.changed_at.and_utc(),
            changed_by: v.changed_by,
            fields: v.fields,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AssistanceHistory { items }))
}
