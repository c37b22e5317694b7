//! A conversation's history as the panel shows it: the first page (a
//! resource, fetched again when the target changes or after a resync),
//! older pages loaded on scrolling up or on jumping to a quoted message, and
//! the live messages from the chat state, merged into one list.

use leptos::prelude::*;

use crate::{
    chat::{
        api::fetch_messages,
        model::{Conversation as Room, Message},
        room_api::fetch_conversation,
        state::{Chat, Target},
    },
    error::AppError,
};

/// One page of history, whichever kind of conversation.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Loaded {
    /// `None`: a direct conversation that has no message yet.
    pub conversation_id: Option<i32>,
    /// The other person, in a direct conversation.
    pub peer_id: Option<i32>,
    /// How far the other person had read when the page was fetched.
    pub peer_read_id: i64,
    /// The room, in a room.
    pub room: Option<Room>,
    pub messages: Vec<Message>,
    pub has_more: bool,
}

async fn load(target: Target, before: Option<i64>) -> Result<Loaded, AppError> {
    match target {
        Target::Direct(peer) => fetch_messages(peer, before).await.map(|p| Loaded {
            conversation_id: p.conversation_id,
            peer_id: Some(p.peer_id),
            peer_read_id: p.peer_read_id,
            room: None,
            messages: p.messages,
            has_more: p.has_more,
        }),
        Target::Room(id) => fetch_conversation(id, before).await.map(|p| Loaded {
            conversation_id: Some(p.conversation.id),
            peer_id: None,
            peer_read_id: 0,
            room: Some(p.conversation),
            messages: p.messages,
            has_more: p.has_more,
        }),
    }
}

/// The history of the conversation `target` names. Every field is a signal,
/// so it is `Copy` and moves into any closure.
#[derive(Clone, Copy)]
pub struct History {
    target: Signal<Target>,
    /// The newest page.
    pub first: Resource<Result<Loaded, AppError>>,
    /// Pages loaded before it, oldest first.
    pub older: RwSignal<Vec<Message>>,
    pub has_more: RwSignal<bool>,
    pub loading_older: RwSignal<bool>,
    /// The newest page once loaded, for what is shown outside the history's
    /// `<Transition>` (on the server a resource is read inside it only).
    pub loaded: RwSignal<Option<Loaded>>,
    /// The conversation's id: from the page, or — when two people never
    /// talked — from the first message either of them sends.
    pub conversation_id: Memo<Option<i32>>,
    /// Everything shown: older pages, the newest page, then live messages.
    pub messages: Memo<Vec<Message>>,
}

impl History {
    pub fn new(target: Signal<Target>, chat: Chat) -> Self {
        let first = Resource::new(
            move || (target.get(), chat.resync.get()),
            |(target, _)| load(target, None),
        );
        let older = RwSignal::new(Vec::<Message>::new());
        let has_more = RwSignal::new(false);
        let loaded = RwSignal::new(None::<Loaded>);
        Effect::new(move |_| {
            if let Some(Ok(page)) = first.get() {
                has_more.set(page.has_more);
                // Live events about the room (renames, joins) apply from here on.
                if let Some(room) = &page.room {
                    chat.rooms.update(|r| {
                        r.entry(room.id).or_insert_with(|| room.clone());
                    });
                }
                loaded.set(Some(page));
            }
        });
        let conversation_id = Memo::new(move |_| {
            let page = first.get().and_then(Result::ok)?;
            page.conversation_id
                .or_else(|| page.peer_id.and_then(|p| chat.direct_with(p)))
        });
        let messages = Memo::new(move |_| {
            let Some(Ok(page)) = first.get() else {
                return Vec::new();
            };
            let mut all = older.get();
            all.extend(page.messages.iter().cloned());
            let newest = all.last().map_or(0, |m| m.id);
            if let Some(cid) = conversation_id.get() {
                chat.incoming.with(|inc| {
                    all.extend(
                        inc.iter()
                            .filter(|m| m.id > newest && m.conversation_id == cid)
                            .cloned(),
                    )
                });
            }
            chat.deleted
                .with(|gone| all.retain(|m| !gone.contains(&m.id)));
            for m in all.iter_mut() {
                chat.current(m);
            }
            all
        });
        Self {
            target,
            first,
            older,
            has_more,
            loading_older: RwSignal::new(false),
            loaded,
            conversation_id,
            messages,
        }
    }

    /// Loads the page before the oldest message shown; false when nothing
    /// was loaded (none left, another load running, or it failed).
    pub async fn load_older(self) -> bool {
        let Some(oldest) = self
            .messages
            .with_untracked(|all| all.first().map(|m| m.id))
        else {
            return false;
        };
        if self.loading_older.get_untracked() || !self.has_more.get_untracked() {
            return false;
        }
        self.loading_older.set(true);
        // The pane may close meanwhile: `try_` writes.
        let loaded = match load(self.target.get_untracked(), Some(oldest)).await {
            Ok(page) => {
                self.has_more.try_set(page.has_more);
                self.older.try_update(|o| {
                    let mut merged = page.messages;
                    merged.append(o);
                    *o = merged;
                });
                true
            }
            Err(_) => false,
        };
        self.loading_older.try_set(false);
        loaded
    }

    /// Loads older pages until message `id` is shown or the history ends.
    pub async fn reveal(self, id: i64) {
        loop {
            let oldest = self
                .messages
                .with_untracked(|all| all.first().map(|m| m.id));
            let present = self
                .messages
                .with_untracked(|all| all.iter().any(|m| m.id == id));
            let more = self.has_more.try_get_untracked().unwrap_or(false);
            if present || !more || oldest.is_none_or(|o| o < id) || !self.load_older().await {
                break;
            }
        }
    }
}
