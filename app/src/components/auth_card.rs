use leptos::prelude::*;

use crate::components::PageError;
use crate::context::{load_page_context, PageContext};
use crate::tr;

/// The centred, branded card every hosted sign-in page sits in.
#[component]
pub fn AuthCard(
    title: String,
    #[prop(optional)] subtitle: Option<String>,
    #[prop(optional)] logo: Option<(Option<String>, Option<String>)>,
    children: Children,
) -> impl IntoView {
    let (light, dark) = logo.unwrap_or_default();
    let brand = match (light, dark) {
        (None, None) => view! { <BrandMark/><span class="text-xl font-semibold tracking-tight">"Vestibule"</span> }.into_any(),
        (light, dark) => {
            let dark = dark.or_else(|| light.clone());
            view! {
                <img src=light.clone().or_else(|| dark.clone()) alt="" class="h-10 max-w-48 object-contain dark:hidden" data-testid="brand-logo"/>
                <img src=dark alt="" class="hidden h-10 max-w-48 object-contain dark:block"/>
            }
            .into_any()
        }
    };
    view! {
        <main class="flex min-h-screen flex-col items-center justify-center px-4 py-10 sm:px-6">
            <div class="w-full max-w-md">
                <div class="mb-8 flex items-center justify-center gap-3">{brand}</div>
                <section class="rounded-2xl border border-slate-200 bg-white p-6 shadow-xl shadow-slate-200/60 sm:p-8 dark:border-slate-800 dark:bg-slate-900 dark:shadow-none">
                    <h1 class="text-2xl font-semibold tracking-tight">{title}</h1>
                    {subtitle.filter(|s| !s.is_empty()).map(|s| view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{s}</p> })}
                    <div class="mt-6">{children()}</div>
                </section>
                <p class="mt-6 text-center text-xs text-slate-500 dark:text-slate-500">{tr!("brand.powered_by")}</p>
            </div>
        </main>
    }
}

/// A hosted page: loads the sign-in experience, applies its branding and renders the card
/// with `render`'s content.
#[component]
pub fn HostedCard<F, V>(title: String, #[prop(optional)] subtitle: Option<String>, render: F) -> impl IntoView
where
    F: Fn(PageContext) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let context = OnceResource::new(load_page_context());
    let render = StoredValue::new(render);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let (title, subtitle) = (title.clone(), subtitle.clone());
                Suspend::new(async move {
                    let context = context.await.unwrap_or_default();
                    let logo = (context.logo_url.clone(), context.dark_logo_url.clone());
                    let css = context.brand_css();
                    if !context.in_interaction {
                        // Opened directly, outside a sign-in: every form here would fail.
                        return view! {
                            <style inner_html=css></style>
                            <AuthCard title=tr!("start_from_app.title") logo><StartFromAnApp context/></AuthCard>
                        }
                        .into_any();
                    }
                    let content = render.with_value(|render| render(context));
                    view! {
                        <style inner_html=css></style>
                        <AuthCard title subtitle=subtitle.unwrap_or_default() logo>{content}</AuthCard>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

/// What a hosted page says to someone who opened it directly: sign-in starts from an
/// application; here is one to try, and how to connect your own.
#[component]
fn StartFromAnApp(context: PageContext) -> impl IntoView {
    let issuer = context.issuer.clone();
    view! {
        <div data-testid="start-from-app">
            // A form posted after its sign-in expired comes back here with the reason.
            <PageError/>
            <p class="text-sm text-slate-600 dark:text-slate-400">{tr!("start_from_app.body")}</p>
            {context.demo_app.then(|| view! {
                <a href="/demo-app" rel="external" data-testid="try-demo-app"
                    class="mt-6 inline-flex w-full justify-center rounded-lg bg-[var(--brand)] px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:opacity-90 focus:outline-none focus-visible:ring-2 focus-visible:ring-offset-2 dark:bg-[var(--brand-dark)] dark:text-slate-950">
                    {tr!("start_from_app.try_demo")}
                </a>
            })}
            <h2 class="mt-8 text-sm font-semibold">{tr!("start_from_app.developers")}</h2>
            <dl class="mt-2 text-sm">
                <dt class="text-slate-500 dark:text-slate-400">{tr!("start_from_app.issuer")}</dt>
                <dd class="mt-1 break-all rounded-lg bg-slate-100 px-3 py-2 font-mono text-xs dark:bg-slate-800" data-testid="issuer">{issuer}</dd>
            </dl>
            <p class="mt-4 text-sm text-slate-600 dark:text-slate-400">{tr!("start_from_app.register")}</p>
            <pre class="mt-2 overflow-x-auto rounded-lg bg-slate-100 px-3 py-2 font-mono text-xs dark:bg-slate-800">"vestibule app create --type traditional --name \"My app\" --redirect-uri https://my-app.example/callback"</pre>
        </div>
    }
}

#[component]
fn BrandMark() -> impl IntoView {
    view! {
        <svg class="h-10 w-10" viewBox="0 0 40 40" aria-hidden="true">
            <rect width="40" height="40" rx="10" class="fill-[var(--brand)] dark:fill-[var(--brand-dark)]"/>
            <path d="M11 12 L20 29 L29 12" fill="none" stroke="white" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/>
        </svg>
    }
}
