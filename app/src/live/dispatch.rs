//! Delivery of logged events to sockets, strictly in event-id order.
//!
//! Publishers hand committed events over (`Live::publish`) in whatever order
//! their commits and tasks finish. Event ids are gap-free and commit in id
//! order (`events::log`), so this task delivers id `n + 1` right after `n`:
//! an event that arrives early waits in a small buffer until the ones before
//! it arrive. If one does not arrive within `GAP_WAIT` (its publisher failed
//! after committing, or — with several nodes — its message was lost), the
//! missing ids are read from the log. Every socket therefore sees events in
//! id order, and a client's "last id" always means "everything up to here".
//! Events that are ready together (a writer's batch) are delivered together
//! (`Hub::deliver_all`), so a socket gets its frames of them in one write.
//! With several nodes (`live::nats`) a node also learns the log's current id
//! once a second (`Work::Committed`), so events whose broker message never
//! came (the broker down) still arrive, from the log.
//!
//! Ephemeral frames (typing) go through the same task for its member cache,
//! but are neither logged nor ordered: they reach the conversation's other
//! members at once, and only when their sender is a member.
//!
//! Audiences are resolved here, once per event: a conversation's members come
//! from a cache filled from `memberships` on first use and dropped whenever an
//! event says the members changed, before that event is delivered — so a new
//! member gets their own "joined" event, and a removed one their "removed".

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};

use sea_orm::DatabaseConnection;
use tokio::{sync::mpsc, time::Instant};

use super::hub::{Frame, Hub, Utf8Bytes};
use crate::events::log::{self, Logged};

/// How long a missing id may be outstanding before it is read from the log.
pub const GAP_WAIT: Duration = Duration::from_millis(250);

/// Events delivered together at most (`Hub::deliver_all`); with
/// `hub::QUEUE_FRAMES` at twice this, a socket whose task is busy when
/// a batch comes has room for it.
const DELIVERY_BATCH: usize = 256;

/// The most ids one read of a gap asks the log for.
const GAP_READ_MAX: i64 = 2_000;

/// What publishers hand the delivery task.
pub enum Work {
    /// A committed event of the log, and when it was handed over.
    Logged(Logged, Instant),
    /// A frame for the members of `conversation` other than `from`, if
    /// `from` is one of them.
    Ephemeral {
        conversation: i32,
        from: i32,
        frame: Frame,
    },
    /// Every event up to this id is committed (the log's current id, read
    /// by a node that shares the database with others): ids up to it that
    /// never arrive are read from the log after `GAP_WAIT`.
    Committed(i64),
}

/// Starts the delivery task for `hub`; returns the handle publishers use.
/// Events with ids up to the log's current one when this runs are old news.
pub async fn start(
    db: DatabaseConnection,
    hub: Arc<Hub>,
) -> Result<mpsc::UnboundedSender<Work>, sea_orm::DbErr> {
    let next = log::current(&db).await? + 1;
    let (tx, rx) = mpsc::unbounded_channel();
    let task = Dispatcher {
        db,
        hub,
        next,
        early: BTreeMap::new(),
        committed: 0,
        members: HashMap::new(),
        gap_since: None,
    };
    tokio::spawn(task.run(rx));
    Ok(tx)
}

struct Dispatcher {
    db: DatabaseConnection,
    hub: Arc<Hub>,
    /// The id to deliver next.
    next: i64,
    /// Events that arrived before `next`.
    early: BTreeMap<i64, (Logged, Option<Instant>)>,
    /// The highest id known to be committed (`Work::Committed`).
    committed: i64,
    /// Members of conversations, as of their last membership change.
    members: HashMap<i32, Arc<[i32]>>,
    /// When the oldest outstanding gap was noticed.
    gap_since: Option<Instant>,
}

impl Dispatcher {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Work>) {
        loop {
            let deadline = self.gap_since.map(|t| t + GAP_WAIT);
            tokio::select! {
                got = rx.recv() => {
                    let Some(work) = got else { return };
                    self.take(work).await;
                    while let Ok(more) = rx.try_recv() {
                        self.take(more).await;
                    }
                }
                () = sleep_until(deadline) => self.fill_gap().await,
            }
            self.deliver_ready().await;
        }
    }

    async fn take(&mut self, work: Work) {
        match work {
            Work::Logged(event, at) => self.accept(event, at),
            Work::Committed(id) => self.committed = self.committed.max(id),
            Work::Ephemeral {
                conversation,
                from,
                frame,
            } => {
                let Some(members) = self.members_of(conversation).await else {
                    return;
                };
                if members.contains(&from) {
                    let others: Vec<i32> = members.iter().copied().filter(|m| *m != from).collect();
                    self.hub.deliver(&others, &frame);
                }
            }
        }
    }

    fn accept(&mut self, event: Logged, at: Instant) {
        if event.id >= self.next {
            self.early.insert(event.id, (event, Some(at)));
        }
    }

    async fn deliver_ready(&mut self) {
        let metrics = crate::metrics::metrics();
        loop {
            // Up to `DELIVERY_BATCH` events in id order, delivered together:
            // each socket gets its frames of them in one write.
            let mut batch = Vec::new();
            let mut handed = Vec::new();
            while batch.len() < DELIVERY_BATCH
                && let Some((event, at)) = self.early.remove(&self.next)
            {
                self.next += 1;
                self.resolve(event, &mut batch).await;
                handed.push(at);
            }
            if handed.is_empty() {
                break;
            }
            let deliveries: Vec<(&[i32], &Frame)> = batch
                .iter()
                .map(|(users, frame)| (&**users, frame))
                .collect();
            self.hub.deliver_all(&deliveries);
            for at in handed {
                match at {
                    Some(at) => metrics
                        .commit_delivery_seconds
                        .observe(at.elapsed().as_secs_f64()),
                    None => {
                        metrics.events_from_log.inc();
                    }
                }
            }
        }
        self.gap_since = match (self.gap_end().is_none(), self.gap_since) {
            (true, _) => None,
            (false, Some(since)) => Some(since),
            (false, None) => Some(Instant::now()),
        };
    }

    /// The first id after the ids outstanding from `next` on: the first early
    /// event, or the one after the highest known committed id.
    fn gap_end(&self) -> Option<i64> {
        match self.early.keys().next() {
            Some(&first) => Some(first),
            None => (self.committed >= self.next).then_some(self.committed + 1),
        }
    }

    /// Reads the ids between `next` and the end of the gap from the log.
    async fn fill_gap(&mut self) {
        let Some(gap_end) = self.gap_end() else {
            self.gap_since = None;
            return;
        };
        let first_early = gap_end.min(self.next + GAP_READ_MAX);
        match log::between(&self.db, self.next, first_early).await {
            Ok(found) => {
                let complete = found.len() as i64 == first_early - self.next;
                for mut event in found {
                    // What changed is not stored with the event: reload the
                    // members of its conversation to be safe.
                    event.members_changed = true;
                    self.early.insert(event.id, (event, None));
                }
                if !complete {
                    // Ids never committed (a database restored from a
                    // backup, a counter moved by hand): skip them rather
                    // than wait forever.
                    tracing::warn!(
                        from = self.next,
                        to = first_early,
                        "event ids missing from the log; skipping them"
                    );
                    let missing: Vec<i64> = (self.next..first_early)
                        .filter(|id| !self.early.contains_key(id))
                        .collect();
                    if let Some(&last_missing) = missing.last() {
                        self.next = self.next.max(last_missing + 1);
                    }
                }
                // A long gap is read in parts, the next one at once.
                self.gap_since = (first_early < gap_end)
                    .then(|| Instant::now().checked_sub(GAP_WAIT))
                    .flatten();
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read missing events; retrying");
                self.gap_since = Some(Instant::now());
            }
        }
    }

    /// Adds `event`'s deliveries to `batch`: its frame for the members of
    /// its conversation, and for its one user if that is someone else.
    async fn resolve(&mut self, event: Logged, batch: &mut Vec<(Arc<[i32]>, Frame)>) {
        // The one copy of this event's text; recipients share it.
        let frame = Frame::logged(event.id, Utf8Bytes::from(&*event.frame));
        let mut members: Arc<[i32]> = Arc::new([]);
        if let Some(conversation) = event.audience.conversation() {
            if event.members_changed {
                self.members.remove(&conversation);
            }
            if let Some(found) = self.members_of(conversation).await {
                members = found;
            }
            // One lookup per member, one shared frame, however big the room.
            batch.push((members.clone(), frame.clone()));
        }
        if let Some(user) = event.audience.user()
            && !members.contains(&user)
        {
            batch.push((Arc::new([user]), frame));
        }
    }

    async fn members_of(&mut self, conversation: i32) -> Option<Arc<[i32]>> {
        if let Some(members) = self.members.get(&conversation) {
            return Some(members.clone());
        }
        match log::members(&self.db, conversation).await {
            Ok(members) => {
                let members: Arc<[i32]> = members.into();
                if self.members.len() >= MEMBER_CACHE {
                    self.members.clear();
                }
                self.members.insert(conversation, members.clone());
                Some(members)
            }
            Err(e) => {
                tracing::error!(error = %e, conversation, "cannot read members; event not delivered live");
                None
            }
        }
    }
}

/// Conversations whose members are cached at once (cleared when full).
const MEMBER_CACHE: usize = 50_000;

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
