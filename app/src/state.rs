//! `AppState`: everything a request needs, built once by the server and handed
//! to every route and server function (leptos_axum provides it as context).

use std::{net::SocketAddr, sync::Arc};

use axum::extract::{ConnectInfo, FromRef};
use leptos::prelude::{LeptosOptions, use_context};
use sea_orm::DatabaseConnection;
use tower_sessions::Session;

use crate::{
    auth::throttle::LoginThrottle,
    chat::{peers::PeerCache, server::SendLimiter, writer::Writer},
    error::AppError,
    live::hub::Hub,
    settings::Settings,
};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub login_throttle: Arc<LoginThrottle>,
    pub hub: Arc<Hub>,
    pub writer: Writer,
    pub send_limiter: Arc<SendLimiter>,
    pub peers: Arc<PeerCache>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state, inside a server function or component rendered on the server.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

/// The request's session (installed by the server's session layer).
pub async fn request_session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "session layer missing");
        AppError::Internal
    })
}

/// The peer's IP address, for per-client limits.
pub async fn client_ip() -> String {
    leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|_| "unknown".into())
}
