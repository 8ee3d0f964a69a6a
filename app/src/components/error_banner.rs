use leptos::prelude::*;

use crate::tr;

/// Explains an error code from the engine in the user's language; a rejected password lists
/// each reason (`issues` are `password_rejected.<code>[:<number>]`).
#[component]
pub fn ErrorBanner(code: String, #[prop(optional)] issues: Vec<String>) -> impl IntoView {
    let key = format!("errors.{code}");
    let translated = tr!(&key);
    // rust-i18n hands back the key itself when no language knows it.
    let message = if translated == key { tr!("errors.unknown") } else { translated };
    let reasons: Vec<String> = issues
        .iter()
        .map(|issue| {
            let (issue_code, number) = issue.split_once(':').unwrap_or((issue.as_str(), ""));
            let key = format!("password_issues.{}", issue_code.trim_start_matches("password_rejected."));
            let text = tr!(&key, n = number);
            if text == key { tr!("errors.password.rejected") } else { text }
        })
        .collect();
    view! {
        <div role="alert" aria-live="assertive" data-error-code=code class="mb-5 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800 dark:border-red-900/60 dark:bg-red-950/40 dark:text-red-200">
            <p class="font-medium">{message}</p>
            {(!reasons.is_empty()).then(|| view! {
                <ul class="mt-2 list-disc space-y-1 pl-5">
                    {reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                </ul>
            })}
        </div>
    }
}

/// The error of the current page, from `?error=…&issue=…`.
#[component]
pub fn PageError() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let error = query.with_untracked(|q| q.get("error"));
    let issues = query.with_untracked(|q| q.get_all("issue")).unwrap_or_default();
    error.map(|code| view! { <ErrorBanner code issues/> })
}
