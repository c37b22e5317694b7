//! A `tower_sessions::SessionStore` over Kanect's own database.
//!
//! tower-sessions owns the cookie, id rotation and expiry; this adapter only
//! stores records in the `sessions` table (via SeaORM, so it works on SQLite and
//! PostgreSQL alike) and copies the logged-in user's id into an indexed column
//! so that every session of one user can be ended at once.
//!
//! Ending a logged-in session (log-out, log-out everywhere) also records it in
//! `session_ends`, in the same transaction, so every server process can close
//! the live sockets bound to it (`live::session_watch`). `save` only updates:
//! a request that loaded a session before it was ended cannot bring it back.

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
    sea_query::{Expr, ExprTrait, Query},
};
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, SessionStore},
};

use crate::db::{
    entities::{session, session_end, user},
    now_millis,
};

/// The session key holding the logged-in user's id.
pub const USER_ID_KEY: &str = "user_id";

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn backend(err: DbErr) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

/// The columns of a record: the logged-in user's id, the data as JSON, expiry (ms).
fn columns(record: &Record) -> Result<(Option<i32>, String, i64), session_store::Error> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let user_id = record
        .data
        .get(USER_ID_KEY)
        .and_then(|v| v.as_i64())
        .and_then(|v| i32::try_from(v).ok());
    Ok((user_id, data, record.expiry_date.unix_timestamp() * 1000))
}

fn to_active(record: &Record) -> Result<session::ActiveModel, session_store::Error> {
    let (user_id, data, expires_at) = columns(record)?;
    Ok(session::ActiveModel {
        id: Set(record.id.to_string()),
        user_id: Set(user_id),
        data: Set(data),
        expires_at: Set(expires_at),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; a collision is astronomically unlikely, but a
        // fresh id is cheap and never overwrites someone else's session.
        loop {
            match session::Entity::insert(to_active(record)?)
                .exec(&self.db)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                    record.id = Id::default();
                }
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // An update, never an insert: if the session was ended while this
        // request ran, it stays ended.
        let (user_id, data, expires_at) = columns(record)?;
        session::Entity::update_many()
            .col_expr(session::Column::UserId, Expr::value(user_id))
            .col_expr(session::Column::Data, Expr::value(data))
            .col_expr(session::Column::ExpiresAt, Expr::value(expires_at))
            .filter(session::Column::Id.eq(record.id.to_string()))
            .exec(&self.db)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = session::Entity::find_by_id(id.to_string())
            .filter(session::Column::ExpiresAt.gt(now_millis()))
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at / 1000)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        end_session(&self.db, &id.to_string())
            .await
            .map_err(backend)
    }
}

/// The account a live session is logged in as, and the session's data.
#[derive(Debug, FromQueryResult)]
pub struct SessionUser {
    pub id: i32,
    pub username: String,
    pub role: String,
    pub is_active: bool,
    pub share_typing: bool,
    pub share_receipts: bool,
    /// The session's key/value data as JSON.
    pub data: String,
}

/// The user session `id` is logged in as, with the session's data, in one
/// query — what every authenticated request asks first. `None`: no such
/// session, expired, or not logged in.
pub async fn user_of(db: &DatabaseConnection, id: &str) -> Result<Option<SessionUser>, DbErr> {
    let query = Query::select()
        .columns([
            (user::Entity, user::Column::Id),
            (user::Entity, user::Column::Username),
            (user::Entity, user::Column::Role),
            (user::Entity, user::Column::IsActive),
            (user::Entity, user::Column::ShareTyping),
            (user::Entity, user::Column::ShareReceipts),
        ])
        .column((session::Entity, session::Column::Data))
        .from(session::Entity)
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((session::Entity, session::Column::UserId)),
        )
        .and_where(Expr::col((session::Entity, session::Column::Id)).eq(id))
        .and_where(Expr::col((session::Entity, session::Column::ExpiresAt)).gt(now_millis()))
        .to_owned();
    SessionUser::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await
}

/// Deletes one session; a logged-in one is recorded as ended (same transaction).
async fn end_session(db: &DatabaseConnection, id: &str) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let user_id = session::Entity::find_by_id(id.to_owned())
        .select_only()
        .column(session::Column::UserId)
        .into_tuple::<Option<i32>>()
        .one(&txn)
        .await?
        .flatten();
    session::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?;
    if user_id.is_some() {
        record_end(&txn, Some(id.to_owned()), user_id).await?;
    }
    txn.commit().await
}

async fn record_end(
    db: &impl ConnectionTrait,
    session_id: Option<String>,
    user_id: Option<i32>,
) -> Result<(), DbErr> {
    session_end::Entity::insert(session_end::ActiveModel {
        session_id: Set(session_id),
        user_id: Set(user_id),
        ended_at: Set(now_millis()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await
    .map(|_| ())
}

/// Ends every session of `user_id` (log out everywhere, deactivation,
/// password reset) and records it, so live sockets close on every process.
pub async fn end_sessions_of(db: &DatabaseConnection, user_id: i32) -> Result<u64, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let res = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    record_end(&txn, None, Some(user_id)).await?;
    txn.commit().await?;
    Ok(res.rows_affected)
}

/// Sessions that ended at or after `since_ms` (oldest first, at most 10,000).
pub async fn ends_since(
    db: &DatabaseConnection,
    since_ms: i64,
) -> Result<Vec<session_end::Model>, DbErr> {
    session_end::Entity::find()
        .filter(session_end::Column::EndedAt.gte(since_ms))
        .order_by_asc(session_end::Column::Id)
        .limit(10_000)
        .all(db)
        .await
}

/// Forgets session ends recorded before `before_ms`.
pub async fn prune_ends(db: &DatabaseConnection, before_ms: i64) -> Result<u64, DbErr> {
    let res = session_end::Entity::delete_many()
        .filter(session_end::Column::EndedAt.lt(before_ms))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// When the session `id` expires (ms), if it exists and has not expired.
pub async fn expiry_of(db: &impl ConnectionTrait, id: &str) -> Result<Option<i64>, DbErr> {
    session::Entity::find_by_id(id.to_owned())
        .filter(session::Column::ExpiresAt.gt(now_millis()))
        .select_only()
        .column(session::Column::ExpiresAt)
        .into_tuple::<i64>()
        .one(db)
        .await
}

/// Which of `ids` are live sessions: existing, unexpired, and of an active user.
pub async fn live_among(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = String>,
) -> Result<std::collections::HashSet<String>, DbErr> {
    let rows = live_among_query(ids).into_tuple::<String>().all(db).await?;
    Ok(rows.into_iter().collect())
}

/// The query `live_among` runs: the ids (one column) of the live sessions
/// among `ids`.
pub fn live_among_query(ids: impl IntoIterator<Item = String>) -> sea_orm::Select<session::Entity> {
    let active_users = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(user::Column::IsActive.eq(true))
        .to_owned();
    session::Entity::find()
        .filter(session::Column::Id.is_in(ids))
        .filter(session::Column::ExpiresAt.gt(now_millis()))
        .filter(session::Column::UserId.in_subquery(active_users))
        .select_only()
        .column(session::Column::Id)
}

/// Removes expired rows; run periodically by the server.
pub async fn delete_expired(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let res = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now_millis()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
