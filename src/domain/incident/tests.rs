//! The rules of incidents, tested.

use super::*;

fn now() -> NaiveDateTime {
    parse_time("2026-11-28T10:00:00Z").unwrap()
}

fn minimal() -> IncidentInput {
    IncidentInput {
        mission: Some("MINUSCA".into()),
        occurred_at: Some("2026-11-27T06:30:00Z".into()),
        attack_type: Some("ambush".into()),
        summary: Some("Patrol ambushed near Bambari".into()),
        ..Default::default()
    }
}

fn fields(input: &IncidentInput) -> Vec<String> {
    validate(input, now())
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn a_minimal_incident_gets_defaults() {
    let valid = validate(&minimal(), now()).unwrap();
    assert_eq!(valid.time_precision, "exact");
    assert_eq!(valid.geo_precision, "unknown");
    assert_eq!(valid.location_type, "other");
    assert_eq!(valid.classification, Clearance::Unclassified);
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut input = minimal();
    input.attack_type = Some("drive_by".into());
    input.latitude = Some(95.0);
    input.longitude = Some(200.0);
    input.summary = Some(String::new());
    input.victims = vec![VictimInput {
        personnel_type: Some("military".into()),
        outcome: Some("killed".into()),
        nationality: Some("XXX".into()),
        ..Default::default()
    }];
    input.sources = vec![SourceInput {
        source_type: Some("witness".into()),
        description: Some("A villager".into()),
        reliability: Some("G".into()),
        credibility: Some(7),
        ..Default::default()
    }];
    assert_eq!(
        fields(&input),
        vec![
            "latitude",
            "longitude",
            "attack_type",
            "victims[0].nationality",
            "sources[0].credibility",
            "sources[0].reliability",
            "summary"
        ]
    );
}

#[test]
fn coordinates_come_in_pairs() {
    let mut input = minimal();
    input.latitude = Some(4.5);
    assert_eq!(fields(&input), vec!["longitude"]);
    input.latitude = None;
    input.longitude = Some(20.1);
    assert_eq!(fields(&input), vec!["latitude"]);
}

#[test]
fn times_are_checked() {
    let mut input = minimal();
    input.occurred_at = Some("2026-11-28T10:06:00Z".into());
    assert_eq!(fields(&input), vec!["occurred_at"]);
    input.occurred_at = Some("2026-11-28T10:04:00Z".into());
    assert!(
        validate(&input, now()).is_ok(),
        "five minutes of clock drift are allowed"
    );
    input.occurred_at = Some("yesterday".into());
    assert_eq!(fields(&input), vec!["occurred_at"]);
    let mut input = minimal();
    input.occurred_until = Some("2026-11-27T06:00:00Z".into());
    assert_eq!(fields(&input), vec!["occurred_until"]);
    input.occurred_until = Some("2026-11-27T08:00:00Z".into());
    input.time_precision = Some("day".into());
    assert_eq!(fields(&input), vec!["occurred_until"]);
}

#[test]
fn uncertain_dates_are_stored_at_the_middle_of_their_period() {
    let at = parse_time("2026-02-10T06:30:00Z").unwrap();
    assert_eq!(
        format_time(period_midpoint(at, "exact")),
        "2026-02-10T06:30:00Z"
    );
    assert_eq!(
        format_time(period_midpoint(at, "day")),
        "2026-02-10T12:00:00Z"
    );
    // 10 February 2026 is a Tuesday: its ISO week runs 9 to 15 February.
    assert_eq!(
        format_time(period_midpoint(at, "week")),
        "2026-02-12T12:00:00Z"
    );
    assert_eq!(
        format_time(period_midpoint(at, "month")),
        "2026-02-15T00:00:00Z"
    );
    let july = parse_time("2026-07-30T00:00:00Z").unwrap();
    assert_eq!(
        format_time(period_midpoint(july, "month")),
        "2026-07-16T12:00:00Z"
    );
    let december = parse_time("2026-12-02T00:00:00Z").unwrap();
    assert_eq!(
        format_time(period_midpoint(december, "month")),
        "2026-12-16T12:00:00Z"
    );
}

#[test]
fn an_uncertain_date_of_the_current_period_is_accepted_and_stable() {
    // Now is 28 November 2026: "this month" has its middle on 16 November, "this week" on
    // Thursday 26; both have begun, so both are accepted, and validating the stored value
    // again gives it back unchanged.
    for precision in ["day", "week", "month"] {
        let mut input = minimal();
        input.occurred_at = Some("2026-11-28T09:00:00Z".into());
        input.time_precision = Some(precision.into());
        let stored = validate(&input, now()).unwrap().occurred_at;
        input.occurred_at = Some(format_time(stored));
        assert_eq!(
            validate(&input, now()).unwrap().occurred_at,
            stored,
            "{precision}"
        );
    }
    let mut input = minimal();
    input.occurred_at = Some("2026-12-01T00:00:00Z".into());
    input.time_precision = Some("month".into());
    assert_eq!(
        fields(&input),
        vec!["occurred_at"],
        "next month has not begun"
    );
}

#[test]
fn times_before_the_first_mission_are_refused() {
    // The last is still 1947 once in UTC.
    for given in [
        "0000-03-14T06:30:00Z",
        "1947-12-31T23:59:59Z",
        "1948-01-01T00:30:00+01:00",
    ] {
        let mut input = minimal();
        input.occurred_at = Some(given.into());
        assert_eq!(fields(&input), vec!["occurred_at"], "{given}");
    }
    let mut input = minimal();
    input.occurred_at = Some("1948-01-01T00:00:00Z".into());
    assert!(validate(&input, now()).is_ok());
    input.sources = vec![SourceInput {
        source_type: Some("witness".into()),
        description: Some("A villager".into()),
        received_at: Some("0001-01-01T00:00:00Z".into()),
        reliability: Some("B".into()),
        credibility: Some(2),
    }];
    assert_eq!(fields(&input), vec!["sources[0].received_at"]);
}

#[test]
fn times_keep_microseconds() {
    let mut input = minimal();
    input.occurred_at = Some("2026-11-27T06:30:00.123456789Z".into());
    let stored = validate(&input, now()).unwrap().occurred_at;
    assert_eq!(format_time(stored), "2026-11-27T06:30:00.123456Z");
}

#[test]
fn list_limits() {
    let mut input = minimal();
    input.victims = vec![
        VictimInput {
            personnel_type: Some("police".into()),
            outcome: Some("injured".into()),
            ..Default::default()
        };
        MAX_VICTIMS + 1
    ];
    assert_eq!(fields(&input), vec!["victims"]);
    let mut input = minimal();
    input.perpetrators = vec![PerpetratorInput::default(); MAX_PERPETRATORS + 1];
    assert_eq!(fields(&input), vec!["perpetrators"]);
}

#[test]
fn casualty_ids_are_unique_within_an_incident() {
    let mut input = minimal();
    let victim = VictimInput {
        personnel_type: Some("military".into()),
        outcome: Some("killed".into()),
        casualty_id: Some("MINUSCA-2026-11-00001".into()),
        ..Default::default()
    };
    let mut spaced = victim.clone();
    spaced.casualty_id = Some(" MINUSCA-2026-11-00001 ".into());
    input.victims = vec![victim.clone(), spaced];
    assert_eq!(fields(&input), vec!["victims[1].casualty_id"]);
    let mut blank = victim.clone();
    blank.casualty_id = Some(String::new());
    input.victims = vec![blank.clone(), blank];
    assert!(validate(&input, now()).is_ok(), "blank ids are no ids");
}

#[test]
fn every_lifecycle_move() {
    use Move::*;
    use Status::*;
    let cases = [
        (Draft, Edit, false, Ok(Draft)),
        (Draft, Submit, false, Ok(Submitted)),
        (Draft, Verify, false, Err(())),
        (Draft, Withdraw, false, Ok(Withdrawn)),
        (Submitted, Edit, false, Ok(Submitted)),
        (Submitted, Submit, false, Err(())),
        (Submitted, Verify, false, Ok(Verified)),
        (Submitted, Withdraw, false, Ok(Withdrawn)),
        (Verified, Edit, false, Err(())),
        (Verified, Edit, true, Ok(Submitted)),
        (Verified, Submit, false, Err(())),
        (Verified, Verify, false, Err(())),
        (Verified, Withdraw, false, Ok(Withdrawn)),
        (Withdrawn, Edit, true, Err(())),
        (Withdrawn, Submit, false, Err(())),
        (Withdrawn, Verify, false, Err(())),
        (Withdrawn, Withdraw, false, Err(())),
    ];
    for (from, action, reason, expected) in cases {
        assert_eq!(
            next_status(from, action, reason).map_err(|_| ()),
            expected,
            "{from:?} {action:?}"
        );
    }
}

#[test]
fn references_and_changes() {
    assert_eq!(reference("MINUSCA", 2026, 7), "MINUSCA-2026-00007");
    let before = serde_json::json!({ "summary": "a", "victims": [] });
    let after = serde_json::json!({ "summary": "b", "victims": [] });
    assert_eq!(
        crate::domain::audit::changes(&before, &after),
        serde_json::json!({ "summary": { "from": "a", "to": "b" } })
    );
    let mut value = serde_json::json!({ "victims": [{ "personnel_type": "police", "outcome": "killed", "name": "X", "unit": "Y" }] });
    redact_personal(&mut value);
    assert_eq!(
        value,
        serde_json::json!({ "victims": [{ "personnel_type": "police", "outcome": "killed" }] })
    );
}
