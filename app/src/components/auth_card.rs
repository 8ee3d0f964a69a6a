use leptos::prelude::*;

use crate::tr;

/// The centred, branded card every hosted sign-in page sits in.
#[component]
pub fn AuthCard(title: String, #[prop(optional)] subtitle: Option<String>, children: Children) -> impl IntoView {
    view! {
        <main class="flex min-h-screen flex-col items-center justify-center px-4 py-10 sm:px-6">
            <div class="w-full max-w-md">
                <div class="mb-8 flex items-center justify-center gap-3">
                    <BrandMark/>
                    <span class="text-xl font-semibold tracking-tight">"Vestibule"</span>
                </div>
                <section class="rounded-2xl border border-slate-200 bg-white p-6 shadow-xl shadow-slate-200/60 sm:p-8 dark:border-slate-800 dark:bg-slate-900 dark:shadow-none">
                    <h1 class="text-2xl font-semibold tracking-tight">{title}</h1>
                    {subtitle.map(|s| view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{s}</p> })}
                    <div class="mt-6">{children()}</div>
                </section>
                <p class="mt-6 text-center text-xs text-slate-500 dark:text-slate-500">{tr!("brand.powered_by")}</p>
            </div>
        </main>
    }
}

#[component]
fn BrandMark() -> impl IntoView {
    view! {
        <svg class="h-10 w-10" viewBox="0 0 40 40" aria-hidden="true">
            <rect width="40" height="40" rx="10" class="fill-indigo-600 dark:fill-indigo-500"/>
            <path d="M11 12 L20 29 L29 12" fill="none" stroke="white" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/>
        </svg>
    }
}
