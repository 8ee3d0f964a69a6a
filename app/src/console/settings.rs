//! The organization's settings: name, description, whether its members need two-step
//! verification for its tokens, and the email domains whose people join when they register.

use leptos::prelude::*;

use super::Managed;
use crate::account::{ActionError, Field, Section, BUTTON, LABEL};
use crate::components::form::INPUT;
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "console/settings")]
pub async fn save_settings(organization: String, name: String, description: Option<String>, mfa_required: Option<String>, domains: Option<String>) -> Result<(), ServerFnError> {
    let (provider, admin) = super::engine::admin(&organization).await?;
    let change = identity::console::SettingsChange {
        name,
        description: description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()),
        is_mfa_required: mfa_required.is_some(),
        jit_email_domains: domains.unwrap_or_default().split([',', '\n', ' ']).map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned).collect(),
    };
    identity::console::update_organization(&provider.store, provider.clock.as_ref(), &admin, change).await.map_err(super::engine::refused)?;
    super::engine::done(&organization, "settings");
    Ok(())
}

#[component]
pub fn SettingsSection(managed: Managed) -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    view! {
        <Section id="settings" title=tr!("console.settings.title")>
            <ActionError action=save/>
            <ActionForm action=save attr:class="space-y-4" attr:data-testid="settings-form">
                <input type="hidden" name="organization" value=managed.id/>
                <Field name="name" label=tr!("console.settings.name") value=managed.name required=true form="settings"/>
                <Field name="description" label=tr!("console.settings.description") value=managed.description.unwrap_or_default() form="settings"/>
                <label class="flex items-start gap-2 text-sm">
                    <input type="checkbox" name="mfa_required" value="on" checked=managed.mfa_required class="mt-0.5 h-4 w-4 rounded border-slate-300 accent-[var(--brand)]"/>
                    <span>{tr!("console.settings.mfa_required")}</span>
                </label>
                <div>
                    <label for="settings-domains" class=LABEL>{tr!("console.settings.domains")}</label>
                    <textarea id="settings-domains" name="domains" rows="2" class=INPUT maxlength="4096" placeholder="example.com">{managed.jit_email_domains.join("\n")}</textarea>
                    <p class="mt-1 text-xs text-slate-500">{tr!("console.settings.domains_help")}</p>
                </div>
                <button type="submit" class=BUTTON>{tr!("account.save")}</button>
            </ActionForm>
        </Section>
    }
}
