//! The JSON API under `/api/v1`, plus the health checks. One file per resource.

pub mod assistance;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod case_views;
pub mod cases;
pub mod exports;
pub mod health;
pub mod imports;
pub mod incident_views;
pub mod incidents;
pub mod input;
pub mod metrics;
pub mod missions;
pub mod openapi;
pub mod proposals;
pub mod reports;
pub mod state;
pub mod summary;
pub mod users;

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, HttpResponse, Responder, Route, web};

use crate::error::AppError;

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// One path the API answers, with a handler for each of its methods.
type Endpoint = (&'static str, Vec<(Method, Route)>);

fn on<F, Args>(method: Method, handler: F) -> (Method, Route)
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    (method.clone(), web::route().method(method).to(handler))
}

/// Outside `/api/v1`: the health checks, the metrics and the API's reference.
fn outside_endpoints() -> Vec<Endpoint> {
    vec![
        ("/healthz", vec![on(Method::GET, health::alive)]),
        ("/readyz", vec![on(Method::GET, health::ready)]),
        ("/metrics", vec![on(Method::GET, metrics::metrics)]),
        ("/api/docs", vec![on(Method::GET, openapi::docs_home)]),
        (
            "/api/docs/{file:.*}",
            vec![on(Method::GET, openapi::docs_file)],
        ),
    ]
}

/// Where the API's own routes live.
const API_PREFIX: &str = "/api/v1";

/// The API's routes, in the order they are tried.
fn api_endpoints() -> Vec<Endpoint> {
    use Method as M;
    vec![
        // Incidents first: they are asked most, and a request is matched against the routes
        // in this order.
        (
            "/incidents",
            vec![on(M::GET, incidents::list), on(M::POST, incidents::create)],
        ),
        // Before `/incidents/{id}`, which would otherwise take `export` for an id.
        ("/incidents/export", vec![on(M::GET, exports::export)]),
        (
            "/incidents/{id}",
            vec![on(M::GET, incidents::get), on(M::PATCH, incidents::update)],
        ),
        (
            "/incidents/{id}/submit",
            vec![on(M::POST, incidents::submit)],
        ),
        (
            "/incidents/{id}/verify",
            vec![on(M::POST, incidents::verify)],
        ),
        (
            "/incidents/{id}/withdraw",
            vec![on(M::POST, incidents::withdraw)],
        ),
        (
            "/incidents/{id}/history",
            vec![on(M::GET, incidents::history)],
        ),
        ("/openapi.json", vec![on(M::GET, openapi::document)]),
        ("/auth/login", vec![on(M::POST, auth::login)]),
        ("/auth/logout", vec![on(M::POST, auth::logout)]),
        ("/auth/logout-all", vec![on(M::POST, auth::logout_all)]),
        ("/me/sessions", vec![on(M::GET, auth::sessions)]),
        ("/me", vec![on(M::GET, auth::me)]),
        (
            "/me/calendar",
            vec![
                on(M::POST, calendar::create),
                on(M::DELETE, calendar::revoke),
            ],
        ),
        ("/calendar/{secret}", vec![on(M::GET, calendar::feed)]),
        ("/me/password", vec![on(M::POST, auth::change_password)]),
        (
            "/me/second-factor",
            vec![on(M::POST, auth::enrol_second_factor)],
        ),
        (
            "/me/second-factor/confirm",
            vec![on(M::POST, auth::confirm_second_factor)],
        ),
        (
            "/users",
            vec![on(M::GET, users::list), on(M::POST, users::create)],
        ),
        (
            "/users/{id}",
            vec![on(M::GET, users::get), on(M::PATCH, users::update)],
        ),
        (
            "/missions",
            vec![on(M::GET, missions::list), on(M::POST, missions::create)],
        ),
        (
            "/missions/{code}",
            vec![on(M::GET, missions::get), on(M::PATCH, missions::update)],
        ),
        (
            "/cases",
            vec![on(M::GET, cases::list), on(M::POST, cases::create)],
        ),
        (
            "/cases/{id}",
            vec![on(M::GET, cases::get), on(M::PATCH, cases::update)],
        ),
        (
            "/cases/{id}/transitions",
            vec![on(M::POST, cases::transition)],
        ),
        (
            "/cases/{id}/transitions/{position}",
            vec![on(M::PATCH, cases::share_step)],
        ),
        ("/cases/{id}/accused", vec![on(M::POST, cases::add_accused)]),
        (
            "/cases/{id}/accused/{accused_id}",
            vec![on(M::PATCH, cases::update_accused)],
        ),
        (
            "/cases/{id}/documents",
            vec![on(M::POST, cases::add_document)],
        ),
        (
            "/cases/{id}/documents/{document_id}",
            vec![
                on(M::GET, cases::download_document),
                on(M::PATCH, cases::share_document),
            ],
        ),
        (
            "/cases/{id}/proposals",
            vec![on(M::GET, proposals::list), on(M::POST, proposals::propose)],
        ),
        ("/proposals", vec![on(M::GET, proposals::queue)]),
        (
            "/proposals/{id}/accept",
            vec![on(M::POST, proposals::accept)],
        ),
        (
            "/proposals/{id}/decline",
            vec![on(M::POST, proposals::decline)],
        ),
        (
            "/proposals/{id}/document",
            vec![on(M::GET, proposals::download_document)],
        ),
        (
            "/assistance",
            vec![
                on(M::GET, assistance::list),
                on(M::POST, assistance::create),
            ],
        ),
        (
            "/assistance/{id}",
            vec![
                on(M::GET, assistance::get),
                on(M::PATCH, assistance::update),
            ],
        ),
        (
            "/assistance/{id}/history",
            vec![on(M::GET, assistance::history)],
        ),
        (
            "/imports/un-fatalities",
            vec![on(M::POST, imports::un_fatalities)],
        ),
        ("/summary", vec![on(M::GET, summary::summary)]),
        ("/summary/stalled", vec![on(M::GET, summary::stalled)]),
        ("/reports/annual", vec![on(M::GET, reports::annual)]),
        ("/reports/annual/issue", vec![on(M::POST, reports::issue)]),
        ("/reports/issued/{id}", vec![on(M::GET, reports::issued)]),
        (
            "/state/reports/annual",
            vec![on(M::GET, reports::state_annual)],
        ),
        ("/state/incidents", vec![on(M::GET, state::incidents)]),
        ("/state/cases", vec![on(M::GET, state::cases)]),
        ("/state/summary", vec![on(M::GET, state::summary)]),
        ("/audit", vec![on(M::GET, audit::list)]),
        ("/audit/verify", vec![on(M::GET, audit::verify)]),
    ]
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(JSON_LIMIT))
        .app_data(input::query_config())
        .app_data(input::path_config());
    // One scope, so that the pages' paths are not tried against every route of the API; and
    // first, as its routes are the ones asked thousands of times a second.
    let api = api_endpoints()
        .into_iter()
        .fold(web::scope(API_PREFIX), |scope, endpoint| {
            scope.service(resource(endpoint))
        });
    cfg.service(api);
    for endpoint in outside_endpoints() {
        cfg.service(resource(endpoint));
    }
    cfg.default_service(web::to(not_found));
}

/// Every route the API serves, as (method, full path), read from the table it is served from:
/// the authorization matrix and the published document are checked against it.
pub fn served_routes() -> Vec<(Method, String)> {
    let outside = outside_endpoints()
        .into_iter()
        .map(|(path, routes)| (path.to_string(), routes));
    let api = api_endpoints()
        .into_iter()
        .map(|(path, routes)| (format!("{API_PREFIX}{path}"), routes));
    outside
        .chain(api)
        .flat_map(|(path, routes)| {
            routes
                .into_iter()
                .map(move |(method, _)| (method, path.clone()))
        })
        .collect()
}

/// Nothing here: problem+json for the API, a page in the reader's language for the rest.
async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, AppError> {
    let path = req.path();
    if path.starts_with("/api/") || ["/api", "/healthz", "/readyz", "/metrics"].contains(&path) {
        return Err(AppError::NotFound);
    }
    Ok(crate::web::error_page(
        &req,
        actix_web::http::StatusCode::NOT_FOUND,
    ))
}

/// A resource that answers 405 as problem+json to the methods it does not route, with the
/// methods it does in `Allow`, as the published document lists them (the reference's own
/// pages, which it does not list, are read with GET).
fn resource((path, routes): Endpoint) -> actix_web::Resource {
    let refuse_other_methods = web::to(|req: actix_web::HttpRequest| async move {
        let allow = req
            .match_pattern()
            .and_then(|pattern| openapi::methods_of(&pattern))
            .unwrap_or_else(|| "GET".to_string());
        Err::<HttpResponse, _>(AppError::MethodNotAllowed { allow })
    });
    routes.into_iter().fold(
        web::resource(path).default_service(refuse_other_methods),
        |resource, (_, route)| resource.route(route),
    )
}
