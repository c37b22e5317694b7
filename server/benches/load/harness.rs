//! What every scenario needs: the real `kanect-server` binary running as a
//! child process on a free port with a fresh data directory (killed on drop),
//! HTTP users with their own session cookie, live sockets, and percentiles.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use futures::StreamExt;
use reqwest::{cookie::CookieStore, header};
use tokio_tungstenite::tungstenite::{Message as WsMessage, client::IntoClientRequest};

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const PASSWORD: &str = "correct-horse-battery-9";

/// The server binary: this build's, or `BENCH_SERVER` (another build, to
/// compare two in one session).
fn server_binary() -> String {
    std::env::var("BENCH_SERVER").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kanect-server").into())
}

/// The token the benchmark reads a server's `/metrics` with.
pub const METRICS_TOKEN: &str = "kanect-load-benchmark";

/// The release `kanect-server` binary serving a fresh database.
pub struct ServerProcess {
    child: Child,
    pub base: String,
    dir: Arc<tempfile::TempDir>,
}

/// Where a node keeps its data and what it shares with other nodes.
#[derive(Clone, Default)]
pub struct Install {
    /// Shared by the installation's nodes (a fresh one when `None`).
    pub dir: Option<Arc<tempfile::TempDir>>,
    /// Empty: SQLite in the data directory.
    pub database_url: String,
    /// Empty: one node.
    pub nats_url: String,
}

impl ServerProcess {
    pub async fn start() -> Self {
        Self::start_in(&Install::default()).await
    }

    /// A node of `install`.
    pub async fn start_in(install: &Install) -> Self {
        let dir = install
            .dir
            .clone()
            .unwrap_or_else(|| Arc::new(tempfile::tempdir().expect("temp dir")));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let child = Command::new(server_binary())
            .current_dir(&root)
            // The server sizes its runtime to the machine, whatever the
            // generator was given.
            .env_remove("TOKIO_WORKER_THREADS")
            .env("KANECT_CONFIG", root.join("Leptos.toml"))
            .env("KANECT_LISTEN", format!("127.0.0.1:{port}"))
            .env("KANECT_DATA_DIR", dir.path())
            .env("KANECT_LOG", "warn")
            .env("KANECT_SEND_LIMIT_PER_10S", "1000000")
            .env("KANECT_LOGIN_MAX_FAILURES", "100000")
            .env("KANECT_SIGNUPS_PER_IP_PER_HOUR", "1000000")
            .env("KANECT_SIGNUPS_PER_HOUR", "1000000")
            .env("KANECT_SOCKETS_PER_IP", "1000000")
            .env("KANECT_METRICS_TOKEN", METRICS_TOKEN)
            .env("KANECT_DATABASE_URL", &install.database_url)
            .env("KANECT_NATS_URL", &install.nats_url)
            .stdout(Stdio::null())
            .spawn()
            .expect("kanect-server starts");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        // Ready: the database answers and, with NATS, it is connected.
        let deadline = Instant::now() + Duration::from_secs(30);
        let ready = format!("{}/readyz", server.base);
        while !reqwest::get(&ready)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(
                Instant::now() < deadline,
                "kanect-server did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time the server has used so far, in user and kernel mode.
    pub fn cpu_time(&self) -> (Duration, Duration) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .expect("/proc/<pid>/stat");
        // Fields after the command name (which ends at the last ')'):
        // utime and stime are the 12th and 13th, in clock ticks.
        let rest = &stat[stat.rfind(')').expect("stat") + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // /proc counts in USER_HZ, 100 per second on Linux.
        let ticks = |i: usize| Duration::from_millis(fields[i].parse::<u64>().unwrap_or(0) * 10);
        (ticks(11), ticks(12))
    }

    pub fn database_path(&self) -> PathBuf {
        self.dir.path().join("kanect.db")
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Peak resident memory of the server process since the last
    /// `reset_peak`, in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }

    /// Starts a new peak (Linux: `5` to `clear_refs`).
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed-up user with a session, calling server functions as the app does.
#[derive(Clone)]
pub struct User {
    pub name: String,
    http: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: String,
}

impl User {
    /// The same person (session) talking to another node.
    pub fn at(&self, base: &str) -> Self {
        Self {
            base: base.to_owned(),
            ..self.clone()
        }
    }

    pub async fn signup(base: &str, name: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        let user = Self {
            name: name.to_owned(),
            http,
            jar,
            base: base.to_owned(),
        };
        let email = format!("{name}@example.org");
        user.call(
            "signup",
            &[
                ("username", name),
                ("email", &email),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("sign up {name}: {e}"));
        user
    }

    /// Signs up `n` users named `{prefix}{i}`, a few at a time.
    pub async fn many(base: &str, prefix: &str, n: usize) -> Vec<User> {
        futures::stream::iter(0..n)
            .map(|i| {
                let name = format!("{prefix}{i}");
                async move { User::signup(base, &name).await }
            })
            .buffered(4)
            .collect()
            .await
    }

    /// Calls `/api/{endpoint}`; a non-2xx answer is an error with its body.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Result<String, String> {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header(header::ORIGIN, &self.base)
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let ok = res.status().is_success();
        let body = res.text().await.map_err(|e| e.to_string())?;
        if ok { Ok(body) } else { Err(body) }
    }

    pub async fn send(&self, to: &str, body: &str, client_id: &str) -> Result<String, String> {
        self.call(
            "send",
            &[("to", to), ("body", body), ("client_id", client_id)],
        )
        .await
    }

    /// Uploads a file to a conversation; the answer's JSON.
    pub async fn upload(
        &self,
        conversation: &str,
        name: &str,
        bytes: impl Into<reqwest::Body>,
    ) -> Result<String, String> {
        let res = self
            .http
            .post(format!("{}/api/upload", self.base))
            .query(&[("conversation_id", conversation), ("name", name)])
            .header(header::ORIGIN, &self.base)
            .header(header::ACCEPT, "application/json")
            .body(bytes)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let ok = res.status().is_success();
        let body = res.text().await.map_err(|e| e.to_string())?;
        if ok { Ok(body) } else { Err(body) }
    }

    /// Downloads `path` whole; how many bytes came.
    pub async fn download(&self, path: &str) -> Result<usize, String> {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(res.status().to_string());
        }
        Ok(res.bytes().await.map_err(|e| e.to_string())?.len())
    }

    /// Loads a page as a browser navigation does; its HTML.
    pub async fn page(&self, path: &str) -> Result<String, String> {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let ok = res.status().is_success();
        let body = res.text().await.map_err(|e| e.to_string())?;
        if ok { Ok(body) } else { Err(body) }
    }

    /// Opens `/ws` and reads past the `hello` event.
    pub async fn socket(&self) -> Result<Ws, String> {
        self.socket_after(None).await
    }

    /// Opens `/ws?after=<after>` and reads past the `hello` event.
    pub async fn socket_after(&self, after: Option<i64>) -> Result<Ws, String> {
        let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
        let url = format!("{}/ws{query}", self.base.replace("http://", "ws://"));
        let mut req = url.into_client_request().map_err(|e| e.to_string())?;
        let cookie = self
            .jar
            .cookies(&self.base.parse().unwrap())
            .ok_or("no session cookie")?;
        req.headers_mut().insert("cookie", cookie);
        req.headers_mut()
            .insert("origin", self.base.parse().unwrap());
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(req, Some(client_config()), false)
                .await
                .map_err(|e| e.to_string())?;
        match ws.next().await {
            Some(Ok(WsMessage::Text(t))) if t.contains("\"hello\"") => Ok(ws),
            other => Err(format!("expected hello, got {other:?}")),
        }
    }
}

/// The load generator's socket settings: a 4 KiB read buffer, like a
/// browser's small frames need. tungstenite's default (128 KiB) is zeroed on
/// every read; with thousands of sockets that alone took ~40 % of the load
/// generator's CPU, which shares the machine with the server under test.
pub fn client_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
}

/// Reads `ws` until it closes, handing every `message` event's `client_id`
/// and arrival instant to `seen` (the instant is taken before parsing).
pub fn watch(
    mut ws: Ws,
    seen: tokio::sync::mpsc::UnboundedSender<(String, Instant)>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(Ok(frame)) = ws.next().await {
            let at = Instant::now();
            if let WsMessage::Text(text) = frame {
                let event: serde_json::Value = match serde_json::from_str(&text) {
                    Ok(v) => v,
                    Err(_) => continue,
                };
                if event["type"] == "message"
                    && let Some(id) = event["message"]["client_id"].as_str()
                    && seen.send((id.to_owned(), at)).is_err()
                {
                    return;
                }
            }
        }
    })
}

/// A client id that carries its send instant: `{tag}-{seq}-{micros since t0}`.
pub fn stamped_id(tag: &str, seq: u64, t0: Instant) -> String {
    format!("{tag}-{seq:09}-{:012}", t0.elapsed().as_micros())
}

/// The send instant encoded by `stamped_id`.
pub fn stamp_of(id: &str, t0: Instant) -> Option<Instant> {
    let micros: u64 = id.rsplit('-').next()?.parse().ok()?;
    Some(t0 + Duration::from_micros(micros))
}

/// Latency percentiles of a sample.
pub struct Percentiles {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Percentiles {
    pub fn of(mut samples: Vec<Duration>) -> Self {
        assert!(!samples.is_empty(), "no samples");
        samples.sort_unstable();
        let at = |p: f64| {
            samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        Self {
            n: samples.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: *samples.last().unwrap(),
        }
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// The first column of the first row of `sql`, as an integer.
pub async fn scalar(db: &impl sea_orm::ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_else(|| panic!("{sql}: no row"));
    row.try_get_by_index::<i64>(0).expect("a number")
}
