//! "New room": name, topic, public or private, and first members.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{NavigateOptions, hooks::use_navigate};

use crate::{chat::room_api::create_room, error::AppError};

#[component]
pub fn NewRoom() -> impl IntoView {
    let (name, topic, members) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let public = RwSignal::new(true);
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            let made = create_room(
                name.get_untracked(),
                topic.get_untracked(),
                public.get_untracked(),
                members.get_untracked(),
            )
            .await;
            busy.try_set(false);
            match made {
                Ok(room) => {
                    use_navigate()(&format!("/rooms/{}", room.id), NavigateOptions::default())
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    let field_error = move |field: &'static str| {
        move || error.with(|e| e.as_ref().and_then(|e| e.field_message(field)))
    };
    view! {
        <section class="conversation pane" aria-label="New room">
            <header class="conversation-head">
                <a href="/" class="back" aria-label="Back to conversations">"‹"</a>
                <h2>"New room"</h2>
            </header>
            <form class="pane-body room-form" on:submit=submit>
                <div class="field">
                    <label for="room-name">"Name"</label>
                    <input id="room-name" maxlength="80" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <p class="field-error" role="alert">{field_error("name")}</p>
                </div>
                <div class="field">
                    <label for="room-topic">"Topic"</label>
                    <input id="room-topic" maxlength="250" prop:value=move || topic.get() on:input=move |ev| topic.set(event_target_value(&ev)) />
                    <p class="field-error" role="alert">{field_error("topic")}</p>
                </div>
                <fieldset class="choices">
                    <legend>"Who can find it"</legend>
                    <label class="choice"><input type="radio" name="visibility" prop:checked=move || public.get() on:change=move |_| public.set(true) />"Public: anyone can find and join it"</label>
                    <label class="choice"><input type="radio" name="visibility" prop:checked=move || !public.get() on:change=move |_| public.set(false) />"Private: only people added by its owners"</label>
                </fieldset>
                <div class="field">
                    <label for="room-members">"First members"</label>
                    <input id="room-members" placeholder="usernames, separated by spaces or commas" prop:value=move || members.get() on:input=move |ev| members.set(event_target_value(&ev)) />
                    <p class="field-error" role="alert">{field_error("members")}</p>
                </div>
                {move || error.with(|e| e.as_ref().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> }))}
                <button type="submit" class="primary" prop:disabled=move || busy.get()>"Create room"</button>
            </form>
        </section>
    }
}
