//! Delete the account: a link to the operator's own process (`deleteAccountUrl`, as in
//! Logto), or — when the operator allows it — deletion right here, after confirming it's you
//! and ticking an explicit confirmation. Everything the account owns goes with it.

use leptos::prelude::*;

use super::{AccountData, ActionError, Section, VerifyFirst};
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "account/delete")]
pub async fn delete_account(confirm: Option<String>) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    if confirm.as_deref() != Some("yes") {
        return Err(ServerFnError::new("account.confirmation_required"));
    }
    identity::account::delete_account(&provider, &caller, super::engine::proof().as_deref()).await.map_err(super::engine::refused)?;
    super::engine::set_cookie(&provider, super::engine::PROOF_COOKIE, "", 0);
    leptos_axum::redirect("/account/deleted");
    Ok(())
}

#[component]
pub fn DeleteSection(data: AccountData) -> impl IntoView {
    let delete = ServerAction::<DeleteAccount>::new();
    let content = if data.self_service_deletion {
        if data.verified {
            view! {
                <ActionError action=delete/>
                <ActionForm action=delete attr:class="space-y-4" attr:data-testid="delete-form">
                    <label class="flex items-start gap-3 text-sm text-slate-700 dark:text-slate-300">
                        <input type="checkbox" name="confirm" value="yes" required class="mt-0.5 h-4 w-4 rounded border-slate-300 accent-red-600" data-testid="delete-confirm"/>
                        <span>{tr!("account.delete.confirm")}</span>
                    </label>
                    <button type="submit" class="rounded-lg bg-red-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-red-700">{tr!("account.delete.button")}</button>
                </ActionForm>
            }
            .into_any()
        } else {
            view! { <VerifyFirst/> }.into_any()
        }
    } else if let Some(url) = data.delete_account_url.clone() {
        view! { <a href=url class="text-sm font-medium text-red-700 hover:underline dark:text-red-300" data-testid="delete-link">{tr!("account.delete.link")}</a> }.into_any()
    } else {
        return ().into_any();
    };
    view! {
        <Section id="delete" title=tr!("account.delete.title") description=tr!("account.delete.description")>
            {content}
        </Section>
    }
    .into_any()
}
