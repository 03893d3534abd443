//! The codes an incident's fields take, as DOMAIN.md lists them.

pub const ATTACK_TYPES: &[&str] = &[
    "direct_fire",
    "indirect_fire",
    "ied",
    "landmine",
    "suicide_attack",
    "complex_attack",
    "ambush",
    "grenade",
    "abduction",
    "mob_violence",
    "arson_looting",
    "air_or_drone",
    "other",
];
pub const WEAPONS: &[&str] = &[
    "small_arms",
    "rpg",
    "mortar",
    "rocket",
    "ied",
    "vbied",
    "landmine",
    "grenade",
    "blade",
    "drone",
    "other",
];
pub const TIME_PRECISIONS: &[&str] = &["exact", "day", "week", "month"];
pub const GEO_PRECISIONS: &[&str] = &["exact", "near", "region", "unknown"];
pub const LOCATION_TYPES: &[&str] = &[
    "base",
    "patrol",
    "convoy",
    "checkpoint",
    "airfield",
    "other",
];
pub const ACTOR_TYPES: &[&str] = &[
    "state_forces",
    "armed_group",
    "militia",
    "criminal",
    "crowd",
    "unknown",
];
pub const ATTRIBUTIONS: &[&str] = &["confirmed", "likely", "possible", "unknown"];
pub const PERSONNEL_TYPES: &[&str] = &[
    "military",
    "police",
    "military_observer",
    "international_civilian",
    "national_staff",
    "other",
];
pub const GENDERS: &[&str] = &["female", "male", "unknown"];
pub const OUTCOMES: &[&str] = &["killed", "injured", "abducted", "missing"];
pub const SOURCE_TYPES: &[&str] = &[
    "incident_report",
    "witness",
    "medical",
    "police",
    "media",
    "official_dataset",
    "other",
];
pub const RELIABILITIES: &[&str] = &["A", "B", "C", "D", "E", "F"];
/// The actions an incident's history records: its content written, then its moves.
pub const HISTORY_ACTIONS: &[&str] = &[
    "create", "update", "amend", "import", "submit", "verify", "withdraw",
];
