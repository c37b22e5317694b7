//! Account server functions. Each is a thin adapter: state and session in,
//! one call into `auth::server`, status-coded error out.

use leptos::prelude::*;

use super::CurrentUser;
use crate::error::AppError;

/// Who is logged in on this session (`null` when nobody).
#[server(name = GetCurrentUser, endpoint = "current_user", output = crate::wire::Json)]
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    use crate::{auth::server, error::reply, state::*};
    reply(
        async {
            let state = app_state()?;
            let session = request_session().await?;
            server::current_user(&state.db, &session).await
        }
        .await,
    )
}

/// Creates an account and logs it in. Field errors come back together, by
/// field. `join` is the join link's code, needed while sign-up is by invitation.
#[server(endpoint = "signup", output = crate::wire::Json)]
pub async fn signup(
    username: String,
    email: String,
    password: String,
    password_again: String,
    #[server(default)] join: Option<String>,
) -> Result<CurrentUser, AppError> {
    use crate::{admin::signup_policy, auth::server, error::reply, state::*};
    reply(
        async {
            let state = app_state()?;
            let session = request_session().await?;
            signup_policy::admit(&state.db, join.as_deref()).await?;
            let ip = client_ip().await;
            let user = server::create_account(
                &state.db,
                Some((&state.signup_limiter, ip)),
                &username,
                &email,
                &password,
                &password_again,
            )
            .await?;
            let me = server::start_session(&session, &user).await?;
            redirect_form_post("/");
            Ok(me)
        }
        .await,
    )
}

/// Logs in with a username or email and a password.
#[server(endpoint = "login", output = crate::wire::Json)]
pub async fn login(login: String, password: String) -> Result<CurrentUser, AppError> {
    use crate::{auth::server, error::reply, state::*};
    reply(
        async {
            let state = app_state()?;
            let session = request_session().await?;
            let ip = client_ip().await;
            let user = server::authenticate(
                &state.db,
                &state.login_throttle,
                &ip.to_string(),
                &login,
                &password,
            )
            .await?;
            let me = server::start_session(&session, &user).await?;
            redirect_form_post("/");
            Ok(me)
        }
        .await,
    )
}

/// A JavaScript-less form post gets a real redirect; the hydrated app
/// navigates by itself once it has refreshed the current user.
#[cfg(feature = "ssr")]
fn redirect_form_post(path: &str) {
    if crate::error::is_form_post() {
        leptos_axum::redirect(path);
    }
}

/// Ends the session on the server and clears its cookie.
#[server(endpoint = "logout", output = crate::wire::Json)]
pub async fn logout() -> Result<(), AppError> {
    use crate::{auth::server, error::reply, state::*};
    reply(
        async {
            let session = request_session().await?;
            server::end_session(&session).await?;
            redirect_form_post("/login");
            Ok(())
        }
        .await,
    )
}

/// Who may sign up (`open`, `invite` or `closed`): public, so the sign-up page
/// can say so before anyone fills it in.
#[server(endpoint = "signup_mode", output = crate::wire::Json)]
pub async fn signup_mode() -> Result<crate::admin::model::SignupMode, AppError> {
    use crate::{admin::signup_policy, error::reply, state::*};
    reply(
        async {
            let state = app_state()?;
            Ok(signup_policy::load(&state.db).await?.mode)
        }
        .await,
    )
}
