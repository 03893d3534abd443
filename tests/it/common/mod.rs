//! What every integration test shares: a fresh database per test (a temporary SQLite file, or a
//! new PostgreSQL database when `PKR_TEST_POSTGRES_URL` is set), the real application over it,
//! and a small client that speaks to it.

#![allow(dead_code)]

pub mod server;

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test::TestRequest;
use actix_web::{test, web};
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{Value, json};

use peacekeeper_registry::auth::accounts::{self, NewAccount};
use peacekeeper_registry::auth::password;
use peacekeeper_registry::clock::{Clock, ManualClock};
use peacekeeper_registry::config::Settings;
use peacekeeper_registry::db::{self, DbConnection, DbPool, PooledDb};
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::domain::second_factor;
use peacekeeper_registry::store::audit::AuditContext;
use peacekeeper_registry::store::second_factors;
use peacekeeper_registry::{AppState, app};

/// The hash of `PASSWORD`, made once for every fixture account of the process: Argon2 is slow on
/// purpose, and signing in still checks the password against it for real.
fn fixture_hash(password: &str) -> Result<String, String> {
    static HASH: OnceLock<String> = OnceLock::new();
    assert_eq!(password, PASSWORD, "fixture accounts share one password");
    Ok(HASH
        .get_or_init(|| password::hash(PASSWORD).expect("hash"))
        .clone())
}

/// One number read by raw SQL (`SELECT … AS value`).
#[derive(diesel::QueryableByName)]
pub struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub value: i64,
}

/// One text read by raw SQL (`SELECT … AS value`).
#[derive(diesel::QueryableByName)]
pub struct Word {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub value: String,
}

/// A password the policy accepts, for test accounts.
pub const PASSWORD: &str = "ferry lantern quietly orbit 47";

/// How long the tests' pools wait for a connection: the service's default.
pub const DATABASE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_url() -> Option<String> {
    std::env::var("PKR_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Whether a test of PostgreSQL alone can run: without `PKR_TEST_POSTGRES_URL` it says so and
/// passes, except under CI, where it fails (CI never skips PostgreSQL silently).
pub fn postgres_available() -> bool {
    if postgres_url().is_some() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must set PKR_TEST_POSTGRES_URL"
    );
    eprintln!("PKR_TEST_POSTGRES_URL is not set: the PostgreSQL variant did not run");
    false
}

/// Runs each named `async fn(Backend)` as two tests, `NAME::sqlite` and `NAME::postgres`.
/// Without `PKR_TEST_POSTGRES_URL` the PostgreSQL variant says so and passes, except under CI,
/// where it fails: CI never skips PostgreSQL silently.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[actix_web::test]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }

                #[actix_web::test]
                async fn postgres() {
                    if $crate::common::postgres_url().is_some() {
                        super::$name($crate::common::Backend::Postgres).await
                    } else if std::env::var_os("CI").is_some() {
                        panic!("CI must set PKR_TEST_POSTGRES_URL: PostgreSQL is never skipped there");
                    } else {
                        eprintln!("PKR_TEST_POSTGRES_URL is not set: the PostgreSQL variant did not run");
                    }
                }
            }
        )*
    };
}

/// A database of its own for one test, removed afterwards.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _folder: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let folder = tempfile::tempdir().expect("temporary folder");
                let url = format!("sqlite://{}/registry.sqlite3", folder.path().display());
                TestDb {
                    url,
                    backend,
                    _folder: Some(folder),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_url().expect("PKR_TEST_POSTGRES_URL");
                let name = format!("pkr_test_{}", uuid::Uuid::now_v7().simple());
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("PostgreSQL at PKR_TEST_POSTGRES_URL: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create the test database");
                let mut url = url::Url::parse(&admin_url).expect("PKR_TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                TestDb {
                    url: url.to_string(),
                    backend,
                    _folder: None,
                    postgres: Some((admin_url, name)),
                }
            }
        }
    }

    /// A pool on this database with the migrations applied.
    pub fn migrated_pool(&self) -> DbPool {
        let pool = db::connect(&self.url, 4, DATABASE_WAIT).expect("connect");
        db::run_migrations(&mut pool.get().expect("connection")).expect("migrate");
        pool
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// An account a test needs: username, role, clearance, and missions (none: every mission, for
/// the roles that work on missions).
pub type Member = (&'static str, Role, Clearance, &'static [&'static str]);

/// The application over a fresh database, with a clock the test moves by hand.
pub struct TestApp {
    pub db: TestDb,
    /// Where this test's case documents are kept.
    pub documents: tempfile::TempDir,
    pub pool: DbPool,
    pub clock: Arc<ManualClock>,
    pub state: web::Data<AppState>,
}

impl TestApp {
    pub fn new(backend: Backend) -> TestApp {
        let db = TestDb::new(backend);
        let pool = db.migrated_pool();
        Self::over(db, pool)
    }

    /// The application over a fresh database migrated only up to the migration named `name`
    /// (not included): the database as an earlier release left it, for tests of an upgrade.
    pub fn before_migration(backend: Backend, name: &str) -> TestApp {
        let db = TestDb::new(backend);
        let pool = db::connect(&db.url, 4, DATABASE_WAIT).expect("connect");
        db::run_migrations_before(&mut pool.get().expect("connection"), name).expect("migrate");
        Self::over(db, pool)
    }

    /// A second server on the same database: its own pool and state, nothing shared in memory.
    pub fn another_server(&self) -> web::Data<AppState> {
        let pool = db::connect(&self.db.url, 4, DATABASE_WAIT).expect("connect");
        AppState::new(pool, self.settings(), self.clock.clone())
    }

    fn over(db: TestDb, pool: DbPool) -> TestApp {
        let clock = Arc::new(ManualClock::starting_now());
        let documents = tempfile::tempdir().expect("temporary folder");
        let settings = Settings {
            database_url: db.url.clone(),
            document_folder: documents.path().display().to_string(),
            ..Settings::default()
        };
        let state = AppState::new(pool.clone(), settings, clock.clone());
        TestApp {
            db,
            documents,
            pool,
            clock,
            state,
        }
    }

    /// The same application with some settings changed.
    pub fn with_settings(mut self, change: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings();
        change(&mut settings);
        self.state = AppState::new(self.pool.clone(), settings, self.clock.clone());
        self
    }

    /// The same application with these accounts made (see `create_user`).
    pub fn with_users(self, users: &[Member]) -> TestApp {
        for (username, role, clearance, missions) in users {
            self.create_user(username, *role, *clearance, missions);
        }
        self
    }

    pub fn settings(&self) -> Settings {
        (*self.state.settings).clone()
    }

    pub fn conn(&self) -> PooledDb {
        self.pool.get().expect("connection")
    }

    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
    }

    pub async fn api(
        &self,
    ) -> Api<
        impl Service<
            actix_http::Request,
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
        >,
    > {
        Api::over(self.state.clone()).await
    }

    /// Attaches a text document to a case through the API; the answer says its hash.
    pub async fn upload_document(&self, token: &str, case_id: &str, content: &str) -> Answer {
        let path = format!("/api/v1/cases/{case_id}/documents");
        self.upload_form(token, &path, "indictment", content).await
    }

    /// Posts a document form (`title`, `kind`, `file`) to `path`: an upload or a proposal.
    pub async fn upload_form(&self, token: &str, path: &str, kind: &str, content: &str) -> Answer {
        let boundary = "test-boundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nIndictment\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"i.txt\"\r\n\r\n\
             {content}\n\r\n--{boundary}--\r\n"
        );
        let api = self.api().await;
        api.send(
            with_token(TestRequest::post().uri(path), Some(token))
                .insert_header((
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                ))
                .set_payload(body),
        )
        .await
    }

    /// Creates an account directly (as `user create` does), with no password change pending.
    /// An account whose role must use a second factor has one, on, with the fixtures' secret
    /// (`Api::login` answers its codes).
    pub fn create_user(
        &self,
        username: &str,
        role: Role,
        clearance: Clearance,
        missions: &[&str],
    ) -> String {
        self.create_account(username, role, clearance, missions, None)
    }

    /// A State's focal point, speaking for `state`, with its second factor on.
    pub fn create_focal_point(&self, username: &str, state: &str, clearance: Clearance) -> String {
        self.create_account(username, Role::StateFocalPoint, clearance, &[], Some(state))
    }

    fn create_account(
        &self,
        username: &str,
        role: Role,
        clearance: Clearance,
        missions: &[&str],
        state: Option<&str>,
    ) -> String {
        let checked = accounts::check_new_account_hashed_by(
            NewAccount {
                username: username.to_string(),
                password: PASSWORD.to_string(),
                role,
                clearance,
                missions: missions.iter().map(|m| m.to_string()).collect(),
                // The fixtures' headquarters accounts: no mission given means every mission, for
                // the roles that work on missions.
                all_missions: missions.is_empty() && role.works_on_missions(),
                state: state.map(str::to_string),
                must_change_password: false,
            },
            fixture_hash,
        )
        .expect("a valid account");
        let mut conn = self.conn();
        let id = accounts::create_user(
            &mut conn,
            &AuditContext::system(self.now(), "test"),
            checked,
        )
        .expect("create user")
        .user
        .id;
        if role.must_use_second_factor() {
            turn_on_fixture_second_factor(&mut conn, &id, self.now());
        }
        id
    }

    /// Runs raw SQL on this test's database, as someone with direct access would.
    pub fn execute_sql(&self, sql: &str) -> Result<usize, diesel::result::Error> {
        let mut conn = self.conn();
        diesel::sql_query(sql).execute(&mut *conn as &mut DbConnection)
    }

    pub fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.conn();
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(&mut *conn as &mut DbConnection)
            .expect("count")
            .n
    }

    /// The actions of the audit trail, oldest first.
    pub fn audit_actions(&self) -> Vec<String> {
        let mut conn = self.conn();
        let mut records =
            peacekeeper_registry::store::audit::list(&mut conn, &Default::default(), 100_000)
                .expect("audit");
        records.reverse();
        records.into_iter().map(|r| r.action).collect()
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    /// The body exactly as sent.
    pub bytes: web::Bytes,
}

impl Answer {
    /// The `id` of the record the body holds; fails the test, showing the answer, without one.
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {} ({})", self.body, self.status))
            .to_string()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The field names of a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts a problem+json answer with this status.
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.content_type(), "application/problem+json");
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string());
        assert!(self.body["detail"].is_string());
        self
    }
}

/// The application under test, spoken to over actix's in-process HTTP.
pub struct Api<S>(S, web::Data<AppState>);

impl Api<()> {
    /// The application of another server's state.
    pub async fn over(
        state: web::Data<AppState>,
    ) -> Api<
        impl Service<
            actix_http::Request,
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
        >,
    > {
        Api(test::init_service(app(state.clone())).await, state)
    }
}

impl<S, B> Api<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    pub async fn send(&self, request: TestRequest) -> Answer {
        let response = test::call_service(&self.0, request.to_request()).await;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = test::read_body(response).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            body,
            bytes,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(with_token(TestRequest::get().uri(path), token))
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(with_token(TestRequest::post().uri(path), token).set_json(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(with_token(TestRequest::patch().uri(path), token).set_json(body))
            .await
    }

    pub async fn login_answer(&self, username: &str, password: &str) -> Answer {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({ "username": username, "password": password }),
        )
        .await
    }

    /// Signs in and returns the token; panics unless sign-in succeeds. An account with the
    /// fixtures' second factor is given its code at the test clock's time.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let mut answer = self.login_answer(username, password).await;
        if answer.body["type"] == "/problems/second-factor-required" {
            let code = fixture_code(&self.1, username);
            answer = self
                .post(
                    "/api/v1/auth/login",
                    None,
                    json!({ "username": username, "password": password, "code": code }),
                )
                .await;
        }
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "sign-in failed: {}",
            answer.body
        );
        answer.body["token"].as_str().expect("token").to_string()
    }

    /// Changes the signed-in account's password through `POST /api/v1/me/password`.
    pub async fn change_password_answer(&self, token: &str, current: &str, new: &str) -> Answer {
        self.post(
            "/api/v1/me/password",
            Some(token),
            json!({ "current": current, "new": new }),
        )
        .await
    }

    /// Changes the password and returns the answer; panics unless the change succeeds.
    pub async fn change_password(&self, token: &str, current: &str, new: &str) -> Answer {
        let answer = self.change_password_answer(token, current, new).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer
    }
}

/// The secret of the fixtures' second factors: RFC 6238's own test secret.
pub const SECOND_FACTOR_SECRET: &[u8] = b"12345678901234567890";

/// Switches on a second factor with the fixtures' secret, as if its first code had confirmed it
/// a minute ago: the codes of now stay unused.
pub fn turn_on_fixture_second_factor(
    conn: &mut DbConnection,
    user_id: &str,
    now: chrono::NaiveDateTime,
) {
    second_factors::begin(conn, user_id, SECOND_FACTOR_SECRET, &[], now).expect("enrol");
    let confirmed_step = now.and_utc().timestamp() / 30 - 2;
    assert!(second_factors::take_step(conn, user_id, confirmed_step, now).expect("confirm"));
}

/// A code of the fixtures' second factor at `unix_seconds`.
pub fn fixture_code_at(unix_seconds: i64) -> String {
    let secret = second_factor::secret_text(SECOND_FACTOR_SECRET);
    second_factor::code_at(&secret, u64::try_from(unix_seconds).expect("after 1970"))
        .expect("a code")
}

/// A code the account's fixture second factor has not used yet at the server's time: this
/// step's, or the next one's (accepted too) when this step's was used. An account signs in at
/// most twice in one step of 30 s; a test that needs more advances its clock.
fn fixture_code(state: &AppState, username: &str) -> String {
    let now = state.clock.now().and_utc().timestamp();
    let mut conn = state.pool.get().expect("connection");
    let user = peacekeeper_registry::store::users::find_by_username(&mut conn, username)
        .expect("read")
        .expect("an account");
    let last_step = second_factors::find(&mut conn, &user.id)
        .expect("read")
        .and_then(|factor| factor.last_step)
        .unwrap_or(0);
    let step = (now / 30).max(last_step + 1);
    assert!(
        step <= now / 30 + 1,
        "`{username}` signed in twice within 30 s of the test clock: advance it"
    );
    fixture_code_at(step * 30)
}

pub fn with_token(request: TestRequest, token: Option<&str>) -> TestRequest {
    match token {
        Some(token) => request.insert_header(("Authorization", format!("Bearer {token}"))),
        None => request,
    }
}

/// The routes the API serves, as (method, path), from the table the application serves them from.
pub fn declared_routes() -> BTreeSet<(String, String)> {
    peacekeeper_registry::api::served_routes()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path))
        .collect()
}
