//! `/one-time-token`: where a magic link lands (spec §8) — an invitation, invite-only
//! sign-up, a sign-in or password-reset link. The link is used only when the person presses
//! the button (a mail scanner that follows links uses nothing). `/switch-account`: the link
//! is for someone other than the person signed in here.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{query_param, with_hints};
use crate::components::{FormLink, HostedCard, PageError, PostForm, SubmitButton, TermsCheckbox};
use crate::context::PageContext;
use crate::tr;

#[component]
pub fn OneTimeTokenPage() -> impl IntoView {
    view! {
        <Title text=tr!("magic_link.page_title")/>
        <HostedCard title=tr!("magic_link.title") subtitle=tr!("magic_link.subtitle") render=|context: PageContext| {
            let email = query_param("login_hint").unwrap_or_default();
            let token = query_param("one_time_token").unwrap_or_default();
            let terms = (context.sign_in_needs_agreement() || context.registration_needs_agreement()).then(|| view! { <TermsCheckbox context=context.clone()/> });
            view! {
                <PageError/>
                <PostForm action="/one-time-token">
                    <input type="hidden" name="identifier" value=email.clone()/>
                    <input type="hidden" name="one_time_token" value=token/>
                    <p class="rounded-lg bg-slate-100 px-4 py-3 text-center font-medium dark:bg-slate-800" data-testid="magic-link-email">{email}</p>
                    {terms}
                    <SubmitButton label=tr!("magic_link.continue")/>
                </PostForm>
                <div class="mt-6 text-center text-sm"><FormLink href=with_hints("/sign-in") text=tr!("magic_link.other_way")/></div>
            }
        }/>
    }
}

#[component]
pub fn SwitchAccountPage() -> impl IntoView {
    view! {
        <Title text=tr!("magic_link.switch_page_title")/>
        <HostedCard title=tr!("magic_link.switch_title") render=|_context: PageContext| {
            let email = query_param("login_hint").unwrap_or_default();
            let token = query_param("one_time_token").unwrap_or_default();
            view! {
                <p class="text-sm text-slate-600 dark:text-slate-400" data-testid="switch-account">{tr!("magic_link.switch_explained", email = email.clone())}</p>
                <PostForm action="/one-time-token">
                    <input type="hidden" name="identifier" value=email/>
                    <input type="hidden" name="one_time_token" value=token/>
                    <SubmitButton label=tr!("magic_link.switch_continue")/>
                </PostForm>
            }
        }/>
    }
}
