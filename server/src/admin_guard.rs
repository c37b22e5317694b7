//! Admin server functions answer 401 (not logged in) or 403 (not an admin)
//! before Leptos decodes their arguments, so a caller without the role learns
//! nothing from argument errors. Each admin function still checks the role
//! itself (`admin::api`); this layer only decides earlier.

use app::{auth::server::current_user, error::AppError, state::AppState};
use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

pub async fn require_admin(
    State(state): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    if !req.uri().path().starts_with("/api/admin_") {
        return next.run(req).await;
    }
    let refusal = match current_user(&state.db, &session).await {
        Ok(Some(me)) if me.is_admin => return next.run(req).await,
        Ok(Some(_)) => AppError::Forbidden,
        Ok(None) => AppError::unauthorized(),
        Err(e) => e,
    };
    drain(req).await;
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN);
    let body = serde_json::to_string(&refusal).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Reads (and drops) a refused request's body, up to `api_status::MAX_DRAIN`
/// bytes, before answering: the connection then stays usable for the
/// client's next request, and a client still sending its body gets the answer
/// instead of a broken pipe.
pub async fn drain(req: Request) {
    let _ = axum::body::to_bytes(req.into_body(), crate::api_status::MAX_DRAIN).await;
}
