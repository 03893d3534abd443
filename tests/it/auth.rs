//! Signing in and out, sessions, lock-out and passwords.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chrono::TimeDelta;
use serde_json::json;

use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::AppState;
use peacekeeper_registry::auth::{Actor, RequestMeta, accounts, password, token};
use peacekeeper_registry::config::Settings;
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::error::AppError;
use peacekeeper_registry::recently_read;

on_both_backends!(
    sign_in_gives_a_token_that_works,
    wrong_password_and_unknown_user_look_the_same,
    five_failures_lock_the_account_for_fifteen_minutes,
    lock_out_counts_failures_on_every_server,
    a_changed_role_holds_at_once_and_an_administrators_on_every_server,
    sessions_end_after_idle_time,
    sessions_end_after_absolute_time,
    sign_out_ends_the_session,
    disabling_a_user_ends_their_sessions,
    changing_the_password_ends_every_session,
    a_password_changed_while_a_sign_in_was_checked_refuses_it,
    a_password_change_checked_before_a_change_meanwhile_is_refused,
    password_work_waits_for_its_permit_holding_no_connection,
    short_or_common_passwords_are_refused,
    accounts_made_by_an_admin_change_their_password_first,
    first_start_creates_one_admin_who_must_change_the_password,
    wrong_current_passwords_count_toward_the_lock,
    text_with_a_nul_character_is_refused_alike_on_both_databases,
    every_sign_in_is_a_new_session_listed_and_ended_everywhere_at_once,
    sign_ins_are_throttled_per_account_and_per_address,
    a_proxy_header_is_believed_only_when_configured,
    writes_are_throttled_per_session,
);

async fn sign_in_gives_a_token_that_works(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer.one",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;

    let answer = api.login_answer("Officer.One", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["must_change_password"], false);
    let token = answer.body["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "256 bits, base64url");

    let me = api.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "officer.one");
    assert_eq!(me.body["role"], "security_officer");
    assert_eq!(me.body["missions"], json!(["MINUSCA"]));
    assert!(me.body.get("password_hash").is_none());

    // Only the token's hash is stored.
    let stored = t.count(&format!("sessions WHERE token_hash = '{token}'"));
    assert_eq!(stored, 0);
    assert_eq!(t.count("sessions"), 1);
    assert!(t.audit_actions().contains(&"auth.login".to_string()));

    api.get("/api/v1/me", None).await.assert_problem(401);
    api.get("/api/v1/me", Some("not-a-token"))
        .await
        .assert_problem(401);
}

async fn wrong_password_and_unknown_user_look_the_same(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "legal.one",
        Role::LegalOfficer,
        Clearance::Confidential,
        &[],
    );
    let api = t.api().await;

    let wrong = api
        .login_answer("legal.one", "not the right password at all")
        .await;
    let unknown = api
        .login_answer("nobody.here", "not the right password at all")
        .await;
    wrong.assert_problem(401);
    unknown.assert_problem(401);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(
        wrong.header("www-authenticate"),
        unknown.header("www-authenticate")
    );

    let actions = t.audit_actions();
    assert_eq!(
        actions.iter().filter(|a| *a == "auth.login_failed").count(),
        2
    );
}

async fn five_failures_lock_the_account_for_fifteen_minutes(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer.two",
        Role::SecurityOfficer,
        Clearance::Unclassified,
        &[],
    );
    let api = t.api().await;

    for _ in 0..5 {
        api.login_answer("officer.two", "a wrong guess of a password")
            .await
            .assert_problem(401);
    }
    assert!(t.audit_actions().contains(&"auth.lockout".to_string()));

    // The sixth attempt fails even with the right password, and looks like any failure.
    let locked = api.login_answer("officer.two", PASSWORD).await;
    locked.assert_problem(401);
    let unknown = api.login_answer("nobody.here", PASSWORD).await;
    assert_eq!(locked.body, unknown.body);
    assert!(t.audit_actions().contains(&"auth.login_locked".to_string()));

    t.clock.advance(TimeDelta::minutes(14));
    api.login_answer("officer.two", PASSWORD)
        .await
        .assert_problem(401);
    t.clock.advance(TimeDelta::minutes(1));
    api.login("officer.two", PASSWORD).await;
}

async fn lock_out_counts_failures_on_every_server(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer.three",
        Role::SecurityOfficer,
        Clearance::Unclassified,
        &[],
    );
    let first = t.api().await;
    let second = common::Api::over(t.another_server()).await;

    for _ in 0..3 {
        first
            .login_answer("officer.three", "a wrong guess of a password")
            .await
            .assert_problem(401);
    }
    for _ in 0..2 {
        second
            .login_answer("officer.three", "a wrong guess of a password")
            .await
            .assert_problem(401);
    }
    first
        .login_answer("officer.three", PASSWORD)
        .await
        .assert_problem(401);
    second
        .login_answer("officer.three", PASSWORD)
        .await
        .assert_problem(401);

    // A session started on one server is good on the other, and ends on both: at once on the
    // server that ended it, and on the other as soon as its last check of the session is older
    // than `AT_MOST`.
    t.clock.advance(TimeDelta::minutes(15));
    let token = first.login("officer.three", PASSWORD).await;
    assert_eq!(
        first.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        second.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        second
            .post("/api/v1/auth/logout", Some(&token), json!({}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    second
        .get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401);
    t.clock.advance(recently_read::AT_MOST);
    first
        .get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401);
}

async fn sessions_end_after_idle_time(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("lead.one", Role::Leadership, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let token = api.login("lead.one", PASSWORD).await;

    // Activity keeps the session open...
    for _ in 0..3 {
        t.clock.advance(TimeDelta::minutes(20));
        assert_eq!(
            api.get("/api/v1/me", Some(&token)).await.status,
            StatusCode::OK
        );
    }
    // ...30 minutes of silence end it.
    t.clock.advance(TimeDelta::minutes(30));
    api.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401);
}

async fn sessions_end_after_absolute_time(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("lead.two", Role::Leadership, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let token = api.login("lead.two", PASSWORD).await;

    // Busy all day: a request every 25 minutes for 11 h 40 min.
    for _ in 0..28 {
        t.clock.advance(TimeDelta::minutes(25));
        assert_eq!(
            api.get("/api/v1/me", Some(&token)).await.status,
            StatusCode::OK
        );
    }
    t.clock.advance(TimeDelta::minutes(20));
    api.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401);
}

async fn sign_out_ends_the_session(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("auditor.one", Role::Auditor, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let token = api.login("auditor.one", PASSWORD).await;
    let other = api.login("auditor.one", PASSWORD).await;

    let answer = api
        .post("/api/v1/auth/logout", Some(&token), json!({}))
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    api.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401);
    api.post("/api/v1/auth/logout", Some(&token), json!({}))
        .await
        .assert_problem(401);
    // Only that session ended.
    assert_eq!(
        api.get("/api/v1/me", Some(&other)).await.status,
        StatusCode::OK
    );
    assert!(t.audit_actions().contains(&"auth.logout".to_string()));
}

async fn disabling_a_user_ends_their_sessions(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let officer_id = t.create_user(
        "officer.four",
        Role::SecurityOfficer,
        Clearance::Unclassified,
        &[],
    );
    let api = t.api().await;
    let admin = api.login("chief", PASSWORD).await;
    let token = api.login("officer.four", PASSWORD).await;
    // The session is checked once before, so the server has it in mind.
    assert_eq!(
        api.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::OK
    );

    let answer = api
        .patch(
            &format!("/api/v1/users/{officer_id}"),
            Some(&admin),
            json!({ "disabled": true, "version": 1 }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["disabled"], true);

    api.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401);
    api.login_answer("officer.four", PASSWORD)
        .await
        .assert_problem(401);

    // Enabling again lets them sign in anew; the old token stays dead.
    let answer = api
        .patch(
            &format!("/api/v1/users/{officer_id}"),
            Some(&admin),
            json!({ "disabled": false, "version": 2 }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    api.login("officer.four", PASSWORD).await;
    api.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401);
}

async fn changing_the_password_ends_every_session(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "legal.two",
        Role::LegalOfficer,
        Clearance::Confidential,
        &[],
    );
    let api = t.api().await;
    let token = api.login("legal.two", PASSWORD).await;
    let elsewhere = api.login("legal.two", PASSWORD).await;
    let new_password = "tangerine cobalt harbour sleeps 91";
    assert_eq!(
        api.get("/api/v1/me", Some(&elsewhere)).await.status,
        StatusCode::OK
    );

    let answer = api.change_password(&token, PASSWORD, new_password).await;
    let fresh = answer.body["token"].as_str().unwrap().to_string();

    api.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401);
    api.get("/api/v1/me", Some(&elsewhere))
        .await
        .assert_problem(401);
    assert_eq!(
        api.get("/api/v1/me", Some(&fresh)).await.status,
        StatusCode::OK
    );
    api.login_answer("legal.two", PASSWORD)
        .await
        .assert_problem(401);
    api.login("legal.two", new_password).await;
    assert!(
        t.audit_actions()
            .contains(&"user.password_change".to_string())
    );
}

/// A sign-in checks the password holding no connection, then records the attempt: a password
/// changed in between refuses it, though the old one matched when it was checked.
async fn a_password_changed_while_a_sign_in_was_checked_refuses_it(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "legal.two",
        Role::LegalOfficer,
        Clearance::Confidential,
        &[],
    );
    let account = accounts::find_account(&mut t.conn(), "legal.two").unwrap();
    assert!(accounts::check_password(account.as_ref(), PASSWORD));

    let api = t.api().await;
    let token = api.login("legal.two", PASSWORD).await;
    api.change_password(&token, PASSWORD, "tangerine cobalt harbour sleeps 91")
        .await;

    let finished = accounts::finish_sign_in(
        &mut t.conn(),
        &t.settings(),
        t.now(),
        &RequestMeta::default(),
        "legal.two",
        account,
        true,
        None,
    );
    assert!(matches!(finished, Err(AppError::Unauthorized)));
    assert_eq!(
        t.audit_actions().last().map(String::as_str),
        Some("auth.login_failed")
    );
}

/// A password change is written a while after its request was authenticated and its current
/// password checked. Meanwhile the session may have ended (another change ends every session)
/// or the password been set otherwise: either way nothing is changed, and nothing counted
/// against the user, whose password was right when checked.
async fn a_password_change_checked_before_a_change_meanwhile_is_refused(backend: Backend) {
    let t = TestApp::new(backend);
    let id = t.create_user(
        "legal.two",
        Role::LegalOfficer,
        Clearance::Confidential,
        &[],
    );
    let api = t.api().await;
    let changer = |token: &str| Actor {
        id: id.clone(),
        username: "legal.two".to_string(),
        role: Role::LegalOfficer,
        clearance: Clearance::Confidential,
        missions: vec![],
        all_missions: true,
        must_change_password: false,
        must_enrol_second_factor: false,
        state: None,
        token_hash: token::hash_token(token),
        request: RequestMeta::default(),
    };
    let checked = |user: &Actor, current: &str| {
        let stored = accounts::account_for_password_change(&mut t.conn(), user, t.now()).unwrap();
        let check =
            accounts::check_password_change(&stored, current, "velvet lantern orbit quietly 52")
                .unwrap();
        assert!(matches!(check, accounts::PasswordChangeCheck::Ready { .. }));
        check
    };
    let finish = |user: &Actor, check| {
        accounts::finish_password_change(&mut t.conn(), &t.settings(), user, check, t.now())
    };

    // Another change ended every session, this one's too.
    let first = changer(&api.login("legal.two", PASSWORD).await);
    let check = checked(&first, PASSWORD);
    let other = api.login("legal.two", PASSWORD).await;
    api.change_password(&other, PASSWORD, "tangerine cobalt harbour sleeps 91")
        .await;
    assert!(matches!(finish(&first, check), Err(AppError::Unauthorized)));

    // The password set meanwhile by other means, the session still open.
    let second = changer(
        &api.login("legal.two", "tangerine cobalt harbour sleeps 91")
            .await,
    );
    let check = checked(&second, "tangerine cobalt harbour sleeps 91");
    let set_otherwise = password::hash("a password set by other means 77").unwrap();
    t.execute_sql(&format!(
        "UPDATE users SET password_hash = '{set_otherwise}' WHERE id = '{id}'"
    ))
    .unwrap();
    assert!(matches!(finish(&second, check), Err(AppError::Conflict(_))));
    assert!(
        !t.audit_actions()
            .contains(&"user.password_change_failed".to_string()),
        "nothing counted"
    );
    api.login_answer("legal.two", "velvet lantern orbit quietly 52")
        .await
        .assert_problem(401);
}

/// Changing a password and creating an account each run Argon2. They wait for a password permit
/// like sign-ins, and hold no database connection meanwhile: a one-connection server answers
/// other requests while every password permit is taken.
async fn password_work_waits_for_its_permit_holding_no_connection(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    t.create_user(
        "legal.one",
        Role::LegalOfficer,
        Clearance::Confidential,
        &[],
    );
    let wait = std::time::Duration::from_secs(2);
    let settings = Settings {
        database_timeout_seconds: 2,
        ..t.settings()
    };
    let pool = peacekeeper_registry::db::connect(&t.db.url, 1, wait).expect("connect");
    let state = AppState::new(pool, settings, t.clock.clone());
    let api = common::Api::over(state.clone()).await;
    let admin = api.login("chief", PASSWORD).await;
    let legal = api.login("legal.one", PASSWORD).await;
    let count_users = || t.count("users");
    let users_before = count_users();
    let stored_hash = || {
        accounts::find_account(&mut t.conn(), "legal.one")
            .unwrap()
            .unwrap()
            .password_hash
    };
    let hash_before = stored_hash();

    // Every password permit is taken.
    let permits = state.password_checks.available_permits() as u32;
    let all_permits = state
        .password_checks
        .acquire_many(permits)
        .await
        .expect("the password permits");
    let password_work = async {
        futures_util::join!(
            api.change_password_answer(&legal, PASSWORD, "tangerine cobalt harbour sleeps 91"),
            api.post(
                "/api/v1/users",
                Some(&admin),
                json!({ "username": "legal.new", "password": "marble whistle canyon drift 38", "role": "legal_officer", "all_missions": true }),
            )
        )
    };
    let meanwhile = async {
        // Until both wait for a permit: work done without one would be written by then.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while state.metrics.password_checks_waiting() < 2 {
            assert!(std::time::Instant::now() < deadline, "both reach the queue");
            actix_web::rt::task::yield_now().await;
        }
        let answer = api.get("/api/v1/me", Some(&admin)).await;
        // Both wait for a permit: nothing is written yet.
        assert_eq!(count_users(), users_before, "no account created yet");
        assert_eq!(stored_hash(), hash_before, "no password changed yet");
        drop(all_permits);
        answer
    };
    let ((changed, created), meanwhile) = futures_util::join!(password_work, meanwhile);

    assert_eq!(meanwhile.status, StatusCode::OK, "{}", meanwhile.body);
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(count_users(), users_before + 1);
    api.login("legal.one", "tangerine cobalt harbour sleeps 91")
        .await;
}

async fn short_or_common_passwords_are_refused(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let token = api.login("chief", PASSWORD).await;

    for weak in [
        "Sh0rt!pass",
        "passwordpassword",
        "123456789012345",
        "chiefchiefchief1",
    ] {
        let answer = api.change_password_answer(&token, PASSWORD, weak).await;
        answer.assert_problem(422);
        assert_eq!(
            answer.error_fields(),
            vec!["new"],
            "{weak}: {}",
            answer.body
        );

        let answer = api
            .post(
                "/api/v1/users",
                Some(&token),
                json!({ "username": "new.user", "password": weak, "role": "auditor" }),
            )
            .await;
        answer.assert_problem(422);
        assert_eq!(
            answer.error_fields(),
            vec!["password"],
            "{weak}: {}",
            answer.body
        );
    }
    let wrong_current = api
        .change_password_answer(
            &token,
            "not my password at all",
            "tangerine cobalt harbour sleeps 91",
        )
        .await;
    wrong_current.assert_problem(422);
    assert_eq!(wrong_current.error_fields(), vec!["current"]);

    // Nothing changed: the old password still works, no user was created.
    api.login("chief", PASSWORD).await;
    assert_eq!(t.count("users"), 1);
}

async fn accounts_made_by_an_admin_change_their_password_first(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let admin = api.login("chief", PASSWORD).await;
    let first_password = "marble whistle canyon drift 38";

    let created = api
        .post(
            "/api/v1/users",
            Some(&admin),
            json!({ "username": "officer.new", "password": first_password, "role": "security_officer", "missions": ["UNMISS"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["must_change_password"], true);

    let answer = api.login_answer("officer.new", first_password).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["must_change_password"], true);
    let token = answer.body["token"].as_str().unwrap().to_string();

    // Until the change, only the account itself and the password change are open.
    let blocked = api.get("/api/v1/missions", Some(&token)).await;
    blocked.assert_problem(403);
    assert_eq!(blocked.body["type"], "/problems/password-change-required");
    assert_eq!(
        api.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::OK
    );

    let changed = api
        .change_password(&token, first_password, "tangerine cobalt harbour sleeps 91")
        .await;
    assert_eq!(changed.body["must_change_password"], false);
    let token = changed.body["token"].as_str().unwrap();
    assert_eq!(
        api.get("/api/v1/missions", Some(token)).await.status,
        StatusCode::OK
    );
}

async fn first_start_creates_one_admin_who_must_change_the_password(backend: Backend) {
    let t = TestApp::new(backend);
    let password = {
        let mut conn = t.conn();
        let password = accounts::create_first_admin(&mut conn, t.now())
            .unwrap()
            .expect("created");
        assert_eq!(
            accounts::create_first_admin(&mut conn, t.now()).unwrap(),
            None
        );
        password
    };
    assert_eq!(password.chars().count(), 20);
    assert_eq!(t.count("users"), 1);

    let api = t.api().await;
    let answer = api.login_answer("admin", &password).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["must_change_password"], true);
    let token = answer.body["token"].as_str().unwrap();
    api.get("/api/v1/users", Some(token))
        .await
        .assert_problem(403);
}

async fn wrong_current_passwords_count_toward_the_lock(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "legal.three",
        Role::LegalOfficer,
        Clearance::Confidential,
        &[],
    );
    let api = t.api().await;
    let token = api.login("legal.three", PASSWORD).await;

    for _ in 0..5 {
        let answer = api
            .change_password_answer(
                &token,
                "a wrong guess of a password",
                "tangerine cobalt harbour sleeps 91",
            )
            .await;
        answer.assert_problem(422);
    }
    // Locked: neither sign-in nor more guessing through the token.
    api.login_answer("legal.three", PASSWORD)
        .await
        .assert_problem(401);
    api.change_password_answer(&token, PASSWORD, "tangerine cobalt harbour sleeps 91")
        .await
        .assert_problem(403);
    assert!(t.audit_actions().contains(&"auth.lockout".to_string()));
    assert_eq!(
        t.audit_actions().last().map(String::as_str),
        Some("user.password_change_locked"),
        "the try on a locked account is recorded"
    );
}

async fn text_with_a_nul_character_is_refused_alike_on_both_databases(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let answer = api.login_answer("chief\u{0}", PASSWORD).await;
    answer.assert_problem(422);
    assert_eq!(answer.error_fields(), vec!["username"]);

    let token = api.login("chief", PASSWORD).await;
    let answer = api
        .post(
            "/api/v1/missions",
            Some(&token),
            json!({ "code": "UNNUL", "name": "A name with a \u{0} in it" }),
        )
        .await;
    answer.assert_problem(422);
    assert_eq!(answer.error_fields(), vec!["name"]);
    let answer = api.get("/api/v1/users?limit=5", Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK);
}

async fn every_sign_in_is_a_new_session_listed_and_ended_everywhere_at_once(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("legal.x", Role::LegalOfficer, Clearance::Confidential, &[]);
    t.create_user("legal.y", Role::LegalOfficer, Clearance::Confidential, &[]);
    let api = t.api().await;
    let laptop = api.login("legal.x", PASSWORD).await;
    t.clock.advance(TimeDelta::minutes(1));
    let phone = api.login("legal.x", PASSWORD).await;
    assert_ne!(laptop, phone, "a new token at every sign-in");

    // Both sessions are listed, newest first, the asking one marked; no token is shown.
    let listed = api.get("/api/v1/me/sessions", Some(&phone)).await;
    assert_eq!(listed.status, StatusCode::OK);
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", listed.body);
    assert_eq!(items[0]["current"], true);
    assert_eq!(items[1]["current"], false);
    let text = listed.body.to_string();
    assert!(!text.contains(&laptop) && !text.contains(&phone));
    // An idle session is not active any more.
    t.clock.advance(TimeDelta::minutes(20));
    api.get("/api/v1/me", Some(&phone)).await;
    t.clock.advance(TimeDelta::minutes(15));
    let listed = api.get("/api/v1/me/sessions", Some(&phone)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

    // Signing out everywhere ends every session of that user, and only theirs.
    let laptop_again = api.login("legal.x", PASSWORD).await;
    let someone_else = api.login("legal.y", PASSWORD).await;
    let ended = api
        .post("/api/v1/auth/logout-all", Some(&phone), json!({}))
        .await;
    assert_eq!(ended.status, StatusCode::OK);
    // Every session not yet ended is revoked, the idle laptop's included.
    assert_eq!(ended.body["sessions_ended"], 3);
    for token in [&phone, &laptop_again] {
        api.get("/api/v1/me", Some(token)).await.assert_problem(401);
    }
    assert_eq!(
        api.get("/api/v1/me", Some(&someone_else)).await.status,
        StatusCode::OK
    );
    assert!(t.audit_actions().contains(&"auth.logout_all".to_string()));
}

/// A sign-in from `address` (as the connection's peer), with extra headers.
fn sign_in_from(address: &str, username: &str, headers: &[(&str, &str)]) -> TestRequest {
    headers.iter().fold(
        TestRequest::post()
            .uri("/api/v1/auth/login")
            .peer_addr(format!("{address}:40000").parse().unwrap())
            .set_json(json!({ "username": username, "password": "not the password at all" })),
        |request, header| request.insert_header(*header),
    )
}

async fn sign_ins_are_throttled_per_account_and_per_address(backend: Backend) {
    let mut t = TestApp::new(backend);
    // Low limits, so that no allowance comes back while the test signs in (one every 12 s or
    // more): with the defaults one came back every 2 s, within the time 30 password checks take
    // on a busy machine.
    let settings = Settings {
        sign_in_per_minute_per_account: 3,
        sign_in_per_minute_per_address: 5,
        ..t.settings()
    };
    t.state = AppState::new(t.pool.clone(), settings, t.clock.clone());
    t.create_user("target", Role::Admin, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let per_account = t.settings().sign_in_per_minute_per_account;
    let per_address = t.settings().sign_in_per_minute_per_address;
    assert!(per_account > 0 && per_address > per_account);

    // One account, guessed at from ever new addresses: the account's limit holds.
    for n in 0..per_account {
        let answer = api
            .send(sign_in_from(&format!("10.1.0.{n}"), "target", &[]))
            .await;
        assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS, "attempt {n}");
    }
    let refused = api.send(sign_in_from("10.1.1.1", "target", &[])).await;
    refused.assert_problem(429);
    let wait: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(refused.body["type"], "/problems/too-many-requests");

    // One address trying ever new accounts: the address's limit holds, others are served.
    for n in 0..per_address {
        let answer = api
            .send(sign_in_from("10.2.0.1", &format!("user{n}"), &[]))
            .await;
        assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS, "attempt {n}");
    }
    api.send(sign_in_from("10.2.0.1", "someone.else", &[]))
        .await
        .assert_problem(429);
    api.send(sign_in_from("10.2.0.2", "someone.else", &[]))
        .await
        .assert_problem(401);
}

async fn a_proxy_header_is_believed_only_when_configured(backend: Backend) {
    let t = TestApp::new(backend);
    let per_address = t.settings().sign_in_per_minute_per_address;
    // Not configured: a client writing the header itself changes nothing.
    let api = t.api().await;
    for n in 0..per_address {
        let spoofed = format!("192.0.2.{n}");
        api.send(sign_in_from(
            "10.3.0.1",
            &format!("u{n}"),
            &[("X-Forwarded-For", &spoofed)],
        ))
        .await
        .assert_problem(401);
    }
    api.send(sign_in_from(
        "10.3.0.1",
        "u-last",
        &[("X-Forwarded-For", "192.0.2.200")],
    ))
    .await
    .assert_problem(429);
    // The allowance comes back with the registry's clock, however slowly the attempts ran.
    t.clock.advance(chrono::TimeDelta::seconds(60));
    api.send(sign_in_from("10.3.0.1", "u-again", &[]))
        .await
        .assert_problem(401);

    // Behind a configured proxy (one connection address for everyone), the header tells
    // clients apart, and the audit trail records the client's address.
    let settings = peacekeeper_registry::config::Settings {
        trusted_proxy_header: "X-Forwarded-For".to_string(),
        ..t.settings()
    };
    let behind_proxy =
        peacekeeper_registry::AppState::new(t.pool.clone(), settings, t.clock.clone());
    let proxied = common::Api::over(behind_proxy).await;
    for n in 0..per_address + 5 {
        // The client wrote the first address itself; the proxy appended the last.
        let client = format!("203.0.113.7, 198.51.100.{n}");
        proxied
            .send(sign_in_from(
                "10.9.9.9",
                &format!("p{n}"),
                &[("X-Forwarded-For", &client)],
            ))
            .await
            .assert_problem(401);
    }
    // The proxy's entry is not an address: the connection's stands, not the client's words.
    proxied
        .send(sign_in_from(
            "10.9.9.9",
            "q-last",
            &[("X-Forwarded-For", "198.51.100.77, unknown")],
        ))
        .await
        .assert_problem(401);
    let mut kept = t.conn();
    let conn: &mut peacekeeper_registry::db::DbConnection = &mut kept;
    let recorded: Vec<Option<String>> = {
        use diesel::prelude::*;
        use peacekeeper_registry::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq("auth.login_failed"))
            .select(audit_log::client_addr)
            .load(conn)
            .unwrap()
    };
    let seen = |address: &str| recorded.contains(&Some(address.to_string()));
    assert!(seen("198.51.100.3") && seen("10.9.9.9"), "{recorded:?}");
    assert!(
        !seen("203.0.113.7") && !seen("198.51.100.77"),
        "{recorded:?}"
    );
}

async fn writes_are_throttled_per_session(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::Unclassified,
        &["MINUSCA"],
    );
    let settings = peacekeeper_registry::config::Settings {
        writes_per_minute_per_token: 3,
        ..t.settings()
    };
    let state = peacekeeper_registry::AppState::new(t.pool.clone(), settings, t.clock.clone());
    let api = common::Api::over(state).await;
    let token = api.login("officer", PASSWORD).await;
    let other = api.login("officer", PASSWORD).await;
    for _ in 0..3 {
        api.post(
            "/api/v1/incidents",
            Some(&token),
            json!({ "summary": "incomplete" }),
        )
        .await
        .assert_problem(422);
    }
    let refused = api
        .post(
            "/api/v1/incidents",
            Some(&token),
            json!({ "summary": "incomplete" }),
        )
        .await;
    refused.assert_problem(429);
    assert!(refused.header("retry-after").is_some());
    // Reads go on; another session has its own count.
    assert_eq!(
        api.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::OK
    );
    api.post(
        "/api/v1/incidents",
        Some(&other),
        json!({ "summary": "incomplete" }),
    )
    .await
    .assert_problem(422);
    assert_eq!(t.count("incidents"), 0);
}

async fn a_changed_role_holds_at_once_and_an_administrators_on_every_server(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let deputy_id = t.create_user("deputy", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let officer_id = t.create_user(
        "officer.five",
        Role::SecurityOfficer,
        Clearance::Unclassified,
        &[],
    );
    let first = t.api().await;
    let second = common::Api::over(t.another_server()).await;
    let chief = first.login("chief", PASSWORD).await;
    let deputy = first.login("deputy", PASSWORD).await;
    let officer = first.login("officer.five", PASSWORD).await;
    first
        .get("/api/v1/audit", Some(&officer))
        .await
        .assert_problem(403);

    // On the server that made it, a new role holds from the next request.
    let answer = first
        .patch(
            &format!("/api/v1/users/{officer_id}"),
            Some(&chief),
            json!({ "role": "auditor", "version": 1 }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        first.get("/api/v1/audit", Some(&officer)).await.status,
        StatusCode::OK
    );

    // An administrator demoted through another server loses the powers here at once.
    assert_eq!(
        first.get("/api/v1/users", Some(&deputy)).await.status,
        StatusCode::OK
    );
    let answer = second
        .patch(
            &format!("/api/v1/users/{deputy_id}"),
            Some(&chief),
            json!({ "role": "auditor", "version": 1 }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    first
        .get("/api/v1/users", Some(&deputy))
        .await
        .assert_problem(403);
}
