//! Summaries for leadership: a small world counted by hand, scoping by mission and clearance,
//! periods, CSV, and the stalled list.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use common::{Answer, Backend, PASSWORD, TestApp, with_token};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    figures_match_a_hand_counted_world,
    missions_and_clearance_limit_what_is_counted,
    periods_and_date_ranges,
    summaries_come_as_csv_and_are_recorded,
    the_stalled_list_is_oldest_first,
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

fn id_of(answer: &Answer) -> String {
    answer.body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {} ({})", answer.body, answer.status))
        .to_string()
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
        let id = id_of(&case);
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
struct World {
    c1: String,
    c2: String,
    c3: String,
    c4: String,
}

macro_rules! build_world {
    ($t:expr, $api:expr) => {{
        let t: &TestApp = $t;
        t.create_user("officer", Role::SecurityOfficer, Clearance::StrictlyConfidential, &[]);
        t.create_user("legal", Role::LegalOfficer, Clearance::StrictlyConfidential, &[]);
        let officer = $api.login("officer", PASSWORD).await;
        let legal = $api.login("legal", PASSWORD).await;
        let incidents = "/api/v1/incidents";
        let i1 = id_of(&post_ok!($api, &officer, incidents, incident("MINUSCA", "2024-02-10", "ambush", "confidential", vec![
            victim("military", Some("RWA"), "killed"),
            victim("police", Some("SEN"), "killed"),
            victim("military", Some("RWA"), "injured"),
        ])));
        let i2 = id_of(&post_ok!($api, &officer, incidents, incident("MINUSCA", "2024-05-03", "ied", "confidential", vec![
            victim("military_observer", None, "killed"),
            victim("other", Some("FRA"), "abducted"),
        ])));
        let i3 = id_of(&post_ok!($api, &officer, incidents, incident("MINUSCA", "2024-11-20", "ambush", "confidential", vec![
            victim("military", Some("BGD"), "missing"),
            victim("military", Some("BGD"), "injured"),
        ])));
        let i4 = id_of(&post_ok!($api, &officer, incidents, incident("MINUSCA", "2025-01-15", "indirect_fire", "unclassified", vec![
            victim("national_staff", Some("CAF"), "killed"),
        ])));
        let mut draft = incident("MINUSCA", "2024-03-01", "ambush", "confidential", vec![victim("military", None, "killed")]);
        draft["submit"] = json!(false);
        post_ok!($api, &officer, incidents, draft);
        let withdrawn = id_of(&post_ok!($api, &officer, incidents, incident("MINUSCA", "2024-04-01", "ied", "confidential", vec![victim("military", None, "killed")])));
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
        for verdict in [json!({ "name": "A.", "verdict": "convicted", "sentence": { "type": "imprisonment", "months": 120 } }),
                        json!({ "name": "B.", "verdict": "acquitted" })] {
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
        let c5 = case_with!($api, &legal, vec![i3.clone(), i2.clone()], "2024-05-10", &[
            ("referred", "2024-06-02", None),
            ("charged", "2024-08-01", None),
            ("in_trial", "2024-09-01", None),
            ("judgment", "2024-10-02", None),
        ]);
        post_ok!($api, &legal, format!("/api/v1/cases/{c5}/accused"),
            json!({ "name": "C.", "verdict": "convicted", "sentence": { "type": "life_imprisonment" } }));
        World { c1, c2, c3, c4 }
    }};
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
        "cases_referred": 0, "cases_investigating": 0, "cases_suspects_identified": 0,
        "cases_arrests_made": 0, "cases_charged": 0, "cases_in_trial": 0, "cases_judgment": 0,
        "cases_final": 0, "accused_convicted": 0, "accused_acquitted": 0,
        "cases_closed_by_reason": {},
        "median_days_to_referral": null, "median_days_to_first_arrest": null,
        "median_days_to_charge": null, "median_days_to_first_judgment": null
    });
    assert_eq!(y2025, &expected_2025);

    let totals = &summary.body["totals"];
    assert_eq!(totals["incidents"], 4);
    assert_eq!(totals["killed"], 4);
    assert_eq!(totals["incidents_with_case"], 4);
    assert_eq!(totals["cases_referred"], 4);
    assert_eq!(totals["cases_final"], 1);
    assert_eq!(totals["killed_by_nationality"]["CAF"], 1);
    assert_eq!(totals["median_days_to_referral"], 25.0);
    assert_eq!(totals["median_days_to_first_judgment"], 223.5);
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
    post_ok!(
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
    assert_eq!(
        limited.body["totals"]["killed_by_nationality"].get("ZAF"),
        None
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
    assert_eq!(unclassified.body["totals"]["cases_referred"], 0);

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
        assert_eq!(&records[1][column("median_days_to_charge")], "");
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

    // Open cases: C3 (last step 2025-03-01), C4 (opened 2025-01-20), C5 (judgment 2024-10-02).
    // C1 is final and C2 closed.
    let stalled = api
        .get("/api/v1/summary/stalled?days=180", Some(&leader))
        .await;
    assert_eq!(stalled.status, StatusCode::OK, "{}", stalled.body);
    let items = stalled.body["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(!ids.contains(&world.c1.as_str()) && !ids.contains(&world.c2.as_str()));
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["days_idle"], idle("2024-10-02"));
    assert_eq!(items[1]["id"], world.c4.as_str());
    assert_eq!(items[1]["days_idle"], idle("2025-01-20"));
    assert_eq!(items[2]["id"], world.c3.as_str());
    assert_eq!(items[2]["lead_officer_username"], "legal");
    assert_eq!(items[2]["mission"], "MINUSCA");
    assert!(
        items[2]["reference"]
            .as_str()
            .unwrap()
            .starts_with("CASE-MINUSCA-")
    );

    // Exactly more than N days: C3 has been idle idle("2025-03-01") days.
    let c3_idle = idle("2025-03-01");
    let just = api
        .get(
            &format!("/api/v1/summary/stalled?days={}", c3_idle - 1),
            Some(&leader),
        )
        .await;
    assert_eq!(just.body["items"].as_array().unwrap().len(), 3);
    let not_quite = api
        .get(
            &format!("/api/v1/summary/stalled?days={c3_idle}"),
            Some(&leader),
        )
        .await;
    assert_eq!(not_quite.body["items"].as_array().unwrap().len(), 2);

    // Clearance limits it too: only C4 is on an unclassified incident.
    let for_low = api.get("/api/v1/summary/stalled", Some(&low)).await;
    let low_ids: Vec<&str> = for_low.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(low_ids, [world.c4.as_str()]);

    let csv = api
        .get("/api/v1/summary/stalled?days=180&format=csv", Some(&leader))
        .await;
    let mut reader = csv::Reader::from_reader(csv.bytes.as_ref());
    assert_eq!(reader.records().count(), 3);
    api.get("/api/v1/summary/stalled?days=soon", Some(&leader))
        .await
        .assert_problem(422);
}
