//! A change to an incident as a client sends it: the fields sent replace the stored ones
//! (lists whole), `null` clears a field, and a field left out stays as stored.

use serde::Deserialize;

use super::{IncidentInput, PerpetratorInput, SourceInput, VictimInput};
use crate::domain::patch::{list, nullable, set};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentChanges {
    #[serde(default, deserialize_with = "nullable")]
    pub mission: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub classification: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub occurred_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub time_precision: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub occurred_until: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub place_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub admin1: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub admin2: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    pub longitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    pub geo_precision: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub location_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub attack_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "list")]
    pub weapons: Option<Vec<String>>,
    #[serde(default, deserialize_with = "list")]
    pub perpetrators: Option<Vec<PerpetratorInput>>,
    #[serde(default, deserialize_with = "list")]
    pub victims: Option<Vec<VictimInput>>,
    #[serde(default, deserialize_with = "list")]
    pub sources: Option<Vec<SourceInput>>,
    #[serde(default, deserialize_with = "nullable")]
    pub summary: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub narrative: Option<Option<String>>,
}

impl IncidentChanges {
    /// Every field replaced: what a form that shows the whole incident sends.
    pub fn whole(input: IncidentInput) -> Self {
        IncidentChanges {
            mission: Some(input.mission),
            classification: Some(input.classification),
            occurred_at: Some(input.occurred_at),
            time_precision: Some(input.time_precision),
            occurred_until: Some(input.occurred_until),
            place_name: Some(input.place_name),
            admin1: Some(input.admin1),
            admin2: Some(input.admin2),
            latitude: Some(input.latitude),
            longitude: Some(input.longitude),
            geo_precision: Some(input.geo_precision),
            location_type: Some(input.location_type),
            attack_type: Some(input.attack_type),
            weapons: Some(input.weapons),
            perpetrators: Some(input.perpetrators),
            victims: Some(input.victims),
            sources: Some(input.sources),
            summary: Some(input.summary),
            narrative: Some(input.narrative),
        }
    }

    /// The stored incident (as a client writes it) with these changes laid over it.
    pub fn applied_to(self, mut input: IncidentInput) -> IncidentInput {
        set(&mut input.mission, self.mission);
        set(&mut input.classification, self.classification);
        set(&mut input.occurred_at, self.occurred_at);
        set(&mut input.time_precision, self.time_precision);
        set(&mut input.occurred_until, self.occurred_until);
        set(&mut input.place_name, self.place_name);
        set(&mut input.admin1, self.admin1);
        set(&mut input.admin2, self.admin2);
        set(&mut input.latitude, self.latitude);
        set(&mut input.longitude, self.longitude);
        set(&mut input.geo_precision, self.geo_precision);
        set(&mut input.location_type, self.location_type);
        set(&mut input.attack_type, self.attack_type);
        set(&mut input.weapons, self.weapons);
        set(&mut input.perpetrators, self.perpetrators);
        set(&mut input.victims, self.victims);
        set(&mut input.sources, self.sources);
        set(&mut input.summary, self.summary);
        set(&mut input.narrative, self.narrative);
        input
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored() -> IncidentInput {
        IncidentInput {
            mission: Some("MINUSCA".into()),
            place_name: Some("Bangui".into()),
            weapons: vec!["small_arms".into()],
            summary: Some("Convoy ambushed".into()),
            ..Default::default()
        }
    }

    fn changes(body: serde_json::Value) -> Result<IncidentChanges, String> {
        serde_json::from_value(body).map_err(|e| e.to_string())
    }

    #[test]
    fn a_field_left_out_stays_one_sent_replaces_and_null_clears() {
        let changed = changes(json!({ "summary": "Convoy ambushed at dawn", "place_name": null }))
            .unwrap()
            .applied_to(stored());
        assert_eq!(changed.summary.as_deref(), Some("Convoy ambushed at dawn"));
        assert_eq!(changed.place_name, None);
        assert_eq!(changed.mission.as_deref(), Some("MINUSCA"));
        assert_eq!(changed.weapons, vec!["small_arms".to_string()]);
    }

    #[test]
    fn a_list_is_replaced_whole_and_never_by_null() {
        let changed = changes(json!({ "weapons": [] }))
            .unwrap()
            .applied_to(stored());
        assert!(changed.weapons.is_empty());
        let refused = changes(json!({ "weapons": null })).unwrap_err();
        assert!(refused.contains("expected a sequence"), "{refused}");
    }

    #[test]
    fn unknown_fields_and_wrong_shapes_are_refused() {
        assert!(
            changes(json!({ "colour": "red" }))
                .unwrap_err()
                .contains("unknown field")
        );
        assert!(
            changes(json!({ "latitude": "north" }))
                .unwrap_err()
                .contains("f64")
        );
    }

    #[test]
    fn the_whole_input_replaces_everything() {
        let input = IncidentInput {
            narrative: Some("Long account".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(IncidentChanges::whole(input.clone()).applied_to(stored()))
                .unwrap(),
            serde_json::to_value(input).unwrap()
        );
    }
}
