//! The chat types shared by server and browser, and the message rules.
//! These are also the JSON shapes of the API and the live event stream.

use serde::{Deserialize, Serialize};

mod body;
mod event;

pub use body::{Body, ClientId};
pub use event::{ClientFrame, Event, Incoming};

pub const BODY_MAX_CHARS: usize = 4_000;
pub const PAGE_SIZE: u64 = 50;

/// A stored message. `created_at` is milliseconds since the Unix epoch.
/// `system` lines ("amy joined") are written by Kanect, not typed by
/// `sender_id` (whom they are about).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The body as HTML (`chat::format`: a safe Markdown subset, mentions
    /// marked); empty on system lines and deleted messages.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub html: String,
    /// The message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Quote>,
    /// Reactions, in the order they were first added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Files sent with it, in the order they were attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file sent with a message (or uploaded, waiting to be sent).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attachment {
    /// Random and unguessable; the file is at `/files/<id>/<name>`.
    pub id: String,
    pub name: String,
    pub size: u64,
    /// Sniffed from the bytes.
    pub mime: String,
    /// An image's size in pixels, when it has a thumbnail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// It has a thumbnail (`/files/<id>/thumb`): show it inline.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub thumb: bool,
}

impl Attachment {
    /// Where it downloads from, under its own name.
    pub fn url(&self) -> String {
        let mut name = String::new();
        for b in self.name.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                name.push(b as char);
            } else {
                name.push_str(&format!("%{b:02X}"));
            }
        }
        format!("/files/{}/{name}", self.id)
    }

    pub fn thumb_url(&self) -> String {
        format!("/files/{}/thumb", self.id)
    }

    /// "2.4 MiB", "812 KiB", "96 bytes".
    pub fn size_text(&self) -> String {
        crate::sizes::bytes_text(self.size)
    }
}

/// What a person may upload: the largest file, their quota, and how much
/// of it they use (bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadLimits {
    pub max_bytes: u64,
    pub quota_bytes: u64,
    pub used_bytes: u64,
}

/// Files one message may carry, at most.
pub const ATTACHMENTS_PER_MESSAGE: usize = 10;

/// The message a reply answers, as the reply shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Quote {
    pub id: i64,
    /// Who wrote it (empty when it is gone).
    pub sender_name: String,
    /// The start of its text, on one line (empty when deleted).
    pub snippet: String,
    /// Deleted by its author or removed by an admin.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// Characters of the quoted text a reply shows, at most.
pub const SNIPPET_CHARS: usize = 120;

impl Quote {
    /// The start of `body` on one line: whitespace runs become one space.
    pub fn snippet(body: &str) -> String {
        let mut out = String::new();
        for (i, word) in body.split_whitespace().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(word);
            if out.chars().count() > SNIPPET_CHARS {
                let cut: String = out.chars().take(SNIPPET_CHARS).collect();
                return format!("{cut}…");
            }
        }
        out
    }
}

/// One emoji on a message and who added it, in the order they did.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub by: Vec<Reactor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reactor {
    pub id: i32,
    pub name: String,
}

/// An emoji offered by the reaction picker's search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmojiHit {
    pub emoji: String,
    pub name: String,
}

/// Who in a room has read up to a message (members sharing receipts; the
/// author not counted): how many, and the first names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenBy {
    pub count: u32,
    pub names: Vec<String>,
}

/// Distinct emoji one person may put on one message.
pub const REACTIONS_PER_PERSON: usize = 20;

impl Reaction {
    /// Applies one person's change to a message's reactions: adding what is
    /// there, or removing what is not, changes nothing (so a change that
    /// arrives twice, or after a page that already has it, is harmless).
    pub fn apply(list: &mut Vec<Reaction>, emoji: &str, who: Reactor, on: bool) {
        let at = list.iter().position(|r| r.emoji == emoji);
        match (at, on) {
            (Some(i), true) => {
                if !list[i].by.iter().any(|r| r.id == who.id) {
                    list[i].by.push(who);
                }
            }
            (None, true) => list.push(Reaction {
                emoji: emoji.to_owned(),
                by: vec![who],
            }),
            (Some(i), false) => {
                list[i].by.retain(|r| r.id != who.id);
                if list[i].by.is_empty() {
                    list.remove(i);
                }
            }
            (None, false) => {}
        }
    }
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
