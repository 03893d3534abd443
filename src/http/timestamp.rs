//! Times in JSON answers, written as chrono writes them (RFC 3339, `Z`, as many fraction
//! digits as needed) but formatted whole before they are written. chrono's own `Serialize`
//! hands the JSON writer one character at a time, each passing through its escaping: about a
//! twentieth of the work of answering a read by id. For fields:
//! `#[serde(serialize_with = "crate::http::timestamp::utc")]` (or `utc_or_null`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

fn text(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub fn utc<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&text(time))
}

pub fn utc_or_null<S: Serializer>(
    time: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serializer.serialize_str(&text(time)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use serde::Serialize;

    #[derive(Serialize)]
    struct Written {
        #[serde(serialize_with = "super::utc")]
        at: chrono::DateTime<chrono::Utc>,
        #[serde(serialize_with = "super::utc_or_null")]
        until: Option<chrono::DateTime<chrono::Utc>>,
    }

    #[test]
    fn writes_what_chrono_writes() {
        for nanos in [0, 120_000_000, 123_456_000, 123_456_789] {
            let at = chrono::Utc.from_utc_datetime(
                &NaiveDate::from_ymd_opt(2024, 2, 29)
                    .unwrap()
                    .and_hms_nano_opt(7, 5, 9, nanos)
                    .unwrap(),
            );
            let ours = serde_json::to_value(Written {
                at,
                until: Some(at),
            })
            .unwrap();
            let chronos = serde_json::to_value(at).unwrap();
            assert_eq!(ours["at"], chronos);
            assert_eq!(ours["until"], chronos);
        }
        let at = chrono::Utc::now();
        let none = serde_json::to_value(Written { at, until: None }).unwrap();
        assert!(none["until"].is_null());
    }
}
