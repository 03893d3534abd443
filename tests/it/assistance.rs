//! Assistance to host States: recorded by a mission's legal officers and leadership, read by its
//! staff and by the focal points of the State assisted, corrected at the version read, each
//! version kept and proved by the audit trail.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use common::{Backend, Member, PASSWORD, TestApp, with_token};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(assistance_is_recorded_read_and_corrected_as_each_may);

const TEAM: &[Member] = &[
    (
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    ),
    (
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    ),
    (
        "legal.top",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    ),
    (
        "legal.monusco",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MONUSCO"],
    ),
    (
        "leader",
        Role::Leadership,
        Clearance::Unclassified,
        &["MINUSCA"],
    ),
    (
        "auditor",
        Role::Auditor,
        Clearance::StrictlyConfidential,
        &[],
    ),
];

fn attack(classification: &str) -> Value {
    json!({
        "mission": "MINUSCA",
        "occurred_at": "2024-10-10T08:00:00Z",
        "place_name": "Bambari",
        "location_type": "patrol",
        "attack_type": "ambush",
        "weapons": ["small_arms"],
        "victims": [{ "personnel_type": "military", "nationality": "RWA", "outcome": "killed" }],
        "summary": "Patrol ambushed north of Bambari",
        "classification": classification,
        "submit": true
    })
}

fn ids(answer: &Value) -> Vec<String> {
    answer["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn assistance_is_recorded_read_and_corrected_as_each_may(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    t.create_focal_point("focal.caf", "CAF", Clearance::Confidential);
    t.create_focal_point("focal.fra", "FRA", Clearance::Confidential);
    let api = t.api().await;
    let tokens: std::collections::HashMap<&str, String> = {
        let mut tokens = std::collections::HashMap::new();
        for name in [
            "officer",
            "legal",
            "legal.top",
            "leader",
            "legal.monusco",
            "auditor",
            "focal.caf",
            "focal.fra",
        ] {
            tokens.insert(name, api.login(name, PASSWORD).await);
        }
        tokens
    };
    let token = |name: &str| Some(tokens[name].clone());
    // Two cases before the courts of the Central African Republic: one on an unclassified
    // attack, one on a strictly confidential one.
    let mut cases = Vec::new();
    for classification in ["unclassified", "strictly_confidential"] {
        let incident = api
            .post(
                "/api/v1/incidents",
                token("officer").as_deref(),
                attack(classification),
            )
            .await;
        assert_eq!(incident.status, StatusCode::CREATED, "{}", incident.body);
        let case = api
            .post(
                "/api/v1/cases",
                token("legal.top").as_deref(),
                json!({ "incident_ids": [incident.id()], "jurisdiction": "CAF" }),
            )
            .await;
        assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
        cases.push(case.id());
    }
    let (open_case, secret_case) = (cases[0].clone(), cases[1].clone());

    // Bad input is named field by field and changes nothing.
    let empty = api
        .post("/api/v1/assistance", token("legal").as_deref(), json!({}))
        .await;
    empty.assert_problem(422);
    assert_eq!(
        empty.error_fields(),
        ["type", "state", "mission", "from", "provider"]
    );
    let training = json!({
        "type": "training", "state": "CAF", "mission": "MINUSCA", "from": "2025-02-01",
        "to": "2025-02-10", "provider": "UNPOL", "description": "Crime-scene training for gendarmes",
        "case_ids": [open_case, secret_case]
    });
    let mut with_unknown_case = training.clone();
    with_unknown_case["case_ids"] = json!([uuid::Uuid::now_v7().to_string()]);
    let unknown_case = api
        .post(
            "/api/v1/assistance",
            token("legal").as_deref(),
            with_unknown_case,
        )
        .await;
    unknown_case.assert_problem(422);
    assert_eq!(unknown_case.error_fields(), ["case_ids"]);
    // A case the writer may not see is as unknown as one that does not exist.
    let unseen = api
        .post(
            "/api/v1/assistance",
            token("legal").as_deref(),
            training.clone(),
        )
        .await;
    assert_eq!(unseen.error_fields(), ["case_ids"]);
    let elsewhere = api
        .post(
            "/api/v1/assistance",
            token("legal.monusco").as_deref(),
            training.clone(),
        )
        .await;
    elsewhere.assert_problem(403);
    for refused in ["officer", "auditor", "focal.caf"] {
        let answer = api
            .post(
                "/api/v1/assistance",
                token(refused).as_deref(),
                training.clone(),
            )
            .await;
        answer.assert_problem(403);
    }
    assert_eq!(t.count("assistance"), 0);

    // Recorded once, however often the request is sent again.
    let send = || {
        with_token(
            TestRequest::post().uri("/api/v1/assistance"),
            token("legal.top").as_deref(),
        )
        .insert_header(("Idempotency-Key", "training-2025-02"))
        .set_json(training.clone())
    };
    let created = api.send(send()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let training_id = created.id();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/assistance/{training_id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    let again = api.send(send()).await;
    assert_eq!(again.id(), training_id);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(t.count("assistance"), 1);
    let forensic = api
        .post(
            "/api/v1/assistance",
            token("legal").as_deref(),
            json!({ "type": "forensic_support", "state": "CAF", "mission": "MINUSCA",
                    "from": "2025-06-01", "provider": "Forensic unit", "case_ids": [open_case] }),
        )
        .await;
    assert_eq!(forensic.status, StatusCode::CREATED, "{}", forensic.body);
    assert_eq!(forensic.body["to"], Value::Null);
    let legal_aid = api
        .post(
            "/api/v1/assistance",
            token("leader").as_deref(),
            json!({ "type": "legal_aid", "state": "COD", "mission": "MINUSCA",
                    "from": "2024-11-01", "to": "2024-12-01", "provider": "UNDP" }),
        )
        .await;
    assert_eq!(legal_aid.status, StatusCode::CREATED, "{}", legal_aid.body);
    let (forensic_id, legal_aid_id) = (forensic.id(), legal_aid.id());

    // Lists: latest start first, filtered, in pages.
    let list = |query: &str, who: &str| {
        let (path, who) = (format!("/api/v1/assistance{query}"), token(who));
        let api = &api;
        async move { api.get(&path, who.as_deref()).await }
    };
    let all = list("", "legal").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(
        ids(&all.body),
        [
            forensic_id.as_str(),
            training_id.as_str(),
            legal_aid_id.as_str()
        ]
    );
    for (query, expected) in [
        ("?type=training", vec![training_id.as_str()]),
        ("?state=COD", vec![legal_aid_id.as_str()]),
        ("?from=2025-03-01", vec![forensic_id.as_str()]),
        ("?to=2025-01-01", vec![legal_aid_id.as_str()]),
        ("?from=2025-02-05&to=2025-02-06", vec![training_id.as_str()]),
        ("?mission=MONUSCO", Vec::new()),
    ] {
        assert_eq!(ids(&list(query, "legal").await.body), expected, "{query}");
    }
    let first = list("?limit=2", "legal").await;
    assert_eq!(
        ids(&first.body),
        [forensic_id.as_str(), training_id.as_str()]
    );
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = list(&format!("?limit=2&cursor={cursor}"), "legal").await;
    assert_eq!(ids(&second.body), [legal_aid_id.as_str()]);
    assert_eq!(second.body["next_cursor"], Value::Null);
    for (query, field) in [
        ("?type=money", "type"),
        ("?from=2025-13-01", "from"),
        ("?cursor=forged", "cursor"),
        ("?from=2025-02-01&to=2025-01-01", "to"),
    ] {
        let refused = list(query, "legal").await;
        refused.assert_problem(422);
        assert_eq!(refused.error_fields(), [field], "{query}");
    }

    // Each reader sees the cases it may: the strictly confidential one only as a count.
    let path = format!("/api/v1/assistance/{training_id}");
    let read = api.get(&path, token("legal").as_deref()).await;
    assert_eq!(read.body["case_ids"], json!([open_case]));
    assert_eq!(read.body["other_cases"], 1);
    let top = api.get(&path, token("legal.top").as_deref()).await;
    assert_eq!(top.body["other_cases"], 0);
    assert_eq!(top.body["case_ids"].as_array().map(Vec::len), Some(2));

    // Corrected at the version read; a stale version or a bad value changes nothing.
    let corrected = api
        .patch(
            &path,
            token("legal").as_deref(),
            json!({ "version": 1, "to": "2025-02-12", "description": "Two more days" }),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::OK, "{}", corrected.body);
    assert_eq!(corrected.body["version"], 2);
    assert_eq!(corrected.body["to"], "2025-02-12");
    assert_eq!(corrected.body["mission"], "MINUSCA");
    let stale = api
        .patch(
            &path,
            token("legal").as_deref(),
            json!({ "version": 1, "provider": "Other" }),
        )
        .await;
    stale.assert_problem(409);
    let backwards = api
        .patch(
            &path,
            token("legal").as_deref(),
            json!({ "version": 2, "to": "2025-01-01" }),
        )
        .await;
    assert_eq!(backwards.error_fields(), ["to"]);
    let moved = api
        .patch(
            &path,
            token("legal").as_deref(),
            json!({ "version": 2, "mission": "MONUSCO" }),
        )
        .await;
    moved.assert_problem(422);
    let now = api.get(&path, token("legal.top").as_deref()).await;
    assert_eq!(now.body["version"], 2);
    assert_eq!(now.body["provider"], "UNPOL");
    // The link the corrector could not see is kept.
    assert_eq!(now.body["case_ids"].as_array().map(Vec::len), Some(2));
    let history = api
        .get(&format!("{path}/history"), token("legal").as_deref())
        .await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.body);
    let versions = history.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["changed_by"], "legal.top");
    assert_eq!(versions[1]["action"], "update");
    assert_eq!(versions[1]["fields"], json!(["description", "to"]));

    // The host State's focal point reads the assistance to its State; another State none.
    let caf = list("", "focal.caf").await;
    assert_eq!(ids(&caf.body), [forensic_id.as_str(), training_id.as_str()]);
    assert_eq!(caf.body["items"][1]["case_ids"], json!([open_case]));
    // Not told that cases it may not see exist.
    assert_eq!(caf.body["items"][1]["other_cases"], 0);
    let history_for_state = api
        .get(&format!("{path}/history"), token("focal.caf").as_deref())
        .await;
    assert_eq!(
        history_for_state.body["items"][0]["changed_by"],
        Value::Null
    );
    assert_eq!(
        history_for_state.body["items"][1]["fields"],
        json!(["description", "to"])
    );
    assert_eq!(
        ids(&list("?state=COD", "focal.caf").await.body),
        Vec::<&str>::new()
    );
    assert_eq!(ids(&list("", "focal.fra").await.body), Vec::<&str>::new());
    api.get(&path, token("focal.fra").as_deref())
        .await
        .assert_problem(404);
    api.patch(
        &path,
        token("focal.caf").as_deref(),
        json!({ "version": 2 }),
    )
    .await
    .assert_problem(403);
    // The mission's security officers read it and do not change it; other missions do not see it.
    assert_eq!(ids(&list("", "officer").await.body).len(), 3);
    api.patch(&path, token("officer").as_deref(), json!({ "version": 2 }))
        .await
        .assert_problem(403);
    api.get(&path, token("legal.monusco").as_deref())
        .await
        .assert_problem(404);
    assert_eq!(
        ids(&list("", "legal.monusco").await.body),
        Vec::<&str>::new()
    );
    list("", "auditor").await.assert_problem(403);

    // The trail records each version without its content, and proves the rows as they stand.
    assert_eq!(t.count("audit_log WHERE action = 'assistance.create'"), 3);
    assert_eq!(t.count("audit_log WHERE action = 'assistance.update'"), 1);
    assert_eq!(
        t.count("audit_log WHERE details LIKE '%Two more days%' OR details LIKE '%UNPOL%'"),
        0
    );
    let verified = api
        .get("/api/v1/audit/verify", token("auditor").as_deref())
        .await;
    assert_eq!(verified.body["intact"], true, "{}", verified.body);
    t.execute_sql(&format!(
        "UPDATE assistance SET provider = 'Someone else' WHERE id = '{training_id}'"
    ))
    .unwrap();
    let mut conn = t.conn();
    let check = peacekeeper_registry::services::audit::verify_records(&mut conn).unwrap();
    assert!(!check.intact);
    assert!(
        format!("{:?}", check.problems).contains(training_id.as_str()),
        "{:?}",
        check.problems
    );
}
