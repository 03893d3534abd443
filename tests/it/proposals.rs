//! Progress reported by the host State: its focal point proposes, a legal officer of the
//! mission accepts (the case's rules applied then) or declines with a reason; what is accepted
//! says where it came from; a change of jurisdiction withdraws what waits.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use common::{Answer, Api, Backend, Member, PASSWORD, TestApp};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    the_host_state_reports_and_the_mission_accepts,
    proposals_declined_refused_and_withdrawn,
    legal_officers_decide_proposals_on_their_pages
);

const STAFF: &[Member] = &[
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
    (
        "legal.car",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    ),
    (
        "leader",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &["MINUSMA"],
    ),
];

/// The attack of the exchange: a Senegalese and a Chadian peacekeeper killed in MINUSMA, and a
/// case before Mali's courts, referred, with one accused person. Answers the case's id and the
/// accused person's.
async fn case_before_malian_courts<S, B>(
    api: &Api<S>,
    officer: &str,
    legal: &str,
) -> (String, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let attack = api
        .post(
            "/api/v1/incidents",
            Some(officer),
            json!({
                "mission": "MINUSMA", "occurred_at": "2023-02-10T06:30:00Z",
                "place_name": "Tessalit crossroads", "admin1": "Kidal",
                "location_type": "convoy", "attack_type": "ied", "weapons": ["ied"],
                "victims": [
                    { "personnel_type": "military", "nationality": "SEN", "gender": "male", "outcome": "killed",
                      "name": "Moussa Diop", "unit": "SENBATT-2" },
                    { "personnel_type": "military", "nationality": "TCD", "gender": "male", "outcome": "killed",
                      "name": "Idriss Mahamat", "unit": "TCDBATT-1" }
                ],
                "sources": [{ "source_type": "witness", "description": "Signals intercept Kilo", "reliability": "B", "credibility": 2 }],
                "summary": "Convoy struck near Tessalit", "classification": "confidential", "submit": true
            }),
        )
        .await;
    assert_eq!(attack.status, StatusCode::CREATED, "{}", attack.body);
    let case = api
        .post(
            "/api/v1/cases",
            Some(legal),
            json!({ "incident_ids": [attack.id()], "jurisdiction": "MLI", "opened_on": "2023-03-01" }),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
    let case_id = case.id();
    let moved = api
        .post(
            &format!("/api/v1/cases/{case_id}/transitions"),
            Some(legal),
            json!({ "to": "referred", "effective_on": "2023-03-05" }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let accused = api
        .post(
            &format!("/api/v1/cases/{case_id}/accused"),
            Some(legal),
            json!({ "name": "Ag Alhousseini", "status": "wanted" }),
        )
        .await;
    assert_eq!(accused.status, StatusCode::CREATED, "{}", accused.body);
    (case_id, accused.id())
}

fn setup(backend: Backend) -> TestApp {
    let t = TestApp::new(backend).with_users(STAFF);
    t.execute_sql("UPDATE missions SET active = TRUE WHERE code = 'MINUSMA'")
        .expect("reopen the mission");
    for (username, state) in [
        ("focal.mli", "MLI"),
        ("focal.sen", "SEN"),
        ("focal.fra", "FRA"),
    ] {
        t.create_focal_point(username, state, Clearance::Confidential);
    }
    t
}

fn arrests_made() -> Value {
    json!({ "kind": "step", "to": "arrests_made", "effective_on": "2023-06-12",
            "note": "Two suspects arrested in Gao by the gendarmerie" })
}

fn created(answer: &Answer) -> String {
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.id()
}

/// Mali's focal point proposes "arrests made" with the warrant; the legal officer accepts both
/// and shares the warrant with Mali; Senegal sees the case move but none of Mali's proposals;
/// France sees nothing.
async fn the_host_state_reports_and_the_mission_accepts(backend: Backend) {
    let t = setup(backend);
    let api = t.api().await;
    let (officer, legal) = (
        api.login("officer", PASSWORD).await,
        api.login("legal", PASSWORD).await,
    );
    let (case_id, accused_id) = case_before_malian_courts(&api, &officer, &legal).await;
    let mali = api.login("focal.mli", PASSWORD).await;
    let senegal = api.login("focal.sen", PASSWORD).await;
    let france = api.login("focal.fra", PASSWORD).await;
    let proposals = format!("/api/v1/cases/{case_id}/proposals");

    let step = api.post(&proposals, Some(&mali), arrests_made()).await;
    let step_id = created(&step);
    assert_eq!(step.body["status"], "pending");
    assert_eq!(step.body["state"], "MLI");
    assert_eq!(step.body["proposed_by"], "focal.mli");
    assert_eq!(step.body["change"]["to"], "arrests_made");
    // Sent again over a bad link: the same proposal, not a second one.
    let again = api.post(&proposals, Some(&mali), arrests_made()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.id(), step_id);
    let warrant = t
        .upload_form(
            &mali,
            &proposals,
            "warrant",
            "Mandat d'arret contre Ag Alhousseini",
        )
        .await;
    let warrant_id = created(&warrant);
    assert_eq!(warrant.body["kind"], "document");
    assert_eq!(warrant.body["change"]["document_kind"], "warrant");
    let custody = api
        .post(
            &proposals,
            Some(&mali),
            json!({ "kind": "accused_status", "accused_id": accused_id, "accused_status": "in_custody" }),
        )
        .await;
    let custody_id = created(&custody);
    let hearing = api
        .post(
            &proposals,
            Some(&mali),
            json!({ "kind": "next_action", "next_action": "First hearing in Bamako", "next_action_due": "2023-09-15" }),
        )
        .await;
    let hearing_id = created(&hearing);
    assert_eq!(t.count("case_proposals"), 4);
    // The audit trail says who proposed what kind, never what.
    assert_eq!(
        t.count("audit_log WHERE action = 'case.proposal.create'"),
        4
    );
    assert_eq!(
        t.count("audit_log WHERE details LIKE '%Gao%' OR details LIKE '%Bamako%'"),
        0
    );

    // The mission sees what waits: on the case, in the queue, the proposed file itself.
    let case = api
        .get(&format!("/api/v1/cases/{case_id}"), Some(&legal))
        .await;
    assert_eq!(case.body["pending_proposals"], 4);
    let queue = api.get("/api/v1/proposals", Some(&legal)).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert_eq!(queue.body["items"].as_array().unwrap().len(), 4);
    assert_eq!(
        queue.body["items"][0]["case_reference"],
        case.body["reference"]
    );
    let file = api
        .get(
            &format!("/api/v1/proposals/{warrant_id}/document"),
            Some(&legal),
        )
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&file.bytes).contains("Mandat d'arret"));
    api.get("/api/v1/proposals", Some(&mali))
        .await
        .assert_problem(403);

    // Accepted: the step, the document, the status and the next action become the case's,
    // each saying where it came from.
    for id in [&step_id, &warrant_id, &custody_id, &hearing_id] {
        let accepted = api
            .post(
                &format!("/api/v1/proposals/{id}/accept"),
                Some(&legal),
                json!({}),
            )
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
        assert_eq!(accepted.body["status"], "accepted");
        assert_eq!(accepted.body["decided_by"], "legal");
        assert!(accepted.body["applied_version"].is_i64());
    }
    api.post(
        &format!("/api/v1/proposals/{step_id}/accept"),
        Some(&legal),
        json!({}),
    )
    .await
    .assert_problem(409);
    let case = api
        .get(&format!("/api/v1/cases/{case_id}"), Some(&legal))
        .await;
    assert_eq!(case.body["status"], "arrests_made");
    assert_eq!(case.body["pending_proposals"], 0);
    let last_step = &case.body["timeline"][2];
    assert_eq!(last_step["effective_on"], "2023-06-12");
    assert_eq!(
        last_step["entered_by"],
        api.get("/api/v1/me", Some(&legal)).await.body["id"]
    );
    assert_eq!(
        last_step["reported_by"],
        json!({ "proposal_id": step_id, "state": "MLI", "focal_point": "focal.mli", "accepted_by": "legal" })
    );
    assert!(case.body["timeline"][1].get("reported_by").is_none());
    assert_eq!(case.body["accused"][0]["status"], "in_custody");
    assert_eq!(case.body["next_action"], "First hearing in Bamako");
    assert_eq!(case.body["next_action_shared"], false);
    let document = &case.body["documents"][0];
    assert_eq!(document["kind"], "warrant");
    assert_eq!(document["reported_by"]["state"], "MLI");
    assert_eq!(document["shared_with"], json!([]));
    assert_eq!(
        t.count("audit_log WHERE action = 'case.proposal.accept'"),
        4
    );

    // Shared with Mali, the warrant reaches Mali's focal point.
    let document_path = document["download"].as_str().unwrap().to_string();
    let shared = api
        .patch(
            &document_path,
            Some(&legal),
            json!({ "shared_with": ["MLI"], "version": 1 }),
        )
        .await;
    assert_eq!(shared.status, StatusCode::OK, "{}", shared.body);
    let mali_case = api
        .get(&format!("/api/v1/cases/{case_id}"), Some(&mali))
        .await;
    assert_eq!(mali_case.body["status"], "arrests_made");
    assert_eq!(mali_case.body["documents"][0]["title"], "Indictment");
    let downloaded = api.get(&document_path, Some(&mali)).await;
    assert_eq!(downloaded.status, StatusCode::OK);
    let mine = api.get(&proposals, Some(&mali)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 4);
    assert!(
        mine.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "accepted")
    );

    // Senegal reads the case move; it reports nothing and reads no one's proposals.
    let senegal_case = api
        .get(&format!("/api/v1/cases/{case_id}"), Some(&senegal))
        .await;
    assert_eq!(senegal_case.status, StatusCode::OK, "{}", senegal_case.body);
    assert_eq!(senegal_case.body["status"], "arrests_made");
    let listed = api.get(&proposals, Some(&senegal)).await;
    assert_eq!(listed.body["items"], json!([]));
    api.post(&proposals, Some(&senegal), arrests_made())
        .await
        .assert_problem(403);
    // France: nothing, exactly as for a case that does not exist.
    let nowhere = "/api/v1/cases/00000000-0000-7000-8000-000000000000/proposals";
    for path in [proposals.as_str(), nowhere] {
        api.get(path, Some(&france)).await.assert_problem(404);
        api.post(path, Some(&france), arrests_made())
            .await
            .assert_problem(404);
    }
    api.post(
        &format!("/api/v1/proposals/{step_id}/accept"),
        Some(&france),
        json!({}),
    )
    .await
    .assert_problem(404);
    api.get(
        &format!("/api/v1/proposals/{warrant_id}/document"),
        Some(&france),
    )
    .await
    .assert_problem(404);
    let verified = api
        .get("/api/v1/audit/verify", Some(&t_auditor(&t, &api).await))
        .await;
    assert_eq!(verified.body["intact"], true, "{}", verified.body);
}

async fn t_auditor<S, B>(t: &TestApp, api: &Api<S>) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    if t.count("users WHERE username = 'auditor'") == 0 {
        t.create_user(
            "auditor",
            Role::Auditor,
            Clearance::StrictlyConfidential,
            &[],
        );
    }
    api.login("auditor", PASSWORD).await
}

/// A declined proposal shows its reason; one the case outgrew is refused and stays pending;
/// a legal officer of another mission cannot reach it, leadership may not decide; bad
/// proposals are named and store nothing; a new jurisdiction withdraws what waits.
async fn proposals_declined_refused_and_withdrawn(backend: Backend) {
    let t = setup(backend);
    let api = t.api().await;
    let (officer, legal) = (
        api.login("officer", PASSWORD).await,
        api.login("legal", PASSWORD).await,
    );
    let (case_id, accused_id) = case_before_malian_courts(&api, &officer, &legal).await;
    let mali = api.login("focal.mli", PASSWORD).await;
    let proposals = format!("/api/v1/cases/{case_id}/proposals");
    let accept = |id: &str| format!("/api/v1/proposals/{id}/accept");
    let decline = |id: &str| format!("/api/v1/proposals/{id}/decline");

    // Bad proposals: each field named, nothing stored.
    let bad = [
        (json!({ "to": "charged" }), vec!["kind"]),
        (json!({ "kind": "verdict" }), vec!["kind"]),
        (
            json!({ "kind": "step", "to": "charged", "effective_on": "2023-06-01", "next_action": "x" }),
            vec!["next_action"],
        ),
        (
            json!({ "kind": "step", "to": "charged", "effective_on": "2023-02-01" }),
            vec!["effective_on"],
        ),
        (
            json!({ "kind": "accused_status", "accused_id": "nobody", "accused_status": "in_custody" }),
            vec!["accused_id"],
        ),
        (
            json!({ "kind": "accused_status", "accused_id": accused_id, "accused_status": "wanted" }),
            vec!["accused_status"],
        ),
        (
            json!({ "kind": "next_action", "next_action_due": "2023-13-01" }),
            vec!["next_action", "next_action_due"],
        ),
    ];
    for (body, fields) in bad {
        let answer = api.post(&proposals, Some(&mali), body.clone()).await;
        answer.assert_problem(422);
        assert_eq!(answer.error_fields(), fields, "{body}");
    }
    let backwards = api
        .post(
            &proposals,
            Some(&mali),
            json!({ "kind": "step", "to": "opened", "effective_on": "2023-06-01" }),
        )
        .await;
    backwards.assert_problem(409);
    assert!(
        backwards.body["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("charged"))
    );
    let not_a_document = t
        .upload_form(&mali, &proposals, "warrant", "\u{0}\u{1}\u{2}binary")
        .await;
    not_a_document.assert_problem(415);
    // A document over the upload limit (25 MiB) is refused before it is stored.
    let oversize = "a".repeat(25 * 1024 * 1024 + 1);
    t.upload_form(&mali, &proposals, "warrant", &oversize)
        .await
        .assert_problem(413);
    let legal_proposing = api.post(&proposals, Some(&legal), arrests_made()).await;
    legal_proposing.assert_problem(403);
    assert_eq!(t.count("case_proposals"), 0);

    // Declined, with the reason the focal point reads.
    let first = created(&api.post(&proposals, Some(&mali), arrests_made()).await);
    let no_reason = api.post(&decline(&first), Some(&legal), json!({})).await;
    no_reason.assert_problem(422);
    assert_eq!(no_reason.error_fields(), ["reason"]);
    let leader = api.login("leader", PASSWORD).await;
    api.post(&decline(&first), Some(&leader), json!({ "reason": "no" }))
        .await
        .assert_problem(403);
    let other_mission = api.login("legal.car", PASSWORD).await;
    api.post(&accept(&first), Some(&other_mission), json!({}))
        .await
        .assert_problem(404);
    api.post(
        &accept("00000000-0000-7000-8000-000000000000"),
        Some(&legal),
        json!({}),
    )
    .await
    .assert_problem(404);
    let declined = api
        .post(
            &decline(&first),
            Some(&legal),
            json!({ "reason": "The arrest report names another suspect; send the warrant first." }),
        )
        .await;
    assert_eq!(declined.status, StatusCode::OK, "{}", declined.body);
    let seen = api.get(&proposals, Some(&mali)).await;
    assert_eq!(seen.body["items"][0]["status"], "declined");
    assert_eq!(
        seen.body["items"][0]["reason"],
        "The arrest report names another suspect; send the warrant first."
    );
    api.post(&accept(&first), Some(&legal), json!({}))
        .await
        .assert_problem(409);

    // Outgrown before acceptance: refused with the moves allowed, still pending.
    let outgrown = created(&api.post(&proposals, Some(&mali), arrests_made()).await);
    let charged = api
        .post(
            &format!("/api/v1/cases/{case_id}/transitions"),
            Some(&legal),
            json!({ "to": "charged", "effective_on": "2023-07-01" }),
        )
        .await;
    assert_eq!(charged.status, StatusCode::OK, "{}", charged.body);
    let refused = api.post(&accept(&outgrown), Some(&legal), json!({})).await;
    refused.assert_problem(409);
    assert!(
        refused.body["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("in_trial"))
    );
    let listed = api.get(&proposals, Some(&legal)).await;
    assert_eq!(listed.body["items"][1]["status"], "pending");
    let case = api
        .get(&format!("/api/v1/cases/{case_id}"), Some(&legal))
        .await;
    assert_eq!(case.body["status"], "charged");
    assert_eq!(case.body["timeline"].as_array().unwrap().len(), 3);

    // A new jurisdiction: Mali's pending proposal is withdrawn, and Mali no longer sees the case.
    let version = case.body["version"].as_i64().unwrap();
    let moved = api
        .patch(
            &format!("/api/v1/cases/{case_id}"),
            Some(&legal),
            json!({ "jurisdiction": "ICC", "version": version }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let listed = api.get(&proposals, Some(&legal)).await;
    assert_eq!(listed.body["items"][1]["status"], "withdrawn");
    assert_eq!(listed.body["items"][1]["reason"], "jurisdiction changed");
    assert_eq!(
        t.count("audit_log WHERE action = 'case.proposal.withdraw'"),
        1
    );
    api.get(&proposals, Some(&mali)).await.assert_problem(404);
    api.get(&format!("/api/v1/cases/{case_id}"), Some(&mali))
        .await
        .assert_problem(404);
    api.post(&accept(&outgrown), Some(&legal), json!({}))
        .await
        .assert_problem(409);
}

const CSRF: &str = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";

fn page_request(request: TestRequest, cookies: &[(&str, &str)]) -> TestRequest {
    cookies.iter().fold(request, |request, (name, value)| {
        request.cookie(actix_web::cookie::Cookie::new(
            name.to_string(),
            value.to_string(),
        ))
    })
}

fn text(answer: &Answer) -> String {
    String::from_utf8(answer.bytes.to_vec()).unwrap()
}

/// The badge on the case list, the notice on the case, the queue in English and French,
/// a refused decline, the proposed file, an acceptance and its provenance on the case page.
async fn legal_officers_decide_proposals_on_their_pages(backend: Backend) {
    let t = setup(backend);
    let api = t.api().await;
    let (officer, legal) = (
        api.login("officer", PASSWORD).await,
        api.login("legal", PASSWORD).await,
    );
    let (case_id, _) = case_before_malian_courts(&api, &officer, &legal).await;
    let mali = api.login("focal.mli", PASSWORD).await;
    let proposals = format!("/api/v1/cases/{case_id}/proposals");
    let step_id = created(&api.post(&proposals, Some(&mali), arrests_made()).await);
    let warrant_id = created(
        &t.upload_form(&mali, &proposals, "warrant", "Mandat d'arret")
            .await,
    );
    let as_legal = [("pkr_session", legal.as_str()), ("pkr_csrf", CSRF)];
    let get = |path: &str| page_request(TestRequest::get().uri(path), &as_legal);
    let post = |path: &str, form: &[(&str, &str)]| {
        page_request(TestRequest::post().uri(path), &as_legal).set_form(
            form.iter()
                .copied()
                .collect::<std::collections::BTreeMap<_, _>>(),
        )
    };

    let list = text(&api.send(get("/cases")).await);
    assert!(list.contains("2 proposals waiting"), "{list}");
    let case_page = text(&api.send(get(&format!("/cases/{case_id}"))).await);
    assert!(case_page.contains("proposals from the host State wait"));
    let home = text(&api.send(get("/")).await);
    assert!(home.contains("href=\"/proposals\""));
    let queue = api.send(get("/proposals")).await;
    assert_eq!(queue.status, StatusCode::OK);
    let queue = text(&queue);
    assert!(queue.contains("Two suspects arrested in Gao"), "{queue}");
    assert!(queue.contains("focal.mli (MLI)"));
    assert!(queue.contains(&format!("/proposals/{warrant_id}/document")));
    let french = text(
        &api.send(get("/proposals").insert_header(("Accept-Language", "fr")))
            .await,
    );
    assert!(french.contains("Propositions des États hôtes"), "{french}");
    assert!(french.contains("Refuser"));

    let file = api
        .send(get(&format!("/proposals/{warrant_id}/document")))
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(text(&file).contains("Mandat d'arret"));
    let no_reason = api
        .send(post(
            &format!("/proposals/{warrant_id}/decline"),
            &[("csrf", CSRF), ("reason", " ")],
        ))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&no_reason).contains("still waits"));
    let forged = api
        .send(post(
            &format!("/proposals/{step_id}/accept"),
            &[("csrf", &"0".repeat(64))],
        ))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let accepted = api
        .send(post(
            &format!("/proposals/{step_id}/accept"),
            &[("csrf", CSRF)],
        ))
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let case_page = text(&api.send(get(&format!("/cases/{case_id}"))).await);
    assert!(
        case_page.contains("reported by the focal point of MLI focal.mli, accepted by legal"),
        "{case_page}"
    );
    let declined = api
        .send(post(
            &format!("/proposals/{warrant_id}/decline"),
            &[("csrf", CSRF), ("reason", "Illegible scan")],
        ))
        .await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER);
    let queue = text(&api.send(get("/proposals")).await);
    assert!(queue.contains("No proposal waits."));
    let seen = api.get(&proposals, Some(&mali)).await;
    assert_eq!(seen.body["items"][1]["reason"], "Illegible scan");

    let leader = api.login("leader", PASSWORD).await;
    let refused = api
        .send(page_request(
            TestRequest::get().uri("/proposals"),
            &[("pkr_session", leader.as_str())],
        ))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
