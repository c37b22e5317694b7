//! The database: connecting (SQLite by default), entities and migrations.
//!
//! Server-only. Every query elsewhere takes `&DatabaseConnection` explicitly;
//! there is no global pool.

pub mod checkpoint;
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
/// keys enforced and temporary storage in memory. Migrations run under a
/// lock file beside the database, so processes started together on one
/// database never race to apply the same migration.
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
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                // Statement journals (a multi-row INSERT or UPDATE inside a
                // transaction keeps one) stay in memory instead of a temp
                // file written on every batch.
                .pragma("temp_store", "memory")
        });
    }
    let db = Database::connect(opts).await?;
    // Processes starting together on one database migrate one at a time:
    // the first applies what is missing, the others then find nothing to do.
    let _migrating = match sqlite_file(url) {
        Some(path) => Some(lock_beside(path).await?),
        None => None,
    };
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // One connection holds a session-level advisory lock while the
        // migrations run (on the pool's connections).
        let lock = Database::connect(
            ConnectOptions::new(url.to_owned())
                .max_connections(1)
                .to_owned(),
        )
        .await?;
        use sea_orm::ConnectionTrait;
        lock.execute_unprepared("SELECT pg_advisory_lock(7358201)")
            .await?;
        let migrated = migration::Migrator::up(&db, None).await;
        lock.execute_unprepared("SELECT pg_advisory_unlock(7358201)")
            .await?;
        lock.close().await?;
        migrated?;
        return Ok(db);
    }
    migration::Migrator::up(&db, None).await?;
    Ok(db)
}

/// How long an SQLite connection waits for another's write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The file of `db` when it is an SQLite database in a file (`None`: in
/// memory, or another database).
pub fn sqlite_path(db: &DatabaseConnection) -> Option<std::path::PathBuf> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        return None;
    }
    let path = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_owned();
    path.is_file().then_some(path)
}

/// A connection of its own for the message writer (`chat::writer`), to the
/// SQLite file at `path`, with the same settings as the pool's connections
/// (`connect_and_migrate`): WAL, `synchronous = FULL`, foreign keys, the
/// busy timeout, temporary storage in memory. The schema must be migrated.
pub fn open_sqlite_writer(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
    let _: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
    conn.pragma_update(None, "synchronous", "full")?;
    conn.pragma_update(None, "foreign_keys", "on")?;
    conn.pragma_update(None, "temp_store", "memory")?;
    // The writer's statements: its own few, and the session and membership
    // checks, whose text changes with the number of values in the batch.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// The file of a `sqlite:` URL (`None`: in memory, or another database).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| path.into())
}

/// Takes an exclusive lock on `<database>.migrate-lock`, waiting for any
/// other process holding it; released when the returned file is dropped.
async fn lock_beside(database: std::path::PathBuf) -> Result<std::fs::File, DbErr> {
    let mut name = database.into_os_string();
    name.push(".migrate-lock");
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&name)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| DbErr::Custom(format!("migration lock: {e}")))?
    .map_err(|e| DbErr::Custom(format!("migration lock: {e}")))
}

/// Starts a transaction that will write. On SQLite it takes the write lock at
/// `BEGIN` (`BEGIN IMMEDIATE`), waiting up to the busy timeout for it: a
/// transaction that read first and tried to write later could instead fail at
/// once with "database is locked" if another connection wrote in between.
/// Other databases start an ordinary transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let asked = std::time::Instant::now();
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    crate::metrics::metrics()
        .db_write_wait_seconds
        .observe(asked.elapsed().as_secs_f64());
    Ok(txn)
}

/// Connections in the pool, and how many are idle.
pub fn pool_state(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    }
}

/// The `n`th (1-based) bind parameter in hand-written SQL: `$n` on
/// PostgreSQL, `?` elsewhere. The few statements SeaORM's builder cannot
/// express use it; this module is where backends differ.
pub fn placeholder(db: &DatabaseConnection, n: usize) -> String {
    placeholder_in(db.get_database_backend(), n)
}

/// `placeholder` for a backend (inside a transaction).
pub fn placeholder_in(backend: sea_orm::DatabaseBackend, n: usize) -> String {
    match backend {
        sea_orm::DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// After rows were inserted with explicit ids (`migrate-data`): moves
/// PostgreSQL's id sequences of `tables` past their largest id, so new rows
/// get new ids. SQLite needs nothing (its next id is the largest plus one).
pub async fn move_sequences_past_ids<C: sea_orm::ConnectionTrait>(
    db: &C,
    tables: &[&str],
) -> Result<(), DbErr> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    for table in tables {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
        ))
        .await?;
    }
    Ok(())
}

/// `SUM(column)` as a 64-bit integer on every backend (PostgreSQL sums a
/// `BIGINT` column to `NUMERIC`).
pub fn sum(column: impl sea_orm::sea_query::IntoColumnRef) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    sea_orm::sea_query::Expr::col(column)
        .sum()
        .cast_as(sea_orm::sea_query::Alias::new("BIGINT"))
}

/// `column` contains `text` (`%`, `_` and `\` in it matched literally),
/// ignoring the case of ASCII letters: the same matches on SQLite and on
/// PostgreSQL. Other letters match exactly on both (SQLite's `LOWER` and
/// `LIKE` fold ASCII only; PostgreSQL's `LOWER` under the "C" collation
/// too).
pub fn contains_ignoring_case(
    backend: sea_orm::DatabaseBackend,
    column: impl sea_orm::sea_query::IntoColumnRef,
    text: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let escaped = text
        .to_ascii_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = LikeExpr::new(format!("%{escaped}%")).escape('\\');
    let column = Expr::col(column);
    let lowered = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            Expr::cust_with_expr(r#"LOWER($1 COLLATE "C")"#, column)
        }
        _ => Func::lower(column).into(),
    };
    lowered.like(pattern)
}

/// Whether `err` is PostgreSQL refusing a NUL character in text (SQLite
/// stores it).
pub fn is_nul_in_text(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    matches!(&**e, sqlx::Error::Database(d) if d.code().as_deref() == Some("22021"))
}

/// Milliseconds since the Unix epoch: the one timestamp format in the schema and
/// on the wire (portable across SQLite and PostgreSQL, trivial in JavaScript).
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{contains_ignoring_case, sqlite_file};
    use crate::db::entities::user;
    use sea_orm::{DbBackend, EntityTrait, QueryFilter, QueryTrait};

    #[test]
    fn contains_matches_wildcards_literally_and_folds_ascii_on_both_backends() {
        let sql = |backend| {
            user::Entity::find()
                .filter(contains_ignoring_case(
                    backend,
                    user::Column::Email,
                    "50%_OFF\\",
                ))
                .build(backend)
                .to_string()
        };
        let sqlite = sql(DbBackend::Sqlite);
        assert!(
            sqlite.contains(r#"LOWER("email") LIKE '%50\%\_off\\%' ESCAPE '\'"#),
            "{sqlite}"
        );
        let postgres = sql(DbBackend::Postgres);
        assert!(
            postgres.contains(r#"(LOWER("email" COLLATE "C")) LIKE E'%50\\%\\_off\\\\%'"#),
            "{postgres}"
        );
    }

    #[test]
    fn the_lock_goes_beside_a_database_file_only() {
        assert_eq!(
            sqlite_file("sqlite://data/kanect.db?mode=rwc"),
            Some("data/kanect.db".into())
        );
        assert_eq!(sqlite_file("sqlite:/var/k.db"), Some("/var/k.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://db/kanect"), None);
    }
}
