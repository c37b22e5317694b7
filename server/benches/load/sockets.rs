//! Concurrent live sockets: how many idle `/ws` connections one server holds
//! and what each costs in resident memory (the server process's VmRSS before
//! and after, divided by the number of sockets), then how long one room post
//! takes to reach every one of them.
//!
//! A user may keep `MAX_SOCKETS_PER_USER` sockets (opening another closes
//! their oldest), so the sockets are dealt over enough users, seeded straight
//! into the database (no argon2) as members of one room.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use app::live::hub::MAX_SOCKETS_PER_USER;
use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::{
    harness::{ServerProcess, ms},
    report::Report,
    rooms::{connect, database, post_to_room, seed},
};

pub async fn run(wanted: usize) {
    let server = ServerProcess::start().await;
    // One socket per user opens first (the warm-up), the rest are dealt
    // round-robin: each user stays within the cap, and the sockets number
    // `wanted` in all.
    let users = wanted.div_ceil(MAX_SOCKETS_PER_USER).max(1);
    let measured = wanted - users;
    let db = database(&server).await;
    let (room, sessions) = seed(&db, users).await;
    let received = Arc::new(AtomicU64::new(0));
    // Warm up: one socket per user, so the baseline includes the runtime's
    // per-connection machinery and the hub's per-user entries.
    let mut readers = Vec::new();
    for s in &sessions {
        readers.push(drain(
            connect(&server.base, s).await.expect("socket"),
            received.clone(),
        ));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = server.rss_kib();

    let t0 = Instant::now();
    let opened: Vec<_> = futures::stream::iter(0..measured)
        .map(|i| {
            let (base, session) = (server.base.clone(), sessions[i % users].clone());
            async move { connect(&base, &session).await }
        })
        .buffer_unordered(128)
        .collect()
        .await;
    let open_time = t0.elapsed();
    let mut errors = 0usize;
    let mut open = 0usize;
    for ws in opened {
        match ws {
            Ok(ws) => {
                open += 1;
                readers.push(drain(ws, received.clone()));
            }
            Err(_) => errors += 1,
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = server.rss_kib();
    let per_socket = (after.saturating_sub(before)) as f64 * 1024.0 / open.max(1) as f64;

    let scenario =
        format!("Live sockets ({wanted} idle sockets, {users} users; {measured} measured)");
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

    // One post to the room everybody is in: every socket must get it.
    let sockets = (open + users) as u64;
    let t = Instant::now();
    post_to_room(
        &reqwest::Client::new(),
        &server.base,
        &sessions[0],
        room,
        "to every socket",
        "sockets-bench-0001",
    )
    .await;
    while received.load(Ordering::Relaxed) < sockets && t.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Report::row(
        &scenario,
        &format!("one room post reaches all {sockets} open sockets"),
        format!(
            "{} sockets in {}",
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
