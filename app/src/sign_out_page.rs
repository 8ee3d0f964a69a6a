//! The confirmation page of RP-initiated logout (Logto's "Sign Out" page): a form that posts
//! the single-use xsrf token to `/oidc/session/end/confirm`. Where scripts run it submits
//! itself (the script carries this response's CSP nonce); without them the person presses
//! the button. Rendered on the server, no hydration.

use crate::error_page::{escape, page};
use crate::i18n::Locale;

pub fn render(xsrf: &str, nonce: &str, locale: Locale) -> String {
    let t = |key: &str| rust_i18n::t!(key, locale = locale.tag()).into_owned();
    let inner = format!(
        r#"<h1 class="text-2xl font-semibold tracking-tight">{title}</h1><p class="mt-3 text-sm text-slate-600 dark:text-slate-400">{body}</p><form id="op.logoutForm" method="post" action="/oidc/session/end/confirm" class="mt-6"><input type="hidden" name="xsrf" value="{xsrf}"><input type="hidden" name="logout" value="yes"><button type="submit" data-testid="confirm-sign-out" class="w-full rounded-lg bg-indigo-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2">{button}</button></form>"#,
        title = escape(&t("sign_out.title")),
        body = escape(&t("sign_out.body")),
        button = escape(&t("sign_out.button")),
        xsrf = escape(xsrf),
    );
    let script = format!(r#"<script nonce="{}">document.forms[0].submit();</script>"#, escape(nonce));
    page(locale, &t("sign_out.title"), "", &inner, &script)
}
