//! `messages`: one row per message, in a conversation. `(conversation_id, id)`
//! indexes "latest N before id X", so a page costs the same at any history
//! size. `(sender_id, client_id)` is unique: a retried send finds its first
//! copy instead of storing a second. `kind` is `text` (a person wrote it) or
//! `system` (a join, leave or rename line). An author's edit sets
//! `edited_at`; their deletion empties the body and sets `deleted_at`. A
//! reply names the message it quotes in `reply_to_id`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conversation_id: i32,
    pub sender_id: i32,
    pub kind: String,
    pub body: String,
    pub client_id: String,
    pub created_at: i64,
    /// When the author last changed the text.
    pub edited_at: Option<i64>,
    /// When the author deleted it (the body is then empty).
    pub deleted_at: Option<i64>,
    /// The message this one answers (quoted above it).
    pub reply_to_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
