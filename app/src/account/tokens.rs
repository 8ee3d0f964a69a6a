//! Personal access tokens: create one (its value is shown once, right after), see when each
//! expires, revoke one. Creating and revoking need a fresh proof.

use leptos::prelude::*;

use super::{AccountData, ActionError, Field, Section, VerifyFirst, BUTTON, DANGER_BUTTON, LABEL};
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "account/create-token")]
pub async fn create_token(name: String, days: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let days = match days.as_str() {
        "never" => None,
        d => Some(d.parse::<u32>().map_err(|_| ServerFnError::new("guard.invalid_input"))?),
    };
    let (_, value) = identity::account::tokens::create(&provider, &caller, super::engine::proof().as_deref(), &name, days).await.map_err(super::engine::refused)?;
    // Shown on the next page only (the cookie is read once, then removed).
    super::engine::set_cookie(&provider, super::engine::NEW_TOKEN_COOKIE, &value, 120);
    super::engine::done("tokens");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/revoke-token")]
pub async fn revoke_token(name: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    identity::account::tokens::revoke(&provider, &caller, super::engine::proof().as_deref(), &name).await.map_err(super::engine::refused)?;
    super::engine::done("tokens");
    Ok(())
}

#[component]
pub fn TokensSection(data: AccountData) -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let fresh = data.new_token.clone().map(|token| view! {
        <div class="rounded-xl border border-emerald-200 bg-emerald-50 p-4 text-sm dark:border-emerald-900/60 dark:bg-emerald-950/40">
            <p class="mb-2 font-medium text-emerald-900 dark:text-emerald-200">{tr!("account.tokens.copy_now")}</p>
            <code class="block select-all break-all rounded-md bg-white px-3 py-2 font-mono text-sm dark:bg-slate-900" data-testid="new-token">{token}</code>
        </div>
    });
    let rows = data
        .tokens
        .iter()
        .map(|token| {
            let expiry = token.expires.clone().map(|date| tr!("account.tokens.expires", date = date)).unwrap_or_else(|| tr!("account.tokens.never_expires"));
            let name = token.name.clone();
            view! {
                <li class="flex flex-wrap items-center justify-between gap-3 py-3" data-testid="token">
                    <div>
                        <p class="font-medium">{token.name.clone()}</p>
                        <p class="text-xs text-slate-500 dark:text-slate-400">{tr!("account.added_on", date = token.created.clone())}" · "{expiry}</p>
                    </div>
                    {data.verified.then(|| view! {
                        <ActionForm action=revoke>
                            <input type="hidden" name="name" value=name/>
                            <button type="submit" class=DANGER_BUTTON>{tr!("account.tokens.revoke")}</button>
                        </ActionForm>
                    })}
                </li>
            }
        })
        .collect_view();
    let form = if data.verified {
        view! {
            <ActionForm action=create attr:class="flex flex-wrap items-end gap-3" attr:data-testid="token-form">
                <div class="min-w-48 flex-1"><Field name="name" label=tr!("account.tokens.name") required=true form="token"/></div>
                <div>
                    <label for="token-days" class=LABEL>{tr!("account.tokens.lifetime")}</label>
                    <select id="token-days" name="days" class=crate::components::form::INPUT>
                        <option value="30">{tr!("account.tokens.days", n = 30)}</option>
                        <option value="90">{tr!("account.tokens.days", n = 90)}</option>
                        <option value="365">{tr!("account.tokens.days", n = 365)}</option>
                        <option value="never">{tr!("account.tokens.never")}</option>
                    </select>
                </div>
                <button type="submit" class=BUTTON>{tr!("account.tokens.create")}</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <VerifyFirst/> }.into_any()
    };
    view! {
        <Section id="tokens" title=tr!("account.tokens.title") description=tr!("account.tokens.description")>
            <ActionError action=create/>
            <ActionError action=revoke/>
            {fresh}
            <ul class="divide-y divide-slate-100 dark:divide-slate-800">{rows}</ul>
            {form}
        </Section>
    }
}
