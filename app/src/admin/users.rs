//! User management behind the admin server functions and the command line:
//! listing with filters, and every change to an account. Each change is
//! checked, written together with its audit entry in one transaction, and only
//! then takes effect outside the database (sessions ended, sockets closed).
//!
//! The last-admin rule is enforced inside the UPDATE itself (a demotion or
//! deactivation of an active admin only matches while another active admin
//! exists), so two admins acting at once cannot both succeed.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
    sea_query::{Expr, Query},
};
use tower_sessions::Session;

use super::{
    audit::{self, Actor},
    model::{
        ActiveFilter, AdminUser, ROLE_ADMIN, ROLE_USER, RoleFilter, USERS_PER_PAGE, UserList,
        UserSort, pages,
    },
};
use crate::{
    auth::{
        CurrentUser, password,
        rules::{Email, Password},
        server::{create_account, require_user},
        session_store::end_sessions_of,
    },
    db::{contains_ignoring_case, entities::user},
    error::AppError,
    live::Live,
};

/// The caller, if they are a logged-in, active admin: 401 for anonymous
/// callers, 403 for everyone else.
pub async fn require_admin(
    db: &DatabaseConnection,
    session: &Session,
) -> Result<CurrentUser, AppError> {
    let me = require_user(db, session).await?;
    if !me.is_admin {
        return Err(AppError::Forbidden);
    }
    Ok(me)
}

pub fn view(u: &user::Model, hub: Option<&dyn Live>) -> AdminUser {
    AdminUser {
        id: u.id,
        username: u.username.clone(),
        email: u.email.clone(),
        role: u.role.clone(),
        is_active: u.is_active,
        online: hub.is_some_and(|h| h.is_online(u.id)),
        created_at: u.created_at,
    }
}

async fn find(db: &DatabaseConnection, id: i32) -> Result<user::Model, AppError> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("User"))
}

/// True when someone other than `id` is an active admin (as a SQL condition).
fn another_active_admin(id: i32) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(user::Entity)
            .and_where(user::Column::Role.eq(ROLE_ADMIN))
            .and_where(user::Column::IsActive.eq(true))
            .and_where(user::Column::Id.ne(id))
            .to_owned(),
    )
}

fn last_admin(u: &user::Model) -> AppError {
    AppError::Conflict {
        message: format!(
            "{} is the last active admin. Make someone else an admin first.",
            u.username
        ),
    }
}

pub struct UserQuery<'a> {
    pub search: Option<&'a str>,
    pub role: RoleFilter,
    pub active: ActiveFilter,
    pub sort: UserSort,
    pub page: u64,
}

pub async fn list(
    db: &DatabaseConnection,
    hub: &dyn Live,
    q: UserQuery<'_>,
) -> Result<UserList, AppError> {
    let mut query = user::Entity::find();
    if let Some(text) = q.search {
        let backend = db.get_database_backend();
        query = query.filter(
            Condition::any()
                .add(contains_ignoring_case(
                    backend,
                    user::Column::UsernameKey,
                    text,
                ))
                .add(contains_ignoring_case(backend, user::Column::Email, text)),
        );
    }
    query = match q.role {
        RoleFilter::Any => query,
        RoleFilter::Admin => query.filter(user::Column::Role.eq(ROLE_ADMIN)),
        RoleFilter::User => query.filter(user::Column::Role.eq(ROLE_USER)),
    };
    query = match q.active {
        ActiveFilter::Any => query,
        ActiveFilter::Active => query.filter(user::Column::IsActive.eq(true)),
        ActiveFilter::Inactive => query.filter(user::Column::IsActive.eq(false)),
    };
    query = match q.sort {
        UserSort::Username => query.order_by_asc(user::Column::UsernameKey),
        UserSort::Email => query.order_by_asc(user::Column::Email),
        UserSort::Newest => query.order_by_desc(user::Column::Id),
        UserSort::Oldest => query.order_by_asc(user::Column::Id),
    };
    let total = query.clone().count(db).await?;
    let rows = query
        .offset((q.page - 1) * USERS_PER_PAGE)
        .limit(USERS_PER_PAGE)
        .all(db)
        .await?;
    Ok(UserList {
        users: rows.iter().map(|u| view(u, Some(hub))).collect(),
        total,
        page: q.page,
        pages: pages(total, USERS_PER_PAGE),
    })
}

pub async fn change_email(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    raw: &str,
) -> Result<AdminUser, AppError> {
    let email = Email::parse(raw).map_err(|f| AppError::Validation { fields: vec![f] })?;
    let target = find(db, id).await?;
    if target.email == email.as_str() {
        return Ok(view(&target, None));
    }
    let taken = AppError::field("email", "That email is already registered.");
    let txn = crate::db::begin_write(db).await?;
    let old = target.email.clone();
    let mut row = target.into_active_model();
    row.email = Set(email.as_str().to_owned());
    let updated = match row.update(&txn).await {
        Ok(u) => u,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(taken);
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &txn,
        actor,
        "change_email",
        Some(&updated),
        None,
        format!("{old} → {}", updated.email),
    )
    .await?;
    txn.commit().await?;
    Ok(view(&updated, None))
}

pub async fn set_role(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    role: &'static str,
) -> Result<AdminUser, AppError> {
    let target = find(db, id).await?;
    if target.role == role {
        return Ok(view(&target, None));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(role))
        .filter(user::Column::Id.eq(id));
    if role == ROLE_USER {
        update = update.filter(
            Condition::any()
                .add(user::Column::IsActive.eq(false))
                .add(another_active_admin(id)),
        );
    }
    if update.exec(&txn).await?.rows_affected == 0 {
        return Err(last_admin(&target));
    }
    let action = if role == ROLE_ADMIN {
        "promote"
    } else {
        "demote"
    };
    audit::record(
        &txn,
        actor,
        action,
        Some(&target),
        None,
        format!("role: {} → {role}", target.role),
    )
    .await?;
    txn.commit().await?;
    Ok(view(&find(db, id).await?, None))
}

/// Deactivating ends every session and live connection of the user at once;
/// they can no longer log in and leave everyone's People list.
pub async fn set_active(
    db: &DatabaseConnection,
    hub: &dyn Live,
    actor: &Actor,
    id: i32,
    active: bool,
) -> Result<AdminUser, AppError> {
    let target = find(db, id).await?;
    if target.is_active == active {
        return Ok(view(&target, Some(hub)));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::IsActive, Expr::value(active))
        .filter(user::Column::Id.eq(id));
    if !active {
        update = update.filter(
            Condition::any()
                .add(user::Column::Role.ne(ROLE_ADMIN))
                .add(another_active_admin(id)),
        );
    }
    if update.exec(&txn).await?.rows_affected == 0 {
        return Err(last_admin(&target));
    }
    let action = if active { "reactivate" } else { "deactivate" };
    audit::record(&txn, actor, action, Some(&target), None, "").await?;
    txn.commit().await?;
    if !active {
        end_sessions_of(db, id).await?;
        hub.sign_out(id);
    }
    Ok(view(&find(db, id).await?, Some(hub)))
}

/// Sets a new password (same rules as sign-up) and ends the user's sessions,
/// so whoever knew the old one is logged out.
pub async fn reset_password(
    db: &DatabaseConnection,
    hub: Option<&dyn Live>,
    actor: &Actor,
    target: &user::Model,
    raw: &str,
    again: &str,
) -> Result<(), AppError> {
    let password = Password::parse(raw).map_err(|f| AppError::Validation { fields: vec![f] })?;
    if raw != again {
        return Err(AppError::field(
            "password_again",
            "The two passwords differ.",
        ));
    }
    password::refuse_common(password.expose(), &target.username, &target.email)?;
    let hash = password::hash(password.expose().to_owned()).await?;
    let txn = crate::db::begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(target.id))
        .exec(&txn)
        .await?;
    audit::record(&txn, actor, "reset_password", Some(target), None, "").await?;
    txn.commit().await?;
    end_sessions_of(db, target.id).await?;
    if let Some(hub) = hub {
        hub.sign_out(target.id);
    }
    Ok(())
}

pub async fn reset_password_by_id(
    db: &DatabaseConnection,
    hub: &dyn Live,
    actor: &Actor,
    id: i32,
    raw: &str,
    again: &str,
) -> Result<(), AppError> {
    let target = find(db, id).await?;
    reset_password(db, Some(hub), actor, &target, raw, again).await
}

/// Logs the user out everywhere; returns how many sessions ended.
pub async fn end_sessions(
    db: &DatabaseConnection,
    hub: &dyn Live,
    actor: &Actor,
    id: i32,
) -> Result<u64, AppError> {
    let target = find(db, id).await?;
    let ended = end_sessions_of(db, id).await?;
    hub.sign_out(id);
    audit::record(
        db,
        actor,
        "end_sessions",
        Some(&target),
        None,
        format!("{ended} session{}", if ended == 1 { "" } else { "s" }),
    )
    .await?;
    Ok(ended)
}

/// What `kanect-server create-admin` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminCreated {
    Created,
    Promoted,
    AlreadyAdmin,
}

/// Creates an admin account, or makes an existing user (by username) an
/// active admin. `credentials` (email, password) are needed only to create.
pub async fn create_admin(
    db: &DatabaseConnection,
    username: &str,
    credentials: impl AsyncFnOnce() -> Result<(String, String), AppError>,
) -> Result<AdminCreated, AppError> {
    let actor = Actor::command_line();
    let existing = user::Entity::find()
        .filter(user::Column::UsernameKey.eq(username.trim().to_ascii_lowercase()))
        .one(db)
        .await?;
    if let Some(u) = existing {
        if u.role == ROLE_ADMIN && u.is_active {
            return Ok(AdminCreated::AlreadyAdmin);
        }
        let txn = crate::db::begin_write(db).await?;
        let mut row = u.clone().into_active_model();
        row.role = Set(ROLE_ADMIN.to_owned());
        row.is_active = Set(true);
        row.update(&txn).await?;
        audit::record(
            &txn,
            &actor,
            "promote",
            Some(&u),
            None,
            "role: user → admin",
        )
        .await?;
        txn.commit().await?;
        return Ok(AdminCreated::Promoted);
    }
    let (email, password) = credentials().await?;
    let created = create_account(db, None, username, &email, &password, &password).await?;
    let txn = crate::db::begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(ROLE_ADMIN))
        .filter(user::Column::Id.eq(created.id))
        .exec(&txn)
        .await?;
    audit::record(&txn, &actor, "create_admin", Some(&created), None, "").await?;
    txn.commit().await?;
    Ok(AdminCreated::Created)
}
