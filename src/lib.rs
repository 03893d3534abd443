//! The Peacekeeper Safety Incident Registry: the library behind the `peacekeeper-registry`
//! binary. `app` builds the HTTP application for the server and for the tests alike.

pub mod api;
pub mod auth;
pub mod checkpoints;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod import;
pub mod metrics;
pub mod recently_read;
pub mod services;
pub mod store;
pub mod throttle;
pub mod web;

use std::sync::Arc;

use actix_web::App;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::web::{self as actix, Data};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{DbConnection, DbPool};
use crate::error::{AppError, AppResult};
use crate::store::users::UserWithMissions;

/// What every request can reach.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub throttles: Arc<throttle::Throttles>,
    /// Turns for password work, one fewer than the cores (see `in_password_turn`).
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// Exports begun and not yet recorded as ended.
    pub open_exports: Arc<services::exports::OpenExports>,
    /// Summaries already counted, while the registry has not changed.
    pub summaries: Arc<services::summary::SummaryCache>,
    /// Sessions checked within the last second.
    pub recent_sessions: Arc<auth::recent_sessions::RecentSessions>,
    /// The missions as read within the last second.
    pub recent_missions: Arc<services::missions::RecentMissions>,
    /// What the server tells its monitoring (`GET /metrics`).
    pub metrics: Arc<metrics::Metrics>,
    /// The address that serves the metrics alone, if any (read once from the settings).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Turns for database work, one per pooled connection (see `run`).
    database_turns: Arc<tokio::sync::Semaphore>,
}

/// A turn at the database (see `AppState::run`): held until the work ends.
struct DatabaseTurn {
    permit: tokio::sync::OwnedSemaphorePermit,
    asked: std::time::Instant,
    deadline: std::time::Instant,
}

impl AppState {
    pub fn new(pool: DbPool, settings: Settings, clock: Arc<dyn Clock>) -> Data<AppState> {
        // Registering fixed names in a fresh registry fails only if two share a name.
        let metrics = Arc::new(metrics::Metrics::new().expect("the metrics have distinct names"));
        Data::new(AppState {
            database_turns: Arc::new(tokio::sync::Semaphore::new(pool.max_size() as usize)),
            metrics_addr: settings.metrics_listen_addr(),
            pool,
            throttles: Arc::new(throttle::Throttles::new(&settings)),
            settings: Arc::new(settings),
            clock,
            password_checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |cores| cores.get().max(2) - 1),
            )),
            open_exports: Arc::default(),
            summaries: Arc::new(services::summary::SummaryCache::new(
                metrics.summaries_counted.clone(),
            )),
            recent_sessions: Arc::default(),
            recent_missions: Arc::default(),
            metrics,
        })
    }

    /// Runs password work (Argon2) on a blocking thread in a password turn, holding no
    /// database connection. Argon2 takes a core and about 19 MiB for each hash: with one core
    /// always left to the other requests, a storm of sign-ins waits its turn instead of
    /// starving everyone else.
    pub async fn in_password_turn<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let turn = Arc::clone(&self.password_checks)
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        // The turn goes with the work, as in `run`.
        Ok(actix::block(move || {
            let _turn = turn;
            work()
        })
        .await?)
    }

    /// Checks a sign-in and counts a refusal, in three steps: the account is read in a
    /// database turn, the password checked in a password turn holding no connection, and the
    /// attempt recorded (and the session started) in a database turn. A storm of sign-ins so
    /// takes no connection from under the requests waiting their turn. The steps run as a task
    /// of their own: a client that leaves once its password was checked still has the attempt
    /// recorded, and counted towards the lockout.
    pub async fn sign_in(
        state: &Data<AppState>,
        request: auth::RequestMeta,
        username: String,
        password: String,
    ) -> AppResult<auth::accounts::NewSession> {
        let state = Data::clone(state);
        let steps = actix_web::rt::spawn(async move {
            let settings = state.settings.clone();
            let name = username.clone();
            let account = state
                .run(move |conn| auth::accounts::find_account(conn, &name))
                .await?;
            let (account, password_ok) = state
                .in_password_turn(move || {
                    let password_ok = auth::accounts::check_password(account.as_ref(), &password);
                    (account, password_ok)
                })
                .await?;
            // The turns may have taken a while: the session starts now.
            let now = state.clock.now();
            let outcome = state
                .run(move |conn| {
                    auth::accounts::finish_sign_in(
                        conn,
                        &settings,
                        now,
                        &request,
                        &username,
                        account,
                        password_ok,
                    )
                })
                .await;
            if matches!(outcome, Err(AppError::Unauthorized)) {
                state.metrics.failed_sign_ins.inc();
            }
            outcome
        });
        steps.await.map_err(AppError::internal)?
    }

    /// Changes the user's own password in three steps, as `sign_in` checks one: the account
    /// is read in a database turn, the current password checked and the new one hashed in a
    /// password turn holding no connection, and the change (or the count of a wrong current
    /// password) written in a database turn, after which the sessions this server checked
    /// lately are forgotten. A task of its own, so a wrong password is counted even when the
    /// client leaves.
    pub async fn change_own_password(
        state: &Data<AppState>,
        user: auth::AuthUser,
        current: String,
        new: String,
    ) -> AppResult<auth::accounts::NewSession> {
        use auth::accounts;
        let state = Data::clone(state);
        let steps = actix_web::rt::spawn(async move {
            let (settings, now) = (state.settings.clone(), state.clock.now());
            let reader = user.clone();
            let stored = state
                .run(move |conn| accounts::account_for_password_change(conn, &reader, now))
                .await?;
            let check = state
                .in_password_turn(move || accounts::check_password_change(&stored, &current, &new))
                .await??;
            // The turns may have taken a while: the change happens now.
            let now = state.clock.now();
            state
                .change_accounts(move |conn| {
                    accounts::finish_password_change(conn, &settings, &user, check, now)
                })
                .await
        });
        steps.await.map_err(AppError::internal)?
    }

    /// Creates an account for `creator` (an administrator) in two steps: its username and
    /// password checked and the password hashed in a password turn holding no connection, then
    /// its missions checked and the account written in a database turn.
    pub async fn create_account(
        &self,
        creator: &auth::AuthUser,
        account: auth::accounts::NewAccount,
    ) -> AppResult<UserWithMissions> {
        let checked = self
            .in_password_turn(move || auth::accounts::check_new_account(account))
            .await??;
        let context = creator.audit(self.clock.now());
        self.run(move |conn| auth::accounts::create_user(conn, &context, checked))
            .await
    }

    /// The summary `user` asked for. A count of a million incidents takes seconds: the
    /// requests that find no figures counted wait for their turn to count without holding a
    /// database connection, which those waiting behind a count would otherwise keep from
    /// everyone else until they timed out. Once it is their turn, the figures are usually there.
    pub async fn summary(
        &self,
        user: &auth::AuthUser,
        request: services::summary::SummaryRequest,
        now: chrono::NaiveDateTime,
    ) -> AppResult<Arc<services::summary::Summary>> {
        let (reader, asked, cache) = (user.clone(), request.clone(), self.summaries.clone());
        let counted = self
            .run(move |conn| {
                services::summary::summary_if_counted(conn, &reader, asked, now, &cache)
            })
            .await?;
        if let Some(summary) = counted {
            return Ok(summary);
        }
        let turns = Arc::clone(&self.summaries.turns_to_count);
        let wait = services::summary::SummaryCache::WAIT_FOR_COUNT;
        let turn = actix_web::rt::time::timeout(wait, turns.acquire_owned())
            .await
            .map_err(|_| {
                AppError::Unavailable("the summaries are being counted just now".to_string())
            })?
            .map_err(AppError::internal)?;
        let (reader, cache) = (user.clone(), self.summaries.clone());
        // The turn goes with the count, as in `run`: a count goes on when its client leaves.
        self.run(move |conn| {
            let _turn = turn;
            services::summary::count_summary(conn, &reader, request, now, &cache)
        })
        .await
    }

    /// Runs database work on the blocking thread pool, never on the async workers. Requests
    /// take turns first, in the order they came, one per pooled connection: more threads than
    /// connections would only wait for one, each with its own memory, and be woken in no
    /// particular order, which under load made the slowest answers several times the typical.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let turn = self.take_database_turn().await?;
        self.run_in_turn(turn, work).await
    }

    /// Waits for a turn at the database, in the order asked. One deadline for the turn and the
    /// connection: in an outage the answer is a 503 within `database_timeout_seconds`, not one
    /// wait after the other.
    async fn take_database_turn(&self) -> AppResult<DatabaseTurn> {
        let wait = self.settings.database_timeout();
        let asked = std::time::Instant::now();
        let turns = Arc::clone(&self.database_turns);
        let waiting = self.metrics.waiting_for_database();
        let turn = actix_web::rt::time::timeout(wait, turns.acquire_owned()).await;
        drop(waiting);
        let permit = turn
            .map_err(|_| {
                self.metrics.database_wait.observe(wait.as_secs_f64());
                AppError::Unavailable("no database connection came free".to_string())
            })?
            .map_err(AppError::internal)?;
        Ok(DatabaseTurn {
            permit,
            asked,
            deadline: asked + wait,
        })
    }

    /// Runs work on the blocking thread pool in a turn already taken.
    async fn run_in_turn<T, F>(&self, turn: DatabaseTurn, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let waited = self.metrics.database_wait.clone();
        // The turn goes with the work: it ends when the work does, even if the request is gone.
        actix::block(move || {
            let DatabaseTurn {
                permit: _turn,
                asked,
                deadline,
            } = turn;
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
    /// takes its turn as `run` does, then runs on the HTTP worker itself when a connection is
    /// free, since the hop to a blocking thread and back cost more than the read (see "Read by
    /// id" in docs/performance.md). Otherwise, and always on PostgreSQL, whose answer is a
    /// round trip away, it runs as `run` does.
    pub async fn run_quick_read<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if db::backend_of(&self.settings.database_url) != Some(db::Backend::Sqlite) {
            return self.run(work).await;
        }
        // Waiting for the turn rather than going to a blocking thread when none is free: the
        // turns are handed out in order, so once a few requests wait for one, every read
        // after them would find none free and take the slow way too, in bursts (see "Read by
        // id on SQLite, 2026-11-30, later" in docs/performance.md).
        let turn = self.take_database_turn().await?;
        match self.pool.try_get() {
            Some(kept) => {
                let _turn = turn.permit;
                self.metrics
                    .database_wait
                    .observe(turn.asked.elapsed().as_secs_f64());
                db::with_kept_connection(kept, work)
            }
            None => self.run_in_turn(turn, work).await,
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

/// The whole HTTP application: routes, limits, error answers, request ids and logs.
pub fn app(
    state: Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let counted = state.metrics.http.clone();
    App::new()
        .app_data(state)
        // The API first: a request is matched against the routes in the order they were added,
        // and the API's are the ones asked thousands of times a second.
        .configure(api::configure)
        .configure(web::configure)
        .wrap(actix_web::middleware::from_fn(
            api::metrics_address_serves_metrics_only,
        ))
        .wrap(actix_web::middleware::from_fn(api::throttle_writes))
        .wrap(actix_web::middleware::from_fn(api::refuse_nul_in_path))
        .wrap(actix_web::middleware::from_fn(api::request_id_header))
        .wrap(actix_web::middleware::from_fn(api::security_headers))
        .wrap(counted)
        .wrap(tracing_actix_web::TracingLogger::<api::RequestSpan>::new())
}
