//! Appending events and reading them back.
//!
//! ## Ids are gap-free and commit in order
//!
//! Event ids come from the one-row table `event_counter`, which every
//! transaction that logs events updates (`last = last + n`) before inserting
//! them. That row is locked from the update until the transaction ends:
//! PostgreSQL holds the row lock, SQLite the database's write lock
//! (`db::begin_write`). So a transaction holding ids `n..m` must commit or
//! roll back before any other can take `m + 1`:
//!
//! - **no gaps**: a rolled-back transaction returns its ids with its update;
//! - **commit order is id order**: if id `k` is committed, every id below it is.
//!
//! A reader that has seen event `k` therefore never finds an event below `k`
//! committed later, whatever the number of writers or nodes. A resuming
//! client asks for "everything after my last id" and misses nothing; the live
//! layer can deliver strictly in id order and knows an id is missing (not
//! skipped) when it sees a higher one — it then reads the gap from here
//! (`between`).
//!
//! ## Who gets an event
//!
//! `conversation_id`: the members of that conversation at the time it is
//! read (the live layer: at delivery). `user_id`: that user too — or only that
//! user when there is no conversation (their read markers, their removal
//! from a room).

use std::sync::Arc;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};
use serde::Serialize;

use crate::db::{entities::event, now_millis};

/// Who an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every member of the conversation.
    Members(i32),
    /// One user only.
    User(i32),
    /// The members, and one user who no longer is one (removed, left).
    MembersAnd(i32, i32),
}

impl Audience {
    pub(crate) fn columns(self) -> (Option<i32>, Option<i32>) {
        match self {
            Self::Members(c) => (Some(c), None),
            Self::User(u) => (None, Some(u)),
            Self::MembersAnd(c, u) => (Some(c), Some(u)),
        }
    }

    pub(crate) fn from_columns(conversation: Option<i32>, user: Option<i32>) -> Option<Self> {
        match (conversation, user) {
            (Some(c), None) => Some(Self::Members(c)),
            (None, Some(u)) => Some(Self::User(u)),
            (Some(c), Some(u)) => Some(Self::MembersAnd(c, u)),
            (None, None) => None,
        }
    }

    pub fn conversation(self) -> Option<i32> {
        self.columns().0
    }

    pub fn user(self) -> Option<i32> {
        self.columns().1
    }
}

/// A committed (or about to be) event: its id, audience and the exact frame
/// sockets send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub id: i64,
    pub audience: Audience,
    pub frame: Arc<str>,
    /// The event changes who the conversation's members are (the live layer
    /// re-reads them before delivering it).
    pub members_changed: bool,
}

/// An event's frame: the event's own JSON with `event_id` added.
#[derive(Serialize)]
struct Stamped<'a, E: Serialize> {
    event_id: i64,
    #[serde(flatten)]
    event: &'a E,
}

/// Takes `n` ids from the counter inside `txn`; returns the first. Locks the
/// counter until `txn` ends (see the module docs).
async fn take_ids<C: ConnectionTrait>(txn: &C, n: usize) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct Last {
        last: i64,
    }
    let last = Last::find_by_statement(take_ids_statement(txn.get_database_backend(), n))
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::Custom("the event counter row is missing".into()))?;
    Ok(first_taken(last.last, n))
}

/// The statement `take_ids` runs: moves the counter on by `n` and answers
/// its new value (`last`).
pub(crate) fn take_ids_statement(backend: sea_orm::DatabaseBackend, n: usize) -> Statement {
    let p = crate::db::placeholder_in(backend, 1);
    Statement::from_sql_and_values(
        backend,
        format!("UPDATE event_counter SET last = last + {p} WHERE id = 1 RETURNING last"),
        [(n as i64).into()],
    )
}

/// The first of `n` ids taken when the counter moved to `last`.
pub(crate) fn first_taken(last: i64, n: usize) -> i64 {
    last - n as i64 + 1
}

/// One event to log: who it is for, what it says, and whether it changes the
/// members of its conversation.
pub struct NewEvent<E> {
    pub audience: Audience,
    pub event: E,
    pub members_changed: bool,
}

impl<E> NewEvent<E> {
    pub fn new(audience: Audience, event: E) -> Self {
        Self {
            audience,
            event,
            members_changed: false,
        }
    }

    /// An event after which the conversation's members are different.
    pub fn changing_members(audience: Audience, event: E) -> Self {
        Self {
            members_changed: true,
            ..Self::new(audience, event)
        }
    }
}

/// Logs `events` inside `txn` (which must be a write transaction, see
/// `db::begin_write`), numbering them in order. Publish the result after the
/// commit, never before.
pub async fn append<C: ConnectionTrait, E: Serialize>(
    txn: &C,
    events: &[NewEvent<E>],
) -> Result<Vec<Logged>, DbErr> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let first = take_ids(txn, events.len()).await?;
    let (rows, logged) = encode(events, first, now_millis())?;
    let rows: Vec<event::ActiveModel> = rows
        .into_iter()
        .map(|r| event::ActiveModel {
            id: Set(r.id),
            conversation_id: Set(r.conversation_id),
            user_id: Set(r.user_id),
            frame: Set(r.frame),
            created_at: Set(r.created_at),
        })
        .collect();
    // SQLite allows 32,766 bound values per statement: 5 per row.
    for chunk in rows.chunks(4_000) {
        event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(logged)
}

/// The rows to insert for `events`, numbered from `first`, and the same
/// events as published after the commit (each frame encoded once).
pub(crate) fn encode<E: Serialize>(
    events: &[NewEvent<E>],
    first: i64,
    now: i64,
) -> Result<(Vec<event::Model>, Vec<Logged>), DbErr> {
    let mut logged = Vec::with_capacity(events.len());
    let mut rows = Vec::with_capacity(events.len());
    for (i, new) in events.iter().enumerate() {
        let id = first + i as i64;
        let frame = serde_json::to_string(&Stamped {
            event_id: id,
            event: &new.event,
        })
        .map_err(|e| DbErr::Custom(format!("cannot encode an event: {e}")))?;
        let (conversation_id, user_id) = new.audience.columns();
        let frame: Arc<str> = frame.into();
        rows.push(event::Model {
            id,
            conversation_id,
            user_id,
            frame: frame.to_string(),
            created_at: now,
        });
        logged.push(Logged {
            id,
            audience: new.audience,
            frame,
            members_changed: new.members_changed,
        });
    }
    Ok((rows, logged))
}

/// The id of the newest committed event (0 before the first). Every event up
/// to it is committed.
pub async fn current<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct Last {
        last: i64,
    }
    let last = Last::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT last FROM event_counter WHERE id = 1",
    ))
    .one(db)
    .await?;
    Ok(last.map_or(0, |l| l.last))
}

fn to_logged(row: event::Model) -> Option<Logged> {
    Some(Logged {
        id: row.id,
        audience: Audience::from_columns(row.conversation_id, row.user_id)?,
        frame: row.frame.into(),
        members_changed: false,
    })
}

/// The members of a conversation now (who its events reach).
pub async fn members<C: ConnectionTrait>(db: &C, conversation: i32) -> Result<Vec<i32>, DbErr> {
    use crate::db::entities::membership;
    membership::Entity::find()
        .select_only()
        .column(membership::Column::UserId)
        .filter(membership::Column::ConversationId.eq(conversation))
        .into_tuple::<i32>()
        .all(db)
        .await
}

/// The events for `user` with ids in `(after, up_to]`, oldest first, at most
/// `limit`: those of the conversations `user` is a member of now, and those
/// addressed to `user`.
pub async fn since<C: ConnectionTrait>(
    db: &C,
    user: i32,
    after: i64,
    up_to: i64,
    limit: u64,
) -> Result<Vec<Logged>, DbErr> {
    use sea_orm::{Condition, sea_query::Query};

    use crate::db::entities::membership;
    let mine = Query::select()
        .column(membership::Column::ConversationId)
        .from(membership::Entity)
        .and_where(membership::Column::UserId.eq(user))
        .to_owned();
    let rows = event::Entity::find()
        .filter(event::Column::Id.gt(after))
        .filter(event::Column::Id.lte(up_to))
        .filter(
            Condition::any()
                .add(event::Column::UserId.eq(user))
                .add(event::Column::ConversationId.in_subquery(mine)),
        )
        .order_by_asc(event::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(to_logged).collect())
}

/// Every event with an id in `[from, to)`, oldest first: how the live layer
/// fills a gap in what it was handed.
pub async fn between<C: ConnectionTrait>(db: &C, from: i64, to: i64) -> Result<Vec<Logged>, DbErr> {
    let rows = event::Entity::find()
        .filter(event::Column::Id.gte(from))
        .filter(event::Column::Id.lt(to))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(to_logged).collect())
}

/// Deletes events older than `before_ms` (ms since the epoch); returns how
/// many. A client whose last id is older than what remains gets `resync`.
pub async fn prune<C: ConnectionTrait>(db: &C, before_ms: i64) -> Result<u64, DbErr> {
    let res = event::Entity::delete_many()
        .filter(event::Column::CreatedAt.lt(before_ms))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// The oldest event id still in the log, if any.
pub async fn oldest<C: ConnectionTrait>(db: &C) -> Result<Option<i64>, DbErr> {
    event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .order_by_asc(event::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::Stamped;
    use crate::chat::model::{Event, Incoming};

    /// The browser reads `"type"` right after `event_id` (`crate::wire`):
    /// the frames written here must keep that order.
    #[test]
    fn a_logged_frame_starts_with_its_id_then_its_type() {
        let event = Event::Read {
            conversation_id: 3,
            last_read_id: 9,
        };
        let frame = serde_json::to_string(&Stamped {
            event_id: 42,
            event: &event,
        })
        .unwrap();
        assert!(
            frame.starts_with(r#"{"event_id":42,"type":"read","#),
            "{frame}"
        );
        assert_eq!(
            Incoming::parse(&frame),
            Some(Incoming {
                event_id: Some(42),
                event
            })
        );
    }
}
