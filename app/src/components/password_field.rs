use leptos::prelude::*;

use crate::tr;

/// A password input with a show/hide toggle. The toggle needs JavaScript; without it the
/// field is an ordinary password input.
#[island]
pub fn PasswordField(
    #[prop(into)] name: String,
    label: String,
    #[prop(into)] autocomplete: String,
    /// For a new password: the policy's minimum length, shown as a hint that updates live.
    #[prop(optional)]
    min_length: Option<usize>,
) -> impl IntoView {
    let visible = RwSignal::new(false);
    let length = RwSignal::new(0usize);
    let input_id = format!("field-{name}");
    let hint_id = format!("hint-{name}");
    let described_by = min_length.map(|_| hint_id.clone());
    let hint = min_length.map(|min| {
        let met = move || length.get() >= min;
        view! {
            <p id=hint_id.clone() data-testid="password-hint" data-met=move || met().to_string()
                class=move || if met() { "mt-1.5 text-xs text-emerald-700 dark:text-emerald-400" } else { "mt-1.5 text-xs text-slate-500 dark:text-slate-400" }>
                {move || if met() { "✓ " } else { "" }}{tr!("password.min_length", n = min)}
            </p>
        }
    });
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
                    minlength=min_length.map(|m| m.to_string())
                    aria-describedby=described_by
                    on:input=move |ev| length.set(event_target_value(&ev).chars().count())
                    class=format!("{} pr-12", crate::components::form::INPUT)
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
            {hint}
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
