//! Page cursors, opaque to clients: the key of the last item of a page, encoded.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;

use crate::error::AppError;

/// The cursor of the page after the item with this key.
pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

pub fn decode_cursor(cursor: &str) -> Result<String, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        // A NUL can only come from a forged cursor, and PostgreSQL would refuse it.
        .filter(|key| !key.contains('\0'))
        .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this API returned"))
}

/// A cursor of a list ordered by a day, then a text key: `(day, key)`.
pub fn decode_dated_cursor(cursor: &str) -> Result<(NaiveDate, String), AppError> {
    let key = decode_cursor(cursor)?;
    let not_ours = || AppError::invalid("cursor", "is not a cursor this API returned");
    let (day, rest) = key.split_once('|').ok_or_else(not_ours)?;
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| not_ours())?;
    Ok((day, rest.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(
            decode_cursor(&encode_cursor("jean.dupont")).unwrap(),
            "jean.dupont"
        );
        assert!(decode_cursor("***").is_err());
        assert!(decode_cursor(&encode_cursor("forged\0")).is_err());
    }
}
