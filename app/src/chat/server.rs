//! Chat operations behind the server functions and the live socket.
//! Every function takes the caller (`me`) and only ever reads or writes
//! conversations `me` is part of: a pair is always built from `me`.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    model::{Body, ClientId, Event, Message, PAGE_SIZE, Page, Person},
    peers::{Peer, PeerCache},
    writer::{NewMessage, Writer},
};
use crate::{
    auth::CurrentUser,
    db::entities::{conversation, message, user},
    error::AppError,
    live::hub::Hub,
    state::AppState,
};

/// Per-user send limit: `per_10s` messages in any 10 seconds.
pub struct SendLimiter(DefaultKeyedRateLimiter<i32>);

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
        Self(RateLimiter::keyed(quota))
    }

    pub fn check(&self, user_id: i32) -> Result<(), AppError> {
        self.0.check_key(&user_id).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
}

pub(crate) fn to_message(m: message::Model) -> Message {
    Message {
        id: m.id,
        sender_id: m.sender_id,
        recipient_id: m.recipient_id,
        body: m.body,
        client_id: m.client_id,
        created_at: m.created_at,
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
/// then everyone else alphabetically. Three queries whatever the number of
/// conversations: the people, `me`'s conversation rows, and one grouped count
/// of unread messages.
pub async fn list_people(
    db: &DatabaseConnection,
    hub: &Hub,
    me: &CurrentUser,
) -> Result<Vec<Person>, AppError> {
    let users = user::Entity::find()
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::Id.ne(me.id))
        .all(db)
        .await?;
    let convs: std::collections::HashMap<i32, conversation::Model> = conversation::Entity::find()
        .filter(conversation::Column::UserId.eq(me.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.peer_id, c))
        .collect();
    let unread = unread_counts(db, me.id).await?;
    let mut people: Vec<Person> = users
        .into_iter()
        .map(|u| Person {
            online: hub.is_online(u.id),
            unread: unread.get(&u.id).copied().unwrap_or(0),
            last_message_id: convs.get(&u.id).map(|c| c.last_message_id),
            id: u.id,
            username: u.username,
        })
        .collect();
    people.sort_by(|a, b| {
        b.last_message_id
            .cmp(&a.last_message_id)
            .then_with(|| a.username.to_lowercase().cmp(&b.username.to_lowercase()))
    });
    Ok(people)
}

/// Unread messages per person who wrote to `me`, counted up to `UNREAD_CAP`
/// each, in one statement: for every conversation with something unread, the
/// count runs over the index range from the read marker to the 100th unread
/// message at most (found first), so it costs at most 100 index entries per
/// conversation however far behind the reader is.
async fn unread_counts(
    db: &DatabaseConnection,
    me: i32,
) -> Result<std::collections::HashMap<i32, u32>, AppError> {
    use sea_orm::{FromQueryResult, Statement};
    #[derive(FromQueryResult)]
    struct Row {
        peer_id: i32,
        unread: i64,
    }
    let sql = format!(
        "SELECT c.peer_id AS peer_id, (
            SELECT COUNT(*) FROM messages m
            WHERE m.recipient_id = c.user_id AND m.sender_id = c.peer_id
              AND m.id > c.last_read_id
              AND m.id <= COALESCE((
                SELECT m2.id FROM messages m2
                WHERE m2.recipient_id = c.user_id AND m2.sender_id = c.peer_id
                  AND m2.id > c.last_read_id
                ORDER BY m2.id LIMIT 1 OFFSET {skip}
              ), c.last_message_id)
          ) AS unread
         FROM conversations c
         WHERE c.user_id = {me_param} AND c.last_message_id > c.last_read_id",
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
    Ok(rows
        .into_iter()
        .filter(|r| r.unread > 0)
        .map(|r| (r.peer_id, r.unread as u32))
        .collect())
}

/// Unread counts stop at this many (the badge shows "99+").
pub const UNREAD_CAP: u64 = 100;

fn pair(a: i32, b: i32) -> Condition {
    Condition::all()
        .add(message::Column::PairLo.eq(a.min(b)))
        .add(message::Column::PairHi.eq(a.max(b)))
}

/// Up to 50 messages between `me` and `peer` before id `before` (or the
/// newest), oldest first. One index range scan whatever the history's size.
pub async fn fetch_page(
    db: &DatabaseConnection,
    me: &CurrentUser,
    peer: &user::Model,
    before: Option<i64>,
) -> Result<Page, AppError> {
    let mut query = message::Entity::find().filter(pair(me.id, peer.id));
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
    Ok(Page {
        peer_id: peer.id,
        peer_name: peer.username.clone(),
        messages: rows.into_iter().map(to_message).collect(),
        has_more,
    })
}

/// Every message to or from `me` after id `after`, oldest first, at most `limit`.
pub async fn messages_after(
    db: &DatabaseConnection,
    me: i32,
    after: i64,
    limit: u64,
) -> Result<Vec<Message>, AppError> {
    let rows = message::Entity::find()
        .filter(
            Condition::any()
                .add(message::Column::SenderId.eq(me))
                .add(message::Column::RecipientId.eq(me)),
        )
        .filter(message::Column::Id.gt(after))
        .order_by_asc(message::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_message).collect())
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

impl<'a> SendPath<'a> {
    pub fn of(state: &'a AppState) -> Self {
        Self {
            db: &state.db,
            writer: &state.writer,
            peers: &state.peers,
            limiter: &state.send_limiter,
        }
    }
}

/// Validates and stores a message from `me`, sent under `session`; returns
/// it after commit (the writer publishes it to both participants' sockets).
/// The send limit is taken before the recipient is looked up, so sends to
/// names that do not exist cost the same budget as real ones. The writer
/// stores it only if `session` still exists when it commits.
pub async fn send(
    path: SendPath<'_>,
    me: &CurrentUser,
    session: &str,
    to: &str,
    body: &str,
    client_id: &str,
) -> Result<Message, AppError> {
    let body = Body::parse(body);
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
    let peer = find_recipient(path.db, path.peers, me, to).await?;
    path.writer
        .send(NewMessage {
            sender_id: me.id,
            recipient_id: peer.id,
            body: body.into_inner(),
            client_id: client_id.as_str().to_owned(),
            session_id: session.to_owned(),
        })
        .await
}

/// The newest message id of all (0 when there is none): where a tab that has
/// just loaded its data starts listening. One index lookup.
pub async fn latest_message_id(db: &DatabaseConnection) -> Result<i64, AppError> {
    let id = message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .order_by_desc(message::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(id.unwrap_or(0))
}

/// Records that `me` has read the conversation with `peer` up to `up_to`
/// (never backwards) and tells every tab of `me`, and `peer`.
pub async fn mark_read(
    db: &DatabaseConnection,
    hub: &Hub,
    me: &CurrentUser,
    peer: &user::Model,
    up_to: i64,
) -> Result<(), AppError> {
    let res = conversation::Entity::update_many()
        .col_expr(
            conversation::Column::LastReadId,
            sea_orm::sea_query::Expr::value(up_to),
        )
        .filter(conversation::Column::UserId.eq(me.id))
        .filter(conversation::Column::PeerId.eq(peer.id))
        .filter(conversation::Column::LastReadId.lt(up_to))
        .filter(conversation::Column::LastMessageId.gte(up_to))
        .exec(db)
        .await?;
    if res.rows_affected > 0 {
        let event = Event::Read {
            reader_id: me.id,
            peer_id: peer.id,
            last_read_id: up_to,
        };
        hub.publish(&[me.id, peer.id], &event);
    }
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
