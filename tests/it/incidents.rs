//! The incident registry: the lifecycle, concurrency, who sees what, validation, lists.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use futures_util::future::join_all;
use serde_json::{Value, json};

use common::{Answer, Backend, Member, PASSWORD, TestApp, with_token};
use diesel::RunQueryDsl;
use peacekeeper_registry::db;
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::store::{self, audit, incidents};

on_both_backends!(
    the_full_journey_of_an_incident,
    concurrent_submits_get_consecutive_references,
    concurrent_updates_of_one_version_let_exactly_one_win,
    one_idempotency_key_makes_one_incident,
    each_reader_sees_only_what_they_may,
    personal_fields_only_for_the_cleared_on_the_mission,
    every_invalid_field_is_named_by_its_path,
    lists_filter_and_page_without_gaps_or_repeats,
    withdrawn_incidents_stay_marked,
    a_casualty_id_taken_meanwhile_fails_the_write_whole,
    an_incident_reads_back_as_written,
    rows_sent_as_json_name_every_column,
    reads_by_id_refused_are_recorded_and_others_not,
    a_read_by_id_waits_for_a_connection_when_none_is_free,
    a_read_by_id_waits_for_its_permit_and_gives_up_with_a_503,
    an_officer_who_edited_anothers_report_may_not_verify_it,
    verification_follows_the_two_person_rule_over_random_sequences,
    officers_find_what_awaits_their_verification,
    a_replay_answers_as_a_read_would,
    a_taken_casualty_id_tells_only_what_the_officer_may_know,
    incidents_amended_under_the_old_rule_wait_for_a_second_officer,
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
        "officer.other",
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

fn incident(summary: &str) -> Value {
    json!({
        "mission": "MINUSCA",
        "occurred_at": "2026-03-14T06:30:00Z",
        "place_name": "Bambari",
        "admin1": "Ouaka",
        "latitude": 5.76,
        "longitude": 20.67,
        "location_type": "patrol",
        "attack_type": "ambush",
        "weapons": ["small_arms", "rpg"],
        "perpetrators": [{ "actor_name": "UPC", "actor_type": "armed_group", "attribution": "likely" }],
        "victims": [
            { "personnel_type": "military", "nationality": "RWA", "gender": "male", "outcome": "killed", "name": "Jean Bosco", "unit": "RWABATT-1" },
            { "personnel_type": "military", "nationality": "RWA", "gender": "female", "outcome": "injured" }
        ],
        "sources": [{ "source_type": "incident_report", "description": "Flash report of the sector", "reliability": "B", "credibility": 2 }],
        "summary": summary,
        "narrative": "A patrol was ambushed on the road north of Bambari.",
        "classification": "confidential"
    })
}

async fn post_incident<S, B>(api: &common::Api<S>, token: &str, body: Value) -> Answer
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    api.post("/api/v1/incidents", Some(token), body).await
}

async fn the_full_journey_of_an_incident(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let b = api.login("officer.b", PASSWORD).await;

    let created = post_incident(&api, &a, incident("Patrol ambushed near Bambari")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["status"], "draft");
    assert_eq!(created.body["reference"], Value::Null);
    assert_eq!(created.body["version"], 1);
    assert_eq!(
        created.body["victim_counts"],
        json!({ "killed": 1, "injured": 1, "abducted": 0, "missing": 0 })
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    let id = created.id();
    let path = format!("/api/v1/incidents/{id}");

    let edited = api
        .send(
            with_token(TestRequest::patch().uri(&path), Some(&a))
                .insert_header(("If-Match", "\"1\""))
                .set_json(json!({ "summary": "Patrol ambushed north of Bambari" })),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["version"], 2);
    assert_eq!(
        edited.body["victims"].as_array().unwrap().len(),
        2,
        "lists not sent stay as they were"
    );

    let submitted = api
        .post(&format!("{path}/submit"), Some(&a), json!({}))
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert_eq!(submitted.body["status"], "submitted");
    assert_eq!(submitted.body["reference"], "MINUSCA-2026-00001");

    // Verifying names the version read: none, or a stale one, verifies nothing.
    let unnamed = api
        .post(&format!("{path}/verify"), Some(&b), json!({}))
        .await;
    unnamed.assert_problem(422);
    assert_eq!(unnamed.error_fields(), vec!["version"]);
    api.post(&format!("{path}/verify"), Some(&b), json!({ "version": 2 }))
        .await
        .assert_problem(409);

    let refused = api
        .post(&format!("{path}/verify"), Some(&a), json!({ "version": 3 }))
        .await;
    refused.assert_problem(403);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("Two-person rule"),
        "{}",
        refused.body
    );

    let verified = api
        .send(
            with_token(TestRequest::post().uri(&format!("{path}/verify")), Some(&b))
                .insert_header(("If-Match", "\"3\"")),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert_eq!(verified.body["status"], "verified");
    assert_eq!(verified.body["amendment_pending"], false);
    assert_eq!(verified.body["last_verified_version"], 4);
    let version = verified.body["version"].as_i64().unwrap();

    let no_reason = api
        .patch(
            &path,
            Some(&b),
            json!({ "version": version, "place_name": "Bambari north" }),
        )
        .await;
    no_reason.assert_problem(422);
    assert_eq!(no_reason.error_fields(), vec!["reason"]);
    // An amendment goes back to be verified again: nobody yet stands behind its content.
    let amended = api
        .patch(&path, Some(&b), json!({ "version": version, "place_name": "Bambari north", "reason": "Location corrected by the sector" }))
        .await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.body);
    assert_eq!(amended.body["status"], "submitted");
    assert_eq!(amended.body["amendment_pending"], true);
    assert_eq!(amended.body["last_verified_version"], 4);
    assert_eq!(amended.body["verified_by"], Value::Null);
    assert_eq!(amended.body["verified_at"], Value::Null);
    assert_eq!(amended.body["place_name"], "Bambari north");
    // Its author may not verify it; the reporter, who wrote nothing since version 4, may.
    let by_author = api
        .post(&format!("{path}/verify"), Some(&b), json!({ "version": 5 }))
        .await;
    by_author.assert_problem(403);
    assert!(
        by_author.body["detail"]
            .as_str()
            .unwrap()
            .contains("since it was last verified"),
        "{}",
        by_author.body
    );

    let history = api.get(&format!("{path}/history"), Some(&b)).await;
    assert_eq!(history.status, StatusCode::OK);
    let items = history.body["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|v| v["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "submit", "verify", "amend"]);
    let versions: Vec<i64> = items
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
    assert_eq!(
        items[1]["changes"]["summary"]["to"],
        "Patrol ambushed north of Bambari"
    );
    assert_eq!(items[4]["reason"], "Location corrected by the sector");
    assert_eq!(
        items[4]["changes"]["place_name"],
        json!({ "from": "Bambari", "to": "Bambari north" })
    );
    assert_eq!(items[4]["incident"]["place_name"], "Bambari north");
    assert_eq!(items[4]["incident"]["status"], "submitted");
    assert_eq!(
        items[3]["incident"]["place_name"], "Bambari",
        "the history keeps the verified version the amendment changed"
    );
    assert_ne!(items[3]["changed_by"], items[0]["changed_by"]);
    let reverified = api
        .post(&format!("{path}/verify"), Some(&a), json!({ "version": 5 }))
        .await;
    assert_eq!(reverified.status, StatusCode::OK, "{}", reverified.body);
    assert_eq!(reverified.body["status"], "verified");
    assert_eq!(reverified.body["amendment_pending"], false);
    assert_eq!(reverified.body["last_verified_version"], 6);

    let actions = t.audit_actions();
    for action in [
        "incident.create",
        "incident.update",
        "incident.submit",
        "incident.verify",
        "incident.amend",
        "access.denied",
    ] {
        assert!(actions.contains(&action.to_string()), "{action} recorded");
    }
}

async fn concurrent_submits_get_consecutive_references(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let created = post_incident(&api, &a, incident(&format!("Attack {n}"))).await;
        assert_eq!(created.status, StatusCode::CREATED);
        ids.push(created.id());
    }
    let paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/api/v1/incidents/{id}/submit"))
        .collect();
    let answers = join_all(paths.iter().map(|path| api.post(path, Some(&a), json!({})))).await;
    let mut references: Vec<String> = answers
        .iter()
        .map(|answer| {
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            answer.body["reference"].as_str().unwrap().to_string()
        })
        .collect();
    references.sort();
    let expected: Vec<String> = (1..=20).map(|n| format!("MINUSCA-2026-{n:05}")).collect();
    assert_eq!(references, expected);
}

async fn concurrent_updates_of_one_version_let_exactly_one_win(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let b = api.login("officer.b", PASSWORD).await;
    let id = post_incident(&api, &a, incident("Mortar fire on the camp"))
        .await
        .id();
    let path = format!("/api/v1/incidents/{id}");

    let answers = join_all([
        api.patch(
            &path,
            Some(&a),
            json!({ "version": 1, "summary": "Mortar fire on the camp, 3 rounds" }),
        ),
        api.patch(
            &path,
            Some(&b),
            json!({ "version": 1, "summary": "Mortar fire on the camp, 5 rounds" }),
        ),
    ])
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let winner = answers.iter().find(|a| a.status == StatusCode::OK).unwrap();
    let stored = api.get(&path, Some(&a)).await;
    assert_eq!(stored.body["version"], 2);
    assert_eq!(stored.body["summary"], winner.body["summary"]);
}

async fn one_idempotency_key_makes_one_incident(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let mut body = incident("Convoy hit by an IED");
    // With a casualty id, a retry must not be taken for a second record of the same victim.
    body["victims"][0]["casualty_id"] = json!("MINUSCA-2026-03-00042");
    let send = |body: Value| {
        api.send(
            with_token(TestRequest::post().uri("/api/v1/incidents"), Some(&a))
                .insert_header(("Idempotency-Key", "field-office-7f3a"))
                .set_json(body),
        )
    };
    let answers = join_all((0..10).map(|_| send(body.clone()))).await;
    let ids: Vec<String> = answers
        .iter()
        .map(|answer| {
            assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
            (answer).id()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(t.count("incidents"), 1);
    assert_eq!(t.count("audit_log WHERE action = 'incident.create'"), 1);

    let other = send(incident("Something else entirely")).await;
    other.assert_problem(422);
    assert_eq!(other.error_fields(), vec!["Idempotency-Key"]);
    assert_eq!(t.count("incidents"), 1);
}

async fn each_reader_sees_only_what_they_may(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let token = |name: &'static str| api.login(name, PASSWORD);
    let a = token("officer.a").await;
    let draft = post_incident(&api, &a, incident("A draft")).await.id();
    let mut submitted_body = incident("Submitted, confidential");
    submitted_body["submit"] = json!(true);
    let submitted = post_incident(&api, &a, submitted_body).await.id();
    let mut secret_body = incident("Submitted, strictly confidential");
    secret_body["submit"] = json!(true);
    secret_body["classification"] = json!("strictly_confidential");
    let secret = post_incident(&api, &a, secret_body).await.id();
    let get = |id: &str, who: &str| {
        let (path, who, api) = (format!("/api/v1/incidents/{id}"), who.to_string(), &api);
        async move { api.get(&path, Some(&who)).await }
    };

    // Officers of the mission see drafts; nobody else does.
    let b = token("officer.b").await;
    assert_eq!(get(&draft, &b).await.status, StatusCode::OK);
    let legal = token("legal").await;
    get(&draft, &legal).await.assert_problem(404);
    // Another mission's officer sees nothing of this mission.
    let other = token("officer.other").await;
    get(&submitted, &other).await.assert_problem(404);
    // Clearance: confidential is not enough for strictly confidential.
    assert_eq!(get(&submitted, &legal).await.status, StatusCode::OK);
    get(&secret, &legal).await.assert_problem(404);
    get(&secret, &b).await.assert_problem(404);
    let hq = token("leader.hq").await;
    assert_eq!(get(&secret, &hq).await.status, StatusCode::OK);
    let low = token("leader.low").await;
    get(&submitted, &low).await.assert_problem(404);
    // Administrators and auditors do not read incidents at all.
    for name in ["chief", "auditor"] {
        let who = token(name).await;
        get(&submitted, &who).await.assert_problem(403);
        api.get("/api/v1/incidents", Some(&who))
            .await
            .assert_problem(403);
        post_incident(&api, &who, incident("Not theirs to write"))
            .await
            .assert_problem(403);
    }
    // Readers who see a record may still not act on it.
    api.post(
        &format!("/api/v1/incidents/{submitted}/verify"),
        Some(&legal),
        json!({}),
    )
    .await
    .assert_problem(403);
    api.patch(
        &format!("/api/v1/incidents/{submitted}"),
        Some(&hq),
        json!({ "version": 2, "summary": "x" }),
    )
    .await
    .assert_problem(403);
    // Lists follow the same rules.
    let listed = |answer: Answer| -> Vec<String> {
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        listed(api.get("/api/v1/incidents", Some(&legal)).await),
        vec![submitted.clone()]
    );
    assert_eq!(
        listed(api.get("/api/v1/incidents", Some(&b)).await).len(),
        2,
        "draft and confidential"
    );
    assert!(listed(api.get("/api/v1/incidents", Some(&other)).await).is_empty());
    assert!(listed(api.get("/api/v1/incidents", Some(&low)).await).is_empty());
    assert_eq!(
        listed(api.get("/api/v1/incidents", Some(&hq)).await).len(),
        2
    );
    assert!(t.count("audit_log WHERE action = 'access.denied'") >= 8);
}

async fn personal_fields_only_for_the_cleared_on_the_mission(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let mut body = incident("Unclassified, with names");
    body["classification"] = json!("unclassified");
    body["submit"] = json!(true);
    let id = post_incident(&api, &a, body).await.id();
    let path = format!("/api/v1/incidents/{id}");

    let legal = api.login("legal", PASSWORD).await;
    let seen = api.get(&path, Some(&legal)).await;
    assert_eq!(seen.body["victims"][0]["name"], "Jean Bosco");
    assert_eq!(seen.body["victims"][0]["unit"], "RWABATT-1");

    let low = api.login("leader.low", PASSWORD).await;
    let seen = api.get(&path, Some(&low)).await;
    assert_eq!(seen.status, StatusCode::OK);
    let victim = seen.body["victims"][0].as_object().unwrap();
    assert!(
        !victim.contains_key("name"),
        "absent, not empty: {victim:?}"
    );
    assert!(!victim.contains_key("unit"));
    assert_eq!(victim["nationality"], "RWA");
    let history = api.get(&format!("{path}/history"), Some(&low)).await;
    assert!(
        !history.body.to_string().contains("Jean Bosco"),
        "no names in history either"
    );
    let history = api.get(&format!("{path}/history"), Some(&legal)).await;
    assert!(history.body.to_string().contains("Jean Bosco"));
}

async fn every_invalid_field_is_named_by_its_path(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("mission", json!("NOWHERE"), "mission"),
        ("attack_type", json!("drive_by"), "attack_type"),
        ("weapons", json!(["small_arms", "catapult"]), "weapons[1]"),
        ("classification", json!("secret"), "classification"),
        ("time_precision", json!("year"), "time_precision"),
        ("geo_precision", json!("somewhere"), "geo_precision"),
        ("location_type", json!("tent"), "location_type"),
        ("latitude", json!(91.0), "latitude"),
        ("longitude", json!(-181.0), "longitude"),
        ("occurred_at", json!("2099-01-01T00:00:00Z"), "occurred_at"),
        ("occurred_at", json!("14/03/2026"), "occurred_at"),
        ("occurred_until", json!("2026-03-14T05:00:00Z"), "occurred_until"),
        ("summary", json!(""), "summary"),
        ("summary", json!("x".repeat(201)), "summary"),
        ("narrative", json!("x".repeat(20_001)), "narrative"),
        ("perpetrators", json!([{ "actor_type": "aliens" }]), "perpetrators[0].actor_type"),
        ("perpetrators", json!([{ "attribution": "rumour" }]), "perpetrators[0].attribution"),
        ("victims", json!([{ "personnel_type": "military", "outcome": "killed", "nationality": "XYZ" }]), "victims[0].nationality"),
        ("victims", json!([{ "personnel_type": "soldier", "outcome": "killed" }]), "victims[0].personnel_type"),
        ("victims", json!([{ "personnel_type": "police", "outcome": "dead" }]), "victims[0].outcome"),
        ("victims", json!([{ "personnel_type": "police", "outcome": "killed", "gender": "x" }]), "victims[0].gender"),
        ("victims", json!((0..501).map(|_| json!({ "personnel_type": "police", "outcome": "injured" })).collect::<Vec<_>>()), "victims"),
        ("perpetrators", json!((0..51).map(|_| json!({})).collect::<Vec<_>>()), "perpetrators"),
        ("sources", json!((0..51).map(|_| json!({ "source_type": "media", "description": "d", "reliability": "A", "credibility": 1 })).collect::<Vec<_>>()), "sources"),
        ("sources", json!([{ "source_type": "media", "description": "d", "reliability": "G", "credibility": 1 }]), "sources[0].reliability"),
        ("sources", json!([{ "source_type": "media", "description": "d", "reliability": "A", "credibility": 7 }]), "sources[0].credibility"),
        ("sources", json!([{ "source_type": "rumour", "description": "d", "reliability": "A", "credibility": 1 }]), "sources[0].source_type"),
        ("colour", json!("blue"), "colour"),
    ];
    for (key, value, field) in cases {
        let mut body = incident("Validation case");
        body[key] = value.clone();
        let answer = post_incident(&api, &a, body).await;
        answer.assert_problem(422);
        assert_eq!(
            answer.error_fields(),
            vec![field],
            "{key} = {value}: {}",
            answer.body
        );
    }
    // Coordinates: both or neither.
    let mut body = incident("Half a position");
    body.as_object_mut().unwrap().remove("longitude");
    assert_eq!(
        post_incident(&api, &a, body).await.error_fields(),
        vec!["longitude"]
    );
    // All at once.
    let mut body = incident("");
    body["attack_type"] = json!("drive_by");
    body["latitude"] = json!(100.0);
    body["victims"][1]["nationality"] = json!("ZZZ");
    let answer = post_incident(&api, &a, body).await;
    assert_eq!(
        answer.error_fields(),
        vec![
            "latitude",
            "attack_type",
            "victims[1].nationality",
            "summary"
        ]
    );
    // A casualty id belongs to one victim only.
    let mut body = incident("First");
    body["victims"][0]["casualty_id"] = json!("MINUSCA-2026-03-00001");
    assert_eq!(
        post_incident(&api, &a, body.clone()).await.status,
        StatusCode::CREATED
    );
    let answer = post_incident(&api, &a, body).await;
    assert_eq!(answer.error_fields(), vec!["victims[0].casualty_id"]);
    // Classifying above one's own clearance would hide the record from its author.
    let b = api.login("officer.b", PASSWORD).await;
    let mut body = incident("Too secret for its author");
    body["classification"] = json!("strictly_confidential");
    assert_eq!(
        post_incident(&api, &b, body).await.error_fields(),
        vec!["classification"]
    );
    assert_eq!(t.count("incidents"), 1, "refused input changes nothing");
}

/// A casualty id found free when the incident was checked, then recorded by another incident
/// before it was written: the write fails as a duplicate (answered 409), and the incident's row,
/// its version and its audit record, written with it, go back with it.
async fn a_casualty_id_taken_meanwhile_fails_the_write_whole(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let mut body = incident("The first record of the victim");
    body["victims"][0]["casualty_id"] = json!("MINUSCA-2026-03-00042");
    let first = post_incident(&api, &a, body).await.id();

    // The second incident as the registry would write it: the first's rows under a new id.
    let mut conn = t.conn();
    let mut row = incidents::find(&mut conn, &first).unwrap().unwrap();
    let mut children = incidents::children(&mut conn, &first).unwrap();
    let second = "0192d6a0-0000-7000-8000-000000000042".to_string();
    row.id = second.clone();
    row.reference = None;
    children
        .victims
        .iter_mut()
        .for_each(|v| v.incident_id = second.clone());
    children
        .perpetrators
        .iter_mut()
        .for_each(|p| p.incident_id = second.clone());
    children
        .sources
        .iter_mut()
        .for_each(|s| s.incident_id = second.clone());
    let version = incidents::VersionRow {
        incident_id: second.clone(),
        version: 1,
        action: "create".to_string(),
        changed_at: t.now(),
        changed_by: row.reported_by.clone(),
        reason: None,
        changes: "{}".to_string(),
        snapshot: "{}".to_string(),
    };
    let context = audit::AuditContext::system(t.now(), "test");
    let record = audit::new_record(
        &context,
        "incident.create",
        "incident",
        Some(&second),
        json!({}),
    );
    let (versions, records) = (t.count("incident_versions"), t.count("audit_log"));
    let error = db::write_transaction(&mut conn, |conn| {
        incidents::insert_recorded(conn, &row, &children, &version, &record)
    })
    .unwrap_err();
    assert!(store::is_unique_violation(&error), "{error}");
    assert_eq!(t.count("incidents"), 1);
    assert_eq!(t.count("incident_victims"), 2);
    assert_eq!(t.count("incident_sources"), 1);
    assert_eq!(t.count("incident_versions"), versions);
    assert_eq!(t.count("audit_log"), records);
}

/// An incident comes back from the database with every value as written, its lists in their
/// order, and its creation recorded in a trail that verifies. PostgreSQL writes all of it in one
/// statement and reads it back in another, both through JSON; SQLite row by row.
async fn an_incident_reads_back_as_written(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;

    let mut body = incident("Convoy attacked on the Kaga-Bandoro road");
    // Every field of the incident itself given, with a microsecond and a coordinate whose
    // decimal form is long.
    body["occurred_at"] = json!("2026-03-14T06:30:00.000001Z");
    body["occurred_until"] = json!("2026-03-14T09:45:10.654321Z");
    body["admin2"] = json!("Bambari");
    body["latitude"] = json!(5.123_456_789_012_345_f64);
    body["longitude"] = json!(-0.1);
    body["geo_precision"] = json!("near");
    // Twelve victims: in text order, position 10 would come before position 2.
    body["victims"] = (0..12)
        .map(|i| {
            json!({
                "personnel_type": if i % 2 == 0 { "military" } else { "police" },
                "nationality": if i % 3 == 0 { Value::Null } else { json!("BGD") },
                "gender": "female",
                "outcome": if i < 4 { "killed" } else { "injured" },
                "casualty_id": format!("MINUSCA-2026-11-{i:05}"),
                "name": format!("Nadia \"Zé\" O'Brien \\ {i}"),
                "unit": if i == 5 { Value::Null } else { json!("BANBAT-2") },
            })
        })
        .collect();
    body["perpetrators"] = json!([
        { "actor_name": "3R", "actor_type": "armed_group", "attribution": "confirmed", "claimed_responsibility": true },
        { "actor_type": "unknown", "attribution": "possible" }
    ]);
    body["sources"] = json!([
        { "source_type": "incident_report", "description": "Flash report, \"urgent\"\nsecond line", "received_at": "2026-03-14T07:05:30.123456Z", "reliability": "A", "credibility": 1 },
        { "source_type": "witness", "description": "Driver of the lead vehicle", "reliability": "C", "credibility": 3 }
    ]);
    let created = post_incident(&api, &officer, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.id();
    let read = api
        .get(&format!("/api/v1/incidents/{id}"), Some(&officer))
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);

    // The answer to the create is made from what was given, the read from what was stored.
    assert_eq!(read.body, created.body, "the incident as read back");
    assert_eq!(read.body["occurred_until"], "2026-03-14T09:45:10.654321Z");
    assert_eq!(read.body["admin2"], "Bambari");
    assert_eq!(read.body["latitude"], 5.123_456_789_012_345_f64);
    assert_eq!(read.body["longitude"], -0.1);
    assert_eq!(read.body["geo_precision"], "near");
    let victims = read.body["victims"].as_array().expect("victims");
    assert_eq!(victims.len(), 12);
    assert_eq!(victims[10]["casualty_id"], "MINUSCA-2026-11-00010");
    assert_eq!(victims[10]["name"], "Nadia \"Zé\" O'Brien \\ 10");
    assert_eq!(victims[9]["nationality"], Value::Null);
    assert_eq!(victims[5]["unit"], Value::Null);
    assert_eq!(read.body["perpetrators"][0]["claimed_responsibility"], true);
    assert_eq!(read.body["perpetrators"][1]["actor_name"], Value::Null);
    assert_eq!(
        read.body["sources"][0]["received_at"],
        "2026-03-14T07:05:30.123456Z"
    );
    assert_eq!(read.body["sources"][1]["received_at"], Value::Null);

    let history = api
        .get(&format!("/api/v1/incidents/{id}/history"), Some(&officer))
        .await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.body);
    assert_eq!(
        history.body["items"][0]["action"], "create",
        "{}",
        history.body
    );

    let mut conn = t.conn();
    let records = audit::list(&mut conn, &Default::default(), 1).unwrap();
    assert_eq!(records[0].action, "incident.create");
    assert_eq!(records[0].entity_id.as_deref(), Some(id.as_str()));
    assert_eq!(records[0].actor_username.as_deref(), Some("officer.a"));
    assert!(records[0].request_id.is_some(), "the request is named");
    let report = audit::verify(&mut conn).unwrap();
    assert!(report.intact, "{:?}", report.first_broken);
}

/// On PostgreSQL a new incident's rows go to the database as JSON whose keys must be the
/// columns' names: a key that names no column would leave its column NULL without an error.
async fn rows_sent_as_json_name_every_column(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let officer = api.login("officer.a", PASSWORD).await;
    let mut body = incident("Checkpoint attacked at dawn");
    body["perpetrators"] = json!([{ "actor_type": "unknown", "attribution": "possible" }]);
    let id = post_incident(&api, &officer, body).await.id();

    let mut conn = t.conn();
    let row = incidents::find(&mut conn, &id).unwrap().unwrap();
    let children = incidents::children(&mut conn, &id).unwrap();
    let versions = incidents::versions(&mut conn, &id).unwrap();
    let context = audit::AuditContext::system(t.now(), "test");
    let record = audit::new_record(&context, "test", "incident", Some(&id), json!({}));
    let keys = |row: Value| -> Vec<String> {
        let mut keys: Vec<String> = row.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let sent = [
        ("incidents", json!(row)),
        ("incident_victims", json!(children.victims[0])),
        ("incident_perpetrators", json!(children.perpetrators[0])),
        ("incident_sources", json!(children.sources[0])),
        ("incident_versions", json!(versions[0])),
        ("audit_log", json!(record)),
    ];
    for (table, row) in sent {
        let sql = match backend {
            Backend::Sqlite => format!("SELECT name AS value FROM pragma_table_info('{table}')"),
            Backend::Postgres => format!(
                "SELECT column_name::text AS value FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{table}'"
            ),
        };
        let mut columns: Vec<String> = diesel::sql_query(sql)
            .load::<common::Word>(&mut *conn as &mut db::DbConnection)
            .unwrap()
            .into_iter()
            .map(|column| column.value)
            // The audit record's id is the database's to give.
            .filter(|column| !(table == "audit_log" && column == "id"))
            .collect();
        columns.sort();
        assert_eq!(keys(row), columns, "{table}");
    }
}

async fn lists_filter_and_page_without_gaps_or_repeats(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let other = api.login("officer.other", PASSWORD).await;
    let hq = api.login("leader.hq", PASSWORD).await;

    let make = |token: String,
                mission: &'static str,
                day: u32,
                attack: &'static str,
                killed: bool,
                summary: String| {
        let mut body = incident(&summary);
        body["mission"] = json!(mission);
        body["occurred_at"] = json!(format!("2026-01-{day:02}T10:00:00Z"));
        body["attack_type"] = json!(attack);
        body["submit"] = json!(true);
        if !killed {
            body["victims"] = json!([{ "personnel_type": "police", "outcome": "injured" }]);
        }
        let api = &api;
        async move { post_incident(api, &token, body).await.id() }
    };
    let x = make(
        a.clone(),
        "MINUSCA",
        3,
        "ambush",
        true,
        "Ambush at Kaga Bandoro".into(),
    )
    .await;
    let y = make(
        a.clone(),
        "MINUSCA",
        5,
        "ied",
        false,
        "IED on the supply route".into(),
    )
    .await;
    let z = make(
        other.clone(),
        "MONUSCO",
        4,
        "ambush",
        true,
        "Ambush near Beni".into(),
    )
    .await;
    let w = make(
        other.clone(),
        "MONUSCO",
        9,
        "indirect_fire",
        false,
        "Rockets on Goma base".into(),
    )
    .await;
    let draft = post_incident(&api, &a, incident("Still a draft"))
        .await
        .id();

    let ids = |answer: &Answer| -> Vec<String> {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let list = |query: &str| {
        let (path, hq, api) = (format!("/api/v1/incidents{query}"), hq.clone(), &api);
        async move { api.get(&path, Some(&hq)).await }
    };
    assert_eq!(
        ids(&list("").await),
        [w.clone(), y.clone(), z.clone(), x.clone()],
        "newest first, no drafts"
    );
    assert_eq!(ids(&list("?mission=MINUSCA").await), [y.clone(), x.clone()]);
    assert_eq!(
        ids(&list("?mission=MINUSCA&mission=MONUSCO").await).len(),
        4
    );
    assert_eq!(
        ids(&list("?attack_type=ambush").await),
        [z.clone(), x.clone()]
    );
    assert_eq!(ids(&list("?fatal=true").await), [z.clone(), x.clone()]);
    assert_eq!(ids(&list("?fatal=false").await), [w.clone(), y.clone()]);
    assert_eq!(
        ids(&list("?from=2026-01-04T00:00:00Z&to=2026-01-06T00:00:00Z").await),
        [y.clone(), z.clone()]
    );
    assert_eq!(ids(&list("?q=ambush%20BENI").await), [z.as_str()]);
    assert_eq!(
        ids(&list("?q=MINUSCA-2026-00002").await),
        [y.as_str()],
        "the reference is searched"
    );
    let mut secret = incident("Strictly confidential one");
    secret["classification"] = json!("strictly_confidential");
    secret["occurred_at"] = json!("2026-01-07T10:00:00Z");
    secret["submit"] = json!(true);
    let secret = post_incident(&api, &a, secret).await.id();
    assert_eq!(
        ids(&list("?classification=strictly_confidential").await),
        [secret.as_str()]
    );
    assert_eq!(
        ids(&list("?classification=confidential&status=submitted").await).len(),
        4
    );
    assert_eq!(ids(&list("?status=submitted").await).len(), 5);
    assert!(
        ids(&list("?q=100%25").await).is_empty(),
        "% is a character, not a wildcard"
    );
    let officer_view = api.get("/api/v1/incidents?status=draft", Some(&a)).await;
    assert_eq!(ids(&officer_view), [draft.as_str()]);
    let minusca = list("?mission=MINUSCA").await;
    let item = minusca.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == x.as_str())
        .unwrap();
    assert_eq!(item["victim_counts"]["killed"], 1);
    assert_eq!(item["reference"], "MINUSCA-2026-00001");
    list("?status=lost").await.assert_problem(422);
    list("?limit=500").await.assert_problem(422);
    list("?from=yesterday").await.assert_problem(422);
    list("?colour=blue").await.assert_problem(400);

    // Two more on the same day and hour as `y`: the cursor's tie-break on the id is exercised.
    for n in 0..2 {
        make(
            a.clone(),
            "MINUSCA",
            5,
            "grenade",
            false,
            format!("Same time {n}"),
        )
        .await;
    }
    let originals = ids(&list("?limit=200").await);
    // Pages of two while new incidents arrive, older and newer than the page being read: every
    // original appears exactly once, in order, and nothing appears twice.
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_string();
    let mut arrivals = [1, 25, 2, 26].into_iter();
    loop {
        let page = list(&query).await;
        seen.extend(ids(&page));
        if let Some(day) = arrivals.next() {
            make(
                a.clone(),
                "MINUSCA",
                day,
                "grenade",
                false,
                format!("Arrived on day {day}"),
            )
            .await;
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no repeats: {seen:?}");
    let originals_seen: Vec<&String> = seen.iter().filter(|id| originals.contains(id)).collect();
    assert_eq!(
        originals_seen,
        originals.iter().collect::<Vec<_>>(),
        "all originals, in order"
    );
    assert!(
        seen.len() > originals.len(),
        "older arrivals show up on later pages"
    );
}

async fn withdrawn_incidents_stay_marked(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let mut body = incident("Reported twice by mistake");
    body["submit"] = json!(true);
    let id = post_incident(&api, &a, body).await.id();
    let path = format!("/api/v1/incidents/{id}");

    api.post(&format!("{path}/withdraw"), Some(&a), json!({}))
        .await
        .assert_problem(422);
    let withdrawn = api
        .post(
            &format!("{path}/withdraw"),
            Some(&a),
            json!({ "reason": "Duplicate of MINUSCA-2026-00002" }),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    assert_eq!(withdrawn.body["status"], "withdrawn");
    assert_eq!(
        withdrawn.body["withdrawn_reason"],
        "Duplicate of MINUSCA-2026-00002"
    );
    let version = withdrawn.body["version"].as_i64().unwrap();
    api.patch(
        &path,
        Some(&a),
        json!({ "version": version, "summary": "x", "reason": "y" }),
    )
    .await
    .assert_problem(409);
    api.post(
        &format!("{path}/withdraw"),
        Some(&a),
        json!({ "reason": "again" }),
    )
    .await
    .assert_problem(409);
    let read = api.get(&path, Some(&a)).await;
    assert_eq!(read.body["status"], "withdrawn");
    assert_eq!(read.body["reference"], "MINUSCA-2026-00001");
    assert_eq!(t.count("incidents"), 1, "nothing is deleted");
}

/// On PostgreSQL, the common list (one mission, a date range, newest first) reads an index, not
/// the whole table. Checked on 20,000 incidents spread over four missions and ten years.
#[actix_web::test]
async fn the_common_list_query_uses_an_index_on_postgres() {
    if !common::postgres_available() {
        return;
    }
    let t = TestApp::new(Backend::Postgres);
    let officer = t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.execute_sql(&format!(
        "INSERT INTO incidents (id, reference, mission_code, status, classification, occurred_at, \
         time_precision, reported_at, reported_by, geo_precision, location_type, attack_type, weapons, \
         summary, narrative, killed, injured, abducted, missing, search_text, version, created_at, updated_at) \
         SELECT 'bulk-' || n, NULL, (ARRAY['MINUSCA','MONUSCO','UNMISS','UNIFIL'])[1 + n % 4], 'submitted', \
         'unclassified', TIMESTAMP '2016-01-01' + (n * INTERVAL '263 minutes'), 'exact', now(), '{officer}', \
         'unknown', 'other', 'ambush', '[]', 'bulk', '', n % 2, 0, 0, 0, 'bulk', 1, now(), now() \
         FROM generate_series(1, 20000) AS n"
    ))
    .unwrap();
    t.execute_sql("ANALYZE incidents").unwrap();

    #[derive(diesel::QueryableByName)]
    struct PlanLine {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let mut conn = t.conn();
    let plan: Vec<PlanLine> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            // The shape the list query has: `= ANY` for the sets, newest first, a page and one more.
            "EXPLAIN SELECT * FROM incidents WHERE mission_code = ANY(ARRAY['MINUSCA']) \
             AND classification = ANY(ARRAY['unclassified', 'confidential']) AND status <> 'draft' \
             AND occurred_at >= '2020-01-01' AND occurred_at < '2020-04-01' \
             ORDER BY occurred_at DESC, id DESC LIMIT 51",
        ),
        &mut *conn as &mut peacekeeper_registry::db::DbConnection,
    )
    .unwrap();
    let plan: Vec<String> = plan.into_iter().map(|p| p.line).collect();
    let text = plan.join("\n");
    assert!(
        text.contains("Index Scan using incidents_"),
        "the plan reads an index of incidents:\n{text}"
    );
    assert!(!text.contains("Seq Scan"), "no full scan:\n{text}");
}

on_both_backends!(
    readers_cannot_act_and_refused_changes_leave_nothing,
    more_validation_through_the_api,
    a_downgraded_incident_withholds_its_older_versions,
    incidents_of_a_closed_mission_can_still_be_corrected,
);

async fn readers_cannot_act_and_refused_changes_leave_nothing(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let id = post_incident(&api, &a, incident("Draft to be submitted"))
        .await
        .id();
    let path = format!("/api/v1/incidents/{id}");
    api.post(&format!("{path}/submit"), Some(&a), json!({}))
        .await;

    api.post(
        &format!("{path}/withdraw"),
        Some(&legal),
        json!({ "reason": "no" }),
    )
    .await
    .assert_problem(403);
    // A refused user hears 403, not what was wrong with the body.
    let garbage = with_token(TestRequest::patch().uri(&path), Some(&legal))
        .insert_header(("Content-Type", "text/plain"))
        .set_payload("{ nonsense");
    api.send(garbage).await.assert_problem(403);

    let versions_before = t.count("incident_versions");
    let audit_before = t.count("audit_log WHERE action LIKE 'incident.%'");
    let bad = api
        .patch(
            &path,
            Some(&a),
            json!({ "version": 2, "latitude": 123.0, "summary": "" }),
        )
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.error_fields(), vec!["latitude", "summary"]);
    let stale = api
        .patch(
            &path,
            Some(&a),
            json!({ "version": 1, "summary": "Late edit" }),
        )
        .await;
    stale.assert_problem(409);
    let read = api.get(&path, Some(&a)).await;
    assert_eq!(read.body["version"], 2);
    assert_eq!(read.body["summary"], "Draft to be submitted");
    assert_eq!(t.count("incident_versions"), versions_before);
    assert_eq!(
        t.count("audit_log WHERE action LIKE 'incident.%'"),
        audit_before
    );

    api.get("/api/v1/incidents/%00", Some(&a))
        .await
        .assert_problem(404);
    api.get(&format!("/api/v1/incidents/{id}%00"), Some(&a))
        .await
        .assert_problem(404);
}

async fn more_validation_through_the_api(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let soon = (t.now() + chrono::TimeDelta::minutes(4))
        .and_utc()
        .to_rfc3339();
    let later = (t.now() + chrono::TimeDelta::minutes(6))
        .and_utc()
        .to_rfc3339();

    let mut body = incident("Four minutes ahead: a clock, not a prophecy");
    body["occurred_at"] = json!(soon);
    assert_eq!(
        post_incident(&api, &a, body).await.status,
        StatusCode::CREATED
    );
    let mut body = incident("Six minutes ahead");
    body["occurred_at"] = json!(later);
    assert_eq!(
        post_incident(&api, &a, body).await.error_fields(),
        vec!["occurred_at"]
    );
    let mut body = incident("Until, with a day's precision");
    body["time_precision"] = json!("day");
    body["occurred_until"] = json!("2026-03-14T09:00:00Z");
    assert_eq!(
        post_incident(&api, &a, body).await.error_fields(),
        vec!["occurred_until"]
    );
    let mut body = incident("Until the future");
    body["occurred_until"] = json!(later);
    assert_eq!(
        post_incident(&api, &a, body).await.error_fields(),
        vec!["occurred_until"]
    );
    let mut body = incident("One casualty id, two victims");
    body["victims"][0]["casualty_id"] = json!("MINUSCA-2026-03-00007");
    body["victims"][1]["casualty_id"] = json!("MINUSCA-2026-03-00007");
    assert_eq!(
        post_incident(&api, &a, body).await.error_fields(),
        vec!["victims[1].casualty_id"]
    );
    // Problems only the registry sees come in the same answer as the others.
    let mut body = incident("");
    body["mission"] = json!("NOWHERE");
    assert_eq!(
        post_incident(&api, &a, body).await.error_fields(),
        vec!["summary", "mission"]
    );
    // An uncertain date is stored at the middle of its period.
    let mut body = incident("Sometime in February");
    body["occurred_at"] = json!("2026-02-03T00:00:00Z");
    body["time_precision"] = json!("month");
    let created = post_incident(&api, &a, body).await;
    assert_eq!(created.body["occurred_at"], "2026-02-15T00:00:00Z");
    assert_eq!(created.body["time_precision"], "month");
    assert_eq!(t.count("incidents"), 2);
}

async fn a_downgraded_incident_withholds_its_older_versions(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let mut body = incident("First strictly confidential");
    body["classification"] = json!("strictly_confidential");
    body["narrative"] = json!("Source names a commander");
    let id = post_incident(&api, &a, body).await.id();
    let path = format!("/api/v1/incidents/{id}");
    api.post(&format!("{path}/submit"), Some(&a), json!({}))
        .await;
    let downgraded = api
        .patch(&path, Some(&a), json!({ "version": 2, "classification": "confidential", "narrative": "A patrol was attacked" }))
        .await;
    assert_eq!(downgraded.status, StatusCode::OK, "{}", downgraded.body);

    let legal = api.login("legal", PASSWORD).await;
    let history = api.get(&format!("{path}/history"), Some(&legal)).await;
    assert_eq!(history.status, StatusCode::OK);
    let text = history.body.to_string();
    assert!(
        !text.contains("names a commander"),
        "older, higher versions are withheld: {text}"
    );
    assert_eq!(history.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        history.body["items"][2]["incident"]["narrative"],
        "A patrol was attacked"
    );
    let history = api.get(&format!("{path}/history"), Some(&a)).await;
    assert!(history.body.to_string().contains("names a commander"));
}

async fn incidents_of_a_closed_mission_can_still_be_corrected(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let id = post_incident(&api, &a, incident("Before the mission closed"))
        .await
        .id();
    let chief = api.login("chief", PASSWORD).await;
    let closed = api
        .patch(
            "/api/v1/missions/MINUSCA",
            Some(&chief),
            json!({ "active": false, "version": 1 }),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK);

    let corrected = api
        .patch(
            &format!("/api/v1/incidents/{id}"),
            Some(&a),
            json!({ "version": 1, "place_name": "Bria" }),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::OK, "{}", corrected.body);
    let answer = post_incident(&api, &a, incident("After the mission closed")).await;
    assert_eq!(answer.error_fields(), vec!["mission"]);

    // Reopened through another server: this one believes the missions it read for at most
    // `AT_MOST`, then checks the next incident against the change.
    let second = common::Api::over(t.another_server()).await;
    let reopened = second
        .patch(
            "/api/v1/missions/MINUSCA",
            Some(&chief),
            json!({ "active": true, "version": 2 }),
        )
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.body);
    t.clock
        .advance(peacekeeper_registry::recently_read::AT_MOST);
    let answer = post_incident(&api, &a, incident("After the mission reopened")).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
}

/// A read by id is answered from reads alone when the reader may see the incident (on SQLite,
/// on the HTTP worker itself); a refusal or a 404 takes the path that records it.
async fn reads_by_id_refused_are_recorded_and_others_not(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let created = post_incident(&api, &a, incident("Patrol ambushed near Bambari")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.id();
    let path = format!("/api/v1/incidents/{id}");
    let denials_of = |username: &str| {
        t.count(&format!(
            "audit_log WHERE action = 'access.denied' AND entity_id = '{id}' AND actor_username = '{username}'"
        ))
    };

    let read = api.get(&path, Some(&a)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body, created.body, "read back as created");
    assert_eq!(
        denials_of("officer.a"),
        0,
        "a read allowed records no refusal"
    );

    let other = api.login("officer.other", PASSWORD).await;
    api.get(&path, Some(&other)).await.assert_problem(404);
    assert_eq!(
        denials_of("officer.other"),
        1,
        "a 404 to another mission is recorded"
    );

    let chief = api.login("chief", PASSWORD).await;
    api.get(&path, Some(&chief)).await.assert_problem(403);
    assert_eq!(
        t.count("audit_log WHERE action = 'access.denied' AND actor_username = 'chief'"),
        1,
        "an administrator's refusal is recorded"
    );

    let missing = "/api/v1/incidents/00000000-0000-4000-8000-000000000000";
    api.get(missing, Some(&a)).await.assert_problem(404);
    assert_eq!(
        t.count("audit_log WHERE action = 'access.denied' AND entity_id = '00000000-0000-4000-8000-000000000000'"),
        1,
        "a read of an incident that does not exist is recorded"
    );
}

/// How long a request waits for its permit and a connection in `state_over_small_pool`.
const SMALL_POOL_TIMEOUT_SECONDS: u32 = 2;
/// How long the pool itself would let a caller wait, longer than any request's wait.
const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A server's state over a pool of `connections` on the test's database, whose requests wait
/// `SMALL_POOL_TIMEOUT_SECONDS` for the database; the pool is returned too, to take from.
fn state_over_small_pool(
    t: &TestApp,
    connections: u32,
) -> (
    db::DbPool,
    actix_web::web::Data<peacekeeper_registry::AppState>,
) {
    let settings = peacekeeper_registry::config::Settings {
        database_timeout_seconds: SMALL_POOL_TIMEOUT_SECONDS,
        ..t.settings()
    };
    let pool = db::connect(&t.db.url, connections, POOL_WAIT).expect("connect");
    let state = peacekeeper_registry::AppState::new(pool.clone(), settings, t.clock.clone());
    (pool, state)
}

/// With the only connection taken, a read by id waits for it, as any request does, rather
/// than failing or holding up the HTTP worker that serves other requests meanwhile.
async fn a_read_by_id_waits_for_a_connection_when_none_is_free(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    // A request waits 2 s for a connection; a call that blocked the worker in the pool
    // itself would wait the pool's own 10 s, and hold up every request on that worker.
    let (pool, state) = state_over_small_pool(&t, 1);
    let api = common::Api::over(state.clone()).await;
    let a = api.login("officer.a", PASSWORD).await;
    let created = post_incident(&api, &a, incident("Patrol ambushed near Bambari")).await;
    let path = format!("/api/v1/incidents/{}", created.id());

    let taken = pool.get().expect("the only connection");
    // The read holds the only permit while it waits for the connection.
    let read_waits = || state.database_permits_in_use() == 1;
    let read =
        read_while_the_worker_answers(&api, &path, &a, read_waits, POOL_WAIT / 2, || drop(taken))
            .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body, created.body);
}

/// Reads `path` and, once `read_waits` says the read is waiting, asks the same worker for
/// `/healthz`, which needs no database: it must answer within `within` of the read's start, the
/// read not holding the worker up. Then `let_go` frees what the read waits for; the read's answer
/// is returned.
async fn read_while_the_worker_answers<S, B>(
    api: &common::Api<S>,
    path: &str,
    token: &str,
    read_waits: impl Fn() -> bool,
    within: std::time::Duration,
    let_go: impl FnOnce(),
) -> Answer
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let started = std::time::Instant::now();
    let meanwhile = async {
        while !read_waits() {
            assert!(started.elapsed() < within, "the read never came to wait");
            actix_web::rt::task::yield_now().await;
        }
        let health = api.get("/healthz", None).await;
        let answered_after = started.elapsed();
        let_go();
        (health, answered_after)
    };
    let (read, (health, answered_after)) =
        futures_util::join!(api.get(path, Some(token)), meanwhile);
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    assert!(
        answered_after < within,
        "the read held up the worker for {answered_after:?}"
    );
    read
}

/// With every database permit taken by other work, a read by id waits for a permit without holding
/// up the HTTP worker, is answered once one comes free, and is answered 503 when none comes
/// within the configured wait.
async fn a_read_by_id_waits_for_its_permit_and_gives_up_with_a_503(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let database_timeout = std::time::Duration::from_secs(SMALL_POOL_TIMEOUT_SECONDS.into());
    let permits = 2;
    let (_, state) = state_over_small_pool(&t, permits);
    let api = common::Api::over(state.clone()).await;
    let a = api.login("officer.a", PASSWORD).await;
    let created = post_incident(&api, &a, incident("Patrol ambushed near Bambari")).await;
    let path = format!("/api/v1/incidents/{}", created.id());

    // A permit comes free within the wait: the read is answered.
    // The session is checked just before, so that the read needs the database only to read.
    api.get(&path, Some(&a)).await;
    let (release, released) = std::sync::mpsc::channel();
    // `join!` polls the holders first: they take every permit before the read asks for one.
    let read_waits = || state.metrics.database_waiting() == 1;
    let read_and_release =
        read_while_the_worker_answers(&api, &path, &a, read_waits, database_timeout / 2, || {
            for _ in 0..permits {
                let _ = release.send(());
            }
        });
    let (held, read) = futures_util::join!(
        hold_every_permit(&state, permits, released),
        read_and_release
    );
    assert!(held.iter().all(Result::is_ok));
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body, created.body);

    // No permit comes free within the wait: 503, as for any request that needs the database.
    // The session is checked just before, so that the read below finds it believed; were it
    // read again meanwhile (after half a second), that read too would wait and end in the 503.
    api.get(&path, Some(&a)).await;
    let (release, released) = std::sync::mpsc::channel();
    let read_then_release = async {
        let started = std::time::Instant::now();
        let read =
            actix_web::rt::time::timeout(3 * database_timeout, api.get(&path, Some(&a))).await;
        let waited = started.elapsed();
        for _ in 0..permits {
            let _ = release.send(());
        }
        (read, waited)
    };
    let (held, (read, waited)) = futures_util::join!(
        hold_every_permit(&state, permits, released),
        read_then_release
    );
    assert!(held.iter().all(Result::is_ok));
    let read = read.expect("an answer within the wait, not a read waiting on");
    read.assert_problem(503);
    assert!(waited >= database_timeout, "gave up after {waited:?}");
}

/// Database work that holds every permit, and so every connection, until `release` says so once
/// for each.
async fn hold_every_permit(
    state: &actix_web::web::Data<peacekeeper_registry::AppState>,
    permits: u32,
    release: std::sync::mpsc::Receiver<()>,
) -> Vec<peacekeeper_registry::error::AppResult<()>> {
    let release = std::sync::Arc::new(std::sync::Mutex::new(release));
    join_all((0..permits).map(|_| {
        let release = release.clone();
        state.run(move |_conn| {
            let _ = release.lock().unwrap().recv();
            Ok(())
        })
    }))
    .await
}

/// Submits `body` as `token` and answers the incident's id.
async fn submitted<S, B>(api: &common::Api<S>, token: &str, summary: &str) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut body = incident(summary);
    body["submit"] = json!(true);
    let answer = post_incident(api, token, body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.id()
}

/// An officer edits a colleague's submitted report, then tries to verify it: content only the
/// verifier would have seen is not verified. A third officer may.
async fn an_officer_who_edited_anothers_report_may_not_verify_it(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    t.create_user(
        "officer.c",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let b = api.login("officer.b", PASSWORD).await;
    let c = api.login("officer.c", PASSWORD).await;
    let id = submitted(&api, &a, "Convoy attacked").await;
    let path = format!("/api/v1/incidents/{id}");
    let edited = api
        .patch(
            &path,
            Some(&b),
            json!({ "version": 2, "summary": "Convoy attacked at dawn" }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let refused = api
        .post(&format!("{path}/verify"), Some(&b), json!({ "version": 3 }))
        .await;
    refused.assert_problem(403);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("you wrote part of this incident's content"),
        "{}",
        refused.body
    );
    let stored = api.get(&path, Some(&a)).await;
    assert_eq!(
        stored.body["status"], "submitted",
        "the refusal changed nothing"
    );
    assert_eq!(stored.body["version"], 3);
    let verified = api
        .post(&format!("{path}/verify"), Some(&c), json!({ "version": 3 }))
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert_eq!(verified.body["status"], "verified");
}

/// What an officer does in the random sequences below.
#[derive(Debug, Clone, Copy)]
enum Act {
    Edit(usize),
    Verify(usize),
}

/// Random sequences of edits, amendments and attempts to verify by three officers, through the
/// API: an attempt succeeds exactly when its officer wrote nothing since the last verification
/// (the sequence's own record of who wrote what decides, not the registry's rule), and the
/// incident is verified only after such an attempt.
async fn verification_follows_the_two_person_rule_over_random_sequences(backend: Backend) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    let t = TestApp::new(backend).with_users(TEAM);
    t.create_user(
        "officer.c",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let tokens = [
        api.login("officer.a", PASSWORD).await,
        api.login("officer.b", PASSWORD).await,
        api.login("officer.c", PASSWORD).await,
    ];
    let act = proptest::prop_oneof![
        (0..3usize).prop_map(Act::Edit),
        (0..3usize).prop_map(Act::Verify),
    ];
    let sequences = (0..3usize, proptest::collection::vec(act, 1..9));
    let mut runner = TestRunner::deterministic();
    for round in 0..16 {
        let (reporter, acts) = sequences.new_tree(&mut runner).unwrap().current();
        let id = submitted(&api, &tokens[reporter], &format!("Sequence {round}")).await;
        let path = format!("/api/v1/incidents/{id}");
        let mut version = 2;
        let mut verified = false;
        let mut ever_verified = false;
        let mut wrote_since_verification = vec![reporter];
        for act in &acts {
            match *act {
                Act::Edit(officer) => {
                    let mut body =
                        json!({ "version": version, "summary": format!("Edit {version}") });
                    if verified {
                        body["reason"] = json!("Corrected");
                    }
                    let answer = api.patch(&path, Some(&tokens[officer]), body).await;
                    assert_eq!(answer.status, StatusCode::OK, "{acts:?}: {}", answer.body);
                    assert_eq!(answer.body["status"], "submitted");
                    // Submitted again after a verification, it awaits the next.
                    assert_eq!(answer.body["amendment_pending"], ever_verified);
                    version += 1;
                    verified = false;
                    wrote_since_verification.push(officer);
                }
                Act::Verify(officer) => {
                    let answer = api
                        .post(
                            &format!("{path}/verify"),
                            Some(&tokens[officer]),
                            json!({ "version": version }),
                        )
                        .await;
                    let expected = if verified {
                        StatusCode::CONFLICT
                    } else if wrote_since_verification.contains(&officer) {
                        StatusCode::FORBIDDEN
                    } else {
                        StatusCode::OK
                    };
                    assert_eq!(
                        answer.status, expected,
                        "officer {officer} after {acts:?}: {}",
                        answer.body
                    );
                    if expected == StatusCode::OK {
                        version += 1;
                        verified = true;
                        ever_verified = true;
                        wrote_since_verification.clear();
                    }
                }
            }
        }
        let stored = api.get(&path, Some(&tokens[0])).await;
        assert_eq!(stored.body["version"], version, "{acts:?}");
        assert_eq!(
            stored.body["status"],
            if verified { "verified" } else { "submitted" },
            "{acts:?}"
        );
    }
}

/// Each officer's list of what awaits their verification: submitted incidents of their missions
/// none of whose content they wrote since the last verification.
async fn officers_find_what_awaits_their_verification(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let b = api.login("officer.b", PASSWORD).await;
    let other = api.login("officer.other", PASSWORD).await;
    let by_a = submitted(&api, &a, "Reported by A").await;
    let by_b = submitted(&api, &b, "Reported by B").await;
    let draft = post_incident(&api, &a, incident("A draft")).await.id();
    let awaiting = |token: String| {
        let api = &api;
        async move {
            let answer = api
                .get(
                    "/api/v1/incidents?awaiting_my_verification=true",
                    Some(&token),
                )
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
    assert_eq!(awaiting(a.clone()).await, vec![by_b.clone()]);
    assert_eq!(awaiting(b.clone()).await, vec![by_a.clone()]);
    assert!(
        awaiting(other.clone()).await.is_empty(),
        "another mission's"
    );
    assert!(!awaiting(a.clone()).await.contains(&draft));
    // B verifies A's report, then amends it: it waits for A now, not for B.
    api.post(
        &format!("/api/v1/incidents/{by_a}/verify"),
        Some(&b),
        json!({ "version": 2 }),
    )
    .await;
    assert!(awaiting(b.clone()).await.is_empty());
    let amended = api
        .patch(
            &format!("/api/v1/incidents/{by_a}"),
            Some(&b),
            json!({ "version": 3, "summary": "Amended by B", "reason": "Sector report" }),
        )
        .await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.body);
    let mut for_a = awaiting(a.clone()).await;
    for_a.sort();
    let mut expected = vec![by_a.clone(), by_b.clone()];
    expected.sort();
    assert_eq!(for_a, expected);
    assert!(awaiting(b.clone()).await.is_empty());
    api.get("/api/v1/incidents?awaiting_my_verification=maybe", Some(&a))
        .await
        .assert_problem(422);
}

/// A retry with an Idempotency-Key after the record moved out of the caller's sight answers
/// 404, as a read does, and not the record.
async fn a_replay_answers_as_a_read_would(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let b = api.login("officer.b", PASSWORD).await;
    let body = incident("Retried over a bad link");
    let send = || {
        api.send(
            with_token(TestRequest::post().uri("/api/v1/incidents"), Some(&b))
                .insert_header(("Idempotency-Key", "field-office-9c1d"))
                .set_json(body.clone()),
        )
    };
    let first = send().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let id = first.id();
    // Officer A, cleared higher, raises its classification above B's clearance.
    let raised = api
        .patch(
            &format!("/api/v1/incidents/{id}"),
            Some(&a),
            json!({ "version": 1, "classification": "strictly_confidential" }),
        )
        .await;
    assert_eq!(raised.status, StatusCode::OK, "{}", raised.body);
    api.get(&format!("/api/v1/incidents/{id}"), Some(&b))
        .await
        .assert_problem(404);
    let replayed = send().await;
    replayed.assert_problem(404);
    assert!(
        !replayed
            .body
            .to_string()
            .contains("Retried over a bad link")
    );
    assert_eq!(t.count("incidents"), 1, "the retry made nothing");

    // Officer A records one, then is moved to another mission: the retry answers 404 too.
    let send_as_a = || {
        api.send(
            with_token(TestRequest::post().uri("/api/v1/incidents"), Some(&a))
                .insert_header(("Idempotency-Key", "field-office-2b7e"))
                .set_json(incident("Recorded before a transfer")),
        )
    };
    assert_eq!(send_as_a().await.status, StatusCode::CREATED);
    let chief = api.login("chief", PASSWORD).await;
    let users = api.get("/api/v1/users?limit=200", Some(&chief)).await;
    let officer_a = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "officer.a")
        .unwrap()
        .clone();
    let moved = api
        .patch(
            &format!("/api/v1/users/{}", officer_a["id"].as_str().unwrap()),
            Some(&chief),
            json!({ "missions": ["MONUSCO"], "version": officer_a["version"] }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let replayed = send_as_a().await;
    replayed.assert_problem(404);
    assert_eq!(t.count("incidents"), 2, "the retry made nothing");
}

/// A casualty id an officer adds must be of the incident's own mission; one already recorded
/// names the other incident only to those who may read it.
async fn a_taken_casualty_id_tells_only_what_the_officer_may_know(backend: Backend) {
    let t = TestApp::new(backend).with_users(TEAM);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let b = api.login("officer.b", PASSWORD).await;
    let other = api.login("officer.other", PASSWORD).await;
    // A strictly confidential incident that officer B (confidential) may not see, and one B may.
    let mut secret = incident("Secret");
    secret["classification"] = json!("strictly_confidential");
    secret["submit"] = json!(true);
    secret["victims"][0]["casualty_id"] = json!("MINUSCA-2026-03-00001");
    assert_eq!(
        post_incident(&api, &a, secret).await.status,
        StatusCode::CREATED
    );
    let mut open = incident("Open");
    open["submit"] = json!(true);
    open["victims"][0]["casualty_id"] = json!("MINUSCA-2026-03-00002");
    let open = post_incident(&api, &a, open).await;
    let open_reference = open.body["reference"].as_str().unwrap().to_string();

    let with_id = |id: &str| {
        let mut body = incident("Again");
        body["victims"][0]["casualty_id"] = json!(id);
        body
    };
    let hidden = post_incident(&api, &b, with_id("MINUSCA-2026-03-00001")).await;
    hidden.assert_problem(422);
    let message = hidden.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        message,
        "is already recorded for a victim of another incident"
    );
    let named = post_incident(&api, &b, with_id("MINUSCA-2026-03-00002")).await;
    assert_eq!(
        named.body["errors"][0]["message"],
        format!("is already recorded for a victim of {open_reference}")
    );
    // Another mission's officer cannot even ask: the id must be of their own mission.
    let mut elsewhere = with_id("MINUSCA-2026-03-00001");
    elsewhere["mission"] = json!("MONUSCO");
    let asked = post_incident(&api, &other, elsewhere).await;
    asked.assert_problem(422);
    assert_eq!(asked.error_fields(), vec!["victims[0].casualty_id"]);
    let message = asked.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("must read MONUSCO-YYYY-MM-NNNNN"),
        "{message}"
    );
    // With a mission the registry does not know, casualty ids are not looked at at all.
    let mut unknown = with_id("NOSUCH-1");
    unknown["mission"] = json!("NOSUCH");
    assert_eq!(
        post_incident(&api, &a, unknown).await.error_fields(),
        vec!["mission"]
    );
    for malformed in ["MINUSCA-2026-13-00001", "CAS-1", "MINUSCA-2026-03-1"] {
        post_incident(&api, &a, with_id(malformed))
            .await
            .assert_problem(422);
    }
    assert_eq!(t.count("incidents"), 2, "refused input changes nothing");
}

/// The earlier rule kept an amended incident verified. The upgrade sends such incidents back to
/// wait for a second officer, and keeps the others verified, with the version last verified read
/// from their history.
async fn incidents_amended_under_the_old_rule_wait_for_a_second_officer(backend: Backend) {
    let t = TestApp::before_migration(backend, "two_person_rule");
    let now = "2026-11-30 10:00:00";
    let mut statements = vec![];
    for user in ["officer-a", "officer-b"] {
        statements.push(format!("INSERT INTO users (id, username, password_hash, role, clearance, disabled, must_change_password, failed_logins, version, created_at, updated_at) VALUES ('{user}', '{user}', 'not a hash', 'security_officer', 'confidential', FALSE, FALSE, 0, 1, '{now}', '{now}')"));
    }
    for (id, version) in [("inc-amended", 4), ("inc-plain", 3)] {
        statements.push(format!("INSERT INTO incidents (id, reference, mission_code, status, classification, occurred_at, time_precision, reported_at, reported_by, geo_precision, location_type, attack_type, weapons, summary, narrative, verified_by, verified_at, killed, injured, abducted, missing, search_text, version, created_at, updated_at) VALUES ('{id}', '{id}', 'MINUSCA', 'verified', 'confidential', '2026-11-20 06:00:00', 'exact', '{now}', 'officer-a', 'unknown', 'patrol', 'ambush', '[]', 'Summary', '', 'officer-b', '{now}', 0, 0, 0, 0, '', {version}, '{now}', '{now}')"));
        let history = [
            ("create", "officer-a"),
            ("submit", "officer-a"),
            ("verify", "officer-b"),
            ("amend", "officer-a"),
        ];
        for (number, (action, by)) in history.iter().take(version as usize).enumerate() {
            statements.push(format!("INSERT INTO incident_versions (incident_id, version, action, changed_at, changed_by, changes, snapshot) VALUES ('{id}', {}, '{action}', '{now}', '{by}', '{{}}', '{{}}')", number + 1));
        }
    }
    for statement in &statements {
        t.execute_sql(statement).unwrap();
    }
    let folder = tempfile::tempdir().unwrap();
    let started = common::server::registry(folder.path(), &t.db.url)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    assert_eq!(
        t.count("incidents WHERE id = 'inc-amended' AND status = 'submitted' AND last_verified_version = 3 AND verified_by IS NULL AND verified_at IS NULL"),
        1,
        "the amendment waits for a second officer"
    );
    assert_eq!(
        t.count("incidents WHERE id = 'inc-plain' AND status = 'verified' AND last_verified_version = 3 AND verified_by = 'officer-b'"),
        1,
        "a verified incident nobody amended stays verified"
    );
}
