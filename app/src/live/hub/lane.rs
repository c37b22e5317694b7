//! One socket's lane as the hub sees it: its bounded queue and what it
//! shares with the socket's task, and the rule that decides whether a frame
//! is written straight to the socket or queued (`Lane::offer`, the order
//! argument on `Lane`). `offer_all` offers a delivery's frames to many
//! lanes, each lane its own frames in one go.

use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use tokio::sync::mpsc;

use super::frame::Frame;

/// Writes frames to a socket at once, from whichever task delivers them.
pub trait DirectWrite: Send + Sync {
    /// Writes `frames` in order, with as few writes to the socket as they
    /// allow, without waiting, if the socket is free (no one else is using
    /// it) and `clear()`, asked while holding it, says nothing is ahead of
    /// them.
    fn try_write(&self, frames: &[&Arc<Frame>], clear: &dyn Fn() -> bool) -> Written;

    /// Asks the CPU to start loading what `try_write` reads first (see
    /// `offer_all`); a hint only.
    fn prefetch(&self) {}
}

/// What came of a `DirectWrite::try_write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// All written, or the socket failed (its task sees that and ends).
    Done,
    /// The first `taken` were taken, but part of them waits in the socket's
    /// buffer: its task must finish the write before anything else goes
    /// out, the frames not taken included.
    Stalled { taken: usize },
    /// Nothing written: the socket is busy or something is ahead. Queue them.
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
/// frames after it — those of the same delivery it did not take, and every
/// later one — queue behind it too.
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

    /// Hands `frames` (in order) to the socket: the ones it can take now
    /// without breaking its order are written at once, together; the rest
    /// are queued behind them. `who` is the socket, for `Tally::slow`.
    pub(super) fn offer(&self, frames: &[&Arc<Frame>], who: (i32, u64), tally: &mut Tally) {
        let shared = &*self.shared;
        let mut rest = frames;
        if let Some((writer, after)) = shared.direct.get()
            && !shared.closed.load(Ordering::SeqCst)
        {
            let replayed = |f: &Arc<Frame>| f.event_id.is_some_and(|id| id <= *after);
            // Logged frames come in id order: the replayed ones first.
            let skip = rest.iter().take_while(|f| replayed(f)).count();
            rest = &rest[skip..];
            let n = rest
                .iter()
                .take_while(|f| f.close.is_none() && !replayed(f))
                .count();
            let direct = &rest[..n];
            if !direct.is_empty() {
                let clear = || shared.queued.load(Ordering::SeqCst) == 0;
                match writer.try_write(direct, &clear) {
                    Written::Done => {
                        tally.direct += direct.len() as u64;
                        rest = &rest[direct.len()..];
                    }
                    Written::Stalled { taken } => {
                        let taken = taken.min(direct.len());
                        tally.direct += taken as u64;
                        tally.stalled += 1;
                        rest = &rest[taken..];
                        if !self.push(Arc::new(Frame::flush())) {
                            tally.slow.push(who);
                            return;
                        }
                    }
                    Written::Declined => {}
                }
            }
        }
        for frame in rest {
            if !self.push((*frame).clone()) {
                tally.slow.push(who);
                return;
            }
            tally.queued += 1;
        }
    }
}

/// What came of offering one frame to many sockets.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) direct: u64,
    pub(super) queued: u64,
    pub(super) stalled: u64,
    /// Sockets whose queue was full: (user, connection).
    pub(super) slow: Vec<(i32, u64)>,
}

/// One socket's part of a delivery: the socket, and which of the
/// delivery's frames are for it, in order.
pub(super) struct Target {
    pub(super) user: i32,
    pub(super) conn: u64,
    pub(super) lane: Arc<Lane>,
    /// A range of the delivery's `order`, which holds indices of its frames.
    pub(super) frames: std::ops::Range<usize>,
}

/// Offers each of `targets` its frames: `order[t.frames]` are indices
/// into `frames`.
///
/// A room's sockets do not fit in the CPU's caches, so each socket's lane,
/// its shared state and its writer are loads from memory, one after the
/// other, before its write can start. While one socket is written, the
/// next ones' are fetched ahead: the lane `AHEAD` sockets ahead, its shared
/// state half as far, its writer a quarter as far — each once the step
/// before it has had time to arrive.
pub(super) fn offer_all(frames: &[Arc<Frame>], order: &[u32], targets: &[Target]) -> Tally {
    const AHEAD: usize = 8;
    let offer = async {
        let mut tally = Tally::default();
        let mut mine: Vec<&Arc<Frame>> = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            if let Some(ahead) = targets.get(i + AHEAD) {
                prefetch(Arc::as_ptr(&ahead.lane));
            }
            if let Some(ahead) = targets.get(i + AHEAD / 2) {
                prefetch(Arc::as_ptr(&ahead.lane.shared));
            }
            if let Some(ahead) = targets.get(i + AHEAD / 4)
                && let Some((writer, _)) = ahead.lane.shared.direct.get()
            {
                writer.prefetch();
            }
            mine.clear();
            mine.extend(order[t.frames.clone()].iter().map(|&i| &frames[i as usize]));
            t.lane.offer(&mine, (t.user, t.conn), &mut tally);
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

/// Asks the CPU to start loading the cache line at `at` (a hint: it never
/// faults, and does nothing on other architectures).
pub fn prefetch<T>(at: *const T) {
    // SAFETY: SSE is part of every x86_64 CPU, and a prefetch reads
    // nothing: it is a hint that cannot fault, whatever the address.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
