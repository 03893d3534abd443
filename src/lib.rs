//! The Peacekeeper Safety Incident Registry: the library behind the `peacekeeper-registry`
//! binary. `app` builds the HTTP application for the server and for the tests alike.

pub mod api;
pub mod auth;
pub mod checkpoints;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod import;
pub mod metrics;
pub mod recently_read;
pub mod services;
mod state;
pub mod store;
pub mod throttle;
pub mod web;

use actix_web::App;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::web::Data;

pub use crate::state::AppState;

/// The whole HTTP application: routes, limits, error answers, request ids and logs.
pub fn app(
    state: Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let counted = state.metrics.http.clone();
    App::new()
        .app_data(state)
        // The API first: a request is matched against the routes in the order they were added,
        // and the API's are the ones asked thousands of times a second.
        .configure(api::configure)
        .configure(web::configure)
        .wrap(actix_web::middleware::from_fn(
            http::middleware::metrics_address_serves_metrics_only,
        ))
        .wrap(actix_web::middleware::from_fn(
            http::middleware::throttle_writes,
        ))
        .wrap(actix_web::middleware::from_fn(
            http::middleware::refuse_nul_in_path,
        ))
        .wrap(actix_web::middleware::from_fn(
            http::middleware::request_id_header,
        ))
        .wrap(actix_web::middleware::from_fn(
            http::middleware::security_headers,
        ))
        .wrap(counted)
        .wrap(tracing_actix_web::TracingLogger::<
            http::middleware::RequestSpan,
        >::new())
}
