//! `GET /metrics`: the node's Prometheus metrics (`app::metrics`), answered
//! before any other layer, and only to whom the settings allow — a client
//! address in `metrics_allow` (resolved as everywhere, `trusted_proxies`
//! included), or a request with `Authorization: Bearer <metrics_token>`.
//! With neither set (the default) the route answers 404 like any unknown
//! path, so nothing about the node leaks.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Access {
    pub settings: Arc<app::settings::Settings>,
    pub db: DatabaseConnection,
    pub live: Arc<dyn app::live::Live>,
}

pub fn routes(access: Access) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(access)
}

async fn metrics(
    State(a): State<Access>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let s = &a.settings;
    if s.metrics_allow.is_empty() && s.metrics_token.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let client = app::security::client_addr(&headers, peer, &s.trusted_proxies);
    let by_address = s.metrics_allow.iter().any(|net| net.contains(&client));
    let by_token = !s.metrics_token.is_empty()
        && headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| same_secret(given, &s.metrics_token));
    if !by_address && !by_token {
        return (
            StatusCode::FORBIDDEN,
            "metrics: address or token not allowed",
        )
            .into_response();
    }
    let (sockets, users) = a.live.local_counts();
    let (pool_size, pool_idle) = app::db::pool_state(&a.db);
    let text = app::metrics::render(app::metrics::Now {
        sockets,
        users,
        pool_size,
        pool_idle,
    });
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Compares secrets in time independent of where they differ (their
/// digests, whole).
fn same_secret(given: &str, want: &str) -> bool {
    let (a, b) = (Sha256::digest(given), Sha256::digest(want));
    a.iter().zip(b.iter()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_match_only_exactly() {
        assert!(same_secret("s3cret-token", "s3cret-token"));
        assert!(!same_secret("s3cret-toke", "s3cret-token"));
        assert!(!same_secret("", "s3cret-token"));
    }
}
