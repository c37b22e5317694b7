//! The socket registry: which sessions have open sockets, and delivery to them.
//!
//! An event is serialised once and shared (`Utf8Bytes`, reference-counted) by
//! every recipient. Once a socket is live (its task sent `hello` and replayed
//! what the tab missed: `Subscription::go_live`), a frame is written to it
//! straight from the delivering task when nothing is ahead of it — no queue,
//! no wake-up of the socket's task, which is most of a large room's fan-out.
//! Otherwise it joins the socket's small bounded queue, which the socket's
//! task writes out in order (see `Lane` for why order holds). A socket whose
//! queue is full is dropped rather than buffered without limit; its client
//! reconnects and resumes from the last event id it has, so nothing is lost.
//! The hub knows nothing of what frames say, beyond the few control frames it
//! makes itself (`presence`, `heartbeat`, `signed_out`, part of the same
//! protocol as `chat::model::Event`).
//! Presence changes are coalesced and announced at most once a second.
//!
//! Every socket is bound to the session that opened it: ending that session
//! (`end_session`) or all of a user's sessions (`sign_out`) tells its sockets
//! and closes them. A user keeps at most `MAX_SOCKETS_PER_USER` sockets (the
//! oldest is closed), and one client address at most `Limits::per_ip`.
//!
//! Invariant: events reach the hub only after the data they describe has been
//! committed (`live::dispatch` hands them over in id order), so a client that
//! fetches after an event always finds the data.

use std::{
    collections::{HashMap, HashSet},
    net::IpAddr,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
};

pub use axum::extract::ws::Utf8Bytes;
use serde::Serialize;
use tokio::sync::mpsc;

/// Frames a socket may have queued before it counts as too slow.
pub const QUEUE_FRAMES: usize = 64;
/// Sockets one user may have open; opening another closes their oldest.
pub const MAX_SOCKETS_PER_USER: usize = 20;

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

    fn flush() -> Self {
        Self {
            flush_only: true,
            ..Self::unlogged("")
        }
    }

    pub fn control(control: &Control) -> Self {
        Self::unlogged(serde_json::to_string(control).unwrap_or_default())
    }

    fn closing(control: &Control, code: u16) -> Self {
        Self {
            close: Some(code),
            ..Self::control(control)
        }
    }
}

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
struct Lane {
    tx: mpsc::Sender<Arc<Frame>>,
    shared: Arc<Shared>,
}

/// What the hub and a socket's task share.
struct Shared {
    queued: AtomicUsize,
    /// Set by `go_live`: the socket's writer, and the id up to which logged
    /// events were replayed (their live copies are skipped).
    direct: OnceLock<(Arc<dyn DirectWrite>, i64)>,
    /// Removed from the hub: what is queued still goes out, nothing more is
    /// written directly.
    closed: AtomicBool,
}

impl Lane {
    /// Queues `frame`; false if the queue is full.
    fn push(&self, frame: Arc<Frame>) -> bool {
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
    fn offer(&self, frame: &Arc<Frame>) -> Offered {
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
enum Offered {
    Direct,
    Stalled,
    Queued,
    /// A logged event the socket replayed already.
    Skipped,
    /// The queue is full: the socket is dropped.
    TooSlow,
}

struct Conn {
    id: u64,
    session: Arc<str>,
    ip: IpAddr,
    lane: Arc<Lane>,
}

#[derive(Default)]
struct Inner {
    conns: HashMap<i32, Vec<Conn>>,
    per_ip: HashMap<IpAddr, usize>,
    /// Users whose presence may have changed since the last announcement.
    dirty: HashSet<i32>,
    /// Who the last announcement said was online.
    announced: HashSet<i32>,
    /// Users with a socket on another node (see `live::nats`).
    remote: HashSet<i32>,
}

impl Inner {
    /// Removes the sockets of `user_id` that `drop_it` picks; their queues
    /// close after `last` (if any) is queued.
    fn remove_where(
        &mut self,
        user_id: i32,
        last: Option<&Frame>,
        drop_it: impl Fn(&Conn) -> bool,
    ) {
        let Some(list) = self.conns.get_mut(&user_id) else {
            return;
        };
        let mut removed = Vec::new();
        list.retain(|c| {
            if drop_it(c) {
                removed.push((c.ip, c.lane.clone()));
                false
            } else {
                true
            }
        });
        if list.is_empty() {
            self.conns.remove(&user_id);
        }
        for (ip, lane) in removed {
            lane.shared.closed.store(true, Ordering::SeqCst);
            if let Some(frame) = last {
                lane.push(Arc::new(frame.clone()));
            }
            self.release_ip(ip);
        }
        self.dirty.insert(user_id);
    }

    fn release_ip(&mut self, ip: IpAddr) {
        if let Some(n) = self.per_ip.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                self.per_ip.remove(&ip);
            }
        }
    }
}

/// Why a socket was not registered.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The client address already has `per_ip` sockets.
    TooManyFromAddress,
}

pub struct Hub {
    inner: Mutex<Inner>,
    next_conn: AtomicU64,
    per_ip: usize,
    /// Threads a large delivery is split over.
    cores: usize,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            next_conn: AtomicU64::new(0),
            per_ip: usize::MAX,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// A registered socket. Dropping it unregisters the socket.
pub struct Subscription {
    hub: Arc<Hub>,
    user_id: i32,
    conn_id: u64,
    /// Frames for this socket, each shared by all its recipients: a queue
    /// slot is one pointer, so an idle socket's queue stays small. Call
    /// `done` once each is written (or skipped).
    pub frames: mpsc::Receiver<Arc<Frame>>,
    shared: Arc<Shared>,
}

impl Subscription {
    /// From now on, frames may be written to the socket directly by
    /// `writer` while its queue is empty; logged events up to `after` (the
    /// ones the task replayed) are skipped. Call once the socket has sent
    /// everything that must precede live frames.
    pub fn go_live(&self, writer: Arc<dyn DirectWrite>, after: i64) {
        let _ = self.shared.direct.set((writer, after));
    }

    /// A frame taken from `frames` was written or skipped.
    pub fn done(&self) {
        self.shared.queued.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let id = self.conn_id;
        self.hub
            .lock()
            .remove_where(self.user_id, None, |c| c.id == id);
    }
}

impl Hub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A hub that lets one client address hold at most `per_ip` sockets.
    pub fn with_ip_limit(per_ip: usize) -> Arc<Self> {
        Arc::new(Self {
            per_ip: per_ip.max(1),
            ..Self::default()
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a socket of `user_id` opened by `session` from `ip`. When the
    /// user already has `MAX_SOCKETS_PER_USER`, their oldest socket is closed.
    pub fn subscribe(
        self: &Arc<Self>,
        user_id: i32,
        session: &str,
        ip: IpAddr,
    ) -> Result<Subscription, Refused> {
        let (tx, frames) = mpsc::channel(QUEUE_FRAMES);
        let shared = Arc::new(Shared {
            queued: AtomicUsize::new(0),
            direct: OnceLock::new(),
            closed: AtomicBool::new(false),
        });
        let lane = Arc::new(Lane {
            tx,
            shared: shared.clone(),
        });
        let conn_id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let mut inner = self.lock();
        let from_ip = inner.per_ip.entry(ip).or_default();
        if *from_ip >= self.per_ip {
            return Err(Refused::TooManyFromAddress);
        }
        *from_ip += 1;
        let open = inner.conns.get(&user_id).map_or(0, Vec::len);
        if open >= MAX_SOCKETS_PER_USER {
            let oldest = inner.conns[&user_id][0].id;
            let bye = Frame::closing(&Control::Heartbeat, close::TOO_MANY);
            inner.remove_where(user_id, Some(&bye), |c| c.id == oldest);
        }
        inner.conns.entry(user_id).or_default().push(Conn {
            id: conn_id,
            session: session.into(),
            ip,
            lane,
        });
        inner.dirty.insert(user_id);
        drop(inner);
        Ok(Subscription {
            hub: self.clone(),
            user_id,
            conn_id,
            frames,
            shared,
        })
    }

    /// Ends every live connection of `user_id` without a word (their queues close).
    pub fn disconnect(&self, user_id: i32) {
        self.lock().remove_where(user_id, None, |_| true);
    }

    /// Tells every socket of `user_id` it was signed out, then closes them.
    pub fn sign_out(&self, user_id: i32) {
        let bye = Frame::closing(&Control::SignedOut, close::SIGNED_OUT);
        self.lock().remove_where(user_id, Some(&bye), |_| true);
    }

    /// Tells the sockets opened by `session` (of `user_id`) that it ended,
    /// then closes them; the user's other sessions keep theirs.
    pub fn end_session(&self, user_id: i32, session: &str) {
        let bye = Frame::closing(&Control::SignedOut, close::SIGNED_OUT);
        self.lock()
            .remove_where(user_id, Some(&bye), |c| &*c.session == session);
    }

    /// Hands `frame` to every socket of `user_ids` (`Lane::offer`). The
    /// sockets are looked up under the hub's lock; the writes happen after
    /// it is released, so a large room does not hold up the hub.
    pub fn deliver(&self, user_ids: &[i32], frame: &Frame) {
        let frame = Arc::new(frame.clone());
        let mut lanes = Vec::new();
        {
            let inner = self.lock();
            for user in user_ids {
                if let Some(list) = inner.conns.get(user) {
                    lanes.extend(list.iter().map(|c| (*user, c.id, c.lane.clone())));
                }
            }
        }
        // A large delivery is split over the cores: each socket is in one
        // part, and every part is done before the next delivery starts.
        let parts = self.cores.min(lanes.len() / LANES_PER_THREAD).max(1);
        let tally = if parts == 1 {
            offer_all(&frame, &lanes)
        } else {
            let size = lanes.len().div_ceil(parts);
            std::thread::scope(|scope| {
                let mut chunks = lanes.chunks(size);
                let first = chunks.next().unwrap_or_default();
                let mut tally = Tally::default();
                let mut others = Vec::new();
                for chunk in chunks {
                    // Without a thread (the process is at its limit), the
                    // part is written here.
                    match std::thread::Builder::new()
                        .spawn_scoped(scope, || offer_all(&frame, chunk))
                    {
                        Ok(other) => others.push(other),
                        Err(_) => tally.add(offer_all(&frame, chunk)),
                    }
                }
                tally.add(offer_all(&frame, first));
                for other in others {
                    tally.add(other.join().unwrap_or_default());
                }
                tally
            })
        };
        crate::metrics::live_frames(tally.direct, tally.queued, tally.stalled);
        let slow = tally.slow;
        if slow.is_empty() {
            return;
        }
        let mut inner = self.lock();
        for (user, id) in slow {
            tracing::debug!(user, conn = id, "dropping a socket that fell behind");
            inner.remove_where(user, None, |c| c.id == id);
        }
    }

    /// Whether `user_id` has a socket here or on another node.
    pub fn is_online(&self, user_id: i32) -> bool {
        let inner = self.lock();
        inner.conns.contains_key(&user_id) || inner.remote.contains(&user_id)
    }

    /// Who has a socket here or on another node, sorted.
    pub fn online(&self) -> Vec<i32> {
        let inner = self.lock();
        let mut ids: Vec<i32> = inner.conns.keys().chain(&inner.remote).copied().collect();
        drop(inner);
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Who has a socket on this node, sorted.
    pub fn local_online(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self.lock().conns.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Sets who is online on other nodes; the next presence announcement
    /// includes the difference.
    pub fn set_remote(&self, users: HashSet<i32>) {
        let mut inner = self.lock();
        let changed: Vec<i32> = inner.remote.symmetric_difference(&users).copied().collect();
        inner.dirty.extend(changed);
        inner.remote = users;
    }

    pub fn connection_count(&self) -> usize {
        self.lock().conns.values().map(Vec::len).sum()
    }

    /// Announces net presence changes since the last call to every socket.
    /// Returns the event sent, if anything changed.
    pub fn flush_presence(&self) -> Option<Control> {
        let mut inner = self.lock();
        if inner.dirty.is_empty() {
            return None;
        }
        let dirty: Vec<i32> = inner.dirty.drain().collect();
        let (mut online, mut offline) = (Vec::new(), Vec::new());
        for user in dirty {
            let now = inner.conns.contains_key(&user) || inner.remote.contains(&user);
            let was = inner.announced.contains(&user);
            if now && !was {
                inner.announced.insert(user);
                online.push(user);
            } else if !now && was {
                inner.announced.remove(&user);
                offline.push(user);
            }
        }
        if online.is_empty() && offline.is_empty() {
            return None;
        }
        online.sort_unstable();
        offline.sort_unstable();
        let everyone: Vec<i32> = inner.conns.keys().copied().collect();
        drop(inner);
        let presence = Control::Presence { online, offline };
        self.deliver(&everyone, &Frame::control(&presence));
        Some(presence)
    }
}

/// Recipients one thread writes to in a delivery before it is split over
/// more cores (a write to a socket is a few µs, mostly the kernel's).
const LANES_PER_THREAD: usize = 2_048;

/// What came of offering one frame to many sockets.
#[derive(Default)]
struct Tally {
    direct: u64,
    queued: u64,
    stalled: u64,
    /// Sockets whose queue was full: (user, connection).
    slow: Vec<(i32, u64)>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.direct += other.direct;
        self.queued += other.queued;
        self.stalled += other.stalled;
        self.slow.extend(other.slow);
    }
}

/// Offers `frame` to each of `lanes`.
fn offer_all(frame: &Arc<Frame>, lanes: &[(i32, u64, Arc<Lane>)]) -> Tally {
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

/// Runs `flush_presence` every second until the hub is dropped.
pub async fn announce_presence(hub: std::sync::Weak<Hub>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        every.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        hub.flush_presence();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn sub(hub: &Arc<Hub>, user_id: i32) -> Subscription {
        hub.subscribe(user_id, &format!("session-of-{user_id}"), LOCAL)
            .expect("under the limits")
    }

    #[tokio::test]
    async fn every_socket_of_a_user_gets_the_event_once() {
        let hub = Hub::new();
        let mut a = sub(&hub, 1);
        let mut b = sub(&hub, 1);
        let mut other = sub(&hub, 2);
        hub.deliver(&[1], &Frame::control(&Control::Heartbeat));
        assert_eq!(
            &*a.frames.recv().await.unwrap().text,
            r#"{"type":"heartbeat"}"#
        );
        assert!(b.frames.recv().await.is_some());
        assert!(other.frames.try_recv().is_err());
    }

    #[tokio::test]
    async fn presence_is_announced_once_per_net_change() {
        let hub = Hub::new();
        let mut watcher = sub(&hub, 1);
        let flicker = sub(&hub, 2);
        drop(flicker);
        let _stays = sub(&hub, 3);
        assert_eq!(
            hub.flush_presence(),
            Some(Control::Presence {
                online: vec![1, 3],
                offline: vec![]
            })
        );
        assert!(watcher.frames.recv().await.is_some());
        assert_eq!(hub.flush_presence(), None);
        drop(_stays);
        assert_eq!(
            hub.flush_presence(),
            Some(Control::Presence {
                online: vec![],
                offline: vec![3]
            })
        );
    }

    #[tokio::test]
    async fn a_socket_that_falls_behind_is_dropped_not_buffered() {
        let hub = Hub::new();
        let mut slow = sub(&hub, 7);
        for _ in 0..QUEUE_FRAMES + 1 {
            hub.deliver(&[7], &Frame::control(&Control::Heartbeat));
        }
        assert!(!hub.is_online(7));
        let mut n = 0;
        while slow.frames.recv().await.is_some() {
            n += 1;
        }
        assert_eq!(n, QUEUE_FRAMES, "queue closes after the frames it held");
    }

    #[tokio::test]
    async fn disconnecting_a_user_closes_all_their_sockets() {
        let hub = Hub::new();
        let mut a = sub(&hub, 5);
        let mut b = sub(&hub, 5);
        hub.disconnect(5);
        assert!(a.frames.recv().await.is_none());
        assert!(b.frames.recv().await.is_none());
        assert!(!hub.is_online(5));
    }

    #[tokio::test]
    async fn signing_out_tells_every_socket_then_closes_it() {
        let hub = Hub::new();
        let mut a = sub(&hub, 5);
        let mut b = sub(&hub, 5);
        let mut other = sub(&hub, 6);
        hub.sign_out(5);
        for s in [&mut a, &mut b] {
            let bye = s.frames.recv().await.unwrap();
            assert_eq!(&*bye.text, r#"{"type":"signed_out"}"#);
            assert_eq!(bye.close, Some(close::SIGNED_OUT));
            assert!(s.frames.recv().await.is_none());
        }
        assert!(other.frames.try_recv().is_err());
        assert!(hub.is_online(6));
    }

    #[tokio::test]
    async fn ending_one_session_closes_only_its_sockets() {
        let hub = Hub::new();
        let mut laptop = hub.subscribe(5, "laptop", LOCAL).unwrap();
        let mut phone = hub.subscribe(5, "phone", LOCAL).unwrap();
        hub.end_session(5, "laptop");
        assert_eq!(
            laptop.frames.recv().await.unwrap().close,
            Some(close::SIGNED_OUT)
        );
        assert!(laptop.frames.recv().await.is_none());
        hub.deliver(&[5], &Frame::control(&Control::Heartbeat));
        assert!(phone.frames.recv().await.unwrap().close.is_none());
        assert!(hub.is_online(5));
    }

    #[tokio::test]
    async fn a_user_over_the_socket_cap_loses_their_oldest_socket() {
        let hub = Hub::new();
        let mut subs: Vec<_> = (0..MAX_SOCKETS_PER_USER).map(|_| sub(&hub, 9)).collect();
        let _newest = sub(&hub, 9);
        assert_eq!(hub.connection_count(), MAX_SOCKETS_PER_USER);
        let oldest = &mut subs[0];
        assert_eq!(
            oldest.frames.recv().await.unwrap().close,
            Some(close::TOO_MANY)
        );
        assert!(oldest.frames.recv().await.is_none());
    }

    /// A socket that records what is written to it directly, and answers
    /// as told when nothing is ahead of the frame.
    struct Fake {
        written: Mutex<Vec<String>>,
        answer: Mutex<Written>,
    }

    impl Fake {
        fn new() -> Arc<Self> {
            Arc::new(Self {
                written: Mutex::default(),
                answer: Mutex::new(Written::Done),
            })
        }
        fn answer(&self, answer: Written) {
            *self.answer.lock().unwrap() = answer;
        }
        fn written(&self) -> Vec<String> {
            self.written.lock().unwrap().clone()
        }
    }

    impl DirectWrite for Fake {
        fn try_write(&self, text: &Utf8Bytes, clear: &dyn Fn() -> bool) -> Written {
            let answer = *self.answer.lock().unwrap();
            if !clear() || answer == Written::Declined {
                return Written::Declined;
            }
            self.written.lock().unwrap().push(text.to_string());
            answer
        }
    }

    fn text(n: i64) -> Frame {
        Frame::logged(n, format!("{n}"))
    }

    /// The texts waiting in `sub`'s queue, each marked done.
    fn drain(sub: &mut Subscription) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(frame) = sub.frames.try_recv() {
            out.push(if frame.flush_only {
                "flush".to_owned()
            } else {
                frame.text.to_string()
            });
            sub.done();
        }
        out
    }

    /// A socket of `user_id` that has gone live with events up to `after`
    /// replayed, and its fake writer.
    fn live_sub(hub: &Arc<Hub>, user_id: i32, after: i64) -> (Subscription, Arc<Fake>) {
        let s = sub(hub, user_id);
        let fake = Fake::new();
        s.go_live(fake.clone(), after);
        (s, fake)
    }

    #[tokio::test]
    async fn a_socket_is_written_directly_only_once_live() {
        let hub = Hub::new();
        let mut s = sub(&hub, 1);
        let fake = Fake::new();
        hub.deliver(&[1], &text(1));
        assert_eq!(drain(&mut s), ["1"], "queued before go_live");
        s.go_live(fake.clone(), 1);
        hub.deliver(&[1], &text(2));
        assert_eq!(fake.written(), ["2"]);
        assert!(drain(&mut s).is_empty(), "nothing queued");
    }

    #[tokio::test]
    async fn frames_queue_behind_those_the_task_has_not_written() {
        let hub = Hub::new();
        let (mut s, fake) = live_sub(&hub, 1, 0);
        fake.answer(Written::Declined); // the socket is busy
        hub.deliver(&[1], &text(1));
        fake.answer(Written::Done); // free again, but 1 is still queued
        hub.deliver(&[1], &text(2));
        assert!(fake.written().is_empty(), "nothing overtook 1");
        assert_eq!(drain(&mut s), ["1", "2"]);
        hub.deliver(&[1], &text(3));
        assert_eq!(
            fake.written(),
            ["3"],
            "direct again once the queue is written"
        );
    }

    #[tokio::test]
    async fn a_stalled_write_is_finished_by_the_task_before_anything_else() {
        let hub = Hub::new();
        let (mut s, fake) = live_sub(&hub, 1, 0);
        fake.answer(Written::Stalled);
        hub.deliver(&[1], &text(1));
        fake.answer(Written::Done);
        hub.deliver(&[1], &text(2));
        assert_eq!(fake.written(), ["1"]);
        assert_eq!(drain(&mut s), ["flush", "2"]);
    }

    #[tokio::test]
    async fn a_stalled_write_to_a_socket_whose_task_is_gone_drops_the_socket() {
        let hub = Hub::new();
        let (mut s, fake) = live_sub(&hub, 1, 0);
        let _other = sub(&hub, 2);
        s.frames.close(); // the task ended: nothing can finish the write
        fake.answer(Written::Stalled);
        hub.deliver(&[1, 2], &text(1));
        assert_eq!(fake.written(), ["1"]);
        assert_eq!(hub.connection_count(), 1, "only user 2's socket is left");
        assert_eq!(hub.local_online(), [2]);
    }

    #[tokio::test]
    async fn replayed_events_are_not_written_again() {
        let hub = Hub::new();
        let (mut s, fake) = live_sub(&hub, 1, 10);
        hub.deliver(&[1], &text(9));
        hub.deliver(&[1], &text(10));
        hub.deliver(&[1], &text(11));
        assert_eq!(fake.written(), ["11"]);
        assert!(drain(&mut s).is_empty());
    }

    #[tokio::test]
    async fn closing_frames_go_through_the_queue() {
        let hub = Hub::new();
        let (mut s, fake) = live_sub(&hub, 1, 0);
        hub.sign_out(1);
        hub.deliver(&[1], &text(1));
        assert!(fake.written().is_empty());
        let bye = s.frames.recv().await.unwrap();
        assert_eq!(bye.close, Some(close::SIGNED_OUT));
        assert!(s.frames.recv().await.is_none());
    }

    #[tokio::test]
    async fn a_large_delivery_split_over_threads_reaches_every_socket_once() {
        let hub = Arc::new(Hub {
            cores: 3,
            ..Hub::default()
        });
        let users: Vec<i32> = (0..(3 * LANES_PER_THREAD + 5) as i32).collect();
        let mut live = Vec::new();
        for &user in &users {
            live.push(live_sub(&hub, user, 0));
        }
        hub.deliver(&users, &text(1));
        hub.deliver(&users, &text(2));
        for (s, fake) in &mut live {
            assert_eq!(fake.written(), ["1", "2"]);
            assert!(drain(s).is_empty());
        }
    }

    #[tokio::test]
    async fn one_address_gets_at_most_its_share_of_sockets() {
        let hub = Hub::with_ip_limit(2);
        let a = sub(&hub, 1);
        let _b = sub(&hub, 2);
        assert_eq!(
            hub.subscribe(3, "s", LOCAL).err(),
            Some(Refused::TooManyFromAddress)
        );
        let other: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(
            hub.subscribe(3, "s", other).is_ok(),
            "another address is not affected"
        );
        drop(a);
        assert!(
            hub.subscribe(4, "s", LOCAL).is_ok(),
            "a closed socket frees its slot"
        );
    }
}
