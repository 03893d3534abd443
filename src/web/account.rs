//! One's own account: the pages' language, the open sessions, the second factor, and the
//! private calendar feed of one's deadlines (its address shown once, when made).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::AppState;
use crate::auth::Actor;
use crate::error::AppError;
use crate::services::{accounts, calendar};

use super::i18n::Lang;
use super::{
    PageFrame, csrf_of, failure_page, page_frame, page_user, posted_form, redirect, render,
};

struct SessionLine {
    started: String,
    last_seen: String,
    expires: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    page: PageFrame,
    language: &'static str,
    sessions: Vec<SessionLine>,
    second_factor_on: bool,
    recovery_codes_left: i64,
    feeds_offered: bool,
    has_feed: bool,
    /// The address of a feed just made: shown this once.
    new_feed: Option<String>,
}

async fn account_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: Actor,
    new_feed: Option<String>,
) -> Result<HttpResponse, AppError> {
    let sessions = accounts::active_sessions(state, user.clone()).await;
    let factor = accounts::second_factor_state(state, user.clone()).await;
    let reader = user.clone();
    let has_feed = state
        .run(move |conn| calendar::has_feed(conn, &reader))
        .await;
    let (sessions, (on, left), has_feed) = match (sessions, factor, has_feed) {
        (Ok(sessions), Ok(factor), Ok(has_feed)) => (sessions, factor, has_feed),
        (Err(error), ..) | (_, Err(error), _) | (.., Err(error)) => {
            return Ok(failure_page(req, error));
        }
    };
    let lang = Lang::of(req);
    let t = lang.texts();
    let (csrf, new_csrf) = csrf_of(req);
    let time = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    let page = AccountPage {
        page: page_frame(req, lang, t.account, Some(&user), &csrf),
        language: t.language_name,
        sessions: sessions
            .into_iter()
            .map(|s| SessionLine {
                started: time(s.started_at),
                last_seen: time(s.last_seen_at),
                expires: time(s.expires_at),
                current: s.current,
            })
            .collect(),
        second_factor_on: on,
        recovery_codes_left: left,
        feeds_offered: !state.settings.public_url.is_empty(),
        has_feed,
        new_feed,
    };
    render(
        req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

pub(super) async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    account_page(&req, &state, user, None).await
}

/// Makes a new feed (the old one stops answering) and shows its address once.
pub(super) async fn create_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (_, user) = match posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let (writer, now) = (user.clone(), state.clock.now());
    let configured = state.settings.public_url.clone();
    match state
        .run(move |conn| calendar::create_feed(conn, &writer, &configured, now))
        .await
    {
        Ok(url) => account_page(&req, &state, user, Some(url)).await,
        Err(error) => Ok(failure_page(&req, error)),
    }
}

pub(super) async fn revoke_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (_, user) = match posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let now = state.clock.now();
    match state
        .run(move |conn| calendar::revoke_feed(conn, &user, now))
        .await
    {
        Ok(()) => Ok(redirect("/account#calendar")),
        Err(error) => Ok(failure_page(&req, error)),
    }
}
