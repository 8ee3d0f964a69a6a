//! `/sign-in` (and `/identifier-sign-in`): an identifier and a password, with ways to sign in
//! with a code, reset the password or create an account; `/sign-in/code` asks where to send
//! a code.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use super::{identifier_label, input_kind, reachable};
use crate::components::form::{query_param, with_hints};
use crate::components::{Ceremony, FormLink, HostedCard, Notice, PageError, PasskeyForm, PasswordField, PostForm, SubmitButton, TermsCheckbox, TextField};
use crate::context::{load_mfa_page, PageContext, SocialButton};
use crate::tr;

#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <Title text=tr!("sign_in.page_title")/>
        <HostedCard title=tr!("sign_in.title") subtitle=tr!("sign_in.subtitle") render=sign_in_form/>
    }
}

fn sign_in_form(context: PageContext) -> AnyView {
    if !context.sign_in_open() {
        return view! { <Redirect path=with_hints("/register")/> }.into_any();
    }
    let password_kinds = context.filtered(&context.password_sign_in);
    if context.password_sign_in.is_empty() {
        // Code-only sign-in: the first screen asks where to send the code.
        return code_form(context).into_any();
    }
    let value = query_param("entered").or_else(|| context.login_hint.clone());
    let code_kinds = reachable(&context.filtered(&context.code_sign_in));
    let terms = context.sign_in_needs_agreement().then(|| view! { <TermsCheckbox context=context.clone()/> });
    // Passkeys offered in the identifier's autofill need this token (WebAuthn conditional UI).
    let autocomplete = if context.passkey_autofill { "username webauthn" } else { "username" };
    view! {
        {query_param("notice").map(|_| view! { <Notice text=tr!("reset_password.done")/> })}
        <PageError/>
        {(context.passkey_button || context.passkey_autofill).then(|| view! { <PasskeySignIn context=context.clone()/> })}
        <PostForm action="/sign-in">
            <TextField name="identifier" label=identifier_label(&password_kinds) kind=input_kind(&password_kinds) autocomplete value=value.unwrap_or_default()/>
            <PasswordField name="password" label=tr!("sign_in.password") autocomplete="current-password"/>
            {terms}
            <SubmitButton label=tr!("sign_in.submit")/>
        </PostForm>
        <SocialButtons context=context.clone()/>
        <SingleSignOnLink context=context.clone()/>
        <div class="mt-6 flex flex-col items-center gap-3 text-sm">
            {(!code_kinds.is_empty()).then(|| view! { <FormLink href=with_hints("/sign-in/code") text=tr!("sign_in.with_code") testid="sign-in-with-code"/> })}
            {(!context.forgot_password.is_empty()).then(|| view! { <FormLink href=with_hints("/reset-password") text=tr!("sign_in.forgot_password") testid="forgot-password"/> })}
            {context.registration_open().then(|| view! {
                <p class="text-slate-600 dark:text-slate-400">{tr!("sign_in.no_account")}" "<FormLink href=with_hints("/register") text=tr!("sign_in.create_account") testid="create-account"/></p>
            })}
        </div>
    }
    .into_any()
}

/// "Continue with …", one form per social connector (they work without JavaScript).
#[component]
pub(crate) fn SocialButtons(context: PageContext) -> impl IntoView {
    let connectors = context.social_connectors;
    (!connectors.is_empty()).then(|| {
        view! {
            <div class="my-5 flex items-center gap-3 text-xs uppercase tracking-wide text-slate-400 dark:text-slate-500">
                <span class="h-px flex-1 bg-slate-200 dark:bg-slate-700"></span>{tr!("passkey.or")}<span class="h-px flex-1 bg-slate-200 dark:bg-slate-700"></span>
            </div>
            <div class="space-y-3" data-testid="social-buttons">
                {connectors
                    .into_iter()
                    .map(|c| view! { <ConnectorButton action=format!("/sign-in/social/{}", c.id) testid=format!("social-{}", c.id) connector=c/> })
                    .collect_view()}
            </div>
        }
    })
}

/// The look of the buttons beside the main form's (connectors, single sign-on).
pub(crate) const SECONDARY_BUTTON: &str = "flex w-full items-center justify-center gap-3 rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-base font-semibold shadow-sm transition hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800";

/// "Continue with <connector>": a form that posts to `action` (with `hidden` fields).
#[component]
pub(crate) fn ConnectorButton(action: String, testid: String, connector: SocialButton, #[prop(optional)] hidden: Vec<(&'static str, String)>) -> impl IntoView {
    view! {
        <PostForm action>
            {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
            <button type="submit" data-testid=testid class=SECONDARY_BUTTON>
                {connector.logo.map(|src| view! { <img src=src alt="" class="h-5 w-5 object-contain"/> })}
                {tr!("sign_in.continue_with", name = connector.name)}
            </button>
        </PostForm>
    }
}

/// "Sign in with your work email (single sign-on)", when organizations sign in at their own
/// identity providers.
#[component]
fn SingleSignOnLink(context: PageContext) -> impl IntoView {
    (!context.sso_connectors.is_empty()).then(|| {
        view! {
            <a href=with_hints("/single-sign-on") data-testid="single-sign-on" class=format!("mt-3 {SECONDARY_BUTTON}")>
                {tr!("single_sign_on.link")}
            </a>
        }
    })
}

/// "Sign in with a passkey" above the form (and autofill on its identifier field), with the
/// ceremony the server started for this page.
#[component]
fn PasskeySignIn(context: PageContext) -> impl IntoView {
    let ceremony = OnceResource::new(load_mfa_page("passkey-sign-in".into()));
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let context = context.clone();
                Suspend::new(async move {
                    let data = ceremony.await.unwrap_or_default();
                    let (Some(verification_id), Some(options)) = (data.verification_id, data.webauthn_options) else {
                        return ().into_any();
                    };
                    view! {
                        <PasskeyForm action="/sign-in/passkey" ceremony=Ceremony::Get verification_id options label=tr!("passkey.sign_in")
                            testid="passkey-sign-in" show_button=context.passkey_button autofill=context.passkey_autofill hidden=vec![]/>
                        {context.passkey_button.then(|| view! {
                            <div class="my-5 flex items-center gap-3 text-xs uppercase tracking-wide text-slate-400 dark:text-slate-500">
                                <span class="h-px flex-1 bg-slate-200 dark:bg-slate-700"></span>{tr!("passkey.or")}<span class="h-px flex-1 bg-slate-200 dark:bg-slate-700"></span>
                            </div>
                        })}
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn CodeSignInPage() -> impl IntoView {
    view! {
        <Title text=tr!("sign_in.page_title")/>
        <HostedCard title=tr!("sign_in.code_title") subtitle=tr!("sign_in.code_subtitle") render=|context: PageContext| {
            view! {
                {code_form(context)}
                <div class="mt-6 text-center text-sm"><FormLink href=with_hints("/sign-in") text=tr!("sign_in.with_password")/></div>
            }
        }/>
    }
}

fn code_form(context: PageContext) -> impl IntoView {
    let kinds = reachable(&context.filtered(&context.code_sign_in));
    let value = query_param("entered").or_else(|| context.login_hint.clone());
    let terms = context.sign_in_needs_agreement().then(|| view! { <TermsCheckbox context=context.clone()/> });
    view! {
        <PageError/>
        <PostForm action="/sign-in/code">
            <TextField name="identifier" label=identifier_label(&kinds) kind=input_kind(&kinds) autocomplete="username" value=value.unwrap_or_default()/>
            {terms}
            <SubmitButton label=tr!("sign_in.send_code")/>
            {context.sign_in_link.then(|| view! {
                <button type="submit" formaction="/sign-in/link" data-testid="send-sign-in-link"
                    class="w-full rounded-lg border border-slate-300 px-4 py-2.5 text-base font-semibold transition hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
                    {tr!("magic_link.send")}
                </button>
            })}
        </PostForm>
    }
}

/// `/sign-in/link-sent`: where the emailed link went.
#[component]
pub fn SignInLinkSentPage() -> impl IntoView {
    view! {
        <Title text=tr!("magic_link.sent_title")/>
        <HostedCard title=tr!("magic_link.sent_title") render=|_context: PageContext| {
            let to = query_param("to").unwrap_or_default();
            view! {
                <p class="text-sm text-slate-600 dark:text-slate-400" data-testid="sign-in-link-sent">{tr!("magic_link.sent_body", to = to)}</p>
                <div class="mt-6 text-center text-sm"><FormLink href=with_hints("/sign-in") text=tr!("magic_link.other_way")/></div>
            }
        }/>
    }
}
