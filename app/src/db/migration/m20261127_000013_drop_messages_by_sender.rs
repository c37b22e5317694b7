//! Drops `idx_messages_sender_id` (`(sender_id, id)`). Its only readers —
//! the moderation search by author and the cascade when a user is deleted —
//! are served as well by the unique `(sender_id, client_id)` index, and
//! every stored message paid for a third index entry on a page of its own
//! sender (measured in `docs/performance.md`, session 19).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    SenderId,
    Id,
}

const NAME: &str = "idx_messages_sender_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Messages::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Messages::Table)
                    .col(Messages::SenderId)
                    .col(Messages::Id)
                    .to_owned(),
            )
            .await
    }
}
