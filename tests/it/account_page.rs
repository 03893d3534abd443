//! One's own account on a page: the language, the open sessions, the second factor, and the
//! calendar feed, whose address is shown once and stops answering when revoked.

use crate::common;
use crate::web::{CSRF, get, html, post};

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(the_account_page_makes_and_stops_a_calendar_feed);

async fn the_account_page_makes_and_stops_a_calendar_feed(backend: Backend) {
    let t = TestApp::new(backend)
        .with_settings(|s| s.public_url = "https://registry.example.org".into());
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let token = api.login("legal", PASSWORD).await;
    let cookies = [("pkr_session", token.as_str()), ("pkr_csrf", CSRF)];

    let page = html(&api.send(get("/account", &cookies)).await);
    assert!(
        page.contains("Your account") && page.contains("Open sessions"),
        "{page}"
    );
    assert!(page.contains("this session"), "{page}");
    assert!(page.contains("Make a calendar address"), "{page}");

    let made = api
        .send(post("/account/calendar", &cookies, &[("csrf", CSRF)]))
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let made = html(&made);
    let start = made
        .find("value=\"https://registry.example.org/api/v1/calendar/")
        .expect("the address, once")
        + 7;
    let url = &made[start..start + made[start..].find('"').unwrap()];
    let path = url
        .trim_start_matches("https://registry.example.org")
        .to_string();
    assert_eq!(
        api.send(TestRequest::get().uri(&path)).await.status,
        StatusCode::OK
    );
    // Shown once: the page read again does not show it.
    let again = html(&api.send(get("/account", &cookies)).await);
    assert!(
        !again.contains(url) && again.contains("Stop the calendar address"),
        "{again}"
    );
    // Without its token, the form changes nothing.
    let forged = api
        .send(post("/account/calendar/revoke", &cookies, &[]))
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);
    assert_eq!(
        api.send(TestRequest::get().uri(&path)).await.status,
        StatusCode::OK
    );
    let stopped = api
        .send(post(
            "/account/calendar/revoke",
            &cookies,
            &[("csrf", CSRF)],
        ))
        .await;
    assert_eq!(stopped.status, StatusCode::SEE_OTHER);
    api.send(TestRequest::get().uri(&path))
        .await
        .assert_problem(404);

    // In French too.
    let french = api
        .send(get("/account", &cookies).insert_header(("Accept-Language", "fr")))
        .await;
    assert!(html(&french).contains("Échéances dans votre agenda"));
    // Without the setting, the page says feeds are not offered here.
    let bare = TestApp::new(backend);
    bare.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = bare.api().await;
    let token = api.login("legal", PASSWORD).await;
    let page = html(
        &api.send(get("/account", &[("pkr_session", token.as_str())]))
            .await,
    );
    assert!(page.contains("offers no calendar feeds"), "{page}");
}
