//! Text with a NUL character means nothing in an identifier, a name or a search, and
//! PostgreSQL cannot store or compare it (SQLite would): a `%00` in the path or the query, or a
//! NUL in a form, JSON or text body, is refused here with 400 before any handler runs, so no
//! endpoint answers it with a database error. `error::json_rejections` gives the refusal each
//! API's error shape.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// axum's default body limit: a larger body would be refused by the extractor anyway.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub async fn refuse_nul_bytes(request: Request, next: Next) -> Response {
    let uri = request.uri();
    if has_percent_nul(uri.path()) || uri.query().is_some_and(has_percent_nul) {
        return refusal();
    }
    let Some(kind) = text_kind(&request) else {
        return next.run(request).await;
    };
    let too_large = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|length| length > BODY_LIMIT);
    if too_large {
        return (StatusCode::PAYLOAD_TOO_LARGE, "the request body is too large").into_response();
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => return (StatusCode::BAD_REQUEST, "the request body could not be read").into_response(),
    };
    let nul = bytes.contains(&0)
        || match kind {
            TextKind::Form => has_percent_nul(&String::from_utf8_lossy(&bytes)),
            TextKind::Json => has_json_nul_escape(&bytes),
            TextKind::Plain => false,
        };
    if nul {
        return refusal();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn refusal() -> Response {
    (StatusCode::BAD_REQUEST, "text in the request cannot contain NUL characters").into_response()
}

enum TextKind {
    Form,
    Json,
    Plain,
}

/// The body's kind when it is text a handler will read; others pass untouched.
fn text_kind(request: &Request) -> Option<TextKind> {
    let content_type = request.headers().get(header::CONTENT_TYPE)?.to_str().ok()?.to_ascii_lowercase();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_owned();
    Some(match essence.as_str() {
        "application/x-www-form-urlencoded" => TextKind::Form,
        json if json == "application/json" || json.ends_with("+json") => TextKind::Json,
        text if text.starts_with("text/") => TextKind::Plain,
        _ => return None,
    })
}

/// `%00` in URL-encoded text (a `%2500` is the text "%00", not a NUL).
fn has_percent_nul(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| w == b"%00")
}

/// A `\u0000` escape in JSON text, told apart from the text `\\u0000` (an escaped backslash).
fn has_json_nul_escape(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(has_json_nul_escape(br#"{"name":"a\u0000b"}"#));
        assert!(!has_json_nul_escape(br#"{"name":"a\\u0000b"}"#), "the text \\u0000");
        assert!(has_json_nul_escape(br#"{"name":"a\\\u0000b"}"#), "a backslash, then a NUL");
        assert!(!has_json_nul_escape(br#"{"name":"a\u0041b"}"#));
        assert!(has_percent_nul("search=%00"));
        assert!(!has_percent_nul("search=%2500"));
    }
}
