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
};
use crate::domain::assistance::Assistance;

/// What a reader may count.
#[derive(Debug, Clone)]
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

/// `counted_cases`: each counted case with its earliest counted attack and the highest
/// classification it counts.
fn counted_cases(scope: &ReportScope, params: &mut Vec<Param>) -> String {
    let rank = Clearance::ALL
        .into_iter()
        .enumerate()
        .map(|(rank, c)| format!("WHEN '{}' THEN {rank}", c.code()))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "counted_cases AS ( \
            SELECT l.case_id, MIN(i.occurred_at) AS first_at, \
                MAX(CASE i.classification {rank} END) AS top_rank \
            FROM case_incidents l JOIN incidents i ON i.id = l.incident_id \
            WHERE {} GROUP BY l.case_id)",
        counted(scope, params)
    )
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
struct NationalCaseRow {
    #[diesel(sql_type = Text)]
    country: String,
    #[diesel(sql_type = Text)]
    case_id: String,
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The rows of a report, and the highest classification among the records they count.
pub fn rows(
    conn: &mut DbConnection,
    scope: &ReportScope,
    period: Period,
) -> QueryResult<(ReportRows, Clearance)> {
    let mut top = Clearance::Unclassified;
    let mut params = Vec::new();
    let cases_cte = counted_cases(scope, &mut params);
    params.push(Param::Day(period.to));
    let cases: Vec<CaseRow> = load(
        conn,
        &format!(
            "WITH {cases_cte} \
             SELECT c.id, c.reference, c.jurisdiction, c.jurisdiction_state, c.status, \
                c.opened_on, f.first_at, CAST(f.top_rank AS INTEGER) AS top_rank \
             FROM counted_cases f JOIN cases c ON c.id = f.case_id \
             WHERE c.opened_on <= ?"
        ),
        &params,
    )?;

    // The steps of the period, and each case's last step on or before its end (where the case
    // stood then): a timeline's days never go back, so that is its highest position by then.
    // Steps and verdicts are read for the scope's missions; those of cases the reader may not
    // count are left out when the tables are added up.
    let mut params = Vec::new();
    let missions = missions_of_cases(scope, &mut params);
    params.extend([Param::Day(period.from), Param::Day(period.to)]);
    let mut steps: Vec<StepRow> = load(
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
    params.push(Param::Day(period.to));
    steps.extend(load::<StepRow>(
        conn,
        &format!(
            "SELECT t.case_id, t.position, t.to_status, t.effective_on, t.closure_reason \
             FROM case_transitions t JOIN ( \
                SELECT l.case_id, MAX(l.position) AS position \
                FROM case_transitions l JOIN cases c ON c.id = l.case_id \
                WHERE {missions} AND l.effective_on <= ? GROUP BY l.case_id) last \
             ON last.case_id = t.case_id AND last.position = t.position"
        ),
        &params,
    )?);

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

    for case in &cases {
        let rank = usize::try_from(case.top_rank).unwrap_or(0);
        top = top.max(Clearance::ALL.get(rank).copied().unwrap_or(top));
    }
    let mut merged: Vec<NationalCasualties> = Vec::new();
    for row in casualties {
        if let Ok(clearance) = Clearance::try_from(row.classification.as_str()) {
            top = top.max(clearance);
        }
        match merged.iter_mut().find(|c| c.country == row.country) {
            Some(figures) => {
                figures.killed += count(row.killed);
                figures.injured += count(row.injured);
            }
            None => merged.push(NationalCasualties {
                country: row.country,
                killed: count(row.killed),
                injured: count(row.injured),
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
        assistance: assistance_in(conn, scope, period)?,
    };
    Ok((rows, top))
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
