//! Closes the live sockets of sessions that ended anywhere.
//!
//! A session can end in this process (log-out, an admin's action), in another
//! Kanect process on the same database, or in `kanect-server reset-password`
//! run from a shell. Each records the end in `session_ends` in the transaction
//! that deletes the session (`auth::session_store`). This task reads the
//! recent ends once a second and tells the hub, which closes the matching
//! sockets. It re-reads a window of `LOOKBACK_MS` and remembers which ends it
//! has applied, so an end whose transaction committed late is still seen.
//! Ends older than `KEEP_MS` are pruned.

use std::{collections::HashMap, sync::Weak, time::Duration};

use sea_orm::DatabaseConnection;

use super::hub::Hub;
use crate::{
    auth::session_store::{ends_since, prune_ends},
    db::{entities::session_end, now_millis},
};

const EVERY: Duration = Duration::from_secs(1);
const LOOKBACK_MS: i64 = 30_000;
const KEEP_MS: i64 = 10 * 60_000;

/// What has been applied already: end id -> when it ended.
#[derive(Default)]
pub struct Applied(HashMap<i64, i64>);

impl Applied {
    /// The ends in `rows` not applied before; remembers them, forgets old ones.
    pub fn fresh(&mut self, rows: Vec<session_end::Model>, now: i64) -> Vec<session_end::Model> {
        self.0.retain(|_, at| *at >= now - 2 * LOOKBACK_MS);
        rows.into_iter()
            .filter(|r| self.0.insert(r.id, r.ended_at).is_none())
            .collect()
    }
}

/// Applies one ended session (or all of a user's sessions) to the hub.
pub fn apply(hub: &Hub, end: &session_end::Model) {
    match (end.user_id, end.session_id.as_deref()) {
        (Some(user), Some(session)) => hub.end_session(user, session),
        (Some(user), None) => hub.sign_out(user),
        (None, _) => {}
    }
}

/// Runs until the hub is dropped.
pub async fn run(db: DatabaseConnection, hub: Weak<Hub>) {
    let mut applied = Applied::default();
    let mut every = tokio::time::interval(EVERY);
    let mut pruned_at = 0;
    loop {
        every.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        let now = now_millis();
        match ends_since(&db, now - LOOKBACK_MS).await {
            Ok(rows) => {
                for end in applied.fresh(rows, now) {
                    apply(&hub, &end);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read ended sessions"),
        }
        if now - pruned_at > KEEP_MS {
            pruned_at = now;
            if let Err(e) = prune_ends(&db, now - KEEP_MS).await {
                tracing::warn!(error = %e, "cannot prune ended sessions");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(id: i64, at: i64) -> session_end::Model {
        session_end::Model {
            id,
            session_id: None,
            user_id: Some(1),
            ended_at: at,
        }
    }

    #[test]
    fn each_end_is_applied_once_even_when_it_commits_late() {
        let mut applied = Applied::default();
        assert_eq!(
            applied.fresh(vec![end(1, 100), end(3, 100)], 1_000).len(),
            2
        );
        // End 2 committed after end 3 had been read: still applied, once.
        let again = applied.fresh(vec![end(1, 100), end(2, 100), end(3, 100)], 2_000);
        assert_eq!(again.iter().map(|e| e.id).collect::<Vec<_>>(), vec![2]);
        assert!(applied.fresh(vec![end(2, 100)], 3_000).is_empty());
    }
}
