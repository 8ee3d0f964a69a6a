use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::AuthCard;
use crate::tr;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text=tr!("not_found.page_title")/>
        <AuthCard title=tr!("not_found.title") subtitle=tr!("not_found.body")>
            <a href="/sign-in" class="font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400">{tr!("not_found.back")}</a>
        </AuthCard>
    }
}
