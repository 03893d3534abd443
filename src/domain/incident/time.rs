//! Times as the registry reads and writes them, and the periods uncertain times stand for.

use chrono::{Datelike, DurationRound, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

/// RFC 3339 in UTC, as the API writes times.
pub fn format_time(time: NaiveDateTime) -> String {
    time.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The year the first peacekeeping mission (UNTSO) began: no incident of the registry is
/// older. It also keeps out years PostgreSQL cannot store (before year 1).
pub const EARLIEST_YEAR: i32 = 1948;

/// Parses an RFC 3339 time, kept at the microsecond precision both databases store.
pub(super) fn parse_time(text: &str) -> Result<NaiveDateTime, String> {
    let time = chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| {
            let time = t.naive_utc();
            time.duration_trunc(TimeDelta::microseconds(1))
                .unwrap_or(time)
        })
        .map_err(|_| "must be an RFC 3339 date-time, e.g. 2026-03-14T06:30:00Z".to_string())?;
    if time.year() < EARLIEST_YEAR {
        return Err(format!("must not be before {EARLIEST_YEAR}"));
    }
    Ok(time)
}

/// The period an uncertain time is known to: its day, ISO week (Monday to Monday) or month.
pub(super) fn period(time: NaiveDateTime, precision: &str) -> (NaiveDateTime, NaiveDateTime) {
    let day = time.date();
    let (first, next) = match precision {
        "day" => (day, day + TimeDelta::days(1)),
        "week" => {
            let monday = day - TimeDelta::days(day.weekday().num_days_from_monday().into());
            (monday, monday + TimeDelta::days(7))
        }
        "month" => {
            let first = day.with_day(1).unwrap_or(day);
            let next = if first.month() == 12 {
                NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
            }
            .unwrap_or(first);
            (first, next)
        }
        _ => return (time, time),
    };
    (
        first.and_time(NaiveTime::MIN),
        next.and_time(NaiveTime::MIN),
    )
}

/// Where ACLED puts an uncertain date: the middle of the period it is known to.
pub fn period_midpoint(time: NaiveDateTime, precision: &str) -> NaiveDateTime {
    let (start, end) = period(time, precision);
    start + (end - start) / 2
}
