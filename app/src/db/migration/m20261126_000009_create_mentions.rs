//! `mentions`: who a message mentions (`@username`, members only), so a
//! member's unread mentions per conversation are one index range each.
//! Rooms' memberships move to the rooms' default level, `mentions` (see
//! `chat::model::Notify::default_for`).

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261125_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Mentions {
    Table,
    UserId,
    ConversationId,
    MessageId,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Mentions::Table)
                    .col(integer(Mentions::UserId))
                    .col(integer(Mentions::ConversationId))
                    .col(big_integer(Mentions::MessageId))
                    .primary_key(
                        Index::create()
                            .col(Mentions::UserId)
                            .col(Mentions::ConversationId)
                            .col(Mentions::MessageId),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(Mentions::Table, Mentions::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(Mentions::Table, Mentions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        // A page of history reads its messages' mentions by this range; a
        // deleted message finds its mentions by it too.
        manager
            .create_index(
                Index::create()
                    .name("idx_mentions_message")
                    .table(Mentions::Table)
                    .col(Mentions::ConversationId)
                    .col(Mentions::MessageId)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE memberships SET notify = 'mentions'
                 WHERE notify = 'all' AND conversation_id IN
                   (SELECT id FROM conversations WHERE kind = 'room')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Mentions::Table).to_owned())
            .await
    }
}
