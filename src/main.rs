//! The `peacekeeper-registry` command: parses the command line and calls the library.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpServer, web};
use clap::{Parser, Subcommand};

use peacekeeper_registry::auth::accounts::{self, NewAccount};
use peacekeeper_registry::checkpoints::{self, Checkpointer};
use peacekeeper_registry::clock::{Clock, SystemClock};
use peacekeeper_registry::config::{LogFormat, Settings};
use peacekeeper_registry::db::{self, DbConnection, DbPool};
use peacekeeper_registry::domain::access::{Clearance, Role, one_of};
use peacekeeper_registry::error::AppError;
use peacekeeper_registry::import::un_fatalities;
use peacekeeper_registry::services::exports::OpenExports;
use peacekeeper_registry::services::{audit as audit_service, imports};
use peacekeeper_registry::store::audit::{self, AuditContext};
use peacekeeper_registry::store::backup;
use peacekeeper_registry::store::files::FileStore;
use peacekeeper_registry::{AppState, app};

mod audit_commands;
mod summary_commands;

use audit_commands::{baseline, checkpoint, keygen, verify_audit, verify_checkpoints};

/// The Peacekeeper Safety Incident Registry: attacks on UN peacekeepers and every case's road
/// to justice.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A configuration file (TOML) read over config/default.toml; PKR_* variables override both.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve HTTP (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Bring in an official dataset.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Check or rebuild the figures the summaries read.
    #[command(subcommand)]
    Summary(SummaryCommand),
    /// SQLite: write a consistent copy of the database and the case documents into FILE (an
    /// archive), while servers keep running. PostgreSQL: explains the commands to use.
    Backup {
        /// The archive to write; never overwritten.
        file: PathBuf,
    },
    /// SQLite: restore an archive `backup` wrote into the configured database, which must not
    /// exist yet, and the document folder. PostgreSQL: explains the commands to use.
    Restore {
        /// The archive to read.
        file: PathBuf,
    },
    /// Ask the running server on `listen` whether it is ready: exit 0 when /readyz answers 200
    /// (for container health checks, where no HTTP client is installed).
    Healthcheck,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from standard input (one line).
    Create {
        #[arg(long)]
        username: String,
        /// admin, security_officer, legal_officer, leadership, auditor or state_focal_point.
        #[arg(long)]
        role: String,
        /// The State a focal point speaks for (ISO 3166-1 alpha-3, like CIV): required for
        /// state_focal_point, refused for the other roles.
        #[arg(long, value_name = "ISO3")]
        state: Option<String>,
        /// A mission the user works on; repeat for several. Security officers, legal officers
        /// and leadership need at least one, or --all-missions.
        #[arg(long = "mission", value_name = "CODE")]
        missions: Vec<String>,
        /// The account works on every mission (headquarters): security officers, legal
        /// officers and leadership only.
        #[arg(long)]
        all_missions: bool,
        /// unclassified, confidential or strictly_confidential.
        #[arg(long, default_value = "unclassified")]
        clearance: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions.
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Take away the second factor of a user who lost it, and end their sessions: they sign in
    /// without a code, and administrators and focal points set up a new one first.
    ResetSecondFactor {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// The UN's official list of peacekeeper fatalities (CSV): each mission's malicious acts of a
    /// day become one verified incident, each death a victim. Says what it did with every row;
    /// a second import of the same file creates nothing.
    UnFatalities {
        /// The CSV file, as published (DPPADPOSS-FATALITIES.csv).
        file: PathBuf,
        /// Do everything, report it, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SummaryCommand {
    /// Compare the figures the database keeps for the summaries with a recount of the
    /// records: exit 0 when they agree, 1 naming the first difference.
    Check,
    /// Count those figures again from the records: after a restore, or a repair by hand.
    Rebuild,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the whole hash chain, rehash every stored version snapshot and every document,
    /// and check every incident, case and account against the latest snapshot its audit records
    /// prove: exit 0 when all is whole, 1 naming what is not.
    Verify {
        /// Also check every signed checkpoint in the files of DIR against the chain. The
        /// database is then only read: no migration, no sealing, so a read-only role will do
        /// (and the documents are left to plain `audit verify`).
        #[arg(long, value_name = "DIR", requires = "public_key")]
        checkpoints: Option<PathBuf>,
        /// The public key that signed the checkpoints (the FILE.pub of `audit keygen`).
        #[arg(long, value_name = "FILE", requires = "checkpoints")]
        public_key: Option<PathBuf>,
    },
    /// Make an Ed25519 key pair for signed checkpoints: the private key in FILE (PKCS#8 PEM,
    /// mode 0600), the public key in FILE.pub. Never overwrites a file.
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Seal pending records, then sign the chain head into `audit_checkpoint_folder`.
    Checkpoint {
        /// Start a new series, after a restore: its first line names the old series' last
        /// checkpoint, and the last of them the restored chain still gives.
        #[arg(long, requires = "reason")]
        new_series: bool,
        /// Why a new series begins; signed into its first line.
        #[arg(long, value_name = "TEXT", requires = "new_series")]
        reason: Option<String>,
    },
    /// Append an `audit.baseline` record, with its snapshot's hash, for every incident, case and
    /// account: for records written straight into the database (a bulk load), so that the trail
    /// proves them from now on.
    Baseline,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_logs(&settings);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::User(command) => user(&settings, command),
        Command::Audit(AuditCommand::Verify {
            checkpoints: Some(folder),
            public_key: Some(public_key),
        }) => return verify_checkpoints(&settings, &folder, &public_key),
        Command::Audit(AuditCommand::Verify { .. }) => return verify_audit(&settings),
        Command::Audit(AuditCommand::Keygen { out }) => keygen(&out),
        Command::Audit(AuditCommand::Checkpoint { reason, .. }) => checkpoint(&settings, reason),
        Command::Audit(AuditCommand::Baseline) => baseline(&settings),
        Command::Import(ImportCommand::UnFatalities {
            file,
            dry_run,
            json,
        }) => import_un_fatalities(&settings, &file, dry_run, json),
        Command::Summary(SummaryCommand::Check) => return summary_commands::check(&settings),
        Command::Summary(SummaryCommand::Rebuild) => summary_commands::rebuild(&settings),
        Command::Backup { file } => backup(&settings, &file),
        Command::Restore { file } => restore(&settings, &file),
        Command::Healthcheck => healthcheck(&settings),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::new(&settings.log_filter);
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.init(),
    }
}

/// One connection, with the migrations applied, for the commands that do one thing and exit.
/// Records written before audit records proved their content get their baseline here, at the
/// first start after the upgrade (nothing to do afterwards).
fn connect_migrated(settings: &Settings) -> Result<DbConnection, String> {
    let mut conn = connect_and_migrate(settings)?;
    let started = std::time::Instant::now();
    let covered = audit_service::write_baseline(&mut conn, SystemClock.now()).map_err(describe)?;
    if covered > 0 {
        // Linked into the chain now, rather than by the servers while they serve.
        audit::seal_pending(&mut conn).map_err(|e| e.to_string())?;
        audit::refresh_statistics(&mut conn).map_err(|e| e.to_string())?;
        tracing::info!(
            covered,
            seconds = started.elapsed().as_secs_f64(),
            "audit baseline written for records that had none"
        );
    }
    Ok(conn)
}

/// One connection, with the migrations applied and nothing else written: what `audit verify`
/// checks must be the trail as it was found.
fn connect_and_migrate(settings: &Settings) -> Result<DbConnection, String> {
    let mut conn = db::connect_one(&settings.database_url).map_err(|e| e.to_string())?;
    let applied = db::run_migrations(&mut conn).map_err(|e| e.to_string())?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    Ok(conn)
}

fn migrate(settings: &Settings) -> Result<(), String> {
    connect_migrated(settings)?;
    println!("migrations are up to date");
    Ok(())
}

fn serve(settings: Settings) -> Result<(), String> {
    let checkpointer = Checkpointer::from_settings(&settings).map_err(|e| e.to_string())?;
    limit_memory_arenas(db::backend_of(&settings.database_url));
    connect_migrated(&settings)?;
    let pool = db::connect(
        &settings.database_url,
        settings.pool_size,
        settings.database_timeout(),
    )
    .map_err(|e| e.to_string())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        if let Some(password) =
            accounts::create_first_admin(&mut conn, clock.now()).map_err(describe)?
        {
            // Shown once, on the terminal only: never logged.
            println!("First start: created the administrator account `admin`.");
            println!("  password: {password}");
            println!("  It must be changed at first sign-in (POST /api/v1/me/password).");
        }
    }
    // Prepare the stand-in hash now, so the first unknown-user sign-in costs what any other does.
    peacekeeper_registry::auth::password::verify_against_dummy("");
    peacekeeper_registry::web::i18n::Lang::load();
    let seal_every = Duration::from_secs(settings.audit_seal_interval_seconds.into());
    let checkpoint_every = Duration::from_secs(settings.audit_checkpoint_interval_seconds.into());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let state = AppState::new(pool.clone(), settings.clone(), clock);
    let (open_exports, clock) = (Arc::clone(&state.open_exports), Arc::clone(&state.clock));
    let sealing = pool.clone();
    let signing = (pool.clone(), Arc::clone(&clock));
    let served = actix_web::rt::System::new().block_on(async move {
        let mut server = HttpServer::new(move || app(state.clone()))
            .workers(workers)
            // Send each part of an answer at once: with Nagle's algorithm a streamed export
            // waited for the client's delayed acknowledgement, about 40 ms an answer.
            .tcp_nodelay(true)
            // On SIGTERM: stop accepting, let requests in flight finish, then exit.
            .shutdown_timeout(settings.shutdown_grace_seconds.into())
            .bind(settings.listen_addr())
            .map_err(|e| {
                format!(
                    "setting `listen`: cannot listen on {}: {e}",
                    settings.listen
                )
            })?;
        let metrics_addr = settings.metrics_listen_addr();
        if let Some(addr) = metrics_addr {
            server = server
                .bind(addr)
                .map_err(|e| format!("setting `metrics_listen`: cannot listen on {addr}: {e}"))?;
        }
        for addr in server.addrs() {
            if Some(addr) == metrics_addr {
                println!("Metrics on http://{addr}/metrics");
            } else {
                println!("Listening on http://{addr}");
            }
        }
        actix_web::rt::spawn(seal_audit_trail(sealing, seal_every));
        if let Some(checkpointer) = checkpointer {
            let (pool, clock) = signing;
            actix_web::rt::spawn(checkpoints::sign_every(
                pool,
                Arc::new(checkpointer),
                checkpoint_every,
                clock,
            ));
        }
        server.run().await.map_err(|e| e.to_string())
    });
    record_exports_cut_short(&pool, &open_exports, clock.now());
    served
}

/// Exports still running when the shutdown's grace ran out were dropped with the workers: their
/// end is recorded now, so that the audit trail says they were cut short, and where.
fn record_exports_cut_short(pool: &DbPool, open: &OpenExports, now: chrono::NaiveDateTime) {
    match db::with_connection(pool, |conn| open.end_all(conn, now)) {
        Ok(0) => {}
        Ok(count) => tracing::warn!(
            count,
            "exports cut short by the shutdown, recorded as incomplete"
        ),
        Err(error) => tracing::error!(
            error = %error,
            "exports cut short by the shutdown could not be recorded"
        ),
    }
}

/// glibc gives each thread that allocates under contention an arena of its own, up to eight per
/// core, and keeps what an arena has freed for that arena. On SQLite the database sorts and
/// counts in the server's own memory, on many blocking threads: one arena per core keeps the
/// peak under 150 MB in the load benchmark, where four per core did not. On PostgreSQL the
/// server's memory is small, and four per core gave the list pages a lower tail than one.
/// An operator's own `MALLOC_ARENA_MAX` is left to glibc.
fn limit_memory_arenas(backend: Option<db::Backend>) {
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = backend;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let per_core = match backend {
            Some(db::Backend::Postgres) => 4,
            _ => 1,
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let arenas = libc::c_int::try_from(cores * per_core).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only changes the allocator's tuning; M_ARENA_MAX takes any positive
        // count, and allocations made before keep their arenas.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

/// Links new audit records into the hash chain, every few seconds, off the request path.
async fn seal_audit_trail(pool: DbPool, every: Duration) {
    let mut ticks = actix_web::rt::time::interval(every);
    loop {
        ticks.tick().await;
        let pool = pool.clone();
        let sealed =
            web::block(move || db::with_connection(&pool, |conn| Ok(audit::seal_pending(conn)?)))
                .await;
        match sealed {
            Ok(Ok(0)) => {}
            Ok(Ok(count)) => tracing::debug!(count, "audit records sealed"),
            Ok(Err(e)) => tracing::warn!(error = %e, "sealing the audit trail failed; will retry"),
            Err(e) => tracing::warn!(error = %e, "sealing the audit trail failed; will retry"),
        }
    }
}

fn describe(error: AppError) -> String {
    match error {
        AppError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Conflict(why) | AppError::Forbidden(why) => why,
        AppError::NotFound => "no such account".to_string(),
        other => other.to_string(),
    }
}

fn user(settings: &Settings, command: UserCommand) -> Result<(), String> {
    let mut conn = connect_migrated(settings)?;
    let now = SystemClock.now();
    match command {
        UserCommand::Create {
            username,
            role,
            missions,
            all_missions,
            state,
            clearance,
            password_stdin,
        } => {
            let role = Role::from_code(&role)
                .ok_or_else(|| format!("--role {}", one_of(Role::ALL.map(Role::code))))?;
            let clearance = Clearance::from_code(&clearance).ok_or_else(|| {
                format!(
                    "--clearance {}",
                    one_of(Clearance::ALL.map(Clearance::code))
                )
            })?;
            if !password_stdin {
                return Err("give the password on standard input with --password-stdin".to_string());
            }
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .map_err(|e| format!("cannot read the password: {e}"))?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let checked = accounts::check_new_account(NewAccount {
                username,
                password,
                role,
                clearance,
                missions,
                all_missions,
                state,
                must_change_password: false,
            })
            .map_err(describe)?;
            let created =
                accounts::create_user(&mut conn, &AuditContext::system(now, "cli"), checked)
                    .map_err(describe)?;
            println!(
                "created user `{}` ({}) with id {}",
                created.user.username, created.user.role, created.user.id
            );
        }
        UserCommand::Disable { username } => {
            accounts::disable_user(&mut conn, &AuditContext::system(now, "cli"), &username)
                .map_err(describe)?;
            println!("disabled user `{username}`; their sessions are ended");
        }
        UserCommand::ResetSecondFactor { username } => {
            accounts::reset_second_factor(&mut conn, &AuditContext::system(now, "cli"), &username)
                .map_err(describe)?;
            println!("took away the second factor of `{username}`; their sessions are ended");
        }
    }
    Ok(())
}

fn import_un_fatalities(
    settings: &Settings,
    file: &std::path::Path,
    dry_run: bool,
    json: bool,
) -> Result<(), String> {
    let started = std::time::Instant::now();
    let reader = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let plan = un_fatalities::plan(std::io::BufReader::new(reader))
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let mut conn = connect_migrated(settings)?;
    let now = SystemClock.now();
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let report = imports::import(
        &mut conn,
        &AuditContext::system(now, "import"),
        plan,
        &file_name,
        dry_run,
        now,
    )
    .map_err(describe)?;
    if json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        println!("{text}");
        return Ok(());
    }
    print!("{}", imports::describe(&report));
    println!("took {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn backup(settings: &Settings, file: &Path) -> Result<(), String> {
    if db::backend_of(&settings.database_url) == Some(db::Backend::Postgres) {
        return Err(postgres_backup_explained(settings));
    }
    if let Some(path) = db::sqlite_path(&settings.database_url)
        && !path.exists()
    {
        return Err(format!(
            "there is no database at {} (setting `database_url`)",
            path.display()
        ));
    }
    // No migrations: a backup copies the registry as it is.
    let mut conn = db::connect_one(&settings.database_url).map_err(|e| e.to_string())?;
    let documents = FileStore::new(&settings.document_folder);
    let report = backup::backup(&mut conn, &documents, file).map_err(|e| e.to_string())?;
    println!(
        "backed up to {}: the database ({} KiB) and {} documents",
        file.display(),
        report.database_bytes / 1024,
        report.documents
    );
    Ok(())
}

fn restore(settings: &Settings, file: &Path) -> Result<(), String> {
    let Some(database) = db::sqlite_path(&settings.database_url) else {
        return Err(postgres_backup_explained(settings));
    };
    let documents = FileStore::new(&settings.document_folder);
    let report = backup::restore(file, &database, &documents).map_err(|e| e.to_string())?;
    println!(
        "restored from {}: the database ({} KiB) into {} and {} documents into {}",
        file.display(),
        report.database_bytes / 1024,
        database.display(),
        report.documents,
        settings.document_folder
    );
    println!("check it with: peacekeeper-registry audit verify");
    Ok(())
}

/// On PostgreSQL the database's own tools back up and restore; what to run, with this
/// registry's database (its password left out) and document folder.
fn postgres_backup_explained(settings: &Settings) -> String {
    let url = db::redact(&settings.database_url);
    let documents = &settings.document_folder;
    format!(
        "on PostgreSQL the registry is backed up with PostgreSQL's own tools, while it runs:\n\
         \x20 pg_dump --format=custom --file registry.dump '{url}'\n\
         \x20 then copy the document folder, after the dump: cp -a {documents} documents-backup\n\
         and restored into a new, empty database:\n\
         \x20 createdb registry_restored\n\
         \x20 pg_restore --no-owner --exit-on-error --dbname 'postgres://…/registry_restored' registry.dump\n\
         \x20 cp -a documents-backup/. {documents}/\n\
         then point database_url at it and run: peacekeeper-registry audit verify\n\
         (docs/operations.md says more; nothing was written)"
    )
}

fn healthcheck(settings: &Settings) -> Result<(), String> {
    use std::io::{Read, Write};
    let mut addr = settings.listen_addr();
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let timeout = Duration::from_secs(3);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("cannot reach {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    let status_line = answer.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!("not ready: {status_line}"))
    }
}
