//! `/register` (and `/identifier-register`): a username and password, or an email/phone
//! that receives a code, per the sign-up identifiers; the terms checkbox when required.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use super::{identifier_label, input_kind, reachable};
use crate::components::form::{query_param, with_hints};
use crate::components::{FormLink, HostedCard, PageError, PasswordField, PostForm, SubmitButton, TermsCheckbox, TextField};
use crate::context::PageContext;
use crate::tr;

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <Title text=tr!("register.page_title")/>
        <HostedCard title=tr!("register.title") subtitle=tr!("register.subtitle") render=register_form/>
    }
}

fn register_form(context: PageContext) -> AnyView {
    if !context.registration_open() {
        return view! { <Redirect path=with_hints("/sign-in")/> }.into_any();
    }
    let by_username = context.sign_up_identifiers.iter().any(|i| i == "username");
    let value = query_param("entered").or_else(|| context.login_hint.clone()).unwrap_or_default();
    let terms = context.registration_needs_agreement().then(|| view! { <TermsCheckbox context=context.clone()/> });
    let fields = if by_username {
        view! {
            <TextField name="new_username" label=tr!("identifiers.username") autocomplete="username" value=value maxlength=128/>
            <PasswordField name="password" label=tr!("register.password") autocomplete="new-password" min_length=context.password_min_length/>
        }
        .into_any()
    } else {
        let kinds = reachable(&context.filtered(&context.sign_up_identifiers));
        view! { <TextField name="identifier" label=identifier_label(&kinds) kind=input_kind(&kinds) autocomplete="email" value=value/> }.into_any()
    };
    view! {
        <PageError/>
        <PostForm action="/register">
            {fields}
            {terms}
            <SubmitButton label=tr!("register.submit")/>
        </PostForm>
        <super::sign_in::SocialButtons context=context.clone()/>
        {context.sign_in_open().then(|| view! {
            <p class="mt-6 text-center text-sm text-slate-600 dark:text-slate-400">
                {tr!("register.have_account")}" "<FormLink href=with_hints("/sign-in") text=tr!("register.sign_in") testid="go-sign-in"/>
            </p>
        })}
    }
    .into_any()
}
