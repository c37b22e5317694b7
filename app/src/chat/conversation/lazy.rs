//! The conversation's on-demand parts as lazily loaded code (with `cargo
//! leptos --split`, separate wasm chunks fetched when first opened): the
//! reaction picker, the message editor and the privacy settings.

use leptos::prelude::*;

/// The reaction picker for `message_id`.
#[lazy]
pub fn reaction_picker(message_id: i64, open: RwSignal<bool>) -> AnyView {
    view! { <super::reactions::Picker message_id=message_id open=open /> }.into_any()
}

/// The inline editor of one's message `id`.
#[lazy]
pub fn message_editor(id: i64, text: String, editing: RwSignal<Option<i64>>) -> AnyView {
    view! { <super::editor::Editor id=id text=text editing=editing /> }.into_any()
}

/// The privacy settings' choices.
#[lazy]
pub fn privacy_choices() -> AnyView {
    view! { <crate::chat::privacy_ui::PrivacyChoices /> }.into_any()
}
