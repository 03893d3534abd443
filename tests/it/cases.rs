//! Accountability cases: the journey to a judgment, the timeline's dates, accused persons,
//! documents and their integrity, concurrency, who sees and changes what, lists.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chrono::{Days, NaiveDate};
use futures_util::future::join_all;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use common::{Answer, Backend, Member, PASSWORD, TestApp, with_token};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    a_case_goes_from_report_to_final_judgment,
    a_closed_case_reopens_only_to_investigating,
    timeline_dates_are_checked,
    accused_verdicts_follow_the_case,
    documents_keep_their_bytes_and_their_integrity,
    concurrent_transitions_let_one_win,
    concurrent_cases_get_consecutive_references,
    cases_open_only_on_fitting_incidents,
    each_reader_sees_only_the_cases_they_may,
    only_legal_officers_of_the_mission_change_cases,
    updates_need_the_current_version,
    one_idempotency_key_opens_one_case,
    lists_find_stalled_and_due_cases_exactly,
    changes_keep_links_people_and_dates_sound,
    a_case_names_its_host_state,
);

/// The accounts of a mission team, and outsiders.
const TEAM: &[Member] = &[
    (
        "officer.a",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    ),
    (
        "officer.b",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    ),
    (
        "officer.monusco",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &["MONUSCO"],
    ),
    (
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    ),
    (
        "legal.two",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    ),
    (
        "legal.hq",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &[],
    ),
    (
        "legal.monusco",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MONUSCO"],
    ),
    ("leader.low", Role::Leadership, Clearance::Unclassified, &[]),
    (
        "leader.hq",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &[],
    ),
    ("chief", Role::Admin, Clearance::StrictlyConfidential, &[]),
    (
        "auditor",
        Role::Auditor,
        Clearance::StrictlyConfidential,
        &[],
    ),
];

fn incident(mission: &str, occurred_at: &str, classification: &str) -> Value {
    json!({
        "mission": mission,
        "occurred_at": occurred_at,
        "place_name": "Bambari",
        "location_type": "patrol",
        "attack_type": "ambush",
        "weapons": ["small_arms"],
        "victims": [
            { "personnel_type": "military", "nationality": "RWA", "gender": "male", "outcome": "killed" },
            { "personnel_type": "military", "nationality": "RWA", "gender": "female", "outcome": "injured" }
        ],
        "summary": "Patrol ambushed north of Bambari",
        "narrative": "A patrol was ambushed on the road north of Bambari.",
        "classification": classification,
        "submit": true
    })
}

fn statuses_of(answer: &Answer, key: &str) -> Vec<String> {
    answer.body[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {}", answer.body))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

fn references(answer: &Answer) -> Vec<String> {
    answer.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {}", answer.body))
        .iter()
        .map(|c| c["reference"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A request with a multipart/form-data body: (part name, file name, content).
fn upload(path: &str, token: &str, parts: &[(&str, Option<&str>, &[u8])]) -> TestRequest {
    let boundary = "registry-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file_name, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file_name {
            Some(file) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    with_token(TestRequest::post().uri(path), Some(token))
        .insert_header((
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .set_payload(body)
}

/// Signs in, records an incident (submitted) and returns its id.
macro_rules! new_incident {
    ($api:expr, $token:expr, $body:expr) => {{
        let answer = $api.post("/api/v1/incidents", Some($token), $body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.id()
    }};
}

/// Opens a case and returns the answer (asserting 201).
macro_rules! open_case {
    ($api:expr, $token:expr, $body:expr) => {{
        let answer = $api.post("/api/v1/cases", Some($token), $body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer
    }};
}

/// Moves a case and returns the answer.
macro_rules! move_case {
    ($api:expr, $token:expr, $id:expr, $to:expr, $on:expr) => {
        $api.post(
            &format!("/api/v1/cases/{}/transitions", $id),
            Some($token),
            json!({ "to": $to, "effective_on": $on, "note": format!("moved to {}", $to) }),
        )
        .await
    };
}

async fn a_case_goes_from_report_to_final_judgment(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let incident_id = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-03-14T06:30:00Z", "confidential")
    );

    let opened = open_case!(
        api,
        &legal,
        json!({
            "incident_ids": [incident_id],
            "jurisdiction": "CAF",
            "authority": "Procureur de la République, Bangui",
            "next_action": "Send the note verbale",
            "next_action_due": "2026-12-15",
            "notes": "Opened after the flash report."
        })
    );
    let year = t.now().date().format("%Y").to_string();
    assert_eq!(
        opened.body["reference"],
        format!("CASE-MINUSCA-{year}-0001")
    );
    assert_eq!(opened.body["status"], "opened");
    assert_eq!(opened.body["mission"], "MINUSCA");
    assert_eq!(opened.body["version"], 1);
    assert_eq!(opened.header("etag"), Some("\"1\""));
    assert_eq!(opened.body["incidents"][0]["id"], incident_id.as_str());
    assert_eq!(opened.body["incidents"][0]["victim_counts"]["killed"], 1);
    assert_eq!(opened.body["timeline"].as_array().unwrap().len(), 1);
    assert_eq!(opened.body["timeline"][0]["to"], "opened");
    assert_eq!(opened.body["lead_officer_username"], "legal");
    let case_id = opened.id();

    let journey = [
        ("referred", "2026-04-02"),
        ("investigating", "2026-04-20"),
        ("suspects_identified", "2026-05-05"),
        ("warrants_issued", "2026-05-20"),
        ("arrests_made", "2026-06-01"),
        ("charged", "2026-06-15"),
        ("in_trial", "2026-08-01"),
        ("judgment", "2026-09-30"),
    ];
    for (to, on) in journey {
        let moved = move_case!(api, &legal, case_id, to, on);
        assert_eq!(moved.status, StatusCode::OK, "to {to}: {}", moved.body);
        assert_eq!(moved.body["status"], to);
        assert_eq!(moved.body["last_moved_on"], on);
    }

    // At judgment, one accused convicted with a sentence, one acquitted.
    let accused_path = format!("/api/v1/cases/{case_id}/accused");
    let convicted = api
        .post(
            &accused_path,
            Some(&legal),
            json!({
                "name": "Commander A.", "affiliation": "UPC", "status": "in_custody",
                "charges": "Murder of peacekeepers (art. 153 Penal Code)", "verdict": "convicted",
                "verdict_on": "2026-09-30", "sentence": { "type": "imprisonment", "months": 240 }
            }),
        )
        .await;
    assert_eq!(convicted.status, StatusCode::CREATED, "{}", convicted.body);
    assert_eq!(convicted.body["sentence"]["months"], 240);
    let acquitted = api
        .post(
            &accused_path,
            Some(&legal),
            json!({ "name": "B. alias Tiger", "status": "released", "verdict": "acquitted", "verdict_on": "2026-09-30" }),
        )
        .await;
    assert_eq!(acquitted.status, StatusCode::CREATED, "{}", acquitted.body);

    for (to, on) in [("appeal", "2026-10-10"), ("final", "2026-11-20")] {
        let moved = move_case!(api, &legal, case_id, to, on);
        assert_eq!(moved.status, StatusCode::OK, "to {to}: {}", moved.body);
    }
    let done = api
        .get(&format!("/api/v1/cases/{case_id}"), Some(&legal))
        .await;
    assert_eq!(done.body["status"], "final");
    assert_eq!(
        statuses_of(&done, "allowed_transitions"),
        Vec::<String>::new()
    );
    assert_eq!(done.body["days_idle"], Value::Null);
    let timeline: Vec<&str> = done.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        timeline,
        [
            "opened",
            "referred",
            "investigating",
            "suspects_identified",
            "warrants_issued",
            "arrests_made",
            "charged",
            "in_trial",
            "judgment",
            "appeal",
            "final"
        ]
    );
    assert_eq!(done.body["timeline"][1]["from"], "opened");
    assert_eq!(done.body["timeline"][1]["note"], "moved to referred");
    let verdicts: Vec<&str> = done.body["accused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["convicted", "acquitted"]);

    // `final` is terminal: the refusal names no way forward.
    let after_final = move_case!(api, &legal, case_id, "appeal", "2026-11-21");
    after_final.assert_problem(409);
    assert_eq!(statuses_of(&after_final, "allowed"), Vec::<String>::new());

    let actions = t.audit_actions();
    assert_eq!(actions.iter().filter(|a| *a == "case.create").count(), 1);
    assert_eq!(
        actions.iter().filter(|a| *a == "case.transition").count(),
        10
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "case.accused.add").count(),
        2
    );
    // The trail never holds an accused person's name.
    assert_eq!(
        t.count("audit_log WHERE details LIKE '%Commander%' OR details LIKE '%Tiger%'"),
        0
    );
}

async fn a_closed_case_reopens_only_to_investigating(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let incident_id = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-02-01T10:00:00Z", "unclassified")
    );
    let case_id = open_case!(
        api,
        &legal,
        json!({ "incident_ids": [incident_id], "jurisdiction": "CAF" })
    )
    .id();
    assert_eq!(
        move_case!(api, &legal, case_id, "referred", "2026-03-01").status,
        StatusCode::OK
    );

    let closing = api
        .post(
            &format!("/api/v1/cases/{case_id}/transitions"),
            Some(&legal),
            json!({ "to": "closed", "effective_on": "2026-05-01", "closure_reason": "no_suspect" }),
        )
        .await;
    assert_eq!(closing.status, StatusCode::OK, "{}", closing.body);
    assert_eq!(closing.body["closure_reason"], "no_suspect");
    assert_eq!(
        statuses_of(&closing, "allowed_transitions"),
        ["investigating"]
    );

    let back_to_referred = move_case!(api, &legal, case_id, "referred", "2026-06-01");
    back_to_referred.assert_problem(409);
    assert_eq!(statuses_of(&back_to_referred, "allowed"), ["investigating"]);

    let reopened = move_case!(api, &legal, case_id, "investigating", "2026-07-01");
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.body);
    assert_eq!(reopened.body["status"], "investigating");
    assert_eq!(reopened.body["closure_reason"], Value::Null);
    assert_eq!(reopened.body["timeline"][2]["closure_reason"], "no_suspect");
    assert_eq!(reopened.body["timeline"][3]["from"], "closed");
}

async fn timeline_dates_are_checked(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let incident_id = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-03-14T23:30:00Z", "confidential")
    );
    let case_id = open_case!(
        api,
        &legal,
        json!({ "incident_ids": [incident_id], "jurisdiction": "CAF", "opened_on": "2026-03-20" })
    )
    .id();
    let tomorrow = (t.now().date() + Days::new(1)).to_string();
    for (on, why) in [
        ("2026-03-13", "before the incident"),
        (tomorrow.as_str(), "in the future"),
        ("20-03-2026", "not a date"),
    ] {
        let refused = move_case!(api, &legal, case_id, "referred", on);
        refused.assert_problem(422);
        assert_eq!(refused.error_fields(), ["effective_on"], "{why}");
    }
    // A referral made before the registry opened the case can still be recorded.
    assert_eq!(
        move_case!(api, &legal, case_id, "referred", "2026-03-18").status,
        StatusCode::OK
    );
    let before_previous = move_case!(api, &legal, case_id, "investigating", "2026-03-17");
    assert_eq!(before_previous.error_fields(), ["effective_on"]);
    let missing_date = api
        .post(
            &format!("/api/v1/cases/{case_id}/transitions"),
            Some(&legal),
            json!({ "to": "investigating" }),
        )
        .await;
    assert_eq!(missing_date.error_fields(), ["effective_on"]);

    // A closure needs its reason; nothing else takes one.
    let transitions = format!("/api/v1/cases/{case_id}/transitions");
    let no_reason = api
        .post(
            &transitions,
            Some(&legal),
            json!({ "to": "closed", "effective_on": "2026-04-01" }),
        )
        .await;
    assert_eq!(no_reason.error_fields(), ["closure_reason"]);
    let bad_reason = api
        .post(
            &transitions,
            Some(&legal),
            json!({ "to": "closed", "effective_on": "2026-04-01", "closure_reason": "bored" }),
        )
        .await;
    assert_eq!(bad_reason.error_fields(), ["closure_reason"]);
    let stray_reason = api
        .post(
            &transitions,
            Some(&legal),
            json!({ "to": "investigating", "effective_on": "2026-04-01", "closure_reason": "other" }),
        )
        .await;
    assert_eq!(stray_reason.error_fields(), ["closure_reason"]);
    let unknown = api
        .post(
            &transitions,
            Some(&legal),
            json!({ "to": "acquitted", "effective_on": "2026-04-01" }),
        )
        .await;
    assert_eq!(unknown.error_fields(), ["to"]);

    // An opening date before the incident is refused too.
    let early = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [incident_id], "jurisdiction": "CAF", "opened_on": "2026-03-01" }),
        )
        .await;
    early.assert_problem(422);
    assert_eq!(early.error_fields(), ["opened_on"]);

    // Nothing refused left a trace in the timeline.
    let case = api
        .get(&format!("/api/v1/cases/{case_id}"), Some(&legal))
        .await;
    assert_eq!(case.body["timeline"].as_array().unwrap().len(), 2);
    assert_eq!(case.body["version"], 2);
}

async fn accused_verdicts_follow_the_case(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let incident_id = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-10T08:00:00Z", "confidential")
    );
    let case_id = open_case!(
        api,
        &legal,
        json!({ "incident_ids": [incident_id], "jurisdiction": "Special Criminal Court (CAR)" })
    )
    .id();
    let path = format!("/api/v1/cases/{case_id}/accused");
    let early_verdict = api
        .post(
            &path,
            Some(&legal),
            json!({ "name": "C.", "verdict": "convicted", "verdict_on": "2026-04-01", "sentence": { "type": "imprisonment", "months": 12 } }),
        )
        .await;
    early_verdict.assert_problem(422);
    assert_eq!(early_verdict.error_fields(), ["verdict"]);

    let suspect = api
        .post(
            &path,
            Some(&legal),
            json!({ "name": "C.", "status": "wanted", "charges": "Attack on peacekeepers" }),
        )
        .await;
    assert_eq!(suspect.status, StatusCode::CREATED, "{}", suspect.body);
    assert_eq!(suspect.body["verdict"], "pending");
    let accused_id = suspect.id();
    let accused_path = format!("{path}/{accused_id}");

    for (to, on) in [("in_trial", "2026-05-01"), ("judgment", "2026-09-01")] {
        assert_eq!(
            move_case!(api, &legal, case_id, to, on).status,
            StatusCode::OK
        );
    }
    let without_sentence = api
        .patch(
            &accused_path,
            Some(&legal),
            json!({ "version": 1, "verdict": "convicted" }),
        )
        .await;
    assert_eq!(without_sentence.error_fields(), ["verdict_on", "sentence"]);
    let before_the_judgment = api
        .patch(
            &accused_path,
            Some(&legal),
            json!({ "version": 1, "verdict": "acquitted", "verdict_on": "2026-08-31" }),
        )
        .await;
    assert_eq!(before_the_judgment.error_fields(), ["verdict_on"]);
    assert!(
        before_the_judgment.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("2026-09-01"),
        "{}",
        before_the_judgment.body
    );
    let bad_status = api
        .patch(
            &accused_path,
            Some(&legal),
            json!({ "version": 1, "status": "hiding" }),
        )
        .await;
    assert_eq!(bad_status.error_fields(), ["status"]);
    let sentenced = api
        .send(
            with_token(TestRequest::patch().uri(&accused_path), Some(&legal))
                .insert_header(("If-Match", "\"1\""))
                .set_json(json!({
                    "verdict": "convicted", "verdict_on": "2026-09-15", "status": "in_custody",
                    "sentence": { "type": "imprisonment", "months": 180, "details": "15 years" }
                })),
        )
        .await;
    assert_eq!(sentenced.status, StatusCode::OK, "{}", sentenced.body);
    assert_eq!(sentenced.body["version"], 2);
    assert_eq!(sentenced.body["name"], "C.");
    assert_eq!(sentenced.body["charges"], "Attack on peacekeepers");
    assert_eq!(sentenced.body["sentence"]["type"], "imprisonment");
    let stale = api
        .patch(
            &accused_path,
            Some(&legal),
            json!({ "version": 1, "charges": "Other" }),
        )
        .await;
    stale.assert_problem(409);
    let unknown = api
        .patch(
            &format!("{path}/{}", uuid::Uuid::now_v7()),
            Some(&legal),
            json!({ "version": 1 }),
        )
        .await;
    unknown.assert_problem(404);
    let case = api
        .get(&format!("/api/v1/cases/{case_id}"), Some(&legal))
        .await;
    assert_eq!(case.body["accused"][0]["verdict"], "convicted");
    assert_eq!(case.body["accused"][0]["verdict_on"], "2026-09-15");
    assert_eq!(case.body["accused"][0]["sentence"]["months"], 180);

    // The case's snapshot names a verdict's day unless it is the judgment's, the day that the
    // verdicts recorded before verdicts had days were given: their cases keep the snapshots their
    // records prove, and the trail verifies.
    let on_the_day = api
        .post(
            &path,
            Some(&legal),
            json!({ "name": "D.", "verdict": "acquitted", "verdict_on": "2026-09-01" }),
        )
        .await;
    assert_eq!(
        on_the_day.status,
        StatusCode::CREATED,
        "{}",
        on_the_day.body
    );
    assert_eq!(on_the_day.body["verdict_on"], "2026-09-01");
    let latest = format!(
        "case_versions WHERE case_id = '{case_id}' AND version = \
         (SELECT MAX(version) FROM case_versions WHERE case_id = '{case_id}')"
    );
    assert_eq!(
        t.count(&format!("{latest} AND snapshot LIKE '%\"D.\"%'")),
        1
    );
    assert_eq!(
        t.count(&format!(
            "{latest} AND snapshot LIKE '%\"verdict_on\":\"2026-09-15\"%'"
        )),
        1
    );
    assert_eq!(
        t.count(&format!(
            "{latest} AND snapshot LIKE '%verdict_on%verdict_on%'"
        )),
        0
    );
    let auditor = api.login("auditor", PASSWORD).await;
    let verified = api.get("/api/v1/audit/verify", Some(&auditor)).await;
    assert_eq!(verified.body["intact"], true, "{}", verified.body);
}

async fn documents_keep_their_bytes_and_their_integrity(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let reader = api.login("officer.b", PASSWORD).await;
    let low = api.login("leader.low", PASSWORD).await;
    let auditor = api.login("auditor", PASSWORD).await;
    let incident_id = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-10T08:00:00Z", "unclassified")
    );
    let case_id = open_case!(
        api,
        &legal,
        json!({ "incident_ids": [incident_id], "jurisdiction": "CAF" })
    )
    .id();
    let documents = format!("/api/v1/cases/{case_id}/documents");
    let text =
        "Note verbale n° 2026/114 to the Ministry of Justice of the Central African Republic.\n";
    let added = api
        .send(upload(
            &documents,
            &legal,
            &[
                ("title", None, b"Note verbale to the Ministry of Justice"),
                ("kind", None, b"note_verbale"),
                ("date", None, b"2026-02-01"),
                ("file", Some("note verbale.txt"), text.as_bytes()),
            ],
        ))
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let hash = hex::encode(Sha256::digest(text.as_bytes()));
    assert_eq!(added.body["sha256"], hash.as_str());
    assert_eq!(added.body["media_type"], "text/plain");
    assert_eq!(added.body["size_bytes"], text.len());
    assert_eq!(added.body["file_name"], "note_verbale.txt");
    let download = added.body["download"].as_str().unwrap().to_string();

    let got = api.get(&download, Some(&reader)).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, Value::String(text.to_string()));
    assert_eq!(got.header("x-content-sha256"), Some(hash.as_str()));
    assert_eq!(got.content_type(), "text/plain");
    assert!(
        got.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    // Clearance `confidential` is needed to download; the case itself is readable.
    api.get(&download, Some(&low)).await.assert_problem(403);
    assert_eq!(
        api.get(&format!("/api/v1/cases/{case_id}"), Some(&low))
            .await
            .body["documents"][0]["sha256"],
        hash.as_str()
    );
    assert_eq!(
        t.audit_actions()
            .iter()
            .filter(|a| *a == "case.document.download")
            .count(),
        1
    );

    // A PDF is known by its content, whatever its name.
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";
    let pdf_added = api
        .send(upload(
            &documents,
            &legal,
            &[
                ("title", None, b"Warrant"),
                ("kind", None, b"warrant"),
                ("file", Some("warrant.bin"), pdf),
            ],
        ))
        .await;
    assert_eq!(pdf_added.status, StatusCode::CREATED, "{}", pdf_added.body);
    assert_eq!(pdf_added.body["media_type"], "application/pdf");

    // A binary file of exactly the limit (25 MiB) is kept and returned byte for byte.
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    png.extend((0..25 * 1024 * 1024 - 8).map(|i: usize| (i % 251) as u8));
    let big = api
        .send(upload(
            &documents,
            &legal,
            &[
                ("title", None, b"Scene photograph"),
                ("kind", None, b"other"),
                ("file", Some("scene.png"), &png),
            ],
        ))
        .await;
    assert_eq!(big.status, StatusCode::CREATED, "{}", big.body);
    assert_eq!(big.body["media_type"], "image/png");
    let big_download = api
        .get(big.body["download"].as_str().unwrap(), Some(&reader))
        .await;
    assert_eq!(big_download.status, StatusCode::OK);
    assert!(big_download.bytes == png, "the same bytes come back");
    assert_eq!(
        big_download.header("x-content-sha256"),
        Some(hex::encode(Sha256::digest(&png)).as_str())
    );

    // A renamed executable is refused, as is anything too large; neither leaves a record.
    let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00";
    let renamed = api
        .send(upload(
            &documents,
            &legal,
            &[
                ("title", None, b"Judgment"),
                ("kind", None, b"judgment"),
                ("file", Some("judgment.pdf"), elf),
            ],
        ))
        .await;
    renamed.assert_problem(415);
    let oversize = vec![b'a'; 25 * 1024 * 1024 + 1];
    let too_large = api
        .send(upload(
            &documents,
            &legal,
            &[
                ("title", None, b"Big"),
                ("kind", None, b"other"),
                ("file", Some("big.txt"), &oversize),
            ],
        ))
        .await;
    too_large.assert_problem(413);
    assert_eq!(t.count("case_documents"), 3);
    assert_eq!(
        t.audit_actions()
            .iter()
            .filter(|a| *a == "case.document.add")
            .count(),
        3
    );

    // A client's file name never becomes a path.
    let escape = api
        .send(upload(
            &documents,
            &legal,
            &[
                ("title", None, b"Police report"),
                ("kind", None, b"police_report"),
                (
                    "file",
                    Some("../../../escaped.txt"),
                    b"Police report of the gendarmerie.\n",
                ),
            ],
        ))
        .await;
    assert_eq!(escape.status, StatusCode::CREATED, "{}", escape.body);
    assert_eq!(escape.body["file_name"], "escaped.txt");
    let folder = t.documents.path();
    let mut stored: Vec<std::path::PathBuf> = Vec::new();
    for shard in std::fs::read_dir(folder).unwrap() {
        for file in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            stored.push(file.unwrap().path());
        }
    }
    assert_eq!(stored.len(), 4);
    assert!(stored.iter().all(|p| {
        let name = p.file_name().unwrap().to_str().unwrap();
        name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit())
    }));
    assert!(!folder.join("escaped.txt").exists());
    assert!(!folder.parent().unwrap().join("escaped.txt").exists());

    // Bad form parts are named.
    let no_kind = api
        .send(upload(
            &documents,
            &legal,
            &[("title", None, b"X"), ("file", Some("a.txt"), b"text")],
        ))
        .await;
    assert_eq!(no_kind.error_fields(), ["kind"]);
    let no_file = api
        .send(upload(
            &documents,
            &legal,
            &[("title", None, b"X"), ("kind", None, b"other")],
        ))
        .await;
    assert_eq!(no_file.error_fields(), ["file"]);
    let json_body = api
        .post(&documents, Some(&legal), json!({ "title": "X" }))
        .await;
    json_body.assert_problem(415);

    // A file altered on disk is refused at download, recorded, and reported by `audit verify`.
    let verified = api.get("/api/v1/audit/verify", Some(&auditor)).await;
    assert_eq!(
        verified.body["documents"]["intact"], true,
        "{}",
        verified.body
    );
    assert_eq!(verified.body["documents"]["checked"], 4);
    let on_disk = folder.join(&hash[..2]).join(&hash);
    std::fs::write(&on_disk, "Note verbale, quietly rewritten.\n").unwrap();
    let refused = api.get(&download, Some(&reader)).await;
    refused.assert_problem(500);
    assert!(
        !refused
            .body
            .to_string()
            .contains(&folder.display().to_string())
    );
    assert!(
        t.audit_actions()
            .contains(&"case.document.integrity_failure".to_string())
    );
    let verified = api.get("/api/v1/audit/verify", Some(&auditor)).await;
    assert_eq!(verified.body["intact"], false, "{}", verified.body);
    assert_eq!(
        verified.body["chain_intact"], true,
        "the chain itself is whole"
    );
    assert_eq!(verified.body["documents"]["intact"], false);
    assert_eq!(
        verified.body["documents"]["failed"][0]["document_id"],
        added.id().as_str()
    );
}

async fn concurrent_transitions_let_one_win(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let other = api.login("legal.two", PASSWORD).await;
    let incident_id = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-10T08:00:00Z", "confidential")
    );
    let body = || json!({ "incident_ids": [incident_id.clone()], "jurisdiction": "CAF" });
    let same_target = open_case!(api, &legal, body()).id();
    let other_targets = open_case!(api, &legal, body()).id();

    // The same move twice at once.
    let same_path = format!("/api/v1/cases/{same_target}/transitions");
    let answers = join_all([&legal, &other].map(|token| {
        api.post(
            &same_path,
            Some(token),
            json!({ "to": "referred", "effective_on": "2026-02-01" }),
        )
    }))
    .await;
    let mut codes: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [200, 409],
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );

    // Two different moves from the same status, each naming the version it read.
    let other_path = format!("/api/v1/cases/{other_targets}/transitions");
    let answers = join_all(
        [("referred", &legal), ("closed", &other)].map(|(to, token)| {
            api.post(
                &other_path,
                Some(token),
                json!({ "to": to, "effective_on": "2026-02-01", "version": 1,
                    "closure_reason": (to == "closed").then_some("other") }),
            )
        }),
    )
    .await;
    let mut codes: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [200, 409],
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    // The loser is told the case changed under it, not that its move is illegal: from
    // `opened` both moves were allowed.
    let loser = answers
        .iter()
        .find(|a| a.status == StatusCode::CONFLICT)
        .unwrap();
    assert_eq!(loser.body["type"], "/problems/conflict", "{}", loser.body);
    for id in [&same_target, &other_targets] {
        let case = api.get(&format!("/api/v1/cases/{id}"), Some(&legal)).await;
        assert_eq!(case.body["timeline"].as_array().unwrap().len(), 2);
        assert_eq!(case.body["version"], 2);
    }
    assert_eq!(t.count("case_transitions"), 4);
}

async fn concurrent_cases_get_consecutive_references(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let mut incidents = Vec::new();
    for _ in 0..6 {
        incidents.push(new_incident!(
            api,
            &officer,
            incident("MINUSCA", "2026-01-10T08:00:00Z", "confidential")
        ));
    }
    let answers = join_all(incidents.iter().map(|id| {
        api.post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [id], "jurisdiction": "CAF" }),
        )
    }))
    .await;
    let mut refs: Vec<String> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
            a.body["reference"].as_str().unwrap().to_string()
        })
        .collect();
    refs.sort();
    let year = t.now().date().format("%Y").to_string();
    let expected: Vec<String> = (1..=6)
        .map(|n| format!("CASE-MINUSCA-{year}-{n:04}"))
        .collect();
    assert_eq!(refs, expected);
}

async fn cases_open_only_on_fitting_incidents(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let monusco_officer = api.login("officer.monusco", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let hq = api.login("legal.hq", PASSWORD).await;
    let minusca = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-10T08:00:00Z", "confidential")
    );
    let secret = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-11T08:00:00Z", "strictly_confidential")
    );
    let monusco = new_incident!(
        api,
        &monusco_officer,
        incident("MONUSCO", "2026-01-12T08:00:00Z", "confidential")
    );
    let mut draft_body = incident("MINUSCA", "2026-01-13T08:00:00Z", "confidential");
    draft_body["submit"] = json!(false);
    let draft = new_incident!(api, &officer, draft_body);
    let withdrawn = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-14T08:00:00Z", "confidential")
    );
    let answer = api
        .post(
            &format!("/api/v1/incidents/{withdrawn}/withdraw"),
            Some(&officer),
            json!({ "reason": "Duplicate of another report" }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    let refused = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({
                "incident_ids": [minusca, secret, draft, withdrawn, "no-such-incident", minusca],
                "jurisdiction": "XYZ",
                "next_action_due": "2026-13-01",
                "lead_officer": "nobody"
            }),
        )
        .await;
    refused.assert_problem(422);
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "incident_ids[1]",
            "incident_ids[2]",
            "incident_ids[3]",
            "incident_ids[4]",
            "incident_ids[5]",
            "jurisdiction",
            "lead_officer",
            "next_action_due"
        ],
        "{}",
        refused.body
    );
    let empty = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [], "jurisdiction": "CAF" }),
        )
        .await;
    assert_eq!(empty.error_fields(), ["incident_ids"]);
    let unknown_field = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [minusca], "jurisdiction": "CAF", "judge": "X" }),
        )
        .await;
    assert_eq!(unknown_field.error_fields(), ["judge"]);

    // One mission per case, even for headquarters.
    let two_missions = api
        .post(
            "/api/v1/cases",
            Some(&hq),
            json!({ "incident_ids": [minusca, monusco], "jurisdiction": "ICC" }),
        )
        .await;
    assert_eq!(two_missions.error_fields(), ["incident_ids[1]"]);
    // The lead officer must be a legal officer of the mission.
    let lead_elsewhere = api
        .post(
            "/api/v1/cases",
            Some(&hq),
            json!({ "incident_ids": [minusca], "jurisdiction": "ICC",
                    "lead_officer": t.create_user("legal.unmiss", Role::LegalOfficer, Clearance::Confidential, &["UNMISS"]) }),
        )
        .await;
    assert_eq!(lead_elsewhere.error_fields(), ["lead_officer"]);
    assert_eq!(t.count("cases"), 0);

    let led_by_other = open_case!(
        api,
        &hq,
        json!({ "incident_ids": [minusca, secret], "jurisdiction": "ICC",
                "lead_officer": api.get("/api/v1/me", Some(&legal)).await.body["id"] })
    );
    assert_eq!(led_by_other.body["lead_officer_username"], "legal");
    assert_eq!(led_by_other.body["incidents"].as_array().unwrap().len(), 2);
}

async fn each_reader_sees_only_the_cases_they_may(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal_two = api.login("legal.two", PASSWORD).await;
    let open_one = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-10T08:00:00Z", "unclassified")
    );
    let confidential = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-11T08:00:00Z", "confidential")
    );
    let secret = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-12T08:00:00Z", "strictly_confidential")
    );
    let mixed = open_case!(
        api,
        &legal_two,
        json!({ "incident_ids": [open_one, secret], "jurisdiction": "CAF" })
    );
    let mixed_id = mixed.id();
    let hidden = open_case!(
        api,
        &legal_two,
        json!({ "incident_ids": [confidential], "jurisdiction": "CAF" })
    )
    .id();
    let accused = api
        .post(
            &format!("/api/v1/cases/{mixed_id}/accused"),
            Some(&legal_two),
            json!({ "name": "Commander D.", "affiliation": "3R" }),
        )
        .await;
    assert_eq!(accused.status, StatusCode::CREATED);

    let tokens = [
        ("legal", "legal"),
        ("officer.b", "officer.b"),
        ("leader.low", "leader.low"),
        ("leader.hq", "leader.hq"),
        ("legal.monusco", "legal.monusco"),
        ("officer.monusco", "officer.monusco"),
        ("chief", "chief"),
        ("auditor", "auditor"),
    ];
    let mut token = std::collections::HashMap::new();
    for (name, username) in tokens {
        token.insert(name, api.login(username, PASSWORD).await);
    }
    let get = |who: &'static str, id: &str| {
        let path = format!("/api/v1/cases/{id}");
        let token = token[who].clone();
        let api = &api;
        async move { api.get(&path, Some(&token)).await }
    };

    // Mission readers cleared for an incident see the case; the one above their clearance is
    // withheld and counted.
    let by_legal = get("legal", &mixed_id).await;
    assert_eq!(by_legal.status, StatusCode::OK);
    assert_eq!(by_legal.body["incidents"].as_array().unwrap().len(), 1);
    assert_eq!(by_legal.body["withheld_incidents"], 1);
    assert_eq!(by_legal.body["accused"][0]["name"], "Commander D.");
    let by_officer = get("officer.b", &hidden).await;
    assert_eq!(by_officer.status, StatusCode::OK);
    // Unclassified leadership sees the case with an unclassified incident, without names,
    // and not the case whose only incident is confidential.
    let by_low = get("leader.low", &mixed_id).await;
    assert_eq!(by_low.status, StatusCode::OK);
    assert_eq!(by_low.body["accused"][0].get("name"), None);
    assert_eq!(by_low.body["accused"][0]["name_withheld"], true);
    assert_eq!(by_low.body["accused"][0]["affiliation"], "3R");
    get("leader.low", &hidden).await.assert_problem(404);
    assert_eq!(get("leader.hq", &hidden).await.status, StatusCode::OK);
    // Other missions do not see it at all.
    get("legal.monusco", &mixed_id).await.assert_problem(404);
    get("officer.monusco", &hidden).await.assert_problem(404);
    // Administrators and auditors do not read case content.
    get("chief", &mixed_id).await.assert_problem(403);
    get("auditor", &mixed_id).await.assert_problem(403);
    api.get("/api/v1/cases", Some(&token["auditor"]))
        .await
        .assert_problem(403);

    let listed = |who: &'static str| {
        let token = token[who].clone();
        let api = &api;
        async move {
            let answer = api.get("/api/v1/cases", Some(&token)).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            let mut refs = references(&answer);
            refs.sort();
            refs
        }
    };
    let both = {
        let mut refs = vec![
            mixed.body["reference"].as_str().unwrap().to_string(),
            get("leader.hq", &hidden).await.body["reference"]
                .as_str()
                .unwrap()
                .to_string(),
        ];
        refs.sort();
        refs
    };
    assert_eq!(listed("legal").await, both);
    assert_eq!(listed("leader.hq").await, both);
    assert_eq!(listed("leader.low").await, vec![both[0].clone()]);
    assert!(listed("legal.monusco").await.is_empty());

    // Every refusal is recorded.
    assert!(t.count("audit_log WHERE action = 'access.denied' AND entity_type = 'case'") >= 5);
}

async fn only_legal_officers_of_the_mission_change_cases(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let leader = api.login("leader.hq", PASSWORD).await;
    let hq_legal = api.login("legal.hq", PASSWORD).await;
    let incident_id = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-10T08:00:00Z", "confidential")
    );
    let body = json!({ "incident_ids": [incident_id], "jurisdiction": "CAF" });

    api.post("/api/v1/cases", Some(&officer), body.clone())
        .await
        .assert_problem(403);
    api.post("/api/v1/cases", Some(&leader), body.clone())
        .await
        .assert_problem(403);
    let case_id = open_case!(api, &legal, body).id();
    let case_path = format!("/api/v1/cases/{case_id}");
    for token in [&officer, &leader] {
        // Readers who may not write hear 403 before their body is even read.
        api.post(
            &format!("{case_path}/transitions"),
            Some(token),
            json!("not an object"),
        )
        .await
        .assert_problem(403);
        api.patch(
            &case_path,
            Some(token),
            json!({ "version": 1, "notes": "x" }),
        )
        .await
        .assert_problem(403);
        api.post(
            &format!("{case_path}/accused"),
            Some(token),
            json!({ "name": "E." }),
        )
        .await
        .assert_problem(403);
        api.send(upload(
            &format!("{case_path}/documents"),
            token,
            &[
                ("title", None, b"T"),
                ("kind", None, b"other"),
                ("file", Some("a.txt"), b"text"),
            ],
        ))
        .await
        .assert_problem(403);
    }
    // Headquarters legal officers work on every mission.
    let moved = move_case!(api, &hq_legal, case_id, "referred", "2026-02-01");
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(t.count("case_transitions"), 2);
    assert_eq!(t.count("case_accused"), 0);
    assert_eq!(t.count("case_documents"), 0);
    // Without signing in, nothing.
    api.get(&case_path, None).await.assert_problem(401);
    api.get("/api/v1/cases", None).await.assert_problem(401);
}

async fn updates_need_the_current_version(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let first = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-02-10T08:00:00Z", "confidential")
    );
    let second = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-02-12T08:00:00Z", "confidential")
    );
    let late = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-06-01T08:00:00Z", "confidential")
    );
    let case_id = open_case!(
        api,
        &legal,
        json!({ "incident_ids": [first], "jurisdiction": "CAF", "opened_on": "2026-03-01" })
    )
    .id();
    let path = format!("/api/v1/cases/{case_id}");

    let no_version = api
        .patch(&path, Some(&legal), json!({ "notes": "x" }))
        .await;
    assert_eq!(no_version.error_fields(), ["version"]);
    let updated = api
        .patch(
            &path,
            Some(&legal),
            json!({ "version": 1, "incident_ids": [first, second], "next_action": "Follow up with the prosecutor",
                    "next_action_due": "2026-12-01", "authority": "Tribunal de grande instance de Bambari" }),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.body["incidents"].as_array().unwrap().len(), 2);
    assert_eq!(updated.body["jurisdiction"], "CAF");
    assert_eq!(updated.body["next_action_due"], "2026-12-01");
    let stale = api
        .patch(
            &path,
            Some(&legal),
            json!({ "version": 1, "notes": "late edit" }),
        )
        .await;
    stale.assert_problem(409);
    // An incident after the case's first step would put the timeline before its attack.
    let only_late = api
        .patch(
            &path,
            Some(&legal),
            json!({ "version": 2, "incident_ids": [late] }),
        )
        .await;
    assert_eq!(only_late.error_fields(), ["incident_ids"]);
    let due_without_action = api
        .patch(
            &path,
            Some(&legal),
            json!({ "version": 2, "next_action": null }),
        )
        .await;
    assert_eq!(due_without_action.error_fields(), ["next_action"]);
    let cleared = api
        .patch(
            &path,
            Some(&legal),
            json!({ "version": 2, "next_action": null, "next_action_due": null, "incident_ids": [second] }),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
    assert_eq!(cleared.body["next_action_due"], Value::Null);
    assert_eq!(cleared.body["incidents"][0]["id"], second.as_str());
    let stored = api.get(&path, Some(&legal)).await;
    assert_eq!(stored.body["notes"], Value::Null);
    assert_eq!(stored.body["version"], 3);
    assert_eq!(
        t.count("audit_log WHERE action = 'case.update'"),
        2,
        "refused updates record nothing"
    );
}

async fn one_idempotency_key_opens_one_case(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let incident_id = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-02-10T08:00:00Z", "confidential")
    );
    let body = json!({ "incident_ids": [incident_id], "jurisdiction": "CAF" });
    let send = |body: Value| {
        api.send(
            with_token(TestRequest::post().uri("/api/v1/cases"), Some(&legal))
                .insert_header(("Idempotency-Key", "case-retry-1"))
                .set_json(body),
        )
    };
    let answers = join_all([send(body.clone()), send(body.clone()), send(body.clone())]).await;
    let ids: Vec<String> = answers.iter().map(Answer::id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.header("idempotent-replayed").is_some())
            .count(),
        2
    );
    assert_eq!(t.count("cases"), 1);
    let different = send(json!({ "incident_ids": [incident_id], "jurisdiction": "ICC" })).await;
    assert_eq!(different.error_fields(), ["Idempotency-Key"]);
    assert_eq!(t.count("cases"), 1);
}

async fn lists_find_stalled_and_due_cases_exactly(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let today = t.now().date();
    let day = |offset: i64| -> NaiveDate {
        if offset >= 0 {
            today + Days::new(offset as u64)
        } else {
            today - Days::new((-offset) as u64)
        }
    };
    let occurred = format!("{}T08:00:00Z", day(-400));
    let other_lead = t.create_user(
        "legal.three",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let open = |opened: i64, due: Option<i64>, jurisdiction: &'static str| {
        let occurred = occurred.clone();
        let api = &api;
        let officer = officer.clone();
        let legal = legal.clone();
        async move {
            let incident_id = new_incident!(
                api,
                &officer,
                incident("MINUSCA", &occurred, "confidential")
            );
            let mut body = json!({
                "incident_ids": [incident_id], "jurisdiction": jurisdiction,
                "opened_on": day(opened).to_string(), "notes": format!("opened {opened}")
            });
            if let Some(due) = due {
                body["next_action"] = json!("Ask the prosecutor for news");
                body["next_action_due"] = json!(day(due).to_string());
            }
            let answer = open_case!(api, &legal, body);
            (
                answer.id(),
                answer.body["reference"].as_str().unwrap().to_string(),
            )
        }
    };
    let (_, a) = open(-300, Some(5), "CAF").await;
    let (b_id, b) = open(-300, Some(-3), "CAF").await;
    let (c_id, c) = open(-250, Some(-10), "ICC").await;
    let (_, d) = open(0, None, "CAF").await;
    let (e_id, e) = open(-180, None, "CAF").await;
    let led_by_other = api
        .patch(
            &format!("/api/v1/cases/{e_id}"),
            Some(&legal),
            json!({ "version": 1, "lead_officer": other_lead }),
        )
        .await;
    assert_eq!(led_by_other.status, StatusCode::OK, "{}", led_by_other.body);
    assert_eq!(led_by_other.body["lead_officer_username"], "legal.three");
    assert_eq!(
        move_case!(api, &legal, b_id, "referred", day(-100).to_string()).status,
        StatusCode::OK
    );
    let closing = api
        .post(
            &format!("/api/v1/cases/{c_id}/transitions"),
            Some(&legal),
            json!({ "to": "closed", "effective_on": day(-200).to_string(), "closure_reason": "transferred" }),
        )
        .await;
    assert_eq!(closing.status, StatusCode::OK, "{}", closing.body);

    let list = |query: String| {
        let api = &api;
        let legal = legal.clone();
        async move {
            let answer = api
                .get(&format!("/api/v1/cases{query}"), Some(&legal))
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.body);
            references(&answer)
        }
    };
    // Most urgent first: due dates, then open cases without one, ended cases last.
    let all = list(String::new()).await;
    assert_eq!(all[..2], [b.clone(), a.clone()]);
    assert_eq!(all.last(), Some(&c));
    assert_eq!(all.len(), 5);
    // Idle for more than N days, open only (E has been idle exactly 180 days).
    assert_eq!(list("?stalled_days=180".into()).await, vec![a.clone()]);
    assert_eq!(
        list("?stalled_days=179".into()).await,
        [a.clone(), e.clone()]
    );
    assert_eq!(
        list("?stalled_days=90".into()).await,
        [b.clone(), a.clone(), e.clone()]
    );
    // Due by a date, inclusive, open only (C's date has passed, but it is closed).
    assert_eq!(list(format!("?due_before={today}")).await, vec![b.clone()]);
    assert_eq!(
        list(format!("?due_before={}", day(5))).await,
        [b.clone(), a.clone()]
    );
    assert_eq!(
        list(format!("?due_before={}", day(4))).await,
        vec![b.clone()]
    );
    // Other filters.
    assert_eq!(list("?status=closed".into()).await, vec![c.clone()]);
    assert_eq!(
        list("?status=referred&status=closed".into()).await,
        [b.clone(), c.clone()]
    );
    assert_eq!(list("?jurisdiction=ICC".into()).await, vec![c.clone()]);
    assert_eq!(list("?q=OPENED%20-250".into()).await, vec![c.clone()]);
    assert_eq!(list("?mission=MONUSCO".into()).await, Vec::<String>::new());
    let lead = api.get("/api/v1/me", Some(&legal)).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        list(format!("?lead_officer={lead}&stalled_days=179")).await,
        vec![a.clone()]
    );
    assert_eq!(
        list(format!("?lead_officer={other_lead}")).await,
        vec![e.clone()]
    );
    let answer = api
        .get(&format!("/api/v1/cases/{b_id}"), Some(&legal))
        .await;
    assert_eq!(answer.body["overdue"], true);
    assert_eq!(answer.body["days_idle"], 100);

    // Pages of two cover everything once.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/api/v1/cases?limit=2&cursor={c}"),
            None => "/api/v1/cases?limit=2".to_string(),
        };
        let page = api.get(&query, Some(&legal)).await;
        paged.extend(references(&page));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, all);
    assert!(paged.contains(&d));

    // Bad filters are named.
    for (query, field) in [
        ("?status=asleep", "status"),
        ("?due_before=tomorrow", "due_before"),
        ("?stalled_days=-1", "stalled_days"),
        ("?cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("?limit=0", "limit"),
    ] {
        let answer = api
            .get(&format!("/api/v1/cases{query}"), Some(&legal))
            .await;
        answer.assert_problem(422);
        assert_eq!(answer.error_fields(), [field], "{query}");
    }
    api.get("/api/v1/cases?colour=red", Some(&legal))
        .await
        .assert_problem(400);
}

async fn changes_keep_links_people_and_dates_sound(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    t.create_user(
        "legal.low",
        Role::LegalOfficer,
        Clearance::Unclassified,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let monusco_officer = api.login("officer.monusco", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let low = api.login("legal.low", PASSWORD).await;
    let outsider = api.login("legal.monusco", PASSWORD).await;
    let base = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-10T08:00:00Z", "unclassified")
    );
    let secret = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-11T08:00:00Z", "strictly_confidential")
    );
    let mut draft_body = incident("MINUSCA", "2026-01-12T08:00:00Z", "confidential");
    draft_body["submit"] = json!(false);
    let draft = new_incident!(api, &officer, draft_body);
    let withdrawn = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-13T08:00:00Z", "confidential")
    );
    api.post(
        &format!("/api/v1/incidents/{withdrawn}/withdraw"),
        Some(&officer),
        json!({ "reason": "Entered twice" }),
    )
    .await;
    let elsewhere = new_incident!(
        api,
        &monusco_officer,
        incident("MONUSCO", "2026-01-14T08:00:00Z", "confidential")
    );
    let case_id = open_case!(
        api,
        &legal,
        json!({ "incident_ids": [base], "jurisdiction": "CAF", "opened_on": "2026-01-20" })
    )
    .id();
    let path = format!("/api/v1/cases/{case_id}");

    // Linking afterwards follows the same rules as opening.
    let bad_links = api
        .patch(
            &path,
            Some(&legal),
            json!({ "version": 1, "incident_ids": [base, secret, draft, withdrawn, elsewhere] }),
        )
        .await;
    bad_links.assert_problem(422);
    assert_eq!(
        bad_links.error_fields(),
        [
            "incident_ids[1]",
            "incident_ids[2]",
            "incident_ids[3]",
            "incident_ids[4]"
        ]
    );

    // A legal officer of another mission cannot even find the case to change it.
    api.patch(&path, Some(&outsider), json!({ "version": 1 }))
        .await
        .assert_problem(404);
    move_case!(api, &outsider, case_id, "referred", "2026-02-01").assert_problem(404);
    api.post(
        &format!("{path}/accused"),
        Some(&outsider),
        json!({ "name": "F." }),
    )
    .await
    .assert_problem(404);
    api.send(upload(
        &format!("{path}/documents"),
        &outsider,
        &[
            ("title", None, b"T"),
            ("kind", None, b"other"),
            ("file", Some("a.txt"), b"text"),
        ],
    ))
    .await
    .assert_problem(404);

    // A legal officer below `confidential` works on the case without seeing names.
    let added = api
        .post(
            &format!("{path}/accused"),
            Some(&low),
            json!({ "name": "Colonel G.", "charges": "Attack on a UN base" }),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.body.get("name"), None);
    assert_eq!(added.body["name_withheld"], true);
    let accused_path = format!("{path}/accused/{}", added.id());
    let renamed = api
        .patch(
            &accused_path,
            Some(&legal),
            json!({ "version": 1, "name": "Colonel G. alias Scorpion" }),
        )
        .await;
    assert_eq!(renamed.body["name"], "Colonel G. alias Scorpion");
    // The trail says the name changed, never what it is.
    assert_eq!(
        t.count(
            "audit_log WHERE action = 'case.accused.update' AND details LIKE '%\"accused_fields\":[\"name\"]%'"
        ),
        1
    );
    assert_eq!(
        t.count("audit_log WHERE details LIKE '%Scorpion%' OR details LIKE '%Colonel%'"),
        0
    );

    // A verdict, once recorded, survives a retrial: the record can still be corrected.
    for (to, on) in [("in_trial", "2026-03-01"), ("judgment", "2026-05-01")] {
        assert_eq!(
            move_case!(api, &legal, case_id, to, on).status,
            StatusCode::OK
        );
    }
    let convicted = api
        .patch(
            &accused_path,
            Some(&legal),
            json!({ "version": 2, "verdict": "convicted", "verdict_on": "2026-05-01", "sentence": { "type": "life_imprisonment" } }),
        )
        .await;
    assert_eq!(convicted.status, StatusCode::OK, "{}", convicted.body);
    for (to, on) in [("appeal", "2026-06-01"), ("in_trial", "2026-07-01")] {
        assert_eq!(
            move_case!(api, &legal, case_id, to, on).status,
            StatusCode::OK
        );
    }
    let corrected = api
        .patch(
            &accused_path,
            Some(&legal),
            json!({ "version": 3, "status": "deceased" }),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::OK, "{}", corrected.body);
    assert_eq!(corrected.body["verdict"], "convicted");

    // An incident cannot be moved after a step of a case on it.
    let incident_path = format!("/api/v1/incidents/{base}");
    let version = api.get(&incident_path, Some(&officer)).await.body["version"].clone();
    let moved_later = api
        .patch(
            &incident_path,
            Some(&officer),
            json!({ "version": version, "occurred_at": "2026-02-15T08:00:00Z", "reason": "Date corrected" }),
        )
        .await;
    moved_later.assert_problem(422);
    assert_eq!(moved_later.error_fields(), ["occurred_at"]);
    let moved_earlier = api
        .patch(
            &incident_path,
            Some(&officer),
            json!({ "version": version, "occurred_at": "2026-01-09T08:00:00Z", "reason": "Date corrected" }),
        )
        .await;
    assert_eq!(
        moved_earlier.status,
        StatusCode::OK,
        "{}",
        moved_earlier.body
    );
}

/// The host State: a State's jurisdiction is its own, a named court takes the State given with
/// it, an international court has none; a State that does not fit is refused naming the field,
/// and a new jurisdiction does not keep the former court's State.
async fn a_case_names_its_host_state(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let on = new_incident!(
        api,
        &officer,
        incident("MINUSCA", "2026-01-10T08:00:00Z", "confidential")
    );
    let court = "Special Criminal Court (CAR)";
    let cases_before = t.count("cases");
    for (body, field) in [
        (
            json!({ "jurisdiction": "MLI", "jurisdiction_state": "SEN" }),
            "jurisdiction_state",
        ),
        (
            json!({ "jurisdiction": "ICC", "jurisdiction_state": "CAF" }),
            "jurisdiction_state",
        ),
        (
            json!({ "jurisdiction": court, "jurisdiction_state": "XYZ" }),
            "jurisdiction_state",
        ),
    ] {
        let mut body = body;
        body["incident_ids"] = json!([on]);
        let refused = api.post("/api/v1/cases", Some(&legal), body).await;
        refused.assert_problem(422);
        assert_eq!(refused.error_fields(), [field]);
    }
    assert_eq!(t.count("cases"), cases_before, "nothing stored");

    let opened = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [on], "jurisdiction": court, "jurisdiction_state": "CAF" }),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    assert_eq!(opened.body["jurisdiction_state"], "CAF");
    let path = format!("/api/v1/cases/{}", opened.id());
    let to_mali = api
        .patch(
            &path,
            Some(&legal),
            json!({ "jurisdiction": "MLI", "version": 1 }),
        )
        .await;
    assert_eq!(to_mali.status, StatusCode::OK, "{}", to_mali.body);
    assert_eq!(to_mali.body["jurisdiction_state"], "MLI");
    let to_icc = api
        .patch(
            &path,
            Some(&legal),
            json!({ "jurisdiction": "ICC", "version": 2 }),
        )
        .await;
    assert_eq!(to_icc.status, StatusCode::OK, "{}", to_icc.body);
    assert_eq!(to_icc.body["jurisdiction_state"], Value::Null);
    let listed = api.get("/api/v1/cases", Some(&legal)).await;
    assert_eq!(listed.body["items"][0]["jurisdiction_state"], Value::Null);
}
