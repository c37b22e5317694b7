//! The socket as the socket's task and the hub share it (`Outlet`): the task
//! writes its own frames (answers, replays, pings) and awaits them; the hub
//! writes live frames straight from the delivering task when nothing of the
//! task's own is under way (`DirectWrite`). Either writes several frames
//! with one flush when it has several, and a write that could not finish
//! is handed back to the task (`Written::Stalled`). `write_queued` writes
//! what the task takes from its queue. Every write gives up after
//! `WRITE_TIMEOUT`.

use std::{
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll, Waker, ready},
    time::Duration,
};

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket};
use futures::{SinkExt, StreamExt};

use crate::live::hub::{DirectWrite, Frame, Written};

/// A client that does not take a frame within this long is dropped.
pub(super) const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The socket, shared by its task and the hub, which writes live frames to
/// it directly when nothing is queued ahead of them (`DirectWrite`). Each
/// use holds the lock for one poll, never across an await.
pub(super) struct Outlet {
    socket: Mutex<WebSocket>,
    /// Writes of the socket's task under way: the hub does not write
    /// meanwhile (its frame would overtake theirs, and its waker would
    /// replace theirs).
    own: AtomicUsize,
}

/// Counts one of the task's own writes for as long as it lives.
struct OwnWrite<'a>(&'a AtomicUsize);

impl Drop for OwnWrite<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Outlet {
    pub(super) fn new(socket: WebSocket) -> Arc<Self> {
        Arc::new(Self {
            socket: Mutex::new(socket),
            own: AtomicUsize::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, WebSocket> {
        self.socket.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `message` and flushes it.
    pub(super) async fn write(&self, message: WsMessage) -> Result<(), axum::Error> {
        self.write_all(vec![message]).await
    }

    /// Writes `messages` in order and flushes once: as few writes to the
    /// socket as its write buffer allows.
    pub(super) async fn write_all(&self, messages: Vec<WsMessage>) -> Result<(), axum::Error> {
        self.own.fetch_add(1, Ordering::SeqCst);
        let _own = OwnWrite(&self.own);
        let mut messages = messages.into_iter().peekable();
        std::future::poll_fn(|cx| {
            let mut socket = self.lock();
            while messages.peek().is_some() {
                ready!(socket.poll_ready_unpin(cx))?;
                if let Some(m) = messages.next() {
                    socket.start_send_unpin(m)?;
                }
            }
            socket.poll_flush_unpin(cx)
        })
        .await
    }

    /// Finishes writing what a stalled direct write left buffered.
    async fn flush(&self) -> Result<(), axum::Error> {
        std::future::poll_fn(|cx| self.lock().poll_flush_unpin(cx)).await
    }

    pub(super) async fn recv(&self) -> Option<Result<WsMessage, axum::Error>> {
        std::future::poll_fn(|cx| self.lock().poll_next_unpin(cx)).await
    }
}

impl DirectWrite for Outlet {
    /// The lock, and the socket's state behind it, which `try_write` reads.
    fn prefetch(&self) {
        let start = std::ptr::from_ref(self).cast::<u8>();
        for offset in (0..size_of::<Self>()).step_by(64) {
            crate::live::hub::prefetch(start.wrapping_add(offset));
        }
    }

    fn try_write(&self, frames: &[&Arc<Frame>], clear: &dyn Fn() -> bool) -> Written {
        let Ok(mut socket) = self.socket.try_lock() else {
            return Written::Declined;
        };
        if self.own.load(Ordering::SeqCst) != 0 || !clear() {
            return Written::Declined;
        }
        // Nobody waits on this write: if it cannot finish now, the task is
        // told to (`Written::Stalled`), with its own waker.
        let mut cx = Context::from_waker(Waker::noop());
        for (taken, frame) in frames.iter().enumerate() {
            match socket.poll_ready_unpin(&mut cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Written::Done,
                Poll::Pending if taken == 0 => return Written::Declined,
                Poll::Pending => return Written::Stalled { taken },
            }
            if socket
                .start_send_unpin(WsMessage::Text(frame.text.clone()))
                .is_err()
            {
                return Written::Done;
            }
        }
        match socket.poll_flush_unpin(&mut cx) {
            Poll::Ready(_) => Written::Done,
            Poll::Pending => Written::Stalled {
                taken: frames.len(),
            },
        }
    }
}

/// Writes one text frame (shared, not copied); false when the socket is
/// gone or stayed blocked for `WRITE_TIMEOUT`.
pub(super) async fn send(socket: &Outlet, text: &Utf8Bytes) -> bool {
    send_all(socket, vec![text.clone()]).await
}

/// Writes text frames in order with one flush (`Outlet::write_all`); false
/// when the socket is gone or stayed blocked for `WRITE_TIMEOUT`. Most
/// writes finish on their first poll: only a blocked one arms the timer.
pub(super) async fn send_all(socket: &Outlet, texts: Vec<Utf8Bytes>) -> bool {
    if texts.is_empty() {
        return true;
    }
    let messages = texts.into_iter().map(WsMessage::Text).collect();
    let mut write = std::pin::pin!(socket.write_all(messages));
    match futures::poll!(write.as_mut()) {
        std::task::Poll::Ready(done) => done.is_ok(),
        std::task::Poll::Pending => {
            matches!(tokio::time::timeout(WRITE_TIMEOUT, write).await, Ok(Ok(())))
        }
    }
}

/// Finishes a direct write that stalled; false when the socket is gone or
/// stayed blocked for `WRITE_TIMEOUT`.
async fn finish_stalled(socket: &Outlet) -> bool {
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, socket.flush()).await,
        Ok(Ok(()))
    )
}

/// Queued frames the socket's task takes at once (one write, if they fit).
pub(super) const QUEUED_PER_WRITE: usize = 64;

/// What came of writing frames taken from the queue.
pub(super) enum Queued {
    Written,
    Failed,
    /// A closing frame was written: close with this code.
    Close(u16),
}

/// Writes frames taken from the socket's queue, in order: runs of frames
/// with one flush each, a flush marker by finishing the stalled direct
/// write, and a closing frame last. Logged events up to `current` were
/// replayed and are skipped.
pub(super) async fn write_queued(socket: &Outlet, frames: Vec<Arc<Frame>>, current: i64) -> Queued {
    let mut run = Vec::with_capacity(frames.len());
    for frame in frames {
        if frame.flush_only {
            if !send_all(socket, std::mem::take(&mut run)).await
                || !Box::pin(finish_stalled(socket)).await
            {
                return Queued::Failed;
            }
            continue;
        }
        if frame.event_id.is_none_or(|id| id > current) {
            run.push(frame.text.clone());
        }
        if let Some(code) = frame.close {
            // Nothing is queued after a closing frame.
            return if send_all(socket, run).await {
                Queued::Close(code)
            } else {
                Queued::Failed
            };
        }
    }
    if send_all(socket, run).await {
        Queued::Written
    } else {
        Queued::Failed
    }
}

pub(super) async fn close_with(socket: &Outlet, code: u16, reason: &'static str) {
    let frame = WsMessage::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.write(frame)).await;
}
