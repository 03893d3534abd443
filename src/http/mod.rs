//! What the API and the pages share of HTTP: page cursors, idempotency keys, the upload form,
//! files handed out, streamed exports, and the middleware every request passes through.

pub mod cursor;
pub mod download;
pub mod export_stream;
pub mod idempotency;
pub mod middleware;
pub mod timestamp;
pub mod upload;
