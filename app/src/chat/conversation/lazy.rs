//! The conversation's code as lazily loaded chunks (with `cargo leptos
//! --split`, separate wasm files fetched when first needed): the panel
//! itself, as a lazy route (`/dm/:username`, `/rooms/:id`) — so the first
//! load of `/` carries only the sidebar, and a page served at a conversation
//! loads its chunk before it hydrates — and, within it, the reaction picker,
//! the message editor and the privacy settings.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// The conversation panel's route.
pub struct ConversationRoute;

#[lazy_route]
impl LazyRoute for ConversationRoute {
    fn data() -> Self {
        Self
    }

    fn view(this: Self) -> AnyView {
        let _ = this;
        view! { <crate::chat::page::OpenConversation /> }.into_any()
    }
}

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

/// The privacy settings' choices.
#[lazy]
pub fn privacy_choices() -> AnyView {
    view! { <crate::chat::privacy_ui::PrivacyChoices /> }.into_any()
}
