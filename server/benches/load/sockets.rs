//! Concurrent live sockets: how many idle `/ws` connections one server holds
//! and what each costs in resident memory (the server process's VmRSS before
//! and after, divided by the number of sockets), then how long one message
//! takes to reach every open tab of its recipient.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::{
    harness::{ServerProcess, User, ms},
    report::Report,
};

const USERS: usize = 10;

pub async fn run(wanted: usize) {
    let server = ServerProcess::start().await;
    let users = User::many(&server.base, "sock", USERS).await;
    // Warm up: one socket per user, so the baseline includes the runtime's
    // per-connection machinery and the hub's per-user entries.
    let mut warm = Vec::new();
    for u in &users {
        warm.push(u.socket().await.expect("socket"));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = server.rss_kib();

    let received = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let opened: Vec<_> = futures::stream::iter(0..wanted)
        .map(|i| {
            let user = users[i % USERS].clone();
            async move { user.socket().await }
        })
        .buffer_unordered(128)
        .collect()
        .await;
    let open_time = t0.elapsed();
    let mut readers = Vec::new();
    let mut errors = 0usize;
    for ws in opened {
        match ws {
            Ok(ws) => readers.push(drain(ws, received.clone())),
            Err(_) => errors += 1,
        }
    }
    let open = readers.len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = server.rss_kib();
    let per_socket = (after.saturating_sub(before)) as f64 * 1024.0 / open.max(1) as f64;

    let scenario = format!("Live sockets ({wanted} idle sockets, {USERS} users)");
    Report::row(
        &scenario,
        "open / refused or failed",
        format!(
            "{open} / {errors} (opened in {:.1} s)",
            open_time.as_secs_f64()
        ),
    );
    Report::row(
        &scenario,
        "server memory per socket (VmRSS delta ÷ sockets)",
        format!(
            "{:.1} KB ({} MiB → {} MiB)",
            per_socket / 1000.0,
            before / 1024,
            after / 1024
        ),
    );

    // One message from users[1] to users[0]: every tab of both must get it
    // (sockets were dealt round-robin, so each user has open / USERS of them).
    let tabs =
        2 * (open / USERS) as u64 + u64::from(open % USERS > 0) + u64::from(open % USERS > 1);
    let t = Instant::now();
    users[1]
        .send(&users[0].name, "to every tab", "fanout-000000001")
        .await
        .expect("send");
    while received.load(Ordering::Relaxed) < tabs && t.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Report::row(
        &scenario,
        &format!("one message reaches all {tabs} open tabs of its sender and recipient"),
        format!(
            "{} tabs in {}",
            received.load(Ordering::Relaxed),
            ms(t.elapsed())
        ),
    );
    for r in readers {
        r.abort();
    }
}

/// Keeps a socket alive (answering pings) and counts `message` events.
fn drain(mut ws: crate::harness::Ws, received: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(Ok(frame)) = ws.next().await {
            if let WsMessage::Text(t) = frame
                && t.contains("\"type\":\"message\"")
            {
                received.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
}
