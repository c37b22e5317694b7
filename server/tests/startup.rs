//! Starting up: several processes started at the same moment on one
//! database all come up (migrations run once, under a lock — without it
//! they race and some fail on `seaql_migrations`), and each answers its
//! health checks, whatever `Host` a balancer sends.

mod common;

use std::{
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use common::{Proc, free_port};

fn spawn(data: &Path, database_url: &str, port: u16) -> Proc {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Proc(
        Command::new(env!("CARGO_BIN_EXE_kanect-server"))
            .current_dir(&root)
            .env("KANECT_CONFIG", root.join("Leptos.toml"))
            .env("KANECT_DATA_DIR", data)
            .env("KANECT_DATABASE_URL", database_url)
            .env("KANECT_LISTEN", format!("127.0.0.1:{port}"))
            .env("KANECT_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("kanect-server starts"),
    )
}

/// Waits for `/healthz` on `port`, or for the process to end (`Err`: its
/// exit status).
async fn up(node: &mut Proc, port: u16) -> Result<(), String> {
    let url = format!("http://127.0.0.1:{port}/healthz");
    loop {
        if let Some(status) = node.0.try_wait().unwrap() {
            return Err(format!("exited: {status}"));
        }
        if let Ok(r) = reqwest::get(&url).await {
            assert_eq!(r.text().await.unwrap(), "ok");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn processes_started_together_on_one_database_all_come_up_ready() {
    let data = tempfile::tempdir().unwrap();
    let database_url = common::database_url().await;
    let ports: Vec<u16> = (0..8).map(|_| free_port()).collect();
    let mut nodes: Vec<Proc> = ports
        .iter()
        .map(|&p| spawn(data.path(), &database_url, p))
        .collect();
    for (node, &port) in nodes.iter_mut().zip(&ports) {
        let started = tokio::time::timeout(Duration::from_secs(30), up(node, port))
            .await
            .expect("up within 30 s");
        assert_eq!(started, Ok(()), "node on port {port}");
    }
    let http = reqwest::Client::new();
    for &port in &ports {
        // A balancer may send any Host: health checks answer regardless.
        let r = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .header("host", "10.0.0.7")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "ready");
    }
}
