//! Kanect's server: turns a `Config` into a listening axum app.
//!
//! `build` binds the socket first (so port 0 works and tests learn the real
//! port), opens and migrates the database, and assembles the router: Leptos
//! pages and server functions, static files (`assets`), sessions, who is
//! visiting (for pages), the CSRF origin guard, the `Host` check, compression
//! and security headers (`headers`), with `/healthz` and `/readyz`
//! (`health`) in front of them all. `run` serves it with connection limits
//! (`serve`) next to the background tasks (expired sessions, presence, the
//! watch that closes sockets of ended sessions). `main.rs` only adds logging
//! and signals.

mod admin_guard;
mod api_status;
mod assets;
pub mod cli;
pub mod config;
mod headers;
mod health;
mod metrics;
mod migrate_data;
mod origin_guard;
pub mod serve;
mod shared_limits;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use app::{
    App,
    auth::{session_store::DbSessionStore, signup_limit::SignupLimiter, throttle::LoginThrottle},
    chat::{sending::SendLimiter, socket, writer::Writer},
    db,
    live::{InProcess, Live, hub::Hub},
    shell,
    state::AppState,
};
use axum::{Router, middleware};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

pub use config::Config;

/// A bound, ready-to-run Kanect server.
pub struct Server {
    listener: TcpListener,
    router: Router,
    state: AppState,
    serving: Arc<std::sync::atomic::AtomicBool>,
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
        let cleanup = tokio::spawn(clean_up(
            self.state.db.clone(),
            self.state.settings.event_retention_days,
            self.state.files.clone(),
        ));
        // `/readyz` turns not-ready as the shutdown begins.
        let serving = self.serving.clone();
        let shutdown = async move {
            shutdown.await;
            serving.store(false, std::sync::atomic::Ordering::Relaxed);
        };
        let result = serve::serve(self.listener, self.router, shutdown).await;
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
    #[error("cannot use NATS: {0}")]
    Nats(String),
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

    let listen = listener.local_addr().unwrap_or(settings.listen);
    let settings = Arc::new(settings);
    let hub = Hub::with_ip_limit(settings.sockets_per_ip as usize);
    tokio::spawn(app::live::hub::announce_presence(Arc::downgrade(&hub)));
    tokio::spawn(app::live::session_watch::run(
        db.clone(),
        Arc::downgrade(&hub),
    ));
    let nats = if settings.nats_url.is_empty() {
        None
    } else {
        Some(
            app::live::nats::Nats::start(db.clone(), hub.clone(), &settings.nats_url)
                .await
                .map_err(StartError::Nats)?,
        )
    };
    let live: Arc<dyn Live> = match &nats {
        Some(nats) => nats.clone(),
        None => InProcess::start(db.clone(), hub)
            .await
            .map_err(|source| StartError::Database {
                url: url.clone(),
                source,
            })?,
    };
    let state = AppState::new(app::state::Shared {
        writer: Writer::start(db.clone(), live.clone()),
        send_limiter: Arc::new(SendLimiter::new(settings.send_limit_per_10s)),
        peers: Arc::default(),
        senders: Arc::default(),
        live,
        leptos_options: leptos,
        db: db.clone(),
        login_throttle: Arc::new(LoginThrottle::new(
            settings.login_max_failures,
            Duration::from_secs(u64::from(settings.login_window_minutes) * 60),
        )),
        signup_limiter: Arc::new(SignupLimiter::new(
            settings.signups_per_ip_per_hour,
            settings.signups_per_hour,
        )),
        files: Arc::new(app::files::Files::new(
            Arc::new(
                app::files::store::LocalStore::open(settings.data_dir.join("files")).map_err(
                    |source| StartError::DataDir {
                        path: settings.data_dir.join("files").display().to_string(),
                        source,
                    },
                )?,
            ),
            u64::from(settings.max_upload_mib) * 1024 * 1024,
            u64::from(settings.upload_quota_mib) * 1024 * 1024,
            settings.upload_types.clone(),
        )),
        settings: settings.clone(),
    });
    if let Some(nats) = &nats {
        shared_limits::share(
            nats,
            state.login_throttle.clone(),
            state.send_limiter.clone(),
            state.signup_limiter.clone(),
        )
        .await
        .map_err(StartError::Nats)?;
    }
    let serving = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let metrics = metrics::routes(metrics::Access {
        settings: state.settings.clone(),
        db: state.db.clone(),
        live: state.live.clone(),
    });
    let router = health::routes(health::Readiness {
        db: state.db.clone(),
        live: state.live.clone(),
        serving: serving.clone(),
    })
    .merge(metrics)
    .merge(router(state.clone(), listen));
    Ok(Server {
        listener,
        router,
        state,
        serving,
    })
}

fn router(state: AppState, listen: SocketAddr) -> Router {
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
    let pkg = assets::pkg_service(
        std::path::Path::new(&*options.site_root),
        &options.site_pkg_dir,
        options.hash_files,
    );
    // Files are served as stored (never recompressed, so ranges stay
    // ranges of them), outside the compression layer.
    let files = Router::new()
        .route(
            "/files/{id}/{what}",
            axum::routing::get(app::files::http::download),
        )
        .with_state(state.clone())
        .layer(sessions.clone());
    let dynamic = Router::new()
        .route("/ws", axum::routing::get(socket::connect))
        .route("/api/upload", axum::routing::post(app::files::http::upload))
        .leptos_routes(&state, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            app::auth::visitor::resolve,
        ))
        .layer(middleware::from_fn_with_state(
            state,
            admin_guard::require_admin,
        ))
        .layer(middleware::from_fn(headers::page_nonce))
        .layer(middleware::from_fn(api_status::malformed_is_400))
        .layer(middleware::from_fn(headers::no_store_for_api))
        .layer(middleware::from_fn_with_state(
            settings.clone(),
            origin_guard::require_same_origin,
        ))
        .layer(sessions)
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Precise(4)));
    let app = Router::new()
        .nest_service(&format!("/{}", options.site_pkg_dir), pkg)
        .merge(files)
        .merge(dynamic)
        .layer(middleware::from_fn_with_state(
            headers::HostCheck {
                settings: settings.clone(),
                listen,
            },
            headers::require_known_host,
        ));
    headers::security_headers(app, &settings)
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

/// Uploads never sent within this are abandoned (removed by `clean_up`).
const ABANDONED_AFTER_MS: i64 = 3_600_000;

/// Hourly: removes expired sessions, events older than the retention, and
/// uploads abandoned for an hour.
async fn clean_up(
    db: sea_orm::DatabaseConnection,
    event_retention_days: u32,
    files: Arc<app::files::Files>,
) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match app::files::records::clean_abandoned(&db, files.store.as_ref(), ABANDONED_AFTER_MS)
            .await
        {
            Ok(n) if n > 0 => tracing::info!(removed = n, "abandoned uploads removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "upload cleanup failed"),
        }
        match app::auth::session_store::delete_expired(&db).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "expired-session cleanup failed"),
        }
        let before = app::db::now_millis() - i64::from(event_retention_days) * 86_400_000;
        match app::events::log::prune(&db, before).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "old events removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "event cleanup failed"),
        }
    }
}
