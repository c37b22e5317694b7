//! One entry of the history: a system line, or a message — who sent it (in
//! rooms), its text with mentions, its time, "(edited)" with the edit's time
//! on hover, "message deleted" in place of a deleted one — and, on the
//! reader's own messages, Edit (inline; Enter saves, Escape cancels) and
//! Delete (after a confirmation), and "Seen" under the newest one the other
//! person of a direct conversation has read.

use leptos::{html, prelude::*, task::spawn_local};

use super::text::MessageText;
use crate::chat::{
    api::{delete_own_message, edit_message},
    model::Message,
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

#[component]
pub fn MessageItem(
    message: Message,
    /// Show the sender's name (rooms, others' messages).
    in_room: bool,
    /// The message being edited in this conversation, if any.
    editing: RwSignal<Option<i64>>,
    /// The message "Seen" goes under (direct conversations).
    #[prop(into)]
    seen_id: Signal<Option<i64>>,
) -> impl IntoView {
    let chat = use_chat();
    let m = message;
    let (short, full) = time_of(m.created_at);
    if m.system {
        return view! { <p class="system-line" data-id=m.id>{m.body}" · "<time title=full>{short}</time></p> }
            .into_any();
    }
    let mine = m.sender_id == chat.me.with_value(|u| u.id);
    let from =
        (!mine && in_room).then(|| view! { <span class="sender">{m.sender_name.clone()}</span> });
    let mentions_me = !mine && chat.mentions_me(&m);
    let id = m.id;
    let body = if m.deleted {
        view! { <p class="message-body deleted">"message deleted"</p> }.into_any()
    } else {
        let me = chat.me.with_value(|u| u.username.clone());
        let text = m.body.clone();
        let shown = view! { <p class="message-body"><MessageText body=m.body mentions=m.mentions me=me /></p> };
        view! {
            {move || if editing.get() == Some(id) {
                view! { <Editor id=id text=text.clone() editing=editing /> }.into_any()
            } else {
                ().into_any()
            }}
            <div class:hidden=move || editing.get() == Some(id)>{shown}</div>
        }
        .into_any()
    };
    let edited = m.edited_at.filter(|_| !m.deleted).map(|at| {
        let (_, when) = time_of(at);
        view! { <span class="edited" title=format!("edited {when}")>" (edited)"</span> }
    });
    let actions = (mine && !m.deleted).then(|| view! { <Actions id=id editing=editing /> });
    view! {
        <article class="message" class:mine=mine class:mentions-me=mentions_me data-id=m.id>
            {from}
            {body}
            <time title=full>{short}{edited}</time>
            {move || (seen_id.get() == Some(id)).then(|| view! { <span class="seen">"Seen"</span> })}
            {actions}
        </article>
    }
    .into_any()
}

/// Edit and Delete on the reader's own message.
#[component]
fn Actions(id: i64, editing: RwSignal<Option<i64>>) -> impl IntoView {
    let chat = use_chat();
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let delete = move |_| {
        spawn_local(async move {
            match delete_own_message(id).await {
                Ok(m) => chat.update_message(m),
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            confirming.try_set(false);
        })
    };
    view! {
        <span class="message-actions">
            {move || if confirming.get() {
                view! {
                    <span role="group" aria-label="Delete this message?">
                        "Delete this message? "
                        <button type="button" class="link danger" on:click=delete>"Delete message"</button>
                        " "
                        <button type="button" class="link" on:click=move |_| confirming.set(false)>"Keep it"</button>
                    </span>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="link" on:click=move |_| editing.set(Some(id))>"Edit"</button>
                    " "
                    <button type="button" class="link" on:click=move |_| confirming.set(true)>"Delete"</button>
                }.into_any()
            }}
            {move || error.get().map(|e| view! { <span class="form-error" role="alert">{e}</span> })}
        </span>
    }
}

/// The inline editor: Enter saves, Shift+Enter breaks the line, Escape cancels.
#[component]
fn Editor(id: i64, text: String, editing: RwSignal<Option<i64>>) -> impl IntoView {
    let chat = use_chat();
    let draft = RwSignal::new(text);
    let error = RwSignal::new(None::<String>);
    let input: NodeRef<html::Textarea> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let save = move || {
        let body = draft.get_untracked();
        spawn_local(async move {
            match edit_message(id, body).await {
                Ok(m) => {
                    chat.update_message(m);
                    editing.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    view! {
        <form class="edit" on:submit=move |ev| { ev.prevent_default(); save(); }>
            <textarea
                aria-label="Edit message"
                node_ref=input
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev| match ev.key().as_str() {
                    "Enter" if !ev.shift_key() => { ev.prevent_default(); save(); }
                    "Escape" => { ev.prevent_default(); editing.set(None); }
                    _ => {}
                }
            ></textarea>
            <button type="submit" class="primary">"Save"</button>
            <button type="button" on:click=move |_| editing.set(None)>"Cancel"</button>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </form>
    }
}
