//! A stand-in for an operator's SMS gateway (the one part that cannot run here): an HTTP
//! server on loopback that records the requests Vestibule's HTTP SMS connector makes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

pub struct SmsGateway {
    pub url: String,
    received: Arc<Mutex<Vec<Value>>>,
}

impl SmsGateway {
    pub async fn start() -> Self {
        let received: Arc<Mutex<Vec<Value>>> = Arc::default();
        let log = received.clone();
        let app = Router::new().route(
            "/messages",
            post(move |headers: axum::http::HeaderMap, Json(body): Json<Value>| {
                let log = log.clone();
                async move {
                    // The configured header reaches the gateway.
                    assert_eq!(headers.get("x-api-key").and_then(|v| v.to_str().ok()), Some("test-key"));
                    log.lock().unwrap().push(body);
                    "queued"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/messages", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, received }
    }

    pub fn connector(&self) -> identity::connectors::ConnectorConfig {
        serde_json::from_value(serde_json::json!({
            "connectorId": "http-sms",
            "config": {
                "url": self.url,
                "headers": {"x-api-key": "test-key"},
                "bodyTemplate": "{\"to\": \"{{to}}\", \"text\": \"{{message}}\"}"
            }
        }))
        .unwrap()
    }

    pub async fn last(&self) -> Value {
        for _ in 0..100 {
            if let Some(last) = self.received.lock().unwrap().last().cloned() {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the gateway received nothing");
    }
}
