//! What a person shares (ssr): whether others see them typing, and how far
//! they have read — and, for rooms, who has read up to a message.
//!
//! Both are on by default. Turning typing off: their typing frames are
//! dropped by the server (the browser stops sending them too). Turning
//! receipts off, as in the chat apps people know, works both ways: their
//! reading logs no `seen` events and shows in no one's "Seen by", and they
//! see no one else's (pages carry no read marker of the other person, and
//! "Seen by" is refused).

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::Expr,
};

use super::{
    directory,
    model::{Event, SeenBy},
};
use crate::{
    auth::CurrentUser,
    db::entities::{membership, message, user},
    error::AppError,
    events::log::{self, Audience, NewEvent},
    live::Live,
};

/// Names "Seen by" lists, at most (the count covers everyone).
pub const SEEN_BY_NAMES: u64 = 20;

/// Sets what `me` shares and tells their other tabs.
pub async fn set(
    db: &DatabaseConnection,
    live: &dyn Live,
    me: &CurrentUser,
    share_typing: bool,
    share_receipts: bool,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::ShareTyping, Expr::value(share_typing))
        .col_expr(user::Column::ShareReceipts, Expr::value(share_receipts))
        .filter(user::Column::Id.eq(me.id))
        .exec(&txn)
        .await?;
    let logged = log::append(
        &txn,
        &[NewEvent::new(
            Audience::User(me.id),
            Event::Privacy {
                share_typing,
                share_receipts,
            },
        )],
    )
    .await?;
    txn.commit().await?;
    live.publish(logged);
    Ok(())
}

/// Whether `user_id` shares their typing now (one primary-key read: a
/// socket asks before passing a typing frame on).
pub async fn shares_typing(db: &DatabaseConnection, user_id: i32) -> Result<bool, AppError> {
    Ok(user::Entity::find_by_id(user_id)
        .select_only()
        .column(user::Column::ShareTyping)
        .into_tuple::<bool>()
        .one(db)
        .await?
        .unwrap_or(false))
}

/// Who of a room's members (sharing receipts, other than the author) has
/// read up to message `id`, for a member who shares receipts.
pub async fn seen_by(
    db: &DatabaseConnection,
    me: &CurrentUser,
    id: i64,
) -> Result<SeenBy, AppError> {
    let found = message::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Message"))?;
    directory::membership_of(db, found.conversation_id, me.id)
        .await
        .map_err(|_| AppError::not_found("Message"))?;
    if !me.share_receipts {
        return Err(AppError::Conflict {
            message: "Read receipts are off: turn them on to see who has read messages.".into(),
        });
    }
    let readers = membership::Entity::find()
        .select_only()
        .column(membership::Column::UserId)
        .filter(membership::Column::ConversationId.eq(found.conversation_id))
        .filter(membership::Column::LastReadId.gte(id))
        .filter(membership::Column::UserId.ne(found.sender_id))
        .into_query();
    let sharing = user::Entity::find()
        .filter(user::Column::Id.in_subquery(readers))
        .filter(user::Column::ShareReceipts.eq(true));
    let count = sea_orm::PaginatorTrait::count(sharing.clone(), db).await?;
    let names = sharing
        .select_only()
        .column(user::Column::Username)
        .order_by_asc(user::Column::UsernameKey)
        .limit(SEEN_BY_NAMES)
        .into_tuple()
        .all(db)
        .await?;
    Ok(SeenBy {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        names,
    })
}
