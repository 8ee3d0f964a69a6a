//! `/social/link`: a social sign-in whose upstream identity is new here, but whose verified
//! address already has an account. Link the identity to that account (its own sign-in steps,
//! MFA included, still apply), or create another account when registration is open.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{query_param, with_hints};
use crate::components::{FormLink, HostedCard, PageError, PostForm, SubmitButton};
use crate::context::PageContext;
use crate::tr;

#[component]
pub fn SocialLinkPage() -> impl IntoView {
    view! {
        <Title text=tr!("social_link.page_title")/>
        <HostedCard title=tr!("social_link.title") render=|context: PageContext| {
            let to = query_param("to").unwrap_or_default();
            let connector = query_param("connector").unwrap_or_default();
            let name = context.social_connectors.iter().find(|c| c.id == connector).map(|c| c.name.clone()).unwrap_or_default();
            view! {
                <PageError/>
                <p class="text-sm text-slate-600 dark:text-slate-400" data-testid="social-link-explained">{tr!("social_link.body", name = name, to = to)}</p>
                <div class="mt-6 space-y-3">
                    <PostForm action="/social/link"><SubmitButton label=tr!("social_link.link")/></PostForm>
                    {context.registration_open().then(|| view! {
                        <PostForm action="/social/register">
                            <button type="submit" data-testid="social-register-instead"
                                class="w-full rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-base font-semibold shadow-sm transition hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800">
                                {tr!("social_link.register")}
                            </button>
                        </PostForm>
                    })}
                </div>
                <div class="mt-6 text-center text-sm"><FormLink href=with_hints("/sign-in") text=tr!("social_link.other_way")/></div>
            }
        }/>
    }
}
