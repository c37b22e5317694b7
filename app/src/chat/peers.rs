//! Who can receive messages, remembered briefly: the send path looks up its
//! recipient by username on every message, and at thousands of messages a
//! second that query is a large share of the database's work. Entries live
//! `TTL` and are dropped at once when an admin on this server activates or
//! deactivates someone; a change made by another process (the command line)
//! is seen within `TTL`.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

pub const TTL: Duration = Duration::from_secs(5);
/// More distinct recipients than this within `TTL` start the map afresh.
const MAX_ENTRIES: usize = 100_000;

/// A user as the send path needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub id: i32,
    pub is_active: bool,
}

#[derive(Default)]
pub struct PeerCache {
    by_key: Mutex<HashMap<String, (Peer, Instant)>>,
}

impl PeerCache {
    /// The cached peer for a case-folded username, if fresh.
    pub fn get(&self, key: &str, now: Instant) -> Option<Peer> {
        let map = self.by_key.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(_, at)| now.duration_since(*at) < TTL)
            .map(|(p, _)| p.clone())
    }

    pub fn put(&self, key: String, peer: Peer, now: Instant) {
        let mut map = self.by_key.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (peer, now));
    }

    /// Forgets everyone (after an account's status changed).
    pub fn clear(&self) {
        self.by_key
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_cleared() {
        let cache = PeerCache::default();
        let t0 = Instant::now();
        let dora = Peer {
            id: 7,
            is_active: true,
        };
        cache.put("dora".into(), dora.clone(), t0);
        assert_eq!(cache.get("dora", t0 + Duration::from_secs(1)), Some(dora));
        assert_eq!(cache.get("dora", t0 + TTL), None, "stale after the TTL");
        assert_eq!(cache.get("nemo", t0), None);
        cache.put(
            "dora".into(),
            Peer {
                id: 7,
                is_active: true,
            },
            t0,
        );
        cache.clear();
        assert_eq!(cache.get("dora", t0), None);
    }
}
