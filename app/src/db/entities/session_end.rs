//! `session_ends`: a short-lived record of every session that ended (log-out,
//! log-out everywhere, deactivation, password reset — from any process,
//! including the command line). Live sockets are bound to sessions; each
//! server process watches this table and closes the sockets of ended sessions.
//! `session_id` names one session, or `user_id` all of a user's sessions.
//! Rows older than a few minutes are pruned.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_ends")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: Option<String>,
    pub user_id: Option<i32>,
    pub ended_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
