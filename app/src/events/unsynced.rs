//! Event ids that are committed but not yet on disk.
//!
//! On SQLite the writer's own connection commits without waiting for the
//! disk, and a thread of its own syncs the WAL before anyone is answered or
//! an event is published (`chat::writer`, its syncer). In between (under a
//! millisecond) the batch can be read. `log::current`, the cursor a client
//! is handed, stops short of it, so no client ever holds an event id that a
//! power cut could take back (ids would then be given out again, to other
//! events, which that client would skip).

use std::{
    collections::{HashMap, VecDeque},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use sea_orm::DatabaseConnection;

/// The first event id of each batch committed to one database file and not
/// yet synced, oldest first.
#[derive(Default)]
pub struct Held(Mutex<VecDeque<i64>>);

impl Held {
    fn list(&self) -> std::sync::MutexGuard<'_, VecDeque<i64>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A batch whose first event id is `first` is about to commit without
    /// waiting for its sync. Call before the commit.
    pub fn hold(&self, first: i64) {
        self.list().push_back(first);
    }

    /// The commit of the newest held batch failed: it holds nothing.
    pub fn unhold_newest(&self) {
        self.list().pop_back();
    }

    /// The oldest held batch is on disk.
    pub fn release_oldest(&self) {
        self.list().pop_front();
    }

    /// The highest id a client may be handed when the log's newest
    /// committed id is `last`: below every held batch.
    pub fn bound(&self, last: i64) -> i64 {
        self.list()
            .front()
            .map_or(last, |first| last.min(first - 1))
    }
}

/// The held batches of each database file this process writes (a process
/// may run more than one server: the tests do).
static FILES: Mutex<Option<HashMap<PathBuf, Arc<Held>>>> = Mutex::new(None);

/// The held batches of the database file at `path`.
pub fn of_file(path: &Path) -> Arc<Held> {
    let mut files = FILES.lock().unwrap_or_else(|e| e.into_inner());
    files
        .get_or_insert_with(HashMap::new)
        .entry(path.to_owned())
        .or_default()
        .clone()
}

/// `Held::bound` for the database `db` is (nothing is held on PostgreSQL,
/// where the writer waits for each commit).
pub fn bound(db: &DatabaseConnection, last: i64) -> i64 {
    let Some(path) = crate::db::sqlite_path(db) else {
        return last;
    };
    let held = FILES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|files| files.get(&path).cloned());
    held.map_or(last, |h| h.bound(last))
}

#[cfg(test)]
mod tests {
    use super::Held;

    #[test]
    fn the_cursor_stops_short_of_held_batches_until_they_are_released() {
        let held = Held::default();
        assert_eq!(held.bound(10), 10);
        held.hold(11);
        held.hold(15);
        assert_eq!(held.bound(20), 10, "neither batch is on disk");
        assert_eq!(held.bound(9), 9);
        held.release_oldest();
        assert_eq!(held.bound(20), 14);
        held.hold(21);
        held.unhold_newest();
        assert_eq!(held.bound(20), 14, "a failed commit holds nothing");
        held.release_oldest();
        assert_eq!(held.bound(20), 20);
    }
}
