//! A Member State's part of the record: which incidents and cases reach a State's focal point,
//! and how the State is concerned by each. Pure rules; the access guard applies them.
//!
//! A State is concerned as host State by the cases whose host State (`jurisdiction_state`) it
//! is, and by their incidents; as country of nationality by the incidents with at least one
//! victim of its nationality, and by their cases. Drafts and withdrawn incidents never reach a
//! State, and above the focal point's clearance a record stays invisible, as for everyone.

use serde::Serialize;

use super::access::Clearance;

/// How a State is concerned by a record it may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Its courts prosecute the case.
    Host,
    /// One of its nationals was attacked.
    Nationality,
}

impl Relation {
    pub const ALL: [Relation; 2] = [Relation::Host, Relation::Nationality];

    pub fn code(self) -> &'static str {
        match self {
            Relation::Host => "host",
            Relation::Nationality => "nationality",
        }
    }

    pub fn from_code(code: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// The incident statuses that reach a State: what was reported and not taken back.
pub const REACHING_STATUSES: [&str; 2] = ["submitted", "verified"];

/// What decides whether an incident reaches a State.
#[derive(Debug, Clone)]
pub struct IncidentFacts<'a> {
    pub status: &'a str,
    pub classification: Clearance,
    /// The nationalities of its victims (ISO3), as recorded.
    pub nationalities: Vec<&'a str>,
}

impl IncidentFacts<'_> {
    /// Neither a draft nor withdrawn, and within the reader's clearance.
    pub fn reaches(&self, clearance: Clearance) -> bool {
        REACHING_STATUSES.contains(&self.status) && self.classification <= clearance
    }

    fn has_national_of(&self, state: &str) -> bool {
        self.nationalities.contains(&state)
    }
}

/// How `state` is concerned by an incident, seen with `clearance`, when the host States of the
/// cases on it are `host_states`: every way, in order; none when it does not reach the State.
pub fn incident_relations(
    state: &str,
    clearance: Clearance,
    incident: &IncidentFacts,
    host_states: &[&str],
) -> Vec<Relation> {
    if !incident.reaches(clearance) {
        return Vec::new();
    }
    let mut relations = Vec::new();
    if host_states.contains(&state) {
        relations.push(Relation::Host);
    }
    if incident.has_national_of(state) {
        relations.push(Relation::Nationality);
    }
    relations
}

/// How `state` is concerned by a case before `host_state` on `incidents`, seen with
/// `clearance`: only through the incidents that reach it, as for everyone who reads a case
/// through its incidents.
pub fn case_relations(
    state: &str,
    clearance: Clearance,
    host_state: Option<&str>,
    incidents: &[IncidentFacts],
) -> Vec<Relation> {
    let reaching: Vec<&IncidentFacts> = incidents.iter().filter(|i| i.reaches(clearance)).collect();
    if reaching.is_empty() {
        return Vec::new();
    }
    let mut relations = Vec::new();
    if host_state == Some(state) {
        relations.push(Relation::Host);
    }
    if reaching.iter().any(|i| i.has_national_of(state)) {
        relations.push(Relation::Nationality);
    }
    relations
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(status: &'a str, classification: Clearance, of: &[&'a str]) -> IncidentFacts<'a> {
        IncidentFacts {
            status,
            classification,
            nationalities: of.to_vec(),
        }
    }

    #[test]
    fn an_incident_reaches_the_states_of_its_victims_and_its_cases() {
        let attack = facts("verified", Clearance::Confidential, &["SEN", "TCD"]);
        let seen = |state| incident_relations(state, Clearance::Confidential, &attack, &["MLI"]);
        assert_eq!(seen("SEN"), [Relation::Nationality]);
        assert_eq!(seen("TCD"), [Relation::Nationality]);
        assert_eq!(seen("MLI"), [Relation::Host]);
        assert!(seen("FRA").is_empty());
        assert!(
            incident_relations("SEN", Clearance::Unclassified, &attack, &[]).is_empty(),
            "above the clearance"
        );
        for status in ["draft", "withdrawn"] {
            let hidden = facts(status, Clearance::Unclassified, &["SEN"]);
            assert!(
                incident_relations("SEN", Clearance::Confidential, &hidden, &["SEN"]).is_empty()
            );
        }
        let both = incident_relations(
            "MLI",
            Clearance::Confidential,
            &facts("submitted", Clearance::Unclassified, &["MLI"]),
            &["MLI"],
        );
        assert_eq!(both, [Relation::Host, Relation::Nationality]);
    }

    #[test]
    fn a_case_reaches_its_host_state_and_the_states_of_the_victims_it_may_see() {
        let open = facts("verified", Clearance::Unclassified, &["SEN"]);
        let secret = facts("verified", Clearance::StrictlyConfidential, &["TCD"]);
        let incidents = [open, secret];
        let seen = |state, clearance| case_relations(state, clearance, Some("MLI"), &incidents);
        assert_eq!(seen("MLI", Clearance::Unclassified), [Relation::Host]);
        assert_eq!(
            seen("SEN", Clearance::Unclassified),
            [Relation::Nationality]
        );
        assert!(
            seen("TCD", Clearance::Confidential).is_empty(),
            "its national's incident is above"
        );
        assert!(seen("FRA", Clearance::StrictlyConfidential).is_empty());
        let only_secret = [facts("verified", Clearance::StrictlyConfidential, &[])];
        assert!(
            case_relations("MLI", Clearance::Confidential, Some("MLI"), &only_secret).is_empty()
        );
        assert!(case_relations("MLI", Clearance::Confidential, None, &incidents).is_empty());
    }

    #[test]
    fn relation_codes_round_trip() {
        for relation in Relation::ALL {
            assert_eq!(Relation::from_code(relation.code()), Some(relation));
        }
        assert_eq!(Relation::from_code("ally"), None);
    }
}
