//! Countries by name in the reader's language, for the pickers of nationality, State and
//! jurisdiction: the ISO 3166-1 names and their translations kept by the `keshvar` crate (from
//! the Unicode CLDR), sent as ISO 3166-1 alpha-3 codes. A former code already stored (a
//! Yugoslav peacekeeper of the official dataset) stays offered, under its code.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::domain::country;

use super::Choice;
use super::i18n::Lang;

/// Each current code with its names by language code (`en`, `fr`, ...).
static NAMES: LazyLock<Vec<(&'static str, HashMap<&'static str, &'static str>)>> =
    LazyLock::new(|| {
        country::current_codes()
            .iter()
            .map(|code| {
                let names = keshvar::Alpha3::try_from(*code)
                    .map(|alpha3| {
                        let country = alpha3.to_country();
                        let mut names = country.translations().clone();
                        names.entry("en").or_insert(country.iso_short_name());
                        names
                    })
                    .unwrap_or_default();
                (*code, names)
            })
            .collect()
    });

/// A country's name in the reader's language, else in English, else its code.
pub fn name(lang: Lang, code: &str) -> String {
    NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .and_then(|(_, names)| names.get(lang.code()).or_else(|| names.get("en")).copied())
        .unwrap_or(code)
        .to_string()
}

/// How a name sorts: without case or the accents of Latin letters, so that "Égypte" comes
/// among the E.
fn sort_key(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ÿ' | 'ý' => 'y',
            other => other,
        })
        .collect()
}

/// Every current country as a choice, by name in the reader's language; `selected` is marked,
/// and kept under its own code when it is a former one.
pub fn choices(lang: Lang, selected: &str) -> Vec<Choice> {
    let mut choices: Vec<Choice> = NAMES
        .iter()
        .map(|(code, _)| Choice {
            value: (*code).to_string(),
            label: name(lang, code),
            selected: *code == selected,
        })
        .collect();
    choices.sort_by_cached_key(|choice| sort_key(&choice.label));
    if !selected.is_empty() && !choices.iter().any(|c| c.selected) {
        choices.push(Choice {
            value: selected.to_string(),
            label: selected.to_string(),
            selected: true,
        });
    }
    choices
}

#[cfg(test)]
mod tests {
    use super::*;

    fn french() -> Lang {
        Lang::from_code("fr").expect("French is built in")
    }

    #[test]
    fn names_are_in_the_readers_language() {
        assert_eq!(name(Lang::ENGLISH, "SEN"), "Senegal");
        assert_eq!(name(french(), "SEN"), "Sénégal");
        assert_eq!(name(french(), "CAF"), "République centrafricaine");
        assert_eq!(name(Lang::ENGLISH, "CIV"), "Côte d'Ivoire");
    }

    #[test]
    fn every_current_code_has_a_name_in_both_languages() {
        for code in country::current_codes() {
            for lang in [Lang::ENGLISH, french()] {
                assert_ne!(name(lang, code), *code, "{code} has no name");
            }
        }
    }

    #[test]
    fn choices_sort_by_name_and_keep_a_former_code() {
        let french_choices = choices(french(), "TCD");
        let labels: Vec<&str> = french_choices.iter().map(|c| c.label.as_str()).collect();
        let at = |name: &str| labels.iter().position(|l| *l == name).unwrap();
        assert!(at("Égypte") < at("Érythrée") && at("Équateur") < at("Espagne"));
        assert!(at("Danemark") < at("Égypte") && at("Égypte") < at("Fidji"));
        assert_eq!(
            french_choices
                .iter()
                .filter(|c| c.selected)
                .map(|c| c.value.as_str())
                .collect::<Vec<_>>(),
            ["TCD"]
        );
        let with_former = choices(Lang::ENGLISH, "YUG");
        assert_eq!(with_former.last().map(|c| c.value.as_str()), Some("YUG"));
        assert!(with_former.last().is_some_and(|c| c.selected));
        assert_eq!(with_former.len(), country::current_codes().len() + 1);
    }
}
