//! `GET /ws?after=<id>`: one WebSocket per tab, carrying `chat::model::Event`s.
//!
//! The handshake is authorised like a server function (session cookie) and
//! must come from Kanect's own origin. On connect the socket is subscribed to
//! the hub first and only then are the messages after `after` replayed from the
//! database, so a message committed meanwhile is either replayed or arrives
//! live — and the live copy of a replayed message is skipped: no gap, no
//! duplicate. The server pings every 20 s and closes a socket silent for 50 s;
//! it also sends a `heartbeat` event the browser can watch.
//! Client frames are only read for liveness; anything over 4 KiB is refused.

use std::time::{Duration, Instant};

use axum::{
    extract::{
        Query, State,
        ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::hub::Frame;
use crate::{
    auth::{CurrentUser, server::current_user},
    chat::{model::Event, server::messages_after},
    security::is_same_origin,
    state::AppState,
};

const PING_EVERY: Duration = Duration::from_secs(20);
const SILENCE_LIMIT: Duration = Duration::from_secs(50);
const MAX_CLIENT_FRAME: usize = 4 * 1024;
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
    loop {
        tokio::select! {
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
