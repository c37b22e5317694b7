//! From pairs of people to conversations with members, and the event log.
//!
//! - `conversations`: a direct conversation (two people; `direct_lo`/`direct_hi`
//!   hold their ids, smaller first, unique) or a room (name, topic, public or
//!   private, archived or not).
//! - `memberships`: who belongs to a conversation, their role, read marker,
//!   notification level and when they joined.
//! - `messages` is rebuilt keyed by `conversation_id` (same ids, bodies,
//!   client ids and times), with `kind` telling a person's text from a system
//!   line ("Amy joined").
//! - `events`: every change a client shows, numbered by `event_counter` (see
//!   `events::log` for why the numbers are gap-free and commit in order).
//!
//! Existing data is carried over: every pair that exchanged messages becomes a
//! direct conversation, and both people's read markers become their
//! memberships' — so unread counts are what they were.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261125_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Conversations {
    Table,
    Id,
    Kind,
    Name,
    Topic,
    IsPublic,
    DirectLo,
    DirectHi,
    CreatedBy,
    CreatedAt,
    ArchivedAt,
    LastMessageId,
}

#[derive(DeriveIden)]
pub enum Memberships {
    Table,
    ConversationId,
    UserId,
    Role,
    LastReadId,
    Notify,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ConversationId,
    SenderId,
    Kind,
    Body,
    ClientId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    ConversationId,
    UserId,
    Frame,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventCounter {
    Table,
    Id,
    Last,
}

fn to_user(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table.into_iden(), col.into_iden())
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // The old per-person summary rows keep their data until it is copied.
        db.execute_unprepared("ALTER TABLE conversations RENAME TO pair_reads_v1")
            .await?;
        db.execute_unprepared("ALTER TABLE messages RENAME TO messages_v1")
            .await?;
        for old in [
            "idx_messages_pair_id",
            "idx_messages_sender_client",
            "idx_messages_recipient_sender_id",
            "idx_messages_sender_id",
            "idx_messages_recipient_id",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(old)
                        .table(Alias::new("messages_v1"))
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .col(pk_auto(Conversations::Id))
                    .col(string_len(Conversations::Kind, 8))
                    .col(string_len_null(Conversations::Name, 80))
                    .col(string_len_null(Conversations::Topic, 250))
                    .col(boolean(Conversations::IsPublic).default(false))
                    .col(integer_null(Conversations::DirectLo))
                    .col(integer_null(Conversations::DirectHi))
                    .col(integer_null(Conversations::CreatedBy))
                    .col(big_integer(Conversations::CreatedAt))
                    .col(big_integer_null(Conversations::ArchivedAt))
                    .col(big_integer(Conversations::LastMessageId).default(0))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(Conversations::Table, Conversations::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_conversations_direct",
                Conversations::Table,
                vec![
                    Conversations::DirectLo.into_iden(),
                    Conversations::DirectHi.into_iden(),
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_conversations_kind_public",
                Conversations::Table,
                vec![
                    Conversations::Kind.into_iden(),
                    Conversations::IsPublic.into_iden(),
                ],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(integer(Memberships::ConversationId))
                    .col(integer(Memberships::UserId))
                    .col(string_len(Memberships::Role, 8))
                    .col(big_integer(Memberships::LastReadId).default(0))
                    .col(string_len(Memberships::Notify, 8))
                    .col(big_integer(Memberships::JoinedAt))
                    .primary_key(
                        Index::create()
                            .col(Memberships::ConversationId)
                            .col(Memberships::UserId),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(Memberships::Table, Memberships::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut to_user(Memberships::Table, Memberships::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_memberships_user",
                Memberships::Table,
                vec![
                    Memberships::UserId.into_iden(),
                    Memberships::ConversationId.into_iden(),
                ],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(big_pk_auto(Messages::Id))
                    .col(integer(Messages::ConversationId))
                    .col(integer(Messages::SenderId))
                    .col(string_len(Messages::Kind, 8).default("text"))
                    .col(text(Messages::Body))
                    .col(string_len(Messages::ClientId, 64))
                    .col(big_integer(Messages::CreatedAt))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(Messages::Table, Messages::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut to_user(Messages::Table, Messages::SenderId))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "idx_messages_conversation_id",
                vec![
                    Messages::ConversationId.into_iden(),
                    Messages::Id.into_iden(),
                ],
                false,
            ),
            (
                "idx_messages_sender_client",
                vec![
                    Messages::SenderId.into_iden(),
                    Messages::ClientId.into_iden(),
                ],
                true,
            ),
            (
                "idx_messages_sender_id",
                vec![Messages::SenderId.into_iden(), Messages::Id.into_iden()],
                false,
            ),
        ] {
            manager
                .create_index(index(name, Messages::Table, cols, unique))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_integer(Events::Id).primary_key())
                    .col(integer_null(Events::ConversationId))
                    .col(integer_null(Events::UserId))
                    .col(text(Events::Frame))
                    .col(big_integer(Events::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_events_conversation_id", Events::ConversationId),
            ("idx_events_user_id", Events::UserId),
        ] {
            manager
                .create_index(index(
                    name,
                    Events::Table,
                    vec![col.into_iden(), Events::Id.into_iden()],
                    false,
                ))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(EventCounter::Table)
                    .col(integer(EventCounter::Id).primary_key())
                    .col(big_integer(EventCounter::Last))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("INSERT INTO event_counter (id, last) VALUES (1, 0)")
            .await?;

        // Every pair that talked becomes a direct conversation ...
        db.execute_unprepared(
            "INSERT INTO conversations (kind, is_public, direct_lo, direct_hi, created_at, last_message_id)
             SELECT 'direct', FALSE, pair_lo, pair_hi, MIN(created_at), MAX(id)
             FROM messages_v1 GROUP BY pair_lo, pair_hi",
        )
        .await?;
        // ... both people are its members, with the read markers they had ...
        db.execute_unprepared(
            "INSERT INTO memberships (conversation_id, user_id, role, last_read_id, notify, joined_at)
             SELECT c.id, p.user_id, 'member', p.last_read_id, 'all', c.created_at
             FROM pair_reads_v1 p
             JOIN conversations c
               ON c.direct_lo = CASE WHEN p.user_id < p.peer_id THEN p.user_id ELSE p.peer_id END
              AND c.direct_hi = CASE WHEN p.user_id < p.peer_id THEN p.peer_id ELSE p.user_id END",
        )
        .await?;
        // ... and its messages keep their ids.
        db.execute_unprepared(
            "INSERT INTO messages (id, conversation_id, sender_id, kind, body, client_id, created_at)
             SELECT m.id, c.id, m.sender_id, 'text', m.body, m.client_id, m.created_at
             FROM messages_v1 m
             JOIN conversations c ON c.direct_lo = m.pair_lo AND c.direct_hi = m.pair_hi
             ORDER BY m.id",
        )
        .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('messages', 'id'),
                               COALESCE((SELECT MAX(id) FROM messages), 0) + 1, false)",
            )
            .await?;
        }
        manager
            .drop_table(Table::drop().table(Alias::new("messages_v1")).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Alias::new("pair_reads_v1")).to_owned())
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Rooms cannot be expressed as pairs: there is no way back that keeps
        // them. Restore a backup taken before upgrading instead.
        Err(DbErr::Migration(
            "conversations cannot be turned back into pairs; restore a backup".into(),
        ))
    }
}
