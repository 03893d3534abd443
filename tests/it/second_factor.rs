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
    wrong_codes_count_toward_the_lock_out,
    focal_points_and_administrators_reach_nothing_before_their_second_factor,
    a_focal_point_speaks_for_one_state_that_exists
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
        .post(
            "/api/v1/me/second-factor",
            Some(token),
            json!({ "password": PASSWORD }),
        )
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

    // The password is asked again; a wrong one counts toward the lock-out and enrols nothing.
    let wrong_password = api
        .post(
            "/api/v1/me/second-factor",
            Some(&token),
            json!({ "password": "not the password at all" }),
        )
        .await;
    wrong_password.assert_problem(422);
    assert_eq!(wrong_password.error_fields(), ["password"]);
    assert_eq!(t.count("second_factors"), 0);
    assert_eq!(t.count("users WHERE failed_logins = 1"), 1);
    api.post("/api/v1/me/second-factor", Some(&token), json!({}))
        .await
        .assert_problem(422);
    let enrolment = api
        .post(
            "/api/v1/me/second-factor",
            Some(&token),
            json!({ "password": PASSWORD }),
        )
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
    api.post(
        "/api/v1/me/second-factor",
        Some(&token),
        json!({ "password": PASSWORD }),
    )
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

/// A focal point and an administrator, made by an administrator: after their first password
/// they reach only their own account, sign-out and enrolment; a confirmed code opens the rest
/// to the same session, and from then on every sign-in needs a code.
async fn focal_points_and_administrators_reach_nothing_before_their_second_factor(
    backend: Backend,
) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let chief = api.login("chief", PASSWORD).await;
    let first = "a first passphrase to change 41";
    for account in [
        json!({ "username": "focal.sen", "role": "state_focal_point", "state": "SEN" }),
        json!({ "username": "deputy", "role": "admin" }),
    ] {
        let username = account["username"].as_str().unwrap().to_string();
        let mut body = account.clone();
        body["password"] = json!(first);
        body["clearance"] = json!("confidential");
        let created = api.post("/api/v1/users", Some(&chief), body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

        let token = api.login(&username, first).await;
        let session = api.change_password(&token, first, PASSWORD).await;
        assert_eq!(session.body["must_enrol_second_factor"], true, "{username}");
        let token = session.body["token"].as_str().unwrap().to_string();
        let signed_in = api.login_answer(&username, PASSWORD).await;
        assert_eq!(signed_in.body["must_enrol_second_factor"], true);

        for path in ["/api/v1/missions", "/api/v1/users", "/api/v1/incidents"] {
            let refused = api.get(path, Some(&token)).await;
            refused.assert_problem(403);
            assert_eq!(
                refused.body["type"], "/problems/second-factor-enrolment-required",
                "{username} {path}"
            );
        }
        let me = api.get("/api/v1/me", Some(&token)).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        assert_eq!(
            me.body["state"],
            account.get("state").cloned().unwrap_or_default()
        );
        let sessions = api.get("/api/v1/me/sessions", Some(&token)).await;
        assert_eq!(sessions.status, StatusCode::OK);

        let secret = enrolled(&t, &api, &token).await;
        // The same session reaches the rest now.
        let missions = api.get("/api/v1/missions", Some(&token)).await;
        assert_eq!(missions.status, StatusCode::OK, "{}", missions.body);
        let without = api.login_answer(&username, PASSWORD).await;
        assert_eq!(without.body["type"], "/problems/second-factor-required");
        t.clock.advance(TimeDelta::seconds(30));
        let with_code = api
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "username": username, "password": PASSWORD, "code": code_now(&t, &secret) }),
            )
            .await;
        assert_eq!(with_code.status, StatusCode::OK, "{}", with_code.body);
        assert_eq!(with_code.body["must_enrol_second_factor"], false);
        let signed_out = api
            .post("/api/v1/auth/logout", Some(&token), json!({}))
            .await;
        assert_eq!(signed_out.status, StatusCode::NO_CONTENT);
    }
}

/// A focal point's State is required, exists today, and belongs to focal points alone; a
/// refused account is not stored.
async fn a_focal_point_speaks_for_one_state_that_exists(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let chief = api.login("chief", PASSWORD).await;
    let users_before = t.count("users");
    let password = "a first passphrase to change 41";
    for (account, field) in [
        (json!({ "role": "state_focal_point" }), "state"),
        (
            json!({ "role": "state_focal_point", "state": "XXX" }),
            "state",
        ),
        (
            json!({ "role": "state_focal_point", "state": "YUG" }),
            "state",
        ),
        (
            json!({ "role": "state_focal_point", "state": "SEN", "all_missions": true }),
            "all_missions",
        ),
        (
            json!({ "role": "state_focal_point", "state": "SEN", "missions": ["MINUSCA"] }),
            "missions",
        ),
        (
            json!({ "role": "legal_officer", "all_missions": true, "state": "SEN" }),
            "state",
        ),
    ] {
        let mut body = account.clone();
        body["username"] = json!("someone");
        body["password"] = json!(password);
        let refused = api.post("/api/v1/users", Some(&chief), body).await;
        refused.assert_problem(422);
        assert_eq!(refused.error_fields(), [field], "{account}");
    }
    assert_eq!(t.count("users"), users_before);

    // A change keeps the rule: a focal point cannot lose its State, another role cannot get one.
    let focal = t.create_focal_point("focal.mli", "MLI", Clearance::Unclassified);
    let path = format!("/api/v1/users/{focal}");
    let moved = api
        .patch(&path, Some(&chief), json!({ "state": "SEN", "version": 1 }))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["state"], "SEN");
    let unknown = api
        .patch(&path, Some(&chief), json!({ "state": "ZZZ", "version": 2 }))
        .await;
    unknown.assert_problem(422);
    assert_eq!(unknown.error_fields(), ["state"]);
    let to_officer = api
        .patch(
            &path,
            Some(&chief),
            json!({ "role": "legal_officer", "all_missions": true, "version": 2 }),
        )
        .await;
    assert_eq!(to_officer.status, StatusCode::OK, "{}", to_officer.body);
    assert!(
        to_officer.body.get("state").is_none(),
        "{}",
        to_officer.body
    );
    let back = api
        .patch(
            &path,
            Some(&chief),
            json!({ "role": "state_focal_point", "version": 3 }),
        )
        .await;
    back.assert_problem(422);
    assert_eq!(back.error_fields(), ["state"]);

    // A legal officer becoming a focal point leaves its missions: it reads its State's part.
    let officer = t.create_user(
        "legal.mli",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSMA"],
    );
    let became = api
        .patch(
            &format!("/api/v1/users/{officer}"),
            Some(&chief),
            json!({ "role": "state_focal_point", "state": "MLI", "version": 1 }),
        )
        .await;
    assert_eq!(became.status, StatusCode::OK, "{}", became.body);
    assert_eq!(became.body["missions"], json!([]));
    let with_missions = api
        .patch(
            &format!("/api/v1/users/{officer}"),
            Some(&chief),
            json!({ "missions": ["MINUSMA"], "version": 2 }),
        )
        .await;
    with_missions.assert_problem(422);
    assert_eq!(with_missions.error_fields(), ["missions"]);
}
