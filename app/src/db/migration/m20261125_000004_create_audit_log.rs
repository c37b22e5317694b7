//! The admin console's tables and indexes: `audit_log` (every admin action,
//! append-only) and an index on `messages.created_at` for the dashboard's
//! "messages today" and the message search's date range.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    ActorName,
    Action,
    TargetUserId,
    TargetName,
    MessageId,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign keys: the log outlives the users and messages it names,
        // which is why it keeps their names.
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLog::Id))
                    .col(integer_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::ActorName, 64))
                    .col(string_len(AuditLog::Action, 32))
                    .col(integer_null(AuditLog::TargetUserId))
                    .col(string_len_null(AuditLog::TargetName, 64))
                    .col(big_integer_null(AuditLog::MessageId))
                    .col(text(AuditLog::Detail))
                    .col(big_integer(AuditLog::CreatedAt))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            ("idx_audit_action_id", vec![AuditLog::Action, AuditLog::Id]),
            ("idx_audit_actor_id", vec![AuditLog::ActorId, AuditLog::Id]),
            (
                "idx_audit_target_id",
                vec![AuditLog::TargetUserId, AuditLog::Id],
            ),
        ];
        for (name, cols) in indexes {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_created_at")
                    .table(Messages::Table)
                    .col(Messages::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_messages_created_at")
                    .table(Messages::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}
