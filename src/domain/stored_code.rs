//! Codes kept as text in the database, read back into the domain's types. A code the registry
//! does not know (a row changed by hand, say) is an error, never a guess.

use super::access::{Clearance, Role};
use super::case::CaseStatus;
use super::incident::Status;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored {kind} `{code}` is not one the registry knows")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub code: String,
}

fn read<T>(kind: &'static str, code: &str, known: Option<T>) -> Result<T, UnknownCode> {
    known.ok_or_else(|| UnknownCode {
        kind,
        code: code.to_string(),
    })
}

impl TryFrom<&str> for Status {
    type Error = UnknownCode;
    fn try_from(code: &str) -> Result<Self, UnknownCode> {
        read("incident status", code, Status::from_code(code))
    }
}

impl TryFrom<&str> for CaseStatus {
    type Error = UnknownCode;
    fn try_from(code: &str) -> Result<Self, UnknownCode> {
        read("case status", code, CaseStatus::from_code(code))
    }
}

impl TryFrom<&str> for Clearance {
    type Error = UnknownCode;
    fn try_from(code: &str) -> Result<Self, UnknownCode> {
        read("classification", code, Clearance::from_code(code))
    }
}

impl TryFrom<&str> for Role {
    type Error = UnknownCode;
    fn try_from(code: &str) -> Result<Self, UnknownCode> {
        read("role", code, Role::from_code(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_an_unknown_one_is_refused() {
        for status in Status::ALL {
            assert_eq!(Status::try_from(status.code()), Ok(status));
        }
        for status in CaseStatus::ALL {
            assert_eq!(CaseStatus::try_from(status.code()), Ok(status));
        }
        for clearance in Clearance::ALL {
            assert_eq!(Clearance::try_from(clearance.code()), Ok(clearance));
        }
        for role in Role::ALL {
            assert_eq!(Role::try_from(role.code()), Ok(role));
        }
        let unknown = Status::try_from("Verified").unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "the stored incident status `Verified` is not one the registry knows"
        );
        assert!(CaseStatus::try_from("").is_err());
        assert!(Clearance::try_from("secret").is_err());
        assert!(Role::try_from("root").is_err());
    }
}
