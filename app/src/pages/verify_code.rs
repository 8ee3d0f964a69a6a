//! `/verify-code?to=…`: enter the six-digit code; "send a new code" once a minute (the
//! countdown needs JavaScript; without it the button is always there and the server's send
//! limit applies).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{hydration_marker, query_param};
use crate::components::{HostedCard, PageError, PostForm, SubmitButton, TextField};
use crate::context::PageContext;
use crate::tr;

const RESEND_AFTER_SECONDS: u32 = 60;

#[component]
pub fn VerifyCodePage() -> impl IntoView {
    let to = query_param("to").unwrap_or_default();
    let subtitle = tr!("verify_code.subtitle", to = to.clone());
    view! {
        <Title text=tr!("verify_code.page_title")/>
        <HostedCard title=tr!("verify_code.title") subtitle render=move |_: PageContext| {
            view! {
                <PageError/>
                <PostForm action="/verify-code">
                    <input type="hidden" name="identifier" value=query_param("to").unwrap_or_default()/>
                    <TextField name="code" label=tr!("verify_code.code") autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" maxlength=6/>
                    <SubmitButton label=tr!("verify_code.submit")/>
                </PostForm>
                <ResendCode identifier=query_param("to").unwrap_or_default()/>
            }
        }/>
    }
}

/// "Resend the code", enabled once the countdown ends (an island: the countdown runs in the
/// browser; without JavaScript the button is simply enabled).
#[island]
fn ResendCode(identifier: String) -> impl IntoView {
    let hydrated = hydration_marker();
    let remaining = RwSignal::new(RESEND_AFTER_SECONDS);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || remaining.update(|r| *r = r.saturating_sub(1)),
            std::time::Duration::from_secs(1),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    let waiting = move || hydrated.get() && remaining.get() > 0;
    view! {
        <form method="post" action="/verify-code/resend" class="mt-6 text-center text-sm">
            <input type="hidden" name="locale" value=crate::i18n::Locale::detect().tag()/>
            <input type="hidden" name="identifier" value=identifier/>
            <button type="submit" data-testid="resend-code" disabled=waiting aria-live="polite"
                class="font-medium text-[var(--brand)] hover:underline disabled:cursor-default disabled:text-slate-400 disabled:no-underline dark:text-[var(--brand-dark)]">
                {move || if waiting() { tr!("verify_code.resend_in", n = remaining.get()) } else { tr!("verify_code.resend") }}
            </button>
        </form>
    }
}
