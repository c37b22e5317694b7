//! Server functions about one message and what people share: reactions
//! (`/api/react`, `/api/emoji_search`), who has read it in a room
//! (`/api/seen_by`), the privacy settings (`/api/privacy`) and upload
//! limits (`/api/upload_limits`). Thin
//! adapters over `reactions` and `privacy` (ssr); each authorises first.

use leptos::prelude::*;

use super::model::{EmojiHit, Reaction, SeenBy, UploadLimits};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::api::caller;

/// Adds (`on`) or removes the caller's `emoji` on message `message_id`;
/// answers the message's reactions as they now are.
#[server(endpoint = "react", output = crate::wire::Json)]
pub async fn react(message_id: i64, emoji: String, on: bool) -> Result<Vec<Reaction>, AppError> {
    use crate::{chat::reactions, error::reply};
    reply(
        async {
            let (state, me) = caller().await?;
            // Reactions write to the conversation: they share the send budget.
            state.send_limiter.check(me.id)?;
            reactions::react(&state.db, state.live.as_ref(), &me, message_id, &emoji, on).await
        }
        .await,
    )
}

/// Emoji whose name or shortcode contains `query` (at most 48).
#[server(endpoint = "emoji_search", output = crate::wire::Json)]
pub async fn search_emoji(query: String) -> Result<Vec<EmojiHit>, AppError> {
    use crate::{chat::reactions, error::reply};
    reply(
        async {
            caller().await?;
            Ok(reactions::search(&query))
        }
        .await,
    )
}

/// Who in a room has read up to `message_id`.
#[server(endpoint = "seen_by", output = crate::wire::Json)]
pub async fn who_has_seen(message_id: i64) -> Result<SeenBy, AppError> {
    use crate::{chat::privacy, error::reply};
    reply(
        async {
            let (state, me) = caller().await?;
            privacy::seen_by(&state.db, &me, message_id).await
        }
        .await,
    )
}

/// Sets whether others see the caller typing, and their read receipts.
#[server(endpoint = "privacy", output = crate::wire::Json)]
pub async fn set_privacy(share_typing: bool, share_receipts: bool) -> Result<(), AppError> {
    use crate::{chat::privacy, error::reply};
    reply(
        async {
            let (state, me) = caller().await?;
            privacy::set(
                &state.db,
                state.live.as_ref(),
                &me,
                share_typing,
                share_receipts,
            )
            .await
        }
        .await,
    )
}

/// The caller's upload limits and use, checked by the browser before it
/// sends a file (the server checks again).
#[server(endpoint = "upload_limits", output = crate::wire::Json)]
pub async fn fetch_upload_limits() -> Result<UploadLimits, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, me) = caller().await?;
            Ok(UploadLimits {
                max_bytes: state.files.max_bytes,
                quota_bytes: state.files.quota_bytes,
                used_bytes: crate::files::records::usage(&state.db, me.id).await?,
            })
        }
        .await,
    )
}
