//! The `uploads` rows: what the writer binds to messages, what a page of
//! history shows, how much a person stores, and removal — of a message's
//! files, of one file by an admin, and of uploads abandoned before being
//! sent. A blob is deleted when no row uses it any more, checked inside a
//! write transaction: an upload adding a row for the same bytes makes sure
//! the blob is there inside its own, so the two never cross.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use super::store::BlobStore;
use crate::{chat::model::Attachment, db::entities::upload};

pub fn to_attachment(row: &upload::Model) -> Attachment {
    Attachment {
        id: row.id.clone(),
        name: row.name.clone(),
        size: u64::try_from(row.size).unwrap_or(0),
        mime: row.mime.clone(),
        width: row.width.and_then(|w| u32::try_from(w).ok()),
        height: row.height.and_then(|h| u32::try_from(h).ok()),
        thumb: row.thumb_sha256.is_some(),
    }
}

/// Bytes `user_id` stores (every upload counts, sent or not).
pub async fn usage<C: ConnectionTrait>(db: &C, user_id: i32) -> Result<u64, DbErr> {
    let sum: Option<Option<i64>> = upload::Entity::find()
        .select_only()
        .expr(crate::db::sum(upload::Column::Size))
        .filter(upload::Column::UploaderId.eq(user_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(u64::try_from(sum.flatten().unwrap_or(0)).unwrap_or(0))
}

/// The uploads `ids` names, by id.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, upload::Model>, DbErr> {
    let ids: Vec<String> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(upload::Entity::find()
        .filter(upload::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect())
}

/// Binds uploads to the message that carries them.
pub async fn bind<C: ConnectionTrait>(
    db: &C,
    message_id: i64,
    ids: &[String],
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    upload::Entity::update_many()
        .col_expr(upload::Column::MessageId, Expr::value(message_id))
        .filter(upload::Column::Id.is_in(ids.iter().cloned()))
        .filter(upload::Column::MessageId.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The files of messages `first..=last` of a conversation, by message.
pub async fn for_messages<C: ConnectionTrait>(
    db: &C,
    conversation_id: i32,
    first: i64,
    last: i64,
) -> Result<HashMap<i64, Vec<Attachment>>, DbErr> {
    let rows = upload::Entity::find()
        .filter(upload::Column::ConversationId.eq(conversation_id))
        .filter(upload::Column::MessageId.between(first, last))
        .order_by_asc(upload::Column::CreatedAt)
        .order_by_asc(upload::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<Attachment>> = HashMap::new();
    for row in &rows {
        if let Some(m) = row.message_id {
            out.entry(m).or_default().push(to_attachment(row));
        }
    }
    Ok(out)
}

/// Fills in the files of messages of any conversations (retried sends).
pub async fn for_retries<C: ConnectionTrait>(
    db: &C,
    messages: &mut [&mut crate::chat::model::Message],
) -> Result<(), DbErr> {
    if messages.is_empty() {
        return Ok(());
    }
    let rows = upload::Entity::find()
        .filter(upload::Column::MessageId.is_in(messages.iter().map(|m| m.id)))
        .order_by_asc(upload::Column::CreatedAt)
        .order_by_asc(upload::Column::Id)
        .all(db)
        .await?;
    for m in messages.iter_mut() {
        m.attachments = rows
            .iter()
            .filter(|r| r.message_id == Some(m.id))
            .map(to_attachment)
            .collect();
    }
    Ok(())
}

/// Fills in the files of a page of one conversation's messages.
pub async fn for_page<C: ConnectionTrait>(
    db: &C,
    conversation_id: i32,
    messages: &mut [crate::chat::model::Message],
) -> Result<(), DbErr> {
    let (Some(first), Some(last)) = (messages.first(), messages.last()) else {
        return Ok(());
    };
    let found = for_messages(db, conversation_id, first.id, last.id).await?;
    fill(found, messages);
    Ok(())
}

/// Hands each message its files from `found` (as `for_messages` read them).
pub fn fill(
    mut found: HashMap<i64, Vec<Attachment>>,
    messages: &mut [crate::chat::model::Message],
) {
    for m in messages.iter_mut() {
        if let Some(list) = found.remove(&m.id) {
            m.attachments = list;
        }
    }
}

/// Deletes the rows matching `which` and then every blob no row uses any
/// more; how many rows went.
pub async fn remove(
    db: &DatabaseConnection,
    store: &dyn BlobStore,
    which: Condition,
) -> Result<u64, DbErr> {
    let rows = upload::Entity::find().filter(which.clone()).all(db).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    upload::Entity::delete_many()
        .filter(upload::Column::Id.is_in(rows.iter().map(|r| r.id.clone())))
        .exec(db)
        .await?;
    let mut keys: Vec<String> = rows
        .iter()
        .flat_map(|r| std::iter::once(r.sha256.clone()).chain(r.thumb_sha256.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    collect(db, store, &keys).await?;
    Ok(rows.len() as u64)
}

/// Deletes the blobs among `keys` that no row uses.
pub async fn collect(
    db: &DatabaseConnection,
    store: &dyn BlobStore,
    keys: &[String],
) -> Result<(), DbErr> {
    for key in keys {
        let txn = crate::db::begin_write(db).await?;
        let used = upload::Entity::find()
            .filter(
                Condition::any()
                    .add(upload::Column::Sha256.eq(key.as_str()))
                    .add(upload::Column::ThumbSha256.eq(key.as_str())),
            )
            .count(&txn)
            .await?;
        if used == 0
            && let Err(e) = store.delete(key).await
        {
            tracing::warn!(error = %e, key, "could not delete a stored file");
        }
        txn.commit().await?;
    }
    Ok(())
}

/// Removes uploads never sent within `older_than_ms` of now, and staged
/// files as old (an upload cut off mid-way); how many uploads went.
pub async fn clean_abandoned(
    db: &DatabaseConnection,
    store: &dyn BlobStore,
    older_than_ms: i64,
) -> Result<u64, DbErr> {
    let before = crate::db::now_millis() - older_than_ms;
    let removed = remove(
        db,
        store,
        Condition::all()
            .add(upload::Column::MessageId.is_null())
            .add(upload::Column::CreatedAt.lt(before)),
    )
    .await?;
    if let Ok(mut dir) = tokio::fs::read_dir(store.staging()).await {
        let cutoff = std::time::SystemTime::now()
            - std::time::Duration::from_millis(u64::try_from(older_than_ms).unwrap_or(0));
        while let Ok(Some(entry)) = dir.next_entry().await {
            let old = entry
                .metadata()
                .await
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < cutoff);
            if old {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
    }
    Ok(removed)
}

/// Storage per person, for the admin console: (user id, files, bytes).
pub async fn usage_by_person(db: &DatabaseConnection) -> Result<Vec<(i32, i64, i64)>, DbErr> {
    upload::Entity::find()
        .select_only()
        .column(upload::Column::UploaderId)
        .expr(Expr::col(upload::Column::Id).count())
        .expr(crate::db::sum(upload::Column::Size))
        .group_by(upload::Column::UploaderId)
        .into_tuple()
        .all(db)
        .await
}
