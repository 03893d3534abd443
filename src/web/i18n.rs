//! The pages' words in English and French, the working languages of the UN Secretariat. Each
//! language is one value of `Texts`, so a word missing in one of them does not compile.

use actix_web::HttpRequest;
use actix_web::http::header;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

/// The cookie that keeps a reader's choice of language.
pub const LANG_COOKIE: &str = "pkr_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The other language, offered by the switch on every page.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Fr,
            Lang::Fr => Lang::En,
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
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
                let lang = Lang::from_code(tag.split('-').next()?)?;
                Some((quality, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map_or(Lang::En, |(_, lang)| *lang)
    }
}

/// Every word the pages show.
pub struct Texts {
    pub registry: &'static str,
    pub language_name: &'static str,
    pub switch_to: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub sign_in_failed: &'static str,
    pub signed_in_as: &'static str,
    pub home: &'static str,
    pub welcome: &'static str,
    pub change_password: &'static str,
    pub must_change_password: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub repeat_password: &'static str,
    pub passwords_differ: &'static str,
    pub password_rules: &'static str,
    pub password_changed: &'static str,
    pub current_wrong: &'static str,
    pub new_refused: &'static str,
    pub account_locked: &'static str,
    pub save: &'static str,
    pub times_in_utc: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden: &'static str,
    pub error_title: &'static str,
    pub error: &'static str,
    pub request_id: &'static str,
    pub back_home: &'static str,
    pub skip_to_content: &'static str,
    pub incidents: &'static str,
    pub filters: &'static str,
    pub mission: &'static str,
    pub any: &'static str,
    pub status: &'static str,
    pub attack_type: &'static str,
    pub from_date: &'static str,
    pub to_date: &'static str,
    pub search_words: &'static str,
    pub apply: &'static str,
    pub reference: &'static str,
    pub occurred: &'static str,
    pub killed: &'static str,
    pub injured: &'static str,
    pub summary: &'static str,
    pub no_incidents: &'static str,
    pub next_page: &'static str,
    pub no_reference: &'static str,
    pub victims: &'static str,
    pub perpetrators: &'static str,
    pub sources: &'static str,
    pub narrative: &'static str,
    pub place: &'static str,
    pub classification: &'static str,
    pub location_type: &'static str,
    pub weapons: &'static str,
    pub personnel_type: &'static str,
    pub nationality: &'static str,
    pub outcome: &'static str,
    pub gender: &'static str,
    pub name_and_unit: &'static str,
    pub withheld: &'static str,
    pub actor: &'static str,
    pub attribution: &'static str,
    pub source_type: &'static str,
    pub grading: &'static str,
    pub precision: &'static str,
    pub unidentified: &'static str,
    pub none_recorded: &'static str,
    pub version: &'static str,
    pub cases: &'static str,
    pub next_action: &'static str,
    pub due: &'static str,
    pub days_idle: &'static str,
    pub overdue: &'static str,
    pub stalled: &'static str,
    pub no_cases: &'static str,
    pub stalled_for: &'static str,
    pub due_by: &'static str,
    pub role_admin: &'static str,
    pub role_security_officer: &'static str,
    pub role_legal_officer: &'static str,
    pub role_leadership: &'static str,
    pub role_auditor: &'static str,
}

impl Texts {
    pub fn role(&self, code: &str) -> &'static str {
        match code {
            "admin" => self.role_admin,
            "security_officer" => self.role_security_officer,
            "legal_officer" => self.role_legal_officer,
            "leadership" => self.role_leadership,
            _ => self.role_auditor,
        }
    }
}

pub static EN: Texts = Texts {
    registry: "Peacekeeper Safety Incident Registry",
    language_name: "English",
    switch_to: "Français",
    sign_in: "Sign in",
    sign_out: "Sign out",
    username: "Username",
    password: "Password",
    sign_in_failed: "The username or the password is wrong, or the account is locked or disabled.",
    signed_in_as: "Signed in as",
    home: "Home",
    welcome: "Welcome to the registry of attacks on peacekeepers and of every case's road to justice.",
    change_password: "Change your password",
    must_change_password: "Choose a new password before you go on.",
    current_password: "Current password",
    new_password: "New password",
    repeat_password: "New password again",
    passwords_differ: "The two new passwords differ.",
    password_rules: "At least 15 characters and hard to guess: a few unusual words make a good one.",
    password_changed: "Your password has been changed.",
    current_wrong: "This is not your current password.",
    new_refused: "Refused: too short, too easy to guess, or the same as the current one.",
    account_locked: "The account is locked after failed attempts; try again later.",
    save: "Save",
    times_in_utc: "Times are in UTC.",
    not_found_title: "Page not found",
    not_found: "There is nothing here, or nothing you may see.",
    forbidden_title: "Not allowed",
    forbidden: "Your role or missions do not allow this. The attempt has been recorded.",
    error_title: "Something went wrong",
    error: "An error occurred on our side. It has been logged; quote this request id if you report it.",
    request_id: "Request id",
    back_home: "Back to the home page",
    skip_to_content: "Skip to the content",
    incidents: "Incidents",
    filters: "Filters",
    mission: "Mission",
    any: "(any)",
    status: "Status",
    attack_type: "Attack type",
    from_date: "From (date, UTC)",
    to_date: "To (date, UTC)",
    search_words: "Words",
    apply: "Show",
    reference: "Reference",
    occurred: "Occurred (UTC)",
    killed: "Killed",
    injured: "Injured",
    summary: "Summary",
    no_incidents: "No incident matches these filters.",
    next_page: "Next page",
    no_reference: "(draft, no reference yet)",
    victims: "Victims",
    perpetrators: "Perpetrators",
    sources: "Sources",
    narrative: "Narrative",
    place: "Place",
    classification: "Classification",
    location_type: "Location type",
    weapons: "Weapons",
    personnel_type: "Personnel",
    nationality: "Nationality",
    outcome: "Outcome",
    gender: "Gender",
    name_and_unit: "Name and unit",
    withheld: "withheld",
    actor: "Actor",
    attribution: "Attribution",
    source_type: "Type",
    grading: "Grading",
    precision: "Precision",
    unidentified: "unidentified",
    none_recorded: "None recorded.",
    version: "Version",
    cases: "Cases",
    next_action: "Next action",
    due: "Due",
    days_idle: "Days without a step",
    overdue: "overdue",
    stalled: "stalled",
    no_cases: "No case matches these filters.",
    stalled_for: "Stalled for more than (days)",
    due_by: "Next action due by",
    role_admin: "administrator",
    role_security_officer: "security officer",
    role_legal_officer: "legal officer",
    role_leadership: "leadership",
    role_auditor: "auditor",
};

pub static FR: Texts = Texts {
    registry: "Registre des incidents de sécurité des Casques bleus",
    language_name: "Français",
    switch_to: "English",
    sign_in: "Se connecter",
    sign_out: "Se déconnecter",
    username: "Nom d’utilisateur",
    password: "Mot de passe",
    sign_in_failed: "Le nom d’utilisateur ou le mot de passe est erroné, ou le compte est verrouillé ou désactivé.",
    signed_in_as: "Connecté en tant que",
    home: "Accueil",
    welcome: "Bienvenue dans le registre des attaques contre les Casques bleus et du chemin de chaque affaire vers la justice.",
    change_password: "Changer votre mot de passe",
    must_change_password: "Choisissez un nouveau mot de passe avant de continuer.",
    current_password: "Mot de passe actuel",
    new_password: "Nouveau mot de passe",
    repeat_password: "Nouveau mot de passe, à nouveau",
    passwords_differ: "Les deux nouveaux mots de passe diffèrent.",
    password_rules: "Au moins 15 caractères et difficile à deviner : quelques mots inhabituels font un bon mot de passe.",
    password_changed: "Votre mot de passe a été changé.",
    current_wrong: "Ce n’est pas votre mot de passe actuel.",
    new_refused: "Refusé : trop court, trop facile à deviner, ou identique à l’actuel.",
    account_locked: "Le compte est verrouillé après des tentatives échouées ; réessayez plus tard.",
    save: "Enregistrer",
    times_in_utc: "Les heures sont en UTC.",
    not_found_title: "Page introuvable",
    not_found: "Il n’y a rien ici, ou rien que vous puissiez voir.",
    forbidden_title: "Non autorisé",
    forbidden: "Votre rôle ou vos missions ne le permettent pas. La tentative a été enregistrée.",
    error_title: "Une erreur s’est produite",
    error: "Une erreur s’est produite de notre côté. Elle a été journalisée ; citez cet identifiant de requête si vous la signalez.",
    request_id: "Identifiant de requête",
    back_home: "Retour à l’accueil",
    skip_to_content: "Aller au contenu",
    incidents: "Incidents",
    filters: "Filtres",
    mission: "Mission",
    any: "(toutes)",
    status: "Statut",
    attack_type: "Type d’attaque",
    from_date: "Du (date, UTC)",
    to_date: "Au (date, UTC)",
    search_words: "Mots",
    apply: "Afficher",
    reference: "Référence",
    occurred: "Survenu (UTC)",
    killed: "Tués",
    injured: "Blessés",
    summary: "Résumé",
    no_incidents: "Aucun incident ne correspond à ces filtres.",
    next_page: "Page suivante",
    no_reference: "(brouillon, pas encore de référence)",
    victims: "Victimes",
    perpetrators: "Auteurs",
    sources: "Sources",
    narrative: "Récit",
    place: "Lieu",
    classification: "Classification",
    location_type: "Type de lieu",
    weapons: "Armes",
    personnel_type: "Personnel",
    nationality: "Nationalité",
    outcome: "Sort",
    gender: "Genre",
    name_and_unit: "Nom et unité",
    withheld: "non communiqué",
    actor: "Acteur",
    attribution: "Attribution",
    source_type: "Type",
    grading: "Cotation",
    precision: "Précision",
    unidentified: "non identifié",
    none_recorded: "Aucun enregistré.",
    version: "Version",
    cases: "Affaires",
    next_action: "Prochaine action",
    due: "Échéance",
    days_idle: "Jours sans étape",
    overdue: "en retard",
    stalled: "au point mort",
    no_cases: "Aucune affaire ne correspond à ces filtres.",
    stalled_for: "Au point mort depuis plus de (jours)",
    due_by: "Prochaine action due au plus tard le",
    role_admin: "administrateur",
    role_security_officer: "officier de sécurité",
    role_legal_officer: "juriste",
    role_leadership: "direction",
    role_auditor: "auditeur",
};

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_reader_choice_wins_then_accept_language() {
        let req = TestRequest::default()
            .insert_header(("Accept-Language", "de-DE, fr-CA;q=0.8, en;q=0.5"))
            .to_http_request();
        assert_eq!(Lang::of(&req), Lang::Fr);
        let req = TestRequest::default()
            .insert_header(("Accept-Language", "fr;q=0.3, en-GB;q=0.9"))
            .to_http_request();
        assert_eq!(Lang::of(&req), Lang::En);
        let req = TestRequest::default()
            .insert_header(("Accept-Language", "fr"))
            .cookie(actix_web::cookie::Cookie::new(LANG_COOKIE, "en"))
            .to_http_request();
        assert_eq!(Lang::of(&req), Lang::En);
        assert_eq!(
            Lang::of(&TestRequest::default().to_http_request()),
            Lang::En
        );
    }
}
