//! The summaries' figures as the database keeps them, in the transaction of every change
//! (`incident_month_figures`, `killed_month_figures`, their years, `case_figures` and
//! `case_month_figures`, kept by triggers: see their migrations). A summary by year reads the
//! whole years its range covers from the year figures, the other whole months from the month
//! figures, and counts the days at the range's edges from the records, so any range of days is
//! exact. The cases are kept per month only (they are far fewer than the incidents); their
//! medians read one narrow row per case (`store::summary::for_each_case_delays`).

mod check;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::DbConnection;
use crate::domain::access::Clearance;
use crate::domain::summary::{CaseGroup, DeadGroup, Grouping, IncidentGroup};

use super::summary::{
    CaseGroupRow, DeadGroupRow, IncidentGroupRow, Param, Scope, case_group_sums, count,
    counted_case_groups, counted_dead_groups, counted_incident_groups, load, placeholders,
};

pub use check::{first_difference, rebuild};

/// The period label (`2019`, `2019-Q3`, `2019-08`) of a `YYYY-MM` month column, the same on
/// both databases.
fn period_of_month(grouping: Grouping) -> &'static str {
    match grouping {
        Grouping::Year => "substr(f.month, 1, 4)",
        Grouping::Quarter => {
            "substr(f.month, 1, 4) || '-Q' || CAST((CAST(substr(f.month, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)"
        }
        Grouping::Month => "f.month",
    }
}

/// A range of labels `[from, until)` (`YYYY` or `YYYY-MM`; `None`: no bound).
type Labels = (Option<String>, Option<String>);

/// A scope's range as whole years (by year only) and whole months, read from the figures kept,
/// and the days at its edges, counted from the records.
#[derive(Debug, PartialEq)]
struct Split {
    years: Option<Labels>,
    /// At most two ranges: the whole months before the first whole year and after the last.
    months: Vec<Labels>,
    /// The ranges of time at the edges, `[from, until)`.
    edges: Vec<(Option<NaiveDateTime>, Option<NaiveDateTime>)>,
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn first_of_year(day: NaiveDate) -> NaiveDate {
    day.with_day(1).and_then(|d| d.with_month(1)).unwrap_or(day)
}

fn month_label(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

fn year_label(day: NaiveDate) -> String {
    day.format("%Y").to_string()
}

/// The whole units (months or years) within `[from, until)`, first days of units: the first
/// begins on `from` or at the next unit, the last ends where the unit of `until` begins.
fn whole(
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
    first_of: fn(NaiveDate) -> NaiveDate,
    unit: Months,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let start = from.map(|from| {
        let first = first_of(from);
        if first == from {
            first
        } else {
            first.checked_add_months(unit).unwrap_or(first)
        }
    });
    (start, until.map(first_of))
}

/// Whether `[start, end)` holds at least one unit (an open end always does).
fn holds_any((start, end): (Option<NaiveDate>, Option<NaiveDate>)) -> bool {
    !matches!((start, end), (Some(start), Some(end)) if start >= end)
}

impl Split {
    fn of(from: Option<NaiveDateTime>, until: Option<NaiveDateTime>, grouping: Grouping) -> Split {
        let at = |day: NaiveDate| day.and_time(chrono::NaiveTime::MIN);
        // A day that begins at midnight is whole; one that does not begins the next whole day.
        let from_day = from.map(|from| {
            let day = from.date();
            if at(day) == from {
                day
            } else {
                day.succ_opt().unwrap_or(day)
            }
        });
        let until_day = until.map(|until| until.date());
        let months = whole(from_day, until_day, first_of_month, Months::new(1));
        if !holds_any(months) {
            return Split {
                years: None,
                months: Vec::new(),
                edges: vec![(from, until)],
            };
        }
        let mut edges = Vec::new();
        if let (Some(from), Some(start)) = (from, months.0)
            && from < at(start)
        {
            edges.push((Some(from), Some(at(start))));
        }
        if let (Some(end), Some(until)) = (months.1, until)
            && at(end) < until
        {
            edges.push((Some(at(end)), Some(until)));
        }
        let years = whole(months.0, months.1, first_of_year, Months::new(12));
        if grouping != Grouping::Year || !holds_any(years) {
            return Split {
                years: None,
                months: vec![(months.0.map(month_label), months.1.map(month_label))],
                edges,
            };
        }
        let mut month_ranges = Vec::new();
        if let (Some(start), Some(first_year)) = (months.0, years.0)
            && start < first_year
        {
            month_ranges.push((Some(month_label(start)), Some(month_label(first_year))));
        }
        if let (Some(end_of_years), Some(end)) = (years.1, months.1)
            && end_of_years < end
        {
            month_ranges.push((Some(month_label(end_of_years)), Some(month_label(end))));
        }
        Split {
            years: Some((years.0.map(year_label), years.1.map(year_label))),
            months: month_ranges,
            edges,
        }
    }
}

/// ` f.classification IN (...) AND f.mission_code IN (...) AND f.<period> >= ? AND f.<period> < ?`
fn kept_condition(scope: &Scope, period: &str, labels: &Labels, params: &mut Vec<Param>) -> String {
    let mut condition = format!(
        "f.classification IN ({})",
        placeholders(scope.classifications.len())
    );
    params.extend(scope.classifications.iter().cloned().map(Param::Text));
    if let Some(missions) = &scope.missions {
        condition += &format!(" AND f.mission_code IN ({})", placeholders(missions.len()));
        params.extend(missions.iter().cloned().map(Param::Text));
    }
    if let Some(from) = &labels.0 {
        condition += &format!(" AND f.{period} >= ?");
        params.push(Param::Text(from.clone()));
    }
    if let Some(until) = &labels.1 {
        condition += &format!(" AND f.{period} < ?");
        params.push(Param::Text(until.clone()));
    }
    condition
}

/// The same scope over another range of time.
fn over(scope: &Scope, (from, until): (Option<NaiveDateTime>, Option<NaiveDateTime>)) -> Scope {
    Scope {
        from,
        until,
        ..scope.clone()
    }
}

/// The incident figures kept in `table` per mission, `period` and attack type.
fn kept_incident_groups(
    conn: &mut DbConnection,
    scope: &Scope,
    (table, column, period): (&str, &str, &str),
    labels: &Labels,
) -> QueryResult<Vec<IncidentGroup>> {
    let mut params = Vec::new();
    let condition = kept_condition(scope, column, labels, &mut params);
    let query = format!(
        "SELECT f.mission_code AS mission, {period} AS period, f.attack_type AS attack_type, \
            CAST(SUM(f.incidents) AS BIGINT) AS incidents, CAST(SUM(f.killed) AS BIGINT) AS killed, \
            CAST(SUM(f.injured) AS BIGINT) AS injured, CAST(SUM(f.abducted) AS BIGINT) AS abducted, \
            CAST(SUM(f.missing) AS BIGINT) AS missing, \
            CAST(SUM(CASE WHEN f.with_case THEN f.incidents ELSE 0 END) AS BIGINT) AS with_case \
         FROM {table} f WHERE {condition} \
         GROUP BY f.mission_code, {period}, f.attack_type \
         HAVING SUM(f.incidents) <> 0"
    );
    let rows: Vec<IncidentGroupRow> = load(conn, &query, &params)?;
    Ok(rows.into_iter().map(IncidentGroup::from).collect())
}

/// The counted incidents per mission, period and attack type (as
/// `summary::counted_incident_groups`): whole years and months from the figures kept, the
/// edges counted.
pub fn incident_groups(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
) -> QueryResult<Vec<IncidentGroup>> {
    let split = Split::of(scope.from, scope.until, grouping);
    let mut groups = Vec::new();
    if let Some(years) = &split.years {
        let table = ("incident_year_figures", "year", "f.year");
        groups.extend(kept_incident_groups(conn, scope, table, years)?);
    }
    for months in &split.months {
        let table = ("incident_month_figures", "month", period_of_month(grouping));
        groups.extend(kept_incident_groups(conn, scope, table, months)?);
    }
    for edge in split.edges {
        groups.extend(counted_incident_groups(conn, &over(scope, edge), grouping)?);
    }
    Ok(groups)
}

/// The tables of the dead per year, and the column each counts them by.
const KILLED_BY_YEAR: [(&str, &str); 2] = [
    ("killed_year_by_personnel_type", "personnel_type"),
    ("killed_year_by_nationality", "nationality"),
];

#[derive(QueryableByName)]
struct KilledByRow {
    #[diesel(sql_type = Text)]
    mission: String,
    #[diesel(sql_type = Text)]
    period: String,
    /// The personnel type or the nationality.
    #[diesel(sql_type = Text)]
    counted_by: String,
    #[diesel(sql_type = BigInt)]
    killed: i64,
}

/// The dead per mission, period, personnel type and nationality (as
/// `summary::counted_dead_groups`): whole years from the figures kept (by personnel type and
/// by nationality apart), whole months too, the edges counted.
pub fn dead_groups(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
) -> QueryResult<Vec<DeadGroup>> {
    let split = Split::of(scope.from, scope.until, grouping);
    let mut groups = Vec::new();
    if let Some(years) = &split.years {
        for (table, column) in KILLED_BY_YEAR {
            let mut params = Vec::new();
            let condition = kept_condition(scope, "year", years, &mut params);
            let query = format!(
                "SELECT f.mission_code AS mission, f.year AS period, f.{column} AS counted_by, \
                    CAST(SUM(f.killed) AS BIGINT) AS killed \
                 FROM {table} f WHERE {condition} \
                 GROUP BY f.mission_code, f.year, f.{column} HAVING SUM(f.killed) <> 0"
            );
            let rows: Vec<KilledByRow> = load(conn, &query, &params)?;
            groups.extend(rows.into_iter().map(|row| {
                let (personnel_type, nationality) = if column == "personnel_type" {
                    (Some(row.counted_by), None)
                } else {
                    (None, Some(row.counted_by))
                };
                DeadGroup {
                    mission: row.mission,
                    period: row.period,
                    personnel_type,
                    nationality,
                    killed: count(row.killed),
                }
            }));
        }
    }
    for months in &split.months {
        let mut params = Vec::new();
        let condition = kept_condition(scope, "month", months, &mut params);
        let query = format!(
            "SELECT f.mission_code AS mission, {period} AS period, \
                f.personnel_type AS personnel_type, f.nationality AS nationality, \
                CAST(SUM(f.killed) AS BIGINT) AS killed \
             FROM killed_month_figures f WHERE {condition} \
             GROUP BY f.mission_code, {period}, f.personnel_type, f.nationality \
             HAVING SUM(f.killed) <> 0",
            period = period_of_month(grouping),
        );
        let rows: Vec<DeadGroupRow> = load(conn, &query, &params)?;
        groups.extend(rows.into_iter().map(DeadGroup::from));
    }
    for edge in split.edges {
        groups.extend(counted_dead_groups(conn, &over(scope, edge), grouping)?);
    }
    Ok(groups)
}

/// The counted cases per mission, period, status and closure reason (as
/// `summary::counted_case_groups`): whole months from the figures kept per clearance and
/// month of the earliest counted incident, the edges counted from each case's row.
pub fn case_groups(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
) -> QueryResult<Vec<CaseGroup>> {
    let split = Split::of(scope.from, scope.until, Grouping::Month);
    let mut groups = Vec::new();
    for months in &split.months {
        let clearance = scope.clearance().map_or("none", Clearance::code);
        let mut params = vec![Param::Text(clearance.to_string())];
        let mut condition = "f.clearance = ?".to_string();
        if let Some(missions) = &scope.missions {
            condition += &format!(" AND f.mission_code IN ({})", placeholders(missions.len()));
            params.extend(missions.iter().cloned().map(Param::Text));
        }
        for (bound, label) in [(">=", &months.0), ("<", &months.1)] {
            if let Some(label) = label {
                condition += &format!(" AND f.month {bound} ?");
                params.push(Param::Text(label.clone()));
            }
        }
        let query = format!(
            "SELECT f.mission_code AS mission, {period} AS period, f.status AS status, \
                f.closure_reason AS closure_reason, {sums}, \
                CAST(SUM(f.convicted) AS BIGINT) AS convicted, \
                CAST(SUM(f.acquitted) AS BIGINT) AS acquitted \
             FROM case_month_figures f WHERE {condition} \
             GROUP BY f.mission_code, {period}, f.status, f.closure_reason \
             HAVING SUM(f.cases) <> 0",
            period = period_of_month(grouping),
            sums = case_group_sums("SUM(f.cases)", |step| format!("SUM(f.reached_{step})")),
        );
        let rows: Vec<CaseGroupRow> = load(conn, &query, &params)?;
        groups.extend(rows.into_iter().map(CaseGroup::from));
    }
    for edge in split.edges {
        groups.extend(counted_case_groups(conn, &over(scope, edge), grouping)?);
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: &str) -> Option<NaiveDateTime> {
        Some(
            day.parse::<NaiveDate>()
                .unwrap()
                .and_time(chrono::NaiveTime::MIN),
        )
    }

    fn labels(from: Option<&str>, until: Option<&str>) -> Labels {
        (from.map(str::to_string), until.map(str::to_string))
    }

    /// Split by month, or by quarter: no year read whole.
    fn by_month(
        months: Vec<Labels>,
        edges: Vec<(Option<NaiveDateTime>, Option<NaiveDateTime>)>,
    ) -> Split {
        Split {
            years: None,
            months,
            edges,
        }
    }

    #[test]
    fn a_range_is_split_into_whole_months_and_the_days_at_its_edges() {
        let split = |from, until| Split::of(from, until, Grouping::Month);
        // 2024-01-15 to 2024-03-10, both counted: until is the day after.
        assert_eq!(
            split(at("2024-01-15"), at("2024-03-11")),
            by_month(
                vec![labels(Some("2024-02"), Some("2024-03"))],
                vec![
                    (at("2024-01-15"), at("2024-02-01")),
                    (at("2024-03-01"), at("2024-03-11"))
                ],
            )
        );
        // A whole year: no edge.
        assert_eq!(
            split(at("2024-01-01"), at("2025-01-01")),
            by_month(vec![labels(Some("2024-01"), Some("2025-01"))], vec![])
        );
        // Within one month, or across two without a whole one: all counted.
        assert_eq!(
            split(at("2024-01-15"), at("2024-01-20")),
            by_month(vec![], vec![(at("2024-01-15"), at("2024-01-20"))])
        );
        assert_eq!(
            split(at("2024-01-15"), at("2024-02-20")),
            by_month(vec![], vec![(at("2024-01-15"), at("2024-02-20"))])
        );
        // Open ends.
        assert_eq!(
            split(None, None),
            by_month(vec![labels(None, None)], vec![])
        );
        assert_eq!(
            split(at("2024-01-15"), None),
            by_month(
                vec![labels(Some("2024-02"), None)],
                vec![(at("2024-01-15"), at("2024-02-01"))]
            )
        );
        assert_eq!(
            split(None, at("2024-03-11")),
            by_month(
                vec![labels(None, Some("2024-03"))],
                vec![(at("2024-03-01"), at("2024-03-11"))]
            )
        );
    }

    #[test]
    fn by_year_the_whole_years_are_read_apart_from_the_months_around_them() {
        let split = |from, until| Split::of(from, until, Grouping::Year);
        // 2019-03-15 to 2024-06-30: the days of March 2019, the months to the end of 2019,
        // the years 2020 to 2023, the months of 2024 to June.
        assert_eq!(
            split(at("2019-03-15"), at("2024-07-01")),
            Split {
                years: Some(labels(Some("2020"), Some("2024"))),
                months: vec![
                    labels(Some("2019-04"), Some("2020-01")),
                    labels(Some("2024-01"), Some("2024-07"))
                ],
                edges: vec![(at("2019-03-15"), at("2019-04-01"))],
            }
        );
        // Everything: every year whole.
        assert_eq!(
            split(None, None),
            Split {
                years: Some(labels(None, None)),
                months: vec![],
                edges: vec![],
            }
        );
        // From a day on: its month's days, the rest of its year by month, then whole years.
        assert_eq!(
            split(at("2024-11-20"), None),
            Split {
                years: Some(labels(Some("2025"), None)),
                months: vec![labels(Some("2024-12"), Some("2025-01"))],
                edges: vec![(at("2024-11-20"), at("2024-12-01"))],
            }
        );
        // Up to a day: whole years, then its year's months, then its days.
        assert_eq!(
            split(None, at("2024-03-11")),
            Split {
                years: Some(labels(None, Some("2024"))),
                months: vec![labels(Some("2024-01"), Some("2024-03"))],
                edges: vec![(at("2024-03-01"), at("2024-03-11"))],
            }
        );
        // No whole year within: months and days only.
        assert_eq!(
            split(at("2024-02-01"), at("2024-12-01")),
            by_month(vec![labels(Some("2024-02"), Some("2024-12"))], vec![])
        );
        // A quarter reads no year whole.
        assert_eq!(
            Split::of(at("2020-01-01"), at("2024-01-01"), Grouping::Quarter),
            by_month(vec![labels(Some("2020-01"), Some("2024-01"))], vec![])
        );
    }
}
