//! The arithmetic of the summaries leadership pulls: attacks and casualties, the justice funnel
//! and the time to justice, per mission and period, and in total. Pure: the facts come in, the
//! figures go out.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::case::CaseStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    Year,
    Quarter,
    Month,
}

impl Grouping {
    pub fn from_code(code: &str) -> Option<Grouping> {
        match code {
            "year" => Some(Grouping::Year),
            "quarter" => Some(Grouping::Quarter),
            "month" => Some(Grouping::Month),
            _ => None,
        }
    }

    /// `2019`, `2019-Q1` or `2019-01`: labels that sort in time order.
    pub fn period_of(self, date: NaiveDate) -> String {
        match self {
            Grouping::Year => format!("{:04}", date.year()),
            Grouping::Quarter => format!("{:04}-Q{}", date.year(), date.month0() / 3 + 1),
            Grouping::Month => format!("{:04}-{:02}", date.year(), date.month()),
        }
    }
}

/// One incident that counts (submitted or verified, within the reader's reach).
#[derive(Debug, Clone, Default)]
pub struct IncidentFact {
    pub mission: String,
    pub occurred_on: NaiveDate,
    pub attack_type: String,
    pub killed: u64,
    pub injured: u64,
    pub abducted: u64,
    pub missing: u64,
    /// The personnel type and nationality (`unknown` when not known) of each one killed.
    pub killed_victims: Vec<(String, String)>,
    pub has_case: bool,
}

/// One case that counts, dated by its earliest linked incident that counts.
#[derive(Debug, Clone)]
pub struct CaseFact {
    pub mission: String,
    pub earliest_incident_on: NaiveDate,
    pub status: CaseStatus,
    pub closure_reason: Option<String>,
    /// The timeline in order: each step's status and the day it happened.
    pub timeline: Vec<(CaseStatus, NaiveDate)>,
    pub accused_convicted: u64,
    pub accused_acquitted: u64,
}

/// The steps of the funnel, each reached by a case whose timeline passed through it or beyond.
const FUNNEL: [CaseStatus; 8] = [
    CaseStatus::Referred,
    CaseStatus::Investigating,
    CaseStatus::SuspectsIdentified,
    CaseStatus::ArrestsMade,
    CaseStatus::Charged,
    CaseStatus::InTrial,
    CaseStatus::Judgment,
    CaseStatus::Final,
];

/// Whether `status` is `step` or beyond it on the ordinary path (`closed` is off the path).
fn at_or_beyond(status: CaseStatus, step: CaseStatus) -> bool {
    status != CaseStatus::Closed && status >= step
}

impl CaseFact {
    /// The day the timeline first reached `step` or beyond, if it ever did.
    pub fn first_reached(&self, step: CaseStatus) -> Option<NaiveDate> {
        self.timeline
            .iter()
            .find(|(status, _)| at_or_beyond(*status, step))
            .map(|(_, on)| *on)
    }

    fn days_to(&self, step: CaseStatus) -> Option<i64> {
        self.first_reached(step)
            .map(|on| (on - self.earliest_incident_on).num_days())
    }
}

/// The figures of one mission and period, or of everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub incidents: u64,
    pub incidents_by_attack_type: BTreeMap<String, u64>,
    pub killed: u64,
    pub injured: u64,
    pub abducted: u64,
    pub missing: u64,
    pub killed_by_personnel_type: BTreeMap<String, u64>,
    pub killed_by_nationality: BTreeMap<String, u64>,
    pub incidents_with_case: u64,
    pub cases_referred: u64,
    pub cases_investigating: u64,
    pub cases_suspects_identified: u64,
    pub cases_arrests_made: u64,
    pub cases_charged: u64,
    pub cases_in_trial: u64,
    pub cases_judgment: u64,
    pub cases_final: u64,
    pub accused_convicted: u64,
    pub accused_acquitted: u64,
    pub cases_closed_by_reason: BTreeMap<String, u64>,
    pub median_days_to_referral: Option<f64>,
    pub median_days_to_first_arrest: Option<f64>,
    pub median_days_to_charge: Option<f64>,
    pub median_days_to_first_judgment: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Row {
    pub mission: String,
    pub period: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The middle value; the mean of the two middle ones for an even count; `None` for none.
pub fn median(mut values: Vec<i64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle] as f64
    } else {
        (values[middle - 1] + values[middle]) as f64 / 2.0
    })
}

/// Figures being counted, with the day counts their medians will come from.
#[derive(Debug, Default)]
struct Tally {
    figures: Figures,
    to_referral: Vec<i64>,
    to_arrest: Vec<i64>,
    to_charge: Vec<i64>,
    to_judgment: Vec<i64>,
}

impl Tally {
    fn add_incident(&mut self, incident: &IncidentFact) {
        let f = &mut self.figures;
        f.incidents += 1;
        *f.incidents_by_attack_type
            .entry(incident.attack_type.clone())
            .or_default() += 1;
        f.killed += incident.killed;
        f.injured += incident.injured;
        f.abducted += incident.abducted;
        f.missing += incident.missing;
        for (personnel_type, nationality) in &incident.killed_victims {
            *f.killed_by_personnel_type
                .entry(personnel_type.clone())
                .or_default() += 1;
            *f.killed_by_nationality
                .entry(nationality.clone())
                .or_default() += 1;
        }
        if incident.has_case {
            f.incidents_with_case += 1;
        }
    }

    fn add_case(&mut self, case: &CaseFact) {
        let f = &mut self.figures;
        let reached = |step| case.first_reached(step).is_some();
        let counters: [&mut u64; 8] = [
            &mut f.cases_referred,
            &mut f.cases_investigating,
            &mut f.cases_suspects_identified,
            &mut f.cases_arrests_made,
            &mut f.cases_charged,
            &mut f.cases_in_trial,
            &mut f.cases_judgment,
            &mut f.cases_final,
        ];
        for (step, counter) in FUNNEL.into_iter().zip(counters) {
            if reached(step) {
                *counter += 1;
            }
        }
        f.accused_convicted += case.accused_convicted;
        f.accused_acquitted += case.accused_acquitted;
        if case.status == CaseStatus::Closed {
            let reason = case
                .closure_reason
                .clone()
                .unwrap_or_else(|| "other".into());
            *f.cases_closed_by_reason.entry(reason).or_default() += 1;
        }
        let days = [
            (&mut self.to_referral, CaseStatus::Referred),
            (&mut self.to_arrest, CaseStatus::ArrestsMade),
            (&mut self.to_charge, CaseStatus::Charged),
            (&mut self.to_judgment, CaseStatus::Judgment),
        ];
        for (list, step) in days {
            list.extend(case.days_to(step));
        }
    }

    fn finish(self) -> Figures {
        Figures {
            median_days_to_referral: median(self.to_referral),
            median_days_to_first_arrest: median(self.to_arrest),
            median_days_to_charge: median(self.to_charge),
            median_days_to_first_judgment: median(self.to_judgment),
            ..self.figures
        }
    }
}

/// Rows per mission and period (in that order), and the totals. Incidents count in the period
/// they occurred in; a case counts in the mission and period of its earliest incident.
pub fn summarize(
    incidents: &[IncidentFact],
    cases: &[CaseFact],
    grouping: Grouping,
) -> (Vec<Row>, Figures) {
    let mut rows: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for incident in incidents {
        let key = (
            incident.mission.clone(),
            grouping.period_of(incident.occurred_on),
        );
        rows.entry(key).or_default().add_incident(incident);
        total.add_incident(incident);
    }
    for case in cases {
        let key = (
            case.mission.clone(),
            grouping.period_of(case.earliest_incident_on),
        );
        rows.entry(key).or_default().add_case(case);
        total.add_case(case);
    }
    let rows = rows
        .into_iter()
        .map(|((mission, period), tally)| Row {
            mission,
            period,
            figures: tally.finish(),
        })
        .collect();
    (rows, total.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_label_in_time_order() {
        let d = day("2019-08-31");
        assert_eq!(Grouping::Year.period_of(d), "2019");
        assert_eq!(Grouping::Quarter.period_of(d), "2019-Q3");
        assert_eq!(Grouping::Month.period_of(d), "2019-08");
        assert_eq!(Grouping::Quarter.period_of(day("2019-01-01")), "2019-Q1");
        assert_eq!(Grouping::Quarter.period_of(day("2019-12-31")), "2019-Q4");
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![7]), Some(7.0));
        assert_eq!(median(vec![9, 1, 5]), Some(5.0));
        assert_eq!(median(vec![10, 1, 4, 7]), Some(5.5));
    }

    #[test]
    fn a_case_reaches_the_steps_it_skipped_and_not_those_after_its_closure() {
        let case = CaseFact {
            mission: "MINUSCA".into(),
            earliest_incident_on: day("2020-01-01"),
            status: Closed,
            closure_reason: Some("dismissed".into()),
            timeline: vec![
                (Opened, day("2020-01-05")),
                (Referred, day("2020-01-11")),
                // Straight to arrests: investigating and suspects_identified count as reached.
                (ArrestsMade, day("2020-03-01")),
                (Closed, day("2020-06-01")),
            ],
            accused_convicted: 0,
            accused_acquitted: 0,
        };
        assert_eq!(case.first_reached(Investigating), Some(day("2020-03-01")));
        assert_eq!(case.first_reached(Referred), Some(day("2020-01-11")));
        assert_eq!(case.first_reached(Charged), None);
        let (rows, total) = summarize(&[], &[case], Grouping::Year);
        assert_eq!(rows.len(), 1);
        assert_eq!(total.cases_referred, 1);
        assert_eq!(total.cases_suspects_identified, 1);
        assert_eq!(total.cases_arrests_made, 1);
        assert_eq!(total.cases_charged, 0);
        assert_eq!(total.cases_closed_by_reason.get("dismissed"), Some(&1));
        assert_eq!(total.median_days_to_referral, Some(10.0));
        assert_eq!(total.median_days_to_first_arrest, Some(60.0));
        assert_eq!(total.median_days_to_charge, None);
    }
}
