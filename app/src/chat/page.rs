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

/// The newest message id when the server rendered this page: the live
/// connection resumes from it, so a page load never replays history.
fn rendered_cursor() -> i64 {
    SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            crate::auth::visitor::cursor_of_this_request()
        }
        #[cfg(not(feature = "ssr"))]
        {
            0
        }
    })
    .into_inner()
}

#[component]
fn ChatLayout(me: CurrentUser) -> impl IntoView {
    let chat = Chat::new(me, rendered_cursor());
    provide_context(chat);
    // One socket for as long as this view is mounted; closed (with its
    // timers) when it goes — log-out, or leaving for another page.
    Effect::new(move |_| {
        let connection = send_wrapper::SendWrapper::new(chat.connect());
        on_cleanup(move || connection.stop());
    });
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
