//! The connection itself: SQLite's settings per connection, TLS to PostgreSQL.

use crate::common;

use actix_web::http::StatusCode;
use diesel::{RunQueryDsl, sql_query};

use common::{Backend, Number, PASSWORD, TestApp, TestDb, Word, postgres_url};
use peacekeeper_registry::db::{self, DbConnection};
use peacekeeper_registry::domain::access::{Clearance, Role};

#[test]
fn sqlite_connections_enforce_keys_and_write_durably() {
    let test_db = TestDb::new(Backend::Sqlite);
    let pool = test_db.migrated_pool();
    let mut conn = pool.get().unwrap();
    let conn: &mut DbConnection = &mut conn;
    let number = |conn: &mut DbConnection, sql: &str| {
        sql_query(sql).get_result::<Number>(conn).unwrap().value
    };
    assert_eq!(
        number(
            conn,
            "SELECT foreign_keys AS value FROM pragma_foreign_keys"
        ),
        1
    );
    assert_eq!(
        number(conn, "SELECT synchronous AS value FROM pragma_synchronous"),
        2,
        "FULL"
    );
    assert_eq!(
        number(conn, "SELECT timeout AS value FROM pragma_busy_timeout"),
        10_000
    );
    let mode = sql_query("SELECT journal_mode AS value FROM pragma_journal_mode")
        .get_result::<Word>(conn)
        .unwrap()
        .value;
    assert_eq!(mode, "wal");
    // Foreign keys hold: no mission membership for a user that does not exist.
    assert!(
        sql_query("INSERT INTO user_missions (user_id, mission_code) VALUES ('nobody', 'MINUSCA')")
            .execute(conn)
            .is_err()
    );
}

#[test]
fn postgres_connections_can_require_tls() {
    let Some(admin_url) = postgres_url() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set PKR_TEST_POSTGRES_URL"
        );
        eprintln!("PKR_TEST_POSTGRES_URL is not set: the PostgreSQL variant did not run");
        return;
    };
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    let pool = db::connect(
        &format!("{admin_url}{separator}sslmode=require"),
        1,
        common::DATABASE_WAIT,
    )
    .expect("a TLS connection (sslmode=require)");
    let mut conn = pool.get().unwrap();
    let encrypted =
        sql_query("SELECT ssl::int::int8 AS value FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .get_result::<Number>(&mut *conn as &mut DbConnection)
            .unwrap()
            .value;
    assert_eq!(encrypted, 1);
}

#[test]
fn unknown_database_schemes_are_refused() {
    let error = db::connect("mysql://localhost/registry", 1, common::DATABASE_WAIT).unwrap_err();
    assert!(error.to_string().contains("database_url"));
    assert_eq!(
        db::redact("postgres://registry:hunter2@db:5432/registry"),
        "postgres://registry:***@db:5432/registry"
    );
}

/// A connection the database ended (a restart, a network cut) costs at most the request that
/// finds it: that one answers 503, the connection is closed, and the next requests are served on
/// new ones, without a restart.
#[actix_web::test]
async fn a_connection_the_database_ended_is_replaced() {
    if !common::postgres_available() {
        return;
    }
    let t = TestApp::new(Backend::Postgres);
    t.create_user("lead.one", Role::Leadership, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let token = api.login("lead.one", PASSWORD).await;
    let list = || api.get("/api/v1/incidents", Some(&token));
    for _ in 0..4 {
        assert_eq!(list().await.status, StatusCode::OK);
    }

    // From a connection of its own, outside the server's pool: every pooled one is ended.
    let mut outside = db::connect_one(&t.db.url).unwrap();
    // The filter runs only on rows the WHERE kept, so this connection never ends itself.
    let ended = sql_query(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS value \
         FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .get_result::<Number>(&mut outside)
    .unwrap()
    .value;
    assert!(ended >= 1, "no connection of the server was found to end");

    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(list().await.status);
    }
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert!(refused <= 4, "more refusals than connections: {statuses:?}");
    assert_eq!(statuses.last(), Some(&StatusCode::OK), "{statuses:?}");
}

/// With the database away, every request is answered 503 problem+json within the configured
/// wait (not hung, not 500), `/readyz` says 503, and once the database is back the same server
/// serves again without a restart.
#[actix_web::test]
async fn a_database_outage_is_answered_in_time_and_recovered_from() {
    if !common::postgres_available() {
        return;
    }
    let t = TestApp::new(Backend::Postgres);
    t.create_user("lead.one", Role::Leadership, Clearance::Unclassified, &[]);
    let wait = std::time::Duration::from_secs(2);
    let settings = peacekeeper_registry::config::Settings {
        database_timeout_seconds: 2,
        ..t.settings()
    };
    let pool = db::connect(&t.db.url, 4, wait).unwrap();
    let state = peacekeeper_registry::AppState::new(pool, settings, t.clock.clone());
    let api = common::Api::over(state).await;
    let token = api.login("lead.one", PASSWORD).await;
    assert_eq!(
        api.get("/api/v1/incidents", Some(&token)).await.status,
        StatusCode::OK
    );

    // From the server's administration database: this database stops taking connections, and
    // ends the ones it has.
    let name = url::Url::parse(&t.db.url).unwrap().path()[1..].to_string();
    let mut outside = db::connect_one(&postgres_url().unwrap()).unwrap();
    let outage = |allowed: bool| format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {allowed}");
    sql_query(outage(false)).execute(&mut outside).unwrap();
    sql_query(format!(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS value \
         FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .get_result::<Number>(&mut outside)
    .unwrap();

    for path in ["/api/v1/incidents", "/api/v1/summary", "/readyz"] {
        let asked = std::time::Instant::now();
        let answer = api.get(path, Some(&token)).await;
        let took = asked.elapsed();
        answer.assert_problem(503);
        assert!(answer.header("Retry-After").is_some(), "{path}");
        assert!(
            !answer.body.to_string().contains(&name),
            "no database detail leaks: {}",
            answer.body
        );
        // Bounded by the setting (2 s here), with room for a busy machine: never hung.
        assert!(took < wait * 3, "{path} took {took:?}");
    }

    sql_query(outage(true)).execute(&mut outside).unwrap();
    let mut ready = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..20 {
        ready = api.get("/readyz", None).await.status;
        if ready == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(ready, StatusCode::OK, "the service came back by itself");
    assert_eq!(
        api.get("/api/v1/incidents", Some(&token)).await.status,
        StatusCode::OK
    );
}

crate::on_both_backends!(a_read_transaction_sees_one_snapshot);

/// The statements of a read transaction (a page and its parts) see one state of the registry:
/// a change another connection commits between two of them is not seen by the second, and is
/// seen once the transaction ends.
async fn a_read_transaction_sees_one_snapshot(backend: Backend) {
    let test_db = TestDb::new(backend);
    let pool = test_db.migrated_pool();
    let mut reader = pool.get().unwrap();
    let reader: &mut DbConnection = &mut reader;
    let mut writer = pool.get().unwrap();
    let writer: &mut DbConnection = &mut writer;
    let missions = |conn: &mut DbConnection| {
        sql_query("SELECT COUNT(*) AS value FROM missions")
            .get_result::<Number>(conn)
            .unwrap()
            .value
    };
    let (first, second) = db::read_transaction(reader, |conn| {
        let first = missions(conn);
        sql_query(
            "INSERT INTO missions (code, name) VALUES ('UNTEST', 'A mission added meanwhile')",
        )
        .execute(writer)?;
        diesel::QueryResult::Ok((first, missions(conn)))
    })
    .unwrap();
    assert_eq!(
        first, second,
        "the second statement saw a change made meanwhile"
    );
    assert_eq!(missions(reader), first + 1);
    // Inside another transaction a read is a part of it.
    let nested = db::write_transaction(reader, |conn| {
        db::read_transaction(conn, |conn| diesel::QueryResult::Ok(missions(conn)))
    })
    .unwrap();
    assert_eq!(nested, first + 1);
}
