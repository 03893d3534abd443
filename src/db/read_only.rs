//! A connection that can only read, for checks that must work with a read-only database role
//! and must not change what they check: no migration, no sealing, no pragma that writes.

use diesel::Connection;
use diesel::connection::SimpleConnection;

use super::{Backend, DbConnection, DbSetupError, backend_of, redact, sqlite_path};

/// Opens the database of `url` read-only: SQLite with `mode=ro` (the file must exist),
/// PostgreSQL with every transaction of the session read-only.
pub fn connect_read_only(url: &str) -> Result<DbConnection, DbSetupError> {
    let failed = |e: diesel::result::Error| DbSetupError::Establish(e.to_string());
    match backend_of(url) {
        Some(Backend::Sqlite) => {
            let path = sqlite_path(url).unwrap_or_default();
            if !path.is_file() {
                return Err(DbSetupError::Establish(format!(
                    "there is no database at {}",
                    path.display()
                )));
            }
            // diesel opens `sqlite://` URLs as SQLite URIs, which take the mode.
            let joiner = if url.contains('?') { '&' } else { '?' };
            let mut conn = DbConnection::establish(&format!("{url}{joiner}mode=ro"))
                .map_err(|e| DbSetupError::Establish(e.to_string()))?;
            conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA query_only = ON;")
                .map_err(failed)?;
            Ok(conn)
        }
        Some(Backend::Postgres) => {
            let mut conn =
                DbConnection::establish(url).map_err(|e| DbSetupError::Establish(e.to_string()))?;
            conn.batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                .map_err(failed)?;
            Ok(conn)
        }
        None => Err(DbSetupError::UnknownScheme(redact(url))),
    }
}
