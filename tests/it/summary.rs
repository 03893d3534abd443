//! Summaries for leadership: a small world counted by hand, scoping by mission and clearance,
//! periods, CSV, and the stalled list.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use common::{Answer, Backend, PASSWORD, TestApp, with_token};
use futures_util::future::join_all;
use peacekeeper_registry::config::Settings;
use peacekeeper_registry::db;
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    figures_match_a_hand_counted_world,
    missions_and_clearance_limit_what_is_counted,
    periods_and_date_ranges,
    summaries_come_as_csv_and_are_recorded,
    the_stalled_list_is_oldest_first,
    figures_follow_every_change,
    those_waiting_for_a_count_hold_no_connection,
);

fn victim(personnel_type: &str, nationality: Option<&str>, outcome: &str) -> Value {
    json!({ "personnel_type": personnel_type, "nationality": nationality, "gender": "male", "outcome": outcome })
}

fn incident(
    mission: &str,
    day: &str,
    attack_type: &str,
    classification: &str,
    victims: Vec<Value>,
) -> Value {
    json!({
        "mission": mission,
        "occurred_at": format!("{day}T08:00:00Z"),
        "time_precision": "exact",
        "location_type": "patrol",
        "attack_type": attack_type,
        "weapons": [],
        "victims": victims,
        "summary": format!("{attack_type} on {day}"),
        "narrative": "As reported by the sector.",
        "classification": classification,
        "submit": true
    })
}

macro_rules! post_ok {
    ($api:expr, $token:expr, $path:expr, $body:expr) => {{
        let path: String = $path.into();
        let answer = $api.post(&path, Some($token), $body).await;
        assert!(answer.status.is_success(), "{}: {}", path, answer.body);
        answer
    }};
}

/// Opens a case on these incidents and walks it through the steps given.
macro_rules! case_with {
    ($api:expr, $legal:expr, $incidents:expr, $opened:expr, $steps:expr) => {{
        let case = post_ok!(
            $api,
            $legal,
            "/api/v1/cases",
            json!({ "incident_ids": $incidents, "jurisdiction": "CAF", "opened_on": $opened })
        );
        let id = case.id();
        let steps: &[(&str, &str, Option<&str>)] = $steps;
        for (to, on, reason) in steps {
            post_ok!(
                $api,
                $legal,
                format!("/api/v1/cases/{id}/transitions"),
                json!({ "to": to, "effective_on": on, "closure_reason": reason })
            );
        }
        id
    }};
}

/// The world of the hand count (MINUSCA):
/// - I1 2024-02-10 ambush: killed military RWA, killed police SEN, injured military RWA
/// - I2 2024-05-03 ied: killed military observer (nationality unknown), abducted other
/// - I3 2024-11-20 ambush: missing military, injured military
/// - I4 2025-01-15 indirect fire: killed national staff CAF (unclassified; the rest confidential)
/// - a draft and a withdrawn incident, never counted
/// - C1 on I1: the whole road to `final`; one accused convicted, one acquitted
/// - C2 on I2: referred, straight to arrests, closed `dismissed`
/// - C3 on I3: referred, investigating, closed `no_suspect`, reopened
/// - C4 on I4: opened only
/// - C5 on I2 and I3: referred, straight to charged, in trial, judgment; one convicted
/// - on I4 too, one case left at each remaining status (days from I4, 2025-01-15):
///   C6 referred (30); C7 suspects_identified (referred 10); C8 warrants_issued (20, straight);
///   C9 arrests_made (referred 5, arrests 90); C10 charged (referred 1, charged 120);
///   C11 in_trial (180, straight); C12 appeal (referred 10, judgment 239)
struct World {
    c1: String,
    c2: String,
    c3: String,
    c4: String,
    c5: String,
    c12: String,
    /// Open, on an incident withdrawn since: not counted, but still a stalled case.
    c13: String,
}

macro_rules! build_world {
    ($t:expr, $api:expr) => {{
        let t: &TestApp = $t;
        t.create_user("officer", Role::SecurityOfficer, Clearance::StrictlyConfidential, &[]);
        t.create_user("officer.two", Role::SecurityOfficer, Clearance::StrictlyConfidential, &[]);
        t.create_user("legal", Role::LegalOfficer, Clearance::StrictlyConfidential, &[]);
        let officer = $api.login("officer", PASSWORD).await;
        let legal = $api.login("legal", PASSWORD).await;
        let incidents = "/api/v1/incidents";
        let i1 = post_ok!($api, &officer, incidents, incident("MINUSCA", "2024-02-10", "ambush", "confidential", vec![
            victim("military", Some("RWA"), "killed"),
            victim("police", Some("SEN"), "killed"),
            victim("military", Some("RWA"), "injured"),
        ])).id();
        // Verified counts like submitted.
        let second = $api.login("officer.two", PASSWORD).await;
        post_ok!($api, &second, format!("/api/v1/incidents/{i1}/verify"), json!({ "version": 2 }));
        let i2 = post_ok!($api, &officer, incidents, incident("MINUSCA", "2024-05-03", "ied", "confidential", vec![
            victim("military_observer", None, "killed"),
            victim("other", Some("FRA"), "abducted"),
        ])).id();
        let i3 = post_ok!($api, &officer, incidents, incident("MINUSCA", "2024-11-20", "ambush", "confidential", vec![
            victim("military", Some("BGD"), "missing"),
            victim("military", Some("BGD"), "injured"),
        ])).id();
        let i4 = post_ok!($api, &officer, incidents, incident("MINUSCA", "2025-01-15", "indirect_fire", "unclassified", vec![
            victim("national_staff", Some("CAF"), "killed"),
        ])).id();
        let mut draft = incident("MINUSCA", "2024-03-01", "ambush", "confidential", vec![victim("military", None, "killed")]);
        draft["submit"] = json!(false);
        post_ok!($api, &officer, incidents, draft);
        let withdrawn = post_ok!($api, &officer, incidents, incident("MINUSCA", "2024-04-01", "ied", "confidential", vec![victim("military", None, "killed")])).id();
        post_ok!($api, &officer, format!("/api/v1/incidents/{withdrawn}/withdraw"), json!({ "reason": "Entered twice" }));

        let c1 = case_with!($api, &legal, vec![i1.clone()], "2024-02-15", &[
            ("referred", "2024-03-01", None),
            ("investigating", "2024-04-01", None),
            ("suspects_identified", "2024-05-01", None),
            ("warrants_issued", "2024-05-20", None),
            ("arrests_made", "2024-06-10", None),
            ("charged", "2024-07-10", None),
            ("in_trial", "2024-09-01", None),
            ("judgment", "2024-12-01", None),
        ]);
        for verdict in [json!({ "name": "A.", "verdict": "convicted", "verdict_on": "2024-12-01", "sentence": { "type": "imprisonment", "months": 120 } }),
                        json!({ "name": "B.", "verdict": "acquitted", "verdict_on": "2024-12-01" })] {
            post_ok!($api, &legal, format!("/api/v1/cases/{c1}/accused"), verdict);
        }
        for (to, on) in [("appeal", "2025-01-10"), ("final", "2025-03-01")] {
            post_ok!($api, &legal, format!("/api/v1/cases/{c1}/transitions"), json!({ "to": to, "effective_on": on }));
        }
        let c2 = case_with!($api, &legal, vec![i2.clone()], "2024-05-05", &[
            ("referred", "2024-05-13", None),
            ("arrests_made", "2024-07-02", None),
            ("closed", "2024-10-01", Some("dismissed")),
        ]);
        let c3 = case_with!($api, &legal, vec![i3.clone()], "2024-11-25", &[
            ("referred", "2024-12-20", None),
            ("investigating", "2025-01-20", None),
            ("closed", "2025-02-01", Some("no_suspect")),
            ("investigating", "2025-03-01", None),
        ]);
        let c4 = case_with!($api, &legal, vec![i4.clone()], "2025-01-20", &[]);
        // A case whose only incident was withdrawn afterwards counts nowhere, nor does the incident.
        let i5 = post_ok!($api, &officer, incidents, incident("MINUSCA", "2024-08-01", "ambush", "confidential", vec![
            victim("military", Some("EGY"), "killed"),
        ])).id();
        let c13 = case_with!($api, &legal, vec![i5.clone()], "2024-08-05", &[("referred", "2024-08-10", None)]);
        post_ok!($api, &officer, format!("/api/v1/incidents/{i5}/withdraw"), json!({ "reason": "Not an attack: an accident" }));
        let c5 = case_with!($api, &legal, vec![i3.clone(), i2.clone()], "2024-05-10", &[
            ("referred", "2024-06-02", None),
            ("charged", "2024-08-01", None),
            ("in_trial", "2024-09-01", None),
            ("judgment", "2024-10-02", None),
        ]);
        post_ok!($api, &legal, format!("/api/v1/cases/{c5}/accused"),
            json!({ "name": "C.", "verdict": "convicted", "verdict_on": "2024-10-02", "sentence": { "type": "life_imprisonment" } }));
        let at_each_status: [&[(&str, &str, Option<&str>)]; 7] = [
            &[("referred", "2025-02-14", None)],
            &[("referred", "2025-01-25", None), ("investigating", "2025-02-01", None), ("suspects_identified", "2025-03-01", None)],
            &[("warrants_issued", "2025-02-04", None)],
            &[("referred", "2025-01-20", None), ("arrests_made", "2025-04-15", None)],
            &[("referred", "2025-01-16", None), ("charged", "2025-05-15", None)],
            &[("in_trial", "2025-07-14", None)],
            &[("referred", "2025-01-25", None), ("judgment", "2025-09-11", None), ("appeal", "2025-10-01", None)],
        ];
        let mut c12 = String::new();
        for steps in at_each_status {
            c12 = case_with!($api, &legal, vec![i4.clone()], "2025-01-16", steps);
        }
        World { c1, c2, c3, c4, c5, c12, c13 }
    }};
}

/// Adds two rows of figures: numbers add up, maps add up key by key, the rest is taken from `a`.
fn sum(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            json!(x.as_f64().unwrap() as u64 + y.as_f64().unwrap() as u64)
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut out = x.clone();
            for (key, value) in y {
                let merged = match x.get(key) {
                    Some(existing) => sum(existing, value),
                    None => value.clone(),
                };
                out.insert(key.clone(), merged);
            }
            Value::Object(out)
        }
        _ => a.clone(),
    }
}

fn row<'a>(summary: &'a Answer, mission: &str, period: &str) -> &'a Value {
    summary.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mission"] == mission && r["period"] == period)
        .unwrap_or_else(|| panic!("no row {mission} {period} in {}", summary.body))
}

async fn figures_match_a_hand_counted_world(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    build_world!(&t, api);
    t.create_user(
        "leader",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &[],
    );
    let leader = api.login("leader", PASSWORD).await;

    let summary = api.get("/api/v1/summary", Some(&leader)).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
    assert_eq!(summary.body["group"], "year");
    assert_eq!(summary.body["rows"].as_array().unwrap().len(), 2);

    let y2024 = row(&summary, "MINUSCA", "2024");
    let expected_2024 = json!({
        "mission": "MINUSCA", "period": "2024",
        "incidents": 3,
        "incidents_by_attack_type": { "ambush": 2, "ied": 1 },
        "killed": 3, "injured": 2, "abducted": 1, "missing": 1,
        "killed_by_personnel_type": { "military": 1, "police": 1, "military_observer": 1 },
        "killed_by_nationality": { "RWA": 1, "SEN": 1, "unknown": 1 },
        "incidents_with_case": 3,
        "cases_referred": 4,
        "cases_investigating": 4,
        "cases_suspects_identified": 3,
        "cases_arrests_made": 3,
        "cases_charged": 2,
        "cases_in_trial": 2,
        "cases_judgment": 2,
        "cases_final": 1,
        "accused_convicted": 2,
        "accused_acquitted": 1,
        "cases_closed_by_reason": { "dismissed": 1 },
        // referral 10, 20, 30, 30; first arrest 60, 90 (C5 reached it by being charged), 121;
        // charge 90, 151; first judgment 152, 295.
        "median_days_to_referral": 25.0,
        "median_days_to_first_arrest": 90.0,
        "median_days_to_charge": 120.5,
        "median_days_to_first_judgment": 223.5
    });
    assert_eq!(y2024, &expected_2024);

    let y2025 = row(&summary, "MINUSCA", "2025");
    let expected_2025 = json!({
        "mission": "MINUSCA", "period": "2025",
        "incidents": 1,
        "incidents_by_attack_type": { "indirect_fire": 1 },
        "killed": 1, "injured": 0, "abducted": 0, "missing": 0,
        "killed_by_personnel_type": { "national_staff": 1 },
        "killed_by_nationality": { "CAF": 1 },
        "incidents_with_case": 1,
        // C6 to C12 (C4 has not moved).
        "cases_referred": 7,
        "cases_investigating": 6,
        "cases_suspects_identified": 6,
        "cases_arrests_made": 4,
        "cases_charged": 3,
        "cases_in_trial": 2,
        "cases_judgment": 1,
        "cases_final": 0,
        "accused_convicted": 0, "accused_acquitted": 0,
        "cases_closed_by_reason": {},
        // referral 1, 5, 10, 10, 20, 30, 180; first arrest 90, 120, 180, 239; charge 120, 180,
        // 239; first judgment 239.
        "median_days_to_referral": 10.0,
        "median_days_to_first_arrest": 150.0,
        "median_days_to_charge": 180.0,
        "median_days_to_first_judgment": 239.0
    });
    assert_eq!(y2025, &expected_2025);

    // The totals: every count is the sum of the rows; the medians are taken again over all cases.
    let mut expected_totals = sum(&expected_2024, &expected_2025);
    for (median, value) in [
        // referral: 1 5 10 10 10 20 20 30 30 30 180; arrest: 60 90 90 120 121 180 239;
        // charge: 90 120 151 180 239; judgment: 152 239 295.
        ("median_days_to_referral", 20.0),
        ("median_days_to_first_arrest", 120.0),
        ("median_days_to_charge", 151.0),
        ("median_days_to_first_judgment", 239.0),
    ] {
        expected_totals[median] = json!(value);
    }
    let map = expected_totals.as_object_mut().unwrap();
    map.remove("mission");
    map.remove("period");
    assert_eq!(summary.body["totals"], expected_totals);
    let totals = &summary.body["totals"];
    assert_eq!(totals["incidents"], 4);
    assert_eq!(totals["killed"], 4);
    assert_eq!(totals["incidents_with_case"], 4);
    assert_eq!(totals["cases_referred"], 11);
    assert_eq!(totals["cases_arrests_made"], 7);
    assert_eq!(totals["cases_final"], 1);
    assert_eq!(totals["killed_by_nationality"]["CAF"], 1);
    // referral: 1 5 10 10 10 20 20 30 30 30 180; arrest: 60 90 90 120 121 180 239;
    // charge: 90 120 151 180 239; judgment: 152 239 295.
    assert_eq!(totals["median_days_to_referral"], 20.0);
    assert_eq!(totals["median_days_to_first_arrest"], 120.0);
    assert_eq!(totals["median_days_to_charge"], 151.0);
    assert_eq!(totals["median_days_to_first_judgment"], 239.0);
}

async fn missions_and_clearance_limit_what_is_counted(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    build_world!(&t, api);
    t.create_user(
        "officer.monusco",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MONUSCO"],
    );
    let monusco_officer = api.login("officer.monusco", PASSWORD).await;
    t.create_user(
        "legal.monusco",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MONUSCO"],
    );
    let monusco_legal = api.login("legal.monusco", PASSWORD).await;
    let monusco_incident = post_ok!(
        api,
        &monusco_officer,
        "/api/v1/incidents",
        incident(
            "MONUSCO",
            "2024-06-01",
            "direct_fire",
            "confidential",
            vec![
                victim("military", Some("ZAF"), "killed"),
                victim("military", Some("ZAF"), "killed"),
            ]
        )
    );
    case_with!(
        api,
        &monusco_legal,
        vec![monusco_incident.id()],
        "2024-06-02",
        &[("referred", "2024-06-11", None)]
    );
    t.create_user(
        "leader.minusca",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    t.create_user(
        "leader.hq",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_user("leader.low", Role::Leadership, Clearance::Unclassified, &[]);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let minusca = api.login("leader.minusca", PASSWORD).await;
    let hq = api.login("leader.hq", PASSWORD).await;
    let low = api.login("leader.low", PASSWORD).await;
    let chief = api.login("chief", PASSWORD).await;

    let everything = api.get("/api/v1/summary", Some(&hq)).await;
    assert_eq!(everything.body["totals"]["killed"], 6);
    assert_eq!(everything.body["totals"]["cases_referred"], 12);
    assert_eq!(
        row(&everything, "MONUSCO", "2024")["median_days_to_referral"],
        10.0
    );
    assert_eq!(row(&everything, "MONUSCO", "2024")["killed"], 2);

    // Limited to MINUSCA: no MONUSCO row, and MONUSCO is not in the totals either.
    let limited = api.get("/api/v1/summary", Some(&minusca)).await;
    assert_eq!(limited.status, StatusCode::OK);
    assert!(
        limited.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["mission"] == "MINUSCA")
    );
    assert_eq!(limited.body["totals"]["killed"], 4);
    assert_eq!(limited.body["totals"]["cases_referred"], 11);
    assert_eq!(limited.body["totals"]["median_days_to_referral"], 20.0);
    assert_eq!(
        limited.body["totals"]["killed_by_nationality"].get("ZAF"),
        None
    );
    // Counting named missions joins cases to their incidents the other way round from counting
    // all of them (`Sql::case_tables`): both must give MINUSCA the same rows.
    let minusca_rows = |summary: &Answer| -> Vec<Value> {
        let rows = summary.body["rows"].as_array().unwrap();
        rows.iter()
            .filter(|r| r["mission"] == "MINUSCA")
            .cloned()
            .collect()
    };
    assert_eq!(minusca_rows(&limited), minusca_rows(&everything));
    assert!(
        minusca_rows(&limited)
            .iter()
            .any(|r| r["cases_referred"].as_u64() > Some(0)),
        "{}",
        limited.body
    );
    api.get("/api/v1/summary?mission=MONUSCO", Some(&minusca))
        .await
        .assert_problem(403);
    api.get(
        "/api/v1/summary?mission=MINUSCA&mission=MONUSCO",
        Some(&minusca),
    )
    .await
    .assert_problem(403);
    let asked = api.get("/api/v1/summary?mission=MONUSCO", Some(&hq)).await;
    assert_eq!(asked.body["totals"]["killed"], 2);

    // Cleared for unclassified only: only I4 and its case count.
    let unclassified = api.get("/api/v1/summary", Some(&low)).await;
    assert_eq!(unclassified.body["totals"]["incidents"], 1);
    assert_eq!(unclassified.body["totals"]["killed"], 1);
    assert_eq!(unclassified.body["totals"]["incidents_with_case"], 1);
    // C4 and C6 to C12 are on I4; seven of them were referred.
    assert_eq!(unclassified.body["totals"]["cases_referred"], 7);

    // Administrators do not read summaries.
    api.get("/api/v1/summary", Some(&chief))
        .await
        .assert_problem(403);
    api.get("/api/v1/summary/stalled", Some(&chief))
        .await
        .assert_problem(403);
}

async fn periods_and_date_ranges(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    build_world!(&t, api);
    t.create_user(
        "leader",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &[],
    );
    let leader = api.login("leader", PASSWORD).await;

    let quarters = api
        .get("/api/v1/summary?group=quarter", Some(&leader))
        .await;
    let periods: Vec<&str> = quarters.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2024-Q1", "2024-Q2", "2024-Q4", "2025-Q1"]);
    // C2 and C5 both date from I2 (2024-05-03).
    assert_eq!(row(&quarters, "MINUSCA", "2024-Q2")["cases_referred"], 2);
    let months = api.get("/api/v1/summary?group=month", Some(&leader)).await;
    assert_eq!(row(&months, "MINUSCA", "2024-11")["missing"], 1);

    // Dates are inclusive; a case counts where its earliest incident is.
    let range = api
        .get(
            "/api/v1/summary?from=2024-05-03&to=2024-11-20",
            Some(&leader),
        )
        .await;
    assert_eq!(range.status, StatusCode::OK, "{}", range.body);
    let totals = &range.body["totals"];
    assert_eq!(totals["incidents"], 2);
    assert_eq!(totals["killed"], 1);
    // C2, C3 and C5; not C1 (February) nor C4 (2025).
    assert_eq!(totals["cases_referred"], 3);
    assert_eq!(totals["cases_closed_by_reason"], json!({ "dismissed": 1 }));
    let narrow = api
        .get(
            "/api/v1/summary?from=2024-11-01&to=2024-12-31",
            Some(&leader),
        )
        .await;
    // C5 links I3 (November) but dates from I2 (May): it is not November's case.
    assert_eq!(narrow.body["totals"]["cases_referred"], 1);

    for (query, field) in [
        ("?group=week", "group"),
        ("?from=2024-02-30", "from"),
        ("?from=2024-05-01&to=2024-04-01", "to"),
        ("?format=xml", "format"),
    ] {
        let answer = api
            .get(&format!("/api/v1/summary{query}"), Some(&leader))
            .await;
        answer.assert_problem(422);
        assert_eq!(answer.error_fields(), [field], "{query}");
    }
    api.get("/api/v1/summary?colour=red", Some(&leader))
        .await
        .assert_problem(400);
}

async fn summaries_come_as_csv_and_are_recorded(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    build_world!(&t, api);
    t.create_user(
        "leader",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &[],
    );
    let leader = api.login("leader", PASSWORD).await;
    let json = api.get("/api/v1/summary?group=year", Some(&leader)).await;

    for request in [
        with_token(
            TestRequest::get().uri("/api/v1/summary?format=csv"),
            Some(&leader),
        ),
        with_token(TestRequest::get().uri("/api/v1/summary"), Some(&leader))
            .insert_header(("Accept", "text/csv")),
    ] {
        let answer = api.send(request).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.content_type().starts_with("text/csv"));
        let mut reader = csv::Reader::from_reader(answer.bytes.as_ref());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
        };
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 3, "two rows and the totals");
        assert_eq!(&records[0][column("mission")], "MINUSCA");
        assert_eq!(&records[0][column("period")], "2024");
        assert_eq!(&records[0][column("incidents_by_attack_type.ambush")], "2");
        assert_eq!(&records[0][column("killed_by_nationality.unknown")], "1");
        assert_eq!(&records[0][column("cases_closed_by_reason.dismissed")], "1");
        assert_eq!(&records[0][column("median_days_to_charge")], "120.5");
        assert_eq!(&records[1][column("median_days_to_charge")], "180");
        assert_eq!(&records[1][column("median_days_to_first_judgment")], "239");
        assert_eq!(&records[2][column("mission")], "all");
        assert_eq!(
            records[2][column("killed")].parse::<u64>().unwrap(),
            json.body["totals"]["killed"].as_u64().unwrap()
        );
    }
    assert_eq!(t.count("audit_log WHERE action = 'export.csv'"), 2);
}

async fn the_stalled_list_is_oldest_first(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    let world = build_world!(&t, api);
    t.create_user(
        "leader",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_user("leader.low", Role::Leadership, Clearance::Unclassified, &[]);
    let leader = api.login("leader", PASSWORD).await;
    let low = api.login("leader.low", PASSWORD).await;
    let today = t.now().date();
    let idle = |since: &str| {
        (today - chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d").unwrap()).num_days()
    };

    // Open: C3 to C13. Ended: C1 (final) and C2 (closed). All have been idle for over 180 days.
    let stalled = api
        .get("/api/v1/summary/stalled?days=180", Some(&leader))
        .await;
    assert_eq!(stalled.status, StatusCode::OK, "{}", stalled.body);
    let items = stalled.body["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(!ids.contains(&world.c1.as_str()) && !ids.contains(&world.c2.as_str()));
    assert_eq!(items.len(), 11);
    // Oldest first: C13 (referred 2024-08-10), C5 (judgment 2024-10-02), C4 (opened
    // 2025-01-20), ... C12 last. A case on a withdrawn incident still waits for justice.
    assert_eq!(items[0]["id"], world.c13.as_str());
    assert_eq!(items[0]["status"], "referred");
    assert_eq!(items[1]["id"], world.c5.as_str());
    assert_eq!(items[1]["days_idle"], idle("2024-10-02"));
    assert_eq!(items[1]["status"], "judgment");
    assert_eq!(items[2]["id"], world.c4.as_str());
    assert_eq!(items[2]["days_idle"], idle("2025-01-20"));
    assert_eq!(items[2]["lead_officer_username"], "legal");
    assert_eq!(items[2]["mission"], "MINUSCA");
    assert!(
        items[2]["reference"]
            .as_str()
            .unwrap()
            .starts_with("CASE-MINUSCA-")
    );
    assert_eq!(items[10]["id"], world.c12.as_str());
    let idle_days: Vec<i64> = items
        .iter()
        .map(|c| c["days_idle"].as_i64().unwrap())
        .collect();
    assert!(
        idle_days.windows(2).all(|pair| pair[0] >= pair[1]),
        "{idle_days:?}"
    );
    assert!(ids.contains(&world.c3.as_str()));

    // More than N days, exactly: C12 has been idle idle("2025-10-01") days.
    let c12_idle = idle("2025-10-01");
    let just = api
        .get(
            &format!("/api/v1/summary/stalled?days={}", c12_idle - 1),
            Some(&leader),
        )
        .await;
    assert_eq!(just.body["items"].as_array().unwrap().len(), 11);
    let not_quite = api
        .get(
            &format!("/api/v1/summary/stalled?days={c12_idle}"),
            Some(&leader),
        )
        .await;
    assert_eq!(not_quite.body["items"].as_array().unwrap().len(), 10);

    // Clearance limits it too: C4 and C6 to C12 are on the unclassified incident.
    let for_low = api.get("/api/v1/summary/stalled", Some(&low)).await;
    let low_items = for_low.body["items"].as_array().unwrap();
    assert_eq!(low_items.len(), 8);
    assert_eq!(low_items[0]["id"], world.c4.as_str());
    assert!(
        low_items
            .iter()
            .all(|c| c["id"] != world.c5.as_str() && c["id"] != world.c3.as_str())
    );

    let csv = api
        .get("/api/v1/summary/stalled?days=180&format=csv", Some(&leader))
        .await;
    let mut reader = csv::Reader::from_reader(csv.bytes.as_ref());
    assert_eq!(reader.records().count(), 11);
    // The download is recorded with the rows it held.
    assert_eq!(
        t.count(r#"audit_log WHERE action = 'export.csv' AND details LIKE '%"rows":11%'"#),
        1
    );
    api.get("/api/v1/summary/stalled?days=soon", Some(&leader))
        .await
        .assert_problem(422);

    // In pages of 4: the same 11 cases in the same order, then no cursor.
    let all: Vec<Value> = items.clone();
    let mut paged = Vec::new();
    let mut query = "/api/v1/summary/stalled?days=180&limit=4".to_string();
    let mut pages = 0;
    loop {
        let page = api.get(&query, Some(&leader)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        paged.extend(page.body["items"].as_array().unwrap().iter().cloned());
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(cursor) => {
                query = format!("/api/v1/summary/stalled?days=180&limit=4&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!((pages, paged), (3, all));
    for (query, field) in [
        ("limit=4&format=csv", "limit"),
        ("cursor=bm90LWEtY3Vyc29y&format=csv", "cursor"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=many", "limit"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
    ] {
        let refused = api
            .get(&format!("/api/v1/summary/stalled?{query}"), Some(&leader))
            .await;
        refused.assert_problem(422);
        assert_eq!(refused.error_fields(), [field], "{query}");
    }
}

/// Every summary is counted for its request, from the figures the database keeps: a change,
/// whatever it is, shows in the next one.
async fn figures_follow_every_change(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    let world = build_world!(&t, api);
    t.create_user(
        "leader",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &[],
    );
    let leader = api.login("leader", PASSWORD).await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let (api_of_leader, leader_token) = (&api, &leader);
    let totals = move || async move {
        api_of_leader
            .get("/api/v1/summary", Some(leader_token))
            .await
            .body["totals"]
            .clone()
    };

    let before = totals().await;
    assert_eq!(totals().await, before, "asked twice, unchanged");
    let times_counted = || t.state.metrics.summaries_counted.get();
    assert_eq!(times_counted(), 2, "no earlier count answers a request");
    // Signing in, and a refused sign-in, write audit records but change no figure.
    api.login("legal", PASSWORD).await;
    api.login_answer("legal", "not the password at all")
        .await
        .assert_problem(401);
    assert_eq!(totals().await, before);

    let added = post_ok!(
        api,
        &officer,
        "/api/v1/incidents",
        incident(
            "MINUSCA",
            "2024-02-11",
            "ambush",
            "confidential",
            vec![victim("military", Some("RWA"), "killed"),]
        )
    )
    .id();
    let with_one_more = totals().await;
    assert_eq!(
        with_one_more["incidents"],
        before["incidents"].as_u64().unwrap() + 1
    );
    assert_eq!(
        with_one_more["killed"],
        before["killed"].as_u64().unwrap() + 1
    );

    post_ok!(
        api,
        &officer,
        format!("/api/v1/incidents/{added}/withdraw"),
        json!({ "reason": "Entered twice" })
    );
    assert_eq!(totals().await, before, "withdrawn, no longer counted");

    // A step of a case moves the funnel: C4 is only opened.
    let referred_before = before["cases_referred"].as_u64().unwrap();
    post_ok!(
        api,
        &legal,
        format!("/api/v1/cases/{}/transitions", world.c4),
        json!({ "to": "referred", "effective_on": "2025-02-01" })
    );
    assert_eq!(totals().await["cases_referred"], referred_before + 1);
}

/// Counting a million incidents takes seconds. Summaries asked meanwhile wait for their turn to
/// count without a database connection: on a server with a single connection, the other
/// requests are still answered while three summaries wait, and the three then share one count.
async fn those_waiting_for_a_count_hold_no_connection(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("lead.one", Role::Leadership, Clearance::Unclassified, &[]);
    let wait = std::time::Duration::from_secs(2);
    let settings = Settings {
        database_timeout_seconds: 2,
        ..t.settings()
    };
    let pool = db::connect(&t.db.url, 1, wait).expect("connect");
    let state = peacekeeper_registry::AppState::new(pool, settings, t.clock.clone());
    let api = common::Api::over(state.clone()).await;
    let token = api.login("lead.one", PASSWORD).await;

    // A count is under way.
    let count_under_way = state
        .summaries
        .count_permit
        .acquire()
        .await
        .expect("the turn to count");
    let summaries = join_all((0..3).map(|_| api.get("/api/v1/summary", Some(&token))));
    let meanwhile = async {
        let answer = api.get("/api/v1/summary/stalled", Some(&token)).await;
        // The summaries asked are waiting for their turn, not counting.
        assert_eq!(state.metrics.summaries_counted.get(), 0);
        drop(count_under_way);
        answer
    };
    let (summaries, meanwhile) = futures_util::join!(summaries, meanwhile);

    assert_eq!(meanwhile.status, StatusCode::OK, "{}", meanwhile.body);
    for summary in &summaries {
        assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
        assert_eq!(summary.body, summaries[0].body);
    }
    assert_eq!(state.metrics.summaries_counted.get(), 1);
}
