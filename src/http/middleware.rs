//! What every request passes through, API and pages alike: refusals made before any handler
//! runs, the request's log span and id, the security headers and the write throttle.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use crate::error::AppError;

/// A path holding an encoded NUL names nothing that exists (and PostgreSQL would refuse to
/// look it up): 404 before any handler runs. A query string past its limit: 414.
pub async fn refuse_nul_in_path(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if req.path().to_ascii_lowercase().contains("%00") {
        let response = actix_web::ResponseError::error_response(&AppError::NotFound);
        return Ok(req.into_response(response));
    }
    // No filter needs more: a longer query is refused before it is read.
    if req.query_string().len() > crate::api::input::MAX_QUERY_BYTES {
        let response = actix_web::ResponseError::error_response(&AppError::QueryTooLong);
        return Ok(req.into_response(response));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The metrics address serves `/metrics` alone: anything else asked there does not exist.
pub async fn metrics_address_serves_metrics_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let metrics_addr = req
        .app_data::<web::Data<crate::AppState>>()
        .and_then(|state| state.metrics_addr);
    if metrics_addr == Some(req.app_config().local_addr()) && req.path() != "/metrics" {
        let response = actix_web::ResponseError::error_response(&AppError::NotFound);
        return Ok(req.into_response(response));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The span a request's logs are written in, tracing-actix-web's own, skipped when the log
/// filter keeps nothing at `info` anywhere (`warn`, say): building it asks the router again and
/// formats a dozen fields, a few percent of a read by id, for a span no one would see.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        if !tracing::level_enabled!(tracing::Level::INFO) {
            return Span::none();
        }
        // A calendar feed's address is its secret: the span names the route, never the path.
        if request
            .path()
            .starts_with(crate::domain::calendar::FEED_PATH)
        {
            let id = request
                .extensions()
                .get::<RequestId>()
                .map(|id| id.to_string());
            return tracing::info_span!(
                "HTTP request",
                http.method = %request.method(),
                http.route = %"/api/v1/calendar/{secret}",
                http.target = %"/api/v1/calendar/{secret}",
                http.status_code = tracing::field::Empty,
                otel.status_code = tracing::field::Empty,
                request_id = %id.unwrap_or_default(),
                exception.message = tracing::field::Empty,
                exception.details = tracing::field::Empty,
            );
        }
        DefaultRootSpanBuilder::on_request_start(request)
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Puts the request id that the logs carry on every response, so a user can quote it.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut response = next.call(req).await?;
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id);
    }
    Ok(response)
}

/// Headers every answer carries, whatever produced it: no sniffing, no referrer, never in a
/// frame, nothing cached of an answer to a signed-in request, and HSTS over TLS. The pages set
/// a stricter `Content-Security-Policy` of their own, which is kept.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let over_tls = req.connection_info().scheme() == "https";
    let signed_in = req.headers().contains_key(header::AUTHORIZATION)
        || req.cookie(crate::web::SESSION_COOKIE).is_some();
    let mut response = next.call(req).await?;
    // A sign-in's answer carries the new token: as private as what it opens.
    let hands_out_a_session = response.headers().contains_key(header::SET_COOKIE)
        || response.request().path() == "/api/v1/auth/login";
    let headers = response.headers_mut();
    let mut set_default = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set_default(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(header::REFERRER_POLICY, "no-referrer");
    set_default(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    );
    set_default(header::X_FRAME_OPTIONS, "DENY");
    if signed_in || hands_out_a_session {
        set_default(header::CACHE_CONTROL, "no-store");
    }
    if over_tls {
        set_default(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    Ok(response)
}

/// Writes (anything but GET, HEAD and OPTIONS) with a session, counted per session token:
/// past the limit, 429 with `Retry-After` before any handler runs.
pub async fn throttle_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::http::Method;
    let reads = [Method::GET, Method::HEAD, Method::OPTIONS];
    if !reads.contains(req.method()) {
        let token = crate::auth::session::bearer_token(req.request()).or_else(|| {
            req.cookie(crate::web::SESSION_COOKIE)
                .map(|c| c.value().to_string())
        });
        let state = req.app_data::<web::Data<crate::AppState>>().cloned();
        if let (Some(token), Some(state)) = (token, state)
            && let Err(refused) = state
                .throttles
                .write(&crate::auth::token::hash_token(&token))
        {
            let response = actix_web::ResponseError::error_response(&refused);
            return Ok(req.into_response(response));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
