//! Static files: the hashed-name-free WASM/JS/CSS bundle under `/pkg` and the public assets
//! at the site root.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos::config::LeptosOptions;
use tower::ServiceExt;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// `/pkg/*`: file names do not change between releases, so browsers revalidate every use
/// (`no-cache` + `Last-Modified` → a cheap 304) instead of running stale code.
pub fn bundle(options: &LeptosOptions) -> Router {
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    Router::new()
        .fallback_service(ServeDir::new(dir))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
}

/// Anything no route claimed: a public asset (favicon, images; cached for a day) if one
/// exists, otherwise the app's own 404 page.
pub async fn public_or_not_found(State(options): State<LeptosOptions>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let probe = Request::from_parts(parts.clone(), Body::empty());
    let served = ServeDir::new(options.site_root.as_ref())
        .oneshot(probe)
        .await
        .map(IntoResponse::into_response);
    match served {
        Ok(mut response) if response.status().is_success() || response.status().as_u16() == 304 => {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
            response
        }
        _ => {
            let render = leptos_axum::render_app_to_stream({
                let options = options.clone();
                move || app::shell(options.clone())
            });
            render(Request::from_parts(parts, body)).await.into_response()
        }
    }
}
