//! History pages: the `messages` server function for conversations of 10,
//! 10,000 and 1,000,000 messages. The big conversation is seeded interleaved
//! with as many messages of another pair, so its rows are scattered through
//! the table as in a real database. Each size is timed for the newest page and
//! for pages at random depths (`before` a random id of the conversation); the
//! baseline is the same request against the 10-message conversation.
//!
//! Page load: what a browser does to open the conversation — the server
//! render of `/chats/<peer>`, then the live socket resuming from the newest
//! message id the page was rendered with, up to its `hello` — and how many
//! frames the socket then replays before a sentinel sent afterwards arrives
//! (0: a page load never replays history). Hydration runs in the browser and
//! is not part of this figure.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{
    harness::{Percentiles, ServerProcess, User, ms, scalar},
    report::Report,
};

pub async fn run(server: &ServerProcess, requests: usize, sizes: &[u64]) {
    let users = User::many(&server.base, "page", 2 * sizes.len() + 1).await;
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=rw",
        server.database_path().display()
    ))
    .await
    .expect("open the server's database");
    let noise_peer = id_of(&db, &users[2 * sizes.len()].name).await;

    let mut baseline: Option<(Duration, Duration)> = None;
    let mut load_baseline: Option<(Duration, Duration)> = None;
    for (i, &size) in sizes.iter().enumerate() {
        let (reader, peer) = (&users[2 * i], &users[2 * i + 1]);
        let (a, b) = (id_of(&db, &reader.name).await, id_of(&db, &peer.name).await);
        let seeding = Instant::now();
        seed(&db, a, b, noise_peer, size).await;
        let seeded = seeding.elapsed();
        let (lo, hi) = id_range(&db, a, b).await;

        let newest = time_pages(reader, &peer.name, requests, |_| None).await;
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let deep = time_pages(reader, &peer.name, requests, |_| {
            rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            Some(lo + (rng >> 33) as i64 % (hi - lo + 1))
        })
        .await;
        let (load, replayed) = time_page_loads(&db, reader, peer, requests.min(200)).await;
        let scenario = format!(
            "History page, {size} messages (seeded in {:.1} s)",
            seeded.as_secs_f64()
        );
        let (lb50, lb99) = *load_baseline.get_or_insert((load.p50, load.p99));
        Report::compared(
            &scenario,
            &format!(
                "page load (render + socket to hello), p50 / p99; frames replayed: {replayed}"
            ),
            format!("{} / {}", ms(load.p50), ms(load.p99)),
            format!("{} / {} (10 messages)", ms(lb50), ms(lb99)),
            load.p50.as_secs_f64() / lb50.as_secs_f64(),
        );
        let (b50, b99) = *baseline.get_or_insert((newest.p50, newest.p99));
        for (name, p) in [("newest page", &newest), ("page at a random depth", &deep)] {
            Report::compared(
                &scenario,
                &format!("{name}, p50 / p99"),
                format!("{} / {}", ms(p.p50), ms(p.p99)),
                format!("{} / {} (10 messages, newest)", ms(b50), ms(b99)),
                p.p50.as_secs_f64() / b50.as_secs_f64(),
            );
        }
    }
}

async fn time_pages(
    reader: &User,
    peer: &str,
    requests: usize,
    mut before: impl FnMut(usize) -> Option<i64>,
) -> Percentiles {
    let mut samples = Vec::with_capacity(requests);
    for i in 0..requests {
        let before = before(i).map(|b| b.to_string());
        let mut form = vec![("peer", peer)];
        if let Some(b) = &before {
            form.push(("before", b));
        }
        let t = Instant::now();
        let page = reader.call("messages", &form).await.expect("a page");
        samples.push(t.elapsed());
        assert!(page.contains("\"messages\":["), "{page}");
    }
    Percentiles::of(samples)
}

/// Page loads of `/chats/<peer>` by `reader`: render, then the socket from the
/// page's cursor up to `hello`. Also returns how many frames were replayed
/// in all (counted up to a sentinel message sent after each load).
async fn time_page_loads(
    db: &DatabaseConnection,
    reader: &User,
    peer: &User,
    loads: usize,
) -> (Percentiles, usize) {
    use futures::StreamExt;
    let mut samples = Vec::with_capacity(loads);
    let mut replayed = 0;
    for i in 0..loads {
        let t = Instant::now();
        let html = reader
            .page(&format!("/chats/{}", peer.name))
            .await
            .expect("the page");
        // What the page was rendered with: the newest message id (the server
        // is otherwise idle, so reading it now gives the same number).
        let cursor = scalar(db, "SELECT COALESCE(MAX(id), 0) FROM messages").await;
        let mut ws = reader.socket_after(Some(cursor)).await.expect("socket");
        samples.push(t.elapsed());
        assert!(html.contains("</html>"));
        let sentinel = format!("page-load-sentinel-{i:06}");
        peer.send(&reader.name, "sentinel", &sentinel)
            .await
            .expect("sentinel");
        while let Some(Ok(frame)) = ws.next().await {
            let tokio_tungstenite::tungstenite::Message::Text(text) = frame else {
                continue;
            };
            if text.contains(&sentinel) {
                break;
            }
            if text.contains("\"type\":\"message\"") {
                replayed += 1;
            }
        }
    }
    (Percentiles::of(samples), replayed)
}

async fn id_of(db: &DatabaseConnection, username: &str) -> i64 {
    scalar(
        db,
        &format!("SELECT id FROM users WHERE username_key = '{username}'"),
    )
    .await
}

async fn id_range(db: &DatabaseConnection, a: i64, b: i64) -> (i64, i64) {
    let (lo, hi) = (a.min(b), a.max(b));
    let conv =
        format!("(SELECT id FROM conversations WHERE direct_lo = {lo} AND direct_hi = {hi})");
    let first = scalar(
        db,
        &format!("SELECT MIN(id) FROM messages WHERE conversation_id = {conv}"),
    )
    .await;
    let last = scalar(
        db,
        &format!("SELECT MAX(id) FROM messages WHERE conversation_id = {conv}"),
    )
    .await;
    (first, last)
}

/// The direct conversation of `a` and `b`, made if missing; its id.
async fn direct(db: &DatabaseConnection, a: i64, b: i64) -> i64 {
    let (lo, hi) = (a.min(b), a.max(b));
    db.execute_unprepared(&format!(
        "INSERT INTO conversations (kind, is_public, direct_lo, direct_hi, created_at, last_message_id)
         SELECT 'direct', FALSE, {lo}, {hi}, 0, 0
         WHERE NOT EXISTS (SELECT 1 FROM conversations WHERE direct_lo = {lo} AND direct_hi = {hi});
         INSERT OR IGNORE INTO memberships (conversation_id, user_id, role, last_read_id, notify, joined_at)
         SELECT id, {lo}, 'member', 0, 'all', 0 FROM conversations WHERE direct_lo = {lo} AND direct_hi = {hi};
         INSERT OR IGNORE INTO memberships (conversation_id, user_id, role, last_read_id, notify, joined_at)
         SELECT id, {hi}, 'member', 0, 'all', 0 FROM conversations WHERE direct_lo = {lo} AND direct_hi = {hi}"
    ))
    .await
    .expect("direct conversation");
    scalar(
        db,
        &format!("SELECT id FROM conversations WHERE direct_lo = {lo} AND direct_hi = {hi}"),
    )
    .await
}

/// `size` messages between `a` and `b` (alternating senders); from 10,000 up,
/// interleaved one for one with messages between `a` and `noise`.
async fn seed(db: &DatabaseConnection, a: i64, b: i64, noise: i64, size: u64) {
    let step = if size >= 10_000 { 2 } else { 1 };
    let (pair, noisy) = (direct(db, a, b).await, direct(db, a, noise).await);
    let now = app::db::now_millis();
    let sql = format!(
        "INSERT INTO messages (conversation_id, sender_id, kind, body, client_id, created_at)
         WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x + 1 < {total})
         SELECT
           CASE WHEN x % {step} = 0 THEN {pair} ELSE {noisy} END,
           CASE WHEN x % {step} = 0 THEN (CASE WHEN (x / {step}) % 2 = 0 THEN {a} ELSE {b} END) ELSE {a} END,
           'text',
           'Seeded message number ' || x || ', long enough to look like a real line of chat.',
           'seed-' || {b} || '-' || x,
           {now} - ({total} - x) * 1000
         FROM c;
         UPDATE conversations SET last_message_id =
           (SELECT COALESCE(MAX(m.id), 0) FROM messages m WHERE m.conversation_id = conversations.id)
         WHERE id IN ({pair}, {noisy})",
        total = size * step,
    );
    db.execute_unprepared(&sql).await.expect("seed messages");
}
