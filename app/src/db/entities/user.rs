//! `users`: one row per account. `username_key` and `email` are stored case-folded
//! and carry the unique indexes that make names and addresses case-insensitive.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub username: String,
    #[sea_orm(unique)]
    pub username_key: String,
    #[sea_orm(unique)]
    pub email: String,
    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
    pub password_hash: String,
    /// `user` or `admin`.
    pub role: String,
    pub is_active: bool,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
    /// Others see when this person is typing.
    pub share_typing: bool,
    /// Others see how far this person has read (and they see others').
    pub share_receipts: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
