//! The pages' words in the reader's language. Each language is one catalogue file,
//! `src/web/locales/<language>.ftl` (see `catalogue.rs`); English and French, the working
//! languages of the UN Secretariat, come with the registry.

use std::sync::LazyLock;

use actix_web::HttpRequest;
use actix_web::http::header;

use super::catalogue::{BUILT_IN, Catalogue, Catalogues};

/// The cookie that keeps a reader's choice of language.
pub const LANG_COOKIE: &str = "pkr_lang";

static CATALOGUES: LazyLock<Catalogues> = LazyLock::new(|| Catalogues::read(BUILT_IN));

/// One of the languages of the catalogues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(usize);

impl Lang {
    /// English: the reference catalogue, always built in (`build.rs` refuses to build without it).
    pub const ENGLISH: Lang = Lang(0);

    /// Every language of the pages, English first.
    pub fn all() -> impl Iterator<Item = Lang> {
        (0..CATALOGUES.languages.len()).map(Lang)
    }

    /// Reads the catalogues now and logs what in them could not be read, so a broken file shows
    /// when the server starts rather than on a page.
    pub fn load() {
        for catalogue in &CATALOGUES.languages {
            for problem in &catalogue.problems {
                tracing::error!(%problem, "a catalogue of the pages did not read whole");
            }
        }
    }

    fn catalogue(self) -> &'static Catalogue {
        &CATALOGUES.languages[self.0]
    }

    pub fn code(self) -> &'static str {
        self.catalogue().language
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::all().find(|lang| lang.code().eq_ignore_ascii_case(code))
    }

    pub fn texts(self) -> &'static Texts {
        &self.catalogue().texts
    }

    /// A message that takes no variable, in English when this language lacks it.
    pub fn word(self, key: &str) -> Option<&'static str> {
        self.catalogue()
            .word(key)
            .or_else(|| Lang::ENGLISH.catalogue().word(key))
    }

    /// Every message of this language's own catalogue that takes no variable, by key.
    pub fn words(self) -> impl Iterator<Item = (&'static str, &'static str)> {
        let catalogue = self.catalogue();
        catalogue
            .keys
            .iter()
            .filter_map(|key| Some((*key, catalogue.word(key)?)))
    }

    /// A message with its variables, in English when this language lacks it, else its key.
    pub fn format(self, key: &str, args: &[(&str, &str)]) -> String {
        self.catalogue()
            .format(key, args)
            .or_else(|| Lang::ENGLISH.catalogue().format(key, args))
            .unwrap_or_else(|| key.to_string())
    }

    /// The reader's choice (the language cookie), else the first of `Accept-Language` that the
    /// registry speaks, else English.
    pub fn of(req: &HttpRequest) -> Lang {
        if let Some(lang) = req
            .cookie(LANG_COOKIE)
            .and_then(|c| Lang::from_code(c.value()))
        {
            return lang;
        }
        let accepted = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut ranked: Vec<(f32, Lang)> = accepted
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let lang =
                    Lang::from_code(&tag).or_else(|| Lang::from_code(tag.split('-').next()?))?;
                Some((quality, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map_or(Lang::ENGLISH, |(_, lang)| *lang)
    }
}

/// Declares `Texts`: one field per word of the pages, named as its key in the catalogues, so a
/// template that names a word that does not exist does not compile.
macro_rules! texts {
    ($($key:ident),* $(,)?) => {
        /// Every word the pages show, in one language.
        pub struct Texts {
            $(pub $key: &'static str,)*
        }

        impl Texts {
            /// The catalogue keys of these words.
            pub const KEYS: &[&str] = &[$(stringify!($key)),*];

            pub(super) fn read(word: impl Fn(&'static str) -> &'static str) -> Texts {
                Texts {
                    $($key: word(stringify!($key)),)*
                }
            }
        }
    };
}

texts! {
    registry,
    language_name,
    sign_in,
    sign_out,
    username,
    password,
    sign_in_failed,
    one_time_code,
    one_time_code_hint,
    one_time_code_needed,
    second_factor,
    second_factor_on,
    second_factor_off,
    second_factor_enrol,
    second_factor_scan,
    second_factor_secret,
    second_factor_confirm,
    second_factor_code_wrong,
    second_factor_password_wrong,
    recovery_codes,
    recovery_codes_hint,
    recovery_codes_left,
    signed_in_as,
    home,
    welcome,
    change_password,
    must_change_password,
    current_password,
    new_password,
    repeat_password,
    passwords_differ,
    password_rules,
    password_changed,
    current_wrong,
    new_refused,
    account_locked,
    save,
    times_in_utc,
    not_found_title,
    not_found,
    forbidden_title,
    forbidden,
    error_title,
    error,
    request_id,
    back_home,
    skip_to_content,
    incidents,
    filters,
    mission,
    any,
    status,
    attack_type,
    from_date,
    to_date,
    search_words,
    apply,
    reference,
    occurred,
    killed,
    injured,
    summary,
    no_incidents,
    amended_awaiting_verification,
    awaiting_your_verification,
    none_awaiting_your_verification,
    all_awaiting_your_verification,
    next_page,
    no_reference,
    victims,
    perpetrators,
    sources,
    narrative,
    place,
    classification,
    location_type,
    weapons,
    personnel_type,
    nationality,
    outcome,
    gender,
    name_and_unit,
    withheld,
    actor,
    attribution,
    source_type,
    grading,
    precision,
    unidentified,
    none_recorded,
    version,
    cases,
    next_action,
    due,
    days_idle,
    proposals,
    proposals_waiting,
    no_proposals,
    proposals_badge,
    proposed_by,
    accept,
    decline,
    decline_reason,
    kind_step,
    kind_accused_status,
    kind_document,
    proposal_not_decided,
    state_view_hint,
    your_proposals,
    proposal_hint,
    propose_step,
    propose_next_action,
    propose_accused_status,
    propose_document,
    propose,
    state_cases,
    state_incidents,
    state_summary,
    relation_host,
    relation_nationality,
    proposal_pending,
    proposal_accepted,
    proposal_declined,
    proposal_withdrawn,
    admin_areas,
    casualties,
    by_nationality,
    your_nationals,
    host_cases_title,
    nationals_title,
    year,
    open_cases,
    cases_by_status,
    without_case,
    concerned_as,
    overdue,
    stalled,
    no_cases,
    stalled_for,
    due_by,
    new_incident,
    edit,
    amend,
    submit,
    verify,
    withdraw,
    open_case,
    history,
    action,
    when,
    who,
    reason,
    required,
    required_marked,
    fix_these,
    stale_title,
    stale_explained,
    field,
    stale_now,
    stale_yours,
    save_draft,
    save_and_submit,
    add_victim,
    add_perpetrator,
    add_source,
    victim,
    perpetrator,
    source,
    case_on_incident,
    jurisdiction_hint,
    jurisdiction,
    authority,
    lead_officer,
    opened_on,
    timeline,
    move_case,
    record_move,
    accused,
    name,
    affiliation,
    charges,
    verdict,
    verdict_on,
    add_accused,
    documents,
    add_document,
    file,
    file_hint,
    upload,
    summary_title,
    funnel_incidents,
    funnel_with_case,
    funnel_referred,
    funnel_investigating,
    funnel_suspects_identified,
    funnel_arrests,
    funnel_charged,
    funnel_in_trial,
    funnel_judgment,
    funnel_final,
    funnel_convicted,
    abducted_or_missing,
    days_to_referral,
    days_to_first_arrest,
    days_to_charge,
    days_to_first_judgment,
    days_unit,
    not_yet,
    chart_attacks,
    chart_killed,
    chart_per_year_per_mission,
    other_missions,
    chart_funnel,
    chart_funnel_explained,
    chart_time_to_justice,
    chart_time_explained,
    stalled_cases,
    no_stalled,
    download_summary_csv,
    download_incidents_csv,
    download_geojson,
    audit_trail,
    users,
    missions,
    verify_chain,
    entity_type,
    entity_id,
    details,
    no_records,
    not_sealed_yet,
    audit_record,
    document,
    chain_intact,
    chain_broken,
    records_checked,
    head_hash,
    documents_checked,
    head_hash_hint,
    role,
    clearance,
    disabled,
    active,
    new_user,
    first_password_hint,
    missions_hint,
    all_missions,
    create,
    code,
    host_country,
    close_mission,
    closed_mission,
    reopen_mission,
    new_mission,
    changed_meanwhile,
    change,
    kib,
    mib,
    figures_by_mission,
    and_more,
    deaths,
    with_deaths,
    without_deaths,
    missions_choice_hint,
    too_many_title,
    too_many,
    annual_report,
    edition,
    edition_internal,
    edition_unclassified,
    host_states,
    international_courts,
    contributing_countries,
    judgments_of_period,
    cases_opened,
    steps_taken,
    report_convicted,
    report_acquitted,
    sentences,
    closed_by_reason,
    median_days_from_attack,
    stalled_at_end,
    assistance_given,
    cases_status_today,
    court,
    judgment_on,
    verdicts,
    country,
    print_hint,
    download_report_csv,
    nothing_in_period,
    account,
    account_language,
    open_sessions,
    session_started,
    session_last_seen,
    session_ends,
    this_session,
    calendar,
    calendar_explained,
    calendar_not_offered,
    calendar_shown_once,
    calendar_address,
    calendar_active,
    calendar_create,
    calendar_replace,
    calendar_revoke,
    assistance,
    no_assistance,
    record_assistance,
    correct_assistance,
    assistance_type,
    host_state,
    assistance_days,
    provider,
    description,
    cases_served,
    fields_changed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn french() -> Lang {
        Lang::from_code("fr").expect("French is built in")
    }

    #[test]
    fn the_reader_choice_wins_then_accept_language() {
        let req = TestRequest::default()
            .insert_header(("Accept-Language", "de-DE, fr-CA;q=0.8, en;q=0.5"))
            .to_http_request();
        assert_eq!(Lang::of(&req), french());
        let req = TestRequest::default()
            .insert_header(("Accept-Language", "fr;q=0.3, en-GB;q=0.9"))
            .to_http_request();
        assert_eq!(Lang::of(&req), Lang::ENGLISH);
        let req = TestRequest::default()
            .insert_header(("Accept-Language", "fr"))
            .cookie(actix_web::cookie::Cookie::new(LANG_COOKIE, "en"))
            .to_http_request();
        assert_eq!(Lang::of(&req), Lang::ENGLISH);
        assert_eq!(
            Lang::of(&TestRequest::default().to_http_request()),
            Lang::ENGLISH
        );
    }
}
