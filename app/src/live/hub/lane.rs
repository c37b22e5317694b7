//! One socket's lane as the hub sees it: its bounded queue and what it
//! shares with the socket's task, and the rule that decides whether a frame
//! is written straight to the socket or queued (`Lane::offer`, the order
//! argument on `Lane`). `offer_all` offers one frame to many lanes.

use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::mpsc;

use super::frame::Frame;

/// Writes a frame to a socket at once, from whichever task delivers it.
pub trait DirectWrite: Send + Sync {
    /// Writes `text` without waiting, if the socket is free (no one else is
    /// using it) and `clear()`, asked while holding it, says nothing is
    /// ahead of this frame.
    fn try_write(&self, text: &Utf8Bytes, clear: &dyn Fn() -> bool) -> Written;
}

/// What came of a `DirectWrite::try_write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Written, or the socket failed (its task sees that and ends).
    Done,
    /// Taken, but part of it waits in the socket's buffer: its task must
    /// finish the write before anything else goes out.
    Stalled,
    /// Not written: the socket is busy or something is ahead. Queue it.
    Declined,
}

/// One socket as the hub sees it: its queue, and what it shares with the
/// socket's task (`Shared`).
///
/// Why order holds: `queued` counts the frames pushed to the queue that the
/// task has not finished writing (it calls `Subscription::done` after each).
/// A direct write happens only while `queued` is 0, checked while holding
/// the socket (`DirectWrite::try_write`), so nothing queued before it is
/// still unwritten. Logged events come from one task (`dispatch`), in id
/// order, so each is written directly or queued behind the earlier ones —
/// never ahead. A direct write that stalls queues a flush marker, so the
/// frames after it queue behind it too.
pub(super) struct Lane {
    pub(super) tx: mpsc::Sender<Arc<Frame>>,
    pub(super) shared: Arc<Shared>,
}

/// What the hub and a socket's task share.
pub(super) struct Shared {
    pub(super) queued: AtomicUsize,
    /// Set by `go_live`: the socket's writer, and the id up to which logged
    /// events were replayed (their live copies are skipped).
    pub(super) direct: OnceLock<(Arc<dyn DirectWrite>, i64)>,
    /// Removed from the hub: what is queued still goes out, nothing more is
    /// written directly.
    pub(super) closed: AtomicBool,
}

impl Lane {
    /// Queues `frame`; false if the queue is full.
    pub(super) fn push(&self, frame: Arc<Frame>) -> bool {
        let queued = &self.shared.queued;
        queued.fetch_add(1, Ordering::SeqCst);
        if self.tx.try_send(frame).is_ok() {
            true
        } else {
            queued.fetch_sub(1, Ordering::SeqCst);
            false
        }
    }

    /// Hands `frame` to the socket: written now if it can be without
    /// breaking the socket's order, else queued.
    pub(super) fn offer(&self, frame: &Arc<Frame>) -> Offered {
        let shared = &*self.shared;
        if let Some((writer, after)) = shared.direct.get()
            && frame.close.is_none()
            && !shared.closed.load(Ordering::SeqCst)
        {
            if frame.event_id.is_some_and(|id| id <= *after) {
                return Offered::Skipped; // replayed already
            }
            let clear = || shared.queued.load(Ordering::SeqCst) == 0;
            match writer.try_write(&frame.text, &clear) {
                Written::Done => return Offered::Direct,
                Written::Stalled if self.push(Arc::new(Frame::flush())) => {
                    return Offered::Stalled;
                }
                Written::Stalled => return Offered::TooSlow,
                Written::Declined => {}
            }
        }
        if self.push(frame.clone()) {
            Offered::Queued
        } else {
            Offered::TooSlow
        }
    }
}

/// What became of a frame offered to a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Offered {
    Direct,
    Stalled,
    Queued,
    /// A logged event the socket replayed already.
    Skipped,
    /// The queue is full: the socket is dropped.
    TooSlow,
}

/// Recipients one thread writes to in a delivery before it is split over
/// more cores (a write to a socket is a few µs, mostly the kernel's).
pub(super) const LANES_PER_THREAD: usize = 2_048;

/// What came of offering one frame to many sockets.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) direct: u64,
    pub(super) queued: u64,
    pub(super) stalled: u64,
    /// Sockets whose queue was full: (user, connection).
    pub(super) slow: Vec<(i32, u64)>,
}

impl Tally {
    pub(super) fn add(&mut self, other: Tally) {
        self.direct += other.direct;
        self.queued += other.queued;
        self.stalled += other.stalled;
        self.slow.extend(other.slow);
    }
}

/// Offers `frame` to each of `lanes`.
pub(super) fn offer_all(frame: &Arc<Frame>, lanes: &[(i32, u64, Arc<Lane>)]) -> Tally {
    let offer = async {
        let mut tally = Tally::default();
        for (user, id, lane) in lanes {
            match lane.offer(frame) {
                Offered::Direct => tally.direct += 1,
                Offered::Queued => tally.queued += 1,
                Offered::Stalled => tally.stalled += 1,
                Offered::Skipped => {}
                Offered::TooSlow => tally.slow.push((*user, *id)),
            }
        }
        tally
    };
    // A direct write polls a tokio socket, and tokio lets one task turn poll
    // only so many resources (its cooperative budget, 128) before they all
    // answer "not ready": every write after the 128th would stall. The loop
    // is bounded by the recipients, so it runs outside the budget; it has no
    // await, so it completes in this one poll.
    futures::FutureExt::now_or_never(tokio::task::unconstrained(offer)).unwrap_or_default()
}
