//! Reading requests: JSON bodies, query strings, paths, versions and page cursors. Anything
//! that cannot be read is answered as problem+json naming what was wrong, before a handler runs.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::domain::validation::FieldError;
use crate::error::AppError;

use super::JSON_LIMIT;

/// A JSON body, read but not yet parsed. Reading fails only for size (413: at most 1 MiB);
/// the media type (415) and the content (400 malformed, 422 unknown, missing or mistyped fields,
/// by path) are checked by `parse`, which handlers call after deciding the user may act at all:
/// a refused user hears 401 or 403, never how their body was wrong.
pub struct JsonBody {
    bytes: web::Bytes,
    is_json: bool,
}

impl FromRequest for JsonBody {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = has_json_media_type(req);
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if declared_length.is_some_and(|length| length > JSON_LIMIT) {
                return Err(AppError::PayloadTooLarge);
            }
            let bytes = body
                .await
                .map_err(|error| match error.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => AppError::PayloadTooLarge,
                    _ => AppError::bad_request("The request body could not be read."),
                })?;
            Ok(JsonBody { bytes, is_json })
        })
    }
}

impl JsonBody {
    /// No body at all, as a request whose only input is a header sends.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        if !self.is_json {
            return Err(AppError::UnsupportedMediaType(
                "The request body must be JSON, sent with `Content-Type: application/json`.",
            ));
        }
        parse_json(&self.bytes)
    }
}

fn has_json_media_type(req: &HttpRequest) -> bool {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

/// Parses a body: malformed JSON is a bad request (400); JSON that is not an object, or not of
/// the expected shape, is invalid (422, naming the field by its path).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| AppError::bad_request(format!("The body is not valid JSON: {e}.")))?;
    if !value.is_object() {
        return Err(AppError::invalid(".", "the body must be a JSON object"));
    }
    if let Some(path) = path_of_nul(&value, String::new()) {
        // Databases cannot store it, and no registry text needs it.
        return Err(AppError::invalid(
            path,
            "must not contain the NUL character",
        ));
    }
    typed(value)
}

/// Takes out of a body a field that travels beside the typed input (`version`, `reason`,
/// `submit`, `opened_on`): absent or `null` is `None`; a value of another shape is refused with
/// `expected`, naming the field.
pub fn take_field<T: DeserializeOwned>(
    body: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
    expected: &str,
) -> Result<Option<T>, AppError> {
    match body.remove(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value)
            .map(Some)
            .map_err(|_| AppError::invalid(name, expected)),
    }
}

/// A body already read as an object (once its own fields, such as `version`, are taken out)
/// as the typed input a service takes; a field of the wrong shape is named by its path.
pub fn typed_fields<T: DeserializeOwned>(
    fields: serde_json::Map<String, serde_json::Value>,
) -> Result<T, AppError> {
    typed(serde_json::Value::Object(fields))
}

fn typed<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        AppError::Validation(vec![field_error(
            &error.path().to_string(),
            &error.inner().to_string(),
        )])
    })
}

/// The path of the first text (or key) holding a NUL character.
fn path_of_nul(value: &serde_json::Value, path: String) -> Option<String> {
    match value {
        serde_json::Value::String(text) => text.contains('\0').then_some(path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| path_of_nul(item, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if key.contains('\0') {
                Some(here)
            } else {
                path_of_nul(item, here)
            }
        }),
        _ => None,
    }
}

/// The decoded pairs of a query string, in order (keys may repeat). A value holding a NUL
/// character is refused, naming its key: no stored text can match it, and PostgreSQL refuses it.
pub fn query_pairs(query: &str) -> Result<Vec<(String, String)>, AppError> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(key, value)| {
            if value.contains('\0') {
                Err(AppError::invalid(
                    key.as_ref(),
                    "must not contain the NUL character",
                ))
            } else {
                Ok((key.into_owned(), value.into_owned()))
            }
        })
        .collect()
}

/// Refuses a query value holding a NUL character (no stored text can match it, and
/// PostgreSQL refuses it outright).
/// The longest query string read: beyond it, 414 before anything else.
pub const MAX_QUERY_BYTES: usize = 4096;
/// How many values a repeatable filter (`mission`) may have.
pub const MAX_FILTER_VALUES: usize = 50;
/// The longest search text (`q`).
pub const MAX_SEARCH_CHARS: usize = 200;

/// One more value of a repeatable filter, refused past `MAX_FILTER_VALUES`.
pub fn push_filter_value(
    field: &str,
    values: &mut Vec<String>,
    value: String,
) -> Result<(), AppError> {
    if values.len() >= MAX_FILTER_VALUES {
        return Err(AppError::invalid(
            field,
            format!("may be given at most {MAX_FILTER_VALUES} times"),
        ));
    }
    values.push(value);
    Ok(())
}

/// A search text, refused past `MAX_SEARCH_CHARS`.
pub fn search_text(value: String) -> Result<String, AppError> {
    if value.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::invalid(
            "q",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    Ok(value)
}

pub fn check_query_text(field: &str, value: &Option<String>) -> Result<(), AppError> {
    match value {
        Some(text) if text.contains('\0') => Err(AppError::invalid(
            field,
            "must not contain the NUL character",
        )),
        _ => Ok(()),
    }
}

/// Names the field a serde message is about: for a missing field the path stops at the object
/// that should hold it, and the message names the field.
fn field_error(path: &str, message: &str) -> FieldError {
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let field = match (path, named) {
        (".", Some(name)) => name.to_string(),
        (_, Some(name)) if !path.ends_with(name) => format!("{path}.{name}"),
        _ => path.to_string(),
    };
    let message = if message.starts_with("unknown field") {
        // serde lists the accepted fields after a comma; keep it, it helps.
        message.replacen("unknown field", "is not a known field", 1)
    } else {
        message.to_string()
    };
    FieldError::new(field, message)
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| {
        AppError::bad_request(format!("The query string is not valid: {error}.")).into()
    })
}

/// A path that does not parse (not a UUID, say) names nothing that exists.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into())
}

/// The `If-Match` header a change may send, as the published contract describes it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct VersionHeader {
    /// The `ETag` of the version the change is based on, like `"3"`; or send `version` in the
    /// body.
    #[param(
        rename = "If-Match",
        nullable = false,
        pattern = r#"^(W/)?"?[0-9]{1,18}"?$"#
    )]
    if_match: Option<String>,
}

/// The version named by `If-Match: "N"` (the ETag of a read), if any.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, AppError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            AppError::bad_request("If-Match must be an ETag this API returned, like \"3\".")
        })
}

/// The version a change is based on: `If-Match` or a `version` field. Without one an update
/// could silently overwrite someone else's, so it is required.
pub fn expected_version(
    if_match: Result<Option<i64>, AppError>,
    body_version: Option<i64>,
) -> Result<i64, AppError> {
    match (if_match?, body_version) {
        (Some(a), Some(b)) if a != b => Err(AppError::invalid(
            "version",
            "differs from the If-Match header; send one or the same in both",
        )),
        (Some(version), _) | (None, Some(version)) => Ok(version),
        (None, None) => Err(AppError::invalid(
            "version",
            "is required: send the version you read, as If-Match or a `version` field",
        )),
    }
}

pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

pub use crate::domain::patch::nullable;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A `limit` as given in a query, checked by `page_limit` once all parameters are read.
pub fn parse_limit(value: &str) -> Result<i64, AppError> {
    value
        .parse::<i64>()
        .map_err(|_| AppError::invalid("limit", "must be a whole number"))
}

/// `limit` of a list request: 1 to 200, 50 when absent.
pub fn page_limit(limit: Option<i64>) -> Result<i64, AppError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        code: String,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        items: Vec<Inner>,
    }

    fn errors(body: &str) -> AppError {
        parse_json::<Outer>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn fields_are_named_by_path() {
        let AppError::Validation(e) = errors(r#"{"name":"a","items":[{"code":"x"},{"code":1}]}"#)
        else {
            panic!("expected a validation error")
        };
        assert_eq!(e[0].field, "items[1].code");
        let AppError::Validation(e) = errors(r#"{"name":"a","items":[],"extra":1}"#) else {
            panic!("expected a validation error")
        };
        assert_eq!(e[0].field, "extra");
        let AppError::Validation(e) = errors(r#"{"name":"a","items":[{}]}"#) else {
            panic!("expected a validation error")
        };
        assert_eq!(e[0].field, "items[0].code");
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            errors(r#"{"name":"a""#),
            AppError::BadRequest { .. }
        ));
        assert!(matches!(
            errors(r#"{"name":"a","items":[]} x"#),
            AppError::BadRequest { .. }
        ));
        assert!(matches!(errors(""), AppError::BadRequest { .. }));
    }

    #[test]
    fn a_field_beside_the_input_is_taken_out_checked_for_its_shape() {
        let mut body =
            serde_json::json!({ "version": 3, "submit": null, "reason": 7, "summary": "S" })
                .as_object()
                .cloned()
                .unwrap();
        assert_eq!(
            take_field::<i64>(&mut body, "version", "must be a whole number").unwrap(),
            Some(3)
        );
        assert_eq!(
            take_field::<bool>(&mut body, "submit", "must be true or false").unwrap(),
            None
        );
        assert_eq!(
            take_field::<String>(&mut body, "opened_on", "must be a date").unwrap(),
            None
        );
        let AppError::Validation(refused) =
            take_field::<String>(&mut body, "reason", "must be text").unwrap_err()
        else {
            panic!("a number is not a reason");
        };
        assert_eq!(
            (refused[0].field.as_str(), refused[0].message.as_str()),
            ("reason", "must be text")
        );
        let mut fraction = serde_json::json!({ "version": 2.5 })
            .as_object()
            .cloned()
            .unwrap();
        assert!(take_field::<i64>(&mut fraction, "version", "must be a whole number").is_err());
        // Only the input's own fields are left for it.
        assert_eq!(body.keys().collect::<Vec<_>>(), vec!["summary"]);
    }
}
