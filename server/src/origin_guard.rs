//! CSRF protection as an axum middleware: every request that can change state
//! (anything but GET, HEAD, OPTIONS) must come from Kanect's own origin.
//! See `app::security` for the rule itself.

use std::sync::Arc;

use app::{error::AppError, security::is_same_origin, settings::Settings};
use axum::{
    extract::{Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

pub async fn require_same_origin(
    State(settings): State<Arc<Settings>>,
    req: Request,
    next: Next,
) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || is_same_origin(req.headers(), settings.origin()) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "refused a cross-origin request");
    crate::admin_guard::drain(req).await;
    let body = serde_json::to_string(&AppError::Forbidden).unwrap_or_default();
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
