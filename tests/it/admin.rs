//! What only administrators may do: accounts and the missions reference data. And what only
//! auditors may read: the audit trail.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use common::{Backend, PASSWORD, TestApp, with_token};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    admin_endpoints_refuse_every_other_role_and_strangers,
    audit_endpoints_are_for_auditors_only,
    admins_create_list_read_and_change_users,
    a_stale_version_changes_nothing,
    admins_cannot_lock_themselves_out,
    bad_account_values_are_named,
    everyone_signed_in_reads_the_missions,
    admins_add_and_deactivate_missions,
    every_mission_only_when_the_account_says_so,
);

/// Every administrator endpoint, as (method, path, body).
fn admin_calls(user_id: &str) -> Vec<(&'static str, String, Value)> {
    vec![
        ("GET", "/api/v1/users".into(), Value::Null),
        (
            "POST",
            "/api/v1/users".into(),
            json!({ "username": "sneaky", "password": "marble whistle canyon drift 38", "role": "admin" }),
        ),
        ("GET", format!("/api/v1/users/{user_id}"), Value::Null),
        (
            "PATCH",
            format!("/api/v1/users/{user_id}"),
            json!({ "role": "admin", "version": 1 }),
        ),
        (
            "POST",
            "/api/v1/missions".into(),
            json!({ "code": "UNNEW", "name": "A new mission" }),
        ),
        (
            "PATCH",
            "/api/v1/missions/UNMISS".into(),
            json!({ "active": false, "version": 1 }),
        ),
    ]
}

fn request(method: &str, path: &str, body: &Value, token: Option<&str>) -> TestRequest {
    let request = match method {
        "GET" => TestRequest::get(),
        "POST" => TestRequest::post(),
        "PATCH" => TestRequest::patch(),
        other => panic!("method {other}"),
    }
    .uri(path);
    let request = with_token(request, token);
    if body.is_null() {
        request
    } else {
        request.set_json(body)
    }
}

async fn admin_endpoints_refuse_every_other_role_and_strangers(backend: Backend) {
    let t = TestApp::new(backend);
    let target = t.create_user("target", Role::LegalOfficer, Clearance::Confidential, &[]);
    let others = [
        ("officer", Role::SecurityOfficer),
        ("legal", Role::LegalOfficer),
        ("leader", Role::Leadership),
        ("auditor", Role::Auditor),
    ];
    for (name, role) in others {
        t.create_user(name, role, Clearance::StrictlyConfidential, &[]);
    }
    let api = t.api().await;
    let users_before = t.count("users");
    let missions_before = t.count("missions WHERE active = TRUE");

    for (method, path, body) in admin_calls(&target) {
        let answer = api.send(request(method, &path, &body, None)).await;
        answer.assert_problem(401);
        for (name, _) in others {
            let token = api.login(name, PASSWORD).await;
            let denied_before = t.count("audit_log WHERE action = 'access.denied'");
            let answer = api.send(request(method, &path, &body, Some(&token))).await;
            answer.assert_problem(403);
            assert_eq!(
                t.count("audit_log WHERE action = 'access.denied'"),
                denied_before + 1,
                "{method} {path} by {name}: the denial is recorded"
            );
        }
    }
    // A refused user hears 401 or 403, never what was wrong with the body.
    let officer = api.login("officer", PASSWORD).await;
    for (method, path, _) in admin_calls(&target)
        .into_iter()
        .filter(|(m, _, _)| *m != "GET")
    {
        for token in [None, Some(officer.as_str())] {
            let garbage = with_token(
                match method {
                    "POST" => TestRequest::post(),
                    _ => TestRequest::patch(),
                }
                .uri(&path),
                token,
            )
            .insert_header(("Content-Type", "text/plain"))
            .set_payload("{ not json");
            let answer = api.send(garbage).await;
            answer.assert_problem(if token.is_some() { 403 } else { 401 });
        }
    }
    // Nothing changed.
    assert_eq!(t.count("users"), users_before);
    assert_eq!(t.count("missions WHERE active = TRUE"), missions_before);
    assert_eq!(t.count("users WHERE role = 'admin'"), 0);
}

async fn audit_endpoints_are_for_auditors_only(backend: Backend) {
    let t = TestApp::new(backend);
    for (name, role) in [
        ("chief", Role::Admin),
        ("officer", Role::SecurityOfficer),
        ("legal", Role::LegalOfficer),
        ("leader", Role::Leadership),
        ("auditor", Role::Auditor),
    ] {
        t.create_user(name, role, Clearance::StrictlyConfidential, &[]);
    }
    let api = t.api().await;
    for path in ["/api/v1/audit", "/api/v1/audit/verify"] {
        api.get(path, None).await.assert_problem(401);
        for name in ["chief", "officer", "legal", "leader"] {
            let token = api.login(name, PASSWORD).await;
            api.get(path, Some(&token)).await.assert_problem(403);
        }
        let token = api.login("auditor", PASSWORD).await;
        assert_eq!(api.get(path, Some(&token)).await.status, StatusCode::OK);
    }
}

async fn admins_create_list_read_and_change_users(backend: Backend) {
    let t = TestApp::new(backend);
    let admin_id = t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let token = api.login("chief", PASSWORD).await;

    let mut ids = Vec::new();
    for name in ["delta", "alpha", "echo", "bravo", "charlie"] {
        let answer = api
            .post(
                "/api/v1/users",
                Some(&token),
                json!({ "username": name, "password": "marble whistle canyon drift 38", "role": "legal_officer", "clearance": "confidential", "missions": ["MINUSCA", "MONUSCO", "MINUSCA"] }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        assert_eq!(answer.body["missions"], json!(["MINUSCA", "MONUSCO"]));
        assert_eq!(answer.header("etag"), Some("\"1\""));
        let id = answer.body["id"].as_str().unwrap().to_string();
        assert_eq!(
            answer.header("location"),
            Some(format!("/api/v1/users/{id}").as_str())
        );
        ids.push(id);
    }

    // Pages of two, by username, with no gaps or repeats.
    let mut seen = Vec::new();
    let mut path = "/api/v1/users?limit=2".to_string();
    loop {
        let page = api.get(&path, Some(&token)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item["username"].as_str().unwrap().to_string());
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/users?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["alpha", "bravo", "charlie", "chief", "delta", "echo"]
    );

    let read = api
        .get(&format!("/api/v1/users/{}", ids[0]), Some(&token))
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["username"], "delta");
    let etag = read.header("etag").unwrap().to_string();

    let changed = api
        .send(
            with_token(TestRequest::patch().uri(&format!("/api/v1/users/{}", ids[0])), Some(&token))
                .insert_header(("If-Match", etag))
                .set_json(json!({ "role": "leadership", "clearance": "strictly_confidential", "missions": [], "all_missions": true })),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["role"], "leadership");
    assert_eq!(changed.body["clearance"], "strictly_confidential");
    assert_eq!(changed.body["missions"], json!([]));
    assert_eq!(changed.body["all_missions"], true);
    assert_eq!(changed.body["version"], 2);
    assert_eq!(changed.header("etag"), Some("\"2\""));

    api.get("/api/v1/users/no-such-user", Some(&token))
        .await
        .assert_problem(404);

    // Each change is in the audit trail, with what changed.
    let auditor_check = {
        let mut conn = t.conn();
        peacekeeper_registry::store::audit::list(
            &mut conn,
            &peacekeeper_registry::store::audit::AuditFilter {
                entity_id: Some(ids[0].clone()),
                ..Default::default()
            },
            10,
        )
        .unwrap()
    };
    assert_eq!(auditor_check[0].action, "user.update");
    assert_eq!(
        auditor_check[0].actor_id.as_deref(),
        Some(admin_id.as_str())
    );
    let details: Value = serde_json::from_str(&auditor_check[0].details).unwrap();
    assert_eq!(
        details["changes"]["role"],
        json!({ "from": "legal_officer", "to": "leadership" })
    );
    assert_eq!(details["changes"]["missions"]["to"], json!([]));
    assert_eq!(auditor_check[1].action, "user.create");
}

async fn a_stale_version_changes_nothing(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let id = t.create_user("legal", Role::LegalOfficer, Clearance::Confidential, &[]);
    let api = t.api().await;
    let token = api.login("chief", PASSWORD).await;
    let path = format!("/api/v1/users/{id}");

    let first = api
        .patch(
            &path,
            Some(&token),
            json!({ "role": "leadership", "version": 1 }),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let audit_before = t.count("audit_log");
    let second = api
        .patch(
            &path,
            Some(&token),
            json!({ "role": "auditor", "version": 1 }),
        )
        .await;
    second.assert_problem(409);
    let missing = api
        .patch(&path, Some(&token), json!({ "role": "auditor" }))
        .await;
    missing.assert_problem(422);
    assert_eq!(missing.error_fields(), vec!["version"]);

    let read = api.get(&path, Some(&token)).await;
    assert_eq!(read.body["role"], "leadership");
    assert_eq!(read.body["version"], 2);
    assert_eq!(t.count("audit_log"), audit_before);
}

async fn admins_cannot_lock_themselves_out(backend: Backend) {
    let t = TestApp::new(backend);
    let id = t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let token = api.login("chief", PASSWORD).await;
    let path = format!("/api/v1/users/{id}");

    let answer = api
        .patch(
            &path,
            Some(&token),
            json!({ "disabled": true, "version": 1 }),
        )
        .await;
    answer.assert_problem(422);
    assert_eq!(answer.error_fields(), vec!["disabled"]);
    let answer = api
        .patch(
            &path,
            Some(&token),
            json!({ "role": "auditor", "version": 1 }),
        )
        .await;
    answer.assert_problem(422);
    assert_eq!(answer.error_fields(), vec!["role"]);
    assert_eq!(
        api.get("/api/v1/users", Some(&token)).await.status,
        StatusCode::OK
    );
}

async fn bad_account_values_are_named(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let id = t.create_user("legal", Role::LegalOfficer, Clearance::Confidential, &[]);
    let api = t.api().await;
    let token = api.login("chief", PASSWORD).await;
    let audit_before = t.count("audit_log");

    let answer = api
        .post(
            "/api/v1/users",
            Some(&token),
            json!({ "username": "x", "password": "short", "role": "security_officer", "missions": ["MINUSCA", "NOWHERE"] }),
        )
        .await;
    answer.assert_problem(422);
    assert_eq!(
        answer.error_fields(),
        vec!["username", "password", "missions[1]"]
    );

    let answer = api
        .post(
            "/api/v1/users",
            Some(&token),
            json!({ "username": "someone", "password": "marble whistle canyon drift 38", "role": "root" }),
        )
        .await;
    answer.assert_problem(422);
    assert_eq!(answer.error_fields(), vec!["role"]);

    let answer = api
        .post(
            "/api/v1/users",
            Some(&token),
            json!({ "username": "LEGAL", "password": "marble whistle canyon drift 38", "role": "auditor" }),
        )
        .await;
    answer.assert_problem(409);

    let answer = api
        .patch(
            &format!("/api/v1/users/{id}"),
            Some(&token),
            json!({ "clearance": "top_secret", "version": 1 }),
        )
        .await;
    answer.assert_problem(422);
    assert_eq!(answer.error_fields(), vec!["clearance"]);

    assert_eq!(t.count("users"), 2);
    // Only the sign-in was recorded: refused input changes nothing.
    assert_eq!(t.count("audit_log"), audit_before);
}

async fn everyone_signed_in_reads_the_missions(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "leader",
        Role::Leadership,
        Clearance::Unclassified,
        &["MINUSCA"],
    );
    let api = t.api().await;
    api.get("/api/v1/missions", None).await.assert_problem(401);
    let token = api.login("leader", PASSWORD).await;

    let answer = api.get("/api/v1/missions", Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK);
    let codes: Vec<&str> = answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    for code in [
        "MINUSCA", "MONUSCO", "UNMISS", "UNIFIL", "UNISFA", "UNDOF", "MINURSO", "UNFICYP", "UNMIK",
        "UNTSO", "UNMOGIP", "MINUSMA", "UNAMID", "MINUSTAH", "MONUC",
    ] {
        assert!(codes.contains(&code), "{code} is seeded");
    }
    let minusma = api.get("/api/v1/missions/MINUSMA", Some(&token)).await;
    assert_eq!(minusma.body["active"], false);
    assert_eq!(minusma.body["host_country"], "MLI");
    api.get("/api/v1/missions/NOWHERE", Some(&token))
        .await
        .assert_problem(404);
}

async fn admins_add_and_deactivate_missions(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let token = api.login("chief", PASSWORD).await;

    let created = api
        .post("/api/v1/missions", Some(&token), json!({ "code": "UNOCI", "name": "United Nations Operation in Côte d'Ivoire", "host_country": "CIV", "active": false }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["version"], 1);

    api.post(
        "/api/v1/missions",
        Some(&token),
        json!({ "code": "UNOCI", "name": "Again" }),
    )
    .await
    .assert_problem(409);
    let invalid = api
        .post(
            "/api/v1/missions",
            Some(&token),
            json!({ "code": "un oci", "name": "", "host_country": "XXX" }),
        )
        .await;
    invalid.assert_problem(422);
    assert_eq!(invalid.error_fields(), vec!["code", "name", "host_country"]);

    let changed = api
        .patch(
            "/api/v1/missions/UNMISS",
            Some(&token),
            json!({ "active": false, "version": 1 }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["active"], false);
    assert_eq!(changed.body["version"], 2);
    api.patch(
        "/api/v1/missions/UNMISS",
        Some(&token),
        json!({ "active": true, "version": 1 }),
    )
    .await
    .assert_problem(409);
    let cleared = api
        .patch(
            "/api/v1/missions/UNMISS",
            Some(&token),
            json!({ "host_country": null, "version": 2 }),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
    assert_eq!(cleared.body["host_country"], Value::Null);
    assert_eq!(cleared.body["active"], false);

    let actions = t.audit_actions();
    assert!(actions.contains(&"mission.create".to_string()));
    assert_eq!(actions.iter().filter(|a| *a == "mission.update").count(), 2);
}

/// Work on every mission is an explicit flag: an account of a role that works on missions with
/// neither missions nor the flag is refused, and taking away the last mission grants nothing.
async fn every_mission_only_when_the_account_says_so(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let field = t.create_user(
        "field",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let token = api.login("chief", PASSWORD).await;
    let account = |username: &str, role: &str, extra: Value| {
        let mut body = json!({ "username": username, "password": "marble whistle canyon drift 38", "role": role });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };

    let unticked = api
        .patch(
            &format!("/api/v1/users/{field}"),
            Some(&token),
            json!({ "missions": [], "version": 1 }),
        )
        .await;
    unticked.assert_problem(422);
    assert_eq!(unticked.error_fields(), vec!["missions"]);
    let read = api
        .get(&format!("/api/v1/users/{field}"), Some(&token))
        .await;
    assert_eq!(read.body["missions"], json!(["MINUSCA"]));
    assert_eq!(read.body["all_missions"], false);
    assert_eq!(read.body["version"], 1);

    let users_before = t.count("users");
    let nowhere = api
        .post(
            "/api/v1/users",
            Some(&token),
            account("hq.leader", "leadership", json!({})),
        )
        .await;
    nowhere.assert_problem(422);
    assert_eq!(nowhere.error_fields(), vec!["missions"]);
    let auditor_everywhere = api
        .post(
            "/api/v1/users",
            Some(&token),
            account("auditor.two", "auditor", json!({ "all_missions": true })),
        )
        .await;
    auditor_everywhere.assert_problem(422);
    assert_eq!(auditor_everywhere.error_fields(), vec!["all_missions"]);
    assert_eq!(
        t.count("users"),
        users_before,
        "refused input changes nothing"
    );

    let everywhere = api
        .post(
            "/api/v1/users",
            Some(&token),
            account("hq.leader", "leadership", json!({ "all_missions": true })),
        )
        .await;
    assert_eq!(
        everywhere.status,
        StatusCode::CREATED,
        "{}",
        everywhere.body
    );
    assert_eq!(everywhere.body["all_missions"], true);
    let auditor = api
        .post(
            "/api/v1/users",
            Some(&token),
            account("auditor.two", "auditor", json!({})),
        )
        .await;
    assert_eq!(auditor.status, StatusCode::CREATED, "{}", auditor.body);
    assert_eq!(auditor.body["all_missions"], false);
    assert_eq!(
        t.count(
            "audit_log WHERE action = 'user.create' AND details LIKE '%\"all_missions\":true%'"
        ),
        1
    );
}
