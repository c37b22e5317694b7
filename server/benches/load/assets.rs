//! Static assets and response compression.
//!
//! - The wasm bundle as a browser fetches it (`Accept-Encoding: br, gzip`):
//!   the server's CPU per fetch (from `/proc/<pid>/stat`) and the fetch time,
//!   now that it sends the brotli file made at build time — against what a
//!   per-request compression layer spends compressing the same bytes (brotli
//!   quality 4 and gzip level 6, the defaults Kanect's layer used before),
//!   measured in the same run.
//! - Page weight: a first visit downloads the page, wasm, script and
//!   stylesheet; a repeat visit only the page (the rest is cached as
//!   `immutable` under content-hashed names).
//! - The level for dynamic responses: time and size of compressing a rendered
//!   page at several brotli qualities.
//!
//! Needs the release site (`cargo leptos build --release --precompress`) in
//! `target/site`; skipped otherwise.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use async_compression::{
    Level,
    tokio::bufread::{BrotliEncoder, GzipEncoder},
};
use tokio::io::AsyncReadExt;

use crate::{
    harness::{Percentiles, ServerProcess, User, ms},
    report::Report,
};

fn site_file(ext: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site/pkg");
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == ext))
}

/// CPU seconds the process has used (user + system).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields after the command: utime is the 12th, stime the 13th; 100 ticks/s.
    (ticks(11) + ticks(12)) / 100.0
}

async fn compress(bytes: &[u8], brotli: Option<u32>) -> (Duration, usize) {
    let t = Instant::now();
    let mut out = Vec::new();
    match brotli {
        Some(q) => BrotliEncoder::with_quality(bytes, Level::Precise(q as i32))
            .read_to_end(&mut out)
            .await
            .unwrap(),
        None => GzipEncoder::new(bytes).read_to_end(&mut out).await.unwrap(),
    };
    (t.elapsed(), out.len())
}

pub async fn run(server: &ServerProcess, fetches: usize) {
    let (Some(wasm), Some(js), Some(css)) = (site_file("wasm"), site_file("js"), site_file("css"))
    else {
        eprintln!(
            "assets: no release site in target/site; build it with `cargo leptos build --release --precompress`"
        );
        return;
    };
    let name = wasm.file_name().unwrap().to_string_lossy().into_owned();
    let url = format!("{}/pkg/{name}", server.base);
    let http = reqwest::Client::builder().build().unwrap();
    let cpu0 = cpu_secs(server.pid());
    let mut samples = Vec::with_capacity(fetches);
    let mut body_size = 0;
    for _ in 0..fetches {
        let t = Instant::now();
        let res = http
            .get(&url)
            .header("accept-encoding", "br, gzip")
            .send()
            .await
            .expect("wasm");
        assert_eq!(res.headers()["content-encoding"], "br");
        body_size = res.bytes().await.expect("wasm body").len();
        samples.push(t.elapsed());
    }
    let cpu_per_fetch = (cpu_secs(server.pid()) - cpu0) / fetches as f64;
    let fetch = Percentiles::of(samples);

    let raw = std::fs::read(&wasm).unwrap();
    let mut br_q4 = Vec::new();
    let mut gz = Vec::new();
    for _ in 0..5 {
        br_q4.push(compress(&raw, Some(4)).await);
        gz.push(compress(&raw, None).await);
    }
    let median = |v: &mut Vec<(Duration, usize)>| {
        v.sort();
        v[v.len() / 2]
    };
    let (br_time, br_size) = median(&mut br_q4);
    let (gz_time, gz_size) = median(&mut gz);
    let scenario = format!("Wasm fetch ({} KB raw)", raw.len() / 1024);
    Report::compared(
        &scenario,
        "server CPU per fetch, precompressed brotli (vs. brotli q4 on the fly)",
        format!(
            "{:.2} ms ({} KB sent)",
            cpu_per_fetch * 1000.0,
            body_size / 1024
        ),
        format!("{} ({} KB sent)", ms(br_time), br_size / 1024),
        cpu_per_fetch / br_time.as_secs_f64(),
    );
    Report::compared(
        &scenario,
        "server CPU per fetch (vs. gzip 6 on the fly)",
        format!("{:.2} ms", cpu_per_fetch * 1000.0),
        format!("{} ({} KB sent)", ms(gz_time), gz_size / 1024),
        cpu_per_fetch / gz_time.as_secs_f64(),
    );
    Report::row(
        &scenario,
        "fetch time on loopback, p50 / p99",
        format!("{} / {}", ms(fetch.p50), ms(fetch.p99)),
    );

    // Page weight, first and repeat visit, as sent (compressed).
    let user = User::signup(&server.base, "weigh").await;
    let page = http
        .get(format!("{}/login", server.base))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len();
    let br = |p: &PathBuf| {
        std::fs::metadata(format!("{}.br", p.display()))
            .map(|m| m.len() as usize)
            .unwrap_or(0)
    };
    let assets = br(&wasm) + br(&js) + br(&css);
    Report::row(
        "Page weight (/login, brotli)",
        "first visit: page + wasm + js + css",
        format!(
            "{:.1} KB (page {:.1} + assets {:.1} KB)",
            (page + assets) as f64 / 1024.0,
            page as f64 / 1024.0,
            assets as f64 / 1024.0
        ),
    );
    Report::row(
        "Page weight (/login, brotli)",
        "repeat visit: page only (assets immutable, cached)",
        format!("{:.1} KB", page as f64 / 1024.0),
    );

    // Dynamic responses: a rendered chat page at several brotli qualities.
    let html = user.page("/").await.expect("the chat page");
    for q in [1, 4, 6, 9, 11] {
        let mut runs = Vec::new();
        for _ in 0..20 {
            runs.push(compress(html.as_bytes(), Some(q)).await);
        }
        let (t, size) = median(&mut runs);
        Report::row(
            &format!("Compressing a rendered page ({} KB)", html.len() / 1024),
            &format!("brotli quality {q}: time, size"),
            format!("{}, {} B", ms(t), size),
        );
    }
}
