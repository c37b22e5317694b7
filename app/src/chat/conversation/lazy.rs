//! The conversation's code as lazily loaded chunks (with `cargo leptos
//! --split`, separate wasm files fetched when first needed): the panel
//! itself, as a lazy route (`/dm/:username`, `/rooms/:id`) — so the first
//! load of `/` carries only the sidebar, and a page served at a conversation
//! loads its chunk before it hydrates — and, within it, the reaction picker
//! and the message editor. (The sidebar's privacy choices are a chunk of
//! their own, in `chat::privacy_ui`.)

use leptos::prelude::*;

lazy_page!(
    /// The conversation panel's route.
    ConversationRoute => crate::chat::page::OpenConversation
);

/// The reaction picker for `message_id`.
#[lazy]
pub fn reaction_picker(message_id: i64, open: RwSignal<bool>) -> AnyView {
    view! { <super::reactions::Picker message_id=message_id open=open /> }.into_any()
}

/// The inline editor of one's message `id`.
#[lazy]
pub fn message_editor(
    id: i64,
    text: String,
    editing: RwSignal<Option<i64>>,
    failed: RwSignal<Option<super::editor::Failed>>,
) -> AnyView {
    view! { <super::editor::Editor id=id text=text editing=editing failed=failed /> }.into_any()
}
