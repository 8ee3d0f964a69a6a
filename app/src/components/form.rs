//! Form pieces shared by the hosted pages. Every form posts to the server and works without
//! JavaScript; `data-hydrated` tells tests (and styles) when the page came alive.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::context::PageContext;
use crate::tr;

pub const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3.5 py-2.5 text-base shadow-sm outline-none transition placeholder:text-slate-400 focus:border-[var(--brand)] focus:ring-4 focus:ring-[var(--brand)]/15 dark:border-slate-700 dark:bg-slate-950 dark:focus:border-[var(--brand-dark)]";
const LABEL: &str = "mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-300";

/// A query parameter of the current page.
pub fn query_param(key: &'static str) -> Option<String> {
    use_query_map().with_untracked(|q| q.get(key)).filter(|v| !v.is_empty())
}

/// Whether hydration has run (effects only run in the browser).
pub fn hydration_marker() -> RwSignal<bool> {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    hydrated
}

/// A `<form method="post">` with the page's language, so errors come back in it. An island
/// only for its `data-hydrated` marker: its content is rendered on the server.
#[island]
pub fn PostForm(#[prop(into)] action: String, #[prop(optional, into)] id: Option<String>, children: Children) -> impl IntoView {
    let hydrated = hydration_marker();
    view! {
        <form method="post" action=action id=id class="space-y-5" data-hydrated=move || hydrated.get().to_string()>
            <input type="hidden" name="locale" value=crate::i18n::Locale::detect().tag()/>
            {children()}
        </form>
    }
}

#[component]
pub fn TextField(
    name: &'static str,
    label: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] value: Option<String>,
    #[prop(optional)] placeholder: Option<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] pattern: Option<&'static str>,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(default = true)] autofocus: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div>
            <label for=id.clone() class=LABEL>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                autocapitalize="none"
                spellcheck="false"
                required
                autofocus=autofocus
                value=value
                placeholder=placeholder
                inputmode=inputmode
                pattern=pattern
                maxlength=maxlength.map(|m| m.to_string())
                class=INPUT
            />
        </div>
    }
}

#[component]
pub fn SubmitButton(label: String) -> impl IntoView {
    view! {
        <button
            type="submit"
            class="w-full rounded-lg bg-[var(--brand)] px-4 py-2.5 text-base font-semibold text-white shadow-sm transition hover:brightness-110 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-[var(--brand)] active:brightness-95 disabled:cursor-not-allowed disabled:opacity-60 dark:bg-[var(--brand-dark)] dark:text-slate-950"
        >
            {label}
        </button>
    }
}

/// "I agree to the Terms of use and the Privacy policy", required to submit.
#[component]
pub fn TermsCheckbox(context: PageContext) -> impl IntoView {
    let link = |href: Option<String>, text: String| {
        href.map(|href| view! { <a href=href target="_blank" rel="noopener noreferrer" class="font-medium text-[var(--brand)] underline-offset-2 hover:underline dark:text-[var(--brand-dark)]">{text}</a> })
    };
    let both = context.terms_of_use_url.is_some() && context.privacy_policy_url.is_some();
    view! {
        <label class="flex items-start gap-3 text-sm text-slate-600 dark:text-slate-400">
            <input type="checkbox" name="agree" value="yes" required class="mt-0.5 h-4 w-4 rounded border-slate-300 accent-[var(--brand)]" data-testid="agree-terms"/>
            <span>
                {tr!("terms.agree")}" "
                {link(context.terms_of_use_url.clone(), tr!("terms.terms_of_use"))}
                {both.then(|| format!(" {} ", tr!("terms.and")))}
                {link(context.privacy_policy_url.clone(), tr!("terms.privacy_policy"))}
            </span>
        </label>
    }
}

/// A quiet link below a form.
#[component]
pub fn FormLink(
    href: String,
    text: String,
    #[prop(optional)] testid: Option<&'static str>,
    /// A full page load (the same route with other query parameters re-renders from scratch).
    #[prop(optional)]
    reload: bool,
) -> impl IntoView {
    view! {
        <a href=href data-testid=testid rel=reload.then_some("external") class="font-medium text-[var(--brand)] hover:underline dark:text-[var(--brand-dark)]">{text}</a>
    }
}

/// A success message (e.g. after a password reset).
#[component]
pub fn Notice(text: String) -> impl IntoView {
    view! {
        <div role="status" class="mb-5 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-800 dark:border-emerald-900/60 dark:bg-emerald-950/40 dark:text-emerald-200">
            {text}
        </div>
    }
}

/// The query string hints (`app_id`, `ui_locales`, `login_hint`, …) carried to another page.
pub fn with_hints(path: &str) -> String {
    let keep = ["app_id", "ui_locales", "login_hint", "identifier", "organization_id"];
    let pairs: Vec<(String, String)> = use_query_map().with_untracked(|q| {
        keep.iter().filter_map(|k| q.get(k).map(|v| (k.to_string(), v))).collect()
    });
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("{path}?{}", query.join("&"))
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
