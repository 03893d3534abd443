//! The connection itself: SQLite's settings per connection, TLS to PostgreSQL.

mod common;

use diesel::{QueryableByName, RunQueryDsl, sql_query};

use common::{Backend, TestDb, postgres_url};
use peacekeeper_registry::db::{self, DbConnection};

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
