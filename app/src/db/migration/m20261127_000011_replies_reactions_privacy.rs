//! Replies, reactions and what people share:
//! - `messages.reply_to_id`: the message a reply quotes (no foreign key: a
//!   quoted message an admin removed shows as deleted, and the reply stays);
//! - `reactions`: one row per (message, person, emoji), so adding one twice
//!   is one row and concurrent reactions each land once; read by a page of
//!   history through `(conversation_id, message_id)`;
//! - `users.share_typing` and `users.share_receipts`: whether others see
//!   that this person is typing, and how far they have read (both on).

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261125_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ReplyToId,
}

#[derive(DeriveIden)]
enum Reactions {
    Table,
    MessageId,
    UserId,
    Emoji,
    ConversationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Privacy {
    ShareTyping,
    ShareReceipts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(big_integer_null(Messages::ReplyToId))
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for col in [Privacy::ShareTyping, Privacy::ShareReceipts] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(boolean(col).default(true))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Reactions::Table)
                    .col(big_integer(Reactions::MessageId))
                    .col(integer(Reactions::UserId))
                    .col(string_len(Reactions::Emoji, 64))
                    .col(integer(Reactions::ConversationId))
                    .col(big_integer(Reactions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Reactions::MessageId)
                            .col(Reactions::UserId)
                            .col(Reactions::Emoji),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(Reactions::Table, Reactions::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(Reactions::Table, Reactions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reactions_page")
                    .table(Reactions::Table)
                    .col(Reactions::ConversationId)
                    .col(Reactions::MessageId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Reactions::Table).to_owned())
            .await?;
        for col in [Privacy::ShareTyping, Privacy::ShareReceipts] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(Messages::ReplyToId)
                    .to_owned(),
            )
            .await
    }
}
