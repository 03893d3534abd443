//! Writes the plan of the official fatalities dataset into the registry, in one transaction:
//! every incident whole, or nothing. Casualty ids already recorded are not recorded again, so a
//! second import of the same file creates nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::auth::{Actor, password};
use crate::db::{DbConnection, write_transaction};
use crate::domain::access::{Clearance, Role};
use crate::domain::incident::{self, IncidentInput, SourceInput, VictimInput};
use crate::domain::verification::writes_content;
use crate::error::{AppError, AppResult};
use crate::import::un_fatalities::{self, DuplicateRow, Plan, RejectedRow};
use crate::store::audit::{self, AuditContext};
use crate::store::incidents as incident_store;
use crate::store::missions::{self, MissionRow};
use crate::store::users::{self, UserRow};

/// The account that stands for the dataset as reporter and verifier of what it brings. It
/// cannot sign in.
pub const DATASET_ACCOUNT: &str = "un-fatalities-dataset";

/// What an import did with every row.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows_read: u64,
    pub malicious_act_rows: u64,
    pub incidents_created: u64,
    /// Incidents of days imported before that received deaths added to the file since.
    pub incidents_amended: u64,
    pub victims_created: u64,
    pub skipped_by_type: BTreeMap<String, u64>,
    pub duplicates: Vec<DuplicateRow>,
    /// Victims whose casualty id the registry already holds (not recorded again).
    pub already_present: u64,
    /// Deaths of a mission's day that an incident the mission recorded or amended already
    /// covers (it holds one of the day's casualty ids): not imported, a security officer adds
    /// them.
    pub held_for_the_mission: u64,
    pub rejected: Vec<RejectedRow>,
    pub missions_created: Vec<String>,
    pub nationality_unknown: u64,
    pub gender_unknown: u64,
    pub personnel_type_trimmed: u64,
    pub last_update: Option<String>,
}

/// Ends a dry run's transaction after it has counted everything.
enum Outcome {
    Failed(AppError),
    DryRun(Box<ImportReport>),
}

impl From<AppError> for Outcome {
    fn from(error: AppError) -> Self {
        Outcome::Failed(error)
    }
}

impl From<diesel::result::Error> for Outcome {
    fn from(error: diesel::result::Error) -> Self {
        Outcome::Failed(error.into())
    }
}

/// Only administrators import (403, recorded): checked before an upload is read, and again
/// with the import.
pub fn require_importer(
    conn: &mut DbConnection,
    user: &Actor,
    now: NaiveDateTime,
) -> AppResult<()> {
    super::users::require_admin(conn, user, "imports.un_fatalities", now)
}

/// Imports a dataset an administrator uploaded (the file as published, CSV).
pub fn import_upload(
    conn: &mut DbConnection,
    user: &Actor,
    csv: &[u8],
    dry_run: bool,
    now: NaiveDateTime,
) -> AppResult<ImportReport> {
    require_importer(conn, user, now)?;
    let plan = un_fatalities::plan(csv).map_err(|e| AppError::invalid("body", e.to_string()))?;
    import(conn, &user.audit(now), plan, "upload", dry_run, now)
}

/// Imports the plan; with `dry_run` everything is done and counted, then rolled back. The
/// command line calls it directly, as the registry itself.
pub fn import(
    conn: &mut DbConnection,
    context: &AuditContext,
    plan: Plan,
    file_name: &str,
    dry_run: bool,
    now: NaiveDateTime,
) -> AppResult<ImportReport> {
    let result = write_transaction(conn, |conn| {
        let report = write(conn, context, &plan, file_name, now)?;
        if dry_run {
            return Err(Outcome::DryRun(Box::new(report)));
        }
        Ok(report)
    });
    match result {
        Ok(report) => Ok(report),
        Err(Outcome::DryRun(report)) => {
            // What was asked and what it counted is recorded, in a transaction of its own: the
            // import's own was rolled back.
            write_transaction(conn, |conn| {
                audit::append(
                    conn,
                    context,
                    "import.un_fatalities.dry_run",
                    "import",
                    None,
                    counts(file_name, &report),
                )
            })?;
            Ok(ImportReport {
                dry_run: true,
                ..*report
            })
        }
        Err(Outcome::Failed(error)) => Err(error),
    }
}

/// What an import's audit record says of it: its file and its counts, no content.
fn counts(file_name: &str, report: &ImportReport) -> serde_json::Value {
    serde_json::json!({
        "file": file_name,
        "rows_read": report.rows_read,
        "incidents_created": report.incidents_created,
        "incidents_amended": report.incidents_amended,
        "victims_created": report.victims_created,
        "already_present": report.already_present,
        "held_for_the_mission": report.held_for_the_mission,
        "rejected": report.rejected.len(),
        "missions_created": report.missions_created,
    })
}

fn write(
    conn: &mut DbConnection,
    context: &AuditContext,
    plan: &Plan,
    file_name: &str,
    now: NaiveDateTime,
) -> AppResult<ImportReport> {
    let mut report = ImportReport {
        rows_read: plan.rows_read,
        malicious_act_rows: plan.malicious_act_rows,
        skipped_by_type: plan.skipped_by_type.clone(),
        duplicates: plan.duplicates.clone(),
        rejected: plan.rejected.clone(),
        nationality_unknown: plan.nationality_unknown,
        gender_unknown: plan.gender_unknown,
        personnel_type_trimmed: plan.personnel_type_trimmed,
        last_update: plan.last_update.clone(),
        ..Default::default()
    };
    let reporter = dataset_account(conn, context, now)?;
    let known: BTreeSet<String> = missions::list(conn)?.into_iter().map(|m| m.code).collect();
    let wanted: Vec<String> = plan
        .incidents
        .iter()
        .flat_map(|i| i.victims.iter().map(|v| v.casualty_id.clone()))
        .collect();
    let mut present: BTreeSet<String> = BTreeSet::new();
    for chunk in wanted.chunks(500) {
        present.extend(incident_store::casualty_ids_in_use(conn, chunk, "")?);
    }
    let source = format!(
        "UN peacekeeping fatalities dataset ({file_name}), last update {}",
        plan.last_update.as_deref().unwrap_or("not stated")
    );

    for planned in &plan.incidents {
        let (present_here, new): (Vec<_>, Vec<_>) = planned
            .victims
            .iter()
            .partition(|v| present.contains(&v.casualty_id));
        report.already_present += present_here.len() as u64;
        if new.is_empty() {
            continue;
        }
        let victims: Vec<VictimInput> = new
            .iter()
            .map(|v| VictimInput {
                personnel_type: Some(v.personnel_type.to_string()),
                nationality: v.nationality.clone(),
                gender: Some(v.gender.to_string()),
                outcome: Some("killed".to_string()),
                casualty_id: Some(v.casualty_id.clone()),
                name: None,
                unit: None,
            })
            .collect();
        let count = victims.len();
        // A day already imported that gained deaths in a later edition of the file: its
        // incident takes them in, so the day stays one incident. The import adds only to the
        // incidents it made itself and that still count; a day whose deaths an incident of the
        // mission's own holds is left to the mission's officers, and nothing names it here.
        let mut earlier = None;
        let mut held = false;
        for victim in &present_here {
            let Some(holder) = incident_store::incident_of_casualty(conn, &victim.casualty_id)?
            else {
                continue;
            };
            // Its own, still counted, and with no content an officer wrote: an incident an
            // officer amended is the mission's now, and the import never writes over it.
            let own = holder.reported_by == reporter
                && matches!(holder.status.as_str(), "submitted" | "verified")
                && incident_store::authorship(conn, &holder.id)?
                    .iter()
                    .all(|(_, action, by)| !writes_content(action) || *by == reporter);
            if !own {
                held = true;
            } else if holder.mission_code == planned.mission
                && holder.occurred_at.date() == planned.date
            {
                earlier = Some(holder);
            }
        }
        if held {
            report.held_for_the_mission += count as u64;
            continue;
        }
        let input = IncidentInput {
            mission: Some(planned.mission.clone()),
            classification: Some(Clearance::Unclassified.code().to_string()),
            occurred_at: Some(format!("{}T00:00:00Z", planned.date)),
            time_precision: Some("day".to_string()),
            geo_precision: Some("unknown".to_string()),
            location_type: Some("other".to_string()),
            attack_type: Some("other".to_string()),
            victims,
            sources: vec![SourceInput {
                source_type: Some("official_dataset".to_string()),
                description: Some(source.clone()),
                received_at: None,
                reliability: Some("A".to_string()),
                credibility: Some(1),
            }],
            summary: Some(summary_of(count, &planned.mission, planned.date)),
            narrative: Some(narrative_of(count, &planned.mission, planned.date)),
            ..Default::default()
        };
        // What the registry's own rules refuse (a day in the future, an overlong id) is
        // rejected line by line, like an unreadable row; the rest goes on.
        let data = match incident::validate(&input, now) {
            Ok(data) => data,
            Err(errors) => {
                let why: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{} {}", e.field, e.message))
                    .collect();
                for victim in &new {
                    report.rejected.push(RejectedRow {
                        line: victim.line,
                        reason: format!(
                            "the incident of {} on {} is refused: {}",
                            planned.mission,
                            planned.date,
                            why.join("; ")
                        ),
                    });
                }
                continue;
            }
        };
        if let Some(existing) = earlier {
            // The dataset's own incidents say how many died.
            let total = existing.killed.max(0) as usize + count;
            let texts = Some((
                summary_of(total, &planned.mission, planned.date),
                narrative_of(total, &planned.mission, planned.date),
            ));
            crate::services::incidents::add_imported_victims(
                conn,
                context,
                &reporter,
                &existing.id,
                &data.victims,
                texts,
                &source,
                now,
            )?;
            report.incidents_amended += 1;
            report.victims_created += count as u64;
            continue;
        }
        if !known.contains(&planned.mission) && !report.missions_created.contains(&planned.mission)
        {
            create_mission(conn, context, &planned.mission, now)?;
            report.missions_created.push(planned.mission.clone());
        }
        crate::services::incidents::record_imported(conn, context, &reporter, &data, &source, now)?;
        report.incidents_created += 1;
        report.victims_created += count as u64;
    }
    report.rejected.sort_by_key(|r| r.line);
    audit::append(
        conn,
        context,
        "import.un_fatalities",
        "import",
        None,
        counts(file_name, &report),
    )?;
    Ok(report)
}

fn summary_of(count: usize, mission: &str, date: chrono::NaiveDate) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} peacekeeper{plural} killed in a malicious act ({mission}, {date})")
}

fn narrative_of(count: usize, mission: &str, date: chrono::NaiveDate) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!(
        "Recorded from the UN's official list of peacekeeper fatalities: {count} death{plural} \
         by malicious act on {date} in {mission}. The dataset gives no place or circumstances."
    )
}

/// The dataset's account, made on first use: disabled, so nobody can sign in as it.
fn dataset_account(
    conn: &mut DbConnection,
    context: &AuditContext,
    now: NaiveDateTime,
) -> AppResult<String> {
    if let Some(user) = users::find_by_username(conn, DATASET_ACCOUNT)? {
        return Ok(user.id);
    }
    let unusable = hex::encode(rand::random::<[u8; 32]>());
    let row = UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        username: DATASET_ACCOUNT.to_string(),
        password_hash: password::hash(&unusable).map_err(AppError::internal)?,
        role: Role::SecurityOfficer.code().to_string(),
        clearance: Clearance::Unclassified.code().to_string(),
        // It reports the dataset's deaths in every mission; nobody signs in as it.
        all_missions: true,
        disabled: true,
        must_change_password: false,
        failed_logins: 0,
        locked_until: None,
        version: 1,
        created_at: now,
        updated_at: now,
        state: None,
    };
    users::insert(conn, &row, &[])?;
    audit::append(
        conn,
        context,
        "user.create",
        "user",
        Some(&row.id),
        crate::auth::accounts::with_proof(
            serde_json::json!({
                "username": row.username,
                "role": row.role,
                "clearance": row.clearance,
                "missions": [],
                "all_missions": true,
                "disabled": true,
                "source": "un_fatalities import",
            }),
            &row,
            &[],
        ),
    )?;
    Ok(row.id)
}

/// A mission the registry did not know: recorded inactive, host country unknown.
fn create_mission(
    conn: &mut DbConnection,
    context: &AuditContext,
    code: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    missions::insert(
        conn,
        &MissionRow {
            code: code.to_string(),
            name: code.to_string(),
            host_country: None,
            active: false,
            version: 1,
            created_at: now,
            updated_at: now,
        },
    )?;
    audit::append(
        conn,
        context,
        "mission.create",
        "mission",
        Some(code),
        serde_json::json!({ "source": "un_fatalities import", "active": false }),
    )?;
    Ok(())
}

/// The report in words, one fact a line, for people at a terminal.
pub fn describe(report: &ImportReport) -> String {
    use std::fmt::Write;
    let mut text = String::new();
    let mut line = |s: String| {
        let _ = writeln!(text, "{s}");
    };
    if report.dry_run {
        line("dry run: everything below was checked, nothing was written".to_string());
    }
    line(format!("rows read: {}", report.rows_read));
    line(format!("malicious-act rows: {}", report.malicious_act_rows));
    line(format!("incidents created: {}", report.incidents_created));
    line(format!(
        "incidents given deaths added to the file since: {}",
        report.incidents_amended
    ));
    line(format!("victims created: {}", report.victims_created));
    let skipped: Vec<String> = report
        .skipped_by_type
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    line(format!("skipped by type: {}", skipped.join(", ")));
    line(format!(
        "already present (casualty id recorded before): {}",
        report.already_present
    ));
    line(format!(
        "held back, belong to an incident the mission recorded (a security officer adds them): {}",
        report.held_for_the_mission
    ));
    line(format!(
        "duplicate casualty ids in the file: {}",
        report.duplicates.len()
    ));
    for duplicate in &report.duplicates {
        line(format!(
            "  line {}: {} already on line {}",
            duplicate.line, duplicate.casualty_id, duplicate.first_line
        ));
    }
    line(format!("rejected rows: {}", report.rejected.len()));
    for rejected in &report.rejected {
        line(format!("  line {}: {}", rejected.line, rejected.reason));
    }
    line(format!(
        "missions created (inactive): {}",
        if report.missions_created.is_empty() {
            "none".to_string()
        } else {
            report.missions_created.join(", ")
        }
    ));
    line(format!(
        "recorded as unknown: nationality {} (blank or not ISO 3166), gender {} (blank)",
        report.nationality_unknown, report.gender_unknown
    ));
    line(format!(
        "personnel types read without stray spaces: {}",
        report.personnel_type_trimmed
    ));
    text
}
