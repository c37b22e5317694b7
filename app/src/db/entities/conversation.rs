//! `conversations`: one row per (user, peer) who have exchanged messages: the
//! newest message id (orders the People list without scanning messages) and
//! how far `user_id` has read (unread = the peer's messages above it).
//! Written by the message writer in the same transaction as the messages.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub peer_id: i32,
    pub last_message_id: i64,
    pub last_read_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
