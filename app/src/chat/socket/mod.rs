//! `GET /ws?after=<id>`: one WebSocket per tab, carrying `chat::model::Event`s.
//!
//! The handshake is authorised like a server function (session cookie) and
//! must come from Kanect's own origin. The socket lives as long as the session
//! that opened it: it is registered under that session, the session is checked
//! after registering, and again when it would expire; an ended session closes
//! it (close code 4001). On connect the socket is subscribed to the live layer
//! first; `hello` carries the newest event id (`cursor`) and who is online
//! (the first `ONLINE_PER_FRAME`; `presence` frames follow with the rest).
//! Only then are the events after `after` (up to `cursor`) replayed from the
//! event log (at most `REPLAY_LIMIT`, else one `resync`), so an event
//! committed meanwhile is either replayed or arrives live — and the live copy
//! of a replayed event is skipped: no gap, no duplicate. Live events come in id order
//! (`live::dispatch`); once the replay is done the socket goes live and the hub
//! may write frames to it straight from the delivering task (`Outlet`, the
//! socket shared by both). Without `after` nothing is replayed: the tab starts at
//! `cursor`. A tab whose `after` is older than the log keeps also gets `resync`.
//! The server pings every 20 s and closes a socket silent for 50 s; it also
//! sends a `heartbeat` event the browser can watch.
//! Clients may also send messages over the socket (`ClientFrame::Send`, the
//! same rules as the `send` server function, authorised by the handshake's
//! session — which deactivation and "log out everywhere" end by closing the
//! socket). Sends are pipelined: up to `MAX_IN_FLIGHT` wait for their commit at
//! once, each answered with `sent` or `send_failed` on this socket. A
//! `typing` frame tells the conversation's other members (`Live::ephemeral`:
//! only if the sender is a member; at most one per conversation every 2 s;
//! never stored). Any other frame only counts as a sign of life; frames over
//! 32 KiB are refused.

mod inbound;
mod outlet;

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    extract::{
        ConnectInfo, Query, State,
        ws::{Message as WsMessage, Utf8Bytes, WebSocketUpgrade},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use futures::{FutureExt, StreamExt, stream::FuturesUnordered};
use serde::Deserialize;
use tower_sessions::Session;

use self::{
    inbound::{SendFrame, TypingLimit, send_message},
    outlet::{
        Outlet, QUEUED_PER_WRITE, Queued, WRITE_TIMEOUT, close_with, send, send_all, write_queued,
    },
};
use super::{
    catch_up::{Missed, missed},
    model::{ClientFrame, Event},
};
use crate::{
    auth::{CurrentUser, server::current_user, session_store::expiry_of},
    db::now_millis,
    error::AppError,
    events::log,
    live::hub::{Control, Frame, Subscription, close},
    security::{client_addr, is_same_origin},
    state::AppState,
};

fn frame_of(event: &Event) -> Frame {
    Frame::unlogged(serde_json::to_string(event).unwrap_or_default())
}

const PING_EVERY: Duration = Duration::from_secs(20);
const SILENCE_LIMIT: Duration = Duration::from_secs(50);
/// A 4,000-character message, JSON-escaped, fits with room to spare.
const MAX_CLIENT_FRAME: usize = 32 * 1024;
/// Sends from one socket waiting for their commit at the same time.
const MAX_IN_FLIGHT: usize = 64;
/// At most this many missed events are replayed; a client further behind
/// gets `resync` and refetches what it shows.
pub const REPLAY_LIMIT: u64 = 1_000;

#[derive(Debug, Deserialize)]
pub struct Resume {
    #[serde(default)]
    after: Option<i64>,
}

/// Who a socket belongs to: the user, the session that opened it, where from.
#[derive(Clone)]
struct Owner {
    me: CurrentUser,
    session: String,
    ip: IpAddr,
}

pub async fn connect(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
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
    let Some(session) = session.id().map(|id| id.to_string()) else {
        return (StatusCode::UNAUTHORIZED, "log in first").into_response();
    };
    let owner = Owner {
        me,
        session,
        ip: client_addr(&headers, peer, &state.settings.trusted_proxies),
    };
    // tungstenite zeroes up to `read_buffer_size` bytes on every read it
    // tries, and the socket's loop tries one after each frame it writes:
    // client frames are small, so 512 B (a longer one takes a few reads).
    ws.read_buffer_size(512)
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(256 * 1024)
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| {
            // Shared from the start: the task's state keeps one pointer, not
            // the socket (an async block keeps room for what it captures).
            serve(state, owner, resume.after, Outlet::new(socket))
        })
}

/// Ids of people online that one frame carries. A socket keeps a write
/// buffer as large as the largest frame it ever sent, so `hello` names the
/// first of them and `presence` frames the rest: with 10,000 people online,
/// one frame would leave ~60 KB behind on every socket.
const ONLINE_PER_FRAME: usize = 128;

/// The frames that open a socket: `hello` with the first `ONLINE_PER_FRAME`
/// of `online`, then the rest as `presence` frames (the browser replaces its
/// set of who is online on `hello` and adds each `presence`).
fn hello(user_id: i32, online: Vec<i32>, cursor: i64) -> Vec<Frame> {
    let mut chunks = online.chunks(ONLINE_PER_FRAME);
    let first = chunks.next().unwrap_or_default().to_vec();
    let mut frames = vec![frame_of(&Event::Hello {
        user_id,
        online: first,
        cursor,
    })];
    frames.extend(chunks.map(|ids| {
        frame_of(&Event::Presence {
            online: ids.to_vec(),
            offline: Vec::new(),
        })
    }));
    frames
}

/// Registers the socket, then checks its session: an end of the session that
/// commits before the check is seen by it, one after it reaches the hub (the
/// session watch), so no ended session keeps a socket.
async fn register(state: &AppState, owner: &Owner, socket: &Outlet) -> Option<(Subscription, i64)> {
    let Ok(sub) = state.live.subscribe(owner.me.id, &owner.session, owner.ip) else {
        crate::metrics::refused("sockets");
        close_with(
            socket,
            close::RECONNECT,
            "too many sockets from this address",
        )
        .await;
        return None;
    };
    match expiry_of(&state.db, &owner.session).await {
        Ok(Some(expires_at)) => Some((sub, expires_at)),
        Ok(None) => {
            let _ = send(socket, &Frame::control(&Control::SignedOut).text).await;
            close_with(socket, close::SIGNED_OUT, "signed out").await;
            None
        }
        Err(_) => {
            close_with(socket, close::RECONNECT, "try again").await;
            None
        }
    }
}

/// Replays what the tab missed after `after` up to `cursor` — all of it, or,
/// when that is more than `REPLAY_LIMIT` or older than the log keeps, one
/// `resync` instead. Returns the id up to which the tab is now current, or
/// `None` if the socket failed.
async fn replay(
    state: &AppState,
    me: i32,
    after: i64,
    cursor: i64,
    socket: &Outlet,
) -> Option<i64> {
    match missed(&state.db, me, after, cursor, REPLAY_LIMIT)
        .await
        .ok()?
    {
        Missed::Events(events) => {
            for event in events {
                if !send(socket, &Utf8Bytes::from(&*event.frame)).await {
                    return None;
                }
            }
        }
        Missed::Resync => {
            let resync = frame_of(&Event::Resync { cursor });
            if !send(socket, &resync.text).await {
                return None;
            }
        }
    }
    Some(cursor)
}

/// The socket's task, for as long as it is open. Its state lives as long as
/// the socket, so it is kept small: `state` is shared (one pointer), rare
/// awaits are boxed, and the arguments are captured by an `async move` block
/// rather than being parameters of an `async fn` (which keeps a second copy
/// of each, the socket included).
#[allow(clippy::manual_async_fn)] // on purpose: see above
fn serve(
    state: AppState,
    owner: Owner,
    after: Option<i64>,
    socket: Arc<Outlet>,
) -> impl std::future::Future<Output = ()> + Send {
    async move {
        let Some((mut sub, expires_at)) = Box::pin(register(&state, &owner, &socket)).await else {
            return;
        };
        let me = owner.me.id;
        let Ok(cursor) = Box::pin(log::current(&state.db)).await else {
            return;
        };
        for frame in hello(me, state.live.online(), cursor) {
            if !send(&socket, &frame.text).await {
                return;
            }
        }
        // Live events up to `current` were replayed (or are covered by the
        // cursor the tab starts from): skip their live copies.
        let current = match after {
            Some(after) => match Box::pin(replay(&state, me, after, cursor, &socket)).await {
                Some(current) => current,
                None => return,
            },
            None => cursor,
        };
        sub.go_live(socket.clone(), current);

        let mut heard = Instant::now();
        let mut typing = TypingLimit::default();
        let heartbeat = Frame::control(&Control::Heartbeat);
        let mut in_flight = FuturesUnordered::new();
        // One timer for the socket's housekeeping — the next ping and the
        // session's end, whichever comes first — moved only when one of them is
        // due: a timer polled or re-armed on every frame would cost each of a
        // room's sockets a timer-wheel visit per message.
        let mut ping_at = tokio::time::Instant::now() + PING_EVERY;
        let mut session_at = until(expires_at);
        let housekeeping = tokio::time::sleep_until(ping_at.min(session_at));
        tokio::pin!(housekeeping);
        loop {
            tokio::select! {
                Some(answer) = in_flight.next(), if !in_flight.is_empty() => {
                    // Sends stored in one batch are answered together: every
                    // answer ready now goes out with one flush.
                    let answer: Frame = answer;
                    let mut answers = vec![answer.text];
                    while let Some(Some(more)) = in_flight.next().now_or_never() {
                        answers.push(more.text);
                    }
                    if !send_all(&socket, answers).await { break; }
                }
                frame = sub.frames.recv() => {
                    let Some(frame) = frame else {
                        // The hub dropped us: too slow, or the user was disconnected.
                        Box::pin(close_with(&socket, close::RECONNECT, "reconnect")).await;
                        break;
                    };
                    // What else is queued goes with it, in order.
                    let mut frames = vec![frame];
                    while frames.len() < QUEUED_PER_WRITE && let Ok(more) = sub.frames.try_recv() {
                        frames.push(more);
                    }
                    let taken = frames.len();
                    let outcome = Box::pin(write_queued(&socket, frames, current)).await;
                    for _ in 0..taken {
                        sub.done();
                    }
                    match outcome {
                        Queued::Written => {}
                        Queued::Failed => break,
                        Queued::Close(code) => {
                            Box::pin(close_with(&socket, code, "closed")).await;
                            break;
                        }
                    }
                }
                incoming = socket.recv() => match incoming {
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(WsMessage::Text(text))) => {
                        heard = Instant::now();
                        match serde_json::from_str(&text) {
                            Ok(ClientFrame::Send { to, conversation_id, body, client_id, reply_to, attachments }) => {
                                if in_flight.len() >= MAX_IN_FLIGHT {
                                    crate::metrics::refused("send");
                                    let refused = frame_of(&Event::SendFailed {
                                        client_id,
                                        error: AppError::RateLimited { retry_after_secs: 1 },
                                    });
                                    if !send(&socket, &refused.text).await { break; }
                                } else {
                                    in_flight.push(send_message(AppState::clone(&state), owner.clone(), SendFrame { to, conversation_id, body, client_id, reply_to, attachments }));
                                }
                            }
                            Ok(ClientFrame::Typing { conversation_id }) => {
                                // Someone who turned typing off is never shown typing,
                                // whatever their browser sends.
                                if typing.allows(conversation_id, Instant::now())
                                    && Box::pin(super::privacy::shares_typing(&state.db, me)).await.unwrap_or(false)
                                {
                                    let frame = frame_of(&Event::Typing {
                                        conversation_id,
                                        user_id: me,
                                        username: owner.me.username.clone(),
                                    });
                                    state.live.ephemeral(conversation_id, me, frame);
                                }
                            }
                            Err(_) => {}
                        }
                    }
                    Some(Ok(_)) => heard = Instant::now(),
                },
                _ = &mut housekeeping => {
                    let now = tokio::time::Instant::now();
                    if now >= ping_at {
                        if heard.elapsed() > SILENCE_LIMIT { break; }
                        let ping = socket.write(WsMessage::Ping(Default::default()));
                        if !matches!(Box::pin(tokio::time::timeout(WRITE_TIMEOUT, ping)).await, Ok(Ok(()))) { break; }
                        if !send(&socket, &heartbeat.text).await { break; }
                        ping_at = now + PING_EVERY;
                    }
                    if now >= session_at {
                        match Box::pin(expiry_of(&state.db, &owner.session)).await {
                            Ok(Some(later)) => session_at = until(later),
                            Ok(None) => {
                                let _ = send(&socket, &Frame::control(&Control::SignedOut).text).await;
                                Box::pin(close_with(&socket, close::SIGNED_OUT, "session expired")).await;
                                break;
                            }
                            Err(_) => session_at = now + Duration::from_secs(60),
                        }
                    }
                    housekeeping.as_mut().reset(ping_at.min(session_at));
                }
            }
        }
    }
}

/// The instant `at_ms` (ms since the epoch) falls at, from now.
fn until(at_ms: i64) -> tokio::time::Instant {
    let wait = u64::try_from(at_ms.saturating_sub(now_millis())).unwrap_or(0);
    tokio::time::Instant::now() + Duration::from_millis(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(frames: &[Frame]) -> Vec<Event> {
        frames
            .iter()
            .map(|f| serde_json::from_str(&f.text).unwrap())
            .collect()
    }

    #[test]
    fn hello_names_everyone_online_in_frames_of_bounded_size() {
        let online: Vec<i32> = (1..=600).collect();
        let frames = hello(7, online.clone(), 42);
        let events = events(&frames);
        assert_eq!(events.len(), online.len().div_ceil(ONLINE_PER_FRAME));
        assert!(events.len() > 1);
        let mut seen = Vec::new();
        for (i, event) in events.into_iter().enumerate() {
            match event {
                Event::Hello {
                    user_id,
                    online,
                    cursor,
                } if i == 0 => {
                    assert_eq!((user_id, cursor, online.len()), (7, 42, ONLINE_PER_FRAME));
                    seen.extend(online);
                }
                Event::Presence { online, offline } if i > 0 => {
                    assert!(offline.is_empty() && online.len() <= ONLINE_PER_FRAME);
                    seen.extend(online);
                }
                other => panic!("unexpected frame {i}: {other:?}"),
            }
        }
        assert_eq!(seen, online);
    }

    #[test]
    fn hello_alone_when_few_are_online() {
        let events = events(&hello(1, vec![], 0));
        assert_eq!(
            events,
            vec![Event::Hello {
                user_id: 1,
                online: vec![],
                cursor: 0
            }]
        );
    }
}
