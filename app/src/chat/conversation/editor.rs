//! The inline editor for one's own message: Enter saves, Shift+Enter breaks
//! the line, Escape cancels.

use leptos::{html, prelude::*, task::spawn_local};

use crate::chat::{api::edit_message, state::use_chat};

#[component]
pub fn Editor(id: i64, text: String, editing: RwSignal<Option<i64>>) -> impl IntoView {
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
