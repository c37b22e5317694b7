//! Twenty 25 MiB uploads at once stay within a bounded amount of memory:
//! uploads are streamed to disk one buffer at a time, never held whole. On
//! its own in this file (one test in the process), so the process's peak
//! resident memory is this test's.

mod common;

use common::{ok, spawn_app};
use reqwest::StatusCode;

/// The process's peak resident set since the last reset, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kb * 1024
}

/// 25 MiB produced 64 KiB at a time (the client holds no whole file either).
fn stream(seed: u8) -> reqwest::Body {
    let chunks = (0..400u32).map(move |i| {
        let mut chunk = vec![seed; 64 * 1024];
        chunk[..4].copy_from_slice(&i.to_le_bytes());
        Ok::<_, std::io::Error>(bytes::Bytes::from(chunk))
    });
    reqwest::Body::wrap_stream(futures::stream::iter(chunks))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_25_mib_uploads_stay_in_bounded_memory() {
    let app = spawn_app().await;
    let owner = app.user("amy").await;
    let room = ok(
        &owner,
        "rooms_create",
        &[("name", "big"), ("is_public", "true")],
    )
    .await;
    let id = room["id"].to_string();
    // Five people, four uploads each (the most one person may run at once).
    let mut people = Vec::new();
    for n in 0..5 {
        let c = app.user(&format!("up{n}")).await;
        ok(&c, "rooms_join", &[("conversation_id", &id)]).await;
        people.push(c);
    }
    // Reset the peak to now (Linux: 5 → clear_refs resets VmHWM).
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = peak_rss();
    let uploads = people.iter().flat_map(|c| {
        let id = id.clone();
        (0..4u8).map(move |k| {
            let id = id.clone();
            async move { c.upload(&id, "big.bin", stream(k)).await }
        })
    });
    let replies = futures::future::join_all(uploads).await;
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["size"], 25 * 1024 * 1024);
    }
    let grew = peak_rss().saturating_sub(before);
    println!(
        "peak resident memory grew {} MiB for 20 × 25 MiB uploads",
        grew / (1024 * 1024)
    );
    assert!(grew < 200 * 1024 * 1024, "grew {grew} bytes");
}
