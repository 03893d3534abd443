//! The annual accountability report: per host State (and per international court), the cases
//! opened, the steps taken, the verdicts and sentences, the closures, the time from the attack to
//! each step and the stalled cases of a period, with the assistance the State received; per
//! contributing country, its nationals killed and injured and where the cases on those attacks
//! stand; and every judgment of the period. Assembled here from narrow rows the database gives.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::assistance::Assistance;
use super::case::{CaseStatus, parse_date};
use super::summary::median;

/// A case open and unmoved for longer than this at the period's end is stalled.
pub const STALLED_AFTER_DAYS: i64 = 180;

/// The editions: `unclassified` counts only unclassified records, whatever the reader's
/// clearance (the edition that can be published); `internal` counts what the reader may.
pub const EDITIONS: &[&str] = &["internal", "unclassified"];

/// The days a report covers, both counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// `year`, or `from` and `to` (YYYY-MM-DD, both needed, in order): `(field, message)` when
    /// they do not make a period.
    pub fn asked(
        year: Option<i32>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Period, (&'static str, String)> {
        let day = |field: &'static str, text: Option<&str>| match text {
            None => Err((
                field,
                "is required with the other end of the period".to_string(),
            )),
            Some(text) => parse_date(text).map_err(|message| (field, message)),
        };
        match (year, from, to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err((
                "year",
                "give either `year` or `from` and `to`, not both".to_string(),
            )),
            (Some(year), None, None) => match (
                NaiveDate::from_ymd_opt(year, 1, 1),
                NaiveDate::from_ymd_opt(year, 12, 31),
            ) {
                (Some(from), Some(to)) if (1945..=2100).contains(&year) => Ok(Period { from, to }),
                _ => Err(("year", "must be a year between 1945 and 2100".to_string())),
            },
            (None, None, None) => Err(("year", "is required (or `from` and `to`)".to_string())),
            (None, from, to) => {
                let (from, to) = (day("from", from)?, day("to", to)?);
                if to < from {
                    return Err(("to", "must not be before `from`".to_string()));
                }
                Ok(Period { from, to })
            }
        }
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// `2025`, or `2025-03-01 to 2026-02-28`.
    pub fn label(&self) -> String {
        let whole_year = self.from.ordinal() == 1
            && self.to.year() == self.from.year()
            && self.to.month() == 12
            && self.to.day() == 31;
        if whole_year {
            self.from.year().to_string()
        } else {
            format!("{} to {}", self.from, self.to)
        }
    }
}

/// A case the reader may count, with the day of its earliest counted attack.
#[derive(Debug, Clone)]
pub struct ReportCase {
    pub id: String,
    pub reference: String,
    pub jurisdiction: String,
    pub jurisdiction_state: Option<String>,
    pub status: String,
    pub opened_on: NaiveDate,
    pub attacked_on: NaiveDate,
}

/// A step of a counted case's timeline, on or before the period's end.
#[derive(Debug, Clone)]
pub struct ReportStep {
    pub case_id: String,
    pub position: i32,
    pub to_status: String,
    pub effective_on: NaiveDate,
    pub closure_reason: Option<String>,
}

/// A verdict of a counted case (`pending` ones are not read).
#[derive(Debug, Clone)]
pub struct ReportVerdict {
    pub case_id: String,
    pub name: String,
    pub verdict: String,
    pub verdict_on: Option<NaiveDate>,
    pub sentence_type: Option<String>,
    pub sentence_months: Option<i32>,
}

/// A contributing country's nationals in the attacks of the period.
#[derive(Debug, Clone, Default)]
pub struct NationalCasualties {
    pub country: String,
    pub killed: u64,
    pub injured: u64,
}

/// Everything a report is made from.
#[derive(Debug, Clone, Default)]
pub struct ReportRows {
    pub cases: Vec<ReportCase>,
    pub steps: Vec<ReportStep>,
    pub verdicts: Vec<ReportVerdict>,
    pub casualties: Vec<NationalCasualties>,
    /// (country, case id) for each case on an attack of the period with one of its nationals.
    pub national_cases: Vec<(String, String)>,
    pub assistance: Vec<Assistance>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssistanceFigures {
    pub records: u64,
    /// Days of assistance within the period, added up over the records.
    pub days: i64,
}

/// The figures of one host State, or of one international court.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CourtFigures {
    /// The host State (ISO3); absent for an international court.
    pub state: Option<String>,
    /// The international court; absent for a host State's courts.
    pub court: Option<String>,
    /// Opened in the period (`opened_on`).
    pub cases_opened: u64,
    /// Steps taken in the period, by the status they led to (`effective_on`).
    pub steps: BTreeMap<String, u64>,
    /// Persons convicted and acquitted in the period (`verdict_on`).
    pub convicted: u64,
    pub acquitted: u64,
    /// The sentences of those convicted in the period, by type.
    pub sentences: BTreeMap<String, u64>,
    /// Cases closed in the period, by reason.
    pub closed: BTreeMap<String, u64>,
    /// Median days from the attack to each step, over the steps taken in the period.
    pub median_days: BTreeMap<String, f64>,
    /// Open at the period's end, with no step for more than 180 days.
    pub stalled: u64,
    /// Assistance given in the period, by type.
    pub assistance: BTreeMap<String, AssistanceFigures>,
}

/// A contributing country's nationals killed and injured in the attacks of the period, and the
/// status today of the cases on those attacks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NationalFigures {
    pub country: String,
    pub killed: u64,
    pub injured: u64,
    pub cases_by_status: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JudgedPerson {
    /// Only for readers who may see the accused's names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub verdict: String,
    pub verdict_on: Option<NaiveDate>,
    #[serde(rename = "sentence_type")]
    pub sentence_type: Option<String>,
    pub sentence_months: Option<i32>,
}

/// A judgment delivered in the period: a step to `judgment`, with the verdicts of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Judgment {
    pub case_reference: String,
    pub state: Option<String>,
    pub court: String,
    pub judgment_on: NaiveDate,
    pub verdicts: Vec<JudgedPerson>,
}

/// The report's tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportTables {
    pub host_states: Vec<CourtFigures>,
    pub international_courts: Vec<CourtFigures>,
    pub contributing_countries: Vec<NationalFigures>,
    pub judgments: Vec<Judgment>,
}

type CourtKey = (Option<String>, Option<String>);

/// The figures of a host State (`(Some(state), None)`) or an international court.
fn figures(courts: &mut BTreeMap<CourtKey, CourtFigures>, key: CourtKey) -> &mut CourtFigures {
    courts.entry(key.clone()).or_insert_with(|| CourtFigures {
        state: key.0,
        court: key.1,
        ..Default::default()
    })
}

/// A case's table: its host State's, or, before an international court, that court's.
fn court_of(case: &ReportCase) -> CourtKey {
    match &case.jurisdiction_state {
        Some(state) => (Some(state.clone()), None),
        None => (None, Some(case.jurisdiction.clone())),
    }
}

/// Adds up the tables of `period` from the rows; names of accused persons only `with_names`.
pub fn assemble(period: Period, rows: ReportRows, with_names: bool) -> ReportTables {
    let cases: BTreeMap<&str, &ReportCase> =
        rows.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut courts: BTreeMap<CourtKey, CourtFigures> = BTreeMap::new();
    let mut delays: BTreeMap<(CourtKey, String), Vec<i32>> = BTreeMap::new();
    for case in &rows.cases {
        let table = figures(&mut courts, court_of(case));
        if period.contains(case.opened_on) {
            table.cases_opened += 1;
        }
    }
    // The steps of each case in order: those of the period are counted; the last one on or
    // before the period's end tells where the case stood then.
    let mut standing: BTreeMap<&str, &ReportStep> = BTreeMap::new();
    let mut judgments = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for step in &rows.steps {
        // The last step by the period's end may be listed among the period's steps too.
        if !seen.insert((step.case_id.as_str(), step.position)) {
            continue;
        }
        let Some(case) = cases.get(step.case_id.as_str()) else {
            continue;
        };
        if step.effective_on > period.to {
            continue;
        }
        let latest = standing.entry(step.case_id.as_str()).or_insert(step);
        if step.position > latest.position {
            *latest = step;
        }
        if !period.contains(step.effective_on) || step.to_status == "opened" {
            continue;
        }
        let key = court_of(case);
        let table = figures(&mut courts, key.clone());
        *table.steps.entry(step.to_status.clone()).or_default() += 1;
        if step.to_status == "closed" {
            let reason = step
                .closure_reason
                .clone()
                .unwrap_or_else(|| "other".into());
            *table.closed.entry(reason).or_default() += 1;
        }
        let days = (step.effective_on - case.attacked_on).num_days();
        delays
            .entry((key, step.to_status.clone()))
            .or_default()
            .push(i32::try_from(days).unwrap_or(i32::MAX));
        if step.to_status == "judgment" {
            judgments.push(Judgment {
                case_reference: case.reference.clone(),
                state: case.jurisdiction_state.clone(),
                court: case.jurisdiction.clone(),
                judgment_on: step.effective_on,
                verdicts: Vec::new(),
            });
        }
    }
    for ((key, step), mut days) in delays {
        if let Some(median) = median(&mut days) {
            figures(&mut courts, key).median_days.insert(step, median);
        }
    }
    for (case_id, step) in standing {
        let open = CaseStatus::try_from(step.to_status.as_str()).is_ok_and(|s| s.is_open());
        let unmoved = (period.to - step.effective_on).num_days();
        if open
            && unmoved > STALLED_AFTER_DAYS
            && let Some(case) = cases.get(case_id)
        {
            figures(&mut courts, court_of(case)).stalled += 1;
        }
    }
    for verdict in &rows.verdicts {
        let (Some(case), Some(day)) = (cases.get(verdict.case_id.as_str()), verdict.verdict_on)
        else {
            continue;
        };
        if !period.contains(day) {
            continue;
        }
        let table = figures(&mut courts, court_of(case));
        match verdict.verdict.as_str() {
            "convicted" => {
                table.convicted += 1;
                let sentence = verdict
                    .sentence_type
                    .clone()
                    .unwrap_or_else(|| "other".into());
                *table.sentences.entry(sentence).or_default() += 1;
            }
            "acquitted" => table.acquitted += 1,
            _ => continue,
        }
        // A verdict belongs to the latest judgment of its case on or before its day.
        let judged = judgments
            .iter_mut()
            .filter(|j| j.case_reference == case.reference && j.judgment_on <= day)
            .max_by_key(|j| j.judgment_on);
        if let Some(judgment) = judged {
            judgment.verdicts.push(JudgedPerson {
                name: with_names.then(|| verdict.name.clone()),
                verdict: verdict.verdict.clone(),
                verdict_on: verdict.verdict_on,
                sentence_type: verdict.sentence_type.clone(),
                sentence_months: verdict.sentence_months,
            });
        }
    }
    for record in &rows.assistance {
        let days = record.days_within(period.from, period.to);
        if days == 0 {
            continue;
        }
        let table = figures(&mut courts, (Some(record.state.clone()), None));
        let kind = table
            .assistance
            .entry(record.assistance_type.clone())
            .or_default();
        kind.records += 1;
        kind.days += days;
    }
    let mut countries: BTreeMap<String, NationalFigures> = BTreeMap::new();
    for row in rows.casualties {
        let figures = countries.entry(row.country.clone()).or_default();
        figures.country = row.country;
        figures.killed += row.killed;
        figures.injured += row.injured;
    }
    for (country, case_id) in &rows.national_cases {
        if let Some(case) = cases.get(case_id.as_str()) {
            let figures = countries.entry(country.clone()).or_default();
            figures.country = country.clone();
            *figures
                .cases_by_status
                .entry(case.status.clone())
                .or_default() += 1;
        }
    }
    judgments.sort_by(|a, b| {
        (a.judgment_on, &a.case_reference).cmp(&(b.judgment_on, &b.case_reference))
    });
    let (host_states, international_courts) = courts
        .into_values()
        .partition(|figures| figures.state.is_some());
    ReportTables {
        host_states,
        international_courts,
        contributing_countries: countries.into_values().collect(),
        judgments,
    }
}

/// A report: its period, edition and the highest classification it drew on, then its tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnnualReport {
    pub period: Period,
    /// `internal` (what the reader may count) or `unclassified` (what can be published).
    pub edition: String,
    /// The highest classification among the records it counts.
    pub classification: String,
    /// The missions it covers; absent: all.
    pub missions: Option<Vec<String>>,
    /// For a focal point: its State, whose part it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(flatten)]
    pub tables: ReportTables,
    /// What changed since the report was last issued for the same period, edition and
    /// missions (corrections entered later); absent when none was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_issued: Option<SinceIssued>,
}

/// The report last issued, and each figure that differs from it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SinceIssued {
    pub id: String,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub sha256: String,
    pub changes: Vec<Change>,
}

/// A figure of the CSV rows (`table`, `group`, `measure`) as issued and as it stands now
/// (empty where it was or is absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    pub table: String,
    pub group: String,
    pub measure: String,
    pub issued: String,
    pub now: String,
}

/// The figures that differ between an issued report and the same report now, in the order of
/// its rows.
pub fn changes_since(issued: &AnnualReport, now: &AnnualReport) -> Vec<Change> {
    let keyed = |report: &AnnualReport| -> BTreeMap<(String, String, String), String> {
        csv_rows(report)
            .into_iter()
            .filter(|[table, ..]| table != "report")
            .map(|[table, group, measure, value]| ((table, group, measure), value))
            .collect()
    };
    let (before, after) = (keyed(issued), keyed(now));
    let mut keys: Vec<&(String, String, String)> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| before.get(*key) != after.get(*key))
        .map(|key| Change {
            table: key.0.clone(),
            group: key.1.clone(),
            measure: key.2.clone(),
            issued: before.get(key).cloned().unwrap_or_default(),
            now: after.get(key).cloned().unwrap_or_default(),
        })
        .collect()
}

impl ReportTables {
    /// Only the part of one State: its courts' figures and judgments, and its nationals.
    pub fn part_of(self, state: &str) -> ReportTables {
        let ours = |s: &Option<String>| s.as_deref() == Some(state);
        ReportTables {
            host_states: self
                .host_states
                .into_iter()
                .filter(|f| ours(&f.state))
                .collect(),
            international_courts: Vec::new(),
            contributing_countries: self
                .contributing_countries
                .into_iter()
                .filter(|f| f.country == state)
                .collect(),
            judgments: self
                .judgments
                .into_iter()
                .filter(|j| ours(&j.state))
                .collect(),
        }
    }
}

/// The report as rows of `table`, `group`, `measure`, `value`: each count of a map is its own
/// measure (`steps.charged`, `assistance.training.days`); a judgment's verdicts are numbered.
pub fn csv_rows(report: &AnnualReport) -> Vec<[String; 4]> {
    let mut rows = Vec::new();
    let mut push = |table: &str, group: &str, measure: String, value: String| {
        rows.push([table.to_string(), group.to_string(), measure, value]);
    };
    for (key, value) in [
        ("from", report.period.from.to_string()),
        ("to", report.period.to.to_string()),
        ("edition", report.edition.clone()),
        ("classification", report.classification.clone()),
    ] {
        push("report", "", key.to_string(), value);
    }
    for (table, courts) in [
        ("host_states", &report.tables.host_states),
        ("international_courts", &report.tables.international_courts),
    ] {
        for f in courts {
            let group = f.state.clone().or(f.court.clone()).unwrap_or_default();
            for (measure, value) in [
                ("cases_opened", f.cases_opened),
                ("convicted", f.convicted),
                ("acquitted", f.acquitted),
                ("stalled", f.stalled),
            ] {
                push(table, &group, measure.to_string(), value.to_string());
            }
            for (prefix, map) in [
                ("steps", &f.steps),
                ("sentences", &f.sentences),
                ("closed", &f.closed),
            ] {
                for (key, value) in map {
                    push(table, &group, format!("{prefix}.{key}"), value.to_string());
                }
            }
            for (step, days) in &f.median_days {
                push(
                    table,
                    &group,
                    format!("median_days.{step}"),
                    days.to_string(),
                );
            }
            for (kind, figures) in &f.assistance {
                let (records, days) = (figures.records.to_string(), figures.days.to_string());
                push(table, &group, format!("assistance.{kind}.records"), records);
                push(table, &group, format!("assistance.{kind}.days"), days);
            }
        }
    }
    for f in &report.tables.contributing_countries {
        let table = "contributing_countries";
        push(table, &f.country, "killed".into(), f.killed.to_string());
        push(table, &f.country, "injured".into(), f.injured.to_string());
        for (status, count) in &f.cases_by_status {
            push(
                table,
                &f.country,
                format!("cases.{status}"),
                count.to_string(),
            );
        }
    }
    for j in &report.tables.judgments {
        let (table, group) = ("judgments", j.case_reference.as_str());
        push(
            table,
            group,
            "state".into(),
            j.state.clone().unwrap_or_default(),
        );
        push(table, group, "court".into(), j.court.clone());
        push(
            table,
            group,
            "judgment_on".into(),
            j.judgment_on.to_string(),
        );
        for (n, person) in j.verdicts.iter().enumerate() {
            let n = n + 1;
            if let Some(name) = &person.name {
                push(table, group, format!("accused.{n}.name"), name.clone());
            }
            push(
                table,
                group,
                format!("accused.{n}.verdict"),
                person.verdict.clone(),
            );
            let day = person.verdict_on.map(|d| d.to_string()).unwrap_or_default();
            push(table, group, format!("accused.{n}.verdict_on"), day);
            if let Some(sentence) = &person.sentence_type {
                push(
                    table,
                    group,
                    format!("accused.{n}.sentence"),
                    sentence.clone(),
                );
            }
            if let Some(months) = person.sentence_months {
                push(
                    table,
                    group,
                    format!("accused.{n}.sentence_months"),
                    months.to_string(),
                );
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    #[test]
    fn a_period_is_a_year_or_two_days_in_order() {
        let year = Period::asked(Some(2025), None, None).unwrap();
        assert_eq!((year.from, year.to), (day("2025-01-01"), day("2025-12-31")));
        assert_eq!(year.label(), "2025");
        let span = Period::asked(None, Some("2025-03-01"), Some("2026-02-28")).unwrap();
        assert_eq!(span.label(), "2025-03-01 to 2026-02-28");
        assert_eq!(Period::asked(None, None, None).unwrap_err().0, "year");
        assert_eq!(
            Period::asked(Some(2025), Some("2025-01-01"), None)
                .unwrap_err()
                .0,
            "year"
        );
        assert_eq!(
            Period::asked(None, Some("2025-03-01"), None).unwrap_err().0,
            "to"
        );
        assert_eq!(
            Period::asked(None, Some("2025-03-01"), Some("2025-02-01"))
                .unwrap_err()
                .0,
            "to"
        );
        assert_eq!(Period::asked(Some(1900), None, None).unwrap_err().0, "year");
    }
}
