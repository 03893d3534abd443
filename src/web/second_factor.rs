//! The second factor on the pages: its state, the enrolment (a QR code drawn here, the secret
//! to type, the recovery codes shown once) and its confirmation by a first code.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use qrcode::QrCode;
use qrcode::render::svg;

use crate::AppState;
use crate::auth::Actor;
use crate::error::AppError;
use crate::services::accounts::{self, Enrolment};

use super::form;
use super::i18n::Lang;
use super::{
    PageFrame, csrf_of, enrolling_user, failure_page, page_frame, posted_enrolment_form, render,
};

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage {
    page: PageFrame,
    on: bool,
    recovery_codes_left: i64,
    /// Shown once, right after enrolling.
    enrolment: Option<ShownEnrolment>,
    /// A first code was refused: the confirmation is asked again.
    confirming: bool,
    code_wrong: bool,
    /// The password asked before enrolling was not the account's.
    password_wrong: bool,
}

impl SecondFactorPage {
    /// The page of a factor that is off, with nothing shown yet.
    fn off(req: &HttpRequest, lang: Lang, user: &Actor, csrf: &str) -> SecondFactorPage {
        SecondFactorPage {
            page: page_frame(req, lang, lang.texts().second_factor, Some(user), csrf),
            on: false,
            recovery_codes_left: 0,
            enrolment: None,
            confirming: false,
            code_wrong: false,
            password_wrong: false,
        }
    }
}

struct ShownEnrolment {
    qr_svg: String,
    secret: String,
    recovery_codes: Vec<String>,
}

/// The QR code of the address, as SVG to put in the page (no script, nothing fetched).
fn qr_svg(address: &str) -> Result<String, AppError> {
    let code = QrCode::new(address.as_bytes()).map_err(AppError::internal)?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .build();
    // Inline in HTML: the XML declaration has no place there.
    Ok(image
        .find("<svg")
        .map_or(image.clone(), |at| image[at..].to_string()))
}

pub(super) async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match enrolling_user(&req, &state).await {
        Ok(user) => user,
        Err(away) => return Ok(away),
    };
    let (on, left) = match accounts::second_factor_state(&state, user.clone()).await {
        Ok(found) => found,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let lang = Lang::of(&req);
    let (csrf, new_csrf) = csrf_of(&req);
    let page = SecondFactorPage {
        on,
        recovery_codes_left: left,
        ..SecondFactorPage::off(&req, lang, &user, &csrf)
    };
    render(
        &req,
        StatusCode::OK,
        &page,
        new_csrf.then_some(csrf.as_str()),
    )
}

pub(super) async fn enrol(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match posted_enrolment_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(away) => return Ok(away),
    };
    let password = form::value(&pairs, "password").to_string();
    let lang = Lang::of(&req);
    let (csrf, _) = csrf_of(&req);
    let Enrolment {
        secret,
        otpauth_uri,
        recovery_codes,
    } = match accounts::enrol_second_factor(&state, user.clone(), password).await {
        Ok(enrolment) => enrolment,
        Err(AppError::Validation(_)) => {
            let page = SecondFactorPage {
                password_wrong: true,
                ..SecondFactorPage::off(&req, lang, &user, &csrf)
            };
            return render(&req, StatusCode::UNPROCESSABLE_ENTITY, &page, None);
        }
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let page = SecondFactorPage {
        enrolment: Some(ShownEnrolment {
            qr_svg: qr_svg(&otpauth_uri)?,
            secret,
            recovery_codes,
        }),
        confirming: true,
        ..SecondFactorPage::off(&req, lang, &user, &csrf)
    };
    render(&req, StatusCode::OK, &page, None)
}

pub(super) async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match posted_enrolment_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(away) => return Ok(away),
    };
    let code = form::value(&pairs, "code").to_string();
    match accounts::confirm_second_factor(&state, user.clone(), code).await {
        Ok(()) => Ok(super::redirect("/second-factor")),
        Err(AppError::Validation(_)) => {
            let lang = Lang::of(&req);
            let (csrf, _) = csrf_of(&req);
            let page = SecondFactorPage {
                confirming: true,
                code_wrong: true,
                ..SecondFactorPage::off(&req, lang, &user, &csrf)
            };
            render(&req, StatusCode::UNPROCESSABLE_ENTITY, &page, None)
        }
        Err(error) => Ok(failure_page(&req, error)),
    }
}
