//! Kanect's server: turns a `Config` into a listening axum app.
//!
//! `build` binds the socket first (so port 0 works and tests learn the real
//! port), opens and migrates the database, and assembles the router: Leptos
//! pages and server functions, static files, sessions, who is visiting (for
//! pages), the CSRF origin guard, compression and security headers. `main.rs` only adds logging and signals.

mod api_status;
pub mod cli;
pub mod config;
mod origin_guard;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use app::{
    App,
    auth::{session_store::DbSessionStore, throttle::LoginThrottle},
    chat::{server::SendLimiter, writer::Writer},
    db,
    live::{hub::Hub, ws},
    shell,
    state::AppState,
};
use axum::{Router, http::HeaderValue, middleware};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower_http::{compression::CompressionLayer, set_header::SetResponseHeaderLayer};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

pub use config::Config;

/// A bound, ready-to-run Kanect server.
pub struct Server {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Server {
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let cleanup = tokio::spawn(clean_expired_sessions(self.state.db.clone()));
        let result = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        cleanup.abort();
        result
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open database {url}: {source}")]
    Database { url: String, source: sea_orm::DbErr },
}

pub async fn build(config: Config) -> Result<Server, StartError> {
    let Config { settings, leptos } = config;
    let listener = TcpListener::bind(settings.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: settings.listen,
            source,
        })?;
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartError::DataDir {
        path: settings.data_dir.display().to_string(),
        source,
    })?;
    let url = settings.effective_database_url();
    let db = db::connect_and_migrate(&url)
        .await
        .map_err(|source| StartError::Database {
            url: url.clone(),
            source,
        })?;

    let settings = Arc::new(settings);
    let hub = Hub::new();
    tokio::spawn(app::live::hub::announce_presence(Arc::downgrade(&hub)));
    let state = AppState {
        writer: Writer::start(db.clone(), hub.clone()),
        send_limiter: Arc::new(SendLimiter::new(settings.send_limit_per_10s)),
        peers: Arc::default(),
        hub,
        leptos_options: leptos,
        db: db.clone(),
        login_throttle: Arc::new(LoginThrottle::new(
            settings.login_max_failures,
            Duration::from_secs(u64::from(settings.login_window_minutes) * 60),
        )),
        settings: settings.clone(),
    };
    let router = router(state.clone());
    Ok(Server {
        listener,
        router,
        state,
    })
}

fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name("kanect_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(i64::from(
            settings.session_days,
        ))));
    let routes = page_routes();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/ws", axum::routing::get(ws::connect))
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(
            state,
            app::auth::visitor::resolve,
        ))
        .layer(middleware::from_fn(api_status::malformed_is_400))
        .layer(middleware::from_fn_with_state(
            settings,
            origin_guard::require_same_origin,
        ))
        .layer(sessions)
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// The app's page routes, generated once per process. Leptos generates them
/// by rendering the app with every resource load suspended — process-wide —
/// so a page rendered by another server of the same process at that moment
/// would wait forever for its data (the integration tests start many servers
/// in one process; a second generation must never overlap their requests).
fn page_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

async fn clean_expired_sessions(db: sea_orm::DatabaseConnection) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match app::auth::session_store::delete_expired(&db).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "expired-session cleanup failed"),
        }
    }
}
