//! The rooms' less-visited screens as lazily loaded code: built with `cargo
//! leptos --split`, "Browse rooms" and "New room" (lazy routes: a page served
//! at one loads its chunk before it hydrates) and the members panel are
//! separate wasm chunks fetched when first opened, so the first load of the
//! chat view does not carry them. (Without `--split` they are ordinary code.)

use leptos::prelude::*;

lazy_page!(
    /// "Browse rooms" (`/rooms`).
    BrowseRoute => super::browse::BrowseRooms
);

lazy_page!(
    /// "New room" (`/rooms/new`).
    NewRoomRoute => super::new_room::NewRoom
);

/// The members panel of room `conversation_id`.
#[lazy]
pub fn members_panel(conversation_id: i32) -> AnyView {
    view! { <super::members::MembersPanel conversation_id=conversation_id /> }.into_any()
}
