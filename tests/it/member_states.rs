//! Member States in the loop: each State's focal point reads exactly its State's part, in the
//! State view, through the same guard as everyone.

use crate::common;

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use common::{Answer, Backend, Member, PASSWORD, TestApp};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    each_state_reads_exactly_its_part,
    state_lists_page_filter_and_refuse_bad_input,
    a_states_list_follows_the_records_corrections,
    a_host_states_cases_follow_their_incidents,
    a_link_made_while_its_incident_changes_counts_the_change,
    the_state_summary_counts_its_part_per_year
);

const MISSION_STAFF: &[Member] = &[
    (
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSMA"],
    ),
    (
        "legal",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSMA"],
    ),
];

/// Values stored that no State may read, whoever it is: sources, narratives, place names,
/// exact positions, perpetrators, the mission's notes, next actions and step notes.
const NEVER_TO_A_STATE: &[&str] = &[
    "Tessalit crossroads",
    "18.4312",
    "1.0871",
    "convoy was hit by an IED",
    "Signals intercept Kilo",
    "Katiba Macina",
    "mission's internal note",
    "Brief the prosecutor on the seized phones",
    "step note for the mission",
];

/// The registry as it stood while MINUSMA ran: attacks could still be recorded in it.
fn with_minusma_active(t: TestApp) -> TestApp {
    t.execute_sql("UPDATE missions SET active = TRUE WHERE code = 'MINUSMA'")
        .expect("reopen the mission");
    t
}

fn attack(victims: Value, classification: &str) -> Value {
    json!({
        "mission": "MINUSMA",
        "occurred_at": "2023-02-10T06:30:00Z",
        "place_name": "Tessalit crossroads",
        "admin1": "Kidal",
        "admin2": "Tessalit",
        "latitude": 18.4312,
        "longitude": 1.0871,
        "location_type": "convoy",
        "attack_type": "ied",
        "weapons": ["ied"],
        "perpetrators": [{ "actor_name": "Katiba Macina", "actor_type": "armed_group", "attribution": "likely"}],
        "victims": victims,
        "sources": [{ "source_type": "witness", "description": "Signals intercept Kilo", "reliability": "B", "credibility": 2 }],
        "summary": "Convoy struck near Tessalit",
        "narrative": "The convoy was hit by an IED at the crossroads.",
        "classification": classification,
        "submit": true
    })
}

fn senegalese_and_chadian() -> Value {
    json!([
        { "personnel_type": "military", "nationality": "SEN", "gender": "male", "outcome": "killed",
          "name": "Moussa Diop", "unit": "SENBATT-2", "casualty_id": "MINUSMA-2023-02-00011" },
        { "personnel_type": "military", "nationality": "TCD", "gender": "male", "outcome": "killed",
          "name": "Idriss Mahamat", "unit": "TCDBATT-1", "casualty_id": "MINUSMA-2023-02-00012" },
        { "personnel_type": "military", "nationality": "TCD", "gender": "male", "outcome": "injured" }
    ])
}

async fn created(answer: Answer) -> String {
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.id()
}

fn assert_nothing_withheld_leaks(answer: &Answer) {
    let body = answer.body.to_string();
    for value in NEVER_TO_A_STATE {
        assert!(!body.contains(value), "`{value}` reached a State: {body}");
    }
}

/// The attack of the exchange: a Senegalese and a Chadian peacekeeper killed, a case before
/// Mali's courts. Senegal sees its national by name, the Chadians as counts; Chad the
/// reverse; Mali the case as host State with its accused; France nothing at all.
async fn each_state_reads_exactly_its_part(backend: Backend) {
    let t = with_minusma_active(TestApp::new(backend).with_users(MISSION_STAFF));
    for (username, state, clearance) in [
        ("focal.mli", "MLI", Clearance::Confidential),
        ("focal.sen", "SEN", Clearance::Confidential),
        ("focal.sen.low", "SEN", Clearance::Unclassified),
        ("focal.tcd", "TCD", Clearance::Confidential),
        ("focal.fra", "FRA", Clearance::StrictlyConfidential),
    ] {
        t.create_focal_point(username, state, clearance);
    }
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let attack_id = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(senegalese_and_chadian(), "confidential"),
        )
        .await,
    )
    .await;
    // Another attack of the same case, on Bangladeshi peacekeepers alone: Mali's, not Senegal's.
    let other_id = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(
                json!([{ "personnel_type": "military", "nationality": "BGD", "gender": "male", "outcome": "injured" }]),
                "confidential",
            ),
        )
        .await,
    )
    .await;
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [attack_id, other_id], "jurisdiction": "MLI", "authority": "Pôle judiciaire spécialisé",
                    "next_action": "Brief the prosecutor on the seized phones", "next_action_due": "2023-06-01",
                    "notes": "mission's internal note", "opened_on": "2023-03-01" }),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
    let case_id = case.id();
    let moved = api
        .post(
            &format!("/api/v1/cases/{case_id}/transitions"),
            Some(&legal),
            json!({ "to": "referred", "effective_on": "2023-03-05", "note": "step note for the mission" }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let accused = api
        .post(
            &format!("/api/v1/cases/{case_id}/accused"),
            Some(&legal),
            json!({ "name": "Ag Alhousseini", "status": "wanted", "charges": "Murder of peacekeepers" }),
        )
        .await;
    assert_eq!(accused.status, StatusCode::CREATED, "{}", accused.body);
    // The warrant, shared with Mali alone; refused shares change nothing.
    let warrant = t
        .upload_document(&legal, &case_id, "Arrest warrant for Ag Alhousseini")
        .await;
    assert_eq!(warrant.status, StatusCode::CREATED, "{}", warrant.body);
    let document_path = format!("/api/v1/cases/{case_id}/documents/{}", warrant.id());
    let unknown = api
        .patch(
            &document_path,
            Some(&legal),
            json!({ "shared_with": ["MLI", "XXX"], "version": 1 }),
        )
        .await;
    unknown.assert_problem(422);
    assert_eq!(unknown.error_fields(), ["shared_with[1]"]);
    let stale = api
        .patch(
            &document_path,
            Some(&legal),
            json!({ "shared_with": ["MLI"], "version": 7 }),
        )
        .await;
    stale.assert_problem(409);
    let shared = api
        .patch(
            &document_path,
            Some(&legal),
            json!({ "shared_with": ["MLI"], "version": 1 }),
        )
        .await;
    assert_eq!(shared.status, StatusCode::OK, "{}", shared.body);
    assert_eq!(shared.body["shared_with"], json!(["MLI"]));
    assert_eq!(shared.body["version"], 2);
    assert_eq!(t.count("audit_log WHERE action = 'case.document.share'"), 1);

    let incident_path = format!("/api/v1/incidents/{attack_id}");
    let case_path = format!("/api/v1/cases/{case_id}");
    let mut tokens = std::collections::HashMap::new();
    for name in [
        "focal.mli",
        "focal.sen",
        "focal.sen.low",
        "focal.tcd",
        "focal.fra",
    ] {
        tokens.insert(name, api.login(name, PASSWORD).await);
    }
    let read = |name: &'static str, path: String| {
        let (api, token) = (&api, tokens[name].clone());
        async move {
            let answer = api.get(&path, Some(&token)).await;
            assert_nothing_withheld_leaks(&answer);
            answer
        }
    };

    // Mali, host State: the case with its accused, the incident as counts.
    let mali_case = read("focal.mli", case_path.clone()).await;
    assert_eq!(mali_case.status, StatusCode::OK, "{}", mali_case.body);
    assert_eq!(mali_case.body["relations"], json!(["host"]));
    assert_eq!(mali_case.body["status"], "referred");
    assert_eq!(mali_case.body["timeline"][1]["to"], "referred");
    assert_eq!(mali_case.body["next_action_due"], "2023-06-01");
    assert_eq!(mali_case.body["accused"][0]["name"], "Ag Alhousseini");
    assert_eq!(
        mali_case.body["accused"][0]["charges"],
        "Murder of peacekeepers"
    );
    assert_eq!(
        mali_case.body["incidents"].as_array().unwrap().len(),
        2,
        "the host State follows every incident of its case"
    );
    assert_eq!(mali_case.body["documents"][0]["download"], document_path);
    let download = api.get(&document_path, Some(&tokens["focal.mli"])).await;
    assert_eq!(download.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&download.bytes).contains("Arrest warrant"));
    let mali_incident = read("focal.mli", incident_path.clone()).await;
    assert_eq!(
        mali_incident.status,
        StatusCode::OK,
        "{}",
        mali_incident.body
    );
    assert_eq!(mali_incident.body["relations"], json!(["host"]));
    assert_eq!(mali_incident.body["nationals"], json!([]));
    assert_eq!(mali_incident.body["admin2"], "Tessalit");
    assert_eq!(mali_incident.body["casualties"]["killed"], 2);
    assert_eq!(
        mali_incident.body["casualties_by_nationality"],
        json!([
            { "nationality": "SEN", "killed": 1, "injured": 0, "abducted": 0, "missing": 0 },
            { "nationality": "TCD", "killed": 1, "injured": 1, "abducted": 0, "missing": 0 }
        ])
    );
    for name in ["Moussa Diop", "Idriss Mahamat"] {
        assert!(!mali_incident.body.to_string().contains(name));
    }

    // Senegal: its national by name, the Chadians as counts; the case moving, no accused.
    let senegal = read("focal.sen", incident_path.clone()).await;
    assert_eq!(senegal.status, StatusCode::OK, "{}", senegal.body);
    assert_eq!(senegal.body["relations"], json!(["nationality"]));
    assert_eq!(
        senegal.body["nationals"],
        json!([{ "personnel_type": "military", "outcome": "killed", "casualty_id": "MINUSMA-2023-02-00011",
                 "name": "Moussa Diop", "unit": "SENBATT-2" }])
    );
    assert!(!senegal.body.to_string().contains("Idriss Mahamat"));
    let senegal_case = read("focal.sen", case_path.clone()).await;
    assert_eq!(senegal_case.status, StatusCode::OK);
    assert_eq!(senegal_case.body["relations"], json!(["nationality"]));
    assert_eq!(senegal_case.body["status"], "referred");
    assert_eq!(senegal_case.body["accused"], json!([]));
    assert_eq!(
        senegal_case.body["incidents"],
        json!([{ "id": attack_id, "reference": senegal.body["reference"] }]),
        "only the attack on its national"
    );
    read("focal.sen", format!("/api/v1/incidents/{other_id}"))
        .await
        .assert_problem(404);
    assert_eq!(
        senegal_case.body["documents"],
        json!([]),
        "not shared with Senegal"
    );
    api.get(&document_path, Some(&tokens["focal.sen"]))
        .await
        .assert_problem(404);
    api.patch(
        &document_path,
        Some(&tokens["focal.mli"]),
        json!({ "shared_with": ["SEN"], "version": 2 }),
    )
    .await
    .assert_problem(404);
    assert!(!senegal_case.body.to_string().contains("Ag Alhousseini"));
    // Above its clearance the attack is not there; below `confidential`, a national of an
    // unclassified attack has no name: the casualty id and the outcome only.
    let low = read("focal.sen.low", incident_path.clone()).await;
    low.assert_problem(404);
    let open_attack = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(
                json!([{ "personnel_type": "police", "nationality": "SEN", "gender": "female", "outcome": "injured",
                         "name": "Awa Ndiaye", "unit": "SENFPU-1", "casualty_id": "MINUSMA-2023-02-00013" }]),
                "unclassified",
            ),
        )
        .await,
    )
    .await;
    let unnamed = read("focal.sen.low", format!("/api/v1/incidents/{open_attack}")).await;
    assert_eq!(unnamed.status, StatusCode::OK, "{}", unnamed.body);
    assert_eq!(
        unnamed.body["nationals"],
        json!([{ "personnel_type": "police", "outcome": "injured", "casualty_id": "MINUSMA-2023-02-00013",
                 "name": null, "unit": null }])
    );
    let named = read("focal.sen", format!("/api/v1/incidents/{open_attack}")).await;
    assert_eq!(named.body["nationals"][0]["name"], "Awa Ndiaye");

    // Chad: the reverse.
    let chad = read("focal.tcd", incident_path.clone()).await;
    assert_eq!(chad.body["nationals"][0]["name"], "Idriss Mahamat");
    assert_eq!(chad.body["nationals"].as_array().unwrap().len(), 2);
    assert!(!chad.body.to_string().contains("Moussa Diop"));

    // France: nothing, exactly as for what does not exist.
    for path in [incident_path.clone(), case_path.clone()] {
        let nothing = read("focal.fra", path).await;
        nothing.assert_problem(404);
        let missing = read("focal.fra", "/api/v1/cases/no-such-case".to_string()).await;
        assert_eq!(nothing.body["detail"], missing.body["detail"]);
    }
    for path in ["/api/v1/state/incidents", "/api/v1/state/cases"] {
        let listed = read("focal.fra", path.to_string()).await;
        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(listed.body["items"], json!([]), "{path}");
    }

    // A focal point changes nothing, and is not told whether a record exists by trying.
    let write = api
        .patch(
            &incident_path,
            Some(&tokens["focal.sen"]),
            json!({ "summary": "x", "version": 2 }),
        )
        .await;
    write.assert_problem(404);

    // Every read is recorded, without content.
    // Mali's two, Senegal's three, its low-cleared focal point's one, Chad's one, France's two
    // lists; refusals are recorded apart.
    assert_eq!(t.count("audit_log WHERE action = 'state.read'"), 9);
    assert_eq!(
        t.count("audit_log WHERE action = 'state.read' AND details LIKE '%Diop%'"),
        0
    );
    // What the legal officer shares reaches the States concerned: a step's note, given with
    // the step or later, and the next action; a new next action is the mission's own again.
    let case_now = api.get(&case_path, Some(&legal)).await;
    let version = case_now.body["version"].as_i64().unwrap();
    let step = api
        .post(
            &format!("/api/v1/cases/{case_id}/transitions"),
            Some(&legal),
            json!({ "to": "investigating", "effective_on": "2023-04-02", "version": version,
                    "note": "The gendarmerie opened an inquiry", "note_shared": true }),
        )
        .await;
    assert_eq!(step.status, StatusCode::OK, "{}", step.body);
    let version = step.body["version"].as_i64().unwrap();
    let next = api
        .patch(
            &case_path,
            Some(&legal),
            json!({ "next_action": "Hearing before the investigating judge", "next_action_shared": true, "version": version }),
        )
        .await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    let mut version = next.body["version"].as_i64().unwrap();
    let senegal_now = read("focal.sen", case_path.clone()).await;
    assert_eq!(senegal_now.body["timeline"][1]["note"], Value::Null);
    assert_eq!(
        senegal_now.body["timeline"][2]["note"],
        "The gendarmerie opened an inquiry"
    );
    assert_eq!(
        senegal_now.body["next_action"],
        "Hearing before the investigating judge"
    );
    // A step or a document that does not exist: 404, and nothing written.
    let unknown_step = api
        .patch(
            &format!("{case_path}/transitions/99"),
            Some(&legal),
            json!({ "note_shared": true, "version": version }),
        )
        .await;
    unknown_step.assert_problem(404);
    let unknown_document = api
        .patch(
            &format!("/api/v1/cases/{case_id}/documents/no-such-document"),
            Some(&legal),
            json!({ "shared_with": ["MLI"], "version": 1 }),
        )
        .await;
    unknown_document.assert_problem(404);
    let no_note = api
        .patch(
            &format!("{case_path}/transitions/0"),
            Some(&legal),
            json!({ "note_shared": true, "version": version }),
        )
        .await;
    no_note.assert_problem(422);
    assert_eq!(no_note.error_fields(), ["note_shared"]);
    let stale = api
        .patch(
            &format!("{case_path}/transitions/1"),
            Some(&legal),
            json!({ "note_shared": true, "version": version - 1 }),
        )
        .await;
    stale.assert_problem(409);
    let later = api
        .patch(
            &format!("{case_path}/transitions/1"),
            Some(&legal),
            json!({ "note_shared": true, "version": version }),
        )
        .await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.body);
    version = later.body["version"].as_i64().unwrap();
    let mali_now = api.get(&case_path, Some(&tokens["focal.mli"])).await;
    assert_eq!(
        mali_now.body["timeline"][1]["note"],
        "step note for the mission"
    );
    let renamed = api
        .patch(
            &case_path,
            Some(&legal),
            json!({ "next_action": "Second hearing", "version": version }),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["next_action_shared"], false);
    let mali_last = api.get(&case_path, Some(&tokens["focal.mli"])).await;
    assert_eq!(mali_last.body["next_action"], Value::Null);
    assert_eq!(t.count("audit_log WHERE action = 'case.step.share'"), 1);

    // The shares are proved like every change: the trail still verifies every record.
    t.create_user(
        "auditor",
        Role::Auditor,
        Clearance::StrictlyConfidential,
        &[],
    );
    let auditor = api.login("auditor", PASSWORD).await;
    let verified = api.get("/api/v1/audit/verify", Some(&auditor)).await;
    assert_eq!(verified.body["intact"], true, "{}", verified.body);
}

/// The lists: only what reaches the State (no draft, nothing withdrawn, nothing above its
/// clearance), by relation, a page at a time; bad filters named; other accounts refused.
async fn state_lists_page_filter_and_refuse_bad_input(backend: Backend) {
    let t = with_minusma_active(TestApp::new(backend).with_users(MISSION_STAFF));
    t.create_focal_point("focal.sen", "SEN", Clearance::Confidential);
    t.create_focal_point("focal.mli", "MLI", Clearance::Confidential);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let senegalese = || json!([{ "personnel_type": "military", "nationality": "SEN", "gender": "male", "outcome": "injured" }]);
    let first = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(senegalese(), "unclassified"),
        )
        .await,
    )
    .await;
    let mut later = attack(senegalese(), "confidential");
    later["occurred_at"] = json!("2023-05-01T10:00:00Z");
    let second = created(api.post("/api/v1/incidents", Some(&officer), later).await).await;
    let secret = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(senegalese(), "strictly_confidential"),
        )
        .await,
    )
    .await;
    let mut draft = attack(senegalese(), "unclassified");
    draft["submit"] = json!(false);
    let draft = created(api.post("/api/v1/incidents", Some(&officer), draft).await).await;
    let withdrawn = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(senegalese(), "unclassified"),
        )
        .await,
    )
    .await;
    let taken_back = api
        .post(
            &format!("/api/v1/incidents/{withdrawn}/withdraw"),
            Some(&officer),
            json!({ "reason": "Reported twice" }),
        )
        .await;
    assert_eq!(taken_back.status, StatusCode::OK, "{}", taken_back.body);
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [first], "jurisdiction": "Cour d'assises de Bamako", "jurisdiction_state": "MLI" }),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);

    let senegal = api.login("focal.sen", PASSWORD).await;
    let ids = |answer: &Answer| -> Vec<String> {
        answer.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", answer.body))
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_string())
            .collect()
    };
    let all = api.get("/api/v1/state/incidents", Some(&senegal)).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(ids(&all), [second.clone(), first.clone()], "newest first");
    for hidden in [&secret, &draft, &withdrawn] {
        assert!(!ids(&all).contains(hidden));
        let one = api
            .get(&format!("/api/v1/incidents/{hidden}"), Some(&senegal))
            .await;
        one.assert_problem(404);
    }
    let page = api
        .get("/api/v1/state/incidents?limit=1", Some(&senegal))
        .await;
    assert_eq!(ids(&page), [second.as_str()]);
    let cursor = page.body["next_cursor"].as_str().expect("a next page");
    let next = api
        .get(
            &format!("/api/v1/state/incidents?limit=1&cursor={cursor}"),
            Some(&senegal),
        )
        .await;
    assert_eq!(ids(&next), [first.as_str()]);
    assert!(next.body["next_cursor"].is_null());
    let as_host = api
        .get("/api/v1/state/incidents?relation=host", Some(&senegal))
        .await;
    assert_eq!(ids(&as_host), Vec::<String>::new());
    // A second case, before Senegal's own courts, its next action overdue: first in the list,
    // with its accused for the host State; each case with its own parts.
    let own = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [second], "jurisdiction": "SEN", "next_action": "Extradition request",
                    "next_action_due": "2023-06-01", "opened_on": "2023-05-10" }),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    let accused = api
        .post(
            &format!("/api/v1/cases/{}/accused", own.id()),
            Some(&legal),
            json!({ "name": "B. Toure", "status": "in_custody" }),
        )
        .await;
    assert_eq!(accused.status, StatusCode::CREATED, "{}", accused.body);
    let senegal_cases = api.get("/api/v1/state/cases", Some(&senegal)).await;
    assert_eq!(ids(&senegal_cases), [own.id(), case.id()]);
    let items = &senegal_cases.body["items"];
    assert_eq!(items[0]["relations"], json!(["host", "nationality"]));
    assert_eq!(items[0]["accused"][0]["name"], "B. Toure");
    assert_eq!(items[0]["incidents"][0]["id"], second);
    assert_eq!(items[1]["relations"], json!(["nationality"]));
    assert_eq!(items[1]["accused"], json!([]));
    assert_eq!(items[1]["incidents"][0]["id"], first);

    // Mali follows the named court's case as host State, and its incident.
    let mali = api.login("focal.mli", PASSWORD).await;
    let mali_cases = api
        .get("/api/v1/state/cases?relation=host", Some(&mali))
        .await;
    assert_eq!(ids(&mali_cases), [case.id()]);
    let mali_incidents = api.get("/api/v1/state/incidents", Some(&mali)).await;
    assert_eq!(ids(&mali_incidents), [first.as_str()]);
    let from_may = api
        .get(
            "/api/v1/state/incidents?from=2023-04-01T00:00:00Z",
            Some(&senegal),
        )
        .await;
    assert_eq!(ids(&from_may), [second.as_str()]);

    for (query, field) in [
        ("relation=ally", "relation"),
        ("status=draft", "status"),
        ("from=yesterday", "from"),
        ("cursor=%%%", "cursor"),
    ] {
        let refused = api
            .get(&format!("/api/v1/state/incidents?{query}"), Some(&senegal))
            .await;
        refused.assert_problem(422);
        assert_eq!(refused.error_fields(), [field], "{query}");
    }
    // The missions' staff read the missions' lists; the State lists are the focal points'.
    let staff = api.get("/api/v1/state/cases", Some(&legal)).await;
    staff.assert_problem(403);
    let mission_list = api.get("/api/v1/incidents", Some(&senegal)).await;
    mission_list.assert_problem(403);
}

/// The incidents with a State's nationals follow the record as officers correct it: a victim's
/// nationality corrected takes the incident out of one State's list and into another's, a
/// corrected time moves it in the order; an incident with two victims of one nationality is
/// listed once.
async fn a_states_list_follows_the_records_corrections(backend: Backend) {
    let t = with_minusma_active(TestApp::new(backend).with_users(MISSION_STAFF));
    t.create_focal_point("focal.sen", "SEN", Clearance::Confidential);
    t.create_focal_point("focal.tcd", "TCD", Clearance::Confidential);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let senegal = api.login("focal.sen", PASSWORD).await;
    let chad = api.login("focal.tcd", PASSWORD).await;
    let first = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(senegalese_and_chadian(), "unclassified"),
        )
        .await,
    )
    .await;
    let mut later = attack(
        json!([{ "personnel_type": "military", "nationality": "SEN", "gender": "male", "outcome": "injured" }]),
        "unclassified",
    );
    later["occurred_at"] = json!("2023-05-01T10:00:00Z");
    let second = created(api.post("/api/v1/incidents", Some(&officer), later).await).await;
    let listed = |token: String, query: &'static str| {
        let api = &api;
        async move {
            let answer = api
                .get(
                    &format!("/api/v1/state/incidents?relation=nationality{query}"),
                    Some(&token),
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            let ids: Vec<String> = answer.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["id"].as_str().unwrap().to_string())
                .collect();
            (ids, answer.body["next_cursor"].as_str().map(str::to_string))
        }
    };
    assert_eq!(
        listed(senegal.clone(), "").await.0,
        [second.as_str(), first.as_str()]
    );
    assert_eq!(listed(chad.clone(), "").await.0, [first.as_str()]);

    let correct = |id: String, change: Value| {
        let api = &api;
        let officer = officer.clone();
        async move {
            let path = format!("/api/v1/incidents/{id}");
            let stored = api.get(&path, Some(&officer)).await;
            let mut change = change;
            change["version"] = stored.body["version"].clone();
            change["reason"] = json!("Corrected after the sector's report");
            let answer = api.patch(&path, Some(&officer), change).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        }
    };
    // The first attack's Senegalese victim was in fact Chadian.
    let mut victims = senegalese_and_chadian();
    victims[0]["nationality"] = json!("TCD");
    correct(first.clone(), json!({ "victims": victims })).await;
    assert_eq!(listed(senegal.clone(), "").await.0, [second.as_str()]);
    assert_eq!(listed(chad.clone(), "").await.0, [first.as_str()]);
    // The second attack's victim was Chadian too; then, alone, it happened earlier than
    // reported.
    correct(
        second.clone(),
        json!({ "victims": [{ "personnel_type": "military", "nationality": "TCD", "gender": "male", "outcome": "injured" }] }),
    )
    .await;
    assert_eq!(listed(senegal.clone(), "").await.0, Vec::<String>::new());
    assert_eq!(
        listed(chad.clone(), "").await.0,
        [second.as_str(), first.as_str()]
    );
    correct(
        second.clone(),
        json!({ "occurred_at": "2023-01-05T08:00:00Z" }),
    )
    .await;
    let (page, cursor) = listed(chad.clone(), "&limit=1").await;
    assert_eq!(page, [first.as_str()]);
    let cursor = cursor.expect("a second page");
    let rest = api
        .get(
            &format!("/api/v1/state/incidents?relation=nationality&limit=1&cursor={cursor}"),
            Some(&chad),
        )
        .await;
    assert_eq!(rest.body["items"][0]["id"], json!(second), "{}", rest.body);
    assert!(rest.body["next_cursor"].is_null());
    // The database keeps the list's order whichever way a time changes, not only the service's.
    t.execute_sql(&format!(
        "UPDATE incidents SET occurred_at = '2023-12-01 00:00:00' WHERE id = '{second}'"
    ))
    .expect("move the second attack");
    assert_eq!(
        listed(chad.clone(), "&from=2023-06-01T00:00:00Z").await.0,
        [second.as_str()]
    );
}

/// A host State's list of cases follows the incidents through which it reads them: a case
/// leaves the list when its last incident within the focal point's clearance is withdrawn or
/// classified above it, and comes back with a link to one it may read; whichever way the
/// change arrives, the database keeps what the list filters on equal to a recount.
async fn a_host_states_cases_follow_their_incidents(backend: Backend) {
    let t = with_minusma_active(TestApp::new(backend).with_users(MISSION_STAFF));
    t.create_focal_point("focal.mli", "MLI", Clearance::Confidential);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let mali = api.login("focal.mli", PASSWORD).await;
    let senegalese = || json!([{ "personnel_type": "military", "nationality": "SEN", "gender": "male", "outcome": "killed" }]);
    let open = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(senegalese(), "unclassified"),
        )
        .await,
    )
    .await;
    let mut later = attack(senegalese(), "confidential");
    later["occurred_at"] = json!("2023-05-01T10:00:00Z");
    let second = created(api.post("/api/v1/incidents", Some(&officer), later).await).await;
    let case = created(
        api.post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [open], "jurisdiction": "MLI" }),
        )
        .await,
    )
    .await;
    let listed = || {
        let api = &api;
        let mali = mali.clone();
        async move {
            let answer = api
                .get("/api/v1/state/cases?relation=host", Some(&mali))
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            answer.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["id"].as_str().unwrap().to_string())
                .collect::<Vec<String>>()
        }
    };
    let kept_as_counted = || {
        let differing = t.count(
            "cases WHERE reaching_classification IS DISTINCT FROM (
                SELECT i.classification FROM case_incidents ci JOIN incidents i ON i.id = ci.incident_id
                WHERE ci.case_id = cases.id AND i.status IN ('submitted', 'verified')
                ORDER BY CASE i.classification WHEN 'unclassified' THEN 0 WHEN 'confidential' THEN 1 ELSE 2 END
                LIMIT 1)",
        );
        assert_eq!(
            differing, 0,
            "cases whose kept classification differs from a recount"
        );
    };
    let reclassify = |id: String, classification: &'static str| {
        let api = &api;
        let officer = officer.clone();
        async move {
            let path = format!("/api/v1/incidents/{id}");
            let stored = api.get(&path, Some(&officer)).await;
            let change = json!({
                "version": stored.body["version"],
                "classification": classification,
                "reason": "Classified again after review",
            });
            let answer = api.patch(&path, Some(&officer), change).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        }
    };
    assert_eq!(listed().await, [case.as_str()]);
    kept_as_counted();

    reclassify(open.clone(), "strictly_confidential").await;
    assert!(
        listed().await.is_empty(),
        "above the focal point's clearance"
    );
    kept_as_counted();

    let relinked = api
        .patch(
            &format!("/api/v1/cases/{case}"),
            Some(&legal),
            json!({ "version": 1, "incident_ids": [open, second] }),
        )
        .await;
    assert_eq!(relinked.status, StatusCode::OK, "{}", relinked.body);
    assert_eq!(listed().await, [case.as_str()], "through the second attack");
    kept_as_counted();

    let withdrawn = api
        .post(
            &format!("/api/v1/incidents/{second}/withdraw"),
            Some(&officer),
            json!({ "reason": "Reported twice" }),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    assert!(
        listed().await.is_empty(),
        "its only incident Mali may read is withdrawn"
    );
    kept_as_counted();

    // Someone with direct access lowers the first attack's classification: the database keeps
    // the case's classification all the same.
    t.execute_sql(&format!(
        "UPDATE incidents SET classification = 'confidential' WHERE id = '{open}'"
    ))
    .expect("reclassify by hand");
    assert_eq!(listed().await, [case.as_str()]);
    kept_as_counted();
}

/// A legal officer links an incident to a case while someone else's change of that incident's
/// classification is not yet committed: the link waits for it, so that the case's kept
/// classification counts the change rather than the incident as it was.
async fn a_link_made_while_its_incident_changes_counts_the_change(backend: Backend) {
    let t = with_minusma_active(TestApp::new(backend).with_users(MISSION_STAFF));
    t.create_focal_point("focal.mli", "MLI", Clearance::Confidential);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let mali = api.login("focal.mli", PASSWORD).await;
    let senegalese = || json!([{ "personnel_type": "military", "nationality": "SEN", "gender": "male", "outcome": "killed" }]);
    let secret = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(senegalese(), "strictly_confidential"),
        )
        .await,
    )
    .await;
    let open = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(senegalese(), "unclassified"),
        )
        .await,
    )
    .await;
    let case = created(
        api.post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [secret], "jurisdiction": "MLI" }),
        )
        .await,
    )
    .await;

    // Another connection classifies the open attack higher and has not committed yet.
    let mut pooled = t.conn();
    let other = &mut *pooled as &mut peacekeeper_registry::db::DbConnection;
    let run = |conn: &mut peacekeeper_registry::db::DbConnection, sql: &str| {
        diesel::RunQueryDsl::execute(diesel::sql_query(sql), conn).expect(sql);
    };
    run(other, "BEGIN");
    run(
        other,
        &format!(
            "UPDATE incidents SET classification = 'strictly_confidential' WHERE id = '{open}'"
        ),
    );
    let path = format!("/api/v1/cases/{case}");
    let (linked, ()) = tokio::join!(
        api.patch(
            &path,
            Some(&legal),
            json!({ "version": 1, "incident_ids": [secret, open] }),
        ),
        async {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
            run(other, "COMMIT");
        }
    );
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    let listed = api
        .get("/api/v1/state/cases?relation=host", Some(&mali))
        .await;
    assert_eq!(listed.body["items"], json!([]), "{}", listed.body);
    let kept = t.count(&format!(
        "cases WHERE id = '{case}' AND reaching_classification = 'strictly_confidential'"
    ));
    assert_eq!(
        kept, 1,
        "the case's classification counts the committed change"
    );
}

/// Mali's cases as host State and Senegal's nationals, per year, counted from what each may
/// read: no draft, nothing above the focal point's clearance; JSON and CSV; bad years named.
async fn the_state_summary_counts_its_part_per_year(backend: Backend) {
    let t = with_minusma_active(TestApp::new(backend).with_users(MISSION_STAFF));
    t.create_focal_point("focal.mli", "MLI", Clearance::Confidential);
    t.create_focal_point("focal.sen", "SEN", Clearance::Confidential);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let attack_id = created(
        api.post(
            "/api/v1/incidents",
            Some(&officer),
            attack(senegalese_and_chadian(), "confidential"),
        )
        .await,
    )
    .await;
    let mut later = attack(
        json!([{ "personnel_type": "police", "nationality": "SEN", "gender": "female", "outcome": "injured" }]),
        "unclassified",
    );
    later["occurred_at"] = json!("2024-05-02T10:00:00Z");
    created(
        api.post("/api/v1/incidents", Some(&officer), later.clone())
            .await,
    )
    .await;
    // Neither a draft nor an attack above the focal point's clearance is counted.
    let mut draft = later.clone();
    draft["submit"] = json!(false);
    draft["victims"][0]["outcome"] = json!("killed");
    created(api.post("/api/v1/incidents", Some(&officer), draft).await).await;
    let mut secret = later.clone();
    secret["classification"] = json!("strictly_confidential");
    secret["victims"][0]["outcome"] = json!("missing");
    created(api.post("/api/v1/incidents", Some(&officer), secret).await).await;
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [attack_id], "jurisdiction": "MLI", "opened_on": "2023-03-01" }),
        )
        .await;
    let case_id = created(case).await;
    for (to, on) in [("referred", "2023-03-05"), ("charged", "2023-07-01")] {
        let moved = api
            .post(
                &format!("/api/v1/cases/{case_id}/transitions"),
                Some(&legal),
                json!({ "to": to, "effective_on": on }),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    }

    let mali = api.login("focal.mli", PASSWORD).await;
    let summary = api.get("/api/v1/state/summary", Some(&mali)).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
    assert_eq!(summary.body["state"], "MLI");
    assert_eq!(summary.body["nationals"], json!([]));
    let host = &summary.body["host"];
    assert_eq!(host.as_array().unwrap().len(), 1);
    assert_eq!(host[0]["year"], 2023);
    assert_eq!(host[0]["cases"], 1);
    assert_eq!(host[0]["open"], 1);
    assert_eq!(host[0]["reached"]["referred"], 1);
    assert_eq!(host[0]["reached"]["charged"], 1);
    assert_eq!(host[0]["reached"]["in_trial"], 0);
    assert_eq!(host[0]["median_days"]["referral"], 23.0);
    assert_eq!(host[0]["median_days"]["charge"], 141.0);
    assert!(host[0]["median_days"].get("first_judgment").is_none());

    let senegal = api.login("focal.sen", PASSWORD).await;
    let summary = api.get("/api/v1/state/summary", Some(&senegal)).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
    assert_eq!(summary.body["host"], json!([]));
    assert_eq!(
        summary.body["nationals"],
        json!([
            { "year": 2023, "incidents": 1, "killed": 1, "injured": 0, "abducted": 0, "missing": 0,
              "cases_by_status": { "charged": 1 }, "incidents_without_case": 0 },
            { "year": 2024, "incidents": 1, "killed": 0, "injured": 1, "abducted": 0, "missing": 0,
              "cases_by_status": {}, "incidents_without_case": 1 }
        ])
    );
    let only_2024 = api
        .get("/api/v1/state/summary?from=2024&to=2024", Some(&senegal))
        .await;
    assert_eq!(only_2024.body["nationals"].as_array().unwrap().len(), 1);
    assert_eq!(only_2024.body["nationals"][0]["year"], 2024);
    let csv = api
        .get("/api/v1/state/summary?format=csv", Some(&senegal))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    let text = String::from_utf8_lossy(&csv.bytes);
    assert!(
        text.starts_with("state,part,year,measure,value\n"),
        "{text}"
    );
    assert!(text.contains("SEN,nationals,2023,killed,1\n"), "{text}");
    assert!(
        text.contains("SEN,nationals,2023,cases.charged,1\n"),
        "{text}"
    );

    for (query, field) in [
        ("from=20x4", "from"),
        ("from=2024&to=2023", "to"),
        ("format=xml", "format"),
    ] {
        let bad = api
            .get(&format!("/api/v1/state/summary?{query}"), Some(&senegal))
            .await;
        bad.assert_problem(422);
        assert_eq!(bad.error_fields(), [field]);
    }
    api.get("/api/v1/state/summary?year=2024", Some(&senegal))
        .await
        .assert_problem(400);
    api.get("/api/v1/state/summary", Some(&legal))
        .await
        .assert_problem(403);
    assert_eq!(
        t.count("audit_log WHERE action = 'state.read' AND entity_type = 'summary'"),
        4
    );
}
