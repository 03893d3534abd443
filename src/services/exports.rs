//! Incident exports for spreadsheets (CSV) and GIS tools (GeoJSON, RFC 7946), written batch by
//! batch so that memory does not grow with the number of rows, and recorded with their filters
//! and row count.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

use crate::auth::{AuthUser, policy};
use crate::db::{DbConnection, DbPool, with_connection};
use crate::domain::access::Clearance;
use crate::domain::incident::format_time;
use crate::domain::spreadsheet::safe_cell;
use crate::error::{AppError, AppResult};
use crate::services::incidents::{ListRequest, check_may_read, filter_for};
use crate::store::audit;
use crate::store::incidents::{self as store, IncidentRow};

/// Rows read from the database at a time.
const BATCH: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    GeoJson,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::GeoJson => "geojson",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub filters: ListRequest,
    pub format: Format,
    pub include_personal: bool,
}

/// Readers of incidents may export what they can list; victims' names and units only by a user
/// cleared `confidential` who works on every mission the export can include.
pub fn check(
    conn: &mut DbConnection,
    user: &AuthUser,
    request: &ExportRequest,
    now: NaiveDateTime,
) -> AppResult<()> {
    check_may_read(conn, user, "incidents.export", now)?;
    if !request.include_personal {
        return Ok(());
    }
    let viewer = user.viewer();
    let every_mission = if request.filters.missions.is_empty() {
        // Without a mission filter the export covers every mission the user works on.
        viewer.clearance >= Clearance::Confidential
    } else {
        request
            .filters
            .missions
            .iter()
            .all(|m| viewer.sees_personal_data(m))
    };
    if every_mission {
        return Ok(());
    }
    Err(policy::forbid(
        conn,
        user,
        "incidents.export",
        ("incident", None),
        now,
        "Victims' names and units are exported only for users cleared `confidential` who work on every mission included.",
    ))
}

fn filters_json(request: &ExportRequest) -> Value {
    let f = &request.filters;
    json!({
        "missions": f.missions, "status": f.status, "attack_type": f.attack_type,
        "classification": f.classification, "from": f.from.map(format_time),
        "to": f.to.map(format_time), "fatal": f.fatal, "q": f.q,
    })
}

/// The columns of the CSV, in order (`victims` only with personal data).
const COLUMNS: [&str; 22] = [
    "id",
    "reference",
    "mission",
    "status",
    "classification",
    "occurred_at",
    "time_precision",
    "place_name",
    "admin1",
    "admin2",
    "latitude",
    "longitude",
    "geo_precision",
    "location_type",
    "attack_type",
    "weapons",
    "killed",
    "injured",
    "abducted",
    "missing",
    "summary",
    "narrative",
];

/// An incident's exported fields, as JSON values (numbers stay numbers).
fn properties(row: &IncidentRow) -> Map<String, Value> {
    let weapons: Vec<String> = serde_json::from_str(&row.weapons).unwrap_or_default();
    let values = [
        json!(row.id),
        json!(row.reference),
        json!(row.mission_code),
        json!(row.status),
        json!(row.classification),
        json!(format_time(row.occurred_at)),
        json!(row.time_precision),
        json!(row.place_name),
        json!(row.admin1),
        json!(row.admin2),
        json!(row.latitude),
        json!(row.longitude),
        json!(row.geo_precision),
        json!(row.location_type),
        json!(row.attack_type),
        json!(weapons.join(";")),
        json!(row.killed),
        json!(row.injured),
        json!(row.abducted),
        json!(row.missing),
        json!(row.summary),
        json!(row.narrative),
    ];
    COLUMNS.iter().map(|c| c.to_string()).zip(values).collect()
}

/// A spreadsheet cell: text made safe against formulas, numbers as they are, nothing for null.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => safe_cell(text).into_owned(),
        other => other.to_string(),
    }
}

/// The victims' names and units of each incident: `name (unit); name (unit)`.
fn personal_data(conn: &mut DbConnection, ids: &[String]) -> AppResult<HashMap<String, String>> {
    let mut named: HashMap<String, Vec<String>> = HashMap::new();
    for (incident_id, name, unit) in store::personal_data_of(conn, ids)? {
        let text = match (name, unit) {
            (Some(name), Some(unit)) => format!("{name} ({unit})"),
            (Some(name), None) => name,
            (None, Some(unit)) => format!("({unit})"),
            (None, None) => continue,
        };
        named.entry(incident_id).or_default().push(text);
    }
    Ok(named
        .into_iter()
        .map(|(id, names)| (id, names.join("; ")))
        .collect())
}

fn csv_line(cells: impl IntoIterator<Item = String>) -> AppResult<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(cells)
        .map_err(|e| AppError::internal(format!("csv: {e}")))?;
    writer
        .into_inner()
        .map_err(|e| AppError::internal(format!("csv: {e}")))
}

/// Writes the export to `send` a batch at a time (`send` answers false when the client has
/// gone or stopped reading), and records it: its filters before the first byte leaves, its row
/// count when it ends, however it ends. A connection is taken from the pool per batch, so a
/// slow client holds none while it reads. Returns the number of incidents sent.
pub fn write(
    pool: &DbPool,
    user: &AuthUser,
    request: ExportRequest,
    now: NaiveDateTime,
    mut send: impl FnMut(Vec<u8>) -> bool,
) -> AppResult<u64> {
    let started = with_connection(pool, |conn| {
        Ok(audit::append_alone(
            conn,
            &user.audit(now),
            "export.incidents",
            "incident",
            None,
            json!({
                "format": request.format.code(),
                "filters": filters_json(&request),
                "include_personal": request.include_personal,
            }),
        )?)
    })?;
    let mut sent: u64 = 0;
    let outcome = write_batches(pool, user, &request, &mut sent, &mut send);
    with_connection(pool, |conn| {
        Ok(audit::append_alone(
            conn,
            &user.audit(now),
            "export.incidents.finished",
            "incident",
            None,
            json!({
                "export": started,
                "rows": sent,
                "complete": matches!(outcome, Ok(true)),
            }),
        )?)
    })?;
    outcome.map(|_| sent)
}

/// Sends the opening, every batch and the closing; answers whether all of it went out.
fn write_batches(
    pool: &DbPool,
    user: &AuthUser,
    request: &ExportRequest,
    sent: &mut u64,
    send: &mut impl FnMut(Vec<u8>) -> bool,
) -> AppResult<bool> {
    let personal = request.include_personal;
    let mut filter = filter_for(user, request.filters.clone());
    let mut unlocated: u64 = 0;
    let opening = match request.format {
        Format::Csv => {
            let mut header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
            if personal {
                header.push("victims".to_string());
            }
            csv_line(header)?
        }
        Format::GeoJson => br#"{"type":"FeatureCollection","features":["#.to_vec(),
    };
    if !send(opening) {
        return Ok(false);
    }
    loop {
        let (rows, names) = with_connection(pool, |conn| {
            let rows = store::list(conn, &filter, BATCH)?;
            let names = if personal {
                let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                personal_data(conn, &ids)?
            } else {
                HashMap::new()
            };
            Ok((rows, names))
        })?;
        let Some(last) = rows.last() else { break };
        filter.after = Some((last.occurred_at, last.id.clone()));
        let mut chunk = Vec::new();
        for row in &rows {
            let mut props = properties(row);
            if personal {
                props.insert("victims".into(), json!(names.get(&row.id)));
            }
            match request.format {
                Format::Csv => {
                    let mut cells: Vec<String> = COLUMNS.iter().map(|c| cell(&props[*c])).collect();
                    if personal {
                        cells.push(cell(&props["victims"]));
                    }
                    chunk.extend(csv_line(cells)?);
                }
                Format::GeoJson => {
                    let geometry = match (row.longitude, row.latitude) {
                        (Some(lon), Some(lat)) => {
                            json!({ "type": "Point", "coordinates": [lon, lat] })
                        }
                        _ => {
                            unlocated += 1;
                            Value::Null
                        }
                    };
                    if *sent > 0 {
                        chunk.push(b',');
                    }
                    let feature = json!({
                        "type": "Feature", "id": row.id, "geometry": geometry, "properties": props,
                    });
                    chunk.extend(feature.to_string().into_bytes());
                }
            }
            *sent += 1;
        }
        if !send(chunk) {
            return Ok(false);
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    if request.format == Format::GeoJson {
        // A foreign member (RFC 7946, 6.1): how many features have no position (`geometry` null).
        let closing = format!(r#"],"unlocated_features":{unlocated}}}"#);
        return Ok(send(closing.into_bytes()));
    }
    Ok(true)
}
