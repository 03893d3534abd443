//! What a refused form turns into on its page: the messages beside its fields, and the page's
//! status. (Kept apart from `form`, whose table of message beginnings the catalogue tests read
//! against the places that write the messages.)

use actix_web::http::StatusCode;

use crate::domain::validation::FieldError;
use crate::error::AppError;

/// What a refused form shows beside its fields, and the page's status: its fields' messages, a
/// move the lifecycle forbids (on `to`), a file too large or of a kind not accepted, and a
/// conflict as `conflict` words it. Any other refusal is not the form's: it comes back as it is,
/// for its own page.
pub(super) fn refusal(
    error: AppError,
    conflict: impl FnOnce(String) -> FieldError,
) -> Result<(Vec<FieldError>, StatusCode), AppError> {
    Ok(match error {
        AppError::Validation(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
        AppError::MoveNotAllowed { detail, .. } => {
            (vec![FieldError::new("to", detail)], StatusCode::CONFLICT)
        }
        AppError::Conflict(detail) => (vec![conflict(detail)], StatusCode::CONFLICT),
        AppError::FileTooLarge { limit_mib } => (
            vec![FieldError::new(
                "file",
                format!("is too large: at most {limit_mib} MiB"),
            )],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        AppError::UnsupportedFileType => (
            vec![FieldError::new("file", "must be one of the accepted types")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        other => return Err(other),
    })
}
