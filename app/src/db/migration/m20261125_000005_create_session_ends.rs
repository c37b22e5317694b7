use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SessionEnds {
    Table,
    Id,
    SessionId,
    UserId,
    EndedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SessionEnds::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SessionEnds::Id))
                    .col(string_len_null(SessionEnds::SessionId, 64))
                    .col(integer_null(SessionEnds::UserId))
                    .col(big_integer(SessionEnds::EndedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_session_ends_ended_at")
                    .table(SessionEnds::Table)
                    .col(SessionEnds::EndedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SessionEnds::Table).to_owned())
            .await
    }
}
