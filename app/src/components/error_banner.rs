use leptos::prelude::*;

use crate::tr;

/// Explains an error code from the engine in the user's language.
#[component]
pub fn ErrorBanner(code: String) -> impl IntoView {
    let key = format!("errors.{code}");
    let translated = tr!(&key);
    // rust-i18n hands back the key itself when no language knows it.
    let message = if translated == key { tr!("errors.unknown") } else { translated };
    view! {
        <div role="alert" data-error-code=code class="mb-5 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800 dark:border-red-900/60 dark:bg-red-950/40 dark:text-red-200">
            <p class="font-medium">{tr!("errors.title")}</p>
            <p class="mt-1">{message}</p>
        </div>
    }
}
