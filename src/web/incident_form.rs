//! The incident form: a new incident, a change to a draft or a submitted one, an amendment of
//! a verified one (with its reason). Victims, perpetrators and sources repeat: "add" posts the
//! form back and it returns with more empty rows, nothing saved, so it works without script.
//! A change made on a version someone else has since changed is not saved: the page shows
//! what changed meanwhile and keeps the officer's values, ready to be saved again.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::AuthUser;
use crate::domain::access::Clearance;
use crate::domain::incident::{
    ACTOR_TYPES, ATTACK_TYPES, ATTRIBUTIONS, GENDERS, GEO_PRECISIONS, IncidentInput,
    LOCATION_TYPES, OUTCOMES, PERSONNEL_TYPES, RELIABILITIES, SOURCE_TYPES, Status,
    TIME_PRECISIONS, WEAPONS, validate,
};
use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::services::incidents::{self as service, CreateRequest};

use super::form::{self, Field, Kind, Problem};
use super::i18n::Lang;
use super::labels::label;
use super::{Choice, Chrome, chrome, csrf_of, failure_page, redirect};

/// A field of the form and how it is drawn; codes for the lists.
type Spec = (&'static str, Kind, &'static [&'static str]);

const NO_CODES: &[&str] = &[];

const TOP: &[Spec] = &[
    ("mission", Kind::Select, NO_CODES),
    ("classification", Kind::Select, NO_CODES),
    ("occurred_at", Kind::DateTime, NO_CODES),
    ("time_precision", Kind::Select, TIME_PRECISIONS),
    ("attack_type", Kind::Select, ATTACK_TYPES),
    ("location_type", Kind::Select, LOCATION_TYPES),
    ("place_name", Kind::Text, NO_CODES),
    ("admin1", Kind::Text, NO_CODES),
    ("admin2", Kind::Text, NO_CODES),
    ("latitude", Kind::Number, NO_CODES),
    ("longitude", Kind::Number, NO_CODES),
    ("geo_precision", Kind::Select, GEO_PRECISIONS),
    ("summary", Kind::Text, NO_CODES),
    ("narrative", Kind::LongText, NO_CODES),
];

/// Victims' fields shown only to readers cleared for personal data.
const PERSONAL: &[&str] = &["name", "unit"];

const REQUIRED: &[&str] = &[
    "mission",
    "occurred_at",
    "attack_type",
    "location_type",
    "summary",
    "outcome",
    "personnel_type",
    "actor_type",
    "source_type",
    "description",
];

/// The repeating parts: (name, fields of one row).
const GROUPS: [(&str, &[Spec]); 3] = [
    (
        "victims",
        &[
            ("outcome", Kind::Select, OUTCOMES),
            ("personnel_type", Kind::Select, PERSONNEL_TYPES),
            ("nationality", Kind::Text, NO_CODES),
            ("gender", Kind::Select, GENDERS),
            ("name", Kind::Text, NO_CODES),
            ("unit", Kind::Text, NO_CODES),
        ],
    ),
    (
        "perpetrators",
        &[
            ("actor_name", Kind::Text, NO_CODES),
            ("actor_type", Kind::Select, ACTOR_TYPES),
            ("attribution", Kind::Select, ATTRIBUTIONS),
            ("claimed_responsibility", Kind::Checkbox, NO_CODES),
        ],
    ),
    (
        "sources",
        &[
            ("source_type", Kind::Select, SOURCE_TYPES),
            ("description", Kind::Text, NO_CODES),
            ("reliability", Kind::Select, RELIABILITIES),
            ("credibility", Kind::Number, NO_CODES),
        ],
    ),
];

/// Each stored row carries its place in the stored list (`origin`), so what the form does
/// not show (casualty ids, receipt times, and names for readers not cleared to see them) is
/// carried over to the same victim or source when the officer saves.
const ORIGIN: &str = "origin";

/// The form's values as text, as the officer typed them.
#[derive(Debug, Clone, Default, PartialEq)]
struct IncidentForm {
    top: BTreeMap<String, String>,
    weapons: Vec<String>,
    /// Victims, perpetrators, sources: the rows with something in them, in order.
    groups: [Vec<BTreeMap<String, String>>; 3],
}

impl IncidentForm {
    fn posted(pairs: &[(String, String)]) -> IncidentForm {
        let mut form = IncidentForm::default();
        let mut rows: [BTreeMap<usize, BTreeMap<String, String>>; 3] = Default::default();
        for (name, value) in pairs {
            let value = value.trim().to_string();
            if name == "weapons" {
                form.weapons.push(value);
            } else if TOP.iter().any(|(field, _, _)| field == name) {
                form.top.insert(name.clone(), value);
            } else if let Some((group, index, field)) = row_field(name) {
                rows[group]
                    .entry(index)
                    .or_default()
                    .insert(field.to_string(), value);
            }
        }
        for (group, found) in rows.into_iter().enumerate() {
            form.groups[group] = found
                .into_values()
                .filter(|row| row.iter().any(|(k, v)| k != ORIGIN && !v.is_empty()))
                .collect();
        }
        form
    }

    /// The form of a stored incident; names and units only for a reader who may see them.
    fn stored(input: &IncidentInput, personal: bool) -> IncidentForm {
        let mut form = IncidentForm::default();
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let number = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
        for (name, value) in [
            ("mission", text(&input.mission)),
            ("classification", text(&input.classification)),
            ("occurred_at", local_time(input.occurred_at.as_deref())),
            ("time_precision", text(&input.time_precision)),
            ("attack_type", text(&input.attack_type)),
            ("location_type", text(&input.location_type)),
            ("place_name", text(&input.place_name)),
            ("admin1", text(&input.admin1)),
            ("admin2", text(&input.admin2)),
            ("latitude", number(input.latitude)),
            ("longitude", number(input.longitude)),
            ("geo_precision", text(&input.geo_precision)),
            ("summary", text(&input.summary)),
            ("narrative", text(&input.narrative)),
        ] {
            form.top.insert(name.to_string(), value);
        }
        form.weapons = input.weapons.clone();
        let row = |pairs: Vec<(&str, String)>| -> BTreeMap<String, String> {
            pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
        };
        form.groups[0] = input
            .victims
            .iter()
            .map(|v| {
                row(vec![
                    ("outcome", text(&v.outcome)),
                    ("personnel_type", text(&v.personnel_type)),
                    ("nationality", text(&v.nationality)),
                    ("gender", text(&v.gender)),
                    ("name", text(&v.name)),
                    ("unit", text(&v.unit)),
                ])
            })
            .collect();
        form.groups[1] = input
            .perpetrators
            .iter()
            .map(|p| {
                let claimed = if p.claimed_responsibility == Some(true) {
                    "true"
                } else {
                    ""
                };
                row(vec![
                    ("actor_name", text(&p.actor_name)),
                    ("actor_type", text(&p.actor_type)),
                    ("attribution", text(&p.attribution)),
                    ("claimed_responsibility", claimed.to_string()),
                ])
            })
            .collect();
        form.groups[2] = input
            .sources
            .iter()
            .map(|s| {
                row(vec![
                    ("source_type", text(&s.source_type)),
                    ("description", text(&s.description)),
                    ("reliability", text(&s.reliability)),
                    (
                        "credibility",
                        s.credibility.map(|c| c.to_string()).unwrap_or_default(),
                    ),
                ])
            })
            .collect();
        for group in &mut form.groups {
            for (origin, row) in group.iter_mut().enumerate() {
                row.insert(ORIGIN.to_string(), origin.to_string());
                if !personal {
                    row.remove("name");
                    row.remove("unit");
                }
            }
        }
        form
    }

    /// What the form does not show goes back into the body, row by row, from the stored
    /// incident: casualty ids and receipt times always, names and units when the reader may
    /// not see them.
    fn carry_over(&self, body: &mut Map<String, Value>, stored: &IncidentInput, personal: bool) {
        let origin = |row: &BTreeMap<String, String>| row.get(ORIGIN)?.parse::<usize>().ok();
        if let Some(Value::Array(victims)) = body.get_mut("victims") {
            for (row, object) in self.groups[0].iter().zip(victims.iter_mut()) {
                let (Some(was), Value::Object(object)) =
                    (origin(row).and_then(|i| stored.victims.get(i)), object)
                else {
                    continue;
                };
                let mut keep = vec![("casualty_id", &was.casualty_id)];
                if !personal {
                    keep.extend([("name", &was.name), ("unit", &was.unit)]);
                }
                for (name, value) in keep {
                    if let Some(value) = value {
                        object.insert(name.to_string(), Value::String(value.clone()));
                    }
                }
            }
        }
        if let Some(Value::Array(sources)) = body.get_mut("sources") {
            for (row, object) in self.groups[2].iter().zip(sources.iter_mut()) {
                if let (Some(was), Value::Object(object)) =
                    (origin(row).and_then(|i| stored.sources.get(i)), object)
                    && let Some(received_at) = &was.received_at
                {
                    object.insert(
                        "received_at".to_string(),
                        Value::String(received_at.clone()),
                    );
                }
            }
        }
    }

    /// The body the service takes. With `whole`, an empty field is sent as `null` (a change
    /// replaces every field); otherwise it is left out. Text that cannot be a number or a
    /// time is refused here, by field.
    fn body(&self, whole: bool) -> (Map<String, Value>, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut body = Map::new();
        for (name, kind, _) in TOP {
            let text = self.top.get(*name).map_or("", String::as_str);
            match convert(name, *kind, text, &mut errors) {
                Some(value) => {
                    body.insert(name.to_string(), value);
                }
                None if whole => {
                    body.insert(name.to_string(), Value::Null);
                }
                None => {}
            }
        }
        body.insert(
            "weapons".to_string(),
            Value::Array(
                self.weapons
                    .iter()
                    .filter(|w| !w.is_empty())
                    .map(|w| Value::String(w.clone()))
                    .collect(),
            ),
        );
        for (group, (key, specs)) in GROUPS.iter().enumerate() {
            let mut rows = Vec::new();
            for (index, row) in self.groups[group].iter().enumerate() {
                let mut object = Map::new();
                for (name, value) in row.iter().filter(|(name, _)| *name != ORIGIN) {
                    let kind = specs
                        .iter()
                        .find(|(field, _, _)| field == name)
                        .map_or(Kind::Text, |(_, kind, _)| *kind);
                    let path = format!("{key}[{index}].{name}");
                    if kind == Kind::Checkbox {
                        object.insert(name.clone(), Value::Bool(value == "true"));
                    } else if let Some(value) = convert(&path, kind, value, &mut errors) {
                        object.insert(name.clone(), value);
                    }
                }
                if specs.iter().any(|(_, kind, _)| *kind == Kind::Checkbox) {
                    for (name, _, _) in specs.iter().filter(|(_, k, _)| *k == Kind::Checkbox) {
                        object.entry(name.to_string()).or_insert(Value::Bool(false));
                    }
                }
                rows.push(Value::Object(object));
            }
            body.insert(key.to_string(), Value::Array(rows));
        }
        (body, errors)
    }
}

/// Text the form could not read is named, and so is everything else wrong with the rest:
/// the officer corrects all at once.
fn with_rule_errors(
    body: &Map<String, Value>,
    mut unreadable: Vec<FieldError>,
    now: NaiveDateTime,
) -> Vec<FieldError> {
    if let Ok(input) = serde_json::from_value::<IncidentInput>(Value::Object(body.clone()))
        && let Err(found) = validate(&input, now)
    {
        for error in found {
            if !unreadable.iter().any(|e| e.field == error.field) {
                unreadable.push(error);
            }
        }
    }
    unreadable
}

/// `victims[2].outcome` → (0, 2, "outcome").
fn row_field(name: &str) -> Option<(usize, usize, &str)> {
    let (key, rest) = name.split_once('[')?;
    let (index, field) = rest.split_once("].")?;
    let group = GROUPS.iter().position(|(k, _)| *k == key)?;
    let index: usize = index.parse().ok()?;
    // More rows than the service takes are refused by it; this only bounds the reading.
    (index < 1000).then_some((group, index, field))
}

/// An RFC 3339 time as the `datetime-local` field shows it, in UTC.
fn local_time(text: Option<&str>) -> String {
    text.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.naive_utc().format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

fn convert(path: &str, kind: Kind, text: &str, errors: &mut Vec<FieldError>) -> Option<Value> {
    if text.is_empty() {
        return None;
    }
    match kind {
        Kind::Number => {
            let parsed = text
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64);
            match parsed {
                // Whole numbers (credibility) go as integers.
                Some(n)
                    if n.as_f64()
                        .is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e9) =>
                {
                    Some(Value::from(n.as_f64().unwrap_or_default() as i64))
                }
                Some(n) => Some(Value::Number(n)),
                None => {
                    errors.push(FieldError::new(path, "must be a number"));
                    None
                }
            }
        }
        Kind::DateTime => {
            let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"));
            match parsed {
                Ok(time) => Some(Value::String(time.format("%Y-%m-%dT%H:%M:%SZ").to_string())),
                Err(_) => {
                    errors.push(FieldError::new(path, "must be a date"));
                    None
                }
            }
        }
        _ => Some(Value::String(text.to_string())),
    }
}

/// One group of rows as the page draws it.
pub struct GroupView {
    key: &'static str,
    title: String,
    add_label: &'static str,
    rows: Vec<RowView>,
}

pub struct RowView {
    legend: String,
    /// The row's place in the stored list; empty for a new row.
    origin: String,
    origin_name: String,
    fields: Vec<Field>,
}

/// A field that someone else changed since the officer read the incident.
pub struct Difference {
    field: String,
    now: String,
    yours: String,
}

#[derive(Template)]
#[template(path = "incident_form.html")]
struct FormPage {
    page: Chrome,
    sets_csrf: bool,
    action: String,
    form_key: String,
    version: i64,
    amending: bool,
    reason: Field,
    offers_submit: bool,
    top: Vec<Field>,
    weapons: Vec<Choice>,
    groups: Vec<GroupView>,
    problems: Vec<Problem>,
    stale: Vec<Difference>,
}

/// What the page needs besides the values.
struct Setting {
    title: String,
    /// Whether the reader may see victims' names and units.
    personal: bool,
    action: String,
    form_key: String,
    version: i64,
    status: Option<Status>,
    reason: String,
    /// Empty rows to add to each group.
    blank: [usize; 3],
    stale: Vec<Difference>,
}

fn draw(
    req: &HttpRequest,
    lang: Lang,
    user: &AuthUser,
    mission_codes: &[String],
    form: &IncidentForm,
    setting: Setting,
    errors: &[FieldError],
) -> FormPage {
    let personal = setting.personal;
    let t = lang.texts();
    let mut messages = form::messages(lang, errors);
    let value = |name: &str| form.top.get(name).cloned().unwrap_or_default();
    let top = TOP
        .iter()
        .map(|(name, kind, codes)| {
            let mut field = Field::new(lang, name, *kind, &value(name));
            field = match *name {
                "mission" => field.codes(lang, mission_codes.iter().map(String::as_str)),
                "classification" => field.codes(
                    lang,
                    Clearance::ALL
                        .iter()
                        .filter(|c| **c <= user.clearance)
                        .map(|c| c.code()),
                ),
                _ if *kind == Kind::Select => field.codes(lang, codes.iter().copied()),
                _ => field,
            };
            if REQUIRED.contains(name) {
                field = field.required();
            }
            field.with_error(&mut messages)
        })
        .collect();
    let weapons = super::choices(WEAPONS.iter().copied(), "", lang)
        .into_iter()
        .map(|mut choice| {
            choice.selected = form.weapons.contains(&choice.value);
            choice
        })
        .collect();
    let (titles, add_labels, legends) = (
        [t.victims, t.perpetrators, t.sources],
        [t.add_victim, t.add_perpetrator, t.add_source],
        [t.victim, t.perpetrator, t.source],
    );
    let groups = GROUPS
        .iter()
        .enumerate()
        .map(|(group, (key, specs))| {
            let filled = &form.groups[group];
            let count = filled.len() + setting.blank[group];
            let rows = (0..count)
                .map(|index| {
                    let row = filled.get(index);
                    let fields = specs
                        .iter()
                        .filter(|(name, _, _)| personal || !PERSONAL.contains(name))
                        .map(|(name, kind, codes)| {
                            let value = row.and_then(|r| r.get(*name)).cloned().unwrap_or_default();
                            let path = format!("{key}[{index}].{name}");
                            let mut field = Field::new(lang, &path, *kind, &value);
                            if *kind == Kind::Select {
                                field = field.codes(lang, codes.iter().copied());
                            }
                            if REQUIRED.contains(name) {
                                field = field.required();
                            }
                            field.with_error(&mut messages)
                        })
                        .collect();
                    RowView {
                        legend: format!("{} {}", legends[group], index + 1),
                        origin: row.and_then(|r| r.get(ORIGIN)).cloned().unwrap_or_default(),
                        origin_name: format!("{key}[{index}].{ORIGIN}"),
                        fields,
                    }
                })
                .collect();
            GroupView {
                key,
                title: titles[group].to_string(),
                add_label: add_labels[group],
                rows,
            }
        })
        .collect();
    let amending = setting.status == Some(Status::Verified);
    let reason =
        Field::new(lang, "reason", Kind::LongText, &setting.reason).with_error(&mut messages);
    let (csrf, sets_csrf) = csrf_of(req);
    FormPage {
        page: chrome(req, lang, &setting.title, Some(user), &csrf),
        sets_csrf,
        action: setting.action,
        form_key: setting.form_key,
        version: setting.version,
        amending,
        reason: if amending { reason.required() } else { reason },
        offers_submit: matches!(setting.status, None | Some(Status::Draft)),
        top,
        weapons,
        groups,
        problems: form::leftovers(lang, messages),
        stale: setting.stale,
    }
}

fn new_form_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The missions an officer may record incidents for.
async fn missions_of(
    state: &web::Data<AppState>,
    user: &AuthUser,
) -> Result<Vec<String>, AppError> {
    let reader = user.clone();
    state
        .run(move |conn| Ok(super::missions_worked_on(conn, &reader)?))
        .await
}

fn respond(
    req: &HttpRequest,
    status: StatusCode,
    page: &FormPage,
) -> Result<HttpResponse, AppError> {
    let new_csrf = page.sets_csrf.then_some(page.page.csrf.as_str());
    super::render(req, status, page, new_csrf)
}

pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match super::page_user(&req, &state).await {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let now = state.clock.now();
    let checker = user.clone();
    if let Err(error) = state
        .run(move |conn| service::check_may_create(conn, &checker, now))
        .await
    {
        return Ok(failure_page(&req, error));
    }
    let lang = Lang::of(&req);
    let missions = missions_of(&state, &user).await?;
    let mut form = IncidentForm::default();
    if let [only] = missions.as_slice() {
        form.top.insert("mission".to_string(), only.clone());
    }
    let setting = Setting {
        title: lang.texts().new_incident.to_string(),
        personal: true,
        action: "/incidents/new".to_string(),
        form_key: new_form_key(),
        version: 0,
        status: None,
        reason: String::new(),
        blank: [1, 1, 1],
        stale: Vec::new(),
    };
    let page = draw(&req, lang, &user, &missions, &form, setting, &[]);
    respond(&req, StatusCode::OK, &page)
}

/// Which button sent the form: save, save and submit, or add a row to a group.
enum Intent {
    Save,
    Submit,
    AddRow(usize),
}

fn intent(pairs: &[(String, String)]) -> Intent {
    match form::value(pairs, "action") {
        "submit" => Intent::Submit,
        other => match other.strip_prefix("add:") {
            Some(key) => GROUPS
                .iter()
                .position(|(k, _)| *k == key)
                .map_or(Intent::Save, Intent::AddRow),
            None => Intent::Save,
        },
    }
}

fn blank_rows(intent: &Intent) -> [usize; 3] {
    let mut blank = [1, 1, 1];
    if let Intent::AddRow(group) = intent {
        blank[*group] += 1;
    }
    blank
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match super::posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let lang = Lang::of(&req);
    let form = IncidentForm::posted(&pairs);
    let intent = intent(&pairs);
    let mut form_key = form::value(&pairs, "form_key").to_string();
    if form_key.is_empty() || form_key.len() > 64 {
        form_key = new_form_key();
    }
    let (mut body, unreadable) = form.body(false);
    let errors = match &intent {
        Intent::AddRow(_) => Vec::new(),
        _ if !unreadable.is_empty() => with_rule_errors(&body, unreadable, state.clock.now()),
        _ => {
            if matches!(intent, Intent::Submit) {
                body.insert("submit".to_string(), Value::Bool(true));
            }
            // A form sent twice over a bad link makes one incident.
            let hash = hex::encode(Sha256::digest(Value::Object(body.clone()).to_string()));
            let request = CreateRequest {
                body,
                idempotency: Some((format!("page:{form_key}"), hash)),
            };
            let (creator, now) = (user.clone(), state.clock.now());
            let missions = Arc::clone(&state.recent_missions);
            match state
                .run(move |conn| service::create(conn, &missions, &creator, request, now))
                .await
            {
                Ok(created) => {
                    return Ok(redirect(&format!("/incidents/{}", created.incident.row.id)));
                }
                Err(AppError::Validation(errors)) => errors,
                Err(error) => return Ok(failure_page(&req, error)),
            }
        }
    };
    if errors.iter().any(|e| e.field == "Idempotency-Key") {
        form_key = new_form_key();
    }
    let missions = missions_of(&state, &user).await?;
    let setting = Setting {
        title: lang.texts().new_incident.to_string(),
        personal: true,
        action: "/incidents/new".to_string(),
        form_key,
        version: 0,
        status: None,
        reason: String::new(),
        blank: blank_rows(&intent),
        stale: Vec::new(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = draw(&req, lang, &user, &missions, &form, setting, &errors);
    respond(&req, status, &page)
}

pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = match super::page_user(&req, &state).await {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let (reader, now, id) = (user.clone(), state.clock.now(), id.into_inner());
    let found = state
        .run(move |conn| {
            service::check_may_change(conn, &reader, &id, "incidents.update", now)?;
            service::get(conn, &reader, &id, now)
        })
        .await;
    let incident = match found {
        Ok(incident) => incident,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let lang = Lang::of(&req);
    let missions = missions_of(&state, &user).await?;
    let personal = user.viewer().sees_personal_data(&incident.row.mission_code);
    let form = IncidentForm::stored(&incident.data.to_input(), personal);
    let mut setting = edit_setting(lang, &incident.row, Vec::new(), String::new(), [1, 1, 1]);
    setting.personal = personal;
    let page = draw(&req, lang, &user, &missions, &form, setting, &[]);
    respond(&req, StatusCode::OK, &page)
}

fn edit_setting(
    lang: Lang,
    row: &crate::store::incidents::IncidentRow,
    stale: Vec<Difference>,
    reason: String,
    blank: [usize; 3],
) -> Setting {
    let t = lang.texts();
    let status = Status::from_code(&row.status);
    let verb = if status == Some(Status::Verified) {
        t.amend
    } else {
        t.edit
    };
    Setting {
        personal: false,
        title: format!(
            "{verb}: {}",
            row.reference.as_deref().unwrap_or(t.no_reference)
        ),
        action: format!("/incidents/{}/edit", row.id),
        form_key: String::new(),
        version: row.version,
        status,
        reason,
        blank,
        stale,
    }
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match super::posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let lang = Lang::of(&req);
    let id = id.into_inner();
    let form = IncidentForm::posted(&pairs);
    let intent = intent(&pairs);
    let version: i64 = form::value(&pairs, "version").parse().unwrap_or(-1);
    let reason = form::value(&pairs, "reason").trim().to_string();
    let now = state.clock.now();

    let load = |state: &web::Data<AppState>| {
        let (reader, read_id) = (user.clone(), id.clone());
        let state = state.clone();
        async move {
            state
                .run(move |conn| service::get(conn, &reader, &read_id, now))
                .await
        }
    };
    let mut current = match load(&state).await {
        Ok(current) => current,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let personal = user.viewer().sees_personal_data(&current.row.mission_code);

    let mut errors = Vec::new();
    let (mut stale, mut saved) = (false, false);
    if !matches!(intent, Intent::AddRow(_)) {
        match form.body(true) {
            (body, unreadable) if !unreadable.is_empty() => {
                errors = with_rule_errors(&body, unreadable, now);
            }
            (mut body, _) => {
                form.carry_over(&mut body, &current.data.to_input(), personal);
                let (writer, written_id) = (user.clone(), id.clone());
                let reason = (!reason.is_empty()).then(|| reason.clone());
                let missions = Arc::clone(&state.recent_missions);
                let updated = state
                    .run(move |conn| {
                        service::update(
                            conn,
                            &missions,
                            &writer,
                            &written_id,
                            body,
                            version,
                            reason,
                            now,
                        )
                    })
                    .await;
                match updated {
                    Ok(_) => saved = true,
                    Err(AppError::Validation(found)) => errors = found,
                    Err(AppError::Conflict(_)) => stale = true,
                    Err(error) => return Ok(failure_page(&req, error)),
                }
            }
        }
    }
    if saved && matches!(intent, Intent::Submit) {
        let (writer, written_id) = (user.clone(), id.clone());
        let submitted = state
            .run(move |conn| service::submit(conn, &writer, &written_id, now))
            .await;
        match submitted {
            Ok(_) => {}
            // Saved, but not complete enough to submit: the form comes back with the reasons.
            Err(AppError::Validation(found)) => errors = found,
            Err(error) => return Ok(failure_page(&req, error)),
        }
    }
    if saved && errors.is_empty() {
        return Ok(redirect(&format!("/incidents/{id}")));
    }
    if stale || saved {
        current = match load(&state).await {
            Ok(current) => current,
            Err(error) => return Ok(failure_page(&req, error)),
        };
    }
    // Someone saved meanwhile: show what they changed; the officer's values stay in the form
    // over the new version, so saving again re-applies them.
    let differences = if stale {
        let stored = IncidentForm::stored(&current.data.to_input(), personal);
        differences(lang, &stored, &form)
    } else {
        Vec::new()
    };
    let missions = missions_of(&state, &user).await?;
    let mut setting = edit_setting(lang, &current.row, differences, reason, blank_rows(&intent));
    setting.personal = personal;
    if !stale && !saved {
        setting.version = version;
    }
    let status = if stale {
        StatusCode::CONFLICT
    } else if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = draw(&req, lang, &user, &missions, &form, setting, &errors);
    respond(&req, status, &page)
}

fn labels_of(lang: Lang, codes: &[String]) -> String {
    codes
        .iter()
        .map(|code| label(lang, code))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fields where the stored incident and the officer's form differ.
fn differences(lang: Lang, stored: &IncidentForm, yours: &IncidentForm) -> Vec<Difference> {
    let mut found = Vec::new();
    for (name, _, _) in TOP {
        let (now, mine) = (
            stored.top.get(*name).cloned().unwrap_or_default(),
            yours.top.get(*name).cloned().unwrap_or_default(),
        );
        if now != mine {
            found.push(Difference {
                field: super::labels::field_label(lang, name),
                now: label(lang, &now),
                yours: label(lang, &mine),
            });
        }
    }
    if stored.weapons != yours.weapons {
        found.push(Difference {
            field: super::labels::field_label(lang, "weapons"),
            now: labels_of(lang, &stored.weapons),
            yours: labels_of(lang, &yours.weapons),
        });
    }
    for (group, (key, _)) in GROUPS.iter().enumerate() {
        let describe = |rows: &Vec<BTreeMap<String, String>>| {
            rows.iter()
                .map(|row| {
                    row.values()
                        .filter(|v| !v.is_empty())
                        .map(|v| label(lang, v))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        // The stored rows carry fields the form does not show (casualty ids, times).
        let shown = |rows: &Vec<BTreeMap<String, String>>| {
            let specs = GROUPS[group].1;
            rows.iter()
                .map(|row| {
                    row.iter()
                        .filter(|(k, v)| {
                            !v.is_empty() && specs.iter().any(|(name, _, _)| name == k)
                        })
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<BTreeMap<_, _>>()
                })
                .collect::<Vec<_>>()
        };
        let (now, mine) = (shown(&stored.groups[group]), shown(&yours.groups[group]));
        if now != mine {
            found.push(Difference {
                field: super::labels::field_label(lang, key),
                now: describe(&now),
                yours: describe(&mine),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(text: &str) -> IncidentForm {
        IncidentForm::posted(&form::pairs(text.as_bytes()))
    }

    #[test]
    fn rows_left_empty_are_dropped_and_the_rest_keep_their_order() {
        let form = posted(
            "victims%5B0%5D.outcome=&victims%5B0%5D.name=&victims%5B1%5D.outcome=killed\
             &victims%5B2%5D.outcome=injured&summary=Ambush",
        );
        assert_eq!(form.groups[0].len(), 2);
        assert_eq!(form.groups[0][0]["outcome"], "killed");
        assert_eq!(form.groups[0][1]["outcome"], "injured");
        let (body, unreadable) = form.body(false);
        assert!(unreadable.is_empty());
        assert_eq!(body["victims"][1]["outcome"], "injured");
        assert_eq!(body["summary"], "Ambush");
        assert!(!body.contains_key("narrative"));
        assert_eq!(form.body(true).0["narrative"], Value::Null);
    }

    #[test]
    fn times_numbers_and_checkboxes_become_what_the_service_reads() {
        let form = posted(
            "occurred_at=2026-03-14T06%3A30&latitude=12%2C5&perpetrators%5B0%5D.actor_type=militia\
             &sources%5B0%5D.credibility=2",
        );
        let body = form.body(false).0;
        assert_eq!(body["occurred_at"], "2026-03-14T06:30:00Z");
        assert_eq!(body["latitude"], 12.5);
        assert_eq!(body["perpetrators"][0]["claimed_responsibility"], false);
        assert_eq!(body["sources"][0]["credibility"], 2);
        let (_, unreadable) = posted("occurred_at=yesterday&longitude=east").body(false);
        let fields: Vec<String> = unreadable.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["occurred_at", "longitude"]);
    }

    #[test]
    fn a_stored_incident_fills_the_form_it_came_from() {
        let form = posted(
            "mission=MINUSCA&occurred_at=2026-03-14T06%3A30&summary=S&weapons=rpg\
             &victims%5B0%5D.outcome=killed&victims%5B0%5D.gender=male",
        );
        let input: IncidentInput =
            serde_json::from_value(Value::Object(form.body(false).0)).unwrap();
        let again = IncidentForm::stored(&input, true);
        assert_eq!(again.top["occurred_at"], "2026-03-14T06:30");
        assert_eq!(again.weapons, vec!["rpg"]);
        assert_eq!(again.groups[0][0]["outcome"], "killed");
        assert!(differences(Lang::En, &again, &form).is_empty());
    }
}
