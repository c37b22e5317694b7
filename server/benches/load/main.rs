//! Kanect's load benchmark: `cargo bench -p server --bench load`.
//!
//! Runs the release `kanect-server` binary as a child process on loopback with
//! a fresh database and drives it like real clients (HTTP server functions and
//! WebSockets), printing one Markdown table: delivery latency at light and
//! heavy load, sustained durable sends, history pages at 10 / 10k / 1M
//! messages, and concurrent sockets with their memory. Each figure is compared
//! with a baseline measured in the same run. `-- --quick` shrinks every
//! scenario for a smoke run; `-- --only durable` (direct conversations, then
//! rooms of 8) runs one group, as do `delivery`, `pages`, `assets`, `files`,
//! `sockets` and `rooms` (which also measures its floor: `floor.rs`;
//! `--members <n>` runs its one room of n members only);
//! `writer` runs only the durable group's two baselines, without a server (to
//! profile the group-commit writer); `nodes`
//! (two nodes with NATS, and PostgreSQL: `scripts/bench-nodes`) runs only
//! when named. Results and reading notes: docs/performance.md.

mod assets;
mod delivery;
mod files;
mod floor;
mod harness;
mod nodes;
mod pages;
mod report;
mod rooms;
mod sockets;
mod throughput;

use harness::ServerProcess;
use report::Report;

struct Sizes {
    light_sends: u64,
    heavy_rate: u64,
    heavy_secs: u64,
    durable_secs: u64,
    page_requests: usize,
    page_sizes: &'static [u64],
    sockets: usize,
    rooms: &'static [usize],
}

const FULL: Sizes = Sizes {
    light_sends: 1_000,
    heavy_rate: 1_000,
    heavy_secs: 10,
    durable_secs: 10,
    page_requests: 1_000,
    page_sizes: &[10, 10_000, 1_000_000],
    sockets: 20_000,
    rooms: &[50, 1_000, 10_000],
};

const QUICK: Sizes = Sizes {
    light_sends: 100,
    heavy_rate: 200,
    heavy_secs: 2,
    durable_secs: 2,
    page_requests: 100,
    page_sizes: &[10, 10_000],
    sockets: 500,
    rooms: &[50, 200],
};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    // The rooms group's floor runs as a child process of this binary.
    if let Some(i) = args.iter().position(|a| a == "--floor-serve") {
        let sockets = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(0);
        floor::serve(sockets).await;
        return;
    }
    let sizes = if args.iter().any(|a| a == "--quick") {
        QUICK
    } else {
        FULL
    };
    // `-- --only <delivery|durable|writer|pages|assets|files|sockets|rooms>` runs one group (for profiling).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let run = |group: &str| only.as_deref().is_none_or(|o| o == group);
    let sockets = socket_budget(sizes.sockets);

    println!(
        "Kanect load benchmark: {} CPUs, loopback, release build\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    Report::header();
    if run("delivery") {
        let server = ServerProcess::start().await;
        delivery::light(&server.base, sizes.light_sends).await;
        delivery::heavy(&server.base, sizes.heavy_rate, sizes.heavy_secs, 50).await;
    }
    if run("durable") {
        let server = ServerProcess::start().await;
        throughput::over_http(&server, 32, 256, sizes.durable_secs).await;
    }
    if only.as_deref() == Some("writer") {
        throughput::writer_alone(256, sizes.durable_secs).await;
    }
    if run("pages") {
        let server = ServerProcess::start().await;
        pages::run(&server, sizes.page_requests, sizes.page_sizes).await;
    }
    if run("assets") {
        let server = ServerProcess::start().await;
        assets::run(&server, 200).await;
    }
    if run("files") {
        let server = ServerProcess::start().await;
        files::run(&server, 10).await;
    }
    if run("sockets") {
        sockets::run(sockets).await;
    }
    // Needs nats-server (and BENCH_POSTGRES_URL for PostgreSQL): only
    // when asked for (`scripts/bench-nodes`).
    if only.as_deref() == Some("nodes") {
        nodes::run(sizes.light_sends, sizes.durable_secs, 256).await;
    }
    if run("rooms") {
        // `--members <n>`: one room of that size only.
        let asked: Vec<usize> = match args.iter().position(|a| a == "--members") {
            Some(i) => vec![
                args.get(i + 1)
                    .and_then(|n| n.parse().ok())
                    .expect("--members takes a number of members"),
            ],
            None => sizes.rooms.to_vec(),
        };
        let fits = socket_budget(asked.iter().copied().max().unwrap_or(0));
        let rooms: Vec<usize> = asked.iter().map(|&n| n.min(fits)).collect();
        rooms::run(&rooms).await;
    }
}

/// Raises the open-file limit (the server child inherits it) and returns how
/// many sockets fit: each needs a descriptor on both ends.
fn socket_budget(wanted: usize) -> usize {
    let want = (wanted as u64 + 1_000).max(4_096);
    let _ = rlimit::setrlimit(rlimit::Resource::NOFILE, want, want);
    let limit = rlimit::increase_nofile_limit(want).unwrap_or(1_024);
    let fits = limit.saturating_sub(500) as usize;
    if fits < wanted {
        eprintln!("open-file limit {limit}: measuring {fits} sockets instead of {wanted}");
    }
    wanted.min(fits)
}
