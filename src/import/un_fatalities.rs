//! Reading the UN's official peacekeeping fatalities dataset (one row per death) into a plan:
//! the incidents its malicious acts make (one per mission and day), and an account of every
//! other row. Nothing here touches the database; `services::imports` writes the plan.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::country;
use crate::domain::mission;

/// The columns the importer needs; the file has a few more, which it ignores.
const REQUIRED_COLUMNS: [&str; 7] = [
    "incident_date",
    "casualty_id",
    "mission_acronym",
    "gender",
    "casualty_personnel_type",
    "type_of_incident",
    "isocode3",
];

pub const MALICIOUS_ACT: &str = "Malicious Act";

/// One peacekeeper killed, as the registry records a victim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetVictim {
    pub line: u64,
    pub casualty_id: String,
    pub personnel_type: &'static str,
    pub nationality: Option<String>,
    pub gender: &'static str,
}

/// The deaths of one mission on one day: one incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetIncident {
    pub mission: String,
    pub date: NaiveDate,
    pub victims: Vec<DatasetVictim>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RejectedRow {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DuplicateRow {
    pub line: u64,
    pub casualty_id: String,
    pub first_line: u64,
}

/// What the file holds, before the database is asked anything.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub rows_read: u64,
    pub malicious_act_rows: u64,
    pub skipped_by_type: BTreeMap<String, u64>,
    pub duplicates: Vec<DuplicateRow>,
    pub rejected: Vec<RejectedRow>,
    pub incidents: Vec<DatasetIncident>,
    /// The dataset's own `last_update` date, named in each incident's source.
    pub last_update: Option<String>,
    /// Victims whose nationality or gender the file leaves blank (recorded as unknown).
    pub nationality_unknown: u64,
    pub gender_unknown: u64,
    /// Personnel types written with stray spaces (`"Local "`), read trimmed.
    pub personnel_type_trimmed: u64,
}

/// Why a whole file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is not CSV with a header row: {0}")]
    NotCsv(String),
    #[error("the header lacks the columns: {0}")]
    MissingColumns(String),
}

/// The registry's code for the dataset's personnel type (trimmed first).
fn personnel_type(value: &str) -> Option<&'static str> {
    Some(match value {
        "Military" => "military",
        "Police" => "police",
        "Military Observer" => "military_observer",
        "International Civilian" => "international_civilian",
        "Local" => "national_staff",
        "Other" => "other",
        _ => return None,
    })
}

fn gender(value: &str) -> Option<&'static str> {
    Some(match value {
        "M" => "male",
        "F" => "female",
        "" => "unknown",
        _ => return None,
    })
}

/// Reads the file. Rows that cannot be read are rejected with their line and the reason; the
/// other rows of a day they belong to are held back with it, so an incident is never written
/// without some of its dead.
pub fn plan(input: impl Read) -> Result<Plan, FileError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| FileError::NotCsv(e.to_string()))?
        .clone();
    let column: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .copied()
        .filter(|c| !column.contains_key(c))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns(missing.join(", ")));
    }

    let mut plan = Plan::default();
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    let mut groups: BTreeMap<(String, NaiveDate), Vec<DatasetVictim>> = BTreeMap::new();
    // Days held back, with the line that made them so.
    let mut held_back: BTreeMap<(String, NaiveDate), u64> = BTreeMap::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                plan.rows_read += 1;
                plan.rejected.push(RejectedRow {
                    line: e.position().map_or(0, |p| p.line()),
                    reason: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        plan.rows_read += 1;
        // A field that is not UTF-8 text, or holds a NUL, cannot be read.
        let readable = |i: usize| {
            record
                .get(i)
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .filter(|text| !text.contains('\0'))
        };
        let field = |name: &str| readable(column[name]).unwrap_or("").trim();
        let unreadable = (0..record.len()).find(|&i| readable(i).is_none());
        if record.len() < headers.len() || unreadable.is_some() {
            let reason = match unreadable {
                Some(i) => format!(
                    "field `{}` is not readable text (not UTF-8, or a NUL character)",
                    headers.get(i).unwrap_or("?")
                ),
                None => format!(
                    "has {} fields where the header has {}",
                    record.len(),
                    headers.len()
                ),
            };
            plan.rejected.push(RejectedRow { line, reason });
            // What can still be read of it says which day it belongs to: that day waits whole.
            let kind = field("type_of_incident");
            if (kind == MALICIOUS_ACT || kind.is_empty())
                && let Ok(date) = NaiveDate::parse_from_str(field("incident_date"), "%Y-%m-%d")
            {
                held_back
                    .entry((field("mission_acronym").to_string(), date))
                    .or_insert(line);
            }
            continue;
        }
        if plan.last_update.is_none()
            && let Some(&i) = column.get("last_update")
        {
            plan.last_update = readable(i)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
        }

        let casualty_id = field("casualty_id").to_string();
        if !casualty_id.is_empty() {
            match first_seen.get(&casualty_id) {
                Some(&first_line) => plan.duplicates.push(DuplicateRow {
                    line,
                    casualty_id: casualty_id.clone(),
                    first_line,
                }),
                None => {
                    first_seen.insert(casualty_id.clone(), line);
                }
            }
        }
        let kind = field("type_of_incident");
        if kind != MALICIOUS_ACT {
            let kind = if kind.is_empty() { "(blank)" } else { kind };
            *plan.skipped_by_type.entry(kind.to_string()).or_default() += 1;
            continue;
        }
        plan.malicious_act_rows += 1;
        if plan.duplicates.last().is_some_and(|d| d.line == line) {
            // Already counted once: the second mention adds no one.
            continue;
        }

        let Ok(date) = NaiveDate::parse_from_str(field("incident_date"), "%Y-%m-%d") else {
            plan.rejected.push(RejectedRow {
                line,
                reason: format!(
                    "incident_date `{}` is not a date YYYY-MM-DD",
                    field("incident_date")
                ),
            });
            continue;
        };
        let mission_code = field("mission_acronym").to_string();
        let mut problems = Vec::new();
        if let Err(why) = mission::check_code(&mission_code) {
            problems.push(format!("mission_acronym `{mission_code}` {why}"));
        }
        if casualty_id.is_empty() {
            problems.push("casualty_id is missing".to_string());
        }
        let raw_personnel = readable(column["casualty_personnel_type"]).unwrap_or("");
        let personnel = personnel_type(raw_personnel.trim());
        if personnel.is_none() {
            problems.push(format!(
                "casualty_personnel_type `{}` is not known",
                raw_personnel.trim()
            ));
        }
        let gender_code = gender(field("gender"));
        if gender_code.is_none() {
            problems.push(format!("gender `{}` is not M, F or blank", field("gender")));
        }
        let key = (mission_code.clone(), date);
        if !problems.is_empty() {
            plan.rejected.push(RejectedRow {
                line,
                reason: problems.join("; "),
            });
            held_back.entry(key).or_insert(line);
            continue;
        }
        if raw_personnel != raw_personnel.trim() {
            plan.personnel_type_trimmed += 1;
        }
        let iso = field("isocode3");
        let nationality = country::is_iso3(iso).then(|| iso.to_string());
        if nationality.is_none() {
            plan.nationality_unknown += 1;
        }
        if gender_code == Some("unknown") {
            plan.gender_unknown += 1;
        }
        groups.entry(key).or_default().push(DatasetVictim {
            line,
            casualty_id,
            personnel_type: personnel.unwrap_or("other"),
            nationality,
            gender: gender_code.unwrap_or("unknown"),
        });
    }

    for ((mission, date), victims) in groups {
        if let Some(bad_line) = held_back.get(&(mission.clone(), date)) {
            for victim in victims {
                plan.rejected.push(RejectedRow {
                    line: victim.line,
                    reason: format!(
                        "held back with line {bad_line}, of the same incident ({mission}, {date}), which was rejected"
                    ),
                });
            }
            continue;
        }
        plan.incidents.push(DatasetIncident {
            mission,
            date,
            victims,
        });
    }
    plan.rejected.sort_by_key(|r| r.line);
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,incident_date,casualty_id,mission_acronym,type_of_casualty,gender,casualty_nationality,casualty_personnel_type,type_of_incident,m49_code,isocode3,last_update\n";

    fn plan_of(rows: &str) -> Plan {
        plan(format!("{HEADER}{rows}").as_bytes()).unwrap()
    }

    #[test]
    fn groups_malicious_acts_by_mission_and_day() {
        let plan = plan_of(
            "1,2019-01-20,MINUSMA-2019-01-1,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04\n\
             2,2019-01-20,MINUSMA-2019-01-2,MINUSMA,Fatality,,Chad,Local ,Malicious Act,148.0,,2025-04-04\n\
             3,2019-01-21,MINUSMA-2019-01-3,MINUSMA,Fatality,F,Chad,Police,Illness,148.0,TCD,2025-04-04\n",
        );
        assert_eq!(plan.rows_read, 3);
        assert_eq!(plan.malicious_act_rows, 2);
        assert_eq!(plan.skipped_by_type.get("Illness"), Some(&1));
        assert_eq!(plan.incidents.len(), 1);
        let victims = &plan.incidents[0].victims;
        assert_eq!(victims[1].personnel_type, "national_staff");
        assert_eq!(victims[1].gender, "unknown");
        assert_eq!(victims[1].nationality, None);
        assert_eq!(victims[0].nationality.as_deref(), Some("TCD"));
        assert_eq!(plan.personnel_type_trimmed, 1);
        assert_eq!(plan.last_update.as_deref(), Some("2025-04-04"));
    }

    #[test]
    fn broken_rows_are_rejected_with_their_line_and_hold_back_their_day() {
        let plan = plan_of(
            "1,2019-13-40,X-1,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04\n\
             2,2019-02-01,,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04\n\
             3,2019-02-01,X-3,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04\n\
             4,2019-02-03,X-4,MINUSMA,Fatality,M,Chad,Military,Malicious Act\n\
             5,2019-02-03,X-5,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04\n\
             6,2019-02-04,X-5,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04\n\
             7,2019-02-05,X-7,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04\n",
        );
        let lines: Vec<u64> = plan.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6], "{:?}", plan.rejected);
        assert!(plan.rejected[0].reason.contains("incident_date"));
        assert!(plan.rejected[1].reason.contains("casualty_id"));
        assert!(plan.rejected[2].reason.contains("held back with line 3"));
        assert!(plan.rejected[3].reason.contains("fields"));
        // The short row's day waits whole.
        assert!(plan.rejected[4].reason.contains("held back with line 5"));
        assert_eq!(plan.duplicates.len(), 1);
        assert_eq!(plan.duplicates[0].line, 7);
        assert_eq!(plan.duplicates[0].first_line, 6);
        // Only the day of line 8 makes an incident; the duplicate at line 7 adds no one.
        assert_eq!(plan.incidents.len(), 1);
        assert_eq!(plan.incidents[0].victims[0].casualty_id, "X-7");
    }

    #[test]
    fn text_that_is_not_utf8_is_rejected_by_line() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"1,2019-01-20,X-1,MINUSMA,Fatality,M,C\xf4te d'Ivoire,Military,Malicious Act,384.0,CIV,2025-04-04\n");
        bytes.extend_from_slice(b"2,2019-01-20,X-2,MINUSMA,Fatality,M,Chad,Military,Malicious Act,148.0,TCD,2025-04-04\n");
        let plan = plan(bytes.as_slice()).unwrap();
        assert_eq!(plan.rejected[0].line, 2);
        assert!(plan.rejected[0].reason.contains("casualty_nationality"));
        assert_eq!(plan.rejected[1].line, 3);
        assert!(plan.incidents.is_empty());
    }

    #[test]
    fn a_file_without_the_columns_is_refused() {
        assert!(matches!(
            plan("a,b\n1,2\n".as_bytes()),
            Err(FileError::MissingColumns(_))
        ));
    }
}
