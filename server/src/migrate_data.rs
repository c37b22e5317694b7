//! `kanect-server migrate-data --from <url> --to <url>`: copies a whole
//! installation from one database to another — the upgrade path from SQLite
//! to PostgreSQL.
//!
//! Both databases are brought to the current schema first (the source as
//! starting the server would). The target must hold no users and no
//! messages. Every table is copied in an order that satisfies its foreign
//! keys, in pages, keeping every id; sessions only with `--sessions` (without
//! them everyone logs in again). Then PostgreSQL's id sequences are moved
//! past the copied ids, the event counter is carried over, and each table's
//! row count is compared with the source's — all in one transaction on the
//! target, so a failed or mismatched copy leaves it empty. Stop the server
//! first: rows written to the source during the copy would be missed.
//! Attachments' metadata is copied; their files stay where `data_dir`
//! keeps them.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, Iterable, PaginatorTrait, PrimaryKeyToColumn, QueryOrder, TransactionTrait,
};

use app::db::{self, entities::*};

/// Rows per page read and per insert.
const PAGE: u64 = 500;

/// What was copied: (table, rows).
pub type Copied = Vec<(String, u64)>;

pub async fn run(from: &str, to: &str, sessions: bool) -> Result<Copied, String> {
    let source = db::connect_and_migrate(from)
        .await
        .map_err(|e| format!("--from {from}: {e}"))?;
    let target = db::connect_and_migrate(to)
        .await
        .map_err(|e| format!("--to {to}: {e}"))?;
    let users = user::Entity::find().count(&target).await.map_err(err)?;
    let messages = message::Entity::find().count(&target).await.map_err(err)?;
    if users + messages > 0 {
        return Err(format!(
            "--to {to}: the target already holds {users} users and {messages} messages; copy into an empty database"
        ));
    }
    let txn = target.begin().await.map_err(err)?;
    let mut copied = Copied::new();
    copy::<user::Entity>(&source, &txn, &mut copied).await?;
    copy::<site_setting::Entity>(&source, &txn, &mut copied).await?;
    if sessions {
        copy::<session::Entity>(&source, &txn, &mut copied).await?;
    }
    copy::<session_end::Entity>(&source, &txn, &mut copied).await?;
    copy::<conversation::Entity>(&source, &txn, &mut copied).await?;
    copy::<membership::Entity>(&source, &txn, &mut copied).await?;
    copy::<message::Entity>(&source, &txn, &mut copied).await?;
    copy::<mention::Entity>(&source, &txn, &mut copied).await?;
    copy::<reaction::Entity>(&source, &txn, &mut copied).await?;
    copy::<upload::Entity>(&source, &txn, &mut copied).await?;
    copy::<audit::Entity>(&source, &txn, &mut copied).await?;
    copy::<event::Entity>(&source, &txn, &mut copied).await?;
    let last = app::events::log::current(&source).await.map_err(err)?;
    // An integer read from the source: safe to write into the statement.
    txn.execute_unprepared(&format!(
        "UPDATE event_counter SET last = {last} WHERE id = 1"
    ))
    .await
    .map_err(err)?;
    copied.push(("event_counter".into(), 1));
    db::move_sequences_past_ids(
        &txn,
        &[
            "users",
            "session_ends",
            "conversations",
            "messages",
            "audit_log",
        ],
    )
    .await
    .map_err(err)?;
    txn.commit().await.map_err(err)?;
    Ok(copied)
}

fn err(e: DbErr) -> String {
    e.to_string()
}

/// Copies every row of `E`, oldest key first, and checks the count.
async fn copy<E>(
    source: &DatabaseConnection,
    target: &DatabaseTransaction,
    copied: &mut Copied,
) -> Result<(), String>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let table = E::default().table_name().to_owned();
    let fail = |e: DbErr| format!("copying {table}: {e}");
    let mut query = E::find();
    for key in E::PrimaryKey::iter() {
        query = query.order_by_asc(key.into_column());
    }
    let mut pages = query.paginate(source, PAGE);
    let mut rows = 0u64;
    while let Some(page) = pages.fetch_and_next().await.map_err(fail)? {
        rows += page.len() as u64;
        // `reset_all`: every column is written, ids included.
        let page = page.into_iter().map(|m| m.into_active_model().reset_all());
        E::insert_many(page)
            .exec_without_returning(target)
            .await
            .map_err(fail)?;
    }
    let there = E::find().count(target).await.map_err(fail)?;
    let here = E::find().count(source).await.map_err(fail)?;
    if there != rows || here != rows {
        return Err(format!(
            "{table}: read {rows} rows, the source now has {here} and the target {there}; nothing was copied (is a server still writing to the source?)"
        ));
    }
    copied.push((table, rows));
    Ok(())
}
