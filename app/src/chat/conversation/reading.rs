//! Reading, as the panel sees it: the conversation is marked read up to the
//! newest message from someone else that it shows, and "Seen" (direct
//! conversations) goes under the newest of one's own messages the other
//! person has read.

use leptos::{prelude::*, task::spawn_local};

use super::history::History;
use crate::chat::{api::mark_read, state::Chat};

/// Marks the conversation read (`mark_read`) whenever a newer message from
/// someone else is shown.
pub fn mark_read_as_shown(history: History, me: i32) {
    let marked = RwSignal::new(0i64);
    let messages = history.messages;
    Effect::new(move |_| {
        let all = messages.get();
        if let Some(last) = all.iter().rev().find(|m| m.sender_id != me && !m.system)
            && last.id > marked.get_untracked()
        {
            marked.set(last.id);
            let (conversation, up_to) = (last.conversation_id, last.id);
            spawn_local(async move {
                let _ = mark_read(conversation, up_to).await;
            });
        }
    });
}

/// The message "Seen" goes under: the newest of `me`'s own that the other
/// person has read, as the page said or a live `seen` event since.
pub fn seen_id(history: History, chat: Chat, me: i32) -> Memo<Option<i64>> {
    let History {
        loaded,
        conversation_id,
        messages,
        ..
    } = history;
    Memo::new(move |_| {
        let (cid, fetched) = loaded.with(|l| {
            l.as_ref()
                .filter(|l| l.room.is_none())
                .map(|l| (l.conversation_id, l.peer_read_id))
        })?;
        let live = conversation_id
            .get()
            .or(cid)
            .and_then(|c| chat.seen.with(|s| s.get(&c).copied()))
            .unwrap_or(0);
        let up_to = fetched.max(live);
        messages.with(|all| {
            all.iter()
                .rev()
                .find(|m| m.sender_id == me && !m.system && m.id <= up_to)
                .map(|m| m.id)
        })
    })
}
