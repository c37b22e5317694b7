//! No acknowledged message is lost or duplicated when the server process is
//! killed (`kill -9`) under send load, over HTTP and over `/ws`, and every
//! send that was not acknowledged, retried with its `client_id` after the
//! restart, is stored exactly once. Three rounds on one data directory.

mod common;

use std::{
    collections::{HashMap, HashSet},
    path::Path,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{Client, GOOD_PASSWORD, Proc, free_port};
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;

async fn start(data: &Path, database_url: &str, port: u16) -> Proc {
    use std::os::unix::process::CommandExt;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut command = Command::new(env!("CARGO_BIN_EXE_kanect-server"));
    // Start it with a low soft open-file limit, as systemd's default of 1,024:
    // the server must raise it to the hard limit itself.
    // SAFETY: only async-signal-safe work (one setrlimit call) between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
            rlimit::setrlimit(rlimit::Resource::NOFILE, 1_024.min(hard), hard)
        });
    }
    let child = command
        .current_dir(&root)
        .env("KANECT_CONFIG", root.join("Leptos.toml"))
        .env("KANECT_DATA_DIR", data)
        .env("KANECT_DATABASE_URL", database_url)
        .env("KANECT_LISTEN", format!("127.0.0.1:{port}"))
        .env("KANECT_LOG", "error")
        .env("KANECT_SEND_LIMIT_PER_10S", "1000000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kanect-server starts");
    let node = Proc(child);
    let url = format!("http://127.0.0.1:{port}/login");
    for _ in 0..200 {
        if reqwest::get(&url).await.is_ok() {
            assert_open_files_raised(node.0.id());
            return node;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not answer within 10 s");
}

/// The server raised its open-file limit to the hard limit at start.
fn assert_open_files_raised(pid: u32) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers[0], numbers[1], "soft = hard: {line}");
}

fn client(port: u16, jar: Arc<reqwest::cookie::Jar>) -> Client {
    Client {
        http: reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
        base: format!("http://127.0.0.1:{port}"),
        jar,
    }
}

/// What the senders learnt: client id -> acknowledged message id, and the
/// client ids sent without an answer.
#[derive(Default)]
struct Outcome {
    acked: HashMap<String, i64>,
    unanswered: HashSet<String>,
}

async fn http_sender(c: Client, tag: String, outcome: Arc<Mutex<Outcome>>) {
    for i in 0.. {
        let id = format!("{tag}-{i:06}");
        outcome.lock().unwrap().unanswered.insert(id.clone());
        let res = c
            .http
            .post(format!("{}/api/send", c.base))
            .header("accept", "application/json")
            .header("origin", &c.base)
            .form(&[
                ("to", "nemo"),
                ("body", id.as_str()),
                ("client_id", id.as_str()),
            ])
            .send()
            .await;
        let Ok(res) = res else { return };
        if res.status() != StatusCode::OK {
            return;
        }
        let Ok(body) = res.json::<serde_json::Value>().await else {
            return;
        };
        let mut o = outcome.lock().unwrap();
        o.unanswered.remove(&id);
        o.acked.insert(id, body["id"].as_i64().unwrap());
    }
}

async fn socket_sender(c: Client, tag: String, outcome: Arc<Mutex<Outcome>>) {
    use tokio_tungstenite::tungstenite::Message;
    let Ok(socket) = c.raw_socket(String::new(), Some(&c.base.clone())).await else {
        return;
    };
    let (mut tx, mut rx) = socket.ws.split();
    let writer = {
        let outcome = outcome.clone();
        async move {
            for i in 0.. {
                let id = format!("{tag}-{i:06}");
                outcome.lock().unwrap().unanswered.insert(id.clone());
                let frame =
                    serde_json::json!({"type": "send", "to": "nemo", "body": id, "client_id": id});
                if tx
                    .send(Message::Text(frame.to_string().into()))
                    .await
                    .is_err()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    };
    let reader = async move {
        while let Some(Ok(frame)) = rx.next().await {
            let Message::Text(text) = frame else { continue };
            let event: serde_json::Value = serde_json::from_str(&text).unwrap();
            if event["type"] == "sent" {
                let id = event["message"]["client_id"].as_str().unwrap().to_owned();
                let mut o = outcome.lock().unwrap();
                o.unanswered.remove(&id);
                o.acked.insert(id, event["message"]["id"].as_i64().unwrap());
            }
        }
    };
    tokio::join!(writer, reader);
}

/// Every message nemo has from dora, by client id (all pages).
async fn stored(nemo: &Client) -> Vec<(String, i64)> {
    let mut all = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut form = vec![("peer", "dora".to_owned())];
        if let Some(b) = before {
            form.push(("before", b.to_string()));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = nemo.call("messages", &form).await.json();
        let messages = page["messages"].as_array().unwrap();
        for m in messages {
            all.push((
                m["client_id"].as_str().unwrap().to_owned(),
                m["id"].as_i64().unwrap(),
            ));
        }
        if !page["has_more"].as_bool().unwrap() {
            return all;
        }
        before = messages.first().and_then(|m| m["id"].as_i64());
    }
}

#[tokio::test]
async fn killing_the_server_under_load_loses_and_duplicates_nothing() {
    let data = tempfile::tempdir().unwrap();
    let database_url = common::database_url().await;
    let port = free_port();
    let (dora_jar, nemo_jar) = (Arc::default(), Arc::default());
    let mut node = start(data.path(), &database_url, port).await;
    let (dora, nemo) = (client(port, dora_jar), client(port, nemo_jar));
    assert_eq!(
        dora.signup("dora", GOOD_PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        nemo.signup("nemo", GOOD_PASSWORD).await.status,
        StatusCode::OK
    );
    let mut expected: HashMap<String, Option<i64>> = HashMap::new();

    for round in 0..3 {
        let outcome = Arc::new(Mutex::new(Outcome::default()));
        let mut senders = Vec::new();
        for s in 0..3 {
            let c = client(port, dora.jar.clone());
            senders.push(tokio::spawn(http_sender(
                c,
                format!("r{round}-http{s}"),
                outcome.clone(),
            )));
        }
        let c = client(port, dora.jar.clone());
        senders.push(tokio::spawn(socket_sender(
            c,
            format!("r{round}-ws"),
            outcome.clone(),
        )));
        // Let the load build up, then kill the process without warning.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        node.0.kill().unwrap();
        node.0.wait().unwrap();
        for s in senders {
            let _ = tokio::time::timeout(Duration::from_secs(15), s).await;
        }
        node = start(data.path(), &database_url, port).await;

        let o = std::mem::take(&mut *outcome.lock().unwrap());
        assert!(
            o.acked.len() > 20,
            "round {round}: the load ran ({} acked)",
            o.acked.len()
        );
        for (id, msg) in &o.acked {
            expected.insert(id.clone(), Some(*msg));
        }
        // Retry every unanswered send with its client id: stored exactly once.
        for id in &o.unanswered {
            let r = dora.send("nemo", id, id).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            expected.insert(id.clone(), Some(r.json()["id"].as_i64().unwrap()));
        }
        let stored = stored(&nemo).await;
        let mut seen = HashMap::new();
        for (client_id, id) in &stored {
            assert!(
                seen.insert(client_id.clone(), *id).is_none(),
                "round {round}: {client_id} stored twice"
            );
        }
        for (client_id, id) in &expected {
            assert_eq!(
                seen.get(client_id),
                id.as_ref(),
                "round {round}: {client_id} acknowledged as {id:?}"
            );
        }
        assert_eq!(
            seen.len(),
            expected.len(),
            "round {round}: nothing else stored"
        );
    }
}
