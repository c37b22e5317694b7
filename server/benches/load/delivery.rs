//! Delivery latency: from the moment a send is due to the moment the
//! recipient's socket receives the `message` event.
//!
//! Light load: one message in flight at a time, compared with the round trip
//! of `current_user` (the same session and user lookup, no write) — the floor
//! any server function pays. Heavy load: an open-loop schedule at a fixed
//! rate across many pairs; latency counts from when each send was *due*, so a
//! server that falls behind cannot hide its queueing.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{
    harness::{Percentiles, User, ms, stamp_of, stamped_id, watch},
    report::Report,
};

pub async fn light(base: &str, n: u64) {
    let users = User::many(base, "light", 2).await;
    let (alice, bob) = (&users[0], &users[1]);

    let mut rtt = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        alice.call("current_user", &[]).await.expect("current_user");
        rtt.push(t.elapsed());
    }
    let rtt = Percentiles::of(rtt);

    let (delivery, ack) = one_in_flight(alice, bob, "light", n).await;
    let scenario = format!("Delivery, light ({n} sends, one in flight)");
    for (name, got, base) in [
        ("p50", delivery.p50, rtt.p50),
        ("p99", delivery.p99, rtt.p99),
    ] {
        Report::compared(
            &scenario,
            &format!("send → recipient's socket, {name}"),
            ms(got),
            format!("{} (`current_user` round trip)", ms(base)),
            got.as_secs_f64() / base.as_secs_f64(),
        );
    }
    Report::row(
        &scenario,
        "send acknowledged (committed), p50 / p99",
        format!("{} / {}", ms(ack.p50), ms(ack.p99)),
    );
}

/// `n` sends from `sender` to `reader`, one in flight, 2 ms apart, each
/// awaited on the reader's socket (opened at the reader's node): send →
/// socket and send → acknowledgement.
pub async fn one_in_flight(
    sender: &User,
    reader: &User,
    tag: &str,
    n: u64,
) -> (Percentiles, Percentiles) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let socket = watch(reader.socket().await.expect("the reader's socket"), tx);
    let t0 = Instant::now();
    let (mut delivery, mut ack) = (Vec::new(), Vec::new());
    for seq in 0..n {
        let id = stamped_id(tag, seq, t0);
        let sent = Instant::now();
        sender.send(&reader.name, "hello", &id).await.expect("send");
        ack.push(sent.elapsed());
        let (got, at) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("delivered within 5 s")
            .expect("socket open");
        assert_eq!(got, id, "delivered in order");
        delivery.push(at - sent);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    socket.abort();
    (Percentiles::of(delivery), Percentiles::of(ack))
}

pub async fn heavy(base: &str, rate: u64, secs: u64, pairs: usize) {
    let users = User::many(base, "heavy", 2 * pairs).await;
    let (senders, receivers) = users.split_at(pairs);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut readers = Vec::new();
    for r in receivers {
        readers.push(watch(r.socket().await.expect("socket"), tx.clone()));
    }
    drop(tx);

    let total = rate * secs;
    let failures = Arc::new(AtomicU64::new(0));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let t0 = Instant::now();
    for seq in 0..total {
        tick.tick().await;
        let i = seq as usize % pairs;
        let (sender, to) = (senders[i].clone(), receivers[i].name.clone());
        let id = stamped_id("heavy", seq, t0);
        let failures = failures.clone();
        tokio::spawn(async move {
            if sender.send(&to, "under load", &id).await.is_err() {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    let offered = t0.elapsed();

    let mut latencies = Vec::with_capacity(total as usize);
    while (latencies.len() as u64) < total - failures.load(Ordering::Relaxed) {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some((id, at))) => latencies.push(at - stamp_of(&id, t0).expect("stamped id")),
            _ => break,
        }
    }
    let failed = failures.load(Ordering::Relaxed);
    let missing = total - failed - latencies.len() as u64;
    let p = Percentiles::of(latencies);
    let scenario = format!("Delivery, heavy ({rate} sends/s for {secs} s over {pairs} pairs)");
    Report::row(
        &scenario,
        "offered rate",
        format!("{:.0} sends/s", total as f64 / offered.as_secs_f64()),
    );
    Report::row(
        &scenario,
        "due → recipient's socket, p50 / p99 / max",
        format!("{} / {} / {}", ms(p.p50), ms(p.p99), ms(p.max)),
    );
    Report::row(
        &scenario,
        "delivered / failed / missing",
        format!("{} / {failed} / {missing}", p.n),
    );
    for r in readers {
        r.abort();
    }
}
