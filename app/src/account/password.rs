//! Password: change it after confirming it's you, or set a first one.

use leptos::prelude::*;

use super::{AccountData, ActionError, Section, VerifyFirst, BUTTON};
use crate::components::PasswordField;
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "account/password")]
pub async fn change_password(password: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    identity::account::set_password(&provider, &caller, super::engine::proof().as_deref(), &password).await.map_err(super::engine::refused)?;
    super::engine::done("password");
    Ok(())
}

#[component]
pub fn PasswordSection(data: AccountData) -> impl IntoView {
    let save = ServerAction::<ChangePassword>::new();
    if !data.switches.password.editable() {
        return ().into_any();
    }
    // A first password needs no proof when the account has nothing else to prove it with.
    let needs_proof = data.has_password || data.email.is_some() || data.phone.is_some();
    let (title, label) = if data.has_password {
        (tr!("account.password.title"), tr!("account.password.new"))
    } else {
        (tr!("account.password.set_title"), tr!("account.password.first"))
    };
    view! {
        <Section id="password" title description=tr!("account.password.description")>
            {if needs_proof && !data.verified {
                view! { <VerifyFirst/> }.into_any()
            } else {
                view! {
                    <ActionError action=save/>
                    <ActionForm action=save attr:class="space-y-4" attr:data-testid="password-form">
                        // A div, so the form spaces it (an island is an inline element).
                        <div><PasswordField name="password" label autocomplete="new-password" min_length=data.password_min_length/></div>
                        <button type="submit" class=BUTTON>{tr!("account.password.save")}</button>
                    </ActionForm>
                }
                .into_any()
            }}
        </Section>
    }
    .into_any()
}
