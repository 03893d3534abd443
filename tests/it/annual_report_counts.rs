//! The annual report's rows are counted once and kept while nothing they count changes: every
//! change that moves a figure of the report makes it count again, and nothing else does.

use crate::common;

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::domain::access::{Clearance, Role};

on_both_backends!(
    the_report_is_counted_again_only_when_its_figures_may_have_changed,
    reports_asked_during_a_count_wait_for_it
);

fn incident(day: &str) -> Value {
    json!({
        "mission": "MINUSCA", "occurred_at": format!("{day}T08:00:00Z"), "location_type": "patrol",
        "attack_type": "ambush", "summary": format!("Attack of {day}"),
        "victims": [{ "personnel_type": "military", "nationality": "SEN", "gender": "male", "outcome": "killed" }],
        "classification": "unclassified", "submit": true
    })
}

async fn the_report_is_counted_again_only_when_its_figures_may_have_changed(backend: Backend) {
    let t = TestApp::new(backend);
    let everything = Clearance::StrictlyConfidential;
    t.create_user("officer", Role::SecurityOfficer, everything, &[]);
    t.create_user("legal", Role::LegalOfficer, everything, &[]);
    t.create_user("chief", Role::Leadership, everything, &[]);
    t.create_focal_point("focal.caf", "CAF", everything);
    let api = t.api().await;
    let officer = api.login("officer", PASSWORD).await;
    let legal = api.login("legal", PASSWORD).await;
    let chief = api.login("chief", PASSWORD).await;
    let focal = api.login("focal.caf", PASSWORD).await;
    let attack = api
        .post("/api/v1/incidents", Some(&officer), incident("2025-02-01"))
        .await
        .id();
    let case = api
        .post(
            "/api/v1/cases",
            Some(&legal),
            json!({ "incident_ids": [attack], "jurisdiction": "CAF", "opened_on": "2025-02-10" }),
        )
        .await
        .id();

    let times_counted = || t.state.metrics.annual_reports_counted.get();
    let report = |token: String| {
        let api = &api;
        async move {
            let answer = api
                .get("/api/v1/reports/annual?year=2025", Some(&token))
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            answer.body
        }
    };
    let first = report(chief.clone()).await;
    assert_eq!(first["host_states"][0]["cases_opened"], 1);
    assert_eq!(report(chief.clone()).await, first, "asked twice, unchanged");
    assert_eq!(times_counted(), 1, "counted once, then taken as counted");
    // Another reader who may count the same shares the count; the State's part is counted
    // from what its focal point may count, here the same.
    assert_eq!(
        report(legal.clone()).await["host_states"],
        first["host_states"]
    );
    let part = api
        .get("/api/v1/state/reports/annual?year=2025", Some(&focal))
        .await;
    assert_eq!(part.status, StatusCode::OK, "{}", part.body);
    assert_eq!(part.body["host_states"], first["host_states"]);
    assert_eq!(times_counted(), 1, "the same rows for the same scope");
    // The edition to publish counts something else.
    api.get(
        "/api/v1/reports/annual?year=2025&edition=unclassified",
        Some(&chief),
    )
    .await;
    assert_eq!(times_counted(), 2);

    // Signing in, a refused sign-in and a refused report change no figure.
    api.login("legal", PASSWORD).await;
    api.login_answer("legal", "not the password at all")
        .await
        .assert_problem(401);
    api.get("/api/v1/reports/annual?year=2025", Some(&officer))
        .await
        .assert_problem(403);
    assert_eq!(report(chief.clone()).await, first);
    assert_eq!(
        times_counted(),
        2,
        "nothing counted had changed: {:?}",
        t.audit_actions()
    );

    // Assistance is in the report, though not in the summaries.
    let assistance = json!({ "type": "training", "state": "CAF", "mission": "MINUSCA",
        "from": "2025-03-01", "to": "2025-03-10", "provider": "UN" });
    let given = api
        .post("/api/v1/assistance", Some(&legal), assistance)
        .await;
    assert_eq!(given.status, StatusCode::CREATED, "{}", given.body);
    let with_assistance = report(chief.clone()).await;
    assert_eq!(times_counted(), 3, "assistance given: counted again");
    assert_eq!(
        with_assistance["host_states"][0]["assistance"]["training"],
        json!({ "records": 1, "days": 10 })
    );

    // A step of the case.
    let step = api
        .post(
            &format!("/api/v1/cases/{case}/transitions"),
            Some(&legal),
            json!({ "to": "referred", "effective_on": "2025-03-01" }),
        )
        .await;
    assert!(step.status.is_success(), "{}", step.body);
    let with_step = report(chief.clone()).await;
    assert_eq!(times_counted(), 4, "a step: counted again");
    assert_eq!(
        with_step["host_states"][0]["steps"],
        json!({ "referred": 1 })
    );

    // An attack of the year, and its withdrawal.
    let second = api
        .post("/api/v1/incidents", Some(&officer), incident("2025-06-01"))
        .await
        .id();
    let killed = |report: &Value| report["contributing_countries"][0]["killed"].clone();
    assert_eq!(killed(&report(chief.clone()).await), 2);
    let withdrawn = api
        .post(
            &format!("/api/v1/incidents/{second}/withdraw"),
            Some(&officer),
            json!({ "reason": "Entered twice" }),
        )
        .await;
    assert!(withdrawn.status.is_success(), "{}", withdrawn.body);
    let last = report(chief.clone()).await;
    assert_eq!(killed(&last), 1);
    assert_eq!(times_counted(), 6);

    // Figures are not kept past a minute, for a change made past the service.
    t.clock.advance(chrono::TimeDelta::seconds(61));
    assert_eq!(report(chief.clone()).await, last);
    assert_eq!(times_counted(), 7);
}

/// Reports asked while one is counted wait for it without a database connection, and take its
/// rows: three requests, one count.
async fn reports_asked_during_a_count_wait_for_it(backend: Backend) {
    let t = TestApp::new(backend);
    t.create_user("chief", Role::Leadership, Clearance::Unclassified, &[]);
    let api = t.api().await;
    let chief = api.login("chief", PASSWORD).await;
    let count_under_way = t
        .state
        .annual_reports
        .count_permit
        .acquire()
        .await
        .expect("the turn to count");
    let reports = futures_util::future::join_all(
        (0..3).map(|_| api.get("/api/v1/reports/annual?year=2025", Some(&chief))),
    );
    let meanwhile = async {
        let answer = api.get("/api/v1/summary/stalled", Some(&chief)).await;
        assert_eq!(t.state.metrics.annual_reports_counted.get(), 0);
        drop(count_under_way);
        answer
    };
    let (reports, meanwhile) = futures_util::join!(reports, meanwhile);
    assert_eq!(meanwhile.status, StatusCode::OK, "{}", meanwhile.body);
    for report in &reports {
        assert_eq!(report.status, StatusCode::OK, "{}", report.body);
        assert_eq!(report.body, reports[0].body);
    }
    assert_eq!(t.state.metrics.annual_reports_counted.get(), 1);
}
