//! The exchange of Member States in a real browser, in English and in French: Mali's focal
//! point proposes "arrests made" and the warrant on the case before its courts; the mission's
//! legal officer accepts both from the queue; Senegal's focal point sees the case move and its
//! own national, and nothing of the Chadian's but counts. In French, no English word of the
//! pages may remain.

use crate::browser::{Browser, english_only_words, start_driver};
use crate::common;

use actix_web::HttpServer;
use actix_web::http::StatusCode;
use serde_json::json;

use common::{Backend, PASSWORD, TestApp, fixture_code_at};
use peacekeeper_registry::app;
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::web::i18n::Lang;
use peacekeeper_registry::web::labels::label;

on_both_backends!(the_exchange_in_english, the_exchange_in_french);

async fn the_exchange_in_english(backend: Backend) {
    exchange(backend, "en").await;
}

async fn the_exchange_in_french(backend: Backend) {
    exchange(backend, "fr").await;
}

/// A code of the fixtures' second factor at the server's time.
fn code_now(t: &TestApp) -> String {
    fixture_code_at(t.now().and_utc().timestamp())
}

async fn exchange(backend: Backend, lang: &'static str) {
    let Some(driver) = start_driver() else {
        return;
    };
    let t = TestApp::new(backend);
    t.execute_sql("UPDATE missions SET active = TRUE WHERE code = 'MINUSMA'")
        .expect("reopen the mission");
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSMA"],
    );
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSMA"],
    );
    t.create_focal_point("focal.mli", "MLI", Clearance::Confidential);
    t.create_focal_point("focal.sen", "SEN", Clearance::Confidential);
    // The attack and the case, as the mission recorded them.
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal_token = api.login("legal", PASSWORD).await;
    let attack = api
        .post(
            "/api/v1/incidents",
            Some(&officer),
            json!({
                "mission": "MINUSMA", "occurred_at": "2023-02-10T06:30:00Z",
                "place_name": "Tessalit crossroads", "admin1": "Kidal", "admin2": "Tessalit",
                "location_type": "convoy", "attack_type": "ied",
                "victims": [
                    { "personnel_type": "military", "nationality": "SEN", "gender": "male", "outcome": "killed",
                      "name": "Moussa Diop", "unit": "SENBATT-2" },
                    { "personnel_type": "military", "nationality": "TCD", "gender": "male", "outcome": "killed",
                      "name": "Idriss Mahamat", "unit": "TCDBATT-1" }
                ],
                "summary": "Convoy struck near Tessalit", "classification": "confidential", "submit": true
            }),
        )
        .await;
    assert_eq!(attack.status, StatusCode::CREATED, "{}", attack.body);
    let attack_id = attack.id();
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal_token),
            json!({ "incident_ids": [attack_id], "jurisdiction": "MLI", "opened_on": "2023-03-01" }),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
    let case_id = case.id();
    let reference = case.body["reference"].as_str().unwrap().to_string();

    let state = t.state.clone();
    let server = HttpServer::new(move || app(state.clone()))
        .workers(2)
        .bind(("127.0.0.1", 0))
        .expect("the server binds");
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let label_of = match backend {
        Backend::Sqlite => "exchange-sqlite",
        Backend::Postgres => "exchange-postgres",
    };
    let browser = Browser::open(&driver, format!("http://{address}"), lang, label_of.into()).await;
    let english = english_only_words();
    let words = Lang::from_code(lang).expect("a built-in language");
    let typed = |en: &'static str, fr: &'static str| if lang == "fr" { fr } else { en };
    let note = typed(
        "Two suspects arrested in Gao",
        "Deux suspects arrêtés à Gao",
    );
    let warrant = typed("Arrest warrant", "Mandat d'arrêt");

    // Mali's focal point finds the case on its home page and proposes the arrests, then the
    // warrant.
    browser.sign_in_with_code("focal.mli", &code_now(&t)).await;
    browser.assert_no_english(&english).await;
    assert!(browser.text().await.contains(&reference));
    browser
        .click(&format!("a[href=\"/state/cases/{case_id}\"]"))
        .await;
    browser.unfold().await;
    browser.assert_no_english(&english).await;
    browser.choose("to", "arrests_made").await;
    browser.set("effective_on", "2023-06-12").await;
    browser.fill("note", note).await;
    browser.click("form[action$=\"/proposals\"] button").await;
    assert!(browser.text().await.contains(note));
    browser.unfold().await;
    let file = std::env::temp_dir().join(format!("warrant-{label_of}-{lang}.txt"));
    std::fs::write(&file, "Mandat d'arret contre X").expect("a file to upload");
    browser.fill("title", warrant).await;
    browser.choose("kind", "warrant").await;
    browser.attach("file", &file).await;
    browser
        .click("form[action$=\"/proposals/document\"] button")
        .await;
    let page = browser.text().await;
    assert!(page.contains(warrant), "{page}");
    assert!(page.contains(words.texts().proposal_pending));
    browser.assert_no_english(&english).await;
    browser.screenshot("state-case").await;
    browser.assert_light_and_fits_a_phone().await;
    browser.sign_out().await;

    // The mission's legal officer accepts both from the queue.
    browser.sign_in("legal").await;
    browser.goto("/proposals").await;
    browser.assert_no_english(&english).await;
    browser.screenshot("proposals").await;
    assert!(browser.text().await.contains(note));
    browser.click("form[action$=\"/accept\"] button").await;
    assert_eq!(browser.path().await, format!("/cases/{case_id}"));
    let page = browser.text().await;
    assert!(
        page.contains("focal.mli"),
        "the step says who reported it: {page}"
    );
    browser.assert_no_english(&english).await;
    browser.goto("/proposals").await;
    browser.click("form[action$=\"/accept\"] button").await;
    browser.goto("/proposals").await;
    assert!(browser.text().await.contains(words.texts().no_proposals));
    browser.sign_out().await;
    // ...and shares the warrant with Mali.
    let case = api
        .get(&format!("/api/v1/cases/{case_id}"), Some(&legal_token))
        .await;
    let shared = api
        .patch(
            case.body["documents"][0]["download"].as_str().unwrap(),
            Some(&legal_token),
            json!({ "shared_with": ["MLI"], "version": 1 }),
        )
        .await;
    assert_eq!(shared.status, StatusCode::OK, "{}", shared.body);

    // Senegal sees the case move, its national by name, the Chadian only as a count.
    browser.sign_in_with_code("focal.sen", &code_now(&t)).await;
    browser
        .click(&format!("a[href=\"/state/cases/{case_id}\"]"))
        .await;
    let page = browser.text().await;
    assert!(page.contains(&label(words, "arrests_made")), "{page}");
    assert!(!page.contains(warrant), "not shared with Senegal");
    browser.assert_no_english(&english).await;
    browser.goto(&format!("/state/incidents/{attack_id}")).await;
    let page = browser.text().await;
    assert!(page.contains("Moussa Diop"));
    for withheld in ["Idriss Mahamat", "Tessalit crossroads"] {
        assert!(!page.contains(withheld), "{withheld} reached Senegal");
    }
    browser.assert_no_english(&english).await;
    browser.screenshot("state-incident").await;
    browser.sign_out().await;

    // Mali now finds the warrant on the case.
    t.clock.advance(chrono::TimeDelta::seconds(30));
    browser.sign_in_with_code("focal.mli", &code_now(&t)).await;
    browser.goto(&format!("/state/cases/{case_id}")).await;
    assert!(browser.text().await.contains(warrant));
    browser.close().await;
    handle.stop(true).await;
}
