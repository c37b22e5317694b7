//! Who can receive messages, remembered briefly: the send path looks up its
//! recipient by username on every message, and at thousands of messages a
//! second that query is a large share of the database's work. Entries live
//! `TTL` and are dropped at once when an admin on this server activates or
//! deactivates someone; a change made by another process (the command line)
//! is seen within `TTL`.

use std::time::Duration;

use super::remembered::Remembered;

pub const TTL: Duration = Duration::from_secs(5);
/// More distinct recipients than this within `TTL` start the map afresh.
const MAX_ENTRIES: usize = 100_000;

/// A user as the send path needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub id: i32,
    pub is_active: bool,
}

/// Recipients by case-folded username.
pub type PeerCache = Remembered<Peer>;

impl Default for PeerCache {
    fn default() -> Self {
        Self::new(TTL, MAX_ENTRIES)
    }
}
