//! Group commit for messages.
//!
//! Every send goes through one writer. It takes whatever sends are queued
//! (up to `MAX_BATCH`), stores them in one transaction — the messages, their
//! events in the event log, the conversations' newest message ids, the
//! senders' read markers, and any direct conversation a first message opens —
//! and only after the commit answers each sender and publishes the events.
//! One fsync then covers a whole batch, which is what makes thousands of
//! durable messages per second possible on SQLite, and a single writer means
//! sends never contend for the database's write lock.
//!
//! A send whose `(sender, client_id)` was stored before returns the stored
//! message and is not published again: retries never duplicate. A send to a
//! conversation is stored only if the sender is a member and the conversation
//! is not archived (otherwise `not_found`, so a private room's existence is
//! not revealed). A send whose session ended — even a moment ago, on another
//! node or from the command line — is refused with `Unauthorized`, never
//! stored. All of it is checked inside the batch's transaction.
//!
//! Two ways to store a batch, with the same rules and the same rows:
//! - `general`: every send, on every database, through SeaORM;
//! - `sqlite`: on SQLite, the plain sends (no reply, no files, no mention, a
//!   direct conversation that exists) through a connection of the writer's
//!   own, called directly from the writer's thread. A lone send then costs
//!   its commit and little else: through the pool, each of its eight
//!   statements waits for a hand-off to the connection's thread and back.
//!   Any other batch, or one that meets a retried send, takes the general
//!   way instead (the direct attempt is rolled back first).
//!
//! On SQLite the writer runs on a thread of its own (`kanect-writer`), and
//! its connection's WAL checkpoints run on another (`db::checkpoint`); on
//! PostgreSQL it is a task.

mod general;
mod sqlite;

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{mpsc, oneshot};

use super::model::Message;
use crate::{db::checkpoint::Checkpointer, error::AppError, events::log, live::Live};

pub const MAX_BATCH: usize = 512;
const QUEUE: usize = 8_192;

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The direct conversation with this (active) user.
    Person(i32),
    /// A conversation the sender is a member of.
    Conversation(i32),
}

/// A validated message waiting to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender_id: i32,
    /// The sender's username, as shown beside the message.
    pub sender_name: String,
    pub target: Target,
    pub body: String,
    pub client_id: String,
    /// The message this one answers.
    pub reply_to: Option<i64>,
    /// Upload ids of the files it carries (uploaded by the sender to the
    /// same conversation, not sent yet).
    pub attachments: Vec<String>,
    /// The session the sender is acting under.
    pub session_id: String,
}

impl NewMessage {
    /// For a send to a person: the pair of ids (smaller first) that keys
    /// their direct conversation.
    fn direct_pair(&self) -> Option<(i32, i32)> {
        match self.target {
            Target::Person(p) => Some((self.sender_id.min(p), self.sender_id.max(p))),
            Target::Conversation(_) => None,
        }
    }

    /// For a send to a conversation: the membership that allows it,
    /// `(conversation, sender)`.
    fn membership(&self) -> Option<(i32, i32)> {
        match self.target {
            Target::Conversation(c) => Some((c, self.sender_id)),
            Target::Person(_) => None,
        }
    }
}

struct Job {
    message: NewMessage,
    /// When it reached the writer's queue.
    queued: std::time::Instant,
    reply: oneshot::Sender<Result<Message, AppError>>,
}

/// A handle to the writer; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer: on a thread of its own with its own connection
    /// when `db` is an SQLite file, as a task otherwise. Call it inside the
    /// Tokio runtime.
    pub fn start(db: DatabaseConnection, live: Arc<dyn Live>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        match crate::db::sqlite_path(&db) {
            Some(path) => {
                let runtime = tokio::runtime::Handle::current();
                std::thread::Builder::new()
                    .name("kanect-writer".into())
                    .spawn(move || run_on_thread(&path, db, live, rx, runtime))
                    .expect("the writer's thread starts");
            }
            None => {
                tokio::spawn(run(db, live, rx));
            }
        }
        Self { tx }
    }

    /// Stores `message` and returns it once it is committed.
    pub async fn send(&self, message: NewMessage) -> Result<Message, AppError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job {
                message,
                queued: std::time::Instant::now(),
                reply,
            })
            .await
            .map_err(|_| AppError::Internal)?;
        answer.await.map_err(|_| AppError::Internal)?
    }
}

/// Direct conversations the writer has seen committed, by pair (smaller id
/// first). A direct conversation's id never changes, so a hit skips the
/// lookup; a miss asks the database (which another node may have written).
type Directs = HashMap<(i32, i32), i32>;

/// Remembered direct conversations, at most (cleared when full).
const DIRECTS_CACHED: usize = 100_000;

/// For each send of a batch, in order, the stored message or why it was
/// refused.
type Answers = Vec<Result<Message, AppError>>;

/// A committed batch: the answers, the events to publish, and the direct
/// conversations looked up or opened on the way (to remember).
type Stored = (Answers, Vec<log::Logged>, Directs);

/// The writer as a task: every batch the general way.
async fn run(db: DatabaseConnection, live: Arc<dyn Live>, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut directs = Directs::new();
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let messages: Vec<&NewMessage> = batch.iter().map(|j| &j.message).collect();
        let stored = general::store(&db, &messages, &directs).await;
        if stored.is_ok() {
            crate::metrics::writer_batch("general");
        }
        finish(&mut batch, stored, &mut directs, live.as_ref());
    }
}

/// The writer on its own thread (SQLite): plain batches directly on its own
/// connection, the others the general way. If that connection cannot be
/// opened, every batch goes the general way.
fn run_on_thread(
    path: &std::path::Path,
    db: DatabaseConnection,
    live: Arc<dyn Live>,
    mut rx: mpsc::Receiver<Job>,
    runtime: tokio::runtime::Handle,
) {
    let _inside = runtime.enter();
    let mut own = match crate::db::open_sqlite_writer(path) {
        Ok(conn) => Some(conn),
        Err(e) => {
            tracing::error!(error = %e, "the writer's own connection did not open; every send goes through the pool");
            None
        }
    };
    let checkpointer = own.as_ref().and_then(|conn| {
        Checkpointer::attach(conn, path, crate::db::open_sqlite_writer)
            .inspect_err(|e| {
                tracing::warn!(error = %e, "no checkpoint thread; the writer checkpoints itself");
            })
            .ok()
    });
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut directs = Directs::new();
    while let Some(job) = rx.blocking_recv() {
        batch.push(job);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let messages: Vec<&NewMessage> = batch.iter().map(|j| &j.message).collect();
        let direct = match own.as_mut() {
            Some(conn) => sqlite::store(conn, &messages, &directs),
            None => Ok(None),
        };
        let stored = match direct {
            Ok(Some(stored)) => {
                crate::metrics::writer_batch("direct");
                if let Some(checkpointer) = &checkpointer {
                    checkpointer.after_commit();
                }
                Ok(stored)
            }
            Ok(None) => {
                let stored = runtime.block_on(general::store(&db, &messages, &directs));
                if stored.is_ok() {
                    crate::metrics::writer_batch("general");
                }
                stored
            }
            Err(e) => Err(e),
        };
        finish(&mut batch, stored, &mut directs, live.as_ref());
    }
}

/// After a batch: remembers its direct conversations, publishes its events
/// and answers every send (all with an error when the batch failed).
fn finish(
    batch: &mut Vec<Job>,
    stored: Result<Stored, DbErr>,
    directs: &mut Directs,
    live: &dyn Live,
) {
    match stored {
        Ok((answers, events, seen)) => {
            if directs.len() + seen.len() > DIRECTS_CACHED {
                directs.clear();
            }
            directs.extend(seen);
            live.publish(events);
            let m = crate::metrics::metrics();
            m.writer_batch_size.observe(batch.len() as f64);
            for (job, answer) in batch.drain(..).zip(answers) {
                if answer.is_ok() {
                    m.messages_sent.inc();
                    m.send_commit_seconds
                        .observe(job.queued.elapsed().as_secs_f64());
                }
                let _ = job.reply.send(answer);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, size = batch.len(), "storing a batch of messages failed");
            for job in batch.drain(..) {
                let _ = job.reply.send(Err(AppError::Internal));
            }
        }
    }
}

/// The sessions a batch's sends came under, each once.
fn sessions_of(batch: &[&NewMessage]) -> HashSet<String> {
    batch.iter().map(|m| m.session_id.clone()).collect()
}

/// The refusals of the sends whose session is not among `live`, by index.
fn refuse_ended(batch: &[&NewMessage], live: &HashSet<String>) -> HashMap<usize, AppError> {
    batch
        .iter()
        .enumerate()
        .filter(|(_, m)| !live.contains(&m.session_id))
        .map(|(i, _)| {
            let ended = AppError::Unauthorized {
                message: "Your session has ended. Please log in again.".into(),
            };
            (i, ended)
        })
        .collect()
}

/// The sender names of a batch, by sender id.
fn names_of<'a>(batch: &[&'a NewMessage]) -> HashMap<i32, &'a str> {
    batch
        .iter()
        .map(|m| (m.sender_id, m.sender_name.as_str()))
        .collect()
}

/// The statements that move each conversation's newest message id, and
/// each sender's read marker up to their own newest message, for messages
/// `(conversation, sender, id)` stored in this batch: two statements however
/// many conversations and senders it holds (`UPDATE … FROM (VALUES …)`, the
/// same SQL on SQLite and PostgreSQL; the values are ids from this batch).
fn markers_sql(inserted: impl IntoIterator<Item = (i32, i32, i64)>) -> Vec<String> {
    let mut newest: HashMap<i32, i64> = HashMap::new();
    let mut read: HashMap<(i32, i32), i64> = HashMap::new();
    for (conversation, sender, id) in inserted {
        let n = newest.entry(conversation).or_default();
        *n = (*n).max(id);
        let r = read.entry((conversation, sender)).or_default();
        *r = (*r).max(id);
    }
    if newest.is_empty() {
        return Vec::new();
    }
    let rows: Vec<String> = newest
        .iter()
        .map(|(c, id)| format!("({c}, {id})"))
        .collect();
    let conversations = format!(
        "UPDATE conversations SET last_message_id = v.column2
         FROM (VALUES {}) AS v
         WHERE conversations.id = v.column1 AND conversations.last_message_id < v.column2",
        rows.join(", ")
    );
    let rows: Vec<String> = read
        .iter()
        .map(|((c, u), id)| format!("({c}, {u}, {id})"))
        .collect();
    let markers = format!(
        "UPDATE memberships SET last_read_id = v.column3
         FROM (VALUES {}) AS v
         WHERE memberships.conversation_id = v.column1 AND memberships.user_id = v.column2
           AND memberships.last_read_id < v.column3",
        rows.join(", ")
    );
    vec![conversations, markers]
}

#[cfg(test)]
mod tests {
    use super::markers_sql;

    #[test]
    fn markers_move_to_each_conversations_and_senders_newest_message() {
        let sql = markers_sql([(1, 7, 10), (1, 8, 12), (1, 7, 11), (2, 7, 9)]);
        assert_eq!(sql.len(), 2);
        for row in ["(1, 12)", "(2, 9)"] {
            assert!(sql[0].contains(row), "{}", sql[0]);
        }
        assert!(!sql[0].contains("(1, 10)"), "{}", sql[0]);
        for row in ["(1, 7, 11)", "(1, 8, 12)", "(2, 7, 9)"] {
            assert!(sql[1].contains(row), "{}", sql[1]);
        }
        assert!(!sql[1].contains("(1, 7, 10)"), "{}", sql[1]);
        assert!(markers_sql([]).is_empty());
    }
}
