//! Files for admins (ssr): storage per person and the largest files, and
//! removing one — its bytes go (unless another upload has the same), its
//! message is shown again without it to everyone in the conversation, and
//! the audit log records it.

use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryOrder, QuerySelect};

use super::{
    audit::{self, Actor},
    model::{AdminFile, PersonStorage, Storage},
};
use crate::{
    chat::model::Event,
    db::entities::{upload, user},
    error::AppError,
    events::log::{self, Audience, NewEvent},
    files::{records, store::BlobStore},
    live::Live,
};

/// Files the console lists, at most.
pub const LARGEST: u64 = 50;

pub async fn storage(db: &DatabaseConnection) -> Result<Storage, AppError> {
    let mut people = records::usage_by_person(db).await?;
    people.sort_by_key(|(_, _, bytes)| std::cmp::Reverse(*bytes));
    let largest = upload::Entity::find()
        .order_by_desc(upload::Column::Size)
        .limit(LARGEST)
        .all(db)
        .await?;
    let ids: Vec<i32> = people
        .iter()
        .map(|p| p.0)
        .chain(largest.iter().map(|f| f.uploader_id))
        .collect();
    let names = crate::chat::directory::usernames(db, &ids).await?;
    let name = |id: i32| names.get(&id).cloned().unwrap_or_default();
    Ok(Storage {
        people: people
            .into_iter()
            .map(|(id, files, bytes)| PersonStorage {
                username: name(id),
                files: u64::try_from(files).unwrap_or(0),
                bytes: u64::try_from(bytes).unwrap_or(0),
            })
            .collect(),
        largest: largest
            .into_iter()
            .map(|f| AdminFile {
                uploader: name(f.uploader_id),
                size: u64::try_from(f.size).unwrap_or(0),
                sent: f.message_id.is_some(),
                id: f.id,
                name: f.name,
                mime: f.mime,
                created_at: f.created_at,
            })
            .collect(),
    })
}

/// Removes file `id`.
pub async fn remove(
    db: &DatabaseConnection,
    live: &dyn Live,
    store: &dyn BlobStore,
    actor: &Actor,
    id: &str,
) -> Result<(), AppError> {
    let found = upload::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("File"))?;
    let uploader = user::Entity::find_by_id(found.uploader_id).one(db).await?;
    records::remove(db, store, Condition::all().add(upload::Column::Id.eq(id))).await?;
    let txn = crate::db::begin_write(db).await?;
    audit::record(
        &txn,
        actor,
        "delete_file",
        uploader.as_ref(),
        found.message_id,
        format!("{} ({} bytes, {})", found.name, found.size, found.mime),
    )
    .await?;
    // Everyone in the conversation sees the message without it.
    let mut events = Vec::new();
    if let Some(message_id) = found.message_id
        && let Some(message) = crate::chat::history::shown_message(&txn, message_id).await?
    {
        events.push(NewEvent::new(
            Audience::Members(message.conversation_id),
            Event::MessageUpdated { message },
        ));
    }
    let logged = log::append(&txn, &events).await?;
    txn.commit().await?;
    live.publish(logged);
    Ok(())
}
