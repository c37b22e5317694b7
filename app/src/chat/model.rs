//! The chat types shared by server and browser, and the message rules.
//! These are also the JSON shapes of the API and the live event stream.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};

pub const BODY_MAX_CHARS: usize = 4_000;
pub const PAGE_SIZE: u64 = 50;

/// A stored message. `created_at` is milliseconds since the Unix epoch.
/// `system` lines ("amy joined") are written by Kanect, not typed by
/// `sender_id` (whom they are about).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i32,
    pub sender_id: i32,
    pub body: String,
    pub client_id: String,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub system: bool,
    /// The sender's username (empty on system lines).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sender_name: String,
    /// The members it mentions (`@username`), by username: what the reader
    /// sees highlighted (`mentions::segments`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// When the author last edited it (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
    /// The author deleted it: show "message deleted" in its place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// Whether a conversation is between two people or a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Direct,
    Room,
}

/// A member's role in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Renames, changes the topic, adds and removes members, archives.
    Owner,
    Member,
}

/// What counts toward a member's badge and notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notify {
    All,
    Mentions,
    Nothing,
}

impl Notify {
    /// A new member's level: everything in a direct conversation (every
    /// message there is for you), mentions in a room (in a busy room every
    /// message would otherwise count; the room still shows as unread).
    pub fn default_for(kind: Kind) -> Self {
        match kind {
            Kind::Direct => Self::All,
            Kind::Room => Self::Mentions,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mentions => "mentions",
            Self::Nothing => "nothing",
        }
    }

    /// The stored or submitted name (`None`: not a level).
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::All, Self::Mentions, Self::Nothing]
            .into_iter()
            .find(|n| n.as_str() == raw)
    }

    /// What a conversation adds to the badge and the tab title, given its
    /// unread messages and unread mentions.
    pub fn counted(self, unread: u32, mentions: u32) -> u32 {
        match self {
            Self::All => unread,
            Self::Mentions => mentions,
            Self::Nothing => 0,
        }
    }

    /// Whether a new message from someone else (`mentions_me`: it mentions
    /// the reader) deserves a browser notification.
    pub fn notifies(self, mentions_me: bool) -> bool {
        match self {
            Self::All => true,
            Self::Mentions => mentions_me,
            Self::Nothing => false,
        }
    }
}

/// A conversation as its members see it in the sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: i32,
    pub kind: Kind,
    /// The room's name, or the other person's username.
    pub name: String,
    /// The other person, in a direct conversation.
    pub peer_id: Option<i32>,
    pub topic: String,
    pub is_public: bool,
    pub archived: bool,
    pub member_count: u32,
    pub last_message_id: i64,
}

/// A public room in "Browse rooms".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomListing {
    pub room: Conversation,
    /// The viewer is a member.
    pub joined: bool,
}

/// A room in the sidebar: the room, the viewer's unread messages and unread
/// mentions in it (each capped at 100), their role and notification level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomEntry {
    pub room: Conversation,
    pub unread: u32,
    pub mentions: u32,
    pub role: Role,
    pub notify: Notify,
}

/// A page of any conversation, with what its header shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationPage {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
    /// True when older messages exist before the first one here.
    pub has_more: bool,
}

/// Someone in a conversation's members panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: i32,
    pub username: String,
    pub role: Role,
    pub online: bool,
}

/// Someone in the People panel, as the viewer sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i32,
    pub username: String,
    pub online: bool,
    /// Messages from this person the viewer has not read (capped at 100).
    pub unread: u32,
    /// Of those, the ones that mention the viewer.
    pub mentions: u32,
    /// The viewer's level for their direct conversation.
    pub notify: Notify,
    /// The newest message between the two, if they ever talked.
    pub last_message_id: Option<i64>,
    /// Their direct conversation, once there is one.
    pub conversation_id: Option<i32>,
}

/// One page of a conversation, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The conversation (`None`: the two never talked; the first send makes it).
    pub conversation_id: Option<i32>,
    /// The other participant.
    pub peer_id: i32,
    pub peer_name: String,
    pub messages: Vec<Message>,
    /// True when older messages exist before the first one here.
    pub has_more: bool,
    /// How far the other person has read (their read marker; 0: nothing).
    #[serde(default)]
    pub peer_read_id: i64,
}

/// What the live event stream (`/ws`) sends, one JSON object per text frame.
/// Events from the event log also carry `"event_id"` (see `Incoming`); the
/// others (`hello`, `resync`, `presence`, `heartbeat`, `signed_out`, `sent`,
/// `send_failed`) are about this socket or ephemeral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    },
    /// The user is typing in `conversation_id` (send at most one every few
    /// seconds while they type; the server drops faster ones).
    Typing { conversation_id: i32 },
}

/// A message body: at most 4,000 characters, line breaks and tabs kept
/// (`\r\n` and lone `\r` become `\n`), no other control characters, and not
/// blank — where invisible characters (zero-width spaces, joiners, fillers)
/// count as blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body(String);

/// Characters that show nothing: a body of only these (and whitespace) is blank.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}' | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}')
}

impl Body {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
        if let Some(bad) = normalised
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        {
            return Err(FieldError::new(
                "body",
                format!(
                    "Messages can't contain control characters (found U+{:04X}).",
                    bad as u32
                ),
            ));
        }
        let body = normalised.trim_end();
        let body = body.trim_start_matches('\n');
        if body.chars().all(is_invisible) {
            return Err(FieldError::new("body", "Type a message first."));
        }
        let chars = body.chars().count();
        if chars > BODY_MAX_CHARS {
            return Err(FieldError::new(
                "body",
                format!(
                    "Messages can be at most {BODY_MAX_CHARS} characters (this one has {chars})."
                ),
            ));
        }
        Ok(Self(body.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The sender's own id for a message, so a retried send is recognised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let ok = (8..=64).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                "client_id",
                "Use 8 to 64 letters, digits, '-' or '_'.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_messages_are_refused() {
        for raw in ["", "   ", "\n\n\t "] {
            assert_eq!(Body::parse(raw).unwrap_err().field, "body");
        }
    }

    #[test]
    fn control_characters_are_refused_but_newlines_and_tabs_kept() {
        for raw in [
            "a\0b",
            "bell\u{7}",
            "esc\u{1b}[31m",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            let err = Body::parse(raw).unwrap_err();
            assert_eq!(err.field, "body");
            assert!(err.message.contains("control"), "{raw:?}: {}", err.message);
        }
        assert_eq!(Body::parse("a\tb\r\nc\rd").unwrap().as_str(), "a\tb\nc\nd");
    }

    #[test]
    fn invisible_characters_alone_count_as_blank() {
        for raw in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{FEFF} ",
            "\u{3164}",
            "\u{2800}\n\u{2060}",
        ] {
            assert_eq!(
                Body::parse(raw).unwrap_err().message,
                "Type a message first.",
                "{raw:?}"
            );
        }
        assert!(
            Body::parse("a\u{200B}").is_ok(),
            "visible text with a joiner is fine"
        );
    }

    #[test]
    fn line_breaks_inside_a_message_are_kept() {
        assert_eq!(
            Body::parse("\nhello\n  world  \n").unwrap().as_str(),
            "hello\n  world"
        );
        assert_eq!(Body::parse("  indented").unwrap().as_str(), "  indented");
    }

    #[test]
    fn the_limit_counts_characters_not_bytes() {
        assert!(Body::parse(&"é".repeat(BODY_MAX_CHARS)).is_ok());
        let err = Body::parse(&"x".repeat(BODY_MAX_CHARS + 1)).unwrap_err();
        assert!(err.message.contains("4000"), "{}", err.message);
    }

    #[test]
    fn client_ids_are_short_safe_tokens() {
        assert!(ClientId::parse("0f8e2c1a-77aa-4c5e-9d2b-3e4f5a6b7c8d").is_ok());
        assert!(ClientId::parse("short").is_err());
        assert!(ClientId::parse("has space in it").is_err());
        assert!(ClientId::parse(&"a".repeat(65)).is_err());
    }

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
}
