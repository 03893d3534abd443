//! What every request can reach: the pool and the permits to use it, the settings, the
//! clock, and what the server remembers between requests.

use std::sync::Arc;

use actix_web::web::{self as actix, Data};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, DbConnection, DbPool};
use crate::error::{AppError, AppResult};
use crate::store::files::FileStore;
use crate::{auth, metrics, services, throttle};

/// What every request can reach.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    /// Where case documents are kept (`document_folder`).
    pub documents: FileStore,
    pub throttles: Arc<throttle::Throttles>,
    /// Permits for password work, one fewer than the cores (see `with_password_permit`).
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// Exports begun and not yet recorded as ended.
    pub open_exports: Arc<services::exports::OpenExports>,
    /// The summaries' counts, one at a time, shared by the requests asked before each began.
    pub summaries: Arc<services::summary::SummaryCounts>,
    /// The annual report's rows already counted, likewise.
    pub annual_reports: Arc<services::annual_report::ReportCache>,
    /// Sessions checked within the last second.
    pub recent_sessions: Arc<auth::recent_sessions::RecentSessions>,
    /// The missions as read within the last second.
    pub recent_missions: Arc<services::missions::RecentMissions>,
    /// What the server tells its monitoring (`GET /metrics`).
    pub metrics: Arc<metrics::Metrics>,
    /// The address that serves the metrics alone, if any (read once from the settings).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// permits for database work, one per pooled connection (see `run`).
    database_permits: Arc<tokio::sync::Semaphore>,
}

/// A permit to use the database (see `AppState::run`): held until the work ends.
struct DatabasePermit {
    permit: tokio::sync::OwnedSemaphorePermit,
    asked: std::time::Instant,
    deadline: std::time::Instant,
}

impl AppState {
    pub fn new(pool: DbPool, settings: Settings, clock: Arc<dyn Clock>) -> Data<AppState> {
        // Registering fixed names in a fresh registry fails only if two share a name.
        let metrics = Arc::new(metrics::Metrics::new().expect("the metrics have distinct names"));
        Data::new(AppState {
            database_permits: Arc::new(tokio::sync::Semaphore::new(pool.max_size() as usize)),
            metrics_addr: settings.metrics_listen_addr(),
            pool,
            throttles: Arc::new(throttle::Throttles::new(&settings, clock.clone())),
            documents: FileStore::new(&settings.document_folder),
            settings: Arc::new(settings),
            password_checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |cores| cores.get().max(2) - 1),
            )),
            open_exports: Arc::default(),
            summaries: Arc::new(services::summary::new_counts(
                metrics.summaries_counted.clone(),
                clock.clone(),
            )),
            annual_reports: Arc::new(services::annual_report::new_cache(
                metrics.annual_reports_counted.clone(),
                clock.clone(),
            )),
            recent_sessions: Arc::new(auth::recent_sessions::RecentSessions::new(clock.clone())),
            recent_missions: Arc::new(services::missions::RecentMissions::new(clock.clone())),
            metrics,
            clock,
        })
    }

    /// Runs password work (Argon2) on a blocking thread in a password permit, holding no
    /// database connection. Argon2 takes a core and about 19 MiB for each hash: with one core
    /// always left to the other requests, a storm of sign-ins waits its turn instead of
    /// starving everyone else.
    pub async fn with_password_permit<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let waiting = self.metrics.waiting_for_password_check();
        let permit = Arc::clone(&self.password_checks).acquire_owned().await;
        drop(waiting);
        let permit = permit.map_err(AppError::internal)?;
        // The permit goes with the work, as in `run`.
        Ok(actix::block(move || {
            let _permit = permit;
            work()
        })
        .await?)
    }

    /// Runs database work on the blocking thread pool, never on the async workers. Requests
    /// take permits first, in the order they came, one per pooled connection: more threads than
    /// connections would only wait for one, each with its own memory, and be woken in no
    /// particular order, which under load made the slowest answers several times the typical.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.wait_for_database().await?;
        self.run_with_permit(permit, work).await
    }

    /// How many requests hold a permit to use the database now.
    pub fn database_permits_in_use(&self) -> usize {
        self.pool.max_size() as usize - self.database_permits.available_permits()
    }

    /// Waits for a permit to use the database, in the order asked. One deadline for the permit and the
    /// connection: in an outage the answer is a 503 within `database_timeout_seconds`, not one
    /// wait after the other.
    async fn wait_for_database(&self) -> AppResult<DatabasePermit> {
        let wait = self.settings.database_timeout();
        let asked = std::time::Instant::now();
        let permits = Arc::clone(&self.database_permits);
        let waiting = self.metrics.waiting_for_database();
        let acquired = actix_web::rt::time::timeout(wait, permits.acquire_owned()).await;
        drop(waiting);
        let permit = acquired
            .map_err(|_| {
                self.metrics.database_wait.observe(wait.as_secs_f64());
                AppError::Unavailable("no database connection came free".to_string())
            })?
            .map_err(AppError::internal)?;
        Ok(DatabasePermit {
            permit,
            asked,
            deadline: asked + wait,
        })
    }

    /// Runs work on the blocking thread pool with a permit already taken.
    async fn run_with_permit<T, F>(&self, permit: DatabasePermit, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let waited = self.metrics.database_wait.clone();
        // The permit goes with the work: it ends when the work does, even if the request is gone.
        actix::block(move || {
            let DatabasePermit {
                permit: _permit,
                asked,
                deadline,
            } = permit;
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            db::with_connection_within(&pool, left, |conn| {
                waited.observe(asked.elapsed().as_secs_f64());
                work(conn)
            })
        })
        .await?
    }

    /// Runs a read of a few rows by key that writes nothing. SQLite answers within the process
    /// in microseconds, and in WAL mode its readers never wait for the writer: there the read
    /// waits for a permit as `run` does, then runs on the HTTP worker itself when a connection is
    /// free, since the hop to a blocking thread and back costs more than the read. Otherwise, and always on PostgreSQL, whose answer is a
    /// round trip away, it runs as `run` does.
    pub async fn run_quick_read<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if db::backend_of(&self.settings.database_url) != Some(db::Backend::Sqlite) {
            return self.run(work).await;
        }
        // Waiting for the permit rather than going to a blocking thread when none is free: the
        // permits are handed out in order, so once a few requests wait for one, every read
        // after them would find none free and take the slow way too, in bursts.
        let permit = self.wait_for_database().await?;
        match self.pool.try_get() {
            Some(kept) => {
                let _permit = permit.permit;
                self.metrics
                    .database_wait
                    .observe(permit.asked.elapsed().as_secs_f64());
                db::with_kept_connection(kept, work)
            }
            None => self.run_with_permit(permit, work).await,
        }
    }

    /// Runs work that ends sessions or changes accounts, then forgets the sessions this server
    /// checked lately, so that the change holds from the next request on.
    pub async fn change_accounts<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let recent_sessions = Arc::clone(&self.recent_sessions);
        self.run_then(work, move || recent_sessions.forget_all())
            .await
    }

    /// Runs work that adds or changes missions (or may: an import), then forgets the missions
    /// this server read lately, so that the next incident is checked against the change.
    pub async fn change_missions<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let recent_missions = Arc::clone(&self.recent_missions);
        self.run_then(work, move || recent_missions.forget_all())
            .await
    }

    /// Runs database work, then `after` on the same blocking thread once the work has ended
    /// (committed or not): also when the request is gone meanwhile.
    async fn run_then<T, F, A>(&self, work: F, after: A) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        A: FnOnce() + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| {
            let result = work(conn);
            after();
            result
        })
        .await
    }
}
