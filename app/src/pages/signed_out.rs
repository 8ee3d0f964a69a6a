use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::AuthCard;
use crate::tr;

/// Where `/oidc/session/end` lands when the application named no post-logout address.
#[component]
pub fn SignedOutPage() -> impl IntoView {
    view! {
        <Title text=tr!("signed_out.page_title")/>
        <AuthCard title=tr!("signed_out.title") subtitle=tr!("signed_out.body")>
            <span></span>
        </AuthCard>
    }
}

/// After someone deleted their own account in the account center.
#[component]
pub fn AccountDeletedPage() -> impl IntoView {
    view! {
        <Title text=tr!("account.deleted.page_title")/>
        <AuthCard title=tr!("account.deleted.title") subtitle=tr!("account.deleted.body")>
            <span></span>
        </AuthCard>
    }
}
