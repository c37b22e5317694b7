//! The frames the hub hands to sockets: serialised once, shared by every
//! recipient; the few the live layer makes itself (`Control`); and the close
//! codes a socket ends with.

use axum::extract::ws::Utf8Bytes;
use serde::Serialize;

/// Close codes the server ends a socket with (the browser acts on them).
pub mod close {
    /// The session ended: do not reconnect; go to the log-in page.
    pub const SIGNED_OUT: u16 = 4001;
    /// The user opened more sockets than allowed; this, the oldest, was closed.
    /// Do not reconnect on your own.
    pub const TOO_MANY: u16 = 4008;
    /// The socket fell behind or the server asks for a fresh connection.
    pub const RECONNECT: u16 = 1013;
}

/// One serialised frame; `event_id` (logged events only) lets a resuming
/// socket skip what it already replayed. A frame with `close` ends the socket
/// with that code after its text.
#[derive(Debug, Clone)]
pub struct Frame {
    pub event_id: Option<i64>,
    /// Shared by every recipient and handed to each socket as is (a
    /// reference count, not a copy).
    pub text: Utf8Bytes,
    pub close: Option<u16>,
    /// Not a frame to send: the socket's task is to finish writing what a
    /// direct write left in the socket's buffer (`Written::Stalled`).
    pub flush_only: bool,
}

/// The frames the live layer makes itself (the rest of the protocol is the
/// chat's `Event`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Control {
    /// Presence changes since the last presence frame.
    Presence { online: Vec<i32>, offline: Vec<i32> },
    /// Sent every 20 s so clients can tell a dead connection from a quiet one.
    Heartbeat,
    /// The session ended: the socket closes next.
    SignedOut,
}

impl Frame {
    /// A frame that is not in the event log.
    pub fn unlogged(text: impl Into<Utf8Bytes>) -> Self {
        Self {
            event_id: None,
            text: text.into(),
            close: None,
            flush_only: false,
        }
    }

    /// A logged event's frame.
    pub fn logged(event_id: i64, text: impl Into<Utf8Bytes>) -> Self {
        Self {
            event_id: Some(event_id),
            ..Self::unlogged(text)
        }
    }

    pub(super) fn flush() -> Self {
        Self {
            flush_only: true,
            ..Self::unlogged("")
        }
    }

    pub fn control(control: &Control) -> Self {
        Self::unlogged(serde_json::to_string(control).unwrap_or_default())
    }

    pub(super) fn closing(control: &Control, code: u16) -> Self {
        Self {
            close: Some(code),
            ..Self::control(control)
        }
    }
}
