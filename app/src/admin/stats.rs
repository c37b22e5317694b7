//! The dashboard's figures, counted from the database and the live hub.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use super::model::{ROLE_ADMIN, Stats};
use crate::{
    dates::day_start,
    db::{
        entities::{message, user},
        now_millis,
    },
    error::AppError,
    live::Live,
};

pub async fn stats(db: &DatabaseConnection, hub: &dyn Live) -> Result<Stats, AppError> {
    let active = user::Column::IsActive.eq(true);
    Ok(Stats {
        users: user::Entity::find().count(db).await?,
        active_users: user::Entity::find()
            .filter(active.clone())
            .count(db)
            .await?,
        admins: user::Entity::find()
            .filter(active)
            .filter(user::Column::Role.eq(ROLE_ADMIN))
            .count(db)
            .await?,
        online_now: hub.online().len() as u64,
        messages_today: message::Entity::find()
            .filter(message::Column::CreatedAt.gte(day_start(now_millis())))
            .count(db)
            .await?,
        messages_total: message::Entity::find().count(db).await?,
    })
}
