//! Each user's private calendar feed of next actions: the due next actions of the open cases
//! the user may see (a focal point: its State's cases), reached by a secret URL that calendar
//! clients poll without signing in. Only the secret's hash is stored; a new feed revokes the
//! old one, and a disabled account's feed answers nothing.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

use crate::auth::Actor;
use crate::auth::session::actor_of_account;
use crate::auth::token::{hash_token, new_token};
use crate::db::{DbConnection, write_transaction};
use crate::domain::access::Role;
use crate::domain::calendar::{DueAction, feed};
use crate::domain::case::CaseStatus;
use crate::error::{AppError, AppResult};
use crate::store::audit;
use crate::store::calendar_feeds as store;

pub use crate::domain::calendar::FEED_PATH;

/// At most this many cases in a feed, the most urgent.
const MAX_EVENTS: usize = 1000;
const PAGE: i64 = 200;

fn public_url(configured: &str) -> AppResult<&str> {
    if configured.is_empty() {
        return Err(AppError::NotConfigured(
            "Calendar feeds need the setting `public_url`, the address users reach the registry at; ask an administrator.",
        ));
    }
    Ok(configured)
}

/// A new feed for the user, replacing any earlier one: its URL, with the secret in it, is
/// answered once and never stored.
pub fn create_feed(
    conn: &mut DbConnection,
    user: &Actor,
    configured_url: &str,
    now: NaiveDateTime,
) -> AppResult<String> {
    let base = public_url(configured_url)?;
    let (secret, secret_hash) = new_token();
    write_transaction(conn, |conn| {
        store::replace(conn, &user.id, &secret_hash, now)?;
        audit::append(
            conn,
            &user.audit(now),
            "user.calendar.create",
            "user",
            Some(&user.id),
            json!({}),
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(format!("{base}{FEED_PATH}{secret}"))
}

/// Whether the user has a feed now.
pub fn has_feed(conn: &mut DbConnection, user: &Actor) -> AppResult<bool> {
    Ok(store::exists(conn, &user.id)?)
}

/// Revokes the user's feed: its URL answers 404 from now on.
pub fn revoke_feed(conn: &mut DbConnection, user: &Actor, now: NaiveDateTime) -> AppResult<()> {
    write_transaction(conn, |conn| {
        if store::delete(conn, &user.id)? {
            audit::append(
                conn,
                &user.audit(now),
                "user.calendar.revoke",
                "user",
                Some(&user.id),
                json!({}),
            )?;
        }
        Ok::<_, AppError>(())
    })
}

/// The feed this secret opens: 404 for a secret no feed has (revoked, or never made) and for a
/// disabled account's.
pub fn feed_of(
    conn: &mut DbConnection,
    secret: &str,
    configured_url: &str,
    now: NaiveDateTime,
) -> AppResult<String> {
    let base = public_url(configured_url)?;
    let owner = store::owner(conn, &hash_token(secret))?.ok_or(AppError::NotFound)?;
    let user = actor_of_account(conn, &owner)?.ok_or(AppError::NotFound)?;
    let actions = due_actions(conn, &user, base, now)?;
    let host = base.split("://").nth(1).unwrap_or(base);
    Ok(feed(host, &actions))
}

/// The open cases with a due next action that the user may see, most urgent first.
fn due_actions(
    conn: &mut DbConnection,
    user: &Actor,
    base: &str,
    now: NaiveDateTime,
) -> AppResult<Vec<DueAction>> {
    match user.role {
        Role::Admin | Role::Auditor => Ok(Vec::new()),
        Role::StateFocalPoint => due_in_pages(
            |after| {
                let request = super::member_states::ListRequest {
                    after: after.map(|(urgency, id)| (urgency.to_string(), id)),
                    limit: PAGE,
                    ..Default::default()
                };
                super::member_states::cases(conn, user, request, now)
            },
            |case| (case.urgency, case.id.clone()),
            |case| {
                let due = case.next_action_due.filter(|_| is_open(&case.status))?;
                Some(DueAction {
                    case_id: case.id.clone(),
                    reference: case.reference.clone(),
                    next_action: case.next_action.clone(),
                    due,
                    changed_at: case.updated_at,
                    link: format!("{base}/state/cases/{}", case.id),
                })
            },
        ),
        _ => due_in_pages(
            |after| {
                let request = super::cases::ListRequest {
                    after,
                    limit: PAGE,
                    ..Default::default()
                };
                super::cases::list(conn, user, request, now)
            },
            |row| (row.urgency, row.id.clone()),
            |row| {
                let due = row.next_action_due.filter(|_| is_open(&row.status))?;
                Some(DueAction {
                    case_id: row.id.clone(),
                    reference: row.reference.clone(),
                    next_action: row.next_action.clone(),
                    due,
                    changed_at: row.updated_at,
                    link: format!("{base}/cases/{}", row.id),
                })
            },
        ),
    }
}

fn is_open(status: &str) -> bool {
    CaseStatus::from_code(status).is_some_and(CaseStatus::is_open)
}

/// The due actions of a list in the order of urgency, a page at a time: open cases with a due
/// next action come first, so the first case without one ends the feed.
fn due_in_pages<T>(
    mut page_after: impl FnMut(Option<(NaiveDate, String)>) -> AppResult<Vec<T>>,
    key: impl Fn(&T) -> (NaiveDate, String),
    due: impl Fn(&T) -> Option<DueAction>,
) -> AppResult<Vec<DueAction>> {
    let mut actions = Vec::new();
    let mut after = None;
    loop {
        let page = page_after(after.take())?;
        let Some(last) = page.last() else {
            return Ok(actions);
        };
        after = Some(key(last));
        for row in &page {
            match due(row) {
                Some(action) if actions.len() < MAX_EVENTS => actions.push(action),
                _ => return Ok(actions),
            }
        }
    }
}
