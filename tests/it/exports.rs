//! Incident exports: CSV and GeoJSON that standard readers parse, exactly the filtered
//! incidents, personal data only when asked by someone allowed, formula cells neutralised,
//! every export recorded, exports larger than one batch, and an export cut short by its client
//! or by the server stopping.

use crate::common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use diesel::{RunQueryDsl, sql_query};
use serde_json::{Value, json};

use common::server::Server;
use common::{Answer, Backend, PASSWORD, TestApp, Word, with_token};
use peacekeeper_registry::auth::{Actor, RequestMeta};
use peacekeeper_registry::db::DbConnection;
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::error::AppError;
use peacekeeper_registry::services::exports::{ExportRequest, Format, OpenExports};

on_both_backends!(
    csv_holds_exactly_the_filtered_incidents_safely,
    geojson_places_what_has_a_position,
    personal_data_only_when_asked_and_allowed,
    exports_larger_than_a_batch_are_whole,
    a_client_leaving_part_way_is_recorded,
    an_export_cut_short_by_a_shutdown_is_recorded,
    an_export_is_recorded_as_ended_once,
);

fn incident(mission: &str, at: &str, summary: &str, position: Option<(f64, f64)>) -> Value {
    let mut body = json!({
        "mission": mission,
        "occurred_at": at,
        "place_name": "@Bria",
        "location_type": "convoy",
        "attack_type": "ied",
        "weapons": ["ied", "small_arms"],
        "victims": [
            { "personnel_type": "military", "nationality": "PAK", "gender": "male", "outcome": "killed",
              "name": "Ahmed Khan", "unit": "PAKBATT-2" },
            { "personnel_type": "police", "nationality": "SEN", "gender": "female", "outcome": "injured" }
        ],
        "summary": summary,
        "narrative": "The convoy struck a device.",
        "classification": "confidential",
        "submit": true
    });
    if let Some((lat, lon)) = position {
        body["latitude"] = json!(lat);
        body["longitude"] = json!(lon);
    }
    body
}

macro_rules! world {
    ($t:expr, $api:expr) => {{
        let t: &TestApp = $t;
        t.create_user(
            "officer",
            Role::SecurityOfficer,
            Clearance::StrictlyConfidential,
            &[],
        );
        let officer = $api.login("officer", PASSWORD).await;
        let mut ids = Vec::new();
        for body in [
            incident(
                "MINUSCA",
                "2026-02-01T06:00:00Z",
                "=HYPERLINK(\"http://evil.example\",\"Click\")",
                Some((6.5, 21.98)),
            ),
            incident(
                "MINUSCA",
                "2026-03-01T06:00:00Z",
                "+SUM(A1:A9) convoy hit",
                None,
            ),
            incident(
                "MONUSCO",
                "2026-03-02T06:00:00Z",
                "Convoy hit near Beni",
                Some((0.49, 29.47)),
            ),
            incident(
                "MINUSCA",
                "2025-06-01T06:00:00Z",
                "An older attack",
                Some((5.0, 20.0)),
            ),
        ] {
            let answer = $api.post("/api/v1/incidents", Some(&officer), body).await;
            assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
            ids.push(answer.id());
        }
        let mut draft = incident("MINUSCA", "2026-02-15T06:00:00Z", "A draft", None);
        draft["submit"] = json!(false);
        $api.post("/api/v1/incidents", Some(&officer), draft).await;
        ids
    }};
}

fn csv_records(answer: &Answer) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_reader(answer.bytes.as_ref());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let records = reader.records().map(Result::unwrap).collect();
    (header, records)
}

async fn csv_holds_exactly_the_filtered_incidents_safely(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    let ids = world!(&t, api);
    t.create_user("leader", Role::Leadership, Clearance::Confidential, &[]);
    let leader = api.login("leader", PASSWORD).await;

    let answer = api
        .get(
            "/api/v1/incidents/export?format=csv&mission=MINUSCA&from=2026-01-01T00:00:00Z",
            Some(&leader),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.content_type().starts_with("text/csv"));
    assert!(
        answer
            .header("content-disposition")
            .unwrap()
            .contains("incidents.csv")
    );
    let (header, records) = csv_records(&answer);
    assert!(!header.contains(&"victims".to_string()));
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let exported: Vec<&str> = records.iter().map(|r| &r[column("id")]).collect();
    // Newest first: the March and February MINUSCA incidents; not MONUSCO, not 2025, no draft.
    assert_eq!(exported, [ids[1].as_str(), ids[0].as_str()]);
    let february = &records[1];
    assert_eq!(
        &february[column("summary")],
        "'=HYPERLINK(\"http://evil.example\",\"Click\")"
    );
    assert_eq!(&records[0][column("summary")], "'+SUM(A1:A9) convoy hit");
    assert_eq!(&february[column("place_name")], "'@Bria");
    assert_eq!(&february[column("killed")], "1");
    assert_eq!(&february[column("latitude")], "6.5");
    assert_eq!(&february[column("weapons")], "ied;small_arms");
    assert_eq!(&records[0][column("latitude")], "");
    // No personal data by default, anywhere in the file.
    let text = String::from_utf8(answer.bytes.to_vec()).unwrap();
    assert!(!text.contains("Ahmed Khan") && !text.contains("PAKBATT"));

    // The default format is CSV; every filter of the list applies.
    let older = api
        .get("/api/v1/incidents/export?q=older", Some(&leader))
        .await;
    let (_, records) = csv_records(&older);
    assert_eq!(records.len(), 1);
    assert_eq!(&records[0][0], ids[3].as_str());

    // Every export is recorded with its filters and row count.
    let mut conn = t.conn();
    let records =
        peacekeeper_registry::store::audit::list(&mut conn, &Default::default(), 100).unwrap();
    let details = |action: &str| -> Vec<(i64, Value)> {
        records
            .iter()
            .filter(|r| r.action == action)
            .map(|r| (r.id, serde_json::from_str(&r.details).unwrap()))
            .collect()
    };
    // Each export is recorded with its filters before it starts, and with its row count at its end.
    let started = details("export.incidents");
    let finished = details("export.incidents.finished");
    assert_eq!((started.len(), finished.len()), (2, 2));
    let (_, end) = finished.iter().find(|(_, e)| e["rows"] == 2).unwrap();
    assert_eq!(end["complete"], true);
    let (_, first) = started
        .iter()
        .find(|(id, _)| json!(id) == end["export"])
        .unwrap();
    assert_eq!(first["format"], "csv");
    assert_eq!(first["filters"]["missions"], json!(["MINUSCA"]));
    assert_eq!(first["include_personal"], false);

    for (query, field) in [
        ("format=xlsx", "format"),
        ("include_personal=maybe", "include_personal"),
        ("status=lost", "status"),
    ] {
        let answer = api
            .get(&format!("/api/v1/incidents/export?{query}"), Some(&leader))
            .await;
        answer.assert_problem(422);
        assert_eq!(answer.error_fields(), [field]);
    }
    api.get("/api/v1/incidents/export?limit=5", Some(&leader))
        .await
        .assert_problem(400);
}

async fn geojson_places_what_has_a_position(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    let ids = world!(&t, api);
    t.create_user("leader", Role::Leadership, Clearance::Confidential, &[]);
    let leader = api.login("leader", PASSWORD).await;
    let answer = api
        .get("/api/v1/incidents/export?format=geojson", Some(&leader))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "application/geo+json");
    let text = String::from_utf8(answer.bytes.to_vec()).unwrap();
    let collection: geojson::FeatureCollection = text
        .parse::<geojson::GeoJson>()
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(collection.features.len(), 4);
    let by_id = |id: &str| {
        collection
            .features
            .iter()
            .find(|f| f.id == Some(geojson::feature::Id::String(id.to_string())))
            .unwrap()
    };
    let located = by_id(&ids[0]);
    // RFC 7946 positions are longitude first.
    assert_eq!(
        located.geometry.as_ref().unwrap().value,
        geojson::GeometryValue::new_point([21.98, 6.5])
    );
    assert_eq!(located.property("killed"), Some(&json!(1)));
    assert_eq!(located.property("mission"), Some(&json!("MINUSCA")));
    // Unlocated incidents stay, with a null geometry, and are counted.
    assert!(by_id(&ids[1]).geometry.is_none());
    let raw: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(raw["unlocated_features"], 1);
    let ids_exported: BTreeSet<String> = raw["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids_exported, ids.iter().cloned().collect());
}

async fn personal_data_only_when_asked_and_allowed(backend: Backend) {
    let t = TestApp::new(backend);
    let api = t.api().await;
    let ids = world!(&t, api);
    t.create_user("leader", Role::Leadership, Clearance::Confidential, &[]);
    t.create_user("leader.low", Role::Leadership, Clearance::Unclassified, &[]);
    t.create_user(
        "legal.minusca",
        Role::LegalOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    let leader = api.login("leader", PASSWORD).await;
    let low = api.login("leader.low", PASSWORD).await;
    let legal = api.login("legal.minusca", PASSWORD).await;
    let chief = api.login("chief", PASSWORD).await;

    let named = api
        .get(
            "/api/v1/incidents/export?include_personal=true&mission=MINUSCA",
            Some(&leader),
        )
        .await;
    assert_eq!(named.status, StatusCode::OK);
    let (header, records) = csv_records(&named);
    let victims = header.iter().position(|h| h == "victims").unwrap();
    let february = records.iter().find(|r| &r[0] == ids[0].as_str()).unwrap();
    assert_eq!(&february[victims], "Ahmed Khan (PAKBATT-2)");
    let geo = api
        .get(
            "/api/v1/incidents/export?format=geojson&include_personal=true",
            Some(&leader),
        )
        .await;
    assert!(
        String::from_utf8(geo.bytes.to_vec())
            .unwrap()
            .contains("Ahmed Khan")
    );

    // A legal officer of MINUSCA: for MINUSCA (or, unfiltered, their own missions), yes;
    // asking for MONUSCO's names, no.
    let own = api
        .get(
            "/api/v1/incidents/export?include_personal=true",
            Some(&legal),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    let (_, own_records) = csv_records(&own);
    assert!(own_records.iter().all(|r| &r[2] == "MINUSCA"));
    api.get(
        "/api/v1/incidents/export?include_personal=true&mission=MINUSCA&mission=MONUSCO",
        Some(&legal),
    )
    .await
    .assert_problem(403);
    // Not cleared: refused, and recorded.
    api.get("/api/v1/incidents/export?include_personal=true", Some(&low))
        .await
        .assert_problem(403);
    // Administrators do not export incidents.
    api.get("/api/v1/incidents/export", Some(&chief))
        .await
        .assert_problem(403);
    assert!(t.count("audit_log WHERE action = 'access.denied'") >= 3);
    assert_eq!(
        t.count("audit_log WHERE action = 'export.incidents' AND details LIKE '%\"include_personal\":true%'"),
        3
    );
}

async fn exports_larger_than_a_batch_are_whole(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Admin, Clearance::StrictlyConfidential, &[]);
    t.create_user("leader", Role::Leadership, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let chief = api.login("chief", PASSWORD).await;
    let leader = api.login("leader", PASSWORD).await;
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/DPPADPOSS-FATALITIES.csv"
    ))
    .unwrap();
    let imported = api
        .send(
            with_token(
                TestRequest::post().uri("/api/v1/imports/un-fatalities"),
                Some(&chief),
            )
            .insert_header(("Content-Type", "text/csv"))
            .set_payload(file),
        )
        .await;
    assert_eq!(imported.body["incidents_created"], 611);

    let permits_before = t.state.metrics.database_wait.get_sample_count();
    let csv = api.get("/api/v1/incidents/export", Some(&leader)).await;
    let (header, records) = csv_records(&csv);
    assert_eq!(records.len(), 611);
    // Every batch waits its database permit like any other request: the session, the check, the
    // opening record, the batches of 500 and 111 incidents and the closing record each took one.
    let permits = t.state.metrics.database_wait.get_sample_count() - permits_before;
    assert_eq!(permits, 6, "the export's database permits");
    let killed = header.iter().position(|h| h == "killed").unwrap();
    let total: u64 = records
        .iter()
        .map(|r| r[killed].parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 1134);
    let ids: BTreeSet<&str> = records.iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), 611, "no incident twice");

    let geo = api
        .get("/api/v1/incidents/export?format=geojson", Some(&leader))
        .await;
    let raw: Value = serde_json::from_slice(&geo.bytes).unwrap();
    assert_eq!(raw["features"].as_array().unwrap().len(), 611);
    assert_eq!(raw["unlocated_features"], 611);
}

/// Copies of the incident, enough that their CSV (over 10 MB) cannot all wait in the
/// connection's buffers: the server is still writing when a client that stopped reading leaves.
const COPIES: usize = 50_000;

/// SQL that copies the incident `COPIES` times under new ids, without a reference number.
fn copies_of(id: &str) -> String {
    format!(
        "WITH RECURSIVE copy(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copy WHERE n < {COPIES}) \
         INSERT INTO incidents (id, reference, mission_code, status, classification, occurred_at, \
           time_precision, occurred_until, reported_at, reported_by, place_name, admin1, admin2, \
           latitude, longitude, geo_precision, location_type, attack_type, weapons, summary, \
           narrative, verified_by, verified_at, withdrawn_reason, killed, injured, abducted, \
           missing, search_text, version, created_at, updated_at) \
         SELECT id || '-' || CAST(n AS TEXT), NULL, mission_code, status, classification, \
           occurred_at, time_precision, occurred_until, reported_at, reported_by, place_name, \
           admin1, admin2, latitude, longitude, geo_precision, location_type, attack_type, \
           weapons, summary, narrative, verified_by, verified_at, withdrawn_reason, killed, \
           injured, abducted, missing, search_text, version, created_at, updated_at \
         FROM incidents, copy WHERE incidents.id = '{id}'"
    )
}

/// The details of the exports' closing audit records written so far.
fn closing_records(t: &TestApp) -> Vec<Value> {
    let mut conn = t.conn();
    let details: Vec<Word> = sql_query(
        "SELECT details AS value FROM audit_log \
         WHERE action = 'export.incidents.finished' ORDER BY id",
    )
    .load(&mut *conn as &mut DbConnection)
    .unwrap();
    details
        .iter()
        .map(|word| serde_json::from_str(&word.value).unwrap())
        .collect()
}

/// An export under way over real HTTP to the real server: its client has read the first 64 KB
/// of an export of `COPIES` incidents, far more than the connection's buffers hold.
struct ExportUnderWay {
    t: TestApp,
    server: Server,
    client: TcpStream,
    _folder: tempfile::TempDir,
}

async fn an_export_under_way(backend: Backend, settings: &[(&str, &str)]) -> ExportUnderWay {
    let t = TestApp::new(backend);
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &[],
    );
    let first = {
        let api = t.api().await;
        let officer = api.login("officer", PASSWORD).await;
        let body = incident("MINUSCA", "2026-02-01T06:00:00Z", "Convoy hit", None);
        let first = api.post("/api/v1/incidents", Some(&officer), body).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        first.id()
    };
    assert_eq!(t.execute_sql(&copies_of(&first)).unwrap(), COPIES);

    let folder = tempfile::tempdir().unwrap();
    let server = Server::start_with(folder.path(), &t.db.url, settings);
    let token = server.sign_in("officer");
    let mut client = TcpStream::connect(&server.addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        client,
        "GET /api/v1/incidents/export HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\r\n",
        server.addr
    )
    .unwrap();
    let mut start = vec![0; 64 * 1024];
    client.read_exact(&mut start).unwrap();
    assert!(
        String::from_utf8_lossy(&start).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&start[..200])
    );
    ExportUnderWay {
        t,
        server,
        client,
        _folder: folder,
    }
}

/// The closing record of an export cut short: incomplete, with fewer incidents handed on than
/// there are.
fn assert_cut_short(closing: &Value) {
    assert_eq!(closing["complete"], false, "{closing}");
    let handed_on = closing["rows"].as_u64().unwrap();
    assert!(
        handed_on < COPIES as u64,
        "{handed_on} of {} incidents handed on to a client that left",
        COPIES + 1
    );
}

/// A client that hangs up part way through an export: the server stops reading for it and its
/// closing record says the export was incomplete, with the incidents handed on until then.
async fn a_client_leaving_part_way_is_recorded(backend: Backend) {
    let export = an_export_under_way(backend, &[]).await;
    drop(export.client);

    let deadline = Instant::now() + Duration::from_secs(60);
    let closing = loop {
        match &closing_records(&export.t)[..] {
            [] => assert!(
                Instant::now() < deadline,
                "no closing record for the export"
            ),
            [details] => break details.clone(),
            several => panic!("one export, several closing records: {several:?}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_cut_short(&closing);
    export.server.stop();
}

/// A server asked to stop while an export's client is still reading: once the grace is over
/// the export is dropped, and the server records it as cut short before it exits.
async fn an_export_cut_short_by_a_shutdown_is_recorded(backend: Backend) {
    let mut export = an_export_under_way(backend, &[("PKR_SHUTDOWN_GRACE_SECONDS", "1")]).await;
    export.server.terminate();
    let exit = export.server.wait_for_exit(Duration::from_secs(30));
    assert!(
        exit.is_some_and(|status| status.success()),
        "the server did not stop cleanly: {exit:?}\n{}",
        export.server.logs()
    );
    let closing = closing_records(&export.t);
    assert_eq!(
        closing.len(),
        1,
        "one closing record for the export cut short: {closing:?}\n{}",
        export.server.logs()
    );
    assert_cut_short(&closing[0]);
    drop(export.client);
}

/// An export's end is recorded once, whether the export records it first or a stopping server
/// does: the one who comes second finds it recorded. And once the server has recorded the
/// exports still open, no other may begin. (The two one after the other: the lock that keeps
/// them apart when they meet is `OpenExports`' own.)
async fn an_export_is_recorded_as_ended_once(backend: Backend) {
    let t = TestApp::new(backend);
    let officer = Actor {
        id: t.create_user(
            "officer",
            Role::SecurityOfficer,
            Clearance::Unclassified,
            &[],
        ),
        username: "officer".to_string(),
        role: Role::SecurityOfficer,
        clearance: Clearance::Unclassified,
        missions: Vec::new(),
        all_missions: true,
        must_change_password: false,
        must_enrol_second_factor: false,
        state: None,
        token_hash: String::new(),
        request: RequestMeta::default(),
    };
    let request = ExportRequest {
        filters: Default::default(),
        format: Format::Csv,
        include_personal: false,
    };
    let (open, now) = (OpenExports::default(), t.now());
    let mut conn = t.conn();

    let (ended_first, _) = open.begin(&mut conn, &officer, &request, now).unwrap();
    let (stopped_first, sent) = open.begin(&mut conn, &officer, &request, now).unwrap();
    sent.fetch_add(500, std::sync::atomic::Ordering::Relaxed);
    open.end(&mut conn, ended_first, now, true).unwrap();
    assert_eq!(open.end_all(&mut conn, now).unwrap(), 1);
    open.end(&mut conn, stopped_first, now, true).unwrap();
    drop(conn);

    let closing = closing_records(&t);
    assert_eq!(closing.len(), 2, "{closing:?}");
    assert_eq!(closing[0]["export"], ended_first, "{closing:?}");
    assert_eq!(closing[0]["complete"], true, "{closing:?}");
    assert_eq!(closing[1]["export"], stopped_first, "{closing:?}");
    assert_eq!(closing[1]["rows"], 500, "{closing:?}");
    assert_eq!(closing[1]["complete"], false, "{closing:?}");

    let refused = open.begin(&mut t.conn(), &officer, &request, now);
    assert!(
        matches!(refused, Err(AppError::Unavailable(_))),
        "an export began on a stopped server: {refused:?}"
    );
    let begun = t
        .audit_actions()
        .iter()
        .filter(|action| *action == "export.incidents")
        .count();
    assert_eq!(begun, 2, "an export began on a stopped server");
}
