//! HTTP basics: health checks, request ids, and the problem+json answers to requests that
//! cannot be read. Refused requests change nothing.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;

use common::{Backend, PASSWORD, TestApp, TestDb, with_token};
use peacekeeper_registry::clock::SystemClock;
use peacekeeper_registry::config::Settings;
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::{AppState, db};

on_both_backends!(
    health_and_readiness,
    not_ready_while_migrations_are_pending,
    every_answer_carries_a_request_id,
    unknown_paths_and_methods_are_problems,
    unreadable_bodies_get_the_right_problem_and_change_nothing,
    mistyped_and_unknown_fields_are_named,
    every_answer_carries_the_protective_headers,
    every_limit_a_client_controls_has_its_answer,
    metrics_are_served_only_to_the_metrics_token,
);

async fn health_and_readiness(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    let alive = api.get("/healthz", None).await;
    assert_eq!(alive.status, StatusCode::OK);
    assert_eq!(alive.body["status"], "ok");
    let ready = api.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["status"], "ready");
}

async fn not_ready_while_migrations_are_pending(backend: Backend) {
    let test_db = TestDb::new(backend);
    let pool = db::connect(&test_db.url, 2, common::DATABASE_WAIT).unwrap();
    let settings = Settings {
        database_url: test_db.url.clone(),
        ..Settings::default()
    };
    let state = AppState::new(pool.clone(), settings, std::sync::Arc::new(SystemClock));
    let api = common::Api::over(state).await;
    let answer = api.get("/readyz", None).await;
    answer.assert_problem(503);
    assert!(answer.header("retry-after").is_some());
    assert!(
        !answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("migration"),
        "no internals"
    );

    db::run_migrations(&mut pool.get().unwrap()).unwrap();
    assert_eq!(api.get("/readyz", None).await.status, StatusCode::OK);
}

async fn every_answer_carries_a_request_id(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    let ok = api.get("/healthz", None).await;
    let refused = api.get("/api/v1/me", None).await;
    let first = ok.header("x-request-id").expect("on success");
    let second = refused.header("x-request-id").expect("on refusal");
    assert_ne!(first, second);
    assert_eq!(first.len(), 36, "a UUID");
}

async fn unknown_paths_and_methods_are_problems(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    api.get("/api/v1/nothing-here", None)
        .await
        .assert_problem(404);
    api.get("/api", None).await.assert_problem(404);
    // Outside the API, people get pages: the home page sends a stranger to sign in.
    let home = api.get("/", None).await;
    assert_eq!(home.status.as_u16(), 303);
    assert_eq!(home.header("location"), Some("/login"));
    api.send(TestRequest::delete().uri("/api/v1/users"))
        .await
        .assert_problem(405);
    api.send(TestRequest::put().uri("/healthz"))
        .await
        .assert_problem(405);
}

async fn unreadable_bodies_get_the_right_problem_and_change_nothing(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let token = api.login("chief", PASSWORD).await;
    let users = t.count("users");
    let audit = t.count("audit_log");
    let post = |body: &str, content_type: Option<&str>| {
        let request = with_token(TestRequest::post().uri("/api/v1/users"), Some(&token));
        let request = match content_type {
            Some(content_type) => request.insert_header(("Content-Type", content_type)),
            None => request,
        };
        request.set_payload(body.to_string())
    };
    let valid = json!({ "username": "new.user", "password": "marble whistle canyon drift 38", "role": "auditor" }).to_string();

    // Malformed JSON.
    api.send(post("{\"username\": \"x\",", Some("application/json")))
        .await
        .assert_problem(400);
    api.send(post("", Some("application/json")))
        .await
        .assert_problem(400);
    api.send(post(&format!("{valid} trailing"), Some("application/json")))
        .await
        .assert_problem(400);
    // Wrong or missing media type, even with a valid body.
    api.send(post(&valid, Some("text/plain")))
        .await
        .assert_problem(415);
    api.send(post(&valid, Some("application/x-www-form-urlencoded")))
        .await
        .assert_problem(415);
    api.send(post(&valid, None)).await.assert_problem(415);
    // Over 1 MiB: refused whatever it holds.
    let padding = "x".repeat(1024 * 1024);
    let oversized =
        json!({ "username": "new.user", "password": padding, "role": "auditor" }).to_string();
    api.send(post(&oversized, Some("application/json")))
        .await
        .assert_problem(413);
    // The login endpoint reads bodies the same way.
    api.send(
        TestRequest::post()
            .uri("/api/v1/auth/login")
            .set_payload("{"),
    )
    .await
    .assert_problem(415);

    assert_eq!(t.count("users"), users);
    assert_eq!(t.count("audit_log"), audit);
    // The same body, sent properly, works: the refusals were about the form alone.
    let answer = api
        .send(post(&valid, Some("application/json; charset=utf-8")))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
}

async fn mistyped_and_unknown_fields_are_named(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let token = api.login("chief", PASSWORD).await;
    let users = t.count("users");

    let cases = [
        (
            json!({ "username": "a.b", "password": "marble whistle canyon drift 38", "role": "auditor", "is_admin": true }),
            "is_admin",
        ),
        (
            json!({ "username": 42, "password": "marble whistle canyon drift 38", "role": "auditor" }),
            "username",
        ),
        (
            json!({ "username": "a.b", "password": "marble whistle canyon drift 38" }),
            "role",
        ),
        (
            json!({ "username": "a.b", "password": "marble whistle canyon drift 38", "role": "auditor", "missions": ["MINUSCA", 7] }),
            "missions[1]",
        ),
        (json!(["not", "an", "object"]), "."),
    ];
    for (body, field) in cases {
        let answer = api.post("/api/v1/users", Some(&token), body.clone()).await;
        answer.assert_problem(422);
        assert_eq!(
            answer.error_fields(),
            vec![field],
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.body["type"], "/problems/validation");
    }
    let login = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "username": "chief", "pass": "x" }),
        )
        .await;
    login.assert_problem(422);
    assert_eq!(t.count("users"), users);
}

async fn every_answer_carries_the_protective_headers(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("auditor", Role::Auditor, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let token = api.login("auditor", PASSWORD).await;
    let signed_in = |request: TestRequest| with_token(request, Some(&token));
    let answers = [
        ("healthz", api.get("/healthz", None).await, false),
        ("a problem", api.get("/api/v1/me", None).await, false),
        (
            "an unknown path",
            api.get("/api/v1/nothing", None).await,
            false,
        ),
        (
            "a page",
            api.send(TestRequest::get().uri("/login")).await,
            false,
        ),
        (
            "a signed-in read",
            api.send(signed_in(TestRequest::get().uri("/api/v1/me")))
                .await,
            true,
        ),
        (
            "a signed-in problem",
            api.send(signed_in(TestRequest::get().uri("/api/v1/users")))
                .await,
            true,
        ),
        (
            "a signed-in list",
            api.send(signed_in(TestRequest::get().uri("/api/v1/audit")))
                .await,
            true,
        ),
    ];
    for (what, answer, authenticated) in &answers {
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert!(answer.header("referrer-policy").is_some(), "{what}");
        let policy = answer.header("content-security-policy").unwrap_or_default();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{what}: {policy}"
        );
        assert!(
            answer.header("strict-transport-security").is_none(),
            "{what}: not over HTTP"
        );
        if *authenticated {
            assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}");
        }
    }
    // The answer that hands out a token is not kept either.
    let login = api
        .send(
            TestRequest::post()
                .uri("/api/v1/auth/login")
                .set_json(json!({ "username": "auditor", "password": PASSWORD })),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.header("cache-control"), Some("no-store"));
    // Over TLS (as a proxy in front says), HSTS too.
    let over_tls = api
        .send(
            TestRequest::get()
                .uri("/healthz")
                .insert_header(("Forwarded", "proto=https")),
        )
        .await;
    assert_eq!(
        over_tls.header("strict-transport-security"),
        Some("max-age=31536000")
    );
}

async fn every_limit_a_client_controls_has_its_answer(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::Unclassified,
        &["MINUSCA"],
    );
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Unclassified,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let named = |answer: &common::Answer, status: u16, field: &str| {
        answer.assert_problem(status);
        assert!(
            answer.error_fields().contains(&field.to_string()),
            "{}",
            answer.body
        );
    };

    // The query string: 4 KiB at most, then 414 before anything is read.
    let long = format!("/api/v1/incidents?q={}", "a".repeat(5000));
    api.get(&long, Some(&officer)).await.assert_problem(414);
    // A page of results: 1 to 200.
    for limit in ["0", "201", "-1"] {
        let answer = api
            .get(&format!("/api/v1/incidents?limit={limit}"), Some(&officer))
            .await;
        named(&answer, 422, "limit");
    }
    // Repeated filter values: 50 at most, on every list.
    let missions = "mission=MINUSCA&".repeat(51);
    for list in ["/api/v1/incidents", "/api/v1/cases", "/api/v1/summary"] {
        let token = if list.ends_with("cases") {
            &legal
        } else {
            &officer
        };
        let answer = api.get(&format!("{list}?{missions}"), Some(token)).await;
        named(&answer, 422, "mission");
    }
    // Search text: 200 characters at most.
    let q = "%C3%A9".repeat(201);
    for list in ["/api/v1/incidents", "/api/v1/cases"] {
        let token = if list.ends_with("cases") {
            &legal
        } else {
            &officer
        };
        let answer = api.get(&format!("{list}?q={q}"), Some(token)).await;
        named(&answer, 422, "q");
    }
    // A JSON body: 1 MiB at most.
    let huge = "x".repeat(1024 * 1024 + 1);
    let answer = api
        .send(with_token(
            TestRequest::post()
                .uri("/api/v1/incidents")
                .insert_header(("Content-Type", "application/json"))
                .set_payload(format!("{{\"summary\": \"{huge}\"}}")),
            Some(&officer),
        ))
        .await;
    answer.assert_problem(413);
    // A text field: its own length, named.
    let answer = api
        .post(
            "/api/v1/incidents",
            Some(&officer),
            json!({ "mission": "MINUSCA", "occurred_at": "2026-01-05T10:00:00Z",
                    "location_type": "base", "attack_type": "ambush",
                    "summary": "s".repeat(5000) }),
        )
        .await;
    named(&answer, 422, "summary");
    assert_eq!(t.count("incidents"), 0);
}

/// `GET /metrics` does not exist for anyone but a scraper presenting the metrics token (a
/// session's token is not it), and then tells requests per route and status, database waits
/// and pool, failed sign-ins and the audit trail's length.
async fn metrics_are_served_only_to_the_metrics_token(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("lead.one", Role::Leadership, Clearance::Unclassified, &[]);
    t.api()
        .await
        .get("/metrics", None)
        .await
        .assert_problem(404);

    let secret = "a metrics token of forty characters, ok";
    let settings = Settings {
        metrics_token: format!("{secret}."),
        ..t.settings()
    };
    let pool = db::connect(&t.db.url, 2, common::DATABASE_WAIT).unwrap();
    let state = AppState::new(pool, settings, t.clock.clone());
    let api = common::Api::over(state).await;
    let session = api.login("lead.one", PASSWORD).await;
    api.login_answer("lead.one", "not the password at all")
        .await
        .assert_problem(401);
    api.get(
        "/api/v1/incidents/0198a0d0-0000-7000-8000-000000000000",
        Some(&session),
    )
    .await
    .assert_problem(404);
    for token in [None, Some(session.as_str()), Some(secret)] {
        api.get("/metrics", token).await.assert_problem(404);
    }

    let scraped = api.get("/metrics", Some(&format!("{secret}."))).await;
    assert_eq!(scraped.status, StatusCode::OK);
    assert!(scraped.content_type().starts_with("text/plain"));
    let text = String::from_utf8_lossy(&scraped.bytes).into_owned();
    for expected in [
        r#"registry_http_requests_total{endpoint="/api/v1/auth/login",method="POST",status="200"} 1"#,
        r#"registry_http_requests_total{endpoint="/api/v1/auth/login",method="POST",status="401"} 1"#,
        r#"registry_http_requests_total{endpoint="/api/v1/incidents/{id}",method="GET",status="404"} 1"#,
        r#"registry_http_requests_duration_seconds_bucket{endpoint="/api/v1/auth/login""#,
        "registry_failed_sign_ins_total 1",
        "registry_summaries_counted_total 0",
        "registry_database_wait_seconds_count",
        "registry_database_waiting 0",
        "registry_database_pool_connections",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    let audit_records = format!("registry_audit_records {}\n", t.count("audit_log"));
    assert!(text.contains(&audit_records), "{audit_records} in:\n{text}");
    assert!(!text.contains(&session), "no session token in the figures");
}
