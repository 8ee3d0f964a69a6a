//! `vestibule-bench`: drives what a single-request load generator cannot — flows whose next
//! request depends on the previous answer — with N concurrent keep-alive clients for a fixed
//! time, and prints one JSON line of figures.
//!
//! - `signins`: complete password sign-ins, `/oidc/auth` → Experience API → code → token.
//! - `refresh`: refresh-token rotation; each client keeps exchanging the token it was given.
//! - `interactions`: opens N sign-in interactions (`/oidc/auth` only) and leaves them open.
//! - `get`: one GET (a Management API search, say) with a bearer token, over and over.
//! - `argon2`: raw Argon2id hashes/s at OWASP's parameters on every core, for comparison.
//!
//! Every load reports its latency percentiles (p50, p95, p99, in ms) beside its rate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Signins(Flow),
    Refresh(Flow),
    Interactions {
        #[arg(long)]
        base: String,
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        redirect_uri: String,
        #[arg(long, default_value_t = 1000)]
        count: usize,
    },
    Argon2 {
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// One sign-in with offline_access; prints the token response.
    Token(Flow),
    Get {
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "")]
        bearer: String,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 2)]
        warmup: u64,
    },
}

#[derive(clap::Args, Clone)]
struct Flow {
    #[arg(long)]
    base: String,
    #[arg(long)]
    client_id: String,
    #[arg(long)]
    redirect_uri: String,
    #[arg(long)]
    username: String,
    #[arg(long)]
    password: String,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// `refresh` asks for organization tokens for this organization instead (the sign-in
    /// adds `urn:logto:scope:organizations`; the user must be a member).
    #[arg(long)]
    organization_id: Option<String>,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Signins(flow) => run(flow, false).await,
        Command::Refresh(flow) => run(flow, true).await,
        Command::Interactions { base, client_id, redirect_uri, count } => interactions(&base, &client_id, &redirect_uri, count).await,
        Command::Argon2 { seconds } => argon2_rate(seconds).await,
        Command::Get { url, bearer, concurrency, seconds, warmup } => get(url, bearer, concurrency, seconds, warmup).await,
        Command::Token(flow) => {
            let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
            sign_in(&http, &flow, true).await.unwrap_or(Value::Null)
        }
    };
    println!("{result}");
}

/// What a load measured: completions, failures and each completion's latency.
struct Tally {
    done: AtomicU64,
    failed: AtomicU64,
    micros: Mutex<Vec<u64>>,
}

impl Tally {
    fn new() -> Arc<Self> {
        Arc::new(Tally { done: AtomicU64::new(0), failed: AtomicU64::new(0), micros: Mutex::new(Vec::new()) })
    }

    fn record(&self, ok: bool, took: Duration) {
        if ok {
            self.done.fetch_add(1, Ordering::Relaxed);
            self.micros.lock().unwrap().push(took.as_micros() as u64);
        } else {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn figures(&self, seconds: u64, concurrency: usize) -> Value {
        let mut micros = self.micros.lock().unwrap().clone();
        micros.sort_unstable();
        let percentile = |p: f64| -> f64 {
            if micros.is_empty() {
                return 0.0;
            }
            let rank = ((p / 100.0) * micros.len() as f64).ceil() as usize;
            micros[rank.clamp(1, micros.len()) - 1] as f64 / 1000.0
        };
        let completed = self.done.load(Ordering::Relaxed);
        json!({
            "completed": completed,
            "failed": self.failed.load(Ordering::Relaxed),
            "seconds": seconds,
            "per_second": completed as f64 / seconds as f64,
            "concurrency": concurrency,
            "p50_ms": percentile(50.0),
            "p95_ms": percentile(95.0),
            "p99_ms": percentile(99.0),
        })
    }
}

/// `concurrency` clients loop over the flow; only completions after the warm-up count.
async fn run(flow: Flow, refresh: bool) -> Value {
    let tally = Tally::new();
    let start = Instant::now();
    let warm_until = start + Duration::from_secs(flow.warmup);
    let end = warm_until + Duration::from_secs(flow.seconds);
    let mut tasks = Vec::new();
    for _ in 0..flow.concurrency {
        let (flow, tally) = (flow.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(4).build().unwrap();
            let mut refresh_token: Option<String> = None;
            while Instant::now() < end {
                let began = Instant::now();
                let ok = if refresh {
                    match refresh_token.take() {
                        Some(token) => match refresh_once(&http, &flow, &token).await {
                            Some(next) => {
                                refresh_token = Some(next);
                                true
                            }
                            None => false,
                        },
                        None => {
                            // Obtain the first token through a sign-in (not counted).
                            refresh_token = sign_in(&http, &flow, true).await.and_then(|t| t["refresh_token"].as_str().map(str::to_owned));
                            continue;
                        }
                    }
                } else {
                    sign_in(&http, &flow, false).await.is_some()
                };
                if began >= warm_until && Instant::now() < end {
                    tally.record(ok, began.elapsed());
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    tally.figures(flow.seconds, flow.concurrency)
}

/// `concurrency` clients GET `url` in a loop; a non-2xx answer is a failure.
async fn get(url: String, bearer: String, concurrency: usize, seconds: u64, warmup: u64) -> Value {
    let tally = Tally::new();
    let warm_until = Instant::now() + Duration::from_secs(warmup);
    let end = warm_until + Duration::from_secs(seconds);
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, url, bearer, tally) = (http.clone(), url.clone(), bearer.clone(), tally.clone());
            tokio::spawn(async move {
                while Instant::now() < end {
                    let began = Instant::now();
                    let mut request = http.get(&url);
                    if !bearer.is_empty() {
                        request = request.bearer_auth(&bearer);
                    }
                    let ok = match request.send().await {
                        Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if began >= warm_until && Instant::now() < end {
                        tally.record(ok, began.elapsed());
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    tally.figures(seconds, concurrency)
}

fn pkce() -> (String, String) {
    let verifier: String = (0..4).map(|_| format!("{:016x}", rand_u64())).collect();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn rand_u64() -> u64 {
    // Not security-relevant: a PKCE verifier for a benchmark. Mix time and a counter.
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let mut x = t ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 33)
}

fn auth_url(base: &str, client_id: &str, redirect_uri: &str, challenge: &str, offline: bool, organizations: bool) -> String {
    let scope = match (offline, organizations) {
        (true, true) => "openid profile offline_access urn:logto:scope:organizations",
        (true, false) => "openid profile offline_access",
        (false, _) => "openid profile",
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", "bench")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    if offline {
        query.append_pair("prompt", "consent");
    }
    format!("{base}/oidc/auth?{}", query.finish())
}

/// One complete sign-in with its own cookie jar (a new browser each time); returns the token
/// response.
async fn sign_in(keep_alive: &reqwest::Client, flow: &Flow, offline: bool) -> Option<Value> {
    // Cookies are per browser; connections are not: reuse the client's pool by passing the
    // interaction cookie by hand.
    let (verifier, challenge) = pkce();
    let auth = keep_alive.get(auth_url(&flow.base, &flow.client_id, &flow.redirect_uri, &challenge, offline, flow.organization_id.is_some())).send().await.ok()?;
    let cookie = auth
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("_interaction="))?
        .split(';')
        .next()?
        .to_owned();
    let with_cookie = |req: reqwest::RequestBuilder| req.header("cookie", cookie.clone());
    let put = with_cookie(keep_alive.put(format!("{}/api/experience", flow.base))).json(&json!({"interactionEvent": "SignIn"})).send().await.ok()?;
    if put.status() != 204 {
        return None;
    }
    let verification: Value = with_cookie(keep_alive.post(format!("{}/api/experience/verification/password", flow.base)))
        .json(&json!({"identifier": {"type": "username", "value": flow.username}, "password": flow.password}))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let id = verification["verificationId"].as_str()?;
    let identified = with_cookie(keep_alive.post(format!("{}/api/experience/identification", flow.base))).json(&json!({"verificationId": id})).send().await.ok()?;
    if identified.status() != 204 {
        return None;
    }
    let submitted: Value = with_cookie(keep_alive.post(format!("{}/api/experience/submit", flow.base))).send().await.ok()?.json().await.ok()?;
    let resume = with_cookie(keep_alive.get(submitted["redirectTo"].as_str()?)).send().await.ok()?;
    let location = resume.headers().get("location")?.to_str().ok()?;
    let query = location.split_once('?')?.1;
    let code = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "code")?.1.into_owned();
    let tokens = keep_alive
        .post(format!("{}/oidc/token", flow.base))
        .form(&[("grant_type", "authorization_code"), ("client_id", &flow.client_id), ("code", &code), ("redirect_uri", &flow.redirect_uri), ("code_verifier", &verifier)])
        .send()
        .await
        .ok()?;
    if tokens.status() != 200 {
        return None;
    }
    tokens.json().await.ok()
}

/// One refresh (or, with `--organization-id`, one organization token); the refresh token to
/// use next.
async fn refresh_once(http: &reqwest::Client, flow: &Flow, token: &str) -> Option<String> {
    let mut form = vec![("grant_type", "refresh_token"), ("client_id", flow.client_id.as_str()), ("refresh_token", token)];
    if let Some(organization) = &flow.organization_id {
        form.push(("organization_id", organization.as_str()));
    }
    let response = http.post(format!("{}/oidc/token", flow.base)).form(&form).send().await.ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    if flow.organization_id.is_some() && body["access_token"].as_str().is_none() {
        return None;
    }
    body["refresh_token"].as_str().map(str::to_owned)
}

async fn interactions(base: &str, client_id: &str, redirect_uri: &str, count: usize) -> Value {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut opened = 0;
    for _ in 0..count {
        let (_, challenge) = pkce();
        if let Ok(r) = http.get(auth_url(base, client_id, redirect_uri, &challenge, false, false)).send().await {
            if r.status() == 303 {
                opened += 1;
            }
        }
    }
    json!({ "opened": opened })
}

/// Argon2id at OWASP's parameters (19 MiB, t=2, p=1), one hashing thread per core.
async fn argon2_rate(seconds: u64) -> Value {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let done = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let done = done.clone();
            std::thread::spawn(move || {
                let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap();
                let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
                let salt = SaltString::encode_b64(b"benchmark-salt!!").unwrap();
                while Instant::now() < end {
                    argon.hash_password(b"correct horse battery staple", &salt).unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let n = done.load(Ordering::Relaxed);
    json!({ "hashes": n, "seconds": seconds, "per_second": n as f64 / seconds as f64, "threads": cores })
}
