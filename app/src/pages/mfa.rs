//! Two-step verification pages: verify with a bound factor (`/mfa/verify`), bind an
//! authenticator app or a passkey (`/mfa/bind`), save backup codes (`/mfa/backup-codes`), and
//! the offer of a passkey for signing in (`/passkey`). Everything but passkeys works without
//! JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::query_param;
use crate::components::{Ceremony, FormLink, HostedCard, PageError, PasskeyForm, PostForm, SubmitButton, TextField};
use crate::context::{load_mfa_page, PageContext};
use crate::tr;

fn factors() -> Vec<String> {
    query_param("factors").unwrap_or_default().split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect()
}

/// The factor the page shows: `method` if offered, else the first offered.
fn chosen_method(factors: &[String], fallback: &str) -> String {
    query_param("method").filter(|m| factors.contains(m)).or_else(|| factors.first().cloned()).unwrap_or_else(|| fallback.into())
}

/// A started WebAuthn ceremony (`kind` names it for `load_mfa_page`) as a passkey form.
#[component]
fn PasskeyStep(kind: &'static str, action: &'static str, ceremony: Ceremony, label: String, testid: &'static str, hidden: Vec<(&'static str, String)>) -> impl IntoView {
    let started = OnceResource::new(load_mfa_page(kind.into()));
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let (label, hidden) = (label.clone(), hidden.clone());
                Suspend::new(async move {
                    let data = started.await.unwrap_or_default();
                    match (data.error, data.verification_id, data.webauthn_options) {
                        (None, Some(verification_id), Some(options)) => {
                            let hidden = hidden.into_iter().map(|(name, value)| (name.to_owned(), value)).collect::<Vec<_>>();
                            view! { <PasskeyForm action ceremony verification_id options label testid hidden show_button=true autofill=false/> }.into_any()
                        }
                        (code, _, _) => view! { <crate::components::ErrorBanner code=code.unwrap_or_else(|| "unexpected".into())/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn MfaVerifyPage() -> impl IntoView {
    let factors = factors();
    let method = chosen_method(&factors, "Totp");
    let backup = method == "BackupCode";
    let subtitle = match method.as_str() {
        "BackupCode" => tr!("mfa.verify_backup_subtitle"),
        "WebAuthn" => tr!("mfa.passkey_subtitle"),
        _ => tr!("mfa.verify_totp_subtitle"),
    };
    view! {
        <Title text=tr!("mfa.page_title")/>
        <HostedCard title=tr!("mfa.verify_title") subtitle render=move |_: PageContext| {
            let method = method.clone();
            let list = factors.join(",");
            let links = factors
                .iter()
                .filter(|f| **f != method)
                .map(|other| {
                    let text = match other.as_str() {
                        "BackupCode" => tr!("mfa.use_backup_code"),
                        "WebAuthn" => tr!("mfa.use_passkey"),
                        _ => tr!("mfa.use_app"),
                    };
                    view! { <FormLink href=format!("/mfa/verify?factors={list}&method={other}") text testid="mfa-switch" reload=true/> }
                })
                .collect_view();
            if method == "WebAuthn" {
                return view! {
                    <PageError/>
                    <PasskeyStep kind="passkey-authentication" action="/mfa/verify/passkey" ceremony=Ceremony::Get label=tr!("mfa.passkey_verify")
                        testid="mfa-passkey" hidden=vec![("factors", list.clone())]/>
                    <div class="mt-6 flex flex-col items-center gap-2 text-sm">{links}</div>
                }
                .into_any();
            }
            let field = if backup {
                view! { <TextField name="code" label=tr!("mfa.backup_code") autocomplete="off" maxlength=10/> }.into_any()
            } else {
                view! { <TextField name="code" label=tr!("mfa.app_code") autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" maxlength=6/> }.into_any()
            };
            view! {
                <PageError/>
                <PostForm action="/mfa/verify">
                    <input type="hidden" name="factor" value=method/>
                    <input type="hidden" name="factors" value=list/>
                    {field}
                    <SubmitButton label=tr!("mfa.verify")/>
                </PostForm>
                <div class="mt-6 flex flex-col items-center gap-2 text-sm">{links}</div>
            }
            .into_any()
        }/>
    }
}

#[component]
pub fn MfaBindPage() -> impl IntoView {
    let factors = factors();
    let method = chosen_method(&factors, "Totp");
    let skippable = query_param("skippable").is_some_and(|s| s == "true");
    // Another factor beside a passkey that also signs in (spec §6 (3)).
    let suggestion = query_param("suggestion").is_some_and(|s| s == "true");
    let list = factors.join(",");
    let (title, subtitle) = if suggestion {
        (tr!("mfa.suggest_title"), tr!("mfa.suggest_subtitle"))
    } else if method == "WebAuthn" {
        (tr!("mfa.passkey_bind_title"), tr!("mfa.passkey_bind_subtitle"))
    } else {
        (tr!("mfa.bind_title"), tr!("mfa.bind_subtitle"))
    };
    view! {
        <Title text=tr!("mfa.page_title")/>
        <HostedCard title subtitle render=move |_: PageContext| {
            let list = list.clone();
            let links = factors
                .iter()
                .filter(|f| **f != method && *f != "BackupCode")
                .map(|other| {
                    let text = if other == "WebAuthn" { tr!("mfa.passkey_bind") } else { tr!("mfa.use_other_app") };
                    let href = format!(
                        "/mfa/bind?factors={list}&method={other}{}{}",
                        if skippable { "&skippable=true" } else { "" },
                        if suggestion { "&suggestion=true" } else { "" }
                    );
                    view! { <FormLink href text testid="mfa-switch" reload=true/> }
                })
                .collect_view();
            let skip = skippable.then(|| {
                let list = list.clone();
                view! {
                    <form method="post" action="/mfa/skip" class="mt-4 text-center text-sm">
                        <input type="hidden" name="factors" value=list/>
                        <input type="hidden" name="skippable" value="true"/>
                        <input type="hidden" name="suggestion" value=suggestion.to_string()/>
                        <button type="submit" data-testid="mfa-skip" class="font-medium text-slate-500 hover:underline dark:text-slate-400">{tr!("mfa.skip")}</button>
                    </form>
                }
            });
            let step = if method == "WebAuthn" {
                let hidden = vec![("factors", list.clone()), ("skippable", skippable.to_string()), ("suggestion", suggestion.to_string())];
                view! { <PasskeyStep kind="passkey-registration" action="/mfa/bind/passkey" ceremony=Ceremony::Create label=tr!("mfa.passkey_bind") testid="mfa-passkey" hidden/> }.into_any()
            } else {
                view! { <TotpEnrolment list=list.clone() skippable suggestion/> }.into_any()
            };
            view! {
                <PageError/>
                {step}
                {skip}
                <div class="mt-6 flex flex-col items-center gap-2 text-sm">{links}</div>
            }
        }/>
    }
}

/// The authenticator app's QR code, key and first code.
#[component]
fn TotpEnrolment(list: String, skippable: bool, suggestion: bool) -> impl IntoView {
    let enrolment = OnceResource::new(load_mfa_page("totp".into()));
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let list = list.clone();
                Suspend::new(async move {
                    let data = enrolment.await.unwrap_or_default();
                    if let Some(code) = data.error {
                        return view! { <crate::components::ErrorBanner code/> }.into_any();
                    }
                    let secret = data.secret.unwrap_or_default();
                    view! {
                        <ol class="mb-5 list-decimal space-y-2 pl-5 text-sm text-slate-600 dark:text-slate-400">
                            <li>{tr!("mfa.step_scan")}</li>
                            <li>{tr!("mfa.step_enter")}</li>
                        </ol>
                        <div class="mb-5 flex flex-col items-center gap-3">
                            <img src=data.qr_code alt=tr!("mfa.qr_alt") class="h-48 w-48 rounded-lg bg-white p-2" data-testid="totp-qr"/>
                            <p class="text-xs text-slate-500 dark:text-slate-400">{tr!("mfa.manual")}</p>
                            <code class="select-all break-all rounded-md bg-slate-100 px-3 py-1.5 font-mono text-sm tracking-wider dark:bg-slate-800" data-testid="totp-secret">{secret}</code>
                        </div>
                        <PostForm action="/mfa/bind/totp">
                            <input type="hidden" name="factors" value=list/>
                            <input type="hidden" name="skippable" value=skippable.to_string()/>
                            <input type="hidden" name="suggestion" value=suggestion.to_string()/>
                            <TextField name="code" label=tr!("mfa.app_code") autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" maxlength=6 autofocus=false/>
                            <SubmitButton label=tr!("mfa.bind")/>
                        </PostForm>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

/// `/passkey`: after signing in, the offer to create a passkey for next time (when passkey
/// sign-in is on and the account has none).
#[component]
pub fn CreatePasskeyPage() -> impl IntoView {
    view! {
        <Title text=tr!("passkey.create_title")/>
        <HostedCard title=tr!("passkey.create_title") subtitle=tr!("passkey.create_subtitle") render=move |_: PageContext| {
            view! {
                <PageError/>
                <PasskeyStep kind="passkey-registration" action="/passkey/create" ceremony=Ceremony::Create label=tr!("passkey.create") testid="create-passkey" hidden=vec![]/>
                <form method="post" action="/passkey/skip" class="mt-4 text-center text-sm">
                    <button type="submit" data-testid="passkey-skip" class="font-medium text-slate-500 hover:underline dark:text-slate-400">{tr!("passkey.skip")}</button>
                </form>
            }
        }/>
    }
}

#[component]
pub fn BackupCodesPage() -> impl IntoView {
    let codes = OnceResource::new(load_mfa_page("backup-codes".into()));
    view! {
        <Title text=tr!("mfa.page_title")/>
        <HostedCard title=tr!("mfa.backup_title") subtitle=tr!("mfa.backup_subtitle") render=move |_: PageContext| {
            view! {
                <PageError/>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let data = codes.await.unwrap_or_default();
                        if let Some(code) = data.error {
                            return view! { <crate::components::ErrorBanner code/> }.into_any();
                        }
                        let text = data.codes.join("\n");
                        let download = format!("data:text/plain;charset=utf-8,{}", text.replace('\n', "%0A"));
                        view! {
                            <ul class="mb-5 grid grid-cols-2 gap-2 font-mono text-sm" data-testid="backup-codes">
                                {data.codes.into_iter().map(|c| view! { <li class="rounded-md bg-slate-100 px-3 py-1.5 text-center tracking-wider dark:bg-slate-800">{c}</li> }).collect_view()}
                            </ul>
                            <p class="mb-5 text-center text-sm"><a href=download download="backup-codes.txt" class="font-medium text-[var(--brand)] hover:underline dark:text-[var(--brand-dark)]">{tr!("mfa.download")}</a></p>
                            <PostForm action="/mfa/backup-codes">
                                <SubmitButton label=tr!("mfa.saved")/>
                            </PostForm>
                        }
                        .into_any()
                    })}
                </Suspense>
            }
        }/>
    }
}
