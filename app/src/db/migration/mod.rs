//! Schema migrations, applied in order at start; each has `up` and `down`.

mod m20261125_000001_create_users;
mod m20261125_000002_create_sessions;
mod m20261125_000003_create_messages;
mod m20261125_000004_create_audit_log;
mod m20261125_000005_create_session_ends;
mod m20261125_000006_index_messages_by_recipient;
mod m20261125_000007_create_site_settings;
mod m20261126_000008_conversations_and_events;
mod m20261126_000009_create_mentions;
mod m20261126_000010_edit_and_delete_messages;
mod m20261127_000011_replies_reactions_privacy;
mod m20261127_000012_create_uploads;
mod m20261127_000013_drop_messages_by_sender;

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_users::Migration),
            Box::new(m20261125_000002_create_sessions::Migration),
            Box::new(m20261125_000003_create_messages::Migration),
            Box::new(m20261125_000004_create_audit_log::Migration),
            Box::new(m20261125_000005_create_session_ends::Migration),
            Box::new(m20261125_000006_index_messages_by_recipient::Migration),
            Box::new(m20261125_000007_create_site_settings::Migration),
            Box::new(m20261126_000008_conversations_and_events::Migration),
            Box::new(m20261126_000009_create_mentions::Migration),
            Box::new(m20261126_000010_edit_and_delete_messages::Migration),
            Box::new(m20261127_000011_replies_reactions_privacy::Migration),
            Box::new(m20261127_000012_create_uploads::Migration),
            Box::new(m20261127_000013_drop_messages_by_sender::Migration),
        ]
    }
}
