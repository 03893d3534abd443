//! The pages of a State's focal point: its home with its cases (overdue first), its lists, an
//! incident and a case in the State view, the host State's proposal forms, and its summary, in
//! English and French; nothing outside its part.

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;

use common::{Answer, Backend, Member, PASSWORD, TestApp};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    a_focal_point_reads_and_proposes_on_its_pages,
    countries_are_picked_by_name_in_the_readers_language
);

const STAFF: &[Member] = &[
    (
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSMA"],
    ),
    (
        "legal",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSMA"],
    ),
];

const CSRF: &str = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";

fn with_cookies(request: TestRequest, cookies: &[(&str, &str)]) -> TestRequest {
    cookies.iter().fold(request, |request, (name, value)| {
        request.cookie(actix_web::cookie::Cookie::new(
            name.to_string(),
            value.to_string(),
        ))
    })
}

fn text(answer: &Answer) -> String {
    String::from_utf8(answer.bytes.to_vec()).unwrap()
}

async fn a_focal_point_reads_and_proposes_on_its_pages(backend: Backend) {
    let t = TestApp::new(backend).with_users(STAFF);
    t.execute_sql("UPDATE missions SET active = TRUE WHERE code = 'MINUSMA'")
        .expect("reopen the mission");
    t.create_focal_point("focal.mli", "MLI", Clearance::Confidential);
    t.create_focal_point("focal.sen", "SEN", Clearance::Confidential);
    t.create_focal_point("focal.fra", "FRA", Clearance::Confidential);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
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
                "summary": "Convoy struck near Tessalit", "narrative": "The convoy was hit at the crossroads.",
                "classification": "confidential", "submit": true
            }),
        )
        .await;
    assert_eq!(attack.status, StatusCode::CREATED, "{}", attack.body);
    let attack_id = attack.id();
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [attack_id], "jurisdiction": "MLI", "opened_on": "2023-03-01",
                    "next_action": "Hearing", "next_action_due": "2023-06-01" }),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
    let case_id = case.id();
    let accused = api
        .post(
            &format!("/api/v1/cases/{case_id}/accused"),
            Some(&legal),
            json!({ "name": "Ag Alhousseini", "status": "wanted" }),
        )
        .await;
    assert_eq!(accused.status, StatusCode::CREATED, "{}", accused.body);

    let mali = api.login("focal.mli", PASSWORD).await;
    let as_mali = [("pkr_session", mali.as_str()), ("pkr_csrf", CSRF)];
    let get =
        |path: &str, cookies: &[(&str, &str)]| with_cookies(TestRequest::get().uri(path), cookies);
    let post = |path: &str, cookies: &[(&str, &str)], form: &[(&str, &str)]| {
        with_cookies(TestRequest::post().uri(path), cookies).set_form(
            form.iter()
                .copied()
                .collect::<std::collections::BTreeMap<_, _>>(),
        )
    };

    // Home: the State's cases, the overdue one marked; the lists and the summary linked.
    let home = text(&api.send(get("/", &as_mali)).await);
    assert!(
        home.contains(&format!("href=\"/state/cases/{case_id}\"")),
        "{home}"
    );
    assert!(home.contains("overdue"));
    assert!(home.contains("href=\"/state/summary\""));
    assert!(!home.contains("href=\"/incidents\""));
    let list = text(&api.send(get("/state/cases", &as_mali)).await);
    assert!(list.contains("host State"), "{list}");
    let incidents = text(&api.send(get("/state/incidents", &as_mali)).await);
    assert!(incidents.contains(&format!("/state/incidents/{attack_id}")));

    // The case in the State view, with the host State's forms.
    let page = api
        .send(get(&format!("/state/cases/{case_id}"), &as_mali))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let page = text(&page);
    assert!(page.contains("Ag Alhousseini"));
    assert!(page.contains("Propose a step"));
    assert!(!page.contains("Tessalit crossroads"));
    let path = format!("/state/cases/{case_id}/proposals");
    let bad = api
        .send(post(
            &path,
            &as_mali,
            &[
                ("csrf", CSRF),
                ("proposal", "step"),
                ("to", "referred"),
                ("effective_on", "2023-01-01"),
            ],
        ))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&bad).contains("id=\"effective_on-error\""));
    assert_eq!(t.count("case_proposals"), 0);
    let proposed = api
        .send(post(
            &path,
            &as_mali,
            &[
                ("csrf", CSRF),
                ("proposal", "step"),
                ("to", "referred"),
                ("effective_on", "2023-03-04"),
                ("note", "Referred to the prosecutor in Bamako"),
            ],
        ))
        .await;
    assert_eq!(proposed.status, StatusCode::SEE_OTHER);
    let forged = api
        .send(post(
            &path,
            &as_mali,
            &[("csrf", &"0".repeat(64)), ("proposal", "next_action")],
        ))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let custody = api
        .send(post(
            &path,
            &as_mali,
            &[
                ("csrf", CSRF),
                ("proposal", "accused_status"),
                ("accused_id", &accused.id()),
                ("accused_status", "in_custody"),
            ],
        ))
        .await;
    assert_eq!(custody.status, StatusCode::SEE_OTHER);
    assert_eq!(t.count("case_proposals WHERE status = 'pending'"), 2);
    let page = text(
        &api.send(get(&format!("/state/cases/{case_id}"), &as_mali))
            .await,
    );
    assert!(page.contains("Referred to the prosecutor in Bamako"));
    assert!(page.contains("waiting"));
    let french = text(
        &api.send(
            get(&format!("/state/cases/{case_id}"), &as_mali)
                .insert_header(("Accept-Language", "fr")),
        )
        .await,
    );
    assert!(french.contains("Proposer une étape"), "{french}");
    assert!(french.contains("en attente"));

    // The incident in the State view.
    let senegal = api.login("focal.sen", PASSWORD).await;
    let as_senegal = [("pkr_session", senegal.as_str()), ("pkr_csrf", CSRF)];
    let incident = text(
        &api.send(get(&format!("/state/incidents/{attack_id}"), &as_senegal))
            .await,
    );
    assert!(incident.contains("Moussa Diop"), "{incident}");
    assert!(incident.contains("Tessalit"));
    for hidden in [
        "Idriss Mahamat",
        "Tessalit crossroads",
        "hit at the crossroads",
    ] {
        assert!(!incident.contains(hidden), "{hidden} reached Senegal");
    }
    // Senegal reads the case and proposes nothing.
    let senegal_case = text(
        &api.send(get(&format!("/state/cases/{case_id}"), &as_senegal))
            .await,
    );
    assert!(!senegal_case.contains("Propose a step"));
    assert!(!senegal_case.contains("Ag Alhousseini"));
    let refused = api
        .send(post(
            &path,
            &as_senegal,
            &[("csrf", CSRF), ("proposal", "next_action")],
        ))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The summary, and its download.
    let summary = text(&api.send(get("/state/summary", &as_senegal)).await);
    assert!(
        summary.contains("Your nationals among the victims"),
        "{summary}"
    );
    assert!(summary.contains("<td>2023</td>"));
    let csv = api.send(get("/state/summary/download", &as_senegal)).await;
    assert!(text(&csv).contains("SEN,nationals,2023,killed,1"));

    // France: nothing, as for what does not exist.
    let france = api.login("focal.fra", PASSWORD).await;
    let as_france = [("pkr_session", france.as_str()), ("pkr_csrf", CSRF)];
    for path in [
        format!("/state/cases/{case_id}"),
        format!("/state/incidents/{attack_id}"),
    ] {
        let answer = api.send(get(&path, &as_france)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    let nothing = text(&api.send(get("/state/cases", &as_france)).await);
    assert!(!nothing.contains(&case_id));
    // The missions' staff have their own pages.
    let as_legal = [("pkr_session", legal.as_str())];
    let answer = api.send(get("/state/cases", &as_legal)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

/// Nationality, State, jurisdiction and host country are picked by name in the reader's
/// language, and send the ISO 3166-1 alpha-3 code.
async fn countries_are_picked_by_name_in_the_readers_language(backend: Backend) {
    let t = TestApp::new(backend).with_users(STAFF);
    t.create_user("admin", Role::Admin, Clearance::Confidential, &[]);
    let api = t.api().await;
    let admin = api.login("admin", PASSWORD).await;
    let officer = api.login("officer", PASSWORD).await;
    let as_admin = [("pkr_session", admin.as_str()), ("pkr_csrf", CSRF)];
    let as_officer = [("pkr_session", officer.as_str()), ("pkr_csrf", CSRF)];
    let page = |path: &str, cookies: &[(&str, &str)], lang: &str| {
        with_cookies(TestRequest::get().uri(path), cookies)
            .insert_header(("Accept-Language", lang.to_string()))
    };

    let users = text(&api.send(page("/admin/users", &as_admin, "fr")).await);
    let state_list = &users[users.find("name=\"state\"").expect("a State field")..];
    let state_list = &state_list[..state_list.find("</select>").expect("a list")];
    assert!(
        state_list.contains("<option value=\"SEN\">Sénégal</option>"),
        "{state_list}"
    );
    assert!(state_list.contains("<option value=\"CAF\">République centrafricaine</option>"));
    let missions = text(&api.send(page("/admin/missions", &as_admin, "en")).await);
    assert!(
        missions.contains("<option value=\"COD\">"),
        "host country by name"
    );
    // An account made from the page sends the code picked.
    let created = api
        .send(
            with_cookies(TestRequest::post().uri("/admin/users"), &as_admin).set_form(
                [
                    ("csrf", CSRF),
                    ("username", "focal.civ"),
                    ("password", "a first passphrase for CIV"),
                    ("role", "state_focal_point"),
                    ("clearance", "unclassified"),
                    ("state", "CIV"),
                ]
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>(),
            ),
        )
        .await;
    assert!(created.status.is_redirection(), "{}", text(&created));
    assert_eq!(
        t.count("users WHERE username = 'focal.civ' AND state = 'CIV'"),
        1
    );

    let form = text(&api.send(page("/incidents/new", &as_officer, "fr")).await);
    assert!(
        form.contains("list=\"countries\""),
        "the nationality is picked from the list"
    );
    assert!(form.contains("<datalist id=\"countries\">"));
    assert!(form.contains("<option value=\"TCD\">Tchad</option>"));
    assert!(!form.contains("code ISO"));
}
