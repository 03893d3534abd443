//! Signing in and out, changing one's own password, and choosing the pages' language.

use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Actor, RequestMeta};
use crate::error::AppError;
use crate::services::accounts;

use super::i18n::{LANG_COOKIE, Lang};
use super::{
    PageFrame, SESSION_COOKIE, cookie, csrf_holds, csrf_of, error_page, page_frame, reader,
    redirect, render,
};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: PageFrame,
    failed: bool,
    /// The password was right, and the account needs its code too.
    needs_code: bool,
    username: String,
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    page: PageFrame,
    forced: bool,
    done: bool,
    current_error: String,
    new_error: String,
}

pub(super) async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if reader(&req, &state).await.is_some() {
        return Ok(redirect("/"));
    }
    let lang = Lang::of(&req);
    let (csrf, new_csrf) = csrf_of(&req);
    let page = LoginPage {
        page: page_frame(&req, lang, lang.texts().sign_in, None, &csrf),
        failed: false,
        needs_code: false,
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
pub(super) struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    /// The one-time or recovery code of an account with a second factor; empty otherwise.
    #[serde(default)]
    code: String,
}

pub(super) async fn login(
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
    let code = (!form.code.trim().is_empty()).then_some(form.code);
    let outcome = accounts::sign_in(&state, request, form.username, form.password, code).await;
    match outcome {
        Ok(session) => {
            let next = if session.must_change_password {
                "/password"
            } else if session.must_enrol_second_factor {
                "/second-factor"
            } else {
                "/"
            };
            // The language the user chose on another device follows them here.
            let user_id = session.user_id.clone();
            let chosen = state
                .run(move |conn| accounts::language_of(conn, &user_id))
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
        Err(
            refused @ (AppError::Unauthorized
            | AppError::Forbidden(_)
            | AppError::SecondFactorRequired),
        ) => {
            let lang = Lang::of(&req);
            let (csrf, _) = csrf_of(&req);
            let needs_code = matches!(refused, AppError::SecondFactorRequired);
            let page = LoginPage {
                page: page_frame(&req, lang, lang.texts().sign_in, None, &csrf),
                failed: !needs_code,
                needs_code,
                username,
            };
            render(&req, StatusCode::UNAUTHORIZED, &page, None)
        }
        Err(other) => Err(other),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

pub(super) async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    if !csrf_holds(&req, &form.csrf) {
        return Ok(error_page(&req, StatusCode::FORBIDDEN));
    }
    if let Some(user) = reader(&req, &state).await {
        accounts::sign_out(&state, user).await?;
    }
    let mut response = redirect("/login");
    let mut gone = cookie(&req, SESSION_COOKIE, String::new());
    gone.make_removal();
    response.add_cookie(&gone).map_err(AppError::internal)?;
    Ok(response)
}

pub(super) async fn password_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(user) = reader(&req, &state).await else {
        return Ok(redirect("/login"));
    };
    let lang = Lang::of(&req);
    let (csrf, new_csrf) = csrf_of(&req);
    let page = PasswordPage {
        page: page_frame(&req, lang, lang.texts().change_password, Some(&user), &csrf),
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
pub(super) struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

pub(super) async fn change_password(
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
    let refused = |current_error: &str, new_error: &str, user: &Actor| {
        let (csrf, _) = csrf_of(&req);
        let page = PasswordPage {
            page: page_frame(&req, lang, t.change_password, Some(user), &csrf),
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
    let outcome = accounts::change_own_password(&state, user.clone(), form.current, form.new).await;
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
pub(super) struct LanguageChoice {
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
pub(super) async fn language(
    req: HttpRequest,
    state: web::Data<AppState>,
    choice: web::Query<LanguageChoice>,
) -> HttpResponse {
    let Some(lang) = Lang::from_code(&choice.to) else {
        return error_page(&req, StatusCode::NOT_FOUND);
    };
    if let Some(user) = reader(&req, &state).await {
        let stored = state
            .run(move |conn| accounts::set_language(conn, &user, lang.code()))
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
