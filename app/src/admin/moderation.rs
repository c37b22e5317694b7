//! Message moderation: searching every conversation, and deleting a message,
//! which disappears live from both participants' open conversations.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    audit::{self, Actor},
    model::{AdminMessage, MESSAGES_PER_PAGE, MessageList},
    users::contains,
};
use crate::{
    chat::model::Event,
    dates::{DAY_MS, format_utc},
    db::entities::{message, user},
    error::AppError,
    live::hub::Hub,
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
    let mut query = message::Entity::find();
    query = match (q.user_a, q.user_b) {
        (Some(a), Some(b)) => query
            .filter(message::Column::PairLo.eq(a.min(b)))
            .filter(message::Column::PairHi.eq(a.max(b))),
        (Some(a), None) | (None, Some(a)) => query.filter(
            Condition::any()
                .add(message::Column::SenderId.eq(a))
                .add(message::Column::RecipientId.eq(a)),
        ),
        (None, None) => query,
    };
    if let Some(text) = &q.text {
        query = query.filter(message::Column::Body.like(contains(text)));
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

    let mut ids: Vec<i32> = rows
        .iter()
        .flat_map(|m| [m.sender_id, m.recipient_id])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let name = |id: i32| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
    Ok(MessageList {
        messages: rows
            .into_iter()
            .map(|m| AdminMessage {
                id: m.id,
                sender: name(m.sender_id),
                recipient: name(m.recipient_id),
                body: m.body,
                created_at: m.created_at,
            })
            .collect(),
        page: q.page,
        has_more,
    })
}

/// Deletes message `id`, records it, then tells both participants' tabs.
pub async fn delete(
    db: &DatabaseConnection,
    hub: &Hub,
    actor: &Actor,
    id: i64,
) -> Result<(), AppError> {
    let found = message::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Message"))?;
    let people = user::Entity::find()
        .filter(user::Column::Id.is_in([found.sender_id, found.recipient_id]))
        .all(db)
        .await?;
    let sender = people.iter().find(|u| u.id == found.sender_id);
    let recipient = people
        .iter()
        .find(|u| u.id == found.recipient_id)
        .map_or_else(
            || format!("#{}", found.recipient_id),
            |u| u.username.clone(),
        );
    let txn = crate::db::begin_write(db).await?;
    let deleted = message::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::not_found("Message"));
    }
    audit::record(
        &txn,
        actor,
        "delete_message",
        sender,
        Some(id),
        format!("to {recipient}, sent {} UTC", format_utc(found.created_at)),
    )
    .await?;
    txn.commit().await?;
    hub.publish(
        &[found.sender_id, found.recipient_id],
        &Event::MessageDeleted {
            message_id: id,
            sender_id: found.sender_id,
            recipient_id: found.recipient_id,
        },
    );
    Ok(())
}
