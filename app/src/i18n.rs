//! The user's language. On the server it comes from the `ui_locales` query parameter (OIDC),
//! then `Accept-Language`; the browser reads back what the server chose from `<html lang>`,
//! so hydration renders the very same strings.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    En,
    Fr,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Fr];

    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    /// `fr`, `fr-CA`, `FR` → French; anything unsupported → `None`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Locale::ALL.into_iter().find(|l| l.tag() == primary)
    }

    /// OIDC `ui_locales` is a space-separated preference list; the first supported one wins.
    pub fn from_ui_locales(ui_locales: &str) -> Option<Self> {
        ui_locales.split_whitespace().find_map(Self::from_tag)
    }

    /// The locale of the page being rendered: from context when a parent already chose it,
    /// otherwise from the request (server) or the document (browser).
    pub fn detect() -> Self {
        if let Some(locale) = use_context::<Locale>() {
            return locale;
        }
        Self::detect_from_environment()
    }

    #[cfg(feature = "ssr")]
    fn detect_from_environment() -> Self {
        let Some(parts) = use_context::<http::request::Parts>() else {
            return Locale::default();
        };
        let query_choice = parts.uri.query().and_then(|query| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| *key == "ui_locales")
                .and_then(|(_, value)| Self::from_ui_locales(&value.replace('+', " ").replace("%20", " ")))
        });
        query_choice
            .or_else(|| {
                let header = parts.headers.get(http::header::ACCEPT_LANGUAGE)?.to_str().ok()?;
                Self::from_accept_language(header)
            })
            .unwrap_or_default()
    }

    #[cfg(all(not(feature = "ssr"), feature = "hydrate"))]
    fn detect_from_environment() -> Self {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|html| html.get_attribute("lang"))
            .and_then(|lang| Self::from_tag(&lang))
            .unwrap_or_default()
    }

    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    fn detect_from_environment() -> Self {
        Locale::default()
    }

    #[cfg(feature = "ssr")]
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let tags: Vec<&str> = Locale::ALL.iter().map(|l| l.tag()).collect();
        // `intersect` keeps the header's order of preference (quality values honoured).
        accept_language::parse(header)
            .iter()
            .find_map(|tag| Self::from_tag(tag).filter(|l| tags.contains(&l.tag())))
    }
}

/// Translates `key` into the current page's language.
#[macro_export]
macro_rules! tr {
    ($key:expr) => {
        rust_i18n::t!($key, locale = $crate::i18n::Locale::detect().tag()).into_owned()
    };
    ($key:expr, $($name:ident = $value:expr),+ $(,)?) => {
        rust_i18n::t!($key, locale = $crate::i18n::Locale::detect().tag(), $($name = $value),+).into_owned()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_locales_pick_the_first_supported_language() {
        assert_eq!(Locale::from_ui_locales("de-DE fr-CA en"), Some(Locale::Fr));
        assert_eq!(Locale::from_ui_locales("de ja"), None);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn accept_language_honours_quality() {
        assert_eq!(Locale::from_accept_language("de;q=0.9, fr;q=0.8, en;q=0.5"), Some(Locale::Fr));
        assert_eq!(Locale::from_accept_language("en-GB,fr;q=0.9"), Some(Locale::En));
        assert_eq!(Locale::from_accept_language("es"), None);
    }

    /// Every English key has its own French text (a missing French key would silently fall
    /// back to English, so compare the two).
    #[test]
    fn every_key_is_translated_into_french() {
        let english = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/locales/en.yml")).unwrap();
        let keys = leaf_keys(&english);
        assert!(keys.len() > 10, "found the keys");
        for key in keys {
            let en = rust_i18n::t!(&key, locale = "en");
            let fr = rust_i18n::t!(&key, locale = "fr");
            assert_ne!(en, key, "{key} has no English text");
            assert_ne!(fr, en, "{key} is not translated into French");
        }
    }

    /// Dotted keys of an indented two-space YAML file of plain `key: "value"` lines.
    fn leaf_keys(yaml: &str) -> Vec<String> {
        let mut path: Vec<String> = Vec::new();
        let mut keys = Vec::new();
        for line in yaml.lines().filter(|l| !l.trim().is_empty()) {
            let depth = (line.len() - line.trim_start().len()) / 2;
            let (key, value) = line.trim().split_once(':').unwrap();
            path.truncate(depth);
            path.push(key.to_owned());
            if !value.trim().is_empty() {
                keys.push(path.join("."));
            }
        }
        keys
    }
}
