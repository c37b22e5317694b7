//! The live event stream's frames: what the server sends (`Event`, read by
//! clients as `Incoming`) and what a client may send (`ClientFrame`).

use serde::{Deserialize, Serialize};

use super::{Conversation, Message, Notify};
use crate::error::AppError;

/// What the live event stream (`/ws`) sends, one JSON object per text frame.
/// Events from the event log also carry `"event_id"` (see `Incoming`); the
/// others (`hello`, `resync`, `presence`, `heartbeat`, `signed_out`, `sent`,
/// `send_failed`) are about this socket or ephemeral. Read with `"type"` as
/// the first key after `event_id` (`crate::wire`), as the server writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// First frame after connecting: who is online now, and the newest event
    /// id (a tab that connected without `after` starts there).
    Hello {
        user_id: i32,
        online: Vec<i32>,
        cursor: i64,
    },
    /// The tab missed more than the server replays: refetch what it shows,
    /// then carry on from `cursor`.
    Resync { cursor: i64 },
    /// A new message in one of the user's conversations (logged).
    Message { message: Message },
    /// The user has read `conversation_id` up to `last_read_id`, in some tab
    /// (logged, for the user only).
    Read {
        conversation_id: i32,
        last_read_id: i64,
    },
    /// Presence changes since the last presence event.
    Presence { online: Vec<i32>, offline: Vec<i32> },
    /// Sent every 20 s so clients can tell a dead connection from a quiet one.
    Heartbeat,
    /// Someone else in a conversation is typing (not logged): show it for
    /// about 5 s, or until their message arrives.
    Typing {
        conversation_id: i32,
        user_id: i32,
        username: String,
    },
    /// Its author edited or deleted a message: show this version in place
    /// of the one with the same id (logged).
    MessageUpdated { message: Message },
    /// Someone added (`on`) or removed an emoji on a message (logged). Apply
    /// with `Reaction::apply`: a change already shown changes nothing.
    Reaction {
        conversation_id: i32,
        message_id: i64,
        emoji: String,
        user_id: i32,
        username: String,
        on: bool,
    },
    /// A message was deleted: drop it from the conversation (logged).
    MessageDeleted {
        message_id: i64,
        conversation_id: i32,
    },
    /// A conversation the user is in was created, renamed, re-topiced or
    /// archived, or the user joined it (logged).
    Conversation { conversation: Conversation },
    /// The other person in a direct conversation has read it up to
    /// `last_read_id` (logged; to both members — a tab ignores its own).
    Seen {
        conversation_id: i32,
        user_id: i32,
        last_read_id: i64,
    },
    /// The user changed their notification level for a conversation, in
    /// some tab (logged, for the user only).
    Notify {
        conversation_id: i32,
        notify: Notify,
    },
    /// The user changed what they share, in some tab (logged, for the user
    /// only).
    Privacy {
        share_typing: bool,
        share_receipts: bool,
    },
    /// Someone joined a conversation the user is in (logged).
    MemberJoined { conversation_id: i32, user_id: i32 },
    /// Someone left or was removed; when `user_id` is the user, the
    /// conversation is gone from their view (logged).
    MemberLeft { conversation_id: i32, user_id: i32 },
    /// This user's sessions were ended (deactivated, password reset, logged
    /// out everywhere): the socket closes next; the tab should go to `/login`.
    SignedOut,
    /// Answer to a `send` frame from this socket: stored (committed).
    Sent { message: Message },
    /// Answer to a `send` frame from this socket: not stored, and why.
    SendFailed { client_id: String, error: AppError },
}

/// `Event`'s variants as serde reads them once `"type"` has named one
/// (`crate::wire`). Add a new `Event` variant here too: the compiler checks
/// the fields, and `every_event_reads_back_from_its_frame` that none is missing.
#[derive(Deserialize)]
#[serde(remote = "Event", rename_all = "snake_case")]
#[allow(dead_code)]
enum EventTwin {
    Hello {
        user_id: i32,
        online: Vec<i32>,
        cursor: i64,
    },
    Resync {
        cursor: i64,
    },
    Message {
        message: Message,
    },
    Read {
        conversation_id: i32,
        last_read_id: i64,
    },
    Presence {
        online: Vec<i32>,
        offline: Vec<i32>,
    },
    Heartbeat,
    Typing {
        conversation_id: i32,
        user_id: i32,
        username: String,
    },
    MessageUpdated {
        message: Message,
    },
    Reaction {
        conversation_id: i32,
        message_id: i64,
        emoji: String,
        user_id: i32,
        username: String,
        on: bool,
    },
    MessageDeleted {
        message_id: i64,
        conversation_id: i32,
    },
    Conversation {
        conversation: Conversation,
    },
    Seen {
        conversation_id: i32,
        user_id: i32,
        last_read_id: i64,
    },
    Notify {
        conversation_id: i32,
        notify: Notify,
    },
    Privacy {
        share_typing: bool,
        share_receipts: bool,
    },
    MemberJoined {
        conversation_id: i32,
        user_id: i32,
    },
    MemberLeft {
        conversation_id: i32,
        user_id: i32,
    },
    SignedOut,
    Sent {
        message: Message,
    },
    SendFailed {
        client_id: String,
        error: AppError,
    },
}

crate::wire::tag_first!(Event, "type" after "event_id", EventTwin);

impl Event {
    /// Whether this kind of event is in the event log (and so resumable).
    pub fn is_logged(&self) -> bool {
        matches!(
            self,
            Self::Message { .. }
                | Self::Read { .. }
                | Self::Notify { .. }
                | Self::Seen { .. }
                | Self::MessageDeleted { .. }
                | Self::MessageUpdated { .. }
                | Self::Reaction { .. }
                | Self::Privacy { .. }
                | Self::Conversation { .. }
                | Self::MemberJoined { .. }
                | Self::MemberLeft { .. }
        )
    }
}

/// A frame as a client reads it: the event, and its id when it is logged.
/// A client resumes with `after=<the last event_id it applied>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub event_id: Option<i64>,
    pub event: Event,
}

impl Incoming {
    /// Reads one frame (`None`: not an event this client knows). The id is
    /// read on its own rather than through `#[serde(flatten)]`, which would
    /// cost the browser bundle a second buffering deserializer.
    pub fn parse(frame: &str) -> Option<Self> {
        #[derive(Deserialize)]
        struct Id {
            #[serde(default)]
            event_id: Option<i64>,
        }
        let event = serde_json::from_str(frame).ok()?;
        let Id { event_id } = serde_json::from_str(frame).ok()?;
        Some(Self { event_id, event })
    }
}

/// What a client may send over `/ws`, one JSON object per text frame.
/// Anything else (or a frame that does not parse) only counts as a sign of life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// The same as the `send` server function, answered on this socket with
    /// `sent` or `send_failed`. Sends may be pipelined (up to 64 unanswered).
    /// `to` names a person (a direct message), or `conversation_id` any
    /// conversation the user is a member of.
    Send {
        #[serde(default)]
        to: Option<String>,
        #[serde(default)]
        conversation_id: Option<i32>,
        body: String,
        client_id: String,
        /// The message this one answers (in the same conversation).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<i64>,
        /// Files uploaded to the conversation (`POST /api/upload`) to send
        /// with it, by id.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
    },
    /// The user is typing in `conversation_id` (send at most one every few
    /// seconds while they type; the server drops faster ones).
    Typing { conversation_id: i32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_json() {
        let json = serde_json::to_string(&Event::Presence {
            online: vec![1],
            offline: vec![],
        })
        .unwrap();
        assert_eq!(json, r#"{"type":"presence","online":[1],"offline":[]}"#);
        assert_eq!(
            serde_json::to_string(&Event::Heartbeat).unwrap(),
            r#"{"type":"heartbeat"}"#
        );
    }

    #[test]
    fn logged_frames_carry_their_event_id() {
        let frame = r#"{"event_id":42,"type":"read","conversation_id":3,"last_read_id":9}"#;
        let incoming = Incoming::parse(frame).unwrap();
        assert_eq!(incoming.event_id, Some(42));
        assert_eq!(
            incoming.event,
            Event::Read {
                conversation_id: 3,
                last_read_id: 9
            }
        );
        let bare = Incoming::parse(r#"{"type":"heartbeat"}"#).unwrap();
        assert_eq!((bare.event_id, bare.event), (None, Event::Heartbeat));
    }

    /// One of each event, as the server writes it (logged ones with their
    /// `event_id` first), reads back as the same event.
    #[test]
    fn every_event_reads_back_from_its_frame() {
        let message = Message {
            id: 7,
            conversation_id: 3,
            body: "hi".into(),
            ..Message::default()
        };
        let conversation = Conversation {
            id: 3,
            kind: super::super::Kind::Room,
            name: "ops".into(),
            peer_id: None,
            topic: String::new(),
            is_public: true,
            archived: false,
            member_count: 2,
            last_message_id: 7,
        };
        let all = [
            Event::Hello {
                user_id: 1,
                online: vec![1, 2],
                cursor: 9,
            },
            Event::Resync { cursor: 9 },
            Event::Message {
                message: message.clone(),
            },
            Event::Read {
                conversation_id: 3,
                last_read_id: 7,
            },
            Event::Presence {
                online: vec![2],
                offline: vec![3],
            },
            Event::Heartbeat,
            Event::Typing {
                conversation_id: 3,
                user_id: 2,
                username: "bob".into(),
            },
            Event::MessageUpdated {
                message: message.clone(),
            },
            Event::Reaction {
                conversation_id: 3,
                message_id: 7,
                emoji: "👍".into(),
                user_id: 2,
                username: "bob".into(),
                on: true,
            },
            Event::MessageDeleted {
                message_id: 7,
                conversation_id: 3,
            },
            Event::Conversation { conversation },
            Event::Seen {
                conversation_id: 3,
                user_id: 2,
                last_read_id: 7,
            },
            Event::Notify {
                conversation_id: 3,
                notify: Notify::Mentions,
            },
            Event::Privacy {
                share_typing: false,
                share_receipts: true,
            },
            Event::MemberJoined {
                conversation_id: 3,
                user_id: 4,
            },
            Event::MemberLeft {
                conversation_id: 3,
                user_id: 4,
            },
            Event::SignedOut,
            Event::Sent { message },
            Event::SendFailed {
                client_id: "c-1".into(),
                error: AppError::field("body", "Too long."),
            },
        ];
        // Every variant is listed: a new one fails to compile here until it
        // is added above and to `EventTwin`, which reads it.
        let kinds: std::collections::HashSet<u8> = all
            .iter()
            .map(|e| match e {
                Event::Hello { .. } => 0,
                Event::Resync { .. } => 1,
                Event::Message { .. } => 2,
                Event::Read { .. } => 3,
                Event::Presence { .. } => 4,
                Event::Heartbeat => 5,
                Event::Typing { .. } => 6,
                Event::MessageUpdated { .. } => 7,
                Event::Reaction { .. } => 8,
                Event::MessageDeleted { .. } => 9,
                Event::Conversation { .. } => 10,
                Event::Seen { .. } => 11,
                Event::Notify { .. } => 12,
                Event::Privacy { .. } => 13,
                Event::MemberJoined { .. } => 14,
                Event::MemberLeft { .. } => 15,
                Event::SignedOut => 16,
                Event::Sent { .. } => 17,
                Event::SendFailed { .. } => 18,
            })
            .collect();
        assert_eq!(kinds.len(), 19);
        for event in all {
            let json = serde_json::to_string(&event).unwrap();
            let plain = Incoming::parse(&json).unwrap_or_else(|| panic!("{json}"));
            assert_eq!((plain.event_id, &plain.event), (None, &event));
            let logged = format!("{{\"event_id\":5,{}", &json[1..]);
            let stamped = Incoming::parse(&logged).unwrap_or_else(|| panic!("{logged}"));
            assert_eq!((stamped.event_id, stamped.event), (Some(5), event));
        }
    }
}
