//! "Confirm it's you": before a sensitive change, the person proves again who they are, with
//! their password or a code sent to their own email address (the Account API's verification
//! records, spec §12). The record's id is kept in an HttpOnly cookie for its 10 minutes.

use leptos::prelude::*;

use super::{ActionError, AccountData, Field, Section, BUTTON, QUIET_BUTTON};
use crate::components::form::query_param;
use crate::components::PasswordField;
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "account/verify-password")]
pub async fn verify_with_password(password: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let record = identity::account::verification::verify_password(&provider, &caller, &password).await.map_err(super::engine::refused)?;
    super::engine::remember_proof(&provider, &record.verification_record_id);
    super::engine::done("verify");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/send-proof-code")]
pub async fn send_proof_code() -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let email = caller.user.primary_email.clone().ok_or_else(|| ServerFnError::new("user.email_not_exist"))?;
    let locale = crate::i18n::Locale::detect().tag();
    let record = identity::account::verification::send_code(&provider, &caller, identity::sign_in_experience::IdentifierKind::Email, &email, Some(locale)).await.map_err(super::engine::refused)?;
    super::engine::step(&[("verify", "code"), ("record", &record.verification_record_id)], "verify");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/verify-proof-code")]
pub async fn verify_proof_code(record: String, code: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let email = caller.user.primary_email.clone().unwrap_or_default();
    let id = identity::account::verification::verify_code(&provider, &caller, identity::sign_in_experience::IdentifierKind::Email, &email, &record, &code).await.map_err(super::engine::refused)?;
    super::engine::remember_proof(&provider, &id);
    super::engine::done("verify");
    Ok(())
}

#[component]
pub fn VerifySection(data: AccountData) -> impl IntoView {
    let by_password = ServerAction::<VerifyWithPassword>::new();
    let send_code = ServerAction::<SendProofCode>::new();
    let by_code = ServerAction::<VerifyProofCode>::new();
    if data.verified {
        return view! {
            <div id="verify" data-testid="verified" class="flex items-center gap-3 rounded-xl border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900 dark:border-emerald-900/60 dark:bg-emerald-950/40 dark:text-emerald-200">
                <span aria-hidden="true">"✓"</span><span>{tr!("account.verify.verified")}</span>
            </div>
        }
        .into_any();
    }
    let code_record = query_param("record").filter(|_| query_param("verify").as_deref() == Some("code"));
    let email = data.email.clone();
    let code_step = code_record.map(|record| {
        view! {
            <ActionForm action=by_code attr:class="space-y-4" attr:data-testid="verify-code-form">
                <p class="text-sm text-slate-600 dark:text-slate-400">{tr!("account.verify.code_sent", to = email.clone().unwrap_or_default())}</p>
                <input type="hidden" name="record" value=record/>
                <Field name="code" label=tr!("account.verify.code") autocomplete="one-time-code" inputmode="numeric" required=true form="verify"/>
                <button type="submit" class=BUTTON>{tr!("account.verify.confirm")}</button>
            </ActionForm>
        }
    });
    view! {
        <Section id="verify" title=tr!("account.verify.title") description=tr!("account.verify.description")>
            <ActionError action=by_password/>
            <ActionError action=send_code/>
            <ActionError action=by_code/>
            {code_step}
            {data.has_password.then(|| view! {
                <ActionForm action=by_password attr:class="space-y-4" attr:data-testid="verify-password-form">
                    // A div, so the form spaces it (an island is an inline element).
                    <div><PasswordField name="password" label=tr!("account.verify.password") autocomplete="current-password"/></div>
                    <button type="submit" class=BUTTON>{tr!("account.verify.confirm")}</button>
                </ActionForm>
            })}
            {data.email.is_some().then(|| view! {
                <ActionForm action=send_code attr:data-testid="verify-send-code-form">
                    <button type="submit" class=QUIET_BUTTON>{tr!("account.verify.email_me")}</button>
                </ActionForm>
            })}
        </Section>
    }
    .into_any()
}
