//! "New organization", when the operator allows it: its creator becomes its admin.

use leptos::prelude::*;

use crate::account::{ActionError, Field, Section, BUTTON};
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "console/create")]
pub async fn create_organization(name: String) -> Result<(), ServerFnError> {
    let (provider, user) = super::engine::signed_in().await?;
    let organization = identity::console::create_organization(&provider.store, provider.clock.as_ref(), &user, &name).await.map_err(super::engine::refused)?;
    super::engine::done(&organization.id, "created");
    Ok(())
}

#[component]
pub fn CreateSection() -> impl IntoView {
    let create = ServerAction::<CreateOrganization>::new();
    view! {
        <Section id="create" title=tr!("console.create.title") description=tr!("console.create.description")>
            <ActionError action=create/>
            <ActionForm action=create attr:class="flex flex-col gap-3 sm:flex-row sm:items-end" attr:data-testid="create-form">
                <div class="flex-1"><Field name="name" label=tr!("console.create.name") required=true form="create"/></div>
                <button type="submit" class=BUTTON>{tr!("console.create.submit")}</button>
            </ActionForm>
        </Section>
    }
}
