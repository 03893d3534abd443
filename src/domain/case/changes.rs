//! Changes to a case and to an accused person as a client sends them: the fields sent replace
//! the stored ones (the linked incidents whole), `null` clears a field, and a field left out
//! stays as stored.

use serde::Deserialize;

use super::{AccusedInput, CaseInput, Sentence};
use crate::domain::patch::{list, nullable, set};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseChanges {
    #[serde(default, deserialize_with = "list")]
    pub incident_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub jurisdiction: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub jurisdiction_state: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub authority: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub lead_officer: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub next_action: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub next_action_due: Option<Option<String>>,
    #[serde(default)]
    pub next_action_shared: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub notes: Option<Option<String>>,
}

impl CaseChanges {
    /// Whether the change touches the linked incidents.
    pub fn changes_links(&self) -> bool {
        self.incident_ids.is_some()
    }

    pub fn applied_to(self, mut input: CaseInput) -> CaseInput {
        set(&mut input.incident_ids, self.incident_ids);
        // A new jurisdiction takes the State sent with it, or none: a named court's State
        // does not follow the case to another court.
        if self.jurisdiction.is_some() && self.jurisdiction_state.is_none() {
            input.jurisdiction_state = None;
        }
        set(&mut input.jurisdiction, self.jurisdiction);
        set(&mut input.jurisdiction_state, self.jurisdiction_state);
        set(&mut input.authority, self.authority);
        set(&mut input.lead_officer, self.lead_officer);
        // A new next action is the mission's own again, unless shared with it.
        if self.next_action.is_some() && self.next_action_shared.is_none() {
            input.next_action_shared = Some(false);
        }
        set(&mut input.next_action, self.next_action);
        if let Some(shared) = self.next_action_shared {
            input.next_action_shared = Some(shared);
        }
        set(&mut input.next_action_due, self.next_action_due);
        set(&mut input.notes, self.notes);
        input
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccusedChanges {
    #[serde(default, deserialize_with = "nullable")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub affiliation: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub status: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub charges: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub verdict: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub verdict_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub sentence: Option<Option<Sentence>>,
}

impl AccusedChanges {
    pub fn applied_to(self, mut input: AccusedInput) -> AccusedInput {
        set(&mut input.name, self.name);
        set(&mut input.affiliation, self.affiliation);
        set(&mut input.status, self.status);
        set(&mut input.charges, self.charges);
        set(&mut input.verdict, self.verdict);
        set(&mut input.verdict_on, self.verdict_on);
        set(&mut input.sentence, self.sentence);
        input
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_case_change_replaces_what_it_sends_and_clears_nulls() {
        let stored = CaseInput {
            incident_ids: vec!["a".into(), "b".into()],
            jurisdiction: Some("CAF".into()),
            notes: Some("Witness heard".into()),
            ..Default::default()
        };
        let changes: CaseChanges =
            serde_json::from_value(json!({ "notes": null, "authority": "Tribunal" })).unwrap();
        assert!(!changes.changes_links());
        let changed = changes.applied_to(stored.clone());
        assert_eq!(changed.notes, None);
        assert_eq!(changed.authority.as_deref(), Some("Tribunal"));
        assert_eq!(changed.incident_ids, stored.incident_ids);
        assert_eq!(changed.jurisdiction, stored.jurisdiction);

        let relinked: CaseChanges =
            serde_json::from_value(json!({ "incident_ids": ["c"] })).unwrap();
        assert!(relinked.changes_links());
        assert_eq!(
            relinked.applied_to(stored).incident_ids,
            vec!["c".to_string()]
        );
        assert!(serde_json::from_value::<CaseChanges>(json!({ "incident_ids": null })).is_err());
    }

    #[test]
    fn an_accused_change_keeps_what_it_leaves_out() {
        let stored = AccusedInput {
            name: Some("A. N. Other".into()),
            verdict: Some("pending".into()),
            ..Default::default()
        };
        let changes: AccusedChanges = serde_json::from_value(
            json!({ "verdict": "convicted", "sentence": { "type": "prison", "months": 120 } }),
        )
        .unwrap();
        let changed = changes.applied_to(stored);
        assert_eq!(changed.name.as_deref(), Some("A. N. Other"));
        assert_eq!(changed.verdict.as_deref(), Some("convicted"));
        assert_eq!(changed.sentence.and_then(|s| s.months), Some(120));
        assert!(serde_json::from_value::<AccusedChanges>(json!({ "age": 30 })).is_err());
    }
}
