//! The chat view's client state: the live connection and what it delivered.
//! Provided once by `ChatPage`; People and Conversation read it.

use std::collections::HashSet;

use leptos::prelude::*;

use super::model::{Event, Message};
use crate::{
    auth::CurrentUser,
    live::client::{self, Live},
};

#[derive(Clone, Copy)]
pub struct Chat {
    pub me: StoredValue<CurrentUser>,
    pub live: Live,
    pub online: RwSignal<HashSet<i32>>,
    /// Messages this tab received live or sent, by id order.
    pub incoming: RwSignal<Vec<Message>>,
    /// Bumped when the People list should be fetched again.
    pub people_version: RwSignal<u32>,
    /// Ids of messages an admin deleted while this tab was open.
    pub deleted: RwSignal<HashSet<i64>>,
}

impl Chat {
    pub fn new(me: CurrentUser) -> Self {
        Self {
            me: StoredValue::new(me),
            live: Live {
                connected: RwSignal::new(false),
                last_id: RwSignal::new(0),
            },
            online: RwSignal::new(HashSet::new()),
            incoming: RwSignal::new(Vec::new()),
            people_version: RwSignal::new(0),
            deleted: RwSignal::new(HashSet::new()),
        }
    }

    /// Records a message once (live, replayed, polled or our own send).
    pub fn add_message(&self, message: Message) {
        if message.id > self.live.last_id.get_untracked() {
            self.live.last_id.set(message.id);
        }
        let known = self
            .incoming
            .with_untracked(|v| v.iter().any(|m| m.id == message.id));
        if !known {
            self.incoming.update(|v| {
                let at = v.partition_point(|m| m.id < message.id);
                v.insert(at, message);
            });
            self.people_version.update(|n| *n += 1);
        }
    }

    pub fn handle(&self, event: Event) {
        match event {
            Event::Hello { online, .. } => {
                self.online.set(online.into_iter().collect());
                self.people_version.update(|n| *n += 1);
            }
            Event::Message { message } => self.add_message(message),
            Event::Read { reader_id, .. } if reader_id == self.me.with_value(|m| m.id) => {
                self.people_version.update(|n| *n += 1);
            }
            Event::Read { .. } | Event::Heartbeat => {}
            Event::MessageDeleted { message_id, .. } => {
                self.deleted.update(|d| {
                    d.insert(message_id);
                });
                self.incoming.update(|v| v.retain(|m| m.id != message_id));
                self.people_version.update(|n| *n += 1);
            }
            Event::SignedOut => client::signed_out(),
            // This tab sends through the `send` server function; a `sent`
            // answer only arrives for frames it sent itself, which it does not.
            Event::Sent { message } => self.add_message(message),
            Event::SendFailed { .. } => {}
            Event::Presence { online, offline } => self.online.update(|set| {
                set.extend(online);
                for id in offline {
                    set.remove(&id);
                }
            }),
        }
    }

    /// Opens the live connection (browser only).
    pub fn connect(&self) {
        let chat = *self;
        client::start(self.live, move |event| chat.handle(event));
    }
}

pub fn use_chat() -> Chat {
    expect_context::<Chat>()
}
