//! The authorization matrix: for every endpoint of the API, every role, a user in and out of
//! the record's mission, and each clearance, the outcome is written down in `MATRIX` and
//! checked: `A` allowed (any answer but 401, 403 and 404: the request got past authorization),
//! `F` forbidden (403), `N` not found (404, so a record one may not see is not confirmed to
//! exist). Every route the application serves (`api::served_routes`) must have its rows: a new
//! endpoint without them fails.
//!
//! Records are of MINUSCA: incidents unclassified (`U`), confidential (`C`), strictly
//! confidential (`S`), all submitted, and a draft (`D`, unclassified), each with a Senegalese
//! victim; cases before the courts of the Central African Republic on `U` and on `S`, each with
//! an accused person and a document. A State's focal point reads its part in the State view;
//! its writes answer 404 whatever its part, so that trying one confirms nothing. Requests that would change a record are sent in
//! a form the service refuses after authorization (an empty body, a move to a status already
//! held), so the world stays the same from row to row.

use crate::common;

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use common::{Backend, PASSWORD, TestApp, with_token};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(every_endpoint_answers_each_role_mission_and_clearance_as_written);

/// (method, path, record, outcomes for admin, security officer, legal officer, leadership,
/// auditor, State focal point). Each outcome string: a user of the record's mission with
/// clearance unclassified, confidential, strictly confidential, then a user of another mission
/// with the same three. For focal points, pairs of clearances unclassified and confidential:
/// the host State of the cases (`FOCAL_POINT_STATES`), the State of a victim's nationality,
/// then a State the records do not concern.
type Row = (&'static str, &'static str, &'static str, [&'static str; 6]);

/// The States of the focal points' columns: the cases' jurisdiction, a victim's nationality,
/// and a State with no part in the records.
const FOCAL_POINT_STATES: [&str; 3] = ["CAF", "SEN", "FRA"];
const FOCAL_POINT_CLEARANCES: [Clearance; 2] = [Clearance::Unclassified, Clearance::Confidential];

#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //                                                          admin     security  legal     leader    auditor   State
    ("GET",   "/healthz",                          "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("GET",   "/readyz",                           "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    // Not to sessions of any role: only to the metrics token or on the metrics address.
    ("GET",   "/metrics",                          "",  ["NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"]),
    ("GET",   "/api/v1/openapi.json",              "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("GET",   "/api/docs",                         "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("GET",   "/api/docs/{file:.*}",               "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("POST",  "/api/v1/auth/login",                "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("GET",   "/api/v1/me",                        "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("GET",   "/api/v1/me/sessions",               "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("POST",  "/api/v1/me/password",               "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("POST",  "/api/v1/me/second-factor",          "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("POST",  "/api/v1/me/second-factor/confirm",  "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    // Each user's own feed. The feed itself needs no session: no feed has the secret `{secret}`.
    ("POST",  "/api/v1/me/calendar",               "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("DELETE","/api/v1/me/calendar",               "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("GET",   "/api/v1/calendar/{secret}",         "",  ["NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"]),
    ("GET",   "/api/v1/users",                     "",  ["AAAAAA", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF"]),
    ("POST",  "/api/v1/users",                     "",  ["AAAAAA", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/users/{id}",                "",  ["AAAAAA", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF"]),
    ("PATCH", "/api/v1/users/{id}",                "",  ["AAAAAA", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/missions",                  "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("POST",  "/api/v1/missions",                  "",  ["AAAAAA", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/missions/{code}",           "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    ("PATCH", "/api/v1/missions/{code}",           "",  ["AAAAAA", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/incidents",                 "",  ["FFFFFF", "AAAAAA", "AAAAAA", "AAAAAA", "FFFFFF", "FFFFFF"]),
    ("POST",  "/api/v1/incidents",                 "",  ["FFFFFF", "AAAAAA", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/incidents/export",          "",  ["FFFFFF", "AAAAAA", "AAAAAA", "AAAAAA", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/incidents/{id}",            "U", ["FFFFFF", "AAANNN", "AAANNN", "AAANNN", "FFFFFF", "AAAANN"]),
    ("GET",   "/api/v1/incidents/{id}",            "C", ["FFFFFF", "NAANNN", "NAANNN", "NAANNN", "FFFFFF", "NNNANN"]),
    ("GET",   "/api/v1/incidents/{id}",            "S", ["FFFFFF", "NNANNN", "NNANNN", "NNANNN", "FFFFFF", "NNNNNN"]),
    ("GET",   "/api/v1/incidents/{id}",            "D", ["FFFFFF", "AAANNN", "NNNNNN", "NNNNNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/incidents/{id}",            "U", ["FFFFFF", "AAANNN", "FFFNNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/incidents/{id}",            "C", ["FFFFFF", "NAANNN", "NFFNNN", "NFFNNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/incidents/{id}",            "S", ["FFFFFF", "NNANNN", "NNFNNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/incidents/{id}",            "D", ["FFFFFF", "AAANNN", "NNNNNN", "NNNNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/incidents/{id}/submit",     "U", ["FFFFFF", "AAANNN", "FFFNNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/incidents/{id}/submit",     "C", ["FFFFFF", "NAANNN", "NFFNNN", "NFFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/incidents/{id}/submit",     "S", ["FFFFFF", "NNANNN", "NNFNNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/incidents/{id}/verify",     "U", ["FFFFFF", "AAANNN", "FFFNNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/incidents/{id}/verify",     "C", ["FFFFFF", "NAANNN", "NFFNNN", "NFFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/incidents/{id}/verify",     "S", ["FFFFFF", "NNANNN", "NNFNNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/incidents/{id}/verify",     "D", ["FFFFFF", "AAANNN", "NNNNNN", "NNNNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/incidents/{id}/withdraw",   "U", ["FFFFFF", "AAANNN", "FFFNNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/incidents/{id}/withdraw",   "S", ["FFFFFF", "NNANNN", "NNFNNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/incidents/{id}/withdraw",   "D", ["FFFFFF", "AAANNN", "NNNNNN", "NNNNNN", "FFFFFF", "NNNNNN"]),
    ("GET",   "/api/v1/incidents/{id}/history",    "U", ["FFFFFF", "AAANNN", "AAANNN", "AAANNN", "FFFFFF", "NNNNNN"]),
    ("GET",   "/api/v1/incidents/{id}/history",    "S", ["FFFFFF", "NNANNN", "NNANNN", "NNANNN", "FFFFFF", "NNNNNN"]),
    ("GET",   "/api/v1/incidents/{id}/history",    "D", ["FFFFFF", "AAANNN", "NNNNNN", "NNNNNN", "FFFFFF", "NNNNNN"]),
    ("GET",   "/api/v1/cases",                     "",  ["FFFFFF", "AAAAAA", "AAAAAA", "AAAAAA", "FFFFFF", "FFFFFF"]),
    ("POST",  "/api/v1/cases",                     "",  ["FFFFFF", "FFFFFF", "AAAAAA", "FFFFFF", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/cases/{id}",                "U", ["FFFFFF", "AAANNN", "AAANNN", "AAANNN", "FFFFFF", "AAAANN"]),
    ("GET",   "/api/v1/cases/{id}",                "S", ["FFFFFF", "NNANNN", "NNANNN", "NNANNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/cases/{id}",                "U", ["FFFFFF", "FFFNNN", "AAANNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/cases/{id}",                "S", ["FFFFFF", "NNFNNN", "NNANNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/cases/{id}/transitions",    "U", ["FFFFFF", "FFFNNN", "AAANNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/cases/{id}/transitions",    "S", ["FFFFFF", "NNFNNN", "NNANNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/cases/{id}/transitions/{position}", "U", ["FFFFFF", "FFFNNN", "AAANNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/cases/{id}/transitions/{position}", "S", ["FFFFFF", "NNFNNN", "NNANNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/cases/{id}/accused",        "U", ["FFFFFF", "FFFNNN", "AAANNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/cases/{id}/accused",        "S", ["FFFFFF", "NNFNNN", "NNANNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/cases/{id}/accused/{accused_id}", "U", ["FFFFFF", "FFFNNN", "AAANNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/cases/{id}/accused/{accused_id}", "S", ["FFFFFF", "NNFNNN", "NNANNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/cases/{id}/documents",      "U", ["FFFFFF", "FFFNNN", "AAANNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/cases/{id}/documents",      "S", ["FFFFFF", "NNFNNN", "NNANNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    // Documents need clearance `confidential`, whatever the case's incidents.
    ("GET",   "/api/v1/cases/{id}/documents/{document_id}", "U", ["FFFFFF", "FAANNN", "FAANNN", "FAANNN", "FFFFFF", "NNNNNN"]),
    ("GET",   "/api/v1/cases/{id}/documents/{document_id}", "S", ["FFFFFF", "NNANNN", "NNANNN", "NNANNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/cases/{id}/documents/{document_id}", "U", ["FFFFFF", "FFFNNN", "AAANNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("PATCH", "/api/v1/cases/{id}/documents/{document_id}", "S", ["FFFFFF", "NNFNNN", "NNANNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    // Proposals are the host State's (CAF) to make and the mission's legal officers' to
    // decide. The one of the world (a document on `U`) is already declined: deciding it again
    // is refused after authorization.
    ("POST",  "/api/v1/cases/{id}/proposals",      "U", ["FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "AAFFNN"]),
    ("POST",  "/api/v1/cases/{id}/proposals",      "S", ["FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "NNNNNN"]),
    ("GET",   "/api/v1/cases/{id}/proposals",      "U", ["FFFFFF", "FFFNNN", "AAANNN", "FFFNNN", "FFFFFF", "AAAANN"]),
    ("GET",   "/api/v1/cases/{id}/proposals",      "S", ["FFFFFF", "NNFNNN", "NNANNN", "NNFNNN", "FFFFFF", "NNNNNN"]),
    ("GET",   "/api/v1/proposals",                 "",  ["FFFFFF", "FFFFFF", "AAAAAA", "FFFFFF", "FFFFFF", "FFFFFF"]),
    ("POST",  "/api/v1/proposals/{id}/accept",     "U", ["FFFFFF", "FFFNNN", "AAANNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    ("POST",  "/api/v1/proposals/{id}/decline",    "U", ["FFFFFF", "FFFNNN", "AAANNN", "FFFNNN", "FFFFFF", "NNNNNN"]),
    // The proposed file: clearance `confidential`, as every document.
    ("GET",   "/api/v1/proposals/{id}/document",   "U", ["FFFFFF", "FFFNNN", "FAANNN", "FFFNNN", "FFFFFF", "FANNNN"]),
    // Assistance to the Central African Republic, recorded by MINUSCA. The host State's focal
    // points read it and change nothing (403: they know it exists).
    ("GET",   "/api/v1/assistance",                "",  ["FFFFFF", "AAAAAA", "AAAAAA", "AAAAAA", "FFFFFF", "AAAAAA"]),
    ("POST",  "/api/v1/assistance",                "",  ["FFFFFF", "FFFFFF", "AAAAAA", "AAAAAA", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/assistance/{id}",           "",  ["FFFFFF", "AAANNN", "AAANNN", "AAANNN", "FFFFFF", "AANNNN"]),
    ("PATCH", "/api/v1/assistance/{id}",           "",  ["FFFFFF", "FFFNNN", "AAANNN", "AAANNN", "FFFFFF", "FFNNNN"]),
    ("GET",   "/api/v1/assistance/{id}/history",   "",  ["FFFFFF", "AAANNN", "AAANNN", "AAANNN", "FFFFFF", "AANNNN"]),
    ("POST",  "/api/v1/imports/un-fatalities",     "",  ["AAAAAA", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/summary",                   "",  ["FFFFFF", "AAAFFF", "AAAFFF", "AAAFFF", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/summary/stalled",           "",  ["FFFFFF", "AAAFFF", "AAAFFF", "AAAFFF", "FFFFFF", "FFFFFF"]),
    // Without a year the readers are answered 422: past authorization.
    ("GET",   "/api/v1/reports/annual",            "",  ["FFFFFF", "FFFFFF", "AAAAAA", "AAAAAA", "FFFFFF", "FFFFFF"]),
    ("POST",  "/api/v1/reports/annual/issue",      "",  ["FFFFFF", "FFFFFF", "FFFFFF", "AAAAAA", "FFFFFF", "FFFFFF"]),
    // Issued over MINUSCA, drawing on a strictly confidential incident.
    ("GET",   "/api/v1/reports/issued/{id}",       "",  ["FFFFFF", "FFFFFF", "NNANNN", "NNANNN", "FFFFFF", "FFFFFF"]),
    ("GET",   "/api/v1/state/reports/annual",      "",  ["FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "AAAAAA"]),
    ("GET",   "/api/v1/state/incidents",           "",  ["FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "AAAAAA"]),
    ("GET",   "/api/v1/state/cases",               "",  ["FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "AAAAAA"]),
    ("GET",   "/api/v1/state/summary",             "",  ["FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "AAAAAA"]),
    ("GET",   "/api/v1/audit",                     "",  ["FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "AAAAAA", "FFFFFF"]),
    ("GET",   "/api/v1/audit/verify",              "",  ["FFFFFF", "FFFFFF", "FFFFFF", "FFFFFF", "AAAAAA", "FFFFFF"]),
    ("POST",  "/api/v1/auth/logout",               "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
    // Last: it ends every session of the user.
    ("POST",  "/api/v1/auth/logout-all",           "",  ["AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA", "AAAAAA"]),
];

/// One user for each role, mission (in or out of MINUSCA) and clearance.
struct Subject {
    role: usize,
    column: usize,
    token: String,
    spare_token: String,
    username: String,
}

struct World {
    incidents: [(&'static str, String); 4],
    cases: [(&'static str, String, String, String); 2],
    user_id: String,
    proposal_id: String,
    assistance_id: String,
    issued_id: String,
}

impl World {
    fn incident(&self, variant: &str) -> &str {
        &self
            .incidents
            .iter()
            .find(|(v, _)| *v == variant)
            .unwrap()
            .1
    }

    fn case(&self, variant: &str) -> &(&'static str, String, String, String) {
        self.cases.iter().find(|(v, ..)| *v == variant).unwrap()
    }

    fn path(&self, template: &str, variant: &str) -> String {
        let mut path = template
            .replace("{code}", "MINUSCA")
            .replace("{file:.*}", "index.html")
            .replace("{position}", "0")
            .replace("{id}", "{ID}");
        if !template.contains("{id}") {
            return path;
        }
        if template.starts_with("/api/v1/users/") {
            path = path.replace("{ID}", &self.user_id);
        } else if template.starts_with("/api/v1/reports/issued/") {
            path = path.replace("{ID}", &self.issued_id);
        } else if template.starts_with("/api/v1/assistance/") {
            path = path.replace("{ID}", &self.assistance_id);
        } else if template.starts_with("/api/v1/proposals/") {
            path = path.replace("{ID}", &self.proposal_id);
        } else if template.starts_with("/api/v1/cases/") {
            let (_, case, accused, document) = self.case(variant);
            path = path
                .replace("{ID}", case)
                .replace("{accused_id}", accused)
                .replace("{document_id}", document);
        } else {
            path = path.replace("{ID}", self.incident(variant));
        }
        path
    }
}

async fn every_endpoint_answers_each_role_mission_and_clearance_as_written(backend: Backend) {
    // Every route has rows, and every row a route.
    let declared = common::declared_routes();
    let written: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(method, path, ..)| (method.to_string(), path.to_string()))
        .collect();
    let missing: Vec<_> = declared.difference(&written).collect();
    let stale: Vec<_> = written.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "routes without rows in MATRIX: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:?}"
    );

    let t = TestApp::new(backend)
        .with_settings(|s| s.public_url = "https://registry.example.org".into());
    t.create_user(
        "maker",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    t.create_user(
        "lawyer",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    let user_id = t.create_user("someone", Role::Leadership, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let maker = api.login("maker", PASSWORD).await;
    let lawyer = api.login("lawyer", PASSWORD).await;
    let day = (t.now() - chrono::TimeDelta::days(2))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut incidents = Vec::new();
    for (variant, classification, submit) in [
        ("U", "unclassified", true),
        ("C", "confidential", true),
        ("S", "strictly_confidential", true),
        ("D", "unclassified", false),
    ] {
        let created = api
            .post(
                "/api/v1/incidents",
                Some(&maker),
                json!({ "mission": "MINUSCA", "occurred_at": day, "location_type": "base",
                        "attack_type": "ambush", "summary": format!("Incident {variant}"),
                        "classification": classification, "submit": submit,
                        "victims": [{ "personnel_type": "military", "nationality": "SEN",
                                      "gender": "male", "outcome": "injured" }] }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        incidents.push((variant, created.body["id"].as_str().unwrap().to_string()));
    }
    let mut cases = Vec::new();
    for variant in ["U", "S"] {
        let incident = &incidents.iter().find(|(v, _)| *v == variant).unwrap().1;
        let case = api
            .post(
                "/api/v1/cases",
                Some(&lawyer),
                json!({ "incident_ids": [incident], "jurisdiction": "CAF" }),
            )
            .await;
        assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
        let case_id = case.body["id"].as_str().unwrap().to_string();
        let accused = api
            .post(
                &format!("/api/v1/cases/{case_id}/accused"),
                Some(&lawyer),
                json!({ "name": "A. B.", "status": "wanted" }),
            )
            .await;
        assert_eq!(accused.status, StatusCode::CREATED, "{}", accused.body);
        let document = upload(&api, &lawyer, &case_id).await;
        cases.push((
            variant,
            case_id,
            accused.body["id"].as_str().unwrap().to_string(),
            document,
        ));
    }
    // A document the host State proposed on `U`, declined.
    t.create_focal_point("proposer", "CAF", Clearance::Confidential);
    let proposer = api.login("proposer", PASSWORD).await;
    let proposals = format!("/api/v1/cases/{}/proposals", cases[0].1);
    let proposed = t
        .upload_form(&proposer, &proposals, "warrant", "A warrant")
        .await;
    assert_eq!(proposed.status, StatusCode::CREATED, "{}", proposed.body);
    let proposal_id = proposed.body["id"].as_str().unwrap().to_string();
    let declined = api
        .post(
            &format!("/api/v1/proposals/{proposal_id}/decline"),
            Some(&lawyer),
            json!({ "reason": "Illegible" }),
        )
        .await;
    assert_eq!(declined.status, StatusCode::OK, "{}", declined.body);
    let assistance = api
        .post(
            "/api/v1/assistance",
            Some(&lawyer),
            json!({ "type": "training", "state": "CAF", "mission": "MINUSCA",
                    "from": "2025-01-10", "provider": "UNPOL", "case_ids": [cases[0].1] }),
        )
        .await;
    assert_eq!(
        assistance.status,
        StatusCode::CREATED,
        "{}",
        assistance.body
    );
    t.create_user(
        "issuer",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    let issuer = api.login("issuer", PASSWORD).await;
    let period = |days: i64| {
        (t.now() - chrono::TimeDelta::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    let issued = api
        .post(
            "/api/v1/reports/annual/issue",
            Some(&issuer),
            json!({ "from": period(30), "to": period(0) }),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    assert_eq!(issued.body["edition"], "internal");
    let world = World {
        incidents: incidents.try_into().unwrap(),
        cases: cases.try_into().unwrap(),
        user_id,
        proposal_id,
        assistance_id: assistance.id(),
        issued_id: issued.id(),
    };

    let mut subjects = Vec::new();
    for (role_index, role) in Role::ALL.into_iter().enumerate() {
        if role == Role::StateFocalPoint {
            for (relation, state) in FOCAL_POINT_STATES.into_iter().enumerate() {
                for (level, clearance) in FOCAL_POINT_CLEARANCES.into_iter().enumerate() {
                    let username = format!("focal.{}.{level}", state.to_lowercase());
                    t.create_focal_point(&username, state, clearance);
                    subjects.push(Subject {
                        role: role_index,
                        column: relation * 2 + level,
                        token: api.login(&username, PASSWORD).await,
                        spare_token: api.login(&username, PASSWORD).await,
                        username,
                    });
                }
            }
            continue;
        }
        for (scope, mission) in ["MINUSCA", "MONUSCO"].into_iter().enumerate() {
            for (level, clearance) in Clearance::ALL.into_iter().enumerate() {
                let username = format!("{}.{}.{}", role.code(), mission.to_lowercase(), level);
                t.create_user(&username, role, clearance, &[mission]);
                let token = api.login(&username, PASSWORD).await;
                let spare_token = api.login(&username, PASSWORD).await;
                subjects.push(Subject {
                    role: role_index,
                    column: scope * 3 + level,
                    token,
                    spare_token,
                    username,
                });
            }
        }
    }

    let mut wrong = Vec::new();
    for (method, template, variant, expected) in MATRIX {
        let path = world.path(template, variant);
        for subject in &subjects {
            let answer = api.send(request(method, &path, subject)).await;
            // Allowed means got past authorization: refused for its content at most, never
            // failed, throttled or unauthenticated.
            let got = match answer.status.as_u16() {
                403 => 'F',
                404 => 'N',
                // The password was right; an account with a second factor goes on with a code.
                401 if answer.body["type"] == "/problems/second-factor-required" => 'A',
                401 => '?',
                429 => 'T',
                500.. => 'E',
                _ => 'A',
            };
            let want = expected[subject.role].as_bytes()[subject.column] as char;
            if got != want {
                wrong.push(format!(
                    "{method} {template} [{variant}] as {}: written {want}, got {got} ({})",
                    subject.username, answer.status
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} outcomes differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The request a row sends: reads as they are; writes with a body the service refuses after
/// authorization, so nothing changes.
fn request(method: &str, path: &str, subject: &Subject) -> TestRequest {
    let token = if path.ends_with("/auth/logout") {
        &subject.spare_token
    } else {
        &subject.token
    };
    let with_query = match path {
        "/api/v1/summary" | "/api/v1/summary/stalled" => format!("{path}?mission=MINUSCA"),
        _ => path.to_string(),
    };
    let request = match method {
        "GET" => TestRequest::get(),
        "POST" => TestRequest::post(),
        "PATCH" => TestRequest::patch(),
        "DELETE" => TestRequest::delete(),
        other => panic!("no request for {other}"),
    }
    .uri(&with_query);
    if path == "/api/v1/auth/login" {
        return request.set_json(json!({ "username": subject.username, "password": PASSWORD }));
    }
    let request = if path.ends_with("/imports/un-fatalities") {
        request
            .insert_header(("Content-Type", "text/csv"))
            .set_payload("")
    } else if path.ends_with("/documents") {
        request
            .insert_header(("Content-Type", "text/plain"))
            .set_payload("not a form")
    } else if path.ends_with("/submit") || path.ends_with("/verify") {
        // A move to a status the record already has, or may not take, is refused as a conflict.
        request
    } else if method != "GET" {
        request.set_json(Value::Object(Default::default()))
    } else {
        request
    };
    with_token(request, Some(token))
}

async fn upload<S, B>(api: &common::Api<S>, token: &str, case_id: &str) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let boundary = "matrixBoundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nStatement\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nother\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nA witness statement.\r\n--{boundary}--\r\n"
    );
    let answer = api
        .send(with_token(
            TestRequest::post()
                .uri(&format!("/api/v1/cases/{case_id}/documents"))
                .insert_header((
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                ))
                .set_payload(body),
            Some(token),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body["id"].as_str().unwrap().to_string()
}
