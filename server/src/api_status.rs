//! Server functions whose arguments cannot even be decoded (a letter where a
//! number belongs, a missing field) fail inside Leptos before Kanect's code
//! runs, and Leptos answers 500. They are the caller's mistake: this layer
//! turns such answers (an `AppError` of kind `transport`) into 400 Bad Request.

use app::error::AppError;
use axum::{body::Body, extract::Request, http::StatusCode, middleware::Next, response::Response};

/// The most of a refused request's body the server reads before answering.
pub const MAX_DRAIN: usize = 1 << 20;

/// Error bodies are a few hundred bytes; anything larger is left alone.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn malformed_is_400(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_api || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(AppError::Transport { .. }) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}
