//! The live-event hub: which users have open sockets, and delivery to them.
//!
//! Each socket owns a small bounded queue of pre-serialised frames: an event is
//! serialised once and shared (`Arc<str>`) by every recipient. A socket whose
//! queue is full is dropped rather than buffered without limit; its client
//! reconnects and resumes from the last message id it has, so nothing is lost.
//! Presence changes are coalesced and announced at most once a second.
//!
//! Invariant: events are published only after the data they describe has been
//! committed, so a client that fetches after an event always finds the data.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use tokio::sync::mpsc;

use crate::chat::model::Event;

/// Frames a socket may have queued before it counts as too slow.
pub const QUEUE_FRAMES: usize = 64;

/// One serialised event; `message_id` lets a resuming socket skip duplicates.
#[derive(Debug, Clone)]
pub struct Frame {
    pub message_id: Option<i64>,
    pub text: Arc<str>,
}

impl Frame {
    pub fn of(event: &Event) -> Self {
        let message_id = match event {
            Event::Message { message } => Some(message.id),
            _ => None,
        };
        let text = serde_json::to_string(event).unwrap_or_default().into();
        Self { message_id, text }
    }
}

#[derive(Default)]
struct Inner {
    conns: HashMap<i32, Vec<(u64, mpsc::Sender<Frame>)>>,
    /// Users whose presence may have changed since the last announcement.
    dirty: HashSet<i32>,
    /// Who the last announcement said was online.
    announced: HashSet<i32>,
}

#[derive(Default)]
pub struct Hub {
    inner: Mutex<Inner>,
    next_conn: AtomicU64,
}

/// A registered socket. Dropping it unregisters the socket.
pub struct Subscription {
    hub: Arc<Hub>,
    user_id: i32,
    conn_id: u64,
    pub frames: mpsc::Receiver<Frame>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.remove(self.user_id, Some(self.conn_id));
    }
}

impl Hub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn subscribe(self: &Arc<Self>, user_id: i32) -> Subscription {
        let (tx, frames) = mpsc::channel(QUEUE_FRAMES);
        let conn_id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let mut inner = self.lock();
        inner.conns.entry(user_id).or_default().push((conn_id, tx));
        inner.dirty.insert(user_id);
        drop(inner);
        Subscription {
            hub: self.clone(),
            user_id,
            conn_id,
            frames,
        }
    }

    /// Unregisters one socket of `user_id`, or all of them (`None`): their
    /// queues close, which ends the sockets.
    pub fn remove(&self, user_id: i32, conn_id: Option<u64>) {
        let mut inner = self.lock();
        if let Some(list) = inner.conns.get_mut(&user_id) {
            list.retain(|(id, _)| conn_id.is_some_and(|c| c != *id));
            if list.is_empty() {
                inner.conns.remove(&user_id);
            }
        }
        inner.dirty.insert(user_id);
    }

    /// Ends every live connection of `user_id` (logout everywhere, deactivation).
    pub fn disconnect(&self, user_id: i32) {
        self.remove(user_id, None);
    }

    /// Tells every socket of `user_id` it was signed out, then closes them.
    pub fn sign_out(&self, user_id: i32) {
        self.publish(&[user_id], &Event::SignedOut);
        self.disconnect(user_id);
    }

    /// Queues `event` for every socket of each user in `user_ids`.
    pub fn publish(&self, user_ids: &[i32], event: &Event) {
        self.publish_frame(user_ids, Frame::of(event));
    }

    fn publish_frame(&self, user_ids: &[i32], frame: Frame) {
        let mut inner = self.lock();
        let mut slow = Vec::new();
        for user in user_ids {
            if let Some(list) = inner.conns.get(user) {
                for (id, tx) in list {
                    if tx.try_send(frame.clone()).is_err() {
                        slow.push((*user, *id));
                    }
                }
            }
        }
        for (user, id) in slow {
            tracing::debug!(user, conn = id, "dropping a socket that fell behind");
            if let Some(list) = inner.conns.get_mut(&user) {
                list.retain(|(c, _)| *c != id);
                if list.is_empty() {
                    inner.conns.remove(&user);
                    inner.dirty.insert(user);
                }
            }
        }
    }

    pub fn is_online(&self, user_id: i32) -> bool {
        self.lock().conns.contains_key(&user_id)
    }

    pub fn online(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self.lock().conns.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    pub fn connection_count(&self) -> usize {
        self.lock().conns.values().map(Vec::len).sum()
    }

    /// Announces net presence changes since the last call to every socket.
    /// Returns the event sent, if anything changed.
    pub fn flush_presence(&self) -> Option<Event> {
        let mut inner = self.lock();
        if inner.dirty.is_empty() {
            return None;
        }
        let dirty: Vec<i32> = inner.dirty.drain().collect();
        let (mut online, mut offline) = (Vec::new(), Vec::new());
        for user in dirty {
            let now = inner.conns.contains_key(&user);
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
        let event = Event::Presence { online, offline };
        self.publish(&everyone, &event);
        Some(event)
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

    #[tokio::test]
    async fn every_socket_of_a_user_gets_the_event_once() {
        let hub = Hub::new();
        let mut a = hub.subscribe(1);
        let mut b = hub.subscribe(1);
        let mut other = hub.subscribe(2);
        hub.publish(&[1], &Event::Heartbeat);
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
        let mut watcher = hub.subscribe(1);
        let flicker = hub.subscribe(2);
        drop(flicker);
        let _stays = hub.subscribe(3);
        assert_eq!(
            hub.flush_presence(),
            Some(Event::Presence {
                online: vec![1, 3],
                offline: vec![]
            })
        );
        assert!(watcher.frames.recv().await.is_some());
        assert_eq!(hub.flush_presence(), None);
        drop(_stays);
        assert_eq!(
            hub.flush_presence(),
            Some(Event::Presence {
                online: vec![],
                offline: vec![3]
            })
        );
    }

    #[tokio::test]
    async fn a_socket_that_falls_behind_is_dropped_not_buffered() {
        let hub = Hub::new();
        let mut slow = hub.subscribe(7);
        for _ in 0..QUEUE_FRAMES + 1 {
            hub.publish(&[7], &Event::Heartbeat);
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
        let mut a = hub.subscribe(5);
        let mut b = hub.subscribe(5);
        hub.disconnect(5);
        assert!(a.frames.recv().await.is_none());
        assert!(b.frames.recv().await.is_none());
        assert!(!hub.is_online(5));
    }

    #[tokio::test]
    async fn signing_out_tells_every_socket_then_closes_it() {
        let hub = Hub::new();
        let mut a = hub.subscribe(5);
        let mut b = hub.subscribe(5);
        let mut other = hub.subscribe(6);
        hub.sign_out(5);
        for sub in [&mut a, &mut b] {
            assert_eq!(
                &*sub.frames.recv().await.unwrap().text,
                r#"{"type":"signed_out"}"#
            );
            assert!(sub.frames.recv().await.is_none());
        }
        assert!(other.frames.try_recv().is_err());
        assert!(hub.is_online(6));
    }
}
