//! Where an incident is in its life, and which moves it allows.

use serde::{Deserialize, Serialize};

/// Where an incident is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    Verified,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::Submitted,
        Status::Verified,
        Status::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Verified => "verified",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What can be done to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Edit,
    Submit,
    Verify,
    Withdraw,
}

/// The status after `action`, or why it is not allowed. An edit of a verified incident is an
/// amendment: it needs a reason and sends the incident back to be verified again, by someone
/// who did not write the amendment (see `verification`).
pub fn next_status(current: Status, action: Move, has_reason: bool) -> Result<Status, String> {
    use Status::*;
    match (current, action) {
        (Withdrawn, _) => Err("the incident is withdrawn; it can no longer change".to_string()),
        (Draft | Submitted, Move::Edit) => Ok(current),
        (Verified, Move::Edit) if has_reason => Ok(Submitted),
        (Verified, Move::Edit) => Err(
            "a verified incident is changed by an amendment, which needs a `reason`".to_string(),
        ),
        (Draft, Move::Submit) => Ok(Submitted),
        (_, Move::Submit) => Err(format!(
            "only a draft can be submitted; this one is {}",
            current.code()
        )),
        (Submitted, Move::Verify) => Ok(Verified),
        (_, Move::Verify) => Err(format!(
            "only a submitted incident can be verified; this one is {}",
            current.code()
        )),
        (_, Move::Withdraw) => Ok(Withdrawn),
    }
}
