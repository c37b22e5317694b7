//! The integration-test harness: `spawn_app()` starts the real Kanect server on
//! a free port with a fresh database (SQLite in a temporary directory, or a new
//! PostgreSQL database when `TEST_POSTGRES_URL` is set), and
//! `Client` drives it over HTTP like a browser would (cookies, Origin header).
//! The server task ends with the test's runtime; the directory is removed on drop.

#![allow(dead_code)]

use std::{net::SocketAddr, path::PathBuf};

use reqwest::{StatusCode, header};
use serde_json::Value;

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    /// The server's own database handle, for arranging what HTTP cannot (admins).
    pub db: sea_orm::DatabaseConnection,
    /// The server's live layer, for publishing events by hand.
    pub live: std::sync::Arc<dyn app::live::Live>,
    /// The server's file store and limits.
    pub files: std::sync::Arc<app::files::Files>,
    pub data_dir: PathBuf,
    /// The server's `database_url` (empty: SQLite in `data_dir`).
    pub database_url: String,
    _dir: tempfile::TempDir,
}

fn leptos_toml() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../Leptos.toml")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut app::settings::Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = server::config::load(&leptos_toml()).expect("Leptos.toml loads");
    config.settings.listen = "127.0.0.1:0".parse().unwrap();
    config.settings.data_dir = dir.path().to_path_buf();
    config.settings.database_url = database_url().await;
    config.settings.public_origin = String::new();
    // Tests create many accounts from one address; the sign-up limits have
    // tests of their own that lower these again.
    config.settings.signups_per_ip_per_hour = 1_000_000;
    config.settings.signups_per_hour = 1_000_000;
    tweak(&mut config.settings);
    let database_url = config.settings.database_url.clone();
    let server = server::build(config).await.expect("server starts");
    let addr = server.local_addr();
    let db = server.state().db.clone();
    let live = server.state().live.clone();
    let files = server.state().files.clone();
    tokio::spawn(server.run(std::future::pending()));
    TestApp {
        addr,
        base: format!("http://{addr}"),
        db,
        live,
        files,
        data_dir: dir.path().to_path_buf(),
        database_url,
        _dir: dir,
    }
}

/// The database a test's server uses: empty (the default SQLite file in
/// its data directory), or — when `TEST_POSTGRES_URL` names a PostgreSQL
/// server (a URL without a database name) — a fresh, empty database there.
pub async fn database_url() -> String {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => fresh_postgres(&base).await,
        _ => String::new(),
    }
}

/// Whether the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty())
}

async fn fresh_postgres(base: &str) -> String {
    use sea_orm::ConnectionTrait;
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "kanect_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = sea_orm::Database::connect(format!("{base}/postgres"))
        .await
        .expect("the test PostgreSQL answers");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("a test database");
    format!("{base}/{name}")
}

/// A browser-like client: keeps cookies, sends the page's Origin on posts.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestApp {
    /// A new account, logged in.
    pub async fn user(&self, name: &str) -> Client {
        let c = self.client();
        let r = c.signup(name, GOOD_PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        c
    }

    /// A new account made admin the way `kanect-server create-admin` does.
    pub async fn admin(&self, name: &str) -> Client {
        let c = self.user(name).await;
        let made = app::admin::users::create_admin(&self.db, name, async || {
            unreachable!("the account exists")
        })
        .await
        .unwrap();
        assert_eq!(made, app::admin::users::AdminCreated::Promoted);
        c
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }
}

impl Client {
    /// A client of the server at `base` with no cookies yet.
    pub fn new(base: &str) -> Client {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Client {
            http: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                // A request the server never answers fails the test instead
                // of hanging the run.
                .timeout(std::time::Duration::from_secs(20))
                // The server closes connections idle for 20 s; a client must
                // not reuse one that old (as browsers retry, a client drops
                // idle connections before the server does).
                .pool_idle_timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap(),
            base: base.to_owned(),
            jar,
        }
    }

    /// The same browser (its cookies) talking to another server of the
    /// installation (another node, on the same host name).
    pub fn at(&self, base: &str) -> Client {
        Client {
            http: self.http.clone(),
            base: base.to_owned(),
            jar: self.jar.clone(),
        }
    }
}

impl Client {
    /// Loads a page as a browser navigation does.
    pub async fn get(&self, path: &str) -> Reply {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        reply(res).await
    }

    /// Calls a server function the way the hydrated app does.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Reply {
        self.call_from(endpoint, form, Some(&self.base.clone()))
            .await
    }

    pub async fn call_from(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Reply {
        let mut req = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header(header::ACCEPT, "application/json")
            .form(form);
        if let Some(origin) = origin {
            req = req.header(header::ORIGIN, origin);
        }
        reply(req.send().await.unwrap()).await
    }

    /// Submits a form as a browser with JavaScript off does.
    pub async fn submit_form(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        from_page: &str,
    ) -> Reply {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::ORIGIN, &self.base)
            .header(header::REFERER, format!("{}{from_page}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        reply(res).await
    }

    pub async fn signup(&self, username: &str, password: &str) -> Reply {
        let email = format!("{username}@example.org");
        self.call(
            "signup",
            &[
                ("username", username),
                ("email", &email),
                ("password", password),
                ("password_again", password),
            ],
        )
        .await
    }

    pub async fn login(&self, login: &str, password: &str) -> Reply {
        self.call("login", &[("login", login), ("password", password)])
            .await
    }

    pub async fn whoami(&self) -> Value {
        let r = self.call("current_user", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()
    }
}

impl Client {
    /// The Cookie header this client would send.
    pub fn cookie_header(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// Opens the live event socket, optionally resuming after a message id.
    pub async fn socket(&self, after: Option<i64>) -> Socket {
        self.try_socket(after, Some(&self.base.clone()))
            .await
            .expect("socket opens")
    }

    pub async fn try_socket(
        &self,
        after: Option<i64>,
        origin: Option<&str>,
    ) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
        let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
        let mut socket = self.raw_socket(query, origin).await?;
        let hello = socket.next_event().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        Ok(socket)
    }

    /// Opens `/ws<query>` without reading anything from it.
    pub async fn raw_socket(
        &self,
        query: String,
        origin: Option<&str>,
    ) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!("{}/ws{query}", self.base.replace("http://", "ws://"));
        let mut req = url.into_client_request().unwrap();
        if let Some(cookie) = self.cookie_header() {
            req.headers_mut().insert("cookie", cookie.parse().unwrap());
        }
        if let Some(origin) = origin {
            req.headers_mut().insert("origin", origin.parse().unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Socket { ws })
    }

    /// The user id of the logged-in account.
    pub async fn id(&self) -> i64 {
        self.whoami().await["id"].as_i64().expect("logged in")
    }

    /// Marks a conversation read up to a message (`message` as the API returns it).
    pub async fn mark_read(&self, message: &Value) -> Reply {
        self.call(
            "mark_read",
            &[
                ("conversation_id", &message["conversation_id"].to_string()),
                ("up_to", &message["id"].to_string()),
            ],
        )
        .await
    }

    /// Uploads `bytes` as `name` to a conversation (`POST /api/upload`).
    pub async fn upload(
        &self,
        conversation_id: &str,
        name: &str,
        bytes: impl Into<reqwest::Body>,
    ) -> Reply {
        let res = self
            .http
            .post(format!("{}/api/upload", self.base))
            .query(&[("conversation_id", conversation_id), ("name", name)])
            .header(header::ORIGIN, self.base.clone())
            .header(header::ACCEPT, "application/json")
            .body(bytes)
            .send()
            .await
            .unwrap();
        reply(res).await
    }

    /// Downloads a file (`GET path`), as raw bytes.
    pub async fn fetch(
        &self,
        path: &str,
        range: Option<&str>,
    ) -> (StatusCode, header::HeaderMap, Vec<u8>) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(r) = range {
            req = req.header(header::RANGE, r);
        }
        let res = req.send().await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (
            status,
            headers,
            res.bytes().await.unwrap_or_default().to_vec(),
        )
    }

    pub async fn send(&self, to: &str, body: &str, client_id: &str) -> Reply {
        self.call(
            "send",
            &[("to", to), ("body", body), ("client_id", client_id)],
        )
        .await
    }
}

/// Calls a server function that must succeed; its JSON answer (`Null` when
/// it answered nothing).
pub async fn ok(c: &Client, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let r = c.call(endpoint, form).await;
    assert!(r.status.is_success(), "{endpoint}: {} {}", r.status, r.body);
    if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

/// Sends `body` to conversation `conversation_id`, which must succeed; the
/// stored message.
pub async fn post_to(c: &Client, conversation_id: &str, body: &str, client_id: &str) -> Value {
    ok(
        c,
        "send",
        &[
            ("to", ""),
            ("conversation_id", conversation_id),
            ("body", body),
            ("client_id", client_id),
        ],
    )
    .await
}

/// A live event socket as a test sees it.
pub struct Socket {
    pub ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Socket {
    /// The next event other than heartbeats, presence and sidebar news (a
    /// conversation opened or changed), within 5 s.
    pub async fn next_event(&mut self) -> Value {
        self.next_matching(|e| {
            e["type"] != "heartbeat" && e["type"] != "presence" && e["type"] != "conversation"
        })
        .await
    }

    pub async fn next_matching(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        use futures::StreamExt;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("an event within 5 s")
                .expect("socket open")
                .expect("valid frame");
            if let tokio_tungstenite::tungstenite::Message::Text(text) = frame {
                let event: Value = serde_json::from_str(&text).unwrap();
                if want(&event) {
                    return event;
                }
            }
        }
    }

    /// Waits (up to 5 s) for the server to close the socket.
    pub async fn expect_closed(&mut self) {
        use futures::StreamExt;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("the socket closes within 5 s")
            {
                None | Some(Err(_)) => return,
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    }

    /// Waits (up to 5 s) for the server to close the socket; the close code,
    /// if it sent a close frame. Events before the close are skipped.
    pub async fn closed_code(&mut self) -> Option<u16> {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("the socket closes within 5 s")
            {
                None | Some(Err(_)) => return None,
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
            }
        }
    }
}

async fn reply(res: reqwest::Response) -> Reply {
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.text().await.unwrap_or_default();
    Reply {
        status,
        headers,
        body,
    }
}

pub const GOOD_PASSWORD: &str = "correct-horse-battery-9";

/// A child process (a Kanect node, a NATS server), killed when dropped —
/// also when the test fails.
pub struct Proc(pub std::process::Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
