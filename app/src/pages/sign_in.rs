//! The hosted sign-in page (`/sign-in`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{AuthCard, ErrorBanner, PasswordField};
use crate::i18n::Locale;
use crate::tr;

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.with(|q| q.get("error"));
    // Effects only run in the browser: this marks the page as hydrated (and tests wait on it).
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Title text=tr!("sign_in.page_title")/>
        <AuthCard title=tr!("sign_in.title") subtitle=tr!("sign_in.subtitle")>
            {move || error().map(|code| view! { <ErrorBanner code/> })}
            <form method="post" action="/sign-in" class="space-y-5" data-hydrated=move || hydrated.get().to_string()>
                <input type="hidden" name="locale" value=Locale::detect().tag()/>
                <div>
                    <label for="field-username" class="mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-300">{tr!("sign_in.username")}</label>
                    <input
                        id="field-username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        placeholder=tr!("sign_in.username_placeholder")
                        class="block w-full rounded-lg border border-slate-300 bg-white px-3.5 py-2.5 text-base shadow-sm outline-none transition placeholder:text-slate-400 focus:border-indigo-500 focus:ring-4 focus:ring-indigo-500/15 dark:border-slate-700 dark:bg-slate-950 dark:focus:border-indigo-400"
                    />
                </div>
                <PasswordField name="password" label=tr!("sign_in.password") autocomplete="current-password"/>
                <button
                    type="submit"
                    class="w-full rounded-lg bg-indigo-600 px-4 py-2.5 text-base font-semibold text-white shadow-sm transition hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 active:bg-indigo-700 dark:bg-indigo-500 dark:hover:bg-indigo-400"
                >
                    {tr!("sign_in.submit")}
                </button>
            </form>
        </AuthCard>
    }
}
