//! The composer: a textarea where Enter sends and Shift+Enter breaks the
//! line, with a countdown near the 4,000-character limit and `@mention`
//! completion (`suggest`); the up arrow in an empty box edits one's newest
//! message. Above it, the message being replied to (Escape or ✕ cancels).

use leptos::{html, prelude::*};

use super::attach::{AttachmentList, Attachments};
use super::suggest::{Latest, Offer, Suggestions, caret_in_bytes, caret_in_utf16, look_up};
use crate::chat::{
    model::{BODY_MAX_CHARS, Quote},
    state::use_chat,
};

/// Tells the others this person is typing: at most once every 3 s.
fn typing_now(conversation_id: Option<i32>, last: StoredValue<f64>, shared: bool) {
    #[cfg(feature = "hydrate")]
    if shared {
        let now = js_sys::Date::now();
        if let Some(id) = conversation_id
            && now - last.get_value() >= 3_000.0
        {
            last.set_value(now);
            crate::chat::connection::send_typing(id);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (conversation_id, last, shared);
}

/// Calls `on_send` with the text when it is sendable, then clears it.
#[component]
pub fn Composer(
    #[prop(into)] on_send: Callback<String>,
    #[prop(into)] disabled: Signal<bool>,
    /// Whose members can be mentioned (`None`: no conversation yet).
    #[prop(into)]
    conversation_id: Signal<Option<i32>>,
    /// Up arrow in the empty box: edit one's newest message.
    #[prop(into)]
    on_edit_last: Callback<()>,
    /// The message being replied to.
    replying: RwSignal<Option<Quote>>,
    /// The files being attached.
    attachments: Attachments,
) -> impl IntoView {
    let chat = use_chat();
    let draft = RwSignal::new(String::new());
    let offer = RwSignal::new(None::<Offer>);
    let latest: Latest = StoredValue::new(None);
    let last_typing = StoredValue::new(0f64);
    let input: NodeRef<html::Textarea> = NodeRef::new();
    let submit = move || {
        let body = draft.get_untracked();
        let files = !attachments.ready().is_empty();
        if disabled.get_untracked()
            || attachments.busy()
            || (body.trim().is_empty() && !files)
            || body.chars().count() > BODY_MAX_CHARS
        {
            return;
        }
        draft.set(String::new());
        offer.set(None);
        latest.set_value(None);
        last_typing.set_value(0.0);
        on_send.run(body);
    };
    let pick = move |i: usize| {
        let Some(mut o) = offer.get_untracked() else {
            return;
        };
        o.active = i;
        let (text, caret) = o.accept(&draft.get_untracked());
        offer.set(None);
        latest.set_value(None);
        if let Some(el) = input.get_untracked() {
            el.set_value(&text);
            let at = caret_in_utf16(&text, caret);
            let _ = el.set_selection_range(at, at);
        }
        draft.set(text);
    };
    let on_input = move |ev| {
        let text = event_target_value(&ev);
        draft.set(text.clone());
        if !text.trim().is_empty() {
            let shared = chat.privacy.get_untracked().0;
            typing_now(conversation_id.get_untracked(), last_typing, shared);
        }
        let caret = input
            .get_untracked()
            .and_then(|el| el.selection_start().ok().flatten())
            .map_or(text.len(), |units| caret_in_bytes(&text, units));
        look_up(conversation_id.get_untracked(), text, caret, offer, latest);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if offer.with_untracked(Option::is_some) {
            match ev.key().as_str() {
                "ArrowDown" | "ArrowUp" => {
                    ev.prevent_default();
                    let by = if ev.key() == "ArrowDown" { 1 } else { -1 };
                    offer.update(|o| {
                        if let Some(o) = o {
                            o.step(by)
                        }
                    });
                    return;
                }
                "Enter" | "Tab" => {
                    ev.prevent_default();
                    let active = offer.with_untracked(|o| o.as_ref().map_or(0, |o| o.active));
                    pick(active);
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    offer.set(None);
                    return;
                }
                _ => {}
            }
        }
        if ev.key() == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            submit();
        } else if ev.key() == "Escape" && replying.with_untracked(Option::is_some) {
            ev.prevent_default();
            replying.set(None);
        } else if ev.key() == "ArrowUp" && draft.with_untracked(String::is_empty) {
            ev.prevent_default();
            on_edit_last.run(());
        }
    };
    // Choosing Reply puts the caret here.
    Effect::new(move |_| {
        if replying.with(Option::is_some)
            && let Some(el) = input.get_untracked()
        {
            let _ = el.focus();
        }
    });
    let remaining = move || BODY_MAX_CHARS as i64 - draft.with(|d| d.chars().count()) as i64;
    let active_option =
        move || offer.with(|o| o.as_ref().map(|o| format!("mention-option-{}", o.active)));
    view! {
        {move || replying.get().map(|q| view! {
            <div class="replying" role="status">
                "Replying to "<strong>{q.sender_name}</strong>": "<span class="snippet">{q.snippet}</span>
                <button type="button" class="link" aria-label="Cancel reply" on:click=move |_| replying.set(None)>"✕"</button>
            </div>
        })}
        <AttachmentList attachments=attachments conversation_id=conversation_id />
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <Suggestions offer=offer pick=pick />
            <textarea
                rows="1"
                aria-label="Message"
                aria-autocomplete="list"
                aria-controls="mention-options"
                aria-expanded=move || offer.with(Option::is_some).to_string()
                aria-activedescendant=active_option
                node_ref=input
                placeholder=move || if disabled.get() { "This room is archived" } else { "Type your message" }
                prop:disabled=move || disabled.get()
                prop:value=move || draft.get()
                on:input=on_input
                on:keydown=on_keydown
                on:blur=move |_| offer.set(None)
                on:paste=move |ev: leptos::ev::ClipboardEvent| {
                    #[cfg(feature = "hydrate")]
                    if let (Some(id), Some(list)) = (conversation_id.get_untracked(), ev.clipboard_data().and_then(|d| d.files()))
                        && list.length() > 0
                    {
                        ev.prevent_default();
                        attachments.add(id, (0..list.length()).filter_map(|i| list.get(i)).collect());
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                }
            ></textarea>
            <label class="attach" title="Attach files">
                "📎"
                <input
                    type="file"
                    multiple
                    class="visually-hidden"
                    aria-label="Attach files"
                    prop:disabled=move || disabled.get() || conversation_id.get().is_none()
                    on:change=move |ev| {
                        #[cfg(feature = "hydrate")]
                        {
                            use wasm_bindgen::JsCast;
                            let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
                            if let (Some(id), Some(input)) = (conversation_id.get_untracked(), input) {
                                if let Some(list) = input.files() {
                                    attachments.add(id, (0..list.length()).filter_map(|i| list.get(i)).collect());
                                }
                                input.set_value("");
                            }
                        }
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    }
                />
            </label>
            {move || (remaining() < 200).then(|| view! {
                <span class="countdown" class:over=move || remaining() < 0>{remaining}</span>
            })}
            <button type="submit" class="primary" prop:disabled=move || disabled.get() || attachments.busy()>"Send"</button>
        </form>
    }
}
