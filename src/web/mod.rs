//! The pages people use, server-rendered from the templates in `templates/`, in English or
//! French. They share the API's sessions: the token travels in an `HttpOnly`, `SameSite=Strict`
//! cookie (`Secure` over TLS), and every form carries a CSRF token that must match a cookie of
//! its own (a site elsewhere can neither read nor set it). No script, nothing from elsewhere:
//! a strict `Content-Security-Policy` holds the pages to this server's own stylesheet.

mod account;
mod admin;
mod annual_report;
mod assistance;
mod audit;
mod case_page;
mod cases;
mod catalogue;
mod charts;
mod countries;
mod documents;
mod form;
pub mod i18n;
mod incident_form;
mod incidents;
pub mod labels;
mod proposals;
mod refused;
mod second_factor;
mod session;
mod state;
mod state_case;
mod summary;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use askama::Template;

use crate::AppState;
use crate::auth::session::user_of_token;
use crate::auth::{Actor, RequestMeta};
use crate::domain::access::Role;
use crate::error::AppError;
use i18n::{Lang, Texts};

pub const SESSION_COOKIE: &str = "pkr_session";
const CSRF_COOKIE: &str = "pkr_csrf";

/// Pages may use this server's stylesheet and forms, and nothing else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(home)))
        .service(
            web::resource("/login")
                .route(web::get().to(session::login_page))
                .route(web::post().to(session::login)),
        )
        .service(web::resource("/logout").route(web::post().to(session::logout)))
        .service(
            web::resource("/second-factor")
                .route(web::get().to(second_factor::show))
                .route(web::post().to(second_factor::enrol)),
        )
        .service(
            web::resource("/second-factor/confirm").route(web::post().to(second_factor::confirm)),
        )
        .service(
            web::resource("/password")
                .route(web::get().to(session::password_page))
                .route(web::post().to(session::change_password)),
        )
        .service(web::resource("/incidents").route(web::get().to(incidents::list)))
        .service(web::resource("/cases").route(web::get().to(cases::list)))
        .service(
            web::resource("/cases/new")
                .route(web::get().to(case_page::new_form))
                .route(web::post().to(case_page::create)),
        )
        .service(web::resource("/cases/{id}").route(web::get().to(case_page::show)))
        .service(web::resource("/cases/{id}/move").route(web::post().to(case_page::move_case)))
        .service(web::resource("/cases/{id}/accused").route(web::post().to(case_page::add_accused)))
        .service(
            web::resource("/cases/{id}/accused/{accused_id}")
                .route(web::post().to(case_page::update_accused)),
        )
        .service(
            web::resource("/cases/{id}/documents").route(web::post().to(case_page::add_document)),
        )
        .service(
            web::resource("/cases/{id}/documents/{document_id}")
                .route(web::get().to(documents::case_document)),
        )
        .service(
            web::resource("/incidents/new")
                .route(web::get().to(incident_form::new_form))
                .route(web::post().to(incident_form::create)),
        )
        .service(web::resource("/incidents/{id}").route(web::get().to(incidents::show)))
        .service(
            web::resource("/incidents/{id}/edit")
                .route(web::get().to(incident_form::edit_form))
                .route(web::post().to(incident_form::update)),
        )
        .service(
            web::resource("/incidents/{id}/{to}").route(web::post().to(incidents::change_status)),
        )
        .service(web::resource("/proposals").route(web::get().to(proposals::queue)))
        .service(web::resource("/proposals/{id}/accept").route(web::post().to(proposals::accept)))
        .service(web::resource("/proposals/{id}/decline").route(web::post().to(proposals::decline)))
        .service(
            web::resource("/proposals/{id}/document").route(web::get().to(documents::proposed)),
        )
        .service(web::resource("/state/cases").route(web::get().to(state::cases)))
        .service(web::resource("/state/cases/{id}").route(web::get().to(state_case::show)))
        .service(
            web::resource("/state/cases/{id}/proposals").route(web::post().to(state_case::propose)),
        )
        .service(
            web::resource("/state/cases/{id}/proposals/document")
                .route(web::post().to(state_case::propose_document)),
        )
        .service(
            web::resource("/state/cases/{id}/documents/{document_id}")
                .route(web::get().to(state_case::document)),
        )
        .service(web::resource("/state/incidents").route(web::get().to(state::incidents)))
        .service(web::resource("/state/incidents/{id}").route(web::get().to(state::incident)))
        .service(web::resource("/state/summary").route(web::get().to(state::summary)))
        .service(web::resource("/state/summary/download").route(web::get().to(state::summary)))
        .service(web::resource("/summary").route(web::get().to(summary::page)))
        .service(web::resource("/reports/annual").route(web::get().to(annual_report::page)))
        .service(
            web::resource("/assistance")
                .route(web::get().to(assistance::list))
                .route(web::post().to(assistance::create)),
        )
        .service(
            web::resource("/assistance/{id}")
                .route(web::get().to(assistance::show))
                .route(web::post().to(assistance::update)),
        )
        .service(
            web::resource("/reports/annual/print.css")
                .route(web::get().to(annual_report::print_css)),
        )
        .service(web::resource("/summary/download").route(web::get().to(summary::download)))
        .service(web::resource("/audit").route(web::get().to(audit::list)))
        .service(web::resource("/audit/verify").route(web::get().to(audit::verify)))
        .service(
            web::resource("/admin/users")
                .route(web::get().to(admin::users_list))
                .route(web::post().to(admin::create_user)),
        )
        .service(
            web::resource("/admin/users/{id}")
                .route(web::get().to(admin::user_form))
                .route(web::post().to(admin::update_user)),
        )
        .service(
            web::resource("/admin/missions")
                .route(web::get().to(admin::missions_list))
                .route(web::post().to(admin::create_mission)),
        )
        .service(
            web::resource("/admin/missions/{code}")
                .route(web::post().to(admin::set_mission_active)),
        )
        .service(web::resource("/language").route(web::get().to(session::language)))
        .service(web::resource("/account").route(web::get().to(account::show)))
        .service(web::resource("/account/calendar").route(web::post().to(account::create_feed)))
        .service(
            web::resource("/account/calendar/revoke").route(web::post().to(account::revoke_feed)),
        )
        .service(web::resource("/static/style.css").route(web::get().to(stylesheet)));
}

/// One option of a filter's list.
pub struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The options for these codes, labelled in the reader's language.
fn choices<'a>(
    codes: impl IntoIterator<Item = &'a str>,
    selected: &str,
    lang: Lang,
) -> Vec<Choice> {
    codes
        .into_iter()
        .map(|code| Choice {
            value: code.to_string(),
            label: labels::label(lang, code),
            selected: code == selected,
        })
        .collect()
}

/// What every page shows around its content.
pub struct PageFrame {
    lang: &'static str,
    /// The switch to each other language, named in that language.
    other_languages: Vec<LanguageLink>,
    t: &'static Texts,
    title: String,
    signed_in: bool,
    username: String,
    role: String,
    csrf: String,
}

struct LanguageLink {
    code: &'static str,
    name: &'static str,
    href: String,
}

/// An incident waiting for the reader's verification, as the home page lists it.
struct AwaitingLine {
    id: String,
    reference: String,
    mission: String,
    summary: String,
}

/// How many incidents awaiting verification the home page lists before it links to the rest.
const AWAITING_ON_HOME: i64 = 10;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: PageFrame,
    /// Security officers: the incidents they may verify, the first few.
    verifies: bool,
    awaiting: Vec<AwaitingLine>,
    more_awaiting: bool,
    reads_incidents: bool,
    records_incidents: bool,
    /// Legal officers: the host States' proposals to decide.
    decides_proposals: bool,
    /// A State's focal point: its State's first cases, overdue next actions first.
    speaks_for_state: bool,
    state_cases: Vec<state::StateLine>,
    reads_summary: bool,
    reads_annual_report: bool,
    audits: bool,
    administers: bool,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: PageFrame,
    message: String,
    request_id: String,
}

/// The form's CSRF token: the reader's own, or a new one (set as a cookie with the page).
fn csrf_of(req: &HttpRequest) -> (String, bool) {
    match req.cookie(CSRF_COOKIE) {
        Some(cookie) if is_token(cookie.value()) => (cookie.value().to_string(), false),
        _ => (hex::encode(rand::random::<[u8; 32]>()), true),
    }
}

fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A form's token matches the reader's cookie (compared without early exit).
fn csrf_holds(req: &HttpRequest, sent: &str) -> bool {
    let Some(cookie) = req.cookie(CSRF_COOKIE) else {
        return false;
    };
    let expected = cookie.value().as_bytes();
    is_token(cookie.value())
        && expected.len() == sent.len()
        && expected
            .iter()
            .zip(sent.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn is_tls(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

fn cookie<'a>(req: &HttpRequest, name: &'a str, value: String) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(is_tls(req))
        .finish()
}

fn percent_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn page_frame(
    req: &HttpRequest,
    lang: Lang,
    title: &str,
    user: Option<&Actor>,
    csrf: &str,
) -> PageFrame {
    let t = lang.texts();
    PageFrame {
        lang: lang.code(),
        other_languages: Lang::all()
            .filter(|other| *other != lang)
            .map(|other| LanguageLink {
                code: other.code(),
                name: other.texts().language_name,
                href: format!(
                    "/language?to={}&back={}",
                    other.code(),
                    percent_encode(req.path())
                ),
            })
            .collect(),
        t,
        title: title.to_string(),
        signed_in: user.is_some(),
        username: user.map(|u| u.username.clone()).unwrap_or_default(),
        role: user.map_or(String::new(), |u| labels::label(lang, u.role.code())),
        csrf: csrf.to_string(),
    }
}

/// The headers every page carries: the policy, no sniffing, no referrer, no caching.
fn page_response(
    req: &HttpRequest,
    status: StatusCode,
    new_csrf: Option<&str>,
) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    builder
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if is_tls(req) {
        builder.insert_header(("Strict-Transport-Security", "max-age=31536000"));
    }
    if let Some(token) = new_csrf {
        builder.cookie(cookie(req, CSRF_COOKIE, token.to_string()));
    }
    builder
}

fn render(
    req: &HttpRequest,
    status: StatusCode,
    template: &impl Template,
    new_csrf: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let html = template.render().map_err(AppError::internal)?;
    Ok(page_response(req, status, new_csrf).body(html))
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The signed-in reader of the pages, if any (a pending password change included).
async fn reader(req: &HttpRequest, state: &web::Data<AppState>) -> Option<Actor> {
    let token = req.cookie(SESSION_COOKIE)?.value().to_string();
    user_of_token(state, &token, RequestMeta::of(req))
        .await
        .ok()
}

/// Where a signed-in reader must go before anything else, if anywhere: the password change an
/// administrator asked for, then the second factor their role cannot do without.
fn first_stop(user: &Actor) -> Option<&'static str> {
    if user.must_change_password {
        Some("/password")
    } else if user.must_enrol_second_factor {
        Some("/second-factor")
    } else {
        None
    }
}

/// The signed-in reader of a page; otherwise where they must go first (sign-in, the password
/// change, the second factor).
async fn page_user(req: &HttpRequest, state: &web::Data<AppState>) -> Result<Actor, HttpResponse> {
    let user = reader(req, state).await.ok_or_else(|| redirect("/login"))?;
    match first_stop(&user) {
        Some(page) => Err(redirect(page)),
        None => Ok(user),
    }
}

/// The signed-in reader of the second-factor page, which is where an account without the
/// factor it needs is sent: only the sign-in or the password change come before it.
async fn enrolling_user(
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> Result<Actor, HttpResponse> {
    match reader(req, state).await {
        None => Err(redirect("/login")),
        Some(user) if user.must_change_password => Err(redirect("/password")),
        Some(user) => Ok(user),
    }
}

/// A posted form: its fields when its CSRF token holds, and the signed-in sender; otherwise
/// the answer to give (a 403 page, or the way to the sign-in or where the sender must go first).
async fn posted_form(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &[u8],
) -> Result<(Vec<(String, String)>, Actor), HttpResponse> {
    let pairs =
        csrf_checked_pairs(req, body).ok_or_else(|| error_page(req, StatusCode::FORBIDDEN))?;
    Ok((pairs, page_user(req, state).await?))
}

/// A form posted on the second-factor page (see `enrolling_user`).
async fn posted_enrolment_form(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &[u8],
) -> Result<(Vec<(String, String)>, Actor), HttpResponse> {
    let pairs =
        csrf_checked_pairs(req, body).ok_or_else(|| error_page(req, StatusCode::FORBIDDEN))?;
    Ok((pairs, enrolling_user(req, state).await?))
}

/// A posted form's fields, when its CSRF token holds.
fn csrf_checked_pairs(req: &HttpRequest, body: &[u8]) -> Option<Vec<(String, String)>> {
    let pairs = form::pairs(body);
    csrf_holds(req, form::value(&pairs, "csrf")).then_some(pairs)
}

/// A friendly page for an error, in the reader's language.
pub fn error_page(req: &HttpRequest, status: StatusCode) -> HttpResponse {
    let lang = Lang::of(req);
    let t = lang.texts();
    let (title, message) = match status {
        StatusCode::NOT_FOUND => (t.not_found_title, t.not_found),
        StatusCode::FORBIDDEN => (t.forbidden_title, t.forbidden),
        StatusCode::TOO_MANY_REQUESTS => (t.too_many_title, t.too_many),
        _ => (t.error_title, t.error),
    };
    let (csrf, new_csrf) = csrf_of(req);
    let page = ErrorPage {
        page: page_frame(req, lang, title, None, &csrf),
        message: message.to_string(),
        request_id: RequestMeta::of(req).request_id.unwrap_or_default(),
    };
    match page.render() {
        Ok(html) => page_response(req, status, new_csrf.then_some(csrf.as_str())).body(html),
        Err(_) => HttpResponse::build(status).finish(),
    }
}

/// The page for a refusal of the service: 403 and 404 as friendly pages, the rest logged.
fn failure_page(req: &HttpRequest, error: AppError) -> HttpResponse {
    let status = match error {
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Unauthorized => return redirect("/login"),
        other => {
            tracing::error!(error = %other, "page failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    error_page(req, status)
}

async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user = match page_user(&req, &state).await {
        Ok(user) => user,
        Err(away) => return Ok(away),
    };
    let lang = Lang::of(&req);
    let verifies = user.role == Role::SecurityOfficer;
    let mut awaiting = Vec::new();
    if verifies {
        let (reader, now) = (user.clone(), state.clock.now());
        let request = crate::services::incidents::ListRequest {
            awaiting_my_verification: true,
            limit: AWAITING_ON_HOME,
            ..Default::default()
        };
        let found = state
            .run(move |conn| crate::services::incidents::list(conn, &reader, request, now))
            .await;
        awaiting = match found {
            Ok(rows) => rows,
            Err(error) => return Ok(failure_page(&req, error)),
        };
    }
    let more_awaiting = awaiting.len() as i64 > AWAITING_ON_HOME;
    let speaks_for_state = user.role == Role::StateFocalPoint;
    let mut state_cases = Vec::new();
    if speaks_for_state {
        state_cases = match state::first_cases(&state, &user, lang, AWAITING_ON_HOME).await {
            Ok(lines) => lines,
            Err(error) => return Ok(failure_page(&req, error)),
        };
    }
    let (csrf, new_csrf) = csrf_of(&req);
    let page = HomePage {
        page: page_frame(&req, lang, lang.texts().home, Some(&user), &csrf),
        verifies,
        more_awaiting,
        awaiting: awaiting
            .into_iter()
            .take(AWAITING_ON_HOME as usize)
            .map(|row| AwaitingLine {
                id: row.id,
                reference: row.reference.unwrap_or_default(),
                mission: row.mission_code,
                summary: row.summary,
            })
            .collect(),
        // The missions' lists; a State's focal point reads its State's part instead.
        reads_incidents: user.viewer().reads_incidents() && user.role != Role::StateFocalPoint,
        records_incidents: user.role == Role::SecurityOfficer,
        decides_proposals: user.role == Role::LegalOfficer,
        speaks_for_state,
        state_cases,
        reads_summary: matches!(
            user.role,
            Role::Leadership | Role::LegalOfficer | Role::SecurityOfficer
        ),
        reads_annual_report: matches!(
            user.role,
            Role::Leadership | Role::LegalOfficer | Role::StateFocalPoint
        ),
        audits: user.role == Role::Auditor,
        administers: user.role == Role::Admin,
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(include_str!("static/style.css"))
}
