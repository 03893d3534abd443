//! The annual accountability report: per host State (and per international court), the cases
//! opened, the steps taken, the verdicts and sentences, the closures, the time from the attack to
//! each step and the stalled cases of a period, with the assistance the State received; per
//! contributing country, its nationals killed and injured and where the cases on those attacks
//! stand; and every judgment of the period. Assembled here from narrow rows the database gives.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::access::Clearance;
use super::assistance::Assistance;
use super::case::parse_date;
use super::summary::median;

mod rows;

pub use rows::{Change, SinceIssued, changes_since, csv_rows};

/// A case open and unmoved for longer than this at the period's end is stalled.
pub const STALLED_AFTER_DAYS: i64 = 180;

/// The editions: `unclassified` counts only unclassified records, whatever the reader's
/// clearance (the edition that can be published); `internal` counts what the reader may.
pub const EDITIONS: &[&str] = &["internal", "unclassified"];

/// The days a report covers, both counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// The highest classification among the incidents it is counted on.
    pub classification: Clearance,
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
#[derive(Debug, Clone)]
pub struct NationalCasualties {
    pub country: String,
    pub killed: u64,
    pub injured: u64,
    /// The highest classification among the attacks they were in.
    pub classification: Clearance,
}

/// The cases open and unmoved for more than `STALLED_AFTER_DAYS` at the period's end, of one
/// court (counted by the database).
#[derive(Debug, Clone)]
pub struct StalledCount {
    pub state: Option<String>,
    pub jurisdiction: String,
    pub cases: u64,
    /// The highest classification a reader needs to see one of these cases.
    pub classification: Clearance,
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
    pub stalled: Vec<StalledCount>,
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

impl ReportRows {
    /// The highest classification among the records a report draws on: all of them, or for a
    /// State's part, the cases before its courts, its nationals' attacks and their cases.
    pub fn drew_on(&self, state: Option<&str>) -> Clearance {
        let national_case_ids: std::collections::BTreeSet<&str> = self
            .national_cases
            .iter()
            .filter(|(country, _)| state.is_none_or(|s| s == country))
            .map(|(_, id)| id.as_str())
            .collect();
        let cases = self.cases.iter().filter(|case| match state {
            None => true,
            Some(s) => {
                case.jurisdiction_state.as_deref() == Some(s)
                    || national_case_ids.contains(case.id.as_str())
            }
        });
        let casualties = self
            .casualties
            .iter()
            .filter(|c| state.is_none_or(|s| s == c.country));
        let stalled = self
            .stalled
            .iter()
            .filter(|s| state.is_none() || s.state.as_deref() == state);
        cases
            .map(|c| c.classification)
            .chain(casualties.map(|c| c.classification))
            .chain(stalled.map(|s| s.classification))
            .max()
            .unwrap_or(Clearance::Unclassified)
    }
}

/// Adds up the tables of `period` from the rows, as things stand on `today` (for a period not
/// yet over, stalled cases and assistance days are counted up to today); names of accused
/// persons only `with_names`.
pub fn assemble(
    period: Period,
    rows: &ReportRows,
    with_names: bool,
    today: NaiveDate,
) -> ReportTables {
    let as_of = period.to.min(today);
    let cases: BTreeMap<&str, &ReportCase> =
        rows.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut courts: BTreeMap<CourtKey, CourtFigures> = BTreeMap::new();
    let mut delays: BTreeMap<(CourtKey, String), Vec<i32>> = BTreeMap::new();
    for case in rows
        .cases
        .iter()
        .filter(|case| period.contains(case.opened_on))
    {
        figures(&mut courts, court_of(case)).cases_opened += 1;
    }
    let mut judgments = Vec::new();
    // Each case's judgments, by their place in `judgments`: for its verdicts below.
    let mut judgments_of_case: HashMap<&str, Vec<usize>> = HashMap::new();
    for step in &rows.steps {
        let Some(case) = cases.get(step.case_id.as_str()) else {
            continue;
        };
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
            judgments_of_case
                .entry(step.case_id.as_str())
                .or_default()
                .push(judgments.len());
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
    for stalled in &rows.stalled {
        let key = match &stalled.state {
            Some(state) => (Some(state.clone()), None),
            None => (None, Some(stalled.jurisdiction.clone())),
        };
        figures(&mut courts, key).stalled += stalled.cases;
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
        let judged = judgments_of_case
            .get(case.id.as_str())
            .into_iter()
            .flatten()
            .copied()
            .filter(|n| judgments[*n].judgment_on <= day)
            .max_by_key(|n| judgments[*n].judgment_on);
        if let Some(judgment) = judged.map(|n| &mut judgments[n]) {
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
        let days = record.days_within(period.from, as_of);
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
    for row in &rows.casualties {
        let figures = countries.entry(row.country.clone()).or_default();
        figures.country = row.country.clone();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    fn step(case_id: &str, position: i32, to: &str, on: &str) -> ReportStep {
        ReportStep {
            case_id: case_id.into(),
            position,
            to_status: to.into(),
            effective_on: day(on),
            closure_reason: None,
        }
    }

    /// A case in a year not yet over: its step counts in its State's table with the days from
    /// the attack; the stalled count the database made goes to its court; an assistance still
    /// going on counts its days up to today; a step of a case the reader may not count (not
    /// among the cases) counts nowhere.
    #[test]
    fn a_year_not_over_counts_up_to_today() {
        let rows = ReportRows {
            cases: vec![ReportCase {
                id: "a".into(),
                reference: "CASE-A".into(),
                jurisdiction: "CAF".into(),
                jurisdiction_state: Some("CAF".into()),
                status: "referred".into(),
                opened_on: day("2026-01-05"),
                attacked_on: day("2026-01-01"),
                classification: Clearance::Confidential,
            }],
            steps: vec![
                step("a", 0, "opened", "2026-01-05"),
                step("a", 1, "referred", "2026-02-01"),
                step("hidden", 1, "referred", "2026-02-01"),
            ],
            stalled: vec![StalledCount {
                state: None,
                jurisdiction: "ICC".into(),
                cases: 2,
                classification: Clearance::Unclassified,
            }],
            assistance: vec![Assistance {
                assistance_type: "training".into(),
                state: "CAF".into(),
                mission: "MINUSCA".into(),
                from: day("2026-06-01"),
                to: None,
                provider: "UNPOL".into(),
                description: None,
                case_ids: Vec::new(),
            }],
            ..Default::default()
        };
        let year = Period::asked(Some(2026), None, None).unwrap();
        let tables = assemble(year, &rows, false, day("2026-06-30"));
        let caf = &tables.host_states[0];
        assert_eq!(caf.cases_opened, 1);
        assert_eq!(caf.steps, BTreeMap::from([("referred".to_string(), 1)]));
        assert_eq!(
            caf.median_days,
            BTreeMap::from([("referred".to_string(), 31.0)])
        );
        assert_eq!(
            caf.assistance["training"],
            AssistanceFigures {
                records: 1,
                days: 30
            }
        );
        assert_eq!(tables.international_courts[0].court.as_deref(), Some("ICC"));
        assert_eq!(tables.international_courts[0].stalled, 2);
        assert_eq!(rows.drew_on(None), Clearance::Confidential);
        assert_eq!(rows.drew_on(Some("SEN")), Clearance::Unclassified);
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
