//! The two-person rule: an incident is verified only by a security officer who confirms its
//! current version and wrote none of its content since it was last verified.
//!
//! Who wrote what is read from the incident's history: each version names its action and who
//! made it. Creating, editing, amending and importing write content; submitting, verifying and
//! withdrawing do not.

use std::collections::BTreeSet;

/// The actions of an incident's history that write content (the others move it along).
pub const CONTENT_ACTIONS: [&str; 4] = ["create", "update", "amend", "import"];

/// Whether a version with this action wrote content.
pub fn writes_content(action: &str) -> bool {
    CONTENT_ACTIONS.contains(&action)
}

/// One version of an incident as the rule needs it: its number, action and author.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    pub version: i64,
    pub action: &'a str,
    pub by: &'a str,
}

/// Everyone who wrote content after version `last_verified` (all of the history when the
/// incident was never verified).
pub fn writers_since<'a>(
    history: impl IntoIterator<Item = Step<'a>>,
    last_verified: Option<i64>,
) -> BTreeSet<&'a str> {
    history
        .into_iter()
        .filter(|step| last_verified.is_none_or(|verified| step.version > verified))
        .filter(|step| writes_content(step.action))
        .map(|step| step.by)
        .collect()
}

/// Why `officer` may not verify, or nothing when they may: they must not be among `writers`,
/// those who wrote content since the last verification.
pub fn refusal(officer: &str, writers: &BTreeSet<&str>) -> Option<&'static str> {
    writers.contains(officer).then_some(
        "Two-person rule: you wrote part of this incident's content since it was last verified \
         (as its reporter, an editor or the author of an amendment); another security officer of \
         the mission, who wrote none of it, must verify it.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn step(version: i64, action: &'static str, by: &'static str) -> Step<'static> {
        Step {
            version,
            action,
            by,
        }
    }

    #[test]
    fn the_reporter_and_editors_may_not_verify_others_may() {
        let history = [
            step(1, "create", "a"),
            step(2, "update", "b"),
            step(3, "submit", "c"),
        ];
        let writers = writers_since(history, None);
        assert!(refusal("a", &writers).is_some());
        assert!(refusal("b", &writers).is_some());
        assert!(
            refusal("c", &writers).is_none(),
            "submitting writes nothing"
        );
    }

    #[test]
    fn after_a_verification_only_the_amendments_authors_count() {
        let history = [
            step(1, "create", "a"),
            step(2, "submit", "a"),
            step(3, "verify", "b"),
            step(4, "amend", "b"),
        ];
        let writers = writers_since(history, Some(3));
        assert!(refusal("a", &writers).is_none(), "a wrote before version 3");
        assert!(
            refusal("b", &writers).is_some(),
            "b amended after verifying"
        );
    }

    /// What an officer does to the incident, in the property test below.
    #[derive(Debug, Clone, Copy)]
    enum Act {
        Edit(usize),
        Verify(usize),
        Withdraw(usize),
    }

    fn act() -> impl Strategy<Value = Act> {
        prop_oneof![
            4 => (0..4usize).prop_map(Act::Edit),
            4 => (0..4usize).prop_map(Act::Verify),
            1 => (0..4usize).prop_map(Act::Withdraw),
        ]
    }

    const OFFICERS: [&str; 4] = ["a", "b", "c", "d"];

    proptest! {
        /// Over any sequence of edits, amendments and attempts to verify by four officers, an
        /// attempt succeeds exactly when its officer wrote nothing since the last successful
        /// verification (an oracle that replays the sequence itself), and each verification is
        /// of content someone else wrote.
        #[test]
        fn verified_only_by_someone_who_wrote_nothing_since(
            reporter in 0..4usize,
            acts in prop::collection::vec(act(), 0..30),
        ) {
            let mut history: Vec<Step<'static>> =
                vec![step(1, "create", OFFICERS[reporter]), step(2, "submit", OFFICERS[reporter])];
            let mut verified = false;
            let mut withdrawn = false;
            let mut last_verified: Option<i64> = None;
            // The oracle: the authors of the sequence's own writes since its last verification.
            let mut oracle_writers: Vec<usize> = vec![reporter];
            for act in acts {
                if withdrawn {
                    break;
                }
                let next = history.len() as i64 + 1;
                match act {
                    Act::Edit(officer) => {
                        let action = if verified { "amend" } else { "update" };
                        history.push(step(next, action, OFFICERS[officer]));
                        // An amendment sends the incident back to be verified again.
                        verified = false;
                        oracle_writers.push(officer);
                    }
                    Act::Verify(officer) => {
                        let writers = writers_since(history.iter().copied(), last_verified);
                        let allowed = !verified && refusal(OFFICERS[officer], &writers).is_none();
                        prop_assert_eq!(
                            allowed,
                            !verified && !oracle_writers.contains(&officer),
                            "officer {} after {:?}", officer, history
                        );
                        if allowed {
                            prop_assert!(!oracle_writers.is_empty() || last_verified.is_some());
                            history.push(step(next, "verify", OFFICERS[officer]));
                            last_verified = Some(next);
                            verified = true;
                            oracle_writers.clear();
                        }
                    }
                    Act::Withdraw(officer) => {
                        history.push(step(next, "withdraw", OFFICERS[officer]));
                        withdrawn = true;
                    }
                }
            }
        }
    }
}
