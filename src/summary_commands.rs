//! `summary ...`: the command line's check of the summaries' figures the database keeps
//! against a recount of the records, and their rebuild. Part of the binary, not of the library.

use std::process::ExitCode;

use peacekeeper_registry::config::Settings;
use peacekeeper_registry::db::write_transaction;
use peacekeeper_registry::store::summary::in_one_snapshot;
use peacekeeper_registry::store::summary_figures;

use crate::connect_and_migrate;

/// Exit 0 when the figures kept equal a recount of the records, 1 naming the first difference.
pub fn check(settings: &Settings) -> ExitCode {
    let started = std::time::Instant::now();
    let difference = connect_and_migrate(settings).and_then(|mut conn| {
        in_one_snapshot(&mut conn, summary_figures::first_difference).map_err(|e| e.to_string())
    });
    match difference {
        Ok(None) => {
            println!(
                "summary figures intact: they equal a recount of the records ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Ok(Some(difference)) => {
            println!("summary figures FAILED: {difference}");
            println!("`summary rebuild` counts them again from the records");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Counts the figures the database keeps again from the records, in one transaction.
pub fn rebuild(settings: &Settings) -> Result<(), String> {
    let started = std::time::Instant::now();
    let mut conn = connect_and_migrate(settings)?;
    write_transaction(&mut conn, summary_figures::rebuild).map_err(|e| e.to_string())?;
    println!(
        "summary figures rebuilt from the records in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
