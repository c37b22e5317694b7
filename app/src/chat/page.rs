//! The chat view: the sidebar (Rooms, then Direct messages) on the left, and
//! on the right what the address names — `/dm/:username`, `/rooms/:id`,
//! `/rooms` (browse), `/rooms/new`, or a welcome at `/`. `ChatPage` is the
//! parent route of those addresses; each pane is a child route, the
//! conversation and the room screens lazily loaded (`conversation::lazy`,
//! `rooms_ui::lazy`). On a phone the sidebar and the pane are separate
//! screens (the pane has a back link). Anonymous visitors are sent to
//! `/login` (on the server with a real redirect: the server knows the visitor
//! before it renders). Old `/chats/:username` links redirect to
//! `/dm/:username`.

use leptos::prelude::*;
use leptos_router::{
    components::{Outlet, Redirect},
    hooks::{use_location, use_params_map},
};

use super::{
    alerts::{NotificationsToggle, UnreadTitle},
    conversation::Conversation,
    people::PeoplePanel,
    privacy_ui::PrivacySettings,
    rooms_ui::RoomsPanel,
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

/// The pane the address names, shared by the layout and the pane itself.
#[derive(Clone, Copy)]
struct CurrentPane(Memo<Pane>);

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

/// The parent route of the chat view's addresses.
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
    provide_context(CurrentPane(pane));
    let filter = RwSignal::new(String::new());
    let current_person = Signal::derive(move || match pane.get() {
        Pane::Open(Target::Direct(name)) => Some(name),
        _ => None,
    });
    let current_room = Signal::derive(move || match pane.get() {
        Pane::Open(Target::Room(id)) => Some(id),
        _ => None,
    });
    // The conversation's code is a chunk of its own: fetched when the
    // pointer or the keyboard first enters the sidebar, so it is usually
    // there by the time a conversation is opened.
    let warmed = StoredValue::new(false);
    let warm = move || {
        if !warmed.get_value() {
            warmed.set_value(true);
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(async {
                use leptos_router::LazyRoute;
                super::ConversationRoute::preload().await;
            });
        }
    };
    view! {
        <div class="chat" class:has-peer=move || pane.get() != Pane::Welcome>
            <nav
                class="people sidebar"
                aria-label="Conversations"
                on:pointerover=move |_| warm()
                on:focusin=move |_| warm()
            >
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
            <Outlet />
        </div>
    }
}

/// The pane at `/`.
#[component]
pub fn Welcome() -> impl IntoView {
    view! {
        <section class="conversation welcome">
            <h2>"Kanect"</h2>
            <p>"Be in touch with your favourite people."</p>
        </section>
    }
}

fn missing() -> impl IntoView {
    view! {
        <section class="conversation welcome">
            <h2>"Nothing here"</h2>
            <p>"This conversation does not exist, or you are not in it."</p>
        </section>
    }
}

/// The pane at `/dm/:username` and `/rooms/:id` (lazily loaded, with the
/// conversation's code). Moving to another conversation of the same route
/// (another person, another room) keeps this view and its one
/// `Conversation`, whose `target` follows the address; between a direct
/// conversation and a room the router builds the pane anew.
#[component]
pub fn OpenConversation() -> impl IntoView {
    let CurrentPane(pane) = expect_context();
    let target = Memo::new(move |last: Option<&Target>| match pane.get() {
        Pane::Open(t) => t,
        _ => last.cloned().unwrap_or(Target::Room(0)),
    });
    let open = Memo::new(move |_| matches!(pane.get(), Pane::Open(_)));
    view! {
        <Show when=move || open.get() fallback=missing>
            <Conversation target=target />
        </Show>
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
