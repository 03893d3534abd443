//! The pages: English or French, sign-in with a strict cookie and a CSRF token on every form,
//! the forced password change, sign-out, strict headers, light pages, friendly errors.

mod common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use common::{Answer, Backend, PASSWORD, TestApp};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    pages_speak_english_or_french,
    signing_in_sets_a_strict_cookie_and_every_form_needs_its_token,
    a_forced_password_change_comes_first,
    pages_carry_strict_headers_and_stay_light,
    incident_pages_list_filter_and_show_in_each_language,
    the_case_list_marks_overdue_and_stalled_cases,
);

/// The value of a cookie the answer sets, with the whole `Set-Cookie` line.
fn set_cookie(answer: &Answer, name: &str) -> Option<(String, String)> {
    answer
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|line| line.starts_with(&format!("{name}=")))
        .map(|line| {
            let value = line[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_string();
            (value, line.to_string())
        })
}

fn html(answer: &Answer) -> String {
    String::from_utf8(answer.bytes.to_vec()).unwrap()
}

/// The hidden CSRF field of the page's form.
fn form_token(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[start..start + 64].to_string()
}

fn get(path: &str, cookies: &[(&str, &str)]) -> TestRequest {
    cookies
        .iter()
        .fold(TestRequest::get().uri(path), |request, (name, value)| {
            request.cookie(actix_web::cookie::Cookie::new(
                name.to_string(),
                value.to_string(),
            ))
        })
}

fn post(path: &str, cookies: &[(&str, &str)], form: &[(&str, &str)]) -> TestRequest {
    let request = cookies
        .iter()
        .fold(TestRequest::post().uri(path), |request, (name, value)| {
            request.cookie(actix_web::cookie::Cookie::new(
                name.to_string(),
                value.to_string(),
            ))
        });
    request.set_form(
        form.iter()
            .copied()
            .collect::<std::collections::BTreeMap<_, _>>(),
    )
}

async fn pages_speak_english_or_french(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    let english = api.send(get("/login", &[])).await;
    assert_eq!(english.status, StatusCode::OK);
    assert!(english.content_type().starts_with("text/html"));
    let page = html(&english);
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains("<title>Sign in · Peacekeeper Safety Incident Registry</title>"));
    assert!(page.contains("hreflang=\"fr\">Français</a>"));

    let french = api
        .send(get("/login", &[]).insert_header(("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.5")))
        .await;
    let page = html(&french);
    assert!(page.contains("<html lang=\"fr\">"));
    assert!(page.contains("Se connecter"));
    assert!(page.contains("Mot de passe"));

    // The switch keeps the choice and comes back to the page; it never leaves the site.
    let switched = api.send(get("/language?to=fr&back=%2Flogin", &[])).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.header("location"), Some("/login"));
    let (lang, line) = set_cookie(&switched, "pkr_lang").unwrap();
    assert_eq!(lang, "fr");
    assert!(line.contains("SameSite=Strict"));
    let chosen = api
        .send(get("/login", &[("pkr_lang", "fr")]).insert_header(("Accept-Language", "en")))
        .await;
    assert!(html(&chosen).contains("<html lang=\"fr\">"));
    for back in [
        "%2F%2Fevil.example%2F",
        "https%3A%2F%2Fevil.example%2F",
        "%2F%5Cevil.example",
    ] {
        let away = api
            .send(get(&format!("/language?to=en&back={back}"), &[]))
            .await;
        assert_eq!(away.header("location"), Some("/"), "{back}");
    }
    api.send(get("/language?to=de", &[])).await;

    // Errors speak the reader's language too.
    let missing = api
        .send(get("/no-such-page", &[]).insert_header(("Accept-Language", "fr")))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(html(&missing).contains("Page introuvable"));
}

async fn signing_in_sets_a_strict_cookie_and_every_form_needs_its_token(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;

    let form = api.send(get("/login", &[])).await;
    let (csrf, line) = set_cookie(&form, "pkr_csrf").expect("a CSRF cookie");
    assert!(
        line.contains("HttpOnly") && line.contains("SameSite=Strict"),
        "{line}"
    );
    assert_eq!(form_token(&html(&form)), csrf);

    // Without the token, or with another one: refused, and nobody is signed in.
    let forged = api
        .send(post(
            "/login",
            &[("pkr_csrf", &csrf)],
            &[
                ("csrf", &"0".repeat(64)),
                ("username", "legal"),
                ("password", PASSWORD),
            ],
        ))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(set_cookie(&forged, "pkr_session").is_none());
    let no_cookie = api
        .send(post(
            "/login",
            &[],
            &[
                ("csrf", &csrf),
                ("username", "legal"),
                ("password", PASSWORD),
            ],
        ))
        .await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);

    let wrong = api
        .send(
            post(
                "/login",
                &[("pkr_csrf", &csrf)],
                &[
                    ("csrf", &csrf),
                    ("username", "legal"),
                    ("password", "not the password at all"),
                ],
            )
            .insert_header(("Accept-Language", "fr")),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(html(&wrong).contains("Le nom d’utilisateur ou le mot de passe est erroné"));
    assert!(html(&wrong).contains("value=\"legal\""));

    let signed_in = api
        .send(post(
            "/login",
            &[("pkr_csrf", &csrf)],
            &[
                ("csrf", &csrf),
                ("username", "legal"),
                ("password", PASSWORD),
            ],
        ))
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.header("location"), Some("/"));
    let (session, line) = set_cookie(&signed_in, "pkr_session").expect("a session cookie");
    assert!(
        line.contains("HttpOnly") && line.contains("SameSite=Strict"),
        "{line}"
    );
    assert!(
        !line.contains("Secure"),
        "plain HTTP here; Secure comes with TLS"
    );

    let home = api
        .send(get("/", &[("pkr_session", &session), ("pkr_csrf", &csrf)]))
        .await;
    assert_eq!(home.status, StatusCode::OK);
    let page = html(&home);
    assert!(page.contains("<strong>legal</strong> (legal officer)"));
    // It is the API's own session.
    let me = api.get("/api/v1/me", Some(&session)).await;
    assert_eq!(me.body["username"], "legal");
    assert_eq!(t.count("audit_log WHERE action = 'auth.login'"), 1);

    // Signing out needs the token too, then ends the session everywhere.
    let refused = api
        .send(post(
            "/logout",
            &[("pkr_session", &session), ("pkr_csrf", &csrf)],
            &[("csrf", "x")],
        ))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.get("/api/v1/me", Some(&session)).await.status,
        StatusCode::OK
    );
    let out = api
        .send(post(
            "/logout",
            &[("pkr_session", &session), ("pkr_csrf", &csrf)],
            &[("csrf", &csrf)],
        ))
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.header("location"), Some("/login"));
    let (cleared, _) = set_cookie(&out, "pkr_session").unwrap();
    assert_eq!(cleared, "");
    assert_eq!(
        api.get("/api/v1/me", Some(&session)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let after = api.send(get("/", &[("pkr_session", &session)])).await;
    assert_eq!(after.header("location"), Some("/login"));
}

async fn a_forced_password_change_comes_first(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("leader", Role::Leadership, Clearance::Confidential, &[]);
    t.execute_sql("UPDATE users SET must_change_password = TRUE WHERE username = 'leader'")
        .unwrap();
    let api = t.api().await;
    let form = api.send(get("/login", &[])).await;
    let (csrf, _) = set_cookie(&form, "pkr_csrf").unwrap();
    let signed_in = api
        .send(post(
            "/login",
            &[("pkr_csrf", &csrf)],
            &[
                ("csrf", &csrf),
                ("username", "leader"),
                ("password", PASSWORD),
            ],
        ))
        .await;
    assert_eq!(signed_in.header("location"), Some("/password"));
    let (session, _) = set_cookie(&signed_in, "pkr_session").unwrap();
    let cookies = [
        ("pkr_session", session.as_str()),
        ("pkr_csrf", csrf.as_str()),
    ];
    assert_eq!(
        api.send(get("/", &cookies)).await.header("location"),
        Some("/password")
    );
    let page = api.send(get("/password", &cookies)).await;
    assert!(html(&page).contains("Choose a new password before you go on."));

    let new = "harbour violet sketches quietly 92";
    let differ = api
        .send(post(
            "/password",
            &cookies,
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", new),
                ("repeat", "something else entirely 12"),
            ],
        ))
        .await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&differ).contains("The two new passwords differ."));
    let weak = api
        .send(
            post(
                "/password",
                &cookies,
                &[
                    ("csrf", &csrf),
                    ("current", PASSWORD),
                    ("new", "password"),
                    ("repeat", "password"),
                ],
            )
            .insert_header(("Accept-Language", "fr")),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let weak_page = html(&weak);
    assert!(weak_page.contains("id=\"new-error\""));
    assert!(weak_page.contains("Refusé"));
    let wrong_current = api
        .send(post(
            "/password",
            &cookies,
            &[
                ("csrf", &csrf),
                ("current", "not my password at all"),
                ("new", new),
                ("repeat", new),
            ],
        ))
        .await;
    assert!(html(&wrong_current).contains("id=\"current-error\""));

    let changed = api
        .send(post(
            "/password",
            &cookies,
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", new),
                ("repeat", new),
            ],
        ))
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", html(&changed));
    assert_eq!(changed.header("location"), Some("/password?done"));
    let (fresh, _) = set_cookie(&changed, "pkr_session").unwrap();
    assert_ne!(fresh, session);
    assert_eq!(
        api.get("/api/v1/me", Some(&session)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let home = api
        .send(get("/", &[("pkr_session", &fresh), ("pkr_csrf", &csrf)]))
        .await;
    assert_eq!(home.status, StatusCode::OK);
}

async fn pages_carry_strict_headers_and_stay_light(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    let page = api.send(get("/login", &[])).await;
    let policy = page.header("content-security-policy").expect("a policy");
    assert!(policy.contains("default-src 'none'"));
    assert!(policy.contains("frame-ancestors 'none'"));
    assert!(policy.contains("style-src 'self'"));
    assert!(!policy.contains("unsafe-inline") && !policy.contains("script-src"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(
        page.header("strict-transport-security").is_none(),
        "not over plain HTTP"
    );
    let text = html(&page);
    assert!(!text.contains("<script"), "no script at all");
    assert!(
        !text.contains("style=\""),
        "no inline style: the policy would refuse it"
    );
    // Every field has its label.
    for id in ["username", "password"] {
        assert!(text.contains(&format!("<label for=\"{id}\">")));
        assert!(text.contains(&format!("id=\"{id}\"")));
    }
    let css = api.send(get("/static/style.css", &[])).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.content_type().starts_with("text/css"));
    assert!(html(&css).contains(":focus-visible"));
    assert!(
        page.bytes.len() + css.bytes.len() < 100 * 1024,
        "a page and its assets stay under 100 KB"
    );
    // The API still answers problems, not pages.
    api.get("/api/v1/nothing", None).await.assert_problem(404);
}

async fn incident_pages_list_filter_and_show_in_each_language(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    t.create_user("leader.low", Role::Leadership, Clearance::Unclassified, &[]);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let mut ids = Vec::new();
    for (attack_type, day, classification) in [
        ("ambush", "2026-03-14T06:30:00Z", "unclassified"),
        ("ied", "2026-04-02T09:00:00Z", "confidential"),
    ] {
        let answer = api
            .post(
                "/api/v1/incidents",
                Some(&officer),
                serde_json::json!({
                    "mission": "MINUSCA", "occurred_at": day, "place_name": "Bambari",
                    "location_type": "patrol", "attack_type": attack_type, "weapons": ["small_arms"],
                    "victims": [{ "personnel_type": "military", "nationality": "RWA", "gender": "male",
                                  "outcome": "killed", "name": "Jean Bosco", "unit": "RWABATT-1" }],
                    "perpetrators": [{ "actor_type": "armed_group", "attribution": "likely" }],
                    "summary": format!("Patrol hit by {attack_type} <script>alert(1)</script>"),
                    "narrative": "A patrol was attacked.", "classification": classification,
                    "submit": true
                }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        ids.push(answer.body["id"].as_str().unwrap().to_string());
    }
    let legal = api.login("legal", PASSWORD).await;
    let low = api.login("leader.low", PASSWORD).await;
    let chief = api.login("chief", PASSWORD).await;

    let list = api
        .send(
            get("/incidents", &[("pkr_session", &legal)]).insert_header(("Accept-Language", "fr")),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let page = html(&list);
    assert!(page.contains("embuscade") && page.contains("engin explosif improvisé"));
    assert!(page.contains("14 mars 2026, 06:30 UTC"));
    assert!(page.contains("MINUSCA-2026-00001") && page.contains("MINUSCA-2026-00002"));
    // Text from records is escaped, never run.
    assert!(!page.contains("<script>alert(1)</script>"));
    assert!(page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"));
    // No personal data in the list.
    assert!(!page.contains("Jean Bosco"));

    let filtered = api
        .send(get(
            "/incidents?attack_type=ied&from=2026-04-02&to=2026-04-02",
            &[("pkr_session", &legal)],
        ))
        .await;
    let page = html(&filtered);
    assert!(page.contains("MINUSCA-2026-00002") && !page.contains("MINUSCA-2026-00001"));
    assert!(page.contains("<option value=\"ied\" selected>"));
    assert!(page.contains("value=\"2026-04-02\""));

    // One incident: names for the cleared, withheld for the others; only what they may see.
    let shown = api
        .send(get(
            &format!("/incidents/{}", ids[1]),
            &[("pkr_session", &legal)],
        ))
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    let page = html(&shown);
    assert!(page.contains("<title>MINUSCA-2026-00002 · "));
    assert!(page.contains("Jean Bosco, RWABATT-1"));
    assert!(page.contains("armed group"));
    let unclassified = api
        .send(get(
            &format!("/incidents/{}", ids[0]),
            &[("pkr_session", &low)],
        ))
        .await;
    assert_eq!(unclassified.status, StatusCode::OK);
    assert!(!html(&unclassified).contains("Jean Bosco"));
    assert!(html(&unclassified).contains("withheld"));
    let above = api
        .send(
            get(&format!("/incidents/{}", ids[1]), &[("pkr_session", &low)])
                .insert_header(("Accept-Language", "fr")),
        )
        .await;
    assert_eq!(above.status, StatusCode::NOT_FOUND);
    assert!(html(&above).contains("Page introuvable"));
    let list_low = html(&api.send(get("/incidents", &[("pkr_session", &low)])).await);
    assert!(list_low.contains("MINUSCA-2026-00001") && !list_low.contains("MINUSCA-2026-00002"));

    // Administrators do not read incidents: a friendly 403, recorded.
    let refused = api
        .send(get("/incidents", &[("pkr_session", &chief)]))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(html(&refused).contains("Not allowed"));
    assert!(
        !html(&api.send(get("/", &[("pkr_session", &chief)])).await)
            .contains("href=\"/incidents\"")
    );
    // Without a session, the pages send one to sign in.
    assert_eq!(
        api.send(get("/incidents", &[])).await.header("location"),
        Some("/login")
    );
}

async fn the_case_list_marks_overdue_and_stalled_cases(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    t.create_user(
        "auditor",
        Role::Auditor,
        Clearance::StrictlyConfidential,
        &[],
    );
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let auditor = api.login("auditor", PASSWORD).await;
    let incident = api
        .post(
            "/api/v1/incidents",
            Some(&officer),
            serde_json::json!({
                "mission": "MINUSCA", "occurred_at": "2026-01-05T06:30:00Z",
                "location_type": "patrol", "attack_type": "ambush", "weapons": [],
                "summary": "Patrol ambushed", "narrative": "A patrol was ambushed.",
                "classification": "confidential", "submit": true
            }),
        )
        .await;
    let incident_id = incident.body["id"].as_str().unwrap().to_string();
    let old = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            serde_json::json!({ "incident_ids": [incident_id], "jurisdiction": "CAF",
                "opened_on": "2026-01-10", "next_action": "Send the note verbale",
                "next_action_due": "2026-02-01" }),
        )
        .await;
    let fresh = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            serde_json::json!({ "incident_ids": [incident_id], "jurisdiction": "CAF" }),
        )
        .await;
    let (old_ref, fresh_ref) = (
        old.body["reference"].as_str().unwrap().to_string(),
        fresh.body["reference"].as_str().unwrap().to_string(),
    );

    let list = api
        .send(get("/cases", &[("pkr_session", &legal)]).insert_header(("Accept-Language", "fr")))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let page = html(&list);
    assert!(page.contains(&old_ref) && page.contains(&fresh_ref));
    assert!(page.contains("ouverte"));
    assert!(page.contains("1 février 2026"));
    assert!(page.contains("en retard") && page.contains("au point mort"));
    // The overdue case comes first, marked in words, not by colour alone.
    assert!(page.find(&old_ref).unwrap() < page.find(&fresh_ref).unwrap());
    assert_eq!(page.matches("class=\"attention\"").count(), 1);

    let stalled = html(
        &api.send(get("/cases?stalled_days=180", &[("pkr_session", &legal)]))
            .await,
    );
    assert!(stalled.contains(&old_ref) && !stalled.contains(&fresh_ref));
    let refused = api.send(get("/cases", &[("pkr_session", &auditor)])).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
