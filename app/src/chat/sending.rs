//! Sending a message: validation of what the client sent, the per-user
//! send limit, the recipient, then the group-commit writer (which answers
//! after the commit and publishes to the conversation's members). Used by
//! the `send` server function and the socket's `send` frames alike.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use sea_orm::DatabaseConnection;

use super::{
    model::{ATTACHMENTS_PER_MESSAGE, Body, ClientId, Message},
    peers::PeerCache,
    server::find_recipient,
    writer::{NewMessage, Target, Writer},
};
use crate::{auth::CurrentUser, error::AppError};

/// Per-user send limit: `per_10s` messages in any 10 seconds. With several
/// nodes each tells the others of every send it lets through (`share_with`,
/// `apply`), so the budget is one across the installation.
pub struct SendLimiter(
    DefaultKeyedRateLimiter<i32>,
    std::sync::OnceLock<Box<dyn Fn(i32) + Send + Sync>>,
);

impl SendLimiter {
    pub fn new(per_10s: u32) -> Self {
        let burst = NonZeroU32::new(per_10s.max(1)).expect("at least 1");
        // One token back every 10 s / per_10s (in nanoseconds, so large limits
        // never round down to a zero period).
        let period =
            std::time::Duration::from_nanos((10_000_000_000 / u64::from(burst.get())).max(1));
        let quota = Quota::with_period(period)
            .expect("non-zero period")
            .allow_burst(burst);
        Self(RateLimiter::keyed(quota), std::sync::OnceLock::new())
    }

    pub fn check(&self, user_id: i32) -> Result<(), AppError> {
        self.0.check_key(&user_id).map_err(|not_until| {
            crate::metrics::refused("send");
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })?;
        if let Some(tell) = self.1.get() {
            tell(user_id);
        }
        Ok(())
    }

    /// From now on, every send let through here is also handed to `tell`.
    pub fn share_with(&self, tell: impl Fn(i32) + Send + Sync + 'static) {
        let _ = self.1.set(Box::new(tell));
    }

    /// Takes from `user_id`'s budget what a send on another node took.
    pub fn apply(&self, user_id: i32) {
        let _ = self.0.check_key(&user_id);
    }
}

/// What sending needs besides the caller: the database, the writer, the
/// recipient cache and the per-user limit.
#[derive(Clone, Copy)]
pub struct SendPath<'a> {
    pub db: &'a DatabaseConnection,
    pub writer: &'a Writer,
    pub peers: &'a PeerCache,
    pub limiter: &'a SendLimiter,
}

/// What a send carries, as the client sent it.
#[derive(Clone, Copy)]
pub struct Draft<'a> {
    pub body: &'a str,
    pub client_id: &'a str,
    /// The message it answers.
    pub reply_to: Option<i64>,
    /// Upload ids of the files it carries.
    pub attachments: &'a [String],
}

/// Where a send goes, as the client named it.
pub enum SendTo<'a> {
    /// A username: the direct conversation with that person.
    Person(&'a str),
    /// A conversation id.
    Conversation(i32),
}

/// Validates and stores a message from `me`, sent under `session`; returns
/// it after commit (the writer publishes it to the conversation's members).
/// The send limit is taken before the recipient is looked up, so sends to
/// names that do not exist cost the same budget as real ones. The writer
/// stores it only if `session` still exists and `me` may post there when it
/// commits.
pub async fn send(
    path: SendPath<'_>,
    me: &CurrentUser,
    session: &str,
    to: SendTo<'_>,
    draft: Draft<'_>,
) -> Result<Message, AppError> {
    let Draft {
        body,
        client_id,
        reply_to,
        attachments,
    } = draft;
    let attachments = attachment_ids(attachments)?;
    // A message of files alone needs no text.
    let body = if !attachments.is_empty() && body.trim().is_empty() {
        Ok(Body::empty())
    } else {
        Body::parse(body)
    };
    let client_id = ClientId::parse(client_id);
    let fields: Vec<_> = [body.as_ref().err(), client_id.as_ref().err()]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let (Ok(body), Ok(client_id)) = (body, client_id) else {
        return Err(AppError::Validation { fields });
    };
    path.limiter.check(me.id)?;
    let target = match to {
        SendTo::Person(name) => {
            Target::Person(find_recipient(path.db, path.peers, me, name).await?.id)
        }
        SendTo::Conversation(id) => Target::Conversation(id),
    };
    path.writer
        .send(NewMessage {
            sender_id: me.id,
            sender_name: me.username.clone(),
            target,
            body: body.into_inner(),
            client_id: client_id.as_str().to_owned(),
            reply_to,
            attachments,
            session_id: session.to_owned(),
        })
        .await
}

/// The upload ids a send names: distinct, in order, at most
/// `ATTACHMENTS_PER_MESSAGE`.
fn attachment_ids(raw: &[String]) -> Result<Vec<String>, AppError> {
    let mut ids: Vec<String> = Vec::new();
    for id in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let ok = id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(AppError::field("attachments", "That is not a file id."));
        }
        if !ids.iter().any(|x| x == id) {
            ids.push(id.to_owned());
        }
    }
    if ids.len() > ATTACHMENTS_PER_MESSAGE {
        return Err(AppError::field(
            "attachments",
            format!("A message can carry at most {ATTACHMENTS_PER_MESSAGE} files."),
        ));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_limit_allows_its_burst_per_user_then_refuses() {
        let limit = SendLimiter::new(3);
        for _ in 0..3 {
            assert!(limit.check(1).is_ok());
        }
        assert!(matches!(
            limit.check(1),
            Err(AppError::RateLimited {
                retry_after_secs: 1..
            })
        ));
        assert!(limit.check(2).is_ok(), "another user has their own budget");
    }

    #[test]
    fn the_largest_send_limit_is_a_valid_rate() {
        let limit = SendLimiter::new(1_000_000);
        for _ in 0..1_000 {
            assert!(limit.check(1).is_ok());
        }
    }
}
