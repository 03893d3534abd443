//! Nothing lost: the real server, stopped while clients write, keeps every write it
//! acknowledged whole and none that it refused.

use crate::common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::{Connection, RunQueryDsl, sql_query};
use serde_json::json;

use common::server::{Server, registry};
use common::{Backend, Number, PASSWORD, TestApp, Word};
use peacekeeper_registry::db;
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    killed_mid_write_it_keeps_every_acknowledged_write_whole,
    sigterm_lets_writes_in_flight_finish_then_exits_0,
    two_servers_on_one_database_agree,
    a_database_migrated_by_a_newer_version_is_refused,
);

/// How many of the writers' incidents are stored without both their victims.
fn torn_incidents(conn: &mut db::DbConnection) -> i64 {
    sql_query(
        "SELECT count(*) AS value FROM incidents i WHERE i.summary LIKE 'Writer %' \
         AND (SELECT count(*) FROM incident_victims v WHERE v.incident_id = i.id) <> 2",
    )
    .get_result::<Number>(conn)
    .unwrap()
    .value
}

/// `audit verify` on the database exits 0: the chain and the documents are whole.
fn assert_audit_verifies(folder: &std::path::Path, url: &str) {
    let verified = registry(folder, url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

/// Creates the security officer `officer.a` with the command line, as an administrator would.
fn create_officer(folder: &std::path::Path, url: &str) {
    let made = registry(folder, url)
        .args(["user", "create", "--username", "officer.a"])
        .args(["--role", "security_officer", "--clearance", "confidential"])
        .arg("--all-missions")
        .arg("--password-stdin")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            writeln!(child.stdin.take().unwrap(), "{PASSWORD}")?;
            child.wait()
        })
        .unwrap();
    assert!(made.success());
}

/// A security officer and a legal officer of MINUSCA, with the tests' password.
fn officer_and_legal(t: &TestApp) {
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

/// What a writer was answered: the incidents acknowledged (201), and how many writes were
/// refused.
#[derive(Default)]
struct WriterAnswers {
    acknowledged: Vec<String>,
    refused: usize,
}

/// Writes incidents until the server stops taking connections.
fn write_until_refused(server: &Server, token: &str, writer: usize) -> WriterAnswers {
    let mut answers = WriterAnswers::default();
    for n in 0..5_000 {
        let body = incident(&format!("Writer {writer}, incident {n}"));
        match server.try_request("POST", "/api/v1/incidents", Some(token), Some(&body)) {
            Ok((201, answer)) => answers
                .acknowledged
                .push(answer["id"].as_str().expect("an id").to_string()),
            Ok((status, answer)) => {
                assert!(
                    status == 503,
                    "a write during shutdown answered {status}: {answer}"
                );
                answers.refused += 1;
            }
            // Refused or cut before an answer: the connection was not taken.
            Err(_) => break,
        }
    }
    answers
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

/// The acknowledged incidents the server cannot show whole (with both victims): the lost ones.
fn lost_of(server: &Server, token: &str, acknowledged: &[&String]) -> Vec<String> {
    acknowledged
        .iter()
        .filter(|id| {
            let answer = server.try_request("GET", &format!("/api/v1/incidents/{id}"), Some(token), None);
            !matches!(answer, Ok((200, found)) if found["victims"].as_array().map(Vec::len) == Some(2))
        })
        .map(|id| id.to_string())
        .collect()
}

/// The server is killed (SIGKILL) three times while officers record incidents and a legal
/// officer moves cases. Afterwards every write answered 2xx is present and whole, nothing is
/// half-present, the references run 1, 2, 3… without a gap or a repeat, and the audit trail
/// verifies.
async fn killed_mid_write_it_keeps_every_acknowledged_write_whole(backend: Backend) {
    let t = TestApp::new(backend);
    officer_and_legal(&t);
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
    let mut answers: Vec<WriterAnswers> = Vec::new();
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
            answers.extend(writers.into_iter().map(|w| w.join().unwrap()));
            walks.extend(walker.join().unwrap());
        });
    }

    // Started once more: its sealer links what the killed servers left pending.
    let server = Server::start_with(folder.path(), &t.db.url, &settings);
    let acknowledged: Vec<&String> = answers.iter().flat_map(|w| &w.acknowledged).collect();
    let lost = lost_of(&server, &officer, &acknowledged);
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
        "incidents: acknowledged {}, present {}, lost {}; cases opened {}, moves acknowledged {moves_acknowledged}",
        acknowledged.len(),
        acknowledged.len() - lost.len(),
        lost.len(),
        walks.len()
    );
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert!(
        acknowledged.len() >= 3 && !walks.is_empty(),
        "the clients were writing"
    );

    // Nothing stored half: every incident the writers made has both victims.
    let mut conn = db::connect_one(&t.db.url).unwrap();
    let torn = torn_incidents(&mut conn);
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
    assert_audit_verifies(folder.path(), &t.db.url);
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
    let token = server.sign_in("officer.a");

    let answers: Vec<WriterAnswers> = std::thread::scope(|scope| {
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

    let acknowledged: Vec<&String> = answers.iter().flat_map(|w| &w.acknowledged).collect();
    let refused: usize = answers.iter().map(|w| w.refused).sum();
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
    assert_audit_verifies(folder.path(), &t.db.url);
}

/// A registry with one case and its document, served by a real server while four officers'
/// writers record incidents: `during` runs once they have written for a second. Returns the
/// incidents acknowledged before `during` began, how many in all, and what `during` returned.
struct UnderLoad<T> {
    acknowledged_before: Vec<String>,
    acknowledged_in_all: usize,
    outcome: T,
}

fn under_write_load<T>(
    t: &TestApp,
    folder: &std::path::Path,
    during: impl FnOnce() -> T,
) -> UnderLoad<T> {
    let documents = t.documents.path().display().to_string();
    let settings = [
        ("PKR_LOG_FILTER", "warn"),
        ("PKR_WRITES_PER_MINUTE_PER_TOKEN", "0"),
        ("PKR_DOCUMENT_FOLDER", documents.as_str()),
    ];
    let server = Server::start_with(folder, &t.db.url, &settings);
    let officer = server.sign_in("officer.a");
    let acknowledged = Mutex::new(Vec::<String>::new());
    let stop = AtomicBool::new(false);
    let (acknowledged_before, outcome) = std::thread::scope(|scope| {
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
        let outcome = during();
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
        (before, outcome)
    });
    let acknowledged_in_all = acknowledged.into_inner().unwrap().len();
    assert!(!acknowledged_before.is_empty());
    assert!(
        acknowledged_in_all > acknowledged_before.len(),
        "the writers went on writing during the backup"
    );
    UnderLoad {
        acknowledged_before,
        acknowledged_in_all,
        outcome,
    }
}

/// A registry with an officer, a legal officer, and a case with one document.
async fn registry_with_a_document(backend: Backend) -> TestApp {
    let t = TestApp::new(backend);
    officer_and_legal(&t);
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
    drop(api);
    t
}

/// The restored registry holds every incident in `before`, each whole, and no incident of the
/// writers half; its audit chain and its one document verify.
fn check_restored(
    folder: &std::path::Path,
    url: &str,
    documents: &std::path::Path,
    before: &[String],
) {
    let mut conn = db::connect_one(url).unwrap();
    for id in before {
        let victims = sql_query(format!(
            "SELECT count(*) AS value FROM incident_victims WHERE incident_id = '{id}'"
        ))
        .get_result::<Number>(&mut conn)
        .unwrap()
        .value;
        assert_eq!(victims, 2, "incident {id} restored whole");
    }
    let torn = torn_incidents(&mut conn);
    assert_eq!(torn, 0, "no incident in the backup is half there");
    drop(conn);
    let verified = registry(folder, url)
        .env("PKR_DOCUMENT_FOLDER", documents)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{report}");
    assert!(report.contains("documents intact: 1 files"), "{report}");
}

/// An SQLite backup taken while a server writes holds every incident acknowledged before it
/// began, each whole, and the case documents; restored into a fresh folder, the audit chain and
/// the documents verify; a second restore over it is refused.
#[actix_web::test]
async fn an_sqlite_backup_taken_under_write_load_restores_whole() {
    let t = registry_with_a_document(Backend::Sqlite).await;
    let folder = tempfile::tempdir().unwrap();
    let archive = folder.path().join("registry.backup");
    let load = under_write_load(&t, folder.path(), || {
        registry(folder.path(), &t.db.url)
            .env("PKR_DOCUMENT_FOLDER", t.documents.path())
            .arg("backup")
            .arg(&archive)
            .output()
            .unwrap()
    });
    let backed_up = load.outcome;
    let said = String::from_utf8_lossy(&backed_up.stdout);
    assert!(
        backed_up.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&backed_up.stderr)
    );
    assert!(said.contains("and 1 documents"), "{said}");

    // A fresh folder, as on another machine.
    let elsewhere = tempfile::tempdir().unwrap();
    let restored_url = format!("sqlite://{}/registry.sqlite3", elsewhere.path().display());
    let restored_documents = elsewhere.path().join("documents");
    let restore = || {
        registry(elsewhere.path(), &restored_url)
            .env("PKR_DOCUMENT_FOLDER", &restored_documents)
            .arg("restore")
            .arg(&archive)
            .output()
            .unwrap()
    };
    let restored = restore();
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let again = restore();
    assert!(
        !again.status.success(),
        "a restore never overwrites a database"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    check_restored(
        elsewhere.path(),
        &restored_url,
        &restored_documents,
        &load.acknowledged_before,
    );
    println!(
        "backup: {} incidents acknowledged before it began, {} in all",
        load.acknowledged_before.len(),
        load.acknowledged_in_all
    );
}

/// On PostgreSQL, `backup` explains PostgreSQL's tools (and writes nothing); those commands, as
/// `docs/operations.md` gives them, taken while a server writes, restore into a new database
/// every incident acknowledged before the dump began, each whole, with a verifying audit chain
/// and the documents.
#[actix_web::test]
async fn a_postgres_dump_taken_under_write_load_restores_whole() {
    if !common::postgres_available() {
        return;
    }
    let t = registry_with_a_document(Backend::Postgres).await;
    let folder = tempfile::tempdir().unwrap();
    let explained = registry(folder.path(), &t.db.url)
        .arg("backup")
        .arg(folder.path().join("registry.backup"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&explained.stderr);
    assert!(!explained.status.success(), "nothing was backed up: {said}");
    assert!(
        said.contains("pg_dump") && said.contains("pg_restore"),
        "{said}"
    );
    assert!(!folder.path().join("registry.backup").exists());

    let dump = folder.path().join("registry.dump");
    let documents_copy = folder.path().join("documents-backup");
    let run = |program: &str, arguments: &[&std::ffi::OsStr]| {
        let done = std::process::Command::new(program)
            .args(arguments)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            done.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    };
    let load = under_write_load(&t, folder.path(), || {
        run(
            "pg_dump",
            &[
                "--format=custom".as_ref(),
                "--file".as_ref(),
                dump.as_os_str(),
                t.db.url.as_ref(),
            ],
        );
        run(
            "cp",
            &[
                "-a".as_ref(),
                t.documents.path().as_os_str(),
                documents_copy.as_os_str(),
            ],
        );
    });

    let restored = common::TestDb::new(Backend::Postgres);
    run(
        "pg_restore",
        &[
            "--no-owner".as_ref(),
            "--exit-on-error".as_ref(),
            "--dbname".as_ref(),
            restored.url.as_ref(),
            dump.as_os_str(),
        ],
    );
    let restored_documents = folder.path().join("documents-restored");
    std::fs::create_dir_all(&restored_documents).unwrap();
    let mut source = documents_copy.into_os_string();
    source.push("/.");
    run(
        "cp",
        &[
            "-a".as_ref(),
            source.as_os_str(),
            restored_documents.as_os_str(),
        ],
    );
    check_restored(
        folder.path(),
        &restored.url,
        &restored_documents,
        &load.acknowledged_before,
    );
}

/// A database file another program made, or one that is not a database at all, is refused
/// with a message that says so, and left exactly as it was.
#[test]
fn a_database_that_is_not_the_registrys_is_refused_and_left_alone() {
    let folder = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite://{}/{name}", folder.path().display());

    // Another program's database, in SQLite's default (rollback journal) mode.
    let other_file = folder.path().join("other.sqlite3");
    let mut other = diesel::SqliteConnection::establish(&other_file.display().to_string()).unwrap();
    sql_query("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        .execute(&mut other)
        .unwrap();
    drop(other);
    let before = std::fs::read(&other_file).unwrap();
    for command in ["migrate", "serve", "audit verify", "backup registry.backup"] {
        let refused = finished_within_a_minute(
            registry(folder.path(), &url("other.sqlite3"))
                .args(command.split(' '))
                .env("PKR_LISTEN", "127.0.0.1:0"),
        );
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{command}");
        assert!(
            said.contains("not the registry's") && said.contains("customers"),
            "{command}: {said}"
        );
    }
    assert_eq!(std::fs::read(&other_file).unwrap(), before);
    assert!(
        !folder.path().join("other.sqlite3-wal").exists(),
        "not switched to WAL"
    );
    assert!(!folder.path().join("registry.backup").exists());

    let garbage = b"Minutes of the meeting of 3 March: not a database.".repeat(100);
    std::fs::write(folder.path().join("notes.sqlite3"), &garbage).unwrap();
    let refused = finished_within_a_minute(
        registry(folder.path(), &url("notes.sqlite3"))
            .arg("serve")
            .env("PKR_LISTEN", "127.0.0.1:0"),
    );
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(said.contains("not a database"), "{said}");
    assert_eq!(
        std::fs::read(folder.path().join("notes.sqlite3")).unwrap(),
        garbage
    );
}

/// Runs a command that must end by itself (a refusal), and fails the test rather than hang
/// if it does not.
fn finished_within_a_minute(command: &mut std::process::Command) -> std::process::Output {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the command did not end by itself: {command:?}");
}

/// A database a newer version migrated is refused before anything is written: the migration
/// it does not know is named.
async fn a_database_migrated_by_a_newer_version_is_refused(backend: Backend) {
    let t = TestApp::new(backend);
    t.execute_sql("INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000001')")
        .unwrap();
    let audit_before = t.count("audit_log");
    let folder = tempfile::tempdir().unwrap();
    for command in ["migrate", "serve"] {
        let refused = finished_within_a_minute(
            registry(folder.path(), &t.db.url)
                .arg(command)
                .env("PKR_LISTEN", "127.0.0.1:0"),
        );
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{command}");
        assert!(
            said.contains("newer version") && said.contains("29991231000001"),
            "{command}: {said}"
        );
    }
    assert_eq!(t.count("audit_log"), audit_before);
    assert_eq!(t.count("users"), 0, "serve made no first administrator");
}

/// A small file system of its own for one test's database, unmounted when dropped.
struct SmallDisk {
    folder: tempfile::TempDir,
}

impl SmallDisk {
    /// Needs the right to mount (the test machines run the suite as root).
    fn mount(size: &str) -> SmallDisk {
        let folder = tempfile::tempdir().unwrap();
        let disk = SmallDisk { folder };
        disk.run_mount(&["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]);
        disk
    }

    fn remount(&self, options: &str) {
        self.run_mount(&["-o", &format!("remount,{options}")]);
    }

    fn run_mount(&self, arguments: &[&str]) {
        let done = std::process::Command::new("mount")
            .args(arguments)
            .arg(self.folder.path())
            .output()
            .expect("run mount");
        assert!(
            done.status.success(),
            "this test mounts a small file system to fill it: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.folder.path())
            .status();
    }
}

/// On a disk that fills up, and then turns read-only, writes are refused with a message that
/// says so and leave nothing half-written; reads go on; once the disk has room and is writable
/// again, the same server writes again; the audit trail verifies.
#[actix_web::test]
async fn a_full_or_read_only_disk_is_answered_plainly_and_changes_nothing() {
    let disk = SmallDisk::mount("3m");
    let url = format!("sqlite://{}/registry.sqlite3", disk.folder.path().display());
    let folder = tempfile::tempdir().unwrap();
    create_officer(folder.path(), &url);
    let settings = [
        ("PKR_LOG_FILTER", "error"),
        ("PKR_WRITES_PER_MINUTE_PER_TOKEN", "0"),
    ];
    let server = Server::start_with(folder.path(), &url, &settings);
    let token = server.sign_in("officer.a");
    let long = "The patrol reported the attack in detail. ".repeat(400);
    let write = |n: usize| {
        let mut body: serde_json::Value =
            serde_json::from_str(&incident(&format!("Writer 0, incident {n}"))).unwrap();
        body["narrative"] = json!(long);
        server
            .try_request(
                "POST",
                "/api/v1/incidents",
                Some(&token),
                Some(&body.to_string()),
            )
            .expect("an answer")
    };

    let mut written = 0;
    let refusal = loop {
        let (status, answer) = write(written);
        if status != 201 {
            break (status, answer);
        }
        written += 1;
        assert!(written < 1_000, "the disk never filled");
    };
    assert_eq!(refusal.0, 503, "{}", refusal.1);
    assert_eq!(refusal.1["type"], "/problems/storage-refused");
    assert!(
        refusal.1["detail"].as_str().unwrap().contains("full"),
        "{}",
        refusal.1
    );
    let (status, _) = server
        .try_request("GET", "/api/v1/incidents?limit=5", Some(&token), None)
        .unwrap();
    assert_eq!(status, 200, "reads go on");

    disk.remount("size=64m");
    assert_eq!(write(written).0, 201, "room again: writes again");
    written += 1;
    std::thread::sleep(Duration::from_millis(1500));
    drop(server);

    // A disk that is read-only: remounted while no server runs (a file system with files open
    // for writing cannot be). The server starts, serves reads, and refuses each write saying so.
    disk.remount("ro");
    let server = Server::start_with(folder.path(), &url, &settings);
    let (status, _) = server
        .try_request("GET", "/api/v1/incidents?limit=5", Some(&token), None)
        .unwrap();
    assert_eq!(status, 200, "reads go on");
    let body = incident("Written on a read-only disk");
    let (status, answer) = server
        .try_request("POST", "/api/v1/incidents", Some(&token), Some(&body))
        .expect("an answer");
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["type"], "/problems/storage-refused", "{answer}");
    assert!(
        answer["detail"].as_str().unwrap().contains("read-only"),
        "{answer}"
    );
    drop(server);
    disk.remount("rw");

    let mut conn = db::connect_one(&url).unwrap();
    let count = |conn: &mut db::DbConnection, sql: &str| {
        sql_query(sql).get_result::<Number>(conn).unwrap().value
    };
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS value FROM incidents"),
        written as i64
    );
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS value FROM incident_victims"),
        2 * written as i64,
        "nothing half-written"
    );
    drop(conn);
    assert_audit_verifies(folder.path(), &url);
}

/// A PostgreSQL server of its own for one test, which the test may stop and start: a fresh
/// cluster in a temporary folder, run as the `postgres` account on a free port, removed when
/// dropped.
struct OwnPostgres {
    folder: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
}

impl OwnPostgres {
    fn start() -> OwnPostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server programs in /usr/lib/postgresql")
            .filter_map(Result::ok)
            .map(|version| version.path().join("bin"))
            .find(|bin| bin.join("initdb").exists())
            .expect("initdb");
        let folder = tempfile::tempdir().unwrap();
        let chown = std::process::Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(folder.path())
            .status()
            .unwrap();
        assert!(chown.success());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = OwnPostgres { folder, bin, port };
        cluster.as_postgres(
            "initdb",
            &["--auth=trust", "--no-sync", "-D", &cluster.data()],
        );
        cluster.pg_ctl(&["start", "-w"]);
        cluster
    }

    fn data(&self) -> String {
        self.folder.path().join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl(&self, arguments: &[&str]) {
        let (data, log) = (self.data(), self.folder.path().join("log"));
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.folder.path().display()
        );
        let log = log.display().to_string();
        let mut all = vec![
            "-D",
            data.as_str(),
            "-o",
            options.as_str(),
            "-l",
            log.as_str(),
        ];
        all.extend_from_slice(arguments);
        self.as_postgres("pg_ctl", &all);
    }

    fn as_postgres(&self, program: &str, arguments: &[&str]) {
        let done = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program))
            .args(arguments)
            .output()
            .expect("runuser");
        assert!(
            done.status.success(),
            "{program} {arguments:?}: {}{}",
            String::from_utf8_lossy(&done.stdout),
            String::from_utf8_lossy(&done.stderr)
        );
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}

/// PostgreSQL itself stopped in `immediate` mode (as a crash of the database server) while
/// officers write, then started again: the registry answers 503 meanwhile, serves again by
/// itself, and every write it acknowledged before, during and after is present and whole.
#[actix_web::test]
async fn the_database_server_crashing_loses_no_acknowledged_write() {
    if !common::postgres_available() {
        return;
    }
    let postgres = OwnPostgres::start();
    let url = postgres.url();
    let folder = tempfile::tempdir().unwrap();
    create_officer(folder.path(), &url);
    let settings = [
        ("PKR_LOG_FILTER", "error"),
        ("PKR_WRITES_PER_MINUTE_PER_TOKEN", "0"),
        ("PKR_DATABASE_TIMEOUT_SECONDS", "2"),
    ];
    let server = Server::start_with(folder.path(), &url, &settings);
    let token = server.sign_in("officer.a");

    let stop = AtomicBool::new(false);
    let acknowledged = Mutex::new(Vec::<String>::new());
    let refused = Mutex::new(Vec::<u16>::new());
    std::thread::scope(|scope| {
        for writer in 0..3 {
            let (server, token, stop) = (&server, token.as_str(), &stop);
            let (acknowledged, refused) = (&acknowledged, &refused);
            scope.spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let body = incident(&format!("Writer {writer}, incident {n}"));
                    match server.try_request("POST", "/api/v1/incidents", Some(token), Some(&body))
                    {
                        Ok((201, created)) => acknowledged
                            .lock()
                            .unwrap()
                            .push(created["id"].as_str().unwrap().to_string()),
                        Ok((status, _)) => refused.lock().unwrap().push(status),
                        Err(e) => panic!("the registry itself must stay up: {e}"),
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(800));
        postgres.pg_ctl(&["-m", "immediate", "stop"]);
        // Not ready, and said so within the configured wait (2 s here), never hung.
        let asked = std::time::Instant::now();
        let (status, answer) = server.request("GET", "/readyz", None);
        assert_eq!(status, 503, "{answer}");
        assert!(
            asked.elapsed() < Duration::from_secs(6),
            "{:?}",
            asked.elapsed()
        );
        std::thread::sleep(Duration::from_millis(500));
        postgres.pg_ctl(&["start", "-w"]);
        std::thread::sleep(Duration::from_millis(3000));
        stop.store(true, Ordering::Relaxed);
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    let refused = refused.into_inner().unwrap();
    assert!(
        refused.iter().all(|status| *status == 503),
        "only 503 while the database was down: {refused:?}"
    );
    assert!(!refused.is_empty(), "the outage was seen");

    let acknowledged: Vec<&String> = acknowledged.iter().collect();
    let lost = lost_of(&server, &token, &acknowledged);
    println!(
        "database crash: acknowledged {}, present {}, lost {}, refused meanwhile {}",
        acknowledged.len(),
        acknowledged.len() - lost.len(),
        lost.len(),
        refused.len()
    );
    assert!(lost.is_empty(), "lost: {lost:?}");
    let mut conn = db::connect_one(&url).unwrap();
    let torn = torn_incidents(&mut conn);
    assert_eq!(torn, 0, "an incident is half-present");
    let references: Vec<String> = sql_query("SELECT reference AS value FROM incidents")
        .load::<Word>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|w| w.value)
        .collect();
    let expected: Vec<u32> = (1..=references.len() as u32).collect();
    assert_eq!(numbers_of(&references), expected);
    drop(conn);

    std::thread::sleep(Duration::from_millis(1500));
    drop(server);
    assert_audit_verifies(folder.path(), &url);
}

/// Sends `count` requests at once from as many threads, alternating between `servers`; the
/// statuses and bodies, in sending order.
fn at_once(
    servers: &[&Server],
    count: usize,
    request: impl Fn(&Server, usize) -> (u16, serde_json::Value) + Sync,
) -> Vec<(u16, serde_json::Value)> {
    let start = std::sync::Barrier::new(count);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..count)
            .map(|n| {
                let (server, start, request) = (servers[n % servers.len()], &start, &request);
                scope.spawn(move || {
                    start.wait();
                    request(server, n)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

/// Two server processes on one database, clients spread over both: fifty submits at once get
/// the references 1 to 50; one idempotency key sent ten times at once makes one incident; of
/// fifty updates of one version one wins and the record is its; of fifty moves from one status
/// one wins; nothing but 2xx or 409 reaches a client; the lock-out after failed sign-ins holds
/// on both; the audit chain verifies.
async fn two_servers_on_one_database_agree(backend: Backend) {
    let t = TestApp::new(backend);
    officer_and_legal(&t);
    t.create_user("lead.one", Role::Leadership, Clearance::Unclassified, &[]);
    let folder = tempfile::tempdir().unwrap();
    let settings = [
        ("PKR_LOG_FILTER", "warn"),
        ("PKR_WRITES_PER_MINUTE_PER_TOKEN", "0"),
    ];
    let first = Server::start_with(folder.path(), &t.db.url, &settings);
    let second = Server::start_with(folder.path(), &t.db.url, &settings);
    let both = [&first, &second];
    let login = |server: &Server, username: &str, password: &str| {
        let body = json!({ "username": username, "password": password }).to_string();
        server
            .try_request("POST", "/api/v1/auth/login", None, Some(&body))
            .expect("an answer")
    };
    let (_, session) = login(&first, "officer.a", PASSWORD);
    let officer = session["token"].as_str().unwrap().to_string();
    let (_, session) = login(&second, "legal", PASSWORD);
    let legal = session["token"].as_str().unwrap().to_string();

    // Fifty submits at once: the references 1 to 50, each once.
    let created = at_once(&both, 50, |server, n| {
        let body = incident(&format!("Writer 0, incident {n}"));
        server
            .try_request("POST", "/api/v1/incidents", Some(&officer), Some(&body))
            .expect("an answer")
    });
    let references: Vec<String> = created
        .iter()
        .map(|(status, answer)| {
            assert_eq!(*status, 201, "{answer}");
            answer["reference"]
                .as_str()
                .expect("a reference")
                .to_string()
        })
        .collect();
    assert_eq!(numbers_of(&references), (1..=50).collect::<Vec<u32>>());

    // One idempotency key, ten times at once over both servers: one incident.
    let bearer = format!("Bearer {officer}");
    let retried = incident("Sent again over a bad link");
    let replays = at_once(&both, 10, |server, _| {
        let headers = [
            ("Authorization", bearer.as_str()),
            ("Idempotency-Key", "field-office-7f3a"),
        ];
        server
            .send("POST", "/api/v1/incidents", &headers, Some(&retried))
            .expect("an answer")
    });
    let ids: Vec<&str> = replays
        .iter()
        .map(|(status, answer)| {
            assert_eq!(*status, 201, "{answer}");
            answer["id"].as_str().unwrap()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(t.count("incidents"), 51);

    // Fifty updates of the version read, at once: one wins, and the record is the winner's.
    let target = created[0].1["id"].as_str().unwrap().to_string();
    let version = created[0].1["version"].as_i64().expect("a version");
    let path = format!("/api/v1/incidents/{target}");
    let updates = at_once(&both, 50, |server, n| {
        let body = json!({ "version": version, "summary": format!("Corrected by writer {n}") })
            .to_string();
        server
            .try_request("PATCH", &path, Some(&officer), Some(&body))
            .expect("an answer")
    });
    let winners: Vec<&serde_json::Value> = updates
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, answer)| answer)
        .collect();
    assert_eq!(winners.len(), 1, "{updates:?}");
    assert!(
        updates
            .iter()
            .all(|(status, _)| [200, 409].contains(status)),
        "{updates:?}"
    );
    let (_, stored) = first
        .try_request("GET", &path, Some(&officer), None)
        .unwrap();
    assert_eq!(stored["summary"], winners[0]["summary"]);
    assert_eq!(stored["version"], version + 1);

    // Fifty moves from `opened` at once, to two different statuses: one wins.
    let case = json!({ "incident_ids": [target], "jurisdiction": "CAF" }).to_string();
    let (status, opened) = second
        .try_request("POST", "/api/v1/cases", Some(&legal), Some(&case))
        .unwrap();
    assert_eq!(status, 201, "{opened}");
    let moves_path = format!(
        "/api/v1/cases/{}/transitions",
        opened["id"].as_str().unwrap()
    );
    // Each names the version it read, `opened`'s: whichever move is first, the others are stale.
    let case_version = opened["version"].as_i64().expect("a version");
    let moves = at_once(&both, 50, |server, n| {
        let to = if n % 2 == 0 {
            "referred"
        } else {
            "investigating"
        };
        let body =
            json!({ "to": to, "effective_on": "2026-03-20", "version": case_version }).to_string();
        server
            .try_request("POST", &moves_path, Some(&legal), Some(&body))
            .expect("an answer")
    });
    let won = moves.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(won, 1, "{moves:?}");
    assert!(
        moves.iter().all(|(status, _)| [200, 409].contains(status)),
        "{moves:?}"
    );

    // The lock-out after failed sign-ins, counted over both servers, holds on both.
    for attempt in 0..5 {
        let (status, _) = login(both[attempt % 2], "lead.one", "not the password at all");
        assert_eq!(status, 401);
    }
    for server in both {
        let (status, answer) = login(server, "lead.one", PASSWORD);
        assert_eq!(status, 401, "locked out on every server: {answer}");
    }

    std::thread::sleep(Duration::from_millis(1500));
    drop((first, second));
    assert_audit_verifies(folder.path(), &t.db.url);
}
