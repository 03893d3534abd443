//! The pages' catalogues: one Project Fluent file per language in `src/web/locales/`, built into
//! the binary by `build.rs`. English is the reference. A message missing from another language
//! is shown in English, and one missing from English by its key, so a page never fails for want
//! of a word; the tests below keep every catalogue complete.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_syntax::ast;
use unic_langid::LanguageIdentifier;

use super::i18n::Texts;

include!(concat!(env!("OUT_DIR"), "/catalogues.rs"));

/// The language every other catalogue is checked against.
pub const REFERENCE: &str = "en";

/// One language's catalogue, read.
pub struct Catalogue {
    pub language: &'static str,
    bundle: FluentBundle<FluentResource>,
    /// The messages that take no variable, formatted once. They live as long as the process
    /// (the catalogues are read once), which lets the pages hold them as `&'static str`.
    words: HashMap<&'static str, &'static str>,
    /// Every message's key, in the file's order.
    pub keys: Vec<&'static str>,
    pub texts: Texts,
    /// What did not read: a syntax error or a key given twice. Logged when the server starts.
    pub problems: Vec<String>,
}

/// Every language of the pages, the reference first.
pub struct Catalogues {
    pub languages: Vec<Catalogue>,
}

impl Catalogues {
    /// Reads `(language, Fluent text)` pairs. What cannot be read is kept in `problems`, never a
    /// panic: a broken line costs its own message, not the page.
    pub fn read(sources: &[(&str, &str)]) -> Catalogues {
        let mut sources = sources.to_vec();
        sources.sort_by_key(|(language, _)| (*language != REFERENCE, *language));
        let mut languages: Vec<Catalogue> = Vec::with_capacity(sources.len());
        for (language, source) in sources {
            let (bundle, keys, problems) = bundle_of(language, source);
            let mut words = HashMap::new();
            for key in &keys {
                if let Some(word) = format(&bundle, key, None) {
                    words.insert(*key, leak(word));
                }
            }
            let reference = languages.first();
            let texts = Texts::read(|key| {
                words
                    .get(key)
                    .or_else(|| reference.and_then(|r| r.words.get(key)))
                    .copied()
                    .unwrap_or(key)
            });
            languages.push(Catalogue {
                language: leak(language.to_string()),
                bundle,
                words,
                keys,
                texts,
                problems,
            });
        }
        Catalogues { languages }
    }
}

impl Catalogue {
    /// A message that takes no variable.
    pub fn word(&self, key: &str) -> Option<&'static str> {
        self.words.get(key).copied()
    }

    /// A message with its variables filled in.
    pub fn format(&self, key: &str, args: &[(&str, &str)]) -> Option<String> {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        format(&self.bundle, key, Some(&fluent_args))
    }
}

fn bundle_of(
    language: &str,
    source: &str,
) -> (FluentBundle<FluentResource>, Vec<&'static str>, Vec<String>) {
    let mut problems = Vec::new();
    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(read, errors)| {
        problems.extend(errors.iter().map(|e| format!("{language}.ftl: {e}")));
        read
    });
    let keys = resource
        .entries()
        .filter_map(|entry| match entry {
            ast::Entry::Message(message) => Some(leak(message.id.name.to_string())),
            _ => None,
        })
        .collect();
    let id = language.parse::<LanguageIdentifier>().unwrap_or_else(|_| {
        problems.push(format!("{language}.ftl: not a language code"));
        LanguageIdentifier::default()
    });
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // The pages are HTML with a `lang` of their own; Unicode isolation marks would only show up
    // as stray characters in form values and titles.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        problems.extend(errors.iter().map(|e| format!("{language}.ftl: {e}")));
    }
    (bundle, keys, problems)
}

/// The message `key` formatted; `None` when it is missing or needs a variable it was not given.
fn format(
    bundle: &FluentBundle<FluentResource>,
    key: &str,
    args: Option<&FluentArgs>,
) -> Option<String> {
    let pattern = bundle.get_message(key)?.value()?;
    let mut errors = Vec::new();
    let text = bundle
        .format_pattern(pattern, args, &mut errors)
        .into_owned();
    errors.is_empty().then_some(text)
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

#[cfg(test)]
mod tests;
