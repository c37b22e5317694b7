//! Sustained durable sends: many senders keep a fixed number of sends in
//! flight for a while; a send counts once the server acknowledged it, which it
//! does only after the commit. Afterwards the rows are counted in the database
//! file itself: every acknowledged message must be there, exactly once.
//!
//! The same load also runs over `/ws` (`send` frames, pipelined per socket),
//! which skips the per-request HTTP, session and routing work.
//!
//! Two baselines run in the same process on a fresh database with the server's
//! own settings: one transaction per message (what a naive server does), and
//! Kanect's group-commit writer called directly (its capacity without HTTP).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use app::{
    chat::writer::{NewMessage, Target, Writer},
    live::{InProcess, Live, hub::Hub},
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};

use crate::{
    harness::{ServerProcess, User, scalar},
    report::Report,
};

/// People in each room of the rooms pass.
const ROOM_SIZE: usize = 8;

/// Sends between pairs of people (direct conversations), then into rooms of
/// `ROOM_SIZE` (each person posts to their room), over HTTP and over `/ws`,
/// each against the same one-commit-per-message baseline.
pub async fn over_http(server: &ServerProcess, users: usize, in_flight: usize, secs: u64) {
    let users = Arc::new(User::many(&server.base, "tp", users).await);
    let baseline = writer_alone(in_flight, secs.min(5)).await;
    let scenario = format!("Durable sends ({in_flight} in flight, {secs} s)");
    sustained(server, &users, &[], in_flight, secs, baseline, &scenario).await;
    let rooms = seed_rooms(server, &users).await;
    let scenario =
        format!("Durable sends into rooms of {ROOM_SIZE} ({in_flight} in flight, {secs} s)");
    sustained(server, &users, &rooms, in_flight, secs, baseline, &scenario).await;
}

/// The one-commit-per-message baseline, then Kanect's group-commit writer
/// called directly, each for `secs`; reports both and returns the baseline.
pub async fn writer_alone(in_flight: usize, secs: u64) -> f64 {
    let baseline = one_commit_per_message(in_flight, secs).await;
    let direct = group_commit_direct(in_flight, secs).await;
    Report::compared(
        &format!("Durable sends ({in_flight} in flight, {secs} s)"),
        "group-commit writer alone (no HTTP)",
        format!("{direct:.0}/s"),
        format!("{baseline:.0}/s (one commit per message)"),
        direct / baseline,
    );
    baseline
}

/// Puts the users in rooms of `ROOM_SIZE`, straight into the server's
/// database; returns each user's room (by index).
async fn seed_rooms(server: &ServerProcess, users: &[User]) -> Vec<i64> {
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=rw",
        server.database_path().display()
    ))
    .await
    .expect("open the server's database");
    let mut rooms = Vec::with_capacity(users.len());
    for (r, members) in users.chunks(ROOM_SIZE).enumerate() {
        let now = app::db::now_millis();
        db.execute_unprepared(&format!(
            "INSERT INTO conversations (kind, name, topic, is_public, created_at, last_message_id)
             VALUES ('room', 'durable-{r}', '', TRUE, {now}, 0)"
        ))
        .await
        .expect("room");
        let room = scalar(&db, "SELECT MAX(id) FROM conversations").await;
        let names: Vec<String> = members.iter().map(|u| format!("'{}'", u.name)).collect();
        db.execute_unprepared(&format!(
            "INSERT INTO memberships (conversation_id, user_id, role, last_read_id, notify, joined_at)
             SELECT {room}, id, 'member', 0, 'all', {now} FROM users WHERE username IN ({})",
            names.join(",")
        ))
        .await
        .expect("memberships");
        rooms.extend(std::iter::repeat_n(room, members.len()));
    }
    rooms
}

/// `in_flight` senders over HTTP, then the same over `/ws`, for `secs` each:
/// to the next person, or (with `rooms`) to their room. Reports the rates
/// against `baseline` and checks that every acknowledged message is stored
/// exactly once.
async fn sustained(
    server: &ServerProcess,
    users: &Arc<Vec<User>>,
    rooms: &[i64],
    in_flight: usize,
    secs: u64,
    baseline: f64,
    scenario: &str,
) {
    let (prefix, ws_prefix) = if rooms.is_empty() {
        ("tp", "ws")
    } else {
        ("tr", "wr")
    };
    let rooms: Arc<Vec<i64>> = Arc::new(rooms.to_vec());
    let people = users.clone();
    let users = users.clone();
    let (acked, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let t0 = Instant::now();
    let stop = t0 + Duration::from_secs(secs);
    let workers: Vec<_> = (0..in_flight)
        .map(|w| {
            let (users, acked, failed) = (users.clone(), acked.clone(), failed.clone());
            let rooms = rooms.clone();
            tokio::spawn(async move {
                let me = &users[w % users.len()];
                let to = &users[(w + 1) % users.len()].name;
                let room = rooms.get(w % users.len()).map(i64::to_string);
                let mut seq = 0u64;
                while Instant::now() < stop {
                    let id = format!("{prefix}-{w:05}-{seq:09}");
                    let sent = match &room {
                        None => me.send(to, "durable", &id).await,
                        Some(room) => {
                            me.call(
                                "send",
                                &[
                                    ("to", ""),
                                    ("conversation_id", room),
                                    ("body", "durable"),
                                    ("client_id", &id),
                                ],
                            )
                            .await
                        }
                    };
                    match sent {
                        Ok(_) => acked.fetch_add(1, Ordering::Relaxed),
                        Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    };
                    seq += 1;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let acked = acked.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);

    let db = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=ro",
        server.database_path().display()
    ))
    .await
    .expect("open the server's database");
    let stored = scalar(
        &db,
        &format!("SELECT COUNT(*) FROM messages WHERE client_id LIKE '{prefix}-%'"),
    )
    .await as u64;

    let ws = over_sockets(&people, &rooms, ws_prefix, in_flight, secs).await;
    let (ws_rate, ws_acked, ws_failed) = (ws.rate, ws.acked, ws.failed);
    let ws_stored = scalar(
        &db,
        &format!("SELECT COUNT(*) FROM messages WHERE client_id LIKE '{ws_prefix}-%'"),
    )
    .await as u64;

    let rate = acked as f64 / elapsed;
    Report::compared(
        scenario,
        "acknowledged sends/s over HTTP (`send`)",
        format!("{rate:.0}/s"),
        format!("{baseline:.0}/s (one commit per message)"),
        rate / baseline,
    );
    Report::compared(
        scenario,
        "acknowledged sends/s over `/ws` (`send` frames)",
        format!("{ws_rate:.0}/s"),
        format!("{baseline:.0}/s (one commit per message)"),
        ws_rate / baseline,
    );
    Report::row(
        scenario,
        "acknowledged / failed / rows in the database",
        format!("{acked} / {failed} / {stored}"),
    );
    Report::row(
        scenario,
        "over `/ws`: acknowledged / failed / rows in the database",
        format!(
            "{ws_acked} / {ws_failed} / {ws_stored} ({} sockets closed by the server, {} sends on them unanswered)",
            ws.closed, ws.in_doubt
        ),
    );
    assert_eq!(
        stored, acked,
        "every acknowledged message is stored exactly once"
    );
    // Client ids are unique per sender and so are the rows (a unique index):
    // every acknowledged send is stored once, and a send left unanswered on
    // a closed socket may or may not be.
    assert!(
        ws_acked <= ws_stored && ws_stored <= ws_acked + ws.in_doubt,
        "every acknowledged message is stored exactly once: {ws_acked} acknowledged, {ws_stored} stored, {} in doubt",
        ws.in_doubt
    );
}

/// One socket per user, each keeping `in_flight / users` sends unanswered,
/// to the next person or (with `rooms`) to their room. Like any pipelining
/// client, a socket writes the sends that a burst of answers frees with one
/// flush (the answers to one batch arrive together).
async fn over_sockets(
    users: &[User],
    rooms: &[i64],
    prefix: &'static str,
    in_flight: usize,
    secs: u64,
) -> SocketRun {
    use futures::{FutureExt, SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    let window = (in_flight / users.len()).max(1);
    let mut sockets = Vec::new();
    for u in users {
        sockets.push(u.socket().await.expect("socket"));
    }
    let t0 = Instant::now();
    let stop = t0 + Duration::from_secs(secs);
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(w, ws)| {
            let to = users[(w + 1) % users.len()].name.clone();
            let room = rooms.get(w).copied();
            tokio::spawn(async move {
                let (mut tx, mut rx) = ws.split();
                let frame = |seq: u64| {
                    let client_id = format!("{prefix}-{w:05}-{seq:09}");
                    let json = match room {
                        None => serde_json::json!({
                            "type": "send", "to": to, "body": "durable", "client_id": client_id,
                        }),
                        Some(room) => serde_json::json!({
                            "type": "send", "conversation_id": room, "body": "durable",
                            "client_id": client_id,
                        }),
                    };
                    WsMessage::Text(json.to_string().into())
                };
                let (mut seq, mut waiting, mut acked, mut failed) = (0u64, 0usize, 0u64, 0u64);
                while waiting < window {
                    tx.feed(frame(seq)).await.expect("send frame");
                    seq += 1;
                    waiting += 1;
                }
                tx.flush().await.expect("send frames");
                'socket: while waiting > 0 {
                    // The next frame, then every one already here: the sends
                    // they free go out together, with one flush.
                    let mut next = rx.next().await;
                    let mut refill = 0;
                    loop {
                        let text = match next {
                            Some(Ok(WsMessage::Text(text))) => Some(text),
                            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => None,
                            // Closed by the server (a socket whose reader falls
                            // too far behind is told to reload and closed): the
                            // sends still unanswered are in doubt, stored or not.
                            _ => break 'socket,
                        };
                        if let Some(text) = text {
                            let answered = if text.starts_with(r#"{"type":"sent""#) {
                                acked += 1;
                                true
                            } else if text.starts_with(r#"{"type":"send_failed""#) {
                                failed += 1;
                                true
                            } else {
                                false
                            };
                            if answered {
                                waiting -= 1;
                                if Instant::now() < stop {
                                    // Counted before it goes: if the socket is
                                    // closed meanwhile, this send too is in doubt.
                                    waiting += 1;
                                    refill += 1;
                                    let more = frame(seq);
                                    seq += 1;
                                    if tx.feed(more).await.is_err() {
                                        break 'socket;
                                    }
                                }
                            }
                        }
                        match rx.next().now_or_never() {
                            Some(more) => next = more,
                            None => break,
                        }
                    }
                    if refill > 0 && tx.flush().await.is_err() {
                        break;
                    }
                }
                (acked, failed, waiting as u64)
            })
        })
        .collect();
    let mut out = SocketRun::default();
    for t in tasks {
        let (acked, failed, in_doubt) = t.await.expect("socket task");
        out.acked += acked;
        out.failed += failed;
        out.in_doubt += in_doubt;
        out.closed += u64::from(in_doubt > 0);
    }
    out.rate = out.acked as f64 / t0.elapsed().as_secs_f64();
    out
}

/// What the sockets of `over_sockets` counted.
#[derive(Default)]
struct SocketRun {
    rate: f64,
    acked: u64,
    failed: u64,
    /// Sends left unanswered on sockets the server closed during the run.
    in_doubt: u64,
    /// Sockets the server closed during the run.
    closed: u64,
}

/// A fresh database with the server's settings and two users.
async fn fresh_db() -> (tempfile::TempDir, DatabaseConnection) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let db = app::db::connect_and_migrate(&url).await.expect("database");
    db.execute_unprepared(
        "INSERT INTO users (username, username_key, email, password_hash, role, is_active, created_at) VALUES
         ('a', 'a', 'a@example.org', 'x', 'user', 1, 0), ('b', 'b', 'b@example.org', 'x', 'user', 1, 0)",
    )
    .await
    .expect("users");
    // The session the writer's direct sends come under (it checks it exists).
    db.execute_unprepared(
        "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ('bench-session', 1, '{}', 9000000000000)",
    )
    .await
    .expect("session");
    // Their direct conversation (the writer's sends to `b` land in it).
    db.execute_unprepared(
        "INSERT INTO conversations (id, kind, is_public, direct_lo, direct_hi, created_at, last_message_id)
         VALUES (1, 'direct', FALSE, 1, 2, 0, 0);
         INSERT INTO memberships (conversation_id, user_id, role, last_read_id, notify, joined_at)
         VALUES (1, 1, 'member', 0, 'all', 0), (1, 2, 'member', 0, 'all', 0)",
    )
    .await
    .expect("conversation");
    (dir, db)
}

/// `in_flight` tasks, each inserting one message per transaction.
async fn one_commit_per_message(in_flight: usize, secs: u64) -> f64 {
    let (_dir, db) = fresh_db().await;
    let done = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let stop = t0 + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..in_flight)
        .map(|w| {
            let (db, done) = (db.clone(), done.clone());
            tokio::spawn(async move {
                let mut seq = 0u64;
                while Instant::now() < stop {
                    let txn = db.begin().await.expect("begin");
                    txn.execute_raw(Statement::from_sql_and_values(
                        txn.get_database_backend(),
                        "INSERT INTO messages (conversation_id, sender_id, kind, body, client_id, created_at) VALUES (1, 1, 'text', 'durable', ?, 0)",
                        [format!("naive-{w:05}-{seq:09}").into()],
                    ))
                    .await
                    .expect("insert");
                    txn.commit().await.expect("commit");
                    done.fetch_add(1, Ordering::Relaxed);
                    seq += 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    done.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64()
}

/// `in_flight` tasks sending through Kanect's writer on a fresh database.
async fn group_commit_direct(in_flight: usize, secs: u64) -> f64 {
    let (_dir, db) = fresh_db().await;
    let live: Arc<dyn Live> = InProcess::start(db.clone(), Hub::new())
        .await
        .expect("live layer");
    let writer = Writer::start(db, live);
    let done = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let stop = t0 + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..in_flight)
        .map(|w| {
            let (writer, done) = (writer.clone(), done.clone());
            tokio::spawn(async move {
                let mut seq = 0u64;
                while Instant::now() < stop {
                    writer
                        .send(NewMessage {
                            sender_id: 1,
                            sender_name: "bench1".into(),
                            target: Target::Person(2),
                            body: "durable".into(),
                            client_id: format!("direct-{w:05}-{seq:09}"),
                            reply_to: None,
                            attachments: Vec::new(),
                            session_id: "bench-session".into(),
                        })
                        .await
                        .expect("stored");
                    done.fetch_add(1, Ordering::Relaxed);
                    seq += 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    done.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64()
}
