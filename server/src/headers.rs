//! Response headers every answer carries, and the `Host` check.
//!
//! - `page_nonce` picks each request's script nonce before anything renders
//!   and gives every HTML answer the page policy naming it
//!   (`app::security::page_csp`); everything else gets `FALLBACK_CSP`, which
//!   allows no scripts at all. Both forbid framing.
//! - `Strict-Transport-Security` when `secure_cookies` is on (Kanect is
//!   behind HTTPS then).
//! - `Cache-Control: no-store` on server-function answers (they carry a
//!   user's data); pages set theirs in `auth::visitor`, static files in `assets`.

use std::{net::SocketAddr, sync::Arc};

use app::{
    error::AppError,
    security::{PageNonce, is_local_host, live_reload, page_csp},
    settings::Settings,
};
use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of responses that are not pages: nothing runs, nothing frames.
pub const FALLBACK_CSP: &str = "default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn security_headers(router: Router, settings: &Settings) -> Router {
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let mut router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FALLBACK_CSP),
    ));
    for (name, value) in fixed {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if settings.secure_cookies {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    router
}

/// Chooses the script nonce of a page before it renders (Leptos reads it from
/// the request, `app::security::provide_page_nonce`) and sets the matching
/// page policy on every HTML answer, whatever produced it.
pub async fn page_nonce(mut req: Request, next: Next) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    req.extensions_mut().insert(PageNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && let Ok(csp) = HeaderValue::from_str(&page_csp(&nonce, live_reload())) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res
}

/// Server-function answers are never cached.
pub async fn no_store_for_api(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if is_api {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The settings and the address the server listens on, for `require_known_host`.
#[derive(Clone)]
pub struct HostCheck {
    pub settings: Arc<Settings>,
    pub listen: SocketAddr,
}

/// Without a configured `public_origin`, only requests addressed to a
/// loopback name or the listen address are served: a site whose DNS name
/// points at this machine cannot talk to Kanect with its own `Host` and
/// `Origin` (DNS rebinding). With `public_origin`, the origin check on every
/// state-changing request pins the name instead.
pub async fn require_known_host(
    State(check): State<HostCheck>,
    req: Request,
    next: Next,
) -> Response {
    if check.settings.origin().is_some() || is_local_host(req.headers(), check.listen) {
        return next.run(req).await;
    }
    tracing::warn!(host = ?req.headers().get(header::HOST), "refused a request for an unknown host");
    let body = serde_json::to_string(&AppError::field(
        "host",
        "This server does not answer to that name. Set public_origin to serve it under a domain name.",
    ))
    .unwrap_or_default();
    (
        StatusCode::MISDIRECTED_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
