//! Health checks for load balancers and service managers, answered before
//! any other layer (no session, no `Host` check):
//!
//! - `GET /healthz`: the process answers (`200 ok`).
//! - `GET /readyz`: the node can serve — its database answers, NATS is
//!   connected (when configured) and it is not shutting down (`200 ready`);
//!   otherwise `503` with the reason. A node
//!   that has begun shutting down says so here first, so a balancer stops
//!   sending it new clients while it finishes the requests it has.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use axum::{Router, extract::State, http::StatusCode, routing::get};
use sea_orm::DatabaseConnection;

/// Whether the node takes new work (false from the start of a shutdown).
#[derive(Clone)]
pub struct Readiness {
    pub db: DatabaseConnection,
    pub live: std::sync::Arc<dyn app::live::Live>,
    pub serving: Arc<AtomicBool>,
}

pub fn routes(readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .with_state(readiness)
}

async fn ready(State(r): State<Readiness>) -> (StatusCode, &'static str) {
    if !r.serving.load(Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    if let Err(reason) = r.live.ready() {
        tracing::warn!(reason, "readiness: the live layer cannot serve");
        return (StatusCode::SERVICE_UNAVAILABLE, reason);
    }
    match r.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
