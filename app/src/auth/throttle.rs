//! Log-in throttling: per (account, client address), per client address, and
//! growing delays per account.
//!
//! - An attempt takes its slot *before* the password is hashed: 200 parallel
//!   wrong passwords get at most the allowed number of answers, the rest 429.
//! - Per (account, address): `max_failures` attempts in the window, then wait.
//!   This is what stops one client guessing one account's password.
//! - Per address: `5 × max_failures` in the window, across all accounts (a
//!   client spraying many accounts).
//! - Per account, from anywhere: after `max_failures` failed attempts in the
//!   window, each further attempt must wait a delay that doubles (1 s, 2 s, 4 s
//!   … at most `MAX_ACCOUNT_DELAY`). Someone who knows a username can slow its
//!   owner down by at most that much, never lock them out.
//! - A success clears the account's and the pair's record and does not count
//!   against the address.
//!
//! With several nodes, each node tells the others of every attempt it begins
//! and every success (`share_with`, `apply`: carried by NATS), so the limits
//! hold across nodes — up to one NATS round trip (well under a millisecond
//! on a LAN, against the ~50 ms a password hash takes) in which two nodes
//! may each admit the last allowed attempt.
//!
//! Counts live in memory (a restart forgets them, erring on letting people in);
//! at most `MAX_KEYS` keys per table, each at most a few hundred bytes, so the
//! throttle's memory is bounded; when full of live entries, new keys are
//! refused rather than old ones forgotten.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};

/// Longest wait the per-account delay imposes between two attempts.
pub const MAX_ACCOUNT_DELAY: Duration = Duration::from_secs(60);
/// Keys each table holds at most.
pub const MAX_KEYS: usize = 100_000;
/// How many times the per-pair limit one address gets across accounts.
const PER_ADDRESS_FACTOR: usize = 5;

/// Attempt times per key, pruned to the window.
#[derive(Debug, Default)]
struct Table(HashMap<String, VecDeque<Instant>>);

impl Table {
    fn recent(&mut self, key: &str, now: Instant, window: Duration) -> Option<&VecDeque<Instant>> {
        let times = self.0.get_mut(key)?;
        prune(times, now, window);
        Some(times)
    }

    /// Room for a new key: prunes stale entries when full; false if still full.
    fn has_room_for(&mut self, key: &str, now: Instant, window: Duration) -> bool {
        if self.0.len() < MAX_KEYS || self.0.contains_key(key) {
            return true;
        }
        self.0.retain(|_, t| {
            prune(t, now, window);
            !t.is_empty()
        });
        self.0.len() < MAX_KEYS
    }

    fn push(&mut self, key: &str, now: Instant) {
        self.0.entry(key.to_owned()).or_default().push_back(now);
    }
}

#[derive(Debug, Default)]
struct Tables {
    pair: Table,
    address: Table,
    account: Table,
}

pub struct LoginThrottle {
    max_failures: usize,
    window: Duration,
    tables: Mutex<Tables>,
    /// Tells the installation's other nodes (see `share_with`).
    peers: OnceLock<Box<dyn Fn(Shared) + Send + Sync>>,
}

/// What a node tells the other nodes of its installation about log-in
/// attempts, so the throttle counts them wherever they happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shared {
    Began { account: String, address: String },
    Succeeded { account: String, address: String },
}

/// One log-in attempt's slot; report how it went.
#[derive(Debug)]
pub struct Attempt {
    account: String,
    pair: String,
    address: String,
}

impl Attempt {
    fn new(account: &str, address: &str) -> Self {
        Self {
            account: account.to_owned(),
            pair: format!("{address}|{account}"),
            address: address.to_owned(),
        }
    }
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1) as usize,
            window,
            tables: Mutex::new(Tables::default()),
            peers: OnceLock::new(),
        }
    }

    /// From now on, every attempt begun or succeeded here is also handed to
    /// `tell` (which sends it to the other nodes; they `apply` it).
    pub fn share_with(&self, tell: impl Fn(Shared) + Send + Sync + 'static) {
        let _ = self.peers.set(Box::new(tell));
    }

    /// Counts what another node reported as if it had happened here.
    pub fn apply(&self, shared: Shared, now: Instant) {
        match shared {
            Shared::Began { account, address } => {
                let attempt = Attempt::new(&account, &address);
                let window = self.window;
                let mut t = self.lock();
                let Tables {
                    pair,
                    address,
                    account,
                } = &mut *t;
                if pair.has_room_for(&attempt.pair, now, window)
                    && address.has_room_for(&attempt.address, now, window)
                    && account.has_room_for(&attempt.account, now, window)
                {
                    pair.push(&attempt.pair, now);
                    address.push(&attempt.address, now);
                    account.push(&attempt.account, now);
                }
            }
            Shared::Succeeded { account, address } => {
                self.forget(&Attempt::new(&account, &address));
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a slot for an attempt on `account` from `address`, or says how
    /// many seconds to wait.
    pub fn begin(&self, account: &str, address: &str, now: Instant) -> Result<Attempt, u64> {
        let attempt = Attempt::new(account, address);
        let (max, window) = (self.max_failures, self.window);
        let mut t = self.lock();
        let mut wait = Duration::ZERO;
        let full = |times: Option<&VecDeque<Instant>>, limit: usize| match times {
            Some(times) if times.len() >= limit => times
                .front()
                .map(|oldest| window.saturating_sub(now - *oldest)),
            _ => None,
        };
        if let Some(w) = full(t.pair.recent(&attempt.pair, now, window), max) {
            wait = wait.max(w);
        }
        if let Some(w) = full(
            t.address.recent(&attempt.address, now, window),
            max * PER_ADDRESS_FACTOR,
        ) {
            wait = wait.max(w);
        }
        if let Some(times) = t.account.recent(&attempt.account, now, window)
            && times.len() >= max
            && let Some(last) = times.back()
        {
            let doublings = (times.len() - max).min(16) as u32;
            let delay = Duration::from_secs(1 << doublings).min(MAX_ACCOUNT_DELAY);
            wait = wait.max(delay.saturating_sub(now - *last));
        }
        if !wait.is_zero() {
            return Err(wait.as_secs().max(1));
        }
        let Tables {
            pair,
            address,
            account,
        } = &mut *t;
        if !(pair.has_room_for(&attempt.pair, now, window)
            && address.has_room_for(&attempt.address, now, window)
            && account.has_room_for(&attempt.account, now, window))
        {
            return Err(window.as_secs().max(1));
        }
        pair.push(&attempt.pair, now);
        address.push(&attempt.address, now);
        account.push(&attempt.account, now);
        drop(t);
        if let Some(tell) = self.peers.get() {
            tell(Shared::Began {
                account: attempt.account.clone(),
                address: attempt.address.clone(),
            });
        }
        Ok(attempt)
    }

    /// The attempt succeeded: it does not count, and the account starts afresh.
    pub fn succeeded(&self, attempt: Attempt) {
        self.forget(&attempt);
        if let Some(tell) = self.peers.get() {
            tell(Shared::Succeeded {
                account: attempt.account,
                address: attempt.address,
            });
        }
    }

    fn forget(&self, attempt: &Attempt) {
        let mut t = self.lock();
        t.pair.0.remove(&attempt.pair);
        t.account.0.remove(&attempt.account);
        if let Some(times) = t.address.0.get_mut(&attempt.address) {
            times.pop_back();
        }
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

    const WINDOW: Duration = Duration::from_secs(900);

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn one_address_gets_max_attempts_per_account_then_waits_for_the_window() {
        let t = LoginThrottle::new(3, WINDOW);
        let start = Instant::now();
        for i in 0..3 {
            assert!(
                t.begin("dora", "1.2.3.4", start + secs(i)).is_ok(),
                "blocked after {i}"
            );
        }
        // The per-account delay (1 s after the 3rd) is shorter than the
        // pair's window: the pair's wait wins.
        assert_eq!(
            t.begin("dora", "1.2.3.4", start + secs(30)).unwrap_err(),
            870
        );
        assert!(t.begin("dora", "1.2.3.4", start + WINDOW + secs(2)).is_ok());
    }

    #[test]
    fn an_attacker_cannot_lock_the_owner_out_only_slow_them_down() {
        let t = LoginThrottle::new(3, WINDOW);
        let now = Instant::now();
        for i in 0..3 {
            t.begin("dora", "6.6.6.6", now + secs(i)).unwrap();
        }
        assert!(t.begin("dora", "6.6.6.6", now + secs(3)).is_err());
        // The owner, from elsewhere, waits at most the account's delay (1 s
        // after the attacker's last attempt), and a success starts afresh.
        let owner = t
            .begin("dora", "1.2.3.4", now + secs(3))
            .expect("the owner is not locked out");
        t.succeeded(owner);
        assert!(t.begin("dora", "1.2.3.4", now + secs(3)).is_ok());
    }

    #[test]
    fn the_account_delay_doubles_up_to_its_cap() {
        let t = LoginThrottle::new(1, WINDOW);
        let mut now = Instant::now();
        let mut waits = Vec::new();
        for i in 0..12 {
            let from = format!("10.0.0.{i}");
            match t.begin("dora", &from, now) {
                Ok(_) => waits.push(0),
                Err(w) => {
                    waits.push(w);
                    now += secs(w);
                    t.begin("dora", &from, now).expect("allowed after the wait");
                }
            }
        }
        assert_eq!(&waits[..8], &[0, 1, 2, 4, 8, 16, 32, 60]);
        assert!(waits.iter().all(|w| *w <= MAX_ACCOUNT_DELAY.as_secs()));
    }

    #[test]
    fn parallel_attempts_take_their_slots_before_any_answer() {
        let t = LoginThrottle::new(10, WINDOW);
        let now = Instant::now();
        let taken = (0..200)
            .filter(|_| t.begin("dora", "1.2.3.4", now).is_ok())
            .count();
        assert_eq!(taken, 10);
    }

    #[test]
    fn one_address_spraying_accounts_is_limited_too() {
        let t = LoginThrottle::new(2, WINDOW);
        let now = Instant::now();
        let allowed = (0..50)
            .filter(|i| t.begin(&format!("user{i}"), "1.2.3.4", now).is_ok())
            .count();
        assert_eq!(allowed, 2 * PER_ADDRESS_FACTOR);
        assert!(
            t.begin("user0", "5.6.7.8", now).is_ok(),
            "other addresses are not affected"
        );
    }

    #[test]
    fn a_full_table_refuses_new_keys_instead_of_forgetting_live_ones() {
        let t = LoginThrottle::new(1_000, WINDOW);
        let now = Instant::now();
        {
            let mut tables = t.lock();
            for i in 0..MAX_KEYS {
                tables.account.push(&format!("a{i}"), now);
            }
        }
        assert!(
            t.begin("a1", "1.1.1.1", now).is_ok(),
            "a known key still works"
        );
        assert!(t.begin("newcomer", "1.1.1.1", now).is_err());
        assert!(
            t.begin("newcomer", "1.1.1.1", now + WINDOW).is_ok(),
            "stale keys make room"
        );
    }

    #[test]
    fn attempts_told_by_other_nodes_count_and_successes_clear_them() {
        let here = LoginThrottle::new(3, WINDOW);
        let told = std::sync::Arc::new(Mutex::new(Vec::new()));
        let sink = told.clone();
        here.share_with(move |s| sink.lock().unwrap().push(s));
        let now = Instant::now();
        for _ in 0..2 {
            here.apply(
                Shared::Began {
                    account: "dora".into(),
                    address: "1.2.3.4".into(),
                },
                now,
            );
        }
        let third = here.begin("dora", "1.2.3.4", now).expect("a third attempt");
        assert!(
            here.begin("dora", "1.2.3.4", now).is_err(),
            "the fourth waits"
        );
        here.succeeded(third);
        assert!(here.begin("dora", "1.2.3.4", now).is_ok());
        let began = Shared::Began {
            account: "dora".into(),
            address: "1.2.3.4".into(),
        };
        let told = told.lock().unwrap().clone();
        assert_eq!(
            told,
            [
                began.clone(),
                Shared::Succeeded {
                    account: "dora".into(),
                    address: "1.2.3.4".into()
                },
                began
            ]
        );
        // Another node's success clears this node's record too.
        here.apply(
            Shared::Succeeded {
                account: "dora".into(),
                address: "1.2.3.4".into(),
            },
            now,
        );
        assert!(here.begin("dora", "1.2.3.4", now).is_ok());
    }
}
