//! Nothing secret reaches the logs: every log line of a run through sign-in (API and page),
//! password changes, authenticated reads and writes, refusals and sign-out is captured at the
//! most detailed level, with every request span, and searched for the passwords and tokens
//! the run used.

#[path = "it/common/mod.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;

use common::{Backend, PASSWORD, TestApp, with_token};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(no_password_or_token_is_ever_logged);

/// Everything logged by this test binary, from every thread.
#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured() -> Capture {
    static LOGS: OnceLock<Capture> = OnceLock::new();
    LOGS.get_or_init(|| {
        let capture = Capture(Arc::new(Mutex::new(Vec::new())));
        let writer = capture.clone();
        tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_ansi(false)
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .with_writer(move || writer.clone())
            .init();
        capture
    })
    .clone()
}

async fn no_password_or_token_is_ever_logged(backend: Backend) {
    let logs = captured();
    let t = TestApp::new(backend).with_settings(|s| {
        s.public_url = "https://registry.example.org".into();
    });
    t.create_user("root", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let admin_token = api.login("root", PASSWORD).await;
    let first_password = "first passphrase of the new officer";
    let new_password = "the officer's very own passphrase";
    let wrong_password = "a wrong guess typed by mistake";

    let created = api
        .post(
            "/api/v1/users",
            Some(&admin_token),
            json!({ "username": "new.officer", "password": first_password,
                    "role": "security_officer", "missions": ["MINUSCA"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    api.login_answer("new.officer", wrong_password)
        .await
        .assert_problem(401);
    let first_token = api.login("new.officer", first_password).await;
    let changed = api
        .change_password(&first_token, first_password, new_password)
        .await;
    let officer_token = changed.body["token"].as_str().unwrap().to_string();
    api.get("/api/v1/me", Some(&officer_token)).await;
    api.get("/api/v1/incidents?q=anything", Some(&officer_token))
        .await;
    api.post(
        "/api/v1/incidents",
        Some(&officer_token),
        json!({ "summary": "incomplete" }),
    )
    .await
    .assert_problem(422);
    // A refusal, and a token that does not work.
    api.get("/api/v1/users", Some(&officer_token))
        .await
        .assert_problem(403);
    api.get("/api/v1/me", Some("not-a-real-token-but-secret-looking"))
        .await
        .assert_problem(401);

    // The pages: sign-in with the form, a page with the session cookie, sign-out.
    let csrf = "c".repeat(64);
    let page_login = api
        .send(
            TestRequest::post()
                .uri("/login")
                .cookie(actix_web::cookie::Cookie::new("pkr_csrf", csrf.clone()))
                .set_form([
                    ("csrf", csrf.as_str()),
                    ("username", "new.officer"),
                    ("password", new_password),
                ]),
        )
        .await;
    assert_eq!(page_login.status, StatusCode::SEE_OTHER);
    let cookie_token = page_login
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find_map(|line| line.strip_prefix("pkr_session="))
        .and_then(|rest| rest.split(';').next())
        .expect("a session cookie")
        .to_string();
    api.send(
        TestRequest::get()
            .uri("/incidents")
            .cookie(actix_web::cookie::Cookie::new(
                "pkr_session",
                cookie_token.clone(),
            )),
    )
    .await;
    // A calendar feed: its address is its secret.
    let feed = api
        .post("/api/v1/me/calendar", Some(&officer_token), json!({}))
        .await;
    assert_eq!(feed.status, StatusCode::CREATED, "{}", feed.body);
    let feed_url = feed.body["url"].as_str().unwrap().to_string();
    let feed_secret = feed_url.rsplit('/').next().unwrap().to_string();
    let read = api
        .get(
            feed_url.trim_start_matches("https://registry.example.org"),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    api.send(with_token(
        TestRequest::post().uri("/api/v1/auth/logout-all"),
        Some(&officer_token),
    ))
    .await;

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    for path in [
        "/api/v1/me/password",
        "/api/v1/auth/login",
        "/incidents",
        "/login",
        "/api/v1/calendar/{secret}",
    ] {
        assert!(
            text.contains(&format!("http.target={path} ")),
            "the request to {path} was logged"
        );
    }
    for secret in [
        PASSWORD,
        first_password,
        new_password,
        wrong_password,
        &admin_token,
        &first_token,
        &officer_token,
        &cookie_token,
        "not-a-real-token-but-secret-looking",
        &csrf,
        &feed_secret,
    ] {
        // As typed, and as a form or a URL would carry it.
        let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        assert!(!text.contains(secret), "a secret was logged: {secret}");
        assert!(
            !text.contains(&encoded),
            "a secret was logged encoded: {encoded}"
        );
    }
}
