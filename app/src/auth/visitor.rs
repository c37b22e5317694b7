//! Who is visiting, known before a page is rendered.
//!
//! A middleware resolves the session cookie to the current user once per page
//! request and leaves it in the request's extensions; `session::provide_auth`
//! reads it synchronously while rendering and hands the same value to the
//! browser for hydration. Pages therefore never wait on a "who am I" resource,
//! so no page has a `<Suspense>` whose only job is to find out, and no
//! resource is created inside one.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::prelude::use_context;
use tower_sessions::Session;

use super::{CurrentUser, server};
use crate::{chat::catch_up::latest_event_id, state::AppState};

/// The resolved visitor of a page request (`None`: not logged in).
#[derive(Clone, Debug)]
pub struct Visitor(pub Option<CurrentUser>);

/// The newest event id before a logged-in visitor's page was rendered:
/// everything the page shows is at least this new, so its live connection
/// starts here.
#[derive(Clone, Copy, Debug)]
pub struct Cursor(pub i64);

/// Paths that are never pages: static files, server functions, the socket.
fn is_page_request(req: &Request) -> bool {
    let path = req.uri().path();
    matches!(*req.method(), Method::GET | Method::HEAD)
        && !path.starts_with("/pkg/")
        && !path.starts_with("/api/")
        && path != "/ws"
        && !path.starts_with("/favicon")
}

/// Axum middleware (inside the session layer): resolves the visitor of every
/// page request. A database failure is a 500, not an anonymous page.
pub async fn resolve(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let mut logged_in = false;
    if is_page_request(&req) {
        let visitor = match server::current_user(&state.db, &session).await {
            Ok(Some(me)) => latest_event_id(&state.db).await.map(|c| (Some(me), c)),
            Ok(None) => Ok((None, 0)),
            Err(e) => Err(e),
        };
        match visitor {
            Ok((me, cursor)) => {
                logged_in = me.is_some();
                req.extensions_mut().insert(Visitor(me));
                req.extensions_mut().insert(Cursor(cursor));
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot resolve the visitor of a page");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Kanect cannot reach its database.",
                )
                    .into_response();
            }
        }
    }
    let mut res = next.run(req).await;
    // A page that shows someone's data is never stored by a browser or proxy.
    let cache = if logged_in { "no-store" } else { "no-cache" };
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    res
}

/// The newest message id before this page rendered (0 when unknown).
pub fn cursor_of_this_request() -> i64 {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Cursor>().copied())
        .map_or(0, |Cursor(c)| c)
}

/// The visitor of the page being rendered (from the middleware above).
pub fn of_this_request() -> Option<CurrentUser> {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Visitor>().cloned())
        .and_then(|Visitor(me)| me)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn request(method: Method, path: &str) -> Request {
        Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap()
    }

    #[test]
    fn only_page_loads_look_up_the_visitor() {
        for page in ["/", "/chats/amy", "/admin/users", "/login", "/no/such/page"] {
            assert!(is_page_request(&request(Method::GET, page)), "{page}");
        }
        assert!(is_page_request(&request(Method::HEAD, "/")));
        for other in ["/pkg/kanect.wasm", "/api/send", "/ws", "/favicon.svg"] {
            assert!(!is_page_request(&request(Method::GET, other)), "{other}");
        }
        assert!(!is_page_request(&request(Method::POST, "/")));
    }
}
