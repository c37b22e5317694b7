//! `events`: the event log (see `events::log`). `frame` is the JSON a socket
//! sends, exactly; `conversation_id` makes it reach that conversation's
//! members, `user_id` (also) that one user.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub conversation_id: Option<i32>,
    pub user_id: Option<i32>,
    pub frame: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
