//! Two servers over one database, their officers writing the same mission and month at the
//! same time: the summaries' figures the database keeps come out exact, without a lost or
//! doubled change (PostgreSQL spreads the writers of one month over slots; SQLite takes one
//! writer at a time).

use crate::common;

use diesel::RunQueryDsl;
use futures_util::future::join_all;
use serde_json::json;

use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::AppState;
use peacekeeper_registry::db;
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::domain::summary::Grouping;
use peacekeeper_registry::store::summary::Scope;
use peacekeeper_registry::store::summary_figures;

on_both_backends!(two_servers_writing_one_mission_and_month_keep_the_figures_exact);

/// Incidents each server's officer writes.
const EACH: usize = 12;

async fn two_servers_writing_one_mission_and_month_keep_the_figures_exact(backend: Backend) {
    let t = TestApp::new(backend);
    let cleared = Clearance::StrictlyConfidential;
    for name in ["officer.one", "officer.two"] {
        t.create_user(name, Role::SecurityOfficer, cleared, &["MINUSCA"]);
    }
    for name in ["legal.one", "legal.two"] {
        t.create_user(name, Role::LegalOfficer, cleared, &["MINUSCA"]);
    }
    let wait = std::time::Duration::from_secs(10);
    let pool = db::connect(&t.db.url, 4, wait).expect("the second server connects");
    let second = AppState::new(pool, t.settings(), t.clock.clone());
    let servers = [
        common::Api::over(t.state.clone()).await,
        common::Api::over(second).await,
    ];
    let officers = [
        servers[0].login("officer.one", PASSWORD).await,
        servers[1].login("officer.two", PASSWORD).await,
    ];
    let legal = [
        servers[0].login("legal.one", PASSWORD).await,
        servers[1].login("legal.two", PASSWORD).await,
    ];
    // The `n`th request of a kind goes to one server, the next to the other, all at once.
    let servers = &servers;
    let all_at_once = |requests: Vec<(String, serde_json::Value)>, tokens: &[String; 2]| {
        let tokens = tokens.clone();
        join_all(
            requests
                .into_iter()
                .enumerate()
                .map(move |(n, (path, body))| {
                    let token = tokens[n % 2].clone();
                    async move {
                        let answer = servers[n % 2].post(&path, Some(&token), body).await;
                        assert!(answer.status.is_success(), "{}", answer.body);
                        answer.id()
                    }
                }),
        )
    };

    // Incidents of May 2024 in MINUSCA, one person killed in each.
    let incidents = (0..2 * EACH).map(|n| {
        let body = json!({ "mission": "MINUSCA",
            "occurred_at": format!("2024-05-{:02}T10:00:00Z", 1 + n % 28),
            "location_type": "patrol", "attack_type": "ambush", "summary": "An attack",
            "classification": "unclassified", "submit": true,
            "victims": [{ "personnel_type": "military", "nationality": "SEN", "gender": "male",
                          "outcome": "killed" }] });
        ("/api/v1/incidents".to_string(), body)
    });
    let created = all_at_once(incidents.collect(), &officers).await;
    // A case opened on each, then each referred.
    let cases = created.iter().map(|id| {
        let body = json!({ "incident_ids": [id], "jurisdiction": "CAF" });
        ("/api/v1/cases".to_string(), body)
    });
    let cases = all_at_once(cases.collect(), &legal).await;
    let steps = cases.iter().map(|case| {
        let body = json!({ "to": "referred", "effective_on": "2024-06-01" });
        (format!("/api/v1/cases/{case}/transitions"), body)
    });
    all_at_once(steps.collect(), &legal).await;

    let mut conn = t.conn();
    assert_eq!(summary_figures::first_difference(&mut conn).unwrap(), None);
    let everything = Scope {
        classifications: vec!["unclassified".into()],
        ..Scope::default()
    };
    let groups = summary_figures::incident_groups(&mut conn, &everything, Grouping::Month).unwrap();
    let may: Vec<_> = groups
        .iter()
        .filter(|g| g.mission == "MINUSCA" && g.period == "2024-05")
        .map(|g| (g.incidents, g.killed, g.with_case))
        .collect();
    let all = (2 * EACH) as u64;
    assert_eq!(may, vec![(all, all, all)]);
    let case_groups =
        summary_figures::case_groups(&mut conn, &everything, Grouping::Month).unwrap();
    let referred: u64 = case_groups.iter().map(|g| g.reached[0]).sum();
    assert_eq!(referred, all);
}

/// Two edits at once moving incidents in opposite directions (one from an ambush of January
/// 2024 to an IED attack of June 2025, the other back), again and again: both touch the same
/// rows of figures, each in the same order, so neither waits on the other in a cycle
/// (PostgreSQL would abort one as a deadlock). Every connection writes slot 0 here, so that
/// the two share their rows.
#[actix_web::test]
async fn edits_moving_incidents_in_opposite_directions_do_not_deadlock_on_postgres() {
    if !common::postgres_available() {
        return;
    }
    let t = TestApp::new(Backend::Postgres);
    t.execute_sql(
        "CREATE OR REPLACE FUNCTION figures_slot() RETURNS SMALLINT LANGUAGE sql STABLE AS \
         $$ SELECT CAST(0 AS SMALLINT) $$",
    )
    .unwrap();
    t.create_user(
        "officer",
        Role::SecurityOfficer,
        Clearance::StrictlyConfidential,
        &["MINUSCA"],
    );
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let sides = [
        ("2024-01-10T10:00:00", "ambush", "unclassified"),
        ("2025-06-10T10:00:00", "ied", "confidential"),
    ];
    let mut ids = Vec::new();
    for (occurred_at, attack_type, classification) in sides {
        let victims: Vec<_> = ["SEN", "BGD", "NPL"]
            .into_iter()
            .map(|nationality| {
                json!({ "personnel_type": "military", "nationality": nationality,
                        "gender": "male", "outcome": "killed" })
            })
            .collect();
        let created = api
            .post(
                "/api/v1/incidents",
                Some(&officer),
                json!({ "mission": "MINUSCA", "occurred_at": format!("{occurred_at}Z"),
                        "location_type": "patrol", "attack_type": attack_type,
                        "victims": victims, "summary": "An attack",
                        "classification": classification, "submit": true }),
            )
            .await;
        assert!(created.status.is_success(), "{}", created.body);
        ids.push(created.id());
    }
    let moves = |id: &str, first: usize| -> Vec<String> {
        (0..400)
            .map(|n| {
                let (occurred_at, attack_type, classification) = sides[(first + n + 1) % 2];
                format!(
                    "UPDATE incidents SET occurred_at = '{occurred_at}', attack_type = '{attack_type}', \
                     classification = '{classification}' WHERE id = '{id}'"
                )
            })
            .collect()
    };
    let (one, two) = (moves(&ids[0], 0), moves(&ids[1], 1));
    let (mut first, mut second) = (t.conn(), t.conn());
    fn run(conn: &mut db::PooledDb, statements: &[String]) {
        for statement in statements {
            diesel::sql_query(statement)
                .execute(&mut ***conn)
                .unwrap_or_else(|error| panic!("{statement}: {error}"));
        }
    }
    std::thread::scope(|scope| {
        let a = scope.spawn(|| run(&mut first, &one));
        let b = scope.spawn(|| run(&mut second, &two));
        a.join().expect("the first edits");
        b.join().expect("the second edits");
    });
    let mut conn = t.conn();
    assert_eq!(summary_figures::first_difference(&mut conn).unwrap(), None);
}
