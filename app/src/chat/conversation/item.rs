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
    pub grouped: Memo<crate::chat::state::IdSet<i64>>,
    /// The day separator shown before a message, by id.
    pub days: Memo<crate::chat::state::IdMap<i64, String>>,
    /// The message just jumped to (briefly highlighted).
    pub highlighted: RwSignal<Option<i64>>,
    /// Shows a message, loading older history until it is there.
    pub jump: Callback<i64>,
}

#[component]
pub fn MessageItem(
    /// The message as it is now: the row stays while it is edited, reacted
    /// to or deleted, and only the parts that changed are drawn again (so a
    /// click, an open editor or an open picker is never lost to a redraw).
    message: Memo<Message>,
    cx: Context,
) -> impl IntoView {
    let chat = use_chat();
    let m = message.get_untracked();
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
    let deleted = Memo::new(move |_| message.with(|m| m.deleted));
    let mentions_me = Memo::new(move |_| !mine && message.with(|m| chat.mentions_me(m)));
    let reply = Memo::new(move |_| message.with(|m| m.reply.clone()));
    let text = Memo::new(move |_| message.with(|m| (m.body.clone(), m.html.clone())));
    let files = Memo::new(move |_| message.with(|m| (!m.deleted).then(|| m.attachments.clone())));
    let reactions = Memo::new(move |_| message.with(|m| (!m.deleted).then(|| m.reactions.clone())));
    let edited = Memo::new(move |_| message.with(|m| m.edited_at.filter(|_| !m.deleted)));
    let editing = move || cx.editing.get() == Some(id) && !deleted.get();
    let body = move || {
        if deleted.get() {
            return view! { <p class="message-body deleted">"message deleted"</p> }.into_any();
        }
        let (body, html) = text.get();
        if body.is_empty() {
            ().into_any()
        } else if html.is_empty() {
            view! { <div class="message-body">{body}</div> }.into_any()
        } else {
            let html = if mentions_me.get() {
                chat.me.with_value(|u| mark_me(&html, &u.username))
            } else {
                html
            };
            view! { <div class="message-body" inner_html=html></div> }.into_any()
        }
    };
    let editor = move || {
        editing().then(|| {
            let text = message.with_untracked(|m| m.body.clone());
            Suspend::new(async move {
                super::lazy::message_editor(id, text, cx.editing, cx.edit_failed).await
            })
        })
    };
    let seen_by = SeenBy::new(id, mine && in_room);
    view! {
        {day}
        <article
            class="message"
            class:mine=mine
            class:mentions-me=move || mentions_me.get()
            class:grouped=move || cx.grouped.with(|g| g.contains(&id))
            class:highlight=move || cx.highlighted.get() == Some(id)
            data-id=m.id
            on:mouseenter=move |_| seen_by.ask()
            on:focusin=move |_| seen_by.ask()
        >
            {from}
            {move || reply.get().map(|q| view! { <QuoteLine quote=q jump=cx.jump /> })}
            {editor}
            <div class:hidden=editing>{body}</div>
            {move || files.get().filter(|f| !f.is_empty()).map(|f| view! { <MessageFiles files=f /> })}
            {move || reactions.get().filter(|r| !r.is_empty()).map(|r| view! { <ReactionChips message_id=id reactions=r /> })}
            // Read receipts sit on the time's line, out of the flow: one
            // arriving under the pointer moves nothing.
            <div class="meta">
                <time title=full>{short}{move || edited.get().map(|at| {
                    let (_, when) = time_of(at);
                    view! { <span class="edited" title=format!("edited {when}")>" (edited)"</span> }
                })}</time>
                {move || (cx.seen_id.get() == Some(id)).then(|| view! { <span class="seen">"Seen"</span> })}
                {move || seen_by.shown.get().map(|(n, names)| view! {
                    <span class="seen" title=names>{format!("Seen by {n}")}</span>
                })}
            </div>
            {move || (!deleted.get()).then(|| view! { <Actions message=message mine=mine cx=cx /> })}
        </article>
    }
    .into_any()
}

/// "Seen by N" on one's own room message: asked for once, when the reader
/// first points at or focuses it.
#[derive(Clone, Copy)]
struct SeenBy {
    id: i64,
    wanted: bool,
    asked: StoredValue<bool>,
    shown: RwSignal<Option<(u32, String)>>,
}

impl SeenBy {
    fn new(id: i64, wanted: bool) -> Self {
        Self {
            id,
            wanted,
            asked: StoredValue::new(false),
            shown: RwSignal::new(None),
        }
    }

    fn ask(self) {
        if !self.wanted || self.asked.get_value() {
            return;
        }
        self.asked.set_value(true);
        spawn_local(async move {
            match who_has_seen(self.id).await {
                Ok(s) => {
                    self.shown.try_set(Some((s.count, s.names.join(", "))));
                }
                // Asked again on the next hover.
                Err(_) => {
                    self.asked.try_set_value(false);
                }
            }
        });
    }
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
