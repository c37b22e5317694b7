//! Rooms: how long a post takes to reach every connected member of a room of
//! 50, 1,000 and 10,000 people, each their own user with their own socket.
//!
//! Members are seeded straight into the server's database (users, sessions,
//! memberships — no argon2, no sign-up limits), then every member opens
//! `/ws` with their session cookie. One member posts `POSTS` messages, one at
//! a time (each once the previous one reached everybody); for every member
//! and post the time from "send started" to "this socket read the `message`
//! frame" is one sample. The load generator (all the sockets) shares the two
//! cores with the server. The first `WARMUP` posts are reported on their own
//! and left out of the samples: they meet the server's member cache empty and
//! the presence announcements of everyone connecting at once still in flight
//! (each a frame to every socket), which is the connect storm's cost, not a
//! post's. Rooms of 1,000 and more are followed by their floor (`floor.rs`):
//! the same generator against a process that only writes the frames.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use tokio_tungstenite::tungstenite::{Message as WsMessage, client::IntoClientRequest};

use crate::{
    harness::{Percentiles, ServerProcess, Ws, ms},
    report::Report,
};

const POSTS: usize = 100;
/// Posts sent (and awaited) before the measured ones.
const WARMUP: usize = 3;

pub async fn run(sizes: &[usize]) {
    for &members in sizes {
        let server = ServerProcess::start().await;
        let (frame_len, p50, p99) = one_room(&server, members).await;
        drop(server);
        if members >= 1_000 {
            crate::floor::compare(members, frame_len, p50, p99).await;
        }
    }
}

pub async fn database(server: &ServerProcess) -> DatabaseConnection {
    let url = format!("sqlite://{}?mode=rw", server.database_path().display());
    let mut opts = sea_orm::ConnectOptions::new(url);
    opts.sqlx_logging(false);
    sea_orm::Database::connect(opts).await.expect("database")
}

/// Seeds `n` users with a live session each and one public room they are all
/// in; returns the room id and the session ids (cookie values).
pub async fn seed(db: &DatabaseConnection, n: usize) -> (i64, Vec<String>) {
    let now = app::db::now_millis();
    let txn = db.begin().await.expect("begin");
    let mut sessions = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let users: Vec<String> = chunk
            .iter()
            .map(|i| format!("('m{i}', 'm{i}', 'm{i}@example.org', 'x', 'user', 1, {now})"))
            .collect();
        txn.execute_unprepared(&format!(
            "INSERT INTO users (username, username_key, email, password_hash, role, is_active, created_at) VALUES {}",
            users.join(",")
        ))
        .await
        .expect("users");
    }
    txn.execute_unprepared(&format!(
        "INSERT INTO conversations (kind, name, topic, is_public, created_at, last_message_id)
         VALUES ('room', 'everyone', '', TRUE, {now}, 0)"
    ))
    .await
    .expect("room");
    let room = crate::harness::scalar(&txn, "SELECT MAX(id) FROM conversations").await;
    txn.execute_unprepared(&format!(
        "INSERT INTO memberships (conversation_id, user_id, role, last_read_id, notify, joined_at)
         SELECT {room}, id, 'member', 0, 'all', {now} FROM users WHERE username LIKE 'm%'"
    ))
    .await
    .expect("memberships");
    let ids: Vec<i64> = {
        use sea_orm::{FromQueryResult, Statement};
        #[derive(FromQueryResult)]
        struct Row {
            id: i64,
        }
        Row::find_by_statement(Statement::from_string(
            txn.get_database_backend(),
            "SELECT id FROM users WHERE username LIKE 'm%' ORDER BY id",
        ))
        .all(&txn)
        .await
        .expect("ids")
        .into_iter()
        .map(|r| r.id)
        .collect()
    };
    for chunk in ids.chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|id| {
                let sid = tower_sessions::session::Id::default().to_string();
                let row = format!(
                    "('{sid}', {id}, '{{\"user_id\":{id},\"renewed_at\":{now}}}', {})",
                    now + 86_400_000
                );
                sessions.push(sid);
                row
            })
            .collect();
        txn.execute_unprepared(&format!(
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES {}",
            rows.join(",")
        ))
        .await
        .expect("sessions");
    }
    txn.commit().await.expect("commit");
    (room, sessions)
}

pub async fn connect(base: &str, session: &str) -> Result<Ws, String> {
    let url = format!("{}/ws", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().map_err(|e| e.to_string())?;
    req.headers_mut().insert(
        "cookie",
        format!("kanect_session={session}").parse().unwrap(),
    );
    req.headers_mut().insert("origin", base.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(
        req,
        Some(super::harness::client_config()),
        false,
    )
    .await
    .map_err(|e| e.to_string())?;
    match ws.next().await {
        Some(Ok(WsMessage::Text(t))) if t.contains("\"hello\"") => Ok(ws),
        other => Err(format!("expected hello, got {other:?}")),
    }
}

/// Arrival instants of `message` frames, per post (by body).
type Arrivals = Arc<Mutex<Vec<Vec<Instant>>>>;

/// One run's measurements: per post, when each socket read it.
pub struct Fanout {
    arrivals: Arrivals,
    readers: Vec<tokio::task::JoinHandle<()>>,
    pub connected: usize,
    pub failed: usize,
    /// The length of a post's frame as the sockets read it.
    pub frame_len: Arc<std::sync::atomic::AtomicUsize>,
    samples: Vec<Duration>,
    complete: Vec<Duration>,
    warmup: Vec<f64>,
}

impl Fanout {
    /// Starts reading every socket: the arrival of each `post <n>` frame is
    /// noted with its instant. The same code reads Kanect's sockets and the
    /// floor's (`floor`).
    pub fn read(opened: Vec<Result<Ws, String>>, members: usize) -> Self {
        let arrivals: Arrivals = Arc::new(Mutex::new(
            (0..WARMUP + POSTS)
                .map(|_| Vec::with_capacity(members))
                .collect(),
        ));
        let frame_len = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut readers = Vec::new();
        let mut failed = 0;
        for ws in opened {
            match ws {
                Ok(mut ws) => {
                    let arrivals = arrivals.clone();
                    let frame_len = frame_len.clone();
                    readers.push(tokio::spawn(async move {
                        while let Some(Ok(frame)) = ws.next().await {
                            if let WsMessage::Text(t) = frame {
                                let at = Instant::now();
                                if let Some(i) = t.find("\"body\":\"post ") {
                                    let n: usize = t[i + 13..]
                                        .split('"')
                                        .next()
                                        .and_then(|s| s.parse().ok())
                                        .unwrap_or(usize::MAX);
                                    if n < WARMUP + POSTS {
                                        arrivals.lock().unwrap()[n].push(at);
                                        frame_len
                                            .store(t.len(), std::sync::atomic::Ordering::Relaxed);
                                    }
                                }
                            }
                        }
                    }));
                }
                Err(_) => failed += 1,
            }
        }
        Self {
            arrivals,
            connected: readers.len(),
            readers,
            failed,
            frame_len,
            samples: Vec::with_capacity(POSTS * members),
            complete: Vec::with_capacity(POSTS),
            warmup: Vec::with_capacity(WARMUP),
        }
    }

    /// The posts to send, warm-up ones first.
    pub fn posts() -> std::ops::Range<usize> {
        0..WARMUP + POSTS
    }

    /// Waits until every socket has read post `n`, sent at `started`.
    pub async fn wait_for(&mut self, n: usize, started: Instant) {
        let deadline = started + Duration::from_secs(30);
        while self.arrivals.lock().unwrap()[n].len() < self.connected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let got = self.arrivals.lock().unwrap()[n].clone();
        let last = got.iter().max().map(|last| *last - started);
        if n < WARMUP {
            self.warmup
                .push(last.map_or(f64::NAN, |l| l.as_secs_f64() * 1e3));
            return;
        }
        self.complete.extend(last);
        self.samples.extend(got.into_iter().map(|at| at - started));
    }

    /// Reports the run under `scenario`; returns (p50 to each member, p99).
    pub fn report(self, scenario: &str, open_time: Duration) -> (Duration, Duration) {
        Report::row(
            scenario,
            "sockets open / failed",
            format!(
                "{} / {} (opened in {:.1} s)",
                self.connected,
                self.failed,
                open_time.as_secs_f64()
            ),
        );
        Report::row(
            scenario,
            &format!(
                "first {WARMUP} posts after everyone connected (not in the samples): the last member has it"
            ),
            self.warmup
                .iter()
                .map(|ms| format!("{ms:.2} ms"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        let delivered = self.samples.len();
        let each = Percentiles::of(self.samples);
        Report::row(
            scenario,
            "send → each member's socket, p50 / p99 / max",
            format!("{} / {} / {}", ms(each.p50), ms(each.p99), ms(each.max)),
        );
        let all = Percentiles::of(self.complete);
        Report::row(
            scenario,
            "send → the last member has it, p50 / max",
            format!("{} / {}", ms(all.p50), ms(all.max)),
        );
        Report::row(
            scenario,
            "deliveries / expected",
            format!("{delivered} / {}", POSTS * self.connected),
        );
        for r in self.readers {
            r.abort();
        }
        (each.p50, each.p99)
    }
}

/// Opens `sockets` WebSockets with `connect`, 128 at a time.
pub async fn open_all<F, Fut>(sockets: usize, connect: F) -> (Vec<Result<Ws, String>>, Duration)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Ws, String>>,
{
    let t0 = Instant::now();
    let opened = futures::stream::iter(0..sockets)
        .map(connect)
        .buffer_unordered(128)
        .collect()
        .await;
    (opened, t0.elapsed())
}

/// Posts `body` to `room` over HTTP as the holder of `session`; panics unless
/// the server acknowledged it.
pub async fn post_to_room(
    http: &reqwest::Client,
    base: &str,
    session: &str,
    room: i64,
    body: &str,
    client_id: &str,
) {
    let res = http
        .post(format!("{base}/api/send"))
        .header("cookie", format!("kanect_session={session}"))
        .header("origin", base)
        .header("accept", "application/json")
        .form(&[
            ("to", ""),
            ("conversation_id", &room.to_string()),
            ("body", body),
            ("client_id", client_id),
        ])
        .send()
        .await
        .expect("send");
    assert!(res.status().is_success(), "send: {}", res.status());
}

/// The server's `kanect_live_frames_total` counters: "direct / queued / stalled".
pub async fn live_frames(http: &reqwest::Client, base: &str) -> String {
    let text = http
        .get(format!("{base}/metrics"))
        .bearer_auth(crate::harness::METRICS_TOKEN)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    let count = |how: &str| {
        let key = format!("kanect_live_frames_total{{how=\"{how}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&key))
            .unwrap_or("0")
            .to_owned()
    };
    format!(
        "{} / {} / {}",
        count("direct"),
        count("queued"),
        count("stalled")
    )
}

/// Runs a room of `members` on a fresh server; returns the length of a
/// post's frame and the p50 / p99 to each member.
async fn one_room(server: &ServerProcess, members: usize) -> (usize, Duration, Duration) {
    let db = database(server).await;
    let (room, sessions) = seed(&db, members).await;
    let (opened, open_time) = open_all(members, |i| {
        let base = server.base.clone();
        let session = sessions[i].clone();
        async move { connect(&base, &session).await }
    })
    .await;
    let mut run = Fanout::read(opened, members);
    let sender = reqwest::Client::new();
    let mut cpu_before = server.cpu_time();
    for n in Fanout::posts() {
        if n == WARMUP {
            cpu_before = server.cpu_time();
        }
        let started = Instant::now();
        post_to_room(
            &sender,
            &server.base,
            &sessions[0],
            room,
            &format!("post {n}"),
            &format!("room-bench-{n:06}"),
        )
        .await;
        run.wait_for(n, started).await;
    }
    let frame_len = run.frame_len.load(std::sync::atomic::Ordering::Relaxed);
    let scenario = format!("Room of {members} members, all connected ({POSTS} posts)");
    let cpu_after = server.cpu_time();
    let how = live_frames(&sender, &server.base).await;
    let (p50, p99) = run.report(&scenario, open_time);
    Report::row(
        &scenario,
        "frames to sockets (whole run): written directly / queued / stalled",
        how,
    );
    let per_post = |after: Duration, before: Duration| ms((after - before) / POSTS as u32);
    Report::row(
        &scenario,
        "server CPU per post (user / kernel)",
        format!(
            "{} / {}",
            per_post(cpu_after.0, cpu_before.0),
            per_post(cpu_after.1, cpu_before.1)
        ),
    );
    (frame_len, p50, p99)
}
