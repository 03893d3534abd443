//! The summaries' figures as the database keeps them, in the transaction of every change
//! (`incident_month_figures`, `killed_month_figures` and `case_figures`, kept by triggers: see
//! their migrations). A summary reads the months its range covers whole from there, and counts
//! the days at the range's edges from the incidents, so any range of days is exact; it reads
//! the cases from their rows (`store::summary::for_each_counted_case`).

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use crate::db::{Backend, DbConnection};
use crate::domain::summary::{DeadGroup, Grouping, IncidentGroup};

use super::summary::{
    DeadGroupRow, IncidentGroupRow, Param, Scope, counted_dead_groups, counted_incident_groups,
    load, placeholders,
};

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

/// A scope's range as whole months, read from the figures kept, and the days at its edges,
/// counted from the records.
#[derive(Debug, PartialEq)]
struct Split {
    /// The whole months `[from, until)` (`YYYY-MM`; `None`: no bound), if any.
    months: Option<(Option<String>, Option<String>)>,
    /// The ranges of time at the edges, `[from, until)`.
    edges: Vec<(Option<NaiveDateTime>, Option<NaiveDateTime>)>,
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn month_label(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

impl Split {
    fn of(from: Option<NaiveDateTime>, until: Option<NaiveDateTime>) -> Split {
        // The first whole month begins on `from`, or on the first of the month after it.
        let whole_from = from.map(|from| {
            let month = first_of_month(from.date());
            if month.and_time(chrono::NaiveTime::MIN) == from {
                month
            } else {
                month.checked_add_months(Months::new(1)).unwrap_or(month)
            }
        });
        // The last whole month ends before the month of `until` begins.
        let whole_until = until.map(|until| first_of_month(until.date()));
        let at = |day: NaiveDate| day.and_time(chrono::NaiveTime::MIN);
        match (whole_from, whole_until) {
            (Some(start), Some(end)) if start >= end => Split {
                months: None,
                edges: vec![(from, until)],
            },
            _ => {
                let mut edges = Vec::new();
                if let (Some(from), Some(start)) = (from, whole_from)
                    && from < at(start)
                {
                    edges.push((Some(from), Some(at(start))));
                }
                if let (Some(end), Some(until)) = (whole_until, until)
                    && at(end) < until
                {
                    edges.push((Some(at(end)), Some(until)));
                }
                Split {
                    months: Some((whole_from.map(month_label), whole_until.map(month_label))),
                    edges,
                }
            }
        }
    }
}

/// ` AND f.classification IN (...) AND f.mission_code IN (...) AND f.month >= ? AND f.month < ?`
fn kept_condition(
    scope: &Scope,
    months: &(Option<String>, Option<String>),
    params: &mut Vec<Param>,
) -> String {
    let mut condition = format!(
        "f.classification IN ({})",
        placeholders(scope.classifications.len())
    );
    params.extend(scope.classifications.iter().cloned().map(Param::Text));
    if let Some(missions) = &scope.missions {
        condition += &format!(" AND f.mission_code IN ({})", placeholders(missions.len()));
        params.extend(missions.iter().cloned().map(Param::Text));
    }
    if let Some(from) = &months.0 {
        condition += " AND f.month >= ?";
        params.push(Param::Text(from.clone()));
    }
    if let Some(until) = &months.1 {
        condition += " AND f.month < ?";
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

/// The counted incidents per mission, period and attack type (as
/// `summary::counted_incident_groups`): whole months from the figures kept, the edges counted.
pub fn incident_groups(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
) -> QueryResult<Vec<IncidentGroup>> {
    let split = Split::of(scope.from, scope.until);
    let mut groups = Vec::new();
    if let Some(months) = &split.months {
        let mut params = Vec::new();
        let condition = kept_condition(scope, months, &mut params);
        let query = format!(
            "SELECT f.mission_code AS mission, {period} AS period, f.attack_type AS attack_type, \
                CAST(SUM(f.incidents) AS BIGINT) AS incidents, CAST(SUM(f.killed) AS BIGINT) AS killed, \
                CAST(SUM(f.injured) AS BIGINT) AS injured, CAST(SUM(f.abducted) AS BIGINT) AS abducted, \
                CAST(SUM(f.missing) AS BIGINT) AS missing, \
                CAST(SUM(CASE WHEN f.with_case THEN f.incidents ELSE 0 END) AS BIGINT) AS with_case \
             FROM incident_month_figures f WHERE {condition} \
             GROUP BY f.mission_code, {period}, f.attack_type \
             HAVING SUM(f.incidents) <> 0",
            period = period_of_month(grouping),
        );
        let rows: Vec<IncidentGroupRow> = load(conn, &query, &params)?;
        groups.extend(rows.into_iter().map(IncidentGroup::from));
    }
    for edge in split.edges {
        groups.extend(counted_incident_groups(conn, &over(scope, edge), grouping)?);
    }
    Ok(groups)
}

/// The dead per mission, period, personnel type and nationality (as
/// `summary::counted_dead_groups`): whole months from the figures kept, the edges counted.
pub fn dead_groups(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
) -> QueryResult<Vec<DeadGroup>> {
    let split = Split::of(scope.from, scope.until);
    let mut groups = Vec::new();
    if let Some(months) = &split.months {
        let mut params = Vec::new();
        let condition = kept_condition(scope, months, &mut params);
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

#[derive(QueryableByName, Debug, PartialEq)]
struct IncidentMonthRow {
    #[diesel(sql_type = Text)]
    mission_code: String,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = Text)]
    classification: String,
    #[diesel(sql_type = Text)]
    attack_type: String,
    #[diesel(sql_type = Bool)]
    with_case: bool,
    #[diesel(sql_type = BigInt)]
    incidents: i64,
    #[diesel(sql_type = BigInt)]
    killed: i64,
    #[diesel(sql_type = BigInt)]
    injured: i64,
    #[diesel(sql_type = BigInt)]
    abducted: i64,
    #[diesel(sql_type = BigInt)]
    missing: i64,
}

#[derive(QueryableByName, Debug, PartialEq)]
struct KilledMonthRow {
    #[diesel(sql_type = Text)]
    mission_code: String,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = Text)]
    classification: String,
    #[diesel(sql_type = Text)]
    personnel_type: String,
    #[diesel(sql_type = Text)]
    nationality: String,
    #[diesel(sql_type = BigInt)]
    killed: i64,
}

/// The figures as the records give them now, one row per key (slot 0), as the migration first
/// wrote them.
fn recounted(backend: Backend) -> (String, String) {
    let (month, linked) = match backend {
        Backend::Postgres => ("to_char(i.occurred_at, 'YYYY-MM')", "incident_linked(i.id)"),
        Backend::Sqlite => (
            "substr(i.occurred_at, 1, 7)",
            "EXISTS (SELECT 1 FROM case_incidents l WHERE l.incident_id = i.id)",
        ),
    };
    let incidents = format!(
        "SELECT i.mission_code AS mission_code, {month} AS month, i.classification AS classification, \
            i.attack_type AS attack_type, {linked} AS with_case, COUNT(*) AS incidents, \
            CAST(SUM(i.killed) AS BIGINT) AS killed, CAST(SUM(i.injured) AS BIGINT) AS injured, \
            CAST(SUM(i.abducted) AS BIGINT) AS abducted, CAST(SUM(i.missing) AS BIGINT) AS missing \
         FROM incidents i WHERE i.status IN ('submitted', 'verified') \
         GROUP BY 1, 2, 3, 4, 5"
    );
    let killed = format!(
        "SELECT i.mission_code AS mission_code, {month} AS month, i.classification AS classification, \
            v.personnel_type AS personnel_type, COALESCE(v.nationality, 'unknown') AS nationality, \
            COUNT(*) AS killed \
         FROM incident_victims v JOIN incidents i ON i.id = v.incident_id \
         WHERE v.outcome = 'killed' AND i.status IN ('submitted', 'verified') \
         GROUP BY 1, 2, 3, 4, 5"
    );
    (incidents, killed)
}

/// The figures kept, their slots added up, without the keys that count nothing.
const KEPT_INCIDENTS: &str = "SELECT mission_code, month, classification, attack_type, with_case, \
        CAST(SUM(incidents) AS BIGINT) AS incidents, CAST(SUM(killed) AS BIGINT) AS killed, \
        CAST(SUM(injured) AS BIGINT) AS injured, CAST(SUM(abducted) AS BIGINT) AS abducted, \
        CAST(SUM(missing) AS BIGINT) AS missing \
     FROM incident_month_figures GROUP BY 1, 2, 3, 4, 5 \
     HAVING SUM(incidents) <> 0 OR SUM(killed) <> 0 OR SUM(injured) <> 0 \
        OR SUM(abducted) <> 0 OR SUM(missing) <> 0";
const KEPT_KILLED: &str = "SELECT mission_code, month, classification, personnel_type, nationality, \
        CAST(SUM(killed) AS BIGINT) AS killed \
     FROM killed_month_figures GROUP BY 1, 2, 3, 4, 5 HAVING SUM(killed) <> 0";

/// The first difference between the figures kept and a recount of the records, in words;
/// `None` when they agree.
pub fn first_difference(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    let (incidents, killed) = recounted(conn.backend());
    let incident_key = |r: &IncidentMonthRow| {
        let key = (&r.mission_code, &r.month, &r.classification, &r.attack_type);
        format!("{key:?}, with a case: {}", r.with_case)
    };
    let incident_figures = |r: &IncidentMonthRow| {
        format!(
            "incidents {}, killed {}, injured {}, abducted {}, missing {}",
            r.incidents, r.killed, r.injured, r.abducted, r.missing
        )
    };
    let recount: Vec<IncidentMonthRow> = load(conn, &incidents, &[])?;
    let kept: Vec<IncidentMonthRow> = load(conn, KEPT_INCIDENTS, &[])?;
    if let Some(difference) = compare("incidents", &recount, &kept, incident_key, incident_figures)
    {
        return Ok(Some(difference));
    }
    let killed_key = |r: &KilledMonthRow| {
        let key = (&r.mission_code, &r.month, &r.classification);
        format!("{key:?}, {} of {}", r.personnel_type, r.nationality)
    };
    let killed_figures = |r: &KilledMonthRow| format!("killed {}", r.killed);
    let recount: Vec<KilledMonthRow> = load(conn, &killed, &[])?;
    let kept: Vec<KilledMonthRow> = load(conn, KEPT_KILLED, &[])?;
    if let Some(difference) = compare("dead", &recount, &kept, killed_key, killed_figures) {
        return Ok(Some(difference));
    }
    if let Some(case) = first_miscounted_case(conn)? {
        return Ok(Some(format!(
            "the figures of case {case}: the figures kept are not those its records count"
        )));
    }
    if conn.backend() == Backend::Postgres {
        let miscounted: Vec<LinkCount> = load(conn, MISCOUNTED_LINKS, &[])?;
        if let Some(link) = miscounted.first() {
            return Ok(Some(format!(
                "cases covering incident {}: the records count {}, the figures kept say {}",
                link.incident_id, link.counted, link.kept
            )));
        }
    }
    Ok(None)
}

#[derive(QueryableByName)]
struct CaseId {
    #[diesel(sql_type = Text)]
    case_id: String,
}

/// The first case, by id, whose row of figures kept is not the one its records count (or that
/// has one and should not, or none and should).
fn first_miscounted_case(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    let mut miscounted = Vec::new();
    for (these, those) in [
        ("case_figures", "case_figures_counted"),
        ("case_figures_counted", "case_figures"),
    ] {
        let query = format!(
            "SELECT case_id FROM (SELECT * FROM {these} EXCEPT SELECT * FROM {those}) AS differing \
             ORDER BY case_id LIMIT 1"
        );
        let rows: Vec<CaseId> = load(conn, &query, &[])?;
        miscounted.extend(rows.into_iter().map(|row| row.case_id));
    }
    Ok(miscounted.into_iter().min())
}

#[derive(QueryableByName)]
struct LinkCount {
    #[diesel(sql_type = Text)]
    incident_id: String,
    #[diesel(sql_type = BigInt)]
    counted: i64,
    #[diesel(sql_type = BigInt)]
    kept: i64,
}

/// PostgreSQL counts the cases covering each incident (`incident_case_links`, see the
/// migration): the first incident whose count is not that of its links.
const MISCOUNTED_LINKS: &str = "SELECT COALESCE(l.incident_id, c.incident_id) AS incident_id, \
        COALESCE(c.links, 0) AS counted, CAST(COALESCE(l.cases, 0) AS BIGINT) AS kept \
     FROM incident_case_links l \
        FULL JOIN (SELECT incident_id, COUNT(*) AS links FROM case_incidents GROUP BY incident_id) c \
            ON c.incident_id = l.incident_id \
     WHERE COALESCE(c.links, 0) <> COALESCE(l.cases, 0) \
     ORDER BY 1 LIMIT 1";

/// The first key, in order, whose figures the recount and the figures kept do not share.
fn compare<R>(
    what: &str,
    recount: &[R],
    kept: &[R],
    key: impl Fn(&R) -> String,
    figures: impl Fn(&R) -> String,
) -> Option<String> {
    let by_key = |rows: &[R]| -> BTreeMap<String, String> {
        rows.iter().map(|r| (key(r), figures(r))).collect()
    };
    let (recount, kept) = (by_key(recount), by_key(kept));
    let keys: std::collections::BTreeSet<&String> = recount.keys().chain(kept.keys()).collect();
    let none = "nothing".to_string();
    keys.into_iter().find_map(|k| {
        let (counted, held) = (
            recount.get(k).unwrap_or(&none),
            kept.get(k).unwrap_or(&none),
        );
        (counted != held).then(|| {
            format!("{what} of {k}: the records count {counted}, the figures kept say {held}")
        })
    })
}

/// Counts the figures again from the records (after a restore or a repair by hand), in the
/// caller's transaction.
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    let (incidents, killed) = recounted(conn.backend());
    if conn.backend() == Backend::Postgres {
        // Writers wait for the rebuild: a change committed meanwhile would be counted twice,
        // once by the recount and once by its trigger. (SQLite has one writer at a time.)
        diesel::sql_query(
            "LOCK TABLE incidents, incident_victims, cases, case_incidents, case_transitions, \
             case_accused IN SHARE MODE",
        )
        .execute(conn)?;
        diesel::sql_query("DELETE FROM incident_case_links").execute(conn)?;
        diesel::sql_query(
            "INSERT INTO incident_case_links \
             SELECT incident_id, COUNT(*) FROM case_incidents GROUP BY incident_id",
        )
        .execute(conn)?;
    }
    diesel::sql_query("DELETE FROM incident_month_figures").execute(conn)?;
    diesel::sql_query("DELETE FROM killed_month_figures").execute(conn)?;
    diesel::sql_query(format!(
        "INSERT INTO incident_month_figures (mission_code, month, classification, attack_type, \
            with_case, slot, incidents, killed, injured, abducted, missing) \
         SELECT mission_code, month, classification, attack_type, with_case, 0, incidents, \
            killed, injured, abducted, missing FROM ({incidents}) AS counted"
    ))
    .execute(conn)?;
    diesel::sql_query(format!(
        "INSERT INTO killed_month_figures (mission_code, month, classification, personnel_type, \
            nationality, slot, killed) \
         SELECT mission_code, month, classification, personnel_type, nationality, 0, killed \
         FROM ({killed}) AS counted"
    ))
    .execute(conn)?;
    diesel::sql_query("DELETE FROM case_figures").execute(conn)?;
    diesel::sql_query("INSERT INTO case_figures SELECT * FROM case_figures_counted")
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::CaseStatus;
    use crate::domain::summary::{FUNNEL, path_rank};

    /// The case figures' migrations name, for each step of the funnel, the statuses at it or
    /// beyond (SQL cannot ask the domain): they must be those `path_rank` puts there.
    #[test]
    fn the_case_figures_count_each_step_as_the_domain_ranks_it() {
        let migrations = [
            include_str!("../../migrations/postgres/2026-12-07-000020_case_figures/up.sql"),
            include_str!("../../migrations/sqlite/2026-12-07-000020_case_figures/up.sql"),
        ];
        for sql in migrations {
            for step in FUNNEL {
                let at_or_beyond: Vec<&str> = CaseStatus::ALL
                    .into_iter()
                    .filter(|s| path_rank(*s).is_some() && path_rank(*s) >= path_rank(step))
                    .map(CaseStatus::code)
                    .collect();
                // The statuses quoted between the step's `to_status` and its column's name.
                let column = format!("AS {}_on", step.code());
                let end = sql.find(&column).expect("a column for each step");
                let start = sql[..end].rfind("t.to_status").expect("its statuses");
                let named: Vec<&str> = sql[start..end].split('\'').skip(1).step_by(2).collect();
                assert_eq!(named, at_or_beyond, "{}", step.code());
            }
        }
    }

    fn at(day: &str) -> Option<NaiveDateTime> {
        Some(
            day.parse::<NaiveDate>()
                .unwrap()
                .and_time(chrono::NaiveTime::MIN),
        )
    }

    fn months(from: Option<&str>, until: Option<&str>) -> Option<(Option<String>, Option<String>)> {
        Some((from.map(str::to_string), until.map(str::to_string)))
    }

    #[test]
    fn a_range_is_split_into_whole_months_and_the_days_at_its_edges() {
        // 2024-01-15 to 2024-03-10, both counted: until is the day after.
        assert_eq!(
            Split::of(at("2024-01-15"), at("2024-03-11")),
            Split {
                months: months(Some("2024-02"), Some("2024-03")),
                edges: vec![
                    (at("2024-01-15"), at("2024-02-01")),
                    (at("2024-03-01"), at("2024-03-11"))
                ],
            }
        );
        // A whole year: no edge.
        assert_eq!(
            Split::of(at("2024-01-01"), at("2025-01-01")),
            Split {
                months: months(Some("2024-01"), Some("2025-01")),
                edges: vec![],
            }
        );
        // Within one month, or across two without a whole one: all counted.
        assert_eq!(
            Split::of(at("2024-01-15"), at("2024-01-20")),
            Split {
                months: None,
                edges: vec![(at("2024-01-15"), at("2024-01-20"))],
            }
        );
        assert_eq!(
            Split::of(at("2024-01-15"), at("2024-02-20")),
            Split {
                months: None,
                edges: vec![(at("2024-01-15"), at("2024-02-20"))],
            }
        );
        // Open ends.
        assert_eq!(
            Split::of(None, None),
            Split {
                months: months(None, None),
                edges: vec![],
            }
        );
        assert_eq!(
            Split::of(at("2024-01-15"), None),
            Split {
                months: months(Some("2024-02"), None),
                edges: vec![(at("2024-01-15"), at("2024-02-01"))],
            }
        );
        assert_eq!(
            Split::of(None, at("2024-03-11")),
            Split {
                months: months(None, Some("2024-03")),
                edges: vec![(at("2024-03-01"), at("2024-03-11"))],
            }
        );
    }
}
