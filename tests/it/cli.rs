//! The `peacekeeper-registry` command, run as a user would: the real binary, real HTTP.

use crate::common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use common::{Backend, PASSWORD, TestApp, TestDb};
use peacekeeper_registry::domain::access::{Clearance, Role};

use common::server::{BINARY, Server, raw_request, registry};

on_both_backends!(
    first_start_prints_the_admin_password_once_and_serves,
    accounts_are_made_and_disabled_from_the_command_line,
    audit_verify_exits_by_the_state_of_the_chain,
    audit_verify_rehashes_case_documents,
    audit_verify_finds_records_changed_past_the_service,
    the_official_dataset_imports_from_the_command_line,
);

fn run(command: &mut Command, stdin: Option<&str>) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().expect("the binary ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn first_start_prints_the_admin_password_once_and_serves(backend: Backend) {
    let db = TestDb::new(backend);
    let folder = tempfile::tempdir().unwrap();
    let server = Server::start(folder.path(), &db.url);
    let password = server
        .printed
        .iter()
        .find_map(|line| line.trim().strip_prefix("password: "))
        .expect("the first start prints the admin password")
        .to_string();
    assert_eq!(password.len(), 20);
    assert!(
        server
            .printed
            .iter()
            .any(|line| line.contains("must be changed"))
    );

    assert_eq!(server.request("GET", "/readyz", None).0, 200);
    let (status, session) = server.request(
        "POST",
        "/api/v1/auth/login",
        Some(&format!(
            r#"{{"username":"admin","password":"{password}"}}"#
        )),
    );
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["must_change_password"], true);
    let (status, _) = server.request("GET", "/api/v1/nothing", None);
    assert_eq!(status, 404);

    let logs = server.stop();
    assert!(
        logs.contains("migrations applied"),
        "the server logs: {logs}"
    );
    assert!(!logs.contains(&password), "the password is never logged");
    assert!(
        !logs.contains(session["token"].as_str().unwrap()),
        "tokens are never logged"
    );

    // Second start: the account exists, nothing is printed.
    let again = Server::start(folder.path(), &db.url);
    assert!(!again.printed.iter().any(|line| line.contains("password")));
    assert_eq!(again.request("GET", "/healthz", None).0, 200);
}

async fn accounts_are_made_and_disabled_from_the_command_line(backend: Backend) {
    let t = TestApp::new(backend);
    let folder = tempfile::tempdir().unwrap();
    let create = |username: &str, password: &str, extra: &[&str]| {
        let mut command = registry(folder.path(), &t.db.url);
        command
            .args(["user", "create", "--username", username])
            .args(extra);
        run(&mut command, Some(&format!("{password}\n")))
    };

    let made = create(
        "field.officer",
        PASSWORD,
        &[
            "--role",
            "security_officer",
            "--mission",
            "MINUSCA",
            "--mission",
            "MONUSCO",
            "--clearance",
            "confidential",
            "--password-stdin",
        ],
    );
    assert!(
        made.status.success(),
        "{:?} {}",
        made.status,
        text(&made.stderr)
    );
    assert!(text(&made.stdout).contains("created user `field.officer`"));

    let api = t.api().await;
    let answer = api.login_answer("field.officer", PASSWORD).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body["must_change_password"], false,
        "command-line accounts need no change"
    );
    let token = answer.body["token"].as_str().unwrap().to_string();
    let me = api.get("/api/v1/me", Some(&token)).await;
    assert_eq!(
        me.body["missions"],
        serde_json::json!(["MINUSCA", "MONUSCO"])
    );
    assert_eq!(me.body["clearance"], "confidential");

    let weak = create(
        "weak.one",
        "password123",
        &["--role", "auditor", "--password-stdin"],
    );
    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("password"),
        "{}",
        text(&weak.stderr)
    );
    let no_stdin = create("other.one", PASSWORD, &["--role", "auditor"]);
    assert!(!no_stdin.status.success());
    assert!(text(&no_stdin.stderr).contains("--password-stdin"));
    let bad_role = create(
        "other.one",
        PASSWORD,
        &["--role", "root", "--password-stdin"],
    );
    assert!(!bad_role.status.success());
    assert!(text(&bad_role.stderr).contains("--role"));
    let taken = create(
        "field.officer",
        PASSWORD,
        &["--role", "auditor", "--password-stdin"],
    );
    assert!(!taken.status.success());
    assert!(text(&taken.stderr).contains("taken"));

    // A State's focal point speaks for the State it is given, and must have one that exists.
    let focal = ["--role", "state_focal_point", "--password-stdin"];
    let stateless = create("focal.civ", PASSWORD, &focal);
    assert!(!stateless.status.success());
    assert!(
        text(&stateless.stderr).contains("state"),
        "{}",
        text(&stateless.stderr)
    );
    let unknown = create(
        "focal.civ",
        PASSWORD,
        &[&focal[..], &["--state", "XYZ"]].concat(),
    );
    assert!(!unknown.status.success());
    let made = create(
        "focal.civ",
        PASSWORD,
        &[&focal[..], &["--state", "CIV"]].concat(),
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    let focal = api.login_answer("focal.civ", PASSWORD).await;
    assert_eq!(
        focal.body["must_enrol_second_factor"], true,
        "{}",
        focal.body
    );
    let focal_token = focal.body["token"].as_str().unwrap();
    let me = api.get("/api/v1/me", Some(focal_token)).await;
    assert_eq!(me.body["state"], "CIV");

    // A lost second factor is taken away by whoever runs the registry; the administrator then
    // signs in without a code and sets up a new one first.
    t.create_user("chief", Role::Admin, Clearance::Confidential, &[]);
    let reset = |username: &str| {
        let mut command = registry(folder.path(), &t.db.url);
        command.args(["user", "reset-second-factor", "--username", username]);
        run(&mut command, None)
    };
    let done = reset("chief");
    assert!(done.status.success(), "{}", text(&done.stderr));
    let chief = api.login_answer("chief", PASSWORD).await;
    assert_eq!(chief.status, 200, "{}", chief.body);
    assert_eq!(chief.body["must_enrol_second_factor"], true);
    assert_eq!(
        t.audit_actions()
            .iter()
            .filter(|a| *a == "auth.second_factor_reset")
            .count(),
        1
    );
    let again = reset("chief");
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("no second factor"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(t.count("users"), 3);

    let disabled = run(
        registry(folder.path(), &t.db.url).args(["user", "disable", "--username", "field.officer"]),
        None,
    );
    assert!(
        disabled.status.success(),
        "{:?} {}",
        disabled.status,
        text(&disabled.stderr)
    );
    // A running server notices a change made by a command once its last check of the session
    // is older than this.
    t.clock
        .advance(peacekeeper_registry::recently_read::AT_MOST);
    api.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401);
    assert_eq!(
        t.audit_actions().last().map(String::as_str),
        Some("user.update")
    );
    api.login_answer("field.officer", PASSWORD)
        .await
        .assert_problem(401);
    let unknown = run(
        registry(folder.path(), &t.db.url).args(["user", "disable", "--username", "nobody"]),
        None,
    );
    assert!(!unknown.status.success());
}

async fn audit_verify_exits_by_the_state_of_the_chain(backend: Backend) {
    let t = TestApp::new(backend);
    for name in ["one", "two", "three"] {
        t.create_user(name, Role::Leadership, Clearance::Unclassified, &[]);
    }
    let folder = tempfile::tempdir().unwrap();
    let records = t.count("audit_log");

    let intact = run(
        registry(folder.path(), &t.db.url).args(["audit", "verify"]),
        None,
    );
    assert!(intact.status.success(), "{}", text(&intact.stderr));
    let said = text(&intact.stdout);
    assert!(
        said.contains(&format!("intact: {records} records checked")),
        "{said}"
    );

    let target: i64 = {
        let mut conn = t.conn();
        let list =
            peacekeeper_registry::store::audit::list(&mut conn, &Default::default(), 10).unwrap();
        list.iter()
            .find(|r| r.details.contains("\"two\""))
            .unwrap()
            .id
    };
    if t.execute_sql("DROP TRIGGER audit_log_no_update").is_err() {
        t.execute_sql("DROP TRIGGER audit_log_no_update ON audit_log")
            .unwrap();
    }
    t.execute_sql(&format!(
        "UPDATE audit_log SET actor_username = 'forged' WHERE id = {target}"
    ))
    .unwrap();

    let broken = run(
        registry(folder.path(), &t.db.url).args(["audit", "verify"]),
        None,
    );
    let said = text(&broken.stdout);
    assert_eq!(
        broken.status.code(),
        Some(1),
        "{said} {}",
        text(&broken.stderr)
    );
    assert!(
        said.contains(&format!("BROKEN at record {target}")),
        "{said}"
    );
}

async fn audit_verify_rehashes_case_documents(backend: Backend) {
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
    let legal = api.login("legal", PASSWORD).await;
    let incident = api
        .post(
            "/api/v1/incidents",
            Some(&officer),
            serde_json::json!({
                "mission": "MINUSCA", "occurred_at": "2026-03-14T06:30:00Z",
                "location_type": "patrol", "attack_type": "ambush", "weapons": [],
                "victims": [{ "personnel_type": "military", "gender": "male", "outcome": "killed" }],
                "summary": "Patrol ambushed", "narrative": "A patrol was ambushed.",
                "classification": "unclassified", "submit": true
            }),
        )
        .await;
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            serde_json::json!({ "incident_ids": [incident.body["id"]], "jurisdiction": "CAF" }),
        )
        .await;
    let uploaded = t
        .upload_document(
            &legal,
            case.body["id"].as_str().unwrap(),
            "The prosecutor charges the accused.",
        )
        .await;
    assert_eq!(uploaded.status.as_u16(), 201, "{}", uploaded.body);
    let folder = tempfile::tempdir().unwrap();
    let verify = || {
        run(
            registry(folder.path(), &t.db.url)
                .env("PKR_DOCUMENT_FOLDER", t.documents.path())
                .args(["audit", "verify"]),
            None,
        )
    };
    let intact = verify();
    assert!(intact.status.success(), "{}", text(&intact.stdout));
    assert!(text(&intact.stdout).contains("documents intact: 1 files"));

    let hash = uploaded.body["sha256"].as_str().unwrap();
    std::fs::write(
        t.documents.path().join(&hash[..2]).join(hash),
        "The prosecutor drops the charges.\n",
    )
    .unwrap();
    let altered = verify();
    let said = text(&altered.stdout);
    assert_eq!(altered.status.code(), Some(1), "{said}");
    assert!(said.contains("documents FAILED: 1 of 1"), "{said}");
    assert!(
        said.contains(uploaded.body["id"].as_str().unwrap()),
        "{said}"
    );
    // The chain itself is intact: only the document is reported.
    assert!(said.contains("audit trail intact"), "{said}");
}

async fn the_official_dataset_imports_from_the_command_line(backend: Backend) {
    let t = TestApp::new(backend);
    let folder = tempfile::tempdir().unwrap();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/DPPADPOSS-FATALITIES.csv"
    );
    let import = |extra: &[&str]| {
        let output = run(
            registry(folder.path(), &t.db.url)
                .args(["import", "un-fatalities", file])
                .args(extra),
            None,
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        output
    };
    let dry = import(&["--dry-run"]);
    let said = text(&dry.stdout);
    assert!(said.contains("dry run"), "{said}");
    assert!(said.contains("incidents created: 611"), "{said}");
    assert!(
        said.contains("line 1900: UNMIK-2003-05-03589 already on line 1899"),
        "{said}"
    );
    assert_eq!(t.count("incidents"), 0);

    let first: Value = serde_json::from_slice(&import(&["--json"]).stdout).unwrap();
    assert_eq!(first["incidents_created"], 611);
    assert_eq!(first["victims_created"], 1134);
    let second: Value = serde_json::from_slice(&import(&["--json"]).stdout).unwrap();
    assert_eq!(second["incidents_created"], 0);
    assert_eq!(second["already_present"], 1134);
    assert_eq!(t.count("incidents"), 611);

    let missing = run(
        registry(folder.path(), &t.db.url).args(["import", "un-fatalities", "no-such.csv"]),
        None,
    );
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("no-such.csv"));
}

fn sqlite_url(folder: &std::path::Path) -> String {
    format!("sqlite://{}/registry.sqlite3", folder.display())
}

#[test]
fn bad_settings_stop_start_up_naming_the_setting() {
    let folder = tempfile::tempdir().unwrap();
    let url = sqlite_url(folder.path());
    let cases: [(&str, &str, &str); 6] = [
        (
            "PKR_SESSION_ABSOLUTE_HOURS",
            "99999999999",
            "session_absolute_hours",
        ),
        ("PKR_POOL_SIZE", "many", "pool_size"),
        ("PKR_LISTEN", "not-an-address", "listen"),
        (
            "PKR_DATABASE_URL",
            "mysql://localhost/registry",
            "database_url",
        ),
        ("PKR_SESSION_IDLE_MINUTES", "0", "session_idle_minutes"),
        ("PKR_LOG_FORMAT", "xml", "log_format"),
    ];
    for (variable, value, setting) in cases {
        let output = run(
            registry(folder.path(), &url)
                .arg("migrate")
                .env(variable, value),
            None,
        );
        assert!(
            !output.status.success(),
            "{variable}={value} must stop start-up"
        );
        let said = text(&output.stderr);
        assert!(said.contains(setting), "{variable}={value}: {said}");
    }

    std::fs::write(folder.path().join("extra.toml"), "colour = \"blue\"\n").unwrap();
    let output = run(
        registry(folder.path(), &url).args(["migrate", "--config", "extra.toml"]),
        None,
    );
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("colour"),
        "{}",
        text(&output.stderr)
    );

    let output = run(
        registry(folder.path(), &url).args(["migrate", "--config", "missing.toml"]),
        None,
    );
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("missing.toml"));
}

#[test]
fn settings_come_from_file_then_environment() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::create_dir(folder.path().join("config")).unwrap();
    // config/default.toml of the working folder is read...
    std::fs::write(
        folder.path().join("config/default.toml"),
        "database_url = \"sqlite://from-default/registry.sqlite3\"\n",
    )
    .unwrap();
    let output = run(
        Command::new(BINARY)
            .current_dir(folder.path())
            .env_remove("DATABASE_URL")
            .env_remove("PKR_DATABASE_URL")
            .arg("migrate"),
        None,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(folder.path().join("from-default/registry.sqlite3").exists());

    // ...the --config file over it...
    std::fs::write(
        folder.path().join("site.toml"),
        "database_url = \"sqlite://from-file/registry.sqlite3\"\n",
    )
    .unwrap();
    let output = run(
        Command::new(BINARY)
            .current_dir(folder.path())
            .env_remove("DATABASE_URL")
            .env_remove("PKR_DATABASE_URL")
            .args(["migrate", "--config", "site.toml"]),
        None,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(folder.path().join("from-file/registry.sqlite3").exists());

    // ...plain DATABASE_URL over the files, and PKR_DATABASE_URL over everything.
    let output = run(
        Command::new(BINARY)
            .current_dir(folder.path())
            .env("DATABASE_URL", "sqlite://from-plain/registry.sqlite3")
            .env_remove("PKR_DATABASE_URL")
            .args(["migrate", "--config", "site.toml"]),
        None,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(folder.path().join("from-plain/registry.sqlite3").exists());
    let output = run(
        Command::new(BINARY)
            .current_dir(folder.path())
            .env("DATABASE_URL", "sqlite://from-plain/registry.sqlite3")
            .env("PKR_DATABASE_URL", "sqlite://from-pkr/registry.sqlite3")
            .arg("migrate"),
        None,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(folder.path().join("from-pkr/registry.sqlite3").exists());
}

#[test]
fn help_documents_every_command() {
    let output = run(Command::new(BINARY).arg("--help"), None);
    let said = text(&output.stdout);
    for command in [
        "serve",
        "migrate",
        "user",
        "audit",
        "healthcheck",
        "--config",
    ] {
        assert!(said.contains(command), "--help mentions {command}");
    }
    let output = run(
        Command::new(BINARY).args(["user", "create", "--help"]),
        None,
    );
    let said = text(&output.stdout);
    for option in [
        "--username",
        "--role",
        "--mission",
        "--clearance",
        "--state",
        "--password-stdin",
    ] {
        assert!(
            said.contains(option),
            "user create --help mentions {option}"
        );
    }
    let output = run(Command::new(BINARY).args(["audit", "--help"]), None);
    assert!(text(&output.stdout).contains("verify"));
}

/// A server given `metrics_listen` serves `/metrics` there to whoever reaches it and nothing
/// else; on the main address `/metrics` does not exist without the metrics token.
#[test]
fn the_metrics_address_serves_the_metrics_alone() {
    let db = TestDb::new(Backend::Sqlite);
    let folder = tempfile::tempdir().unwrap();
    // A port free a moment ago: the setting needs a fixed one.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let server = Server::start_with(
        folder.path(),
        &db.url,
        &[("PKR_METRICS_LISTEN", metrics_addr.as_str())],
    );
    assert_eq!(server.request("GET", "/metrics", None).0, 404);
    assert_eq!(server.request("GET", "/readyz", None).0, 200);

    let get = |path: &str| raw_request(&metrics_addr, "GET", path, &[], None).unwrap();
    let elsewhere = get("/readyz");
    assert!(
        elsewhere.starts_with("HTTP/1.1 404"),
        "the metrics address serves nothing else: {elsewhere}"
    );
    let answer = get("/metrics");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(
            r#"registry_http_requests_total{endpoint="/readyz",method="GET",status="200"} 1"#
        ),
        "{answer}"
    );
}

/// Changes made straight in the database, past the service and its audit records, to an
/// incident's row, to one of its victims, to a stored version of another, to a case and to an
/// account: `audit verify` exits 1 and names each (record type, id, version).
async fn audit_verify_finds_records_changed_past_the_service(backend: Backend) {
    use serde_json::json;
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
    let field = t.create_user(
        "field",
        Role::Leadership,
        Clearance::Unclassified,
        &["MINUSCA"],
    );
    let spare = t.create_user(
        "spare",
        Role::Leadership,
        Clearance::Unclassified,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let mut ids = Vec::new();
    for summary in ["First", "Second", "Third", "Fourth"] {
        let made = api
            .post(
                "/api/v1/incidents",
                Some(&officer),
                json!({ "mission": "MINUSCA", "occurred_at": "2026-03-14T06:30:00Z", "attack_type": "ambush",
                        "summary": summary, "submit": true,
                        "victims": [{ "personnel_type": "police", "outcome": "injured" }] }),
            )
            .await;
        assert_eq!(made.status.as_u16(), 201, "{}", made.body);
        ids.push(made.body["id"].as_str().unwrap().to_string());
    }
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [ids[0]], "jurisdiction": "CAF", "notes": "Opened" }),
        )
        .await;
    assert_eq!(case.status.as_u16(), 201, "{}", case.body);
    let case_id = case.body["id"].as_str().unwrap().to_string();
    let folder = tempfile::tempdir().unwrap();
    let verify = || {
        run(
            registry(folder.path(), &t.db.url).args(["audit", "verify"]),
            None,
        )
    };

    let intact = verify();
    assert!(intact.status.success(), "{}", text(&intact.stdout));
    assert!(
        text(&intact.stdout).contains("records intact: 9 incidents, cases and accounts"),
        "{}",
        text(&intact.stdout)
    );

    let (first, second, third, fourth) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    for change in [
        format!("UPDATE incidents SET summary = 'Rewritten' WHERE id = '{first}'"),
        format!("UPDATE incident_victims SET outcome = 'killed' WHERE incident_id = '{second}'"),
        format!(
            "UPDATE incident_versions SET snapshot = replace(snapshot, 'Third', 'Forged') WHERE incident_id = '{third}' AND version = 1"
        ),
        format!("UPDATE cases SET notes = 'Rewritten' WHERE id = '{case_id}'"),
        format!("UPDATE users SET clearance = 'strictly_confidential' WHERE id = '{field}'"),
        // The two-person rule reads who wrote each version.
        format!(
            "UPDATE incident_versions SET changed_by = '{field}' WHERE incident_id = '{fourth}' AND version = 1"
        ),
        format!("DELETE FROM user_missions WHERE user_id = '{spare}'"),
        format!("DELETE FROM users WHERE id = '{spare}'"),
    ] {
        t.execute_sql(&change).unwrap();
    }
    // A baseline asked for a record already proved writes nothing: it cannot bless a change.
    t.execute_sql(&format!(
        "INSERT INTO audit_baseline_pending (entity_type, entity_id) VALUES ('incident', '{first}')"
    ))
    .unwrap();
    let baseline = run(
        registry(folder.path(), &t.db.url).args(["audit", "baseline"]),
        None,
    );
    assert!(baseline.status.success(), "{}", text(&baseline.stderr));
    assert!(
        text(&baseline.stdout).contains("0 records covered"),
        "{}",
        text(&baseline.stdout)
    );
    let changed = verify();
    let said = text(&changed.stdout);
    assert_eq!(changed.status.code(), Some(1), "{said}");
    assert!(
        said.contains("records CHANGED past the audit trail (7 found"),
        "{said}"
    );
    for named in [
        format!("incident {first} version 2: its rows differ"),
        format!("incident {second} version 2: its rows differ"),
        format!("incident {third} version 1: the stored version differs"),
        format!("case {case_id} version 1: its rows differ"),
        format!("user {field} version 1: its rows differ"),
        format!("incident {fourth} version 1: the stored version's author or action differs"),
        format!("user {spare} version 1: the record is gone"),
    ] {
        assert!(said.contains(&named), "{named} in {said}");
    }
    // The chain itself was not touched.
    assert!(said.contains("audit trail intact"), "{said}");
}
