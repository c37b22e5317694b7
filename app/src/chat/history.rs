//! Pages of a conversation's history as clients show them: one index range
//! scan, then what each message shows (names, mentions, reactions, files,
//! quotes, HTML). The caller has checked membership.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    directory, format, mention_store,
    model::{Message, PAGE_SIZE, Page, Quote},
    reactions, replies,
};
use crate::{
    auth::CurrentUser,
    db::entities::{membership, message, user},
    error::AppError,
};

pub(crate) fn to_message(m: message::Model) -> Message {
    Message {
        id: m.id,
        conversation_id: m.conversation_id,
        sender_id: m.sender_id,
        system: m.kind == "system",
        body: m.body,
        client_id: m.client_id,
        created_at: m.created_at,
        sender_name: String::new(),
        mentions: Vec::new(),
        edited_at: m.edited_at,
        deleted: m.deleted_at.is_some(),
        html: String::new(),
        // Filled in by `replies::quote`.
        reply: m.reply_to_id.map(|id| Quote {
            id,
            sender_name: String::new(),
            snippet: String::new(),
            deleted: true,
        }),
        reactions: Vec::new(),
        attachments: Vec::new(),
    }
}

/// Up to 50 messages of a conversation before id `before` (or the newest),
/// oldest first, with their senders' names, mentions, reactions, quotes and
/// HTML. One index range scan whatever the history's size, then the page's
/// mentions and reactions (one range each), names (by primary key) and —
/// when the page has replies — their originals (by primary key). The
/// caller has checked membership.
pub(crate) async fn page_of(
    db: &DatabaseConnection,
    conversation_id: i32,
    before: Option<i64>,
) -> Result<(Vec<Message>, bool), AppError> {
    let mut query =
        message::Entity::find().filter(message::Column::ConversationId.eq(conversation_id));
    if let Some(before) = before {
        query = query.filter(message::Column::Id.lt(before));
    }
    let mut rows = query
        .order_by_desc(message::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await?;
    let has_more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    rows.reverse();
    let mut messages: Vec<Message> = rows.into_iter().map(to_message).collect();
    decorate(db, conversation_id, &mut messages).await?;
    Ok((messages, has_more))
}

/// Fills in what a page shows of consecutive messages of one conversation:
/// names and mentions, reactions, files, quotes and HTML.
/// The four reads are independent and run at once (on a pool, each on its
/// own connection), so a page waits for the slowest, not for their sum.
async fn decorate<C: sea_orm::ConnectionTrait>(
    db: &C,
    conversation_id: i32,
    messages: &mut [Message],
) -> Result<(), AppError> {
    let (Some(first), Some(last)) = (messages.first(), messages.last()) else {
        return Ok(());
    };
    let (first, last) = (first.id, last.id);
    let senders: Vec<i32> = messages.iter().map(|m| m.sender_id).collect();
    let answered: Vec<i64> = messages
        .iter()
        .filter_map(|m| m.reply.as_ref().map(|q| q.id))
        .collect();
    let (people, reacted, files, originals) = futures::try_join!(
        mention_store::page_people(db, conversation_id, first, last, &senders),
        reactions::by_message(db, conversation_id, first, last),
        crate::files::records::for_messages(db, conversation_id, first, last),
        replies::originals(db, answered),
    )?;
    people.fill(messages);
    reactions::fill(reacted, messages);
    crate::files::records::fill(files, messages);
    let mut shown: Vec<&mut Message> = messages.iter_mut().collect();
    replies::fill_quotes(&originals, &mut shown);
    shown.iter_mut().for_each(|m| format::fill(m));
    Ok(())
}

/// One message as a page shows it (names, mentions, reactions, files,
/// quote, HTML), if it exists.
pub async fn shown_message<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<Message>, AppError> {
    let Some(row) = message::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let conversation_id = row.conversation_id;
    let mut one = [to_message(row)];
    decorate(db, conversation_id, &mut one).await?;
    let [m] = one;
    Ok(Some(m))
}

/// A page of `me`'s direct conversation with `peer` (empty when they never
/// talked).
pub async fn fetch_page(
    db: &DatabaseConnection,
    me: &CurrentUser,
    peer: &user::Model,
    before: Option<i64>,
) -> Result<Page, AppError> {
    let conv = directory::direct_between(db, me.id, peer.id).await?;
    let ((messages, has_more), peer_read_id) = match &conv {
        None => ((Vec::new(), false), 0),
        // The page and the peer's read marker, read at once.
        Some(c) => futures::try_join!(page_of(db, c.id, before), async {
            if !(me.share_receipts && peer.share_receipts) {
                return Ok(0);
            }
            Ok(membership::Entity::find_by_id((c.id, peer.id))
                .one(db)
                .await?
                .map_or(0, |m| m.last_read_id))
        })?,
    };
    Ok(Page {
        peer_read_id,
        conversation_id: conv.map(|c| c.id),
        peer_id: peer.id,
        peer_name: peer.username.clone(),
        messages,
        has_more,
    })
}
