//! Several nodes: two Kanect processes on one database (the suite's: SQLite,
//! or PostgreSQL with `TEST_POSTGRES_URL`) sharing live events through a real
//! NATS server (Debian's `nats-server`), each on a free port. People on
//! different nodes chat live in a direct conversation and a room; presence
//! crosses nodes; a deactivation on one node closes the sockets on the other;
//! `kill -9` of a node under send load loses and duplicates nothing, and its
//! clients resume on the other node; NATS stopped and restarted mid-run loses
//! nothing either.
//!
//! Needs `nats-server` on `PATH` (`scripts/test` installs it). Without it the
//! test says so and passes, unless `TEST_REQUIRE_NATS` is set (as
//! `scripts/test` does), when it fails.

mod common;

use std::{
    collections::{HashMap, HashSet},
    path::Path,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{Client, GOOD_PASSWORD, Proc, Socket, free_port, ok, post_to};
use reqwest::StatusCode;
use serde_json::Value;

const ADMIN_PASSWORD: &str = "root-Passphrase-for-kanect-1";
const METRICS_TOKEN: &str = "nodes-metrics-token-0123";

fn nats_available() -> bool {
    let found = Command::new("nats-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("TEST_REQUIRE_NATS").is_none(),
            "nats-server is not installed (apt-get install nats-server)"
        );
        eprintln!("nats-server is not installed: skipping the test of several nodes");
    }
    found
}

/// Starts `nats-server` on `port` and waits until it accepts connections.
async fn start_nats(port: u16) -> Proc {
    let child = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts");
    let nats = Proc(child);
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return nats;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nats-server did not start on port {port}");
}

/// Where the installation keeps its data, and how its nodes are run.
struct Install {
    data: tempfile::TempDir,
    database_url: String,
    nats_url: String,
}

impl Install {
    fn command(&self) -> Command {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut command = Command::new(env!("CARGO_BIN_EXE_kanect-server"));
        command
            .current_dir(&root)
            .env("KANECT_CONFIG", root.join("Leptos.toml"))
            .env("KANECT_DATA_DIR", self.data.path())
            .env("KANECT_DATABASE_URL", &self.database_url)
            .env("KANECT_NATS_URL", &self.nats_url)
            .env("KANECT_LOG", "error")
            .env("KANECT_SEND_LIMIT_PER_10S", "1000000")
            .env("KANECT_METRICS_TOKEN", METRICS_TOKEN)
            .env("KANECT_LOGIN_MAX_FAILURES", "3")
            .env_remove("KANECT_PASSWORD")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// Starts a node on a free port; waits until it is ready (its database
    /// answers and NATS is connected). The node and its base URL.
    async fn node(&self) -> (Proc, String) {
        let port = free_port();
        let node = Proc(
            self.command()
                .env("KANECT_LISTEN", format!("127.0.0.1:{port}"))
                .spawn()
                .expect("kanect-server starts"),
        );
        let base = format!("http://127.0.0.1:{port}");
        ready(&base).await;
        (node, base)
    }
}

/// Waits (up to 20 s) until `base` answers `/readyz` with 200.
async fn ready(base: &str) {
    for _ in 0..400 {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
            && r.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} did not become ready");
}

async fn signup(base: &str, name: &str) -> Client {
    let c = Client::new(base);
    let r = c.signup(name, GOOD_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    c
}

/// Event batches `base` has received from other nodes through NATS.
async fn nats_received(base: &str) -> f64 {
    let text = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("kanect_nats_received_total "))
        .expect("kanect_nats_received_total")
        .parse()
        .unwrap()
}

/// Reads the socket until a message with `body` arrives; the message
/// events on the way (with it last).
async fn messages_until(ws: &mut Socket, body: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let e = ws.next_matching(|e| e["type"] == "message").await;
        let last = e["message"]["body"] == body;
        seen.push(e);
        if last {
            return seen;
        }
    }
}

#[tokio::test]
async fn two_nodes_on_one_database_and_nats_serve_as_one() {
    if !nats_available() {
        return;
    }
    let nats_port = free_port();
    let mut nats = start_nats(nats_port).await;
    let install = Install {
        data: tempfile::tempdir().unwrap(),
        database_url: common::database_url().await,
        nats_url: format!("nats://127.0.0.1:{nats_port}"),
    };
    let made = install
        .command()
        .args([
            "create-admin",
            "--username",
            "root",
            "--email",
            "root@example.org",
        ])
        .env("KANECT_PASSWORD", ADMIN_PASSWORD)
        .status()
        .unwrap();
    assert!(made.success());
    let (node_a, a) = install.node().await;
    let (_node_b, b) = install.node().await;

    // amy and cyd use node A, bob node B.
    let amy = signup(&a, "amy").await;
    let bob = signup(&b, "bob").await;
    let cyd = signup(&a, "cyd").await;
    let bob_id = bob.id().await;

    // Presence crosses nodes: amy (on A) sees bob come online (on B).
    let mut amy_ws = amy.socket(None).await;
    let mut bob_ws = bob.socket(None).await;
    amy_ws
        .next_matching(|e| {
            e["type"] == "presence"
                && e["online"]
                    .as_array()
                    .is_some_and(|o| o.contains(&bob_id.into()))
        })
        .await;

    // A direct message sent through A reaches bob's socket on B, and back.
    let r = amy
        .send("bob", "hello from node A", "nodes-dm-000001")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let got = bob_ws.next_matching(|e| e["type"] == "message").await;
    assert_eq!(got["message"]["body"], "hello from node A");
    let r = bob
        .send("amy", "hello from node B", "nodes-dm-000002")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // (amy's own tabs had her message too.)
    amy_ws
        .next_matching(|e| e["message"]["body"] == "hello from node B")
        .await;

    // A room: bob posts through B, amy and cyd read on A.
    let room = ok(
        &amy,
        "rooms_create",
        &[
            ("name", "across"),
            ("topic", ""),
            ("is_public", "false"),
            ("members", "bob,cyd"),
        ],
    )
    .await;
    let room_id = room["id"].to_string();
    let mut cyd_ws = cyd.socket(None).await;
    post_to(&bob, &room_id, "to the room from B", "nodes-room-00001").await;
    for ws in [&mut amy_ws, &mut cyd_ws] {
        ws.next_matching(|e| e["message"]["body"] == "to the room from B")
            .await;
    }
    // Typing (not logged: it only crosses nodes through NATS).
    typing(&mut amy_ws, &room["id"]).await;
    let seen = bob_ws.next_matching(|e| e["type"] == "typing").await;
    assert_eq!(seen["conversation_id"], room["id"]);
    // Events crossed through NATS (not only from the log).
    assert!(nats_received(&b).await >= 1.0);
    assert!(nats_received(&a).await >= 1.0);

    // Deactivating bob through A closes his socket on B.
    let root = Client::new(&a);
    assert_eq!(
        root.login("root", ADMIN_PASSWORD).await.status,
        StatusCode::OK
    );
    ok(
        &root,
        "admin_set_active",
        &[("user_id", &bob_id.to_string()), ("active", "false")],
    )
    .await;
    bob_ws.expect_closed().await;
    drop(amy_ws);

    // The log-in throttle counts attempts on every node: three wrong
    // passwords for cyd spread over A and B, and B refuses the fourth.
    for node in [&a, &b, &a] {
        let r = Client::new(node).login("cyd", "not-Cyds-password-1").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    let r = Client::new(&b).login("cyd", "not-Cyds-password-1").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);

    kill_a_node_under_load(&amy, &cyd, node_a, &b, &room_id).await;
    let amy = amy.at(&b);
    let cyd = cyd.at(&b);

    // NATS stops: a node keeps serving its own sockets, and events from the
    // other node still arrive (from the log). Then NATS comes back.
    let (_node_c, c) = install.node().await;
    let amy_c = amy.at(&c);
    let mut cyd_ws = cyd.socket(None).await;
    drop(nats);
    post_to(&amy_c, &room_id, "while NATS is down", "nodes-down-00001").await;
    let got = messages_until(&mut cyd_ws, "while NATS is down").await;
    assert_eq!(got.len(), 1, "{got:?}");
    nats = start_nats(nats_port).await;
    ready(&b).await;
    ready(&c).await;
    post_to(&amy_c, &room_id, "NATS is back", "nodes-back-00001").await;
    let got = messages_until(&mut cyd_ws, "NATS is back").await;
    assert_eq!(got.len(), 1, "{got:?}");
    // Typing crosses nodes again: NATS carries it.
    let mut amy_ws = amy_c.socket(None).await;
    typing(&mut amy_ws, &room["id"]).await;
    cyd_ws.next_matching(|e| e["type"] == "typing").await;
    drop(nats);
}

async fn typing(ws: &mut Socket, conversation_id: &Value) {
    use futures::SinkExt;
    let frame = serde_json::json!({"type": "typing", "conversation_id": conversation_id});
    ws.ws
        .send(tokio_tungstenite::tungstenite::Message::Text(
            frame.to_string().into(),
        ))
        .await
        .unwrap();
}

/// amy sends to the room from three senders — two through node A, one
/// through node B, so both nodes commit at once — while cyd reads on A; A is
/// killed (`SIGKILL`) mid-run. The senders go on through node B, retrying
/// what had no answer with the same client id, as the browser does; cyd's
/// tab reconnects to B from the last event it had. Every acknowledged
/// message is then stored once, and cyd's tab saw each once, in order.
async fn kill_a_node_under_load(amy: &Client, cyd: &Client, node_a: Proc, b: &str, room: &str) {
    const SENDERS: usize = 3;
    const EACH: usize = 60;
    let acked: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let mut cyd_ws = cyd.socket(None).await;

    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let (amy, fallback, acked, room) =
                (amy.at(&amy.base), amy.at(b), acked.clone(), room.to_owned());
            tokio::spawn(async move {
                let mut node = if s == SENDERS - 1 {
                    fallback.at(&fallback.base)
                } else {
                    amy
                };
                for i in 0..EACH {
                    let id = format!("load-{s}-{i:06}");
                    let mut attempts = 0;
                    loop {
                        if let Some(id_stored) = try_send(&node, &room, &id).await {
                            acked.lock().unwrap().insert(id.clone(), id_stored);
                            break;
                        }
                        // The node is gone (no answer): the same send again,
                        // through the other node.
                        attempts += 1;
                        assert!(attempts < 20, "{id} is never acknowledged");
                        node = fallback.at(&fallback.base);
                    }
                }
            })
        })
        .collect();

    // cyd reads on A until a third of the messages are in, then A dies.
    let mut seen: Vec<Value> = Vec::new();
    while seen.len() < SENDERS * EACH / 3 {
        seen.push(cyd_ws.next_matching(|e| e["type"] == "message").await);
    }
    drop(node_a);
    // What A sent before dying (the socket closes).
    while let Some(e) = next_before_close(&mut cyd_ws).await {
        seen.push(e);
    }
    for s in senders {
        s.await.unwrap();
    }
    let cyd_b = cyd.at(b);
    post_to(&amy.at(b), room, "sentinel", "nodes-sentinel-01").await;
    let last = seen.last().unwrap()["event_id"].as_i64().unwrap();
    let mut resumed = cyd_b.socket(Some(last)).await;
    seen.extend(messages_until(&mut resumed, "sentinel").await);

    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), SENDERS * EACH);
    let ids: Vec<i64> = seen
        .iter()
        .map(|e| e["event_id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    let mut bodies: Vec<&str> = seen
        .iter()
        .map(|e| e["message"]["body"].as_str().unwrap())
        .filter(|b| *b != "sentinel")
        .collect();
    let count = bodies.len();
    bodies.sort_unstable();
    bodies.dedup();
    assert_eq!(count, bodies.len(), "a message reached cyd twice");
    let want: HashSet<&str> = acked.keys().map(String::as_str).collect();
    assert_eq!(bodies.into_iter().collect::<HashSet<_>>(), want);

    // And the history holds each acknowledged message once.
    let mut stored = HashMap::new();
    let mut before: Option<i64> = None;
    loop {
        let mut form = vec![("conversation_id", room.to_owned())];
        if let Some(b) = before {
            form.push(("before", b.to_string()));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = ok(&cyd_b, "conversation_page", &form).await;
        let messages = page["messages"].as_array().unwrap();
        for m in messages {
            let body = m["body"].as_str().unwrap().to_owned();
            assert!(
                stored
                    .insert(body.clone(), m["id"].as_i64().unwrap())
                    .is_none(),
                "{body} stored twice"
            );
        }
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
        before = messages.first().and_then(|m| m["id"].as_i64());
    }
    for (client_id, id) in &acked {
        assert_eq!(
            stored.get(client_id),
            Some(id),
            "{client_id} acknowledged as {id}"
        );
    }
}

/// Sends `body` (also its client id) to `room`; the stored message's id,
/// or `None` without an answer.
async fn try_send(c: &Client, room: &str, body: &str) -> Option<i64> {
    let res = c
        .http
        .post(format!("{}/api/send", c.base))
        .header("accept", "application/json")
        .header("origin", &c.base)
        .form(&[
            ("to", ""),
            ("conversation_id", room),
            ("body", body),
            ("client_id", body),
        ])
        .send()
        .await
        .ok()?;
    if res.status() != StatusCode::OK {
        return None;
    }
    res.json::<Value>().await.ok()?["id"].as_i64()
}

/// The next message event, or `None` once the socket is closed.
async fn next_before_close(ws: &mut Socket) -> Option<Value> {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.ws.next())
            .await
            .expect("the socket of a killed node closes");
        match frame {
            Some(Ok(Message::Text(text))) => {
                let e: Value = serde_json::from_str(&text).unwrap();
                if e["type"] == "message" {
                    return Some(e);
                }
            }
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}
