//! `audit ...`: the command line's checks of the audit trail, its baseline and its signed
//! checkpoints. Part of the binary, not of the library.

use std::path::Path;
use std::process::ExitCode;

use peacekeeper_registry::checkpoints::{self, Checkpointer};
use peacekeeper_registry::clock::{Clock, SystemClock};
use peacekeeper_registry::config::Settings;
use peacekeeper_registry::db;
use peacekeeper_registry::services::audit as audit_service;
use peacekeeper_registry::store::audit;
use peacekeeper_registry::store::files::FileStore;

use crate::{connect_and_migrate, connect_migrated, describe};

pub fn baseline(settings: &Settings) -> Result<(), String> {
    let mut conn = connect_migrated(settings)?;
    let started = std::time::Instant::now();
    audit::queue_everything_for_baseline(&mut conn).map_err(|e| e.to_string())?;
    let covered = audit_service::write_baseline(&mut conn, SystemClock.now()).map_err(describe)?;
    audit::seal_pending(&mut conn).map_err(|e| e.to_string())?;
    audit::refresh_statistics(&mut conn).map_err(|e| e.to_string())?;
    println!(
        "audit baseline: {covered} records covered in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn verify_audit(settings: &Settings) -> ExitCode {
    let files = FileStore::new(&settings.document_folder);
    let reports = connect_and_migrate(settings)
        .and_then(|mut conn| audit_service::verify_trail(&mut conn, &files).map_err(describe));
    let audit_service::TrailCheck {
        chain,
        documents,
        records,
    } = match reports {
        Ok(reports) => reports,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    print_chain(&chain);
    if documents.intact {
        println!(
            "documents intact: {} files match their recorded SHA-256",
            documents.checked
        );
    } else {
        println!(
            "documents FAILED: {} of {} do not match their recorded SHA-256",
            documents.failed.len(),
            documents.checked
        );
        for failed in &documents.failed {
            println!(
                "  document {} of case {}: {}",
                failed.document_id, failed.case_id, failed.problem
            );
        }
    }
    if records.intact {
        println!(
            "records intact: {} incidents, cases and accounts match their latest audited snapshot; {} stored versions match their audit records",
            records.records_checked, records.snapshots_checked
        );
    } else {
        println!(
            "records CHANGED past the audit trail ({} found, the first {} named):",
            records.problems_found,
            records.problems.len()
        );
        for problem in &records.problems {
            let version = problem
                .version
                .map(|v| format!(" version {v}"))
                .unwrap_or_default();
            println!(
                "  {} {}{}: {}",
                problem.entity_type, problem.entity_id, version, problem.problem
            );
        }
    }
    if chain.first_broken.is_none() && documents.intact && records.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_chain(chain: &audit::VerifyReport) {
    match &chain.first_broken {
        None => println!(
            "audit trail intact: {} records checked; head hash {}",
            chain.records_checked, chain.head_hash
        ),
        Some(broken) => println!(
            "audit trail BROKEN at record {}: {} ({} records checked before it)",
            broken.sequence, broken.reason, chain.records_checked
        ),
    }
}

/// `audit verify --checkpoints`: reads the database only, and says which checkpoint, if any,
/// the chain no longer gives.
pub fn verify_checkpoints(settings: &Settings, folder: &Path, public_key: &Path) -> ExitCode {
    let report = db::read_only::connect_read_only(&settings.database_url)
        .map_err(|e| e.to_string())
        .and_then(|mut conn| checkpoints::verify::verify_folder(&mut conn, folder, public_key));
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    print_chain(&report.chain);
    match &report.outcome {
        Ok(summary) => {
            println!(
                "checkpoints intact: {} of {} lines in {} series hold; {} superseded by a restore",
                summary.held, report.lines, summary.series, summary.superseded
            );
            for handover in &summary.handovers {
                println!(
                    "  series {} follows series {}, checked up to seq {}: {}",
                    handover.to_series, handover.from_series, handover.kept_seq, handover.reason
                );
            }
        }
        Err(failure) => {
            let which = match (&failure.series, failure.seq) {
                (Some(series), Some(seq)) => format!("series {series} seq {seq}"),
                _ => "a line".to_string(),
            };
            println!(
                "checkpoints FAILED at {which} ({} line {}): {}",
                failure.place.file, failure.place.line, failure.reason
            );
        }
    }
    if report.intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

pub fn keygen(out: &Path) -> Result<(), String> {
    let public = checkpoints::keys::generate(out).map_err(|e| e.to_string())?;
    println!(
        "wrote the private key to {} (mode 0600) and the public key to {}",
        out.display(),
        public.display()
    );
    println!("Keep the private key off the database host; give the public key to whoever checks.");
    Ok(())
}

/// The longest `--reason` taken: a line stays short.
const REASON_MAX_CHARS: usize = 1000;

pub fn checkpoint(settings: &Settings, reason: Option<String>) -> Result<(), String> {
    if let Some(reason) = &reason
        && (reason.trim().is_empty() || reason.chars().count() > REASON_MAX_CHARS)
    {
        return Err(format!(
            "--reason must say why a new series begins, in at most {REASON_MAX_CHARS} characters"
        ));
    }
    let Some(checkpointer) = Checkpointer::from_settings(settings).map_err(|e| e.to_string())?
    else {
        return Err(
            "checkpoints are off: set `audit_signing_key` and `audit_checkpoint_folder`"
                .to_string(),
        );
    };
    let mut conn = connect_migrated(settings)?;
    audit::seal_pending(&mut conn).map_err(|e| e.to_string())?;
    let now = SystemClock.now();
    let written = match &reason {
        Some(reason) => checkpointer.start_series(&mut conn, now, reason.trim()),
        None => checkpointer.sign_now(&mut conn, now),
    }
    .map_err(|e| e.to_string())?;
    println!(
        "checkpoint signed: series {} seq {} head hash {}",
        written.series, written.seq, written.head_hash
    );
    Ok(())
}
