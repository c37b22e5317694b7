//! Who is sending, remembered briefly by session: the `send` server function
//! resolves its caller's session to a user on every request, and at thousands
//! of sends a second that query (a hand-off to the database's thread and
//! back, on busy cores) costs more than the rest of the request. A sender is
//! remembered for `TTL` after their session was last read.
//!
//! This does not let an ended session send: the writer checks, inside the
//! transaction that would store the message, that the session still exists,
//! has not expired and belongs to an active user (`chat::writer`), and a
//! session is deleted whenever it ends (log-out, log-out everywhere,
//! deactivation, a password reset, on any node or from the command line). A
//! send refused that way forgets the session here. Only what a send uses is
//! taken from here (the sender's id and name); every other server function
//! reads the session afresh.

use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tower_sessions::Session;

use super::remembered::Remembered;
use crate::{
    auth::{CurrentUser, server::require_user},
    error::AppError,
};

/// How long a sender is remembered. A miss reads the session as every other
/// request does, which also pushes its expiry forward when that is due.
pub const TTL: Duration = Duration::from_secs(60);
/// More live sessions than this sending within `TTL` start the map afresh.
const MAX_ENTRIES: usize = 100_000;

/// Senders by session id.
pub type SenderCache = Remembered<CurrentUser>;

impl Default for SenderCache {
    fn default() -> Self {
        Self::new(TTL, MAX_ENTRIES)
    }
}

/// The sender acting under `session`, and the session's id: remembered, or
/// read from the database (401 for an anonymous or ended session).
pub async fn sender(
    db: &DatabaseConnection,
    senders: &SenderCache,
    session: &Session,
) -> Result<(CurrentUser, String), AppError> {
    let id = session
        .id()
        .map(|id| id.to_string())
        .ok_or_else(AppError::unauthorized)?;
    let now = Instant::now();
    if let Some(me) = senders.get(&id, now) {
        return Ok((me, id));
    }
    let me = require_user(db, session).await?;
    senders.put(id.clone(), me.clone(), now);
    Ok((me, id))
}

/// Passes a send's `result` through, forgetting `session`'s sender when the
/// writer refused it as ended (401): the next send reads the session afresh.
pub fn settle<T>(
    senders: &SenderCache,
    session: &str,
    result: Result<T, AppError>,
) -> Result<T, AppError> {
    if matches!(result, Err(AppError::Unauthorized { .. })) {
        senders.forget(session);
    }
    result
}
