//! `uploads`: files people attach to messages. A row is made when the file
//! has been received (bound to its uploader and conversation) and gets its
//! `message_id` when the message carrying it is stored; rows still without
//! one after a while are abandoned uploads, removed by the cleanup. The
//! bytes live in the blob store under their SHA-256 (`sha256`, and
//! `thumb_sha256` for an image's thumbnail), so a file uploaded twice is
//! stored once. `id` is random and unguessable; access is still checked by
//! membership of the conversation.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261125_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    UploaderId,
    ConversationId,
    MessageId,
    Name,
    Size,
    Mime,
    Sha256,
    ThumbSha256,
    Width,
    Height,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Uploads::Table)
                    .col(string_len(Uploads::Id, 32).primary_key())
                    .col(integer(Uploads::UploaderId))
                    .col(integer(Uploads::ConversationId))
                    .col(big_integer_null(Uploads::MessageId))
                    .col(string_len(Uploads::Name, 255))
                    .col(big_integer(Uploads::Size))
                    .col(string_len(Uploads::Mime, 127))
                    .col(string_len(Uploads::Sha256, 64))
                    .col(string_len_null(Uploads::ThumbSha256, 64))
                    .col(integer_null(Uploads::Width))
                    .col(integer_null(Uploads::Height))
                    .col(big_integer(Uploads::CreatedAt))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(Uploads::Table, Uploads::UploaderId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        // A page of history reads its messages' files by this range.
        for (name, cols) in [
            (
                "idx_uploads_message",
                vec![Uploads::ConversationId, Uploads::MessageId],
            ),
            // Quota sums, and the admin's storage per person.
            ("idx_uploads_uploader", vec![Uploads::UploaderId]),
            // Is a blob still used?
            ("idx_uploads_sha256", vec![Uploads::Sha256]),
            ("idx_uploads_thumb", vec![Uploads::ThumbSha256]),
            // Abandoned uploads, oldest first.
            ("idx_uploads_created", vec![Uploads::CreatedAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Uploads::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Uploads::Table).to_owned())
            .await
    }
}
