//! Reactions on a message: one chip per emoji with its count (who reacted
//! on hover; pressed when the reader is among them; a click toggles), and
//! the picker — a row of common emoji and a search over the whole Unicode
//! set (answered by the server, so the browser carries no emoji table).

use leptos::{html, prelude::*, task::spawn_local};

use crate::chat::{
    message_api::{react, search_emoji},
    model::{EmojiHit, Reaction, Reactor},
    state::{Chat, ReactionChange, use_chat},
};

/// Offered first, before any search.
const COMMON: &[(&str, &str)] = &[
    ("👍", "thumbs up"),
    ("❤️", "red heart"),
    ("😂", "face with tears of joy"),
    ("🎉", "party popper"),
    ("😮", "face with open mouth"),
    ("😢", "crying face"),
    ("🙏", "folded hands"),
    ("👀", "eyes"),
];

/// Adds or removes the reader's `emoji` on `message_id`, showing it at once.
fn toggle(chat: Chat, message_id: i64, emoji: String, on: bool, error: RwSignal<Option<String>>) {
    let who = chat.me.with_value(|m| Reactor {
        id: m.id,
        name: m.username.clone(),
    });
    spawn_local(async move {
        match react(message_id, emoji.clone(), on).await {
            // The socket brings the same change; applying it twice is harmless.
            Ok(_) => chat.react(message_id, ReactionChange { emoji, who, on }),
            Err(e) => {
                error.try_set(Some(e.to_string()));
            }
        }
    });
}

#[component]
pub fn ReactionChips(message_id: i64, reactions: Vec<Reaction>) -> impl IntoView {
    let chat = use_chat();
    let me = chat.me.with_value(|m| m.id);
    let error = RwSignal::new(None::<String>);
    let chips = reactions
        .into_iter()
        .map(|r| {
            let mine = r.by.iter().any(|p| p.id == me);
            let names =
                r.by.iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
            let count = r.by.len();
            let label = format!("{} {count}: {names}", r.emoji);
            let emoji = r.emoji.clone();
            view! {
                <button
                    type="button"
                    class="reaction"
                    class:mine=mine
                    aria-pressed=mine.to_string()
                    aria-label=label
                    title=names
                    on:click=move |_| toggle(chat, message_id, emoji.clone(), !mine, error)
                >
                    {r.emoji}" "<span class="count">{count}</span>
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="reactions">
            {chips}
            {move || error.get().map(|e| view! { <span class="form-error" role="alert">{e}</span> })}
        </div>
    }
}

/// The emoji picker for `message_id`; closes after a pick or on Escape.
#[component]
pub fn Picker(message_id: i64, open: RwSignal<bool>) -> impl IntoView {
    let chat = use_chat();
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(Vec::<EmojiHit>::new());
    let error = RwSignal::new(None::<String>);
    let asked = StoredValue::new(String::new());
    let input: NodeRef<html::Input> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let pick = move |emoji: String| {
        toggle(chat, message_id, emoji, true, error);
        open.set(false);
    };
    let on_input = move |ev| {
        let q = event_target_value(&ev);
        query.set(q.clone());
        asked.set_value(q.clone());
        if q.trim().is_empty() {
            found.set(Vec::new());
            return;
        }
        spawn_local(async move {
            if let Ok(hits) = search_emoji(q.clone()).await
                // Only the answer for what is typed now.
                && asked.try_get_value().as_deref() == Some(q.as_str())
            {
                found.try_set(hits);
            }
        });
    };
    let button = move |emoji: String, name: String| {
        let e = emoji.clone();
        view! {
            <button type="button" class="emoji" title=name.clone() aria-label=name on:click=move |_| pick(e.clone())>
                {emoji}
            </button>
        }
    };
    view! {
        <div
            class="picker"
            role="dialog"
            aria-label="Pick a reaction"
            on:keydown=move |ev| if ev.key() == "Escape" { ev.prevent_default(); open.set(false); }
        >
            <div class="emoji-row">
                {COMMON.iter().map(|(e, n)| button(e.to_string(), n.to_string())).collect_view()}
            </div>
            <input
                type="search"
                node_ref=input
                placeholder="Search emoji"
                aria-label="Search emoji"
                prop:value=move || query.get()
                on:input=on_input
            />
            <div class="emoji-row found">
                {move || found.get().into_iter().map(|h| button(h.emoji, h.name)).collect_view()}
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </div>
    }
}
