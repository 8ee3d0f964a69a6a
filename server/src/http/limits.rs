//! Per-client-IP rate limits for the endpoints a guesser or a flood would use: the token
//! endpoint, and the interactive sign-in surface (authorization requests, the Experience API,
//! security verification, the hosted pages' form posts). Each node counts on its own (GCRA,
//! the `governor` crate); the lockouts that must hold across nodes — failures per identifier —
//! live in the database (`identity::sentinel`).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::json;

/// A steady rate and the burst allowed above it; a zero rate turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

pub struct RateLimits {
    token: Option<DefaultKeyedRateLimiter<IpAddr>>,
    interactive: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Reverse proxies in front of this node that append to `X-Forwarded-For`; their entries
    /// are skipped to find the client. Zero: the peer address is the client.
    trusted_proxies: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    Token,
    Interactive,
}

impl RateLimits {
    pub fn new(token: Rate, interactive: Rate, trusted_proxies: usize) -> Arc<Self> {
        let limits = Arc::new(Self { token: limiter(token), interactive: limiter(interactive), trusted_proxies });
        forget_idle_clients(Arc::downgrade(&limits));
        limits
    }

    fn limiter(&self, surface: Surface) -> Option<&DefaultKeyedRateLimiter<IpAddr>> {
        match surface {
            Surface::Token => self.token.as_ref(),
            Surface::Interactive => self.interactive.as_ref(),
        }
    }

    /// The client's address: the peer, or the entry the outermost trusted proxy added.
    fn client_ip(&self, request: &Request) -> Option<IpAddr> {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        if self.trusted_proxies == 0 {
            return peer;
        }
        let forwarded: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        // Each trusted proxy appended the address it saw; the one before theirs is the client.
        let index = forwarded.len().saturating_sub(self.trusted_proxies);
        forwarded.get(index).and_then(|entry| entry.parse().ok()).or(peer)
    }
}

fn limiter(rate: Rate) -> Option<DefaultKeyedRateLimiter<IpAddr>> {
    let per_second = NonZeroU32::new(rate.per_second)?;
    let burst = NonZeroU32::new(rate.burst).unwrap_or(per_second);
    Some(RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)))
}

/// Clients that stopped sending are dropped from the tables every minute, so memory follows
/// the clients of the last minute, not every address ever seen.
fn forget_idle_clients(limits: Weak<RateLimits>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(limits) = limits.upgrade() else { return };
            for limiter in [&limits.token, &limits.interactive].into_iter().flatten() {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    });
}

/// Which limit a request counts against, if any. Reading pages, discovery, keys, userinfo
/// and the Management API (whose callers hold tokens) are not limited here.
fn surface(method: &Method, path: &str) -> Option<Surface> {
    if path == "/oidc/token" {
        return Some(Surface::Token);
    }
    let interactive = path == "/oidc/auth"
        || path.starts_with("/oidc/auth/")
        || path.starts_with("/api/experience")
        || path.starts_with("/api/verifications")
        // The hosted pages' forms post to the page's own path.
        || (*method == Method::POST && !path.starts_with("/api/") && !path.starts_with("/oidc/") && !path.starts_with("/_vestibule/"));
    interactive.then_some(Surface::Interactive)
}

pub async fn rate_limit(State(limits): State<Arc<RateLimits>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let Some(limiter) = surface(request.method(), path).and_then(|surface| limits.limiter(surface)) else {
        return next.run(request).await;
    };
    let Some(client) = limits.client_ip(&request) else {
        return next.run(request).await;
    };
    match limiter.check_key(&client) {
        Ok(()) => next.run(request).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            too_many_requests(path, wait)
        }
    }
}

/// 429 with `Retry-After` (whole seconds, at least one), in the error shape of the surface.
fn too_many_requests(path: &str, wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let message = format!("Too many requests from this address; try again in {seconds} s.");
    let body = if path.starts_with("/oidc/") {
        json!({ "error": "too_many_requests", "error_description": message, "code": "request.too_many_requests", "message": message })
    } else {
        json!({ "code": "request.too_many_requests", "message": message })
    };
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, forwarded: Option<&str>) -> Request {
        let mut builder = http::Request::builder().uri("/oidc/token");
        if let Some(value) = forwarded {
            builder = builder.header("x-forwarded-for", value);
        }
        let mut request = builder.body(axum::body::Body::empty()).unwrap();
        request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        request
    }

    fn limits(trusted_proxies: usize) -> RateLimits {
        RateLimits { token: None, interactive: None, trusted_proxies }
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let spoofed = request("10.0.0.9:5000", Some("1.2.3.4"));
        assert_eq!(limits(0).client_ip(&spoofed), Some("10.0.0.9".parse().unwrap()), "a client cannot choose its own address");
        // client → proxy A → proxy B → us: B appended A's address.
        let chained = request("10.0.0.2:5000", Some("203.0.113.7, 10.0.0.1"));
        assert_eq!(limits(2).client_ip(&chained), Some("203.0.113.7".parse().unwrap()));
        assert_eq!(limits(1).client_ip(&chained), Some("10.0.0.1".parse().unwrap()));
        // A forged entry before the real ones is skipped with one trusted proxy.
        let forged = request("10.0.0.2:5000", Some("6.6.6.6, 198.51.100.4"));
        assert_eq!(limits(1).client_ip(&forged), Some("198.51.100.4".parse().unwrap()));
        let garbage = request("10.0.0.2:5000", Some("not an address"));
        assert_eq!(limits(1).client_ip(&garbage), Some("10.0.0.2".parse().unwrap()));
    }

    #[test]
    fn only_the_guessable_surfaces_are_limited() {
        assert_eq!(surface(&Method::POST, "/oidc/token"), Some(Surface::Token));
        assert_eq!(surface(&Method::GET, "/oidc/auth"), Some(Surface::Interactive));
        assert_eq!(surface(&Method::POST, "/api/experience/verification/password"), Some(Surface::Interactive));
        assert_eq!(surface(&Method::POST, "/sign-in"), Some(Surface::Interactive));
        assert_eq!(surface(&Method::GET, "/sign-in"), None);
        assert_eq!(surface(&Method::GET, "/oidc/jwks"), None);
        assert_eq!(surface(&Method::GET, "/api/users"), None);
    }
}
