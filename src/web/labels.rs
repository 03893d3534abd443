//! The registry's codes (attack types, statuses, outcomes, ...), the forms' fields and dates, in
//! the reader's language. A code or a field without a label is shown as it is, never hidden.

use chrono::{Datelike, NaiveDateTime};

use super::i18n::Lang;
use crate::services::cases::proposals::Provenance;

/// A code's label: the catalogue's `label-<code>`.
pub fn label(lang: Lang, code: &str) -> String {
    lang.word(&format!("label-{code}"))
        .map_or_else(|| code.to_string(), str::to_string)
}

/// A field's label, by the name the service gives it: the catalogue's `field-<name>`.
pub fn field_label(lang: Lang, name: &str) -> String {
    lang.word(&format!("field-{name}"))
        .map_or_else(|| name.to_string(), str::to_string)
}

/// `14 March 2026, 06:30 UTC` / `14 mars 2026, 06:30 UTC`; without the time when `with_time`
/// is false. The catalogue orders the parts (`date`, `date_and_time`) and names the months.
pub fn date_time(lang: Lang, time: NaiveDateTime, with_time: bool) -> String {
    let month = lang.word(&format!("month-{}", time.month())).unwrap_or("");
    let date = lang.format(
        "date",
        &[
            ("day", &time.day().to_string()),
            ("month", month),
            ("year", &time.year().to_string()),
        ],
    );
    if with_time {
        lang.format(
            "date_and_time",
            &[("date", &date), ("time", &time.format("%H:%M").to_string())],
        )
    } else {
        date
    }
}

/// "Reported by the focal point of this State, accepted by this legal officer", for a step or a
/// document that came from a proposal.
pub fn reported_by(lang: Lang, proposal_id: Option<&String>, provenance: &[Provenance]) -> String {
    let Some(found) = proposal_id.and_then(|id| provenance.iter().find(|p| &p.proposal_id == id))
    else {
        return String::new();
    };
    let name = |user: &Option<String>| user.clone().unwrap_or_default();
    lang.format(
        "reported_by",
        &[
            ("state", &found.state),
            ("focal_point", &name(&found.reported_by)),
            ("legal_officer", &name(&found.accepted_by)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_each_language() {
        let french = Lang::from_code("fr").expect("French is built in");
        let time = chrono::NaiveDate::from_ymd_opt(2026, 3, 14)
            .unwrap()
            .and_hms_opt(6, 30, 0)
            .unwrap();
        assert_eq!(
            date_time(Lang::ENGLISH, time, true),
            "14 March 2026, 06:30 UTC"
        );
        assert_eq!(date_time(french, time, false), "14 mars 2026");
        assert_eq!(label(french, "ied"), "engin explosif improvisé");
        assert_eq!(label(french, "no_such_code"), "no_such_code");
        assert_eq!(field_label(french, "occurred_at"), "Survenu (UTC)");
        assert_eq!(field_label(Lang::ENGLISH, "no_such_field"), "no_such_field");
    }
}
