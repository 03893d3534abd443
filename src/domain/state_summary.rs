//! A State's own summary, per year: as host State, the funnel, verdicts and times to justice of
//! the cases before its courts (counted as the missions' summary counts them, by the year of
//! the earliest attack that reaches the State); as country of nationality, its nationals killed,
//! injured, abducted or missing and where the cases on those attacks stand.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::case::CaseStatus;
use super::summary::{CaseFigures, CountedCase, FUNNEL, path_rank};

/// Days from the earliest attack to the first day at each step of the funnel: a step is
/// reached on the first day the timeline stood at it or beyond it (closing reaches none).
pub fn days_to_steps(
    earliest: NaiveDate,
    steps: &[(CaseStatus, NaiveDate)],
) -> [Option<i32>; FUNNEL.len()] {
    FUNNEL.map(|step| {
        let rank = path_rank(step);
        steps
            .iter()
            .filter(|(status, _)| path_rank(*status).is_some() && path_rank(*status) >= rank)
            .map(|(_, day)| *day)
            .min()
            .and_then(|day| i32::try_from((day - earliest).num_days()).ok())
    })
}

/// The cases before the State's courts whose earliest attack reaching it fell in one year.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HostYear {
    pub year: i32,
    pub cases: u64,
    /// Still open (neither final nor closed).
    pub open: u64,
    /// Closed, by reason.
    pub closed_by_reason: BTreeMap<String, u64>,
    /// How many reached each step of the funnel, or went beyond it.
    pub reached: BTreeMap<String, u64>,
    /// Persons convicted and acquitted in these cases.
    pub convicted: u64,
    pub acquitted: u64,
    /// Median days from the attack to the first referral, arrest, charge and judgment, for the
    /// cases that got there.
    pub median_days: BTreeMap<String, f64>,
}

/// The State's nationals among the victims of the attacks of one year, and the cases on them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NationalsYear {
    pub year: i32,
    /// Attacks with at least one victim of the State's nationality.
    pub incidents: u64,
    pub killed: u64,
    pub injured: u64,
    pub abducted: u64,
    pub missing: u64,
    /// Cases on those attacks, by where they stand today.
    pub cases_by_status: BTreeMap<String, u64>,
    /// Attacks on which no case was opened (or none the State may see).
    pub incidents_without_case: u64,
}

/// The host State's cases, added one at a time.
#[derive(Debug, Default)]
pub struct HostFigures {
    figures: CaseFigures,
    open: BTreeMap<i32, u64>,
}

impl HostFigures {
    /// A case, by the day of its earliest attack reaching the State.
    pub fn add(
        &mut self,
        earliest: NaiveDate,
        status: CaseStatus,
        closure_reason: Option<String>,
        steps: &[(CaseStatus, NaiveDate)],
        verdicts: &[&str],
    ) {
        if status.is_open() {
            *self.open.entry(earliest.year()).or_default() += 1;
        }
        let count = |verdict: &str| verdicts.iter().filter(|v| **v == verdict).count() as u64;
        self.figures.add(CountedCase {
            mission: String::new(),
            period: format!("{:04}", earliest.year()),
            status: status.code().to_string(),
            closure_reason,
            days_to: days_to_steps(earliest, steps),
            accused_convicted: count("convicted"),
            accused_acquitted: count("acquitted"),
        });
    }

    pub fn finish(self) -> Vec<HostYear> {
        let (groups, medians) = self.figures.finish();
        let mut years: BTreeMap<i32, HostYear> = BTreeMap::new();
        let year_of = |period: &str| period.parse::<i32>().unwrap_or_default();
        for group in groups {
            let year = year_of(&group.period);
            let entry = years.entry(year).or_insert_with(|| HostYear {
                year,
                open: self.open.get(&year).copied().unwrap_or_default(),
                ..HostYear::default()
            });
            entry.cases += group.cases;
            if let Some(reason) = group.closure_reason {
                *entry.closed_by_reason.entry(reason).or_default() += group.cases;
            }
            for (step, reached) in FUNNEL.iter().zip(group.reached) {
                *entry.reached.entry(step.code().to_string()).or_default() += reached;
            }
            entry.convicted += group.accused_convicted;
            entry.acquitted += group.accused_acquitted;
        }
        for median in medians {
            if let Some((_, period)) = median.row
                && let Some(entry) = years.get_mut(&year_of(&period))
            {
                entry.median_days.insert(median.delay, median.days);
            }
        }
        years.into_values().collect()
    }
}

/// The attacks on the State's nationals, added one at a time.
#[derive(Debug, Default)]
pub struct NationalsFigures {
    years: BTreeMap<i32, NationalsYear>,
    cases_seen: BTreeMap<i32, BTreeSet<String>>,
}

impl NationalsFigures {
    /// An attack of `day`: its victims of the State's nationality (their outcomes), and the
    /// cases on it (id, status).
    pub fn add(&mut self, day: NaiveDate, outcomes: &[&str], cases: &[(&str, &str)]) {
        let year = day.year();
        let entry = self.years.entry(year).or_insert_with(|| NationalsYear {
            year,
            ..NationalsYear::default()
        });
        entry.incidents += 1;
        for outcome in outcomes {
            match *outcome {
                "killed" => entry.killed += 1,
                "injured" => entry.injured += 1,
                "abducted" => entry.abducted += 1,
                "missing" => entry.missing += 1,
                _ => {}
            }
        }
        if cases.is_empty() {
            entry.incidents_without_case += 1;
        }
        let seen = self.cases_seen.entry(year).or_default();
        for (case_id, status) in cases {
            if seen.insert((*case_id).to_string()) {
                *entry
                    .cases_by_status
                    .entry((*status).to_string())
                    .or_default() += 1;
            }
        }
    }

    pub fn finish(self) -> Vec<NationalsYear> {
        self.years.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_step_is_reached_by_the_first_day_at_it_or_beyond() {
        let steps = [
            (CaseStatus::Opened, day("2023-03-01")),
            (CaseStatus::Referred, day("2023-03-05")),
            (CaseStatus::Charged, day("2023-04-10")),
            (CaseStatus::Closed, day("2023-05-01")),
        ];
        let days = days_to_steps(day("2023-02-10"), &steps);
        // referred, investigating, suspects identified, arrests made, charged: reached.
        assert_eq!(days[0], Some(23));
        assert_eq!(days[1..5], [Some(59); 4]);
        assert_eq!(days[5..], [None; 3], "closing reaches no step");
    }

    #[test]
    fn host_cases_are_counted_by_the_year_of_their_first_attack() {
        let mut figures = HostFigures::default();
        let referred = [(CaseStatus::Referred, day("2023-03-11"))];
        figures.add(
            day("2023-03-01"),
            CaseStatus::Referred,
            None,
            &referred,
            &["pending"],
        );
        figures.add(
            day("2023-06-01"),
            CaseStatus::Closed,
            Some("insufficient_evidence".into()),
            &[(CaseStatus::Referred, day("2023-06-21"))],
            &["acquitted", "convicted"],
        );
        figures.add(day("2024-01-01"), CaseStatus::Opened, None, &[], &[]);
        let years = figures.finish();
        assert_eq!(years.len(), 2);
        let first = &years[0];
        assert_eq!((first.year, first.cases, first.open), (2023, 2, 1));
        assert_eq!(first.closed_by_reason["insufficient_evidence"], 1);
        assert_eq!(first.reached["referred"], 2);
        assert_eq!(first.reached["charged"], 0);
        assert_eq!((first.convicted, first.acquitted), (1, 1));
        assert_eq!(first.median_days["referral"], 15.0);
        assert_eq!((years[1].year, years[1].cases, years[1].open), (2024, 1, 1));
    }

    #[test]
    fn nationals_count_each_case_once_a_year() {
        let mut figures = NationalsFigures::default();
        figures.add(
            day("2023-02-10"),
            &["killed", "injured"],
            &[("c1", "charged")],
        );
        figures.add(day("2023-05-10"), &["killed"], &[("c1", "charged")]);
        figures.add(day("2023-07-10"), &["abducted"], &[]);
        let years = figures.finish();
        let year = &years[0];
        assert_eq!(
            (year.incidents, year.killed, year.injured, year.abducted),
            (3, 2, 1, 1)
        );
        assert_eq!(year.cases_by_status["charged"], 1);
        assert_eq!(year.incidents_without_case, 1);
    }
}
