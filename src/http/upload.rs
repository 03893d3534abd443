//! A case document's upload form, read part by part within its limits: the API's and the
//! pages' (whose form also carries its CSRF token).

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::http::header;
use futures_util::StreamExt;

use crate::domain::case::DocumentInput;
use crate::error::AppError;
use crate::services::cases::Upload;

/// The parts of an upload form other than the file are short texts.
const MAX_TEXT_PART: usize = 4096;
/// The form has four parts; a few more are tolerated before the upload is refused.
const MAX_PARTS: usize = 8;

/// Reads the upload form: the `file` part up to `max_bytes` (413 beyond), and the short
/// `title`, `kind` and `date` parts. Anything else is refused, naming the part.
pub async fn read_upload(
    mut form: Multipart,
    max_bytes: usize,
    limit_mib: u32,
    csrf: Option<&mut String>,
) -> Result<(DocumentInput, Upload), AppError> {
    let mut csrf = csrf;
    let mut input = DocumentInput::default();
    let mut upload: Option<Upload> = None;
    let unreadable = || AppError::bad_request("The multipart body could not be read.");
    let mut parts = 0;
    while let Some(part) = form.next().await {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(AppError::bad_request(format!(
                "The upload form has more than {MAX_PARTS} parts."
            )));
        }
        let mut part = part.map_err(|_| unreadable())?;
        let name = part.name().unwrap_or("").to_string();
        let is_file = name == "file";
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let limit = if is_file { max_bytes } else { MAX_TEXT_PART };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| unreadable())?;
            if bytes.len() + chunk.len() > limit {
                return Err(if is_file {
                    AppError::FileTooLarge { limit_mib }
                } else {
                    AppError::invalid(name, format!("must be at most {MAX_TEXT_PART} bytes"))
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || {
            String::from_utf8(bytes.clone())
                .ok()
                .filter(|t| !t.contains('\0'))
                .ok_or_else(|| AppError::invalid(name.as_str(), "must be UTF-8 text"))
        };
        match name.as_str() {
            "file" if upload.is_some() => {
                return Err(AppError::invalid("file", "send one file per upload"));
            }
            "file" => upload = Some(Upload { bytes, file_name }),
            "title" => input.title = Some(text()?),
            "kind" => input.kind = Some(text()?),
            "date" => input.date = Some(text()?),
            // The pages' form carries its CSRF token as a part of its own.
            "csrf" if csrf.is_some() => {
                if let Some(token) = csrf.as_deref_mut() {
                    *token = text()?;
                }
            }
            _ => {
                return Err(AppError::invalid(
                    name.as_str(),
                    "is not a part of the upload form (file, title, kind, date)",
                ));
            }
        }
    }
    match upload {
        Some(upload) if !upload.bytes.is_empty() => Ok((input, upload)),
        Some(_) => Err(AppError::invalid("file", "is empty")),
        None => Err(AppError::invalid("file", "is required")),
    }
}

pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}
