//! Administration for administrators: accounts (create, change role, missions, clearance,
//! disable) and missions (create, rename, close). A new account's password is a first one
//! only: its owner must change it at their first sign-in.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::AppState;
use crate::auth::Actor;
use crate::domain::access::{Clearance, Role};
use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::http::cursor::{decode_cursor, encode_cursor};
use crate::services::accounts::{AccountPatch, NewAccount};
use crate::services::missions::{self as mission_service, MissionPatch, NewMission};
use crate::services::users as user_service;

use super::form::{self, Field, Kind, Problem};
use super::i18n::Lang;
use super::{Choice, PageFrame, csrf_of, failure_page, page_frame, page_user, redirect, render};

const PAGE_SIZE: i64 = 200;

struct UserLine {
    href: String,
    username: String,
    role: String,
    clearance: String,
    missions: String,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    page: PageFrame,
    lines: Vec<UserLine>,
    next_href: String,
    fields: Vec<Field>,
    mission_choices: Vec<Choice>,
    problems: Vec<Problem>,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    page: PageFrame,
    id: String,
    username: String,
    version: i64,
    fields: Vec<Field>,
    mission_choices: Vec<Choice>,
    problems: Vec<Problem>,
}

fn role_codes() -> impl Iterator<Item = &'static str> {
    Role::ALL.into_iter().map(Role::code)
}

fn clearance_codes() -> impl Iterator<Item = &'static str> {
    Clearance::ALL.into_iter().map(Clearance::code)
}

/// The missions as checkboxes, ticked for `chosen`.
fn mission_choices(codes: &[String], chosen: &[String]) -> Vec<Choice> {
    codes
        .iter()
        .map(|code| Choice {
            value: code.clone(),
            label: code.clone(),
            selected: chosen.contains(code),
        })
        .collect()
}

fn chosen_missions(pairs: &[(String, String)]) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, v)| k == "missions" && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect()
}

/// An administrator, or the page they may not see.
async fn admin(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    attempted: &'static str,
) -> Result<Actor, HttpResponse> {
    let user = page_user(req, state).await?;
    require_admin(req, state, &user, attempted).await?;
    Ok(user)
}

/// An administrator's posted form, its CSRF token checked.
async fn admin_form(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &[u8],
    attempted: &'static str,
) -> Result<(Vec<(String, String)>, Actor), HttpResponse> {
    let (pairs, user) = super::posted_form(req, state, body).await?;
    require_admin(req, state, &user, attempted).await?;
    Ok((pairs, user))
}

/// Refusals are recorded, as the API records them.
async fn require_admin(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &Actor,
    attempted: &'static str,
) -> Result<(), HttpResponse> {
    let (checker, now) = (user.clone(), state.clock.now());
    state
        .run(move |conn| user_service::require_admin(conn, &checker, attempted, now))
        .await
        .map_err(|error| failure_page(req, error))
}

fn status_of(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

async fn users_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &Actor,
    posted: &[(String, String)],
    errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let after = form::pairs(req.query_string().as_bytes())
        .into_iter()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, v)| decode_cursor(&v).ok());
    let (reader, now) = (user.clone(), state.clock.now());
    let found = state
        .run(move |conn| {
            let page = user_service::list(conn, &reader, after.as_deref(), PAGE_SIZE, now)?;
            Ok((page, user_service::mission_codes(conn)?))
        })
        .await;
    let (rows, codes) = match found {
        Ok(found) => found,
        Err(error) => return Ok(failure_page(req, error)),
    };
    let lang = Lang::of(req);
    let t = lang.texts();
    let next_href = match (rows.has_more, rows.items.last()) {
        (true, Some(last)) => format!("/admin/users?cursor={}", encode_cursor(&last.user.username)),
        _ => String::new(),
    };
    let mut messages = form::messages(lang, errors);
    let value = |name: &str| form::value(posted, name);
    let fields = vec![
        Field::new(lang, "username", Kind::Text, value("username"))
            .required()
            .with_error(&mut messages),
        Field::new(lang, "password", Kind::Password, "")
            .required()
            .with_error(&mut messages),
        Field::new(lang, "role", Kind::Select, value("role"))
            .codes(lang, role_codes())
            .required()
            .with_error(&mut messages),
        Field::new(lang, "clearance", Kind::Select, value("clearance"))
            .codes(lang, clearance_codes())
            .with_error(&mut messages),
        Field::new(lang, "all_missions", Kind::Checkbox, value("all_missions"))
            .with_error(&mut messages),
        Field::new(lang, "state", Kind::Text, value("state"))
            .countries(lang)
            .with_error(&mut messages),
    ];
    let (csrf, new_csrf) = csrf_of(req);
    let page = UsersPage {
        page: page_frame(req, lang, t.users, Some(user), &csrf),
        lines: rows
            .items
            .into_iter()
            .map(|row| UserLine {
                href: format!("/admin/users/{}", row.user.id),
                role: super::labels::label(lang, &row.user.role),
                clearance: super::labels::label(lang, &row.user.clearance),
                missions: if row.user.all_missions {
                    t.all_missions.to_string()
                } else if row.missions.is_empty() {
                    "—".to_string()
                } else {
                    row.missions.join(", ")
                },
                disabled: row.user.disabled,
                username: row.user.username,
            })
            .collect(),
        next_href,
        fields,
        mission_choices: mission_choices(&codes, &chosen_missions(posted)),
        problems: form::leftovers(lang, messages),
    };
    render(
        req,
        status_of(errors),
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

pub async fn users_list(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match admin(&req, &state, "users.list").await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    users_page(&req, &state, &user, &[], &[]).await
}

pub async fn create_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match admin_form(&req, &state, &body, "users.create").await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let Some(role) = Role::from_code(form::value(&pairs, "role")) else {
        let errors = [FieldError::new("role", "is required")];
        return users_page(&req, &state, &user, &pairs, &errors).await;
    };
    let account = NewAccount {
        username: form::value(&pairs, "username").trim().to_string(),
        password: form::value(&pairs, "password").to_string(),
        role,
        clearance: Clearance::from_code(form::value(&pairs, "clearance"))
            .unwrap_or(Clearance::Unclassified),
        missions: chosen_missions(&pairs),
        all_missions: form::value(&pairs, "all_missions") == "true",
        state: given(form::value(&pairs, "state")),
        must_change_password: true,
    };
    match crate::services::accounts::create_account(&state, &user, account).await {
        Ok(created) => Ok(redirect(&format!("/admin/users/{}", created.user.id))),
        Err(AppError::Validation(errors)) => users_page(&req, &state, &user, &pairs, &errors).await,
        Err(AppError::Conflict(why)) => {
            let errors = [FieldError::new("username", why)];
            users_page(&req, &state, &user, &pairs, &errors).await
        }
        Err(error) => Ok(failure_page(&req, error)),
    }
}

async fn user_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &Actor,
    id: String,
    posted: Option<&[(String, String)]>,
    errors: &[FieldError],
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (reader, now) = (user.clone(), state.clock.now());
    let found = state
        .run(move |conn| {
            let found = user_service::get(conn, &reader, &id, now)?;
            Ok((
                found.user,
                found.missions,
                user_service::mission_codes(conn)?,
            ))
        })
        .await;
    let (row, theirs, codes) = match found {
        Ok(found) => found,
        Err(error) => return Ok(failure_page(req, error)),
    };
    let lang = Lang::of(req);
    let mut messages = form::messages(lang, errors);
    // A refused change shows what the administrator asked for, not what is stored.
    let (role, clearance, disabled, all_missions, state, chosen) = match posted {
        Some(pairs) => (
            form::value(pairs, "role").to_string(),
            form::value(pairs, "clearance").to_string(),
            form::value(pairs, "disabled").to_string(),
            form::value(pairs, "all_missions").to_string(),
            form::value(pairs, "state").to_string(),
            chosen_missions(pairs),
        ),
        None => (
            row.role.clone(),
            row.clearance.clone(),
            if row.disabled { "true" } else { "" }.to_string(),
            if row.all_missions { "true" } else { "" }.to_string(),
            row.state.clone().unwrap_or_default(),
            theirs,
        ),
    };
    let fields = vec![
        Field::new(lang, "role", Kind::Select, &role)
            .codes(lang, role_codes())
            .required()
            .with_error(&mut messages),
        Field::new(lang, "clearance", Kind::Select, &clearance)
            .codes(lang, clearance_codes())
            .required()
            .with_error(&mut messages),
        Field::new(lang, "disabled", Kind::Checkbox, &disabled).with_error(&mut messages),
        Field::new(lang, "all_missions", Kind::Checkbox, &all_missions).with_error(&mut messages),
        Field::new(lang, "state", Kind::Text, &state)
            .countries(lang)
            .with_error(&mut messages),
    ];
    let (csrf, new_csrf) = csrf_of(req);
    let page = UserPage {
        page: page_frame(req, lang, &row.username, Some(user), &csrf),
        id: row.id,
        username: row.username.clone(),
        version: row.version,
        fields,
        mission_choices: mission_choices(&codes, &chosen),
        problems: form::leftovers(lang, messages),
    };
    render(req, status, &page, new_csrf.then_some(csrf.as_str()))
}

pub async fn user_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = match admin(&req, &state, "users.read").await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    user_page(
        &req,
        &state,
        &user,
        id.into_inner(),
        None,
        &[],
        StatusCode::OK,
    )
    .await
}

pub async fn update_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match admin_form(&req, &state, &body, "users.update").await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let id = id.into_inner();
    let patch = AccountPatch {
        role: Role::from_code(form::value(&pairs, "role")),
        clearance: Clearance::from_code(form::value(&pairs, "clearance")),
        missions: Some(chosen_missions(&pairs)),
        all_missions: Some(form::value(&pairs, "all_missions") == "true"),
        state: given(form::value(&pairs, "state")),
        disabled: Some(form::value(&pairs, "disabled") == "true"),
    };
    let version: i64 = form::value(&pairs, "version").parse().unwrap_or(-1);
    let (changer, changed_id, now) = (user.clone(), id.clone(), state.clock.now());
    match state
        .change_accounts(move |conn| {
            user_service::update(conn, &changer, &changed_id, version, patch, now)
        })
        .await
    {
        Ok(_) => Ok(redirect("/admin/users")),
        Err(AppError::Validation(errors)) => {
            user_page(
                &req,
                &state,
                &user,
                id,
                Some(&pairs),
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict(why)) => {
            let errors = [FieldError::new("version", why)];
            user_page(&req, &state, &user, id, None, &errors, StatusCode::CONFLICT).await
        }
        Err(AppError::Forbidden(why)) => {
            let errors = [FieldError::new("disabled", why)];
            user_page(
                &req,
                &state,
                &user,
                id,
                Some(&pairs),
                &errors,
                StatusCode::FORBIDDEN,
            )
            .await
        }
        Err(error) => Ok(failure_page(&req, error)),
    }
}

struct MissionLine {
    code: String,
    name: String,
    host_country: String,
    active: bool,
    version: i64,
}

#[derive(Template)]
#[template(path = "admin_missions.html")]
struct MissionsPage {
    page: PageFrame,
    lines: Vec<MissionLine>,
    fields: Vec<Field>,
    problems: Vec<Problem>,
}

async fn missions_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: &Actor,
    posted: &[(String, String)],
    errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let reader = user.clone();
    let found = state
        .run(move |conn| mission_service::list(conn, &reader))
        .await;
    let rows = match found {
        Ok(rows) => rows,
        Err(error) => return Ok(failure_page(req, error)),
    };
    let lang = Lang::of(req);
    let t = lang.texts();
    let mut messages = form::messages(lang, errors);
    let value = |name: &str| form::value(posted, name);
    let fields = vec![
        Field::new(lang, "code", Kind::Text, value("code"))
            .required()
            .with_error(&mut messages),
        Field::new(lang, "name", Kind::Text, value("name"))
            .required()
            .with_error(&mut messages),
        Field::new(lang, "host_country", Kind::Text, value("host_country"))
            .countries(lang)
            .with_error(&mut messages),
    ];
    let (csrf, new_csrf) = csrf_of(req);
    let page = MissionsPage {
        page: page_frame(req, lang, t.missions, Some(user), &csrf),
        lines: rows
            .into_iter()
            .map(|m| MissionLine {
                code: m.code,
                name: m.name,
                host_country: m.host_country.unwrap_or_default(),
                active: m.active,
                version: m.version,
            })
            .collect(),
        fields,
        problems: form::leftovers(lang, messages),
    };
    render(
        req,
        status_of(errors),
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

pub async fn missions_list(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match admin(&req, &state, "missions.list").await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    missions_page(&req, &state, &user, &[], &[]).await
}

pub async fn create_mission(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match admin_form(&req, &state, &body, "missions.create").await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let host_country = form::value(&pairs, "host_country").trim().to_string();
    let new = NewMission {
        code: form::value(&pairs, "code").trim().to_string(),
        name: form::value(&pairs, "name").trim().to_string(),
        host_country: (!host_country.is_empty()).then_some(host_country),
        active: true,
    };
    let (creator, now) = (user.clone(), state.clock.now());
    match state
        .change_missions(move |conn| mission_service::create(conn, &creator, new, now))
        .await
    {
        Ok(_) => Ok(redirect("/admin/missions")),
        Err(AppError::Validation(errors)) => {
            missions_page(&req, &state, &user, &pairs, &errors).await
        }
        Err(AppError::Conflict(why)) => {
            let errors = [FieldError::new("code", why)];
            missions_page(&req, &state, &user, &pairs, &errors).await
        }
        Err(error) => Ok(failure_page(&req, error)),
    }
}

/// Opens or closes a mission (a closed one takes no new incidents).
pub async fn set_mission_active(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match admin_form(&req, &state, &body, "missions.update").await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let patch = MissionPatch {
        name: None,
        host_country: None,
        active: Some(form::value(&pairs, "active") == "true"),
    };
    let version: i64 = form::value(&pairs, "version").parse().unwrap_or(-1);
    let (changer, now, code) = (user.clone(), state.clock.now(), code.into_inner());
    match state
        .change_missions(move |conn| {
            mission_service::update(conn, &changer, &code, version, patch, now)
        })
        .await
    {
        Ok(_) => Ok(redirect("/admin/missions")),
        Err(AppError::Conflict(why)) => {
            let errors = [FieldError::new("version", why)];
            missions_page(&req, &state, &user, &[], &errors).await
        }
        Err(error) => Ok(failure_page(&req, error)),
    }
}

/// A form's text as the service takes it: an empty field gives nothing.
fn given(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_uppercase())
}
