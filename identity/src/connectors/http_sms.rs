//! SMS through the operator's gateway: one configurable HTTP request per message. The body
//! template's `{{to}}` and `{{message}}` placeholders are filled in, escaped for the
//! request's content type (JSON string or form value).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConnectorError, Message};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpSmsConfig {
    pub url: String,
    #[serde(default = "post")]
    pub method: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default = "json")]
    pub content_type: String,
    /// e.g. `{"to": "{{to}}", "text": "{{message}}"}`.
    pub body_template: String,
}

fn post() -> String {
    "POST".into()
}

fn json() -> String {
    "application/json".into()
}

impl HttpSmsConfig {
    pub(super) fn validate(&self) -> Result<(), ConnectorError> {
        let url = url::Url::parse(&self.url).map_err(|_| ConnectorError::InvalidConfig("url is not a URL".into()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConnectorError::InvalidConfig("url must be http(s)".into()));
        }
        if !matches!(self.method.as_str(), "POST" | "PUT") {
            return Err(ConnectorError::InvalidConfig("method must be POST or PUT".into()));
        }
        for (name, value) in &self.headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() || reqwest::header::HeaderValue::from_str(value).is_err() {
                return Err(ConnectorError::InvalidConfig(format!("header {name} is not valid")));
            }
        }
        if !self.body_template.contains("{{to}}") || !self.body_template.contains("{{message}}") {
            return Err(ConnectorError::InvalidConfig("bodyTemplate needs {{to}} and {{message}}".into()));
        }
        Ok(())
    }

    fn body(&self, message: &Message) -> String {
        let escape = |value: &str| -> String {
            if self.content_type.contains("json") {
                let quoted = serde_json::to_string(value).expect("strings serialize");
                quoted[1..quoted.len() - 1].to_owned()
            } else {
                form_urlencoded::byte_serialize(value.as_bytes()).collect()
            }
        };
        self.body_template.replace("{{to}}", &escape(&message.to)).replace("{{message}}", &escape(&message.text))
    }
}

pub(super) async fn send(config: &HttpSmsConfig, message: &Message) -> Result<(), ConnectorError> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| ConnectorError::Delivery(e.to_string()))?;
    let method = reqwest::Method::from_bytes(config.method.as_bytes()).map_err(|e| ConnectorError::InvalidConfig(e.to_string()))?;
    let mut request = client.request(method, &config.url).header(reqwest::header::CONTENT_TYPE, &config.content_type);
    for (name, value) in &config.headers {
        request = request.header(name, value);
    }
    let response = request.body(config.body(message)).send().await.map_err(|e| ConnectorError::Delivery(e.to_string()))?;
    if !response.status().is_success() {
        return Err(ConnectorError::Delivery(format!("the SMS gateway answered {}", response.status())));
    }
    Ok(())
}
