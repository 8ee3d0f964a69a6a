#![recursion_limit = "256"]
//! Vestibule's browser UI. Pages render on the server (feature `ssr`) and hydrate in the
//! browser (feature `hydrate`); every form works without JavaScript.

pub mod account;
pub mod components;
pub mod console;
pub mod context;
#[cfg(feature = "ssr")]
pub mod demo_page;
pub mod error_page;
pub mod sign_out_page;
pub mod i18n;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::i18n::Locale;

rust_i18n::i18n!("locales", fallback = "en");

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let locale = Locale::detect();
    view! {
        <!DOCTYPE html>
        <html lang=locale.tag()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                // The bundle's path names its build (`pkg/<build>`), so it is cached for good.
                <link rel="stylesheet" id="vestibule" href=format!("/{}/vestibule.css", options.site_pkg_dir)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale = Locale::detect();
    provide_context(locale);

    view! {
        <Title formatter=|page: String| format!("{page} · Vestibule")/>
        <Router>
            <Routes fallback=pages::not_found::NotFoundPage>
                <Route path=path!("/") view=|| view! { <Redirect path="/sign-in"/> }/>
                // Async: the page waits for its data, so it is complete without JavaScript.
                <Route path=path!("/sign-in") view=pages::sign_in::SignInPage ssr=SsrMode::Async/>
                <Route path=path!("/identifier-sign-in") view=pages::sign_in::SignInPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-in/code") view=pages::sign_in::CodeSignInPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-in/link-sent") view=pages::sign_in::SignInLinkSentPage ssr=SsrMode::Async/>
                <Route path=path!("/social/link") view=pages::social_link::SocialLinkPage ssr=SsrMode::Async/>
                <Route path=path!("/single-sign-on") view=pages::single_sign_on::SingleSignOnPage ssr=SsrMode::Async/>
                <Route path=path!("/register") view=pages::register::RegisterPage ssr=SsrMode::Async/>
                <Route path=path!("/identifier-register") view=pages::register::RegisterPage ssr=SsrMode::Async/>
                <Route path=path!("/verify-code") view=pages::verify_code::VerifyCodePage ssr=SsrMode::Async/>
                <Route path=path!("/continue") view=pages::complete_profile::CompleteProfilePage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password") view=pages::reset_password::ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password/new") view=pages::reset_password::NewPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/mfa/verify") view=pages::mfa::MfaVerifyPage ssr=SsrMode::Async/>
                <Route path=path!("/mfa/bind") view=pages::mfa::MfaBindPage ssr=SsrMode::Async/>
                <Route path=path!("/mfa/backup-codes") view=pages::mfa::BackupCodesPage ssr=SsrMode::Async/>
                <Route path=path!("/passkey") view=pages::mfa::CreatePasskeyPage ssr=SsrMode::Async/>
                <Route path=path!("/one-time-token") view=pages::one_time_token::OneTimeTokenPage ssr=SsrMode::Async/>
                <Route path=path!("/switch-account") view=pages::one_time_token::SwitchAccountPage ssr=SsrMode::Async/>
                <Route path=path!("/consent") view=pages::consent::ConsentPage ssr=SsrMode::Async/>
                <Route path=path!("/signed-out") view=pages::signed_out::SignedOutPage/>
                <Route path=path!("/account") view=account::AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/console") view=console::ConsolePage ssr=SsrMode::Async/>
                <Route path=path!("/account/deleted") view=pages::signed_out::AccountDeletedPage/>
            </Routes>
        </Router>
    }
}
