//! `messages`: one row per message. `(pair_lo, pair_hi)` is the conversation
//! (the two user ids, smaller first) and indexes "latest N before id X" so a
//! page costs the same at any conversation size. `(sender_id, client_id)` is
//! unique: a retried send finds its first copy instead of storing a second.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sender_id: i32,
    pub recipient_id: i32,
    pub pair_lo: i32,
    pub pair_hi: i32,
    pub body: String,
    pub client_id: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
