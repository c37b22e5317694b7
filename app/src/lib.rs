//! Kanect's application: components and server functions shared by the server
//! (feature `ssr`) and the browser (feature `hydrate`).
//!
//! One module per feature: `auth` (accounts and sessions), `chat` (people and
//! conversations), `admin` (the console for administrators). `error` holds the one error type; `state`, `settings` and
//! `db` exist only on the server.

/// Declares `$route`, a lazily loaded route whose view is the component
/// `$page`: built with `cargo leptos --split`, its code is a wasm chunk of
/// its own, fetched when the route is first opened (a page served at its
/// address loads the chunk before it hydrates). Without `--split` it is an
/// ordinary route. Defined before the modules so that each can use it.
macro_rules! lazy_page {
    ($(#[$meta:meta])* $route:ident => $($page:tt)+) => {
        $(#[$meta])*
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(this: Self) -> leptos::prelude::AnyView {
                use leptos::prelude::*;
                let _ = this;
                view! { <$($page)+ /> }.into_any()
            }
        }
    };
}

pub mod admin;
pub mod auth;
pub mod chat;
pub mod dates;
pub mod error;
pub mod layout;
#[cfg(feature = "ssr")]
pub mod live;
pub mod wire;

pub mod session;
pub mod sizes;

#[cfg(test)]
mod parser_props;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod files;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod settings;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::{
    admin::pages::lazy::AdminRoute,
    auth::pages::{LoginRoute, SignupRoute},
    chat::{BrowseRoute, ChatPage, ConversationRoute, NewRoomRoute, OldChatLink, Welcome},
    layout::{NotFound, TopBar},
};

/// The HTML document the server renders around the app. Its scripts carry the
/// nonce that the server's page middleware chose and put in the response's
/// Content-Security-Policy.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let stylesheet = {
        security::provide_page_nonce();
        format!(
            "/{}/{}",
            options.site_pkg_dir,
            security::asset_name(&options, "css")
        )
    };
    #[cfg(not(feature = "ssr"))]
    let stylesheet = String::new();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href=stylesheet />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run once the page is hydrated: mark it interactive (browser
    // tests wait for this mark).
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });
    view! {
        <Title text="Kanect" />
        <Router>
            <Frame />
        </Router>
    }
}

/// Everything inside the router. The auth actions are created here, not in
/// `App`, because a JavaScript-less form's error comes back in the URL and only
/// the router can hand it to the action.
#[component]
fn Frame() -> impl IntoView {
    session::provide_auth();
    view! {
            <TopBar />
            <main>
                <Routes fallback=|| view! { <NotFound /> }>
                    // Async: rendered whole before the response starts, so a
                    // redirect (anonymous visitor, logged-in visitor) is a real 302.
                    // The chat view (`chat::page`): the sidebar, and each
                    // pane a child route; the conversation and the room
                    // screens are lazily loaded chunks.
                    <ParentRoute path=path!("") view=ChatPage ssr=SsrMode::Async>
                        <Route path=path!("/") view=Welcome ssr=SsrMode::Async />
                        <Route path=path!("/dm/:username") view={Lazy::<ConversationRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/rooms") view={Lazy::<BrowseRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/rooms/new") view={Lazy::<NewRoomRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/rooms/:id") view={Lazy::<ConversationRoute>::new()} ssr=SsrMode::Async />
                    </ParentRoute>
                    <Route path=path!("/chats/:username") view=OldChatLink ssr=SsrMode::Async />
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signup") view={Lazy::<SignupRoute>::new()} ssr=SsrMode::Async />
                    // The admin console: one lazily loaded chunk, every page in it.
                    <Route path=path!("/admin/:page?") view={Lazy::<AdminRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </main>
    }
}
