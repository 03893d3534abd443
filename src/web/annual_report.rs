//! The annual accountability report as a page that prints well: on A4, each table's section
//! on a page of its own, every page headed with the period, the edition and the highest
//! classification drawn on (the print stylesheet, `/reports/annual/print.css`, carries that
//! heading: the pages allow no inline style).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Datelike;

use crate::AppState;
use crate::domain::access::Clearance;
use crate::domain::annual_report::{AnnualReport, CourtFigures, Period};
use crate::domain::case::CaseStatus;
use crate::error::AppError;
use crate::services::annual_report::{self as service, ReportRequest};

use super::i18n::Lang;
use super::labels::label;
use super::{PageFrame, csrf_of, failure_page, page_frame, page_user, render};

/// What the page is asked for; what the form cannot send is ignored.
struct Asked {
    year: i32,
    unclassified: bool,
}

impl Asked {
    /// The year asked, or the last whole year.
    fn of(query: &str, this_year: i32) -> Asked {
        let mut asked = Asked {
            year: this_year - 1,
            unclassified: false,
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "year" => {
                    if let Ok(year) = value.parse::<i32>()
                        && (1945..=2100).contains(&year)
                    {
                        asked.year = year;
                    }
                }
                "edition" => asked.unclassified = value == "unclassified",
                _ => {}
            }
        }
        asked
    }

    fn edition(&self) -> &'static str {
        if self.unclassified {
            "unclassified"
        } else {
            "internal"
        }
    }
}

/// A row of a court's table: a figure's name and its value in words.
struct Line {
    name: &'static str,
    value: String,
}

struct CourtTable {
    name: String,
    lines: Vec<Line>,
}

struct CountryLine {
    country: String,
    killed: u64,
    injured: u64,
    cases: String,
}

struct JudgmentLine {
    reference: String,
    court: String,
    day: String,
    verdicts: String,
}

#[derive(Template)]
#[template(path = "annual_report.html")]
struct ReportPage {
    page: PageFrame,
    year: i32,
    unclassified: bool,
    heading: String,
    print_css: String,
    download: String,
    headline: Vec<Line>,
    host_states: Vec<CourtTable>,
    international_courts: Vec<CourtTable>,
    countries: Vec<CountryLine>,
    judgments: Vec<JudgmentLine>,
}

/// `referred 2, charged 1`, in the reader's words: steps in the order of a case's road, other
/// codes as they come.
fn counts<V: std::fmt::Display>(lang: Lang, map: &std::collections::BTreeMap<String, V>) -> String {
    let mut entries: Vec<(&String, &V)> = map.iter().collect();
    entries.sort_by_key(|(code, _)| CaseStatus::from_code(code));
    entries
        .into_iter()
        .map(|(code, value)| format!("{} {value}", label(lang, code)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn court_table(lang: Lang, figures: &CourtFigures) -> CourtTable {
    let t = lang.texts();
    let assistance = figures
        .assistance
        .iter()
        .map(|(kind, f)| {
            format!(
                "{} {} ({} {})",
                label(lang, kind),
                f.records,
                f.days,
                t.days_unit
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    CourtTable {
        name: figures
            .state
            .clone()
            .or(figures.court.clone())
            .unwrap_or_default(),
        lines: vec![
            Line {
                name: t.cases_opened,
                value: figures.cases_opened.to_string(),
            },
            Line {
                name: t.steps_taken,
                value: counts(lang, &figures.steps),
            },
            Line {
                name: t.report_convicted,
                value: figures.convicted.to_string(),
            },
            Line {
                name: t.report_acquitted,
                value: figures.acquitted.to_string(),
            },
            Line {
                name: t.sentences,
                value: counts(lang, &figures.sentences),
            },
            Line {
                name: t.closed_by_reason,
                value: counts(lang, &figures.closed),
            },
            Line {
                name: t.median_days_from_attack,
                value: counts(lang, &figures.median_days),
            },
            Line {
                name: t.stalled_at_end,
                value: figures.stalled.to_string(),
            },
            Line {
                name: t.assistance_given,
                value: assistance,
            },
        ],
    }
}

/// The heading of every printed page: the report, its period, edition and classification.
fn heading(lang: Lang, period: Period, unclassified: bool, classification: &str) -> String {
    let t = lang.texts();
    let edition = if unclassified {
        t.edition_unclassified
    } else {
        t.edition_internal
    };
    format!(
        "{} {} · {} · {}",
        t.annual_report,
        period.label(),
        edition,
        label(lang, classification)
    )
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let now = state.clock.now();
    let asked = Asked::of(req.query_string(), now.year());
    let period =
        Period::asked(Some(asked.year), None, None).map_err(|(_, why)| AppError::internal(why))?;
    let request = ReportRequest {
        period,
        unclassified: asked.unclassified,
        names: true,
    };
    let report = service::annual(&state, &user, request, now).await;
    let report: AnnualReport = match report {
        Ok(report) => report,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let lang = Lang::of(&req);
    let t = lang.texts();
    let tables = &report.tables;
    let sum = |f: fn(&CourtFigures) -> u64| {
        tables
            .host_states
            .iter()
            .chain(&tables.international_courts)
            .map(f)
            .sum::<u64>()
    };
    let query = format!("year={}&edition={}", asked.year, asked.edition());
    let (csrf, new_csrf) = csrf_of(&req);
    let page = ReportPage {
        page: page_frame(&req, lang, t.annual_report, Some(&user), &csrf),
        heading: heading(lang, period, asked.unclassified, &report.classification),
        print_css: format!(
            "/reports/annual/print.css?{query}&classification={}",
            report.classification
        ),
        download: if report.state.is_some() {
            format!("/api/v1/state/reports/annual?{query}&format=csv")
        } else {
            format!("/api/v1/reports/annual?{query}&format=csv")
        },
        headline: vec![
            Line {
                name: t.cases_opened,
                value: sum(|f| f.cases_opened).to_string(),
            },
            Line {
                name: t.report_convicted,
                value: sum(|f| f.convicted).to_string(),
            },
            Line {
                name: t.report_acquitted,
                value: sum(|f| f.acquitted).to_string(),
            },
            Line {
                name: t.killed,
                value: tables
                    .contributing_countries
                    .iter()
                    .map(|c| c.killed)
                    .sum::<u64>()
                    .to_string(),
            },
        ],
        host_states: tables
            .host_states
            .iter()
            .map(|f| court_table(lang, f))
            .collect(),
        international_courts: tables
            .international_courts
            .iter()
            .map(|f| court_table(lang, f))
            .collect(),
        countries: tables
            .contributing_countries
            .iter()
            .map(|c| CountryLine {
                country: c.country.clone(),
                killed: c.killed,
                injured: c.injured,
                cases: counts(lang, &c.cases_by_status),
            })
            .collect(),
        judgments: tables
            .judgments
            .iter()
            .map(|j| JudgmentLine {
                reference: j.case_reference.clone(),
                court: match &j.state {
                    Some(state) if *state != j.court => format!("{} ({state})", j.court),
                    _ => j.court.clone(),
                },
                day: j.judgment_on.to_string(),
                verdicts: j
                    .verdicts
                    .iter()
                    .map(|v| {
                        let mut text = label(lang, &v.verdict);
                        if let Some(name) = &v.name {
                            text = format!("{name}: {text}");
                        }
                        if let Some(sentence) = &v.sentence_type {
                            text += &format!(" ({})", label(lang, sentence));
                        }
                        text
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            })
            .collect(),
        year: asked.year,
        unclassified: asked.unclassified,
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

/// The print stylesheet of one report: A4, and the heading of every page. Built only from
/// known codes and the reader's words, so nothing sent is written into it as it came.
pub async fn print_css(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let asked = Asked::of(req.query_string(), state.clock.now().year());
    let classification = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == "classification")
        .and_then(|(_, value)| Clearance::from_code(&value))
        .unwrap_or(Clearance::StrictlyConfidential);
    let period = Period::asked(Some(asked.year), None, None).ok();
    let text = period
        .map(|p| heading(Lang::of(&req), p, asked.unclassified, classification.code()))
        .unwrap_or_default();
    // A CSS string: quotes and backslashes escaped, and no line ends.
    let escaped: String = text
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let css = format!(
        "@media print {{\n  @page {{\n    @top-center {{ content: \"{escaped}\"; font-size: 9pt; }}\n    @bottom-right {{ content: counter(page) \" / \" counter(pages); font-size: 9pt; }}\n  }}\n}}\n"
    );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .body(css)
}
