//! Every user-visible string, in English and Simplified Chinese. Components call [`t`];
//! errors and validation messages travel as [`Key`]s and are translated in the browser.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

mod strings;
pub use strings::Key;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

pub const LANG_COOKIE: &str = "rapport_lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// Accepts `en`, `zh`, `zh-CN`, `zh-Hans`… (case-insensitive).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s == "en" || s.starts_with("en-") {
            Some(Lang::En)
        } else if s == "zh" || s.starts_with("zh-") {
            Some(Lang::Zh)
        } else {
            None
        }
    }

    /// The first supported language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut choices: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.split(';');
                let lang = Lang::parse(it.next()?)?;
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        choices.sort_by(|a, b| b.0.total_cmp(&a.0));
        choices.first().map(|c| c.1)
    }

    /// The name of the language in itself, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }
}

/// The current language, shared by every component.
#[derive(Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    /// The text of `key`: from the table on the server; in the browser, from what the
    /// page's islands brought ([`IslandStrings`]).
    pub fn t(&self, key: Key) -> &'static str {
        #[cfg(feature = "ssr")]
        {
            key.text(self.lang.get())
        }
        #[cfg(not(feature = "ssr"))]
        {
            self.lang.track();
            island_text(key)
        }
    }
}

/// The texts an island shows, sent in its props in the page's language: the bundle then
/// carries no translation table, which would be a tenth of it. The server lists the keys
/// an island may show ([`IslandStrings::of`]); a test per island holds the list complete.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IslandStrings(Vec<(u16, String)>);

impl IslandStrings {
    /// The texts of `keys` in the page's language (called on the server).
    pub fn of(keys: impl IntoIterator<Item = Key>) -> Self {
        let lang = use_i18n().lang.get_untracked();
        let mut texts: Vec<(u16, String)> = keys
            .into_iter()
            .map(|k| (k as u16, k.text(lang).to_string()))
            .collect();
        texts.sort();
        texts.dedup();
        Self(texts)
    }

    /// Whether `key` is among the texts.
    pub fn has(&self, key: Key) -> bool {
        self.0.iter().any(|(k, _)| *k == key as u16)
    }

    /// Makes these the texts `t` finds in the browser. The islands of a page share its
    /// language; a page in another language brings its islands again, with its texts.
    pub fn install(&self) {
        #[cfg(not(feature = "ssr"))]
        ISLAND_TEXTS.with_borrow_mut(|texts| {
            for (key, text) in &self.0 {
                let text: &'static str = Box::leak(text.clone().into_boxed_str());
                match texts.binary_search_by_key(key, |(k, _)| *k) {
                    Ok(i) => texts[i].1 = text,
                    Err(i) => texts.insert(i, (*key, text)),
                }
            }
        });
    }
}

#[cfg(not(feature = "ssr"))]
thread_local! {
    static ISLAND_TEXTS: std::cell::RefCell<Vec<(u16, &'static str)>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(not(feature = "ssr"))]
fn island_text(key: Key) -> &'static str {
    ISLAND_TEXTS.with_borrow(|texts| {
        texts
            .binary_search_by_key(&(key as u16), |(k, _)| *k)
            .map(|i| texts[i].1)
            .unwrap_or("")
    })
}

/// The message keys named in a source file (`Key::Name`), for the tests that hold an
/// island's [`IslandStrings`] complete.
#[cfg(test)]
pub fn keys_named_in(source: &str) -> Vec<Key> {
    source
        .split("Key::")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            Key::from_name(&name)
        })
        .collect()
}

pub fn provide_i18n(initial: Lang) -> I18n {
    let i18n = I18n {
        lang: RwSignal::new(initial),
    };
    provide_context(i18n);
    i18n
}

/// The current language. Islands run outside the page's context and take the language
/// the server rendered the page in, from `<html lang>`.
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(|| I18n {
        lang: RwSignal::new(document_lang().unwrap_or_default()),
    })
}

fn document_lang() -> Option<Lang> {
    #[cfg(feature = "hydrate")]
    {
        let el = web_sys::window()?.document()?.document_element()?;
        Lang::parse(&el.get_attribute("lang")?)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// A reactive translation, for use directly in `view!`.
pub fn t(key: Key) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let i18n = use_i18n();
    move || i18n.t(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_best_supported() {
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Lang::Zh)
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, en;q=0.5, zh;q=0.4"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(
            Lang::from_accept_language("en;q=0.2, zh-TW;q=0.7"),
            Some(Lang::Zh)
        );
    }

    #[test]
    fn every_key_has_both_languages() {
        for key in Key::ALL {
            assert!(!key.text(Lang::En).is_empty(), "{key:?}");
            assert!(!key.text(Lang::Zh).is_empty(), "{key:?}");
        }
    }
}
