//! Telling a person that something arrived while they look elsewhere.
//!
//! - The tab title reads `(3) Kanect` and the favicon gets a dot while
//!   anything counts toward a badge (`Chat::badges`, which the sidebar keeps
//!   by each conversation's notification level).
//! - A browser notification (sender, room, text) shows for a message from
//!   someone else when the tab is hidden and the conversation's level says so
//!   (`Notify::notifies`). Permission is asked only when the person clicks
//!   "Turn on notifications", never on load; clicking a notification brings
//!   the tab forward on that conversation.

use leptos::prelude::*;

use super::{
    model::{Message, Notify},
    state::{Chat, use_chat},
};

/// The unread total shown in the title, from every conversation's badge.
pub fn title_count(badges: &super::state::IdMap<i32, u32>) -> u32 {
    badges.values().sum()
}

/// The tab title for `count` things waiting.
pub fn title_for(count: u32) -> String {
    match count {
        0 => "Kanect".to_owned(),
        1..=99 => format!("({count}) Kanect"),
        _ => "(99+) Kanect".to_owned(),
    }
}

/// Keeps the tab title and favicon in step with the badges; put once in the
/// chat view.
#[component]
pub fn UnreadTitle() -> impl IntoView {
    let chat = use_chat();
    let count = Memo::new(move |_| chat.badges.with(title_count));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let href = if count.get() > 0 {
            "/favicon-unread.svg"
        } else {
            "/favicon.svg"
        };
        if let Ok(Some(link)) = document().query_selector("link[rel=icon]") {
            let _ = link.set_attribute("href", href);
        }
    });
    on_cleanup(|| {
        #[cfg(feature = "hydrate")]
        if let Ok(Some(link)) = document().query_selector("link[rel=icon]") {
            let _ = link.set_attribute("href", "/favicon.svg");
        }
    });
    // The server renders the title after the body, when this view's
    // signals may be gone: `try_get` (nothing is unread in a server render).
    view! { <leptos_meta::Title text=move || title_for(count.try_get().unwrap_or(0)) /> }
}

/// A live message arrived (not one this tab sent): notify when the tab is
/// hidden, the permission was given and the level asks for it.
pub fn on_message(chat: &Chat, message: &Message) {
    if message.system || message.sender_id == chat.me.with_value(|m| m.id) {
        return;
    }
    let room = chat
        .rooms
        .with_untracked(|r| r.get(&message.conversation_id).map(|r| r.name.clone()));
    let fallback = if room.is_some() {
        Notify::Mentions
    } else {
        Notify::All
    };
    let level = chat
        .levels
        .with_untracked(|l| l.get(&message.conversation_id).copied().unwrap_or(fallback));
    if !level.notifies(chat.mentions_me(message)) {
        return;
    }
    let title = match room {
        Some(room) => format!("{} in #{room}", message.sender_name),
        None => message.sender_name.clone(),
    };
    let href = match room_href(chat, message) {
        Some(href) => href,
        None => format!("/dm/{}", message.sender_name),
    };
    browser::show(&title, &message.body, message.conversation_id, href);
}

fn room_href(chat: &Chat, message: &Message) -> Option<String> {
    chat.rooms
        .with_untracked(|r| r.contains_key(&message.conversation_id))
        .then(|| format!("/rooms/{}", message.conversation_id))
}

/// "Turn on notifications", shown while the browser has not been asked.
#[component]
pub fn NotificationsToggle() -> impl IntoView {
    let asked = RwSignal::new(true);
    // Read after hydration: the server cannot know the browser's answer.
    Effect::new(move |_| asked.set(!browser::can_ask()));
    move || {
        (!asked.get()).then(|| {
            view! {
                <button type="button" class="link notifications-toggle" on:click=move |_| {
                    browser::ask();
                    asked.set(true);
                }>"Turn on notifications"</button>
            }
        })
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::{JsCast, closure::Closure};
    use web_sys::{Notification, NotificationOptions, NotificationPermission};

    /// Notifications exist here and the person was never asked.
    pub fn can_ask() -> bool {
        let supported = js_sys::Reflect::has(&window(), &"Notification".into()).unwrap_or(false);
        supported && Notification::permission() == NotificationPermission::Default
    }

    pub fn ask() {
        let _ = Notification::request_permission();
    }

    fn window() -> web_sys::Window {
        leptos::prelude::window()
    }

    pub fn show(title: &str, body: &str, conversation_id: i32, href: String) {
        let hidden =
            leptos::prelude::document().visibility_state() == web_sys::VisibilityState::Hidden;
        let supported = js_sys::Reflect::has(&window(), &"Notification".into()).unwrap_or(false);
        if !hidden || !supported || Notification::permission() != NotificationPermission::Granted {
            return;
        }
        let text: String = body.chars().take(200).collect();
        let options = NotificationOptions::new();
        options.set_body(&text);
        options.set_tag(&format!("conversation-{conversation_id}"));
        let Ok(note) = Notification::new_with_options(title, &options) else {
            return;
        };
        let on_click = Closure::once_into_js(move || {
            let w = window();
            let _ = w.focus();
            // The router follows history changes: this opens the
            // conversation without reloading the page.
            if let Ok(history) = w.history() {
                let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&href));
                if let Ok(ev) = web_sys::Event::new("popstate") {
                    let _ = w.dispatch_event(&ev);
                }
            }
        });
        note.set_onclick(Some(on_click.unchecked_ref()));
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    pub fn can_ask() -> bool {
        false
    }
    pub fn ask() {}
    pub fn show(_: &str, _: &str, _: i32, _: String) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_carries_the_count_up_to_99() {
        assert_eq!(title_for(0), "Kanect");
        assert_eq!(title_for(3), "(3) Kanect");
        assert_eq!(title_for(100), "(99+) Kanect");
        let badges = [(1, 2), (7, 0), (9, 5)].into_iter().collect();
        assert_eq!(title_count(&badges), 7);
    }

    #[test]
    fn levels_decide_what_counts_and_what_notifies() {
        assert_eq!(Notify::All.counted(5, 1), 5);
        assert_eq!(Notify::Mentions.counted(5, 1), 1);
        assert_eq!(Notify::Nothing.counted(5, 1), 0);
        assert!(Notify::All.notifies(false));
        assert!(!Notify::Mentions.notifies(false) && Notify::Mentions.notifies(true));
        assert!(!Notify::Nothing.notifies(true));
    }
}
