//! The summaries' figures the database keeps (by triggers, in the transaction of every
//! change) against a recount of the records: random sequences of creates, edits moving an
//! incident to another month, mission, classification or attack type, amendments of verified
//! incidents, victims added and removed, withdrawals, cases linking and unlinking incidents,
//! case steps, closures and reopenings, accused and their verdicts, all through the service;
//! after each, the figures kept (incident months and years, case rows and case months) equal a
//! recount, and the summary's incident, dead and case groups read from them equal those
//! counted from the records (the cases from their rows, each equal to its recount), for random
//! scopes, ranges of days and groupings.

use crate::common;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

use common::server::registry;
use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::domain::summary::{CaseGroup, DeadGroup, Grouping, IncidentGroup};
use peacekeeper_registry::store::summary::{
    Scope, counted_case_groups, counted_dead_groups, counted_incident_groups,
};
use peacekeeper_registry::store::summary_figures;

on_both_backends!(
    the_figures_kept_equal_a_recount_after_every_change,
    summary_check_finds_a_figure_changed_by_hand
);

const MISSIONS: [&str; 2] = ["MINUSCA", "MONUSCO"];
const CLASSIFICATIONS: [&str; 3] = ["unclassified", "confidential", "strictly_confidential"];
const ATTACK_TYPES: [&str; 3] = ["ambush", "ied", "direct_fire"];
const NATIONALITIES: [Option<&str>; 3] = [Some("SEN"), Some("BGD"), None];
const OUTCOMES: [&str; 3] = ["killed", "injured", "missing"];

#[derive(Debug, Clone)]
enum Change {
    /// A new incident (left a draft, or submitted).
    Create {
        mission: usize,
        day: u32,
        classification: usize,
        attack_type: usize,
        victims: Vec<(usize, usize)>,
        submit: bool,
    },
    /// One field of an incident changed (an amendment, once it is verified).
    Move {
        incident: usize,
        to: Field,
    },
    /// The victims of an incident replaced.
    Victims {
        incident: usize,
        victims: Vec<(usize, usize)>,
    },
    Submit {
        incident: usize,
    },
    Verify {
        incident: usize,
    },
    Withdraw {
        incident: usize,
    },
    /// A case opened on an incident.
    OpenCase {
        incident: usize,
    },
    /// A case's incidents replaced by another one.
    Relink {
        case: usize,
        incident: usize,
    },
    /// A step of a case's timeline (to one of `STEPS`; a closure with one of `CLOSURE_REASONS`).
    Step {
        case: usize,
        to: usize,
        reason: usize,
    },
    /// An accused person added to a case, with one of `VERDICTS`.
    Accuse {
        case: usize,
        verdict: usize,
    },
    /// An accused person's verdict changed.
    Verdict {
        accused: usize,
        verdict: usize,
    },
}

/// Steps the cases are moved to, forward, closed and reopened (`investigating` from `closed`).
const STEPS: [&str; 8] = [
    "referred",
    "investigating",
    "arrests_made",
    "charged",
    "judgment",
    "appeal",
    "final",
    "closed",
];
const CLOSURE_REASONS: [&str; 2] = ["no_suspect", "insufficient_evidence"];
const VERDICTS: [&str; 3] = ["pending", "convicted", "acquitted"];

#[derive(Debug, Clone)]
enum Field {
    Day(u32),
    Mission(usize),
    Classification(usize),
    AttackType(usize),
}

fn victims() -> impl Strategy<Value = Vec<(usize, usize)>> {
    proptest::collection::vec((0..NATIONALITIES.len(), 0..OUTCOMES.len()), 0..4)
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        (0u32..900).prop_map(Field::Day),
        (0..MISSIONS.len()).prop_map(Field::Mission),
        (0..CLASSIFICATIONS.len()).prop_map(Field::Classification),
        (0..ATTACK_TYPES.len()).prop_map(Field::AttackType),
    ]
}

fn change() -> impl Strategy<Value = Change> {
    let any = 0usize..100;
    prop_oneof![
        4 => (0..MISSIONS.len(), 0u32..900, 0..CLASSIFICATIONS.len(), 0..ATTACK_TYPES.len(), victims(), proptest::bool::weighted(0.8))
            .prop_map(|(mission, day, classification, attack_type, victims, submit)| Change::Create {
                mission, day, classification, attack_type, victims, submit
            }),
        4 => (any.clone(), field()).prop_map(|(incident, to)| Change::Move { incident, to }),
        2 => (any.clone(), victims()).prop_map(|(incident, victims)| Change::Victims { incident, victims }),
        1 => any.clone().prop_map(|incident| Change::Submit { incident }),
        2 => any.clone().prop_map(|incident| Change::Verify { incident }),
        1 => any.clone().prop_map(|incident| Change::Withdraw { incident }),
        2 => any.clone().prop_map(|incident| Change::OpenCase { incident }),
        2 => (any.clone(), any.clone()).prop_map(|(case, incident)| Change::Relink { case, incident }),
        4 => (any.clone(), 0..STEPS.len(), 0..CLOSURE_REASONS.len()).prop_map(|(case, to, reason)| Change::Step { case, to, reason }),
        2 => (any.clone(), 0..VERDICTS.len()).prop_map(|(case, verdict)| Change::Accuse { case, verdict }),
        2 => (any.clone(), 0..VERDICTS.len()).prop_map(|(accused, verdict)| Change::Verdict { accused, verdict }),
    ]
}

/// What a reader may count, over a range of days, grouped one way.
fn scope() -> impl Strategy<Value = (Scope, Grouping)> {
    let missions = prop_oneof![
        Just(None),
        (0..MISSIONS.len()).prop_map(|m| Some(vec![MISSIONS[m].to_string()])),
    ];
    let grouping = prop_oneof![
        Just(Grouping::Year),
        Just(Grouping::Quarter),
        Just(Grouping::Month)
    ];
    let bound = proptest::option::of(0u32..960);
    (
        missions,
        1..=CLASSIFICATIONS.len(),
        bound.clone(),
        bound,
        grouping,
    )
        .prop_map(|(missions, cleared, from, until, grouping)| {
            let scope = Scope {
                missions,
                classifications: CLASSIFICATIONS[..cleared]
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
                from: from.map(|d| day(d).and_time(chrono::NaiveTime::MIN)),
                until: until.map(|d| day(d).and_time(chrono::NaiveTime::MIN)),
            };
            (scope, grouping)
        })
}

/// Days from 2023-01-01.
fn day(n: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Days::new(n.into())
}

/// A verdict as the service takes it: given on the day of the change, with a sentence for a
/// conviction.
fn verdict_json(verdict: &str, step: usize) -> Value {
    match verdict {
        "pending" => json!({ "verdict": "pending" }),
        "convicted" => json!({ "verdict": "convicted", "verdict_on": day(900 + step as u32),
                               "sentence": { "type": "imprisonment", "months": 60 } }),
        _ => json!({ "verdict": verdict, "verdict_on": day(900 + step as u32) }),
    }
}

fn victims_json(victims: &[(usize, usize)]) -> Value {
    victims
        .iter()
        .map(|(nationality, outcome)| {
            json!({ "personnel_type": "military", "nationality": NATIONALITIES[*nationality],
                    "gender": "male", "outcome": OUTCOMES[*outcome] })
        })
        .collect()
}

/// Incident groups as the summary adds them up: one entry per mission, period and attack type.
fn incident_totals(groups: Vec<IncidentGroup>) -> Vec<(String, String, String, [u64; 6])> {
    let mut totals = std::collections::BTreeMap::<_, [u64; 6]>::new();
    for g in groups {
        let t = totals
            .entry((g.mission, g.period, g.attack_type))
            .or_default();
        for (sum, value) in t.iter_mut().zip([
            g.incidents,
            g.killed,
            g.injured,
            g.abducted,
            g.missing,
            g.with_case,
        ]) {
            *sum += value;
        }
    }
    totals
        .into_iter()
        .map(|((m, p, a), t)| (m, p, a, t))
        .collect()
}

/// The dead per mission and period by personnel type and by nationality, as a summary shows
/// them (kept per year, the two are counted apart).
fn dead_totals(groups: Vec<DeadGroup>) -> Vec<((String, String, String), u64)> {
    let mut totals = std::collections::BTreeMap::<_, u64>::new();
    for g in groups {
        if let Some(personnel_type) = g.personnel_type {
            let key = (g.mission.clone(), g.period.clone(), personnel_type);
            *totals.entry(key).or_default() += g.killed;
        }
        if let Some(nationality) = g.nationality {
            let key = (g.mission, g.period, format!("of {nationality}"));
            *totals.entry(key).or_default() += g.killed;
        }
    }
    totals.into_iter().collect()
}

/// A mission, period, status and closure reason.
type CaseKey = (String, String, String, Option<String>);

/// The cases per key: how many, how many reached each step, the accused convicted and acquitted.
fn case_totals(groups: Vec<CaseGroup>) -> std::collections::BTreeMap<CaseKey, [u64; 11]> {
    let mut totals = std::collections::BTreeMap::<_, [u64; 11]>::new();
    for g in groups {
        let sums = totals
            .entry((g.mission, g.period, g.status, g.closure_reason))
            .or_default();
        let figures = [g.cases, g.accused_convicted, g.accused_acquitted];
        for (sum, value) in sums.iter_mut().zip(figures.into_iter().chain(g.reached)) {
            *sum += value;
        }
    }
    totals
}

async fn the_figures_kept_equal_a_recount_after_every_change(backend: Backend) {
    let t = TestApp::new(backend);
    let everything = Clearance::StrictlyConfidential;
    t.create_user("officer", Role::SecurityOfficer, everything, &[]);
    t.create_user("verifier", Role::SecurityOfficer, everything, &[]);
    t.create_user("legal", Role::LegalOfficer, everything, &[]);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let verifier = api.login("verifier", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;

    let mut runner = TestRunner::deterministic();
    let changes = proptest::collection::vec(change(), 150)
        .new_tree(&mut runner)
        .expect("changes")
        .current();
    let mut incidents: Vec<String> = Vec::new();
    let mut cases: Vec<String> = Vec::new();
    // (case, accused person) of every accused added.
    let mut accused: Vec<(String, String)> = Vec::new();
    let (mut done, mut closed, mut reopened) = (0, 0, 0);
    for (step, change) in changes.iter().enumerate() {
        let pick =
            |list: &Vec<String>, n: usize| (!list.is_empty()).then(|| list[n % list.len()].clone());
        let current = |id: &str| {
            let api = &api;
            let officer = officer.clone();
            let path = format!("/api/v1/incidents/{id}");
            async move { api.get(&path, Some(&officer)).await.body }
        };
        let answer = match change {
            Change::Create {
                mission,
                day: d,
                classification,
                attack_type,
                victims,
                submit,
            } => {
                let answer = api
                    .post(
                        "/api/v1/incidents",
                        Some(&officer),
                        json!({
                            "mission": MISSIONS[*mission], "occurred_at": format!("{}T10:00:00Z", day(*d)),
                            "location_type": "patrol", "attack_type": ATTACK_TYPES[*attack_type],
                            "victims": victims_json(victims), "summary": "An attack",
                            "classification": CLASSIFICATIONS[*classification], "submit": submit
                        }),
                    )
                    .await;
                if answer.status.is_success() {
                    incidents.push(answer.id());
                }
                Some(answer)
            }
            Change::Move { incident, to } => match pick(&incidents, *incident) {
                None => None,
                Some(id) => {
                    let now = current(&id).await;
                    let mut body =
                        json!({ "version": now["version"], "reason": "Corrected by the sector" });
                    match to {
                        Field::Day(d) => {
                            body["occurred_at"] = json!(format!("{}T10:00:00Z", day(*d)))
                        }
                        Field::Mission(m) => body["mission"] = json!(MISSIONS[*m]),
                        Field::Classification(c) => {
                            body["classification"] = json!(CLASSIFICATIONS[*c])
                        }
                        Field::AttackType(a) => body["attack_type"] = json!(ATTACK_TYPES[*a]),
                    }
                    Some(
                        api.patch(&format!("/api/v1/incidents/{id}"), Some(&officer), body)
                            .await,
                    )
                }
            },
            Change::Victims { incident, victims } => match pick(&incidents, *incident) {
                None => None,
                Some(id) => {
                    let now = current(&id).await;
                    let body = json!({ "version": now["version"], "reason": "Casualties confirmed",
                                       "victims": victims_json(victims) });
                    Some(
                        api.patch(&format!("/api/v1/incidents/{id}"), Some(&officer), body)
                            .await,
                    )
                }
            },
            Change::Submit { incident }
            | Change::Verify { incident }
            | Change::Withdraw { incident } => match pick(&incidents, *incident) {
                None => None,
                Some(id) => {
                    let now = current(&id).await;
                    let (what, token, body) = match change {
                        Change::Submit { .. } => {
                            ("submit", &officer, json!({ "version": now["version"] }))
                        }
                        Change::Verify { .. } => {
                            ("verify", &verifier, json!({ "version": now["version"] }))
                        }
                        _ => ("withdraw", &officer, json!({ "reason": "Entered twice" })),
                    };
                    Some(
                        api.post(&format!("/api/v1/incidents/{id}/{what}"), Some(token), body)
                            .await,
                    )
                }
            },
            Change::OpenCase { incident } => match pick(&incidents, *incident) {
                None => None,
                Some(id) => {
                    let answer = api
                        .post(
                            "/api/v1/cases",
                            Some(&legal),
                            json!({ "incident_ids": [id], "jurisdiction": "CAF" }),
                        )
                        .await;
                    if answer.status.is_success() {
                        cases.push(answer.id());
                    }
                    Some(answer)
                }
            },
            Change::Relink { case, incident } => {
                match (pick(&cases, *case), pick(&incidents, *incident)) {
                    (Some(case), Some(id)) => {
                        let path = format!("/api/v1/cases/{case}");
                        let now = api.get(&path, Some(&legal)).await.body;
                        Some(
                            api.patch(
                                &path,
                                Some(&legal),
                                json!({ "version": now["version"], "incident_ids": [id] }),
                            )
                            .await,
                        )
                    }
                    _ => None,
                }
            }
            Change::Step { case, to, reason } => match pick(&cases, *case) {
                None => None,
                Some(case) => {
                    // Each step a day after the one before, after every incident.
                    let mut body =
                        json!({ "to": STEPS[*to], "effective_on": day(900 + step as u32) });
                    if STEPS[*to] == "closed" {
                        body["closure_reason"] = json!(CLOSURE_REASONS[*reason]);
                    }
                    let now = api
                        .get(&format!("/api/v1/cases/{case}"), Some(&legal))
                        .await;
                    // A closed case is reopened: moved back to `investigating`.
                    let reopening = now.body["status"] == "closed";
                    if reopening {
                        body["to"] = json!("investigating");
                    }
                    let answer = api
                        .post(
                            &format!("/api/v1/cases/{case}/transitions"),
                            Some(&legal),
                            body,
                        )
                        .await;
                    if answer.status.is_success() {
                        reopened += usize::from(reopening);
                        closed += usize::from(!reopening && STEPS[*to] == "closed");
                    }
                    Some(answer)
                }
            },
            Change::Accuse { case, verdict } => match pick(&cases, *case) {
                None => None,
                Some(case) => {
                    let mut body = verdict_json(VERDICTS[*verdict], step);
                    body["name"] = json!(format!("Accused {step}"));
                    let answer = api
                        .post(&format!("/api/v1/cases/{case}/accused"), Some(&legal), body)
                        .await;
                    if answer.status.is_success() {
                        accused.push((case, answer.id()));
                    }
                    Some(answer)
                }
            },
            Change::Verdict {
                accused: which,
                verdict,
            } => match (!accused.is_empty()).then(|| accused[which % accused.len()].clone()) {
                None => None,
                Some((case, person)) => {
                    let path = format!("/api/v1/cases/{case}/accused/{person}");
                    let now = api
                        .get(&format!("/api/v1/cases/{case}"), Some(&legal))
                        .await;
                    let version = now.body["accused"]
                        .as_array()
                        .and_then(|all| all.iter().find(|a| a["id"] == json!(person)))
                        .map(|a| a["version"].clone());
                    let mut body = verdict_json(VERDICTS[*verdict], step);
                    body["version"] = version.unwrap_or(json!(1));
                    if body.get("verdict_on").is_none() {
                        body["verdict_on"] = Value::Null;
                        body["sentence"] = Value::Null;
                    }
                    Some(api.patch(&path, Some(&legal), body).await)
                }
            },
        };
        if let Some(answer) = &answer {
            // Refusals (a case on a draft, a verifier of their own change...) change nothing;
            // nothing may fail.
            assert!(
                !answer.status.is_server_error(),
                "{change:?}: {}",
                answer.body
            );
            if answer.status.is_success() {
                done += 1;
            }
        }

        let mut conn = t.conn();
        let difference = summary_figures::first_difference(&mut conn).expect("compared");
        assert_eq!(difference, None, "after change {step}, {change:?}");
        let scopes = proptest::collection::vec(scope(), 3)
            .new_tree(&mut runner)
            .expect("scopes")
            .current();
        for (scope, grouping) in scopes {
            assert_eq!(
                incident_totals(
                    summary_figures::incident_groups(&mut conn, &scope, grouping).unwrap()
                ),
                incident_totals(counted_incident_groups(&mut conn, &scope, grouping).unwrap()),
                "incidents after change {step}, {change:?}, over {scope:?} by {grouping:?}"
            );
            assert_eq!(
                dead_totals(summary_figures::dead_groups(&mut conn, &scope, grouping).unwrap()),
                dead_totals(counted_dead_groups(&mut conn, &scope, grouping).unwrap()),
                "dead after change {step}, {change:?}, over {scope:?} by {grouping:?}"
            );
            assert_eq!(
                case_totals(summary_figures::case_groups(&mut conn, &scope, grouping).unwrap()),
                case_totals(counted_case_groups(&mut conn, &scope, grouping).unwrap()),
                "cases after change {step}, {change:?}, over {scope:?} by {grouping:?}"
            );
        }
    }
    // The sequence did what it meant to: most changes were made, not refused, and the figures
    // count incidents with dead and with cases.
    assert!(done >= 80, "only {done} of {} changes made", changes.len());
    let everything = Scope {
        classifications: CLASSIFICATIONS.map(String::from).to_vec(),
        ..Scope::default()
    };
    let mut conn = t.conn();
    let totals = incident_totals(
        summary_figures::incident_groups(&mut conn, &everything, Grouping::Year).unwrap(),
    );
    let sum = |n: usize| totals.iter().map(|t| t.3[n]).sum::<u64>();
    assert!(sum(0) > 10 && sum(1) > 0 && sum(5) > 0, "{totals:?}");
    // ...and cases judged, with verdicts; cases were closed and reopened.
    let groups = summary_figures::case_groups(&mut conn, &everything, Grouping::Year).unwrap();
    let judged = groups.iter().map(|g| g.reached[6]).sum::<u64>();
    let verdicts = groups
        .iter()
        .map(|g| g.accused_convicted + g.accused_acquitted)
        .sum::<u64>();
    assert!(
        judged > 0 && verdicts > 0 && closed > 0 && reopened > 0,
        "judged {judged}, verdicts {verdicts}, closed {closed}, reopened {reopened}: {groups:?}"
    );
}

/// A figure changed by hand, of an incident month or of a case, is named by `summary check`
/// (exit 1), and `summary rebuild` counts the figures again from the records.
async fn summary_check_finds_a_figure_changed_by_hand(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::Unclassified,
        &[],
    );
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let created = api
        .post(
            "/api/v1/incidents",
            Some(&officer),
            json!({ "mission": "MINUSCA", "occurred_at": "2024-05-02T10:00:00Z", "location_type": "patrol",
                    "attack_type": "ambush", "victims": victims_json(&[(0, 0)]), "summary": "An attack",
                    "classification": "unclassified", "submit": true }),
        )
        .await;
    assert!(created.status.is_success(), "{}", created.body);
    let folder = tempfile::tempdir().unwrap();
    let summary = |what: &str| {
        let output = registry(folder.path(), &t.db.url)
            .args(["summary", what])
            .output()
            .expect("the binary runs");
        let said = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.code(), said)
    };
    let (code, said) = summary("check");
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("summary figures intact"), "{said}");

    t.execute_sql("UPDATE incident_month_figures SET killed = killed + 2")
        .unwrap();
    let (code, said) = summary("check");
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("MINUSCA") && said.contains("2024-05"),
        "{said}"
    );
    assert!(
        said.contains("killed 1") && said.contains("killed 3"),
        "{said}"
    );

    let (code, said) = summary("rebuild");
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = summary("check");
    assert_eq!(code, Some(0), "{said}");

    // A year's figures, likewise: they must be their months added up.
    t.execute_sql("UPDATE killed_year_by_nationality SET killed = killed + 1")
        .unwrap();
    let (code, said) = summary("check");
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("dead of the year") && said.contains("\"2024\""),
        "{said}"
    );
    let (code, said) = summary("rebuild");
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = summary("check");
    assert_eq!(code, Some(0), "{said}");

    // A case's row of figures, likewise.
    t.create_user("legal", Role::LegalOfficer, Clearance::Unclassified, &[]);
    let legal = api.login("legal", PASSWORD).await;
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [created.id()], "jurisdiction": "CAF" }),
        )
        .await;
    assert!(case.status.is_success(), "{}", case.body);
    let (code, said) = summary("check");
    assert_eq!(code, Some(0), "{said}");
    t.execute_sql("UPDATE case_figures SET referred_on = first_unclassified")
        .unwrap();
    let (code, said) = summary("check");
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains(&format!("case {}", case.id())), "{said}");
    let (code, said) = summary("rebuild");
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = summary("check");
    assert_eq!(code, Some(0), "{said}");
    // The cases per month, likewise: they must be the cases' rows added up.
    t.execute_sql("UPDATE case_month_figures SET cases = cases + 1")
        .unwrap();
    let (code, said) = summary("check");
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("cases of the month") && said.contains("2024-05"),
        "{said}"
    );
    let (code, said) = summary("rebuild");
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = summary("check");
    assert_eq!(code, Some(0), "{said}");
}
