//! The annual accountability report over a small world counted by hand: two host States, an
//! international court, three contributing countries, assistance, steps and verdicts inside
//! and outside the year.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use common::{Backend, PASSWORD, TestApp, with_token};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    the_report_of_a_year_matches_the_hand_count,
    an_issued_report_stays_as_issued
);

fn victim(nationality: &str, outcome: &str) -> Value {
    json!({ "personnel_type": "military", "nationality": nationality, "gender": "male", "outcome": outcome })
}

fn incident(mission: &str, day: &str, classification: &str, victims: Vec<Value>) -> Value {
    json!({
        "mission": mission, "occurred_at": format!("{day}T08:00:00Z"), "location_type": "patrol",
        "attack_type": "ambush", "victims": victims, "summary": format!("Attack of {day}"),
        "classification": classification, "submit": true
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

/// Opens a case before `jurisdiction` on one incident and walks it through the steps given.
macro_rules! case_with {
    ($api:expr, $legal:expr, $incident:expr, $jurisdiction:expr, $opened:expr, $steps:expr) => {{
        let case = post_ok!(
            $api,
            $legal,
            "/api/v1/cases",
            json!({ "incident_ids": [$incident], "jurisdiction": $jurisdiction, "opened_on": $opened })
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
        (id, case.body["reference"].as_str().unwrap_or("").to_string())
    }};
}

/// The world, for the year 2025:
/// - I1 MINUSCA 2024-06-10: SEN killed and injured. I2 MINUSCA 2025-02-01: RWA and SEN killed,
///   BGD injured. I3 MONUSCO 2025-03-15, confidential: BGD killed, RWA injured. I4 MINUSCA
///   2025-05-20: SEN injured. I5 MINUSCA 2026-01-10: RWA killed. All others unclassified.
/// - A (CAF) on I1, opened 2024: referred and investigating in 2024, then every step to `final`
///   in 2025; X convicted and Y acquitted on the day of the judgment, Z convicted in 2026.
/// - B (CAF) on I2, opened 2025: referred, closed for insufficient evidence.
/// - C (COD) on I3, opened 2025: referred 2025-04-01, then nothing: stalled at the year's end.
/// - D (ICC) on I4, opened 2025: referred 2025-06-10, stalled.
/// - E (CAF) on I1, opened 2024: referred and investigating in 2024: stalled.
/// - F (CAF) on I5, opened 2026: outside the year.
/// - Assistance: training to CAF 2025-03-01..10; forensic support to CAF 2024-12-20..2025-01-05;
///   investigators deployed to COD from 2025-11-01, still there; training to CAF in 2024.
async fn the_report_of_a_year_matches_the_hand_count(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_user(
        "legal.minusca",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    t.create_user("leader.low", Role::Leadership, Clearance::Unclassified, &[]);
    t.create_user(
        "auditor",
        Role::Auditor,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_focal_point("focal.caf", "CAF", Clearance::Confidential);
    t.create_focal_point("focal.sen", "SEN", Clearance::Confidential);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let incidents = "/api/v1/incidents";
    let i1 = post_ok!(
        api,
        &officer,
        incidents,
        incident(
            "MINUSCA",
            "2024-06-10",
            "unclassified",
            vec![victim("SEN", "killed"), victim("SEN", "injured")]
        )
    )
    .id();
    let i2 = post_ok!(
        api,
        &officer,
        incidents,
        incident(
            "MINUSCA",
            "2025-02-01",
            "unclassified",
            vec![
                victim("RWA", "killed"),
                victim("SEN", "killed"),
                victim("BGD", "injured")
            ]
        )
    )
    .id();
    let i3 = post_ok!(
        api,
        &officer,
        incidents,
        incident(
            "MONUSCO",
            "2025-03-15",
            "confidential",
            vec![victim("BGD", "killed"), victim("RWA", "injured")]
        )
    )
    .id();
    let i4 = post_ok!(
        api,
        &officer,
        incidents,
        incident(
            "MINUSCA",
            "2025-05-20",
            "unclassified",
            vec![victim("SEN", "injured")]
        )
    )
    .id();
    let i5 = post_ok!(
        api,
        &officer,
        incidents,
        incident(
            "MINUSCA",
            "2026-01-10",
            "unclassified",
            vec![victim("RWA", "killed")]
        )
    )
    .id();

    let (a, a_reference) = case_with!(
        api,
        &legal,
        &i1,
        "CAF",
        "2024-06-20",
        &[
            ("referred", "2024-07-01", None),
            ("investigating", "2024-09-01", None),
            ("suspects_identified", "2025-01-10", None),
            ("warrants_issued", "2025-01-20", None),
            ("arrests_made", "2025-02-15", None),
            ("charged", "2025-04-01", None),
            ("in_trial", "2025-06-01", None),
            ("judgment", "2025-09-10", None),
            ("appeal", "2025-10-01", None),
            ("final", "2025-12-01", None),
        ]
    );
    for accused in [
        json!({ "name": "X.", "verdict": "convicted", "verdict_on": "2025-09-10", "sentence": { "type": "imprisonment", "months": 120 } }),
        json!({ "name": "Y.", "verdict": "acquitted", "verdict_on": "2025-09-10" }),
        json!({ "name": "Z.", "verdict": "convicted", "verdict_on": "2026-02-01", "sentence": { "type": "life_imprisonment" } }),
    ] {
        post_ok!(api, &legal, format!("/api/v1/cases/{a}/accused"), accused);
    }
    case_with!(
        api,
        &legal,
        &i2,
        "CAF",
        "2025-02-05",
        &[
            ("referred", "2025-02-20", None),
            ("closed", "2025-08-01", Some("insufficient_evidence")),
        ]
    );
    case_with!(
        api,
        &legal,
        &i3,
        "COD",
        "2025-03-20",
        &[("referred", "2025-04-01", None)]
    );
    case_with!(
        api,
        &legal,
        &i4,
        "ICC",
        "2025-06-01",
        &[("referred", "2025-06-10", None)]
    );
    case_with!(
        api,
        &legal,
        &i1,
        "CAF",
        "2024-07-01",
        &[
            ("referred", "2024-08-01", None),
            ("investigating", "2024-10-01", None)
        ]
    );
    case_with!(
        api,
        &legal,
        &i5,
        "CAF",
        "2026-01-20",
        &[("referred", "2026-02-01", None)]
    );
    for (kind, state, mission, from, to) in [
        (
            "training",
            "CAF",
            "MINUSCA",
            "2025-03-01",
            Some("2025-03-10"),
        ),
        (
            "forensic_support",
            "CAF",
            "MINUSCA",
            "2024-12-20",
            Some("2025-01-05"),
        ),
        (
            "deployed_investigators",
            "COD",
            "MONUSCO",
            "2025-11-01",
            None,
        ),
        (
            "training",
            "CAF",
            "MINUSCA",
            "2024-01-01",
            Some("2024-02-01"),
        ),
    ] {
        post_ok!(
            api,
            &legal,
            "/api/v1/assistance",
            json!({ "type": kind, "state": state, "mission": mission, "from": from, "to": to, "provider": "UN" })
        );
    }

    let report = api
        .get("/api/v1/reports/annual?year=2025", Some(&legal))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let body = &report.body;
    assert_eq!(
        body["period"],
        json!({ "from": "2025-01-01", "to": "2025-12-31" })
    );
    assert_eq!(body["edition"], "internal");
    assert_eq!(body["classification"], "confidential");
    let caf = json!({
        "state": "CAF", "court": null, "cases_opened": 1,
        "steps": { "suspects_identified": 1, "warrants_issued": 1, "arrests_made": 1, "charged": 1,
                   "in_trial": 1, "judgment": 1, "appeal": 1, "final": 1, "referred": 1, "closed": 1 },
        "convicted": 1, "acquitted": 1, "sentences": { "imprisonment": 1 },
        "closed": { "insufficient_evidence": 1 },
        "median_days": { "suspects_identified": 214.0, "warrants_issued": 224.0, "arrests_made": 250.0,
                         "charged": 295.0, "in_trial": 356.0, "judgment": 457.0, "appeal": 478.0,
                         "final": 539.0, "referred": 19.0, "closed": 181.0 },
        "stalled": 1,
        "assistance": { "training": { "records": 1, "days": 10 }, "forensic_support": { "records": 1, "days": 5 } }
    });
    let cod = json!({
        "state": "COD", "court": null, "cases_opened": 1, "steps": { "referred": 1 },
        "convicted": 0, "acquitted": 0, "sentences": {}, "closed": {},
        "median_days": { "referred": 17.0 }, "stalled": 1,
        "assistance": { "deployed_investigators": { "records": 1, "days": 61 } }
    });
    assert_eq!(body["host_states"], json!([caf, cod]));
    assert_eq!(
        body["international_courts"],
        json!([{
            "state": null, "court": "ICC", "cases_opened": 1, "steps": { "referred": 1 },
            "convicted": 0, "acquitted": 0, "sentences": {}, "closed": {},
            "median_days": { "referred": 21.0 }, "stalled": 1, "assistance": {}
        }])
    );
    assert_eq!(
        body["contributing_countries"],
        json!([
            { "country": "BGD", "killed": 1, "injured": 1, "cases_by_status": { "closed": 1, "referred": 1 } },
            { "country": "RWA", "killed": 1, "injured": 1, "cases_by_status": { "closed": 1, "referred": 1 } },
            { "country": "SEN", "killed": 1, "injured": 1, "cases_by_status": { "closed": 1, "referred": 1 } },
        ])
    );
    assert_eq!(
        body["judgments"],
        json!([{
            "case_reference": a_reference, "state": "CAF", "court": "CAF", "judgment_on": "2025-09-10",
            "verdicts": [
                { "name": "X.", "verdict": "convicted", "verdict_on": "2025-09-10", "sentence_type": "imprisonment", "sentence_months": 120 },
                { "name": "Y.", "verdict": "acquitted", "verdict_on": "2025-09-10", "sentence_type": null, "sentence_months": null }
            ]
        }])
    );

    // The dead per country are the summary's for the same days and missions.
    let summary = api
        .get(
            "/api/v1/summary?from=2025-01-01&to=2025-12-31",
            Some(&legal),
        )
        .await;
    let killed = &summary.body["totals"]["killed_by_nationality"];
    for country in body["contributing_countries"].as_array().unwrap() {
        let code = country["country"].as_str().unwrap();
        assert_eq!(country["killed"], killed[code], "{code}: {killed}");
    }
    let with_dead: Vec<&str> = body["contributing_countries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["killed"].as_u64() > Some(0))
        .filter_map(|c| c["country"].as_str())
        .collect();
    let summary_countries: Vec<&str> = killed
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(with_dead, summary_countries);
    // Names left the registry in that answer: recorded, as an export is.
    assert_eq!(t.count("audit_log WHERE action = 'report.annual.read'"), 1);

    // The edition to publish leaves out the confidential attack and its case, and the names.
    let public = api
        .get(
            "/api/v1/reports/annual?year=2025&edition=unclassified",
            Some(&legal),
        )
        .await;
    assert_eq!(public.body["classification"], "unclassified");
    assert_eq!(public.body["host_states"][1]["state"], "COD");
    assert_eq!(public.body["host_states"][1]["cases_opened"], 0);
    assert_eq!(public.body["host_states"][1]["stalled"], 0);
    assert_eq!(
        public.body["contributing_countries"][0],
        json!(
        { "country": "BGD", "killed": 0, "injured": 1, "cases_by_status": { "closed": 1 } })
    );
    assert_eq!(public.body["judgments"][0]["verdicts"][0].get("name"), None);
    // A reader cleared `unclassified` counts the same, whatever the edition asked.
    let low = api
        .get(
            "/api/v1/reports/annual?year=2025",
            Some(&api.login("leader.low", PASSWORD).await),
        )
        .await;
    assert_eq!(low.body["host_states"], public.body["host_states"]);
    // A legal officer of MINUSCA reads MINUSCA's part only.
    let minusca = api
        .get(
            "/api/v1/reports/annual?year=2025",
            Some(&api.login("legal.minusca", PASSWORD).await),
        )
        .await;
    assert_eq!(minusca.body["host_states"], json!([caf]));
    assert_eq!(minusca.body["missions"], json!(["MINUSCA"]));

    // Another period: from the first to the last day asked.
    let spring = api
        .get(
            "/api/v1/reports/annual?from=2025-03-01&to=2025-05-31",
            Some(&legal),
        )
        .await;
    assert_eq!(
        spring.body["host_states"][0]["steps"],
        json!({ "charged": 1 })
    );
    assert_eq!(
        spring.body["host_states"][0]["assistance"],
        json!({ "training": { "records": 1, "days": 10 } })
    );

    // One CSV with a `table` column.
    let csv = api
        .send(with_token(
            TestRequest::get().uri("/api/v1/reports/annual?year=2025&format=csv"),
            Some(&legal),
        ))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.content_type().starts_with("text/csv"),
        "{}",
        csv.content_type()
    );
    let text = String::from_utf8(csv.bytes.to_vec()).unwrap();
    assert!(text.starts_with("table,group,measure,value\n"), "{text}");
    for line in [
        "host_states,CAF,cases_opened,1",
        "host_states,COD,assistance.deployed_investigators.days,61",
        "international_courts,ICC,median_days.referred,21",
        "contributing_countries,SEN,injured,1",
        &format!("judgments,{a_reference} 2025-09-10,accused.1.verdict,convicted"),
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
    // A download leaves the names out unless they are asked for.
    assert!(!text.contains("X."), "{text}");
    let named = api
        .send(with_token(
            TestRequest::get().uri("/api/v1/reports/annual?year=2025&format=csv&names=true"),
            Some(&legal),
        ))
        .await;
    let named = String::from_utf8(named.bytes.to_vec()).unwrap();
    assert!(
        named
            .lines()
            .any(|l| l == format!("judgments,{a_reference} 2025-09-10,accused.1.name,X.")),
        "{named}"
    );

    // A focal point reads its State's part only.
    let focal = api
        .get(
            "/api/v1/state/reports/annual?year=2025",
            Some(&api.login("focal.caf", PASSWORD).await),
        )
        .await;
    assert_eq!(focal.status, StatusCode::OK, "{}", focal.body);
    assert_eq!(focal.body["state"], "CAF");
    assert_eq!(focal.body["host_states"].as_array().map(Vec::len), Some(1));
    assert_eq!(focal.body["host_states"][0]["state"], "CAF");
    assert_eq!(focal.body["international_courts"], json!([]));
    assert_eq!(focal.body["contributing_countries"], json!([]));
    assert_eq!(focal.body["judgments"][0]["verdicts"][0]["name"], "X.");
    let senegal = api
        .get(
            "/api/v1/state/reports/annual?year=2025",
            Some(&api.login("focal.sen", PASSWORD).await),
        )
        .await;
    assert_eq!(senegal.body["host_states"], json!([]));
    assert_eq!(senegal.body["judgments"], json!([]));
    assert_eq!(
        senegal.body["contributing_countries"],
        json!([
            { "country": "SEN", "killed": 1, "injured": 1, "cases_by_status": { "closed": 1, "referred": 1 } }
        ])
    );

    // Bad questions are named; others may not ask.
    for (query, field) in [
        ("", "year"),
        ("?year=25x", "year"),
        ("?year=2025&from=2025-01-01", "year"),
        ("?from=2025-01-01", "to"),
        ("?year=2025&edition=secret", "edition"),
        ("?year=2025&format=xml", "format"),
    ] {
        let refused = api
            .get(&format!("/api/v1/reports/annual{query}"), Some(&legal))
            .await;
        refused.assert_problem(422);
        assert_eq!(refused.error_fields(), [field], "{query}");
    }
    api.get("/api/v1/reports/annual?year=2025", Some(&officer))
        .await
        .assert_problem(403);
    let auditor = api.login("auditor", PASSWORD).await;
    api.get("/api/v1/reports/annual?year=2025", Some(&auditor))
        .await
        .assert_problem(403);
    api.get("/api/v1/state/reports/annual?year=2025", Some(&legal))
        .await
        .assert_problem(403);
}

/// An issued report downloads byte for byte as issued after a later correction; the live
/// report says what changed since; the audit trail holds its hash and verifies it.
async fn an_issued_report_stays_as_issued(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_user(
        "legal.minusca",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    t.create_user(
        "chief",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_user(
        "auditor",
        Role::Auditor,
        Clearance::StrictlyConfidential,
        &[],
    );
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let chief = api.login("chief", PASSWORD).await;
    let attack = post_ok!(
        api,
        &officer,
        "/api/v1/incidents",
        incident(
            "MINUSCA",
            "2025-02-01",
            "confidential",
            vec![victim("SEN", "killed")]
        )
    )
    .id();
    let (case, _) = case_with!(
        api,
        &legal,
        &attack,
        "CAF",
        "2025-02-10",
        &[("referred", "2025-03-01", None)]
    );

    api.post(
        "/api/v1/reports/annual/issue",
        Some(&legal),
        json!({ "year": 2025 }),
    )
    .await
    .assert_problem(403);
    let bad = api
        .post(
            "/api/v1/reports/annual/issue",
            Some(&chief),
            json!({ "year": 2025, "edition": "draft" }),
        )
        .await;
    assert_eq!(bad.error_fields(), ["edition"]);
    let issued = api
        .post(
            "/api/v1/reports/annual/issue",
            Some(&chief),
            json!({ "year": 2025 }),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let href = issued.body["href"].as_str().unwrap().to_string();
    assert_eq!(issued.header("location"), Some(href.as_str()));
    let sha256 = issued.body["sha256"].as_str().unwrap().to_string();
    let first = api.get(&href, Some(&legal)).await;
    assert_eq!(first.status, StatusCode::OK);
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&first.bytes))
    };
    assert_eq!(digest, sha256);
    assert!(
        first
            .header("repr-digest")
            .is_some_and(|d| d.starts_with("sha-256=:"))
    );
    assert_eq!(
        first.body["host_states"][0]["steps"],
        json!({ "referred": 1 })
    );

    // A correction entered later: the case was investigated in 2025 too.
    post_ok!(
        api,
        &legal,
        format!("/api/v1/cases/{case}/transitions"),
        json!({ "to": "investigating", "effective_on": "2025-05-01" })
    );
    let again = api.get(&href, Some(&legal)).await;
    assert_eq!(again.bytes, first.bytes);
    let live = api
        .get("/api/v1/reports/annual?year=2025", Some(&legal))
        .await;
    assert_eq!(live.body["since_issued"]["id"], issued.body["id"]);
    assert_eq!(live.body["since_issued"]["sha256"], sha256.as_str());
    let changes = live.body["since_issued"]["changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(changes.contains(&json!({ "table": "host_states", "group": "CAF", "measure": "steps.investigating", "issued": "", "now": "1" })), "{changes:?}");
    assert!(changes.contains(&json!({ "table": "host_states", "group": "CAF", "measure": "median_days.investigating", "issued": "", "now": "89" })), "{changes:?}");
    // And where the case on the Senegalese killed stands today.
    assert!(changes.contains(&json!({ "table": "contributing_countries", "group": "SEN", "measure": "cases.referred", "issued": "1", "now": "" })), "{changes:?}");
    assert_eq!(changes.len(), 4, "{changes:?}");
    // Another edition was not issued: nothing to compare with.
    let public = api
        .get(
            "/api/v1/reports/annual?year=2025&edition=unclassified",
            Some(&legal),
        )
        .await;
    assert_eq!(public.body.get("since_issued"), None);

    // Drawn on a confidential attack: a reader cleared below reads neither the issued text nor
    // what changed since.
    t.create_user(
        "legal.low",
        Role::LegalOfficer,
        Clearance::Unclassified,
        &[],
    );
    let low = api.login("legal.low", PASSWORD).await;
    api.get(&href, Some(&low)).await.assert_problem(404);
    let low_live = api
        .get("/api/v1/reports/annual?year=2025", Some(&low))
        .await;
    assert_eq!(low_live.status, StatusCode::OK);
    assert_eq!(low_live.body.get("since_issued"), None);
    // Issued over every mission: not for a reader of one mission.
    let minusca = api.login("legal.minusca", PASSWORD).await;
    api.get(&href, Some(&minusca)).await.assert_problem(404);

    // The trail holds the hash, and verifies the text as issued.
    assert_eq!(
        t.count(&format!(
            "audit_log WHERE action = 'report.issue' AND details LIKE '%{sha256}%'"
        )),
        1
    );
    let auditor = api.login("auditor", PASSWORD).await;
    let verified = api.get("/api/v1/audit/verify", Some(&auditor)).await;
    assert_eq!(verified.body["intact"], true, "{}", verified.body);
    let id = issued.body["id"].as_str().unwrap();
    t.execute_sql(&format!("UPDATE issued_reports SET body = REPLACE(body, '\"killed\":1', '\"killed\":2') WHERE id = '{id}'")).unwrap();
    let mut conn = t.conn();
    let check = peacekeeper_registry::services::audit::verify_records(&mut conn).unwrap();
    assert!(!check.intact);
    assert!(
        format!("{:?}", check.problems).contains(id),
        "{:?}",
        check.problems
    );
}
