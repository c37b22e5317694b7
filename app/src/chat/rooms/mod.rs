//! Rooms: creating, finding, joining and leaving them, managing members,
//! renaming and archiving. Each operation is one write transaction holding
//! the change, a quiet system line in the history ("amy joined") and its
//! events; the events are published after the commit.
//!
//! Rules: anyone may create a room and join a public one; a private room is
//! invisible to non-members (`not_found`, exactly as for a room that does not
//! exist). Owners rename, change the topic, add and remove members and
//! archive; anyone may leave. When the last owner leaves, the longest-standing
//! member becomes owner, so a room is never left unmanageable.

//!
//! - `rules`: names and topics; `parts`: what the operations share;
//!   `members`: joining, leaving, adding and removing people.

mod members;
mod parts;
mod rules;

pub use members::{add_members, join, leave, members, remove_member};
pub(crate) use parts::{archiving, change_room};
pub use rules::{FIRST_MEMBERS_MAX, NAME_MAX, TOPIC_MAX, parse_name, parse_topic};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{
    directory::{self, MEMBER, OWNER, ROOM, member_counts, membership_of, membership_row, summary},
    model::{Conversation, Event, Kind, Notify, Role, RoomEntry, RoomListing},
};
use crate::{
    auth::CurrentUser,
    db::{
        entities::{conversation, membership},
        now_millis,
    },
    error::{AppError, FieldError},
    events::log::{Audience, NewEvent},
    live::Live,
};

use parts::*;

/// Creates a room with `me` as owner and `members` (usernames) as members.
pub async fn create(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    name: &str,
    topic: &str,
    is_public: bool,
    members: &[String],
) -> Result<Conversation, AppError> {
    let name = parse_name(name);
    let topic = parse_topic(topic);
    let mut fields: Vec<FieldError> = [name.as_ref().err(), topic.as_ref().err()]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if members.len() > FIRST_MEMBERS_MAX {
        fields.push(FieldError::new(
            "members",
            format!("Add at most {FIRST_MEMBERS_MAX} people at once."),
        ));
    }
    let (Ok(name), Ok(topic), true) = (name, topic, fields.is_empty()) else {
        return Err(AppError::Validation { fields });
    };
    let mut others = users_named(db, members, "members").await?;
    others.retain(|u| u.id != me.id);
    others.dedup_by_key(|u| u.id);

    let txn = crate::db::begin_write(db).await?;
    let now = now_millis();
    let conv = conversation::Entity::insert(conversation::ActiveModel {
        kind: Set(ROOM.into()),
        name: Set(Some(name.clone())),
        topic: Set(Some(topic)),
        is_public: Set(is_public),
        created_by: Set(Some(me.id)),
        created_at: Set(now),
        last_message_id: Set(0),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let rows = std::iter::once((me.id, OWNER))
        .chain(others.iter().map(|u| (u.id, MEMBER)))
        .map(|(user_id, role)| membership_row(conv.id, Kind::Room, user_id, role, now));
    membership::Entity::insert_many(rows)
        .exec_without_returning(&txn)
        .await?;
    let mut events = Vec::new();
    system_line(
        &txn,
        conv.id,
        me.id,
        format!("{} created the room", me.username),
        &mut events,
    )
    .await?;
    let conv = conversation::Entity::find_by_id(conv.id)
        .one(&txn)
        .await?
        .ok_or(AppError::Internal)?;
    let view = summary(&conv, 1 + others.len() as u32);
    events.insert(
        0,
        NewEvent::changing_members(
            Audience::Members(conv.id),
            Event::Conversation {
                conversation: view.clone(),
            },
        ),
    );
    finish(txn, live, events).await?;
    Ok(view)
}

/// The rooms `me` is in, most recently active first, with unread counts.
pub async fn mine(db: &DatabaseConnection, me: &CurrentUser) -> Result<Vec<RoomEntry>, AppError> {
    let memberships: std::collections::HashMap<i32, membership::Model> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(me.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.conversation_id, m))
        .collect();
    let rooms = conversation::Entity::find()
        .filter(conversation::Column::Kind.eq(ROOM))
        .filter(conversation::Column::Id.is_in(memberships.keys().copied()))
        .order_by_desc(conversation::Column::LastMessageId)
        .all(db)
        .await?;
    let unread = super::server::unread_counts(db, me.id).await?;
    let counts_by_room = member_counts(db, rooms.iter().map(|r| r.id)).await?;
    Ok(rooms
        .iter()
        .map(|room| {
            let counts = unread.get(&room.id).copied().unwrap_or_default();
            let member = memberships.get(&room.id);
            RoomEntry {
                unread: counts.messages,
                mentions: counts.mentions,
                role: member.map_or(Role::Member, role_of),
                notify: member.map_or(Notify::default_for(Kind::Room), directory::level_of),
                room: summary(room, counts_of(&counts_by_room, room.id)),
            }
        })
        .collect())
}

/// Public rooms that are not archived, most recently active first, with
/// whether `me` is in each.
pub async fn browse(
    db: &DatabaseConnection,
    me: &CurrentUser,
) -> Result<Vec<RoomListing>, AppError> {
    let rooms = conversation::Entity::find()
        .filter(conversation::Column::Kind.eq(ROOM))
        .filter(conversation::Column::IsPublic.eq(true))
        .filter(conversation::Column::ArchivedAt.is_null())
        .order_by_desc(conversation::Column::LastMessageId)
        .all(db)
        .await?;
    let mine: std::collections::HashSet<i32> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(me.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.conversation_id)
        .collect();
    let counts_by_room = member_counts(db, rooms.iter().map(|r| r.id)).await?;
    Ok(rooms
        .iter()
        .map(|room| RoomListing {
            joined: mine.contains(&room.id),
            room: summary(room, counts_of(&counts_by_room, room.id)),
        })
        .collect())
}

/// An owner renames room `id` and sets its topic.
pub async fn update(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i32,
    name: &str,
    topic: &str,
) -> Result<Conversation, AppError> {
    let name = parse_name(name);
    let topic = parse_topic(topic);
    let fields: Vec<FieldError> = [name.as_ref().err(), topic.as_ref().err()]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let (Ok(name), Ok(topic)) = (name, topic) else {
        return Err(AppError::Validation { fields });
    };
    let txn = crate::db::begin_write(db).await?;
    let (conv, _) = room_for(&txn, me, id, true).await?;
    not_archived(&conv)?;
    let mut events = Vec::new();
    if conv.name.as_deref() != Some(name.as_str()) {
        system_line(
            &txn,
            id,
            me.id,
            format!("{} renamed the room to {name}", me.username),
            &mut events,
        )
        .await?;
    }
    if conv.topic.as_deref().unwrap_or("") != topic {
        system_line(
            &txn,
            id,
            me.id,
            format!("{} changed the topic", me.username),
            &mut events,
        )
        .await?;
    }
    let view = change_room(
        &txn,
        conversation::ActiveModel {
            id: Set(id),
            name: Set(Some(name)),
            topic: Set(Some(topic)),
            ..Default::default()
        },
        &mut events,
    )
    .await?;
    finish(txn, live, events).await?;
    Ok(view)
}

/// An owner archives room `id`: it stays readable, nothing more is posted.
pub async fn archive(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i32,
) -> Result<Conversation, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (conv, _) = room_for(&txn, me, id, true).await?;
    not_archived(&conv)?;
    let mut events = Vec::new();
    system_line(
        &txn,
        id,
        me.id,
        format!("{} archived the room", me.username),
        &mut events,
    )
    .await?;
    let view = change_room(&txn, archiving(id), &mut events).await?;
    finish(txn, live, events).await?;
    Ok(view)
}

/// A page of room (or any conversation) `id`, with what the header shows.
pub async fn page(
    db: &DatabaseConnection,
    me: &CurrentUser,
    id: i32,
    before: Option<i64>,
) -> Result<super::model::ConversationPage, AppError> {
    let (conv, _) = membership_of(db, id, me.id).await?;
    // The page and the member count, read at once.
    let ((messages, has_more), members) = futures::try_join!(
        super::history::page_of(db, id, before),
        member_count(db, id),
    )?;
    Ok(super::model::ConversationPage {
        conversation: summary(&conv, members),
        messages,
        has_more,
    })
}
