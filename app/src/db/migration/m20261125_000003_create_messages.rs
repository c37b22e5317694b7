use sea_orm_migration::{prelude::*, schema::*};

use super::m20261125_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    SenderId,
    RecipientId,
    PairLo,
    PairHi,
    Body,
    ClientId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    UserId,
    PeerId,
    LastMessageId,
    LastReadId,
}

fn fk(col: Messages) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(Messages::Table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Messages::Id))
                    .col(integer(Messages::SenderId))
                    .col(integer(Messages::RecipientId))
                    .col(integer(Messages::PairLo))
                    .col(integer(Messages::PairHi))
                    .col(text(Messages::Body))
                    .col(string_len(Messages::ClientId, 64))
                    .col(big_integer(Messages::CreatedAt))
                    .foreign_key(&mut fk(Messages::SenderId))
                    .foreign_key(&mut fk(Messages::RecipientId))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            (
                "idx_messages_pair_id",
                vec![Messages::PairLo, Messages::PairHi, Messages::Id],
                false,
            ),
            (
                "idx_messages_sender_client",
                vec![Messages::SenderId, Messages::ClientId],
                true,
            ),
            (
                "idx_messages_recipient_sender_id",
                vec![Messages::RecipientId, Messages::SenderId, Messages::Id],
                false,
            ),
            (
                "idx_messages_sender_id",
                vec![Messages::SenderId, Messages::Id],
                false,
            ),
        ];
        for (name, cols, unique) in indexes {
            let mut index = Index::create();
            index.name(name).table(Messages::Table);
            for col in cols {
                index.col(col);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .if_not_exists()
                    .col(integer(Conversations::UserId))
                    .col(integer(Conversations::PeerId))
                    .col(big_integer(Conversations::LastMessageId))
                    .col(big_integer(Conversations::LastReadId))
                    .primary_key(
                        Index::create()
                            .col(Conversations::UserId)
                            .col(Conversations::PeerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversations::Table, Conversations::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Conversations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Messages::Table).to_owned())
            .await
    }
}
