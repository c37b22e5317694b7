//! Replies in the database (ssr): checking that a reply answers a message of
//! its own conversation, and filling in the quote a reply shows — who wrote
//! the original and the start of its text, or that it is gone. One query
//! for any number of messages.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::model::{Message, Quote};
use crate::db::entities::{message, user};

/// What a quote needs of the original.
pub struct Original {
    pub conversation_id: i32,
    pub quote: Quote,
}

/// The messages `ids` name, by id (missing: there is no such message).
pub async fn originals<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Original>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, i32, i32, String, String, Option<i64>)> = message::Entity::find()
        .select_only()
        .column(message::Column::Id)
        .column(message::Column::ConversationId)
        .column(message::Column::SenderId)
        .column(message::Column::Kind)
        .column(message::Column::Body)
        .column(message::Column::DeletedAt)
        .filter(message::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    let names: HashMap<i32, String> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Username)
        .filter(user::Column::Id.is_in(rows.iter().map(|r| r.2)))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|(id, conversation_id, sender, kind, body, deleted_at)| {
            let deleted = deleted_at.is_some();
            let quote = Quote {
                id,
                sender_name: if kind == "system" {
                    String::new()
                } else {
                    names.get(&sender).cloned().unwrap_or_default()
                },
                snippet: if deleted {
                    String::new()
                } else {
                    Quote::snippet(&body)
                },
                deleted,
            };
            (
                id,
                Original {
                    conversation_id,
                    quote,
                },
            )
        })
        .collect())
}

/// Fills in the quotes of the replies among `messages`.
pub async fn quote<C: ConnectionTrait>(db: &C, messages: &mut [&mut Message]) -> Result<(), DbErr> {
    let wanted = messages
        .iter()
        .filter_map(|m| m.reply.as_ref().map(|q| q.id));
    let found = originals(db, wanted).await?;
    fill_quotes(&found, messages);
    Ok(())
}

/// Fills in the quotes of the replies among `messages` from `found`
/// (`originals` of the ids they answer).
pub fn fill_quotes(found: &HashMap<i64, Original>, messages: &mut [&mut Message]) {
    for m in messages.iter_mut() {
        if let Some(q) = m.reply.as_mut() {
            *q = match found.get(&q.id) {
                Some(o) if o.conversation_id == m.conversation_id => o.quote.clone(),
                _ => Quote {
                    id: q.id,
                    sender_name: String::new(),
                    snippet: String::new(),
                    deleted: true,
                },
            };
        }
    }
}
