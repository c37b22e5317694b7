//! Files in conversations (ssr): people attach files to messages; Kanect
//! receives them streaming, stores each once by content, makes thumbnails
//! of images, and serves them only to the conversation's members.
//!
//! - `rules`: names, types sniffed from the bytes, what is allowed and what
//!   is shown inline (pure);
//! - `store`: where the bytes live, behind `BlobStore` (a local directory;
//!   an object store is the next implementation);
//! - `thumbs`: thumbnails, made off the async runtime with decode limits;
//! - `records`: the `uploads` rows — binding files to messages, reading a
//!   page's files, quotas, removal and the cleanup of abandoned uploads;
//! - `http`: `POST /api/upload` and `GET /files/<id>/…`.

pub mod http;
pub mod records;
pub mod rules;
pub mod store;
pub mod thumbs;

use std::sync::Arc;

use tokio::sync::Semaphore;

use self::store::BlobStore;

/// Uploads received at once, at most (each holds one read buffer).
const CONCURRENT_UPLOADS: usize = 32;
/// Uploads one person may have running at once.
pub const UPLOADS_PER_PERSON: usize = 4;

/// What the file routes need: the store, the limits and the permits that
/// bound memory.
pub struct Files {
    pub store: Arc<dyn BlobStore>,
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Bytes one person may have stored.
    pub quota_bytes: u64,
    /// Types accepted (`image/*` style patterns); empty: everything.
    pub types: Vec<String>,
    uploads: Semaphore,
    per_person: std::sync::Mutex<std::collections::HashMap<i32, usize>>,
    thumbs: Semaphore,
}

impl Files {
    pub fn new(
        store: Arc<dyn BlobStore>,
        max_bytes: u64,
        quota_bytes: u64,
        types: Vec<String>,
    ) -> Self {
        Self {
            store,
            max_bytes,
            quota_bytes,
            types,
            uploads: Semaphore::new(CONCURRENT_UPLOADS),
            per_person: Default::default(),
            // Decoding an image takes its pixels' memory: one at a time.
            thumbs: Semaphore::new(1),
        }
    }

    /// Counts one of `user_id`'s uploads as running (`None`: they have too
    /// many); dropping the guard ends it.
    fn start(&self, user_id: i32) -> Option<Running<'_>> {
        let mut running = self.per_person.lock().unwrap_or_else(|e| e.into_inner());
        let n = running.entry(user_id).or_default();
        if *n >= UPLOADS_PER_PERSON {
            return None;
        }
        *n += 1;
        Some(Running {
            files: self,
            user_id,
        })
    }
}

/// One upload in progress for its person.
struct Running<'a> {
    files: &'a Files,
    user_id: i32,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut running = self
            .files
            .per_person
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = running.get_mut(&self.user_id) {
            *n -= 1;
            if *n == 0 {
                running.remove(&self.user_id);
            }
        }
    }
}
