//! What a node counts and measures, for Prometheus (server only).
//!
//! One set per process (`metrics()`), updated where things happen — the
//! message writer, the delivery task, NATS, the log-in throttle and the
//! limits — and read by `render`, which the server's `/metrics` route
//! serves behind its address and token check. Gauges that describe a state
//! (sockets, users, the database pool) are filled in at render time.
//!
//! Latencies are in seconds. `kanect_nats_lag_seconds` compares the
//! publishing node's clock with the receiving node's: keep nodes on NTP.

use std::sync::LazyLock;

use prometheus_client::{
    encoding::text::encode,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

/// The labels of one series of a counter family: `limit` for refusals,
/// `how` for live frames.
pub type Labels = Vec<(&'static str, &'static str)>;

pub struct Metrics {
    /// Messages committed by this node's writer.
    pub messages_sent: Counter,
    /// From a send reaching the writer to its batch's commit.
    pub send_commit_seconds: Histogram,
    /// Messages per writer batch (one transaction, one fsync).
    pub writer_batch_size: Histogram,
    /// Writer batches committed, by `way`: `direct` (SQLite, on the
    /// writer's own connection) or `general` (through SeaORM's pool).
    pub writer_batches: Family<Labels, Counter>,
    /// SQLite WAL checkpoints for the writer's connection, by `by`:
    /// `checkpointer` (its own thread) or `writer` (inline, the WAL having
    /// grown far past the checkpointer).
    pub checkpoints: Family<Labels, Counter>,
    /// Waiting to begin a write transaction (a pool connection, and on
    /// SQLite the write lock).
    pub db_write_wait_seconds: Histogram,
    /// From a committed event being handed to the live layer on this node to
    /// its frame being written to (or queued on) the sockets here.
    pub commit_delivery_seconds: Histogram,
    /// Events read from the log because their live hand-over never came.
    pub events_from_log: Counter,
    /// Frames handed to this node's sockets, by `how`: `direct` (written
    /// by the delivering task), `queued` (left to the socket's task) or
    /// `stalled` (written directly but not finished: the socket's task
    /// finishes it).
    pub live_frames: Family<Labels, Counter>,
    pub nats_published: Counter,
    pub nats_received: Counter,
    /// Batches not published because NATS was unreachable.
    pub nats_dropped: Counter,
    /// From publishing on one node to receiving on another.
    pub nats_lag_seconds: Histogram,
    /// Requests refused: `limit` = `login` (wrong credentials), `throttle`
    /// (log-in throttle), `rate` (send, sign-up and other rate limits),
    /// `sockets` (too many from one address).
    pub refused: Family<Labels, Counter>,
    sockets: Gauge,
    users: Gauge,
    pool_size: Gauge,
    pool_idle: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
/// Every metric above under its exported name, for rendering.
static REGISTRY: LazyLock<Registry> = LazyLock::new(|| metrics().registry());

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// Counts one refusal of kind `limit`.
pub fn refused(limit: &'static str) {
    metrics()
        .refused
        .get_or_create(&vec![("limit", limit)])
        .inc();
}

/// Counts frames handed to sockets: `direct`, `queued` and `stalled` ones.
pub fn live_frames(direct: u64, queued: u64, stalled: u64) {
    let frames = &metrics().live_frames;
    for (how, n) in [("direct", direct), ("queued", queued), ("stalled", stalled)] {
        if n > 0 {
            frames.get_or_create(&vec![("how", how)]).inc_by(n);
        }
    }
}

/// Counts one committed writer batch stored `way` (`direct` or `general`).
pub fn writer_batch(way: &'static str) {
    metrics()
        .writer_batches
        .get_or_create(&vec![("way", way)])
        .inc();
}

/// Counts one WAL checkpoint run `by` the `checkpointer` or the `writer`.
pub fn checkpoint(by: &'static str) {
    metrics().checkpoints.get_or_create(&vec![("by", by)]).inc();
}

/// What a node reports about its state at the moment of a scrape.
pub struct Now {
    pub sockets: usize,
    pub users: usize,
    pub pool_size: u32,
    pub pool_idle: usize,
}

/// The metrics in Prometheus' text format.
pub fn render(now: Now) -> String {
    let m = metrics();
    m.sockets.set(now.sockets as i64);
    m.users.set(now.users as i64);
    m.pool_size.set(i64::from(now.pool_size));
    m.pool_idle.set(now.pool_idle as i64);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut out, &REGISTRY);
    out
}

impl Metrics {
    fn new() -> Self {
        // 100 µs to ~3.3 s.
        let latency = || Histogram::new(exponential_buckets(0.000_1, 2.0, 16));
        Self {
            messages_sent: Counter::default(),
            send_commit_seconds: latency(),
            writer_batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
            writer_batches: Family::default(),
            checkpoints: Family::default(),
            db_write_wait_seconds: latency(),
            commit_delivery_seconds: latency(),
            events_from_log: Counter::default(),
            live_frames: Family::default(),
            nats_published: Counter::default(),
            nats_received: Counter::default(),
            nats_dropped: Counter::default(),
            nats_lag_seconds: latency(),
            refused: Family::default(),
            sockets: Gauge::default(),
            users: Gauge::default(),
            pool_size: Gauge::default(),
            pool_idle: Gauge::default(),
        }
    }

    /// A registry that exports these metrics (they share their values).
    fn registry(&self) -> Registry {
        let m = self;
        let mut r = Registry::with_prefix("kanect");
        r.register(
            "messages_sent",
            "Messages committed by this node",
            m.messages_sent.clone(),
        );
        r.register(
            "send_commit_seconds",
            "From a send reaching the writer to its commit",
            m.send_commit_seconds.clone(),
        );
        r.register(
            "writer_batch_size",
            "Messages per writer transaction",
            m.writer_batch_size.clone(),
        );
        r.register(
            "writer_batches",
            "Writer batches committed, by way (direct: SQLite on the writer's own connection; general: through the pool)",
            m.writer_batches.clone(),
        );
        r.register(
            "sqlite_checkpoints",
            "WAL checkpoints for the writer's SQLite connection, by who ran them (checkpointer: its own thread; writer: inline, far behind)",
            m.checkpoints.clone(),
        );
        r.register(
            "db_write_wait_seconds",
            "Waiting to begin a write transaction (pool connection, SQLite write lock)",
            m.db_write_wait_seconds.clone(),
        );
        r.register(
            "commit_delivery_seconds",
            "From a committed event's hand-over to its frame written to (or queued on) this node's sockets",
            m.commit_delivery_seconds.clone(),
        );
        r.register(
            "events_from_log",
            "Events read from the log because their live hand-over never came",
            m.events_from_log.clone(),
        );
        r.register(
            "live_frames",
            "Frames handed to this node's sockets, by how (direct, queued, stalled)",
            m.live_frames.clone(),
        );
        r.register(
            "nats_published",
            "Batches published to NATS",
            m.nats_published.clone(),
        );
        r.register(
            "nats_received",
            "Event batches received from other nodes",
            m.nats_received.clone(),
        );
        r.register(
            "nats_dropped",
            "Batches not published because NATS was unreachable",
            m.nats_dropped.clone(),
        );
        r.register(
            "nats_lag_seconds",
            "From publishing on one node to receiving on another",
            m.nats_lag_seconds.clone(),
        );
        r.register(
            "refused",
            "Requests refused, by limit (login, throttle, rate, sockets)",
            m.refused.clone(),
        );
        r.register(
            "sockets",
            "Live sockets open on this node",
            m.sockets.clone(),
        );
        r.register(
            "users",
            "People with a live socket on this node",
            m.users.clone(),
        );
        r.register(
            "db_pool_connections",
            "Database connections open",
            m.pool_size.clone(),
        );
        r.register(
            "db_pool_idle",
            "Database connections idle",
            m.pool_idle.clone(),
        );
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text_with_every_family() {
        metrics().messages_sent.inc();
        refused("rate");
        live_frames(1, 0, 0);
        let text = render(Now {
            sockets: 3,
            users: 2,
            pool_size: 4,
            pool_idle: 1,
        });
        for name in [
            "kanect_messages_sent_total",
            "kanect_send_commit_seconds_bucket",
            "kanect_writer_batch_size_count",
            "kanect_commit_delivery_seconds_sum",
            "kanect_nats_lag_seconds_count",
            "kanect_refused_total{limit=\"rate\"}",
            "kanect_live_frames_total{how=\"direct\"}",
            "kanect_sockets 3",
            "kanect_users 2",
            "kanect_db_pool_connections 4",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }
}
