//! Roles and clearances: who a user is in the registry and how much they may read.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    SecurityOfficer,
    LegalOfficer,
    Leadership,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::SecurityOfficer,
        Role::LegalOfficer,
        Role::Leadership,
        Role::Auditor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SecurityOfficer => "security_officer",
            Role::LegalOfficer => "legal_officer",
            Role::Leadership => "leadership",
            Role::Auditor => "auditor",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.code() == code)
    }
}

/// The highest classification a user may read. Ordered: a higher clearance covers the lower ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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
