//! Two servers over one database, their officers writing the same mission and month at the
//! same time: the summaries' figures the database keeps come out exact, without a lost or
//! doubled change (PostgreSQL spreads the writers of one month over slots; SQLite takes one
//! writer at a time).

use crate::common;

use futures_util::future::join_all;
use serde_json::json;

use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::AppState;
use peacekeeper_registry::db;
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::domain::summary::{CaseFigures, Grouping};
use peacekeeper_registry::store::summary::{Scope, for_each_counted_case};
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
    let mut case_figures = CaseFigures::default();
    for_each_counted_case(&mut conn, &everything, Grouping::Month, |case| {
        case_figures.add(case)
    })
    .unwrap();
    let (case_groups, _) = case_figures.finish();
    let referred: u64 = case_groups.iter().map(|g| g.reached[0]).sum();
    assert_eq!(referred, all);
}
