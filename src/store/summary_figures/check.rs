//! Whether the figures kept are those the records count (`summary check`), and counting them
//! again (`summary rebuild`).

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use crate::db::{Backend, DbConnection};
use crate::domain::access::Clearance;
use crate::domain::summary::{CaseGroup, FUNNEL};
use crate::store::summary::{CaseGroupRow, Param, case_group_sums, load};

use super::KILLED_BY_YEAR;

#[derive(QueryableByName, Debug, PartialEq)]
struct IncidentRow {
    #[diesel(sql_type = Text)]
    mission_code: String,
    /// `YYYY-MM` or `YYYY`.
    #[diesel(sql_type = Text)]
    period: String,
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
    period: String,
    #[diesel(sql_type = Text)]
    classification: String,
    #[diesel(sql_type = Text)]
    personnel_type: String,
    #[diesel(sql_type = Text)]
    nationality: String,
    #[diesel(sql_type = BigInt)]
    killed: i64,
}

/// The dead of a year by personnel type or by nationality.
#[derive(QueryableByName, Debug, PartialEq)]
struct KilledByYearRow {
    #[diesel(sql_type = Text)]
    mission_code: String,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Text)]
    classification: String,
    #[diesel(sql_type = Text)]
    counted_by: String,
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
        "SELECT i.mission_code AS mission_code, {month} AS period, i.classification AS classification, \
            i.attack_type AS attack_type, {linked} AS with_case, COUNT(*) AS incidents, \
            CAST(SUM(i.killed) AS BIGINT) AS killed, CAST(SUM(i.injured) AS BIGINT) AS injured, \
            CAST(SUM(i.abducted) AS BIGINT) AS abducted, CAST(SUM(i.missing) AS BIGINT) AS missing \
         FROM incidents i WHERE i.status IN ('submitted', 'verified') \
         GROUP BY 1, 2, 3, 4, 5"
    );
    let killed = format!(
        "SELECT i.mission_code AS mission_code, {month} AS period, i.classification AS classification, \
            v.personnel_type AS personnel_type, COALESCE(v.nationality, 'unknown') AS nationality, \
            COUNT(*) AS killed \
         FROM incident_victims v JOIN incidents i ON i.id = v.incident_id \
         WHERE v.outcome = 'killed' AND i.status IN ('submitted', 'verified') \
         GROUP BY 1, 2, 3, 4, 5"
    );
    (incidents, killed)
}

/// The incident figures kept in `table` per `period` (a column, or the year of one), their
/// slots added up, without the keys that count nothing.
fn kept_incidents(table: &str, period: &str) -> String {
    format!(
        "SELECT mission_code, {period} AS period, classification, attack_type, with_case, \
            CAST(SUM(incidents) AS BIGINT) AS incidents, CAST(SUM(killed) AS BIGINT) AS killed, \
            CAST(SUM(injured) AS BIGINT) AS injured, CAST(SUM(abducted) AS BIGINT) AS abducted, \
            CAST(SUM(missing) AS BIGINT) AS missing \
         FROM {table} GROUP BY 1, 2, 3, 4, 5 \
         HAVING SUM(incidents) <> 0 OR SUM(killed) <> 0 OR SUM(injured) <> 0 \
            OR SUM(abducted) <> 0 OR SUM(missing) <> 0"
    )
}

const KEPT_KILLED: &str = "SELECT mission_code, month AS period, classification, personnel_type, \
        nationality, CAST(SUM(killed) AS BIGINT) AS killed \
     FROM killed_month_figures GROUP BY 1, 2, 3, 4, 5 HAVING SUM(killed) <> 0";

/// The dead kept in `table` per `period` and `counted_by` (personnel type or nationality).
fn kept_killed_by(table: &str, period: &str, counted_by: &str) -> String {
    format!(
        "SELECT mission_code, {period} AS period, classification, {counted_by} AS counted_by, \
            CAST(SUM(killed) AS BIGINT) AS killed \
         FROM {table} GROUP BY 1, 2, 3, 4 HAVING SUM(killed) <> 0"
    )
}

/// The first difference between the figures kept per year and their months added up (the
/// months being those the records count).
fn first_difference_of_years(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    let months: Vec<IncidentRow> = load(
        conn,
        &kept_incidents("incident_month_figures", "substr(month, 1, 4)"),
        &[],
    )?;
    let years: Vec<IncidentRow> =
        load(conn, &kept_incidents("incident_year_figures", "year"), &[])?;
    if let Some(difference) = compare(
        "incidents of the year",
        &months,
        &years,
        incident_key,
        incident_figures,
    ) {
        return Ok(Some(difference));
    }
    for (table, counted_by) in KILLED_BY_YEAR {
        let months: Vec<KilledByYearRow> = load(
            conn,
            &kept_killed_by("killed_month_figures", "substr(month, 1, 4)", counted_by),
            &[],
        )?;
        let years: Vec<KilledByYearRow> =
            load(conn, &kept_killed_by(table, "year", counted_by), &[])?;
        let key = |r: &KilledByYearRow| {
            let key = (&r.mission_code, &r.period, &r.classification);
            format!("{key:?}, {counted_by} {}", r.counted_by)
        };
        let figures = |r: &KilledByYearRow| format!("killed {}", r.killed);
        if let Some(difference) = compare("dead of the year", &months, &years, key, figures) {
            return Ok(Some(difference));
        }
    }
    Ok(None)
}

fn incident_key(r: &IncidentRow) -> String {
    let key = (
        &r.mission_code,
        &r.period,
        &r.classification,
        &r.attack_type,
    );
    format!("{key:?}, with a case: {}", r.with_case)
}

fn incident_figures(r: &IncidentRow) -> String {
    format!(
        "incidents {}, killed {}, injured {}, abducted {}, missing {}",
        r.incidents, r.killed, r.injured, r.abducted, r.missing
    )
}

/// The first difference between the figures kept and a recount of the records, in words;
/// `None` when they agree.
pub fn first_difference(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    let (incidents, killed) = recounted(conn.backend());
    let recount: Vec<IncidentRow> = load(conn, &incidents, &[])?;
    let kept: Vec<IncidentRow> = load(
        conn,
        &kept_incidents("incident_month_figures", "month"),
        &[],
    )?;
    if let Some(difference) = compare("incidents", &recount, &kept, incident_key, incident_figures)
    {
        return Ok(Some(difference));
    }
    let killed_key = |r: &KilledMonthRow| {
        let key = (&r.mission_code, &r.period, &r.classification);
        format!("{key:?}, {} of {}", r.personnel_type, r.nationality)
    };
    let killed_figures = |r: &KilledMonthRow| format!("killed {}", r.killed);
    let recount: Vec<KilledMonthRow> = load(conn, &killed, &[])?;
    let kept: Vec<KilledMonthRow> = load(conn, KEPT_KILLED, &[])?;
    if let Some(difference) = compare("dead", &recount, &kept, killed_key, killed_figures) {
        return Ok(Some(difference));
    }
    if let Some(difference) = first_difference_of_years(conn)? {
        return Ok(Some(difference));
    }
    if let Some(case) = first_miscounted_case(conn)? {
        return Ok(Some(format!(
            "the figures of case {case}: the figures kept are not those its records count"
        )));
    }
    if let Some(difference) = first_difference_of_case_months(conn)? {
        return Ok(Some(difference));
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

/// The figures of the cases per mission, month, status and closure reason of one clearance
/// (bound), as `CaseGroupRow`s: counted from each case's row, or (`kept`) the figures kept per
/// month.
fn case_months(backend: Backend, kept: bool) -> String {
    if kept {
        return format!(
            "SELECT mission_code AS mission, month AS period, status, closure_reason, {sums}, \
                CAST(SUM(convicted) AS BIGINT) AS convicted, \
                CAST(SUM(acquitted) AS BIGINT) AS acquitted \
             FROM case_month_figures WHERE clearance = ? \
             GROUP BY 1, 2, 3, 4 \
             HAVING SUM(cases) <> 0 OR {reached_any} OR SUM(convicted) <> 0 \
                OR SUM(acquitted) <> 0",
            sums = case_group_sums("SUM(cases)", |step| format!("SUM(reached_{step})")),
            reached_any = FUNNEL
                .map(|step| format!("SUM(reached_{}) <> 0", step.code()))
                .join(" OR "),
        );
    }
    format!(
        "SELECT mission_code AS mission, {month} AS period, status, \
            COALESCE(closure_reason, '') AS closure_reason, {sums}, \
            CAST(SUM(convicted) AS BIGINT) AS convicted, CAST(SUM(acquitted) AS BIGINT) AS acquitted \
         FROM case_figures_by_clearance WHERE clearance = ? AND first_at IS NOT NULL \
         GROUP BY 1, 2, 3, 4",
        month = month_of(backend, "first_at"),
        sums = case_group_sums("COUNT(*)", |step| format!("COUNT({step}_on)")),
    )
}

/// The `YYYY-MM` month of a timestamp column.
fn month_of(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Postgres => format!("to_char({column}, 'YYYY-MM')"),
        Backend::Sqlite => format!("substr({column}, 1, 7)"),
    }
}

/// The first difference between the figures of the cases kept per month and those each case's
/// row counts (the rows being those the records count, compared first).
fn first_difference_of_case_months(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    for clearance in Clearance::ALL {
        let bound = [Param::Text(clearance.code().to_string())];
        let mut read = |kept| -> QueryResult<Vec<CaseGroup>> {
            let rows: Vec<CaseGroupRow> = load(conn, &case_months(conn.backend(), kept), &bound)?;
            Ok(rows.into_iter().map(CaseGroup::from).collect())
        };
        let (recount, kept) = (read(false)?, read(true)?);
        let key = |g: &CaseGroup| {
            let key = (&g.mission, &g.period, &g.status, &g.closure_reason);
            format!("{key:?} for {} readers", clearance.code())
        };
        let figures = |g: &CaseGroup| {
            format!(
                "cases {}, reached {:?}, convicted {}, acquitted {}",
                g.cases, g.reached, g.accused_convicted, g.accused_acquitted
            )
        };
        if let Some(difference) = compare("cases of the month", &recount, &kept, key, figures) {
            return Ok(Some(difference));
        }
    }
    Ok(None)
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
         SELECT mission_code, period, classification, attack_type, with_case, 0, incidents, \
            killed, injured, abducted, missing FROM ({incidents}) AS counted"
    ))
    .execute(conn)?;
    diesel::sql_query(format!(
        "INSERT INTO killed_month_figures (mission_code, month, classification, personnel_type, \
            nationality, slot, killed) \
         SELECT mission_code, period, classification, personnel_type, nationality, 0, killed \
         FROM ({killed}) AS counted"
    ))
    .execute(conn)?;
    // The years from their months, as their migration first counted them.
    for table in [
        "incident_year_figures",
        "killed_year_by_personnel_type",
        "killed_year_by_nationality",
    ] {
        diesel::sql_query(format!("DELETE FROM {table}")).execute(conn)?;
    }
    diesel::sql_query(
        "INSERT INTO incident_year_figures \
         SELECT mission_code, substr(month, 1, 4), classification, attack_type, with_case, 0, \
            SUM(incidents), SUM(killed), SUM(injured), SUM(abducted), SUM(missing) \
         FROM incident_month_figures GROUP BY 1, 2, 3, 4, 5",
    )
    .execute(conn)?;
    for (table, counted_by) in KILLED_BY_YEAR {
        diesel::sql_query(format!(
            "INSERT INTO {table} \
             SELECT mission_code, substr(month, 1, 4), classification, {counted_by}, 0, SUM(killed) \
             FROM killed_month_figures GROUP BY 1, 2, 3, 4"
        ))
        .execute(conn)?;
    }
    diesel::sql_query("DELETE FROM case_figures").execute(conn)?;
    diesel::sql_query("INSERT INTO case_figures SELECT * FROM case_figures_counted")
        .execute(conn)?;
    diesel::sql_query("DELETE FROM case_month_figures").execute(conn)?;
    diesel::sql_query(format!(
        "INSERT INTO case_month_figures \
         SELECT clearance, mission_code, {month}, status, COALESCE(closure_reason, ''), 0, \
            COUNT(*), {reached}, SUM(convicted), SUM(acquitted) \
         FROM case_figures_by_clearance WHERE first_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5",
        month = month_of(conn.backend(), "first_at"),
        reached = FUNNEL
            .map(|step| format!("COUNT({}_on)", step.code()))
            .join(", "),
    ))
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::domain::case::CaseStatus;
    use crate::domain::summary::{FUNNEL, path_rank};

    /// The case figures' migrations name, for each step of the funnel, the statuses at it or
    /// beyond (SQL cannot ask the domain): they must be those `path_rank` puts there.
    #[test]
    fn the_case_figures_count_each_step_as_the_domain_ranks_it() {
        let migrations = [
            include_str!("../../../migrations/postgres/2026-12-07-000020_case_figures/up.sql"),
            include_str!("../../../migrations/sqlite/2026-12-07-000020_case_figures/up.sql"),
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
}
