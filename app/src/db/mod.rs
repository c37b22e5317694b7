//! The database: connecting (SQLite by default), entities and migrations.
//!
//! Server-only. Every query elsewhere takes `&DatabaseConnection` explicitly;
//! there is no global pool.

pub mod entities;
pub mod migration;

use std::time::Duration;

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

/// Opens the database at `url` and brings its schema up to date.
///
/// For SQLite the file is created when missing, with WAL journaling (readers
/// never wait for the writer), `synchronous = FULL` (every commit is fsynced
/// before it returns, so an acknowledged message survives a power cut; the
/// message writer's group commit pays that fsync once per batch), foreign
/// keys enforced and temporary storage in memory.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(8)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        opts.map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Statement journals (a multi-row INSERT or UPDATE inside a
                // transaction keeps one) stay in memory instead of a temp
                // file written on every batch.
                .pragma("temp_store", "memory")
        });
    }
    let db = Database::connect(opts).await?;
    migration::Migrator::up(&db, None).await?;
    Ok(db)
}

/// Starts a transaction that will write. On SQLite it takes the write lock at
/// `BEGIN` (`BEGIN IMMEDIATE`), waiting up to the busy timeout for it: a
/// transaction that read first and tried to write later could instead fail at
/// once with "database is locked" if another connection wrote in between.
/// Other databases start an ordinary transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The `n`th (1-based) bind parameter in hand-written SQL: `$n` on
/// PostgreSQL, `?` elsewhere. The few statements SeaORM's builder cannot
/// express use it; this module is where backends differ.
pub fn placeholder(db: &DatabaseConnection, n: usize) -> String {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// Milliseconds since the Unix epoch: the one timestamp format in the schema and
/// on the wire (portable across SQLite and PostgreSQL, trivial in JavaScript).
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
