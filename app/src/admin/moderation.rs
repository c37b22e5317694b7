//! Message moderation: searching every conversation, and deleting a message,
//! which disappears live from its conversation's members' open views (a
//! `message_deleted` event, logged in the same transaction).

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Query,
};

use super::{
    audit::{self, Actor},
    model::{AdminMessage, MESSAGES_PER_PAGE, MessageList},
};
use crate::{
    chat::{directory, model::Event},
    dates::{DAY_MS, format_utc},
    db::entities::{conversation, membership, message, user},
    error::AppError,
    events::log::{self, Audience, NewEvent},
    live::Live,
};

/// What to look for; every part is optional.
pub struct MessageQuery {
    /// Messages to or from this user…
    pub user_a: Option<i32>,
    /// …and, with `user_a`, only between the two.
    pub user_b: Option<i32>,
    pub text: Option<String>,
    /// From UTC midnight of this day (ms)…
    pub from: Option<i64>,
    /// …through the end of this day (ms of its midnight).
    pub to: Option<i64>,
    pub page: u64,
}

pub async fn search(db: &DatabaseConnection, q: MessageQuery) -> Result<MessageList, AppError> {
    // Messages their authors deleted have no text left to moderate.
    let mut query = message::Entity::find().filter(message::Column::DeletedAt.is_null());
    let in_conversations_of = |user: i32| {
        Query::select()
            .column(membership::Column::ConversationId)
            .from(membership::Entity)
            .and_where(membership::Column::UserId.eq(user))
            .to_owned()
    };
    query = match (q.user_a, q.user_b) {
        (Some(a), Some(b)) => query
            .filter(message::Column::ConversationId.in_subquery(in_conversations_of(a)))
            .filter(message::Column::ConversationId.in_subquery(in_conversations_of(b))),
        (Some(a), None) | (None, Some(a)) => query.filter(
            Condition::any()
                .add(message::Column::SenderId.eq(a))
                .add(message::Column::ConversationId.in_subquery(in_conversations_of(a))),
        ),
        (None, None) => query,
    };
    if let Some(text) = &q.text {
        query = query.filter(crate::db::contains_ignoring_case(
            db.get_database_backend(),
            message::Column::Body,
            text,
        ));
    }
    if let Some(from) = q.from {
        query = query.filter(message::Column::CreatedAt.gte(from));
    }
    if let Some(to) = q.to {
        query = query.filter(message::Column::CreatedAt.lt(to + DAY_MS));
    }
    let mut rows = query
        .order_by_desc(message::Column::Id)
        .offset((q.page - 1) * MESSAGES_PER_PAGE)
        .limit(MESSAGES_PER_PAGE + 1)
        .all(db)
        .await?;
    let has_more = rows.len() as u64 > MESSAGES_PER_PAGE;
    rows.truncate(MESSAGES_PER_PAGE as usize);

    let conversations: HashMap<i32, conversation::Model> = conversation::Entity::find()
        .filter(conversation::Column::Id.is_in(rows.iter().map(|m| m.conversation_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut ids: Vec<i32> = rows.iter().map(|m| m.sender_id).collect();
    ids.extend(
        conversations
            .values()
            .flat_map(|c| [c.direct_lo, c.direct_hi])
            .flatten(),
    );
    ids.sort_unstable();
    ids.dedup();
    let names = directory::usernames(db, &ids).await?;
    let name = |id: i32| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
    // Where a message went: the room, or the other person of a direct one.
    let place = |m: &message::Model| match conversations.get(&m.conversation_id) {
        Some(c) if c.kind == directory::ROOM => format!("#{}", c.name.clone().unwrap_or_default()),
        Some(c) => {
            let other = if c.direct_lo == Some(m.sender_id) {
                c.direct_hi
            } else {
                c.direct_lo
            };
            other.map_or_else(String::new, name)
        }
        None => String::new(),
    };
    Ok(MessageList {
        messages: rows
            .into_iter()
            .map(|m| AdminMessage {
                id: m.id,
                sender: name(m.sender_id),
                recipient: place(&m),
                body: m.body,
                created_at: m.created_at,
            })
            .collect(),
        page: q.page,
        has_more,
    })
}

/// Deletes message `id`, records it, then tells its conversation's members.
pub async fn delete(
    db: &DatabaseConnection,
    hub: &dyn Live,
    store: &dyn crate::files::store::BlobStore,
    actor: &Actor,
    id: i64,
) -> Result<(), AppError> {
    let found = message::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Message"))?;
    let sender = user::Entity::find_by_id(found.sender_id).one(db).await?;
    let conv = conversation::Entity::find_by_id(found.conversation_id)
        .one(db)
        .await?;
    let place = match &conv {
        Some(c) if c.kind == directory::ROOM => {
            format!("in #{}", c.name.clone().unwrap_or_default())
        }
        Some(c) => {
            let other = if c.direct_lo == Some(found.sender_id) {
                c.direct_hi
            } else {
                c.direct_lo
            };
            let names = directory::usernames(db, &other.into_iter().collect::<Vec<_>>()).await?;
            format!(
                "to {}",
                other
                    .and_then(|o| names.get(&o).cloned())
                    .unwrap_or_default()
            )
        }
        None => String::new(),
    };
    let txn = crate::db::begin_write(db).await?;
    let deleted = message::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::not_found("Message"));
    }
    audit::record(
        &txn,
        actor,
        "delete_message",
        sender.as_ref(),
        Some(id),
        format!("{place}, sent {} UTC", format_utc(found.created_at)),
    )
    .await?;
    let logged = log::append(
        &txn,
        &[NewEvent::new(
            Audience::Members(found.conversation_id),
            Event::MessageDeleted {
                message_id: id,
                conversation_id: found.conversation_id,
            },
        )],
    )
    .await?;
    txn.commit().await?;
    hub.publish(logged);
    // Its files go with it.
    crate::files::records::remove(
        db,
        store,
        sea_orm::Condition::all().add(crate::db::entities::upload::Column::MessageId.eq(id)),
    )
    .await?;
    Ok(())
}
