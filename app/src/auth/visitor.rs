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
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::prelude::use_context;
use tower_sessions::Session;

use super::{CurrentUser, server};
use crate::state::AppState;

/// The resolved visitor of a page request (`None`: not logged in).
#[derive(Clone, Debug)]
pub struct Visitor(pub Option<CurrentUser>);

/// Paths that are never pages: static files, server functions, the socket.
fn is_page_request(req: &Request) -> bool {
    let path = req.uri().path();
    matches!(*req.method(), Method::GET | Method::HEAD)
        && !path.starts_with("/pkg/")
        && !path.starts_with("/api/")
        && path != "/ws"
        && path != "/favicon.svg"
}

/// Axum middleware (inside the session layer): resolves the visitor of every
/// page request. A database failure is a 500, not an anonymous page.
pub async fn resolve(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    if is_page_request(&req) {
        match server::current_user(&state.db, &session).await {
            Ok(me) => {
                req.extensions_mut().insert(Visitor(me));
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
    next.run(req).await
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
