//! The floor under a room's fan-out on this machine: the same load generator
//! (the same sockets, read by the same code as Kanect's: `rooms::Fanout`)
//! against the least work a server can do — one loop writing one
//! pre-encoded WebSocket frame, as long as Kanect's, straight to each TCP
//! socket: no database, no HTTP request, no queues, no task per socket.
//!
//! It runs as a child process (this binary with `--floor-serve <sockets>`),
//! so it shares the two cores with the generator the way `kanect-server`
//! does. A post is a line on its standard input; the clock starts when the
//! line is written. What Kanect takes beyond the floor is what its own code
//! costs; the floor itself is the kernel's TCP work and the generator's.

use std::{process::Stdio, time::Instant};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    process::Command,
};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, handshake::derive_accept_key};

use crate::{
    harness::{Ws, client_config, ms},
    report::Report,
    rooms::{Fanout, open_all},
};

/// Runs the floor next to Kanect's figures for a room of `members`, and
/// reports both with their ratio.
pub async fn compare(
    members: usize,
    frame_len: usize,
    kanect_p50: std::time::Duration,
    kanect_p99: std::time::Duration,
) {
    let mut child = Command::new(std::env::current_exe().expect("this binary"))
        .args(["--floor-serve", &members.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the floor server starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let port: u16 = lines
        .next_line()
        .await
        .ok()
        .flatten()
        .and_then(|l| l.trim().parse().ok())
        .expect("the floor server's port");
    let (opened, open_time) = open_all(members, |_| connect(port)).await;
    let mut run = Fanout::read(opened, members);
    let frame_len = if frame_len == 0 { 300 } else { frame_len };
    for n in Fanout::posts() {
        let started = Instant::now();
        stdin
            .write_all(format!("{n} {frame_len}\n").as_bytes())
            .await
            .expect("a post to the floor");
        stdin.flush().await.expect("flush");
        run.wait_for(n, started).await;
    }
    let scenario = format!(
        "Floor, {members} sockets: one loop writes a pre-encoded frame of {frame_len} B to each (no Kanect)"
    );
    let (p50, p99) = run.report(&scenario, open_time);
    Report::compared(
        &format!("Room of {members} members against the floor"),
        "send → each member's socket, p50 (Kanect / floor)",
        ms(kanect_p50),
        ms(p50),
        kanect_p50.as_secs_f64() / p50.as_secs_f64(),
    );
    Report::compared(
        &format!("Room of {members} members against the floor"),
        "send → each member's socket, p99 (Kanect / floor)",
        ms(kanect_p99),
        ms(p99),
        kanect_p99.as_secs_f64() / p99.as_secs_f64(),
    );
    drop(stdin);
    let _ = child.wait().await;
}

async fn connect(port: u16) -> Result<Ws, String> {
    use futures::StreamExt;
    let req = format!("ws://127.0.0.1:{port}/ws")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(req, Some(client_config()), false)
            .await
            .map_err(|e| e.to_string())?;
    match ws.next().await {
        Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) if t.contains("\"hello\"") => {
            Ok(ws)
        }
        other => Err(format!("expected hello, got {other:?}")),
    }
}

/// A server-to-client text frame (unmasked) carrying `payload`.
fn text_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x81];
    match payload.len() {
        n if n < 126 => frame.push(n as u8),
        n if n < 65_536 => {
            frame.push(126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    frame
}

/// Post `n` as a message frame of `len` bytes of JSON.
fn post(n: usize, len: usize) -> Vec<u8> {
    let head = format!(r#"{{"type":"message","body":"post {n}","pad":""#);
    let pad = len.saturating_sub(head.len() + 2);
    text_frame(format!("{head}{}\"}}", "x".repeat(pad)).as_bytes())
}

/// The child process: accepts `sockets` WebSockets, then writes each post
/// named on standard input to all of them.
pub async fn serve(sockets: usize) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("{}", listener.local_addr().expect("address").port());
    let (tx, mut accepted) = tokio::sync::mpsc::unbounded_channel::<TcpStream>();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Some(stream) = handshake(stream).await {
                    let _ = tx.send(stream);
                }
            });
        }
    });
    let mut open = Vec::with_capacity(sockets);
    let mut input = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = input.next_line().await {
        while open.len() < sockets {
            match accepted.recv().await {
                Some(stream) => open.push(stream),
                None => return,
            }
        }
        let mut words = line
            .split_whitespace()
            .map(|w| w.parse::<usize>().unwrap_or(0));
        let frame = post(words.next().unwrap_or(0), words.next().unwrap_or(300));
        let mut rest = Vec::new();
        for (i, stream) in open.iter().enumerate() {
            match stream.try_write(&frame) {
                Ok(n) if n == frame.len() => {}
                Ok(n) => rest.push((i, n)),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => rest.push((i, 0)),
                Err(_) => {}
            }
        }
        for (i, done) in rest {
            let _ = open[i].write_all(&frame[done..]).await;
        }
    }
}

/// Answers a WebSocket handshake and sends `hello`; `None` if the request
/// was not one.
async fn handshake(mut stream: TcpStream) -> Option<TcpStream> {
    let _ = stream.set_nodelay(true);
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let key = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("sec-websocket-key")
            .then(|| value.trim().to_owned())
    })?;
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    );
    stream.write_all(answer.as_bytes()).await.ok()?;
    stream
        .write_all(&text_frame(br#"{"type":"hello"}"#))
        .await
        .ok()?;
    Some(stream)
}
