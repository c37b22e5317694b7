//! Group commit for messages.
//!
//! Every send goes through one writer task. It takes whatever sends are queued
//! (up to `MAX_BATCH`), stores them in one transaction — the messages and the
//! `conversations` summary rows — and only after the commit answers each
//! sender and publishes each new message to the hub. One fsync then covers a
//! whole batch, which is what makes thousands of durable messages per second
//! possible on SQLite, and a single writer means sends never contend for the
//! database's write lock.
//!
//! A send whose `(sender, client_id)` was stored before returns the stored
//! message and is not published again: retries never duplicate.
//!
//! Each send names the session it came under. Inside the batch's transaction
//! the writer checks which of those sessions still exist (one query per
//! batch): a send whose session ended — even a moment ago, on another node or
//! from the command line — is refused with `Unauthorized`, never stored.

use std::{collections::HashMap, sync::Arc};

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::OnConflict,
};
use tokio::sync::{mpsc, oneshot};

use super::{
    model::{Event, Message},
    server::to_message,
};
use crate::{
    auth::session_store::live_among,
    db::{
        entities::{conversation, message},
        now_millis,
    },
    error::AppError,
    live::hub::Hub,
};

pub const MAX_BATCH: usize = 512;
const QUEUE: usize = 8_192;

/// A validated message waiting to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender_id: i32,
    pub recipient_id: i32,
    pub body: String,
    pub client_id: String,
    /// The session the sender is acting under.
    pub session_id: String,
}

struct Job {
    message: NewMessage,
    reply: oneshot::Sender<Result<Message, AppError>>,
}

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    pub fn start(db: DatabaseConnection, hub: Arc<Hub>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, hub, rx));
        Self { tx }
    }

    /// Stores `message` and returns it once it is committed.
    pub async fn send(&self, message: NewMessage) -> Result<Message, AppError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { message, reply })
            .await
            .map_err(|_| AppError::Internal)?;
        answer.await.map_err(|_| AppError::Internal)?
    }
}

async fn run(db: DatabaseConnection, hub: Arc<Hub>, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let messages: Vec<&NewMessage> = batch.iter().map(|j| &j.message).collect();
        match store(&db, &messages).await {
            Ok(stored) => {
                for (job, result) in batch.drain(..).zip(stored) {
                    let answer = result.map(|(msg, is_new)| {
                        if is_new {
                            let event = Event::Message {
                                message: msg.clone(),
                            };
                            hub.publish(&[msg.sender_id, msg.recipient_id], &event);
                        }
                        msg
                    });
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
}

fn session_ended() -> AppError {
    AppError::Unauthorized {
        message: "Your session has ended. Please log in again.".into(),
    }
}

/// Stores the batch's sends whose session is live; returns, for each send in
/// order, the message with `true` when it is new, or why it was refused.
async fn store(
    db: &DatabaseConnection,
    batch: &[&NewMessage],
) -> Result<Vec<Result<(Message, bool), AppError>>, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let live = live_among(&txn, batch.iter().map(|m| m.session_id.clone())).await?;
    let allowed: Vec<&NewMessage> = batch
        .iter()
        .copied()
        .filter(|m| live.contains(&m.session_id))
        .collect();
    let mut seen = Condition::any();
    for m in &allowed {
        seen = seen.add(
            Condition::all()
                .add(message::Column::SenderId.eq(m.sender_id))
                .add(message::Column::ClientId.eq(m.client_id.as_str())),
        );
    }
    let mut known: HashMap<(i32, String), Message> = if allowed.is_empty() {
        HashMap::new()
    } else {
        message::Entity::find()
            .filter(seen)
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| ((m.sender_id, m.client_id.clone()), to_message(m)))
            .collect()
    };

    let now = now_millis();
    let mut fresh = Vec::new();
    let mut queued = std::collections::HashSet::new();
    for m in &allowed {
        let key = (m.sender_id, m.client_id.clone());
        if !known.contains_key(&key) && queued.insert(key) {
            fresh.push(message::ActiveModel {
                sender_id: Set(m.sender_id),
                recipient_id: Set(m.recipient_id),
                pair_lo: Set(m.sender_id.min(m.recipient_id)),
                pair_hi: Set(m.sender_id.max(m.recipient_id)),
                body: Set(m.body.clone()),
                client_id: Set(m.client_id.clone()),
                created_at: Set(now),
                ..Default::default()
            });
        }
    }
    let inserted = if fresh.is_empty() {
        Vec::new()
    } else {
        message::Entity::insert_many(fresh)
            .exec_with_returning(&txn)
            .await?
    };
    let new_ids: std::collections::HashSet<i64> = inserted.iter().map(|m| m.id).collect();
    update_conversations(&txn, &inserted).await?;
    for m in inserted {
        known.insert((m.sender_id, m.client_id.clone()), to_message(m));
    }
    // Every job gets its own answer, in order: a message missing here would be
    // a bug, so the whole batch fails rather than answer the wrong sender.
    let mut published = std::collections::HashSet::new();
    let mut results = Vec::with_capacity(batch.len());
    for m in batch {
        if !live.contains(&m.session_id) {
            results.push(Err(session_ended()));
            continue;
        }
        let msg = known
            .get(&(m.sender_id, m.client_id.clone()))
            .cloned()
            .ok_or_else(|| DbErr::Custom("stored message not found in its batch".into()))?;
        // A retry inside the same batch is not published twice.
        let is_new = new_ids.contains(&msg.id) && published.insert(msg.id);
        results.push(Ok((msg, is_new)));
    }
    txn.commit().await?;
    Ok(results)
}

/// Per (user, peer): the pair's newest message id, and — for the user who
/// sent in this batch — how far they have read (up to their own message).
#[derive(Default)]
struct Summary {
    last_message_id: i64,
    read_up_to: Option<i64>,
}

fn summarise(inserted: &[message::Model]) -> HashMap<(i32, i32), Summary> {
    let mut rows: HashMap<(i32, i32), Summary> = HashMap::new();
    for m in inserted {
        let sent = rows.entry((m.sender_id, m.recipient_id)).or_default();
        sent.last_message_id = sent.last_message_id.max(m.id);
        sent.read_up_to = Some(sent.read_up_to.unwrap_or(0).max(m.id));
        let received = rows.entry((m.recipient_id, m.sender_id)).or_default();
        received.last_message_id = received.last_message_id.max(m.id);
    }
    rows
}

/// Moves the `conversations` rows of every pair in the batch forward.
async fn update_conversations(
    txn: &sea_orm::DatabaseTransaction,
    inserted: &[message::Model],
) -> Result<(), DbErr> {
    let (mut read, mut unread) = (Vec::new(), Vec::new());
    for ((user_id, peer_id), s) in summarise(inserted) {
        let row = conversation::ActiveModel {
            user_id: Set(user_id),
            peer_id: Set(peer_id),
            last_message_id: Set(s.last_message_id),
            last_read_id: Set(s.read_up_to.unwrap_or(0)),
        };
        if s.read_up_to.is_some() {
            read.push(row)
        } else {
            unread.push(row)
        }
    }
    let key = [conversation::Column::UserId, conversation::Column::PeerId];
    if !unread.is_empty() {
        conversation::Entity::insert_many(unread)
            .on_conflict(
                OnConflict::columns(key)
                    .update_column(conversation::Column::LastMessageId)
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    if !read.is_empty() {
        conversation::Entity::insert_many(read)
            .on_conflict(
                OnConflict::columns(key)
                    .update_columns([
                        conversation::Column::LastMessageId,
                        conversation::Column::LastReadId,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: i64, from: i32, to: i32) -> message::Model {
        message::Model {
            id,
            sender_id: from,
            recipient_id: to,
            pair_lo: from.min(to),
            pair_hi: from.max(to),
            body: "hi".into(),
            client_id: format!("client-{id:04}"),
            created_at: 0,
        }
    }

    #[test]
    fn senders_have_read_up_to_their_own_newest_message() {
        let rows = summarise(&[msg(5, 1, 2), msg(6, 2, 1), msg(7, 1, 3)]);
        let r = |u, p| rows.get(&(u, p)).map(|s| (s.last_message_id, s.read_up_to));
        assert_eq!(r(1, 2), Some((6, Some(5))));
        assert_eq!(r(2, 1), Some((6, Some(6))));
        assert_eq!(r(1, 3), Some((7, Some(7))));
        assert_eq!(r(3, 1), Some((7, None)));
    }
}
