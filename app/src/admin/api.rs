//! Admin server functions (`/api/admin_*`): thin adapters over `users`,
//! `moderation`, `audit` and `stats`. Each first requires an active admin —
//! 401 for anonymous callers, 403 for everyone else — then validates every
//! parameter, reporting all bad ones at once by name.

use leptos::prelude::*;

use super::model::{AdminRoom, AdminUser, AuditList, MessageList, SignupPolicy, Stats, UserList};
use crate::error::AppError;

/// Makes the policy's join link absolute: `public_origin`, or the scheme and
/// `Host` this request came with.
#[cfg(feature = "ssr")]
fn with_origin(state: &crate::state::AppState, mut policy: SignupPolicy) -> SignupPolicy {
    let origin = match state.settings.origin() {
        Some(origin) => origin.to_owned(),
        None => {
            let host = use_context::<axum::http::request::Parts>()
                .and_then(|p| p.headers.get(axum::http::header::HOST).cloned())
                .and_then(|h| h.to_str().ok().map(str::to_owned))
                .unwrap_or_default();
            let scheme = if state.settings.secure_cookies {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}")
        }
    };
    policy.join_link = format!("{origin}{}", policy.join_link);
    policy
}

#[cfg(feature = "ssr")]
async fn admin() -> Result<(crate::state::AppState, super::audit::Actor), AppError> {
    let state = crate::state::app_state()?;
    let session = crate::state::request_session().await?;
    let me = super::users::require_admin(&state.db, &session).await?;
    Ok((state, super::audit::Actor::admin(&me)))
}

#[server(endpoint = "admin_stats", output = crate::wire::Json)]
pub async fn admin_stats() -> Result<Stats, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, _) = admin().await?;
            super::stats::stats(&state.db, state.live.as_ref()).await
        }
        .await,
    )
}

/// Users matching `search` (in username or email), `role` (`any`, `admin`,
/// `user`), `active` (`any`, `active`, `inactive`), sorted by `sort`
/// (`username`, `email`, `newest`, `oldest`), 20 per page.
#[server(endpoint = "admin_users", output = crate::wire::Json)]
pub async fn admin_users(
    search: Option<String>,
    role: Option<String>,
    active: Option<String>,
    sort: Option<String>,
    page: Option<u64>,
) -> Result<UserList, AppError> {
    use super::model::*;
    use crate::error::{Fields, reply};
    reply(
        async {
            let (state, _) = admin().await?;
            let mut check = Fields::default();
            let search = check.take(parse_search("search", search.as_deref()));
            let query = super::users::UserQuery {
                search: search.as_deref(),
                role: check.take(RoleFilter::parse(role.as_deref())),
                active: check.take(ActiveFilter::parse(active.as_deref())),
                sort: check.take(UserSort::parse(sort.as_deref())),
                page: check.take(parse_page(page)),
            };
            check.finish()?;
            super::users::list(&state.db, state.live.as_ref(), query).await
        }
        .await,
    )
}

#[server(endpoint = "admin_set_email", output = crate::wire::Json)]
pub async fn admin_set_email(user_id: i32, email: String) -> Result<AdminUser, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            super::users::change_email(&state.db, &actor, user_id, &email).await
        }
        .await,
    )
}

/// Makes the user an `admin` or a `user`. The last active admin cannot be demoted.
#[server(endpoint = "admin_set_role", output = crate::wire::Json)]
pub async fn admin_set_role(user_id: i32, role: String) -> Result<AdminUser, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            let role = super::model::parse_role(&role)
                .map_err(|f| AppError::Validation { fields: vec![f] })?;
            super::users::set_role(&state.db, &actor, user_id, role).await
        }
        .await,
    )
}

/// Deactivates (`active=false`: sessions and sockets end at once) or
/// reactivates a user. The last active admin cannot be deactivated.
#[server(endpoint = "admin_set_active", output = crate::wire::Json)]
pub async fn admin_set_active(user_id: i32, active: bool) -> Result<AdminUser, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            let changed =
                super::users::set_active(&state.db, state.live.as_ref(), &actor, user_id, active)
                    .await;
            state.peers.clear();
            changed
        }
        .await,
    )
}

/// Sets a new password (sign-up rules apply) and logs the user out everywhere.
#[server(endpoint = "admin_reset_password", output = crate::wire::Json)]
pub async fn admin_reset_password(
    user_id: i32,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            super::users::reset_password_by_id(
                &state.db,
                state.live.as_ref(),
                &actor,
                user_id,
                &password,
                &password_again,
            )
            .await
        }
        .await,
    )
}

/// Logs the user out of every browser; returns how many sessions ended.
#[server(endpoint = "admin_end_sessions", output = crate::wire::Json)]
pub async fn admin_end_sessions(user_id: i32) -> Result<u64, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            super::users::end_sessions(&state.db, state.live.as_ref(), &actor, user_id).await
        }
        .await,
    )
}

/// Messages newest first, 50 per page: to or from `user_a`, between `user_a`
/// and `user_b` when both are given, containing `text`, sent `from`..=`to`
/// (`YYYY-MM-DD`, UTC).
#[server(endpoint = "admin_messages", output = crate::wire::Json)]
pub async fn admin_messages(
    user_a: Option<String>,
    user_b: Option<String>,
    text: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
) -> Result<MessageList, AppError> {
    use super::{audit::user_filter, model::*};
    use crate::error::{FieldError, Fields, reply};
    reply(
        async {
            let (state, _) = admin().await?;
            let mut check = Fields::default();
            let user_a = user_filter(&state.db, &mut check, "user_a", user_a.as_deref()).await?;
            let user_b = user_filter(&state.db, &mut check, "user_b", user_b.as_deref()).await?;
            let query = super::moderation::MessageQuery {
                user_a,
                user_b,
                text: check.take(parse_search("text", text.as_deref())),
                from: check.take(parse_day("from", from.as_deref())),
                to: check.take(parse_day("to", to.as_deref())),
                page: check.take(parse_page(page)),
            };
            if let (Some(from), Some(to)) = (query.from, query.to)
                && to < from
            {
                check.add(FieldError::new(
                    "to",
                    "The end date is before the start date.",
                ));
            }
            check.finish()?;
            super::moderation::search(&state.db, query).await
        }
        .await,
    )
}

/// Deletes a message; both participants' open conversations drop it live.
#[server(endpoint = "admin_delete_message", output = crate::wire::Json)]
pub async fn admin_delete_message(message_id: i64) -> Result<(), AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            super::moderation::delete(
                &state.db,
                state.live.as_ref(),
                state.files.store.as_ref(),
                &actor,
                message_id,
            )
            .await
        }
        .await,
    )
}

/// Every room, most recently active first.
#[server(endpoint = "admin_rooms", output = crate::wire::Json)]
pub async fn admin_rooms() -> Result<Vec<AdminRoom>, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, _) = admin().await?;
            super::rooms::list(&state.db).await
        }
        .await,
    )
}

/// Archives a room: readable, no more posts; its members see it live.
#[server(endpoint = "admin_archive_room", output = crate::wire::Json)]
pub async fn admin_archive_room(room_id: i32) -> Result<(), AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            super::rooms::archive(&state.db, state.live.as_ref(), &actor, room_id).await
        }
        .await,
    )
}

/// Deletes a room with its messages; its members lose it live.
#[server(endpoint = "admin_delete_room", output = crate::wire::Json)]
pub async fn admin_delete_room(room_id: i32) -> Result<(), AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            super::rooms::delete(
                &state.db,
                state.live.as_ref(),
                state.files.store.as_ref(),
                &actor,
                room_id,
            )
            .await
        }
        .await,
    )
}

/// The audit log, newest first, 50 per page; filter by `action` (a code from
/// the list), `actor` and `target` (usernames).
#[server(endpoint = "admin_audit", output = crate::wire::Json)]
pub async fn admin_audit(
    action: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    page: Option<u64>,
) -> Result<AuditList, AppError> {
    use super::{audit::user_filter, model::*};
    use crate::error::{Fields, reply};
    reply(
        async {
            let (state, _) = admin().await?;
            let mut check = Fields::default();
            let actor = user_filter(&state.db, &mut check, "actor", actor.as_deref()).await?;
            let target = user_filter(&state.db, &mut check, "target", target.as_deref()).await?;
            let action = check.take(parse_action(action.as_deref()));
            let page = check.take(parse_page(page));
            check.finish()?;
            super::audit::list(&state.db, action, actor, target, page).await
        }
        .await,
    )
}

/// Who may sign up, and the current join code.
#[server(endpoint = "admin_signup_policy", output = crate::wire::Json)]
pub async fn admin_signup_policy() -> Result<SignupPolicy, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, _) = admin().await?;
            let policy = super::signup_policy::load(&state.db).await?;
            Ok(with_origin(&state, policy))
        }
        .await,
    )
}

/// Sets who may sign up: `open`, `invite` (join link only) or `closed`.
#[server(endpoint = "admin_set_signup_mode", output = crate::wire::Json)]
pub async fn admin_set_signup_mode(mode: String) -> Result<SignupPolicy, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            let mode = super::model::SignupMode::parse(&mode)
                .map_err(|f| AppError::Validation { fields: vec![f] })?;
            let policy = super::signup_policy::set_mode(&state.db, &actor, mode).await?;
            Ok(with_origin(&state, policy))
        }
        .await,
    )
}

/// Makes a new join link; the old one stops working.
#[server(endpoint = "admin_new_join_code", output = crate::wire::Json)]
pub async fn admin_new_join_code() -> Result<SignupPolicy, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            let policy = super::signup_policy::new_join_code(&state.db, &actor).await?;
            Ok(with_origin(&state, policy))
        }
        .await,
    )
}

/// Storage per person and the largest files.
#[server(endpoint = "admin_files", output = crate::wire::Json)]
pub async fn admin_files() -> Result<super::model::Storage, AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, _) = admin().await?;
            super::files::storage(&state.db).await
        }
        .await,
    )
}

/// Removes a file; its message shows without it, live, for everyone.
#[server(endpoint = "admin_delete_file", output = crate::wire::Json)]
pub async fn admin_delete_file(file_id: String) -> Result<(), AppError> {
    use crate::error::reply;
    reply(
        async {
            let (state, actor) = admin().await?;
            super::files::remove(
                &state.db,
                state.live.as_ref(),
                state.files.store.as_ref(),
                &actor,
                &file_id,
            )
            .await
        }
        .await,
    )
}
