//! `conversations`: a direct conversation between two people (`direct_lo` and
//! `direct_hi` hold their ids, smaller first; unique, so a pair has at most
//! one) or a room (`name`, `topic`, `is_public`; `archived_at` once archived).
//! `last_message_id` orders the sidebar without scanning messages; the
//! message writer moves it in the same transaction as the messages.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `direct` or `room`.
    pub kind: String,
    pub name: Option<String>,
    pub topic: Option<String>,
    pub is_public: bool,
    pub direct_lo: Option<i32>,
    pub direct_hi: Option<i32>,
    pub created_by: Option<i32>,
    pub created_at: i64,
    pub archived_at: Option<i64>,
    pub last_message_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
