//! `/api/v1/me/calendar` (make or revoke one's private feed) and `/api/v1/calendar/{secret}`
//! (the feed itself, read by calendar clients without signing in).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::AppState;
use crate::auth::session::SignedIn;
use crate::domain::calendar::entity_tag;
use crate::error::AppError;
use crate::services::calendar as service;

#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedUrl {
    /// The private address of the feed: whoever has it reads the next actions it lists.
    url: String,
}

/// Make a private calendar feed of one's next actions; any earlier one is revoked. (An account
/// that must still change its password or enrol a second factor gets a feed that answers 404
/// until it has.)
#[utoipa::path(post, path = "/api/v1/me/calendar", tag = "auth",
    responses((status = 201, description = "The feed's address, shown this once.", body = FeedUrl),
        (status = 503, description = "The server has no `public_url` setting.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let configured = state.settings.public_url.clone();
    let url = state
        .run(move |conn| service::create_feed(conn, &user, &configured, now))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(FeedUrl { url }))
}

/// Revoke one's calendar feed: its address answers 404 from now on.
#[utoipa::path(delete, path = "/api/v1/me/calendar", tag = "auth",
    responses((status = 204, description = "Revoked (or there was none).")))]
pub async fn revoke(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    state
        .run(move |conn| service::revoke_feed(conn, &user, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A user's calendar feed (RFC 5545): one all-day event per open case with a due next action.
#[utoipa::path(get, path = "/api/v1/calendar/{secret}", tag = "auth", security(()),
    params(("secret" = String, Path, description = "The secret of the feed's address.")),
    responses((status = 200, description = "The feed.", content_type = "text/calendar", body = String,
            headers(("ETag" = String, description = "Changes only when a case in it changes."))),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`."),
        (status = 404, description = "No such feed: revoked, replaced, or its account disabled.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The server has no `public_url` setting.", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn feed(
    state: web::Data<AppState>,
    req: HttpRequest,
    secret: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let configured = state.settings.public_url.clone();
    let text = state
        .run(move |conn| service::feed_of(conn, &secret, &configured, now))
        .await?;
    let tag = entity_tag(&text);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| sent.split(',').any(|t| t.trim() == tag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response
        .content_type("text/calendar; charset=utf-8")
        .body(text))
}
