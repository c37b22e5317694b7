//! Chat operations behind the server functions and the live socket: people,
//! pages of history, sending, read markers. Every function takes the caller
//! (`me`) and only reads or writes conversations `me` is a member of
//! (`directory::membership_of`); rooms are in `rooms`.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::{
    directory,
    model::{
        ATTACHMENTS_PER_MESSAGE, Body, ClientId, Event, Message, Notify, PAGE_SIZE, Page, Person,
        Quote,
    },
    peers::{Peer, PeerCache},
    writer::{NewMessage, Target, Writer},
};
use crate::{
    auth::CurrentUser,
    db::entities::{conversation, membership, message, user},
    error::AppError,
    events::log::{self, Audience, NewEvent},
    live::Live,
};

/// Per-user send limit: `per_10s` messages in any 10 seconds. With several
/// nodes each tells the others of every send it lets through (`share_with`,
/// `apply`), so the budget is one across the installation.
pub struct SendLimiter(
    DefaultKeyedRateLimiter<i32>,
    std::sync::OnceLock<Box<dyn Fn(i32) + Send + Sync>>,
);

impl SendLimiter {
    pub fn new(per_10s: u32) -> Self {
        let burst = NonZeroU32::new(per_10s.max(1)).expect("at least 1");
        // One token back every 10 s / per_10s (in nanoseconds, so large limits
        // never round down to a zero period).
        let period =
            std::time::Duration::from_nanos((10_000_000_000 / u64::from(burst.get())).max(1));
        let quota = Quota::with_period(period)
            .expect("non-zero period")
            .allow_burst(burst);
        Self(RateLimiter::keyed(quota), std::sync::OnceLock::new())
    }

    pub fn check(&self, user_id: i32) -> Result<(), AppError> {
        self.0.check_key(&user_id).map_err(|not_until| {
            crate::metrics::refused("send");
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })?;
        if let Some(tell) = self.1.get() {
            tell(user_id);
        }
        Ok(())
    }

    /// From now on, every send let through here is also handed to `tell`.
    pub fn share_with(&self, tell: impl Fn(i32) + Send + Sync + 'static) {
        let _ = self.1.set(Box::new(tell));
    }

    /// Takes from `user_id`'s budget what a send on another node took.
    pub fn apply(&self, user_id: i32) {
        let _ = self.0.check_key(&user_id);
    }
}

pub(crate) fn to_message(m: message::Model) -> Message {
    Message {
        id: m.id,
        conversation_id: m.conversation_id,
        sender_id: m.sender_id,
        system: m.kind == "system",
        body: m.body,
        client_id: m.client_id,
        created_at: m.created_at,
        sender_name: String::new(),
        mentions: Vec::new(),
        edited_at: m.edited_at,
        deleted: m.deleted_at.is_some(),
        html: String::new(),
        // Filled in by `replies::quote`.
        reply: m.reply_to_id.map(|id| Quote {
            id,
            sender_name: String::new(),
            snippet: String::new(),
            deleted: true,
        }),
        reactions: Vec::new(),
        attachments: Vec::new(),
    }
}

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

/// Up to 50 messages of a conversation before id `before` (or the newest),
/// oldest first, with their senders' names, mentions, reactions, quotes and
/// HTML. One index range scan whatever the history's size, then the page's
/// mentions and reactions (one range each), names (by primary key) and —
/// when the page has replies — their originals (by primary key). The
/// caller has checked membership.
pub(crate) async fn page_of(
    db: &DatabaseConnection,
    conversation_id: i32,
    before: Option<i64>,
) -> Result<(Vec<Message>, bool), AppError> {
    let mut query =
        message::Entity::find().filter(message::Column::ConversationId.eq(conversation_id));
    if let Some(before) = before {
        query = query.filter(message::Column::Id.lt(before));
    }
    let mut rows = query
        .order_by_desc(message::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await?;
    let has_more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    rows.reverse();
    let mut messages: Vec<Message> = rows.into_iter().map(to_message).collect();
    decorate(db, conversation_id, &mut messages).await?;
    Ok((messages, has_more))
}

/// Fills in what a page shows of consecutive messages of one conversation:
/// names and mentions, reactions, files, quotes and HTML.
async fn decorate<C: sea_orm::ConnectionTrait>(
    db: &C,
    conversation_id: i32,
    messages: &mut [Message],
) -> Result<(), AppError> {
    super::mention_store::names_for_page(db, conversation_id, messages).await?;
    super::reactions::for_page(db, conversation_id, messages).await?;
    crate::files::records::for_page(db, conversation_id, messages).await?;
    let mut shown: Vec<&mut Message> = messages.iter_mut().collect();
    super::replies::quote(db, &mut shown).await?;
    shown.iter_mut().for_each(|m| super::format::fill(m));
    Ok(())
}

/// One message as a page shows it (names, mentions, reactions, files,
/// quote, HTML), if it exists.
pub async fn shown_message<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<Message>, AppError> {
    let Some(row) = message::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let conversation_id = row.conversation_id;
    let mut one = [to_message(row)];
    decorate(db, conversation_id, &mut one).await?;
    let [m] = one;
    Ok(Some(m))
}

/// A page of `me`'s direct conversation with `peer` (empty when they never
/// talked).
pub async fn fetch_page(
    db: &DatabaseConnection,
    me: &CurrentUser,
    peer: &user::Model,
    before: Option<i64>,
) -> Result<Page, AppError> {
    let conv = directory::direct_between(db, me.id, peer.id).await?;
    let (messages, has_more) = match &conv {
        Some(c) => page_of(db, c.id, before).await?,
        None => (Vec::new(), false),
    };
    let peer_read_id = match &conv {
        Some(_) if !(me.share_receipts && peer.share_receipts) => 0,
        Some(c) => membership::Entity::find_by_id((c.id, peer.id))
            .one(db)
            .await?
            .map_or(0, |m| m.last_read_id),
        None => 0,
    };
    Ok(Page {
        peer_read_id,
        conversation_id: conv.map(|c| c.id),
        peer_id: peer.id,
        peer_name: peer.username.clone(),
        messages,
        has_more,
    })
}

/// What sending needs besides the caller: the database, the writer, the
/// recipient cache and the per-user limit.
#[derive(Clone, Copy)]
pub struct SendPath<'a> {
    pub db: &'a DatabaseConnection,
    pub writer: &'a Writer,
    pub peers: &'a PeerCache,
    pub limiter: &'a SendLimiter,
}

/// What a send carries, as the client sent it.
#[derive(Clone, Copy)]
pub struct Draft<'a> {
    pub body: &'a str,
    pub client_id: &'a str,
    /// The message it answers.
    pub reply_to: Option<i64>,
    /// Upload ids of the files it carries.
    pub attachments: &'a [String],
}

/// Where a send goes, as the client named it.
pub enum SendTo<'a> {
    /// A username: the direct conversation with that person.
    Person(&'a str),
    /// A conversation id.
    Conversation(i32),
}

/// Validates and stores a message from `me`, sent under `session`; returns
/// it after commit (the writer publishes it to the conversation's members).
/// The send limit is taken before the recipient is looked up, so sends to
/// names that do not exist cost the same budget as real ones. The writer
/// stores it only if `session` still exists and `me` may post there when it
/// commits.
pub async fn send(
    path: SendPath<'_>,
    me: &CurrentUser,
    session: &str,
    to: SendTo<'_>,
    draft: Draft<'_>,
) -> Result<Message, AppError> {
    let Draft {
        body,
        client_id,
        reply_to,
        attachments,
    } = draft;
    let attachments = attachment_ids(attachments)?;
    // A message of files alone needs no text.
    let body = if !attachments.is_empty() && body.trim().is_empty() {
        Ok(Body::empty())
    } else {
        Body::parse(body)
    };
    let client_id = ClientId::parse(client_id);
    let fields: Vec<_> = [body.as_ref().err(), client_id.as_ref().err()]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let (Ok(body), Ok(client_id)) = (body, client_id) else {
        return Err(AppError::Validation { fields });
    };
    path.limiter.check(me.id)?;
    let target = match to {
        SendTo::Person(name) => {
            Target::Person(find_recipient(path.db, path.peers, me, name).await?.id)
        }
        SendTo::Conversation(id) => Target::Conversation(id),
    };
    path.writer
        .send(NewMessage {
            sender_id: me.id,
            sender_name: me.username.clone(),
            target,
            body: body.into_inner(),
            client_id: client_id.as_str().to_owned(),
            reply_to,
            attachments,
            session_id: session.to_owned(),
        })
        .await
}

/// The upload ids a send names: distinct, in order, at most
/// `ATTACHMENTS_PER_MESSAGE`.
fn attachment_ids(raw: &[String]) -> Result<Vec<String>, AppError> {
    let mut ids: Vec<String> = Vec::new();
    for id in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let ok = id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(AppError::field("attachments", "That is not a file id."));
        }
        if !ids.iter().any(|x| x == id) {
            ids.push(id.to_owned());
        }
    }
    if ids.len() > ATTACHMENTS_PER_MESSAGE {
        return Err(AppError::field(
            "attachments",
            format!("A message can carry at most {ATTACHMENTS_PER_MESSAGE} files."),
        ));
    }
    Ok(ids)
}

/// The newest event id (0 before the first): where a tab that has just
/// loaded its data starts listening. One primary-key lookup.
pub async fn latest_event_id(db: &DatabaseConnection) -> Result<i64, AppError> {
    Ok(log::current(db).await?)
}

/// What a tab that knows everything up to event `after` missed.
pub enum Missed {
    /// These events, in id order: everything up to `cursor`.
    Events(Vec<log::Logged>),
    /// More than the limit, or events the log no longer keeps: reload what
    /// it shows, then carry on from `cursor`.
    Resync,
}

/// The events `me` missed after `after` up to `cursor` (the newest event id
/// when the caller looked), at most `limit`. The log keeps every id from its
/// oldest to `cursor` (ids are gap-free), so missing ones were pruned.
pub async fn missed(
    db: &DatabaseConnection,
    me: i32,
    after: i64,
    cursor: i64,
    limit: u64,
) -> Result<Missed, AppError> {
    if after == cursor {
        return Ok(Missed::Events(Vec::new()));
    }
    if after > cursor {
        // An id this log never gave out (a restored backup): start afresh.
        return Ok(Missed::Resync);
    }
    let pruned = match log::oldest(db).await? {
        Some(oldest) => after + 1 < oldest,
        None => true,
    };
    if pruned {
        return Ok(Missed::Resync);
    }
    let events = log::since(db, me, after, cursor, limit + 1).await?;
    if events.len() as u64 > limit {
        return Ok(Missed::Resync);
    }
    Ok(Missed::Events(events))
}

/// The frames of the events `me` missed after `after` (at most `limit`):
/// what a tab without a socket polls. Too many, or pruned: one `resync`.
pub async fn events_since(
    db: &DatabaseConnection,
    me: i32,
    after: i64,
    limit: u64,
) -> Result<Vec<String>, AppError> {
    let cursor = log::current(db).await?;
    Ok(match missed(db, me, after, cursor, limit).await? {
        Missed::Events(events) => events.into_iter().map(|e| e.frame.to_string()).collect(),
        Missed::Resync => {
            vec![serde_json::to_string(&Event::Resync { cursor }).unwrap_or_default()]
        }
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_limit_allows_its_burst_per_user_then_refuses() {
        let limit = SendLimiter::new(3);
        for _ in 0..3 {
            assert!(limit.check(1).is_ok());
        }
        assert!(matches!(
            limit.check(1),
            Err(AppError::RateLimited {
                retry_after_secs: 1..
            })
        ));
        assert!(limit.check(2).is_ok(), "another user has their own budget");
    }

    #[test]
    fn the_largest_send_limit_is_a_valid_rate() {
        let limit = SendLimiter::new(1_000_000);
        for _ in 0..1_000 {
            assert!(limit.check(1).is_ok());
        }
    }
}
