//! The rules of cases, tested.

use super::*;
use CaseStatus::*;
use proptest::prelude::*;

fn date(text: &str) -> NaiveDate {
    parse_date(text).unwrap()
}

/// The rule of the domain, written out once more as a plain table, move by move.
fn allowed_by_the_domain(from: CaseStatus, to: CaseStatus) -> bool {
    let path = [
        Opened,
        Referred,
        Investigating,
        SuspectsIdentified,
        WarrantsIssued,
        ArrestsMade,
        Charged,
        InTrial,
        Judgment,
    ];
    let rank = |s: CaseStatus| path.iter().position(|p| *p == s);
    match (from, to) {
        (Final, _) => false,
        (Closed, to) => to == Investigating,
        (_, Closed) => true,
        (Appeal, to) => matches!(to, InTrial | Final),
        (Judgment, to) => matches!(to, Appeal | Final),
        (from, to) => matches!((rank(from), rank(to)), (Some(a), Some(b)) if b > a),
    }
}

/// All 144 pairs, each checked: every allowed move is accepted, every other refused.
#[test]
fn every_allowed_move_is_accepted_and_every_other_refused() {
    for from in CaseStatus::ALL {
        let expected: Vec<CaseStatus> = CaseStatus::ALL
            .into_iter()
            .filter(|to| allowed_by_the_domain(from, *to))
            .collect();
        for to in CaseStatus::ALL {
            match check_move(from, to) {
                Ok(()) => assert!(allowed_by_the_domain(from, to), "{from:?} -> {to:?}"),
                Err(allowed) => {
                    assert!(!allowed_by_the_domain(from, to), "{from:?} -> {to:?}");
                    // The refusal lists exactly the moves allowed instead.
                    let mut listed = allowed.clone();
                    listed.sort();
                    assert_eq!(listed, expected, "from {from:?}");
                }
            }
        }
        assert!(check_move(from, from).is_err(), "{from:?} -> itself");
    }
}

proptest! {

    #[test]
    fn any_walk_of_allowed_moves_ends_nowhere_after_final(
        choices in proptest::collection::vec(0usize..12, 1..40)
    ) {
        let mut status = Opened;
        for choice in choices {
            let moves = allowed_moves(status);
            if moves.is_empty() {
                prop_assert_eq!(status, Final);
                break;
            }
            status = moves[choice % moves.len()];
        }
    }

    #[test]
    fn effective_dates_keep_the_timeline_in_order(
        incident in 0i64..3000, previous in 0i64..3000, effective in 0i64..3000, today in 0i64..3000
    ) {
        let base = date("2018-01-01");
        let day = |n: i64| base + chrono::Days::new(n as u64);
        let ok = check_effective_on(day(effective), day(incident), Some(day(previous)), day(today)).is_ok();
        prop_assert_eq!(ok, effective >= incident && effective >= previous && effective <= today);
    }
}

#[test]
fn final_is_terminal_and_closed_reopens_only_to_investigating() {
    assert!(allowed_moves(Final).is_empty());
    assert_eq!(allowed_moves(Closed), vec![Investigating]);
    assert_eq!(allowed_moves(Appeal), vec![InTrial, Final, Closed]);
    for status in CaseStatus::ALL {
        assert_eq!(
            check_move(status, Closed).is_ok(),
            status.is_open(),
            "{status:?} -> closed"
        );
    }
}

fn transition(to: &str, on: &str) -> TransitionInput {
    TransitionInput {
        to: Some(to.to_string()),
        effective_on: Some(on.to_string()),
        ..Default::default()
    }
}

#[test]
fn a_refused_move_says_what_is_allowed() {
    let refusal = validate_transition(
        &transition("final", "2026-05-01"),
        Opened,
        date("2026-03-14"),
        None,
        date("2026-11-28"),
    )
    .unwrap_err();
    let TransitionRefusal::NotAllowed { allowed, .. } = refusal else {
        panic!("expected a refused move");
    };
    assert!(allowed.contains(&Referred) && allowed.contains(&Closed));
    assert!(!allowed.contains(&Final));
}

#[test]
fn closing_needs_a_reason_and_only_closing_takes_one() {
    let today = date("2026-11-28");
    let incident = date("2026-03-14");
    let fields = |input: &TransitionInput, from| match validate_transition(
        input, from, incident, None, today,
    ) {
        Err(TransitionRefusal::Invalid(errors)) => {
            errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
        }
        other => panic!("expected invalid fields, got {other:?}"),
    };
    assert_eq!(
        fields(&transition("closed", "2026-06-01"), Referred),
        ["closure_reason"]
    );
    let mut with_reason = transition("referred", "2026-06-01");
    with_reason.closure_reason = Some("no_suspect".into());
    assert_eq!(fields(&with_reason, Opened), ["closure_reason"]);
    let mut closing = transition("closed", "2026-06-01");
    closing.closure_reason = Some("no_suspect".into());
    let ok = validate_transition(&closing, Referred, incident, None, today).unwrap();
    assert_eq!(ok.closure_reason.as_deref(), Some("no_suspect"));
    assert_eq!(
        fields(&transition("referred", "2026-03-13"), Opened),
        ["effective_on"]
    );
    assert_eq!(
        fields(&transition("referred", "2026-11-29"), Opened),
        ["effective_on"]
    );
    assert_eq!(
        fields(&transition("referred", "14/03/2026"), Opened),
        ["effective_on"]
    );
}

#[test]
fn urgency_puts_due_dates_first_and_ended_cases_last() {
    let due = Some(date("2026-12-01"));
    assert_eq!(urgency(Referred, due), date("2026-12-01"));
    assert!(urgency(Referred, None) > date("2100-01-01"));
    assert!(urgency(Final, due) > urgency(Referred, None));
    assert_eq!(urgency(Closed, None), urgency(Final, due));
}

#[test]
fn host_states() {
    assert_eq!(host_state("CAF", None), Ok(Some("CAF".to_string())));
    assert_eq!(host_state("CAF", Some("CAF")), Ok(Some("CAF".to_string())));
    assert!(host_state("MLI", Some("SEN")).is_err());
    assert_eq!(host_state("ICC", None), Ok(None));
    assert!(host_state("ICC", Some("CAF")).is_err());
    let court = "Special Criminal Court (CAR)";
    assert_eq!(host_state(court, Some("CAF")), Ok(Some("CAF".to_string())));
    assert_eq!(host_state(court, None), Ok(None));
    assert!(host_state(court, Some("XYZ")).is_err());
    assert!(
        host_state(court, Some("ZAR")).is_err(),
        "a State that no longer exists"
    );
}

#[test]
fn a_new_jurisdiction_takes_only_the_state_sent_with_it() {
    use super::changes::CaseChanges;
    let stored = CaseInput {
        jurisdiction: Some("Special Criminal Court (CAR)".into()),
        jurisdiction_state: Some("CAF".into()),
        ..Default::default()
    };
    let moved: CaseChanges =
        serde_json::from_value(serde_json::json!({ "jurisdiction": "MLI" })).unwrap();
    let input = moved.applied_to(stored.clone());
    assert_eq!(input.jurisdiction_state, None);
    let renamed: CaseChanges =
        serde_json::from_value(serde_json::json!({ "authority": "x" })).unwrap();
    assert_eq!(
        renamed.applied_to(stored).jurisdiction_state.as_deref(),
        Some("CAF")
    );
}

#[test]
fn jurisdictions() {
    assert!(check_jurisdiction("CAF").is_ok());
    assert!(check_jurisdiction("ICC").is_ok());
    assert!(check_jurisdiction("Special Criminal Court (CAR)").is_ok());
    assert!(check_jurisdiction("XYZ").is_err());
    assert!(check_jurisdiction("ab").is_err());
}

#[test]
fn verdicts_wait_for_a_judgment_and_convictions_need_a_sentence() {
    let today = date("2026-06-30");
    let judged = Some(date("2026-03-01"));
    let convicted = AccusedInput {
        name: Some("Commander X".into()),
        verdict: Some("convicted".into()),
        verdict_on: Some("2026-03-02".into()),
        ..Default::default()
    };
    let fields = |input: &AccusedInput, judged| {
        validate_accused(input, judged, None, today)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect::<Vec<_>>()
    };
    assert_eq!(fields(&convicted, None), ["verdict", "sentence"]);
    assert_eq!(fields(&convicted, judged), ["sentence"]);
    let sentenced = AccusedInput {
        sentence: Some(Sentence {
            sentence_type: Some("imprisonment".into()),
            months: Some(240),
            details: None,
        }),
        ..convicted.clone()
    };
    assert!(validate_accused(&sentenced, judged, None, today).is_ok());
    // A verdict already recorded stays valid whatever the case does next.
    assert!(validate_accused(&sentenced, None, Some("convicted"), today).is_ok());
    assert!(validate_accused(&sentenced, None, Some("acquitted"), today).is_err());
    let acquitted_with_sentence = AccusedInput {
        verdict: Some("acquitted".into()),
        ..sentenced.clone()
    };
    assert_eq!(fields(&acquitted_with_sentence, judged), ["sentence"]);
    let nameless = AccusedInput::default();
    assert_eq!(fields(&nameless, None), ["name"]);
    assert_eq!(
        judgment_reached_on([
            (Opened, date("2025-01-01")),
            (InTrial, date("2025-06-01")),
            (Judgment, date("2026-03-01")),
            (Appeal, date("2026-04-01")),
            (InTrial, date("2026-05-01")),
        ]),
        judged
    );
    assert_eq!(
        judgment_reached_on([(Opened, date("2025-01-01")), (Closed, date("2025-02-01"))]),
        None
    );
}

#[test]
fn a_verdict_is_dated_between_its_judgment_and_today() {
    let today = date("2026-06-30");
    let judged = Some(date("2026-03-01"));
    let acquitted = |day: Option<&str>| AccusedInput {
        name: Some("Commander X".into()),
        verdict: Some("acquitted".into()),
        verdict_on: day.map(String::from),
        ..Default::default()
    };
    let refusal = |input: &AccusedInput| {
        validate_accused(input, judged, None, today)
            .err()
            .map(|errors| (errors[0].field.clone(), errors[0].message.clone()))
    };
    let accepted = validate_accused(&acquitted(Some("2026-03-01")), judged, None, today);
    assert_eq!(accepted.unwrap().verdict_on, judged);
    assert!(refusal(&acquitted(Some("2026-06-30"))).is_none());
    for (day, message) in [
        (None, "is required with a verdict (YYYY-MM-DD)"),
        (
            Some("2026-02-28"),
            "must not be before the case's judgment (2026-03-01)",
        ),
        (
            Some("2026-07-01"),
            "must not be in the future (today is 2026-06-30)",
        ),
    ] {
        assert_eq!(
            refusal(&acquitted(day)),
            Some(("verdict_on".to_string(), message.to_string())),
            "{day:?}"
        );
    }
    assert_eq!(
        refusal(&acquitted(Some("1 March"))).unwrap().0,
        "verdict_on"
    );
    // A pending verdict has no date.
    let pending = AccusedInput {
        verdict: Some("pending".into()),
        ..acquitted(Some("2026-03-01"))
    };
    assert_eq!(refusal(&pending).unwrap().0, "verdict_on");
    let pending = AccusedInput {
        verdict_on: None,
        ..pending
    };
    assert_eq!(
        validate_accused(&pending, judged, None, today)
            .unwrap()
            .verdict_on,
        None
    );
}

#[test]
fn documents_are_known_by_their_content() {
    assert_eq!(
        document_media_type(b"%PDF-1.7\n1 0 obj"),
        Some("application/pdf")
    );
    assert_eq!(
        document_media_type(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]),
        Some("image/png")
    );
    assert_eq!(
        document_media_type("Note verbale n° 12\r\n".as_bytes()),
        Some("text/plain")
    );
    // An executable named `report.pdf` is still an executable.
    assert_eq!(document_media_type(b"\x7fELF\x02\x01\x01\0\0\0\0\0"), None);
    assert_eq!(document_media_type(b"MZ\x90\0\x03\0\0\0"), None);
    assert_eq!(document_media_type(b"text with a \0 inside"), None);
    assert_eq!(document_media_type(b"#!/bin/sh\nrm -rf /\n"), None);
    // Text that happens to begin like a rarer format (BMP, here) is still text.
    assert_eq!(
        document_media_type(b"BM 2026/114: note to the prosecutor"),
        Some("text/plain")
    );
    assert_eq!(document_media_type(b""), None);
}
