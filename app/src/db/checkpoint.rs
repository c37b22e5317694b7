//! Checkpoints of the SQLite write-ahead log, off the message writer's
//! thread.
//!
//! SQLite copies the WAL back into the database file (a checkpoint) inside
//! the commit that takes the WAL past 1,000 pages, on the committing
//! connection. For the message writer (`chat::writer`) that is the one thread
//! every send waits on: the copy and the database file's fsync would sit in
//! the middle of the sends' commits. So the writer's connection reports the
//! WAL's size after each of its commits instead (a WAL hook, `attach`), and
//! each time it has grown by `WAKE_PAGES` the writer wakes a thread of its own
//! (`kanect-checkpoint`, `Checkpointer`), which runs a passive checkpoint on
//! its own connection while the writer goes on committing. A passive
//! checkpoint never waits for a reader or a writer; the next write after a
//! complete one starts the WAL over from its beginning.
//!
//! The WAL can only start over from its beginning when every frame in it
//! has been copied back at the moment a write begins, and under a steady
//! stream of sends the thread is never quite there: new commits land while
//! it copies. So once the WAL passes `INLINE_PAGES`, the writer finishes the
//! checkpoint itself after its commit — copying back only the few frames the
//! thread has not yet — and the next write starts the WAL over. That also
//! bounds the WAL if the thread falls behind. The pool's connections keep
//! SQLite's own automatic checkpoint.

use std::{
    cell::Cell,
    path::Path,
    sync::{
        Arc, Condvar, Mutex,
        mpsc::{Receiver, SyncSender, TrySendError, sync_channel},
    },
};

use rusqlite::{
    Connection,
    hooks::{CheckpointMode, Wal},
};

/// WAL pages after which the checkpointer is woken (SQLite's own
/// automatic checkpoint starts at the same size).
pub const WAKE_PAGES: i32 = 1_000;
/// WAL pages after which the writer finishes the checkpoint itself, so the
/// WAL starts over (4 × SQLite's automatic checkpoint size: 16 MB of 4 KB
/// pages).
pub const INLINE_PAGES: i32 = 4 * WAKE_PAGES;

thread_local! {
    /// The WAL's size in pages after the last commit on this thread's
    /// hooked connection (one writer connection per thread).
    static WAL_PAGES: Cell<i32> = const { Cell::new(0) };
}

/// The thread that checkpoints for one writer connection. Dropping it stops
/// the thread (after a checkpoint it is running).
pub struct Checkpointer {
    wake: SyncSender<()>,
    done: Arc<Done>,
    thread: std::thread::JoinHandle<()>,
    /// The WAL's size at the last wake-up (pages).
    woken_at: Cell<i32>,
}

/// Checkpoints completed by the thread, to wait on.
#[derive(Default)]
struct Done {
    count: Mutex<u64>,
    changed: Condvar,
}

impl Checkpointer {
    /// Hands `conn`'s checkpoints to a new thread with a connection of its
    /// own to the same file (`open`). `Err` (why): that connection or the
    /// thread did not start; `conn` then keeps SQLite's automatic checkpoint.
    pub fn attach(
        conn: &Connection,
        path: &Path,
        open: impl FnOnce(&Path) -> rusqlite::Result<Connection>,
    ) -> Result<Self, String> {
        let own = open(path).map_err(|e| format!("the checkpoint connection: {e}"))?;
        let (wake, woken) = sync_channel(1);
        let done = Arc::new(Done::default());
        let counted = done.clone();
        let thread = std::thread::Builder::new()
            .name("kanect-checkpoint".into())
            .spawn(move || run(&own, &woken, &counted))
            .map_err(|e| format!("the checkpoint thread: {e}"))?;
        // Replaces SQLite's automatic checkpoint on this connection.
        conn.wal_hook(Some(after_commit_hook));
        Ok(Self {
            wake,
            done,
            thread,
            woken_at: Cell::new(0),
        })
    }

    /// Stops the thread after the checkpoints it was woken for; how many it
    /// completed in all.
    pub fn stop(self) -> u64 {
        drop(self.wake);
        let _ = self.thread.join();
        *self.done.count.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until more than `seen` checkpoints completed, at most `limit`;
    /// whether they did. (For tests: the writer never waits on the thread.)
    #[cfg(test)]
    fn wait_past(&self, seen: u64, limit: std::time::Duration) -> bool {
        let count = self.done.count.lock().unwrap_or_else(|e| e.into_inner());
        let (count, _) = self
            .done
            .changed
            .wait_timeout_while(count, limit, |n| *n <= seen)
            .unwrap_or_else(|e| e.into_inner());
        *count > seen
    }

    /// Call after each commit on the hooked connection, from its thread:
    /// wakes the checkpointer each time the WAL has grown by `WAKE_PAGES`
    /// since the last wake-up (or since it started over).
    pub fn after_commit(&self) {
        let (wake, woken_at) = wake_at(WAL_PAGES.with(Cell::get), self.woken_at.get());
        self.woken_at.set(woken_at);
        if !wake {
            return;
        }
        match self.wake.try_send(()) {
            // Full: a wake-up is already waiting, and the checkpoint it
            // starts covers this commit too.
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => {
                tracing::error!("the checkpoint thread stopped; the writer checkpoints itself");
            }
        }
    }
}

/// Whether a WAL of `pages` wakes the checkpointer, last woken at
/// `woken_at` pages, and the size to remember. A WAL smaller than at the
/// last wake-up has started over.
fn wake_at(pages: i32, woken_at: i32) -> (bool, i32) {
    let woken_at = if pages < woken_at { 0 } else { woken_at };
    if pages - woken_at >= WAKE_PAGES {
        (true, pages)
    } else {
        (false, woken_at)
    }
}

/// SQLite's WAL hook on the writer's connection: records the WAL's size for
/// `after_commit`, and past `INLINE_PAGES` finishes the checkpoint inline.
///
/// Never an error: the commit has happened whatever this returns, and an
/// error here would make it look failed.
fn after_commit_hook(wal: &Wal, pages: std::ffi::c_int) -> rusqlite::Result<()> {
    WAL_PAGES.with(|p| p.set(pages));
    if pages >= INLINE_PAGES {
        match wal.checkpoint_v2(CheckpointMode::PASSIVE) {
            Ok(_) => crate::metrics::checkpoint("writer"),
            // The thread is checkpointing right now: the next commit tries
            // again.
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {}
            Err(e) => tracing::warn!(error = %e, "a WAL checkpoint on the writer's thread failed"),
        }
    }
    Ok(())
}

/// The checkpoint thread: one passive checkpoint per wake-up, until the
/// writer's `Checkpointer` is dropped.
fn run(conn: &Connection, woken: &Receiver<()>, done: &Done) {
    while woken.recv().is_ok() {
        match passive(conn) {
            Ok(_) => crate::metrics::checkpoint("checkpointer"),
            Err(e) => tracing::warn!(error = %e, "a WAL checkpoint failed"),
        }
        *done.count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        done.changed.notify_all();
    }
}

/// A passive checkpoint: `(frames in the WAL, frames copied back)`.
pub fn passive(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
}

#[cfg(test)]
mod tests {
    use std::{path::Path, time::Duration};

    use super::{Checkpointer, INLINE_PAGES, WAKE_PAGES, passive, wake_at};
    use crate::db::open_sqlite_writer;

    /// A WAL database at `path` with one table, and the writer's connection
    /// to it with a checkpointer attached.
    fn hooked(path: &Path) -> (rusqlite::Connection, Checkpointer) {
        rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch("PRAGMA journal_mode = wal; CREATE TABLE filler (b BLOB);")
            .unwrap();
        let conn = open_sqlite_writer(path).unwrap();
        let checkpointer = Checkpointer::attach(&conn, path, open_sqlite_writer).unwrap();
        (conn, checkpointer)
    }

    /// Writes about `pages` pages, 25 to a transaction.
    fn write(conn: &rusqlite::Connection, pages: i32) {
        for _ in 0..pages / 25 {
            conn.execute_batch(
                "BEGIN;
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25)
                 INSERT INTO filler SELECT randomblob(4000) FROM n;
                 COMMIT;",
            )
            .unwrap();
        }
    }

    /// The writer's connection does not checkpoint on its own: its WAL
    /// grows past SQLite's automatic checkpoint size until the checkpoint
    /// thread is woken, which then copies all of it back.
    #[test]
    fn the_checkpoint_runs_on_its_own_thread_when_woken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kanect.db");
        let (conn, checkpointer) = hooked(&path);

        write(&conn, 2 * WAKE_PAGES);
        let wal = std::fs::metadata(dir.path().join("kanect.db-wal"))
            .unwrap()
            .len();
        assert!(
            wal > 2 * u64::try_from(WAKE_PAGES).unwrap() * 4096,
            "nothing checkpointed yet, so the WAL holds every write: {wal} bytes"
        );

        checkpointer.after_commit();
        assert!(checkpointer.wait_past(0, Duration::from_secs(60)));
        // Another connection finds nothing left to copy.
        let (frames, copied) = passive(&open_sqlite_writer(&path).unwrap()).unwrap();
        assert!(frames >= i64::from(2 * WAKE_PAGES), "{frames} frames");
        assert_eq!(copied, frames, "every frame is in the database file");
        assert_eq!(checkpointer.stop(), 1);
    }

    /// Below `WAKE_PAGES`, a commit does not wake the thread.
    #[test]
    fn a_small_wal_is_left_to_grow() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kanect.db");
        let (conn, checkpointer) = hooked(&path);
        write(&conn, WAKE_PAGES / 2);
        checkpointer.after_commit();
        // `stop` waits for every checkpoint the thread was woken for.
        assert_eq!(checkpointer.stop(), 0);
    }

    /// Past `INLINE_PAGES` the writer finishes the checkpoint itself, and
    /// the WAL starts over: it never grows much past that size, woken
    /// thread or not.
    #[test]
    fn past_the_inline_size_the_wal_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kanect.db");
        let (conn, checkpointer) = hooked(&path);
        write(&conn, INLINE_PAGES + WAKE_PAGES);
        let wal = std::fs::metadata(dir.path().join("kanect.db-wal"))
            .unwrap()
            .len();
        let frame = 4096 + 24;
        assert!(
            wal < u64::try_from(INLINE_PAGES + 100).unwrap() * frame,
            "the WAL started over after {INLINE_PAGES} pages: {wal} bytes"
        );
        assert_eq!(checkpointer.stop(), 0);
    }

    /// One wake-up per `WAKE_PAGES` of growth, not one per commit past it;
    /// a WAL that started over counts from its beginning.
    #[test]
    fn the_checkpointer_is_woken_once_per_wake_pages_of_growth() {
        assert_eq!(wake_at(999, 0), (false, 0));
        assert_eq!(wake_at(1_000, 0), (true, 1_000));
        assert_eq!(wake_at(1_030, 1_000), (false, 1_000));
        assert_eq!(wake_at(1_999, 1_000), (false, 1_000));
        assert_eq!(wake_at(2_000, 1_000), (true, 2_000));
        // Started over: 40 pages is less than at the last wake-up.
        assert_eq!(wake_at(40, 2_000), (false, 0));
        assert_eq!(wake_at(1_040, 0), (true, 1_040));
    }
}
