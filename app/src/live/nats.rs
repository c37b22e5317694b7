//! Several nodes: the `Live` of a node that shares its database with other
//! Kanect nodes and its live events with them through NATS.
//!
//! Each node keeps its own sockets in its own hub, with its own delivery task
//! (`InProcess`). What crosses nodes, as core NATS messages (no JetStream:
//! the database is the durable log):
//!
//! - `kanect.events`: each batch of committed events a node publishes. Other
//!   nodes hand them to their delivery task, which delivers strictly in id
//!   order as it does its own. Ids are gap-free and commit in id order
//!   (`events::log`), so a node that misses a broker message notices the gap
//!   — at the next higher id, or at the log's current id, which every node
//!   reads once a second — and reads the missing events from the log after
//!   `dispatch::GAP_WAIT`.
//! - `kanect.typing`: typing frames (not logged; lost if the broker is down).
//! - `kanect.presence`: each node's online users, when they change (checked
//!   every second) and every `PRESENCE_EVERY`. A node forgets another's users
//!   `PRESENCE_TTL` after it last heard from it (a node killed), and answers a
//!   node it has not heard before at once (a node that just started learns
//!   everyone's presence within a round trip).
//!
//! Other parts share state the same way (`broadcaster`, `listen`): the
//! rate limits and the log-in throttle (`server::shared_limits`).
//!
//! Session ends need nothing here: every node reads them from the database
//! (`session_watch`), so a sign-out or a deactivation on one node closes the
//! sockets on all of them within a second.
//!
//! When NATS is unreachable a node keeps serving its own sockets and logs
//! the outage (once, then every `WARN_EVERY` while it lasts). Events from
//! other nodes then reach its sockets from the log within about a second
//! instead of at once; typing from other nodes is lost; other nodes' users
//! show as online as last heard, then offline after `PRESENCE_TTL`. Nothing
//! logged is lost: the client library reconnects (backoff up to one second)
//! and resubscribes, and the log fills every gap.

use std::{
    collections::{HashMap, HashSet, hash_map::Entry},
    net::IpAddr,
    sync::{Arc, Weak},
    time::Duration,
};

use async_nats::connection::State;
use futures::StreamExt;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use tokio::{sync::mpsc, time::Instant};

use super::{
    InProcess, Live,
    dispatch::Work,
    hub::{Frame, Hub, Refused, Subscription, Utf8Bytes},
};
use crate::{
    events::log::{self, Audience, Logged},
    metrics::metrics,
};

const EVENTS: &str = "kanect.events";
const TYPING: &str = "kanect.typing";
const PRESENCE: &str = "kanect.presence";

/// How often a node says who is online on it, changed or not.
const PRESENCE_EVERY: Duration = Duration::from_secs(5);
/// How long another node's users count as online after its last word.
const PRESENCE_TTL: Duration = Duration::from_secs(15);
/// How often a node reads the log's current id.
const TAIL_EVERY: Duration = Duration::from_secs(1);
/// At most one warning this often while NATS is unreachable.
const WARN_EVERY: Duration = Duration::from_secs(10);
/// Batches waiting to be handed to the NATS client.
const OUTBOX: usize = 4_096;

/// One event as it crosses nodes.
#[derive(Serialize, Deserialize)]
struct WireEvent {
    id: i64,
    #[serde(rename = "c")]
    conversation: Option<i32>,
    #[serde(rename = "u")]
    user: Option<i32>,
    #[serde(rename = "m")]
    members_changed: bool,
    #[serde(rename = "f")]
    frame: String,
}

#[derive(Serialize, Deserialize)]
struct WireTyping {
    #[serde(rename = "c")]
    conversation: i32,
    from: i32,
    #[serde(rename = "f")]
    frame: String,
}

#[derive(Serialize, Deserialize)]
struct WirePresence {
    node: String,
    online: Vec<i32>,
}

/// A batch of events as it crosses nodes.
#[derive(Serialize, Deserialize)]
struct WireBatch {
    /// When it was published (ms since the epoch, the publisher's clock).
    at: i64,
    events: Vec<WireEvent>,
}

/// A node among several: local delivery plus NATS.
pub struct Nats {
    local: Arc<InProcess>,
    client: async_nats::Client,
    outbox: mpsc::Sender<(&'static str, bytes::Bytes)>,
}

impl Nats {
    /// Connects to NATS at `url` (in the background: a node starts, and
    /// serves its own sockets, while NATS is down) and starts the tasks that
    /// carry events, typing and presence between nodes.
    pub async fn start(
        db: DatabaseConnection,
        hub: Arc<Hub>,
        url: &str,
    ) -> Result<Arc<Self>, String> {
        let node = format!("{:016x}", rand::random::<u64>());
        let client = async_nats::ConnectOptions::new()
            .name(format!("kanect-{node}"))
            // Its own messages are delivered locally already.
            .no_echo()
            .retry_on_initial_connect()
            .max_reconnects(None)
            .reconnect_delay_callback(|attempt| {
                Duration::from_millis(50 * 2u64.pow(attempt.min(5) as u32)).min(Duration::from_secs(1))
            })
            .event_callback(|event| async move {
                match event {
                    async_nats::Event::Connected => tracing::info!("NATS connected"),
                    async_nats::Event::Disconnected => tracing::error!(
                        "NATS disconnected: events from other nodes now come from the database, about a second late"
                    ),
                    // Each failed reconnection attempt (about one a second
                    // while NATS is down): the outage itself is logged above
                    // and by `forward`.
                    async_nats::Event::ClientError(e) => tracing::debug!(error = %e, "NATS"),
                    other => tracing::warn!(event = %other, "NATS"),
                }
            })
            .connect(url)
            .await
            .map_err(|e| format!("nats_url = {url:?}: {e}"))?;
        let subscribe = |subject: &'static str| {
            let client = client.clone();
            async move {
                client
                    .subscribe(subject)
                    .await
                    .map_err(|e| format!("cannot subscribe to {subject}: {e}"))
            }
        };
        let (events, typing, presence) = (
            subscribe(EVENTS).await?,
            subscribe(TYPING).await?,
            subscribe(PRESENCE).await?,
        );
        let local = InProcess::start(db.clone(), hub.clone())
            .await
            .map_err(|e| format!("cannot read the event log: {e}"))?;
        let (outbox, queued) = mpsc::channel(OUTBOX);
        tokio::spawn(forward(client.clone(), queued));
        tokio::spawn(receive_events(events, Arc::downgrade(&local)));
        tokio::spawn(receive_typing(typing, Arc::downgrade(&local)));
        tokio::spawn(tail(db, Arc::downgrade(&local)));
        tokio::spawn(presence_loop(
            node,
            presence,
            outbox.clone(),
            Arc::downgrade(&hub),
        ));
        Ok(Arc::new(Self {
            local,
            client,
            outbox,
        }))
    }

    /// A function that sends a payload to the other nodes on `subject`
    /// (dropped while NATS is unreachable), for other parts' shared state.
    pub fn broadcaster(&self, subject: &'static str) -> Arc<dyn Fn(Vec<u8>) + Send + Sync> {
        let outbox = self.outbox.clone();
        Arc::new(move |payload: Vec<u8>| {
            if outbox.try_send((subject, payload.into())).is_err() {
                metrics().nats_dropped.inc();
            }
        })
    }

    /// Calls `on` with every payload other nodes send on `subject`.
    pub async fn listen(
        &self,
        subject: &'static str,
        on: impl Fn(&[u8]) + Send + 'static,
    ) -> Result<(), String> {
        let mut messages = self
            .client
            .subscribe(subject)
            .await
            .map_err(|e| format!("cannot subscribe to {subject}: {e}"))?;
        tokio::spawn(async move {
            while let Some(message) = messages.next().await {
                on(&message.payload);
            }
        });
        Ok(())
    }

    fn send(&self, subject: &'static str, payload: Vec<u8>) {
        if self.outbox.try_send((subject, payload.into())).is_err() {
            metrics().nats_dropped.inc();
        }
    }
}

impl Live for Nats {
    fn publish(&self, events: Vec<Logged>) {
        let wire: Vec<WireEvent> = events
            .iter()
            .map(|e| {
                let (conversation, user) = e.audience.columns();
                WireEvent {
                    id: e.id,
                    conversation,
                    user,
                    members_changed: e.members_changed,
                    frame: e.frame.to_string(),
                }
            })
            .collect();
        let batch = WireBatch {
            at: crate::db::now_millis(),
            events: wire,
        };
        if let Ok(payload) = serde_json::to_vec(&batch) {
            self.send(EVENTS, payload);
        }
        self.local.publish(events);
    }

    fn ephemeral(&self, conversation_id: i32, from: i32, frame: Frame) {
        let wire = WireTyping {
            conversation: conversation_id,
            from,
            frame: frame.text.as_str().to_owned(),
        };
        if let Ok(payload) = serde_json::to_vec(&wire) {
            self.send(TYPING, payload);
        }
        self.local.ephemeral(conversation_id, from, frame);
    }

    fn subscribe(&self, user_id: i32, session: &str, ip: IpAddr) -> Result<Subscription, Refused> {
        self.local.subscribe(user_id, session, ip)
    }

    fn online(&self) -> Vec<i32> {
        self.local.online()
    }

    fn is_online(&self, user_id: i32) -> bool {
        self.local.is_online(user_id)
    }

    fn end_session(&self, user_id: i32, session: &str) {
        self.local.end_session(user_id, session);
    }

    fn sign_out(&self, user_id: i32) {
        self.local.sign_out(user_id);
    }

    fn local_counts(&self) -> (usize, usize) {
        self.local.local_counts()
    }

    fn ready(&self) -> Result<(), &'static str> {
        match self.client.connection_state() {
            State::Connected => Ok(()),
            _ => Err("NATS unreachable"),
        }
    }
}

/// Hands queued batches to the NATS client; while it is disconnected, drops
/// them (other nodes read those events from the log) and warns.
async fn forward(
    client: async_nats::Client,
    mut queued: mpsc::Receiver<(&'static str, bytes::Bytes)>,
) {
    let mut warned: Option<Instant> = None;
    let started = Instant::now();
    while let Some((subject, payload)) = queued.recv().await {
        let state = client.connection_state();
        if state != State::Connected {
            metrics().nats_dropped.inc();
            // Pending: the first connection is still being made — an outage
            // only if it takes longer than a node's start.
            let outage = state == State::Disconnected || started.elapsed() >= WARN_EVERY;
            if outage && warned.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                tracing::error!(
                    dropped = metrics().nats_dropped.get(),
                    "NATS unreachable: live events are not reaching other nodes at once (they read them from the database)"
                );
                warned = Some(Instant::now());
            }
            continue;
        }
        match client.publish(subject, payload).await {
            Ok(()) => {
                metrics().nats_published.inc();
            }
            Err(e) => {
                metrics().nats_dropped.inc();
                tracing::error!(error = %e, "cannot publish to NATS");
            }
        }
    }
}

async fn receive_events(mut messages: async_nats::Subscriber, local: Weak<InProcess>) {
    while let Some(message) = messages.next().await {
        let Some(local) = local.upgrade() else { return };
        let Ok(batch) = serde_json::from_slice::<WireBatch>(&message.payload) else {
            tracing::warn!("an unreadable event batch from NATS; its events come from the log");
            continue;
        };
        let m = metrics();
        m.nats_received.inc();
        let lag_ms = (crate::db::now_millis() - batch.at).max(0);
        m.nats_lag_seconds.observe(lag_ms as f64 / 1000.0);
        let events = batch
            .events
            .into_iter()
            .filter_map(|e| {
                Some(Logged {
                    id: e.id,
                    audience: Audience::from_columns(e.conversation, e.user)?,
                    frame: e.frame.into(),
                    members_changed: e.members_changed,
                })
            })
            .collect();
        local.publish(events);
    }
}

async fn receive_typing(mut messages: async_nats::Subscriber, local: Weak<InProcess>) {
    while let Some(message) = messages.next().await {
        let Some(local) = local.upgrade() else { return };
        if let Ok(t) = serde_json::from_slice::<WireTyping>(&message.payload) {
            local.ephemeral(
                t.conversation,
                t.from,
                Frame::unlogged(Utf8Bytes::from(t.frame)),
            );
        }
    }
}

/// Tells the delivery task the log's current id once a second.
async fn tail(db: DatabaseConnection, local: Weak<InProcess>) {
    let mut every = tokio::time::interval(TAIL_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(local) = local.upgrade() else { return };
        match log::current(&db).await {
            Ok(id) => local.send(Work::Committed(id)),
            Err(e) => tracing::warn!(error = %e, "cannot read the event log's position"),
        }
    }
}

/// Publishes this node's online users and keeps the hub's view of the
/// others' current.
async fn presence_loop(
    node: String,
    mut messages: async_nats::Subscriber,
    outbox: mpsc::Sender<(&'static str, bytes::Bytes)>,
    hub: Weak<Hub>,
) {
    let mut peers: HashMap<String, (HashSet<i32>, Instant)> = HashMap::new();
    let mut said: Option<(Vec<i32>, Instant)> = None;
    let mut every = tokio::time::interval(Duration::from_secs(1));
    let say = |online: Vec<i32>| {
        let payload = serde_json::to_vec(&WirePresence {
            node: node.clone(),
            online,
        })
        .unwrap_or_default();
        let _ = outbox.try_send((PRESENCE, payload.into()));
    };
    loop {
        // What changed this turn: a node heard of for the first time is
        // answered at once; the union of remote users is rebuilt only when a
        // peer's set changed or a peer expired; the local set is compared
        // each second (and when answering).
        let (mut answer, mut tick) = (false, false);
        let remote_changed;
        tokio::select! {
            got = messages.next() => {
                let Some(message) = got else { return };
                let Ok(p) = serde_json::from_slice::<WirePresence>(&message.payload) else {
                    continue;
                };
                if p.node == node {
                    continue;
                }
                let users: HashSet<i32> = p.online.into_iter().collect();
                match peers.entry(p.node) {
                    Entry::Vacant(slot) => {
                        slot.insert((users, Instant::now()));
                        answer = true;
                        remote_changed = true;
                    }
                    Entry::Occupied(mut slot) => {
                        let (known, heard) = slot.get_mut();
                        remote_changed = *known != users;
                        *known = users;
                        *heard = Instant::now();
                    }
                }
            }
            _ = every.tick() => {
                let before = peers.len();
                peers.retain(|_, (_, heard)| heard.elapsed() < PRESENCE_TTL);
                remote_changed = peers.len() != before;
                tick = true;
            }
        }
        let Some(hub) = hub.upgrade() else { return };
        if remote_changed {
            hub.set_remote(
                peers
                    .values()
                    .flat_map(|(users, _)| users.iter().copied())
                    .collect(),
            );
        }
        if !(tick || answer) {
            continue;
        }
        let online = hub.local_online();
        let due = match &said {
            None => true,
            Some((last, at)) => *last != online || at.elapsed() >= PRESENCE_EVERY,
        };
        if due || answer {
            say(online.clone());
            said = Some((online, Instant::now()));
        }
    }
}
