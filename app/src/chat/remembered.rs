//! A map of things remembered for a short while, keyed by a string: the send
//! path's recipients (`peers`) and senders (`senders`). An entry is fresh for
//! the map's time to live; past its size bound the map starts afresh, so it
//! never grows without limit whatever keys it is given.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

pub struct Remembered<V> {
    ttl: Duration,
    max_entries: usize,
    by_key: Mutex<HashMap<String, (V, Instant)>>,
}

impl<V: Clone> Remembered<V> {
    /// Entries live `ttl`; more than `max_entries` keys within it clear the map.
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            ttl,
            max_entries,
            by_key: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, (V, Instant)>> {
        self.by_key.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value remembered for `key`, if it is still fresh at `now`.
    pub fn get(&self, key: &str, now: Instant) -> Option<V> {
        self.map()
            .get(key)
            .filter(|(_, at)| now.saturating_duration_since(*at) < self.ttl)
            .map(|(v, _)| v.clone())
    }

    /// Remembers `value` for `key` as of `now`.
    pub fn put(&self, key: String, value: V, now: Instant) {
        let mut map = self.map();
        if map.len() >= self.max_entries {
            map.clear();
        }
        map.insert(key, (value, now));
    }

    /// Forgets `key`.
    pub fn forget(&self, key: &str) {
        self.map().remove(key);
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.map().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(5);

    #[test]
    fn entries_expire_and_can_be_forgotten_or_cleared() {
        let cache = Remembered::new(TTL, 100);
        let t0 = Instant::now();
        cache.put("dora".into(), 7, t0);
        assert_eq!(cache.get("dora", t0 + Duration::from_secs(1)), Some(7));
        assert_eq!(cache.get("dora", t0 + TTL), None, "stale after the TTL");
        assert_eq!(cache.get("nemo", t0), None);
        cache.put("dora".into(), 7, t0);
        cache.put("nemo".into(), 8, t0);
        cache.forget("dora");
        assert_eq!(cache.get("dora", t0), None, "forgotten");
        assert_eq!(cache.get("nemo", t0), Some(8), "the others stay");
        cache.clear();
        assert_eq!(cache.get("nemo", t0), None);
    }

    #[test]
    fn past_its_bound_the_map_starts_afresh() {
        let cache = Remembered::new(TTL, 3);
        let t0 = Instant::now();
        for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
            cache.put(key.into(), i, t0);
        }
        assert_eq!(cache.get("c", t0), Some(2));
        cache.put("d".into(), 3, t0);
        assert_eq!(cache.get("a", t0), None, "cleared when full");
        assert_eq!(cache.get("d", t0), Some(3), "the new entry is kept");
        assert_eq!(cache.map().len(), 1);
    }
}
