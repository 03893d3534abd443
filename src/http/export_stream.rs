//! An export streamed to its client (the API's and the pages' downloads): batch by batch, each
//! read in a database permit of its own, recorded when it begins and when it ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use parking_lot::Mutex;

use crate::AppState;
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::services::exports::{self, ExportBatches, ExportRequest, Format};

/// Checks the export is allowed, then streams it (the API's and the pages' downloads).
pub async fn stream(
    state: &web::Data<AppState>,
    user: Actor,
    request: ExportRequest,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (checker, checked) = (user.clone(), request.clone());
    state
        .run(move |conn| exports::check(conn, &checker, &checked, now))
        .await?;

    let (media_type, file_name) = match request.format {
        Format::Csv => ("text/csv; charset=utf-8", "incidents.csv"),
        Format::GeoJson => ("application/geo+json", "incidents.geojson"),
    };
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let stalled = Arc::new(AtomicBool::new(false));
    let chunks = Chunks {
        sender,
        stalled: Arc::clone(&stalled),
    };
    let writer = web::Data::clone(state);
    // The export runs as a task of its own, so that it is recorded as ended even when its
    // client leaves part-way.
    actix_web::rt::spawn(async move {
        if let Err(error) = write(&writer, user, request, now, &chunks).await {
            tracing::error!(error = %error, "export failed part-way");
            let failed = chunks
                .sender
                .send(Err(std::io::Error::other("export failed")));
            let _ = actix_web::rt::time::timeout(STALL_LIMIT, failed).await;
        }
    });
    let body = futures_util::stream::unfold(Some(receiver), move |receiver| {
        let stalled = Arc::clone(&stalled);
        async move {
            let mut receiver = receiver?;
            match receiver.recv().await {
                Some(chunk) => Some((chunk, Some(receiver))),
                None if stalled.load(Ordering::Relaxed) => {
                    let abandoned =
                        std::io::Error::other("export abandoned: its client stopped reading");
                    Some((Err(abandoned), None))
                }
                None => None,
            }
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .streaming(body))
}

/// How long a client may leave a batch unread before the export is abandoned.
const STALL_LIMIT: Duration = Duration::from_secs(60);

/// Where an export's chunks go: the response's body. It holds a few batches, so a slow client
/// slows the reading instead of filling memory.
struct Chunks {
    sender: tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>,
    /// Set when the client left a chunk unread past `STALL_LIMIT`: the body then ends in an
    /// error, so that a client reading again cannot take the part it got for the whole.
    stalled: Arc<AtomicBool>,
}

impl Chunks {
    /// Hands a chunk to the response; false when the client has gone or stopped reading.
    async fn hand_on(&self, chunk: Vec<u8>) -> bool {
        let handing = self.sender.send(Ok(chunk.into()));
        match actix_web::rt::time::timeout(STALL_LIMIT, handing).await {
            Ok(handed) => handed.is_ok(),
            Err(_) => {
                self.stalled.store(true, Ordering::Relaxed);
                false
            }
        }
    }
}

/// Writes the export to `chunks` and records it: its filters before the first byte leaves,
/// its row count when it ends, however it ends (when the server stops first, it records the
/// end as it exits: `OpenExports`). Every batch is read in a database permit of its own, so
/// exports wait their turn like any other request and hold no connection, nor any thread,
/// while their clients read. Answers the number of incidents handed on.
async fn write(
    state: &AppState,
    user: Actor,
    request: ExportRequest,
    now: NaiveDateTime,
    chunks: &Chunks,
) -> AppResult<u64> {
    let (open, recorder, recorded) = (
        Arc::clone(&state.open_exports),
        user.clone(),
        request.clone(),
    );
    let (started, sent) = state
        .run(move |conn| open.begin(conn, &recorder, &recorded, now))
        .await?;
    let batches = ExportBatches::new(&user, &request);
    let outcome = write_batches(state, batches, chunks, &sent).await;
    let complete = matches!(outcome, Ok(true));
    let (open, clock) = (Arc::clone(&state.open_exports), Arc::clone(&state.clock));
    state
        .run(move |conn| open.end(conn, started, clock.now(), complete))
        .await?;
    outcome.map(|_| sent.load(Ordering::Relaxed))
}

/// Sends the opening, every batch and the closing, counting in `sent` the incidents handed on;
/// answers whether all of it went out.
async fn write_batches(
    state: &AppState,
    batches: ExportBatches,
    chunks: &Chunks,
    sent: &AtomicU64,
) -> AppResult<bool> {
    if !chunks.hand_on(batches.opening()?).await {
        return Ok(false);
    }
    let batches = Arc::new(Mutex::new(batches));
    while !batches.lock().finished() {
        let reader = Arc::clone(&batches);
        let batch = state
            .run(move |conn| reader.lock().next_batch(conn))
            .await?;
        let Some(batch) = batch else { break };
        if !chunks.hand_on(batch.bytes).await {
            return Ok(false);
        }
        sent.fetch_add(batch.incidents, Ordering::Relaxed);
    }
    let closing = batches.lock().closing();
    match closing {
        Some(closing) => Ok(chunks.hand_on(closing).await),
        None => Ok(true),
    }
}
