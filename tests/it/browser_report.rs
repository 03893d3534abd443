//! The annual report in a real browser, printed to PDF by Chromium: every section starts on a
//! page of its own, every page carries the period, edition and classification, and the text of
//! the PDF (read by pdftotext) holds the headline figures. The first page goes to
//! `target/screenshots/` as an image.

use crate::browser::Browser;
use crate::browser::start_driver;
use crate::common;

use std::process::Command;

use actix_web::HttpServer;
use serde_json::json;

use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::app;
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(the_annual_report_prints_a_section_a_page);

/// The text of each page of a PDF, by pdftotext.
fn pages_of(pdf: &std::path::Path) -> Vec<String> {
    let mut pages = Vec::new();
    for page in 1.. {
        let output = Command::new("pdftotext")
            .args(["-f", &page.to_string(), "-l", &page.to_string(), "-layout"])
            .arg(pdf)
            .arg("-")
            .output()
            .expect("pdftotext runs (scripts/install-test-tools.sh installs it)");
        if !output.status.success() {
            break;
        }
        pages.push(String::from_utf8_lossy(&output.stdout).to_string());
    }
    pages
}

/// The lines of a page that say something, the running heading first.
fn lines(page: &str) -> Vec<String> {
    page.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

async fn the_annual_report_prints_a_section_a_page(backend: Backend) {
    let Some(driver) = start_driver() else {
        return;
    };
    let t = TestApp::new(backend);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &[],
    );
    t.create_user("chief", Role::Leadership, Clearance::Confidential, &[]);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let mut incidents = Vec::new();
    for (day, nationality) in [("2025-02-01", "SEN"), ("2025-04-01", "BGD")] {
        let created = api
            .post(
                "/api/v1/incidents",
                Some(&officer),
                json!({ "mission": "MINUSCA", "occurred_at": format!("{day}T08:00:00Z"),
                        "location_type": "patrol", "attack_type": "ambush", "summary": "Ambush",
                        "classification": "confidential", "submit": true,
                        "victims": [{ "personnel_type": "military", "nationality": nationality, "outcome": "killed" }] }),
            )
            .await;
        incidents.push(created.id());
    }
    let host = api
        .post("/api/v1/cases", Some(&legal), json!({ "incident_ids": [incidents[0]], "jurisdiction": "CAF", "opened_on": "2025-02-10" }))
        .await
        .id();
    for (to, on) in [
        ("referred", "2025-03-01"),
        ("in_trial", "2025-06-01"),
        ("judgment", "2025-09-01"),
    ] {
        let moved = api
            .post(
                &format!("/api/v1/cases/{host}/transitions"),
                Some(&legal),
                json!({ "to": to, "effective_on": on }),
            )
            .await;
        assert!(moved.status.is_success(), "{}", moved.body);
    }
    let accused = api
        .post(
            &format!("/api/v1/cases/{host}/accused"),
            Some(&legal),
            json!({ "name": "Commander X", "verdict": "convicted", "verdict_on": "2025-09-01",
                    "sentence": { "type": "imprisonment", "months": 240 } }),
        )
        .await;
    assert!(accused.status.is_success(), "{}", accused.body);
    let icc = api
        .post("/api/v1/cases", Some(&legal), json!({ "incident_ids": [incidents[1]], "jurisdiction": "ICC", "opened_on": "2025-04-10" }))
        .await;
    assert!(icc.status.is_success(), "{}", icc.body);
    let assistance = api
        .post(
            "/api/v1/assistance",
            Some(&legal),
            json!({ "type": "training", "state": "CAF", "mission": "MINUSCA", "from": "2025-05-01",
                    "to": "2025-05-05", "provider": "UNPOL" }),
        )
        .await;
    assert!(assistance.status.is_success(), "{}", assistance.body);

    let state = t.state.clone();
    let server = HttpServer::new(move || app(state.clone()))
        .workers(2)
        .bind(("127.0.0.1", 0))
        .expect("the server binds");
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let label = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let browser = Browser::open(
        &driver,
        format!("http://{address}"),
        "en",
        label.to_string(),
    )
    .await;
    browser.sign_in("chief").await;
    browser.goto("/reports/annual?year=2025").await;
    let text = browser.text().await;
    assert!(text.contains("Annual accountability report 2025"), "{text}");
    browser.screenshot("annual-report").await;

    let pdf = browser.print_a4().await;
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), &pdf).expect("the PDF written");
    let pages: Vec<Vec<String>> = pages_of(file.path()).iter().map(|p| lines(p)).collect();
    assert!(pages.len() >= 4, "{pages:#?}");
    let heading = "Annual accountability report 2025 · internal edition · confidential";
    for (number, page) in pages.iter().enumerate() {
        assert!(
            page.iter().any(|l| l.contains(heading)),
            "page {}: {page:#?}",
            number + 1
        );
    }
    // Each section's title is the first thing of a page, under the heading.
    for section in [
        "Per host State",
        "International courts",
        "Per contributing country",
        "Judgments of the period",
    ] {
        let opens_a_page = pages.iter().any(|page| {
            page.iter()
                .find(|l| !l.contains(heading))
                .is_some_and(|first| first == section)
        });
        assert!(opens_a_page, "{section} does not open a page: {pages:#?}");
    }
    // The headline figures, and the judgment with the name the reader is cleared for.
    let all = pages.concat().join(" ");
    for figure in [
        "Cases opened 2",
        "Persons convicted 1",
        "Killed 2",
        "CAF",
        "ICC",
        "Commander X: convicted (imprisonment)",
        "training 1 (5 days)",
    ] {
        assert!(all.contains(figure), "{figure} is not in the PDF:\n{all}");
    }
    // The first printed page, as an image, beside the screenshots.
    let first_page = browser.screenshot_path("annual-report-first-page");
    let prefix = first_page.with_extension("");
    let made = Command::new("pdftoppm")
        .args(["-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile"])
        .arg(file.path())
        .arg(&prefix)
        .status()
        .expect("pdftoppm runs");
    assert!(
        made.success() && first_page.exists(),
        "{}",
        first_page.display()
    );

    browser.close().await;
    handle.stop(false).await;
}
