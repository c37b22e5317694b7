//! The chat view: the sidebar (Rooms, then Direct messages) on the left, and
//! on the right what the address names — `/dm/:username`, `/rooms/:id`,
//! `/rooms` (browse), `/rooms/new`, or a welcome at `/`. On a phone the
//! sidebar and the pane are separate screens (the pane has a back link).
//! Anonymous visitors are sent to `/login` (on the server with a real
//! redirect: the server knows the visitor before it renders). Old
//! `/chats/:username` links redirect to `/dm/:username`.

use leptos::prelude::*;
use leptos_router::{
    components::Redirect,
    hooks::{use_location, use_params_map},
};

use super::{
    alerts::{NotificationsToggle, UnreadTitle},
    conversation::Conversation,
    people::PeoplePanel,
    privacy_ui::PrivacySettings,
    rooms_ui::{
        RoomsPanel,
        lazy::{browse_rooms, new_room},
    },
    state::{Chat, Target},
};
use crate::{auth::CurrentUser, session::use_auth};

/// What the right-hand pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pane {
    Welcome,
    Open(Target),
    Browse,
    NewRoom,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Welcome,
    Conversation,
    Browse,
    NewRoom,
    Missing,
}

fn pane_of(path: &str) -> Pane {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [""] => Pane::Welcome,
        ["dm", name] if !name.is_empty() => Pane::Open(Target::Direct((*name).to_owned())),
        ["rooms"] => Pane::Browse,
        ["rooms", "new"] => Pane::NewRoom,
        ["rooms", id] => id
            .parse()
            .map_or(Pane::Missing, |id| Pane::Open(Target::Room(id))),
        _ => Pane::Missing,
    }
}

/// `/chats/:username`, the old address of a direct conversation.
#[component]
pub fn OldChatLink() -> impl IntoView {
    let params = use_params_map();
    let name = params.with_untracked(|p| p.get("username").unwrap_or_default());
    view! { <Redirect path=format!("/dm/{name}") /> }
}

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
    let location = use_location();
    let pane = Memo::new(move |_| location.pathname.with(|p| pane_of(p)));
    // Which component the pane holds changes less often than what it shows:
    // moving between conversations keeps the one `Conversation` and changes
    // its `target`, which always names the last conversation opened.
    let shown = Memo::new(move |_| match pane.get() {
        Pane::Welcome => Shown::Welcome,
        Pane::Open(_) => Shown::Conversation,
        Pane::Browse => Shown::Browse,
        Pane::NewRoom => Shown::NewRoom,
        Pane::Missing => Shown::Missing,
    });
    let target = Memo::new(move |last: Option<&Target>| match pane.get() {
        Pane::Open(t) => t,
        _ => last.cloned().unwrap_or(Target::Room(0)),
    });
    let filter = RwSignal::new(String::new());
    let current_person = Signal::derive(move || match pane.get() {
        Pane::Open(Target::Direct(name)) => Some(name),
        _ => None,
    });
    let current_room = Signal::derive(move || match pane.get() {
        Pane::Open(Target::Room(id)) => Some(id),
        _ => None,
    });
    view! {
        <div class="chat" class:has-peer=move || pane.get() != Pane::Welcome>
            <nav class="people sidebar" aria-label="Conversations">
                <input
                    class="people-filter"
                    type="search"
                    placeholder="Filter rooms and people"
                    aria-label="Filter conversations"
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
                <RoomsPanel current=current_room filter=filter />
                <PeoplePanel current=current_person filter=filter />
                <NotificationsToggle />
                <PrivacySettings />
            </nav>
            <UnreadTitle />
            {move || match shown.get() {
                Shown::Conversation => view! { <Conversation target=target /> }.into_any(),
                // Lazily loaded code (`rooms_ui::lazy`).
                Shown::Browse => view! {
                    <Suspense fallback=|| view! { <section class="conversation"><p class="loading">"Loading…"</p></section> }>
                        {Suspend::new(async { browse_rooms().await })}
                    </Suspense>
                }.into_any(),
                Shown::NewRoom => view! {
                    <Suspense fallback=|| view! { <section class="conversation"><p class="loading">"Loading…"</p></section> }>
                        {Suspend::new(async { new_room().await })}
                    </Suspense>
                }.into_any(),
                Shown::Welcome => view! {
                    <section class="conversation welcome">
                        <h2>"Kanect"</h2>
                        <p>"Be in touch with your favourite people."</p>
                    </section>
                }.into_any(),
                Shown::Missing => view! {
                    <section class="conversation welcome">
                        <h2>"Nothing here"</h2>
                        <p>"This conversation does not exist, or you are not in it."</p>
                    </section>
                }.into_any(),
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_name_their_pane() {
        assert_eq!(pane_of("/"), Pane::Welcome);
        assert_eq!(
            pane_of("/dm/nemo"),
            Pane::Open(Target::Direct("nemo".into()))
        );
        assert_eq!(pane_of("/rooms"), Pane::Browse);
        assert_eq!(pane_of("/rooms/new"), Pane::NewRoom);
        assert_eq!(pane_of("/rooms/12"), Pane::Open(Target::Room(12)));
        assert_eq!(pane_of("/rooms/x"), Pane::Missing);
    }
}
