//! `uploads`: one row per file attached (or being attached) to a message.
//! See the migration for what each column means.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub uploader_id: i32,
    pub conversation_id: i32,
    /// The message it was sent with (`None`: not sent yet).
    pub message_id: Option<i64>,
    /// The name it was uploaded under (what a download is called).
    pub name: String,
    pub size: i64,
    /// Sniffed from the bytes, never taken from the client.
    pub mime: String,
    pub sha256: String,
    /// An image's thumbnail, when one could be made.
    pub thumb_sha256: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
