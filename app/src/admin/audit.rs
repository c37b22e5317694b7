//! The audit log: `record` appends one row inside the caller's transaction
//! (so an action and its record commit together); `list` reads it newest
//! first, filtered by action, actor and target.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::model::{AUDIT_PER_PAGE, AuditEntry, AuditList, pages};
use crate::{
    auth::CurrentUser,
    db::{
        entities::{audit, user},
        now_millis,
    },
    error::{AppError, FieldError, Fields},
};

/// Who performed an admin action.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i32>,
    pub name: String,
}

impl Actor {
    pub fn admin(me: &CurrentUser) -> Self {
        Self {
            id: Some(me.id),
            name: me.username.clone(),
        }
    }

    /// `kanect-server create-admin` / `reset-password`.
    pub fn command_line() -> Self {
        Self {
            id: None,
            name: "command line".into(),
        }
    }
}

/// Appends one entry. `target` is the user acted on, if any.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &'static str,
    target: Option<&user::Model>,
    message_id: Option<i64>,
    detail: impl Into<String>,
) -> Result<(), DbErr> {
    audit::Entity::insert(audit::ActiveModel {
        actor_id: Set(actor.id),
        actor_name: Set(actor.name.clone()),
        action: Set(action.to_owned()),
        target_user_id: Set(target.map(|u| u.id)),
        target_name: Set(target.map(|u| u.username.clone())),
        message_id: Set(message_id),
        detail: Set(detail.into()),
        created_at: Set(now_millis()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A username filter: the id of the user called `name` (any case), `None`
/// when the filter is empty, and a note on `field` in `check` when nobody has
/// that name.
pub async fn user_filter(
    db: &DatabaseConnection,
    check: &mut Fields,
    field: &str,
    name: Option<&str>,
) -> Result<Option<i32>, AppError> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    let found = user::Entity::find()
        .filter(user::Column::UsernameKey.eq(name.to_ascii_lowercase()))
        .one(db)
        .await?;
    if found.is_none() {
        check.add(FieldError::new(field, format!("No user is called {name}.")));
    }
    Ok(found.map(|u| u.id))
}

/// One page of the log, newest first.
pub async fn list(
    db: &DatabaseConnection,
    action: Option<&str>,
    actor: Option<i32>,
    target: Option<i32>,
    page: u64,
) -> Result<AuditList, AppError> {
    let mut query = audit::Entity::find();
    if let Some(action) = action {
        query = query.filter(audit::Column::Action.eq(action));
    }
    if let Some(actor) = actor {
        query = query.filter(audit::Column::ActorId.eq(actor));
    }
    if let Some(target) = target {
        query = query.filter(audit::Column::TargetUserId.eq(target));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(audit::Column::Id)
        .offset((page - 1) * AUDIT_PER_PAGE)
        .limit(AUDIT_PER_PAGE)
        .all(db)
        .await?;
    Ok(AuditList {
        entries: rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                actor: r.actor_name,
                action: r.action,
                target: r.target_name,
                message_id: r.message_id,
                detail: r.detail,
                created_at: r.created_at,
            })
            .collect(),
        total,
        page,
        pages: pages(total, AUDIT_PER_PAGE),
    })
}
