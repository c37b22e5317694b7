//! What the room operations share: finding a room for a member, the quiet
//! system lines, member rows and counts, and committing a change with its
//! events.

use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use crate::chat::{
    directory::{MEMBER, OWNER, ROOM, membership_of, membership_row, summary},
    history::to_message,
    model::{Conversation, Event, Kind, Role},
};
use crate::{
    auth::CurrentUser,
    db::{
        entities::{conversation, membership, message, user},
        now_millis,
    },
    error::AppError,
    events::log::{self, Audience, NewEvent},
    live::Live,
};

pub(super) fn counts_of(counts: &std::collections::HashMap<i32, u32>, id: i32) -> u32 {
    counts.get(&id).copied().unwrap_or(0)
}

pub(super) fn role_of(m: &membership::Model) -> Role {
    if m.role == OWNER {
        Role::Owner
    } else {
        Role::Member
    }
}

pub(super) async fn member_count<C: sea_orm::ConnectionTrait>(
    db: &C,
    conversation_id: i32,
) -> Result<u32, AppError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::ConversationId.eq(conversation_id))
        .count(db)
        .await? as u32)
}

/// Adds a system line about `subject` to the room's history, inside `txn`.
pub(super) async fn system_line(
    txn: &DatabaseTransaction,
    conversation_id: i32,
    subject: i32,
    text: String,
    events: &mut Vec<NewEvent<Event>>,
) -> Result<(), AppError> {
    let stored = message::Entity::insert(message::ActiveModel {
        conversation_id: Set(conversation_id),
        sender_id: Set(subject),
        kind: Set("system".into()),
        body: Set(text),
        client_id: Set(format!("system-{}", leptos::nonce::Nonce::new())),
        created_at: Set(now_millis()),
        ..Default::default()
    })
    .exec_with_returning(txn)
    .await?;
    conversation::Entity::update_many()
        .col_expr(
            conversation::Column::LastMessageId,
            sea_orm::sea_query::Expr::value(stored.id),
        )
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(txn)
        .await?;
    events.push(NewEvent::new(
        Audience::Members(conversation_id),
        Event::Message {
            message: to_message(stored),
        },
    ));
    Ok(())
}

/// Applies `change` to a room inside `txn` and queues the `conversation`
/// event that tells its members; returns the room as they now see it.
pub(crate) async fn change_room(
    txn: &DatabaseTransaction,
    change: conversation::ActiveModel,
    events: &mut Vec<NewEvent<Event>>,
) -> Result<Conversation, AppError> {
    let updated = conversation::Entity::update(change).exec(txn).await?;
    let view = summary(&updated, member_count(txn, updated.id).await?);
    events.push(NewEvent::new(
        Audience::Members(updated.id),
        Event::Conversation {
            conversation: view.clone(),
        },
    ));
    Ok(view)
}

/// The change that archives room `id` now.
pub(crate) fn archiving(id: i32) -> conversation::ActiveModel {
    conversation::ActiveModel {
        id: Set(id),
        archived_at: Set(Some(now_millis())),
        ..Default::default()
    }
}

/// Commits `txn` after logging `events`, then publishes them.
pub(super) async fn finish(
    txn: DatabaseTransaction,
    live: &dyn Live,
    events: Vec<NewEvent<Event>>,
) -> Result<(), AppError> {
    let logged = log::append(&txn, &events).await?;
    txn.commit().await?;
    live.publish(logged);
    Ok(())
}

/// The room `id` as `me` may manage it: a member, and for `owner_only`
/// operations an owner; a room, not a direct conversation.
pub(super) async fn room_for<C: sea_orm::ConnectionTrait>(
    db: &C,
    me: &CurrentUser,
    id: i32,
    owner_only: bool,
) -> Result<(conversation::Model, membership::Model), AppError> {
    let (conv, member) = membership_of(db, id, me.id).await?;
    if conv.kind != ROOM {
        return Err(AppError::not_found("Room"));
    }
    if owner_only && member.role != OWNER {
        return Err(AppError::Forbidden);
    }
    Ok((conv, member))
}

pub(super) fn not_archived(conv: &conversation::Model) -> Result<(), AppError> {
    if conv.archived_at.is_some() {
        return Err(AppError::field(
            "conversation_id",
            "This room is archived: it can be read but not changed.",
        ));
    }
    Ok(())
}

/// Active users by username (any case); `field` names the parameter in errors.
pub(super) async fn users_named(
    db: &impl sea_orm::ConnectionTrait,
    names: &[String],
    field: &str,
) -> Result<Vec<user::Model>, AppError> {
    let keys: Vec<String> = names
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    let found = user::Entity::find()
        .filter(user::Column::UsernameKey.is_in(keys.clone()))
        .filter(user::Column::IsActive.eq(true))
        .all(db)
        .await?;
    if let Some(missing) = keys
        .iter()
        .find(|k| !found.iter().any(|u| &u.username_key == *k))
    {
        return Err(AppError::field(
            field,
            format!("No one called “{missing}” can be added."),
        ));
    }
    Ok(found)
}

pub(super) fn joined(conversation_id: i32, user: i32) -> NewEvent<Event> {
    NewEvent::changing_members(
        Audience::Members(conversation_id),
        Event::MemberJoined {
            conversation_id,
            user_id: user,
        },
    )
}

pub(super) async fn last_message_id(txn: &DatabaseTransaction, id: i32) -> Result<i64, AppError> {
    Ok(conversation::Entity::find_by_id(id)
        .one(txn)
        .await?
        .map_or(0, |c| c.last_message_id))
}

pub(super) async fn add_rows(
    txn: &DatabaseTransaction,
    id: i32,
    users: &[i32],
) -> Result<(), AppError> {
    let now = now_millis();
    membership::Entity::insert_many(
        users
            .iter()
            .map(|&user_id| membership_row(id, Kind::Room, user_id, MEMBER, now)),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Removes `user` from room `id` inside `txn`, promoting the longest-standing
/// member when the last owner goes; logs `member_left` (to the members and
/// `user`) and the system line.
pub(super) async fn remove_row(
    txn: &DatabaseTransaction,
    id: i32,
    user: i32,
    line: String,
    events: &mut Vec<NewEvent<Event>>,
) -> Result<(), AppError> {
    membership::Entity::delete_by_id((id, user))
        .exec(txn)
        .await?;
    let owners = membership::Entity::find()
        .filter(membership::Column::ConversationId.eq(id))
        .filter(membership::Column::Role.eq(OWNER))
        .count(txn)
        .await?;
    if owners == 0
        && let Some(heir) = membership::Entity::find()
            .filter(membership::Column::ConversationId.eq(id))
            .order_by_asc(membership::Column::JoinedAt)
            .order_by_asc(membership::Column::UserId)
            .one(txn)
            .await?
    {
        membership::Entity::update(membership::ActiveModel {
            conversation_id: Set(id),
            user_id: Set(heir.user_id),
            role: Set(OWNER.into()),
            ..Default::default()
        })
        .exec(txn)
        .await?;
    }
    events.push(NewEvent::changing_members(
        Audience::MembersAnd(id, user),
        Event::MemberLeft {
            conversation_id: id,
            user_id: user,
        },
    ));
    system_line(txn, id, user, line, events).await
}
