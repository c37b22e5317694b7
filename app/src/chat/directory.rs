//! Conversations and memberships: finding, opening and authorising.
//!
//! Authorisation is by membership: every read or write of a conversation goes
//! through `membership_of`, which answers `not_found` for a conversation the
//! caller is not in — a private room and a missing one look the same.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use super::model::{Conversation, Event, Kind, Notify};
use crate::{
    db::{
        entities::{conversation, membership, user},
        now_millis,
    },
    error::AppError,
    events::log::{Audience, NewEvent},
};

pub const DIRECT: &str = "direct";
pub const ROOM: &str = "room";
pub const OWNER: &str = "owner";
pub const MEMBER: &str = "member";

/// The caller's membership of `conversation_id` (`not_found` when there is
/// none, whether or not the conversation exists).
pub async fn membership_of<C: ConnectionTrait>(
    db: &C,
    conversation_id: i32,
    user_id: i32,
) -> Result<(conversation::Model, membership::Model), AppError> {
    let member = membership::Entity::find_by_id((conversation_id, user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Conversation"))?;
    let conv = conversation::Entity::find_by_id(conversation_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Conversation"))?;
    Ok((conv, member))
}

/// A new member's row: read nothing yet, at the default level for `kind`.
pub fn membership_row(
    conversation_id: i32,
    kind: Kind,
    user_id: i32,
    role: &str,
    joined_at: i64,
) -> membership::ActiveModel {
    membership::ActiveModel {
        conversation_id: Set(conversation_id),
        user_id: Set(user_id),
        role: Set(role.into()),
        last_read_id: Set(0),
        notify: Set(Notify::default_for(kind).as_str().into()),
        joined_at: Set(joined_at),
    }
}

/// A member's notification level (an unknown stored value counts as `all`,
/// so nothing is silenced by accident).
pub fn level_of(m: &membership::Model) -> Notify {
    Notify::parse(&m.notify).unwrap_or(Notify::All)
}

/// How many members each of `ids` has, in one grouped query.
pub async fn member_counts<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, u32>, DbErr> {
    use sea_orm::{
        QuerySelect,
        sea_query::{Expr, Func},
    };
    Ok(membership::Entity::find()
        .select_only()
        .column(membership::Column::ConversationId)
        .column_as(
            Expr::expr(Func::count(Expr::col(membership::Column::UserId))),
            "n",
        )
        .filter(membership::Column::ConversationId.is_in(ids))
        .group_by(membership::Column::ConversationId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, n)| (id, n as u32))
        .collect())
}

/// The direct conversation of two people, if they have one.
pub async fn direct_between<C: ConnectionTrait>(
    db: &C,
    a: i32,
    b: i32,
) -> Result<Option<conversation::Model>, DbErr> {
    conversation::Entity::find()
        .filter(conversation::Column::DirectLo.eq(a.min(b)))
        .filter(conversation::Column::DirectHi.eq(a.max(b)))
        .one(db)
        .await
}

/// The direct conversation of each pair (smaller id first), opening the ones
/// that do not exist yet — with both people as members and a `conversation`
/// event for each of them.
pub async fn open_directs(
    txn: &DatabaseTransaction,
    pairs: &HashSet<(i32, i32)>,
    events: &mut Vec<NewEvent<Event>>,
) -> Result<HashMap<(i32, i32), i32>, DbErr> {
    if pairs.is_empty() {
        return Ok(HashMap::new());
    }
    let mut any = Condition::any();
    for &(lo, hi) in pairs {
        any = any.add(
            Condition::all()
                .add(conversation::Column::DirectLo.eq(lo))
                .add(conversation::Column::DirectHi.eq(hi)),
        );
    }
    let mut found: HashMap<(i32, i32), i32> = conversation::Entity::find()
        .filter(any)
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|c| Some(((c.direct_lo?, c.direct_hi?), c.id)))
        .collect();
    let now = now_millis();
    for &(lo, hi) in pairs {
        if found.contains_key(&(lo, hi)) {
            continue;
        }
        let conv = conversation::Entity::insert(conversation::ActiveModel {
            kind: Set(DIRECT.into()),
            is_public: Set(false),
            direct_lo: Set(Some(lo)),
            direct_hi: Set(Some(hi)),
            created_by: Set(Some(lo)),
            created_at: Set(now),
            last_message_id: Set(0),
            ..Default::default()
        })
        .exec_with_returning(txn)
        .await?;
        let members =
            [lo, hi].map(|user_id| membership_row(conv.id, Kind::Direct, user_id, MEMBER, now));
        membership::Entity::insert_many(members)
            .exec_without_returning(txn)
            .await?;
        let names = usernames(txn, &[lo, hi]).await?;
        for (me, peer) in [(lo, hi), (hi, lo)] {
            let mut view = summary(&conv, 2);
            view.name = names.get(&peer).cloned().unwrap_or_default();
            view.peer_id = Some(peer);
            events.push(NewEvent::changing_members(
                Audience::User(me),
                Event::Conversation { conversation: view },
            ));
        }
        found.insert((lo, hi), conv.id);
    }
    Ok(found)
}

/// For each (conversation, sender) that is a membership: may they post
/// there?
pub type Sendable = HashMap<(i32, i32), Result<(), AppError>>;

/// For each (conversation, sender): may they post there? `Ok` for a member
/// of a conversation that is not archived.
pub async fn sendable(txn: &DatabaseTransaction, wanted: &[(i32, i32)]) -> Result<Sendable, DbErr> {
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let members: Vec<(i32, i32)> = members_among(wanted).into_tuple().all(txn).await?;
    let ids: HashSet<i32> = members.iter().map(|&(c, _)| c).collect();
    let archived: HashSet<i32> = archived_among(ids)
        .into_tuple()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    Ok(sendable_from(members, &archived))
}

/// `sendable`'s first query: the (conversation, user) pairs among `wanted`
/// that are memberships (two columns).
pub fn members_among(wanted: &[(i32, i32)]) -> sea_orm::Select<membership::Entity> {
    let mut any = Condition::any();
    for &(c, u) in wanted {
        any = any.add(
            Condition::all()
                .add(membership::Column::ConversationId.eq(c))
                .add(membership::Column::UserId.eq(u)),
        );
    }
    membership::Entity::find()
        .filter(any)
        .select_only()
        .column(membership::Column::ConversationId)
        .column(membership::Column::UserId)
}

/// `sendable`'s second query: which of `ids` are archived (one column).
pub fn archived_among(ids: HashSet<i32>) -> sea_orm::Select<conversation::Entity> {
    conversation::Entity::find()
        .filter(conversation::Column::Id.is_in(ids))
        .filter(conversation::Column::ArchivedAt.is_not_null())
        .select_only()
        .column(conversation::Column::Id)
}

/// `sendable`'s answer from what its two queries found.
pub fn sendable_from(members: Vec<(i32, i32)>, archived: &HashSet<i32>) -> Sendable {
    members
        .into_iter()
        .map(|(c, u)| {
            let ok = if archived.contains(&c) {
                Err(AppError::field(
                    "conversation_id",
                    "This room is archived: it can be read but not written to.",
                ))
            } else {
                Ok(())
            };
            ((c, u), ok)
        })
        .collect()
}

/// Usernames by id.
pub async fn usernames<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> Result<HashMap<i32, String>, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect())
}

/// A conversation as the sidebar shows it (a direct one's `name` is filled
/// in per viewer by the caller).
pub fn summary(c: &conversation::Model, member_count: u32) -> Conversation {
    Conversation {
        id: c.id,
        kind: if c.kind == ROOM {
            Kind::Room
        } else {
            Kind::Direct
        },
        name: c.name.clone().unwrap_or_default(),
        peer_id: None,
        topic: c.topic.clone().unwrap_or_default(),
        is_public: c.is_public,
        archived: c.archived_at.is_some(),
        member_count,
        last_message_id: c.last_message_id,
    }
}
