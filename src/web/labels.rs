//! The registry's codes (attack types, statuses, outcomes, ...) and dates, in the reader's
//! language. A code without a label is shown as it is, never hidden.

use chrono::{Datelike, NaiveDateTime};

use super::i18n::Lang;

/// (code, English, French). Codes shared by several lists (`other`, `ied`, `police`) mean the
/// same word in each.
const LABELS: &[(&str, &str, &str)] = &[
    // attack types
    ("direct_fire", "direct fire", "tirs directs"),
    ("indirect_fire", "indirect fire", "tirs indirects"),
    (
        "ied",
        "improvised explosive device",
        "engin explosif improvisé",
    ),
    ("landmine", "landmine", "mine terrestre"),
    ("suicide_attack", "suicide attack", "attentat-suicide"),
    ("complex_attack", "complex attack", "attaque complexe"),
    ("ambush", "ambush", "embuscade"),
    ("grenade", "grenade", "grenade"),
    ("abduction", "abduction", "enlèvement"),
    ("mob_violence", "mob violence", "violence de foule"),
    ("arson_looting", "arson or looting", "incendie ou pillage"),
    (
        "air_or_drone",
        "air or drone attack",
        "attaque aérienne ou par drone",
    ),
    ("other", "other", "autre"),
    // incident statuses
    ("draft", "draft", "brouillon"),
    ("submitted", "submitted", "soumis"),
    ("verified", "verified", "vérifié"),
    ("withdrawn", "withdrawn", "retiré"),
    // classifications
    ("unclassified", "unclassified", "non classifié"),
    ("confidential", "confidential", "confidentiel"),
    (
        "strictly_confidential",
        "strictly confidential",
        "strictement confidentiel",
    ),
    // personnel types
    ("military", "military", "militaire"),
    ("police", "police", "police"),
    (
        "military_observer",
        "military observer",
        "observateur militaire",
    ),
    (
        "international_civilian",
        "international civilian",
        "civil international",
    ),
    (
        "national_staff",
        "national staff",
        "personnel recruté sur le plan national",
    ),
    // outcomes
    ("killed", "killed", "tué"),
    ("injured", "injured", "blessé"),
    ("abducted", "abducted", "enlevé"),
    ("missing", "missing", "disparu"),
    // genders
    ("female", "female", "femme"),
    ("male", "male", "homme"),
    ("unknown", "unknown", "inconnu"),
    // location types
    ("base", "base", "base"),
    ("patrol", "patrol", "patrouille"),
    ("convoy", "convoy", "convoi"),
    ("checkpoint", "checkpoint", "poste de contrôle"),
    ("airfield", "airfield", "aérodrome"),
    // actor types and attribution
    ("state_forces", "state forces", "forces étatiques"),
    ("armed_group", "armed group", "groupe armé"),
    ("militia", "militia", "milice"),
    ("criminal", "criminals", "criminels"),
    ("crowd", "crowd", "foule"),
    ("confirmed", "confirmed", "confirmée"),
    ("likely", "likely", "probable"),
    ("possible", "possible", "possible"),
    // source types
    ("incident_report", "incident report", "rapport d’incident"),
    ("witness", "witness", "témoin"),
    ("medical", "medical", "médical"),
    ("media", "media", "médias"),
    (
        "official_dataset",
        "official dataset",
        "données officielles",
    ),
    // case statuses
    ("opened", "opened", "ouverte"),
    (
        "referred",
        "referred to the authorities",
        "transmise aux autorités",
    ),
    ("investigating", "under investigation", "enquête en cours"),
    (
        "suspects_identified",
        "suspects identified",
        "suspects identifiés",
    ),
    ("warrants_issued", "warrants issued", "mandats délivrés"),
    ("arrests_made", "arrests made", "arrestations effectuées"),
    ("charged", "charged", "mise en accusation"),
    ("in_trial", "in trial", "procès en cours"),
    ("judgment", "judgment delivered", "jugement rendu"),
    ("appeal", "on appeal", "en appel"),
    ("final", "final judgment", "jugement définitif"),
    ("closed", "closed", "close"),
    // weapons
    ("small_arms", "small arms", "armes légères"),
    ("rpg", "rocket-propelled grenade", "lance-roquettes"),
    ("mortar", "mortar", "mortier"),
    ("rocket", "rocket", "roquette"),
    ("vbied", "vehicle-borne IED", "EEI embarqué sur véhicule"),
    ("blade", "blade", "arme blanche"),
    ("drone", "drone", "drone"),
    // location precisions
    ("near", "near", "à proximité"),
    ("region", "region only", "région seulement"),
    // what a version of an incident records
    ("create", "created", "créé"),
    ("update", "changed", "modifié"),
    ("amend", "amended", "rectifié"),
    ("submit", "submitted", "soumis"),
    ("verify", "verified", "vérifié"),
    ("withdraw", "withdrawn", "retiré"),
    ("import", "imported", "importé"),
    // closure reasons
    (
        "no_suspect",
        "no suspect identified",
        "aucun suspect identifié",
    ),
    ("suspect_deceased", "suspect deceased", "suspect décédé"),
    (
        "insufficient_evidence",
        "insufficient evidence",
        "preuves insuffisantes",
    ),
    ("dismissed", "dismissed", "non-lieu"),
    ("amnesty", "amnesty", "amnistie"),
    ("transferred", "transferred", "transférée"),
    // accused persons
    ("suspected", "suspected", "soupçonné"),
    ("wanted", "wanted", "recherché"),
    ("in_custody", "in custody", "en détention"),
    ("released", "released", "libéré"),
    ("at_large", "at large", "en fuite"),
    ("deceased", "deceased", "décédé"),
    ("pending", "pending", "en attente"),
    ("convicted", "convicted", "condamné"),
    ("acquitted", "acquitted", "acquitté"),
    // documents
    ("note_verbale", "note verbale", "note verbale"),
    ("police_report", "police report", "rapport de police"),
    ("warrant", "warrant", "mandat"),
    ("indictment", "indictment", "acte d’accusation"),
    // roles
    ("admin", "administrator", "administrateur"),
    (
        "security_officer",
        "security officer",
        "officier de sécurité",
    ),
    ("legal_officer", "legal officer", "juriste"),
    ("leadership", "leadership", "direction"),
    ("auditor", "auditor", "auditeur"),
    // time precisions
    ("exact", "exact", "exacte"),
    ("day", "to the day", "au jour près"),
    ("week", "to the week", "à la semaine près"),
    ("month", "to the month", "au mois près"),
];

pub fn label(lang: Lang, code: &str) -> String {
    match LABELS.iter().find(|(c, _, _)| *c == code) {
        Some((_, en, fr)) => match lang {
            Lang::En => en.to_string(),
            Lang::Fr => fr.to_string(),
        },
        None => code.to_string(),
    }
}

/// The fields of the forms, by the name the service gives them: (name, English, French).
const FIELD_LABELS: &[(&str, &str, &str)] = &[
    ("mission", "Mission", "Mission"),
    ("classification", "Classification", "Classification"),
    ("occurred_at", "Occurred (UTC)", "Survenu (UTC)"),
    ("time_precision", "Time precision", "Précision de l’heure"),
    ("occurred_until", "Until (UTC)", "Jusqu’à (UTC)"),
    ("place_name", "Place", "Lieu"),
    ("admin1", "Province or region", "Province ou région"),
    ("admin2", "District or territory", "District ou territoire"),
    ("latitude", "Latitude", "Latitude"),
    ("longitude", "Longitude", "Longitude"),
    ("geo_precision", "Location precision", "Précision du lieu"),
    ("location_type", "Location type", "Type de lieu"),
    ("attack_type", "Attack type", "Type d’attaque"),
    ("weapons", "Weapons", "Armes"),
    ("summary", "Summary", "Résumé"),
    ("narrative", "Narrative", "Récit"),
    ("victims", "Victims", "Victimes"),
    ("perpetrators", "Perpetrators", "Auteurs"),
    ("sources", "Sources", "Sources"),
    ("outcome", "Outcome", "Sort"),
    ("personnel_type", "Personnel", "Personnel"),
    (
        "nationality",
        "Nationality (ISO code)",
        "Nationalité (code ISO)",
    ),
    ("gender", "Gender", "Genre"),
    ("casualty_id", "Casualty id", "Identifiant de victime"),
    ("name", "Name", "Nom"),
    ("unit", "Unit", "Unité"),
    ("actor_name", "Actor", "Acteur"),
    ("actor_type", "Actor type", "Type d’acteur"),
    ("attribution", "Attribution", "Attribution"),
    (
        "claimed_responsibility",
        "Claimed responsibility",
        "A revendiqué",
    ),
    ("source_type", "Source type", "Type de source"),
    ("description", "Description", "Description"),
    ("received_at", "Received (UTC)", "Reçu (UTC)"),
    ("reliability", "Reliability (A–F)", "Fiabilité (A–F)"),
    ("credibility", "Credibility (1–6)", "Crédibilité (1–6)"),
    ("reason", "Reason", "Motif"),
    ("Idempotency-Key", "Form", "Formulaire"),
    ("incident_ids", "Incidents", "Incidents"),
    ("jurisdiction", "Jurisdiction", "Juridiction"),
    ("authority", "Authority", "Autorité"),
    ("lead_officer", "Lead officer", "Juriste responsable"),
    ("next_action", "Next action", "Prochaine action"),
    (
        "next_action_due",
        "Next action due",
        "Échéance de la prochaine action",
    ),
    ("notes", "Notes", "Notes"),
    ("opened_on", "Opened on", "Ouverte le"),
    ("to", "New status", "Nouveau statut"),
    ("effective_on", "Effective on", "En vigueur le"),
    ("note", "Note", "Note"),
    ("closure_reason", "Closure reason", "Motif de clôture"),
    ("status", "Status", "Statut"),
    ("affiliation", "Affiliation", "Appartenance"),
    ("charges", "Charges", "Chefs d’accusation"),
    ("verdict", "Verdict", "Verdict"),
    ("title", "Title", "Titre"),
    ("kind", "Kind", "Type"),
    ("date", "Date", "Date"),
    ("file", "File", "Fichier"),
    ("username", "Username", "Nom d’utilisateur"),
    ("role", "Role", "Rôle"),
    ("clearance", "Clearance", "Habilitation"),
    ("missions", "Missions", "Missions"),
    ("disabled", "Disabled", "Désactivé"),
    ("all_missions", "All missions", "Toutes les missions"),
    ("password", "Password", "Mot de passe"),
    ("code", "Code", "Code"),
    ("version", "Version", "Version"),
    ("accused", "Accused person", "Personne mise en cause"),
    (
        "host_country",
        "Host country (ISO code)",
        "Pays hôte (code ISO)",
    ),
    ("country", "Country", "Pays"),
    ("start_date", "Start date", "Date de début"),
    ("end_date", "End date", "Date de fin"),
];

/// A field's label in the reader's language; a field without one is shown by its name.
pub fn field_label(lang: Lang, name: &str) -> String {
    match FIELD_LABELS.iter().find(|(n, _, _)| *n == name) {
        Some((_, en, fr)) => match lang {
            Lang::En => en.to_string(),
            Lang::Fr => fr.to_string(),
        },
        None => name.to_string(),
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `14 March 2026, 06:30 UTC` / `14 mars 2026, 06:30 UTC`; without the time when `with_time`
/// is false.
pub fn date_time(lang: Lang, time: NaiveDateTime, with_time: bool) -> String {
    let month = match lang {
        Lang::En => MONTHS_EN[time.month0() as usize],
        Lang::Fr => MONTHS_FR[time.month0() as usize],
    };
    let day = format!("{} {month} {}", time.day(), time.year());
    if with_time {
        format!("{day}, {} UTC", time.format("%H:%M"))
    } else {
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident;

    #[test]
    fn every_code_a_page_shows_has_both_labels() {
        let lists = [
            incident::ATTACK_TYPES,
            incident::PERSONNEL_TYPES,
            incident::OUTCOMES,
            incident::LOCATION_TYPES,
            incident::SOURCE_TYPES,
            incident::ACTOR_TYPES,
            incident::ATTRIBUTIONS,
            incident::GENDERS,
            incident::WEAPONS,
            incident::GEO_PRECISIONS,
            incident::TIME_PRECISIONS,
            crate::domain::case::CLOSURE_REASONS,
            crate::domain::case::ACCUSED_STATUSES,
            crate::domain::case::VERDICTS,
            crate::domain::case::DOCUMENT_KINDS,
        ];
        for code in lists.iter().flat_map(|list| list.iter()) {
            assert!(
                LABELS.iter().any(|(c, _, _)| c == code),
                "no label for {code}"
            );
        }
        for status in incident::Status::ALL {
            assert_ne!(label(Lang::Fr, status.code()), status.code());
        }
        for role in crate::domain::access::Role::ALL {
            assert_ne!(label(Lang::Fr, role.code()), role.code(), "{role:?}");
        }
        for status in crate::domain::case::CaseStatus::ALL {
            assert_ne!(label(Lang::Fr, status.code()), status.code(), "{status:?}");
        }
    }

    #[test]
    fn dates_in_each_language() {
        let time = chrono::NaiveDate::from_ymd_opt(2026, 3, 14)
            .unwrap()
            .and_hms_opt(6, 30, 0)
            .unwrap();
        assert_eq!(date_time(Lang::En, time, true), "14 March 2026, 06:30 UTC");
        assert_eq!(date_time(Lang::Fr, time, false), "14 mars 2026");
    }
}
