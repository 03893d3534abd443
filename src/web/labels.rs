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
