//! The chat view at `/` and `/chats/:username`: People on the left, the chosen
//! conversation (or a welcome) on the right; one column on a phone. Anonymous
//! visitors are sent to `/login` (on the server with a real redirect: the
//! server knows the visitor before it renders).

use leptos::prelude::*;
use leptos_router::{components::Redirect, hooks::use_params_map};

use super::{conversation::Conversation, people::PeoplePanel, state::Chat};
use crate::{auth::CurrentUser, session::use_auth};

#[component]
pub fn ChatPage() -> impl IntoView {
    let auth = use_auth();
    move || match auth.user() {
        Some(me) => view! { <ChatLayout me=me /> }.into_any(),
        None => view! { <Redirect path="/login" /> }.into_any(),
    }
}

#[component]
fn ChatLayout(me: CurrentUser) -> impl IntoView {
    let chat = Chat::new(me);
    provide_context(chat);
    Effect::new(move |_| chat.connect());
    let params = use_params_map();
    let current = Signal::derive(move || params.with(|p| p.get("username")));
    view! {
        <div class="chat" class:has-peer=move || current.get().is_some()>
            <PeoplePanel current=current />
            {move || match current.get() {
                Some(_) => view! {
                    <Conversation peer=Signal::derive(move || current.get().unwrap_or_default()) />
                }.into_any(),
                None => view! {
                    <section class="conversation welcome">
                        <h2>"Kanect"</h2>
                        <p>"Be in touch with your favourite people."</p>
                    </section>
                }.into_any(),
            }}
        </div>
    }
}
