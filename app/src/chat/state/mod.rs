//! The chat view's client state: the live connection and what it delivered.
//! Provided once by `ChatPage`; People and Conversation read it.
//!
//! Live events are applied here, locally: a message joins `incoming` and moves
//! its conversation's `activity` (newest id, unread ids); a read marker clears
//! unread ids; a new direct conversation is remembered with its peer. Lists
//! fetched from the server are refetched only on `resync` (the tab was too far
//! behind, or connected without knowing where it stood). Every logged event
//! moves the resume point (`live.last_id`) forward.

mod handle;
mod maps;

pub use maps::{IdMap, IdSet};

use leptos::prelude::*;

use super::{
    connection::{self, Connection, Live},
    model::{Conversation, Message, Notify, Reaction, Reactor},
};
use crate::auth::CurrentUser;

/// One person's reaction added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionChange {
    pub emoji: String,
    pub who: Reactor,
    pub on: bool,
}

/// What the conversation pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The direct conversation with this username.
    Direct(String),
    /// A room, by id.
    Room(i32),
}

/// What live events changed in one conversation since the lists were fetched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    /// The newest message either way.
    pub last_message_id: i64,
    /// Messages from others that arrived live and are not read.
    pub unread_ids: Vec<i64>,
    /// Of those, the ones that mention this user.
    pub mention_ids: Vec<i64>,
    /// How far this user has read (0: unknown).
    pub read_up_to: i64,
}

/// Someone typing in a conversation, shown until `until` (ms since the epoch).
#[derive(Debug, Clone, PartialEq)]
pub struct Typist {
    pub user_id: i32,
    pub name: String,
    pub until: f64,
}

/// How long "is typing" shows after the last typing event.
pub const TYPING_SHOWN_MS: u64 = 5_000;

fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// "amy is typing…", "amy and bob are typing…", "3 people are typing…".
pub fn typing_line(names: &[&str]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [a, b] => Some(format!("{a} and {b} are typing…")),
        more => Some(format!("{} people are typing…", more.len())),
    }
}

#[derive(Clone, Copy)]
pub struct Chat {
    pub me: StoredValue<CurrentUser>,
    pub live: Live,
    pub online: RwSignal<IdSet<i32>>,
    /// Messages this tab received live or sent, by id order.
    pub incoming: RwSignal<Vec<Message>>,
    /// Per conversation id: what changed live.
    pub activity: RwSignal<IdMap<i32, Activity>>,
    /// Direct conversations learned live: peer id → conversation id.
    pub directs: RwSignal<IdMap<i32, i32>>,
    /// Rooms as the latest live event (or, before any, the fetched list)
    /// described them, by id.
    pub rooms: RwSignal<IdMap<i32, Conversation>>,
    /// Rooms this user left or was removed from while the tab was open.
    pub left: RwSignal<IdSet<i32>>,
    /// Bumped when rooms or their members changed (lists refetch).
    pub rooms_version: RwSignal<u32>,
    /// Bumped when fetched lists must be fetched again (`resync`).
    pub resync: RwSignal<u32>,
    /// Ids of messages an admin deleted while this tab was open.
    pub deleted: RwSignal<IdSet<i64>>,
    /// Messages their authors edited or deleted while this tab was open, by
    /// id: shown instead of the copy a page fetched earlier.
    pub updated: RwSignal<IdMap<i64, Message>>,
    /// How far the other person of a direct conversation has read, as
    /// learned live (by conversation id).
    pub seen: RwSignal<IdMap<i32, i64>>,
    /// Reactions added or removed while this tab was open, by message id, in
    /// order: applied (`Reaction::apply`) over the copy a page fetched.
    pub reacted: RwSignal<IdMap<i64, Vec<ReactionChange>>>,
    /// What this user shares: (typing, read receipts).
    pub privacy: RwSignal<(bool, bool)>,
    /// Who is typing, by conversation id (ephemeral; never fetched).
    pub typing: RwSignal<IdMap<i32, Vec<Typist>>>,
    /// Notification levels by conversation id, as fetched or changed live.
    pub levels: RwSignal<IdMap<i32, Notify>>,
    /// What each conversation adds to the tab title (`Notify::counted`),
    /// as the sidebar shows it.
    pub badges: RwSignal<IdMap<i32, u32>>,
}

impl Chat {
    /// `cursor`: the newest event id when the page was rendered (0 if unknown).
    pub fn new(me: CurrentUser, cursor: i64) -> Self {
        let privacy = (me.share_typing, me.share_receipts);
        Self {
            me: StoredValue::new(me),
            live: Live {
                connected: RwSignal::new(false),
                last_id: RwSignal::new(cursor),
            },
            online: RwSignal::new(IdSet::new()),
            incoming: RwSignal::new(Vec::new()),
            activity: RwSignal::new(IdMap::new()),
            directs: RwSignal::new(IdMap::new()),
            rooms: RwSignal::new(IdMap::new()),
            left: RwSignal::new(IdSet::new()),
            rooms_version: RwSignal::new(0),
            resync: RwSignal::new(0),
            deleted: RwSignal::new(IdSet::new()),
            updated: RwSignal::new(IdMap::new()),
            seen: RwSignal::new(IdMap::new()),
            typing: RwSignal::new(IdMap::new()),
            reacted: RwSignal::new(IdMap::new()),
            privacy: RwSignal::new(privacy),
            levels: RwSignal::new(IdMap::new()),
            badges: RwSignal::new(IdMap::new()),
        }
    }

    fn my_id(&self) -> i32 {
        self.me.with_value(|m| m.id)
    }

    /// Whether `message` mentions this user.
    pub fn mentions_me(&self, message: &Message) -> bool {
        self.me.with_value(|me| {
            message
                .mentions
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&me.username))
        })
    }

    /// One sidebar section's badges: `counts` replace what the section set
    /// before (`before`, which it keeps), so a room left stops counting.
    pub fn set_badges(&self, before: StoredValue<Vec<i32>>, counts: Vec<(i32, u32)>) {
        let ids: Vec<i32> = counts.iter().map(|(id, _)| *id).collect();
        self.badges.update(|b| {
            before.with_value(|old| {
                for id in old {
                    b.remove(id);
                }
            });
            b.extend(counts);
        });
        before.set_value(ids);
    }

    /// Rooms as fetched, for the ones no live event has described yet (so a
    /// notification knows a room from a direct conversation; only writes
    /// when one is new, so effects reading `rooms` settle).
    pub fn remember_rooms(&self, fetched: impl Iterator<Item = Conversation>) {
        let new: Vec<Conversation> = self
            .rooms
            .with_untracked(|r| fetched.filter(|c| !r.contains_key(&c.id)).collect());
        if !new.is_empty() {
            self.rooms
                .update(|r| r.extend(new.into_iter().map(|c| (c.id, c))));
        }
    }

    /// Levels as fetched, for conversations no live event has set yet (only
    /// writes when one is new, so effects reading `levels` settle).
    pub fn remember_levels(&self, fetched: impl Iterator<Item = (i32, Notify)>) {
        let new: Vec<(i32, Notify)> = self
            .levels
            .with_untracked(|l| fetched.filter(|(id, _)| !l.contains_key(id)).collect());
        if !new.is_empty() {
            self.levels.update(|l| l.extend(new));
        }
    }

    /// This user's level in `conversation_id`, as far as the tab knows
    /// (`fallback`: the level the fetched list said).
    pub fn level(&self, conversation_id: i32, fallback: Notify) -> Notify {
        self.levels
            .with(|l| l.get(&conversation_id).copied())
            .unwrap_or(fallback)
    }

    /// Records a message once (live, replayed, polled or our own send).
    /// Does nothing once the chat view is gone (an answer that arrives late).
    pub fn add_message(&self, message: Message) {
        let Some(known) = self
            .incoming
            .try_with_untracked(|v| v.iter().any(|m| m.id == message.id))
        else {
            return;
        };
        if known {
            return;
        }
        let from_other = message.sender_id != self.my_id() && !message.system;
        let mentions_me = from_other && self.mentions_me(&message);
        self.activity.update(|all| {
            let a = all.entry(message.conversation_id).or_default();
            a.last_message_id = a.last_message_id.max(message.id);
            if from_other && message.id > a.read_up_to {
                a.unread_ids.push(message.id);
                if mentions_me {
                    a.mention_ids.push(message.id);
                }
            }
        });
        // Their message is what they were typing.
        self.typing.update(|t| {
            if let Some(list) = t.get_mut(&message.conversation_id) {
                list.retain(|x| x.user_id != message.sender_id);
            }
        });
        self.incoming.update(|v| {
            let at = v.partition_point(|m| m.id < message.id);
            v.insert(at, message);
        });
    }

    fn typing_in(&self, conversation_id: i32, user_id: i32, name: String) {
        let until = now_ms() + TYPING_SHOWN_MS as f64;
        self.typing.update(|t| {
            let list = t.entry(conversation_id).or_default();
            list.retain(|x| x.user_id != user_id);
            list.push(Typist {
                user_id,
                name,
                until,
            });
        });
        let typing = self.typing;
        set_timeout(
            move || {
                let now = now_ms();
                typing.try_update(|t| {
                    for (_, list) in t.iter_mut() {
                        list.retain(|x| x.until > now);
                    }
                });
            },
            std::time::Duration::from_millis(TYPING_SHOWN_MS + 50),
        );
    }

    /// A reaction added or removed (live, replayed, or this tab's own).
    pub fn react(&self, message_id: i64, change: ReactionChange) {
        self.reacted
            .update(|r| r.entry(message_id).or_default().push(change));
    }

    /// `message` as this tab should show it: its latest edit, and the
    /// reactions and quote changes learned since it was fetched.
    pub fn current(&self, message: &mut Message) {
        if let Some(newer) = self.updated.with(|u| u.get(&message.id).cloned()) {
            *message = newer;
        }
        self.reacted.with(|r| {
            for c in r.get(&message.id).into_iter().flatten() {
                Reaction::apply(&mut message.reactions, &c.emoji, c.who.clone(), c.on);
            }
        });
        if let Some(quote) = message.reply.as_mut() {
            let gone = self.deleted.with(|d| d.contains(&quote.id));
            let edited = self
                .updated
                .with(|u| u.get(&quote.id).map(|m| (m.deleted, m.body.clone())));
            if gone {
                quote.deleted = true;
                quote.snippet.clear();
            } else if let Some((deleted, body)) = edited {
                quote.deleted = deleted;
                quote.snippet = if deleted {
                    String::new()
                } else {
                    super::model::Quote::snippet(&body)
                };
            }
        }
    }

    /// An author's edit or deletion (live, replayed, or this tab's own).
    pub fn update_message(&self, message: Message) {
        let id = message.id;
        if message.deleted {
            self.activity.update(|all| {
                if let Some(a) = all.get_mut(&message.conversation_id) {
                    a.unread_ids.retain(|m| *m != id);
                    a.mention_ids.retain(|m| *m != id);
                }
            });
        }
        self.incoming.update(|v| {
            if let Some(m) = v.iter_mut().find(|m| m.id == id) {
                *m = message.clone();
            }
        });
        self.updated.update(|u| {
            u.insert(id, message);
        });
    }

    fn read(&self, conversation_id: i32, up_to: i64) {
        self.activity.update(|all| {
            let a = all.entry(conversation_id).or_default();
            a.read_up_to = a.read_up_to.max(up_to);
            a.unread_ids.retain(|id| *id > up_to);
            a.mention_ids.retain(|id| *id > up_to);
        });
    }

    fn resynced(&self, cursor: i64) {
        self.live.last_id.set(cursor);
        self.activity.set(IdMap::new());
        // Refetched lists describe the rooms afresh.
        self.rooms.set(IdMap::new());
        self.resync.update(|n| *n += 1);
    }

    fn count_member(&self, conversation_id: i32, by: i32) {
        self.rooms.update(|r| {
            if let Some(room) = r.get_mut(&conversation_id) {
                room.member_count = room.member_count.saturating_add_signed(by);
            }
        });
        self.rooms_version.update(|n| *n += 1);
    }

    /// The direct conversation with `peer`, if this tab learned it live.
    pub fn direct_with(&self, peer: i32) -> Option<i32> {
        self.directs.with(|d| d.get(&peer).copied())
    }

    /// Opens the live connection (browser only); stop it when the view goes.
    pub fn connect(&self) -> Connection {
        let chat = *self;
        connection::start(self.live, move |incoming| chat.handle(incoming))
    }
}

pub fn use_chat() -> Chat {
    expect_context::<Chat>()
}

#[cfg(test)]
mod tests {
    use super::typing_line;

    #[test]
    fn the_typing_line_names_one_or_two_and_counts_more() {
        assert_eq!(typing_line(&[]), None);
        assert_eq!(typing_line(&["amy"]).unwrap(), "amy is typing…");
        assert_eq!(
            typing_line(&["amy", "bob"]).unwrap(),
            "amy and bob are typing…"
        );
        assert_eq!(
            typing_line(&["a", "b", "c"]).unwrap(),
            "3 people are typing…"
        );
    }
}
