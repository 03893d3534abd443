//! Files handed out, by the API and the pages alike: always as attachments, never shown in place.

use std::collections::BTreeSet;

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::domain::annual_report::{AnnualReport, csv_rows};
use crate::domain::case::CLOSURE_REASONS;
use crate::domain::incident::{ATTACK_TYPES, PERSONNEL_TYPES};
use crate::domain::spreadsheet::safe_cell;
use crate::domain::summary::Figures;
use crate::services::member_states::StateSummary;
use crate::services::summary::Summary;
use crate::store::cases::DocumentRow;

/// A stored document as a download, never shown in place.
pub fn document_response(row: DocumentRow, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, row.media_type.as_str()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", row.file_name),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Content-SHA256", row.sha256.as_str()))
        .body(bytes)
}

/// A CSV file made whole in memory (the summary's; the exports are streamed).
pub fn csv_response(file_name: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .body(body)
}

fn number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// One row per mission and period, then the totals (`all`, `all`). Maps become one column per
/// code (`incidents_by_attack_type.ambush`), nationalities one per nationality present.
pub fn summary_csv(summary: &Summary) -> Result<Vec<u8>, csv::Error> {
    let nationalities: BTreeSet<&String> = summary
        .rows
        .iter()
        .flat_map(|r| r.figures.killed_by_nationality.keys())
        .collect();
    let mut header: Vec<String> = vec!["mission".into(), "period".into(), "incidents".into()];
    header.extend(
        ATTACK_TYPES
            .iter()
            .map(|c| format!("incidents_by_attack_type.{c}")),
    );
    header.extend(["killed", "injured", "abducted", "missing"].map(String::from));
    header.extend(
        PERSONNEL_TYPES
            .iter()
            .map(|c| format!("killed_by_personnel_type.{c}")),
    );
    header.extend(
        nationalities
            .iter()
            .map(|c| format!("killed_by_nationality.{c}")),
    );
    header.extend(
        [
            "incidents_with_case",
            "cases_referred",
            "cases_investigating",
            "cases_suspects_identified",
            "cases_arrests_made",
            "cases_charged",
            "cases_in_trial",
            "cases_judgment",
            "cases_final",
            "accused_convicted",
            "accused_acquitted",
        ]
        .map(String::from),
    );
    header.extend(
        CLOSURE_REASONS
            .iter()
            .map(|c| format!("cases_closed_by_reason.{c}")),
    );
    header.extend(
        [
            "median_days_to_referral",
            "median_days_to_first_arrest",
            "median_days_to_charge",
            "median_days_to_first_judgment",
        ]
        .map(String::from),
    );

    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header)?;
    let line = |mission: &str, period: &str, f: &Figures| -> Vec<String> {
        let count = |map: &std::collections::BTreeMap<String, u64>, key: &str| {
            map.get(key).copied().unwrap_or(0).to_string()
        };
        let mut cells = vec![
            safe_cell(mission).into_owned(),
            safe_cell(period).into_owned(),
            f.incidents.to_string(),
        ];
        cells.extend(
            ATTACK_TYPES
                .iter()
                .map(|c| count(&f.incidents_by_attack_type, c)),
        );
        cells.extend([f.killed, f.injured, f.abducted, f.missing].map(|n| n.to_string()));
        cells.extend(
            PERSONNEL_TYPES
                .iter()
                .map(|c| count(&f.killed_by_personnel_type, c)),
        );
        cells.extend(
            nationalities
                .iter()
                .map(|c| count(&f.killed_by_nationality, c)),
        );
        cells.extend(
            [
                f.incidents_with_case,
                f.cases_referred,
                f.cases_investigating,
                f.cases_suspects_identified,
                f.cases_arrests_made,
                f.cases_charged,
                f.cases_in_trial,
                f.cases_judgment,
                f.cases_final,
                f.accused_convicted,
                f.accused_acquitted,
            ]
            .map(|n| n.to_string()),
        );
        cells.extend(
            CLOSURE_REASONS
                .iter()
                .map(|c| count(&f.cases_closed_by_reason, c)),
        );
        cells.extend(
            [
                f.median_days_to_referral,
                f.median_days_to_first_arrest,
                f.median_days_to_charge,
                f.median_days_to_first_judgment,
            ]
            .map(number),
        );
        cells
    };
    for row in &summary.rows {
        writer.write_record(line(&row.mission, &row.period, &row.figures))?;
    }
    writer.write_record(line("all", "all", &summary.totals))?;
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// A State's summary as rows of `part` (`host`, `nationals`), `year`, `measure`, `value`: each
/// count of a map is its own measure (`reached.charged`, `cases.arrests_made`).
pub fn state_summary_csv(summary: &StateSummary) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["state", "part", "year", "measure", "value"])?;
    let mut rows: Vec<(&str, i32, String, String)> = Vec::new();
    for year in &summary.host {
        let y = year.year;
        for (measure, value) in [
            ("cases", year.cases),
            ("open", year.open),
            ("convicted", year.convicted),
            ("acquitted", year.acquitted),
        ] {
            rows.push(("host", y, measure.to_string(), value.to_string()));
        }
        for (step, count) in &year.reached {
            rows.push(("host", y, format!("reached.{step}"), count.to_string()));
        }
        for (reason, count) in &year.closed_by_reason {
            rows.push(("host", y, format!("closed.{reason}"), count.to_string()));
        }
        for (delay, days) in &year.median_days {
            rows.push(("host", y, format!("median_days.{delay}"), days.to_string()));
        }
    }
    for year in &summary.nationals {
        let y = year.year;
        for (measure, value) in [
            ("incidents", year.incidents),
            ("killed", year.killed),
            ("injured", year.injured),
            ("abducted", year.abducted),
            ("missing", year.missing),
            ("incidents_without_case", year.incidents_without_case),
        ] {
            rows.push(("nationals", y, measure.to_string(), value.to_string()));
        }
        for (status, count) in &year.cases_by_status {
            rows.push(("nationals", y, format!("cases.{status}"), count.to_string()));
        }
    }
    let state = safe_cell(&summary.state).into_owned();
    for (part, year, measure, value) in rows {
        writer.write_record([state.as_str(), part, &year.to_string(), &measure, &value])?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// An annual report as one CSV: `table`, `group`, `measure`, `value`.
pub fn annual_report_csv(report: &AnnualReport) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["table", "group", "measure", "value"])?;
    for row in csv_rows(report) {
        writer.write_record(row.iter().map(|cell| safe_cell(cell).into_owned()))?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}
