//! `GET /ws?after=<id>`: one WebSocket per tab, carrying `chat::model::Event`s.
//!
//! The handshake is authorised like a server function (session cookie) and
//! must come from Kanect's own origin. On connect the socket is subscribed to
//! the hub first and only then are the messages after `after` replayed from the
//! database, so a message committed meanwhile is either replayed or arrives
//! live — and the live copy of a replayed message is skipped: no gap, no
//! duplicate. The server pings every 20 s and closes a socket silent for 50 s;
//! it also sends a `heartbeat` event the browser can watch.
//! Clients may also send messages over the socket (`ClientFrame::Send`, the
//! same rules as the `send` server function, authorised by the handshake's
//! session — which deactivation and "log out everywhere" end by closing the
//! socket). Sends are pipelined: up to `MAX_IN_FLIGHT` wait for their commit at
//! once, each answered with `sent` or `send_failed` on this socket. Any other
//! frame only counts as a sign of life; frames over 32 KiB are refused.

use std::time::{Duration, Instant};

use axum::{
    extract::{
        Query, State,
        ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use futures::{StreamExt, stream::FuturesUnordered};
use serde::Deserialize;
use tower_sessions::Session;

use super::hub::Frame;
use crate::{
    auth::{CurrentUser, server::current_user},
    chat::{
        model::{ClientFrame, Event},
        server::messages_after,
    },
    error::AppError,
    security::is_same_origin,
    state::AppState,
};

const PING_EVERY: Duration = Duration::from_secs(20);
const SILENCE_LIMIT: Duration = Duration::from_secs(50);
/// A 4,000-character message, JSON-escaped, fits with room to spare.
const MAX_CLIENT_FRAME: usize = 32 * 1024;
/// Sends from one socket waiting for their commit at the same time.
const MAX_IN_FLIGHT: usize = 64;
const REPLAY_PAGE: u64 = 500;

#[derive(Debug, Deserialize)]
pub struct Resume {
    #[serde(default)]
    after: Option<i64>,
}

pub async fn connect(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
    ws: WebSocketUpgrade,
) -> Response {
    if !is_same_origin(&headers, state.settings.origin()) {
        return (StatusCode::FORBIDDEN, "cross-origin WebSocket refused").into_response();
    }
    let me = match current_user(&state.db, &session).await {
        Ok(Some(me)) => me,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "log in first").into_response(),
        Err(e) => {
            return (
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                e.to_string(),
            )
                .into_response();
        }
    };
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(256 * 1024)
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| serve(state, me, resume.after, socket))
}

async fn send(socket: &mut WebSocket, text: &str) -> bool {
    socket.send(WsMessage::Text(text.into())).await.is_ok()
}

async fn serve(state: AppState, me: CurrentUser, after: Option<i64>, mut socket: WebSocket) {
    let mut sub = state.hub.subscribe(me.id);
    let hello = Event::Hello {
        user_id: me.id,
        online: state.hub.online(),
    };
    if !send(&mut socket, &Frame::of(&hello).text).await {
        return;
    }
    // Replay what the tab missed, page by page; remember the last id sent.
    let mut last_sent = after.unwrap_or(i64::MAX);
    if let Some(mut cursor) = after {
        loop {
            let page = match messages_after(&state.db, me.id, cursor, REPLAY_PAGE).await {
                Ok(page) => page,
                Err(_) => return,
            };
            for message in &page {
                let frame = Frame::of(&Event::Message {
                    message: message.clone(),
                });
                if !send(&mut socket, &frame.text).await {
                    return;
                }
                cursor = message.id;
            }
            if (page.len() as u64) < REPLAY_PAGE {
                break;
            }
        }
        last_sent = cursor;
    }

    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut heard = Instant::now();
    let heartbeat = Frame::of(&Event::Heartbeat);
    let mut in_flight = FuturesUnordered::new();
    loop {
        tokio::select! {
            Some(answer) = in_flight.next(), if !in_flight.is_empty() => {
                let answer: Frame = answer;
                if !send(&mut socket, &answer.text).await { break; }
            }
            frame = sub.frames.recv() => {
                let Some(frame) = frame else {
                    // The hub dropped us (too slow, or the user was disconnected).
                    let _ = socket.send(WsMessage::Close(Some(CloseFrame { code: 1013, reason: "reconnect".into() }))).await;
                    break;
                };
                if frame.message_id.is_some_and(|id| after.is_some() && id <= last_sent) {
                    continue;
                }
                if !send(&mut socket, &frame.text).await { break; }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(WsMessage::Text(text))) => {
                    heard = Instant::now();
                    if let Ok(ClientFrame::Send { to, body, client_id }) = serde_json::from_str(&text) {
                        if in_flight.len() >= MAX_IN_FLIGHT {
                            let refused = Frame::of(&Event::SendFailed {
                                client_id,
                                error: AppError::RateLimited { retry_after_secs: 1 },
                            });
                            if !send(&mut socket, &refused.text).await { break; }
                        } else {
                            in_flight.push(send_message(state.clone(), me.clone(), to, body, client_id));
                        }
                    }
                }
                Some(Ok(_)) => heard = Instant::now(),
            },
            _ = ping.tick() => {
                if heard.elapsed() > SILENCE_LIMIT { break; }
                if socket.send(WsMessage::Ping(Default::default())).await.is_err() { break; }
                if !send(&mut socket, &heartbeat.text).await { break; }
            }
        }
    }
}

/// Stores one message sent over the socket and returns the answer frame.
async fn send_message(
    state: AppState,
    me: CurrentUser,
    to: String,
    body: String,
    client_id: String,
) -> Frame {
    let result = crate::chat::server::send(&state, &me, &to, &body, &client_id).await;
    Frame::of(&match result {
        Ok(message) => Event::Sent { message },
        Err(error) => Event::SendFailed { client_id, error },
    })
}
