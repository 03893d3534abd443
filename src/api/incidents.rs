//! `/api/v1/incidents`: security officers record attacks; others read what they are cleared for.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Schema, Type};

use crate::AppState;
use crate::auth::Actor;
use crate::db::DbConnection;
use crate::domain::access::{Clearance, Role};
use crate::domain::incident::{self as rules, Status};
use crate::error::{AppError, AppResult};
use crate::services::incidents::{self as service, CreateRequest, Incident, ListRequest};
use crate::services::member_states;

use super::incident_views::{IncidentSummary, IncidentView, VersionView, respond};
use super::input::{
    JsonBody, expected_version, if_match, page_limit, parse_limit, push_filter_value, query_pairs,
    search_text, take_field, typed_fields,
};
use crate::http::cursor::{decode_cursor, encode_cursor};

/// `Idempotency-Key`: any visible ASCII, 1 to 200 characters.
pub(super) fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if (1..=200).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_string()))
        }
        _ => Err(AppError::invalid(
            "Idempotency-Key",
            "must be 1 to 200 visible ASCII characters",
        )),
    }
}

/// Record an incident (a draft).
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents",
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 200, pattern = "^[!-~]+$", description = "1 to 200 visible ASCII characters. The same key with the same body answers the first result again (`Idempotent-Replayed: true`); with another body, 422.")),
    request_body = IncidentCreate,
    responses((status = 201, description = "Recorded: a draft, or submitted when the body asked.", body = IncidentView, headers(("ETag" = String, description = "The version, for `If-Match`."), ("Location" = String, description = "Where the new record is read."), ("Idempotent-Replayed" = String, description = "`true` when this answers again a request already made with the same `Idempotency-Key`."))),
        (status = 409, description = "Another request with the same idempotency key is being answered just now; retry.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let key = idempotency_key(&req);
    let answer_user = user.clone();
    let missions = Arc::clone(&state.recent_missions);
    let created = state
        .run(move |conn| {
            service::check_may_create(conn, &user, now)?;
            let mut body: Map<String, Value> = body.parse()?;
            let idempotency = key?.map(|key| crate::http::idempotency::of_incident(key, &body));
            let submit = take_field(&mut body, "submit", "must be true or false")?;
            let request = CreateRequest {
                input: typed_fields(body)?,
                submit: submit.unwrap_or(false),
                idempotency,
            };
            service::create(conn, &missions, &user, request, now)
        })
        .await?;
    let location = format!("/api/v1/incidents/{}", created.incident.row.id);
    let mut response = respond(StatusCode::CREATED, created.incident, &answer_user);
    if let Ok(value) = location.parse() {
        response
            .headers_mut()
            .insert(actix_web::http::header::LOCATION, value);
    }
    if created.replayed
        && let Ok(value) = "true".parse()
    {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("idempotent-replayed"),
            value,
        );
    }
    Ok(response)
}

/// The body of `POST /api/v1/incidents`: an incident, and whether to submit it at once.
pub struct IncidentCreate;

impl utoipa::PartialSchema for IncidentCreate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use super::openapi::{extended, optional_field};
        extended::<rules::IncidentInput>(
            "An incident as a security officer records it; with `submit: true` it is submitted \
             for verification at once instead of kept as a draft.",
            &[(
                "submit",
                optional_field(Type::Boolean, None, "Submit at once (default false)."),
            )],
        )
    }
}

impl utoipa::ToSchema for IncidentCreate {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <rules::IncidentInput as utoipa::ToSchema>::schemas(schemas);
    }
}

/// The body of `PATCH /api/v1/incidents/{id}`: any fields of an incident, the `version` the
/// change is based on, and for a verified incident the `reason` of the amendment. It is read
/// as a map, so that a field left out stays as stored.
pub struct IncidentPatch;

impl utoipa::PartialSchema for IncidentPatch {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use super::openapi::{optional_field, patch_of, version_field};
        patch_of::<rules::IncidentInput>(
            "Any fields of an incident (those left out stay as stored), with the version the \
             change is based on; amending a verified incident needs its `reason`.",
            &[
                ("version", version_field()),
                (
                    "reason",
                    optional_field(
                        Type::String,
                        None,
                        "Why a verified incident is amended (required then).",
                    ),
                ),
            ],
        )
    }
}

impl utoipa::ToSchema for IncidentPatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <rules::IncidentInput as utoipa::ToSchema>::schemas(schemas);
    }
}

/// The service's work on one incident, answered with the incident as the user may see it.
type OnIncident = fn(&mut DbConnection, &Actor, &str, NaiveDateTime) -> AppResult<Incident>;

async fn on_incident(
    state: web::Data<AppState>,
    user: Actor,
    id: String,
    work: OnIncident,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let actor = user.clone();
    let incident = state.run(move |conn| work(conn, &actor, &id, now)).await?;
    Ok(respond(StatusCode::OK, incident, &user))
}

/// Read an incident.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "The record's id (a UUID).")),
    responses((status = 200, description = "The incident as the reader may see it: a State's focal point gets the State view (no `ETag`).", body = super::state::IncidentAnswer, headers(("ETag" = String, description = "The version, for `If-Match`.")))))]
pub async fn get(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if user.role == Role::StateFocalPoint {
        let now = state.clock.now();
        let view = state
            .run(move |conn| member_states::incident(conn, &user, &id, now))
            .await?;
        return Ok(HttpResponse::Ok().json(view));
    }
    let (reader, id) = (user.clone(), id.into_inner());
    let asked = id.clone();
    let found = state
        .run_quick_read(move |conn| service::get_if_visible(conn, &reader, &asked))
        .await?;
    match found {
        Some(incident) => Ok(respond(StatusCode::OK, incident, &user)),
        // The refusal or the 404, recorded.
        None => on_incident(state, user, id, service::get).await,
    }
}

/// Change an incident; amending a verified one needs a reason.
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "The record's id (a UUID)."), super::input::VersionHeader),
    request_body = IncidentPatch,
    responses((status = 200, description = "Changed (a verified incident: amended, with its reason).", body = IncidentView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 409, description = "The version is not the stored one, or the status allows no change.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let if_match = if_match(&req);
    let writer = user.clone();
    let missions = Arc::clone(&state.recent_missions);
    let incident = state
        .run(move |conn| {
            // Someone who may not see or change the incident hears 404 or 403 first.
            service::check_may_change(conn, &writer, &id, "incidents.update", now)?;
            let mut patch: Map<String, Value> = body.parse()?;
            let version = take_field(&mut patch, "version", "must be a whole number")?;
            let reason = take_field(&mut patch, "reason", "must be text")?;
            let version = expected_version(if_match, version)?;
            let changes = typed_fields(patch)?;
            service::update(conn, &missions, &writer, &id, changes, version, reason, now)
        })
        .await?;
    Ok(respond(StatusCode::OK, incident, &user))
}

/// Submit a draft for verification.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/submit", tag = "incidents",
    params(("id" = String, Path, description = "The record's id (a UUID).")),
    responses((status = 200, description = "Submitted for verification.", body = IncidentView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 409, description = "The incident's status does not allow it.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn submit(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    on_incident(state, user, id.into_inner(), service::submit).await
}

/// The body of `POST /api/v1/incidents/{id}/verify`: the version verified, unless it comes
/// as `If-Match`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationRequest {
    /// The version read, which is the one verified (or `If-Match`).
    version: Option<i64>,
}

/// Verify the version read of a submitted incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/verify", tag = "incidents",
    params(("id" = String, Path, description = "The record's id (a UUID)."), super::input::VersionHeader),
    request_body(content = Option<VerificationRequest>, description = "The version read, unless sent as `If-Match`."),
    responses((status = 200, description = "Verified, by a security officer of the mission who wrote none of its content since it was last verified.", body = IncidentView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 403, description = "Not a security officer of the mission, or one who wrote part of the content since the last verification (the two-person rule).", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The version is not the stored one, or the incident's status does not allow it.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn verify(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let if_match = if_match(&req);
    let (writer, id) = (user.clone(), id.into_inner());
    let incident = state
        .run(move |conn| {
            service::check_may_change(conn, &writer, &id, "incidents.verify", now)?;
            let sent = if body.is_empty() {
                None
            } else {
                body.parse::<Option<VerificationRequest>>()?
                    .and_then(|sent| sent.version)
            };
            let version = expected_version(if_match, sent)?;
            service::verify(conn, &writer, &id, version, now)
        })
        .await?;
    Ok(respond(StatusCode::OK, incident, &user))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    reason: Option<String>,
}

/// Withdraw an incident, with a reason.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/withdraw", tag = "incidents",
    params(("id" = String, Path, description = "The record's id (a UUID).")),
    request_body = Withdrawal,
    responses((status = 200, description = "Withdrawn, with its reason.", body = IncidentView, headers(("ETag" = String, description = "The version, for `If-Match`."))),
        (status = 409, description = "The incident's status does not allow it.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let writer = user.clone();
    let incident = state
        .run(move |conn| {
            service::check_may_change(conn, &writer, &id, "incidents.withdraw", now)?;
            let body: Withdrawal = body.parse()?;
            service::withdraw(conn, &writer, &id, body.reason, now)
        })
        .await?;
    Ok(respond(StatusCode::OK, incident, &user))
}

#[derive(Serialize, utoipa::ToSchema)]
struct History {
    items: Vec<VersionView>,
}

/// Every version of an incident.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/history", tag = "incidents",
    params(("id" = String, Path, description = "The record's id (a UUID).")),
    responses((status = 200, description = "Every version, oldest first.", body = History)))]
pub async fn history(
    state: web::Data<AppState>,
    user: Actor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let versions = state
        .run(move |conn| service::history(conn, &user, &id, now))
        .await?;
    Ok(HttpResponse::Ok().json(History {
        items: versions.into_iter().map(VersionView::from).collect(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
struct IncidentPage {
    items: Vec<IncidentSummary>,
    next_cursor: Option<String>,
}

pub(super) fn one_of_codes(field: &str, value: &str, allowed: &[&str]) -> Result<String, AppError> {
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(AppError::invalid(
            field,
            format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

pub(super) fn parse_time(field: &str, value: &str) -> Result<chrono::NaiveDateTime, AppError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.naive_utc())
        .map_err(|_| AppError::invalid(field, "must be an RFC 3339 date-time"))
}

/// Reads the list's query string by hand: `mission` may repeat, which the usual form decoder
/// does not allow.
pub(super) fn list_request(query: &str) -> Result<ListRequest, AppError> {
    let mut request = ListRequest::default();
    let mut limit = None;
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.code()).collect();
    let classifications: Vec<&str> = Clearance::ALL.iter().map(|c| c.code()).collect();
    for (key, value) in query_pairs(query)? {
        match key.as_str() {
            "mission" => push_filter_value("mission", &mut request.missions, value)?,
            "status" => request.status = Some(one_of_codes("status", &value, &statuses)?),
            "attack_type" => {
                request.attack_type =
                    Some(one_of_codes("attack_type", &value, rules::ATTACK_TYPES)?)
            }
            "classification" => {
                request.classification =
                    Some(one_of_codes("classification", &value, &classifications)?)
            }
            "from" => request.from = Some(parse_time("from", &value)?),
            "to" => request.to = Some(parse_time("to", &value)?),
            "fatal" => {
                request.fatal = Some(match value.as_ref() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(AppError::invalid("fatal", "must be true or false")),
                })
            }
            "awaiting_my_verification" => {
                request.awaiting_my_verification = match value.as_ref() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(AppError::invalid(
                            "awaiting_my_verification",
                            "must be true or false",
                        ));
                    }
                }
            }
            "q" => request.q = Some(search_text(value)?),
            "limit" => limit = Some(parse_limit(&value)?),
            "cursor" => {
                let key = decode_cursor(&value)?;
                let (time, id) = key.split_once('|').ok_or_else(|| {
                    AppError::invalid("cursor", "is not a cursor this API returned")
                })?;
                let time = parse_time("cursor", time)?;
                request.after = Some((time, id.to_string()));
            }
            other => {
                return Err(AppError::bad_request(format!(
                    "Unknown query parameter `{other}`."
                )));
            }
        }
    }
    if let (Some(from), Some(to)) = (request.from, request.to)
        && from > to
    {
        return Err(AppError::invalid("to", "must not be before `from`"));
    }
    request.limit = page_limit(limit)?;
    Ok(request)
}

/// The filters of the incident list and export, which `list_request` reads by hand (`mission`
/// may repeat): described here for the published contract.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct IncidentFilters {
    /// Mission codes; repeat for several (at most 50).
    #[param(explode, max_items = 50)]
    mission: Option<Vec<String>>,
    /// One status.
    status: Option<String>,
    /// One attack type.
    attack_type: Option<String>,
    /// One classification.
    classification: Option<String>,
    /// Only incidents with (true) or without (false) deaths.
    fatal: Option<bool>,
    /// Only the submitted incidents the signed-in security officer may verify: of their
    /// missions, with none of their content written by them since the last verification.
    awaiting_my_verification: Option<bool>,
    /// Occurred at or after (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Occurred at or before (RFC 3339), not before `from`.
    to: Option<DateTime<Utc>>,
    /// Words to find in the summary, narrative or place (at most 200 characters).
    #[param(max_length = 200)]
    q: Option<String>,
}

/// List and filter incidents.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents",
    params(IncidentFilters,
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before.")),
    responses((status = 200, description = "Incidents the reader may see, latest first.", body = IncidentPage)))]
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
                .map(|r| encode_cursor(&format!("{}|{}", rules::format_time(r.occurred_at), r.id)))
        })
        .flatten();
    Ok(HttpResponse::Ok().json(IncidentPage {
        items: page.items.into_iter().map(IncidentSummary::from).collect(),
        next_cursor,
    }))
}
