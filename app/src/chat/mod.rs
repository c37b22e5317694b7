//! Conversations: the People panel, the conversation beside it, and sending.
//!
//! - `model`: messages, people, pages and live events (shared; also the wire format).
//! - `api`: server functions (`/api/people`, `/api/messages`, `/api/send`,
//!   `/api/mark_read`, `/api/events_since`), thin adapters over the ssr
//!   modules below.
//! - `room_api`: the room server functions (`/api/rooms_*`,
//!   `/api/conversation_members`, `/api/conversation_page`) over `rooms` (ssr).
//! - `server` (ssr): people, recipients, unread counts, read markers and
//!   notification levels; `history` (ssr): pages of a conversation;
//!   `sending` (ssr): validation, the send limit, handing to the writer;
//!   `catch_up` (ssr): what a tab missed, from the event log; `editing` (ssr):
//!   authors editing and deleting their messages; `directory` (ssr):
//!   conversations and memberships, authorisation by membership; `writer`
//!   (ssr): group commit; `peers` (ssr): recipients remembered for a few
//!   seconds; `senders` (ssr): the `send` function's callers remembered by
//!   session (the writer re-checks the session); `remembered` (ssr): the
//!   short-lived map both use; `socket` (ssr): the `/ws` endpoint speaking `model::Event`.
//! - `mentions`: where `@name` mentions are in a body (shared); `mention_store`
//!   (ssr): resolving, recording and reading them.
//! - `badge`: the sidebar's unread marks by notification level; `alerts`: the
//!   tab title, favicon and browser notifications; `privacy_ui`: what a person
//!   shares (typing, read receipts).
//! - `message_api`: reactions, emoji search, "Seen by", privacy (server
//!   functions) over `reactions`, `privacy` (ssr); `replies` (ssr): quotes;
//!   `format` (ssr): a body as safe HTML (Markdown subset, links, mentions).
//! - `state`, `people`, `rooms_ui`, `conversation`, `page`: the UI; `filter`:
//!   the sidebar's filter; `connection`: the
//!   browser's reconnecting socket (polling `events_since` without one).

mod alerts;
pub mod api;
mod badge;
pub mod connection;
mod conversation;
mod filter;
pub mod mentions;
pub mod message_api;
pub mod model;
mod page;
mod people;
mod privacy_ui;
pub mod room_api;
pub mod rooms_ui;
pub mod state;

#[cfg(feature = "ssr")]
pub mod catch_up;
#[cfg(feature = "ssr")]
pub mod directory;
#[cfg(feature = "ssr")]
pub mod editing;
#[cfg(feature = "ssr")]
pub mod format;
#[cfg(feature = "ssr")]
pub mod history;
#[cfg(feature = "ssr")]
pub mod mention_store;
#[cfg(feature = "ssr")]
pub mod peers;
#[cfg(feature = "ssr")]
pub mod privacy;
#[cfg(feature = "ssr")]
pub mod reactions;
#[cfg(feature = "ssr")]
pub mod remembered;
#[cfg(feature = "ssr")]
pub mod replies;
#[cfg(feature = "ssr")]
pub mod rooms;
#[cfg(feature = "ssr")]
pub mod senders;
#[cfg(feature = "ssr")]
pub mod sending;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod socket;
#[cfg(feature = "ssr")]
pub mod writer;

pub use conversation::lazy::ConversationRoute;
pub use page::{ChatPage, OldChatLink, Welcome};
pub use rooms_ui::lazy::{BrowseRoute, NewRoomRoute};
