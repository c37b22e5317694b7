//! Mentions in the database (ssr): which members a new message mentions
//! (looked up once per batch of messages, whatever its size), recording them
//! for unread-mention counts, and the names a page of history shows (its
//! senders' and the people its messages mention).
//!
//! Only members of the conversation can be mentioned, as of the send: a name
//! that is nobody's, or someone outside the room, stays plain text.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};

use super::{mentions, model::Message};
use crate::db::entities::{membership, mention, user};

/// Rows per statement, so no batch exceeds a backend's parameter limit.
const CHUNK: usize = 500;

#[derive(FromQueryResult)]
struct Member {
    conversation_id: i32,
    user_id: i32,
    username: String,
    username_key: String,
}

/// Fills in whom each message mentions; with `record`, also stores those
/// mentions (for messages stored in this transaction).
pub async fn attach<C: ConnectionTrait>(
    db: &C,
    messages: &mut [&mut Message],
    record: bool,
) -> Result<(), DbErr> {
    let wanted: Vec<Vec<String>> = messages
        .iter()
        .map(|m| {
            if m.system {
                Vec::new()
            } else {
                mentions::names(&m.body)
            }
        })
        .collect();
    let keys: HashSet<&String> = wanted.iter().flatten().collect();
    if keys.is_empty() {
        return Ok(());
    }
    let conversations: HashSet<i32> = messages
        .iter()
        .zip(&wanted)
        .filter(|(_, w)| !w.is_empty())
        .map(|(m, _)| m.conversation_id)
        .collect();
    let keys: Vec<&String> = keys.into_iter().collect();
    let mut found: HashMap<(i32, String), (i32, String)> = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        let query = Query::select()
            .column((membership::Entity, membership::Column::ConversationId))
            .expr_as(Expr::col((user::Entity, user::Column::Id)), "user_id")
            .column((user::Entity, user::Column::Username))
            .column((user::Entity, user::Column::UsernameKey))
            .from(membership::Entity)
            .inner_join(
                user::Entity,
                Expr::col((user::Entity, user::Column::Id))
                    .equals((membership::Entity, membership::Column::UserId)),
            )
            .and_where(
                Expr::col((membership::Entity, membership::Column::ConversationId))
                    .is_in(conversations.iter().copied()),
            )
            .and_where(
                Expr::col((user::Entity, user::Column::UsernameKey))
                    .is_in(chunk.iter().map(|k| k.as_str())),
            )
            .to_owned();
        let stmt = db.get_database_backend().build(&query);
        for m in Member::find_by_statement(stmt).all(db).await? {
            found.insert((m.conversation_id, m.username_key), (m.user_id, m.username));
        }
    }
    let mut rows = Vec::new();
    for (message, names) in messages.iter_mut().zip(wanted) {
        let mut ids = Vec::new();
        for key in names {
            if let Some((id, name)) = found.get(&(message.conversation_id, key))
                && !ids.contains(id)
            {
                ids.push(*id);
                message.mentions.push(name.clone());
                rows.push(mention::ActiveModel {
                    user_id: sea_orm::Set(*id),
                    conversation_id: sea_orm::Set(message.conversation_id),
                    message_id: sea_orm::Set(message.id),
                });
            }
        }
    }
    if record {
        for chunk in rows.chunks(CHUNK) {
            mention::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::columns([
                        mention::Column::UserId,
                        mention::Column::ConversationId,
                        mention::Column::MessageId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(())
}

/// The names a page of messages `first..=last` of a conversation shows:
/// its senders' (`senders`) and those its messages mention. Two queries (the
/// page's range of `mentions`, then the usernames of everyone involved).
pub async fn page_people<C: ConnectionTrait>(
    db: &C,
    conversation_id: i32,
    first: i64,
    last: i64,
    senders: &[i32],
) -> Result<PagePeople, DbErr> {
    let mentioned: Vec<(i64, i32)> = mention::Entity::find()
        .select_only()
        .column(mention::Column::MessageId)
        .column(mention::Column::UserId)
        .filter(mention::Column::ConversationId.eq(conversation_id))
        .filter(mention::Column::MessageId.between(first, last))
        .into_tuple()
        .all(db)
        .await?;
    let people: HashSet<i32> = senders
        .iter()
        .copied()
        .chain(mentioned.iter().map(|(_, u)| *u))
        .collect();
    let names: HashMap<i32, String> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Username)
        .filter(user::Column::Id.is_in(people))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut mentions: HashMap<i64, Vec<String>> = HashMap::new();
    for (message_id, user_id) in mentioned {
        if let Some(name) = names.get(&user_id) {
            mentions.entry(message_id).or_default().push(name.clone());
        }
    }
    Ok(PagePeople { names, mentions })
}

/// What `page_people` found: usernames by id, mentioned names by message.
pub struct PagePeople {
    names: HashMap<i32, String>,
    mentions: HashMap<i64, Vec<String>>,
}

impl PagePeople {
    /// Fills in the sender names and mentions of the page's messages.
    pub fn fill(mut self, messages: &mut [Message]) {
        for m in messages.iter_mut() {
            if !m.system
                && let Some(name) = self.names.get(&m.sender_id)
            {
                m.sender_name = name.clone();
            }
            if let Some(list) = self.mentions.remove(&m.id) {
                m.mentions = list;
            }
        }
    }
}

/// Members offered when completing an `@mention`.
pub const SUGGESTED: u64 = 8;

/// Up to `SUGGESTED` members of `conversation_id` (which `me` must be in)
/// whose username starts with `prefix`, any case, alphabetically; an
/// index range on the usernames' unique key.
pub async fn candidates(
    db: &sea_orm::DatabaseConnection,
    me: &crate::auth::CurrentUser,
    conversation_id: i32,
    prefix: &str,
) -> Result<Vec<String>, crate::error::AppError> {
    use sea_orm::QueryOrder;
    super::directory::membership_of(db, conversation_id, me.id).await?;
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.len() > crate::auth::rules::USERNAME_MAX
        || !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Ok(Vec::new());
    }
    let members = Query::select()
        .column(membership::Column::UserId)
        .from(membership::Entity)
        .and_where(membership::Column::ConversationId.eq(conversation_id))
        .to_owned();
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Username)
        // Keys use only characters below `~`: this range is the prefix.
        .filter(user::Column::UsernameKey.gte(prefix.as_str()))
        .filter(user::Column::UsernameKey.lt(format!("{prefix}~")))
        .filter(user::Column::Id.in_subquery(members))
        .filter(user::Column::IsActive.eq(true))
        .order_by_asc(user::Column::UsernameKey)
        .limit(SUGGESTED)
        .into_tuple()
        .all(db)
        .await?)
}
