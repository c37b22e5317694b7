//! The composer: a textarea where Enter sends and Shift+Enter breaks the
//! line, with a countdown near the 4,000-character limit.

use leptos::prelude::*;

use crate::chat::model::BODY_MAX_CHARS;

/// Calls `on_send` with the text when it is sendable, then clears it.
#[component]
pub fn Composer(
    #[prop(into)] on_send: Callback<String>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let submit = move || {
        let body = draft.get_untracked();
        if disabled.get_untracked()
            || body.trim().is_empty()
            || body.chars().count() > BODY_MAX_CHARS
        {
            return;
        }
        draft.set(String::new());
        on_send.run(body);
    };
    let remaining = move || BODY_MAX_CHARS as i64 - draft.with(|d| d.chars().count()) as i64;
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <textarea
                rows="1"
                aria-label="Message"
                placeholder=move || if disabled.get() { "This room is archived" } else { "Type your message" }
                prop:disabled=move || disabled.get()
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        submit();
                    }
                }
            ></textarea>
            {move || (remaining() < 200).then(|| view! {
                <span class="countdown" class:over=move || remaining() < 0>{remaining}</span>
            })}
            <button type="submit" class="primary" prop:disabled=move || disabled.get()>"Send"</button>
        </form>
    }
}
