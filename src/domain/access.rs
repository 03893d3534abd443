//! Roles and clearances: who a user is in the registry and how much they may read.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    SecurityOfficer,
    LegalOfficer,
    Leadership,
    Auditor,
    /// A Member State's focal point: sees its State's part of the record, on no mission.
    StateFocalPoint,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::SecurityOfficer,
        Role::LegalOfficer,
        Role::Leadership,
        Role::Auditor,
        Role::StateFocalPoint,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SecurityOfficer => "security_officer",
            Role::LegalOfficer => "legal_officer",
            Role::Leadership => "leadership",
            Role::Auditor => "auditor",
            Role::StateFocalPoint => "state_focal_point",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.code() == code)
    }

    /// Security officers, legal officers and leadership work on missions: some of them, or all
    /// of them when their account says so. Administrators and auditors read no mission's records.
    pub fn works_on_missions(self) -> bool {
        matches!(
            self,
            Role::SecurityOfficer | Role::LegalOfficer | Role::Leadership
        )
    }

    /// Administrators hold the keys to every account, and focal points sign in from outside the
    /// UN's network: both must confirm a second factor before they reach anything else.
    pub fn must_use_second_factor(self) -> bool {
        matches!(self, Role::Admin | Role::StateFocalPoint)
    }

    /// Why an account of this role cannot speak for this State (`state`), if it cannot: a focal
    /// point speaks for exactly one State that exists today, and no other account for any.
    pub fn state_problem(self, state: Option<&str>) -> Option<String> {
        match (self, state) {
            (Role::StateFocalPoint, None) => {
                Some("is required for a State's focal point (an ISO 3166-1 alpha-3 code)".into())
            }
            (Role::StateFocalPoint, Some(code)) => {
                crate::domain::country::check_current(code).err()
            }
            (_, Some(_)) => Some("is only for a State's focal point".into()),
            (_, None) => None,
        }
    }

    /// Why an account of this role cannot have these missions and this all-missions flag, if
    /// it cannot: work on every mission is granted by the flag, never by an empty list.
    pub fn missions_problem(self, missions: &[String], all_missions: bool) -> Option<&'static str> {
        if self == Role::StateFocalPoint && !missions.is_empty() {
            return Some("are not for a State's focal point, which reads its State's part");
        }
        if !self.works_on_missions() {
            return all_missions
                .then_some("is only for security officers, legal officers and leadership");
        }
        if missions.is_empty() && !all_missions {
            return Some(
                "must name at least one mission, unless the account works on all missions \
                 (`all_missions`)",
            );
        }
        None
    }
}

/// The highest classification a user may read. Ordered: a higher clearance covers the lower ones.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Clearance {
    Unclassified,
    Confidential,
    StrictlyConfidential,
}

impl Clearance {
    pub const ALL: [Clearance; 3] = [
        Clearance::Unclassified,
        Clearance::Confidential,
        Clearance::StrictlyConfidential,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Clearance::Unclassified => "unclassified",
            Clearance::Confidential => "confidential",
            Clearance::StrictlyConfidential => "strictly_confidential",
        }
    }

    pub fn from_code(code: &str) -> Option<Clearance> {
        Clearance::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// Who is looking: enough of a user to decide what they may see and do.
#[derive(Debug, Clone)]
pub struct Viewer<'a> {
    pub role: Role,
    pub clearance: Clearance,
    /// Missions the user works on.
    pub missions: &'a [String],
    /// Works on every mission (headquarters), as the account says explicitly.
    pub all_missions: bool,
}

impl Viewer<'_> {
    /// Only the roles that work on missions work on any: whatever an account's rows say, a
    /// State's focal point never reads a mission's records as its staff do.
    pub fn works_on(&self, mission: &str) -> bool {
        self.role.works_on_missions()
            && (self.all_missions || self.missions.iter().any(|m| m == mission))
    }

    /// Administrators and auditors keep the registry running and honest; they do not read the
    /// content of incidents.
    pub fn reads_incidents(&self) -> bool {
        !matches!(self.role, Role::Admin | Role::Auditor)
    }

    /// Drafts: security officers of the mission. Other records: anyone of the mission (or of all
    /// missions) whose clearance covers the classification.
    pub fn can_see_incident(
        &self,
        mission: &str,
        is_draft: bool,
        classification: Clearance,
    ) -> bool {
        self.reads_incidents()
            && self.works_on(mission)
            && self.clearance >= classification
            && (!is_draft || self.role == Role::SecurityOfficer)
    }

    /// Create, edit, submit, verify and withdraw: security officers of the mission.
    pub fn can_write_incident(&self, mission: &str) -> bool {
        self.role == Role::SecurityOfficer && self.works_on(mission)
    }

    /// A case is seen by whoever may see at least one of its incidents (all of its mission).
    pub fn can_see_case(
        &self,
        mission: &str,
        incident_classifications: impl IntoIterator<Item = Clearance>,
    ) -> bool {
        self.reads_incidents()
            && self.works_on(mission)
            && incident_classifications
                .into_iter()
                .any(|classification| self.clearance >= classification)
    }

    /// Open, change, move cases, their accused and documents: legal officers of the mission.
    pub fn can_write_case(&self, mission: &str) -> bool {
        self.role == Role::LegalOfficer && self.works_on(mission)
    }

    /// Names and units of victims: clearance `confidential` or higher, on that mission.
    pub fn sees_personal_data(&self, mission: &str) -> bool {
        self.clearance >= Clearance::Confidential && self.works_on(mission)
    }
}

/// Lists the accepted codes for an error message: "one of `a`, `b`".
pub fn one_of(codes: impl IntoIterator<Item = &'static str>) -> String {
    let listed: Vec<String> = codes.into_iter().map(|c| format!("`{c}`")).collect();
    format!("must be one of {}", listed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        for clearance in Clearance::ALL {
            assert_eq!(Clearance::from_code(clearance.code()), Some(clearance));
        }
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn higher_clearance_covers_lower() {
        assert!(Clearance::StrictlyConfidential > Clearance::Confidential);
        assert!(Clearance::Confidential > Clearance::Unclassified);
    }

    #[test]
    fn who_sees_incidents() {
        let minusca = ["MINUSCA".to_string()];
        let officer = Viewer {
            role: Role::SecurityOfficer,
            clearance: Clearance::Confidential,
            missions: &minusca,
            all_missions: false,
        };
        let legal = Viewer {
            role: Role::LegalOfficer,
            clearance: Clearance::Confidential,
            missions: &[],
            all_missions: true,
        };
        let admin = Viewer {
            role: Role::Admin,
            clearance: Clearance::StrictlyConfidential,
            missions: &[],
            all_missions: true,
        };
        assert!(officer.can_see_incident("MINUSCA", true, Clearance::Confidential));
        assert!(!officer.can_see_incident("MONUSCO", false, Clearance::Unclassified));
        assert!(!officer.can_see_incident("MINUSCA", false, Clearance::StrictlyConfidential));
        assert!(!legal.can_see_incident("MINUSCA", true, Clearance::Unclassified));
        assert!(legal.can_see_incident("MINUSCA", false, Clearance::Confidential));
        assert!(!admin.can_see_incident("MINUSCA", false, Clearance::Unclassified));
        assert!(officer.can_write_incident("MINUSCA"));
        assert!(!legal.can_write_incident("MINUSCA"));
        assert!(legal.sees_personal_data("MONUSCO"));
        let low = Viewer {
            role: Role::Leadership,
            clearance: Clearance::Unclassified,
            missions: &[],
            all_missions: true,
        };
        assert!(!low.sees_personal_data("MINUSCA"));
        let both = [Clearance::StrictlyConfidential, Clearance::Confidential];
        assert!(legal.can_see_case("MINUSCA", both));
        assert!(!low.can_see_case("MINUSCA", both));
        assert!(!officer.can_see_case("MONUSCO", [Clearance::Unclassified]));
        assert!(!admin.can_see_case("MINUSCA", [Clearance::Unclassified]));
        assert!(legal.can_write_case("MINUSCA"));
        assert!(!officer.can_write_case("MINUSCA"));
    }

    #[test]
    fn every_mission_only_when_the_account_says_so() {
        let none = Viewer {
            role: Role::Leadership,
            clearance: Clearance::StrictlyConfidential,
            missions: &[],
            all_missions: false,
        };
        assert!(!none.works_on("MINUSCA"));
        assert!(!none.can_see_incident("MINUSCA", false, Clearance::Unclassified));
        let missions = ["MINUSCA".to_string()];
        for role in [Role::SecurityOfficer, Role::LegalOfficer, Role::Leadership] {
            assert!(role.missions_problem(&[], false).is_some(), "{role:?}");
            assert!(role.missions_problem(&[], true).is_none());
            assert!(role.missions_problem(&missions, false).is_none());
        }
        for role in [Role::Admin, Role::Auditor] {
            assert!(role.missions_problem(&[], false).is_none(), "{role:?}");
            assert!(role.missions_problem(&[], true).is_some());
        }
    }

    #[test]
    fn a_focal_point_speaks_for_one_state() {
        let focal = Role::StateFocalPoint;
        assert!(focal.state_problem(None).is_some());
        assert!(focal.state_problem(Some("MLI")).is_none());
        assert!(focal.state_problem(Some("XYZ")).is_some());
        assert!(focal.state_problem(Some("YUG")).is_some());
        assert!(Role::LegalOfficer.state_problem(Some("MLI")).is_some());
        assert!(Role::LegalOfficer.state_problem(None).is_none());
        assert!(focal.missions_problem(&[], true).is_some());
        assert!(
            focal
                .missions_problem(&["MINUSMA".to_string()], false)
                .is_some()
        );
        let with_rows = ["MINUSMA".to_string()];
        let focal_viewer = Viewer {
            role: Role::StateFocalPoint,
            clearance: Clearance::StrictlyConfidential,
            missions: &with_rows,
            all_missions: true,
        };
        assert!(
            !focal_viewer.works_on("MINUSMA"),
            "a focal point works on no mission"
        );
        assert!(!focal_viewer.can_see_incident("MINUSMA", false, Clearance::Unclassified));
        assert!(focal.must_use_second_factor() && Role::Admin.must_use_second_factor());
        assert!(!Role::LegalOfficer.must_use_second_factor());
    }

    #[test]
    fn serde_uses_the_codes() {
        assert_eq!(
            serde_json::to_string(&Role::SecurityOfficer).unwrap(),
            "\"security_officer\""
        );
        assert_eq!(
            serde_json::from_str::<Clearance>("\"strictly_confidential\"").unwrap(),
            Clearance::StrictlyConfidential
        );
    }
}
