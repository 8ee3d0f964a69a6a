//! The demo application's landing page (`/demo-app/callback`): who signed in, as the ID
//! token says, and ways to go again. Rendered on the server only; no script.

use crate::i18n::Locale;

/// The claims shown first, in this order; the others follow as the token has them.
const HEADLINE_CLAIMS: [&str; 5] = ["sub", "username", "name", "email", "phone_number"];

pub fn signed_in(claims: &serde_json::Map<String, serde_json::Value>, locale: Locale, stylesheet: &str) -> String {
    let t = |key: &str| escape(&rust_i18n::t!(key, locale = locale.tag()));
    let who = ["name", "username", "email", "phone_number", "sub"]
        .iter()
        .find_map(|key| claims.get(*key).and_then(|v| v.as_str()).filter(|v| !v.is_empty()))
        .unwrap_or_default();
    let mut keys: Vec<&String> = HEADLINE_CLAIMS.iter().filter_map(|k| claims.get_key_value(*k).map(|(k, _)| k)).collect();
    keys.extend(claims.keys().filter(|k| !HEADLINE_CLAIMS.contains(&k.as_str())));
    let rows: String = keys
        .into_iter()
        .map(|key| {
            let value = match &claims[key] {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            format!(r#"<div class="flex justify-between gap-4 py-2"><dt class="font-mono text-xs text-slate-500 dark:text-slate-400">{}</dt><dd class="break-all text-right font-mono text-xs" data-claim="{}">{}</dd></div>"#, escape(key), escape(key), escape(&value))
        })
        .collect();
    let body = format!(
        r#"<p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{body}</p><p class="mt-4 text-lg font-medium" data-testid="demo-user">{who}</p><dl class="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 px-3 dark:divide-slate-800 dark:border-slate-800">{rows}</dl><div class="mt-6 flex flex-col gap-3 sm:flex-row"><a class="{primary}" href="/demo-app">{again}</a><a class="{secondary}" href="/oidc/session/end?client_id=demo-app">{sign_out}</a></div><p class="mt-6 text-xs text-slate-500 dark:text-slate-400">{next}</p>"#,
        body = t("demo_app.body"),
        who = escape(who),
        primary = PRIMARY,
        secondary = SECONDARY,
        again = t("demo_app.sign_in_again"),
        sign_out = t("demo_app.sign_out"),
        next = t("demo_app.next"),
    );
    page(locale, stylesheet, &t("demo_app.title"), &body)
}

pub fn failed(code: &str, locale: Locale, stylesheet: &str) -> String {
    let t = |key: &str| escape(&rust_i18n::t!(key, locale = locale.tag()));
    let body = format!(
        r#"<p class="mt-2 text-sm text-slate-600 dark:text-slate-400" role="alert" data-error-code="{code}">{explained}</p><div class="mt-6"><a class="{primary}" href="/demo-app">{again}</a></div>"#,
        code = escape(code),
        explained = t("demo_app.failed_body"),
        primary = PRIMARY,
        again = t("demo_app.sign_in_again"),
    );
    page(locale, stylesheet, &t("demo_app.failed_title"), &body)
}

const PRIMARY: &str = "inline-flex w-full justify-center rounded-lg bg-[var(--brand,#4F46E5)] px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:opacity-90 sm:w-auto";
const SECONDARY: &str = "inline-flex w-full justify-center rounded-lg border border-slate-300 px-4 py-2.5 text-sm font-semibold hover:bg-slate-100 sm:w-auto dark:border-slate-700 dark:hover:bg-slate-800";

fn page(locale: Locale, stylesheet: &str, title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>{title} · Vestibule</title><link rel="stylesheet" href="{stylesheet}"><link rel="icon" type="image/svg+xml" href="/favicon.svg"></head><body class="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100"><main class="flex min-h-screen flex-col items-center justify-center px-4 py-10"><section class="w-full max-w-lg rounded-2xl border border-slate-200 bg-white p-8 shadow-xl dark:border-slate-800 dark:bg-slate-900"><p class="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{badge}</p><h1 class="mt-1 text-2xl font-semibold tracking-tight">{title}</h1>{body}</section></main></body></html>"#,
        lang = locale.tag(),
        stylesheet = escape(stylesheet),
        badge = escape(&rust_i18n::t!("demo_app.badge", locale = locale.tag())),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
