//! The second factor's records: a code's step and a recovery code are each taken once, even
//! by two servers at once.

use crate::common;

use actix_web::http::StatusCode;
use chrono::TimeDelta;
use serde_json::json;

use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::domain::second_factor;
use peacekeeper_registry::store::second_factors;

on_both_backends!(
    a_step_and_a_recovery_code_are_taken_once,
    an_enrolled_account_signs_in_with_a_code_used_once,
    wrong_codes_count_toward_the_lock_out
);

async fn a_step_and_a_recovery_code_are_taken_once(backend: Backend) {
    let t = TestApp::new(backend);
    let user = t.create_user(
        "focal.civ",
        Role::LegalOfficer,
        Clearance::Confidential,
        &[],
    );
    let now = t.now();
    let mut conn = t.conn();
    let secret = second_factor::new_secret();
    let hashes = vec!["first-hash".to_string(), "second-hash".to_string()];
    second_factors::begin(&mut conn, &user, &secret, &hashes, now).unwrap();
    let stored = second_factors::find(&mut conn, &user)
        .unwrap()
        .expect("enrolled");
    assert_eq!(stored.secret, secret);
    assert!(!stored.is_on(), "on only after a first good code");

    assert!(second_factors::take_step(&mut conn, &user, 100, now).unwrap());
    assert!(
        !second_factors::take_step(&mut conn, &user, 100, now).unwrap(),
        "used"
    );
    assert!(
        !second_factors::take_step(&mut conn, &user, 99, now).unwrap(),
        "older"
    );
    assert!(second_factors::take_step(&mut conn, &user, 101, now).unwrap());
    let stored = second_factors::find(&mut conn, &user).unwrap().unwrap();
    assert!(stored.is_on());
    assert_eq!(stored.last_step, Some(101));

    assert!(second_factors::use_recovery_code(&mut conn, &user, "first-hash", now).unwrap());
    assert!(!second_factors::use_recovery_code(&mut conn, &user, "first-hash", now).unwrap());
    assert!(!second_factors::use_recovery_code(&mut conn, &user, "unknown", now).unwrap());
    assert_eq!(
        second_factors::recovery_codes_left(&mut conn, &user).unwrap(),
        1
    );

    // Enrolling again starts over: a new secret, new codes, off until confirmed.
    second_factors::begin(&mut conn, &user, &secret, &["third-hash".to_string()], now).unwrap();
    let stored = second_factors::find(&mut conn, &user).unwrap().unwrap();
    assert!(!stored.is_on());
    assert_eq!(
        second_factors::recovery_codes_left(&mut conn, &user).unwrap(),
        1
    );
}

/// Enrols `username` (signed in with `token`) and confirms with the code of now; the secret.
async fn enrolled<S, B>(t: &TestApp, api: &common::Api<S>, token: &str) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let enrolment = api
        .post("/api/v1/me/second-factor", Some(token), json!({}))
        .await;
    let secret = enrolment.body["secret"]
        .as_str()
        .expect("a secret")
        .to_string();
    let confirmed = api
        .post(
            "/api/v1/me/second-factor/confirm",
            Some(token),
            json!({ "code": code_now(t, &secret) }),
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::NO_CONTENT,
        "{}",
        confirmed.body
    );
    secret
}

/// The code the account's authenticator app shows at the test clock's time.
fn code_now(t: &TestApp, secret: &str) -> String {
    let unix = u64::try_from(t.now().and_utc().timestamp()).expect("after 1970");
    second_factor::code_at(secret, unix).expect("a code")
}

async fn an_enrolled_account_signs_in_with_a_code_used_once(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "focal.civ",
        Role::LegalOfficer,
        Clearance::Confidential,
        &[],
    );
    let api = t.api().await;
    let token = api.login("focal.civ", PASSWORD).await;
    let login = |code: Option<&str>| {
        let mut body = json!({ "username": "focal.civ", "password": PASSWORD });
        if let Some(code) = code {
            body["code"] = json!(code);
        }
        body
    };

    let enrolment = api
        .post("/api/v1/me/second-factor", Some(&token), json!({}))
        .await;
    assert_eq!(enrolment.status, StatusCode::OK, "{}", enrolment.body);
    assert_eq!(enrolment.header("cache-control"), Some("no-store"));
    let secret = enrolment.body["secret"]
        .as_str()
        .expect("a secret")
        .to_string();
    assert!(
        enrolment.body["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let recovery: Vec<String> =
        serde_json::from_value(enrolment.body["recovery_codes"].clone()).unwrap();
    assert_eq!(recovery.len(), second_factor::RECOVERY_CODES);

    // Not on until confirmed: a sign-in still needs no code.
    api.login("focal.civ", PASSWORD).await;
    let wrong = api
        .post(
            "/api/v1/me/second-factor/confirm",
            Some(&token),
            json!({ "code": "000000" }),
        )
        .await;
    wrong.assert_problem(422);
    assert_eq!(wrong.error_fields(), ["code"]);
    let confirmed = api
        .post(
            "/api/v1/me/second-factor/confirm",
            Some(&token),
            json!({ "code": code_now(&t, &secret) }),
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::NO_CONTENT,
        "{}",
        confirmed.body
    );
    // On: it is not replaced by enrolling again.
    api.post("/api/v1/me/second-factor", Some(&token), json!({}))
        .await
        .assert_problem(409);

    // Without a code: told so, with no token.
    let without = api.post("/api/v1/auth/login", None, login(None)).await;
    without.assert_problem(401);
    assert_eq!(without.body["type"], "/problems/second-factor-required");
    assert!(without.body.get("token").is_none());
    // The code that confirmed is used: a sign-in in the same step is refused.
    let reused = api
        .post(
            "/api/v1/auth/login",
            None,
            login(Some(&code_now(&t, &secret))),
        )
        .await;
    reused.assert_problem(401);
    assert_eq!(reused.body["type"], "about:blank");
    // The next step's code signs in, once.
    t.clock.advance(TimeDelta::seconds(30));
    let code = code_now(&t, &secret);
    let signed_in = api
        .post("/api/v1/auth/login", None, login(Some(&code)))
        .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert!(signed_in.body["token"].is_string());
    api.post("/api/v1/auth/login", None, login(Some(&code)))
        .await
        .assert_problem(401);
    // A recovery code signs in once, however it is typed.
    let typed = recovery[0].to_uppercase().replace('-', " ");
    let recovered = api
        .post("/api/v1/auth/login", None, login(Some(&typed)))
        .await;
    assert_eq!(recovered.status, StatusCode::OK, "{}", recovered.body);
    api.post("/api/v1/auth/login", None, login(Some(&recovery[0])))
        .await
        .assert_problem(401);
}

async fn wrong_codes_count_toward_the_lock_out(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "focal.sen",
        Role::LegalOfficer,
        Clearance::Confidential,
        &[],
    );
    let api = t.api().await;
    let token = api.login("focal.sen", PASSWORD).await;
    let secret = enrolled(&t, &api, &token).await;
    let login = |code: &str| json!({ "username": "focal.sen", "password": PASSWORD, "code": code });
    for _ in 0..5 {
        api.post("/api/v1/auth/login", None, login("123456"))
            .await
            .assert_problem(401);
    }
    assert!(t.audit_actions().contains(&"auth.lockout".to_string()));
    t.clock.advance(TimeDelta::seconds(30));
    let locked = api
        .post("/api/v1/auth/login", None, login(&code_now(&t, &secret)))
        .await;
    locked.assert_problem(401);
    assert_eq!(locked.body["type"], "about:blank");
}
