//! Documents' files, checked against the hash recorded at upload: a case's own, and one a
//! host State proposed.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::AppState;
use crate::error::AppError;
use crate::http::download::document_response;
use crate::services::cases::{self as service, proposals};

use super::{failure_page, page_user};

/// A case's document.
pub async fn case_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let (case_id, document_id) = path.into_inner();
    let files = state.documents.clone();
    let now = state.clock.now();
    match state
        .run(move |conn| {
            service::download_document(conn, &user, &case_id, &document_id, &files, now)
        })
        .await
    {
        Ok((row, bytes)) => Ok(document_response(row, bytes)),
        Err(error) => Ok(failure_page(&req, error)),
    }
}

/// A proposed document's file.
pub async fn proposed(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let (files, now) = (state.documents.clone(), state.clock.now());
    match state
        .run(move |conn| proposals::download_document(conn, &user, &id, &files, now))
        .await
    {
        Ok((row, bytes)) => Ok(document_response(row, bytes)),
        Err(error) => Ok(failure_page(&req, error)),
    }
}
