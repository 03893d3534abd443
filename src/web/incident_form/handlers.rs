//! The form's pages: a new incident, an edit or amendment, and what each sends.

use super::*;

pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let user = match super::super::page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
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

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match super::super::posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
    };
    let lang = Lang::of(&req);
    let form = IncidentForm::posted(&pairs);
    let intent = intent(&pairs);
    let mut form_key = form::value(&pairs, "form_key").to_string();
    if form_key.is_empty() || form_key.len() > 64 {
        form_key = new_form_key();
    }
    let (input, unreadable) = form.input();
    let errors = match &intent {
        Intent::AddRow(_) => Vec::new(),
        _ if !unreadable.is_empty() => with_rule_errors(&input, unreadable, state.clock.now()),
        _ => {
            let submit = matches!(intent, Intent::Submit);
            // A form sent twice over a bad link makes one incident.
            let key = crate::http::idempotency::of_incident(
                format!("page:{form_key}"),
                &(&input, submit),
            );
            let request = CreateRequest {
                input,
                submit,
                idempotency: Some(key),
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

pub(super) fn edit_setting(
    lang: Lang,
    row: &crate::services::incidents::IncidentRow,
    status: Status,
    stale: Vec<Difference>,
    reason: String,
    blank: [usize; 3],
) -> Setting {
    let t = lang.texts();
    let verb = if status == Status::Verified {
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
        status: Some(status),
        reason,
        blank,
        stale,
    }
}

pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = match super::super::page_user(&req, &state).await {
        Ok(user) => user,
        Err(other_page) => return Ok(other_page),
    };
    let (reader, now, id) = (user.clone(), state.clock.now(), id.into_inner());
    let found = state
        .run(move |conn| {
            service::check_may_change(conn, &reader, &id, "incidents.update", now)?;
            service::get(conn, &reader, &id, now)
        })
        .await;
    let (incident, status) = match found.and_then(|incident| Ok((incident.status()?, incident))) {
        Ok((status, incident)) => (incident, status),
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let lang = Lang::of(&req);
    let missions = missions_of(&state, &user).await?;
    let personal = user.viewer().sees_personal_data(&incident.row.mission_code);
    let form = IncidentForm::stored(&incident.data.to_input(), personal);
    let mut setting = edit_setting(
        lang,
        &incident.row,
        status,
        Vec::new(),
        String::new(),
        [1, 1, 1],
    );
    setting.personal = personal;
    let page = draw(&req, lang, &user, &missions, &form, setting, &[]);
    respond(&req, StatusCode::OK, &page)
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (pairs, user) = match super::super::posted_form(&req, &state, &body).await {
        Ok(posted) => posted,
        Err(other_page) => return Ok(other_page),
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
        match form.input() {
            (input, unreadable) if !unreadable.is_empty() => {
                errors = with_rule_errors(&input, unreadable, now);
            }
            (mut input, _) => {
                form.carry_over(&mut input, &current.data.to_input(), personal);
                // The form shows the whole incident: every field is replaced, an empty one
                // cleared.
                let changes = IncidentChanges::whole(input);
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
                            changes,
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
    let status = match current.status() {
        Ok(status) => status,
        Err(error) => return Ok(failure_page(&req, error)),
    };
    let mut setting = edit_setting(
        lang,
        &current.row,
        status,
        differences,
        reason,
        blank_rows(&intent),
    );
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
