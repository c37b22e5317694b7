//! `memberships`: who belongs to a conversation. Authorisation everywhere is
//! "has a row here". `last_read_id` is the member's read marker (unread =
//! others' messages above it), `notify` their level (`all`, `mentions`,
//! `nothing`), `role` `owner` or `member`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    pub role: String,
    pub last_read_id: i64,
    pub notify: String,
    pub joined_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
