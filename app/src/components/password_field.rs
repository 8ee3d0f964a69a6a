use leptos::prelude::*;

use crate::tr;

/// A password input with a show/hide toggle. The toggle needs JavaScript; without it the
/// field is an ordinary password input.
#[component]
pub fn PasswordField(name: &'static str, label: String, autocomplete: &'static str) -> impl IntoView {
    let visible = RwSignal::new(false);
    let input_id = format!("field-{name}");
    view! {
        <div>
            <label for=input_id.clone() class="mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-300">{label}</label>
            <div class="relative">
                <input
                    id=input_id
                    name=name
                    type=move || if visible.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required
                    class="block w-full rounded-lg border border-slate-300 bg-white px-3.5 py-2.5 pr-12 text-base shadow-sm outline-none transition placeholder:text-slate-400 focus:border-indigo-500 focus:ring-4 focus:ring-indigo-500/15 dark:border-slate-700 dark:bg-slate-950 dark:focus:border-indigo-400"
                />
                <button
                    type="button"
                    data-testid="toggle-password"
                    aria-pressed=move || visible.get().to_string()
                    aria-label=move || if visible.get() { tr!("sign_in.hide_password") } else { tr!("sign_in.show_password") }
                    title=move || if visible.get() { tr!("sign_in.hide_password") } else { tr!("sign_in.show_password") }
                    on:click=move |_| visible.update(|v| *v = !*v)
                    class="absolute inset-y-0 right-0 flex w-11 items-center justify-center rounded-r-lg text-slate-500 hover:text-slate-800 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-slate-400 dark:hover:text-slate-100"
                >
                    <EyeIcon crossed=Signal::derive(move || visible.get())/>
                </button>
            </div>
        </div>
    }
}

#[component]
fn EyeIcon(crossed: Signal<bool>) -> impl IntoView {
    view! {
        <svg class="h-5 w-5" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
            <path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12z"/>
            <circle cx="12" cy="12" r="3"/>
            <Show when=move || crossed.get()>
                <path d="M4 4l16 16"/>
            </Show>
        </svg>
    }
}
