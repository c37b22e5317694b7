//! Account operations behind the auth server functions.
//!
//! Each takes its dependencies explicitly (`&DatabaseConnection`, the session,
//! the throttle) so tests can call them directly. Order inside each follows
//! check (validate, authorise) -> do (write) -> notify.

use std::{net::IpAddr, time::Instant};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set,
    SqlErr,
};
use tower_sessions::Session;

use super::{
    CurrentUser, password,
    rules::{NewAccount, PASSWORD_MAX},
    session_store::{self, USER_ID_KEY},
    signup_limit::SignupLimiter,
    throttle::LoginThrottle,
};
use crate::{
    db::{entities::user, now_millis},
    error::{AppError, FieldError},
};

/// Session key: when the session's expiry was last pushed forward (ms).
const RENEWED_AT_KEY: &str = "renewed_at";
/// Sliding renewal happens at most this often, so reads stay reads.
const RENEW_EVERY_MS: i64 = 60 * 60 * 1000;

pub use crate::admin::model::{ROLE_ADMIN, ROLE_USER};

fn to_current(u: &user::Model) -> CurrentUser {
    CurrentUser {
        id: u.id,
        username: u.username.clone(),
        is_admin: u.role == ROLE_ADMIN,
        share_typing: u.share_typing,
        share_receipts: u.share_receipts,
    }
}

/// Creates an account from raw form input, reporting every invalid field.
/// `limit` (sign-ups from the web) takes one sign-up from the client
/// address's and everyone's hourly budget once the fields are valid, before
/// the password is hashed; the command line passes `None`.
pub async fn create_account(
    db: &DatabaseConnection,
    limit: Option<(&SignupLimiter, IpAddr)>,
    username: &str,
    email: &str,
    password: &str,
    password_again: &str,
) -> Result<user::Model, AppError> {
    let account = NewAccount::parse(username, email, password, password_again)
        .map_err(|fields| AppError::Validation { fields })?;
    password::refuse_common(
        account.password.expose(),
        account.username.as_str(),
        account.email.as_str(),
    )?;
    let taken = taken_fields(db, &account.username.key(), account.email.as_str()).await?;
    if !taken.is_empty() {
        return Err(AppError::Validation { fields: taken });
    }
    if let Some((limiter, ip)) = limit {
        limiter.check(ip)?;
    }
    let hash = password::hash(account.password.expose().to_owned()).await?;
    let row = user::ActiveModel {
        username: Set(account.username.as_str().to_owned()),
        username_key: Set(account.username.key()),
        email: Set(account.email.as_str().to_owned()),
        password_hash: Set(hash),
        role: Set(ROLE_USER.to_owned()),
        is_active: Set(true),
        created_at: Set(now_millis()),
        last_seen_at: Set(None),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(model) => Ok(model),
        // Someone took the name between our check and the insert: say which.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            let fields = taken_fields(db, &account.username.key(), account.email.as_str()).await?;
            Err(AppError::Validation { fields })
        }
        Err(e) => Err(e.into()),
    }
}

async fn taken_fields(
    db: &DatabaseConnection,
    username_key: &str,
    email: &str,
) -> Result<Vec<FieldError>, AppError> {
    let existing = user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::UsernameKey.eq(username_key))
                .add(user::Column::Email.eq(email)),
        )
        .all(db)
        .await?;
    let mut fields = Vec::new();
    if existing.iter().any(|u| u.username_key == username_key) {
        fields.push(FieldError::new("username", "That username is taken."));
    }
    if existing.iter().any(|u| u.email == email) {
        fields.push(FieldError::new(
            "email",
            "That email is already registered.",
        ));
    }
    Ok(fields)
}

/// The longest username or email a log-in accepts (an email's maximum).
pub const LOGIN_MAX: usize = 254;

/// Checks a username-or-email and password under the log-in throttle (see
/// `auth::throttle`): the attempt takes its slot before any hashing. Wrong user and wrong password give the same error after the
/// same amount of work.
pub async fn authenticate(
    db: &DatabaseConnection,
    throttle: &LoginThrottle,
    client_ip: &str,
    login: &str,
    password: &str,
) -> Result<user::Model, AppError> {
    let login_key = login.trim().to_lowercase();
    if login_key.is_empty() {
        return Err(AppError::field("login", "Enter your username or email."));
    }
    if login_key.chars().count() > LOGIN_MAX {
        return Err(AppError::field(
            "login",
            format!("Usernames and emails are at most {LOGIN_MAX} characters."),
        ));
    }
    // No account has one (usernames and emails are validated), and
    // PostgreSQL refuses NUL in text.
    if login_key.chars().any(char::is_control) {
        return Err(AppError::field(
            "login",
            "Usernames and emails have no control characters.",
        ));
    }
    if password.is_empty() {
        return Err(AppError::field("password", "Enter your password."));
    }
    let attempt = throttle
        .begin(&login_key, client_ip, Instant::now())
        .map_err(|retry_after_secs| {
            crate::metrics::refused("throttle");
            AppError::RateLimited { retry_after_secs }
        })?;

    let found = user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::UsernameKey.eq(&login_key))
                .add(user::Column::Email.eq(&login_key)),
        )
        .one(db)
        .await?;
    // Over-long input cannot match a stored password; still pay for a hash.
    let candidate: String = password.chars().take(PASSWORD_MAX + 1).collect();
    let ok = password::verify(candidate, found.as_ref().map(|u| u.password_hash.clone())).await?;
    match found {
        Some(user) if ok => {
            throttle.succeeded(attempt);
            if !user.is_active {
                return Err(AppError::Unauthorized {
                    message: "This account has been deactivated.".into(),
                });
            }
            Ok(user)
        }
        _ => {
            crate::metrics::refused("login");
            Err(AppError::Unauthorized {
                message: "Wrong username/email or password.".into(),
            })
        }
    }
}

/// Makes `user` the session's owner under a fresh session id (so an id planted
/// before login is worthless afterwards).
pub async fn start_session(session: &Session, user: &user::Model) -> Result<CurrentUser, AppError> {
    session.cycle_id().await?;
    session.insert(USER_ID_KEY, user.id).await?;
    session.insert(RENEWED_AT_KEY, now_millis()).await?;
    Ok(to_current(user))
}

/// Ends the session on the server and clears the cookie.
pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session.flush().await?;
    Ok(())
}

/// The logged-in user, or `None`: one query for the session and its user
/// together (`session_store::user_of`). A session whose user was
/// deactivated is ended on the spot (a deleted user's sessions went with
/// them). Pushes the expiry forward at most hourly — only then is the
/// session itself loaded and saved.
pub async fn current_user(
    db: &DatabaseConnection,
    session: &Session,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(id) = session.id() else {
        return Ok(None);
    };
    let Some(u) = session_store::user_of(db, &id.to_string()).await? else {
        return Ok(None);
    };
    if !u.is_active {
        session.flush().await?;
        return Ok(None);
    }
    let renewed = serde_json::from_str::<serde_json::Value>(&u.data)
        .ok()
        .and_then(|data| data.get(RENEWED_AT_KEY)?.as_i64())
        .unwrap_or(0);
    let now = now_millis();
    if now - renewed > RENEW_EVERY_MS {
        session.insert(RENEWED_AT_KEY, now).await?;
    }
    Ok(Some(CurrentUser {
        id: u.id,
        username: u.username,
        is_admin: u.role == ROLE_ADMIN,
        share_typing: u.share_typing,
        share_receipts: u.share_receipts,
    }))
}

/// Like `current_user`, but an anonymous caller is an error.
pub async fn require_user(
    db: &DatabaseConnection,
    session: &Session,
) -> Result<CurrentUser, AppError> {
    current_user(db, session)
        .await?
        .ok_or_else(AppError::unauthorized)
}
