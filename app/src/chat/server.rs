//! Chat operations behind the server functions and the live socket: people
//! and their unread counts, recipients, read markers and notification
//! levels. Every function takes the caller (`me`) and only reads or writes
//! conversations `me` is a member of (`directory::membership_of`). Pages of
//! history are in `history`, sending in `sending`, catching up in
//! `catch_up`, rooms in `rooms`.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};

use super::{
    directory,
    model::{Event, Notify, Person},
    peers::{Peer, PeerCache},
};
use crate::{
    auth::CurrentUser,
    db::entities::{conversation, membership, user},
    error::AppError,
    events::log::{self, Audience, NewEvent},
    live::Live,
};

/// Any other user, active or not, by username (any case): for reading history.
/// `field` names the parameter in errors.
pub async fn find_peer_any(
    db: &DatabaseConnection,
    me: &CurrentUser,
    field: &str,
    username: &str,
) -> Result<user::Model, AppError> {
    let peer = user_by_key(db, &username_key(username)).await?;
    refuse_self(peer.id, me, field)?;
    Ok(peer)
}

/// How usernames are looked up: trimmed, case-folded.
fn username_key(username: &str) -> String {
    username.trim().to_ascii_lowercase()
}

async fn user_by_key(db: &DatabaseConnection, key: &str) -> Result<user::Model, AppError> {
    if key.chars().any(char::is_control) {
        // No username has one (and PostgreSQL refuses NUL in text).
        return Err(AppError::not_found("User"));
    }
    user::Entity::find()
        .filter(user::Column::UsernameKey.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("User"))
}

fn refuse_self(peer_id: i32, me: &CurrentUser, field: &str) -> Result<(), AppError> {
    if peer_id == me.id {
        return Err(AppError::field(field, "You can't message yourself."));
    }
    Ok(())
}

/// An active user other than `me`: someone who can receive messages
/// (remembered in `peers` for a few seconds).
pub async fn find_recipient(
    db: &DatabaseConnection,
    peers: &PeerCache,
    me: &CurrentUser,
    username: &str,
) -> Result<Peer, AppError> {
    let key = username_key(username);
    let now = std::time::Instant::now();
    let peer = match peers.get(&key, now) {
        Some(peer) => peer,
        None => {
            let found = user_by_key(db, &key).await?;
            let peer = Peer {
                id: found.id,
                is_active: found.is_active,
            };
            peers.put(key, peer.clone(), now);
            peer
        }
    };
    refuse_self(peer.id, me, "to")?;
    if !peer.is_active {
        return Err(AppError::field("to", "This account has been deactivated."));
    }
    Ok(peer)
}

/// Everyone else who is active: recent conversations first (newest first),
/// then everyone else alphabetically. Four queries whatever the number of
/// conversations: the people, `me`'s memberships, their direct conversations,
/// and one statement counting unread messages and mentions.
pub async fn list_people(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
) -> Result<Vec<Person>, AppError> {
    let users = user::Entity::find()
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::Id.ne(me.id))
        .all(db)
        .await?;
    let levels: HashMap<i32, Notify> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(me.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.conversation_id, directory::level_of(&m)))
        .collect();
    // `me`'s conversations as a subquery, not a list of ids: a member of
    // thousands of rooms does not send thousands of parameters.
    let mine = sea_orm::sea_query::Query::select()
        .column(membership::Column::ConversationId)
        .from(membership::Entity)
        .and_where(membership::Column::UserId.eq(me.id))
        .to_owned();
    let directs: HashMap<i32, conversation::Model> = conversation::Entity::find()
        .filter(conversation::Column::Kind.eq(directory::DIRECT))
        .filter(conversation::Column::Id.in_subquery(mine))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| {
            let peer = if c.direct_lo == Some(me.id) {
                c.direct_hi
            } else {
                c.direct_lo
            };
            Some((peer?, c))
        })
        .collect();
    let unread = unread_counts(db, me.id).await?;
    let mut people: Vec<Person> = users
        .into_iter()
        .map(|u| {
            let conv = directs.get(&u.id);
            let counts = conv
                .and_then(|c| unread.get(&c.id))
                .copied()
                .unwrap_or_default();
            Person {
                online: live.is_online(u.id),
                unread: counts.messages,
                mentions: counts.mentions,
                notify: conv
                    .and_then(|c| levels.get(&c.id))
                    .copied()
                    .unwrap_or(Notify::All),
                last_message_id: conv.map(|c| c.last_message_id).filter(|&id| id > 0),
                conversation_id: conv.map(|c| c.id),
                id: u.id,
                username: u.username,
            }
        })
        .collect();
    people.sort_by(|a, b| {
        b.last_message_id
            .cmp(&a.last_message_id)
            .then_with(|| a.username.to_lowercase().cmp(&b.username.to_lowercase()))
    });
    Ok(people)
}

use std::collections::HashMap;

/// What `me` has not read in one conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unread {
    /// Others' messages above the read marker (at most `UNREAD_CAP`).
    pub messages: u32,
    /// Those of them that mention `me`.
    pub mentions: u32,
}

/// Unread messages and mentions per conversation of `me`, in one statement.
/// For every conversation with something unread, the message count runs over
/// the index range from the read marker to the 100th message after it at
/// most, so it costs at most 100 index entries per conversation however far
/// behind `me` is; the mention count is the range of `me`'s mentions in that
/// conversation above the marker (`mentions`' primary key).
pub async fn unread_counts(
    db: &DatabaseConnection,
    me: i32,
) -> Result<HashMap<i32, Unread>, AppError> {
    use sea_orm::{FromQueryResult, Statement};
    #[derive(FromQueryResult)]
    struct Row {
        conversation_id: i32,
        unread: i64,
        mentions: i64,
    }
    let sql = format!(
        "SELECT mb.conversation_id AS conversation_id, (
            SELECT COUNT(*) FROM messages m
            WHERE m.conversation_id = mb.conversation_id
              AND m.id > mb.last_read_id AND m.sender_id <> mb.user_id AND m.kind = 'text'
              AND m.deleted_at IS NULL
              AND m.id <= COALESCE((
                SELECT m2.id FROM messages m2
                WHERE m2.conversation_id = mb.conversation_id AND m2.id > mb.last_read_id
                ORDER BY m2.id LIMIT 1 OFFSET {skip}
              ), c.last_message_id)
          ) AS unread, (
            SELECT COUNT(*) FROM mentions mn
            WHERE mn.user_id = mb.user_id AND mn.conversation_id = mb.conversation_id
              AND mn.message_id > mb.last_read_id
          ) AS mentions
         FROM memberships mb JOIN conversations c ON c.id = mb.conversation_id
         WHERE mb.user_id = {me_param} AND c.last_message_id > mb.last_read_id",
        skip = UNREAD_CAP - 1,
        me_param = crate::db::placeholder(db, 1),
    );
    let rows = Row::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [me.into()],
    ))
    .all(db)
    .await?;
    let cap = |n: i64| n.clamp(0, UNREAD_CAP as i64) as u32;
    Ok(rows
        .into_iter()
        .filter(|r| r.unread > 0)
        .map(|r| {
            let unread = Unread {
                messages: cap(r.unread),
                mentions: cap(r.mentions),
            };
            (r.conversation_id, unread)
        })
        .collect())
}

/// Unread counts stop at this many (the badge shows "99+").
pub const UNREAD_CAP: u64 = 100;

/// Records that `me` has read `conversation_id` up to `up_to` (never
/// backwards, never past its newest message) and tells `me`'s tabs — and,
/// in a direct conversation, the other person (`seen`).
pub async fn mark_read(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    conversation_id: i32,
    up_to: i64,
) -> Result<(), AppError> {
    let (conv, member) = directory::membership_of(db, conversation_id, me.id).await?;
    if member.last_read_id >= up_to || conv.last_message_id < up_to {
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    let res = membership::Entity::update_many()
        .col_expr(membership::Column::LastReadId, Expr::value(up_to))
        .filter(membership::Column::ConversationId.eq(conversation_id))
        .filter(membership::Column::UserId.eq(me.id))
        .filter(membership::Column::LastReadId.lt(up_to))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Ok(());
    }
    let mut events = vec![NewEvent::new(
        Audience::User(me.id),
        Event::Read {
            conversation_id,
            last_read_id: up_to,
        },
    )];
    // In a direct conversation the other person sees "Seen" (rooms show who
    // has read on request, not as a stream of events to every member).
    if conv.kind == directory::DIRECT && me.share_receipts {
        events.push(NewEvent::new(
            Audience::Members(conversation_id),
            Event::Seen {
                conversation_id,
                user_id: me.id,
                last_read_id: up_to,
            },
        ));
    }
    let logged = log::append(&txn, &events).await?;
    txn.commit().await?;
    live.publish(logged);
    Ok(())
}

/// Sets `me`'s notification level for `conversation_id` (`notify`: `all`,
/// `mentions` or `nothing`) and tells `me`'s other tabs.
pub async fn set_notify(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    conversation_id: i32,
    notify: &str,
) -> Result<(), AppError> {
    let level = Notify::parse(notify)
        .ok_or_else(|| AppError::field("notify", "Choose all, mentions or nothing."))?;
    let (_, member) = directory::membership_of(db, conversation_id, me.id).await?;
    if directory::level_of(&member) == level {
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    membership::Entity::update_many()
        .col_expr(membership::Column::Notify, Expr::value(level.as_str()))
        .filter(membership::Column::ConversationId.eq(conversation_id))
        .filter(membership::Column::UserId.eq(me.id))
        .exec(&txn)
        .await?;
    let logged = log::append(
        &txn,
        &[NewEvent::new(
            Audience::User(me.id),
            Event::Notify {
                conversation_id,
                notify: level,
            },
        )],
    )
    .await?;
    txn.commit().await?;
    live.publish(logged);
    Ok(())
}
