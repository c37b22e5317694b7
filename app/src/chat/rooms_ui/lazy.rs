//! The rooms' less-visited screens as lazily loaded code: built with `cargo
//! leptos --split`, "Browse rooms" and "New room" (lazy routes: a page served
//! at one loads its chunk before it hydrates) and the members panel are
//! separate wasm chunks fetched when first opened, so the first load of the
//! chat view does not carry them. (Without `--split` they are ordinary code.)

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// "Browse rooms" (`/rooms`).
pub struct BrowseRoute;

#[lazy_route]
impl LazyRoute for BrowseRoute {
    fn data() -> Self {
        Self
    }

    fn view(this: Self) -> AnyView {
        let _ = this;
        view! { <super::browse::BrowseRooms /> }.into_any()
    }
}

/// "New room" (`/rooms/new`).
pub struct NewRoomRoute;

#[lazy_route]
impl LazyRoute for NewRoomRoute {
    fn data() -> Self {
        Self
    }

    fn view(this: Self) -> AnyView {
        let _ = this;
        view! { <super::new_room::NewRoom /> }.into_any()
    }
}

/// The members panel of room `conversation_id`.
#[lazy]
pub fn members_panel(conversation_id: i32) -> AnyView {
    view! { <super::members::MembersPanel conversation_id=conversation_id /> }.into_any()
}
