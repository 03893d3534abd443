//! HTTP basics: health checks, request ids, and the problem+json answers to requests that
//! cannot be read. Refused requests change nothing.

mod common;

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
    let pool = db::connect(&test_db.url, 2).unwrap();
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
