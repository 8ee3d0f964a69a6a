//! Two-step verification: the authenticator app (bind with a code from the app, remove),
//! backup codes (see ten new ones once, save them, see how many remain) and the factors
//! bound elsewhere (passkeys), each removable after confirming it's you.

use leptos::prelude::*;

use super::{AccountData, ActionError, Factor, Field, Section, VerifyFirst, BUTTON, DANGER_BUTTON, QUIET_BUTTON};
use crate::components::{Ceremony, PasskeyForm};
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "account/totp")]
pub async fn bind_totp(secret: String, code: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    identity::account::mfa::bind_totp(&provider, &caller, super::engine::proof().as_deref(), &secret, Some(code.trim())).await.map_err(super::engine::refused)?;
    super::engine::done("mfa");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/backup-codes")]
pub async fn save_backup_codes(codes: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let codes: Vec<String> = codes.split_whitespace().map(str::to_owned).collect();
    identity::account::mfa::regenerate_backup_codes(&provider, &caller, super::engine::proof().as_deref(), &codes).await.map_err(super::engine::refused)?;
    super::engine::done("mfa");
    Ok(())
}

/// The browser's answer to the registration started with the page (posted by the passkey
/// button's script): checked, then bound at once under the live proof.
#[server(prefix = "/_vestibule", endpoint = "account/passkey")]
pub async fn add_passkey(verification_id: String, credential: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let payload: serde_json::Value = serde_json::from_str(&credential).map_err(|_| ServerFnError::new("guard.invalid_input"))?;
    let agent = crate::context::request_header("user-agent").unwrap_or_default();
    let refused = super::engine::refused;
    let record = identity::account::passkeys::verify_registration(&provider, &caller, &verification_id, &payload, &agent).await.map_err(refused)?;
    identity::account::passkeys::bind(&provider, &caller, super::engine::proof().as_deref(), &record.verification_record_id, None).await.map_err(refused)?;
    super::engine::done("mfa");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/rename-passkey")]
pub async fn rename_passkey(id: String, name: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    identity::account::passkeys::rename(&provider, &caller, super::engine::proof().as_deref(), &id, &name).await.map_err(super::engine::refused)?;
    super::engine::done("mfa");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/remove-factor")]
pub async fn remove_factor(id: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    identity::account::mfa::remove(&provider, &caller, super::engine::proof().as_deref(), &id).await.map_err(super::engine::refused)?;
    super::engine::done("mfa");
    Ok(())
}

fn factor_name(factor: &Factor) -> String {
    match factor.kind.as_str() {
        "Totp" => tr!("account.mfa.totp"),
        "BackupCode" => tr!("account.mfa.backup_codes"),
        _ => factor.name.clone().unwrap_or_else(|| tr!("account.mfa.passkey")),
    }
}

#[component]
pub fn TwoStepSection(data: AccountData) -> impl IntoView {
    let access = data.switches.mfa;
    if !access.visible() {
        return ().into_any();
    }
    let bind = ServerAction::<BindTotp>::new();
    let save = ServerAction::<SaveBackupCodes>::new();
    let remove = ServerAction::<RemoveFactor>::new();
    let add_passkey = ServerAction::<AddPasskey>::new();
    let rename = ServerAction::<RenamePasskey>::new();
    let editable = access.editable() && data.verified;
    let has = |kind: &str| data.factors.iter().any(|f| f.kind == kind);
    let rows = data
        .factors
        .iter()
        .map(|factor| {
            let detail = match factor.remaining_codes {
                Some(n) => tr!("account.mfa.codes_left", n = n),
                None => tr!("account.added_on", date = factor.added.clone()),
            };
            let id = factor.id.clone();
            let rename_form = (editable && factor.kind == "WebAuthn").then(|| {
                let (id, current) = (factor.id.clone(), factor.name.clone().unwrap_or_default());
                view! {
                    <ActionForm action=rename attr:class="flex items-end gap-2" attr:data-testid="rename-passkey-form">
                        <input type="hidden" name="id" value=id/>
                        <input name="name" value=current required maxlength="64" aria-label=tr!("account.mfa.passkey_name") class=crate::components::form::INPUT/>
                        <button type="submit" class=QUIET_BUTTON>{tr!("account.mfa.rename")}</button>
                    </ActionForm>
                }
            });
            view! {
                <li class="flex flex-wrap items-center justify-between gap-3 py-3" data-testid=format!("factor-{}", factor.kind)>
                    <div>
                        <p class="font-medium">{factor_name(factor)}</p>
                        <p class="text-xs text-slate-500 dark:text-slate-400">{detail}</p>
                    </div>
                    {rename_form}
                    {editable.then(|| view! {
                        <ActionForm action=remove>
                            <input type="hidden" name="id" value=id/>
                            <button type="submit" class=DANGER_BUTTON>{tr!("account.remove")}</button>
                        </ActionForm>
                    })}
                </li>
            }
        })
        .collect_view();
    let setup = if !access.editable() {
        ().into_any()
    } else if !data.verified {
        view! { <VerifyFirst/> }.into_any()
    } else if let Some((secret, qr)) = data.totp_setup.clone() {
        view! {
            <div class="rounded-xl border border-slate-200 p-4 dark:border-slate-700" data-testid="totp-setup">
                <ol class="mb-4 list-decimal space-y-1 pl-5 text-sm text-slate-600 dark:text-slate-400">
                    <li>{tr!("mfa.step_scan")}</li>
                    <li>{tr!("mfa.step_enter")}</li>
                </ol>
                <div class="mb-4 flex flex-col items-center gap-2">
                    <img src=qr alt=tr!("mfa.qr_alt") class="h-44 w-44 rounded-lg bg-white p-2" data-testid="totp-qr"/>
                    <code class="select-all break-all rounded-md bg-slate-100 px-3 py-1.5 font-mono text-sm tracking-wider dark:bg-slate-800" data-testid="totp-secret">{secret.clone()}</code>
                </div>
                <ActionForm action=bind attr:class="space-y-4" attr:data-testid="totp-form">
                    <input type="hidden" name="secret" value=secret/>
                    <Field name="code" label=tr!("mfa.app_code") autocomplete="one-time-code" inputmode="numeric" required=true form="totp"/>
                    <button type="submit" class=BUTTON>{tr!("mfa.bind")}</button>
                </ActionForm>
            </div>
        }
        .into_any()
    } else if let Some((verification_id, options)) = data.passkey_setup.clone() {
        view! {
            <div class="rounded-xl border border-slate-200 p-4 dark:border-slate-700" data-testid="passkey-setup">
                <p class="mb-3 text-sm text-slate-600 dark:text-slate-400">{tr!("account.mfa.passkey_explained")}</p>
                <PasskeyForm action="/_vestibule/account/passkey" ceremony=Ceremony::Create verification_id options label=tr!("account.mfa.create_passkey")
                    testid="account-passkey" show_button=true autofill=false hidden=vec![]/>
            </div>
        }
        .into_any()
    } else if !data.backup_codes_setup.is_empty() {
        let codes = data.backup_codes_setup.clone();
        view! {
            <div class="rounded-xl border border-slate-200 p-4 dark:border-slate-700" data-testid="backup-codes-setup">
                <p class="mb-3 text-sm text-slate-600 dark:text-slate-400">{tr!("account.mfa.backup_codes_save")}</p>
                <ul class="mb-4 grid grid-cols-2 gap-2 font-mono text-sm" data-testid="backup-codes">
                    {codes.iter().map(|c| view! { <li class="rounded bg-slate-100 px-2 py-1 text-center dark:bg-slate-800">{c.clone()}</li> }).collect_view()}
                </ul>
                <ActionForm action=save>
                    <input type="hidden" name="codes" value=codes.join(" ")/>
                    <button type="submit" class=BUTTON>{tr!("account.mfa.backup_codes_saved")}</button>
                </ActionForm>
            </div>
        }
        .into_any()
    } else {
        let add_totp = (data.totp_offered && !has("Totp")).then(|| view! { <a href="/account?setup=totp#mfa" class=QUIET_BUTTON data-testid="add-totp">{tr!("account.mfa.add_totp")}</a> });
        // Backup codes stand beside another factor.
        let other_factor = data.factors.iter().any(|f| f.kind != "BackupCode");
        let codes_label = if has("BackupCode") { tr!("account.mfa.new_backup_codes") } else { tr!("account.mfa.add_backup_codes") };
        let add_codes = (data.backup_codes_offered && other_factor).then(|| view! { <a href="/account?setup=backup-codes#mfa" class=QUIET_BUTTON data-testid="add-backup-codes">{codes_label}</a> });
        let add_passkey = data.passkeys_offered.then(|| view! { <a href="/account?setup=passkey#mfa" class=QUIET_BUTTON data-testid="add-passkey">{tr!("account.mfa.add_passkey")}</a> });
        view! { <div class="flex flex-wrap gap-3">{add_totp}{add_passkey}{add_codes}</div> }.into_any()
    };
    let empty = data.factors.is_empty().then(|| view! { <p class="text-sm text-slate-500 dark:text-slate-400">{tr!("account.mfa.none")}</p> });
    view! {
        <Section id="mfa" title=tr!("account.mfa.title") description=tr!("account.mfa.description")>
            <ActionError action=bind/>
            <ActionError action=save/>
            <ActionError action=remove/>
            <ActionError action=add_passkey/>
            <ActionError action=rename/>
            {empty}
            <ul class="divide-y divide-slate-100 dark:divide-slate-800">{rows}</ul>
            {setup}
        </Section>
    }
    .into_any()
}
