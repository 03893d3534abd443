//! `/api/v1/audit`: the audit trail, for auditors only.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Actor;
use crate::error::AppError;
use crate::services::audit::{
    self as audit_service, AuditFilter, AuditRecord, RecordCheck, TrailCheck,
};
use crate::services::cases::DocumentCheck;

use super::input::{check_query_text, page_limit};
use crate::http::cursor::{decode_cursor, encode_cursor};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The kind of record, like `incident` or `case`.
    entity_type: Option<String>,
    /// The record's id.
    entity_id: Option<String>,
    /// The acting user's id.
    actor: Option<String>,
    /// The action, like `incidents.create`.
    action: Option<String>,
    /// At or after (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// At or before (RFC 3339), not before `from`.
    to: Option<DateTime<Utc>>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditView {
    sequence: i64,
    occurred_at: DateTime<Utc>,
    actor_id: Option<String>,
    actor_username: Option<String>,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    request_id: Option<String>,
    client_addr: Option<String>,
    /// What kind of change it was, never the content: for a change to an incident, a case or
    /// an account, its `mission` and `classification`, the `fields` changed, `version_from` and
    /// `version_to`, `status_from` and `status_to`, counts, and `snapshot_sha256`, the SHA-256 of
    /// the record's new snapshot (an account's role, clearance, missions and flags are shown).
    /// For records written before content-free auditing, auditors not cleared
    /// `strictly_confidential` get `{"withheld": "details withheld: recorded before content-free
    /// auditing"}` instead, and `record_hash` reads `withheld`.
    #[schema(value_type = Object)]
    details: serde_json::Value,
    record_hash: String,
    /// False until the sealer has linked the record into the hash chain (normally within seconds).
    sealed: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
struct AuditPage {
    items: Vec<AuditView>,
    next_cursor: Option<String>,
}

fn view(record: AuditRecord, sealed: bool) -> AuditView {
    AuditView {
        sequence: record.id,
        occurred_at: record.occurred_at.and_utc(),
        actor_id: record.actor_id,
        actor_username: record.actor_username,
        action: record.action,
        entity_type: record.entity_type,
        entity_id: record.entity_id,
        request_id: record.request_id,
        client_addr: record.client_addr,
        // Written by this program as JSON; shown as text should it ever not parse.
        details: serde_json::from_str(&record.details)
            .unwrap_or(serde_json::Value::String(record.details)),
        record_hash: record.record_hash,
        sealed,
    }
}

/// List and filter the audit trail.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "Audit records, newest first.", body = AuditPage)))]
pub async fn list(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let limit = page_limit(query.limit)?;
    check_query_text("entity_type", &query.entity_type)?;
    check_query_text("entity_id", &query.entity_id)?;
    check_query_text("actor", &query.actor)?;
    check_query_text("action", &query.action)?;
    let before_id = match &query.cursor {
        Some(cursor) => Some(
            decode_cursor(cursor)?
                .parse::<i64>()
                .map_err(|_| AppError::invalid("cursor", "is not a cursor this API returned"))?,
        ),
        None => None,
    };
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(AppError::invalid("to", "must not be before `from`"));
    }
    let filter = AuditFilter {
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        actor_id: query.actor,
        action: query.action,
        from: query.from.map(|t| t.naive_utc()),
        to: query.to.map(|t| t.naive_utc()),
        before_id,
    };
    let now = state.clock.now();
    let page = state
        .run(move |conn| audit_service::page(conn, &user, filter, None, limit, now))
        .await?;
    let next_cursor = page
        .has_more
        .then(|| {
            page.items
                .last()
                .map(|(r, _)| encode_cursor(&r.id.to_string()))
        })
        .flatten();
    let items = page
        .items
        .into_iter()
        .map(|(record, sealed)| view(record, sealed))
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { items, next_cursor }))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Verification {
    /// True only when the chain and every document are whole.
    intact: bool,
    chain_intact: bool,
    records_checked: u64,
    head_hash: String,
    first_broken: Option<crate::domain::audit::BrokenRecord>,
    /// Every case document rehashed against the SHA-256 recorded at its upload.
    documents: DocumentCheck,
    /// Every stored version snapshot rehashed against its audit record, and every incident,
    /// case and account checked against the latest snapshot its audit records prove.
    records: RecordCheck,
}

/// Seal what is pending, then recompute the whole chain and rehash every document.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, description = "The chain and every stored document checked.", body = Verification)))]
pub async fn verify(state: web::Data<AppState>, user: Actor) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let files = state.documents.clone();
    let verification = state
        .run(move |conn| audit_service::verify_trail_for(conn, &user, &files, now))
        .await?;
    let intact = verification.intact();
    let TrailCheck {
        chain,
        documents,
        records,
    } = verification;
    let verification = Verification {
        intact,
        chain_intact: chain.intact,
        records_checked: chain.records_checked,
        head_hash: chain.head_hash,
        first_broken: chain.first_broken,
        documents,
        records,
    };
    Ok(HttpResponse::Ok().json(verification))
}
