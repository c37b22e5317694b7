//! The inline editor for one's own message: Enter saves, Shift+Enter breaks
//! the line, Escape cancels. Saving closes it at once (the message shows the
//! new text when the server has it, from the answer or the live event); a
//! save that fails opens it again with the draft and the reason.

use leptos::{html, prelude::*, task::spawn_local};

use crate::chat::{api::edit_message, state::use_chat};

/// An edit whose save failed: shown when its message's editor opens again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub id: i64,
    pub draft: String,
    pub error: String,
}

#[component]
pub fn Editor(
    id: i64,
    text: String,
    editing: RwSignal<Option<i64>>,
    failed: RwSignal<Option<Failed>>,
) -> impl IntoView {
    let chat = use_chat();
    let retried = failed.get_untracked().filter(|f| f.id == id);
    if retried.is_some() {
        failed.set(None);
    }
    let draft = RwSignal::new(retried.as_ref().map_or(text, |f| f.draft.clone()));
    let error = RwSignal::new(retried.map(|f| f.error));
    let input: NodeRef<html::Textarea> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let save = move || {
        let body = draft.get_untracked();
        editing.set(None);
        spawn_local(async move {
            match edit_message(id, body.clone()).await {
                Ok(m) => chat.update_message(m),
                Err(e) => {
                    failed.try_set(Some(Failed {
                        id,
                        draft: body,
                        error: e.to_string(),
                    }));
                    // Opened again, unless another message is being edited
                    // by now (then it opens with the draft when chosen).
                    if editing.try_get_untracked() == Some(None) {
                        editing.try_set(Some(id));
                    }
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
