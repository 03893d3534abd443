//! The pages: English or French, sign-in with a strict cookie and a CSRF token on every form,
//! the forced password change, sign-out, strict headers, light pages, friendly errors.

use crate::common;

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
    the_incident_form_saves_once_names_bad_fields_and_shows_stale_edits,
    pages_never_show_another_missions_data,
    case_pages_move_record_the_accused_and_keep_documents,
    auditors_see_the_trail_and_its_verification,
    administrators_manage_accounts_and_missions,
    the_language_choice_follows_the_account,
    the_sign_in_page_is_throttled_too,
    a_failure_is_a_friendly_page_and_tls_makes_cookies_secure,
    an_account_with_a_second_factor_signs_in_on_the_page_with_its_code,
    the_second_factor_is_set_up_on_its_page,
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

pub(crate) fn html(answer: &Answer) -> String {
    String::from_utf8(answer.bytes.to_vec()).unwrap()
}

/// The hidden CSRF field of the page's form.
fn form_token(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[start..start + 64].to_string()
}

pub(crate) fn get(path: &str, cookies: &[(&str, &str)]) -> TestRequest {
    cookies
        .iter()
        .fold(TestRequest::get().uri(path), |request, (name, value)| {
            request.cookie(actix_web::cookie::Cookie::new(
                name.to_string(),
                value.to_string(),
            ))
        })
}

pub(crate) fn post(path: &str, cookies: &[(&str, &str)], form: &[(&str, &str)]) -> TestRequest {
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
        "%2F%09%2Fevil.example",
        "%2F%0A%2Fevil.example",
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

/// A CSRF token the tests send as cookie and as field alike.
pub(crate) const CSRF: &str = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";

/// The value of a hidden field of the page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("a field {name}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

fn location(answer: &Answer) -> String {
    answer.header("location").expect("a redirect").to_string()
}

async fn the_incident_form_saves_once_names_bad_fields_and_shows_stale_edits(backend: Backend) {
    let t = TestApp::new(backend);
    for name in ["officer.a", "officer.b"] {
        t.create_user(
            name,
            Role::SecurityOfficer,
            Clearance::Confidential,
            &["MINUSCA"],
        );
    }
    // Not cleared for victims' names.
    t.create_user(
        "officer.c",
        Role::SecurityOfficer,
        Clearance::Unclassified,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let (a, b) = (
        api.login("officer.a", PASSWORD).await,
        api.login("officer.b", PASSWORD).await,
    );
    let as_a = [("pkr_session", a.as_str()), ("pkr_csrf", CSRF)];
    let as_b = [("pkr_session", b.as_str()), ("pkr_csrf", CSRF)];
    let occurred = (t.now() - chrono::TimeDelta::days(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let draft = |csrf: &'static str, summary: &'static str| {
        vec![
            ("csrf", csrf),
            ("form_key", "k1"),
            ("action", "save"),
            ("mission", "MINUSCA"),
            ("attack_type", "ambush"),
            ("location_type", "patrol"),
            ("summary", summary),
            ("victims[0].outcome", "killed"),
            ("victims[0].personnel_type", "military"),
            ("victims[0].gender", "male"),
            ("victims[0].name", "Moussa K."),
        ]
    };

    let page = html(&api.send(get("/incidents/new", &as_a)).await);
    assert!(page.contains("name=\"victims[0].outcome\"") && page.contains("value=\"add:victims\""));

    // Without the token: refused, nothing saved.
    let mut forged = draft("", "Forged");
    forged.push(("occurred_at", &occurred));
    let refused = api.send(post("/incidents/new", &as_a, &forged)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(t.count("incidents"), 0);

    // Bad fields are named beside themselves, and nothing is saved.
    let mut bad = draft(CSRF, "");
    bad.push(("latitude", "north"));
    let answer = api.send(post("/incidents/new", &as_a, &bad)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(&answer);
    for field in ["summary", "occurred_at", "latitude"] {
        assert!(page.contains(&format!("id=\"{field}-error\"")), "{field}");
    }
    assert_eq!(t.count("incidents"), 0);

    // A draft is saved once, however often the form is sent.
    let mut good = draft(CSRF, "Patrol ambushed");
    good.push(("occurred_at", &occurred));
    let first = api.send(post("/incidents/new", &as_a, &good)).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let again = api.send(post("/incidents/new", &as_a, &good)).await;
    assert_eq!(location(&again), location(&first));
    assert_eq!(t.count("incidents"), 1);
    let incident = location(&first);
    assert!(html(&api.send(get(&incident, &as_a)).await).contains("Patrol ambushed"));

    // Two officers edit the same version: the second sees what changed and keeps their values.
    let edit = html(&api.send(get(&format!("{incident}/edit"), &as_a)).await);
    let version = hidden(&edit, "version");
    let mut mine = draft(CSRF, "Summary by A");
    mine.extend([
        ("occurred_at", occurred.as_str()),
        ("version", version.as_str()),
    ]);
    let saved = api
        .send(post(&format!("{incident}/edit"), &as_a, &mine))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let mut theirs = draft(CSRF, "Summary by B");
    theirs.extend([
        ("occurred_at", occurred.as_str()),
        ("version", version.as_str()),
    ]);
    let stale = api
        .send(post(&format!("{incident}/edit"), &as_b, &theirs))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let page = html(&stale);
    assert!(page.contains("Someone changed this incident"));
    assert!(
        page.contains("<td>Summary by A</td><td>Summary by B</td>"),
        "{page}"
    );
    let newer = hidden(&page, "version");
    assert_ne!(newer, version);
    assert!(page.contains("value=\"Summary by B\""));
    // Saving again re-applies B's change over A's version.
    let mut reapplied = draft(CSRF, "Summary by B");
    reapplied.extend([
        ("occurred_at", occurred.as_str()),
        ("version", newer.as_str()),
    ]);
    let saved = api
        .send(post(&format!("{incident}/edit"), &as_b, &reapplied))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert!(html(&api.send(get(&incident, &as_a)).await).contains("Summary by B"));

    // Submit, then withdraw: the reason is required.
    let submitted = api
        .send(post(
            &format!("{incident}/submit"),
            &as_a,
            &[("csrf", CSRF)],
        ))
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);

    // B wrote part of it, so only C is offered Verify, which names the version shown. Then C,
    // not cleared for victims' names, amends it: the form does not show them, the amendment
    // needs a reason, and the names survive it.
    let c = api.login("officer.c", PASSWORD).await;
    let as_c = [("pkr_session", c.as_str()), ("pkr_csrf", CSRF)];
    let for_b = html(&api.send(get(&incident, &as_b)).await);
    assert!(!for_b.contains("/verify\""), "B edited it: {for_b}");
    // C's home page lists it as awaiting C's verification; B's does not.
    let home_c = html(&api.send(get("/", &as_c)).await);
    assert!(home_c.contains("Awaiting your verification"), "{home_c}");
    assert!(home_c.contains(&format!("href=\"{incident}\"")), "{home_c}");
    let home_b = html(&api.send(get("/", &as_b)).await);
    assert!(
        home_b.contains("No incident awaits your verification."),
        "{home_b}"
    );
    let for_c = html(&api.send(get(&incident, &as_c)).await);
    assert!(for_c.contains("/verify\""), "{for_c}");
    let shown = hidden(&for_c, "version");
    let refused = api
        .send(post(
            &format!("{incident}/verify"),
            &as_b,
            &[("csrf", CSRF), ("version", shown.as_str())],
        ))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let verified = api
        .send(post(
            &format!("{incident}/verify"),
            &as_c,
            &[("csrf", CSRF), ("version", shown.as_str())],
        ))
        .await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER);
    let edit = html(&api.send(get(&format!("{incident}/edit"), &as_c)).await);
    assert!(!edit.contains("Moussa") && !edit.contains("name=\"victims[0].name\""));
    assert!(edit.contains("name=\"reason\""));
    let version = hidden(&edit, "version");
    let origin = hidden(&edit, "victims[0].origin");
    let mut amended: Vec<(&str, &str)> = draft(CSRF, "Summary by B")
        .into_iter()
        .filter(|(name, _)| *name != "victims[0].name")
        .collect();
    amended.extend([
        ("occurred_at", occurred.as_str()),
        ("version", version.as_str()),
        ("victims[0].origin", origin.as_str()),
        ("place_name", "Bambari"),
    ]);
    let no_reason = api
        .send(post(&format!("{incident}/edit"), &as_c, &amended))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&no_reason).contains("id=\"reason-error\""));
    amended.push(("reason", "The place was missing"));
    let saved = api
        .send(post(&format!("{incident}/edit"), &as_c, &amended))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", html(&saved));
    let page = html(&api.send(get(&incident, &as_a)).await);
    assert!(
        page.contains("Moussa K.") && page.contains("Bambari"),
        "{page}"
    );
    assert!(page.contains("amended") && page.contains("The place was missing"));
    assert!(page.contains("amended, awaiting verification"), "{page}");
    // C wrote the amendment: B, who wrote nothing since the verification, is offered Verify.
    let for_c = html(&api.send(get(&incident, &as_c)).await);
    assert!(!for_c.contains("/verify\""), "{for_c}");
    let for_b = html(&api.send(get(&incident, &as_b)).await);
    assert!(for_b.contains("/verify\""), "{for_b}");

    let no_reason = api
        .send(post(
            &format!("{incident}/withdraw"),
            &as_a,
            &[("csrf", CSRF)],
        ))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&no_reason).contains("Reason: is required"));
    let withdrawn = api
        .send(post(
            &format!("{incident}/withdraw"),
            &as_a,
            &[("csrf", CSRF), ("reason", "Duplicate report")],
        ))
        .await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    let page = html(&api.send(get(&incident, &as_a)).await);
    assert!(page.contains("withdrawn") && page.contains("Duplicate report"));
}

/// An incident of MINUSCA, submitted through the API; its id.
async fn submitted_incident<S, B>(
    api: &common::Api<S>,
    token: &str,
    now: chrono::NaiveDateTime,
) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let day = (now - chrono::TimeDelta::days(3))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let answer = api
        .post(
            "/api/v1/incidents",
            Some(token),
            serde_json::json!({
                "mission": "MINUSCA", "occurred_at": day, "location_type": "base",
                "attack_type": "indirect_fire", "summary": "Camp shelled at night",
                "victims": [{ "personnel_type": "military", "gender": "female", "outcome": "injured",
                              "name": "Awa Traoré" }],
                "submit": true
            }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body["id"].as_str().unwrap().to_string()
}

async fn pages_never_show_another_missions_data(backend: Backend) {
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
        "other.officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &["MONUSCO"],
    );
    t.create_user(
        "other.legal",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MONUSCO"],
    );
    t.create_user(
        "other.leader",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &["MONUSCO"],
    );
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let id = submitted_incident(&api, &officer, t.now()).await;
    let legal = api.login("legal", PASSWORD).await;
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            serde_json::json!({ "incident_ids": [id], "jurisdiction": "CAF" }),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
    let case_id = case.body["id"].as_str().unwrap().to_string();

    let other_officer = api.login("other.officer", PASSWORD).await;
    let other_legal = api.login("other.legal", PASSWORD).await;
    let other_leader = api.login("other.leader", PASSWORD).await;
    let as_officer = [("pkr_session", other_officer.as_str()), ("pkr_csrf", CSRF)];
    let as_legal = [("pkr_session", other_legal.as_str()), ("pkr_csrf", CSRF)];
    for path in [format!("/incidents/{id}"), format!("/incidents/{id}/edit")] {
        let answer = api.send(get(&path, &as_officer)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html(&answer).contains("Camp shelled"));
    }
    let list = html(&api.send(get("/incidents", &as_officer)).await);
    assert!(!list.contains("Camp shelled") && !list.contains("MINUSCA-"));
    let verify = api
        .send(post(
            &format!("/incidents/{id}/verify"),
            &as_officer,
            &[("csrf", CSRF)],
        ))
        .await;
    assert_eq!(verify.status, StatusCode::NOT_FOUND);
    for path in [
        format!("/cases/{case_id}"),
        format!("/cases/new?incident={id}"),
    ] {
        let answer = api.send(get(&path, &as_legal)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html(&answer).contains("CASE-MINUSCA"));
    }
    let cases = html(&api.send(get("/cases", &as_legal)).await);
    assert!(!cases.contains("CASE-MINUSCA"));
    let summary = html(
        &api.send(get("/summary", &[("pkr_session", other_leader.as_str())]))
            .await,
    );
    assert!(
        summary.contains("<dt>Attacks recorded</dt><dd>0</dd>"),
        "{summary}"
    );
    let asked = api
        .send(get(
            "/summary?mission=MINUSCA",
            &[("pkr_session", other_leader.as_str())],
        ))
        .await;
    assert_eq!(asked.status, StatusCode::FORBIDDEN);
    // The refusal is on record.
    assert!(t.audit_actions().iter().any(|a| a == "access.denied"));
}

/// A multipart form as a browser sends it; `file` is (name, bytes).
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----pkrBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn case_pages_move_record_the_accused_and_keep_documents(backend: Backend) {
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
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let id = submitted_incident(&api, &officer, t.now()).await;
    let legal = api.login("legal", PASSWORD).await;
    let as_legal = [("pkr_session", legal.as_str()), ("pkr_csrf", CSRF)];

    let form = api
        .send(get(&format!("/cases/new?incident={id}"), &as_legal))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let bad = api
        .send(post(
            "/cases/new",
            &as_legal,
            &[("csrf", CSRF), ("incident", &id), ("jurisdiction", "xx")],
        ))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&bad).contains("id=\"jurisdiction-error\""));
    let opened = api
        .send(post(
            "/cases/new",
            &as_legal,
            &[("csrf", CSRF), ("incident", &id), ("jurisdiction", "CAF")],
        ))
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    let case = location(&opened);

    // Only the allowed statuses are offered; a move the lifecycle refuses is explained.
    let page = html(&api.send(get(&case, &as_legal)).await);
    let select = &page[page.find("name=\"to\"").unwrap()..];
    let select = &select[..select.find("</select>").unwrap()];
    let offered: Vec<&str> = select
        .split("<option value=\"")
        .skip(2)
        .map(|o| &o[..o.find('"').unwrap()])
        .collect();
    let allowed: Vec<&str> = peacekeeper_registry::domain::case::allowed_moves(
        peacekeeper_registry::domain::case::CaseStatus::Opened,
    )
    .into_iter()
    .map(|s| s.code())
    .collect();
    assert_eq!(offered, allowed);
    let version = hidden(&page, "version");
    let today = t.now().format("%Y-%m-%d").to_string();
    let refused = api
        .send(post(
            &format!("{case}/move"),
            &as_legal,
            &[
                ("csrf", CSRF),
                ("to", "final"),
                ("effective_on", &today),
                ("version", &version),
            ],
        ))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let moved = api
        .send(post(
            &format!("{case}/move"),
            &as_legal,
            &[
                ("csrf", CSRF),
                ("to", "referred"),
                ("effective_on", &today),
                ("version", &version),
            ],
        ))
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", html(&moved));
    // The version read before that move is now stale: a second move on it is refused.
    let stale = api
        .send(post(
            &format!("{case}/move"),
            &as_legal,
            &[
                ("csrf", CSRF),
                ("to", "investigating"),
                ("effective_on", &today),
                ("version", &version),
            ],
        ))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);

    let accused = api
        .send(post(
            &format!("{case}/accused"),
            &as_legal,
            &[
                ("csrf", CSRF),
                ("name", "Jean-Pierre M."),
                ("status", "wanted"),
            ],
        ))
        .await;
    assert_eq!(accused.status, StatusCode::SEE_OTHER);

    // A document: the form carries its token as a part; without it, nothing is kept.
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let (content_type, body) = multipart(
        &[("title", "Arrest warrant"), ("kind", "warrant")],
        Some(("warrant.pdf", pdf)),
    );
    let forged = api
        .send(
            TestRequest::post()
                .uri(&format!("{case}/documents"))
                .cookie(actix_web::cookie::Cookie::new("pkr_session", legal.clone()))
                .cookie(actix_web::cookie::Cookie::new("pkr_csrf", CSRF))
                .insert_header(("Content-Type", content_type.clone()))
                .set_payload(body),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(t.count("case_documents"), 0);
    let (content_type, body) = multipart(
        &[
            ("csrf", CSRF),
            ("title", "Arrest warrant"),
            ("kind", "warrant"),
        ],
        Some(("warrant.pdf", pdf)),
    );
    let uploaded = api
        .send(
            TestRequest::post()
                .uri(&format!("{case}/documents"))
                .cookie(actix_web::cookie::Cookie::new("pkr_session", legal.clone()))
                .cookie(actix_web::cookie::Cookie::new("pkr_csrf", CSRF))
                .insert_header(("Content-Type", content_type))
                .set_payload(body),
        )
        .await;
    assert_eq!(
        uploaded.status,
        StatusCode::SEE_OTHER,
        "{}",
        html(&uploaded)
    );
    let page = html(&api.send(get(&case, &as_legal)).await);
    assert!(
        page.contains("Jean-Pierre M.")
            && page.contains("wanted")
            && page.contains("referred to the authorities")
    );
    // The accused person's status changes from the same page.
    let action_start = page
        .find(&format!("{case}/accused/"))
        .expect("the accused's form");
    let action = &page[action_start..action_start + page[action_start..].find('"').unwrap()];
    let changed = api
        .send(post(
            action,
            &as_legal,
            &[
                ("csrf", CSRF),
                ("status", "in_custody"),
                ("verdict", "pending"),
                ("version", "1"),
            ],
        ))
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", html(&changed));
    let mut page = html(&api.send(get(&case, &as_legal)).await);
    assert!(page.contains("<td>in custody</td>"));
    // Once the case reached a judgment, a verdict is recorded with its day.
    for to in ["in_trial", "judgment"] {
        let version = hidden(&page, "version");
        let moved = api
            .send(post(
                &format!("{case}/move"),
                &as_legal,
                &[
                    ("csrf", CSRF),
                    ("to", to),
                    ("effective_on", &today),
                    ("version", &version),
                ],
            ))
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", html(&moved));
        page = html(&api.send(get(&case, &as_legal)).await);
    }
    let undated = [("csrf", CSRF), ("verdict", "acquitted"), ("version", "2")];
    let refused = api.send(post(action, &as_legal, &undated)).await;
    assert!(html(&refused).contains("is required with a verdict"));
    let dated = [
        ("csrf", CSRF),
        ("verdict", "acquitted"),
        ("verdict_on", &today),
        ("version", "2"),
    ];
    let acquitted = api.send(post(action, &as_legal, &dated)).await;
    assert_eq!(
        acquitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        html(&acquitted)
    );
    let page = html(&api.send(get(&case, &as_legal)).await);
    assert!(page.contains(&format!("acquitted ({today})")), "{page}");
    let link_start = page
        .find(&format!("{case}/documents/"))
        .expect("a download link");
    let link = &page[link_start..link_start + page[link_start..].find('"').unwrap()];
    let download = api.send(get(link, &as_legal)).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.bytes.as_ref(), pdf.as_slice());
    assert!(
        download
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
}

async fn auditors_see_the_trail_and_its_verification(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "auditor",
        Role::Auditor,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let auditor = api.login("auditor", PASSWORD).await;
    let officer = api.login("officer", PASSWORD).await;
    let as_auditor = [("pkr_session", auditor.as_str())];
    let trail = api.send(get("/audit", &as_auditor)).await;
    assert_eq!(trail.status, StatusCode::OK);
    let page = html(&trail);
    assert!(
        page.contains("user.create") && page.contains("auth.login"),
        "{page}"
    );
    let filtered = html(&api.send(get("/audit?actor=officer", &as_auditor)).await);
    assert!(filtered.contains("auth.login") && !filtered.contains("user.create"));
    let verified = html(&api.send(get("/audit/verify", &as_auditor)).await);
    assert!(verified.contains("Intact"), "{verified}");
    let refused = api
        .send(get("/audit", &[("pkr_session", officer.as_str())]))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn administrators_manage_accounts_and_missions(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let chief = api.login("chief", PASSWORD).await;
    let as_chief = [("pkr_session", chief.as_str()), ("pkr_csrf", CSRF)];
    let weak = api
        .send(post(
            "/admin/users",
            &as_chief,
            &[
                ("csrf", CSRF),
                ("username", "new.officer"),
                ("password", "short"),
                ("role", "security_officer"),
            ],
        ))
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&weak).contains("id=\"password-error\""));
    let first = "a first passphrase nobody guesses";
    // A State's focal point: its State is required, and given it speaks for it.
    let focal = |state: &'static str| {
        post(
            "/admin/users",
            &as_chief,
            &[
                ("csrf", CSRF),
                ("username", "focal.sen"),
                ("password", first),
                ("role", "state_focal_point"),
                ("state", state),
            ],
        )
    };
    let stateless = api.send(focal("")).await;
    assert_eq!(stateless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&stateless).contains("id=\"state-error\""));
    let created = api.send(focal("sen")).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", html(&created));
    let form = html(&api.send(get(&location(&created), &as_chief)).await);
    assert!(form.contains("value=\"SEN\""), "{form}");
    let created = api
        .send(post(
            "/admin/users",
            &as_chief,
            &[
                ("csrf", CSRF),
                ("username", "new.officer"),
                ("password", first),
                ("role", "security_officer"),
                ("clearance", "confidential"),
                ("missions", "MINUSCA"),
            ],
        ))
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", html(&created));
    let account = location(&created);
    let login = api.login_answer("new.officer", first).await;
    assert_eq!(login.body["must_change_password"], true, "{}", login.body);
    let form = html(&api.send(get(&account, &as_chief)).await);
    let version = hidden(&form, "version");
    assert!(form.contains("name=\"all_missions\""), "{form}");
    // Unticking the last mission grants nothing: the form is refused and nothing changes.
    let unticked = api
        .send(post(
            &account,
            &as_chief,
            &[
                ("csrf", CSRF),
                ("role", "security_officer"),
                ("clearance", "confidential"),
                ("version", &version),
            ],
        ))
        .await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&unticked).contains("must name at least one mission"));
    assert_eq!(
        hidden(&html(&api.send(get(&account, &as_chief)).await), "version"),
        version
    );
    let changed = api
        .send(post(
            &account,
            &as_chief,
            &[
                ("csrf", CSRF),
                ("role", "legal_officer"),
                ("clearance", "confidential"),
                ("missions", "MINUSCA"),
                ("version", &version),
            ],
        ))
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let list = html(&api.send(get("/admin/users", &as_chief)).await);
    assert!(
        list.contains("new.officer</a></td><td>legal officer"),
        "{list}"
    );

    let mission = api
        .send(post(
            "/admin/missions",
            &as_chief,
            &[
                ("csrf", CSRF),
                ("code", "UNTEST"),
                ("name", "Test mission"),
                ("host_country", "CAF"),
            ],
        ))
        .await;
    assert_eq!(mission.status, StatusCode::SEE_OTHER);
    let missions = html(&api.send(get("/admin/missions", &as_chief)).await);
    assert!(missions.contains("<td>UNTEST</td><td>Test mission</td>"));
    let refused = api
        .send(get(
            "/admin/users",
            &[("pkr_session", api.login("officer", PASSWORD).await.as_str())],
        ))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn the_language_choice_follows_the_account(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let token = api.login("legal", PASSWORD).await;
    let switched = api
        .send(get("/language?to=fr&back=%2F", &[("pkr_session", &token)]))
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    // On another device, with an English browser and no language cookie, signing in brings
    // back the choice.
    let login = api
        .send(
            post(
                "/login",
                &[("pkr_csrf", CSRF)],
                &[
                    ("csrf", CSRF),
                    ("username", "legal"),
                    ("password", PASSWORD),
                ],
            )
            .insert_header(("Accept-Language", "en")),
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_eq!(
        set_cookie(&login, "pkr_lang").map(|(v, _)| v).as_deref(),
        Some("fr")
    );
}

async fn the_sign_in_page_is_throttled_too(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let attempt = || {
        post(
            "/login",
            &[("pkr_csrf", CSRF)],
            &[
                ("csrf", CSRF),
                ("username", "legal"),
                ("password", "a wrong guess"),
            ],
        )
        .insert_header(("Accept-Language", "fr"))
    };
    for _ in 0..t.settings().sign_in_per_minute_per_account {
        let answer = api.send(attempt()).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let refused = api.send(attempt()).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.header("retry-after").is_some());
    assert!(html(&refused).contains("Trop de tentatives"));
    assert!(set_cookie(&refused, "pkr_session").is_none());
}

async fn a_failure_is_a_friendly_page_and_tls_makes_cookies_secure(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = t.api().await;

    // Over TLS (a proxy in front says so), the session cookie is Secure too.
    let login = api
        .send(
            post(
                "/login",
                &[("pkr_csrf", CSRF)],
                &[
                    ("csrf", CSRF),
                    ("username", "legal"),
                    ("password", PASSWORD),
                ],
            )
            .insert_header(("Forwarded", "proto=https")),
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let (token, line) = set_cookie(&login, "pkr_session").expect("a session cookie");
    assert!(
        line.contains("Secure") && line.contains("HttpOnly") && line.contains("SameSite=Strict"),
        "{line}"
    );

    // Something breaks on our side: a page in the reader's language, with the request id to
    // quote, and nothing of the cause.
    let drop = match backend {
        Backend::Postgres => "DROP TABLE cases CASCADE",
        Backend::Sqlite => "DROP TABLE cases",
    };
    t.execute_sql(drop).unwrap();
    let broken = api
        .send(get("/cases", &[("pkr_session", &token)]).insert_header(("Accept-Language", "fr")))
        .await;
    assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
    let page = html(&broken);
    assert!(page.contains("Une erreur s’est produite"), "{page}");
    let request_id = broken
        .header("x-request-id")
        .expect("a request id")
        .to_string();
    assert!(page.contains(&request_id));
    assert!(!page.contains("no such table") && !page.contains("does not exist"));
    assert!(!page.to_lowercase().contains("diesel") && !page.contains("SELECT"));
}

async fn an_account_with_a_second_factor_signs_in_on_the_page_with_its_code(backend: Backend) {
    use peacekeeper_registry::domain::second_factor;
    let t = TestApp::new(backend);
    t.create_user(
        "focal.mli",
        Role::LegalOfficer,
        Clearance::Confidential,
        &[],
    );
    let api = t.api().await;
    let token = api.login("focal.mli", PASSWORD).await;
    let enrolment = api
        .post(
            "/api/v1/me/second-factor",
            Some(&token),
            serde_json::json!({ "password": PASSWORD }),
        )
        .await;
    let secret = enrolment.body["secret"]
        .as_str()
        .expect("a secret")
        .to_string();
    let code_now = |t: &TestApp| {
        let unix = u64::try_from(t.now().and_utc().timestamp()).expect("after 1970");
        second_factor::code_at(&secret, unix).expect("a code")
    };
    api.post(
        "/api/v1/me/second-factor/confirm",
        Some(&token),
        serde_json::json!({ "code": code_now(&t) }),
    )
    .await;

    let form = api.send(get("/login", &[])).await;
    let (csrf, _) = set_cookie(&form, "pkr_csrf").expect("a CSRF cookie");
    assert!(html(&form).contains("autocomplete=\"one-time-code\""));
    let sign_in = |code: &str| {
        post(
            "/login",
            &[("pkr_csrf", &csrf)],
            &[
                ("csrf", &csrf),
                ("username", "focal.mli"),
                ("password", PASSWORD),
                ("code", code),
            ],
        )
    };
    // The right password without the code: the page asks for it, and nobody is signed in.
    let asked = api.send(sign_in("")).await;
    assert_eq!(asked.status, StatusCode::UNAUTHORIZED);
    assert!(
        html(&asked).contains("id=\"code-needed\""),
        "{}",
        html(&asked)
    );
    assert!(set_cookie(&asked, "pkr_session").is_none());
    t.clock.advance(chrono::TimeDelta::seconds(30));
    let signed_in = api.send(sign_in(&code_now(&t))).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        html(&signed_in)
    );
    assert!(set_cookie(&signed_in, "pkr_session").is_some());
}

/// An administrator made before administrators needed a second factor is sent to its page
/// from every other page until a code confirms it.
async fn the_second_factor_is_set_up_on_its_page(backend: Backend) {
    use peacekeeper_registry::domain::second_factor;
    let t = TestApp::new(backend);
    let id = t.create_user("deputy", Role::Admin, Clearance::Confidential, &[]);
    t.execute_sql(&format!(
        "DELETE FROM second_factors WHERE user_id = '{id}'"
    ))
    .unwrap();
    let api = t.api().await;
    let token = api.login("deputy", PASSWORD).await;
    for path in ["/", "/admin/users", "/incidents"] {
        let sent = api.send(get(path, &[("pkr_session", &token)])).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&sent), "/second-factor", "{path}");
    }
    let page = api
        .send(get("/second-factor", &[("pkr_session", &token)]))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let (csrf, _) = set_cookie(&page, "pkr_csrf").expect("a CSRF cookie");
    assert!(html(&page).contains("action=\"/second-factor\""));
    let cookies = [("pkr_session", token.as_str()), ("pkr_csrf", csrf.as_str())];

    let wrong = api
        .send(post(
            "/second-factor",
            &cookies,
            &[("csrf", &csrf), ("password", "not my password")],
        ))
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&wrong).contains("id=\"password-error\""));
    let enrolled = api
        .send(post(
            "/second-factor",
            &cookies,
            &[("csrf", &csrf), ("password", PASSWORD)],
        ))
        .await;
    assert_eq!(enrolled.status, StatusCode::OK);
    let shown = html(&enrolled);
    assert!(shown.contains("<svg"), "the QR code is drawn in the page");
    assert!(!shown.contains("<script"));
    assert_eq!(
        shown.matches("<li><code>").count(),
        second_factor::RECOVERY_CODES
    );
    let start = shown
        .find("<p>Or type this key into the app: <code>")
        .expect("the key")
        + 40;
    let secret = shown[start..start + shown[start..].find('<').unwrap()].to_string();

    let wrong = api
        .send(post(
            "/second-factor/confirm",
            &cookies,
            &[("csrf", &csrf), ("code", "000000")],
        ))
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&wrong).contains("id=\"code-error\""));
    let unix = u64::try_from(t.now().and_utc().timestamp()).unwrap();
    let code = second_factor::code_at(&secret, unix).expect("a code");
    let confirmed = api
        .send(post(
            "/second-factor/confirm",
            &cookies,
            &[("csrf", &csrf), ("code", &code)],
        ))
        .await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER);
    let on = api
        .send(get("/second-factor", &[("pkr_session", &token)]))
        .await;
    assert!(
        html(&on).contains("Recovery codes left: 10"),
        "{}",
        html(&on)
    );
    let home = api.send(get("/", &[("pkr_session", &token)])).await;
    assert_eq!(home.status, StatusCode::OK, "the same session goes on");

    // A State's focal point, its factor on, is offered none of the missions' lists.
    t.create_focal_point("focal.civ", "CIV", Clearance::Confidential);
    let focal = api.login("focal.civ", PASSWORD).await;
    let focal_home = html(&api.send(get("/", &[("pkr_session", &focal)])).await);
    assert!(!focal_home.contains("href=\"/incidents\""), "{focal_home}");
    assert!(!focal_home.contains("href=\"/cases\""), "{focal_home}");
    api.login_answer("deputy", PASSWORD)
        .await
        .assert_problem(401);
}
