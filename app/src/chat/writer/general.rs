//! Storing a batch through SeaORM, on any database: every kind of send
//! (replies, files, mentions, retries, a direct conversation's first
//! message).
//!
//! A retried send is skipped by the insert on the unique index of
//! `(sender, client_id)`, and only the skipped ones are then looked up. A
//! retry may name the files of its first attempt again. Each send names the
//! session it came under; which of those sessions still exist is one query
//! per batch.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, Set, TryInsertResult,
};

use super::{
    Directs, NewMessage, Stored, Target, markers_sql, names_of, refuse_ended, sessions_of,
};
use crate::{
    auth::session_store::live_among,
    chat::{
        directory, format,
        history::to_message,
        mention_store,
        model::{Event, Message},
        replies,
    },
    db::{entities::message, now_millis},
    error::AppError,
    events::log::{self, Audience, NewEvent},
    files::records,
};

/// Stores the batch's sends that are allowed; returns, for each send in
/// order, the stored message or why it was refused, and the events to
/// publish after the commit.
pub(super) async fn store(
    db: &DatabaseConnection,
    batch: &[&NewMessage],
    known_directs: &Directs,
) -> Result<Stored, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let live = live_among(&txn, sessions_of(batch)).await?;
    let mut refused = refuse_ended(batch, &live);
    let mut events = Vec::new();
    let (conversations, seen) =
        resolve_targets(&txn, batch, known_directs, &mut refused, &mut events).await?;

    check_replies(&txn, batch, &conversations, &mut refused).await?;
    let uploads = check_attachments(&txn, batch, &conversations, &mut refused).await?;

    let now = now_millis();
    let mut fresh = Vec::new();
    let mut queued = HashSet::new();
    for (i, m) in batch.iter().enumerate() {
        if refused.contains_key(&i) {
            continue;
        }
        let Some(&conversation_id) = conversations.get(&(m.sender_id, m.target)) else {
            continue;
        };
        if !queued.insert((m.sender_id, m.client_id.clone())) {
            continue;
        }
        fresh.push(message::ActiveModel {
            conversation_id: Set(conversation_id),
            sender_id: Set(m.sender_id),
            kind: Set("text".into()),
            body: Set(m.body.clone()),
            client_id: Set(m.client_id.clone()),
            created_at: Set(now),
            reply_to_id: Set(m.reply_to),
            ..Default::default()
        });
    }
    let inserted = insert_new(&txn, fresh).await?;
    for m in &inserted {
        queued.remove(&(m.sender_id, m.client_id.clone()));
    }
    // What is left in `queued` was stored before: a retried send.
    let mut known = already_stored(&txn, queued).await?;
    for sql in markers_sql(
        inserted
            .iter()
            .map(|m| (m.conversation_id, m.sender_id, m.id)),
    ) {
        txn.execute_unprepared(&sql).await?;
    }
    let names = names_of(batch);
    let named = |m: message::Model| {
        let mut message = to_message(m);
        message.sender_name = names
            .get(&message.sender_id)
            .copied()
            .unwrap_or_default()
            .to_owned();
        message
    };
    for m in known.values_mut() {
        m.sender_name = names
            .get(&m.sender_id)
            .copied()
            .unwrap_or_default()
            .to_owned();
    }
    // Retried sends get their mentions back as they are now; new ones have
    // theirs recorded.
    mention_store::attach(&txn, &mut known.values_mut().collect::<Vec<_>>(), false).await?;
    records::for_retries(&txn, &mut known.values_mut().collect::<Vec<_>>()).await?;
    let mut fresh: Vec<Message> = inserted.into_iter().map(named).collect();
    // Their files: bound to them, and shown with them.
    let carried: HashMap<(i32, &str), &Vec<String>> = batch
        .iter()
        .filter(|m| !m.attachments.is_empty())
        .map(|m| ((m.sender_id, m.client_id.as_str()), &m.attachments))
        .collect();
    for m in fresh.iter_mut() {
        if let Some(ids) = carried.get(&(m.sender_id, m.client_id.as_str())) {
            records::bind(&txn, m.id, ids).await?;
            m.attachments = ids
                .iter()
                .filter_map(|id| uploads.get(id))
                .map(records::to_attachment)
                .collect();
        }
    }
    mention_store::attach(&txn, &mut fresh.iter_mut().collect::<Vec<_>>(), true).await?;
    let fresh_keys: Vec<(i32, String)> = fresh
        .iter()
        .map(|m| (m.sender_id, m.client_id.clone()))
        .collect();
    for m in fresh {
        known.insert((m.sender_id, m.client_id.clone()), m);
    }
    let mut shown: Vec<&mut Message> = known.values_mut().collect();
    replies::quote(&txn, &mut shown).await?;
    shown.iter_mut().for_each(|m| format::fill(m));
    for key in &fresh_keys {
        if let Some(m) = known.get(key) {
            events.push(NewEvent::new(
                Audience::Members(m.conversation_id),
                Event::Message { message: m.clone() },
            ));
        }
    }
    let logged = log::append(&txn, &events).await?;
    // Every job gets its own answer, in order: a message missing here would be
    // a bug, so the whole batch fails rather than answer the wrong sender.
    let mut answers = Vec::with_capacity(batch.len());
    for (i, m) in batch.iter().enumerate() {
        if let Some(why) = refused.remove(&i) {
            answers.push(Err(why));
            continue;
        }
        let msg = known
            .get(&(m.sender_id, m.client_id.clone()))
            .cloned()
            .ok_or_else(|| DbErr::Custom("stored message not found in its batch".into()))?;
        answers.push(Ok(msg));
    }
    txn.commit().await?;
    Ok((answers, logged, seen))
}

/// Refuses replies to a message that is not in the reply's conversation
/// (or does not exist), is a system line, or was deleted.
async fn check_replies(
    txn: &DatabaseTransaction,
    batch: &[&NewMessage],
    conversations: &HashMap<(i32, Target), i32>,
    refused: &mut HashMap<usize, AppError>,
) -> Result<(), DbErr> {
    let wanted = batch
        .iter()
        .enumerate()
        .filter(|(i, _)| !refused.contains_key(i))
        .filter_map(|(_, m)| m.reply_to);
    let originals = replies::originals(txn, wanted).await?;
    for (i, m) in batch.iter().enumerate() {
        let (Some(to), Some(conversation)) =
            (m.reply_to, conversations.get(&(m.sender_id, m.target)))
        else {
            continue;
        };
        let why = match originals.get(&to) {
            Some(o) if o.conversation_id == *conversation => {
                if o.quote.deleted {
                    Some("That message was deleted.")
                } else if o.quote.sender_name.is_empty() {
                    Some("You can't reply to that line.")
                } else {
                    None
                }
            }
            _ => Some("You can only reply to a message in this conversation."),
        };
        if let Some(why) = why {
            refused.insert(i, AppError::field("reply_to", why));
        }
    }
    Ok(())
}

/// Refuses sends naming files that are not the sender's unsent uploads to
/// the same conversation; answers the uploads named, by id.
async fn check_attachments(
    txn: &DatabaseTransaction,
    batch: &[&NewMessage],
    conversations: &HashMap<(i32, Target), i32>,
    refused: &mut HashMap<usize, AppError>,
) -> Result<HashMap<String, crate::db::entities::upload::Model>, DbErr> {
    let wanted = batch
        .iter()
        .enumerate()
        .filter(|(i, _)| !refused.contains_key(i))
        .flat_map(|(_, m)| m.attachments.iter().cloned());
    let found = records::by_ids(txn, wanted).await?;
    let sent_with = senders_of(txn, &found).await?;
    // A file goes with one message, even when two in a batch name it (the
    // same send twice — a retry — is one message).
    let mut claimed: HashMap<&str, (i32, &str)> = HashMap::new();
    for (i, m) in batch.iter().enumerate() {
        if m.attachments.is_empty() || refused.contains_key(&i) {
            continue;
        }
        let conversation = conversations.get(&(m.sender_id, m.target));
        let usable = m.attachments.iter().all(|id| {
            found.get(id).is_some_and(|u| {
                u.uploader_id == m.sender_id
                    && Some(&u.conversation_id) == conversation
                    && u.message_id.is_none_or(|sent| {
                        // Sent already: only a retry of that very send
                        // names it again (and gets the stored message).
                        sent_with.get(&sent).is_some_and(|(sender, client)| {
                            *sender == m.sender_id && *client == m.client_id
                        })
                    })
                    && claimed
                        .get(id.as_str())
                        .is_none_or(|by| *by == (m.sender_id, m.client_id.as_str()))
            })
        });
        if usable {
            for id in &m.attachments {
                claimed.insert(id, (m.sender_id, &m.client_id));
            }
        }
        if !usable {
            refused.insert(
                i,
                AppError::field(
                    "attachments",
                    "A file can only be sent once, by the person who uploaded it, to the conversation it was uploaded to.",
                ),
            );
        }
    }
    Ok(found)
}

/// For the files among `uploads` that went with a message already: that
/// message's sender and client id, by message id.
async fn senders_of(
    txn: &DatabaseTransaction,
    uploads: &HashMap<String, crate::db::entities::upload::Model>,
) -> Result<HashMap<i64, (i32, String)>, DbErr> {
    let sent: Vec<i64> = uploads.values().filter_map(|u| u.message_id).collect();
    if sent.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(message::Entity::find()
        .filter(message::Column::Id.is_in(sent))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.id, (m.sender_id, m.client_id)))
        .collect())
}

/// Inserts the messages and returns those stored now. A message whose
/// (sender, client id) is stored already (a retried send) conflicts with the
/// unique index and is skipped, not stored twice: the common case, a batch of
/// new messages, costs one statement instead of a lookup before the insert.
/// On PostgreSQL the same holds across nodes: a send stored by another node's
/// writer a moment ago is skipped here instead of failing the whole batch.
async fn insert_new(
    txn: &DatabaseTransaction,
    fresh: Vec<message::ActiveModel>,
) -> Result<Vec<message::Model>, DbErr> {
    let inserted = message::Entity::insert_many(fresh)
        .on_conflict_do_nothing_on([message::Column::SenderId, message::Column::ClientId])
        .exec_with_returning_many(txn)
        .await?;
    Ok(match inserted {
        TryInsertResult::Inserted(rows) => rows,
        TryInsertResult::Empty | TryInsertResult::Conflicted => Vec::new(),
    })
}

/// The stored messages of these (sender, client id) pairs: the sends of this
/// batch that were stored before (retries).
async fn already_stored(
    txn: &DatabaseTransaction,
    keys: HashSet<(i32, String)>,
) -> Result<HashMap<(i32, String), Message>, DbErr> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let mut stored = Condition::any();
    for (sender_id, client_id) in keys {
        stored = stored.add(
            Condition::all()
                .add(message::Column::SenderId.eq(sender_id))
                .add(message::Column::ClientId.eq(client_id)),
        );
    }
    Ok(message::Entity::find()
        .filter(stored)
        .all(txn)
        .await?
        .into_iter()
        .map(|m| ((m.sender_id, m.client_id.clone()), to_message(m)))
        .collect())
}

/// The conversation of each (sender, target) in the batch: direct
/// conversations are found (in `known` first) or opened; for conversations,
/// the sender must be a member and the conversation not archived. Refusals go
/// into `refused`. Also returns the direct conversations looked up or opened
/// here (to remember once the batch has committed).
async fn resolve_targets(
    txn: &DatabaseTransaction,
    batch: &[&NewMessage],
    known: &Directs,
    refused: &mut HashMap<usize, AppError>,
    events: &mut Vec<NewEvent<Event>>,
) -> Result<(HashMap<(i32, Target), i32>, Directs), DbErr> {
    let mut resolved = HashMap::new();
    let pairs: HashSet<(i32, i32)> = batch
        .iter()
        .enumerate()
        .filter(|(i, _)| !refused.contains_key(i))
        .filter_map(|(_, m)| m.direct_pair())
        .collect();
    let missing: HashSet<(i32, i32)> = pairs
        .iter()
        .filter(|p| !known.contains_key(p))
        .copied()
        .collect();
    let seen = directory::open_directs(txn, &missing, events).await?;
    let directs = |pair: &(i32, i32)| known.get(pair).or_else(|| seen.get(pair)).copied();
    let wanted: Vec<(i32, i32)> = batch.iter().filter_map(|m| m.membership()).collect();
    let allowed = directory::sendable(txn, &wanted).await?;
    for (i, m) in batch.iter().enumerate() {
        if refused.contains_key(&i) {
            continue;
        }
        match m.target {
            Target::Person(_) => {
                if let Some(c) = m.direct_pair().and_then(|pair| directs(&pair)) {
                    resolved.insert((m.sender_id, m.target), c);
                }
            }
            Target::Conversation(c) => match allowed.get(&(c, m.sender_id)) {
                Some(Ok(())) => {
                    resolved.insert((m.sender_id, m.target), c);
                }
                Some(Err(why)) => {
                    refused.insert(i, why.clone());
                }
                None => {
                    refused.insert(i, AppError::not_found("Conversation"));
                }
            },
        }
    }
    Ok((resolved, seen))
}
