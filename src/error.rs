//! One error type for every request: `AppError`, answered as RFC 9457 `application/problem+json`.
//!
//! Which variant to use:
//! - `BadRequest`: the request cannot be read at all (malformed JSON, a bad query string);
//! - `Unauthorized`: not signed in, or the sign-in failed (always the same words, on purpose);
//! - `Forbidden`: signed in but not allowed; `detail` says why when that helps the user;
//! - `NotFound`: unknown, and also what the user may not see (existence is not revealed);
//! - `Conflict`: a stale version or a duplicate;
//! - `MoveNotAllowed`: a status change the lifecycle forbids, with the moves it allows instead;
//! - `Validation`: field values that break the rules, every field at once;
//! - `Unavailable`: the database cannot be reached now; retrying later may work;
//! - `NotConfigured`: a feature needs a setting the administrator has not given (503);
//! - `FileTooLarge`, `UnsupportedFileType`: an uploaded document over the limit or of a kind
//!   the registry does not keep;
//! - `IntegrityFailure`: a stored document no longer matches its hash (it is not served);
//! - `Internal`: a real fault. Its message is logged with the request id, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::DatabaseErrorKind;
use serde::Serialize;

use crate::domain::validation::FieldError;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("not signed in")]
    Unauthorized,
    /// The password was right, and the account signs in with a second factor too.
    #[error("second factor required")]
    SecondFactorRequired,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("password change required")]
    PasswordChangeRequired,
    /// The account must use a second factor and has not confirmed one yet.
    #[error("second factor enrolment required")]
    SecondFactorEnrolmentRequired,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    /// With the methods the resource does serve, for the `Allow` header.
    MethodNotAllowed { allow: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("move not allowed: {detail}")]
    MoveNotAllowed {
        detail: String,
        allowed: Vec<String>,
    },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("file larger than {limit_mib} MiB")]
    FileTooLarge { limit_mib: u32 },
    #[error("unsupported file type")]
    UnsupportedFileType,
    #[error("stored file failed its integrity check")]
    IntegrityFailure,
    #[error("unsupported media type")]
    /// The body is not of the media type this endpoint reads; the text says which it is.
    UnsupportedMediaType(&'static str),
    #[error("invalid fields")]
    Validation(Vec<FieldError>),
    #[error("query string too long")]
    QueryTooLong,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The feature needs a setting this server lacks; the text names it.
    #[error("not configured: {0}")]
    NotConfigured(&'static str),
    /// The database's storage refuses writes, full or read-only: nothing was saved, and only an
    /// administrator can mend it. The text says which, in words for the user.
    #[error("storage refuses writes: {cause}")]
    StorageRefused { detail: &'static str, cause: String },
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        AppError::BadRequest {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        AppError::Internal(error.to_string())
    }
}

/// An error answer (RFC 9457), as every failed request receives it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// `about:blank`, or a registry problem such as `/problems/validation`.
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    /// What went wrong, in words for the user.
    detail: String,
    /// For invalid fields: each field by its JSON path, and what is wrong with it.
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    #[schema(value_type = Vec<FieldError>)]
    errors: &'a [FieldError],
    /// For a refused move: the statuses that are allowed from here.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    allowed: Option<&'a [String]>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized | AppError::SecondFactorRequired => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_)
            | AppError::PasswordChangeRequired
            | AppError::SecondFactorEnrolmentRequired => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) | AppError::MoveNotAllowed { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge | AppError::FileTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::UnsupportedMediaType(_) | AppError::UnsupportedFileType => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::QueryTooLong => StatusCode::URI_TOO_LONG,
            AppError::Unavailable(_)
            | AppError::StorageRefused { .. }
            | AppError::NotConfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) | AppError::IntegrityFailure => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (kind, detail, errors): (&str, String, &[FieldError]) = match self {
            AppError::BadRequest { detail, errors } => ("about:blank", detail.clone(), errors),
            AppError::Unauthorized => (
                "about:blank",
                "Sign in with a valid username and password, and send the token as `Authorization: Bearer …`.".into(),
                &[],
            ),
            AppError::SecondFactorRequired => (
                "/problems/second-factor-required",
                "This account also signs in with a code: send the one-time code of its authenticator app, or one of its recovery codes, as `code`.".into(),
                &[],
            ),
            AppError::Forbidden(why) => ("about:blank", why.clone(), &[]),
            AppError::PasswordChangeRequired => (
                "/problems/password-change-required",
                "This account must change its password first: POST /api/v1/me/password.".into(),
                &[],
            ),
            AppError::SecondFactorEnrolmentRequired => (
                "/problems/second-factor-enrolment-required",
                "This account must set up a second factor first: POST /api/v1/me/second-factor, then confirm a code with POST /api/v1/me/second-factor/confirm.".into(),
                &[],
            ),
            AppError::NotFound => ("about:blank", "No such resource.".into(), &[]),
            AppError::MethodNotAllowed { .. } => (
                "about:blank",
                "This method is not allowed on this resource.".into(),
                &[],
            ),
            AppError::Conflict(why) => ("/problems/conflict", why.clone(), &[]),
            AppError::MoveNotAllowed { detail, .. } => {
                ("/problems/move-not-allowed", detail.clone(), &[])
            }
            AppError::FileTooLarge { limit_mib } => (
                "about:blank",
                format!("The file is larger than the limit of {limit_mib} MiB."),
                &[],
            ),
            AppError::UnsupportedFileType => (
                "about:blank",
                "Documents must be PDF, PNG, JPEG, plain text, ODT or DOCX files (judged by their content, not their name).".into(),
                &[],
            ),
            AppError::IntegrityFailure => (
                "/problems/integrity-failure",
                "The stored file no longer matches the SHA-256 recorded when it was uploaded, so it was not served. The failure has been recorded.".into(),
                &[],
            ),
            AppError::PayloadTooLarge => (
                "about:blank",
                "The request body is larger than the limit of 1 MiB.".into(),
                &[],
            ),
            AppError::UnsupportedMediaType(expected) => ("about:blank", (*expected).to_string(), &[]),
            AppError::Validation(errors) => (
                "/problems/validation",
                "Some fields are invalid; see `errors`.".into(),
                errors,
            ),
            AppError::QueryTooLong => (
                "about:blank",
                format!(
                    "The query string is longer than {} bytes.",
                    crate::api::input::MAX_QUERY_BYTES
                ),
                &[],
            ),
            AppError::TooManyRequests { retry_after_secs } => (
                "/problems/too-many-requests",
                format!("Too many requests; try again in {retry_after_secs} s."),
                &[],
            ),
            AppError::Unavailable(why) => {
                tracing::warn!(reason = %why, "database unavailable");
                (
                    "about:blank",
                    "The registry cannot reach its database just now; try again shortly.".into(),
                    &[],
                )
            }
            AppError::NotConfigured(detail) => {
                ("/problems/not-configured", (*detail).to_string(), &[])
            }
            AppError::StorageRefused { detail, cause } => {
                tracing::error!(cause = %cause, "the database's storage refuses writes");
                ("/problems/storage-refused", (*detail).to_string(), &[])
            }
            AppError::Internal(why) => {
                tracing::error!(error = %why, "internal error");
                (
                    "about:blank",
                    "An internal error occurred; it has been logged with this request's id."
                        .into(),
                    &[],
                )
            }
        };
        let problem = Problem {
            kind,
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            errors,
            allowed: match self {
                AppError::MoveNotAllowed { allowed, .. } => Some(allowed),
                _ => None,
            },
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if matches!(self, AppError::Unauthorized) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let AppError::MethodNotAllowed { allow } = self {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        if matches!(self, AppError::Unavailable(_)) {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        response.json(problem)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => AppError::NotFound,
            // The database went away (a restart, a network cut): a retry may well succeed.
            diesel::result::Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => AppError::Unavailable("the database connection was lost".to_string()),
            diesel::result::Error::DatabaseError(_, ref info) => storage_refusal(info.message())
                .unwrap_or_else(|| AppError::Internal(format!("database: {error}"))),
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

/// A write the database's storage refused, known by the database's own words: SQLite's, and
/// PostgreSQL's for a full disk (53100) and a read-only server or standby (25006).
fn storage_refusal(message: &str) -> Option<AppError> {
    const FULL: [&str; 2] = ["database or disk is full", "No space left on device"];
    const READ_ONLY: [&str; 2] = ["readonly database", "read-only transaction"];
    let detail = if FULL.iter().any(|words| message.contains(words)) {
        "The registry's storage is full: nothing was saved. An administrator must free space; then try again."
    } else if READ_ONLY.iter().any(|words| message.contains(words)) {
        "The registry's storage is read-only just now: nothing was saved. An administrator must make it writable; then try again."
    } else {
        return None;
    };
    Some(AppError::StorageRefused {
        detail,
        cause: message.to_string(),
    })
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(error.to_string())
    }
}

/// A row holding a code the registry does not know was changed by hand: answered as a fault
/// of the server (the detail goes to the log only), never read as some other code.
impl From<crate::domain::stored_code::UnknownCode> for AppError {
    fn from(error: crate::domain::stored_code::UnknownCode) -> Self {
        AppError::Internal(error.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        AppError::Internal(error.to_string())
    }
}
