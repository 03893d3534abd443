//! The audit trail: every change recorded, the chain verifiable, tampering found, and the
//! database itself refusing to rewrite history.

mod common;

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
