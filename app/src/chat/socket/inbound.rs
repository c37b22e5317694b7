//! What a client sends over its socket: messages (stored by the same rules
//! as the `send` server function, answered on the socket) and typing frames
//! (passed on at most once per conversation every `TYPING_EVERY`).

use std::time::{Duration, Instant};

use super::{Owner, frame_of};
use crate::{
    chat::{
        model::Event,
        sending::{self, Draft, SendPath, SendTo},
    },
    error::AppError,
    live::hub::Frame,
    state::AppState,
};

/// Typing frames a socket may pass on: one per conversation every
/// `TYPING_EVERY` (the browser sends one every 3 s while its person types);
/// faster ones are dropped. Remembers a handful of conversations.
#[derive(Default)]
pub(super) struct TypingLimit {
    last: Vec<(i32, Instant)>,
}

const TYPING_EVERY: Duration = Duration::from_secs(2);

impl TypingLimit {
    pub(super) fn allows(&mut self, conversation_id: i32, now: Instant) -> bool {
        self.last
            .retain(|(_, at)| now.duration_since(*at) < TYPING_EVERY);
        if self.last.iter().any(|(c, _)| *c == conversation_id) || self.last.len() >= 8 {
            return false;
        }
        self.last.push((conversation_id, now));
        true
    }
}

/// A `send` frame's contents.
pub(super) struct SendFrame {
    pub to: Option<String>,
    pub conversation_id: Option<i32>,
    pub body: String,
    pub client_id: String,
    pub reply_to: Option<i64>,
    pub attachments: Vec<String>,
}

/// Stores one message sent over the socket and returns the answer frame.
pub(super) async fn send_message(state: AppState, owner: Owner, frame: SendFrame) -> Frame {
    let SendFrame {
        to,
        conversation_id,
        body,
        client_id,
        reply_to,
        attachments,
    } = frame;
    let path = SendPath {
        db: &state.db,
        writer: &state.writer,
        peers: &state.peers,
        limiter: &state.send_limiter,
    };
    let target = match (conversation_id, to.as_deref()) {
        (Some(id), _) => Some(SendTo::Conversation(id)),
        (None, Some(name)) => Some(SendTo::Person(name)),
        (None, None) => None,
    };
    let result = match target {
        Some(target) => {
            let draft = Draft {
                body: &body,
                client_id: &client_id,
                reply_to,
                attachments: &attachments,
            };
            sending::send(path, &owner.me, &owner.session, target, draft).await
        }
        None => Err(AppError::field("to", "Say who the message is for.")),
    };
    frame_of(&match result {
        Ok(message) => Event::Sent { message },
        Err(error) => Event::SendFailed { client_id, error },
    })
}
