//! `/reset-password`: where to send a code; `/reset-password/new`: the new password.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use super::{identifier_label, input_kind};
use crate::components::form::{query_param, with_hints};
use crate::components::{FormLink, HostedCard, PageError, PasswordField, PostForm, SubmitButton, TextField};
use crate::context::PageContext;
use crate::tr;

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    view! {
        <Title text=tr!("reset_password.page_title")/>
        <HostedCard title=tr!("reset_password.title") subtitle=tr!("reset_password.subtitle") render=|context: PageContext| {
            if context.forgot_password.is_empty() {
                return view! { <Redirect path=with_hints("/sign-in")/> }.into_any();
            }
            let kinds = context.forgot_password.clone();
            view! {
                <PageError/>
                <PostForm action="/reset-password">
                    <TextField name="identifier" label=identifier_label(&kinds) kind=input_kind(&kinds) autocomplete="email"
                        value=query_param("entered").or(context.login_hint.clone()).unwrap_or_default()/>
                    <SubmitButton label=tr!("sign_in.send_code")/>
                </PostForm>
                <div class="mt-6 text-center text-sm"><FormLink href=with_hints("/sign-in") text=tr!("reset_password.back")/></div>
            }
            .into_any()
        }/>
    }
}

#[component]
pub fn NewPasswordPage() -> impl IntoView {
    view! {
        <Title text=tr!("reset_password.page_title")/>
        <HostedCard title=tr!("reset_password.new_title") subtitle=tr!("reset_password.new_subtitle") render=|context: PageContext| {
            view! {
                <PageError/>
                <PostForm action="/reset-password/new">
                    <PasswordField name="password" label=tr!("reset_password.new_password") autocomplete="new-password" min_length=context.password_min_length/>
                    <SubmitButton label=tr!("reset_password.save")/>
                </PostForm>
            }
        }/>
    }
}
