//! Catching up: what a tab that knows everything up to an event id missed,
//! read from the event log (or "reload" when that is too much or pruned).

use sea_orm::DatabaseConnection;

use super::model::Event;
use crate::{error::AppError, events::log};

/// The newest event id (0 before the first): where a tab that has just
/// loaded its data starts listening. One primary-key lookup.
pub async fn latest_event_id(db: &DatabaseConnection) -> Result<i64, AppError> {
    Ok(log::current(db).await?)
}

/// What a tab that knows everything up to event `after` missed.
pub enum Missed {
    /// These events, in id order: everything up to `cursor`.
    Events(Vec<log::Logged>),
    /// More than the limit, or events the log no longer keeps: reload what
    /// it shows, then carry on from `cursor`.
    Resync,
}

/// The events `me` missed after `after` up to `cursor` (the newest event id
/// when the caller looked), at most `limit`. The log keeps every id from its
/// oldest to `cursor` (ids are gap-free), so missing ones were pruned.
pub async fn missed(
    db: &DatabaseConnection,
    me: i32,
    after: i64,
    cursor: i64,
    limit: u64,
) -> Result<Missed, AppError> {
    if after == cursor {
        return Ok(Missed::Events(Vec::new()));
    }
    if after > cursor {
        // An id this log never gave out (a restored backup): start afresh.
        return Ok(Missed::Resync);
    }
    let pruned = match log::oldest(db).await? {
        Some(oldest) => after + 1 < oldest,
        None => true,
    };
    if pruned {
        return Ok(Missed::Resync);
    }
    let events = log::since(db, me, after, cursor, limit + 1).await?;
    if events.len() as u64 > limit {
        return Ok(Missed::Resync);
    }
    Ok(Missed::Events(events))
}

/// The frames of the events `me` missed after `after` (at most `limit`):
/// what a tab without a socket polls. Too many, or pruned: one `resync`.
pub async fn events_since(
    db: &DatabaseConnection,
    me: i32,
    after: i64,
    limit: u64,
) -> Result<Vec<String>, AppError> {
    let cursor = log::current(db).await?;
    Ok(match missed(db, me, after, cursor, limit).await? {
        Missed::Events(events) => events.into_iter().map(|e| e.frame.to_string()).collect(),
        Missed::Resync => {
            vec![serde_json::to_string(&Event::Resync { cursor }).unwrap_or_default()]
        }
    })
}
