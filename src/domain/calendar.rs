//! A user's calendar of next actions (RFC 5545): one all-day event per open case with a due
//! next action, stable as long as the case does not change, so that calendar clients that ask
//! again get the same text (and the same ETag).

use chrono::{NaiveDate, NaiveDateTime};
use icalendar::{Calendar, Component, Event, EventLike};
use sha2::{Digest, Sha256};

/// Where a feed is read: the secret is the last segment.
pub const FEED_PATH: &str = "/api/v1/calendar/";

/// A case's next action, as one reader may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAction {
    pub case_id: String,
    pub reference: String,
    /// The text, where the reader may see it.
    pub next_action: Option<String>,
    pub due: NaiveDate,
    /// The case's last change: the event's `DTSTAMP`.
    pub changed_at: NaiveDateTime,
    /// The case's page.
    pub link: String,
}

/// The feed's text: events by due day, then reference; `host` makes the events' UIDs unique
/// to this registry.
pub fn feed(host: &str, actions: &[DueAction]) -> String {
    let mut actions: Vec<&DueAction> = actions.iter().collect();
    actions.sort_by(|a, b| (a.due, &a.reference).cmp(&(b.due, &b.reference)));
    let mut calendar = Calendar::new();
    calendar.name("Peacekeeper Safety Incident Registry: next actions");
    for action in actions {
        let summary = match &action.next_action {
            Some(text) => format!("{}: {text}", action.reference),
            None => format!("{}: next action due", action.reference),
        };
        calendar.push(
            Event::new()
                .uid(&format!("next-action-{}@{host}", action.case_id))
                .timestamp(action.changed_at.and_utc())
                .all_day(action.due)
                .summary(&summary)
                .url(&action.link)
                .done(),
        );
    }
    calendar.done().to_string()
}

/// The feed's entity tag: the hash of its text, which changes with any case in it.
pub fn entity_tag(text: &str) -> String {
    format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(text.as_bytes()))[..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(reference: &str, due: &str, text: Option<&str>) -> DueAction {
        DueAction {
            case_id: format!("id-{reference}"),
            reference: reference.into(),
            next_action: text.map(String::from),
            due: NaiveDate::parse_from_str(due, "%Y-%m-%d").unwrap(),
            changed_at: NaiveDate::from_ymd_opt(2026, 1, 2)
                .unwrap()
                .and_hms_opt(3, 4, 5)
                .unwrap(),
            link: format!("https://registry.example/cases/id-{reference}"),
        }
    }

    #[test]
    fn the_feed_depends_on_the_cases_alone() {
        let actions = [
            action("CASE-B", "2026-03-01", None),
            action("CASE-A", "2026-02-01", Some("File the appeal")),
        ];
        let text = feed("registry.example", &actions);
        assert_eq!(text, feed("registry.example", &actions));
        assert!(text.contains("UID:next-action-id-CASE-A@registry.example"));
        assert!(text.contains("DTSTAMP:20260102T030405Z"));
        assert!(text.contains("DTSTART;VALUE=DATE:20260201"));
        assert!(text.contains("SUMMARY:CASE-A: File the appeal"));
        assert!(text.contains("SUMMARY:CASE-B: next action due"));
        assert!(text.find("CASE-A").unwrap() < text.find("CASE-B").unwrap());
        let changed = [action("CASE-A", "2026-02-02", Some("File the appeal"))];
        assert_ne!(
            entity_tag(&text),
            entity_tag(&feed("registry.example", &changed))
        );
    }
}
