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
use tokio::sync::mpsc;

mod frame;
mod lane;

use self::lane::{Lane, Shared, Target, offer_all};
pub use self::{
    frame::{Control, Frame, close},
    lane::{DirectWrite, Written, prefetch},
};

/// Frames a socket may have queued before it counts as too slow. A
/// delivery offers a socket all of its frames at once (`deliver_all`, up to
/// `dispatch`'s batch), and all of them queue when the socket's task happens
/// to be writing at that moment: room for two such batches. A slot is one
/// pointer, and an idle socket's queue allocates none of it.
pub const QUEUE_FRAMES: usize = 512;
/// Sockets one user may have open; opening another closes their oldest.
pub const MAX_SOCKETS_PER_USER: usize = 20;

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
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            next_conn: AtomicU64::new(0),
            per_ip: usize::MAX,
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

    /// Hands `frame` to every socket of `user_ids` (`Lane::offer`).
    pub fn deliver(&self, user_ids: &[i32], frame: &Frame) {
        self.deliver_all(&[(user_ids, frame)]);
    }

    /// Hands each frame to every socket of its users, in the order given.
    /// Each socket is offered all of its frames at once, so the frames a
    /// socket can take now go out in one write (as far as they fit in its
    /// write buffer) rather than one write each. The sockets are looked up
    /// under the hub's lock; the writes happen after it is released, so a
    /// large room does not hold up the hub.
    pub fn deliver_all(&self, deliveries: &[(&[i32], &Frame)]) {
        let frames: Vec<Arc<Frame>> = deliveries
            .iter()
            .map(|(_, frame)| Arc::new((*frame).clone()))
            .collect();
        let mut targets: Vec<Target> = Vec::new();
        // (target, frame): which frame goes to which socket.
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        {
            let inner = self.lock();
            // A socket in more than one delivery is one target (a single
            // delivery names each user once).
            let mut seen: HashMap<u64, u32> = HashMap::new();
            for (f, (users, _)) in deliveries.iter().enumerate() {
                for user in *users {
                    let Some(list) = inner.conns.get(user) else {
                        continue;
                    };
                    for c in list {
                        let mut new = || {
                            targets.push(Target {
                                user: *user,
                                conn: c.id,
                                lane: c.lane.clone(),
                                frames: 0..0,
                            });
                            (targets.len() - 1) as u32
                        };
                        let t = if deliveries.len() == 1 {
                            new()
                        } else {
                            *seen.entry(c.id).or_insert_with(new)
                        };
                        pairs.push((t, f as u32));
                    }
                }
            }
        }
        // Stable: each socket's frames stay in the order given.
        pairs.sort_by_key(|&(t, _)| t);
        let order: Vec<u32> = pairs.iter().map(|&(_, f)| f).collect();
        let mut start = 0;
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            targets[run[0].0 as usize].frames = start..start + run.len();
            start += run.len();
        }
        // One thread writes the whole delivery, the one that runs the
        // delivery task: with the clients on the same two cores, splitting
        // a room of 10,000 over both cores delayed the median member
        // (docs/performance.md, session 23), and the other core keeps
        // serving requests meanwhile.
        let tally = offer_all(&frames, &order, &targets);
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
mod tests;
