//! Assistance to host States: the support the UN gave a State's investigations and
//! prosecutions, with the days it ran and the cases it served.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::access::one_of;
use super::case::{optional_text, parse_date};
use super::country;
use super::patch::{list, nullable, set};
use super::validation::{FieldError, Violations};

pub const ASSISTANCE_TYPES: &[&str] = &[
    "training",
    "investigative_support",
    "forensic_support",
    "deployed_investigators",
    "legal_aid",
    "detention_support",
    "equipment",
    "other",
];

/// At most this many cases served by one record.
pub const MAX_CASES: usize = 50;

/// A record of assistance as a client writes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistanceInput {
    /// `training`, `investigative_support`, `forensic_support`, `deployed_investigators`
    /// (investigators a contributing country sent at the host State's request), `legal_aid`,
    /// `detention_support`, `equipment` or `other`.
    #[serde(rename = "type")]
    pub assistance_type: Option<String>,
    /// The host State assisted (ISO 3166-1 alpha-3).
    pub state: Option<String>,
    /// The mission that gave or arranged it.
    pub mission: Option<String>,
    /// The first day (YYYY-MM-DD).
    pub from: Option<String>,
    /// The last day (YYYY-MM-DD); absent while it goes on.
    pub to: Option<String>,
    /// Who gave it: a section of the mission, an agency, a contributing country.
    pub provider: Option<String>,
    pub description: Option<String>,
    /// The cases it served: cases of the same mission.
    pub case_ids: Option<Vec<String>>,
}

/// A change to a record of assistance: absent fields stay, `null` clears `to` and
/// `description`, a list of cases replaces the stored one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistanceChanges {
    #[serde(rename = "type")]
    pub assistance_type: Option<String>,
    pub state: Option<String>,
    pub from: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub to: Option<Option<String>>,
    pub provider: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "list")]
    pub case_ids: Option<Vec<String>>,
}

impl AssistanceChanges {
    /// The stored record with this change laid over it. The mission does not change: the
    /// record belongs to the mission that wrote it.
    pub fn applied_to(self, mut input: AssistanceInput) -> AssistanceInput {
        set(&mut input.assistance_type, self.assistance_type.map(Some));
        set(&mut input.state, self.state.map(Some));
        set(&mut input.from, self.from.map(Some));
        set(&mut input.to, self.to);
        set(&mut input.provider, self.provider.map(Some));
        set(&mut input.description, self.description);
        set(&mut input.case_ids, self.case_ids.map(Some));
        input
    }
}

/// A record of assistance, valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assistance {
    pub assistance_type: String,
    pub state: String,
    pub mission: String,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub provider: String,
    pub description: Option<String>,
    pub case_ids: Vec<String>,
}

impl Assistance {
    pub fn to_input(&self) -> AssistanceInput {
        AssistanceInput {
            assistance_type: Some(self.assistance_type.clone()),
            state: Some(self.state.clone()),
            mission: Some(self.mission.clone()),
            from: Some(self.from.to_string()),
            to: self.to.map(|day| day.to_string()),
            provider: Some(self.provider.clone()),
            description: self.description.clone(),
            case_ids: Some(self.case_ids.clone()),
        }
    }

    /// How many of its days fall between `first` and `last` (both counted); one still going on
    /// runs to `last`.
    pub fn days_within(&self, first: NaiveDate, last: NaiveDate) -> i64 {
        let start = self.from.max(first);
        let end = self.to.unwrap_or(last).min(last);
        ((end - start).num_days() + 1).max(0)
    }
}

/// Checks a record of assistance: it started by `today` and ends on or after its start; the
/// mission's existence and the cases are the service's to check against the database.
pub fn validate_assistance(
    input: &AssistanceInput,
    today: NaiveDate,
) -> Result<Assistance, Vec<FieldError>> {
    let mut violations = Violations::new();
    let assistance_type = input.assistance_type.clone().unwrap_or_default();
    if !ASSISTANCE_TYPES.contains(&assistance_type.as_str()) {
        violations.add("type", one_of(ASSISTANCE_TYPES.iter().copied()));
    }
    let state = input.state.clone().unwrap_or_default();
    if state.is_empty() {
        violations.add("state", "is required (ISO 3166-1 alpha-3)");
    } else {
        violations.check("state", country::check_current(&state));
    }
    let mission = input.mission.clone().unwrap_or_default();
    if mission.is_empty() {
        violations.add("mission", "is required");
    }
    let mut day = |field: &str, text: Option<&str>| {
        let parsed = text.map(parse_date)?;
        parsed
            .map_err(|message| violations.add(field, message))
            .ok()
    };
    let from = day("from", input.from.as_deref());
    let to = day("to", input.to.as_deref());
    match from {
        None if input.from.is_none() => violations.add("from", "is required (YYYY-MM-DD)"),
        Some(from) if from > today => violations.add(
            "from",
            format!("must not be in the future (today is {today})"),
        ),
        _ => {}
    }
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        violations.add("to", format!("must not be before `from` ({from})"));
    }
    let provider = optional_text(&mut violations, "provider", &input.provider, 200);
    if provider.is_none() {
        violations.add("provider", "is required");
    }
    let description = optional_text(&mut violations, "description", &input.description, 4000);
    let mut case_ids = input.case_ids.clone().unwrap_or_default();
    case_ids.sort();
    case_ids.dedup();
    if case_ids.len() > MAX_CASES {
        violations.add("case_ids", format!("must hold at most {MAX_CASES} cases"));
    }
    if case_ids.iter().any(|id| uuid::Uuid::parse_str(id).is_err()) {
        violations.add("case_ids", "must hold case ids (UUIDs)");
    }
    violations.into_result()?;
    Ok(Assistance {
        assistance_type,
        state,
        mission,
        from: from.unwrap_or(today),
        to,
        provider: provider.unwrap_or_default(),
        description,
        case_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    fn training() -> AssistanceInput {
        AssistanceInput {
            assistance_type: Some("training".into()),
            state: Some("CAF".into()),
            mission: Some("MINUSCA".into()),
            from: Some("2026-02-01".into()),
            to: Some("2026-02-10".into()),
            provider: Some("UNPOL".into()),
            description: None,
            case_ids: None,
        }
    }

    fn refused(input: &AssistanceInput) -> Vec<String> {
        validate_assistance(input, date("2026-06-30"))
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_record_of_assistance_is_checked_field_by_field() {
        let valid = validate_assistance(&training(), date("2026-06-30")).unwrap();
        assert_eq!(valid.to, Some(date("2026-02-10")));
        assert!(refused(&training()).is_empty());
        assert_eq!(
            refused(&AssistanceInput::default()),
            ["type", "state", "mission", "from", "provider"]
        );
        let bad = AssistanceInput {
            assistance_type: Some("money".into()),
            state: Some("XXX".into()),
            from: Some("2026-07-01".into()),
            to: Some("2026-06-01".into()),
            case_ids: Some(vec!["not-a-case".into()]),
            ..training()
        };
        assert_eq!(refused(&bad), ["type", "state", "from", "to", "case_ids"]);
        let ongoing = AssistanceInput {
            to: None,
            ..training()
        };
        assert!(refused(&ongoing).is_empty());
    }

    #[test]
    fn days_within_a_period_count_both_ends() {
        let record = validate_assistance(&training(), date("2026-06-30")).unwrap();
        assert_eq!(
            record.days_within(date("2026-01-01"), date("2026-12-31")),
            10
        );
        assert_eq!(
            record.days_within(date("2026-02-10"), date("2026-12-31")),
            1
        );
        assert_eq!(
            record.days_within(date("2026-03-01"), date("2026-12-31")),
            0
        );
        let ongoing = Assistance { to: None, ..record };
        assert_eq!(
            ongoing.days_within(date("2026-06-01"), date("2026-06-30")),
            30
        );
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name() {
        let changes: AssistanceChanges =
            serde_json::from_value(serde_json::json!({ "to": null, "provider": "OHCHR" })).unwrap();
        let changed = changes.applied_to(training());
        assert_eq!(changed.to, None);
        assert_eq!(changed.provider.as_deref(), Some("OHCHR"));
        assert_eq!(changed.state.as_deref(), Some("CAF"));
    }
}
