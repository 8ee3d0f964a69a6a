//! Passkeys on the hosted pages. The server starts the WebAuthn ceremony while rendering the
//! page (its id and the browser options travel in the page); the script asks the browser —
//! in a dialog after a click, or through the identifier field's autofill — and posts the
//! answer with a plain form, so the server-side flow is the same as for every other form.
//! Without JavaScript the form says passkeys need it; every other way to sign in still works.

use leptos::prelude::*;

use crate::tr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Ceremony {
    /// `navigator.credentials.create`: a new passkey.
    Create,
    /// `navigator.credentials.get`: use one.
    Get,
}

const BUTTON: &str = "flex w-full items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-sm font-semibold text-slate-800 shadow-sm transition hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-[var(--brand)] disabled:cursor-wait disabled:opacity-60 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800";

/// A form posting the browser's answer to `action`. `autofill` also starts a conditional
/// request so passkeys appear in the autofill of a field marked `autocomplete="… webauthn"`;
/// `show_button` false keeps only that.
#[allow(unused_variables)]
#[island]
pub fn PasskeyForm(
    #[prop(into)] action: String,
    ceremony: Ceremony,
    verification_id: String,
    options: String,
    label: String,
    #[prop(into)] testid: String,
    show_button: bool,
    autofill: bool,
    hidden: Vec<(String, String)>,
) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    let answer = NodeRef::<leptos::html::Input>::new();
    let agree = NodeRef::<leptos::html::Input>::new();
    let (error, set_error) = signal(None::<String>);
    let (busy, set_busy) = signal(false);
    // Disabled until the script runs (effects run only in the browser): a click before that
    // would do nothing, and without JavaScript it never could.
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    let messages = Messages { cancelled: tr!("passkey.cancelled"), unsupported: tr!("passkey.unsupported"), failed: tr!("passkey.failed") };

    #[cfg(feature = "hydrate")]
    let post = move |json: String| browser::post(form, answer, agree, json);

    #[cfg(feature = "hydrate")]
    if autofill {
        let options = options.clone();
        Effect::new(move |_| {
            let options = options.clone();
            leptos::task::spawn_local(async move {
                // Autofill waits silently; a failure just means no passkey was picked.
                if let Ok(json) = browser::ceremony(Ceremony::Get, &options, true).await {
                    post(json);
                }
            });
        });
    }

    let on_click = {
        let options = options.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            {
                let options = options.clone();
                let messages = messages.clone();
                set_busy.set(true);
                set_error.set(None);
                leptos::task::spawn_local(async move {
                    match browser::ceremony(ceremony, &options, false).await {
                        Ok(json) => post(json),
                        Err(failure) => {
                            set_error.set(Some(messages.explain(failure)));
                            set_busy.set(false);
                        }
                    }
                });
            }
        }
    };

    view! {
        <form method="post" action=action node_ref=form data-testid=testid class=if show_button { "" } else { "hidden" }>
            <input type="hidden" name="verification_id" value=verification_id/>
            <input type="hidden" name="credential" node_ref=answer/>
            // Enabled by the script when the page's terms checkbox is ticked.
            <input type="hidden" name="agree" value="on" disabled node_ref=agree/>
            {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
            <button type="button" class=BUTTON disabled=move || busy.get() || !ready.get() on:click=on_click data-testid=format!("{testid}-button")>
                <svg aria-hidden="true" viewBox="0 0 24 24" class="h-5 w-5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
                    <circle cx="9" cy="8" r="4"/>
                    <path d="M3 20c0-3.3 2.7-6 6-6 1.2 0 2.3.3 3.2.9"/>
                    <circle cx="18" cy="14" r="2.5"/>
                    <path d="M18 16.5V21l1.5-1.2M18 19h1.5"/>
                </svg>
                {move || if busy.get() { tr!("passkey.working") } else { label.clone() }}
            </button>
            <noscript><p class="mt-2 text-center text-xs text-slate-500 dark:text-slate-400">{tr!("passkey.needs_javascript")}</p></noscript>
            {move || error.get().map(|text| view! {
                <p role="alert" class="mt-2 text-center text-sm text-red-600 dark:text-red-400" data-testid="passkey-error">{text}</p>
            })}
        </form>
    }
}

#[derive(Clone)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Messages {
    cancelled: String,
    unsupported: String,
    failed: String,
}

impl Messages {
    #[cfg(feature = "hydrate")]
    fn explain(&self, failure: browser::Failure) -> String {
        match failure {
            browser::Failure::Cancelled => self.cancelled.clone(),
            browser::Failure::Unsupported => self.unsupported.clone(),
            browser::Failure::Failed => self.failed.clone(),
        }
    }
}

/// The browser's WebAuthn API through `PublicKeyCredential.parse…OptionsFromJSON` and
/// `toJSON()`, which carry the server's JSON options and answers unchanged.
#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;

    use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::Ceremony;

    #[derive(Debug, Clone, Copy)]
    pub enum Failure {
        /// The person cancelled, or the request timed out or was replaced.
        Cancelled,
        Unsupported,
        Failed,
    }

    thread_local! {
        /// The pending autofill request, aborted when the button starts a dialog (a page
        /// may have one WebAuthn request at a time).
        static PENDING: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    }

    fn get(target: &JsValue, name: &str) -> Result<JsValue, Failure> {
        Reflect::get(target, &JsValue::from_str(name)).map_err(|_| Failure::Unsupported)
    }

    fn function(target: &JsValue, name: &str) -> Result<Function, Failure> {
        get(target, name)?.dyn_into::<Function>().map_err(|_| Failure::Unsupported)
    }

    fn abort_pending() {
        if let Some(controller) = PENDING.with(|p| p.borrow_mut().take()) {
            if let Ok(abort) = function(&controller, "abort") {
                let _ = abort.call0(&controller);
            }
        }
    }

    pub async fn ceremony(kind: Ceremony, options: &str, conditional: bool) -> Result<String, Failure> {
        abort_pending();
        let window: JsValue = web_sys::window().ok_or(Failure::Unsupported)?.into();
        let credential_class = get(&window, "PublicKeyCredential")?;
        if credential_class.is_undefined() {
            return Err(Failure::Unsupported);
        }
        if conditional {
            let available = function(&credential_class, "isConditionalMediationAvailable")?.call0(&credential_class).map_err(|_| Failure::Unsupported)?;
            let available = JsFuture::from(available.dyn_into::<Promise>().map_err(|_| Failure::Unsupported)?).await.map_err(|_| Failure::Unsupported)?;
            if available.as_bool() != Some(true) {
                return Err(Failure::Unsupported);
            }
        }
        let parser = match kind {
            Ceremony::Create => "parseCreationOptionsFromJSON",
            Ceremony::Get => "parseRequestOptionsFromJSON",
        };
        let json = JSON::parse(options).map_err(|_| Failure::Failed)?;
        let public_key = function(&credential_class, parser)?.call1(&credential_class, &json).map_err(|_| Failure::Failed)?;
        let request = Object::new();
        let set = |name: &str, value: &JsValue| Reflect::set(&request, &JsValue::from_str(name), value).map_err(|_| Failure::Failed);
        set("publicKey", &public_key)?;
        if conditional {
            let controller = Reflect::construct(&function(&window, "AbortController")?, &Array::new()).map_err(|_| Failure::Unsupported)?;
            set("mediation", &JsValue::from_str("conditional"))?;
            set("signal", &get(&controller, "signal")?)?;
            PENDING.with(|p| *p.borrow_mut() = Some(controller));
        }
        let credentials = get(&get(&window, "navigator")?, "credentials")?;
        let method = match kind {
            Ceremony::Create => "create",
            Ceremony::Get => "get",
        };
        let promise = function(&credentials, method)?.call1(&credentials, &request).map_err(classify)?;
        let credential = JsFuture::from(promise.dyn_into::<Promise>().map_err(|_| Failure::Failed)?).await.map_err(classify)?;
        let answer = function(&credential, "toJSON")?.call0(&credential).map_err(|_| Failure::Failed)?;
        JSON::stringify(&answer).map(String::from).map_err(|_| Failure::Failed)
    }

    fn classify(error: JsValue) -> Failure {
        match get(&error, "name").ok().and_then(|n| n.as_string()).as_deref() {
            Some("NotAllowedError" | "AbortError") => Failure::Cancelled,
            Some("NotSupportedError") => Failure::Unsupported,
            _ => Failure::Failed,
        }
    }

    /// Puts the answer in the form (with the page's terms checkbox, if ticked) and posts it.
    pub fn post(form: NodeRef<leptos::html::Form>, answer: NodeRef<leptos::html::Input>, agree: NodeRef<leptos::html::Input>, json: String) {
        let (Some(form), Some(answer)) = (form.get_untracked(), answer.get_untracked()) else { return };
        answer.set_value(&json);
        let ticked = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("input[type=checkbox][name=agree]:checked").ok().flatten())
            .is_some();
        if let Some(agree) = agree.get_untracked() {
            agree.set_disabled(!ticked);
        }
        let _ = form.submit();
    }
}
