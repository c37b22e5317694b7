//! Failed-login throttling, per client IP and per account.
//!
//! Only failures count (a person who types their password right is never
//! slowed down), a success clears the account's record, and a blocked caller
//! learns how long to wait. Counts live in memory: a restart forgets them, which
//! errs on the side of letting people in; several nodes each keep their own.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1) as usize,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when any of `keys` has used up its failures.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for key in keys {
            if let Some(times) = map.get_mut(key) {
                prune(times, now, self.window);
                if times.len() >= self.max_failures
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(self.window.saturating_sub(now - *oldest));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.as_secs().max(1))
        }
    }

    pub fn record_failure(&self, keys: &[String], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            // Bound memory under a spray of distinct keys: drop stale entries.
            let window = self.window;
            map.retain(|_, t| {
                prune(t, now, window);
                !t.is_empty()
            });
        }
        for key in keys {
            let times = map.entry(key.clone()).or_default();
            prune(times, now, self.window);
            times.push_back(now);
        }
    }

    pub fn clear(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_nth_failure_blocks_until_the_oldest_leaves_the_window() {
        let t = LoginThrottle::new(3, Duration::from_secs(900));
        let start = Instant::now();
        let k = keys(&["acct:dora"]);
        for i in 0..3 {
            assert!(t.check(&k, start).is_ok(), "blocked after {i}");
            t.record_failure(&k, start + Duration::from_secs(i * 10));
        }
        let wait = t.check(&k, start + Duration::from_secs(30)).unwrap_err();
        assert_eq!(wait, 870);
        assert!(t.check(&k, start + Duration::from_secs(900)).is_ok());
    }

    #[test]
    fn clearing_an_account_unblocks_it_but_not_its_ip() {
        let t = LoginThrottle::new(1, Duration::from_secs(60));
        let now = Instant::now();
        t.record_failure(&keys(&["ip:1.2.3.4", "acct:dora"]), now);
        t.clear("acct:dora");
        assert!(t.check(&keys(&["acct:dora"]), now).is_ok());
        assert!(t.check(&keys(&["ip:1.2.3.4", "acct:dora"]), now).is_err());
    }
}
