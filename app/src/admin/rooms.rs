//! Rooms in the console: listing them with their members, messages and last
//! activity; archiving and deleting one. Both are recorded in the audit log
//! and reach the members live (an archived room's `conversation` event; a
//! deleted room's `member_left` for each member, addressed to them, since
//! the room and its memberships are gone).

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::{
    audit::{self, Actor},
    model::AdminRoom,
};
use crate::{
    chat::{
        directory::{ROOM, member_counts},
        model::Event,
        rooms::{archiving, change_room},
    },
    db::entities::{conversation, membership, message},
    error::AppError,
    events::log::{self, Audience, NewEvent},
    live::Live,
};

/// Every room, most recently active first.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<AdminRoom>, AppError> {
    let rooms = conversation::Entity::find()
        .filter(conversation::Column::Kind.eq(ROOM))
        .order_by_desc(conversation::Column::LastMessageId)
        .all(db)
        .await?;
    let counts = member_counts(db, rooms.iter().map(|r| r.id)).await?;
    let mut out = Vec::with_capacity(rooms.len());
    for room in rooms {
        let members = u64::from(counts.get(&room.id).copied().unwrap_or(0));
        let messages = message::Entity::find()
            .filter(message::Column::ConversationId.eq(room.id))
            .filter(message::Column::Kind.eq("text"))
            .count(db)
            .await?;
        let last_activity = match room.last_message_id {
            0 => None,
            id => message::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|m| m.created_at),
        };
        out.push(AdminRoom {
            id: room.id,
            name: room.name.clone().unwrap_or_default(),
            is_public: room.is_public,
            archived: room.archived_at.is_some(),
            members,
            messages,
            last_activity,
        });
    }
    Ok(out)
}

async fn room(
    db: &impl sea_orm::ConnectionTrait,
    id: i32,
) -> Result<conversation::Model, AppError> {
    conversation::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|c| c.kind == ROOM)
        .ok_or_else(|| AppError::not_found("Room"))
}

/// Archives room `id` (it stays readable; nothing more can be posted).
pub async fn archive(
    db: &DatabaseConnection,
    live: &dyn Live,
    actor: &Actor,
    id: i32,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let found = room(&txn, id).await?;
    if found.archived_at.is_some() {
        return Ok(());
    }
    let mut events = Vec::new();
    change_room(&txn, archiving(id), &mut events).await?;
    let name = found.name.clone().unwrap_or_default();
    audit::record(
        &txn,
        actor,
        "archive_room",
        None,
        None,
        format!("#{name} (room {id})"),
    )
    .await?;
    let logged = log::append(&txn, &events).await?;
    txn.commit().await?;
    live.publish(logged);
    Ok(())
}

/// Deletes room `id` with its messages and memberships; each member is told.
pub async fn delete(
    db: &DatabaseConnection,
    live: &dyn Live,
    actor: &Actor,
    id: i32,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let found = room(&txn, id).await?;
    let members: Vec<i32> = membership::Entity::find()
        .filter(membership::Column::ConversationId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    message::Entity::delete_many()
        .filter(message::Column::ConversationId.eq(id))
        .exec(&txn)
        .await?;
    conversation::Entity::delete_by_id(id).exec(&txn).await?;
    let name = found.name.clone().unwrap_or_default();
    audit::record(
        &txn,
        actor,
        "delete_room",
        None,
        None,
        format!("#{name} (room {id}, {} members)", members.len()),
    )
    .await?;
    let events: Vec<NewEvent<Event>> = members
        .iter()
        .map(|&user_id| {
            NewEvent::new(
                Audience::User(user_id),
                Event::MemberLeft {
                    conversation_id: id,
                    user_id,
                },
            )
        })
        .collect();
    let logged = log::append(&txn, &events).await?;
    txn.commit().await?;
    live.publish(logged);
    Ok(())
}
