//! Who is in a room: joining, leaving, owners adding and removing people,
//! and the members list with presence.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::chat::{
    directory::{self, ROOM, membership_of, summary},
    model::{Conversation, Event, Member, Role},
};
use crate::{
    auth::CurrentUser,
    db::entities::{conversation, membership, user},
    error::AppError,
    events::log::{Audience, NewEvent},
    live::Live,
};

use super::{parts::*, rules::FIRST_MEMBERS_MAX};

/// Joins a public room (joining one you are in changes nothing).
pub async fn join(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i32,
) -> Result<Conversation, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let conv = conversation::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|c| c.kind == ROOM)
        .ok_or_else(|| AppError::not_found("Room"))?;
    let already = membership::Entity::find_by_id((id, me.id))
        .one(&txn)
        .await?;
    if already.is_none() && !conv.is_public {
        return Err(AppError::not_found("Room"));
    }
    if already.is_none() {
        not_archived(&conv)?;
        add_rows(&txn, id, &[me.id]).await?;
    }
    let count = member_count(&txn, id).await?;
    let mut view = summary(&conv, count);
    if already.is_some() {
        return Ok(view);
    }
    let mut events = vec![joined(id, me.id)];
    system_line(
        &txn,
        id,
        me.id,
        format!("{} joined", me.username),
        &mut events,
    )
    .await?;
    view.last_message_id = last_message_id(&txn, id).await?;
    events.push(NewEvent::new(
        Audience::User(me.id),
        Event::Conversation {
            conversation: view.clone(),
        },
    ));
    finish(txn, live, events).await?;
    Ok(view)
}

/// `me` leaves room `id`.
pub async fn leave(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i32,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    room_for(&txn, me, id, false).await?;
    let mut events = Vec::new();
    remove_row(
        &txn,
        id,
        me.id,
        format!("{} left", me.username),
        &mut events,
    )
    .await?;
    finish(txn, live, events).await
}

/// An owner adds people (usernames) to room `id`.
pub async fn add_members(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i32,
    usernames: &[String],
) -> Result<(), AppError> {
    if usernames.is_empty() {
        return Err(AppError::field("usernames", "Name someone to add."));
    }
    if usernames.len() > FIRST_MEMBERS_MAX {
        return Err(AppError::field(
            "usernames",
            format!("Add at most {FIRST_MEMBERS_MAX} people at once."),
        ));
    }
    let people = users_named(db, usernames, "usernames").await?;
    let txn = crate::db::begin_write(db).await?;
    let (conv, _) = room_for(&txn, me, id, true).await?;
    not_archived(&conv)?;
    let present: std::collections::HashSet<i32> = membership::Entity::find()
        .filter(membership::Column::ConversationId.eq(id))
        .filter(membership::Column::UserId.is_in(people.iter().map(|u| u.id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let new: Vec<&user::Model> = people.iter().filter(|u| !present.contains(&u.id)).collect();
    if new.is_empty() {
        return Ok(());
    }
    add_rows(&txn, id, &new.iter().map(|u| u.id).collect::<Vec<_>>()).await?;
    let mut events = Vec::new();
    for u in &new {
        events.push(joined(id, u.id));
        system_line(
            &txn,
            id,
            u.id,
            format!("{} added {}", me.username, u.username),
            &mut events,
        )
        .await?;
    }
    let count = member_count(&txn, id).await?;
    let mut view = summary(&conv, count);
    view.last_message_id = last_message_id(&txn, id).await?;
    for u in &new {
        events.push(NewEvent::new(
            Audience::User(u.id),
            Event::Conversation {
                conversation: view.clone(),
            },
        ));
    }
    finish(txn, live, events).await
}

/// An owner removes `user_id` from room `id` (leaving is how one removes oneself).
pub async fn remove_member(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i32,
    user_id: i32,
) -> Result<(), AppError> {
    if user_id == me.id {
        return Err(AppError::field(
            "user_id",
            "To remove yourself, leave the room.",
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    room_for(&txn, me, id, true).await?;
    membership::Entity::find_by_id((id, user_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::field("user_id", "That person is not in this room."))?;
    let name = directory::usernames(&txn, &[user_id]).await?;
    let name = name.get(&user_id).cloned().unwrap_or_default();
    let mut events = Vec::new();
    remove_row(
        &txn,
        id,
        user_id,
        format!("{} removed {name}", me.username),
        &mut events,
    )
    .await?;
    finish(txn, live, events).await
}

/// The members of a conversation `me` is in, owners first, then by name.
pub async fn members(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i32,
) -> Result<Vec<Member>, AppError> {
    membership_of(db, id, me.id).await?;
    let rows = membership::Entity::find()
        .filter(membership::Column::ConversationId.eq(id))
        .all(db)
        .await?;
    let names =
        directory::usernames(db, &rows.iter().map(|m| m.user_id).collect::<Vec<_>>()).await?;
    let mut out: Vec<Member> = rows
        .iter()
        .map(|m| Member {
            user_id: m.user_id,
            username: names.get(&m.user_id).cloned().unwrap_or_default(),
            role: role_of(m),
            online: live.is_online(m.user_id),
        })
        .collect();
    out.sort_by(|a, b| {
        (a.role != Role::Owner, a.username.to_lowercase())
            .cmp(&(b.role != Role::Owner, b.username.to_lowercase()))
    });
    Ok(out)
}
