//! The incident pages: the list with the filters of the API, and one incident.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Days, NaiveDate, NaiveTime};

use crate::AppState;
use crate::domain::incident::{ATTACK_TYPES, Status, format_time};
use crate::error::AppError;
use crate::http::cursor::{decode_cursor, encode_cursor};
use crate::services::incidents::{self as service, IncidentRow, ListRequest};

use super::i18n::Lang;
use super::labels::{date_time, label};
use crate::auth::Actor;
use crate::domain::access::Clearance;
use crate::domain::validation::FieldError;

use super::form::{self, Problem};
use super::{
    Choice, PageFrame, choices, csrf_of, failure_page, page_frame, page_user, redirect, render,
};

const PAGE_SIZE: i64 = 50;

struct Row {
    id: String,
    reference: String,
    occurred: String,
    mission: String,
    attack_type: String,
    status: String,
    killed: i32,
    injured: i32,
    summary: String,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    page: PageFrame,
    missions: Vec<Choice>,
    statuses: Vec<Choice>,
    attack_types: Vec<Choice>,
    classifications: Vec<Choice>,
    fatal: Vec<Choice>,
    from: String,
    to: String,
    q: String,
    rows: Vec<Row>,
    next_href: String,
}

/// The filters as the form sends them; a value the form cannot send is ignored.
#[derive(Default, Clone)]
struct Filters {
    missions: Vec<String>,
    status: String,
    attack_type: String,
    classification: String,
    fatal: String,
    from: String,
    to: String,
    q: String,
    awaiting_my_verification: bool,
    cursor: String,
}

impl Filters {
    fn of(query: &str) -> Filters {
        let mut filters = Filters::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.replace('\0', "");
            match key.as_ref() {
                "mission" if !value.is_empty() && filters.missions.len() < 50 => {
                    filters.missions.push(value)
                }
                "status" => filters.status = value,
                "attack_type" => filters.attack_type = value,
                "classification" => filters.classification = value,
                "fatal" => filters.fatal = value,
                "from" => filters.from = value,
                "to" => filters.to = value,
                "q" => filters.q = value.chars().take(200).collect(),
                "awaiting_my_verification" => filters.awaiting_my_verification = value == "true",
                "cursor" => filters.cursor = value,
                _ => {}
            }
        }
        filters
    }

    fn date(text: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
    }

    fn request(&self) -> ListRequest {
        let known = |value: &str, codes: &[&str]| codes.contains(&value).then(|| value.to_string());
        let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.code()).collect();
        ListRequest {
            missions: self.missions.clone(),
            status: known(&self.status, &statuses),
            attack_type: known(&self.attack_type, ATTACK_TYPES),
            classification: known(&self.classification, &Clearance::ALL.map(Clearance::code)),
            fatal: match self.fatal.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            from: Filters::date(&self.from).map(|d| d.and_time(NaiveTime::MIN)),
            // The day given is included.
            to: Filters::date(&self.to)
                .and_then(|d| d.checked_add_days(Days::new(1)))
                .map(|d| d.and_time(NaiveTime::MIN)),
            q: (!self.q.trim().is_empty()).then(|| self.q.clone()),
            awaiting_my_verification: self.awaiting_my_verification,
            after: decode_cursor(&self.cursor).ok().and_then(|key| {
                let (time, id) = key.split_once('|')?;
                let time = chrono::DateTime::parse_from_rfc3339(time).ok()?.naive_utc();
                Some((time, id.to_string()))
            }),
            limit: PAGE_SIZE,
        }
    }

    /// The query of the next page: these filters, continued after `cursor`.
    fn next(&self, cursor: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for mission in &self.missions {
            query.append_pair("mission", mission);
        }
        for (key, value) in [
            ("status", &self.status),
            ("attack_type", &self.attack_type),
            ("classification", &self.classification),
            ("fatal", &self.fatal),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        if self.awaiting_my_verification {
            query.append_pair("awaiting_my_verification", "true");
        }
        query.append_pair("cursor", cursor);
        format!("/incidents?{}", query.finish())
    }
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let lang = Lang::of(&req);
    let filters = Filters::of(req.query_string());
    let request = filters.request();
    let now = state.clock.now();
    let reader_user = user.clone();
    let found = state
        .run(move |conn| {
            let rows = service::list(conn, &reader_user, request, now)?;
            let missions = crate::services::missions::worked_on(conn, &reader_user)?;
            Ok((rows, missions))
        })
        .await;
    let (rows, mission_codes) = match found {
        Ok(found) => found,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let page_rows = crate::services::Page::from_overfetch(rows, PAGE_SIZE as usize);
    let next_href = match (page_rows.has_more, page_rows.items.last()) {
        (true, Some(last)) => filters.next(&encode_cursor(&format!(
            "{}|{}",
            format_time(last.occurred_at),
            last.id
        ))),
        _ => String::new(),
    };
    let t = lang.texts();
    let (csrf, new_csrf) = csrf_of(&req);
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.code()).collect();
    let mission_refs: Vec<&str> = mission_codes.iter().map(String::as_str).collect();
    let page = ListPage {
        page: page_frame(&req, lang, t.incidents, Some(&user), &csrf),
        missions: mission_refs
            .iter()
            .map(|code| Choice {
                value: code.to_string(),
                label: code.to_string(),
                selected: filters.missions.iter().any(|m| m == code),
            })
            .collect(),
        statuses: choices(statuses.iter().copied(), &filters.status, lang),
        attack_types: choices(ATTACK_TYPES.iter().copied(), &filters.attack_type, lang),
        classifications: choices(
            Clearance::ALL
                .into_iter()
                .filter(|c| *c <= user.clearance)
                .map(Clearance::code),
            &filters.classification,
            lang,
        ),
        fatal: [("true", t.with_deaths), ("false", t.without_deaths)]
            .into_iter()
            .map(|(value, label)| Choice {
                value: value.to_string(),
                label: label.to_string(),
                selected: filters.fatal == value,
            })
            .collect(),
        from: filters.from.clone(),
        to: filters.to.clone(),
        q: filters.q.clone(),
        rows: page_rows
            .items
            .into_iter()
            .map(|row| Row {
                reference: row.reference.unwrap_or_else(|| t.no_reference.to_string()),
                occurred: date_time(lang, row.occurred_at, row.time_precision == "exact"),
                attack_type: label(lang, &row.attack_type),
                status: label(lang, &row.status),
                id: row.id,
                mission: row.mission_code,
                killed: row.killed,
                injured: row.injured,
                summary: row.summary,
            })
            .collect(),
        next_href,
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

struct VictimLine {
    outcome: String,
    personnel_type: String,
    nationality: String,
    gender: String,
    name: String,
}

struct PerpetratorLine {
    actor: String,
    kind: String,
    attribution: String,
}

struct SourceLine {
    kind: String,
    description: String,
    grading: String,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    page: PageFrame,
    summary: String,
    status: String,
    mission: String,
    occurred: String,
    precision: String,
    place: String,
    location_type: String,
    attack_type: String,
    weapons: String,
    classification: String,
    version: i64,
    narrative: String,
    victims: Vec<VictimLine>,
    perpetrators: Vec<PerpetratorLine>,
    sources: Vec<SourceLine>,
    history: Vec<HistoryLine>,
    actions: Actions,
    problems: Vec<Problem>,
}

/// A version of the incident, as its history lists it.
struct HistoryLine {
    version: i64,
    action: String,
    when: String,
    who: String,
    reason: String,
}

/// What this reader may do with the incident from its page.
#[derive(Default)]
struct Actions {
    id: String,
    edit: bool,
    amend: bool,
    submit: bool,
    verify: bool,
    withdraw: bool,
    open_case: bool,
}

impl Actions {
    /// `may_verify` is the two-person rule's answer for this reader.
    fn of(user: &Actor, row: &IncidentRow, status: Status, may_verify: bool) -> Actions {
        let writes = user.viewer().can_write_incident(&row.mission_code);
        Actions {
            id: row.id.clone(),
            edit: writes && matches!(status, Status::Draft | Status::Submitted),
            amend: writes && status == Status::Verified,
            submit: writes && status == Status::Draft,
            verify: may_verify,
            withdraw: writes && status != Status::Withdrawn,
            open_case: user.viewer().can_write_case(&row.mission_code)
                && user.role == crate::domain::access::Role::LegalOfficer
                && matches!(status, Status::Submitted | Status::Verified),
        }
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    incident_page(&req, &state, user, id.into_inner(), &[], StatusCode::OK).await
}

/// The incident with its history and what the reader may do; `errors` are a refused move's.
async fn incident_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: Actor,
    id: String,
    errors: &[FieldError],
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let req = req.clone();
    let now = state.clock.now();
    let reader_user = user.clone();
    let found = state
        .run(move |conn| {
            let incident = service::get(conn, &reader_user, &id, now)?;
            let may_verify = service::may_verify(conn, &reader_user, &incident.row)?;
            let history = service::history_with_authors(conn, &reader_user, &id, now)?;
            Ok((incident, may_verify, history))
        })
        .await;
    let (incident, incident_status, may_verify, versions) = match found {
        Ok((incident, may_verify, versions)) => match incident.status() {
            Ok(incident_status) => (incident, incident_status, may_verify, versions),
            Err(error) => return Ok(failure_page(&req, error)),
        },
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let lang = Lang::of(&req);
    let t = lang.texts();
    let personal = user.viewer().sees_personal_data(&incident.row.mission_code);
    let actions = Actions::of(&user, &incident.row, incident_status, may_verify);
    let (row, data) = (incident.row, incident.data);
    let place: Vec<&str> = [
        row.place_name.as_deref(),
        row.admin2.as_deref(),
        row.admin1.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let title = row
        .reference
        .clone()
        .unwrap_or_else(|| t.no_reference.to_string());
    let (csrf, new_csrf) = csrf_of(&req);
    let page = IncidentPage {
        page: page_frame(&req, lang, &title, Some(&user), &csrf),
        summary: row.summary.clone(),
        status: if row.amendment_pending() {
            t.amended_awaiting_verification.to_string()
        } else {
            label(lang, &row.status)
        },
        mission: row.mission_code.clone(),
        occurred: date_time(lang, row.occurred_at, row.time_precision == "exact"),
        precision: label(lang, &row.time_precision),
        place: if place.is_empty() {
            "—".to_string()
        } else {
            place.join(", ")
        },
        location_type: label(lang, &row.location_type),
        attack_type: label(lang, &row.attack_type),
        weapons: data
            .weapons
            .iter()
            .map(|w| label(lang, w))
            .collect::<Vec<_>>()
            .join(", "),
        classification: label(lang, &row.classification),
        version: row.version,
        narrative: row.narrative.clone(),
        victims: data
            .victims
            .iter()
            .map(|v| VictimLine {
                outcome: label(lang, &v.outcome),
                personnel_type: label(lang, &v.personnel_type),
                nationality: v
                    .nationality
                    .clone()
                    .unwrap_or_else(|| label(lang, "unknown")),
                gender: label(lang, &v.gender),
                name: if personal {
                    [v.name.as_deref(), v.unit.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    t.withheld.to_string()
                },
            })
            .collect(),
        perpetrators: data
            .perpetrators
            .iter()
            .map(|p| PerpetratorLine {
                actor: p
                    .actor_name
                    .clone()
                    .unwrap_or_else(|| t.unidentified.to_string()),
                kind: label(lang, &p.actor_type),
                attribution: label(lang, &p.attribution),
            })
            .collect(),
        sources: data
            .sources
            .iter()
            .map(|s| SourceLine {
                kind: label(lang, &s.source_type),
                description: s.description.clone(),
                grading: format!("{}{}", s.reliability, s.credibility),
            })
            .collect(),
        history: versions
            .into_iter()
            .map(|(v, who)| HistoryLine {
                version: v.version,
                action: label(lang, &v.action),
                when: date_time(lang, v.changed_at, true),
                who,
                reason: v.reason.unwrap_or_default(),
            })
            .collect(),
        actions,
        problems: form::leftovers(lang, form::messages(lang, errors)),
    };
    render(&req, status, &page, new_csrf.then_some(csrf.as_str()))
}

/// Submit, verify or withdraw, from the buttons of the incident page.
pub async fn change_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match super::posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let (id, to) = path.into_inner();
    let reason = Some(form::value(&pairs, "reason").to_string());
    // The version shown on the page is the one verified; a page without it verifies nothing.
    let version = form::value(&pairs, "version").parse::<i64>().ok();
    let (mover, moved_id, now) = (user.clone(), id.clone(), state.clock.now());
    let moved = state
        .run(move |conn| match to.as_str() {
            "submit" => service::submit(conn, &mover, &moved_id, now),
            "verify" => match version {
                Some(version) => service::verify(conn, &mover, &moved_id, version, now),
                None => Err(AppError::invalid("version", "is required")),
            },
            "withdraw" => service::withdraw(conn, &mover, &moved_id, reason, now),
            _ => Err(AppError::NotFound),
        })
        .await;
    match moved {
        Ok(_) => Ok(redirect(&format!("/incidents/{id}"))),
        Err(AppError::Validation(errors)) => {
            incident_page(
                &req,
                &state,
                user,
                id,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict(_)) => {
            let errors = [FieldError::new(
                "status",
                Lang::ENGLISH.texts().changed_meanwhile,
            )];
            incident_page(&req, &state, user, id, &errors, StatusCode::CONFLICT).await
        }
        Err(error) => Ok(failure_page(&req, error)),
    }
}
