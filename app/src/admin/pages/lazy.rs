//! The console's pages as lazily loaded routes: built with `cargo leptos
//! --split`, each page's code is a separate wasm chunk that the browser
//! fetches when an admin first opens it, so people who never open the console
//! never download it. (Without `--split` they are ordinary routes.)

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(this: Self) -> AnyView {
                let _ = this;
                view! { <super::$page /> }.into_any()
            }
        }
    };
}

lazy_page!(DashboardRoute, Dashboard);
lazy_page!(UsersRoute, UsersPage);
lazy_page!(MessagesRoute, MessagesPage);
lazy_page!(RoomsRoute, RoomsPage);
lazy_page!(FilesRoute, FilesPage);
lazy_page!(AuditRoute, AuditPage);
lazy_page!(SettingsRoute, SettingsPage);
