//! The audit trail: every change recorded, the chain verifiable, tampering found, and the
//! database itself refusing to rewrite history.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use common::{Backend, PASSWORD, TestApp, with_token};
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::store::audit::{self, AuditContext};

on_both_backends!(
    each_change_is_recorded_with_who_and_from_where,
    an_untouched_trail_verifies,
    an_altered_record_is_named,
    a_rehashed_record_breaks_the_chain,
    the_database_refuses_to_rewrite_the_trail,
    concurrent_writers_and_sealers_keep_one_chain,
    auditors_filter_and_page_the_trail,
    the_trail_proves_a_secret_life_without_its_content,
    an_upgraded_database_is_baselined_and_withholds_old_details,
);

async fn each_change_is_recorded_with_who_and_from_where(backend: Backend) {
    let t = TestApp::new(backend);
    let admin_id = t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let token = api.login("chief", PASSWORD).await;

    let answer = api
        .send(
            with_token(TestRequest::post().uri("/api/v1/users"), Some(&token))
                .peer_addr("198.51.100.7:40000".parse().unwrap())
                .set_json(json!({ "username": "legal", "password": "marble whistle canyon drift 38", "role": "legal_officer", "all_missions": true })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let request_id = answer.header("x-request-id").unwrap().to_string();
    let new_id = answer.body["id"].as_str().unwrap();

    let mut conn = t.conn();
    let records = audit::list(&mut conn, &Default::default(), 1).unwrap();
    let record = &records[0];
    assert_eq!(record.action, "user.create");
    assert_eq!(record.entity_type, "user");
    assert_eq!(record.entity_id.as_deref(), Some(new_id));
    assert_eq!(record.actor_id.as_deref(), Some(admin_id.as_str()));
    assert_eq!(record.actor_username.as_deref(), Some("chief"));
    assert_eq!(record.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(record.client_addr.as_deref(), Some("198.51.100.7"));
    let details: Value = serde_json::from_str(&record.details).unwrap();
    assert_eq!(details["role"], "legal_officer");
    assert!(
        !record.details.contains("argon2"),
        "no password hash in the trail"
    );
    assert!(
        !record.details.contains("marble"),
        "no password in the trail"
    );
    assert_eq!(record.occurred_at, t.now());
}

async fn an_untouched_trail_verifies(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("auditor", Role::Auditor, Clearance::Unclassified, &[]);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let admin = api.login("chief", PASSWORD).await;
    let created = api
        .post(
            "/api/v1/missions",
            Some(&admin),
            json!({ "code": "UNOCI", "name": "Côte d'Ivoire" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    api.login_answer("chief", "a wrong guess of a password")
        .await
        .assert_problem(401);
    let token = api.login("auditor", PASSWORD).await;

    let answer = api.get("/api/v1/audit/verify", Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["intact"], true);
    assert_eq!(answer.body["records_checked"], t.count("audit_log"));
    assert_eq!(answer.body["first_broken"], Value::Null);
    assert_eq!(answer.body["head_hash"].as_str().unwrap().len(), 64);
    // Verification sealed everything that was pending.
    assert_eq!(t.count("audit_pending"), 0);
    assert_eq!(t.count("audit_chain"), t.count("audit_log"));
}

/// Removes the protection, as someone with direct database access would, for the test alone.
fn drop_protection(t: &TestApp) {
    t.execute_sql("DROP TRIGGER audit_log_no_update")
        .map(|_| ())
        .unwrap_or_else(|_| {
            t.execute_sql("DROP TRIGGER audit_log_no_update ON audit_log")
                .unwrap();
        });
}

async fn an_altered_record_is_named(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("auditor", Role::Auditor, Clearance::Unclassified, &[]);
    for name in ["one", "two", "three"] {
        t.create_user(name, Role::Leadership, Clearance::Unclassified, &[]);
    }
    {
        let mut conn = t.conn();
        audit::seal_pending(&mut conn).unwrap();
    }
    let target: i64 = {
        let mut conn = t.conn();
        let records = audit::list(&mut conn, &Default::default(), 10).unwrap();
        records
            .iter()
            .find(|r| r.details.contains("\"two\""))
            .unwrap()
            .id
    };
    drop_protection(&t);
    t.execute_sql(&format!(
        "UPDATE audit_log SET details = '{{\"username\":\"someone-else\"}}' WHERE id = {target}"
    ))
    .unwrap();

    let api = t.api().await;
    let token = api.login("auditor", PASSWORD).await;
    let answer = api.get("/api/v1/audit/verify", Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["intact"], false);
    assert_eq!(answer.body["first_broken"]["sequence"], target);
    assert!(
        answer.body["first_broken"]["reason"]
            .as_str()
            .unwrap()
            .contains("content"),
        "{}",
        answer.body
    );
}

async fn a_rehashed_record_breaks_the_chain(backend: Backend) {
    let t = TestApp::new(backend);
    for name in ["one", "two", "three"] {
        t.create_user(name, Role::Leadership, Clearance::Unclassified, &[]);
    }
    let mut conn = t.conn();
    audit::seal_pending(&mut conn).unwrap();
    let records = audit::list(&mut conn, &Default::default(), 10).unwrap();
    let target = records
        .iter()
        .find(|r| r.details.contains("\"two\""))
        .unwrap();
    // Forge the content and a matching record hash: only the chain can tell.
    let forged_details = target.details.replace("leadership", "admin");
    let forged_hash = peacekeeper_registry::domain::audit::record_hash(
        &peacekeeper_registry::domain::audit::AuditContent {
            occurred_at: target.occurred_at,
            actor_id: target.actor_id.as_deref(),
            actor_username: target.actor_username.as_deref(),
            action: &target.action,
            entity_type: &target.entity_type,
            entity_id: target.entity_id.as_deref(),
            request_id: target.request_id.as_deref(),
            client_addr: target.client_addr.as_deref(),
            details: &forged_details,
        },
    );
    drop(conn);
    drop_protection(&t);
    t.execute_sql(&format!(
        "UPDATE audit_log SET details = '{forged_details}', record_hash = '{forged_hash}' WHERE id = {}",
        target.id
    ))
    .unwrap();

    let mut conn = t.conn();
    let report = audit::verify(&mut conn).unwrap();
    assert!(!report.intact);
    let broken = report.first_broken.unwrap();
    assert_eq!(broken.sequence, target.id);
    assert!(broken.reason.contains("chain"), "{}", broken.reason);
}

async fn the_database_refuses_to_rewrite_the_trail(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("one", Role::Leadership, Clearance::Unclassified, &[]);
    {
        let mut conn = t.conn();
        audit::seal_pending(&mut conn).unwrap();
    }
    let records = t.count("audit_log");
    assert!(records > 0);
    for sql in [
        "UPDATE audit_log SET action = 'nothing'",
        "DELETE FROM audit_log",
        "UPDATE audit_chain SET chain_hash = 'x'",
        "DELETE FROM audit_chain",
    ] {
        let refused = t.execute_sql(sql);
        assert!(refused.is_err(), "{sql} must be refused");
        assert!(
            refused.unwrap_err().to_string().contains("append-only"),
            "{sql}: refused by the trigger"
        );
    }
    if backend == Backend::Postgres {
        assert!(t.execute_sql("TRUNCATE audit_log CASCADE").is_err());
    }
    assert_eq!(t.count("audit_log"), records);
    assert_eq!(t.count("audit_chain"), records);
    assert_eq!(t.count("audit_log WHERE action = 'nothing'"), 0);
}

async fn concurrent_writers_and_sealers_keep_one_chain(backend: Backend) {
    let t = TestApp::new(backend);
    let writers = 6;
    let each = 25;
    // A connection for every writer and sealer, so they really run at once.
    let pool = peacekeeper_registry::db::connect(&t.db.url, 10, common::DATABASE_WAIT).unwrap();
    std::thread::scope(|scope| {
        for writer in 0..writers {
            let pool = pool.clone();
            let now = t.now();
            scope.spawn(move || {
                let mut conn = pool.get().unwrap();
                for n in 0..each {
                    audit::append_alone(
                        &mut conn,
                        &AuditContext::system(now, "test"),
                        "test.write",
                        "test",
                        Some(&format!("{writer}-{n}")),
                        json!({ "writer": writer, "n": n }),
                    )
                    .unwrap();
                }
            });
        }
        // Two sealers at once, as two servers would run them, while the writers write.
        for _ in 0..2 {
            let pool = pool.clone();
            scope.spawn(move || {
                let mut conn = pool.get().unwrap();
                for _ in 0..20 {
                    audit::seal_pending(&mut conn).unwrap();
                }
            });
        }
    });
    let mut conn = t.conn();
    audit::seal_pending(&mut conn).unwrap();
    let report = audit::verify(&mut conn).unwrap();
    assert!(report.intact, "{:?}", report.first_broken);
    assert_eq!(report.records_checked, (writers * each) as u64);
    assert_eq!(t.count("audit_chain"), (writers * each) as i64);
    assert_eq!(t.count("audit_pending"), 0);
}

async fn auditors_filter_and_page_the_trail(backend: Backend) {
    let t = TestApp::new(backend);
    let auditor_id = t.create_user("auditor", Role::Auditor, Clearance::Unclassified, &[]);
    let leader_id = t.create_user("leader", Role::Leadership, Clearance::Unclassified, &[]);
    let api = t.api().await;
    for _ in 0..3 {
        api.login("leader", PASSWORD).await;
    }
    api.login_answer("leader", "a wrong guess of a password")
        .await;
    t.clock.advance(chrono::TimeDelta::hours(1));
    let token = api.login("auditor", PASSWORD).await;

    let ids = |answer: &common::Answer| -> Vec<i64> {
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["sequence"].as_i64().unwrap())
            .collect()
    };
    let logins = api
        .get("/api/v1/audit?action=auth.login", Some(&token))
        .await;
    assert_eq!(logins.status, StatusCode::OK, "{}", logins.body);
    assert_eq!(ids(&logins).len(), 4);
    let by_leader = api
        .get(
            &format!("/api/v1/audit?actor={leader_id}&action=auth.login"),
            Some(&token),
        )
        .await;
    assert_eq!(ids(&by_leader).len(), 3);
    let failed = api
        .get("/api/v1/audit?action=auth.login_failed", Some(&token))
        .await;
    assert_eq!(failed.body["items"][0]["entity_id"], leader_id.as_str());
    assert_eq!(
        failed.body["items"][0]["details"]["reason"],
        "wrong_password"
    );
    let about_auditor = api
        .get(
            &format!("/api/v1/audit?entity_type=user&entity_id={auditor_id}"),
            Some(&token),
        )
        .await;
    assert_eq!(ids(&about_auditor).len(), 2, "created, signed in");

    let last_hour = (t.now() - chrono::TimeDelta::minutes(30))
        .and_utc()
        .to_rfc3339();
    let recent = api
        .get(
            &format!("/api/v1/audit?from={}", urlencode(&last_hour)),
            Some(&token),
        )
        .await;
    assert_eq!(recent.status, StatusCode::OK, "{}", recent.body);
    assert_eq!(ids(&recent).len(), 1, "only the auditor's sign-in");

    // Pages of two, newest first, covering everything once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/audit?limit=2".to_string();
    loop {
        let page = api.get(&path, Some(&token)).await;
        seen.extend(ids(&page));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/audit?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected = seen.clone();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    expected.dedup();
    assert_eq!(seen, expected);
    assert_eq!(seen.len() as i64, t.count("audit_log"));

    let bad = api.get("/api/v1/audit?cursor=%%%", Some(&token)).await;
    assert!(bad.status.is_client_error());
    api.get("/api/v1/audit?limit=0", Some(&token))
        .await
        .assert_problem(422);
    api.get("/api/v1/audit?limit=201", Some(&token))
        .await
        .assert_problem(422);
    let reversed = api
        .get(
            "/api/v1/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            Some(&token),
        )
        .await;
    reversed.assert_problem(422);
    assert_eq!(reversed.error_fields(), vec!["to"]);
    api.get("/api/v1/audit?actr=x", Some(&token))
        .await
        .assert_problem(400);
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

/// Every distinctive value a strictly confidential incident and its case hold in their life.
const SECRET_VALUES: &[&str] = &[
    "Kilometre Zeta",
    "Narrative Omega",
    "Ndassima Quarry",
    "Ippy Sigma",
    "Ouaka Delta",
    "6.123456",
    "21.654321",
    "Faction Lambda",
    "Witness Sigma",
    "Nadia Kappa",
    "BANBAT Rho",
    "MINUSCA-2026-03-00077",
    "Reason Theta",
    "Withdrawn Iota",
    "Case notes Mu",
    "Next action Xi",
    "Prosecutor Pi",
    "Step note Chi",
    "Colonel Psi",
    "Charge Upsilon",
    "Group Phi",
];

/// An auditor cleared only `unclassified` reads the whole trail of a strictly confidential
/// incident's life (create, edit, submit, verification, amendment, withdrawal) and of a case
/// with an accused person and a document, through the API and the pages: every change is there,
/// with the names of the fields it changed and the hash of the record it made, and no value of
/// those records appears anywhere.
async fn the_trail_proves_a_secret_life_without_its_content(backend: Backend) {
    let t = TestApp::new(backend);
    for name in ["officer.a", "officer.b"] {
        t.create_user(
            name,
            Role::SecurityOfficer,
            Clearance::StrictlyConfidential,
            &["MINUSCA"],
        );
    }
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    t.create_user("auditor.low", Role::Auditor, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let a = api.login("officer.a", PASSWORD).await;
    let b = api.login("officer.b", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let auditor = api.login("auditor.low", PASSWORD).await;

    let body = |summary: &str, casualty: Option<&str>| {
        json!({
            "mission": "MINUSCA",
            "occurred_at": "2026-03-14T06:31:17Z",
            "classification": "strictly_confidential",
            "place_name": "Ndassima Quarry", "admin1": "Ouaka Delta", "admin2": "Ippy Sigma",
            "latitude": 6.123456, "longitude": 21.654321,
            "attack_type": "ambush",
            "perpetrators": [{ "actor_name": "Faction Lambda", "actor_type": "armed_group", "attribution": "likely" }],
            "victims": [{ "personnel_type": "military", "outcome": "killed", "name": "Nadia Kappa", "unit": "BANBAT Rho", "casualty_id": casualty }],
            "sources": [{ "source_type": "witness", "description": "Witness Sigma statement", "reliability": "B", "credibility": 2 }],
            "summary": summary,
            "narrative": "Narrative Omega: the convoy was stopped at the quarry.",
        })
    };
    let ok = |answer: &common::Answer| {
        assert!(answer.status.is_success(), "{}", answer.body);
        answer.body.clone()
    };
    let created = ok(&api
        .post(
            "/api/v1/incidents",
            Some(&a),
            body("Ambush at Kilometre Zeta", Some("MINUSCA-2026-03-00077")),
        )
        .await);
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/incidents/{id}");
    ok(&api
        .patch(
            &path,
            Some(&a),
            json!({ "version": 1, "summary": "Ambush at Kilometre Zeta, north" }),
        )
        .await);
    ok(&api
        .post(&format!("{path}/submit"), Some(&a), json!({}))
        .await);
    ok(&api
        .post(&format!("{path}/verify"), Some(&b), json!({ "version": 3 }))
        .await);
    ok(&api
        .patch(&path, Some(&a), json!({ "version": 4, "place_name": "Ndassima Quarry east", "reason": "Reason Theta: the sector corrected the place" }))
        .await);

    // A second incident, for a case with an accused person and a document.
    let mut other = body("Kilometre Zeta, the second attack", None);
    other["submit"] = json!(true);
    let other = ok(&api.post("/api/v1/incidents", Some(&a), other).await);
    let case = ok(&api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [other["id"]], "jurisdiction": "CAF", "authority": "Prosecutor Pi",
                    "notes": "Case notes Mu", "next_action": "Next action Xi" }),
        )
        .await);
    let case_id = case["id"].as_str().unwrap().to_string();
    let case_path = format!("/api/v1/cases/{case_id}");
    ok(&api
        .post(
            &format!("{case_path}/transitions"),
            Some(&legal),
            json!({ "to": "referred", "effective_on": t.now().date().to_string(), "note": "Step note Chi" }),
        )
        .await);
    ok(&api
        .post(&format!("{case_path}/accused"), Some(&legal),
              json!({ "name": "Colonel Psi", "affiliation": "Group Phi", "charges": "Charge Upsilon" }))
        .await);
    ok(&t.upload_document(&legal, &case_id, "A document").await);
    ok(&api
        .post(
            &format!("{path}/withdraw"),
            Some(&a),
            json!({ "reason": "Withdrawn Iota: a duplicate" }),
        )
        .await);

    // The whole trail, through the API and the page.
    let mut trail = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_path = match &cursor {
            Some(c) => format!("/api/v1/audit?limit=200&cursor={c}"),
            None => "/api/v1/audit?limit=200".to_string(),
        };
        let page = api.get(&page_path, Some(&auditor)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        trail.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let page = api
        .send(
            TestRequest::get()
                .uri("/audit")
                .insert_header(("Cookie", format!("pkr_session={auditor}"))),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let texts = [
        serde_json::to_string(&trail).unwrap(),
        String::from_utf8_lossy(&page.bytes).to_string(),
    ];
    for value in SECRET_VALUES {
        for text in &texts {
            assert!(!text.contains(value), "{value} appears in the trail");
        }
    }

    // Every step of the incident's life is there, with what changed and what it became.
    let of_incident: Vec<&Value> = trail
        .iter()
        .filter(|r| r["entity_id"] == id.as_str())
        .rev()
        .collect();
    let actions: Vec<&str> = of_incident
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "incident.create",
            "incident.update",
            "incident.submit",
            "incident.verify",
            "incident.amend",
            "incident.withdraw"
        ]
    );
    for (record, version) in of_incident.iter().zip(1..) {
        let details = &record["details"];
        assert_eq!(details["version_to"], version, "{details}");
        assert_eq!(details["mission"], "MINUSCA");
        assert_eq!(details["classification"], "strictly_confidential");
        assert_eq!(details["snapshot_sha256"].as_str().unwrap().len(), 64);
    }
    assert_eq!(of_incident[1]["details"]["fields"], json!(["summary"]));
    assert_eq!(of_incident[3]["details"]["status_from"], "submitted");
    assert_eq!(of_incident[3]["details"]["status_to"], "verified");
    assert!(
        of_incident[4]["details"]["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("place_name"))
    );
    let of_case: Vec<&str> = trail
        .iter()
        .filter(|r| r["entity_id"] == case_id.as_str())
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        of_case,
        [
            "case.document.add",
            "case.accused.add",
            "case.transition",
            "case.create"
        ]
    );

    // And the trail proves the records as they stand.
    let mut conn = t.conn();
    let check = peacekeeper_registry::services::audit::verify_records(&mut conn).unwrap();
    assert!(check.intact, "{:?}", check.problems);
    assert!(check.snapshots_checked >= 10, "{check:?}");
}

/// A database an earlier release wrote (audit details holding content, nothing proving the
/// records' content) is started with this one: the start writes one baseline record per
/// incident, case and account, `audit verify` passes, and the old records' details reach only
/// auditors cleared strictly confidential.
async fn an_upgraded_database_is_baselined_and_withholds_old_details(backend: Backend) {
    use common::server::registry;
    let t = TestApp::before_migration(backend, "content_free_audit");
    // Accounts, an incident and a case as the earlier release stored them, and an audit record
    // of the kind it wrote, with the values changed.
    let (officer, legal) = ("officer-old", "legal-old");
    let now = "2026-11-30 10:00:00";
    let account = |id: &str, role: &str| {
        format!(
            "INSERT INTO users (id, username, password_hash, role, clearance, disabled, must_change_password, failed_logins, version, created_at, updated_at, all_missions) VALUES ('{id}', '{id}', 'not a hash', '{role}', 'confidential', FALSE, FALSE, 0, 1, '{now}', '{now}', TRUE)"
        )
    };
    let statements = [
        account(officer, "security_officer"),
        account(legal, "legal_officer"),
        format!("INSERT INTO incidents (id, reference, mission_code, status, classification, occurred_at, time_precision, reported_at, reported_by, geo_precision, location_type, attack_type, weapons, summary, narrative, killed, injured, abducted, missing, search_text, version, created_at, updated_at) VALUES ('inc-old', 'MINUSCA-2026-00001', 'MINUSCA', 'submitted', 'confidential', '2026-11-20 06:00:00', 'exact', '{now}', '{officer}', 'unknown', 'patrol', 'ambush', '[]', 'Old secret summary', 'Old secret narrative', 1, 0, 0, 0, 'old secret', 2, '{now}', '{now}')"),
        "INSERT INTO incident_victims (incident_id, position, personnel_type, gender, outcome) VALUES ('inc-old', 0, 'military', 'male', 'killed')".to_string(),
        format!("INSERT INTO incident_versions (incident_id, version, action, changed_at, changed_by, changes, snapshot) VALUES ('inc-old', 2, 'submit', '{now}', '{officer}', '{{}}', '{{\"summary\":\"Old secret summary\"}}')"),
        format!("INSERT INTO cases (id, reference, mission_code, status, jurisdiction, lead_officer, urgency, opened_on, last_moved_on, search_text, version, created_by, created_at, updated_at) VALUES ('case-old', 'CASE-MINUSCA-2026-0001', 'MINUSCA', 'opened', 'CAF', '{legal}', '2026-11-30', '2026-11-30', '2026-11-30', '', 1, '{legal}', '{now}', '{now}')"),
        "INSERT INTO case_incidents (case_id, incident_id) VALUES ('case-old', 'inc-old')".to_string(),
        format!("INSERT INTO users (id, username, password_hash, role, clearance, disabled, must_change_password, failed_logins, version, created_at, updated_at, all_missions) VALUES ('user-old', 'old.hand', 'not a hash', 'auditor', 'unclassified', FALSE, FALSE, 0, 3, '{now}', '{now}', FALSE)"),
    ];
    for statement in &statements {
        t.execute_sql(statement).unwrap();
    }
    let old_record = {
        let mut conn = t.conn();
        audit::append(
            &mut conn,
            &AuditContext::system(t.now(), "test"),
            "incident.update",
            "incident",
            Some("inc-old"),
            json!({ "changes": { "summary": { "from": "Older secret", "to": "Old secret summary" } } }),
        )
        .unwrap()
    };

    // The new release starts: its migrations, then the baseline.
    let folder = tempfile::tempdir().unwrap();
    let started = registry(folder.path(), &t.db.url)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    // One per incident, case and account that nothing proved.
    assert_eq!(
        t.count("audit_log WHERE action = 'audit.baseline'"),
        5,
        "one per unproved incident, case and account"
    );
    assert_eq!(
        t.count("audit_log WHERE action = 'audit.baseline' AND entity_id IN ('inc-old', 'case-old', 'user-old', 'officer-old', 'legal-old')"),
        5
    );
    assert_eq!(t.count("audit_baseline_pending"), 0);
    // A case before a State's courts has that State as its host State.
    assert_eq!(
        t.count("cases WHERE id = 'case-old' AND jurisdiction_state = 'CAF'"),
        1
    );
    let verified = registry(folder.path(), &t.db.url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{said}");
    assert!(said.contains("records intact"), "{said}");
    // A second start writes no baseline again.
    let again = registry(folder.path(), &t.db.url)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(again.status.success());
    assert_eq!(t.count("audit_log WHERE action = 'audit.baseline'"), 5);

    // The record written before holds content: only the auditors cleared for all see it.
    t.create_user("auditor.low", Role::Auditor, Clearance::Confidential, &[]);
    t.create_user(
        "auditor.high",
        Role::Auditor,
        Clearance::StrictlyConfidential,
        &[],
    );
    let api = t.api().await;
    let details_for = |name: &'static str| {
        let api = &api;
        async move {
            let token = api.login(name, PASSWORD).await;
            let page = api
                .get("/api/v1/audit?entity_id=inc-old&limit=200", Some(&token))
                .await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["sequence"] == old_record)
                .map(|r| r["details"].clone())
                .unwrap()
        }
    };
    let low = details_for("auditor.low").await;
    assert_eq!(
        low,
        json!({ "withheld": "details withheld: recorded before content-free auditing" })
    );
    let high = details_for("auditor.high").await;
    assert_eq!(high["changes"]["summary"]["to"], "Old secret summary");
    // The page withholds them the same way.
    let low_token = api.login("auditor.low", PASSWORD).await;
    let page = api
        .send(
            TestRequest::get()
                .uri("/audit?entity_id=inc-old")
                .insert_header(("Cookie", format!("pkr_session={low_token}"))),
        )
        .await;
    let page = String::from_utf8_lossy(&page.bytes).to_string();
    assert!(!page.contains("Old secret"), "{page}");
    assert!(page.contains("details withheld"), "{page}");
}
