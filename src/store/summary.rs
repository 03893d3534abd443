//! The figures behind the summaries, counted by the database per mission and period: the
//! incidents that count, their dead, and the cases on them, narrowed to what one reader may
//! count. Only a few hundred groups leave the database, whatever the size of the registry.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend as DieselBackend;
use diesel::connection::DefaultLoadingMode;
use diesel::pg::{Pg, PgRowByRowLoadingMode};
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;

use crate::db::schema::{case_incidents, cases, incidents};
use crate::db::{Backend, DbConnection, read_transaction};
use crate::domain::access::Clearance;
use crate::domain::summary::{
    CaseDelays, CaseGroup, DeadGroup, Delay, FUNNEL, Grouping, IncidentGroup,
};

/// What a reader may count, and what they asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Missions to count; `None` means all.
    pub missions: Option<Vec<String>>,
    /// Classifications the reader's clearance covers.
    pub classifications: Vec<String>,
    /// Incidents that occurred from this time on...
    pub from: Option<NaiveDateTime>,
    /// ...and before this one.
    pub until: Option<NaiveDateTime>,
}

/// Only submitted and verified incidents count: drafts are not yet reports, withdrawn ones are
/// mistakes.
const COUNTED: &str = "i.status IN ('submitted', 'verified')";

/// A value bound to a placeholder of the summary queries.
pub(super) enum Param {
    Text(String),
    Time(NaiveDateTime),
    Day(NaiveDate),
}

/// The summary queries' SQL: the same statements on both databases but for dates and
/// placeholders, which each writes its own way.
struct Sql {
    backend: Backend,
    grouping: Grouping,
}

impl Sql {
    fn of(conn: &DbConnection, grouping: Grouping) -> Sql {
        Sql {
            backend: conn.backend(),
            grouping,
        }
    }

    /// The period label (`2019`, `2019-Q3`, `2019-08`) of a timestamp column.
    fn period(&self, column: &str) -> String {
        match (self.backend, self.grouping) {
            (Backend::Postgres, Grouping::Year) => format!("to_char({column}, 'YYYY')"),
            (Backend::Postgres, Grouping::Quarter) => format!("to_char({column}, 'YYYY-\"Q\"Q')"),
            (Backend::Postgres, Grouping::Month) => format!("to_char({column}, 'YYYY-MM')"),
            // SQLite keeps timestamps as ISO text: the period is its first characters.
            (Backend::Sqlite, Grouping::Year) => format!("substr({column}, 1, 4)"),
            (Backend::Sqlite, Grouping::Quarter) => format!(
                "substr({column}, 1, 4) || '-Q' || ((CAST(substr({column}, 6, 2) AS INTEGER) + 2) / 3)"
            ),
            (Backend::Sqlite, Grouping::Month) => format!("substr({column}, 1, 7)"),
        }
    }

    /// Whole days from the day of the timestamp `since` to the date `until`.
    fn days_between(&self, since: &str, until: &str) -> String {
        match self.backend {
            Backend::Postgres => format!("({until} - CAST({since} AS DATE))"),
            Backend::Sqlite => {
                format!("CAST(julianday({until}) - julianday(substr({since}, 1, 10)) AS INTEGER)")
            }
        }
    }

    /// The incidents (`i`) a scope counts, as a condition, with the values it binds; with
    /// `in_period`, narrowed to the period asked for.
    fn counted(&self, scope: &Scope, in_period: bool, params: &mut Vec<Param>) -> String {
        let mut condition = format!(
            "{COUNTED} AND i.classification IN ({})",
            placeholders(scope.classifications.len())
        );
        params.extend(scope.classifications.iter().cloned().map(Param::Text));
        if let Some(missions) = &scope.missions {
            condition += &format!(" AND i.mission_code IN ({})", placeholders(missions.len()));
            params.extend(missions.iter().cloned().map(Param::Text));
        }
        if in_period {
            condition += &self.in_period("i.occurred_at", scope, params);
        }
        condition
    }

    /// ` AND column >= from AND column < until`, for the bounds the scope has.
    fn in_period(&self, column: &str, scope: &Scope, params: &mut Vec<Param>) -> String {
        let mut condition = String::new();
        if let Some(from) = scope.from {
            condition += &format!(" AND {column} >= ?");
            params.push(Param::Time(from));
        }
        if let Some(until) = scope.until {
            condition += &format!(" AND {column} < ?");
            params.push(Param::Time(until));
        }
        condition
    }

    /// The time of a case's earliest incident a reader of `clearance` counts, from the earliest
    /// of each classification the case figures keep (`first_<classification>`, see their
    /// migration); `NULL` for no clearance.
    fn earliest_counted(&self, clearance: Option<Clearance>) -> String {
        let columns: Vec<String> = Clearance::ALL
            .into_iter()
            .filter(|c| Some(*c) <= clearance)
            .map(|c| format!("f.first_{}", c.code()))
            .collect();
        match (self.backend, columns.as_slice()) {
            (_, []) => "NULL".into(),
            (_, [column]) => column.clone(),
            (Backend::Postgres, columns) => format!("LEAST({})", columns.join(", ")),
            // SQLite's `MIN` of several values is NULL when any is: `~` sorts after any time.
            (Backend::Sqlite, columns) => format!(
                "NULLIF(MIN({}), '~')",
                columns
                    .iter()
                    .map(|column| format!("COALESCE({column}, '~')"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Runs the summary's statements in one snapshot (`db::read_transaction`), so that rows and
/// totals count the same registry even while others write.
///
/// PostgreSQL's compiling of the statements to machine code (`jit`) is off for the transaction:
/// statements over a million rows are estimated far costlier than they are, and one that
/// joined every case's links and steps spent 2.9 s of its 4.5 s compiling; without it, the
/// others ran no slower.
pub fn in_one_snapshot<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    read_transaction(conn, |conn| {
        if conn.backend() == Backend::Postgres {
            diesel::sql_query("SET LOCAL jit = off").execute(conn)?;
        }
        work(conn)
    })
}

/// `?, ?, ?`: one placeholder per value (`NULL`, which matches nothing, for none).
pub(super) fn placeholders(count: usize) -> String {
    if count == 0 {
        return "NULL".into();
    }
    vec!["?"; count].join(", ")
}

/// Binds the values in order.
fn bind_all<'a, DB>(
    mut query: BoxedSqlQuery<'a, DB, SqlQuery>,
    params: &'a [Param],
) -> BoxedSqlQuery<'a, DB, SqlQuery>
where
    DB: DieselBackend + HasSqlType<Text> + HasSqlType<Timestamp> + HasSqlType<Date>,
    &'a str: ToSql<Text, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
    NaiveDate: ToSql<Date, DB>,
{
    for param in params {
        query = match param {
            Param::Text(text) => query.bind::<Text, _>(text.as_str()),
            Param::Time(time) => query.bind::<Timestamp, _>(*time),
            Param::Day(day) => query.bind::<Date, _>(*day),
        };
    }
    query
}

/// A statement's `?` placeholders as PostgreSQL writes them: `$1`, `$2`...
fn numbered(sql: &str) -> String {
    let mut numbered = String::with_capacity(sql.len() + 16);
    for (number, piece) in sql.split('?').enumerate() {
        if number > 0 {
            numbered += &format!("${number}");
        }
        numbered += piece;
    }
    numbered
}

/// Runs a summary query and collects its rows.
pub(super) fn load<R>(conn: &mut DbConnection, sql: &str, params: &[Param]) -> QueryResult<Vec<R>>
where
    R: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
{
    let mut rows = Vec::new();
    for_each_row(conn, sql, params, |row| rows.push(row))?;
    Ok(rows)
}

/// Runs a summary query and hands each row to `each` as it comes, so that results too many to
/// hold at once need not be: both databases give one row at a time. PostgreSQL numbers its
/// placeholders, SQLite takes them as written. (Taken whole, the 90,000 narrow rows of the
/// cases' delays were no faster and left the server 60 MB larger under 8 readers.)
fn for_each_row<R>(
    conn: &mut DbConnection,
    sql: &str,
    params: &[Param],
    mut each: impl FnMut(R),
) -> QueryResult<()>
where
    R: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
{
    // Every `?` is a placeholder: the statements put no question mark anywhere else.
    debug_assert_eq!(sql.matches('?').count(), params.len(), "{sql}");
    match conn {
        DbConnection::Postgres(pg) => {
            let query = bind_all(diesel::sql_query(numbered(sql)).into_boxed::<Pg>(), params);
            for row in query.load_iter::<R, PgRowByRowLoadingMode>(pg)? {
                each(row?);
            }
        }
        DbConnection::Sqlite(sqlite) => {
            let query = bind_all(diesel::sql_query(sql).into_boxed::<Sqlite>(), params);
            for row in query.load_iter::<R, DefaultLoadingMode>(sqlite)? {
                each(row?);
            }
        }
    }
    Ok(())
}

#[derive(QueryableByName)]
pub(super) struct IncidentGroupRow {
    #[diesel(sql_type = Text)]
    mission: String,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Text)]
    attack_type: String,
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
    #[diesel(sql_type = BigInt)]
    with_case: i64,
}

/// A count from the database as the figures hold it (counts are never negative).
pub(super) fn count(value: i64) -> u64 {
    value.max(0) as u64
}

/// The counted incidents per mission, period and attack type, with their casualties and how
/// many a case follows (found by joining the links once, not by a lookup per incident),
/// counted from the records (`summary_figures::incident_groups` reads whole months from the
/// figures the database keeps).
pub fn counted_incident_groups(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
) -> QueryResult<Vec<IncidentGroup>> {
    let sql = Sql::of(conn, grouping);
    let mut params = Vec::new();
    let counted = sql.counted(scope, true, &mut params);
    let query = format!(
        "SELECT i.mission_code AS mission, {period} AS period, i.attack_type AS attack_type, \
            COUNT(*) AS incidents, SUM(i.killed) AS killed, SUM(i.injured) AS injured, \
            SUM(i.abducted) AS abducted, SUM(i.missing) AS missing, \
            COUNT(l.incident_id) AS with_case \
         FROM incidents i \
            LEFT JOIN (SELECT DISTINCT incident_id FROM case_incidents) l \
                ON l.incident_id = i.id \
         WHERE {counted} \
         GROUP BY i.mission_code, {period}, i.attack_type",
        period = sql.period("i.occurred_at"),
    );
    let rows: Vec<IncidentGroupRow> = load(conn, &query, &params)?;
    Ok(rows.into_iter().map(IncidentGroup::from).collect())
}

impl From<IncidentGroupRow> for IncidentGroup {
    fn from(row: IncidentGroupRow) -> IncidentGroup {
        IncidentGroup {
            mission: row.mission,
            period: row.period,
            attack_type: row.attack_type,
            incidents: count(row.incidents),
            killed: count(row.killed),
            injured: count(row.injured),
            abducted: count(row.abducted),
            missing: count(row.missing),
            with_case: count(row.with_case),
        }
    }
}

#[derive(QueryableByName)]
pub(super) struct DeadGroupRow {
    #[diesel(sql_type = Text)]
    mission: String,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Text)]
    personnel_type: String,
    #[diesel(sql_type = Text)]
    nationality: String,
    #[diesel(sql_type = BigInt)]
    killed: i64,
}

/// The dead of the counted incidents per mission and period, personnel type and nationality.
/// The victims are read first and their incidents looked up (`CROSS JOIN` keeps SQLite to that
/// order; PostgreSQL plans it as any join): starting from the counted incidents' index instead
/// made SQLite look up every incident's victims, about four times slower at a million.
pub fn counted_dead_groups(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
) -> QueryResult<Vec<DeadGroup>> {
    let sql = Sql::of(conn, grouping);
    let mut params = Vec::new();
    let counted = sql.counted(scope, true, &mut params);
    let query = format!(
        "SELECT i.mission_code AS mission, {period} AS period, \
            v.personnel_type AS personnel_type, \
            COALESCE(v.nationality, 'unknown') AS nationality, COUNT(*) AS killed \
         FROM incident_victims v CROSS JOIN incidents i \
         WHERE i.id = v.incident_id AND v.outcome = 'killed' AND {counted} \
         GROUP BY i.mission_code, {period}, v.personnel_type, COALESCE(v.nationality, 'unknown')",
        period = sql.period("i.occurred_at"),
    );
    let rows: Vec<DeadGroupRow> = load(conn, &query, &params)?;
    Ok(rows.into_iter().map(DeadGroup::from).collect())
}

impl From<DeadGroupRow> for DeadGroup {
    fn from(row: DeadGroupRow) -> DeadGroup {
        DeadGroup {
            mission: row.mission,
            period: row.period,
            personnel_type: Some(row.personnel_type),
            nationality: Some(row.nationality),
            killed: count(row.killed),
        }
    }
}

impl Scope {
    /// The clearance whose reader counts this scope's classifications: the highest of them (a
    /// reader counts every classification up to their clearance). The cases are kept per
    /// clearance, since a case's earliest incident depends on what the reader may see.
    pub fn clearance(&self) -> Option<Clearance> {
        Clearance::ALL
            .into_iter()
            .rev()
            .find(|c| self.classifications.iter().any(|code| code == c.code()))
    }
}

/// The cases the scope counts, as `FROM ... WHERE ...` over their rows of figures (`f`, with
/// `first_at`, the time of their earliest incident the reader counts), with the values it
/// binds: those of its missions whose earliest counted incident falls in the scope's period.
fn counted_cases(sql: &Sql, scope: &Scope, params: &mut Vec<Param>) -> String {
    let mut of_missions = String::new();
    if let Some(missions) = &scope.missions {
        of_missions = format!("WHERE f.mission_code IN ({})", placeholders(missions.len()));
        params.extend(missions.iter().cloned().map(Param::Text));
    }
    format!(
        "FROM (SELECT f.*, {first} AS first_at FROM case_figures f {of_missions}) f \
         WHERE f.first_at IS NOT NULL {in_period}",
        first = sql.earliest_counted(scope.clearance()),
        in_period = sql.in_period("f.first_at", scope, params),
    )
}

#[derive(QueryableByName)]
pub(super) struct CaseGroupRow {
    #[diesel(sql_type = Text)]
    mission: String,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Text)]
    status: String,
    /// `''` for none.
    #[diesel(sql_type = Text)]
    closure_reason: String,
    #[diesel(sql_type = BigInt)]
    cases: i64,
    #[diesel(sql_type = BigInt)]
    reached_referred: i64,
    #[diesel(sql_type = BigInt)]
    reached_investigating: i64,
    #[diesel(sql_type = BigInt)]
    reached_suspects_identified: i64,
    #[diesel(sql_type = BigInt)]
    reached_arrests_made: i64,
    #[diesel(sql_type = BigInt)]
    reached_charged: i64,
    #[diesel(sql_type = BigInt)]
    reached_in_trial: i64,
    #[diesel(sql_type = BigInt)]
    reached_judgment: i64,
    #[diesel(sql_type = BigInt)]
    reached_final: i64,
    #[diesel(sql_type = BigInt)]
    convicted: i64,
    #[diesel(sql_type = BigInt)]
    acquitted: i64,
}

impl From<CaseGroupRow> for CaseGroup {
    fn from(row: CaseGroupRow) -> CaseGroup {
        CaseGroup {
            mission: row.mission,
            period: row.period,
            status: row.status,
            closure_reason: Some(row.closure_reason).filter(|reason| !reason.is_empty()),
            cases: count(row.cases),
            reached: [
                row.reached_referred,
                row.reached_investigating,
                row.reached_suspects_identified,
                row.reached_arrests_made,
                row.reached_charged,
                row.reached_in_trial,
                row.reached_judgment,
                row.reached_final,
            ]
            .map(count),
            accused_convicted: count(row.convicted),
            accused_acquitted: count(row.acquitted),
        }
    }
}

/// The sums of a case group's figures, named as `CaseGroupRow` reads them, from `cases` (a
/// count or a sum of cases) and a column per step reached (`reached(step)`).
pub(super) fn case_group_sums(cases: &str, reached: impl Fn(&str) -> String) -> String {
    let steps = FUNNEL
        .into_iter()
        .map(|step| {
            let code = step.code();
            format!("CAST({} AS BIGINT) AS reached_{code}", reached(code))
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("CAST({cases} AS BIGINT) AS cases, {steps}")
}

/// The counted cases per mission, period (that of their earliest counted incident), status and
/// closure reason, counted from each case's row (`summary_figures::case_groups` reads whole
/// months from the figures kept per month).
pub fn counted_case_groups(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
) -> QueryResult<Vec<CaseGroup>> {
    let sql = Sql::of(conn, grouping);
    let mut params = Vec::new();
    let counted = counted_cases(&sql, scope, &mut params);
    let query = format!(
        "SELECT f.mission_code AS mission, {period} AS period, f.status AS status, \
            COALESCE(f.closure_reason, '') AS closure_reason, {sums}, \
            CAST(SUM(f.convicted) AS BIGINT) AS convicted, \
            CAST(SUM(f.acquitted) AS BIGINT) AS acquitted \
         {counted} \
         GROUP BY f.mission_code, {period}, f.status, COALESCE(f.closure_reason, '')",
        period = sql.period("f.first_at"),
        sums = case_group_sums("COUNT(*)", |step| format!("COUNT(f.{step}_on)")),
    );
    let rows: Vec<CaseGroupRow> = load(conn, &query, &params)?;
    Ok(rows.into_iter().map(CaseGroup::from).collect())
}

#[derive(QueryableByName)]
struct CaseDelaysRow {
    #[diesel(sql_type = Text)]
    mission: String,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Nullable<Integer>)]
    referral: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    first_arrest: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    charge: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    first_judgment: Option<i32>,
}

/// Hands on each counted case that reached a step of the time to justice, with the mission and
/// period of its earliest counted incident and the days from it to each step: one narrow row
/// per case, read from the case figures the database keeps (see their migration), for the
/// medians. A case that reached any step reached referral, the first.
pub fn for_each_case_delays(
    conn: &mut DbConnection,
    scope: &Scope,
    grouping: Grouping,
    mut each: impl FnMut(CaseDelays),
) -> QueryResult<()> {
    let sql = Sql::of(conn, grouping);
    let mut params = Vec::new();
    let counted = counted_cases(&sql, scope, &mut params);
    let days_to = Delay::ALL
        .into_iter()
        .map(|delay| {
            let step = delay.step().code();
            let days = sql.days_between("f.first_at", &format!("f.{step}_on"));
            format!("CAST({days} AS INTEGER) AS {}", delay.code())
        })
        .collect::<Vec<_>>()
        .join(", ");
    let query = format!(
        "SELECT f.mission_code AS mission, {period} AS period, {days_to} \
         {counted} AND f.referred_on IS NOT NULL",
        period = sql.period("f.first_at"),
    );
    for_each_row(conn, &query, &params, |row: CaseDelaysRow| {
        each(CaseDelays {
            mission: row.mission,
            period: row.period,
            days: [
                row.referral,
                row.first_arrest,
                row.charge,
                row.first_judgment,
            ],
        })
    })
}

/// An open case that has not moved for a while.
#[derive(Debug, Clone, Queryable)]
pub struct StalledRow {
    pub id: String,
    pub mission_code: String,
    pub reference: String,
    pub status: String,
    pub last_moved_on: NaiveDate,
    pub next_action: Option<String>,
    pub next_action_due: Option<NaiveDate>,
    pub lead_officer: String,
}

/// Open cases whose last step is before `moved_before`, oldest first (then by reference), after
/// the (last step, reference) `after`, that have an incident the scope may see (any status but
/// draft, any time).
pub fn stalled(
    conn: &mut DbConnection,
    scope: &Scope,
    moved_before: NaiveDate,
    after: Option<&(NaiveDate, String)>,
    limit: i64,
) -> QueryResult<Vec<StalledRow>> {
    // A case's incidents are all of its mission, which the outer query narrows.
    let visible = case_incidents::table
        .inner_join(incidents::table)
        .filter(case_incidents::case_id.eq(cases::id))
        .filter(incidents::status.ne("draft"))
        .filter(incidents::classification.eq_any(scope.classifications.clone()));
    let mut query = cases::table
        .filter(super::cases::still_open())
        .filter(cases::last_moved_on.lt(moved_before))
        .filter(diesel::dsl::exists(visible.select(case_incidents::case_id)))
        .into_boxed();
    if let Some(missions) = &scope.missions {
        query = filter_one_of!(query, cases::mission_code, missions.as_slice());
    }
    if let Some((last_moved_on, reference)) = after {
        query = query.filter(
            diesel::dsl::sql::<Bool>(r#"("cases"."last_moved_on", "cases"."reference") > ("#)
                .bind::<Date, _>(*last_moved_on)
                .sql(", ")
                .bind::<Text, _>(reference.clone())
                .sql(")"),
        );
    }
    query
        .order((cases::last_moved_on.asc(), cases::reference.asc()))
        .limit(limit)
        .select((
            cases::id,
            cases::mission_code,
            cases::reference,
            cases::status,
            cases::last_moved_on,
            cases::next_action,
            cases::next_action_due,
            cases::lead_officer,
        ))
        .load(conn)
}
