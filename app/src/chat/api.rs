//! Chat server functions: thin adapters from HTTP to `chat::server`. Each
//! authorises at its top (a logged-in, active user) before anything else;
//! `send` takes its sender from `chat::senders` (the writer re-checks the
//! session when it stores the message).

use leptos::prelude::*;

use super::model::{Message, Page, Person};
use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) async fn caller() -> Result<(crate::state::AppState, crate::auth::CurrentUser), AppError>
{
    let state = crate::state::app_state()?;
    let session = crate::state::request_session().await?;
    let me = crate::auth::server::require_user(&state.db, &session).await?;
    Ok((state, me))
}

/// Everyone else, with presence and unread counts, in People-panel order.
#[server(endpoint = "people", output = crate::wire::Json)]
pub async fn list_people() -> Result<Vec<Person>, AppError> {
    use crate::{chat::server, error::reply};
    reply(
        async {
            let (state, me) = caller().await?;
            server::list_people(&state.db, state.live.as_ref(), &me).await
        }
        .await,
    )
}

/// A page of the conversation with `peer` (a username): the newest 50, or the
/// 50 before message id `before`.
#[server(endpoint = "messages", output = crate::wire::Json)]
pub async fn fetch_messages(peer: String, before: Option<i64>) -> Result<Page, AppError> {
    use crate::{
        chat::{history, server},
        error::reply,
    };
    reply(
        async {
            let (state, me) = caller().await?;
            let peer = server::find_peer_any(&state.db, &me, "peer", &peer).await?;
            history::fetch_page(&state.db, &me, &peer, before).await
        }
        .await,
    )
}

/// The events the caller missed after event id `after` (at most 500), as
/// the socket would have sent them: for clients catching up without one.
#[server(endpoint = "events_since", output = crate::wire::Json)]
pub async fn events_since(after: i64) -> Result<Vec<String>, AppError> {
    use crate::{chat::catch_up, error::reply};
    reply(
        async {
            let (state, me) = caller().await?;
            catch_up::events_since(&state.db, me.id, after, 500).await
        }
        .await,
    )
}

/// Sends `body` to `to` (a username: the direct conversation with them) or,
/// when given, to `conversation_id`. `client_id` is the sender's own id for
/// this message: sending again with the same one returns the first copy.
/// `reply_to` names the message this one answers (in the same conversation);
/// `attachments` the files to send with it (upload ids, comma-separated).
#[server(endpoint = "send", output = crate::wire::Json)]
pub async fn send_message(
    to: String,
    conversation_id: Option<i32>,
    body: String,
    client_id: String,
    reply_to: Option<i64>,
    #[server(default)] attachments: String,
) -> Result<Message, AppError> {
    use crate::{
        chat::{
            senders,
            sending::{self, Draft, SendPath, SendTo},
        },
        error::reply,
    };
    reply(
        async {
            let state = crate::state::app_state()?;
            let session = crate::state::request_session().await?;
            let (me, session) = senders::sender(&state.db, &state.senders, &session).await?;
            let path = SendPath {
                db: &state.db,
                writer: &state.writer,
                peers: &state.peers,
                limiter: &state.send_limiter,
            };
            let to = match conversation_id {
                Some(id) => SendTo::Conversation(id),
                None => SendTo::Person(&to),
            };
            let attachments: Vec<String> = attachments.split(',').map(str::to_owned).collect();
            let draft = Draft {
                body: &body,
                client_id: &client_id,
                reply_to,
                attachments: &attachments,
            };
            let sent = sending::send(path, &me, &session, to, draft).await;
            senders::settle(&state.senders, &session, sent)
        }
        .await,
    )
}

/// Marks `conversation_id` read up to message id `up_to`.
#[server(endpoint = "mark_read", output = crate::wire::Json)]
pub async fn mark_read(conversation_id: i32, up_to: i64) -> Result<(), AppError> {
    use crate::{chat::server, error::reply};
    reply(
        async {
            let (state, me) = caller().await?;
            server::mark_read(&state.db, state.live.as_ref(), &me, conversation_id, up_to).await
        }
        .await,
    )
}

/// Sets the caller's notification level for `conversation_id`: `all`,
/// `mentions` or `nothing`.
#[server(endpoint = "notify", output = crate::wire::Json)]
pub async fn set_notify(conversation_id: i32, notify: String) -> Result<(), AppError> {
    use crate::{chat::server, error::reply};
    reply(
        async {
            let (state, me) = caller().await?;
            server::set_notify(
                &state.db,
                state.live.as_ref(),
                &me,
                conversation_id,
                &notify,
            )
            .await
        }
        .await,
    )
}

/// Up to 8 members of `conversation_id` whose username starts with `prefix`
/// (any case), for completing an `@mention`.
#[server(endpoint = "mention_candidates", output = crate::wire::Json)]
pub async fn mention_candidates(
    conversation_id: i32,
    prefix: String,
) -> Result<Vec<String>, AppError> {
    use crate::{chat::mention_store, error::reply};
    reply(
        async {
            let (state, me) = caller().await?;
            mention_store::candidates(&state.db, &me, conversation_id, &prefix).await
        }
        .await,
    )
}

/// Replaces the text of the caller's own message `message_id` with `body`
/// (the same rules as sending); answers the message as everyone now sees it.
#[server(endpoint = "edit", output = crate::wire::Json)]
pub async fn edit_message(message_id: i64, body: String) -> Result<Message, AppError> {
    use crate::{chat::editing, error::reply};
    reply(
        async {
            let (state, me) = caller().await?;
            editing::edit(&state.db, state.live.as_ref(), &me, message_id, &body).await
        }
        .await,
    )
}

/// Deletes the caller's own message `message_id`: "message deleted" stays
/// in its place for everyone.
#[server(endpoint = "delete", output = crate::wire::Json)]
pub async fn delete_own_message(message_id: i64) -> Result<Message, AppError> {
    use crate::{chat::editing, error::reply};
    reply(
        async {
            let (state, me) = caller().await?;
            editing::delete(
                &state.db,
                state.live.as_ref(),
                state.files.store.as_ref(),
                &me,
                message_id,
            )
            .await
        }
        .await,
    )
}
