//! The socket registry: which sessions have open sockets, and delivery to them.
//!
//! Each socket owns a small bounded queue of pre-serialised frames: an event is
//! serialised once and shared (`Utf8Bytes`, reference-counted) by every recipient. A socket whose
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
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
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

struct Conn {
    id: u64,
    session: Arc<str>,
    ip: IpAddr,
    tx: mpsc::Sender<Arc<Frame>>,
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
                removed.push((c.ip, c.tx.clone()));
                false
            } else {
                true
            }
        });
        if list.is_empty() {
            self.conns.remove(&user_id);
        }
        for (ip, tx) in removed {
            if let Some(frame) = last {
                let _ = tx.try_send(Arc::new(frame.clone()));
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
    /// slot is one pointer, so an idle socket's queue stays small.
    pub frames: mpsc::Receiver<Arc<Frame>>,
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
            tx,
        });
        inner.dirty.insert(user_id);
        drop(inner);
        Ok(Subscription {
            hub: self.clone(),
            user_id,
            conn_id,
            frames,
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

    /// Queues `frame` on every socket of `user_ids`.
    pub fn deliver(&self, user_ids: &[i32], frame: &Frame) {
        let frame = Arc::new(frame.clone());
        let mut inner = self.lock();
        let mut slow = Vec::new();
        for user in user_ids {
            if let Some(list) = inner.conns.get(user) {
                for c in list {
                    if c.tx.try_send(frame.clone()).is_err() {
                        slow.push((*user, c.id));
                    }
                }
            }
        }
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
