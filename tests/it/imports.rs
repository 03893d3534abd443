//! The official fatalities dataset comes in: the real file, whole and once; broken files
//! reported line by line.

use crate::common;

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::Value;

use common::{Answer, Backend, PASSWORD, TestApp, with_token};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    the_official_file_imports_whole_and_once,
    a_later_edition_adds_deaths_to_their_day,
    broken_rows_are_reported_by_line,
    only_administrators_import,
    the_import_touches_only_its_own,
);

const OFFICIAL_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/DPPADPOSS-FATALITIES.csv"
);

fn official_file() -> String {
    std::fs::read_to_string(OFFICIAL_FILE).expect("the official dataset")
}

/// Malicious-act deaths per year, counted from the file itself.
fn killed_per_year_in_file() -> BTreeMap<String, u64> {
    let mut reader = csv::Reader::from_path(OFFICIAL_FILE).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (date, kind) = (column("incident_date"), column("type_of_incident"));
    let mut years = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        if &record[kind] == "Malicious Act" {
            *years.entry(record[date][..4].to_string()).or_default() += 1;
        }
    }
    years
}

fn import_request(token: &str, csv: impl Into<actix_web::web::Bytes>, query: &str) -> TestRequest {
    with_token(
        TestRequest::post().uri(&format!("/api/v1/imports/un-fatalities{query}")),
        Some(token),
    )
    .insert_header(("Content-Type", "text/csv"))
    .set_payload(csv)
}

/// Every incident a user can list, through the API, page by page.
macro_rules! all_incidents {
    ($api:expr, $token:expr, $query:expr) => {{
        let mut items: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/incidents?limit=200{}", $query);
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page: Answer = $api.get(&path, Some($token)).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            items.extend(page.body["items"].as_array().unwrap().iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        items
    }};
}

async fn the_official_file_imports_whole_and_once(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    t.create_user(
        "leader",
        Role::Leadership,
        Clearance::StrictlyConfidential,
        &[],
    );
    let api = t.api().await;
    let chief = api.login("chief", PASSWORD).await;
    let leader = api.login("leader", PASSWORD).await;

    // A dry run counts everything and writes nothing.
    let dry = api
        .send(import_request(&chief, official_file(), "?dry_run=true"))
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(dry.body["dry_run"], true);
    assert_eq!(dry.body["incidents_created"], 611);
    assert_eq!(t.count("incidents"), 0);

    let report = api.send(import_request(&chief, official_file(), "")).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let body = &report.body;
    assert_eq!(body["rows_read"], 4429);
    assert_eq!(body["malicious_act_rows"], 1134);
    assert_eq!(body["victims_created"], 1134);
    assert_eq!(body["incidents_created"], 611);
    assert_eq!(body["already_present"], 0);
    assert_eq!(body["rejected"], Value::Array(vec![]));
    // The figures the summaries read, kept by the database as the import wrote (an incident
    // and its victims in one statement on PostgreSQL), equal a recount.
    let kept = peacekeeper_registry::store::summary_figures::first_difference(&mut t.conn());
    assert_eq!(kept.unwrap(), None);
    assert_eq!(body["skipped_by_type"]["Illness"], 1643);
    assert_eq!(body["skipped_by_type"]["Accident"], 1412);
    assert_eq!(body["duplicates"].as_array().unwrap().len(), 6);
    assert_eq!(body["duplicates"][0]["casualty_id"], "UNMIK-2003-05-03589");
    assert_eq!(body["last_update"], "2025-04-04");
    assert!(
        body["missions_created"]
            .as_array()
            .unwrap()
            .contains(&Value::from("UNSecretariat"))
    );
    assert_eq!(t.count("incidents WHERE status = 'verified'"), 611);
    assert_eq!(t.count("incident_victims WHERE outcome = 'killed'"), 1134);
    assert_eq!(
        t.count("incident_victims WHERE personnel_type = 'national_staff'"),
        body["personnel_type_trimmed"].as_i64().unwrap()
    );
    assert_eq!(
        t.count("incident_sources WHERE source_type = 'official_dataset'"),
        611
    );
    assert_eq!(
        t.count("missions WHERE code = 'ONUC' AND active = false"),
        1
    );

    // Deaths per year, as the registry lists them, match the file for every year.
    let incidents = all_incidents!(api, &leader, "");
    assert_eq!(incidents.len(), 611);
    let mut per_year: BTreeMap<String, u64> = BTreeMap::new();
    for incident in &incidents {
        let year = incident["occurred_at"].as_str().unwrap()[..4].to_string();
        *per_year.entry(year).or_default() += incident["victim_counts"]["killed"].as_u64().unwrap();
    }
    assert_eq!(per_year, killed_per_year_in_file());
    assert_eq!(per_year.values().sum::<u64>(), 1134);

    // The published figure: 172 malicious-act deaths in MINUSMA, 2013-01-01 to 2023-02-28.
    let minusma = all_incidents!(
        api,
        &leader,
        "&mission=MINUSMA&from=2013-01-01T00:00:00Z&to=2023-03-01T00:00:00Z"
    );
    let killed: u64 = minusma
        .iter()
        .map(|i| i["victim_counts"]["killed"].as_u64().unwrap())
        .sum();
    assert_eq!(killed, 172);

    // The summaries say the same.
    let summary = api.get("/api/v1/summary?group=year", Some(&leader)).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
    let mut summary_per_year: BTreeMap<String, u64> = BTreeMap::new();
    for row in summary.body["rows"].as_array().unwrap() {
        *summary_per_year
            .entry(row["period"].as_str().unwrap().to_string())
            .or_default() += row["killed"].as_u64().unwrap();
    }
    assert_eq!(summary_per_year, killed_per_year_in_file());
    assert_eq!(summary.body["totals"]["killed"], 1134);
    let published = api
        .get(
            "/api/v1/summary?mission=MINUSMA&from=2013-01-01&to=2023-02-28",
            Some(&leader),
        )
        .await;
    assert_eq!(published.body["totals"]["killed"], 172);

    // A second import creates nothing.
    let again = api.send(import_request(&chief, official_file(), "")).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["incidents_created"], 0);
    assert_eq!(again.body["victims_created"], 0);
    assert_eq!(again.body["already_present"], 1134);
    assert_eq!(again.body["missions_created"], Value::Array(vec![]));
    assert_eq!(t.count("incidents"), 611);
    assert_eq!(
        t.count("audit_log WHERE action = 'import.un_fatalities'"),
        2
    );
}

async fn broken_rows_are_reported_by_line(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let api = t.api().await;
    let chief = api.login("chief", PASSWORD).await;
    let header = official_file().lines().next().unwrap().to_string();
    let file = [
        header.as_str(),
        // line 2: fine; line 3: a date that does not exist
        "1,2019-01-20,MINUSMA-2019-01-00001,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04",
        "2,2019-02-30,MINUSMA-2019-02-00002,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04",
        // line 4: no casualty id; line 5, of the same day, is held back with it
        "3,2019-03-01,,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04",
        "4,2019-03-01,MINUSMA-2019-03-00004,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04",
        // line 6: a personnel type nobody knows; line 7: too few fields
        "5,2019-04-01,MINUSMA-2019-04-00005,MINUSMA,Fatality,M,Chad,Astronaut,Malicious Act,148.0,TCD,2025-04-04",
        "6,2019-05-01,MINUSMA-2019-05-00006,MINUSMA",
        // line 8: an illness, skipped; line 9: fine, another mission
        "7,2019-06-01,MINUSMA-2019-06-00007,MINUSMA,Fatality,F,Chad,Police,Illness,148.0,TCD,2025-04-04",
        "8,2019-07-01,MINUSCA-2019-07-00008,MINUSCA,Fatality,,Rwanda,Local ,Malicious Act,646.0,,2025-04-04",
        // line 10: too few fields; line 11, of the same day, is held back with it
        "9,2019-08-01,MINUSMA-2019-08-00009,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0",
        "10,2019-08-01,MINUSMA-2019-08-00010,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04",
        // line 12: a day that has not come yet
        "11,2099-01-01,MINUSMA-2099-01-00011,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04",
    ]
    .join("\n");
    // line 13: not UTF-8 (Côte written in Latin-1)
    let mut file = file.into_bytes();
    file.extend_from_slice(
        b"\n12,2019-09-01,MINUSMA-2019-09-00012,MINUSMA,Fatality,M,C\xf4te d'Ivoire,Military,Malicious Act,384.0,CIV,2025-04-04\n",
    );
    let report = api.send(import_request(&chief, file, "")).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let rejected: Vec<(i64, String)> = report.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let lines: Vec<i64> = rejected.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 10, 11, 12, 13], "{rejected:?}");
    assert!(rejected[0].1.contains("incident_date"));
    assert!(rejected[1].1.contains("casualty_id"));
    assert!(rejected[2].1.contains("line 4"));
    assert!(rejected[3].1.contains("Astronaut"));
    assert!(rejected[4].1.contains("fields"));
    assert!(rejected[5].1.contains("fields"));
    assert!(rejected[6].1.contains("line 10"));
    assert!(rejected[7].1.contains("occurred_at"), "{}", rejected[7].1);
    assert!(rejected[8].1.contains("casualty_nationality"));
    assert_eq!(report.body["rows_read"], 12);
    assert_eq!(report.body["incidents_created"], 2);
    assert_eq!(report.body["skipped_by_type"]["Illness"], 1);
    assert_eq!(report.body["gender_unknown"], 1);
    assert_eq!(report.body["nationality_unknown"], 1);
    // Nothing of a held-back day was written.
    assert_eq!(
        t.count("incident_victims WHERE casualty_id = 'MINUSMA-2019-03-00004'"),
        0
    );
    assert_eq!(t.count("incident_victims"), 2);
    assert_eq!(
        t.count("incident_victims WHERE casualty_id = 'MINUSMA-2019-08-00010'"),
        0
    );

    // Not a dataset at all: 422, nothing written.
    let not_the_dataset = api
        .send(import_request(&chief, "a,b\n1,2\n".to_string(), ""))
        .await;
    not_the_dataset.assert_problem(422);
    assert_eq!(t.count("incidents"), 2);
}

async fn only_administrators_import(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &[],
    );
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let chief = api.login("chief", PASSWORD).await;
    api.send(import_request(&officer, official_file(), ""))
        .await
        .assert_problem(403);
    let as_json = api
        .send(
            with_token(
                TestRequest::post().uri("/api/v1/imports/un-fatalities"),
                Some(&chief),
            )
            .set_json(serde_json::json!({ "rows": [] })),
        )
        .await;
    as_json.assert_problem(415);
    assert_eq!(t.count("incidents"), 0);
}

async fn a_later_edition_adds_deaths_to_their_day(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    t.create_user("leader", Role::Leadership, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let chief = api.login("chief", PASSWORD).await;
    let leader = api.login("leader", PASSWORD).await;
    let header = official_file().lines().next().unwrap().to_string();
    let row = |n: u32| {
        format!(
            "{n},2019-01-20,MINUSMA-2019-01-0000{n},MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04"
        )
    };
    let first = [header.clone(), row(1), row(2)].join("\n");
    let report = api.send(import_request(&chief, first, "")).await;
    assert_eq!(report.body["incidents_created"], 1);

    let later = [header, row(1), row(2), row(3)].join("\n");
    let report = api.send(import_request(&chief, later, "")).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(report.body["incidents_created"], 0);
    assert_eq!(report.body["incidents_amended"], 1);
    assert_eq!(report.body["victims_created"], 1);
    assert_eq!(report.body["already_present"], 2);
    assert_eq!(t.count("incidents"), 1);
    let incidents = all_incidents!(api, &leader, "");
    assert_eq!(incidents[0]["victim_counts"]["killed"], 3);
    assert_eq!(
        incidents[0]["summary"],
        "3 peacekeepers killed in a malicious act (MINUSMA, 2019-01-20)"
    );
    assert_eq!(incidents[0]["version"], 2);
}

/// The import adds deaths only to the incidents it made itself and that still count: a day whose
/// deaths an officer's incident (a draft too) or a withdrawn one holds is held back, and those
/// incidents stay exactly as they were. Its dry run and its account are recorded.
async fn the_import_touches_only_its_own(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let chief = api.login("chief", PASSWORD).await;
    let officer = api.login("officer", PASSWORD).await;
    let header = official_file().lines().next().unwrap().to_string();
    let row = |n: u32, day: &str| {
        format!(
            "{n},2019-{day},MINUSCA-2019-{}-0000{n},MINUSCA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04",
            &day[..2]
        )
    };
    let officers_incident = |day: &str, casualty: &str, submit: bool| {
        serde_json::json!({
            "mission": "MINUSCA",
            "occurred_at": format!("2019-{day}T10:00:00Z"),
            "attack_type": "ambush",
            "summary": "Recorded by the mission",
            "classification": "confidential",
            "victims": [{ "personnel_type": "military", "outcome": "killed", "casualty_id": casualty }],
            "submit": submit,
        })
    };
    let submitted = api
        .post(
            "/api/v1/incidents",
            Some(&officer),
            officers_incident("01-20", "MINUSCA-2019-01-00001", true),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::CREATED, "{}", submitted.body);
    let draft = api
        .post(
            "/api/v1/incidents",
            Some(&officer),
            officers_incident("02-10", "MINUSCA-2019-02-00001", false),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.body);
    // A day the import made, withdrawn since by an officer.
    // Two days the import made: one withdrawn since by an officer, one an officer amended.
    let first = [
        header.clone(),
        row(1, "03-05"),
        row(2, "03-05"),
        row(1, "04-07"),
    ]
    .join("\n");
    let report = api.send(import_request(&chief, first, "")).await;
    assert_eq!(report.body["incidents_created"], 2, "{}", report.body);
    let imported = all_incidents!(api, &officer, "&status=verified");
    let of_day = |day: &str| {
        imported
            .iter()
            .find(|i| i["occurred_at"].as_str().unwrap().starts_with(day))
            .unwrap()
            .clone()
    };
    let imported_id = of_day("2019-03-05")["id"].as_str().unwrap().to_string();
    let amended = of_day("2019-04-07");
    let amended_id = amended["id"].as_str().unwrap().to_string();
    let amendment = api
        .patch(
            &format!("/api/v1/incidents/{amended_id}"),
            Some(&officer),
            serde_json::json!({ "version": amended["version"], "summary": "A patrol ambushed at the river crossing", "reason": "The mission's report" }),
        )
        .await;
    assert_eq!(amendment.status, StatusCode::OK, "{}", amendment.body);
    let withdrawn = api
        .post(
            &format!("/api/v1/incidents/{imported_id}/withdraw"),
            Some(&officer),
            serde_json::json!({ "reason": "Counted in the mission's own report" }),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    assert_eq!(
        t.count(
            "audit_log WHERE action = 'user.create' AND details LIKE '%un-fatalities-dataset%'"
        ),
        1,
        "the import's account is recorded as made"
    );

    let ids = [
        submitted.body["id"].as_str().unwrap().to_string(),
        draft.body["id"].as_str().unwrap().to_string(),
        imported_id,
        amended_id,
    ];
    let mut before = Vec::new();
    for id in &ids {
        let record = api
            .get(&format!("/api/v1/incidents/{id}"), Some(&officer))
            .await;
        let history = api
            .get(&format!("/api/v1/incidents/{id}/history"), Some(&officer))
            .await;
        before.push((record.body, history.body));
    }

    // A later edition: each of the four days gained a death.
    let later = [
        header,
        row(1, "01-20"),
        row(3, "01-20"),
        row(1, "02-10"),
        row(2, "02-10"),
        row(1, "03-05"),
        row(2, "03-05"),
        row(3, "03-05"),
        row(1, "04-07"),
        row(2, "04-07"),
    ]
    .join("\n");
    let audit_before = t.count("audit_log");
    let dry = api
        .send(import_request(&chief, later.clone(), "?dry_run=true"))
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(
        t.count("audit_log"),
        audit_before + 1,
        "one record of the dry run"
    );
    assert_eq!(
        t.count("audit_log WHERE action = 'import.un_fatalities.dry_run'"),
        1
    );
    let report = api.send(import_request(&chief, later, "")).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(report.body["held_for_the_mission"], 4, "{}", report.body);
    assert_eq!(report.body["already_present"], 5, "{}", report.body);
    assert_eq!(report.body["incidents_created"], 0);
    assert_eq!(report.body["incidents_amended"], 0);
    assert_eq!(report.body["victims_created"], 0);
    assert_eq!(
        dry.body["held_for_the_mission"], 4,
        "the dry run counts the same"
    );
    for (id, (record, history)) in ids.iter().zip(before) {
        let after = api
            .get(&format!("/api/v1/incidents/{id}"), Some(&officer))
            .await;
        assert_eq!(after.body, record, "{id} unchanged");
        let after = api
            .get(&format!("/api/v1/incidents/{id}/history"), Some(&officer))
            .await;
        assert_eq!(after.body, history, "{id}'s history unchanged");
    }
    // Nothing in the report names the mission's records.
    let text = report.body.to_string();
    for id in &ids {
        assert!(!text.contains(id.as_str()));
    }
}
