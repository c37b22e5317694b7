//! `AppState`: everything a request needs, built once by the server and handed
//! to every route and server function (leptos_axum provides it as context).

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::extract::{ConnectInfo, FromRef};
use leptos::prelude::{LeptosOptions, use_context};
use sea_orm::DatabaseConnection;
use tower_sessions::Session;

use crate::{
    auth::{signup_limit::SignupLimiter, throttle::LoginThrottle},
    chat::{peers::PeerCache, senders::SenderCache, sending::SendLimiter, writer::Writer},
    error::AppError,
    files::Files,
    live::Live,
    settings::Settings,
};

/// Cheap to clone (one reference count): axum's middleware and Leptos'
/// per-request context each take a copy on every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What `AppState` holds; reached through it (`state.db`).
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub login_throttle: Arc<LoginThrottle>,
    pub signup_limiter: Arc<SignupLimiter>,
    pub live: Arc<dyn Live>,
    pub writer: Writer,
    pub send_limiter: Arc<SendLimiter>,
    pub peers: Arc<PeerCache>,
    pub senders: Arc<SenderCache>,
    pub files: Arc<Files>,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
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

/// The client's address, for per-client limits: the connection's peer, or
/// what a trusted proxy forwarded (`security::client_addr`).
pub async fn client_ip() -> IpAddr {
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr)
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let trusted = use_context::<AppState>()
        .map(|s| s.settings.trusted_proxies.clone())
        .unwrap_or_default();
    let headers = use_context::<axum::http::request::Parts>()
        .map(|p| p.headers)
        .unwrap_or_default();
    crate::security::client_addr(&headers, peer, &trusted)
}
