//! Authors changing their own messages (ssr): editing the text, or deleting
//! the message — which leaves "message deleted" in its place for everyone
//! (an admin's moderation, in `admin::moderation`, removes it instead).
//!
//! Rules: only the author, still a member of the conversation, may change a
//! message (someone else gets `403`; a non-member `404`, as for everything in
//! a conversation they are not in); system lines and deleted messages stay
//! as they are; there is no time limit. Two tabs editing at once: the last
//! write wins, and every tab shows it (each change is a `message_updated`
//! event in the log, replayed on resume). The message keeps its id and
//! `client_id`, so a retried send of the original still finds it.
//!
//! An edit re-reads the mentions (a name added notifies, one removed stops
//! counting) and keeps the reactions; a deletion drops both.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set,
};

use super::{
    directory, format, history::to_message, mention_store, model::Body, model::Event,
    model::Message, reactions, replies,
};
use crate::{
    auth::CurrentUser,
    db::{
        entities::{mention, message, reaction},
        now_millis,
    },
    error::AppError,
    events::log::{self, Audience, NewEvent},
    live::Live,
};

/// What the author does to their message.
enum Change {
    Edit(Body),
    Delete,
}

/// Replaces the text of `me`'s message `id`; returns it as everyone now sees it.
pub async fn edit(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i64,
    body: &str,
) -> Result<Message, AppError> {
    let body = Body::parse(body).map_err(|e| AppError::Validation { fields: vec![e] })?;
    change(db, live, me, id, Change::Edit(body)).await
}

/// Deletes `me`'s message `id`: its text is gone; "message deleted" stays.
/// Its files are deleted with it.
pub async fn delete(
    db: &DatabaseConnection,
    live: &dyn Live,
    store: &dyn crate::files::store::BlobStore,
    me: &CurrentUser,
    id: i64,
) -> Result<Message, AppError> {
    let gone = change(db, live, me, id, Change::Delete).await?;
    crate::files::records::remove(
        db,
        store,
        sea_orm::Condition::all().add(crate::db::entities::upload::Column::MessageId.eq(id)),
    )
    .await?;
    Ok(gone)
}

async fn change(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i64,
    change: Change,
) -> Result<Message, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let found = authored(&txn, me, id).await?;
    let now = now_millis();
    let mut row: message::ActiveModel = found.into();
    match &change {
        Change::Edit(body) => {
            row.body = Set(body.as_str().to_owned());
            row.edited_at = Set(Some(now));
        }
        Change::Delete => {
            row.body = Set(String::new());
            row.deleted_at = Set(Some(now));
        }
    }
    let stored = row.update(&txn).await?;
    mention::Entity::delete_many()
        .filter(mention::Column::MessageId.eq(id))
        .exec(&txn)
        .await?;
    let mut shown = to_message(stored);
    shown.sender_name = me.username.clone();
    if let Change::Edit(_) = change {
        mention_store::attach(&txn, &mut [&mut shown], true).await?;
        reactions::for_page(
            &txn,
            shown.conversation_id,
            std::slice::from_mut(&mut shown),
        )
        .await?;
        crate::files::records::for_page(
            &txn,
            shown.conversation_id,
            std::slice::from_mut(&mut shown),
        )
        .await?;
    } else {
        reaction::Entity::delete_many()
            .filter(reaction::Column::MessageId.eq(id))
            .exec(&txn)
            .await?;
    }
    replies::quote(&txn, &mut [&mut shown]).await?;
    format::fill(&mut shown);
    let logged = log::append(
        &txn,
        &[NewEvent::new(
            Audience::Members(shown.conversation_id),
            Event::MessageUpdated {
                message: shown.clone(),
            },
        )],
    )
    .await?;
    txn.commit().await?;
    live.publish(logged);
    Ok(shown)
}

/// Message `id`, if `me` may change it.
async fn authored(
    txn: &DatabaseTransaction,
    me: &CurrentUser,
    id: i64,
) -> Result<message::Model, AppError> {
    let found = message::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("Message"))?;
    // Someone outside the conversation learns nothing about it.
    directory::membership_of(txn, found.conversation_id, me.id)
        .await
        .map_err(|_| AppError::not_found("Message"))?;
    if found.sender_id != me.id || found.kind != "text" {
        return Err(AppError::Forbidden);
    }
    if found.deleted_at.is_some() {
        return Err(AppError::Conflict {
            message: "This message was deleted.".into(),
        });
    }
    Ok(found)
}
