//! A self-contained page for errors the provider must show instead of redirecting (an
//! unknown client, an unregistered redirect URI): rendered on the server, no hydration.

use crate::i18n::Locale;

/// HTML for an OAuth error shown to the user; `error` is the OAuth error code.
pub fn render(error: &str, description: &str, locale: Locale) -> String {
    let t = |key: &str| rust_i18n::t!(key, locale = locale.tag()).into_owned();
    let key = format!("oauth_errors.{error}");
    let explained = t(&key);
    let explained = if explained == key { t("oauth_errors.generic") } else { explained };
    let inner = format!(
        r#"<h1 class="text-2xl font-semibold tracking-tight">{title}</h1><p class="mt-3 text-sm text-slate-600 dark:text-slate-400">{explained}</p><p class="mt-4 rounded-lg bg-slate-100 px-3 py-2 font-mono text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300">{code}: {description}</p>"#,
        title = escape(&t("oauth_errors.title")),
        explained = escape(&explained),
        code = escape(error),
        description = escape(description),
    );
    let title = format!("{} · Vestibule", t("oauth_errors.title"));
    page(locale, &title, &format!(r#" role="alert" data-error-code="{}""#, escape(error)), &inner, "")
}

/// A self-contained card page in the bundle's styles: `attributes` go on the card, `after`
/// after `<main>` (a script).
pub(crate) fn page(locale: Locale, title: &str, attributes: &str, inner: &str, after: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>{title}</title><link rel="stylesheet" href="/pkg/vestibule.css"><link rel="icon" type="image/svg+xml" href="/favicon.svg"></head><body class="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100"><main class="flex min-h-screen flex-col items-center justify-center px-4 py-10"><section class="w-full max-w-md rounded-2xl border border-slate-200 bg-white p-8 shadow-xl dark:border-slate-800 dark:bg-slate-900"{attributes}>{inner}</section></main>{after}</body></html>"#,
        lang = locale.tag(),
        title = escape(title),
    )
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
