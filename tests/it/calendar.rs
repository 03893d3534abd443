//! Deadlines in everyone's calendar: a private feed of the due next actions each user may see,
//! read back by an independent reader (Python's icalendar), unchanged feeds answered 304, and
//! revoked or disabled feeds answered 404.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(each_feed_holds_the_deadlines_its_reader_may_see);

const PUBLIC_URL: &str = "https://registry.example.org";

/// The Python of `scripts/install-test-tools.sh`, if it is there.
fn independent_reader() -> Option<PathBuf> {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/bin/python");
    if python.exists() {
        return Some(python);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "CI must have {}: run scripts/install-test-tools.sh",
            python.display()
        );
    }
    eprintln!(
        "Python's icalendar is missing (scripts/install-test-tools.sh): the feed is not read back"
    );
    None
}

/// The events of a feed as Python's icalendar reads them: (UID, SUMMARY, DTSTART, URL).
fn read_back(feed: &[u8]) -> Option<Vec<Value>> {
    let python = independent_reader()?;
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), feed).expect("write the feed");
    let script = "import icalendar, json, sys\n\
        calendar = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
        print(json.dumps([{'uid': str(e['UID']), 'summary': str(e['SUMMARY']),\n\
            'start': e.decoded('DTSTART').isoformat(), 'url': str(e['URL']),\n\
            'stamp': e.decoded('DTSTAMP').isoformat()} for e in calendar.walk('VEVENT')]))";
    let output = Command::new(python)
        .args(["-c", script])
        .arg(file.path())
        .output()
        .expect("run Python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("JSON from Python"))
}

fn attack(classification: &str) -> Value {
    json!({
        "mission": "MINUSCA", "occurred_at": "2026-01-10T08:00:00Z", "location_type": "patrol",
        "attack_type": "ambush", "summary": "Patrol ambushed", "classification": classification,
        "victims": [{ "personnel_type": "military", "nationality": "RWA", "outcome": "killed" }],
        "submit": true
    })
}

async fn each_feed_holds_the_deadlines_its_reader_may_see(backend: Backend) {
    // Without the address users reach the registry at, there are no feeds, and the answer says so.
    let bare = TestApp::new(backend);
    bare.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let api = bare.api().await;
    let legal = api.login("legal", PASSWORD).await;
    let refused = api
        .post("/api/v1/me/calendar", Some(&legal), json!({}))
        .await;
    refused.assert_problem(503);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("public_url"),
        "{}",
        refused.body
    );

    let t = TestApp::new(backend).with_settings(|s| s.public_url = PUBLIC_URL.into());
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    t.create_user(
        "legal",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    t.create_user(
        "legal.top",
        Role::LegalOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    t.create_focal_point("focal.caf", "CAF", Clearance::Confidential);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let top = api.login("legal.top", PASSWORD).await;
    let focal = api.login("focal.caf", PASSWORD).await;
    let open = api
        .post("/api/v1/incidents", Some(&officer), attack("unclassified"))
        .await
        .id();
    let secret = api
        .post(
            "/api/v1/incidents",
            Some(&officer),
            attack("strictly_confidential"),
        )
        .await
        .id();
    let open_case = |next_action: Option<(&str, &str, bool)>, incident: &str| {
        let mut body = json!({ "incident_ids": [incident], "jurisdiction": "CAF" });
        if let Some((text, due, shared)) = next_action {
            body["next_action"] = json!(text);
            body["next_action_due"] = json!(due);
            body["next_action_shared"] = json!(shared);
        }
        body
    };
    let shared = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            open_case(Some(("File the indictment", "2027-01-15", true)), &open),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.body);
    let kept = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            open_case(Some(("Call the prosecutor", "2027-02-01", false)), &open),
        )
        .await;
    let above = api
        .post(
            "/api/v1/cases",
            Some(&top),
            open_case(Some(("Protect the witness", "2027-01-20", false)), &secret),
        )
        .await;
    let undated = api
        .post("/api/v1/cases", Some(&legal), open_case(None, &open))
        .await;
    // Before another State's courts: not the Central African Republic's to see.
    let mut elsewhere_body = open_case(
        Some(("Ask the Congolese prosecutor", "2027-01-25", true)),
        &open,
    );
    elsewhere_body["jurisdiction"] = json!("COD");
    let elsewhere = api
        .post("/api/v1/cases", Some(&legal), elsewhere_body)
        .await;
    assert_eq!(elsewhere.status, StatusCode::CREATED, "{}", elsewhere.body);
    let elsewhere_id = elsewhere.id();
    for answer in [&kept, &above, &undated] {
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }
    let (shared_id, kept_id, above_id) = (shared.id(), kept.id(), above.id());

    // A legal officer's feed: the two cases of their clearance with a due next action.
    let made = api
        .post("/api/v1/me/calendar", Some(&legal), json!({}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let url = made.body["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{PUBLIC_URL}/api/v1/calendar/")),
        "{url}"
    );
    let path = url.trim_start_matches(PUBLIC_URL).to_string();
    let feed = api.send(TestRequest::get().uri(&path)).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(
        feed.content_type().starts_with("text/calendar"),
        "{}",
        feed.content_type()
    );
    let etag = feed.header("etag").expect("an ETag").to_string();
    if let Some(events) = read_back(&feed.bytes) {
        assert_eq!(events.len(), 3, "{events:?}");
        assert_eq!(
            events[0]["uid"],
            format!("next-action-{shared_id}@registry.example.org")
        );
        assert_eq!(
            events[0]["summary"],
            format!(
                "{}: File the indictment",
                shared.body["reference"].as_str().unwrap()
            )
        );
        assert_eq!(events[0]["start"], "2027-01-15");
        assert_eq!(events[0]["url"], format!("{PUBLIC_URL}/cases/{shared_id}"));
        assert_eq!(
            events[1]["uid"],
            format!("next-action-{elsewhere_id}@registry.example.org")
        );
        assert_eq!(
            events[2]["uid"],
            format!("next-action-{kept_id}@registry.example.org")
        );
    }
    // Asked again, unchanged: 304; the same text whatever the clock says.
    t.clock.advance(chrono::TimeDelta::minutes(10));
    let again = api
        .send(
            TestRequest::get()
                .uri(&path)
                .insert_header(("If-None-Match", etag.as_str())),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    // A case changes: so does the feed.
    let moved = api
        .patch(
            &format!("/api/v1/cases/{kept_id}"),
            Some(&legal),
            json!({ "version": 1, "next_action_due": "2027-03-01" }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let changed = api
        .send(
            TestRequest::get()
                .uri(&path)
                .insert_header(("If-None-Match", etag.as_str())),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));

    // The cleared officer sees the third case too.
    let top_url = api
        .post("/api/v1/me/calendar", Some(&top), json!({}))
        .await
        .body["url"]
        .as_str()
        .unwrap()
        .to_string();
    let top_feed = api
        .send(TestRequest::get().uri(top_url.trim_start_matches(PUBLIC_URL)))
        .await;
    let top_text = String::from_utf8_lossy(&top_feed.bytes).to_string();
    assert!(
        top_text.contains(&above_id)
            && top_text.contains(&shared_id)
            && top_text.contains(&kept_id)
    );

    // The host State's focal point: its State's cases, the text only where it was shared.
    let focal_url = api
        .post("/api/v1/me/calendar", Some(&focal), json!({}))
        .await
        .body["url"]
        .as_str()
        .unwrap()
        .to_string();
    let focal_path = focal_url.trim_start_matches(PUBLIC_URL).to_string();
    let focal_feed = api.send(TestRequest::get().uri(&focal_path)).await;
    assert_eq!(focal_feed.status, StatusCode::OK);
    let focal_text = String::from_utf8_lossy(&focal_feed.bytes).to_string();
    assert!(focal_text.contains("File the indictment"), "{focal_text}");
    assert!(
        !focal_text.contains("Call the prosecutor") && focal_text.contains(&kept_id),
        "{focal_text}"
    );
    assert!(!focal_text.contains(&above_id), "{focal_text}");
    assert!(!focal_text.contains(&elsewhere_id), "{focal_text}");
    if let Some(events) = read_back(&focal_feed.bytes) {
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(
            events[0]["url"],
            format!("{PUBLIC_URL}/state/cases/{shared_id}")
        );
        assert!(
            events[1]["summary"]
                .as_str()
                .unwrap()
                .ends_with(": next action due")
        );
    }

    // A new feed revokes the old; a revoked feed, and a disabled account's, answer 404.
    let replaced = api
        .post("/api/v1/me/calendar", Some(&legal), json!({}))
        .await
        .body["url"]
        .as_str()
        .unwrap()
        .to_string();
    api.send(TestRequest::get().uri(&path))
        .await
        .assert_problem(404);
    let replaced_path = replaced.trim_start_matches(PUBLIC_URL).to_string();
    assert_eq!(
        api.send(TestRequest::get().uri(&replaced_path))
            .await
            .status,
        StatusCode::OK
    );
    let revoked = api
        .send(common::with_token(
            TestRequest::delete().uri("/api/v1/me/calendar"),
            Some(&legal),
        ))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    api.send(TestRequest::get().uri(&replaced_path))
        .await
        .assert_problem(404);
    t.execute_sql("UPDATE users SET disabled = TRUE WHERE username = 'focal.caf'")
        .unwrap();
    api.send(TestRequest::get().uri(&focal_path))
        .await
        .assert_problem(404);
    api.send(TestRequest::get().uri("/api/v1/calendar/a-secret-nobody-was-given"))
        .await
        .assert_problem(404);

    // The trail says feeds were made and revoked; no secret is kept or recorded.
    assert_eq!(
        t.count("audit_log WHERE action = 'user.calendar.create'"),
        4
    );
    assert_eq!(
        t.count("audit_log WHERE action = 'user.calendar.revoke'"),
        1
    );
    let secret_of = |url: &str| url.rsplit('/').next().unwrap().to_string();
    for feed_secret in [secret_of(&replaced), secret_of(&top_url)] {
        assert_eq!(
            t.count(&format!("audit_log WHERE details LIKE '%{feed_secret}%'")),
            0
        );
        assert_eq!(
            t.count(&format!(
                "calendar_feeds WHERE secret_sha256 = '{feed_secret}'"
            )),
            0
        );
    }
}
