//! A message's actions, shown on hover or focus: Reply and React on every
//! message; Edit and Delete (after a confirmation) on one's own.

use leptos::{prelude::*, task::spawn_local};

use super::{item::Context, lazy::reaction_picker};
use crate::chat::{
    api::delete_own_message,
    model::{Message, Quote},
    state::use_chat,
};

#[component]
pub fn Actions(message: Memo<Message>, mine: bool, cx: Context) -> impl IntoView {
    let chat = use_chat();
    let id = message.with_untracked(|m| m.id);
    // What a reply quotes: the message as it is when Reply is pressed.
    let quote = move || {
        message.with_untracked(|m| Quote {
            id,
            sender_name: m.sender_name.clone(),
            snippet: Quote::snippet(&m.body),
            deleted: false,
        })
    };
    let confirming = RwSignal::new(false);
    let picking = RwSignal::new(false);
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
    let own = move || {
        mine.then(|| {
            view! {
                " "
                <button type="button" class="link" on:click=move |_| cx.editing.set(Some(id))>"Edit"</button>
                " "
                <button type="button" class="link" on:click=move |_| confirming.set(true)>"Delete"</button>
            }
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
                    <button type="button" class="link" on:click=move |_| cx.replying.set(Some(quote()))>"Reply"</button>
                    " "
                    <button
                        type="button"
                        class="link"
                        aria-expanded=move || picking.get().to_string()
                        on:click=move |_| picking.update(|p| *p = !*p)
                    >"React"</button>
                    {own}
                }.into_any()
            }}
            {move || picking.get().then(|| Suspend::new(async move { reaction_picker(id, picking).await }))}
            {move || error.get().map(|e| view! { <span class="form-error" role="alert">{e}</span> })}
        </span>
    }
}
