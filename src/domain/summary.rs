//! The arithmetic of the summaries leadership pulls: attacks and casualties, the justice funnel
//! and the time to justice, per mission and period, and in total. Pure: the database counts
//! per group (see `store::summary`), this puts the groups together into rows and totals.

use std::collections::BTreeMap;

use serde::Serialize;

use super::case::CaseStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
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
}

/// The counted incidents of one mission, period and attack type, as the database adds them up.
#[derive(Debug, Clone, Default)]
pub struct IncidentGroup {
    pub mission: String,
    pub period: String,
    pub attack_type: String,
    pub incidents: u64,
    pub killed: u64,
    pub injured: u64,
    pub abducted: u64,
    pub missing: u64,
    pub with_case: u64,
}

/// The dead of one mission and period with one personnel type and nationality (`unknown`
/// when not known).
#[derive(Debug, Clone, Default)]
pub struct DeadGroup {
    pub mission: String,
    pub period: String,
    pub personnel_type: String,
    pub nationality: String,
    pub killed: u64,
}

/// The counted cases of one mission and period (that of their earliest counted incident) with
/// one status and closure reason.
#[derive(Debug, Clone, Default)]
pub struct CaseGroup {
    pub mission: String,
    pub period: String,
    pub status: String,
    pub closure_reason: Option<String>,
    pub cases: u64,
    /// How many of these cases reached each step of [`FUNNEL`], in its order.
    pub reached: [u64; 8],
    pub accused_convicted: u64,
    pub accused_acquitted: u64,
}

/// The time to justice: the days from a case's earliest incident until it first reached a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    Referral,
    FirstArrest,
    Charge,
    FirstJudgment,
}

impl Delay {
    pub const ALL: [Delay; 4] = [
        Delay::Referral,
        Delay::FirstArrest,
        Delay::Charge,
        Delay::FirstJudgment,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Delay::Referral => "referral",
            Delay::FirstArrest => "first_arrest",
            Delay::Charge => "charge",
            Delay::FirstJudgment => "first_judgment",
        }
    }

    /// The step whose first reaching ends the delay.
    pub fn step(self) -> CaseStatus {
        match self {
            Delay::Referral => CaseStatus::Referred,
            Delay::FirstArrest => CaseStatus::ArrestsMade,
            Delay::Charge => CaseStatus::Charged,
            Delay::FirstJudgment => CaseStatus::Judgment,
        }
    }

    fn from_code(code: &str) -> Option<Delay> {
        Delay::ALL.into_iter().find(|d| d.code() == code)
    }
}

/// The median of one delay, for one mission and period or (`None`) over everything counted.
#[derive(Debug, Clone, Default)]
pub struct MedianDelay {
    pub row: Option<(String, String)>,
    pub delay: String,
    pub days: f64,
}

/// The steps of the funnel, each reached by a case whose timeline passed through it or beyond.
pub const FUNNEL: [CaseStatus; 8] = [
    CaseStatus::Referred,
    CaseStatus::Investigating,
    CaseStatus::SuspectsIdentified,
    CaseStatus::ArrestsMade,
    CaseStatus::Charged,
    CaseStatus::InTrial,
    CaseStatus::Judgment,
    CaseStatus::Final,
];

/// A status's place on the ordinary path, so that a step at or beyond another has a rank at
/// least as high; `None` for `closed`, which is off the path (closing reaches no step).
pub fn path_rank(status: CaseStatus) -> Option<usize> {
    if status == CaseStatus::Closed {
        return None;
    }
    CaseStatus::ALL.iter().position(|s| *s == status)
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

impl Figures {
    fn add_incidents(&mut self, group: &IncidentGroup) {
        self.incidents += group.incidents;
        *self
            .incidents_by_attack_type
            .entry(group.attack_type.clone())
            .or_default() += group.incidents;
        self.killed += group.killed;
        self.injured += group.injured;
        self.abducted += group.abducted;
        self.missing += group.missing;
        self.incidents_with_case += group.with_case;
    }

    fn add_dead(&mut self, group: &DeadGroup) {
        *self
            .killed_by_personnel_type
            .entry(group.personnel_type.clone())
            .or_default() += group.killed;
        *self
            .killed_by_nationality
            .entry(group.nationality.clone())
            .or_default() += group.killed;
    }

    fn add_cases(&mut self, group: &CaseGroup) {
        let counters: [&mut u64; 8] = [
            &mut self.cases_referred,
            &mut self.cases_investigating,
            &mut self.cases_suspects_identified,
            &mut self.cases_arrests_made,
            &mut self.cases_charged,
            &mut self.cases_in_trial,
            &mut self.cases_judgment,
            &mut self.cases_final,
        ];
        for (counter, reached) in counters.into_iter().zip(group.reached) {
            *counter += reached;
        }
        self.accused_convicted += group.accused_convicted;
        self.accused_acquitted += group.accused_acquitted;
        if group.status == CaseStatus::Closed.code() {
            let reason = group
                .closure_reason
                .clone()
                .unwrap_or_else(|| "other".into());
            *self.cases_closed_by_reason.entry(reason).or_default() += group.cases;
        }
    }

    fn set_median(&mut self, delay: Delay, days: f64) {
        let slot = match delay {
            Delay::Referral => &mut self.median_days_to_referral,
            Delay::FirstArrest => &mut self.median_days_to_first_arrest,
            Delay::Charge => &mut self.median_days_to_charge,
            Delay::FirstJudgment => &mut self.median_days_to_first_judgment,
        };
        *slot = Some(days);
    }
}

fn row_of<'a>(
    rows: &'a mut BTreeMap<(String, String), Figures>,
    mission: &str,
    period: &str,
) -> &'a mut Figures {
    rows.entry((mission.to_string(), period.to_string()))
        .or_default()
}

/// Rows per mission and period (in that order), and the totals. Incidents count in the period
/// they occurred in; a case counts in the mission and period of its earliest incident. Counts
/// add up; medians cannot, so the database takes them per row and over everything.
pub fn summarize(
    incidents: &[IncidentGroup],
    dead: &[DeadGroup],
    cases: &[CaseGroup],
    medians: &[MedianDelay],
) -> (Vec<Row>, Figures) {
    let mut rows: BTreeMap<(String, String), Figures> = BTreeMap::new();
    let mut total = Figures::default();
    for group in incidents {
        row_of(&mut rows, &group.mission, &group.period).add_incidents(group);
        total.add_incidents(group);
    }
    for group in dead {
        row_of(&mut rows, &group.mission, &group.period).add_dead(group);
        total.add_dead(group);
    }
    for group in cases {
        row_of(&mut rows, &group.mission, &group.period).add_cases(group);
        total.add_cases(group);
    }
    for median in medians {
        let Some(delay) = Delay::from_code(&median.delay) else {
            continue;
        };
        match &median.row {
            Some((mission, period)) => {
                row_of(&mut rows, mission, period).set_median(delay, median.days)
            }
            None => total.set_median(delay, median.days),
        }
    }
    let rows = rows
        .into_iter()
        .map(|((mission, period), figures)| Row {
            mission,
            period,
            figures,
        })
        .collect();
    (rows, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    #[test]
    fn closing_reaches_no_step_and_every_other_status_ranks_in_path_order() {
        assert_eq!(path_rank(Closed), None);
        assert_eq!(path_rank(Opened), Some(0));
        assert!(path_rank(ArrestsMade) > path_rank(SuspectsIdentified));
        assert!(path_rank(Final) > path_rank(Appeal));
        // The funnel's steps are in path order, so "at or beyond" is a comparison of ranks.
        assert!(FUNNEL.windows(2).all(|w| path_rank(w[0]) < path_rank(w[1])));
    }

    #[test]
    fn counts_add_up_per_row_and_in_total_while_medians_are_placed_as_given() {
        let incidents = [
            IncidentGroup {
                mission: "MINUSCA".into(),
                period: "2020".into(),
                attack_type: "ambush".into(),
                incidents: 3,
                killed: 2,
                injured: 1,
                with_case: 1,
                ..Default::default()
            },
            IncidentGroup {
                mission: "MINUSMA".into(),
                period: "2020".into(),
                attack_type: "ambush".into(),
                incidents: 2,
                killed: 1,
                ..Default::default()
            },
        ];
        let dead = [DeadGroup {
            mission: "MINUSCA".into(),
            period: "2020".into(),
            personnel_type: "military".into(),
            nationality: "unknown".into(),
            killed: 2,
        }];
        let cases = [CaseGroup {
            mission: "MINUSCA".into(),
            period: "2020".into(),
            status: "closed".into(),
            closure_reason: None,
            cases: 2,
            reached: [2, 1, 1, 1, 0, 0, 0, 0],
            accused_convicted: 0,
            accused_acquitted: 1,
        }];
        let medians = [
            MedianDelay {
                row: Some(("MINUSCA".into(), "2020".into())),
                delay: "referral".into(),
                days: 10.5,
            },
            MedianDelay {
                row: None,
                delay: "referral".into(),
                days: 12.0,
            },
        ];
        let (rows, total) = summarize(&incidents, &dead, &cases, &medians);
        assert_eq!(rows.len(), 2);
        let minusca = &rows[0].figures;
        assert_eq!(minusca.incidents, 3);
        assert_eq!(minusca.killed_by_personnel_type.get("military"), Some(&2));
        assert_eq!(minusca.cases_referred, 2);
        assert_eq!(minusca.cases_arrests_made, 1);
        assert_eq!(minusca.cases_closed_by_reason.get("other"), Some(&2));
        assert_eq!(minusca.median_days_to_referral, Some(10.5));
        assert_eq!(rows[1].figures.median_days_to_referral, None);
        assert_eq!(total.incidents, 5);
        assert_eq!(total.incidents_by_attack_type.get("ambush"), Some(&5));
        assert_eq!(total.killed, 3);
        assert_eq!(total.incidents_with_case, 1);
        assert_eq!(total.accused_acquitted, 1);
        assert_eq!(total.median_days_to_referral, Some(12.0));
    }
}
