//! Rooms: creating, finding, joining and leaving them, managing members,
//! renaming and archiving. Each operation is one write transaction holding
//! the change, a quiet system line in the history ("amy joined") and its
//! events; the events are published after the commit.
//!
//! Rules: anyone may create a room and join a public one; a private room is
//! invisible to non-members (`not_found`, exactly as for a room that does not
//! exist). Owners rename, change the topic, add and remove members and
//! archive; anyone may leave. When the last owner leaves, the longest-standing
//! member becomes owner, so a room is never left unmanageable.

use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use super::{
    directory::{self, MEMBER, OWNER, ROOM, member_counts, membership_of, membership_row, summary},
    model::{Conversation, Event, Kind, Member, Notify, Role, RoomEntry, RoomListing},
    server::to_message,
};
use crate::{
    auth::CurrentUser,
    db::{
        entities::{conversation, membership, message, user},
        now_millis,
    },
    error::{AppError, FieldError},
    events::log::{self, Audience, NewEvent},
    live::Live,
};

pub const NAME_MAX: usize = 80;
pub const TOPIC_MAX: usize = 250;
/// People named at once (creating a room, adding members), at most.
pub const FIRST_MEMBERS_MAX: usize = 100;

/// A room's name: trimmed, 1 to 80 characters, no control characters.
pub fn parse_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "Give the room a name."));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new("name", "Names are one line of text."));
    }
    let n = name.chars().count();
    if n > NAME_MAX {
        return Err(FieldError::new(
            "name",
            format!("Names can be at most {NAME_MAX} characters (this one has {n})."),
        ));
    }
    Ok(name.to_owned())
}

/// A room's topic: trimmed, at most 250 characters, one line (may be empty).
pub fn parse_topic(raw: &str) -> Result<String, FieldError> {
    let topic = raw.trim();
    if topic.chars().any(char::is_control) {
        return Err(FieldError::new("topic", "The topic is one line of text."));
    }
    let n = topic.chars().count();
    if n > TOPIC_MAX {
        return Err(FieldError::new(
            "topic",
            format!("Topics can be at most {TOPIC_MAX} characters (this one has {n})."),
        ));
    }
    Ok(topic.to_owned())
}

fn counts_of(counts: &std::collections::HashMap<i32, u32>, id: i32) -> u32 {
    counts.get(&id).copied().unwrap_or(0)
}

fn role_of(m: &membership::Model) -> Role {
    if m.role == OWNER {
        Role::Owner
    } else {
        Role::Member
    }
}

async fn member_count<C: sea_orm::ConnectionTrait>(
    db: &C,
    conversation_id: i32,
) -> Result<u32, AppError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::ConversationId.eq(conversation_id))
        .count(db)
        .await? as u32)
}

/// Adds a system line about `subject` to the room's history, inside `txn`.
async fn system_line(
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
async fn finish(
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
async fn room_for<C: sea_orm::ConnectionTrait>(
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

fn not_archived(conv: &conversation::Model) -> Result<(), AppError> {
    if conv.archived_at.is_some() {
        return Err(AppError::field(
            "conversation_id",
            "This room is archived: it can be read but not changed.",
        ));
    }
    Ok(())
}

/// Active users by username (any case); `field` names the parameter in errors.
async fn users_named(
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

fn joined(conversation_id: i32, user: i32) -> NewEvent<Event> {
    NewEvent::changing_members(
        Audience::Members(conversation_id),
        Event::MemberJoined {
            conversation_id,
            user_id: user,
        },
    )
}

/// Creates a room with `me` as owner and `members` (usernames) as members.
pub async fn create(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    name: &str,
    topic: &str,
    is_public: bool,
    members: &[String],
) -> Result<Conversation, AppError> {
    let name = parse_name(name);
    let topic = parse_topic(topic);
    let mut fields: Vec<FieldError> = [name.as_ref().err(), topic.as_ref().err()]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if members.len() > FIRST_MEMBERS_MAX {
        fields.push(FieldError::new(
            "members",
            format!("Add at most {FIRST_MEMBERS_MAX} people at once."),
        ));
    }
    let (Ok(name), Ok(topic), true) = (name, topic, fields.is_empty()) else {
        return Err(AppError::Validation { fields });
    };
    let mut others = users_named(db, members, "members").await?;
    others.retain(|u| u.id != me.id);
    others.dedup_by_key(|u| u.id);

    let txn = crate::db::begin_write(db).await?;
    let now = now_millis();
    let conv = conversation::Entity::insert(conversation::ActiveModel {
        kind: Set(ROOM.into()),
        name: Set(Some(name.clone())),
        topic: Set(Some(topic)),
        is_public: Set(is_public),
        created_by: Set(Some(me.id)),
        created_at: Set(now),
        last_message_id: Set(0),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let rows = std::iter::once((me.id, OWNER))
        .chain(others.iter().map(|u| (u.id, MEMBER)))
        .map(|(user_id, role)| membership_row(conv.id, Kind::Room, user_id, role, now));
    membership::Entity::insert_many(rows)
        .exec_without_returning(&txn)
        .await?;
    let mut events = Vec::new();
    system_line(
        &txn,
        conv.id,
        me.id,
        format!("{} created the room", me.username),
        &mut events,
    )
    .await?;
    let conv = conversation::Entity::find_by_id(conv.id)
        .one(&txn)
        .await?
        .ok_or(AppError::Internal)?;
    let view = summary(&conv, 1 + others.len() as u32);
    events.insert(
        0,
        NewEvent::changing_members(
            Audience::Members(conv.id),
            Event::Conversation {
                conversation: view.clone(),
            },
        ),
    );
    finish(txn, live, events).await?;
    Ok(view)
}

/// The rooms `me` is in, most recently active first, with unread counts.
pub async fn mine(db: &DatabaseConnection, me: &CurrentUser) -> Result<Vec<RoomEntry>, AppError> {
    let memberships: std::collections::HashMap<i32, membership::Model> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(me.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.conversation_id, m))
        .collect();
    let rooms = conversation::Entity::find()
        .filter(conversation::Column::Kind.eq(ROOM))
        .filter(conversation::Column::Id.is_in(memberships.keys().copied()))
        .order_by_desc(conversation::Column::LastMessageId)
        .all(db)
        .await?;
    let unread = super::server::unread_counts(db, me.id).await?;
    let counts_by_room = member_counts(db, rooms.iter().map(|r| r.id)).await?;
    Ok(rooms
        .iter()
        .map(|room| {
            let counts = unread.get(&room.id).copied().unwrap_or_default();
            let member = memberships.get(&room.id);
            RoomEntry {
                unread: counts.messages,
                mentions: counts.mentions,
                role: member.map_or(Role::Member, role_of),
                notify: member.map_or(Notify::default_for(Kind::Room), directory::level_of),
                room: summary(room, counts_of(&counts_by_room, room.id)),
            }
        })
        .collect())
}

/// Public rooms that are not archived, most recently active first, with
/// whether `me` is in each.
pub async fn browse(
    db: &DatabaseConnection,
    me: &CurrentUser,
) -> Result<Vec<RoomListing>, AppError> {
    let rooms = conversation::Entity::find()
        .filter(conversation::Column::Kind.eq(ROOM))
        .filter(conversation::Column::IsPublic.eq(true))
        .filter(conversation::Column::ArchivedAt.is_null())
        .order_by_desc(conversation::Column::LastMessageId)
        .all(db)
        .await?;
    let mine: std::collections::HashSet<i32> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(me.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.conversation_id)
        .collect();
    let counts_by_room = member_counts(db, rooms.iter().map(|r| r.id)).await?;
    Ok(rooms
        .iter()
        .map(|room| RoomListing {
            joined: mine.contains(&room.id),
            room: summary(room, counts_of(&counts_by_room, room.id)),
        })
        .collect())
}

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

async fn last_message_id(txn: &DatabaseTransaction, id: i32) -> Result<i64, AppError> {
    Ok(conversation::Entity::find_by_id(id)
        .one(txn)
        .await?
        .map_or(0, |c| c.last_message_id))
}

async fn add_rows(txn: &DatabaseTransaction, id: i32, users: &[i32]) -> Result<(), AppError> {
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
async fn remove_row(
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

/// An owner renames room `id` and sets its topic.
pub async fn update(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i32,
    name: &str,
    topic: &str,
) -> Result<Conversation, AppError> {
    let name = parse_name(name);
    let topic = parse_topic(topic);
    let fields: Vec<FieldError> = [name.as_ref().err(), topic.as_ref().err()]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let (Ok(name), Ok(topic)) = (name, topic) else {
        return Err(AppError::Validation { fields });
    };
    let txn = crate::db::begin_write(db).await?;
    let (conv, _) = room_for(&txn, me, id, true).await?;
    not_archived(&conv)?;
    let mut events = Vec::new();
    if conv.name.as_deref() != Some(name.as_str()) {
        system_line(
            &txn,
            id,
            me.id,
            format!("{} renamed the room to {name}", me.username),
            &mut events,
        )
        .await?;
    }
    if conv.topic.as_deref().unwrap_or("") != topic {
        system_line(
            &txn,
            id,
            me.id,
            format!("{} changed the topic", me.username),
            &mut events,
        )
        .await?;
    }
    let view = change_room(
        &txn,
        conversation::ActiveModel {
            id: Set(id),
            name: Set(Some(name)),
            topic: Set(Some(topic)),
            ..Default::default()
        },
        &mut events,
    )
    .await?;
    finish(txn, live, events).await?;
    Ok(view)
}

/// An owner archives room `id`: it stays readable, nothing more is posted.
pub async fn archive(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i32,
) -> Result<Conversation, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let (conv, _) = room_for(&txn, me, id, true).await?;
    not_archived(&conv)?;
    let mut events = Vec::new();
    system_line(
        &txn,
        id,
        me.id,
        format!("{} archived the room", me.username),
        &mut events,
    )
    .await?;
    let view = change_room(&txn, archiving(id), &mut events).await?;
    finish(txn, live, events).await?;
    Ok(view)
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

/// A page of room (or any conversation) `id`, with what the header shows.
pub async fn page(
    db: &DatabaseConnection,
    me: &CurrentUser,
    id: i32,
    before: Option<i64>,
) -> Result<super::model::ConversationPage, AppError> {
    let (conv, _) = membership_of(db, id, me.id).await?;
    let (messages, has_more) = super::server::page_of(db, id, before).await?;
    Ok(super::model::ConversationPage {
        conversation: summary(&conv, member_count(db, id).await?),
        messages,
        has_more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_one_short_line() {
        assert_eq!(parse_name("  general ").unwrap(), "general");
        assert_eq!(parse_name("   ").unwrap_err().field, "name");
        assert!(parse_name("a\nb").is_err());
        assert!(parse_name(&"x".repeat(NAME_MAX)).is_ok());
        assert!(
            parse_name(&"x".repeat(NAME_MAX + 1))
                .unwrap_err()
                .message
                .contains("80")
        );
    }

    #[test]
    fn topics_may_be_empty_but_not_long_or_multiline() {
        assert_eq!(parse_topic("").unwrap(), "");
        assert!(parse_topic("line\nbreak").is_err());
        assert!(parse_topic(&"é".repeat(TOPIC_MAX)).is_ok());
        assert_eq!(
            parse_topic(&"x".repeat(TOPIC_MAX + 1)).unwrap_err().field,
            "topic"
        );
    }
}
