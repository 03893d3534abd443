//! Signed checkpoints of the audit chain, run as an operator would: the real binary makes the
//! key, signs the chain head and checks the chain against the checkpoints, on both databases.

use crate::common;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::Value;

use common::server::{Server, registry};
use common::{Backend, TestApp, TestDb};
use peacekeeper_registry::checkpoints::Checkpointer;
use peacekeeper_registry::config::Settings;
use peacekeeper_registry::db::DbConnection;
use peacekeeper_registry::db::schema::{audit_chain, audit_log};
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::domain::audit::{AuditContent, GENESIS_HASH, chain_hash, record_hash};
use peacekeeper_registry::store::audit::{self, AuditRecord};

on_both_backends!(
    keygen_writes_a_key_for_its_owner_alone_and_a_key_open_to_others_is_refused,
    a_checkpoint_verifies_with_the_public_key_over_the_documented_bytes,
    a_rewritten_trail_passes_plain_verify_and_fails_the_checkpoints,
    a_trail_cut_short_fails_the_checkpoints,
    a_changed_byte_or_another_key_fails_the_checkpoints,
    after_a_restore_a_new_series_verifies,
    the_server_signs_only_when_the_head_moved,
    a_running_server_signs_the_head_within_the_interval,
);

fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A key pair made by `audit keygen`, and a checkpoint folder, in a folder of their own.
struct Signing {
    home: tempfile::TempDir,
    key: PathBuf,
    public: PathBuf,
    checkpoints: PathBuf,
}

impl Signing {
    fn new(url: &str) -> Signing {
        let home = tempfile::tempdir().unwrap();
        let key = home.path().join("registry-signing.pem");
        let made = run(registry(home.path(), url)
            .args(["audit", "keygen", "--out"])
            .arg(&key));
        assert!(made.status.success(), "{}", text(&made.stderr));
        Signing {
            public: home.path().join("registry-signing.pem.pub"),
            checkpoints: home.path().join("checkpoints"),
            key,
            home,
        }
    }

    /// The command with the checkpoint settings.
    fn registry(&self, url: &str) -> Command {
        let mut command = registry(self.home.path(), url);
        command
            .env("PKR_AUDIT_SIGNING_KEY", &self.key)
            .env("PKR_AUDIT_CHECKPOINT_FOLDER", &self.checkpoints);
        command
    }

    /// `audit checkpoint` with these arguments; the line it wrote.
    fn checkpoint(&self, url: &str, extra: &[&str]) -> Value {
        let before = self.lines().len();
        let taken = run(self.registry(url).args(["audit", "checkpoint"]).args(extra));
        assert!(taken.status.success(), "{}", text(&taken.stderr));
        let lines = self.lines();
        assert_eq!(lines.len(), before + 1, "one line a checkpoint");
        serde_json::from_str(lines.last().unwrap()).unwrap()
    }

    fn lines(&self) -> Vec<String> {
        let file = self.checkpoints.join("checkpoints.jsonl");
        std::fs::read_to_string(file)
            .map(|text| text.lines().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// `audit verify --checkpoints` over `folder` with `public`.
    fn verify_with(&self, url: &str, folder: &Path, public: &Path) -> (Option<i32>, String) {
        let output = run(registry(self.home.path(), url)
            .args(["audit", "verify", "--checkpoints"])
            .arg(folder)
            .arg("--public-key")
            .arg(public));
        let said = format!("{}{}", text(&output.stdout), text(&output.stderr));
        (output.status.code(), said)
    }

    fn verify(&self, url: &str) -> (Option<i32>, String) {
        self.verify_with(url, &self.checkpoints, &self.public)
    }
}

/// Plain `audit verify`: its exit code and what it said.
fn plain_verify(t: &TestApp) -> (Option<i32>, String) {
    let folder = tempfile::tempdir().unwrap();
    let output = run(registry(folder.path(), &t.db.url)
        .env("PKR_DOCUMENT_FOLDER", t.documents.path())
        .args(["audit", "verify"]));
    (output.status.code(), text(&output.stdout))
}

fn write_records(t: &TestApp, names: &[&str]) {
    for name in names {
        t.create_user(name, Role::Auditor, Clearance::Unclassified, &[]);
    }
}

/// Turns off what keeps the audit tables append-only, as someone with full access to the
/// database can.
fn triggers_off(t: &TestApp) {
    match t.db.backend {
        Backend::Sqlite => {
            for trigger in [
                "audit_log_no_update",
                "audit_log_no_delete",
                "audit_chain_no_update",
                "audit_chain_no_delete",
            ] {
                t.execute_sql(&format!("DROP TRIGGER IF EXISTS {trigger}"))
                    .unwrap();
            }
        }
        Backend::Postgres => {
            for table in ["audit_log", "audit_chain"] {
                t.execute_sql(&format!("ALTER TABLE {table} DISABLE TRIGGER ALL"))
                    .unwrap();
            }
        }
    }
}

/// Covers the tracks: on PostgreSQL the triggers come back (on SQLite the queue's trigger was
/// never dropped).
fn triggers_on(t: &TestApp) {
    if t.db.backend == Backend::Postgres {
        for table in ["audit_log", "audit_chain"] {
            t.execute_sql(&format!("ALTER TABLE {table} ENABLE TRIGGER ALL"))
                .unwrap();
        }
    }
}

/// Changes records, then recomputes every record hash and chain hash with the registry's own
/// functions, so that the chain is consistent again.
fn rewrite(t: &TestApp, change: impl Fn(&mut AuditRecord)) {
    let mut pooled = t.conn();
    let conn: &mut DbConnection = &mut pooled;
    let records: Vec<AuditRecord> = audit_log::table
        .select(AuditRecord::as_select())
        .order(audit_log::id.asc())
        .load(conn)
        .unwrap();
    let mut hashes = HashMap::new();
    for mut record in records {
        change(&mut record);
        let hash = record_hash(&AuditContent {
            occurred_at: record.occurred_at,
            actor_id: record.actor_id.as_deref(),
            actor_username: record.actor_username.as_deref(),
            action: &record.action,
            entity_type: &record.entity_type,
            entity_id: record.entity_id.as_deref(),
            request_id: record.request_id.as_deref(),
            client_addr: record.client_addr.as_deref(),
            details: &record.details,
        });
        diesel::update(audit_log::table.find(record.id))
            .set((
                audit_log::actor_username.eq(&record.actor_username),
                audit_log::details.eq(&record.details),
                audit_log::record_hash.eq(&hash),
            ))
            .execute(conn)
            .unwrap();
        hashes.insert(record.id, hash);
    }
    let links: Vec<(i64, i64)> = audit_chain::table
        .select((audit_chain::seq, audit_chain::audit_id))
        .order(audit_chain::seq.asc())
        .load(conn)
        .unwrap();
    let mut previous = GENESIS_HASH.to_string();
    for (seq, audit_id) in links {
        previous = chain_hash(&previous, audit_id, &hashes[&audit_id]);
        diesel::update(audit_chain::table.find(seq))
            .set(audit_chain::chain_hash.eq(&previous))
            .execute(conn)
            .unwrap();
    }
}

/// Removes the last `count` links of the chain and their records.
fn cut_last(t: &TestApp, count: i64) {
    let mut pooled = t.conn();
    let conn: &mut DbConnection = &mut pooled;
    let last: Vec<(i64, i64)> = audit_chain::table
        .select((audit_chain::seq, audit_chain::audit_id))
        .order(audit_chain::seq.desc())
        .limit(count)
        .load(conn)
        .unwrap();
    let seqs: Vec<i64> = last.iter().map(|(seq, _)| *seq).collect();
    let ids: Vec<i64> = last.iter().map(|(_, id)| *id).collect();
    diesel::delete(audit_chain::table.filter(audit_chain::seq.eq_any(&seqs)))
        .execute(conn)
        .unwrap();
    diesel::delete(audit_log::table.filter(audit_log::id.eq_any(&ids)))
        .execute(conn)
        .unwrap();
}

fn seal(t: &TestApp) {
    audit::seal_pending(&mut t.conn()).unwrap();
}

async fn keygen_writes_a_key_for_its_owner_alone_and_a_key_open_to_others_is_refused(
    backend: Backend,
) {
    let db = TestDb::new(backend);
    let signing = Signing::new(&db.url);
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&signing.key), 0o600);
    let private = std::fs::read_to_string(&signing.key).unwrap();
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{private}"
    );
    let public = std::fs::read_to_string(&signing.public).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{public}");
    // Standard PEM: OpenSSL, where installed, derives the same public key.
    if let Ok(derived) = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&signing.key)
        .output()
    {
        assert_eq!(text(&derived.stdout), public, "{}", text(&derived.stderr));
    }

    let again = run(registry(signing.home.path(), &db.url)
        .args(["audit", "keygen", "--out"])
        .arg(&signing.key));
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("exists already"));
    assert_eq!(std::fs::read_to_string(&signing.key).unwrap(), private);

    std::fs::set_permissions(&signing.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = run(signing.registry(&db.url).args(["audit", "checkpoint"]));
    assert_eq!(refused.status.code(), Some(1));
    let said = text(&refused.stderr);
    assert!(said.contains("can be read by group or others"), "{said}");
    assert!(said.contains("chmod 600"), "{said}");
    let server = Server::try_start_with(
        signing.home.path(),
        &db.url,
        &[
            ("PKR_AUDIT_SIGNING_KEY", signing.key.to_str().unwrap()),
            (
                "PKR_AUDIT_CHECKPOINT_FOLDER",
                signing.checkpoints.to_str().unwrap(),
            ),
        ],
    );
    let logs = server.err().expect("the server refuses to start");
    assert!(logs.contains("can be read by group or others"), "{logs}");
    assert!(signing.lines().is_empty());

    // Half the settings is a mistake, named before anything runs.
    let half = run(registry(signing.home.path(), &db.url)
        .env("PKR_AUDIT_SIGNING_KEY", &signing.key)
        .arg("migrate"));
    assert_eq!(half.status.code(), Some(1));
    assert!(
        text(&half.stderr).contains("audit_checkpoint_folder"),
        "{}",
        text(&half.stderr)
    );
}

async fn a_checkpoint_verifies_with_the_public_key_over_the_documented_bytes(backend: Backend) {
    let t = TestApp::new(backend);
    write_records(&t, &["one", "two"]);
    let signing = Signing::new(&t.db.url);
    let line = signing.checkpoint(&t.db.url, &[]);
    let written = signing.lines().pop().unwrap();
    assert_eq!(
        keys_in_order(&written),
        ["series", "seq", "head_hash", "signed_at", "signature"],
        "keys in the documented order"
    );
    assert_eq!(line["seq"], t.count("audit_chain"));
    assert!(line["signed_at"].as_str().unwrap().ends_with('Z'));

    // The signed bytes: the line without its signature, keys in order, no spaces.
    let signed = format!(
        r#"{{"series":"{}","seq":{},"head_hash":"{}","signed_at":"{}"}}"#,
        line["series"].as_str().unwrap(),
        line["seq"],
        line["head_hash"].as_str().unwrap(),
        line["signed_at"].as_str().unwrap(),
    );
    assert!(written.starts_with(&signed[..signed.len() - 1]));
    verify_signature(&signing, signed.as_bytes(), &line);
    run_documented_openssl_check(&signing);

    // A record written since is still pending: the check reads the database only, and leaves
    // it pending.
    write_records(&t, &["three"]);
    let pending = t.count("audit_pending");
    assert!(pending > 0);
    let (code, said) = signing.verify(&t.db.url);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("checkpoints intact: 1 of 1 lines"), "{said}");
    assert_eq!(t.count("audit_pending"), pending, "nothing was sealed");
    if backend == Backend::Postgres {
        let reader = ReadOnlyRole::new(&t.db);
        let (code, said) = signing.verify(&reader.url);
        assert_eq!(code, Some(0), "a read-only role is enough: {said}");
    }
}

/// The keys of a written line, in the order written.
fn keys_in_order(line: &str) -> Vec<&'static str> {
    let mut found: Vec<(usize, &'static str)> = [
        "series",
        "seq",
        "head_hash",
        "signed_at",
        "follows_series",
        "follows_seq",
        "kept_seq",
        "reason",
        "signature",
    ]
    .into_iter()
    .filter_map(|key| line.find(&format!("\"{key}\":")).map(|at| (at, key)))
    .collect();
    found.sort();
    found.into_iter().map(|(_, key)| key).collect()
}

fn verify_signature(signing: &Signing, signed: &[u8], line: &Value) {
    use base64::Engine;
    use ed25519_dalek::pkcs8::DecodePublicKey;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let public = std::fs::read_to_string(&signing.public).unwrap();
    let key = VerifyingKey::from_public_key_pem(&public).unwrap();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(line["signature"].as_str().unwrap())
        .unwrap();
    let signature = Signature::from_slice(&signature).unwrap();
    key.verify(signed, &signature)
        .expect("the signature covers the documented bytes");
}

/// Runs the check of docs/operations.md as written, when openssl is on the machine.
fn run_documented_openssl_check(signing: &Signing) {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("openssl is not installed: the documented command was not run");
        return;
    }
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"))
        .unwrap();
    let script = docs
        .split("```sh\n")
        .filter_map(|block| block.split_once("```").map(|(code, _)| code))
        .find(|code| code.contains("openssl pkeyutl -verify"))
        .expect("docs/operations.md shows the openssl check");
    let folder = tempfile::tempdir().unwrap();
    std::fs::copy(
        signing.checkpoints.join("checkpoints.jsonl"),
        folder.path().join("checkpoints.jsonl"),
    )
    .unwrap();
    std::fs::copy(
        &signing.public,
        folder.path().join("registry-signing.pem.pub"),
    )
    .unwrap();
    let checked = run(Command::new("sh")
        .args(["-euc", script])
        .current_dir(folder.path()));
    assert!(
        checked.status.success(),
        "{}{}",
        text(&checked.stdout),
        text(&checked.stderr)
    );
    assert!(text(&checked.stdout).contains("Signature Verified Successfully"));
}

async fn a_rewritten_trail_passes_plain_verify_and_fails_the_checkpoints(backend: Backend) {
    let t = TestApp::new(backend);
    let signing = Signing::new(&t.db.url);
    write_records(&t, &["one", "two"]);
    let first = signing.checkpoint(&t.db.url, &[]);
    write_records(&t, &["three", "four"]);
    let second = signing.checkpoint(&t.db.url, &[]);
    assert_eq!(signing.verify(&t.db.url).0, Some(0));

    // An account is raised to strictly confidential in the database, and the audit record that
    // proves it rewritten to prove the raised account: its snapshot hash recomputed with the
    // registry's own functions, then every record and chain hash after it.
    t.execute_sql("UPDATE users SET clearance = 'strictly_confidential' WHERE username = 'three'")
        .unwrap();
    let raised = {
        use peacekeeper_registry::domain::snapshot::{account, canonical, digest};
        digest(&canonical(&account(
            "auditor",
            "strictly_confidential",
            &[],
            false,
            false,
            None,
        )))
    };
    triggers_off(&t);
    rewrite(&t, |record| {
        if record.details.contains("\"three\"") {
            let mut details: serde_json::Value = serde_json::from_str(&record.details).unwrap();
            details["clearance"] = serde_json::json!("strictly_confidential");
            details["snapshot_sha256"] = serde_json::json!(raised);
            record.details = details.to_string();
        }
    });
    triggers_on(&t);

    // The documented limit: the rewritten chain is consistent, the account matches what its
    // rewritten record proves, and plain verify passes.
    let (code, said) = plain_verify(&t);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("audit trail intact"), "{said}");
    assert!(said.contains("records intact"), "{said}");

    let (code, said) = signing.verify(&t.db.url);
    assert_eq!(code, Some(1), "{said}");
    let named = format!(
        "checkpoints FAILED at series {} seq {}",
        second["series"].as_str().unwrap(),
        second["seq"]
    );
    assert!(said.contains(&named), "{said}");
    assert!(said.contains("rewritten"), "{said}");
    assert!(first["seq"].as_i64() < second["seq"].as_i64());
}

async fn a_trail_cut_short_fails_the_checkpoints(backend: Backend) {
    let t = TestApp::new(backend);
    let signing = Signing::new(&t.db.url);
    write_records(&t, &["one", "two", "three"]);
    let line = signing.checkpoint(&t.db.url, &[]);

    triggers_off(&t);
    cut_last(&t, 2);
    triggers_on(&t);

    // What is left of the chain is whole. Plain verify still notices the accounts whose
    // records were cut, but not that the trail itself ends early: the checkpoints do.
    let (code, said) = plain_verify(&t);
    assert!(
        said.contains("audit trail intact"),
        "a shorter chain is whole: {said}"
    );
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("no audit record proves its content"),
        "{said}"
    );
    let (code, said) = signing.verify(&t.db.url);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains(&format!("seq {}", line["seq"])),
        "names the checkpoint: {said}"
    );
    assert!(said.contains("cut short"), "{said}");
}

async fn a_changed_byte_or_another_key_fails_the_checkpoints(backend: Backend) {
    let t = TestApp::new(backend);
    write_records(&t, &["one"]);
    let signing = Signing::new(&t.db.url);
    signing.checkpoint(&t.db.url, &[]);
    assert_eq!(signing.verify(&t.db.url).0, Some(0));

    // One bit of the head hash flipped, in a copy.
    let copy = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(signing.checkpoints.join("checkpoints.jsonl")).unwrap();
    let at = text(&bytes).find("\"head_hash\":\"").unwrap() + 20;
    bytes[at] ^= 0x01;
    std::fs::write(copy.path().join("checkpoints.jsonl"), &bytes).unwrap();
    let (code, said) = signing.verify_with(&t.db.url, copy.path(), &signing.public);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("checkpoints.jsonl line 1"), "{said}");
    assert!(said.contains("signature"), "{said}");

    // A line signed by another key, in the folder of this one.
    let other = Signing::new(&t.db.url);
    other.checkpoint(&t.db.url, &[]);
    let refused = run(other
        .registry(&t.db.url)
        .args(["audit", "checkpoint"])
        .env("PKR_AUDIT_CHECKPOINT_FOLDER", &signing.checkpoints));
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a key signs into its own folder"
    );
    assert!(text(&refused.stderr).contains("not a checkpoint signed by this key"));
    let foreign = other.lines().pop().unwrap();
    let mut file = std::fs::read_to_string(signing.checkpoints.join("checkpoints.jsonl")).unwrap();
    file.push_str(&format!("{foreign}\n"));
    std::fs::write(signing.checkpoints.join("checkpoints.jsonl"), file).unwrap();
    let (code, said) = signing.verify(&t.db.url);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("checkpoints.jsonl line 2"), "{said}");
    assert!(said.contains("signature"), "{said}");
    // And the right lines with the wrong public key.
    let (code, said) = signing.verify_with(&t.db.url, &other.checkpoints, &signing.public);
    assert_eq!(code, Some(1), "{said}");
}

async fn after_a_restore_a_new_series_verifies(backend: Backend) {
    let t = TestApp::new(backend);
    let signing = Signing::new(&t.db.url);
    write_records(&t, &["one", "two"]);
    let kept = signing.checkpoint(&t.db.url, &[]);
    // The backup was taken here.
    write_records(&t, &["three", "four"]);
    let lost = signing.checkpoint(&t.db.url, &[]);
    let since_backup = lost["seq"].as_i64().unwrap() - kept["seq"].as_i64().unwrap();

    // The restore: the chain as it was at the backup, then the registry writes on.
    triggers_off(&t);
    cut_last(&t, since_backup);
    triggers_on(&t);
    write_records(&t, &["five"]);

    let (code, said) = signing.verify(&t.db.url);
    assert_eq!(
        code,
        Some(1),
        "the old series alone no longer holds: {said}"
    );
    let refused = run(signing.registry(&t.db.url).args(["audit", "checkpoint"]));
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("--new-series"),
        "{}",
        text(&refused.stderr)
    );

    let first = signing.checkpoint(
        &t.db.url,
        &["--new-series", "--reason", "restored from backup"],
    );
    assert_ne!(first["series"], kept["series"]);
    assert_eq!(first["follows_series"], kept["series"]);
    assert_eq!(first["follows_seq"], lost["seq"]);
    assert_eq!(first["kept_seq"], kept["seq"]);
    assert_eq!(first["reason"], "restored from backup");
    assert_eq!(
        keys_in_order(&signing.lines().pop().unwrap()),
        [
            "series",
            "seq",
            "head_hash",
            "signed_at",
            "follows_series",
            "follows_seq",
            "kept_seq",
            "reason",
            "signature"
        ]
    );
    write_records(&t, &["six"]);
    let next = signing.checkpoint(&t.db.url, &[]);
    assert_eq!(next["series"], first["series"]);

    let (code, said) = signing.verify(&t.db.url);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("checkpoints intact: 3 of 4 lines in 2 series hold; 1 superseded"),
        "{said}"
    );
    assert!(said.contains("restored from backup"), "{said}");

    // What the restore kept is still checked.
    triggers_off(&t);
    rewrite(&t, |record| {
        if record.details.contains("\"one\"") {
            record.actor_username = Some("someone else".to_string());
        }
    });
    let (code, said) = signing.verify(&t.db.url);
    assert_eq!(code, Some(1), "{said}");
    let named = format!(
        "series {} seq {}",
        kept["series"].as_str().unwrap(),
        kept["seq"]
    );
    assert!(said.contains(&named), "{said}");
}

async fn the_server_signs_only_when_the_head_moved(backend: Backend) {
    let t = TestApp::new(backend);
    let signing = Signing::new(&t.db.url);
    let settings = Settings {
        audit_signing_key: signing.key.display().to_string(),
        audit_checkpoint_folder: signing.checkpoints.display().to_string(),
        ..t.settings()
    };
    let checkpointer = Checkpointer::from_settings(&settings).unwrap().unwrap();
    let mut conn = t.conn();
    assert!(
        checkpointer
            .sign_if_moved(&mut conn, t.now())
            .unwrap()
            .is_none(),
        "an empty chain is not signed"
    );
    write_records(&t, &["one"]);
    seal(&t);
    let first = checkpointer.sign_if_moved(&mut conn, t.now()).unwrap();
    let first = first.expect("the head moved");
    assert_eq!(first.seq, t.count("audit_chain"));
    t.clock.advance(chrono::TimeDelta::seconds(60));
    assert!(
        checkpointer
            .sign_if_moved(&mut conn, t.now())
            .unwrap()
            .is_none()
    );
    write_records(&t, &["two"]);
    assert!(
        checkpointer
            .sign_if_moved(&mut conn, t.now())
            .unwrap()
            .is_none(),
        "written but not yet sealed: the head is where it was"
    );
    seal(&t);
    t.clock.advance(chrono::TimeDelta::seconds(60));
    let second = checkpointer.sign_if_moved(&mut conn, t.now()).unwrap();
    let second = second.expect("the head moved");
    assert_eq!(second.series, first.series);
    assert!(second.seq > first.seq);
    assert!(second.signed_at > first.signed_at);
    assert_eq!(signing.lines().len(), 2);
}

async fn a_running_server_signs_the_head_within_the_interval(backend: Backend) {
    let db = TestDb::new(backend);
    let signing = Signing::new(&db.url);
    let server = Server::start_with(
        signing.home.path(),
        &db.url,
        &[
            ("PKR_AUDIT_SIGNING_KEY", signing.key.to_str().unwrap()),
            (
                "PKR_AUDIT_CHECKPOINT_FOLDER",
                signing.checkpoints.to_str().unwrap(),
            ),
            ("PKR_AUDIT_CHECKPOINT_INTERVAL_SECONDS", "1"),
        ],
    );
    // The first start wrote a record: creating the administrator.
    let first = wait_for_lines(&signing, 1);
    let password = server
        .printed
        .iter()
        .find_map(|line| line.trim().strip_prefix("password: "))
        .unwrap()
        .to_string();
    let login = serde_json::json!({ "username": "admin", "password": password });
    let (status, _) = server.request("POST", "/api/v1/auth/login", Some(&login.to_string()));
    assert_eq!(status, 200);
    let lines = wait_for_lines(&signing, first.len() + 1);
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let before: Value = serde_json::from_str(&first[0]).unwrap();
    assert!(last["seq"].as_i64() > before["seq"].as_i64());
    assert_eq!(last["series"], before["series"]);

    let logs = server.stop();
    assert!(logs.contains("audit checkpoint signed"), "{logs}");
    let (code, said) = signing.verify(&db.url);
    assert_eq!(code, Some(0), "{said}");
}

/// The checkpoint lines once there are at least `count`; a few seconds at most.
fn wait_for_lines(signing: &Signing, count: usize) -> Vec<String> {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let lines = signing.lines();
        if lines.len() >= count {
            return lines;
        }
        assert!(Instant::now() < until, "no checkpoint {count} was written");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A PostgreSQL role that may read the test database and nothing more; dropped afterwards.
struct ReadOnlyRole {
    url: String,
    name: String,
    admin_url: String,
}

impl ReadOnlyRole {
    fn new(db: &TestDb) -> ReadOnlyRole {
        let name = format!("pkr_reader_{}", uuid::Uuid::now_v7().simple());
        let admin_url = common::postgres_url().unwrap();
        let mut admin = PgConnection::establish(&admin_url).unwrap();
        diesel::sql_query(format!("CREATE ROLE {name} LOGIN"))
            .execute(&mut admin)
            .unwrap();
        let mut owner = PgConnection::establish(&db.url).unwrap();
        diesel::sql_query(format!(
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}"
        ))
        .execute(&mut owner)
        .unwrap();
        let mut url = url::Url::parse(&db.url).unwrap();
        url.set_username(&name).unwrap();
        ReadOnlyRole {
            url: url.to_string(),
            name,
            admin_url,
        }
    }
}

impl Drop for ReadOnlyRole {
    fn drop(&mut self) {
        let url = url::Url::parse(&self.url).unwrap();
        let mut db_url = url::Url::parse(&self.admin_url).unwrap();
        db_url.set_path(url.path());
        if let Ok(mut owner) = PgConnection::establish(db_url.as_str()) {
            let _ = diesel::sql_query(format!("DROP OWNED BY {}", self.name)).execute(&mut owner);
        }
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ =
                diesel::sql_query(format!("DROP ROLE IF EXISTS {}", self.name)).execute(&mut admin);
        }
    }
}
