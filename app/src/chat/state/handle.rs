//! Applying live events to the chat state: what each event the socket (or
//! polling) delivers changes in what the tab shows.

use leptos::prelude::*;

use super::{Chat, ReactionChange, connection};
use crate::chat::model::{Event, Incoming, Kind, Reactor};

impl Chat {
    /// Applies one event; does nothing once the chat view is gone.
    pub fn handle(&self, incoming: Incoming) {
        let Some(last) = self.live.last_id.try_get_untracked() else {
            return;
        };
        if let Some(id) = incoming.event_id
            && id > last
        {
            self.live.last_id.set(id);
        }
        match incoming.event {
            Event::Hello { online, cursor, .. } => {
                self.online.set(online.into_iter().collect());
                // A tab that did not know where it stood starts at the cursor
                // and refetches what it shows.
                if self.live.last_id.get_untracked() == 0 {
                    self.resynced(cursor);
                }
            }
            Event::Resync { cursor } => self.resynced(cursor),
            Event::Message { message } => {
                crate::chat::alerts::on_message(self, &message);
                self.add_message(message);
            }
            Event::Sent { message } => self.add_message(message),
            Event::MessageUpdated { message } => self.update_message(message),
            Event::Reaction {
                message_id,
                emoji,
                user_id,
                username,
                on,
                ..
            } => self.react(
                message_id,
                ReactionChange {
                    emoji,
                    who: Reactor {
                        id: user_id,
                        name: username,
                    },
                    on,
                },
            ),
            Event::Privacy {
                share_typing,
                share_receipts,
            } => self.privacy.set((share_typing, share_receipts)),
            Event::Notify {
                conversation_id,
                notify,
            } => self.levels.update(|l| {
                l.insert(conversation_id, notify);
            }),
            Event::Read {
                conversation_id,
                last_read_id,
            } => self.read(conversation_id, last_read_id),
            Event::Conversation { conversation } => match (conversation.kind, conversation.peer_id)
            {
                (Kind::Direct, Some(peer)) => self.directs.update(|d| {
                    d.insert(peer, conversation.id);
                }),
                (Kind::Direct, None) => {}
                (Kind::Room, _) => {
                    self.left.update(|l| {
                        l.remove(&conversation.id);
                    });
                    self.rooms.update(|r| {
                        r.insert(conversation.id, conversation);
                    });
                    self.rooms_version.update(|n| *n += 1);
                }
            },
            Event::MemberJoined {
                conversation_id, ..
            } => {
                self.count_member(conversation_id, 1);
            }
            Event::MemberLeft {
                conversation_id,
                user_id,
            } => {
                if user_id == self.my_id() {
                    self.left.update(|l| {
                        l.insert(conversation_id);
                    });
                }
                self.count_member(conversation_id, -1);
            }
            Event::Heartbeat | Event::SendFailed { .. } => {}
            Event::Seen {
                conversation_id,
                user_id,
                last_read_id,
            } => {
                // With receipts off, this person sees no one's.
                if user_id != self.my_id() && self.privacy.get_untracked().1 {
                    self.seen.update(|s| {
                        let at = s.entry(conversation_id).or_default();
                        *at = (*at).max(last_read_id);
                    });
                }
            }
            Event::Typing {
                conversation_id,
                user_id,
                username,
            } => self.typing_in(conversation_id, user_id, username),
            Event::MessageDeleted { message_id, .. } => {
                self.deleted.update(|d| {
                    d.insert(message_id);
                });
                self.incoming.update(|v| v.retain(|m| m.id != message_id));
                self.activity.update(|all| {
                    for (_, a) in all.iter_mut() {
                        a.unread_ids.retain(|id| *id != message_id);
                        a.mention_ids.retain(|id| *id != message_id);
                    }
                });
                // Counts fetched before the deletion may include it.
                self.resync.update(|n| *n += 1);
            }
            Event::SignedOut => connection::signed_out(),
            Event::Presence { online, offline } => self.online.update(|set| {
                set.extend(online);
                for id in offline {
                    set.remove(&id);
                }
            }),
        }
    }
}
