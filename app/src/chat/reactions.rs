//! Reactions (ssr): a member adds or removes an emoji on a message, and a
//! page of history reads who reacted with what.
//!
//! Adding a reaction that is there, or removing one that is not, changes
//! nothing and logs nothing: toggling is idempotent, and concurrent
//! reactions from many people each land once (one row per message, person
//! and emoji). Each change is one `reaction` event to the conversation's
//! members. Only members of a conversation that is not archived react; a
//! non-member gets `404` whatever the message id. Emoji are checked against
//! the Unicode emoji set (`emojis`) and stored in their fully-qualified form.

use std::collections::HashMap;

use super::{
    directory,
    model::{EmojiHit, Event, Message, REACTIONS_PER_PERSON, Reaction, Reactor},
};
use crate::{
    auth::CurrentUser,
    db::{
        entities::{message, reaction, user},
        now_millis,
    },
    error::AppError,
    events::log::{self, Audience, NewEvent},
    live::Live,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, OnConflict, Order, Query},
};

/// The emoji `raw` is, in its fully-qualified form (`None`: not an emoji).
pub fn canonical(raw: &str) -> Option<&'static str> {
    emojis::get(raw.trim()).map(|e| e.as_str())
}

/// Adds (`on`) or removes `me`'s `emoji` on message `id`; returns the
/// message's reactions as they now are.
pub async fn react(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    id: i64,
    emoji: &str,
    on: bool,
) -> Result<Vec<Reaction>, AppError> {
    let emoji = canonical(emoji).ok_or_else(|| AppError::field("emoji", "Pick an emoji."))?;
    let txn = crate::db::begin_write(db).await?;
    let found = message::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("Message"))?;
    let conversation = found.conversation_id;
    match directory::sendable(&txn, &[(conversation, me.id)])
        .await?
        .remove(&(conversation, me.id))
    {
        Some(Ok(())) => {}
        Some(Err(archived)) => return Err(archived),
        None => return Err(AppError::not_found("Message")),
    }
    if found.kind != "text" || found.deleted_at.is_some() {
        return Err(AppError::Conflict {
            message: "This message can't get reactions.".into(),
        });
    }
    let mine = reaction::Entity::find()
        .filter(reaction::Column::MessageId.eq(id))
        .filter(reaction::Column::UserId.eq(me.id));
    let changed = if on {
        let already = mine
            .clone()
            .filter(reaction::Column::Emoji.eq(emoji))
            .count(&txn)
            .await?
            > 0;
        if !already && mine.count(&txn).await? >= REACTIONS_PER_PERSON as u64 {
            return Err(AppError::field(
                "emoji",
                format!("You can add at most {REACTIONS_PER_PERSON} reactions to one message."),
            ));
        }
        reaction::Entity::insert(reaction::ActiveModel {
            message_id: sea_orm::Set(id),
            user_id: sea_orm::Set(me.id),
            emoji: sea_orm::Set(emoji.to_owned()),
            conversation_id: sea_orm::Set(conversation),
            created_at: sea_orm::Set(now_millis()),
        })
        .on_conflict(
            OnConflict::columns([
                reaction::Column::MessageId,
                reaction::Column::UserId,
                reaction::Column::Emoji,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?
            > 0
    } else {
        reaction::Entity::delete_many()
            .filter(reaction::Column::MessageId.eq(id))
            .filter(reaction::Column::UserId.eq(me.id))
            .filter(reaction::Column::Emoji.eq(emoji))
            .exec(&txn)
            .await?
            .rows_affected
            > 0
    };
    let logged = if changed {
        log::append(
            &txn,
            &[NewEvent::new(
                Audience::Members(conversation),
                Event::Reaction {
                    conversation_id: conversation,
                    message_id: id,
                    emoji: emoji.to_owned(),
                    user_id: me.id,
                    username: me.username.clone(),
                    on,
                },
            )],
        )
        .await?
    } else {
        Vec::new()
    };
    let mut now = by_message(&txn, conversation, id, id).await?;
    txn.commit().await?;
    live.publish(logged);
    Ok(now.remove(&id).unwrap_or_default())
}

#[derive(FromQueryResult)]
struct Row {
    message_id: i64,
    emoji: String,
    user_id: i32,
    username: String,
}

/// Reactions on the messages `first..=last` of a conversation: one index
/// range, with the reactors' names.
pub async fn by_message<C: ConnectionTrait>(
    db: &C,
    conversation_id: i32,
    first: i64,
    last: i64,
) -> Result<HashMap<i64, Vec<Reaction>>, DbErr> {
    let query = Query::select()
        .column((reaction::Entity, reaction::Column::MessageId))
        .column((reaction::Entity, reaction::Column::Emoji))
        .column((reaction::Entity, reaction::Column::UserId))
        .column((user::Entity, user::Column::Username))
        .from(reaction::Entity)
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((reaction::Entity, reaction::Column::UserId)),
        )
        .and_where(
            Expr::col((reaction::Entity, reaction::Column::ConversationId)).eq(conversation_id),
        )
        .and_where(Expr::col((reaction::Entity, reaction::Column::MessageId)).between(first, last))
        .order_by((reaction::Entity, reaction::Column::CreatedAt), Order::Asc)
        .to_owned();
    let stmt = db.get_database_backend().build(&query);
    let mut out: HashMap<i64, Vec<Reaction>> = HashMap::new();
    for row in Row::find_by_statement(stmt).all(db).await? {
        let who = Reactor {
            id: row.user_id,
            name: row.username,
        };
        Reaction::apply(
            out.entry(row.message_id).or_default(),
            &row.emoji,
            who,
            true,
        );
    }
    Ok(out)
}

/// Fills in the reactions of a page of one conversation's messages.
pub async fn for_page<C: ConnectionTrait>(
    db: &C,
    conversation_id: i32,
    messages: &mut [Message],
) -> Result<(), DbErr> {
    let (Some(first), Some(last)) = (messages.first(), messages.last()) else {
        return Ok(());
    };
    let found = by_message(db, conversation_id, first.id, last.id).await?;
    fill(found, messages);
    Ok(())
}

/// Hands each message its reactions from `found` (as `by_message` read them).
pub fn fill(mut found: HashMap<i64, Vec<Reaction>>, messages: &mut [Message]) {
    for m in messages.iter_mut() {
        if let Some(list) = found.remove(&m.id) {
            m.reactions = list;
        }
    }
}

/// Emoji offered per search, at most.
pub const SEARCH_LIMIT: usize = 48;

/// Emoji whose name or shortcode contains `query` (any case), those that
/// start with it first, in the emoji set's order.
pub fn search(query: &str) -> Vec<EmojiHit> {
    let q = query.trim().to_lowercase();
    if q.is_empty() || q.len() > 40 {
        return Vec::new();
    }
    let score = |e: &emojis::Emoji| {
        let words = std::iter::once(e.name()).chain(e.shortcodes());
        let mut best = None;
        for w in words {
            let w = w.to_lowercase();
            if w.starts_with(&q) || w.split([' ', '_']).any(|part| part.starts_with(&q)) {
                return Some(0);
            }
            if w.contains(&q) {
                best = Some(1);
            }
        }
        best
    };
    let mut hits: Vec<(u8, &emojis::Emoji)> = emojis::iter()
        .filter_map(|e| score(e).map(|s| (s, e)))
        .collect();
    hits.sort_by_key(|(s, _)| *s);
    hits.into_iter()
        .take(SEARCH_LIMIT)
        .map(|(_, e)| EmojiHit {
            emoji: e.as_str().to_owned(),
            name: e.name().to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_emoji_are_reactions_and_they_are_stored_qualified() {
        assert_eq!(canonical("👍"), Some("👍"));
        assert_eq!(canonical("❤"), Some("❤️"));
        assert_eq!(canonical("👍🏽"), Some("👍🏽"));
        for bad in ["", "a", "👍👍", "<b>", ":tada:"] {
            assert_eq!(canonical(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn search_finds_by_name_and_shortcode() {
        let party = search("party");
        assert!(party.iter().any(|h| h.emoji == "🎉"), "{party:?}");
        assert!(search("thumbs").iter().any(|h| h.emoji == "👍"));
        assert!(search("").is_empty());
        assert!(search("zzzzqqq").is_empty());
        assert!(search("face").len() <= SEARCH_LIMIT);
    }
}
