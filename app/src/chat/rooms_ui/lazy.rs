//! The rooms' less-visited screens as lazily loaded code: built with `cargo
//! leptos --split`, "Browse rooms", "New room" and the members panel are
//! separate wasm chunks fetched when first opened, so the first load of the
//! chat view does not carry them. (Without `--split` they are ordinary code.)

use leptos::prelude::*;

/// "Browse rooms".
#[lazy]
pub fn browse_rooms() -> AnyView {
    view! { <super::browse::BrowseRooms /> }.into_any()
}

/// "New room".
#[lazy]
pub fn new_room() -> AnyView {
    view! { <super::new_room::NewRoom /> }.into_any()
}

/// The members panel of room `conversation_id`.
#[lazy]
pub fn members_panel(conversation_id: i32) -> AnyView {
    view! { <super::members::MembersPanel conversation_id=conversation_id /> }.into_any()
}
