//! Rooms in the console: listing them with their members, messages and last
//! activity; archiving and deleting one. Both are recorded in the audit log
//! and reach the members live (an archived room's `conversation` event; a
//! deleted room's `member_left` for each member, addressed to them, since
//! the room and its memberships are gone).

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
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

/// Every room, most recently active first: four queries whatever the number
/// of rooms (the rooms, then grouped member and message counts, then the
/// newest messages' times by primary key).
pub async fn list(db: &DatabaseConnection) -> Result<Vec<AdminRoom>, AppError> {
    let rooms = conversation::Entity::find()
        .filter(conversation::Column::Kind.eq(ROOM))
        .order_by_desc(conversation::Column::LastMessageId)
        .all(db)
        .await?;
    let ids = || rooms.iter().map(|r| r.id);
    let members = member_counts(db, ids()).await?;
    let messages: HashMap<i32, i64> = message::Entity::find()
        .select_only()
        .column(message::Column::ConversationId)
        .column_as(Expr::col(message::Column::Id).count(), "n")
        .filter(message::Column::ConversationId.is_in(ids()))
        .filter(message::Column::Kind.eq("text"))
        .group_by(message::Column::ConversationId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let last: HashMap<i64, i64> = message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .column(message::Column::CreatedAt)
        .filter(
            message::Column::Id.is_in(rooms.iter().map(|r| r.last_message_id).filter(|&id| id > 0)),
        )
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rooms
        .into_iter()
        .map(|room| AdminRoom {
            id: room.id,
            name: room.name.clone().unwrap_or_default(),
            is_public: room.is_public,
            archived: room.archived_at.is_some(),
            members: u64::from(members.get(&room.id).copied().unwrap_or(0)),
            messages: messages.get(&room.id).copied().unwrap_or(0) as u64,
            last_activity: last.get(&room.last_message_id).copied(),
        })
        .collect())
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
    store: &dyn crate::files::store::BlobStore,
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
    // Its files go with it.
    crate::files::records::remove(
        db,
        store,
        sea_orm::Condition::all().add(crate::db::entities::upload::Column::ConversationId.eq(id)),
    )
    .await?;
    Ok(())
}
