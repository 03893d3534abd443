//! Timestamps read from the database without trying formats in turn.
//!
//! SQLite keeps a timestamp as text. diesel reads it by trying up to eighteen `strftime`
//! formats, each parsed from its pattern again every time: about a twentieth of the work of
//! reading an incident by id. The registry writes one format only (diesel's own,
//! `YYYY-MM-DD HH:MM:SS[.fraction]`), so that one is read directly, and any other text (a row
//! written by hand, say) still goes through diesel's parsing. PostgreSQL sends
//! timestamps as numbers: diesel's reading is kept as it is.
//!
//! Used on row fields with `#[diesel(deserialize_as = StoredTime)]` (or `StoredTimeOrNull` for a
//! column that may be null).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::sql_types::{Nullable, Timestamp};
use diesel::sqlite::Sqlite;

use super::MultiBackend;

/// A timestamp column's value.
#[derive(Debug, Clone, Copy, FromSqlRow)]
pub struct StoredTime(NaiveDateTime);

/// A value of a timestamp column that may be null.
#[derive(Debug, Clone, Copy, FromSqlRow)]
pub struct StoredTimeOrNull(Option<NaiveDateTime>);

impl From<StoredTime> for NaiveDateTime {
    fn from(time: StoredTime) -> Self {
        time.0
    }
}

impl From<StoredTimeOrNull> for Option<NaiveDateTime> {
    fn from(time: StoredTimeOrNull) -> Self {
        time.0
    }
}

/// The text in the format the registry writes (`%F %T%.f`: `2024-02-29 07:05:09.123456`, the
/// fraction optional, up to nine digits), or `None` for any other. chrono's parsers walk a list
/// of format items for each character; this reads the fixed layout directly.
fn parse_written(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 19
        || [4, 7].iter().any(|&i| bytes[i] != b'-')
        || bytes[10] != b' '
        || [13, 16].iter().any(|&i| bytes[i] != b':')
    {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        bytes[from..to].iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let nanos = match &bytes[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(20, bytes.len())? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5, 7)?, number(8, 10)?)?.and_hms_nano_opt(
        number(11, 13)?,
        number(14, 16)?,
        number(17, 19)?,
        nanos,
    )
}

fn from_sqlite(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<NaiveDateTime> {
    if let Some(time) = parse_written(value.read_text()) {
        return Ok(time);
    }
    <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value)
}

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        from_sqlite(value).map(StoredTime)
    }
}

impl FromSql<Timestamp, Pg> for StoredTime {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(StoredTime)
    }
}

impl FromSql<Nullable<Timestamp>, Sqlite> for StoredTimeOrNull {
    fn from_sql(value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        from_sqlite(value).map(|time| StoredTimeOrNull(Some(time)))
    }

    fn from_nullable_sql(
        value: Option<<Sqlite as Backend>::RawValue<'_>>,
    ) -> deserialize::Result<Self> {
        match value {
            Some(value) => <Self as FromSql<Nullable<Timestamp>, Sqlite>>::from_sql(value),
            None => Ok(StoredTimeOrNull(None)),
        }
    }
}

impl FromSql<Nullable<Timestamp>, Pg> for StoredTimeOrNull {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value)
            .map(|time| StoredTimeOrNull(Some(time)))
    }

    fn from_nullable_sql(
        value: Option<<Pg as Backend>::RawValue<'_>>,
    ) -> deserialize::Result<Self> {
        match value {
            Some(value) => <Self as FromSql<Nullable<Timestamp>, Pg>>::from_sql(value),
            None => Ok(StoredTimeOrNull(None)),
        }
    }
}

// Rows read through the connection type that serves both databases.
impl FromSql<Timestamp, MultiBackend> for StoredTime {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

impl FromSql<Nullable<Timestamp>, MultiBackend> for StoredTimeOrNull {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Nullable<Timestamp>>()
    }

    fn from_nullable_sql(
        value: Option<<MultiBackend as Backend>::RawValue<'_>>,
    ) -> deserialize::Result<Self> {
        match value {
            Some(value) => value.from_sql::<Self, Nullable<Timestamp>>(),
            None => Ok(StoredTimeOrNull(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::prelude::*;

    #[test]
    fn reads_what_diesel_writes_as_diesel_reads_it() {
        let start = NaiveDate::from_ymd_opt(1999, 12, 31)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        // Every few hours over thirty years, with fractions of every length diesel writes.
        for step in 0..100_000i64 {
            let nanos = [0, 120_000_000, 123_456_000, 123_456_789][step as usize % 4];
            let time = start
                + chrono::Duration::seconds(step * 9_973)
                + chrono::Duration::nanoseconds(nanos);
            let written = time.format("%F %T%.f").to_string();
            assert_eq!(parse_written(&written), Some(time), "{written}");
            assert_eq!(
                NaiveDateTime::parse_from_str(&written, "%F %T%.f").ok(),
                Some(time)
            );
        }
    }

    #[test]
    fn leaves_other_texts_to_diesel() {
        for text in [
            "2024-02-29T12:30:05",
            "2024-02-29 12:30",
            "2024-02-29 12:30:05+01:00",
            "2024-02-29 12:30:05.",
            "2024-02-29 12:30:05.1234567890",
            "2024-02-30 12:30:05",
            "2024-02-29 24:00:00",
            "2024-0a-29 12:30:05",
            "2460000.5",
            "",
        ] {
            assert_eq!(parse_written(text), None, "{text}");
        }
    }

    #[test]
    fn a_time_written_otherwise_is_still_read_from_sqlite() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let mut read = |sql: &str| -> NaiveDateTime {
            diesel::select(diesel::dsl::sql::<Timestamp>(sql))
                .get_result::<StoredTime>(&mut conn)
                .unwrap()
                .into()
        };
        let expected = NaiveDate::from_ymd_opt(2024, 2, 29)
            .unwrap()
            .and_hms_opt(12, 30, 5)
            .unwrap();
        assert_eq!(read("'2024-02-29 12:30:05'"), expected);
        assert_eq!(read("'2024-02-29T12:30:05'"), expected);
        assert_eq!(
            read("'2024-02-29 12:30:05.250'"),
            expected + chrono::Duration::milliseconds(250)
        );
        let none: Option<NaiveDateTime> =
            diesel::select(diesel::dsl::sql::<Nullable<Timestamp>>("NULL"))
                .get_result::<StoredTimeOrNull>(&mut conn)
                .unwrap()
                .into();
        assert_eq!(none, None);
    }
}
