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

/// The dead of one mission and period of one personnel type, of one nationality (`unknown`
/// when not known), or of both: figures kept per year count each apart (`None` for the other).
#[derive(Debug, Clone, Default)]
pub struct DeadGroup {
    pub mission: String,
    pub period: String,
    pub personnel_type: Option<String>,
    pub nationality: Option<String>,
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

/// One counted case: the mission and period of its earliest counted incident, where it stands,
/// and how many days after that incident it first reached each step (a State's summary counts
/// its cases one at a time, from what its focal point may read).
#[derive(Debug, Clone, Default)]
pub struct CountedCase {
    pub mission: String,
    pub period: String,
    pub status: String,
    pub closure_reason: Option<String>,
    /// Days from the earliest incident to the first day at each step of [`FUNNEL`], in its
    /// order; `None` for a step not reached.
    pub days_to: [Option<i32>; 8],
    pub accused_convicted: u64,
    pub accused_acquitted: u64,
}

/// The middle value, or the mean of the two middle ones for an even count; `None` for none.
pub fn median(values: &mut [i32]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        f64::from(values[middle])
    } else {
        (f64::from(values[middle - 1]) + f64::from(values[middle])) / 2.0
    })
}

/// One counted case that reached a step of the time to justice: the mission and period of its
/// earliest counted incident, and the days from it to the first day at each step of
/// [`Delay::ALL`], in its order (`None` for a step not reached).
#[derive(Debug, Clone, Default)]
pub struct CaseDelays {
    pub mission: String,
    pub period: String,
    pub days: [Option<i32>; 4],
}

/// The days of each delay per mission and period and over every case, added one case at a
/// time, for their medians: a median needs every value, so these are the one figure of the
/// cases not kept as sums.
#[derive(Debug, Default)]
pub struct DelayFigures {
    /// The days of each delay (in the order of `Delay::ALL`), per mission and period...
    per_row: BTreeMap<(String, String), [Vec<i32>; 4]>,
    /// ...and over every case.
    all: [Vec<i32>; 4],
}

impl DelayFigures {
    pub fn add(&mut self, case: CaseDelays) {
        let row = self.per_row.entry((case.mission, case.period)).or_default();
        for (slot, days) in case.days.into_iter().enumerate() {
            if let Some(days) = days {
                row[slot].push(days);
                self.all[slot].push(days);
            }
        }
    }

    /// The medians of the delays that some case reached.
    pub fn medians(self) -> Vec<MedianDelay> {
        let rows = self
            .per_row
            .into_iter()
            .map(|(row, delays)| (Some(row), delays))
            .chain([(None, self.all)]);
        let mut medians = Vec::new();
        for (row, delays) in rows {
            for (delay, mut days) in Delay::ALL.into_iter().zip(delays) {
                if let Some(days) = median(&mut days) {
                    medians.push(MedianDelay {
                        row: row.clone(),
                        delay: delay.code().to_string(),
                        days,
                    });
                }
            }
        }
        medians
    }
}

/// The counted cases per mission, period, status and closure reason, and the median of each
/// delay per mission and period and over all of them, added up one case at a time: the cases
/// are many, and only their groups and delays are kept.
#[derive(Debug, Default)]
pub struct CaseFigures {
    groups: BTreeMap<(String, String, String, Option<String>), CaseGroup>,
    delays: DelayFigures,
}

impl CaseFigures {
    pub fn add(&mut self, case: CountedCase) {
        let days = Delay::ALL.map(|delay| {
            let step = FUNNEL.iter().position(|s| *s == delay.step());
            step.and_then(|step| case.days_to[step])
        });
        self.delays.add(CaseDelays {
            mission: case.mission.clone(),
            period: case.period.clone(),
            days,
        });
        let key = (case.mission, case.period, case.status, case.closure_reason);
        let group = self.groups.entry(key).or_insert_with_key(|key| CaseGroup {
            mission: key.0.clone(),
            period: key.1.clone(),
            status: key.2.clone(),
            closure_reason: key.3.clone(),
            ..Default::default()
        });
        group.cases += 1;
        for (reached, days) in group.reached.iter_mut().zip(case.days_to) {
            *reached += u64::from(days.is_some());
        }
        group.accused_convicted += case.accused_convicted;
        group.accused_acquitted += case.accused_acquitted;
    }

    /// The groups, and the medians of the delays that some case reached.
    pub fn finish(self) -> (Vec<CaseGroup>, Vec<MedianDelay>) {
        (self.groups.into_values().collect(), self.delays.medians())
    }
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
        if let Some(personnel_type) = &group.personnel_type {
            *self
                .killed_by_personnel_type
                .entry(personnel_type.clone())
                .or_default() += group.killed;
        }
        if let Some(nationality) = &group.nationality {
            *self
                .killed_by_nationality
                .entry(nationality.clone())
                .or_default() += group.killed;
        }
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
/// add up; medians cannot, so `DelayFigures` takes them per row and over everything.
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
    fn the_median_is_the_middle_value_or_the_mean_of_the_two_middle_ones() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7]), Some(7.0));
        assert_eq!(median(&mut [30, 10, 20]), Some(20.0));
        assert_eq!(median(&mut [40, 10, 30, 20]), Some(25.0));
        assert_eq!(median(&mut [3, 4]), Some(3.5));
    }

    fn case(mission: &str, status: &str, days_to: [Option<i32>; 8]) -> CountedCase {
        CountedCase {
            mission: mission.into(),
            period: "2020".into(),
            status: status.into(),
            days_to,
            ..Default::default()
        }
    }

    #[test]
    fn cases_are_grouped_and_each_delay_has_its_median_per_row_and_over_all() {
        let mut closed = case(
            "MINUSCA",
            "closed",
            [Some(4), None, None, None, None, None, None, None],
        );
        closed.closure_reason = Some("no_suspect".into());
        closed.accused_acquitted = 1;
        let cases = [
            case(
                "MINUSCA",
                "charged",
                [
                    Some(10),
                    Some(20),
                    None,
                    Some(30),
                    Some(40),
                    None,
                    None,
                    None,
                ],
            ),
            case(
                "MINUSCA",
                "charged",
                [Some(20), None, None, None, Some(60), None, None, None],
            ),
            closed,
            case("UNMISS", "opened", [None; 8]),
            case(
                "UNMISS",
                "referred",
                [Some(100), None, None, None, None, None, None, None],
            ),
        ];
        let mut figures = CaseFigures::default();
        for case in cases {
            figures.add(case);
        }
        let (groups, medians) = figures.finish();

        let charged = groups
            .iter()
            .find(|g| g.mission == "MINUSCA" && g.status == "charged")
            .unwrap();
        assert_eq!(charged.cases, 2);
        assert_eq!(charged.reached, [2, 1, 0, 1, 2, 0, 0, 0]);
        let closed = groups.iter().find(|g| g.status == "closed").unwrap();
        assert_eq!((closed.cases, closed.accused_acquitted), (1, 1));
        assert_eq!(closed.closure_reason.as_deref(), Some("no_suspect"));
        assert_eq!(groups.iter().map(|g| g.cases).sum::<u64>(), 5);

        let median_of = |row: Option<(&str, &str)>, delay: &str| {
            medians
                .iter()
                .find(|m| {
                    m.delay == delay && m.row.as_ref().map(|(m, p)| (m.as_str(), p.as_str())) == row
                })
                .map(|m| m.days)
        };
        // MINUSCA referred after 10, 20 and 4 days; UNMISS after 100; the UNMISS case still
        // opened counts in no delay.
        assert_eq!(median_of(Some(("MINUSCA", "2020")), "referral"), Some(10.0));
        assert_eq!(median_of(Some(("UNMISS", "2020")), "referral"), Some(100.0));
        assert_eq!(median_of(None, "referral"), Some(15.0));
        assert_eq!(median_of(None, "charge"), Some(50.0));
        assert_eq!(median_of(None, "first_arrest"), Some(30.0));
        assert_eq!(median_of(None, "first_judgment"), None);
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
            personnel_type: Some("military".into()),
            nationality: Some("unknown".into()),
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
