//! Assistance on the pages: recorded with a form that names what is wrong, corrected at the
//! version read, its history shown; the host State's focal point reads its State's records.

use crate::common;
use crate::web::{CSRF, get, html, post};

use actix_web::http::StatusCode;

use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(assistance_is_recorded_and_corrected_on_its_pages);

async fn assistance_is_recorded_and_corrected_on_its_pages(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    t.create_focal_point("focal.caf", "CAF", Clearance::Confidential);
    t.create_focal_point("focal.fra", "FRA", Clearance::Confidential);
    let api = t.api().await;
    let session = |token: &str| {
        [
            ("pkr_session", token.to_string()),
            ("pkr_csrf", CSRF.to_string()),
        ]
    };
    let legal = session(&api.login("legal", PASSWORD).await);
    let legal: Vec<(&str, &str)> = legal.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let empty = html(&api.send(get("/assistance", &legal)).await);
    assert!(
        empty.contains("No assistance recorded.") && empty.contains("Record assistance"),
        "{empty}"
    );
    let refused = api
        .send(post(
            "/assistance",
            &legal,
            &[
                ("csrf", CSRF),
                ("type", "training"),
                ("mission", "MINUSCA"),
                ("from", "2025-03-01"),
                ("to", "2025-02-01"),
            ],
        ))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(&refused);
    assert!(
        page.contains("id=\"state-error\"")
            && page.contains("id=\"to-error\"")
            && page.contains("id=\"provider-error\""),
        "{page}"
    );
    assert_eq!(t.count("assistance"), 0);
    let made = api
        .send(post(
            "/assistance",
            &legal,
            &[
                ("csrf", CSRF),
                ("type", "training"),
                ("state", "CAF"),
                ("mission", "MINUSCA"),
                ("from", "2025-03-01"),
                ("to", "2025-03-10"),
                ("provider", "UNPOL"),
                ("description", "Crime-scene training"),
            ],
        ))
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    let record = made
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_string();
    let page = html(&api.send(get(&record, &legal)).await);
    assert!(
        page.contains("Crime-scene training") && page.contains("2025-03-01 – 2025-03-10"),
        "{page}"
    );

    // Corrected at the version read; a bad value keeps what was typed and changes nothing.
    let bad = api
        .send(post(
            &record,
            &legal,
            &[
                ("csrf", CSRF),
                ("version", "1"),
                ("type", "training"),
                ("state", "CAF"),
                ("from", "2025-03-01"),
                ("to", "2025-01-01"),
                ("provider", "UNPOL"),
            ],
        ))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&bad).contains("value=\"2025-01-01\""));
    let corrected = api
        .send(post(
            &record,
            &legal,
            &[
                ("csrf", CSRF),
                ("version", "1"),
                ("type", "training"),
                ("state", "CAF"),
                ("from", "2025-03-01"),
                ("to", "2025-03-12"),
                ("provider", "UNPOL"),
            ],
        ))
        .await;
    assert_eq!(corrected.status, StatusCode::SEE_OTHER);
    let page = html(&api.send(get(&record, &legal)).await);
    assert!(
        page.contains("2025-03-01 – 2025-03-12") && !page.contains("Crime-scene training"),
        "{page}"
    );
    assert!(
        page.contains("<td>2</td>") && page.contains("description, to"),
        "{page}"
    );
    let stale = api
        .send(post(
            &record,
            &legal,
            &[
                ("csrf", CSRF),
                ("version", "1"),
                ("type", "training"),
                ("state", "CAF"),
                ("from", "2025-03-01"),
                ("provider", "Other"),
            ],
        ))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", html(&stale));

    // The mission's officer reads it without a form; the host State's focal point reads it,
    // another State does not.
    let officer = session(&api.login("officer", PASSWORD).await);
    let officer: Vec<(&str, &str)> = officer.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let list = html(&api.send(get("/assistance", &officer)).await);
    assert!(
        list.contains("training") && !list.contains("Record assistance"),
        "{list}"
    );
    let caf = session(&api.login("focal.caf", PASSWORD).await);
    let caf: Vec<(&str, &str)> = caf.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(html(&api.send(get("/assistance", &caf)).await).contains("UNPOL"));
    let fra = session(&api.login("focal.fra", PASSWORD).await);
    let fra: Vec<(&str, &str)> = fra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(!html(&api.send(get("/assistance", &fra)).await).contains("UNPOL"));
    assert_eq!(
        api.send(get(&record, &fra)).await.status,
        StatusCode::NOT_FOUND
    );
    // In French.
    let french = api
        .send(get("/assistance", &legal).insert_header(("Accept-Language", "fr")))
        .await;
    assert!(html(&french).contains("Enregistrer une assistance"));
}
