//! The sidebar's privacy settings: whether others see this person typing,
//! and read receipts (off: they send none and see no one's). Saved at once;
//! the person's other tabs follow (a `privacy` event).

use leptos::{prelude::*, task::spawn_local};

use super::{message_api::set_privacy, state::use_chat};

/// The "Privacy" disclosure; its choices load when it is first opened.
#[component]
pub fn PrivacySettings() -> impl IntoView {
    let opened = RwSignal::new(false);
    view! {
        <details class="privacy" on:toggle=move |_| opened.set(true)>
            <summary>"Privacy"</summary>
            {move || opened.get().then(|| Suspend::new(async { choices().await }))}
        </details>
    }
}

/// The choices' code, a chunk of its own (with `cargo leptos --split`): few
/// people open this, so the first load does not carry it.
#[lazy]
fn choices() -> AnyView {
    view! { <PrivacyChoices /> }.into_any()
}

#[component]
fn PrivacyChoices() -> impl IntoView {
    let chat = use_chat();
    let error = RwSignal::new(None::<String>);
    let save = move |typing: bool, receipts: bool| {
        let before = chat.privacy.get_untracked();
        chat.privacy.set((typing, receipts));
        spawn_local(async move {
            if let Err(e) = set_privacy(typing, receipts).await {
                chat.privacy.try_set(before);
                error.try_set(Some(e.to_string()));
            }
        });
    };
    view! {
            <label class="choice">
                <input
                    type="checkbox"
                    prop:checked=move || chat.privacy.get().0
                    on:change=move |ev| save(event_target_checked(&ev), chat.privacy.get_untracked().1)
                />
                "Show others when I'm typing"
            </label>
            <label class="choice">
                <input
                    type="checkbox"
                    prop:checked=move || chat.privacy.get().1
                    on:change=move |ev| save(chat.privacy.get_untracked().0, event_target_checked(&ev))
                />
                "Read receipts (off: you see no one's either)"
            </label>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
    }
}
