//! The connection itself: SQLite's settings per connection, TLS to PostgreSQL.

mod common;

use actix_web::http::StatusCode;
use diesel::{QueryableByName, RunQueryDsl, sql_query};

use common::{Backend, PASSWORD, TestApp, TestDb, postgres_url};
use peacekeeper_registry::db::{self, DbConnection};
use peacekeeper_registry::domain::access::{Clearance, Role};

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

#[derive(QueryableByName)]
struct Word {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

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
    let pool = db::connect(&format!("{admin_url}{separator}sslmode=require"), 1)
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
    let error = db::connect("mysql://localhost/registry", 1).unwrap_err();
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
