//! The form page drawn: its groups of rows, the choices and the differences shown on a conflict.

use super::*;

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
pub(super) struct FormPage {
    page: PageFrame,
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
    /// Offered by name to the victims' nationality.
    countries: Vec<Choice>,
    problems: Vec<Problem>,
    stale: Vec<Difference>,
}

/// What the page needs besides the values.
pub(super) struct Setting {
    pub(super) title: String,
    /// Whether the reader may see victims' names and units.
    pub(super) personal: bool,
    pub(super) action: String,
    pub(super) form_key: String,
    pub(super) version: i64,
    pub(super) status: Option<Status>,
    pub(super) reason: String,
    /// Empty rows to add to each group.
    pub(super) blank: [usize; 3],
    pub(super) stale: Vec<Difference>,
}

pub(super) fn draw(
    req: &HttpRequest,
    lang: Lang,
    user: &Actor,
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
    let weapons = super::super::choices(WEAPONS.iter().copied(), "", lang)
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
        page: page_frame(req, lang, &setting.title, Some(user), &csrf),
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
        countries: super::super::countries::choices(lang, ""),
        problems: form::leftovers(lang, messages),
        stale: setting.stale,
    }
}

pub(super) fn new_form_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The missions an officer may record incidents for.
pub(super) async fn missions_of(
    state: &web::Data<AppState>,
    user: &Actor,
) -> Result<Vec<String>, AppError> {
    let reader = user.clone();
    state
        .run(move |conn| crate::services::missions::worked_on(conn, &reader))
        .await
}

pub(super) fn respond(
    req: &HttpRequest,
    status: StatusCode,
    page: &FormPage,
) -> Result<HttpResponse, AppError> {
    let new_csrf = page.sets_csrf.then_some(page.page.csrf.as_str());
    super::super::render(req, status, page, new_csrf)
}

/// Which button sent the form: save, save and submit, or add a row to a group.
pub(super) enum Intent {
    Save,
    Submit,
    AddRow(usize),
}

pub(super) fn intent(pairs: &[(String, String)]) -> Intent {
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

pub(super) fn blank_rows(intent: &Intent) -> [usize; 3] {
    let mut blank = [1, 1, 1];
    if let Intent::AddRow(group) = intent {
        blank[*group] += 1;
    }
    blank
}

pub(super) fn labels_of(lang: Lang, codes: &[String]) -> String {
    codes
        .iter()
        .map(|code| label(lang, code))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fields where the stored incident and the officer's form differ.
pub(super) fn differences(
    lang: Lang,
    stored: &IncidentForm,
    yours: &IncidentForm,
) -> Vec<Difference> {
    let mut found = Vec::new();
    for (name, _, _) in TOP {
        let (now, mine) = (
            stored.top.get(*name).cloned().unwrap_or_default(),
            yours.top.get(*name).cloned().unwrap_or_default(),
        );
        if now != mine {
            found.push(Difference {
                field: super::super::labels::field_label(lang, name),
                now: label(lang, &now),
                yours: label(lang, &mine),
            });
        }
    }
    if stored.weapons != yours.weapons {
        found.push(Difference {
            field: super::super::labels::field_label(lang, "weapons"),
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
                field: super::super::labels::field_label(lang, key),
                now: describe(&now),
                yours: describe(&mine),
            });
        }
    }
    found
}
