//! Incident exports for spreadsheets (CSV) and GIS tools (GeoJSON, RFC 7946), written batch by
//! batch so that memory does not grow with the number of rows, and recorded with their filters
//! and row count.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDateTime;
use parking_lot::Mutex;
use serde_json::{Map, Value, json};

use crate::auth::{Actor, policy};
use crate::db::DbConnection;
use crate::domain::access::Clearance;
use crate::domain::incident::format_time;
use crate::domain::spreadsheet::safe_cell;
use crate::error::{AppError, AppResult};
use crate::services::incidents::{ListRequest, check_may_read, filter_for};
use crate::store::audit;
use crate::store::incidents::{self as store, IncidentFilter, IncidentRow};

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
    user: &Actor,
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
        "to": f.to.map(format_time), "fatal": f.fatal,
        "awaiting_my_verification": f.awaiting_my_verification,
        // The words searched may be content (a name, a place): only how many there were.
        "search_words": f.q.as_deref().map(|q| q.split_whitespace().count()),
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

/// Records that an export began, with its filters, before the first byte leaves. Answers the
/// record's id, which the closing record (`record_end`) names.
fn record_start(
    conn: &mut DbConnection,
    user: &Actor,
    request: &ExportRequest,
    now: NaiveDateTime,
) -> AppResult<i64> {
    Ok(audit::append_alone(
        conn,
        &user.audit(now),
        "export.incidents",
        "incident",
        None,
        json!({
            "format": request.format.code(),
            "filters": filters_json(request),
            "include_personal": request.include_personal,
        }),
    )?)
}

/// Records how an export ended, however it ended: how many incidents left, and whether all did.
fn record_end(
    conn: &mut DbConnection,
    user: &Actor,
    now: NaiveDateTime,
    started: i64,
    sent: u64,
    complete: bool,
) -> AppResult<()> {
    audit::append_alone(
        conn,
        &user.audit(now),
        "export.incidents.finished",
        "incident",
        None,
        json!({ "export": started, "rows": sent, "complete": complete }),
    )?;
    Ok(())
}

/// Exports begun and not yet recorded as ended. An export records its own end, however its
/// client leaves; but a server that stops drops the exports still running when its grace runs
/// out, and records their end itself (`end_all`) before it exits. Whoever takes an export out
/// of here records its end, so it is recorded once.
///
/// The records are written holding the lock: the server's workers stop without waiting for
/// the database work they started, so a beginning or an ending under way must be finished
/// before `end_all` looks, and none may begin after. Exports begin and end a few times a
/// minute, so taking turns for these writes costs nothing that shows.
#[derive(Default)]
pub struct OpenExports {
    state: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    exports: HashMap<i64, OpenExport>,
    /// Set by `end_all`: the server is stopping and no export may begin.
    closed: bool,
}

struct OpenExport {
    user: Actor,
    sent: Arc<AtomicU64>,
}

impl OpenExports {
    /// Records that an export began, before its first byte leaves, and keeps it open. Answers
    /// the record's id and the count of incidents handed on, for the export to add to.
    pub fn begin(
        &self,
        conn: &mut DbConnection,
        user: &Actor,
        request: &ExportRequest,
        now: NaiveDateTime,
    ) -> AppResult<(i64, Arc<AtomicU64>)> {
        let mut open = self.state.lock();
        if open.closed {
            return Err(AppError::Unavailable("the server is stopping".to_string()));
        }
        let started = record_start(conn, user, request, now)?;
        let sent = Arc::new(AtomicU64::new(0));
        let export = OpenExport {
            user: user.clone(),
            sent: Arc::clone(&sent),
        };
        open.exports.insert(started, export);
        Ok((started, sent))
    }

    /// Records how the export `started` ended, unless the server already did as it stopped.
    /// If the record cannot be written, the export stays open for the server to record as it
    /// stops (as incomplete, at that time).
    pub fn end(
        &self,
        conn: &mut DbConnection,
        started: i64,
        now: NaiveDateTime,
        complete: bool,
    ) -> AppResult<()> {
        let mut open = self.state.lock();
        let Some(export) = open.exports.remove(&started) else {
            return Ok(());
        };
        let sent = export.sent.load(Ordering::Relaxed);
        let recorded = record_end(conn, &export.user, now, started, sent, complete);
        if recorded.is_err() {
            open.exports.insert(started, export);
        }
        recorded
    }

    /// Records every export still open as ended incomplete, with the incidents it had handed
    /// on, and lets none begin from then on: for a server that has stopped serving. Answers how
    /// many there were; each is tried, and the first failure is answered.
    pub fn end_all(&self, conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<usize> {
        let mut open = self.state.lock();
        open.closed = true;
        let exports: Vec<(i64, OpenExport)> = open.exports.drain().collect();
        let mut failure = None;
        for (started, export) in &exports {
            let sent = export.sent.load(Ordering::Relaxed);
            if let Err(error) = record_end(conn, &export.user, now, *started, sent, false) {
                failure.get_or_insert(error);
            }
        }
        failure.map_or(Ok(exports.len()), Err)
    }
}

/// A batch of an export, written out.
pub struct Batch {
    pub bytes: Vec<u8>,
    pub incidents: u64,
}

/// An export under way, read a batch at a time. Each batch needs a connection only while it is
/// read, so the caller can take a database permit per batch, like any other request, and hold
/// none while a slow client reads.
pub struct ExportBatches {
    filter: IncidentFilter,
    format: Format,
    personal: bool,
    /// Incidents written out so far.
    written: u64,
    /// GeoJSON features written without a position.
    unlocated: u64,
    finished: bool,
}

impl ExportBatches {
    pub fn new(user: &Actor, request: &ExportRequest) -> ExportBatches {
        ExportBatches {
            filter: filter_for(user, request.filters.clone()),
            format: request.format,
            personal: request.include_personal,
            written: 0,
            unlocated: 0,
            finished: false,
        }
    }

    /// Whether every incident has been read: the last batch was not a full one.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// What comes before the first incident: the CSV header, or the GeoJSON collection's start.
    pub fn opening(&self) -> AppResult<Vec<u8>> {
        match self.format {
            Format::Csv => {
                let mut header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
                if self.personal {
                    header.push("victims".to_string());
                }
                csv_line(header)
            }
            Format::GeoJson => Ok(br#"{"type":"FeatureCollection","features":["#.to_vec()),
        }
    }

    /// The next batch of incidents, written out; `None` once every incident has been.
    pub fn next_batch(&mut self, conn: &mut DbConnection) -> AppResult<Option<Batch>> {
        if self.finished {
            return Ok(None);
        }
        let rows = store::list(conn, &self.filter, BATCH)?;
        let names = if self.personal {
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            personal_data(conn, &ids)?
        } else {
            HashMap::new()
        };
        self.finished = (rows.len() as i64) < BATCH;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.filter.after = Some((last.occurred_at, last.id.clone()));
        let mut chunk = Vec::new();
        for row in &rows {
            let mut props = properties(row);
            if self.personal {
                props.insert("victims".into(), json!(names.get(&row.id)));
            }
            match self.format {
                Format::Csv => {
                    let mut cells: Vec<String> = COLUMNS.iter().map(|c| cell(&props[*c])).collect();
                    if self.personal {
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
                            self.unlocated += 1;
                            Value::Null
                        }
                    };
                    if self.written > 0 {
                        chunk.push(b',');
                    }
                    let feature = json!({
                        "type": "Feature", "id": row.id, "geometry": geometry, "properties": props,
                    });
                    chunk.extend(feature.to_string().into_bytes());
                }
            }
            self.written += 1;
        }
        Ok(Some(Batch {
            bytes: chunk,
            incidents: rows.len() as u64,
        }))
    }

    /// What comes after the last incident: for GeoJSON, the collection's end.
    pub fn closing(&self) -> Option<Vec<u8>> {
        match self.format {
            Format::Csv => None,
            // A foreign member (RFC 7946, 6.1): how many features have no position (`geometry` null).
            Format::GeoJson => {
                Some(format!(r#"],"unlocated_features":{}}}"#, self.unlocated).into_bytes())
            }
        }
    }
}
