//! The rows an annual report is made from: the cases a reader may count (those with a submitted
//! or verified incident of a classification the reader may count, as in the summaries), their
//! steps and verdicts, the nationals killed and injured in the attacks of the period, and the
//! assistance that ran in it.

use chrono::{Days, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp};

use super::summary::{Param, load, placeholders};
use crate::db::DbConnection;
use crate::db::schema::assistance;
use crate::domain::access::Clearance;
use crate::domain::annual_report::{
    NationalCasualties, Period, ReportCase, ReportRows, ReportStep, ReportVerdict,
    STALLED_AFTER_DAYS, StalledCount,
};
use crate::domain::assistance::Assistance;

/// What a reader may count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportScope {
    /// `None`: every mission.
    pub missions: Option<Vec<String>>,
    pub classifications: Vec<Clearance>,
}

/// The incidents (`i`) the scope counts, as a condition, with its values.
fn counted(scope: &ReportScope, params: &mut Vec<Param>) -> String {
    let mut condition = format!(
        "i.status IN ('submitted', 'verified') AND i.classification IN ({})",
        placeholders(scope.classifications.len())
    );
    params.extend(
        scope
            .classifications
            .iter()
            .map(|c| Param::Text(c.code().to_string())),
    );
    if let Some(missions) = &scope.missions {
        condition += &format!(" AND i.mission_code IN ({})", placeholders(missions.len()));
        params.extend(missions.iter().cloned().map(Param::Text));
    }
    condition
}

/// ` AND i.occurred_at` within the period's days.
fn occurred_in(period: Period, params: &mut Vec<Param>) -> String {
    let midnight = |day: NaiveDate| day.and_hms_opt(0, 0, 0).unwrap_or_default();
    params.push(Param::Time(midnight(period.from)));
    params.push(Param::Time(midnight(
        period
            .to
            .checked_add_days(Days::new(1))
            .unwrap_or(period.to),
    )));
    " AND i.occurred_at >= ? AND i.occurred_at < ?".to_string()
}

/// The cases (`c`) of the scope's missions, as a condition.
fn missions_of_cases(scope: &ReportScope, params: &mut Vec<Param>) -> String {
    match &scope.missions {
        None => "1 = 1".to_string(),
        Some(missions) => {
            params.extend(missions.iter().cloned().map(Param::Text));
            format!("c.mission_code IN ({})", placeholders(missions.len()))
        }
    }
}

/// The cases (`c`) the scope counts, as a condition: those with a submitted or verified
/// incident of a classification the reader may count, of the scope's missions.
fn counted_case(scope: &ReportScope, params: &mut Vec<Param>) -> String {
    params.extend(
        scope
            .classifications
            .iter()
            .map(|c| Param::Text(c.code().to_string())),
    );
    let classified = format!(
        "c.reaching_classification IN ({})",
        placeholders(scope.classifications.len())
    );
    format!("{classified} AND {}", missions_of_cases(scope, params))
}

/// A classification column as its rank, lowest first.
fn rank_of(column: &str) -> String {
    let ranks = Clearance::ALL
        .into_iter()
        .enumerate()
        .map(|(rank, c)| format!("WHEN '{}' THEN {rank}", c.code()))
        .collect::<Vec<_>>()
        .join(" ");
    format!("CASE {column} {ranks} END")
}

fn clearance_of_rank(rank: i32) -> Clearance {
    usize::try_from(rank)
        .ok()
        .and_then(|rank| Clearance::ALL.get(rank).copied())
        .unwrap_or(Clearance::StrictlyConfidential)
}

#[derive(QueryableByName)]
struct CaseRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    reference: String,
    #[diesel(sql_type = Text)]
    jurisdiction: String,
    #[diesel(sql_type = Nullable<Text>)]
    jurisdiction_state: Option<String>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Date)]
    opened_on: NaiveDate,
    #[diesel(sql_type = Timestamp)]
    first_at: NaiveDateTime,
    #[diesel(sql_type = Integer)]
    top_rank: i32,
}

#[derive(QueryableByName)]
struct StepRow {
    #[diesel(sql_type = Text)]
    case_id: String,
    #[diesel(sql_type = Integer)]
    position: i32,
    #[diesel(sql_type = Text)]
    to_status: String,
    #[diesel(sql_type = Date)]
    effective_on: NaiveDate,
    #[diesel(sql_type = Nullable<Text>)]
    closure_reason: Option<String>,
}

#[derive(QueryableByName)]
struct VerdictRow {
    #[diesel(sql_type = Text)]
    case_id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    verdict: String,
    #[diesel(sql_type = Nullable<Date>)]
    verdict_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    sentence_type: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    sentence_months: Option<i32>,
}

#[derive(QueryableByName)]
struct CasualtyRow {
    #[diesel(sql_type = Text)]
    country: String,
    #[diesel(sql_type = Text)]
    classification: String,
    #[diesel(sql_type = BigInt)]
    killed: i64,
    #[diesel(sql_type = BigInt)]
    injured: i64,
}

#[derive(QueryableByName)]
struct StalledRow {
    #[diesel(sql_type = Nullable<Text>)]
    jurisdiction_state: Option<String>,
    #[diesel(sql_type = Text)]
    jurisdiction: String,
    #[diesel(sql_type = BigInt)]
    stalled: i64,
    #[diesel(sql_type = Integer)]
    top_rank: i32,
}

#[derive(QueryableByName)]
struct NationalCaseRow {
    #[diesel(sql_type = Text)]
    country: String,
    #[diesel(sql_type = Text)]
    case_id: String,
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The rows of a report, as things stand on `as_of` (the period's end, or today for a period
/// not over).
///
/// Only the cases the period touches are read one by one: opened, moved or judged in it, or on
/// an attack of it. Whether a case counts is read from the classification the database keeps on
/// it (`cases.reaching_classification`, the lowest of its submitted and verified incidents):
/// a case counts for a reader whose clearance covers it. The cases stalled at the period's end
/// are counted by the database, per court.
pub fn rows(
    conn: &mut DbConnection,
    scope: &ReportScope,
    period: Period,
    as_of: NaiveDate,
) -> QueryResult<ReportRows> {
    let mut params = Vec::new();
    let case_counts = counted_case(scope, &mut params);
    params.extend([Param::Day(period.from), Param::Day(period.to)]);
    params.extend([Param::Day(period.from), Param::Day(period.to)]);
    params.extend([Param::Day(period.from), Param::Day(period.to)]);
    let attacks = counted(scope, &mut params) + &occurred_in(period, &mut params);
    let case_counts_again = counted_case(scope, &mut params);
    let incident_counted = counted(scope, &mut params);
    let rank = rank_of("i.classification");
    let cases: Vec<CaseRow> = load(
        conn,
        &format!(
            "WITH touched AS ( \
                SELECT c.id AS case_id FROM cases c \
                    WHERE {case_counts} AND c.opened_on >= ? AND c.opened_on <= ? \
                UNION SELECT t.case_id FROM case_transitions t \
                    WHERE t.effective_on >= ? AND t.effective_on <= ? \
                UNION SELECT a.case_id FROM case_accused a \
                    WHERE a.verdict <> 'pending' AND a.verdict_on >= ? AND a.verdict_on <= ? \
                UNION SELECT l.case_id FROM incidents i JOIN case_incidents l \
                    ON l.incident_id = i.id WHERE {attacks}) \
             SELECT c.id, c.reference, c.jurisdiction, c.jurisdiction_state, c.status, \
                c.opened_on, MIN(i.occurred_at) AS first_at, \
                CAST(MAX({rank}) AS INTEGER) AS top_rank \
             FROM touched x JOIN cases c ON c.id = x.case_id \
                JOIN case_incidents l ON l.case_id = c.id \
                JOIN incidents i ON i.id = l.incident_id \
             WHERE {case_counts_again} AND {incident_counted} \
             GROUP BY c.id, c.reference, c.jurisdiction, c.jurisdiction_state, c.status, \
                c.opened_on"
        ),
        &params,
    )?;

    // The steps and verdicts of the period, for the scope's missions; those of cases the reader
    // may not count are left out when the tables are added up.
    let mut params = Vec::new();
    let missions = missions_of_cases(scope, &mut params);
    params.extend([Param::Day(period.from), Param::Day(period.to)]);
    let steps: Vec<StepRow> = load(
        conn,
        &format!(
            "SELECT t.case_id, t.position, t.to_status, t.effective_on, t.closure_reason \
             FROM case_transitions t JOIN cases c ON c.id = t.case_id \
             WHERE {missions} AND t.effective_on >= ? AND t.effective_on <= ?"
        ),
        &params,
    )?;

    let mut params = Vec::new();
    let missions = missions_of_cases(scope, &mut params);
    params.extend([Param::Day(period.from), Param::Day(period.to)]);
    let verdicts: Vec<VerdictRow> = load(
        conn,
        &format!(
            "SELECT a.case_id, a.name, a.verdict, a.verdict_on, a.sentence_type, \
                a.sentence_months \
             FROM case_accused a JOIN cases c ON c.id = a.case_id \
             WHERE {missions} AND a.verdict <> 'pending' AND a.verdict_on >= ? \
                AND a.verdict_on <= ?"
        ),
        &params,
    )?;

    // Where each counted case stood on `as_of`: as it stands now when it has not moved since,
    // else its last step by then (a timeline's days never go back: the highest position).
    let mut params = vec![
        Param::Day(as_of),
        Param::Day(as_of),
        Param::Day(as_of),
        Param::Day(as_of),
    ];
    let case_counts = counted_case(scope, &mut params);
    params.push(Param::Day(as_of));
    let stalled_before = as_of
        .checked_sub_days(Days::new(STALLED_AFTER_DAYS as u64))
        .unwrap_or(as_of);
    params.push(Param::Day(stalled_before));
    let reaching_rank = rank_of("s.reaching_classification");
    let step_then = |column: &str| {
        format!(
            "(SELECT t.{column} FROM case_transitions t WHERE t.case_id = c.id \
                AND t.effective_on <= ? ORDER BY t.position DESC LIMIT 1)"
        )
    };
    let stalled: Vec<StalledRow> = load(
        conn,
        &format!(
            "SELECT s.jurisdiction_state, s.jurisdiction, COUNT(*) AS stalled, \
                CAST(MAX({reaching_rank}) AS INTEGER) AS top_rank \
             FROM (SELECT c.jurisdiction_state, c.jurisdiction, c.reaching_classification, \
                    CASE WHEN c.last_moved_on <= ? THEN c.status ELSE {status_then} END \
                        AS status_then, \
                    CASE WHEN c.last_moved_on <= ? THEN c.last_moved_on ELSE {day_then} END \
                        AS moved_then \
                FROM cases c WHERE {case_counts} AND c.opened_on <= ?) s \
             WHERE s.status_then NOT IN ('final', 'closed') AND s.moved_then < ? \
             GROUP BY s.jurisdiction_state, s.jurisdiction",
            status_then = step_then("to_status"),
            day_then = step_then("effective_on"),
        ),
        &params,
    )?;

    // The nationals in the attacks of the period, counted as the summary counts its dead.
    let mut params = Vec::new();
    let condition = counted(scope, &mut params) + &occurred_in(period, &mut params);
    let casualties: Vec<CasualtyRow> = load(
        conn,
        &format!(
            "SELECT COALESCE(v.nationality, 'unknown') AS country, i.classification, \
                CAST(SUM(CASE WHEN v.outcome = 'killed' THEN 1 ELSE 0 END) AS BIGINT) AS killed, \
                CAST(SUM(CASE WHEN v.outcome = 'injured' THEN 1 ELSE 0 END) AS BIGINT) AS injured \
             FROM incidents i JOIN incident_victims v ON v.incident_id = i.id \
             WHERE {condition} \
             GROUP BY COALESCE(v.nationality, 'unknown'), i.classification"
        ),
        &params,
    )?;
    let mut params = Vec::new();
    let condition = counted(scope, &mut params) + &occurred_in(period, &mut params);
    let national_cases: Vec<NationalCaseRow> = load(
        conn,
        &format!(
            "SELECT DISTINCT v.nationality AS country, l.case_id \
             FROM incident_victims v JOIN incidents i ON i.id = v.incident_id \
                JOIN case_incidents l ON l.incident_id = i.id \
             WHERE v.nationality IS NOT NULL AND {condition}"
        ),
        &params,
    )?;

    let mut merged: Vec<NationalCasualties> = Vec::new();
    for row in casualties {
        // A code the registry does not know (a row changed by hand) counts as the highest.
        let classification =
            Clearance::from_code(&row.classification).unwrap_or(Clearance::StrictlyConfidential);
        match merged.iter_mut().find(|c| c.country == row.country) {
            Some(figures) => {
                figures.killed += count(row.killed);
                figures.injured += count(row.injured);
                figures.classification = figures.classification.max(classification);
            }
            None => merged.push(NationalCasualties {
                country: row.country,
                killed: count(row.killed),
                injured: count(row.injured),
                classification,
            }),
        }
    }
    let rows = ReportRows {
        cases: cases
            .into_iter()
            .map(|c| ReportCase {
                id: c.id,
                reference: c.reference,
                jurisdiction: c.jurisdiction,
                jurisdiction_state: c.jurisdiction_state,
                status: c.status,
                opened_on: c.opened_on,
                attacked_on: c.first_at.date(),
                classification: clearance_of_rank(c.top_rank),
            })
            .collect(),
        steps: steps
            .into_iter()
            .map(|s| ReportStep {
                case_id: s.case_id,
                position: s.position,
                to_status: s.to_status,
                effective_on: s.effective_on,
                closure_reason: s.closure_reason,
            })
            .collect(),
        verdicts: verdicts
            .into_iter()
            .map(|v| ReportVerdict {
                case_id: v.case_id,
                name: v.name,
                verdict: v.verdict,
                verdict_on: v.verdict_on,
                sentence_type: v.sentence_type,
                sentence_months: v.sentence_months,
            })
            .collect(),
        casualties: merged,
        national_cases: national_cases
            .into_iter()
            .map(|n| (n.country, n.case_id))
            .collect(),
        stalled: stalled
            .into_iter()
            .map(|row| StalledCount {
                state: row.jurisdiction_state,
                jurisdiction: row.jurisdiction,
                cases: count(row.stalled),
                classification: clearance_of_rank(row.top_rank),
            })
            .collect(),
        assistance: assistance_in(conn, scope, period)?,
    };
    Ok(rows)
}

/// The assistance of the scope's missions that ran at some time in the period.
fn assistance_in(
    conn: &mut DbConnection,
    scope: &ReportScope,
    period: Period,
) -> QueryResult<Vec<Assistance>> {
    let mut query = assistance::table
        .filter(assistance::from_on.le(period.to))
        .filter(
            assistance::to_on
                .is_null()
                .or(assistance::to_on.ge(period.from)),
        )
        .into_boxed();
    if let Some(missions) = &scope.missions {
        query = query.filter(assistance::mission_code.eq_any(missions.clone()));
    }
    let rows: Vec<(String, String, String, NaiveDate, Option<NaiveDate>, String)> = query
        .select((
            assistance::assistance_type,
            assistance::state,
            assistance::mission_code,
            assistance::from_on,
            assistance::to_on,
            assistance::provider,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(assistance_type, state, mission, from, to, provider)| Assistance {
                assistance_type,
                state,
                mission,
                from,
                to,
                provider,
                description: None,
                case_ids: Vec::new(),
            },
        )
        .collect())
}
