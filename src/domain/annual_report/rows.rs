//! The report as rows of one CSV, and the figures that changed since a report was issued.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::AnnualReport;

/// The report as rows of `table`, `group`, `measure`, `value`: each count of a map is its own
/// measure (`steps.charged`, `assistance.training.days`); a judgment's verdicts are numbered.
pub fn csv_rows(report: &AnnualReport) -> Vec<[String; 4]> {
    let mut rows = Vec::new();
    let mut push = |table: &str, group: &str, measure: String, value: String| {
        rows.push([table.to_string(), group.to_string(), measure, value]);
    };
    for (key, value) in [
        ("from", report.period.from.to_string()),
        ("to", report.period.to.to_string()),
        ("edition", report.edition.clone()),
        ("classification", report.classification.clone()),
    ] {
        push("report", "", key.to_string(), value);
    }
    for (table, courts) in [
        ("host_states", &report.tables.host_states),
        ("international_courts", &report.tables.international_courts),
    ] {
        for f in courts {
            let group = f.state.clone().or(f.court.clone()).unwrap_or_default();
            for (measure, value) in [
                ("cases_opened", f.cases_opened),
                ("convicted", f.convicted),
                ("acquitted", f.acquitted),
                ("stalled", f.stalled),
            ] {
                push(table, &group, measure.to_string(), value.to_string());
            }
            for (prefix, map) in [
                ("steps", &f.steps),
                ("sentences", &f.sentences),
                ("closed", &f.closed),
            ] {
                for (key, value) in map {
                    push(table, &group, format!("{prefix}.{key}"), value.to_string());
                }
            }
            for (step, days) in &f.median_days {
                push(
                    table,
                    &group,
                    format!("median_days.{step}"),
                    days.to_string(),
                );
            }
            for (kind, figures) in &f.assistance {
                let (records, days) = (figures.records.to_string(), figures.days.to_string());
                push(table, &group, format!("assistance.{kind}.records"), records);
                push(table, &group, format!("assistance.{kind}.days"), days);
            }
        }
    }
    for f in &report.tables.contributing_countries {
        let table = "contributing_countries";
        push(table, &f.country, "killed".into(), f.killed.to_string());
        push(table, &f.country, "injured".into(), f.injured.to_string());
        for (status, count) in &f.cases_by_status {
            push(
                table,
                &f.country,
                format!("cases.{status}"),
                count.to_string(),
            );
        }
    }
    for j in &report.tables.judgments {
        // A case judged twice in a period (a retrial) has a group for each judgment.
        let group = format!("{} {}", j.case_reference, j.judgment_on);
        let (table, group) = ("judgments", group.as_str());
        push(
            table,
            group,
            "state".into(),
            j.state.clone().unwrap_or_default(),
        );
        push(table, group, "court".into(), j.court.clone());
        push(
            table,
            group,
            "judgment_on".into(),
            j.judgment_on.to_string(),
        );
        for (n, person) in j.verdicts.iter().enumerate() {
            let n = n + 1;
            if let Some(name) = &person.name {
                push(table, group, format!("accused.{n}.name"), name.clone());
            }
            push(
                table,
                group,
                format!("accused.{n}.verdict"),
                person.verdict.clone(),
            );
            let day = person.verdict_on.map(|d| d.to_string()).unwrap_or_default();
            push(table, group, format!("accused.{n}.verdict_on"), day);
            if let Some(sentence) = &person.sentence_type {
                push(
                    table,
                    group,
                    format!("accused.{n}.sentence"),
                    sentence.clone(),
                );
            }
            if let Some(months) = person.sentence_months {
                push(
                    table,
                    group,
                    format!("accused.{n}.sentence_months"),
                    months.to_string(),
                );
            }
        }
    }
    rows
}

/// The report last issued, and each figure that differs from it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SinceIssued {
    pub id: String,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub sha256: String,
    pub changes: Vec<Change>,
}

/// A figure of the CSV rows (`table`, `group`, `measure`) as issued and as it stands now
/// (empty where it was or is absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    pub table: String,
    pub group: String,
    pub measure: String,
    pub issued: String,
    pub now: String,
}

/// The figures that differ between an issued report and the same report now, in the order of
/// its rows.
pub fn changes_since(issued: &AnnualReport, now: &AnnualReport) -> Vec<Change> {
    let keyed = |report: &AnnualReport| -> BTreeMap<(String, String, String), String> {
        csv_rows(report)
            .into_iter()
            .filter(|[table, ..]| table != "report")
            .map(|[table, group, measure, value]| ((table, group, measure), value))
            .collect()
    };
    let (before, after) = (keyed(issued), keyed(now));
    let mut keys: Vec<&(String, String, String)> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| before.get(*key) != after.get(*key))
        .map(|key| Change {
            table: key.0.clone(),
            group: key.1.clone(),
            measure: key.2.clone(),
            issued: before.get(key).cloned().unwrap_or_default(),
            now: after.get(key).cloned().unwrap_or_default(),
        })
        .collect()
}
