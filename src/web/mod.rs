//! The pages people use, server-rendered from the templates in `templates/`, in English or
//! French. They share the API's sessions: the token travels in an `HttpOnly`, `SameSite=Strict`
//! cookie (`Secure` over TLS), and every form carries a CSRF token that must match a cookie of
//! its own (a site elsewhere can neither read nor set it). No script, nothing from elsewhere:
//! a strict `Content-Security-Policy` holds the pages to this server's own stylesheet.

mod admin;
mod audit;
mod case_page;
mod cases;
mod charts;
mod form;
pub mod i18n;
mod incident_form;
mod incidents;
pub mod labels;
mod summary;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use askama::Template;
use serde::Deserialize;

use crate::AppState;
use crate::auth::accounts;
use crate::auth::session::user_of_token;
use crate::auth::{AuthUser, RequestMeta};
use crate::domain::access::Role;
use crate::error::AppError;
use crate::store::users;
use i18n::{LANG_COOKIE, Lang, Texts};

pub const SESSION_COOKIE: &str = "pkr_session";
const CSRF_COOKIE: &str = "pkr_csrf";

/// Pages may use this server's stylesheet and forms, and nothing else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(home)))
        .service(
            web::resource("/login")
                .route(web::get().to(login_page))
                .route(web::post().to(login)),
        )
        .service(web::resource("/logout").route(web::post().to(logout)))
        .service(
            web::resource("/password")
                .route(web::get().to(password_page))
                .route(web::post().to(change_password)),
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
                .route(web::get().to(case_page::download)),
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
        .service(web::resource("/summary").route(web::get().to(summary::page)))
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
        .service(web::resource("/language").route(web::get().to(language)))
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
pub struct Chrome {
    lang: &'static str,
    other_lang: &'static str,
    t: &'static Texts,
    title: String,
    signed_in: bool,
    username: String,
    role: &'static str,
    csrf: String,
    switch_href: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Chrome,
    failed: bool,
    username: String,
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
    page: Chrome,
    /// Security officers: the incidents they may verify, the first few.
    verifies: bool,
    awaiting: Vec<AwaitingLine>,
    more_awaiting: bool,
    reads_incidents: bool,
    records_incidents: bool,
    reads_summary: bool,
    audits: bool,
    administers: bool,
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    page: Chrome,
    forced: bool,
    done: bool,
    current_error: String,
    new_error: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Chrome,
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

fn chrome(
    req: &HttpRequest,
    lang: Lang,
    title: &str,
    user: Option<&AuthUser>,
    csrf: &str,
) -> Chrome {
    let t = lang.texts();
    Chrome {
        lang: lang.code(),
        other_lang: lang.other().code(),
        t,
        title: title.to_string(),
        signed_in: user.is_some(),
        username: user.map(|u| u.username.clone()).unwrap_or_default(),
        role: user.map_or("", |u| t.role(u.role.code())),
        csrf: csrf.to_string(),
        switch_href: format!(
            "/language?to={}&back={}",
            lang.other().code(),
            percent_encode(req.path())
        ),
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
async fn reader(req: &HttpRequest, state: &web::Data<AppState>) -> Option<AuthUser> {
    let token = req.cookie(SESSION_COOKIE)?.value().to_string();
    user_of_token(state, &token, RequestMeta::of(req))
        .await
        .ok()
}

/// The signed-in reader of a page; otherwise where they must go first (sign-in, or the
/// password change an administrator asked for).
async fn page_user(
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> Result<AuthUser, HttpResponse> {
    match reader(req, state).await {
        None => Err(redirect("/login")),
        Some(user) if user.must_change_password => Err(redirect("/password")),
        Some(user) => Ok(user),
    }
}

/// The codes of the missions the user works on (every mission for headquarters users), for
/// the mission lists of filters and forms.
fn missions_worked_on(
    conn: &mut crate::db::DbConnection,
    user: &AuthUser,
) -> diesel::QueryResult<Vec<String>> {
    Ok(crate::store::missions::list(conn)?
        .into_iter()
        .map(|m| m.code)
        .filter(|code| user.viewer().works_on(code))
        .collect())
}

/// A posted form: its fields when its CSRF token holds, and the signed-in sender; otherwise
/// the answer to give (a 403 page, or the way to the sign-in or to the password change).
async fn posted_form(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &[u8],
) -> Result<(Vec<(String, String)>, AuthUser), HttpResponse> {
    let pairs = form::pairs(body);
    if !csrf_holds(req, form::value(&pairs, "csrf")) {
        return Err(error_page(req, StatusCode::FORBIDDEN));
    }
    let user = page_user(req, state).await?;
    Ok((pairs, user))
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
        page: chrome(req, lang, title, None, &csrf),
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
    let Some(user) = reader(&req, &state).await else {
        return Ok(redirect("/login"));
    };
    if user.must_change_password {
        return Ok(redirect("/password"));
    }
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
    let (csrf, new_csrf) = csrf_of(&req);
    let page = HomePage {
        page: chrome(&req, lang, lang.texts().home, Some(&user), &csrf),
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
        reads_incidents: user.viewer().reads_incidents(),
        records_incidents: user.role == Role::SecurityOfficer,
        reads_summary: matches!(
            user.role,
            Role::Leadership | Role::LegalOfficer | Role::SecurityOfficer
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

async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if reader(&req, &state).await.is_some() {
        return Ok(redirect("/"));
    }
    let lang = Lang::of(&req);
    let (csrf, new_csrf) = csrf_of(&req);
    let page = LoginPage {
        page: chrome(&req, lang, lang.texts().sign_in, None, &csrf),
        failed: false,
        username: String::new(),
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    username: String,
    password: String,
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if !csrf_holds(&req, &form.csrf) {
        return Ok(error_page(&req, StatusCode::FORBIDDEN));
    }
    let request = RequestMeta::of(&req);
    if let Err(AppError::TooManyRequests { retry_after_secs }) = state
        .throttles
        .sign_in(request.client_addr.as_deref(), &form.username)
    {
        let mut page = error_page(&req, StatusCode::TOO_MANY_REQUESTS);
        if let Ok(value) = retry_after_secs.to_string().parse() {
            page.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Ok(page);
    }
    let username = form.username.clone();
    let outcome = AppState::sign_in(&state, request, form.username, form.password).await;
    match outcome {
        Ok(session) => {
            let next = if session.must_change_password {
                "/password"
            } else {
                "/"
            };
            // The language the user chose on another device follows them here.
            let user_id = session.user_id.clone();
            let chosen = state
                .run(move |conn| Ok(users::language_of(conn, &user_id)?))
                .await
                .ok()
                .flatten()
                .and_then(|code| Lang::from_code(&code));
            let mut response = redirect(next);
            response
                .add_cookie(&cookie(&req, SESSION_COOKIE, session.token))
                .map_err(AppError::internal)?;
            if let Some(lang) = chosen {
                response
                    .add_cookie(&language_cookie(&req, lang))
                    .map_err(AppError::internal)?;
            }
            Ok(response)
        }
        Err(AppError::Unauthorized | AppError::Forbidden(_)) => {
            let lang = Lang::of(&req);
            let (csrf, _) = csrf_of(&req);
            let page = LoginPage {
                page: chrome(&req, lang, lang.texts().sign_in, None, &csrf),
                failed: true,
                username,
            };
            render(&req, StatusCode::UNAUTHORIZED, &page, None)
        }
        Err(other) => Err(other),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    if !csrf_holds(&req, &form.csrf) {
        return Ok(error_page(&req, StatusCode::FORBIDDEN));
    }
    if let Some(user) = reader(&req, &state).await {
        let now = state.clock.now();
        state
            .change_accounts(move |conn| accounts::logout(conn, &user, now))
            .await?;
    }
    let mut response = redirect("/login");
    let mut gone = cookie(&req, SESSION_COOKIE, String::new());
    gone.make_removal();
    response.add_cookie(&gone).map_err(AppError::internal)?;
    Ok(response)
}

async fn password_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(user) = reader(&req, &state).await else {
        return Ok(redirect("/login"));
    };
    let lang = Lang::of(&req);
    let (csrf, new_csrf) = csrf_of(&req);
    let page = PasswordPage {
        page: chrome(&req, lang, lang.texts().change_password, Some(&user), &csrf),
        forced: user.must_change_password,
        done: req.query_string() == "done",
        current_error: String::new(),
        new_error: String::new(),
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if !csrf_holds(&req, &form.csrf) {
        return Ok(error_page(&req, StatusCode::FORBIDDEN));
    }
    let Some(user) = reader(&req, &state).await else {
        return Ok(redirect("/login"));
    };
    let lang = Lang::of(&req);
    let t = lang.texts();
    let refused = |current_error: &str, new_error: &str, user: &AuthUser| {
        let (csrf, _) = csrf_of(&req);
        let page = PasswordPage {
            page: chrome(&req, lang, t.change_password, Some(user), &csrf),
            forced: user.must_change_password,
            done: false,
            current_error: current_error.to_string(),
            new_error: new_error.to_string(),
        };
        render(&req, StatusCode::UNPROCESSABLE_ENTITY, &page, None)
    };
    if form.new != form.repeat {
        return refused("", t.passwords_differ, &user);
    }
    let outcome = AppState::change_own_password(&state, user.clone(), form.current, form.new).await;
    // Refusals are shown on the form; anything else is answered as an error.
    match outcome {
        Ok(session) => {
            let mut response = redirect("/password?done");
            response
                .add_cookie(&cookie(&req, SESSION_COOKIE, session.token))
                .map_err(AppError::internal)?;
            Ok(response)
        }
        Err(AppError::Validation(errors)) => {
            let on = |field: &str| errors.iter().any(|e| e.field == field);
            refused(
                if on("current") { t.current_wrong } else { "" },
                if on("new") { t.new_refused } else { "" },
                &user,
            )
        }
        Err(AppError::Forbidden(_)) => refused(t.account_locked, "", &user),
        Err(other) => Err(other),
    }
}

#[derive(Deserialize)]
struct LanguageChoice {
    to: String,
    back: Option<String>,
}

fn language_cookie(req: &HttpRequest, lang: Lang) -> Cookie<'static> {
    let mut kept = cookie(req, LANG_COOKIE, lang.code().to_string());
    kept.set_max_age(actix_web::cookie::time::Duration::days(365));
    kept
}

/// Keeps the reader's language (on their account too, when signed in) and goes back to where
/// they were (a path of this site only).
async fn language(
    req: HttpRequest,
    state: web::Data<AppState>,
    choice: web::Query<LanguageChoice>,
) -> HttpResponse {
    let Some(lang) = Lang::from_code(&choice.to) else {
        return error_page(&req, StatusCode::NOT_FOUND);
    };
    if let Some(user) = reader(&req, &state).await {
        let stored = state
            .run(move |conn| Ok(users::set_language(conn, &user.id, lang.code())?))
            .await;
        if let Err(error) = stored {
            tracing::warn!(error = %error, "the language choice was not stored");
        }
    }
    let back = choice
        .back
        .as_deref()
        // A path of this site: no `//` (another host), no backslash or control character that
        // a browser would drop or turn into one.
        .filter(|b| {
            b.starts_with('/')
                && !b.starts_with("//")
                && !b
                    .chars()
                    .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
        })
        .unwrap_or("/");
    let mut response = redirect(back);
    let _ = response.add_cookie(&language_cookie(&req, lang));
    response
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(include_str!("static/style.css"))
}
