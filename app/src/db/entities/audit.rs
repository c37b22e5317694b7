//! `audit_log`: one row per admin action — who did what to whom, and when.
//! Append-only; names are copied in so the log stays readable after the
//! people or messages it mentions are gone. `actor_id` is empty for actions
//! taken from the command line.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub actor_id: Option<i32>,
    pub actor_name: String,
    pub action: String,
    pub target_user_id: Option<i32>,
    pub target_name: Option<String>,
    pub message_id: Option<i64>,
    pub detail: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
