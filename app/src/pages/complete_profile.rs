//! `/continue?missing=…`: what the account still needs (spec "mandatory profile"): a
//! username and/or password here, an email or phone through a code.

use leptos::prelude::*;
use leptos_meta::Title;

use super::identifier_label;
use crate::components::form::query_param;
use crate::components::{HostedCard, PageError, PasswordField, PostForm, SubmitButton, TextField};
use crate::context::PageContext;
use crate::tr;

#[component]
pub fn CompleteProfilePage() -> impl IntoView {
    view! {
        <Title text=tr!("complete_profile.page_title")/>
        <HostedCard title=tr!("complete_profile.title") subtitle=tr!("complete_profile.subtitle") render=profile_forms/>
    }
}

fn profile_forms(context: PageContext) -> impl IntoView {
    let missing: Vec<String> = query_param("missing").unwrap_or_default().split(',').filter(|m| !m.is_empty()).map(str::to_owned).collect();
    let needs = move |field: &str| missing.iter().any(|m| m == field);
    let reach: Vec<String> = match () {
        _ if needs("emailOrPhone") => vec!["email".into(), "phone".into()],
        _ if needs("email") => vec!["email".into()],
        _ if needs("phone") => vec!["phone".into()],
        _ => vec![],
    };
    let (needs_username, needs_password) = (needs("username"), needs("password"));
    let direct = reach.is_empty() && (needs_username || needs_password);
    view! {
        <PageError/>
        {(!reach.is_empty()).then(move || view! {
            <PostForm action="/continue/code">
                <input type="hidden" name="missing" value=query_param("missing").unwrap_or_default()/>
                <TextField name="identifier" label=identifier_label(&reach) kind=super::input_kind(&reach) autocomplete="email" value=query_param("entered").unwrap_or_default()/>
                <SubmitButton label=tr!("sign_in.send_code")/>
            </PostForm>
        })}
        {direct.then(|| view! {
            <PostForm action="/continue">
                <input type="hidden" name="missing" value=query_param("missing").unwrap_or_default()/>
                {needs_username.then(|| view! { <TextField name="new_username" label=tr!("identifiers.username") autocomplete="username" maxlength=128/> })}
                {needs_password.then(|| view! { <PasswordField name="password" label=tr!("register.password") autocomplete="new-password" min_length=context.password_min_length/> })}
                <SubmitButton label=tr!("complete_profile.submit")/>
            </PostForm>
        })}
    }
}
