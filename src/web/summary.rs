//! The accountability summary for leadership: a period and a mission, figures and charts
//! drawn on the server, the stalled cases, and downloads (the figures as CSV, the incidents
//! as CSV or GeoJSON).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Days, NaiveDate, NaiveTime};
use serde_json::json;

use crate::AppState;
use crate::domain::summary::Grouping;
use crate::error::AppError;
use crate::http::download::{csv_response, summary_csv};
use crate::services::exports::{ExportRequest, Format};
use crate::services::incidents::ListRequest;
use crate::services::summary::{self as service, StalledRequest, SummaryRequest};

use super::charts::{Bars, Stacked};
use super::i18n::Lang;
use super::labels::label;
use super::{Choice, PageFrame, csrf_of, failure_page, page_frame, page_user, render};

/// Cases without a step for this long are listed as stalled, as the case list marks them.
const STALLED_AFTER_DAYS: u32 = 180;

/// The period and mission asked for; text the form cannot send is ignored.
#[derive(Default)]
struct Asked {
    from: String,
    to: String,
    missions: Vec<String>,
}

impl Asked {
    fn of(query: &str) -> Asked {
        let mut asked = Asked::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.replace('\0', "");
            match key.as_ref() {
                "from" => asked.from = value,
                "to" => asked.to = value,
                "mission" if !value.is_empty() && asked.missions.len() < 100 => {
                    asked.missions.push(value)
                }
                _ => {}
            }
        }
        asked
    }

    fn date(text: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
    }

    fn missions(&self) -> Vec<String> {
        self.missions.clone()
    }

    fn request(&self) -> SummaryRequest {
        SummaryRequest {
            missions: self.missions(),
            from: Asked::date(&self.from),
            to: Asked::date(&self.to),
            grouping: Grouping::Year,
        }
    }

    fn query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [("from", &self.from), ("to", &self.to)] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        for mission in &self.missions {
            query.append_pair("mission", mission);
        }
        query.finish()
    }
}

struct Figure {
    label: &'static str,
    value: String,
}

/// A period's figure for each mission, in words, beside the chart that draws them.
struct Breakdown {
    period: String,
    missions: String,
}

fn breakdown(values: &BTreeMap<String, BTreeMap<String, u64>>) -> Vec<Breakdown> {
    values
        .iter()
        .map(|(period, series)| Breakdown {
            period: period.clone(),
            missions: series
                .iter()
                .filter(|(_, v)| **v > 0)
                .map(|(mission, v)| format!("{mission} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .filter(|b| !b.missions.is_empty())
        .collect()
}

/// The stalled cases the page lists; the case list has them all.
const STALLED_SHOWN: usize = 100;

struct StalledLine {
    href: String,
    reference: String,
    mission: String,
    status: String,
    days_idle: i64,
    next_action: String,
}

#[derive(Template)]
#[template(path = "summary.html")]
struct SummaryPage {
    page: PageFrame,
    from: String,
    to: String,
    missions: Vec<Choice>,
    figures: Vec<Figure>,
    attacks_chart: String,
    attacks_by_mission: Vec<Breakdown>,
    killed_chart: String,
    killed_by_mission: Vec<Breakdown>,
    funnel_chart: String,
    time_chart: String,
    stalled: Vec<StalledLine>,
    stalled_more: usize,
    download_query: String,
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let asked = Asked::of(req.query_string());
    let (request, missions_asked) = (asked.request(), asked.missions());
    let (reader, now) = (user.clone(), state.clock.now());
    let summary = match crate::services::summary::summary(&state, &reader, request, now).await {
        Ok(summary) => summary,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let found = state
        .run(move |conn| {
            let stalled_request = StalledRequest {
                missions: missions_asked,
                days: STALLED_AFTER_DAYS,
                after: None,
                limit: service::STALLED_LIMIT,
            };
            let stalled = service::stalled(conn, &reader, stalled_request, now)?;
            let mission_codes = crate::services::missions::worked_on(conn, &reader)?;
            Ok((stalled, mission_codes))
        })
        .await;
    let (stalled, mission_codes) = match found {
        Ok(found) => found,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let lang = Lang::of(&req);
    let t = lang.texts();

    let mut attacks: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut killed: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for row in &summary.rows {
        attacks
            .entry(row.period.clone())
            .or_default()
            .insert(row.mission.clone(), row.figures.incidents);
        killed
            .entry(row.period.clone())
            .or_default()
            .insert(row.mission.clone(), row.figures.killed);
    }
    let totals = &summary.totals;
    let count = |n: u64| Some(n as f64);
    let funnel = [
        (t.funnel_incidents, count(totals.incidents)),
        (t.funnel_with_case, count(totals.incidents_with_case)),
        (t.funnel_referred, count(totals.cases_referred)),
        (t.funnel_investigating, count(totals.cases_investigating)),
        (
            t.funnel_suspects_identified,
            count(totals.cases_suspects_identified),
        ),
        (t.funnel_arrests, count(totals.cases_arrests_made)),
        (t.funnel_charged, count(totals.cases_charged)),
        (t.funnel_in_trial, count(totals.cases_in_trial)),
        (t.funnel_judgment, count(totals.cases_judgment)),
        (t.funnel_final, count(totals.cases_final)),
        (t.funnel_convicted, count(totals.accused_convicted)),
    ]
    .map(|(name, value)| (name.to_string(), value));
    let times = [
        (t.days_to_referral, totals.median_days_to_referral),
        (t.days_to_first_arrest, totals.median_days_to_first_arrest),
        (t.days_to_charge, totals.median_days_to_charge),
        (
            t.days_to_first_judgment,
            totals.median_days_to_first_judgment,
        ),
    ]
    .map(|(name, value)| (name.to_string(), value));

    let (csrf, new_csrf) = csrf_of(&req);
    let page = SummaryPage {
        page: page_frame(&req, lang, t.summary_title, Some(&user), &csrf),
        missions: mission_codes
            .iter()
            .map(|code| Choice {
                value: code.clone(),
                label: code.clone(),
                selected: asked.missions.contains(code),
            })
            .collect(),
        figures: vec![
            Figure {
                label: t.funnel_incidents,
                value: totals.incidents.to_string(),
            },
            Figure {
                label: t.killed,
                value: totals.killed.to_string(),
            },
            Figure {
                label: t.injured,
                value: totals.injured.to_string(),
            },
            Figure {
                label: t.abducted_or_missing,
                value: (totals.abducted + totals.missing).to_string(),
            },
            Figure {
                label: t.funnel_with_case,
                value: totals.incidents_with_case.to_string(),
            },
            Figure {
                label: t.funnel_convicted,
                value: totals.accused_convicted.to_string(),
            },
        ],
        attacks_chart: Stacked {
            title: t.chart_attacks,
            description: t.chart_per_year_per_mission,
            others: t.other_missions,
            values: &attacks,
        }
        .svg(),
        attacks_by_mission: breakdown(&attacks),
        killed_by_mission: breakdown(&killed),
        killed_chart: Stacked {
            title: t.chart_killed,
            description: t.chart_per_year_per_mission,
            others: t.other_missions,
            values: &killed,
        }
        .svg(),
        funnel_chart: Bars {
            title: t.chart_funnel,
            description: t.chart_funnel_explained,
            bars: &funnel,
            unit: "",
            missing: "",
        }
        .svg(),
        time_chart: Bars {
            title: t.chart_time_to_justice,
            description: t.chart_time_explained,
            bars: &times,
            unit: t.days_unit,
            missing: t.not_yet,
        }
        .svg(),
        stalled_more: stalled.len().saturating_sub(STALLED_SHOWN),
        stalled: stalled
            .into_iter()
            .take(STALLED_SHOWN)
            .map(|case| StalledLine {
                href: format!("/cases/{}", case.id),
                reference: case.reference,
                mission: case.mission,
                status: label(lang, &case.status),
                days_idle: case.days_idle,
                next_action: case.next_action.unwrap_or_default(),
            })
            .collect(),
        download_query: asked.query(),
        from: asked.from,
        to: asked.to,
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

/// `what`: `summary` (the figures, CSV), `incidents-csv` or `incidents-geojson`.
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let asked = Asked::of(req.query_string());
    let what = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "what")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let format = match what.as_str() {
        "summary" => None,
        "incidents-csv" => Some(Format::Csv),
        "incidents-geojson" => Some(Format::GeoJson),
        _ => return Ok(super::error_page(&req, StatusCode::NOT_FOUND)),
    };
    let Some(format) = format else {
        let request = asked.request();
        let filters = json!({
            "from": request.from, "to": request.to, "missions": request.missions,
            "group": request.grouping,
        });
        let (reader, now) = (user, state.clock.now());
        let summary = match crate::services::summary::summary(&state, &reader, request, now).await {
            Ok(summary) => summary,
            Err(error) => return Ok(failure_page(&req, error)),
        };
        let rows = summary.rows.len();
        let recorded = state
            .run(move |conn| service::record_download(conn, &reader, "summary", filters, rows, now))
            .await;
        if let Err(error) = recorded {
            return Ok(failure_page(&req, error));
        }
        let body = summary_csv(&summary).map_err(AppError::internal)?;
        return Ok(csv_response("summary.csv", body));
    };
    let start = |text: &str| Asked::date(text).map(|d| d.and_time(NaiveTime::MIN));
    let request = ExportRequest {
        filters: ListRequest {
            missions: asked.missions(),
            from: start(&asked.from),
            // The day given is included.
            to: Asked::date(&asked.to)
                .and_then(|d| d.checked_add_days(Days::new(1)))
                .map(|d| d.and_time(NaiveTime::MIN)),
            ..Default::default()
        },
        format,
        include_personal: false,
    };
    match crate::http::export_stream::stream(&state, user, request).await {
        Ok(response) => Ok(response),
        Err(error) => Ok(failure_page(&req, error)),
    }
}
