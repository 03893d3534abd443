//! The database: one connection type over PostgreSQL and SQLite, the pool, migrations and the
//! write transaction every change runs in.

pub mod read_only;
pub mod schema;
pub mod stored_time;

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::Once;
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::migration::MigrationSource;
use diesel::r2d2::{
    ConnectionManager, CustomizeConnection, ManageConnection, Pool, PooledConnection,
};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel::{QueryableByName, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use parking_lot::ReentrantMutex;

use crate::error::{AppError, AppResult};

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Any advisory-lock key will do as long as it is ours alone: it keeps two servers starting at
/// the same moment from running the same migration twice.
const MIGRATION_LOCK_KEY: i64 = 0x0070_6b72_5f6d_6967;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<Connections>;
pub type PooledDb = PooledConnection<Connections>;

/// A connection back in the pool within this long of its last use is handed out again without
/// a `SELECT 1` first: under steady load the check would double the statements of a read, and a
/// connection that has just worked very likely still does. One that failed is never kept.
const RECENTLY_USED: Duration = Duration::from_secs(1);

/// Opens the pool's connections and decides which may be handed out again.
#[derive(Debug)]
pub struct Connections {
    opener: ConnectionManager<DbConnection>,
}

/// A connection the pool keeps, with what the pool needs to know of its last use.
pub struct KeptConnection {
    connection: DbConnection,
    returned_at: Instant,
    failed: bool,
}

impl KeptConnection {
    /// Marks the connection to be closed rather than reused: its work ended in an unexpected
    /// error, which may have been the connection itself (a database restart, a network cut).
    fn discard(&mut self) {
        self.failed = true;
    }
}

impl Deref for KeptConnection {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.connection
    }
}

impl DerefMut for KeptConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.connection
    }
}

impl ManageConnection for Connections {
    type Connection = KeptConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<KeptConnection, Self::Error> {
        Ok(KeptConnection {
            connection: self.opener.connect()?,
            returned_at: Instant::now(),
            failed: false,
        })
    }

    fn is_valid(&self, kept: &mut KeptConnection) -> Result<(), Self::Error> {
        if kept.returned_at.elapsed() < RECENTLY_USED {
            return Ok(());
        }
        self.opener.is_valid(&mut kept.connection)
    }

    fn has_broken(&self, kept: &mut KeptConnection) -> bool {
        kept.returned_at = Instant::now();
        kept.failed || self.opener.has_broken(&mut kept.connection)
    }
}

/// Runs a query, or a few, on the connection's own database type (`PgConnection` or
/// `SqliteConnection`) rather than through the two-database connection, which has diesel write
/// a statement's SQL text anew at every run, even when the statement is already prepared. Used
/// for the statements of the busiest requests.
///
/// `own` names the inner connection. The expression is written once and compiled once per
/// database, so it must suit both (raw SQL with `$1` or `?` would not). It is not a closure:
/// a `?` inside returns from the enclosing function.
macro_rules! on_own_backend {
    ($conn:expr, |$own:ident| $query:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres($own) => $query,
            $crate::db::DbConnection::Sqlite($own) => $query,
        }
    };
}
pub(crate) use on_own_backend;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error(
        "setting `database_url`: expected postgres://, postgresql:// or sqlite://PATH, got `{0}`"
    )]
    UnknownScheme(String),
    #[error("setting `database_url`: cannot create the folder {0}: {1}")]
    CreateFolder(String, std::io::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::r2d2::PoolError),
    #[error("cannot connect to the database: {0}")]
    Establish(String),
    #[error("cannot apply the migrations: {0}")]
    Migrate(String),
    #[error(
        "the database is not the registry's: it holds tables of another program ({0}) and none of \
         the registry's migrations. Nothing was changed; check `database_url`."
    )]
    NotOurs(String),
    #[error(
        "the database was migrated by a newer version of the registry (migrations {0} are unknown \
         to this one). Nothing was changed; run the newer version, or restore a backup made with \
         this one."
    )]
    Newer(String),
}

/// Which backend a URL names; `None` for anything else.
pub fn backend_of(url: &str) -> Option<Backend> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Backend::Postgres)
    } else if url.starts_with("sqlite://") {
        Some(Backend::Sqlite)
    } else {
        None
    }
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgres(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Runs `work` on a connection from the pool, waiting for one as long as the pool was told to.
/// After an unexpected failure the connection is closed rather than handed out again, so a
/// database restart costs each connection one request.
pub fn with_connection<T>(
    pool: &DbPool,
    work: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    with_kept_connection(pool.get()?, work)
}

/// As `with_connection`, waiting at most `wait` for the connection.
pub fn with_connection_within<T>(
    pool: &DbPool,
    wait: Duration,
    work: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    with_kept_connection(pool.get_timeout(wait)?, work)
}

/// Runs `work` on a connection already taken from the pool.
pub fn with_kept_connection<T>(
    mut kept: PooledDb,
    work: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    let result = work(&mut kept);
    if matches!(
        result,
        Err(AppError::Internal(_) | AppError::Unavailable(_))
    ) {
        kept.discard();
    }
    result
}

/// SQLite settings that hold per connection: enforce foreign keys, let readers run beside the
/// writer (WAL), wait for a busy writer instead of failing, and make every commit durable.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<KeptConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, kept: &mut KeptConnection) -> Result<(), diesel::r2d2::Error> {
        apply_sqlite_pragmas(kept).map_err(diesel::r2d2::Error::QueryError)
    }
}

fn apply_sqlite_pragmas(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    if let DbConnection::Sqlite(sqlite) = conn {
        sqlite.batch_execute(
            "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )?;
    }
    Ok(())
}

/// Opens a pool on the URL, whose users wait at most `wait` for a connection. For SQLite the
/// database file's folder is created when missing.
pub fn connect(url: &str, max_size: u32, wait: Duration) -> Result<DbPool, DbSetupError> {
    let backend = backend_of(url).ok_or_else(|| DbSetupError::UnknownScheme(redact(url)))?;
    if backend == Backend::Sqlite {
        stop_sqlite_memory_count();
        create_sqlite_folder(url)?;
    }
    let pool = Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(wait)
        .connection_customizer(Box::new(SqlitePragmas))
        .build(Connections {
            opener: ConnectionManager::new(url),
        })?;
    Ok(pool)
}

/// One connection without a pool, for commands that do one thing and exit: a pool keeps
/// threads opening connections in the background, and a process must not end under them.
pub fn connect_one(url: &str) -> Result<DbConnection, DbSetupError> {
    let backend = backend_of(url).ok_or_else(|| DbSetupError::UnknownScheme(redact(url)))?;
    if backend == Backend::Sqlite {
        stop_sqlite_memory_count();
        create_sqlite_folder(url)?;
    }
    let mut conn =
        DbConnection::establish(url).map_err(|e| DbSetupError::Establish(e.to_string()))?;
    // Before the pragmas: switching to WAL would already change another program's database.
    check_ours(&mut conn)?;
    apply_sqlite_pragmas(&mut conn).map_err(|e| DbSetupError::Establish(e.to_string()))?;
    Ok(conn)
}

/// SQLite counts the memory it uses under one lock for the whole process, on every allocation:
/// threads reading at once queued on it (8 % of a list page's time at 32 connections). Nothing
/// reads that count. It can only be switched off before SQLite starts, hence before the first
/// connection; later calls change nothing.
fn stop_sqlite_memory_count() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int. Once SQLite has started,
        // sqlite3_config returns SQLITE_MISUSE and changes nothing.
        unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0);
        }
    });
}

/// The database file of an SQLite URL; `None` for another backend.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://")?;
    Some(PathBuf::from(path.split('?').next().unwrap_or(path)))
}

fn create_sqlite_folder(url: &str) -> Result<(), DbSetupError> {
    let path = sqlite_path(url).unwrap_or_default();
    if let Some(folder) = path.parent()
        && !folder.as_os_str().is_empty()
    {
        std::fs::create_dir_all(folder)
            .map_err(|e| DbSetupError::CreateFolder(folder.display().to_string(), e))?;
    }
    Ok(())
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Applies every pending migration; returns how many ran. A database that another program made,
/// or that a newer version migrated, is refused before anything is written to it.
/// Applies the pending migrations that come before the one named `name` (its name without the
/// version, like `content_free_audit`): a database as an older release left it, for tests of
/// an upgrade.
pub fn run_migrations_before(conn: &mut DbConnection, name: &str) -> Result<usize, DbSetupError> {
    fn run_until<DB: diesel::backend::Backend>(
        conn: &mut impl MigrationHarness<DB>,
        source: EmbeddedMigrations,
        name: &str,
    ) -> Result<usize, DbSetupError> {
        let failed =
            |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migrate(e.to_string());
        let pending = conn.pending_migrations(source).map_err(failed)?;
        let mut applied = 0;
        for migration in pending {
            if migration.name().to_string().ends_with(name) {
                break;
            }
            conn.run_migration(&*migration).map_err(failed)?;
            applied += 1;
        }
        Ok(applied)
    }
    match conn {
        DbConnection::Postgres(pg) => run_until(pg, POSTGRES_MIGRATIONS, name),
        DbConnection::Sqlite(sqlite) => run_until(sqlite, SQLITE_MIGRATIONS, name),
    }
}

pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, DbSetupError> {
    let migrate_error = |e: diesel::result::Error| DbSetupError::Migrate(e.to_string());
    let postgres = conn.backend() == Backend::Postgres;
    if postgres {
        // Servers starting together: one migrates, the others wait and find nothing left to do.
        conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
            .map_err(migrate_error)?;
    }
    let applied = check_ours(conn).and_then(|()| apply_pending(conn));
    if postgres {
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
            .map_err(migrate_error)?;
    }
    applied
}

fn apply_pending(conn: &mut DbConnection) -> Result<usize, DbSetupError> {
    let applied = match conn {
        DbConnection::Postgres(pg) => pg.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE_MIGRATIONS),
    };
    applied
        .map(|versions| versions.len())
        .map_err(|e| DbSetupError::Migrate(e.to_string()))
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Refuses a database that holds tables but none of the registry's migrations (another
/// program's), or a migration this build does not know (a newer version's). An empty database
/// is the registry's to make.
fn check_ours(conn: &mut DbConnection) -> Result<(), DbSetupError> {
    let unreadable = |e: diesel::result::Error| DbSetupError::Migrate(e.to_string());
    let tables_query = match conn.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = current_schema()"
        }
    };
    // A file that is not a database at all fails here, and says so.
    let tables: Vec<String> = diesel::sql_query(tables_query)
        .load::<Name>(conn)
        .map_err(|e| DbSetupError::Establish(e.to_string()))?
        .into_iter()
        .map(|table| table.name)
        .collect();
    if tables.is_empty() {
        return Ok(());
    }
    if !tables
        .iter()
        .any(|table| table == "__diesel_schema_migrations")
    {
        let some: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
        return Err(DbSetupError::NotOurs(some.join(", ")));
    }
    let applied = diesel::sql_query("SELECT version AS name FROM __diesel_schema_migrations")
        .load::<Name>(conn)
        .map_err(unreadable)?;
    let known = known_versions(conn.backend())?;
    let unknown: Vec<String> = applied
        .into_iter()
        .map(|migration| migration.name)
        .filter(|version| !known.contains(version))
        .collect();
    if !unknown.is_empty() {
        return Err(DbSetupError::Newer(unknown.join(", ")));
    }
    Ok(())
}

/// The versions of the migrations this build carries, as the migrations table records them.
fn known_versions(backend: Backend) -> Result<Vec<String>, DbSetupError> {
    let unreadable =
        |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migrate(e.to_string());
    let versions = match backend {
        Backend::Postgres => MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
            .map_err(unreadable)?
            .iter()
            .map(|migration| migration.name().version().to_string())
            .collect(),
        Backend::Sqlite => {
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
                .map_err(unreadable)?
                .iter()
                .map(|migration| migration.name().version().to_string())
                .collect()
        }
    };
    Ok(versions)
}

/// True when every migration this build knows has been applied.
pub fn migrations_current(conn: &mut DbConnection) -> Result<bool, DbSetupError> {
    let pending = match conn {
        DbConnection::Postgres(pg) => pg.has_pending_migration(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(sqlite) => sqlite.has_pending_migration(SQLITE_MIGRATIONS),
    };
    pending
        .map(|pending| !pending)
        .map_err(|e| DbSetupError::Migrate(e.to_string()))
}

/// SQLite lets one writer in at a time. The others waited in its busy handler, which sleeps and
/// retries (up to 100 ms a sleep), so the lock often sat free while they slept and an unlucky
/// writer waited through many commits (create p99 0.4 to 1 s under load). The server's own
/// writers queue here instead, and the next starts as soon as the last commits (p99 20 ms).
/// One queue for the process, as a server has one database: the test suite's many databases
/// merely take turns. Writers in other processes (a command, another server) still meet in the
/// busy handler. Re-entrant, so that a write transaction begun inside another fails as SQLite
/// refuses it, rather than waiting for itself.
static SQLITE_WRITERS: ReentrantMutex<()> = ReentrantMutex::new(());

/// Runs `work` in one transaction: everything in it, the change and its audit record, commits or
/// rolls back together. On SQLite the transaction starts with `BEGIN IMMEDIATE`, so it takes the
/// write lock first and waits for it instead of failing half-way when another writer committed
/// after it read.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let _permit = match conn {
        DbConnection::Sqlite(sqlite) => {
            let permit = SQLITE_WRITERS.lock();
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
            Some(permit)
        }
        DbConnection::Postgres(_) => {
            <DbConnection as Connection>::TransactionManager::begin_transaction(conn)?;
            None
        }
    };
    finish(conn, work)
}

/// Runs `work` in the transaction just begun, then commits it, or rolls it back on an error.
fn finish<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match work(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            match <DbConnection as Connection>::TransactionManager::rollback_transaction(conn) {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
                Err(rollback_error) => Err(rollback_error.into()),
            }
        }
    }
}

/// Runs `work`, a read of several statements, in one transaction that sees one snapshot, so
/// that the parts of a page (a case and its steps, an incident and its victims) agree with each
/// other even while officers write: on PostgreSQL a read-only `REPEATABLE READ` transaction (its
/// default, `READ COMMITTED`, takes a new snapshot at each statement); on SQLite a read
/// transaction sees one state of the file from its first read on.
pub fn read_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let outermost =
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()?
            .is_none();
    match conn {
        // Begun as such in one statement: a page's every round trip counts. Inside another
        // transaction it is a savepoint of that one, below.
        DbConnection::Postgres(pg) if outermost => AnsiTransactionManager::begin_transaction_sql(
            pg,
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        )?,
        _ => <DbConnection as Connection>::TransactionManager::begin_transaction(conn)?,
    }
    finish(conn, work)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_chooses_the_backend() {
        assert_eq!(backend_of("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(backend_of("postgresql://u@h/db"), Some(Backend::Postgres));
        assert_eq!(
            backend_of("sqlite://data/registry.sqlite3"),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            backend_of("sqlite:///srv/registry.sqlite3"),
            Some(Backend::Sqlite)
        );
        assert_eq!(backend_of("mysql://u@h/db"), None);
        assert_eq!(backend_of("data/registry.sqlite3"), None);
    }

    #[derive(QueryableByName)]
    struct Used {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        used: i32,
    }

    /// The planner's stability guarantee (set for the build in `.cargo/config.toml`): without
    /// it SQLite compiles every statement with a `LIMIT` again at each run.
    #[test]
    fn the_bundled_sqlite_keeps_its_query_plans() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let answer: Used =
            diesel::sql_query("SELECT sqlite_compileoption_used('ENABLE_QPSG') AS used")
                .get_result(&mut conn)
                .unwrap();
        assert_eq!(answer.used, 1);
    }
}
