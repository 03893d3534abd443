//! Nothing lost: the real server, stopped while clients write, keeps every write it
//! acknowledged whole and none that it refused.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::{QueryableByName, RunQueryDsl, sql_query};
use serde_json::json;

use common::server::{Server, registry};
use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::db;
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    killed_mid_write_it_keeps_every_acknowledged_write_whole,
    sigterm_lets_writes_in_flight_finish_then_exits_0,
);

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

#[derive(QueryableByName)]
struct Word {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// An incident with two victims; `summary` tells the writes apart.
fn incident(summary: &str) -> String {
    json!({
        "mission": "MINUSCA",
        "occurred_at": "2026-03-14T06:30:00Z",
        "place_name": "Bambari",
        "location_type": "patrol",
        "attack_type": "ambush",
        "victims": [
            { "personnel_type": "military", "nationality": "RWA", "gender": "male", "outcome": "killed" },
            { "personnel_type": "police", "nationality": "SEN", "gender": "female", "outcome": "injured" }
        ],
        "summary": summary,
        "narrative": "A patrol was ambushed on the road north of Bambari.",
        "classification": "unclassified",
        "submit": true
    })
    .to_string()
}

/// What a writer heard: the incidents answered 201, and how many writes were refused.
#[derive(Default)]
struct Heard {
    acknowledged: Vec<String>,
    refused: usize,
}

/// Writes incidents until the server stops taking connections.
fn write_until_refused(server: &Server, token: &str, writer: usize) -> Heard {
    let mut heard = Heard::default();
    for n in 0..5_000 {
        let body = incident(&format!("Writer {writer}, incident {n}"));
        match server.try_request("POST", "/api/v1/incidents", Some(token), Some(&body)) {
            Ok((201, answer)) => heard
                .acknowledged
                .push(answer["id"].as_str().expect("an id").to_string()),
            Ok((status, answer)) => {
                assert!(
                    status == 503,
                    "a write during shutdown answered {status}: {answer}"
                );
                heard.refused += 1;
            }
            // Refused or cut before an answer: the connection was not taken.
            Err(_) => break,
        }
    }
    heard
}

/// The moves a case walker makes, in order, all on one day.
const MOVES: [&str; 9] = [
    "referred",
    "investigating",
    "suspects_identified",
    "warrants_issued",
    "arrests_made",
    "charged",
    "in_trial",
    "judgment",
    "final",
];

/// A case a walker opened, and the moves answered 2xx.
struct Walk {
    case_id: String,
    moves: Vec<&'static str>,
}

/// Opens cases on `incident_id` and moves each along `MOVES`, until the server is gone.
fn walk_cases_until_refused(server: &Server, token: &str, incident_id: &str) -> Vec<Walk> {
    let mut walks = Vec::new();
    let case = json!({ "incident_ids": [incident_id], "jurisdiction": "CAF" }).to_string();
    while let Ok((status, opened)) =
        server.try_request("POST", "/api/v1/cases", Some(token), Some(&case))
    {
        assert_eq!(status, 201, "{opened}");
        let mut walk = Walk {
            case_id: opened["id"].as_str().expect("an id").to_string(),
            moves: Vec::new(),
        };
        for to in MOVES {
            let path = format!("/api/v1/cases/{}/transitions", walk.case_id);
            let body = json!({ "to": to, "effective_on": "2026-03-20" }).to_string();
            match server.try_request("POST", &path, Some(token), Some(&body)) {
                Ok((200..=299, _)) => walk.moves.push(to),
                Ok((status, answer)) => panic!("moving to {to} answered {status}: {answer}"),
                Err(_) => {
                    walks.push(walk);
                    return walks;
                }
            }
        }
        walks.push(walk);
    }
    walks
}

/// The numbers of references like `PREFIX-0001`, sorted.
fn numbers_of(references: &[String]) -> Vec<u32> {
    let mut numbers: Vec<u32> = references
        .iter()
        .map(|reference| {
            let (_, number) = reference.rsplit_once('-').expect("a numbered reference");
            number.parse().expect("a number")
        })
        .collect();
    numbers.sort_unstable();
    numbers
}

/// The server is killed (SIGKILL) three times while officers record incidents and a legal
/// officer moves cases. Afterwards every write answered 2xx is present and whole, nothing is
/// half-present, the references run 1, 2, 3… without a gap or a repeat, and the audit trail
/// verifies.
async fn killed_mid_write_it_keeps_every_acknowledged_write_whole(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer.a",
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
    let (officer, legal) = (
        api.login("officer.a", PASSWORD).await,
        api.login("legal", PASSWORD).await,
    );
    let attacked = api
        .post(
            "/api/v1/incidents",
            Some(&officer),
            serde_json::from_str(&incident("The attack the cases follow")).unwrap(),
        )
        .await;
    let attacked = attacked.body["id"]
        .as_str()
        .expect("an incident")
        .to_string();

    let folder = tempfile::tempdir().unwrap();
    let settings = [
        ("PKR_LOG_FILTER", "warn"),
        ("PKR_WRITES_PER_MINUTE_PER_TOKEN", "0"),
    ];
    let mut heard: Vec<Heard> = Vec::new();
    let mut walks: Vec<Walk> = Vec::new();
    for round in 0..3u64 {
        let server = Server::start_with(folder.path(), &t.db.url, &settings);
        std::thread::scope(|scope| {
            let writers: Vec<_> = (0..3)
                .map(|writer| {
                    let (server, officer) = (&server, officer.as_str());
                    scope.spawn(move || write_until_refused(server, officer, writer))
                })
                .collect();
            let (server_ref, legal, attacked) = (&server, legal.as_str(), attacked.as_str());
            let walker = scope.spawn(move || walk_cases_until_refused(server_ref, legal, attacked));
            std::thread::sleep(Duration::from_millis(800 + 300 * round));
            server.kill();
            heard.extend(writers.into_iter().map(|w| w.join().unwrap()));
            walks.extend(walker.join().unwrap());
        });
    }

    // Started once more: its sealer links what the killed servers left pending.
    let server = Server::start_with(folder.path(), &t.db.url, &settings);
    let acknowledged: Vec<&String> = heard.iter().flat_map(|h| &h.acknowledged).collect();
    let mut present = 0;
    for id in &acknowledged {
        let (status, found) = server
            .try_request(
                "GET",
                &format!("/api/v1/incidents/{id}"),
                Some(&officer),
                None,
            )
            .expect("the server answers");
        assert_eq!(status, 200, "acknowledged incident {id}: {found}");
        assert_eq!(
            found["victims"].as_array().map(Vec::len),
            Some(2),
            "{found}"
        );
        present += 1;
    }
    let moves_acknowledged: usize = walks.iter().map(|w| w.moves.len()).sum();
    for walk in &walks {
        let (status, case) = server
            .try_request(
                "GET",
                &format!("/api/v1/cases/{}", walk.case_id),
                Some(&legal),
                None,
            )
            .expect("the server answers");
        assert_eq!(status, 200, "{case}");
        let timeline: Vec<&str> = case["timeline"]
            .as_array()
            .expect("a timeline")
            .iter()
            .map(|step| step["to"].as_str().unwrap_or_default())
            .collect();
        // The opening, every acknowledged move in order, and at most the one move whose
        // answer the kill cut off.
        assert_eq!(timeline[0], "opened");
        assert_eq!(
            &timeline[1..=walk.moves.len()],
            walk.moves.as_slice(),
            "{case}"
        );
        assert!(timeline.len() <= walk.moves.len() + 2, "{case}");
        assert_eq!(&timeline[1..], &MOVES[..timeline.len() - 1], "{case}");
    }
    println!(
        "incidents: acknowledged {}, present {present}, lost {}; cases opened {}, moves acknowledged {moves_acknowledged}",
        acknowledged.len(),
        acknowledged.len() - present,
        walks.len()
    );
    assert!(
        acknowledged.len() >= 3 && !walks.is_empty(),
        "the clients were writing"
    );

    // Nothing stored half: every incident the writers made has both victims.
    let mut conn = db::connect_one(&t.db.url).unwrap();
    let torn = sql_query(
        "SELECT count(*) AS value FROM incidents i WHERE i.summary LIKE 'Writer %' \
         AND (SELECT count(*) FROM incident_victims v WHERE v.incident_id = i.id) <> 2",
    )
    .get_result::<Number>(&mut conn)
    .unwrap()
    .value;
    assert_eq!(torn, 0, "an incident is half-present");
    for (table, column) in [("incidents", "reference"), ("cases", "reference")] {
        let references: Vec<String> = sql_query(format!(
            "SELECT {column} AS value FROM {table} WHERE {column} IS NOT NULL"
        ))
        .load::<Word>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|w| w.value)
        .collect();
        let expected: Vec<u32> = (1..=references.len() as u32).collect();
        assert_eq!(numbers_of(&references), expected, "{table}: {references:?}");
    }

    std::thread::sleep(Duration::from_millis(1500));
    drop(server);
    let verified = registry(folder.path(), &t.db.url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

async fn sigterm_lets_writes_in_flight_finish_then_exits_0(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user(
        "officer.a",
        Role::SecurityOfficer,
        Clearance::Confidential,
        &["MINUSCA"],
    );
    let folder = tempfile::tempdir().unwrap();
    let settings = [
        ("PKR_LOG_FILTER", "warn"),
        ("PKR_SHUTDOWN_GRACE_SECONDS", "20"),
        ("PKR_WRITES_PER_MINUTE_PER_TOKEN", "0"),
    ];
    let mut server = Server::start_with(folder.path(), &t.db.url, &settings);
    let login = json!({ "username": "officer.a", "password": PASSWORD }).to_string();
    let (status, session) = server.request("POST", "/api/v1/auth/login", Some(&login));
    assert_eq!(status, 200, "{session}");
    let token = session["token"].as_str().unwrap().to_string();

    let heard: Vec<Heard> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..8)
            .map(|writer| {
                let (server, token) = (&server, token.as_str());
                scope.spawn(move || write_until_refused(server, token, writer))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        server.terminate();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let exit = server
        .wait_for_exit(Duration::from_secs(30))
        .expect("the server exits within its grace period");
    let logs = server.logs();
    assert!(exit.success(), "exit {exit:?}; the server logged: {logs}");

    let acknowledged: Vec<&String> = heard.iter().flat_map(|h| &h.acknowledged).collect();
    let refused: usize = heard.iter().map(|h| h.refused).sum();
    println!(
        "acknowledged {}, refused {refused}, stored {}",
        acknowledged.len(),
        t.count("incidents")
    );
    assert!(
        acknowledged.len() >= 8,
        "the writers were writing when the server stopped"
    );
    // Every acknowledged write is stored whole; nothing else is stored.
    assert_eq!(t.count("incidents"), acknowledged.len() as i64);
    assert_eq!(t.count("incident_victims"), 2 * acknowledged.len() as i64);
    let again = Server::start_with(folder.path(), &t.db.url, &settings[..1]);
    for id in acknowledged {
        let (status, incident) = again
            .try_request(
                "GET",
                &format!("/api/v1/incidents/{id}"),
                Some(&token),
                None,
            )
            .expect("the restarted server answers");
        assert_eq!(status, 200, "{incident}");
        assert_eq!(incident["victims"].as_array().map(Vec::len), Some(2));
    }
    drop(again);
    let verified = registry(folder.path(), &t.db.url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

/// An SQLite backup taken while a server writes holds every incident acknowledged before it
/// began, each whole, and the case documents; restored into a fresh folder, the audit chain and
/// the documents verify.
#[actix_web::test]
async fn a_backup_taken_under_write_load_restores_whole() {
    let t = TestApp::new(Backend::Sqlite);
    t.create_user(
        "officer.a",
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
    let (officer, legal) = (
        api.login("officer.a", PASSWORD).await,
        api.login("legal", PASSWORD).await,
    );
    let first = serde_json::from_str(&incident("Before the backup")).unwrap();
    let first = api.post("/api/v1/incidents", Some(&officer), first).await;
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [first.body["id"]], "jurisdiction": "CAF" }),
        )
        .await;
    let case_id = case.body["id"].as_str().expect("a case").to_string();
    let uploaded = t
        .upload_document(&legal, &case_id, "The prosecutor charges the accused.")
        .await;
    assert_eq!(uploaded.status.as_u16(), 201, "{}", uploaded.body);

    let folder = tempfile::tempdir().unwrap();
    let documents = t.documents.path().display().to_string();
    let settings = [
        ("PKR_LOG_FILTER", "warn"),
        ("PKR_WRITES_PER_MINUTE_PER_TOKEN", "0"),
        ("PKR_DOCUMENT_FOLDER", documents.as_str()),
    ];
    let server = Server::start_with(folder.path(), &t.db.url, &settings);
    let acknowledged = Mutex::new(Vec::<String>::new());
    let stop = AtomicBool::new(false);
    let archive = folder.path().join("registry.backup");
    let (before, backed_up) = std::thread::scope(|scope| {
        for writer in 0..4 {
            let (server, officer, acknowledged, stop) = (&server, &officer, &acknowledged, &stop);
            scope.spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let body = incident(&format!("Writer {writer}, incident {n}"));
                    let answer =
                        server.try_request("POST", "/api/v1/incidents", Some(officer), Some(&body));
                    if let Ok((201, created)) = answer {
                        let id = created["id"].as_str().unwrap().to_string();
                        acknowledged.lock().unwrap().push(id);
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(1000));
        let before = acknowledged.lock().unwrap().clone();
        let backed_up = registry(folder.path(), &t.db.url)
            .env("PKR_DOCUMENT_FOLDER", &documents)
            .arg("backup")
            .arg(&archive)
            .output()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
        (before, backed_up)
    });
    drop(server);
    let said = String::from_utf8_lossy(&backed_up.stdout);
    assert!(
        backed_up.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&backed_up.stderr)
    );
    assert!(said.contains("and 1 documents"), "{said}");
    assert!(
        acknowledged.lock().unwrap().len() > before.len(),
        "the writers went on writing during the backup"
    );
    assert!(!before.is_empty());

    // A fresh folder, as on another machine.
    let elsewhere = tempfile::tempdir().unwrap();
    let restored_url = format!("sqlite://{}/registry.sqlite3", elsewhere.path().display());
    let restored_documents = elsewhere.path().join("documents");
    let in_place = |command: &mut std::process::Command| {
        command
            .env("PKR_DOCUMENT_FOLDER", &restored_documents)
            .output()
            .unwrap()
    };
    let restored = in_place(
        registry(elsewhere.path(), &restored_url)
            .arg("restore")
            .arg(&archive),
    );
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let again = in_place(
        registry(elsewhere.path(), &restored_url)
            .arg("restore")
            .arg(&archive),
    );
    assert!(
        !again.status.success(),
        "a restore never overwrites a database"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    let verified = in_place(registry(elsewhere.path(), &restored_url).args(["audit", "verify"]));
    let report = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{report}");
    assert!(report.contains("documents intact: 1 files"), "{report}");

    let mut conn = db::connect_one(&restored_url).unwrap();
    let victims_of = |conn: &mut db::DbConnection, id: &str| {
        sql_query("SELECT count(*) AS value FROM incident_victims WHERE incident_id = ?")
            .bind::<diesel::sql_types::Text, _>(id)
            .get_result::<Number>(conn)
            .unwrap()
            .value
    };
    for id in &before {
        assert_eq!(victims_of(&mut conn, id), 2, "incident {id} restored whole");
    }
    let torn = sql_query(
        "SELECT count(*) AS value FROM incidents i WHERE i.summary LIKE 'Writer %' \
         AND (SELECT count(*) FROM incident_victims v WHERE v.incident_id = i.id) <> 2",
    )
    .get_result::<Number>(&mut conn)
    .unwrap()
    .value;
    assert_eq!(torn, 0, "no incident in the backup is half there");
}
