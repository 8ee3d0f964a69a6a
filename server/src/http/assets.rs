//! Static files: the WASM/JS/CSS bundle under `/pkg/<build>/` and the public assets at the
//! site root.
//!
//! The bundle's URLs name its build (a digest of its files, taken at start), so browsers and
//! CDNs keep each file for a year without asking again (`immutable`), and a new release is a
//! new URL. The bundle is compressed once, in the background after start (brotli at its
//! highest level, gzip at its best), and served from memory; until then, and for clients that
//! take neither, responses are compressed on the fly or sent as they are.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::ServeDir;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The built bundle of this release: where it is, its build id, and its compressed forms
/// once they are ready.
#[derive(Clone)]
pub struct Bundle {
    dir: PathBuf,
    pub build: Arc<str>,
    compressed: Arc<OnceLock<HashMap<String, Encoded>>>,
}

struct Encoded {
    brotli: Vec<u8>,
    gzip: Vec<u8>,
}

impl Bundle {
    /// Reads `<site_root>/pkg` and names the build after its content. A missing directory is
    /// an empty bundle (the API still serves; pages come without styles or hydration).
    pub fn load(site_root: &Path) -> Self {
        let dir = site_root.join("pkg");
        let mut digest = Sha256::new();
        for (name, bytes) in files(&dir) {
            digest.update(name.as_bytes());
            digest.update((bytes.len() as u64).to_le_bytes());
            digest.update(&bytes);
        }
        let build: String = digest.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
        Self { dir, build: build.into(), compressed: Arc::new(OnceLock::new()) }
    }

    /// Compresses every file of the bundle on the blocking pool (a few seconds for the WASM
    /// at brotli's level 11), then serves them from memory.
    pub fn compress_in_background(&self) {
        let bundle = self.clone();
        tokio::task::spawn_blocking(move || {
            let encoded = files(&bundle.dir)
                .into_iter()
                .filter(|(name, _)| compressible(name))
                .map(|(name, bytes)| (name, Encoded { brotli: brotli(&bytes), gzip: gzip(&bytes) }))
                .collect();
            let _ = bundle.compressed.set(encoded);
        });
    }

    /// The path prefix pages load the bundle from (`pkg/<build>`).
    pub fn pkg_dir(&self) -> String {
        format!("pkg/{}", self.build)
    }

    /// The compressed form of `name` the client accepts, brotli first.
    fn encoded(&self, name: &str, accepted: &HeaderMap) -> Option<(&'static str, Vec<u8>)> {
        let encoded = self.compressed.get()?.get(name)?;
        let accepts = |coding: &str| {
            accepted.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
                let mut parts = item.split(';').map(str::trim);
                parts.next() == Some(coding) && !parts.any(|p| p.replace(' ', "") == "q=0")
            })
        };
        if accepts("br") {
            Some(("br", encoded.brotli.clone()))
        } else if accepts("gzip") {
            Some(("gzip", encoded.gzip.clone()))
        } else {
            None
        }
    }
}

/// Every file under `dir`, by its path relative to it (`/`-separated), in name order.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let (Ok(bytes), Ok(relative)) = (std::fs::read(&path), path.strip_prefix(dir)) {
                let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                found.push((name, bytes));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn compressible(name: &str) -> bool {
    [".js", ".wasm", ".css", ".json", ".svg", ".map"].iter().any(|ext| name.ends_with(ext))
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    let _ = brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 2), flate2::Compression::best());
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// `/pkg/<build>/<file>`: this build's files for a year; `/pkg/<file>` (and another build's
/// id, as a page from a node still on the previous release asks) revalidate every use.
pub async fn serve_bundle(State(bundle): State<Bundle>, request: Request) -> Response {
    let path = request.uri().path().trim_start_matches("/pkg/").to_owned();
    let (current, name) = match path.split_once('/') {
        Some((build, rest)) if is_build_id(build) => (build == &*bundle.build, rest.to_owned()),
        _ => (false, path),
    };
    let cache = HeaderValue::from_static(if current { IMMUTABLE } else { "no-cache" });
    if current {
        if let Some((coding, bytes)) = bundle.encoded(&name, request.headers()) {
            let mut response = Response::new(Body::from(bytes));
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&name)));
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            headers.insert(header::CACHE_CONTROL, cache);
            return response;
        }
    }
    let (mut parts, body) = request.into_parts();
    parts.uri = match format!("/{name}").parse() {
        Ok(uri) => uri,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    match ServeDir::new(&bundle.dir).oneshot(Request::from_parts(parts, body)).await {
        Ok(response) => {
            let mut response = response.into_response();
            if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
                response.headers_mut().insert(header::CACHE_CONTROL, cache);
            }
            response
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn is_build_id(segment: &str) -> bool {
    segment.len() == 16 && segment.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Anything no route claimed: a public asset (favicon, images; cached for a day) if one
/// exists, otherwise the app's own 404 page.
pub async fn public_or_not_found(State(options): State<LeptosOptions>, request: Request) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/") || path.starts_with("/oidc/") {
        // The API's own 404 (`error::json_rejections` gives it the API's shape).
        return StatusCode::NOT_FOUND.into_response();
    }
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
            let render = leptos_axum::render_app_to_stream_with_context(super::security_headers::apply_page_policy, {
                let options = options.clone();
                move || app::shell(options.clone())
            });
            render(Request::from_parts(parts, body)).await.into_response()
        }
    }
}
