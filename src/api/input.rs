//! Reading requests: JSON bodies, query strings, paths, versions and page cursors. Anything
//! that cannot be read is answered as problem+json naming what was wrong, before a handler runs.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;

use crate::domain::validation::FieldError;
use crate::error::AppError;

use super::JSON_LIMIT;

/// A JSON body: `Content-Type: application/json` (415 otherwise), at most 1 MiB (413), valid JSON
/// (400), and of the expected shape: unknown, missing or mistyped fields get 422 naming them.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checks = check_json_headers(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            checks?;
            let bytes = body
                .await
                .map_err(|error| match error.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => AppError::PayloadTooLarge,
                    _ => AppError::bad_request("The request body could not be read."),
                })?;
            parse_json(&bytes).map(ApiJson)
        })
    }
}

fn check_json_headers(req: &HttpRequest) -> Result<(), AppError> {
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
    let is_json = media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"));
    if !is_json {
        return Err(AppError::UnsupportedMediaType);
    }
    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared_length.is_some_and(|length| length > JSON_LIMIT) {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(())
}

/// Parses a body, telling malformed JSON (400) from JSON of the wrong shape (422, by field path).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // serde would also take an array for an object, field by position; a request is an object.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(
        first,
        Some(b'[' | b'"' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9')
    ) {
        return Err(AppError::invalid(".", "the body must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let value = match parsed {
        Ok(value) => value,
        Err(error) => {
            let inner = error.inner();
            if inner.classify() != serde_json::error::Category::Data {
                return Err(AppError::bad_request(format!(
                    "The body is not valid JSON: {inner}."
                )));
            }
            return Err(AppError::Validation(vec![field_error(
                &error.path().to_string(),
                &inner.to_string(),
            )]));
        }
    };
    deserializer
        .end()
        .map_err(|e| AppError::bad_request(format!("The body is not valid JSON: {e}.")))?;
    Ok(value)
}

/// Names the field a serde message is about: for a missing field the path stops at the object
/// that should hold it, and the message names the field.
fn field_error(path: &str, message: &str) -> FieldError {
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(text, _)| text);
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

/// The version a change is based on: `If-Match: "N"` (the ETag from a read) or a `version`
/// field. Without one an update could silently overwrite someone else's, so it is required.
pub fn expected_version(req: &HttpRequest, body_version: Option<i64>) -> Result<i64, AppError> {
    let from_header = match req.headers().get(header::IF_MATCH) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
                .and_then(|v| v.parse::<i64>().ok())
                .ok_or_else(|| {
                    AppError::bad_request("If-Match must be an ETag this API returned, like \"3\".")
                })?,
        ),
    };
    match (from_header, body_version) {
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

/// With `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>` field, tells
/// an absent field (`None`: leave as is) from an explicit `null` (`Some(None)`: clear it).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

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

/// Cursors are opaque to clients: the key of the last item, encoded.
pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

pub fn decode_cursor(cursor: &str) -> Result<String, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this API returned"))
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
    fn cursors_round_trip() {
        assert_eq!(
            decode_cursor(&encode_cursor("jean.dupont")).unwrap(),
            "jean.dupont"
        );
        assert!(decode_cursor("***").is_err());
    }
}
