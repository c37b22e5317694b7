//! Conversations: the People panel, the conversation beside it, and sending.
//!
//! - `model`: messages, people, pages and live events (shared; also the wire format).
//! - `api`: server functions (`/api/people`, `/api/messages`, `/api/send`,
//!   `/api/mark_read`, `/api/messages_since`), thin adapters over `server`.
//! - `server` (ssr): the queries and checks; `writer` (ssr): group commit;
//!   `peers` (ssr): recipients remembered for a few seconds.
//! - `state`, `people`, `conversation`, `page`: the UI.

pub mod api;
mod conversation;
pub mod model;
mod page;
mod people;
pub mod state;

#[cfg(feature = "ssr")]
pub mod peers;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod writer;

pub use page::ChatPage;
