//! Several nodes (`-- --only nodes`): two Kanect nodes sharing one database
//! and a real `nats-server` (started here on a free port).
//!
//! - Delivery, one message in flight: sender on node A, recipient's socket on
//!   node B, against both on node A — same run, same installation.
//! - Durable sends over HTTP (closed loop, `in_flight` sends outstanding):
//!   one node on SQLite (the baseline), then one and two nodes on PostgreSQL,
//!   the load generator sharing the machine's cores with every server.
//!
//! PostgreSQL comes from `BENCH_POSTGRES_URL` (a server URL without a
//! database; each installation gets a fresh database): `scripts/bench-nodes`
//! starts a throw-away cluster and sets it. Without it only SQLite runs.

use std::{
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{
    delivery::one_in_flight,
    harness::{Install, ServerProcess, User, ms},
    report::Report,
};

struct Nats(Child);

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

async fn start_nats() -> (Nats, String) {
    let port = free_port();
    let child = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server on PATH (apt-get install nats-server)");
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    (Nats(child), format!("nats://127.0.0.1:{port}"))
}

/// A fresh database on the benchmark's PostgreSQL, if there is one.
async fn fresh_postgres(tag: &str) -> Option<String> {
    use sea_orm::ConnectionTrait;
    let base = std::env::var("BENCH_POSTGRES_URL").ok()?;
    let name = format!("kanect_bench_{tag}_{}", std::process::id());
    let admin = sea_orm::Database::connect(format!("{base}/postgres"))
        .await
        .expect("the benchmark's PostgreSQL answers");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("a benchmark database");
    Some(format!("{base}/{name}"))
}

fn install(database_url: String, nats_url: &str) -> Install {
    Install {
        dir: Some(Arc::new(tempfile::tempdir().expect("temp dir"))),
        database_url,
        nats_url: nats_url.to_owned(),
    }
}

pub async fn run(light_sends: u64, secs: u64, in_flight: usize) {
    let (_nats, nats_url) = start_nats().await;
    let database = fresh_postgres("delivery").await.unwrap_or_default();
    let backend = if database.is_empty() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let both = install(database, &nats_url);
    let a = ServerProcess::start_in(&both).await;
    let b = ServerProcess::start_in(&both).await;
    delivery(&a.base, &b.base, light_sends, backend).await;
    drop((a, b));

    let sqlite = ServerProcess::start().await;
    let baseline = durable(&[&sqlite.base], "sqlite", in_flight, secs).await;
    drop(sqlite);
    let scenario = format!("Durable sends over HTTP ({in_flight} in flight, {secs} s)");
    Report::row(&scenario, "one node, SQLite", format!("{baseline:.0}/s"));
    let Some(pg1) = fresh_postgres("one").await else {
        eprintln!("BENCH_POSTGRES_URL unset: no PostgreSQL figures");
        return;
    };
    let one = install(pg1, "");
    let node = ServerProcess::start_in(&one).await;
    let rate = durable(&[&node.base], "pg1", in_flight, secs).await;
    drop(node);
    Report::compared(
        &scenario,
        "one node, PostgreSQL",
        format!("{rate:.0}/s"),
        format!("{baseline:.0}/s (one node, SQLite)"),
        rate / baseline,
    );
    let pg2 = fresh_postgres("two").await.expect("PostgreSQL");
    let two = install(pg2, &nats_url);
    let (a, b) = (
        ServerProcess::start_in(&two).await,
        ServerProcess::start_in(&two).await,
    );
    let rate = durable(&[&a.base, &b.base], "pg2", in_flight, secs).await;
    Report::compared(
        &scenario,
        "two nodes, PostgreSQL + NATS",
        format!("{rate:.0}/s"),
        format!("{baseline:.0}/s (one node, SQLite)"),
        rate / baseline,
    );
}

/// One message in flight: within node A, then from A to a socket on B.
async fn delivery(a: &str, b: &str, n: u64, backend: &str) {
    let users = User::many(a, "nodes", 2).await;
    let (alice, bob) = (&users[0], &users[1]);
    let mut figures = Vec::new();
    for (label, tag, bob_node) in [("within node A", "in", a), ("node A → node B", "across", b)] {
        let (delivery, _) = one_in_flight(alice, &bob.at(bob_node), tag, n).await;
        figures.push((label, delivery));
    }
    let scenario = format!("Delivery across nodes ({n} sends, one in flight, {backend} + NATS)");
    let (within, across) = (&figures[0].1, &figures[1].1);
    for (name, got, base) in [
        ("p50", across.p50, within.p50),
        ("p99", across.p99, within.p99),
    ] {
        Report::compared(
            &scenario,
            &format!("send → socket on the other node, {name}"),
            ms(got),
            format!("{} (socket on the same node)", ms(base)),
            got.as_secs_f64() / base.as_secs_f64(),
        );
    }
}

/// Acknowledged sends per second, senders spread over `nodes`.
async fn durable(nodes: &[&str], tag: &str, in_flight: usize, secs: u64) -> f64 {
    let users = Arc::new(User::many(nodes[0], tag, 32).await);
    let acked = Arc::new(AtomicU64::new(0));
    let nodes: Vec<String> = nodes.iter().map(|n| n.to_string()).collect();
    let t0 = Instant::now();
    let stop = t0 + Duration::from_secs(secs);
    let workers: Vec<_> = (0..in_flight)
        .map(|w| {
            let (users, acked, tag) = (users.clone(), acked.clone(), tag.to_owned());
            let node = nodes[w % nodes.len()].clone();
            tokio::spawn(async move {
                let me = users[w % users.len()].at(&node);
                let to = &users[(w + 1) % users.len()].name;
                let mut seq = 0u64;
                while Instant::now() < stop {
                    let id = format!("{tag}-{w:05}-{seq:09}");
                    if me.send(to, "durable", &id).await.is_ok() {
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    seq += 1;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    acked.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64()
}
