//! `/single-sign-on`: "Sign in with your work email". The address's domain names its
//! organization's identity provider (enterprise SSO): one goes straight there; when the
//! organization has several, the page lists them to choose from.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{query_param, with_hints};
use crate::components::{FormLink, HostedCard, PageError, PostForm, SubmitButton, TermsCheckbox, TextField};
use crate::context::{PageContext, SocialButton};
use super::sign_in::ConnectorButton;
use crate::tr;

#[component]
pub fn SingleSignOnPage() -> impl IntoView {
    view! {
        <Title text=tr!("single_sign_on.page_title")/>
        <HostedCard title=tr!("single_sign_on.title") subtitle=tr!("single_sign_on.subtitle") render=|context: PageContext| {
            let email = query_param("entered").or_else(|| context.login_hint.clone()).unwrap_or_default();
            let chosen: Vec<String> = query_param("connectors").map(|c| c.split(',').map(str::to_owned).collect()).unwrap_or_default();
            let choices: Vec<SocialButton> = context.sso_connectors.iter().filter(|c| chosen.contains(&c.id)).cloned().collect();
            let terms = context.sign_in_needs_agreement().then(|| view! { <TermsCheckbox context=context.clone()/> });
            view! {
                <PageError/>
                {if choices.is_empty() {
                    view! {
                        <PostForm action="/single-sign-on">
                            <TextField name="identifier" label=tr!("single_sign_on.email") kind="email" autocomplete="username" value=email/>
                            {terms}
                            <SubmitButton label=tr!("single_sign_on.continue")/>
                        </PostForm>
                    }
                    .into_any()
                } else {
                    view! { <ConnectorChoice email choices/> }.into_any()
                }}
                <div class="mt-6 text-center text-sm"><FormLink href=with_hints("/sign-in") text=tr!("single_sign_on.other_way")/></div>
            }
        }/>
    }
}

/// One button per identity provider of the address's organization.
#[component]
fn ConnectorChoice(email: String, choices: Vec<SocialButton>) -> impl IntoView {
    view! {
        <p class="mb-4 text-sm text-slate-600 dark:text-slate-400">{tr!("single_sign_on.choose", email = email.clone())}</p>
        <div class="space-y-3" data-testid="sso-choices">
            {choices
                .into_iter()
                .map(|c| view! {
                    <ConnectorButton action=format!("/sign-in/sso/{}", c.id) testid=format!("sso-{}", c.id) connector=c hidden=vec![("identifier", email.clone())]/>
                })
                .collect_view()}
        </div>
    }
}
