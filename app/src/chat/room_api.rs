//! Room server functions: thin adapters from HTTP to `chat::rooms`. Each
//! authorises at its top (a logged-in, active user); membership and the
//! owner's rights are checked in `rooms`. `members` is a comma- or
//! space-separated list of usernames.

use leptos::prelude::*;

use super::model::{Conversation, ConversationPage, Member, RoomEntry, RoomListing};
use crate::error::AppError;

#[cfg(feature = "ssr")]
async fn caller() -> Result<(crate::state::AppState, crate::auth::CurrentUser), AppError> {
    let state = crate::state::app_state()?;
    let session = crate::state::request_session().await?;
    let me = crate::auth::server::require_user(&state.db, &session).await?;
    Ok((state, me))
}

#[cfg(feature = "ssr")]
fn names(list: &str) -> Vec<String> {
    list.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Creates a room; the caller owns it and `members` join it.
#[server(endpoint = "rooms_create", output = crate::wire::Json)]
pub async fn create_room(
    name: String,
    #[server(default)] topic: String,
    #[server(default)] is_public: bool,
    #[server(default)] members: String,
) -> Result<Conversation, AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            super::rooms::create(
                &state.db,
                state.live.as_ref(),
                &me,
                &name,
                &topic,
                is_public,
                &names(&members),
            )
            .await
        }
        .await,
    )
}

/// The caller's rooms, most recently active first, with unread counts.
#[server(endpoint = "rooms_mine", output = crate::wire::Json)]
pub async fn my_rooms() -> Result<Vec<RoomEntry>, AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            super::rooms::mine(&state.db, &me).await
        }
        .await,
    )
}

/// Public rooms to join.
#[server(endpoint = "rooms_browse", output = crate::wire::Json)]
pub async fn browse_rooms() -> Result<Vec<RoomListing>, AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            super::rooms::browse(&state.db, &me).await
        }
        .await,
    )
}

#[server(endpoint = "rooms_join", output = crate::wire::Json)]
pub async fn join_room(conversation_id: i32) -> Result<Conversation, AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            super::rooms::join(&state.db, state.live.as_ref(), &me, conversation_id).await
        }
        .await,
    )
}

#[server(endpoint = "rooms_leave", output = crate::wire::Json)]
pub async fn leave_room(conversation_id: i32) -> Result<(), AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            super::rooms::leave(&state.db, state.live.as_ref(), &me, conversation_id).await
        }
        .await,
    )
}

/// Owners only: adds people to a room.
#[server(endpoint = "rooms_add", output = crate::wire::Json)]
pub async fn add_members(conversation_id: i32, usernames: String) -> Result<(), AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            let list = names(&usernames);
            super::rooms::add_members(&state.db, state.live.as_ref(), &me, conversation_id, &list)
                .await
        }
        .await,
    )
}

/// Owners only: removes someone from a room.
#[server(endpoint = "rooms_remove", output = crate::wire::Json)]
pub async fn remove_member(conversation_id: i32, user_id: i32) -> Result<(), AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            super::rooms::remove_member(
                &state.db,
                state.live.as_ref(),
                &me,
                conversation_id,
                user_id,
            )
            .await
        }
        .await,
    )
}

/// Owners only: renames a room and sets its topic.
#[server(endpoint = "rooms_update", output = crate::wire::Json)]
pub async fn update_room(
    conversation_id: i32,
    name: String,
    #[server(default)] topic: String,
) -> Result<Conversation, AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            super::rooms::update(
                &state.db,
                state.live.as_ref(),
                &me,
                conversation_id,
                &name,
                &topic,
            )
            .await
        }
        .await,
    )
}

/// Owners only: archives a room (read-only from then on).
#[server(endpoint = "rooms_archive", output = crate::wire::Json)]
pub async fn archive_room(conversation_id: i32) -> Result<Conversation, AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            super::rooms::archive(&state.db, state.live.as_ref(), &me, conversation_id).await
        }
        .await,
    )
}

/// The members of a conversation the caller is in.
#[server(endpoint = "conversation_members", output = crate::wire::Json)]
pub async fn conversation_members(conversation_id: i32) -> Result<Vec<Member>, AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            super::rooms::members(&state.db, state.live.as_ref(), &me, conversation_id).await
        }
        .await,
    )
}

/// A page of a conversation the caller is in: the newest 50, or the 50 before
/// message id `before`.
#[server(endpoint = "conversation_page", output = crate::wire::Json)]
pub async fn fetch_conversation(
    conversation_id: i32,
    before: Option<i64>,
) -> Result<ConversationPage, AppError> {
    crate::error::reply(
        async {
            let (state, me) = caller().await?;
            super::rooms::page(&state.db, &me, conversation_id, before).await
        }
        .await,
    )
}
