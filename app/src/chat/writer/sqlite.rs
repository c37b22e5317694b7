//! Storing a plain batch on SQLite, directly on the writer's own connection
//! (`db::open_sqlite_writer`), from the writer's own thread.
//!
//! Plain: every send is new text without a reply, files or a mention, to a
//! room or to a person whose direct conversation the writer has seen. The
//! checks are the general way's own queries (built by the same functions,
//! run here); the rows are the same. Only the insert, the event rows and the
//! event counter are written out here, as one prepared statement each.
//!
//! Anything else — a send that needs more, or an insert that meets a send
//! stored before (a retry) — returns `None` before the commit, with the
//! transaction rolled back: the caller then stores the batch the general way.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, TransactionBehavior, params};
use sea_orm::{DbBackend, DbErr, QueryTrait, Statement};

use super::{
    Directs, NewMessage, Stored, Target, markers_sql, names_of, refuse_ended, sessions_of,
};
use crate::{
    auth::session_store::live_among_query,
    chat::{directory, format, history::to_message, mentions, model::Event, model::Message},
    db::{entities::message, now_millis},
    error::AppError,
    events::log::{self, Audience, NewEvent},
};

/// Stores `batch` if it is plain; `Ok(None)` if it is not (nothing
/// written).
pub(super) fn store(
    conn: &mut Connection,
    batch: &[&NewMessage],
    directs: &Directs,
) -> Result<Option<Stored>, DbErr> {
    if !batch.iter().all(|m| is_plain(m, directs)) {
        return Ok(None);
    }
    if !conn.is_autocommit() {
        // A transaction left open by a batch whose rollback failed: without
        // this, every later batch would fail to begin.
        conn.execute_batch("ROLLBACK").map_err(failed)?;
    }
    let asked = std::time::Instant::now();
    let txn = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failed)?;
    crate::metrics::metrics()
        .db_write_wait_seconds
        .observe(asked.elapsed().as_secs_f64());

    let live: HashSet<String> = rows(
        &txn,
        &live_among_query(sessions_of(batch)).build(DbBackend::Sqlite),
        |r| r.get(0),
    )?
    .into_iter()
    .collect();
    let mut refused = refuse_ended(batch, &live);
    let allowed = sendable(&txn, batch)?;

    let now = now_millis();
    let names = names_of(batch);
    let mut stored: Vec<Option<Message>> = vec![None; batch.len()];
    let mut keys = HashSet::new();
    {
        let mut insert = txn
            .prepare_cached(
                "INSERT INTO messages (conversation_id, sender_id, kind, body, client_id, created_at)
                 VALUES (?1, ?2, 'text', ?3, ?4, ?5)
                 ON CONFLICT (sender_id, client_id) DO NOTHING RETURNING id",
            )
            .map_err(failed)?;
        for (i, m) in batch.iter().enumerate() {
            if refused.contains_key(&i) {
                continue;
            }
            let conversation_id = match m.target {
                Target::Person(_) => match m.direct_pair().and_then(|pair| directs.get(&pair)) {
                    Some(&c) => c,
                    None => return Ok(None),
                },
                Target::Conversation(c) => match allowed.get(&(c, m.sender_id)) {
                    Some(Ok(())) => c,
                    Some(Err(why)) => {
                        refused.insert(i, why.clone());
                        continue;
                    }
                    None => {
                        refused.insert(i, AppError::not_found("Conversation"));
                        continue;
                    }
                },
            };
            if !keys.insert((m.sender_id, m.client_id.as_str())) {
                // The same send twice in one batch: the general way answers
                // both with the one message.
                return Ok(None);
            }
            let mut ids = insert
                .query_map(
                    params![conversation_id, m.sender_id, m.body, m.client_id, now],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(failed)?;
            let Some(id) = ids.next().transpose().map_err(failed)? else {
                // Stored before: a retry, which the general way answers with
                // the stored message.
                return Ok(None);
            };
            let mut message = to_message(message::Model {
                id,
                conversation_id,
                sender_id: m.sender_id,
                kind: "text".into(),
                body: m.body.clone(),
                client_id: m.client_id.clone(),
                created_at: now,
                edited_at: None,
                deleted_at: None,
                reply_to_id: None,
            });
            message.sender_name = names.get(&m.sender_id).copied().unwrap_or_default().into();
            format::fill(&mut message);
            stored[i] = Some(message);
        }
    }
    let fresh: Vec<&Message> = stored.iter().flatten().collect();
    for sql in markers_sql(fresh.iter().map(|m| (m.conversation_id, m.sender_id, m.id))) {
        txn.execute(&sql, []).map_err(failed)?;
    }
    let events: Vec<NewEvent<Event>> = fresh
        .iter()
        .map(|m| {
            NewEvent::new(
                Audience::Members(m.conversation_id),
                Event::Message {
                    message: (*m).clone(),
                },
            )
        })
        .collect();
    let logged = append(&txn, &events, now)?;

    let mut answers = Vec::with_capacity(batch.len());
    for (i, message) in stored.into_iter().enumerate() {
        answers.push(match refused.remove(&i) {
            Some(why) => Err(why),
            None => Ok(message
                .ok_or_else(|| DbErr::Custom("stored message not found in its batch".into()))?),
        });
    }
    txn.commit().map_err(failed)?;
    Ok(Some((answers, logged, Directs::new())))
}

/// Whether `m` can be stored here (see the module docs).
fn is_plain(m: &NewMessage, directs: &Directs) -> bool {
    m.reply_to.is_none()
        && m.attachments.is_empty()
        && match m.target {
            Target::Person(_) => m
                .direct_pair()
                .is_some_and(|pair| directs.contains_key(&pair)),
            Target::Conversation(_) => true,
        }
        && mentions::names(&m.body).is_empty()
}

/// `directory::sendable` for the batch's sends to conversations, with its
/// own queries.
fn sendable(conn: &Connection, batch: &[&NewMessage]) -> Result<directory::Sendable, DbErr> {
    let wanted: Vec<(i32, i32)> = batch.iter().filter_map(|m| m.membership()).collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let members: Vec<(i32, i32)> = rows(
        conn,
        &directory::members_among(&wanted).build(DbBackend::Sqlite),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let ids: HashSet<i32> = members.iter().map(|&(c, _)| c).collect();
    let archived: HashSet<i32> = rows(
        conn,
        &directory::archived_among(ids).build(DbBackend::Sqlite),
        |r| r.get(0),
    )?
    .into_iter()
    .collect();
    Ok(directory::sendable_from(members, &archived))
}

/// `log::append` on this connection: takes the ids, inserts the rows.
fn append(
    conn: &Connection,
    events: &[NewEvent<Event>],
    now: i64,
) -> Result<Vec<log::Logged>, DbErr> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let last: i64 = rows(
        conn,
        &log::take_ids_statement(DbBackend::Sqlite, events.len()),
        |r| r.get(0),
    )?
    .into_iter()
    .next()
    .ok_or_else(|| DbErr::Custom("the event counter row is missing".into()))?;
    let (rows, logged) = log::encode(events, log::first_taken(last, events.len()), now)?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO events (id, conversation_id, user_id, frame, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(failed)?;
    for r in rows {
        insert
            .execute(params![
                r.id,
                r.conversation_id,
                r.user_id,
                r.frame,
                r.created_at
            ])
            .map_err(failed)?;
    }
    Ok(logged)
}

/// Runs a statement built by SeaORM for SQLite and maps its rows.
fn rows<T>(
    conn: &Connection,
    statement: &Statement,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, DbErr> {
    let values: Vec<rusqlite::types::Value> = statement
        .values
        .iter()
        .flat_map(|v| v.0.iter())
        .map(to_sqlite)
        .collect::<Result<_, _>>()?;
    let mut prepared = conn.prepare_cached(&statement.sql).map_err(failed)?;
    prepared
        .query_map(rusqlite::params_from_iter(values), map)
        .map_err(failed)?
        .collect::<rusqlite::Result<Vec<T>>>()
        .map_err(failed)
}

/// A bound value as SQLite stores it (what sqlx binds for the same value).
fn to_sqlite(value: &sea_orm::Value) -> Result<rusqlite::types::Value, DbErr> {
    use rusqlite::types::Value as Sql;
    use sea_orm::Value as V;
    Ok(match value {
        V::Bool(v) => v.map_or(Sql::Null, |b| Sql::Integer(b.into())),
        V::TinyInt(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        V::SmallInt(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        V::Int(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        V::BigInt(v) => v.map_or(Sql::Null, Sql::Integer),
        V::TinyUnsigned(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        V::SmallUnsigned(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        V::Unsigned(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        V::String(v) => v.as_ref().map_or(Sql::Null, |s| Sql::Text(s.clone())),
        V::Bytes(v) => v.as_ref().map_or(Sql::Null, |b| Sql::Blob(b.clone())),
        other => {
            return Err(DbErr::Custom(format!(
                "the writer's SQLite connection cannot bind {other:?}"
            )));
        }
    })
}

fn failed(e: rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("SQLite (the writer's connection): {e}"))
}

#[cfg(test)]
mod tests {
    use super::{NewMessage, Target, store};
    use crate::chat::writer::Directs;

    /// A batch stores after one whose transaction was left open (its
    /// rollback failed): the writer does not stay stuck.
    #[tokio::test]
    async fn a_transaction_left_open_does_not_stop_the_next_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kanect.db");
        crate::db::connect_and_migrate(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .unwrap();
        let mut conn = crate::db::open_sqlite_writer(&path).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        let send = NewMessage {
            sender_id: 1,
            sender_name: "amy".into(),
            target: Target::Conversation(1),
            body: "hello".into(),
            client_id: "c-0001".into(),
            reply_to: None,
            attachments: Vec::new(),
            session_id: "no-such-session".into(),
        };
        let (answers, events, _) = store(&mut conn, &[&send], &Directs::new())
            .unwrap()
            .expect("a plain batch");
        // No such session: refused, nothing logged — and the batch ran.
        assert!(matches!(
            answers[..],
            [Err(crate::error::AppError::Unauthorized { .. })]
        ));
        assert!(events.is_empty());
        assert!(conn.is_autocommit());
    }
}
