//! Rate limits that hold across nodes: the log-in throttle, the sign-up
//! limits and the per-person send limit count what happens on every node of
//! the installation.
//!
//! Each node keeps its counters in memory, as one node does, and tells the
//! other nodes — over NATS, subject `kanect.limits` — of every attempt,
//! sign-up and send it lets through; they count it as their own. Chosen over
//! counters in PostgreSQL because sends are the hot path: a database write
//! per send would undo the writer's group commit (one transaction per batch
//! of sends), while a NATS message costs a few microseconds and keeps the
//! database out of the check. And over NATS' key-value store because that
//! needs JetStream (state on the broker, which Kanect keeps stateless). The
//! price: for one NATS round trip (well under a millisecond on a LAN) two
//! nodes may each admit the last allowed attempt; with NATS down each node
//! counts only its own (a client spread over N nodes then gets up to N
//! budgets until NATS returns).

use std::{net::IpAddr, sync::Arc, time::Instant};

use app::{
    auth::{signup_limit::SignupLimiter, throttle::LoginThrottle, throttle::Shared},
    chat::sending::SendLimiter,
    live::nats::Nats,
};
use serde::{Deserialize, Serialize};

const SUBJECT: &str = "kanect.limits";

#[derive(Serialize, Deserialize)]
enum Hit {
    Login(Shared),
    Send(i32),
    Signup(IpAddr),
}

/// Makes the three limiters count across the nodes sharing `nats`.
pub async fn share(
    nats: &Nats,
    login: Arc<LoginThrottle>,
    sends: Arc<SendLimiter>,
    signups: Arc<SignupLimiter>,
) -> Result<(), String> {
    let tell = nats.broadcaster(SUBJECT);
    let say = move |hit: Hit| {
        if let Ok(payload) = serde_json::to_vec(&hit) {
            tell(payload);
        }
    };
    let s = say.clone();
    login.share_with(move |shared| s(Hit::Login(shared)));
    let s = say.clone();
    sends.share_with(move |user| s(Hit::Send(user)));
    signups.share_with(move |ip| say(Hit::Signup(ip)));
    nats.listen(SUBJECT, move |payload| {
        match serde_json::from_slice::<Hit>(payload) {
            Ok(Hit::Login(shared)) => login.apply(shared, Instant::now()),
            Ok(Hit::Send(user)) => sends.apply(user),
            Ok(Hit::Signup(ip)) => signups.apply(ip),
            Err(e) => tracing::warn!(error = %e, "an unreadable limit update from NATS"),
        }
    })
    .await
}
