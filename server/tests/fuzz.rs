//! A fuzz pass against a running server: generated requests to every server
//! function and generated frames on `/ws` — random and boundary values, wrong
//! types, missing and extra fields, huge and odd Unicode strings. Whatever
//! comes, the server answers below 500, never hangs, and still works normally
//! afterwards.
//!
//! `FUZZ_CASES` sets the requests per server function and frames per
//! socket (default 1,500, about a minute here in a debug build);
//! `FUZZ_CASES=100000 cargo test -p server --test fuzz --release`
//! runs the long pass. Each run prints its seed; `FUZZ_SEED` repeats one;
//! `FUZZ_ONLY=<endpoint>` fuzzes one server function.

mod common;

use std::time::Duration;

use common::{Client, TestApp, spawn_app_with};
use futures::{SinkExt, StreamExt, stream};
use reqwest::{StatusCode, header};

/// Every server function and its parameters.
const ENDPOINTS: &[(&str, &[&str])] = &[
    ("current_user", &[]),
    ("signup_mode", &[]),
    (
        "signup",
        &["username", "email", "password", "password_again", "join"],
    ),
    ("login", &["login", "password"]),
    ("people", &[]),
    ("messages", &["peer", "before"]),
    ("events_since", &["after"]),
    ("send", &["to", "conversation_id", "body", "client_id"]),
    ("mark_read", &["conversation_id", "up_to"]),
    ("notify", &["conversation_id", "notify"]),
    ("edit", &["message_id", "body"]),
    ("delete", &["message_id"]),
    ("mention_candidates", &["conversation_id", "prefix"]),
    ("rooms_create", &["name", "topic", "is_public", "members"]),
    ("rooms_mine", &[]),
    ("rooms_browse", &[]),
    ("rooms_join", &["conversation_id"]),
    ("rooms_leave", &["conversation_id"]),
    ("rooms_add", &["conversation_id", "usernames"]),
    ("rooms_remove", &["conversation_id", "user_id"]),
    ("rooms_update", &["conversation_id", "name", "topic"]),
    ("rooms_archive", &["conversation_id"]),
    ("conversation_members", &["conversation_id"]),
    ("conversation_page", &["conversation_id", "before"]),
    ("admin_rooms", &[]),
    ("admin_archive_room", &["room_id"]),
    ("admin_delete_room", &["room_id"]),
    ("admin_stats", &[]),
    ("admin_users", &["search", "role", "active", "sort", "page"]),
    (
        "admin_messages",
        &["user_a", "user_b", "text", "from", "to", "page"],
    ),
    ("admin_audit", &["action", "actor", "target", "page"]),
    ("admin_signup_policy", &[]),
    ("admin_set_email", &["user_id", "email"]),
    ("admin_set_role", &["user_id", "role"]),
    (
        "admin_reset_password",
        &["user_id", "password", "password_again"],
    ),
    ("admin_delete_message", &["message_id"]),
    ("admin_set_signup_mode", &["mode"]),
    ("admin_new_join_code", &[]),
    ("admin_set_active", &["user_id", "active"]),
    ("admin_end_sessions", &["user_id"]),
    ("logout", &[]),
];

/// xorshift64*: small, fast, reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A value a parameter might be sent: boundary numbers, words the rules
    /// know, empty and huge strings, control characters, odd Unicode.
    fn value(&mut self) -> String {
        const FIXED: &[&str] = &[
            "",
            " ",
            "0",
            "-1",
            "1",
            "2147483647",
            "2147483648",
            "-2147483649",
            "9223372036854775807",
            "-9223372036854775808",
            "99999999999999999999",
            "1e9",
            "NaN",
            "true",
            "false",
            "null",
            "[]",
            "{}",
            "admin",
            "user",
            "any",
            "open",
            "invite",
            "closed",
            "newest",
            "oldest",
            "2026-11-25",
            "2026-02-30",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "%00",
            "\u{0}",
            "\u{200b}",
            "\u{feff}x",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
            "e\u{301}\u{301}\u{301}",
            "dora",
            "nemo",
            "root",
            "fuzz-client-000001",
        ];
        match self.below(6) {
            0 | 1 => (*self.pick(FIXED)).to_owned(),
            2 => (self.next() as i64 >> self.below(64)).to_string(),
            3 => {
                let len = self.below(40);
                (0..len)
                    .map(|_| char::from_u32(self.below(0x11_0000) as u32).unwrap_or('\u{fffd}'))
                    .collect()
            }
            4 => {
                let len = [0, 1, 64, 4_001, 70_000][self.below(5)];
                let c = *self.pick(&['x', 'é', '\n', '😀', '\u{7f}']);
                std::iter::repeat_n(c, len).collect()
            }
            _ => {
                let len = self.below(24);
                (0..len)
                    .map(|_| (b' ' + self.below(95) as u8) as char)
                    .collect()
            }
        }
    }

    /// A form: each known parameter maybe sent (maybe twice), maybe an unknown one.
    fn form(&mut self, params: &[&str]) -> Vec<(String, String)> {
        let mut form = Vec::new();
        for p in params {
            for _ in 0..[0, 1, 1, 1, 2][self.below(5)] {
                form.push(((*p).to_owned(), self.value()));
            }
        }
        if self.below(8) == 0 {
            form.push((self.value(), self.value()));
        }
        form
    }
}

fn cases() -> usize {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500)
}

fn seed() -> u64 {
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| app::db::now_millis() as u64 | 1);
    eprintln!("fuzz seed: {seed} (FUZZ_SEED={seed} repeats this run)");
    seed
}

/// The answer's status, or `None` when the server refused before reading a
/// large body (see below).
async fn post(
    c: &Client,
    endpoint: &str,
    form: &[(String, String)],
    json: bool,
) -> Option<StatusCode> {
    let mut req = c
        .http
        .post(format!("{}/api/{endpoint}", c.base))
        .header(header::ORIGIN, &c.base)
        .header(
            header::ACCEPT,
            if json {
                "application/json"
            } else {
                "text/html"
            },
        );
    req = if json {
        req.form(form)
    } else {
        // Not a form at all: a raw body of the wrong type.
        req.header(header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_string(form).unwrap_or_default())
    };
    match req.send().await {
        Ok(res) => Some(res.status()),
        // A server that refuses a request before reading its body (not logged
        // in, not an admin, cross-origin) answers at once and closes the
        // connection; a client still writing a large body then gets a broken
        // pipe instead of the answer. That is a refusal, not a failure.
        Err(e) if format!("{e:?}").contains("BodyWrite") => None,
        Err(e) => panic!("{endpoint}: no answer ({e:?})"),
    }
}

async fn fuzz_endpoints(app: &TestApp, user: &Client, admin: &Client, seed: u64) {
    let n = cases();
    let only = std::env::var("FUZZ_ONLY").ok();
    for (i, (endpoint, params)) in ENDPOINTS.iter().enumerate() {
        if only.as_deref().is_some_and(|o| o != *endpoint) {
            continue;
        }
        let caller = if endpoint.starts_with("admin_") {
            admin
        } else {
            user
        };
        let mut rng = Rng(seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let requests: Vec<_> = (0..n)
            .map(|_| (rng.form(params), rng.below(10) != 0))
            .collect();
        let statuses: Vec<Option<StatusCode>> = stream::iter(requests)
            .map(|(form, json)| async move { post(caller, endpoint, &form, json).await })
            .buffer_unordered(8)
            .collect()
            .await;
        let server_errors = statuses
            .iter()
            .flatten()
            .filter(|s| s.is_server_error())
            .count();
        assert_eq!(
            server_errors, 0,
            "{endpoint}: {server_errors} answers of 5xx"
        );
    }
    let _ = app;
}

async fn fuzz_socket(app: &TestApp, user: &Client, seed: u64) {
    use tokio_tungstenite::tungstenite::Message;
    let mut rng = Rng(seed ^ 0xDEAD_BEEF);
    let mut socket = user.socket(None).await;
    for _ in 0..cases() {
        let frame = match rng.below(5) {
            0 => Message::Text(rng.value().into()),
            1 => Message::Binary(rng.value().into_bytes().into()),
            _ => {
                let mut object = serde_json::Map::new();
                let kind = rng.pick(&["send", "send", "dance", "", "SEND"]).to_string();
                object.insert("type".into(), kind.into());
                for key in ["to", "body", "client_id", "extra"] {
                    if rng.below(4) != 0 {
                        let value = match rng.below(3) {
                            0 => serde_json::json!(rng.value()),
                            1 => serde_json::json!(rng.next() as i64),
                            _ => serde_json::json!([rng.value()]),
                        };
                        object.insert(key.into(), value);
                    }
                }
                Message::Text(serde_json::Value::Object(object).to_string().into())
            }
        };
        if socket.ws.send(frame).await.is_err() {
            // Closed (an oversized frame): open another and go on.
            socket = user.socket(None).await;
        }
    }
    // The socket (or its successor) still answers a real send.
    let sentinel = serde_json::json!({"type": "send", "to": "nemo", "body": "still here", "client_id": "fuzz-sentinel-01"});
    let mut socket = user.socket(None).await;
    socket
        .ws
        .send(Message::Text(sentinel.to_string().into()))
        .await
        .unwrap();
    let answer = socket
        .next_matching(|e| e["type"] == "sent" && e["message"]["client_id"] == "fuzz-sentinel-01")
        .await;
    assert_eq!(answer["message"]["body"], "still here");
    let _ = app;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_and_frames_never_break_the_server() {
    let app = spawn_app_with(|s| {
        s.send_limit_per_10s = 1_000_000;
        s.login_max_failures = 1_000_000;
    })
    .await;
    let user = app.user("dora").await;
    app.user("nemo").await;
    let admin = app.admin("root").await;
    let seed = seed();
    // Generous, but bounded: a request that hangs fails the test.
    let limit = Duration::from_secs(300 + cases() as u64 / 10);
    tokio::time::timeout(limit, async {
        fuzz_socket(&app, &user, seed).await;
        fuzz_endpoints(&app, &user, &admin, seed).await;
    })
    .await
    .expect("the fuzz pass finishes (no request hangs)");
    // Still answering normally, to a fresh client. (The pass may have closed
    // sign-up through `admin_set_signup_mode`: open it again first.)
    app::admin::signup_policy::set_mode(
        &app.db,
        &app::admin::audit::Actor::command_line(),
        app::admin::model::SignupMode::Open,
    )
    .await
    .unwrap();
    let fresh = app.user("afterwards").await;
    assert_eq!(fresh.get("/").await.status, StatusCode::OK);
    assert_eq!(fresh.call("people", &[]).await.status, StatusCode::OK);
}
