//! One entry of the history: a system line, or a message — who sent it (in
//! rooms, at the start of a run of theirs), the quote it replies to (which
//! jumps to the original), its formatted text, its time, "(edited)" with the
//! edit's time on hover, "message deleted" in place of a deleted one, its
//! reactions — and its actions (`actions`). "Seen" goes under the newest own
//! message the other person of a direct conversation has read; in a room,
//! hovering one's own message shows how many have read it.

use leptos::{prelude::*, task::spawn_local};

use super::{actions::Actions, files::MessageFiles, reactions::ReactionChips};
use crate::chat::{
    message_api::who_has_seen,
    model::{Message, Quote},
    state::use_chat,
};

/// A time as shown beside a message ("14:05") and in full on hover.
pub fn time_of(ms: i64) -> (String, String) {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        let short = format!("{:02}:{:02}", d.get_hours(), d.get_minutes());
        (
            short,
            String::from(d.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)),
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ms;
        (String::new(), String::new())
    }
}

/// The reader's mentions in a message's HTML, marked to stand out. The
/// server writes each mention as `<span class="mention" data-key="…">`
/// (`chat::format`); usernames are letters, digits and `_.-`.
fn mark_me(html: &str, username: &str) -> String {
    let key = username.to_ascii_lowercase();
    html.replace(
        &format!("<span class=\"mention\" data-key=\"{key}\">"),
        &format!("<span class=\"mention me\" data-key=\"{key}\">"),
    )
}

/// What an entry needs from its conversation.
#[derive(Clone, Copy)]
pub struct Context {
    /// A room: senders are named, and "Seen by" is on hover.
    pub in_room: Signal<bool>,
    /// The message being edited, if any.
    pub editing: RwSignal<Option<i64>>,
    /// An edit whose save failed (its editor shows it when opened again).
    pub edit_failed: RwSignal<Option<super::editor::Failed>>,
    /// The message a reply is being written to.
    pub replying: RwSignal<Option<Quote>>,
    /// The message "Seen" goes under (direct conversations).
    pub seen_id: Signal<Option<i64>>,
    /// Messages that continue their sender's run (no name repeated).
    pub grouped: Memo<std::collections::HashSet<i64>>,
    /// The day separator shown before a message, by id.
    pub days: Memo<std::collections::HashMap<i64, String>>,
    /// The message just jumped to (briefly highlighted).
    pub highlighted: RwSignal<Option<i64>>,
    /// Shows a message, loading older history until it is there.
    pub jump: Callback<i64>,
}

#[component]
pub fn MessageItem(message: Message, cx: Context) -> impl IntoView {
    let chat = use_chat();
    let m = message;
    let id = m.id;
    let day = move || {
        cx.days
            .with(|d| d.get(&id).cloned())
            .map(|label| view! { <div class="day" role="separator" aria-label=label.clone()><span>{label.clone()}</span></div> })
    };
    let (short, full) = time_of(m.created_at);
    if m.system {
        return view! {
            {day}
            <p class="system-line" data-id=m.id>{m.body}" · "<time title=full>{short}</time></p>
        }
        .into_any();
    }
    let mine = m.sender_id == chat.me.with_value(|u| u.id);
    let in_room = cx.in_room.get_untracked();
    let from =
        (!mine && in_room).then(|| view! { <span class="sender">{m.sender_name.clone()}</span> });
    let mentions_me = !mine && chat.mentions_me(&m);
    let quote = m
        .reply
        .clone()
        .map(|q| view! { <QuoteLine quote=q jump=cx.jump /> });
    let body = if m.deleted {
        view! { <p class="message-body deleted">"message deleted"</p> }.into_any()
    } else {
        let text = m.body.clone();
        let shown = if m.body.is_empty() {
            ().into_any()
        } else if m.html.is_empty() {
            view! { <div class="message-body">{m.body.clone()}</div> }.into_any()
        } else {
            let html = if mentions_me {
                chat.me.with_value(|u| mark_me(&m.html, &u.username))
            } else {
                m.html.clone()
            };
            view! { <div class="message-body" inner_html=html></div> }.into_any()
        };
        view! {
            {move || if cx.editing.get() == Some(id) {
                let text = text.clone();
                Suspend::new(async move { super::lazy::message_editor(id, text, cx.editing, cx.edit_failed).await }).into_any()
            } else {
                ().into_any()
            }}
            <div class:hidden=move || cx.editing.get() == Some(id)>{shown}</div>
        }
        .into_any()
    };
    let edited = m.edited_at.filter(|_| !m.deleted).map(|at| {
        let (_, when) = time_of(at);
        view! { <span class="edited" title=format!("edited {when}")>" (edited)"</span> }
    });
    let files = (!m.deleted && !m.attachments.is_empty())
        .then(|| view! { <MessageFiles files=m.attachments.clone() /> });
    let reactions = (!m.deleted && !m.reactions.is_empty())
        .then(|| view! { <ReactionChips message_id=id reactions=m.reactions.clone() /> });
    let actions = (!m.deleted).then(|| {
        let quote = Quote {
            id,
            sender_name: m.sender_name.clone(),
            snippet: Quote::snippet(&m.body),
            deleted: false,
        };
        view! { <Actions quote=quote mine=mine cx=cx /> }
    });
    // "Seen by N" on one's own room messages, asked for on hover.
    let seen_by = RwSignal::new(None::<(u32, String)>);
    let ask = move || {
        if !(mine && in_room) || seen_by.get_untracked().is_some() {
            return;
        }
        spawn_local(async move {
            if let Ok(s) = who_has_seen(id).await {
                seen_by.try_set(Some((s.count, s.names.join(", "))));
            }
        });
    };
    view! {
        {day}
        <article
            class="message"
            class:mine=mine
            class:mentions-me=mentions_me
            class:grouped=move || cx.grouped.with(|g| g.contains(&id))
            class:highlight=move || cx.highlighted.get() == Some(id)
            data-id=m.id
            on:mouseenter=move |_| ask()
            on:focusin=move |_| ask()
        >
            {from}
            {quote}
            {body}
            {files}
            {reactions}
            <time title=full>{short}{edited}</time>
            {move || (cx.seen_id.get() == Some(id)).then(|| view! { <span class="seen">"Seen"</span> })}
            {move || seen_by.get().map(|(n, names)| view! {
                <span class="seen" title=names>{format!("Seen by {n}")}</span>
            })}
            {actions}
        </article>
    }
    .into_any()
}

/// The message a reply answers: who and the start of it; a click shows it.
#[component]
fn QuoteLine(quote: Quote, jump: Callback<i64>) -> impl IntoView {
    if quote.deleted {
        return view! { <p class="quote deleted">"↪ Original message deleted"</p> }.into_any();
    }
    let id = quote.id;
    let label = format!("Reply to {}: {}", quote.sender_name, quote.snippet);
    view! {
        <button type="button" class="quote" aria-label=label on:click=move |_| jump.run(id)>
            "↪ "<strong>{quote.sender_name}</strong>" "{quote.snippet}
        </button>
    }
    .into_any()
}
