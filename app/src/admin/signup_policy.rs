//! Who may sign up: open to anyone, by the join link only (as Campfire does:
//! one link, and making a new one retires the old), or closed. Admins change
//! it in the console; it is stored in `site_settings` so every node sees the
//! same policy. Accounts made from the command line are never refused.

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, sea_query::OnConflict};

use super::{
    audit::{self, Actor},
    model::{SignupMode, SignupPolicy},
};
use crate::{db::entities::site_setting, error::AppError};

const MODE_KEY: &str = "signup_mode";
const CODE_KEY: &str = "join_code";

async fn get(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, AppError> {
    Ok(site_setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.value))
}

async fn put(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), AppError> {
    site_setting::Entity::insert(site_setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
    })
    .on_conflict(
        OnConflict::column(site_setting::Column::Key)
            .update_column(site_setting::Column::Value)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// 128 random bits, as 32 hex digits.
fn fresh_code() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The current policy (open, with a fresh join code, until an admin says otherwise).
pub async fn load(db: &DatabaseConnection) -> Result<SignupPolicy, AppError> {
    let mode = match get(db, MODE_KEY).await? {
        Some(code) => SignupMode::parse(&code).unwrap_or_default(),
        None => SignupMode::default(),
    };
    let join_code = match get(db, CODE_KEY).await? {
        Some(code) => code,
        None => {
            let code = fresh_code();
            put(db, CODE_KEY, &code).await?;
            code
        }
    };
    Ok(SignupPolicy {
        mode,
        join_link: format!("/signup?join={join_code}"),
        join_code,
    })
}

/// Refuses a sign-up from the web that the policy does not allow.
pub async fn admit(db: &DatabaseConnection, join: Option<&str>) -> Result<(), AppError> {
    let policy = load(db).await?;
    let refused = |message: &str| {
        Err(AppError::Unauthorized {
            message: message.into(),
        })
    };
    match policy.mode {
        SignupMode::Open => Ok(()),
        SignupMode::Invite if join.is_some_and(|j| j.trim() == policy.join_code) => Ok(()),
        SignupMode::Invite => {
            refused("Sign-up is by invitation: open the join link an admin gave you.")
        }
        SignupMode::Closed => {
            refused("Sign-up is closed. Ask an admin to create an account for you.")
        }
    }
}

pub async fn set_mode(
    db: &DatabaseConnection,
    actor: &Actor,
    mode: SignupMode,
) -> Result<SignupPolicy, AppError> {
    let txn = crate::db::begin_write(db).await?;
    put(&txn, MODE_KEY, mode.code()).await?;
    audit::record(&txn, actor, "signup_mode", None, None, mode.code()).await?;
    txn.commit().await?;
    load(db).await
}

/// Makes a new join code; links with the old one stop working.
pub async fn new_join_code(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<SignupPolicy, AppError> {
    let txn = crate::db::begin_write(db).await?;
    put(&txn, CODE_KEY, &fresh_code()).await?;
    audit::record(&txn, actor, "join_code", None, None, "").await?;
    txn.commit().await?;
    load(db).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_codes_are_long_random_hex() {
        let (a, b) = (fresh_code(), fresh_code());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
