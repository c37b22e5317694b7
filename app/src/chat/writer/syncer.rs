//! The writer's fsync, off the writer's path (SQLite).
//!
//! The writer's own connection commits with `synchronous = NORMAL`: the
//! commit writes the batch to the WAL and returns without waiting for the
//! disk. The batch then comes here. This thread syncs the WAL file, and only
//! then answers the batch's senders and publishes its events. While it waits
//! for the disk, the writer is already storing the next batch, and one sync
//! covers every batch committed before it began.
//!
//! What is acknowledged or published is on disk, exactly as with
//! `synchronous = FULL`. What changes is that a batch can be read by other
//! connections (a history page) between its commit and its sync, under a
//! millisecond. The event log's cursor stops short of such a batch
//! (`events::unsynced`), so a power cut in that window takes back nothing a
//! client was told was logged. WAL checkpoints sync the WAL before copying
//! it (SQLite does at `NORMAL`), so a WAL that starts over never drops
//! frames that were not yet synced here.

use std::{fs::File, io, path::Path, sync::Arc, sync::mpsc};

use super::{Answers, Job, release};
use crate::{error::AppError, events::log::Logged, events::unsynced, live::Live};

/// A committed batch waiting for its sync.
pub(super) struct Committed {
    pub batch: Vec<Job>,
    pub stored: Result<(Answers, Vec<Logged>), sea_orm::DbErr>,
    /// Whether the batch was held (`events::unsynced::hold`).
    pub held: bool,
}

/// The handle the writer hands committed batches to.
pub(super) struct Syncer {
    tx: mpsc::Sender<Committed>,
    /// The WAL file, for `sync_here`.
    wal: Option<File>,
}

impl Syncer {
    /// Starts the thread, syncing the WAL of the database at `path`.
    pub(super) fn start(
        path: &Path,
        held: Arc<unsynced::Held>,
        live: Arc<dyn Live>,
    ) -> io::Result<Self> {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal = File::options().write(true).open(wal)?;
        let here = wal.try_clone()?;
        let mut syncer = Self::spawn(move || wal.sync_data(), held, live)?;
        syncer.wal = Some(here);
        Ok(syncer)
    }

    /// Syncs the WAL on the caller's thread (when the thread is gone).
    pub(super) fn sync_here(&self) -> io::Result<()> {
        self.wal.as_ref().map_or(Ok(()), File::sync_data)
    }

    /// Starts the thread with `sync` as the sync (tests give their own).
    fn spawn(
        sync: impl FnMut() -> io::Result<()> + Send + 'static,
        held: Arc<unsynced::Held>,
        live: Arc<dyn Live>,
    ) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("kanect-syncer".into())
            .spawn(move || run(rx, sync, &held, live.as_ref()))?;
        Ok(Self { tx, wal: None })
    }

    /// Hands over a committed batch; gives it back if the thread is gone.
    pub(super) fn hand(&self, committed: Committed) -> Result<(), Committed> {
        self.tx.send(committed).map_err(|e| e.0)
    }
}

fn run(
    rx: mpsc::Receiver<Committed>,
    mut sync: impl FnMut() -> io::Result<()>,
    held: &unsynced::Held,
    live: &dyn Live,
) {
    while let Ok(first) = rx.recv() {
        // Everything committed so far: one sync covers all of it.
        let mut ready = vec![first];
        ready.extend(rx.try_iter());
        let synced = sync();
        if let Err(e) = &synced {
            tracing::error!(error = %e, "syncing the WAL failed; the batches it covers are answered with an error");
        }
        for mut c in ready {
            if c.held {
                held.release_oldest();
            }
            let stored = match (&synced, c.stored) {
                (Ok(()), stored) => stored,
                // Committed but maybe not on disk: no sender is told it is
                // stored (a retry finds it, by its client id, if it is).
                (Err(_), Ok((answers, events))) => {
                    live.publish(events);
                    Ok((
                        answers
                            .into_iter()
                            .map(|_| Err(AppError::Internal))
                            .collect(),
                        Vec::new(),
                    ))
                }
                (Err(_), Err(e)) => Err(e),
            };
            release(&mut c.batch, stored, live);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        net::IpAddr,
        sync::{Arc, Mutex},
        time::Duration,
    };

    use tokio::sync::oneshot;

    use super::{Committed, Syncer};
    use crate::{
        chat::writer::{Job, NewMessage, Target},
        events::log::Logged,
        live::{
            Live,
            hub::{Frame, Refused, Subscription},
        },
    };

    /// Records what is published.
    #[derive(Default)]
    struct Published(Mutex<Vec<i64>>);

    impl Live for Published {
        fn publish(&self, events: Vec<Logged>) {
            self.0.lock().unwrap().extend(events.iter().map(|e| e.id));
        }
        fn ephemeral(&self, _: i32, _: i32, _: Frame) {}
        fn subscribe(&self, _: i32, _: &str, _: IpAddr) -> Result<Subscription, Refused> {
            unreachable!("not used here")
        }
        fn online(&self) -> Vec<i32> {
            Vec::new()
        }
        fn is_online(&self, _: i32) -> bool {
            false
        }
        fn end_session(&self, _: i32, _: &str) {}
        fn sign_out(&self, _: i32) {}
        fn local_counts(&self) -> (usize, usize) {
            (0, 0)
        }
    }

    fn job() -> (
        Job,
        oneshot::Receiver<Result<crate::chat::model::Message, crate::error::AppError>>,
    ) {
        let (reply, answer) = oneshot::channel();
        let message = NewMessage {
            sender_id: 1,
            sender_name: "amy".into(),
            target: Target::Conversation(1),
            body: "hello".into(),
            client_id: "c-1".into(),
            reply_to: None,
            attachments: Vec::new(),
            session_id: "s".into(),
        };
        let job = Job {
            message,
            queued: std::time::Instant::now(),
            reply,
        };
        (job, answer)
    }

    fn a_message(id: i64) -> crate::chat::model::Message {
        crate::chat::history::to_message(crate::db::entities::message::Model {
            id,
            conversation_id: 1,
            sender_id: 1,
            kind: "text".into(),
            body: "hello".into(),
            client_id: format!("c-{id}"),
            created_at: 0,
            edited_at: None,
            deleted_at: None,
            reply_to_id: None,
        })
    }

    fn logged(id: i64) -> Logged {
        Logged {
            id,
            audience: crate::events::log::Audience::Members(1),
            frame: "{}".into(),
            members_changed: false,
        }
    }

    /// A sync that waits until the test lets it finish.
    fn gated() -> (
        impl FnMut() -> std::io::Result<()> + Send + 'static,
        std::sync::mpsc::Sender<()>,
        std::sync::mpsc::Receiver<()>,
    ) {
        let (open, gate) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let sync = move || {
            let _ = started_tx.send(());
            gate.recv()
                .map_err(|_| std::io::Error::other("gate closed"))
        };
        (sync, open, started)
    }

    #[test]
    fn a_batch_is_answered_and_published_only_after_its_sync() {
        let (sync, open, started) = gated();
        let live = Arc::new(Published::default());
        let syncer = Syncer::spawn(sync, Default::default(), live.clone()).unwrap();
        let (job, mut answer) = job();
        let message = a_message(7);
        let event = logged(7);
        let sent = syncer.hand(Committed {
            batch: vec![job],
            stored: Ok((vec![Ok(message)], vec![event])),
            held: false,
        });
        assert!(sent.is_ok());
        started
            .recv_timeout(Duration::from_secs(10))
            .expect("the sync began");
        assert!(answer.try_recv().is_err(), "not answered during the sync");
        assert!(
            live.0.lock().unwrap().is_empty(),
            "not published during the sync"
        );
        open.send(()).unwrap();
        let stored = answer.blocking_recv().expect("answered").expect("stored");
        assert_eq!(stored.id, 7);
        assert_eq!(*live.0.lock().unwrap(), [7]);
    }

    #[test]
    fn a_batch_committed_during_a_sync_waits_for_the_next_one() {
        let (sync, open, started) = gated();
        let live = Arc::new(Published::default());
        let syncer = Syncer::spawn(sync, Default::default(), live.clone()).unwrap();
        let committed = |id: i64| {
            let (job, answer) = job();
            let c = Committed {
                batch: vec![job],
                stored: Ok((vec![Ok(a_message(id))], vec![logged(id)])),
                held: false,
            };
            (c, answer)
        };
        let (first, first_answer) = committed(1);
        assert!(syncer.hand(first).is_ok());
        started
            .recv_timeout(Duration::from_secs(10))
            .expect("the first sync began");
        let (second, mut second_answer) = committed(2);
        assert!(syncer.hand(second).is_ok());
        open.send(()).unwrap(); // the first sync ends
        assert_eq!(first_answer.blocking_recv().unwrap().unwrap().id, 1);
        started
            .recv_timeout(Duration::from_secs(10))
            .expect("a second sync began");
        assert!(
            second_answer.try_recv().is_err(),
            "not covered by the first sync"
        );
        open.send(()).unwrap();
        assert_eq!(second_answer.blocking_recv().unwrap().unwrap().id, 2);
        assert_eq!(*live.0.lock().unwrap(), [1, 2]);
    }

    #[test]
    fn a_failed_sync_answers_with_an_error() {
        let live = Arc::new(Published::default());
        let syncer = Syncer::spawn(
            || Err(std::io::Error::other("disk")),
            Default::default(),
            live.clone(),
        )
        .unwrap();
        let (job, answer) = job();
        assert!(
            syncer
                .hand(Committed {
                    batch: vec![job],
                    stored: Ok((vec![Ok(a_message(3))], vec![logged(3)])),
                    held: false,
                })
                .is_ok()
        );
        assert!(answer.blocking_recv().unwrap().is_err());
    }
}
