//! A live socket lives exactly as long as the session that opened it, and a
//! page load costs the same whatever the history's size.

mod common;

use common::{Client, GOOD_PASSWORD, TestApp, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;

const SIGNED_OUT: Option<u16> = Some(4001);

async fn user(app: &TestApp, name: &str) -> Client {
    let c = app.client();
    assert_eq!(c.signup(name, GOOD_PASSWORD).await.status, StatusCode::OK);
    c
}

/// A second, separately logged-in session of `name`.
async fn second_session(app: &TestApp, name: &str) -> Client {
    let c = app.client();
    assert_eq!(c.login(name, GOOD_PASSWORD).await.status, StatusCode::OK);
    c
}

fn cid(n: usize) -> String {
    format!("session-test-{n:06}")
}

async fn messages_between(c: &Client, peer: &str) -> usize {
    c.call("messages", &[("peer", peer)]).await.json()["messages"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn logging_out_closes_that_sessions_socket_and_no_other() {
    let app = spawn_app().await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let laptop = second_session(&app, "dora").await;
    let mut phone_ws = dora.socket(None).await;
    let mut laptop_ws = laptop.socket(None).await;
    assert_eq!(dora.call("logout", &[]).await.status, StatusCode::OK);
    let bye = phone_ws.next_event().await;
    assert_eq!(bye["type"], "signed_out");
    assert_eq!(phone_ws.closed_code().await, SIGNED_OUT);
    // The other session's socket still works.
    nemo.send("dora", "still here?", &cid(1)).await;
    assert_eq!(
        laptop_ws.next_event().await["message"]["body"],
        "still here?"
    );
}

/// Ends every session of `user` in the database only (as another node or the
/// command line would), then at once, before any watch could close the
/// socket, sends `frame` over the socket `user` opened before. Either the
/// writer refuses it (the session is gone when it commits) or the socket is
/// closed first.
async fn send_after_logout(app: &TestApp, user: &Client, frame: serde_json::Value) {
    use futures::SinkExt;
    let mut ws = user.socket(None).await;
    let id = user.id().await;
    app::auth::session_store::end_sessions_of(&app.db, id as i32)
        .await
        .unwrap();
    let _ = ws
        .ws
        .send(tokio_tungstenite::tungstenite::Message::Text(
            frame.to_string().into(),
        ))
        .await;
    let answer = ws
        .next_matching(|e| e["type"] != "heartbeat" && e["type"] != "presence")
        .await;
    match answer["type"].as_str() {
        Some("send_failed") => assert_eq!(answer["error"]["kind"], "unauthorized", "{answer}"),
        Some("signed_out") => {}
        other => panic!("unexpected answer {other:?}: {answer}"),
    }
}

/// How many stored messages have `body`.
async fn stored_with_body(app: &TestApp, body: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM messages WHERE body = '{body}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn a_send_over_a_logged_out_socket_is_never_stored() {
    let app = spawn_app().await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let frame = json!({"type": "send", "to": "nemo", "body": "ghost", "client_id": cid(2)});
    send_after_logout(&app, &dora, frame).await;
    assert_eq!(messages_between(&nemo, "dora").await, 0);
    assert_eq!(stored_with_body(&app, "ghost").await, 0);
}

/// The same into a room: a plain send, which on SQLite the writer stores
/// on its own connection (`chat::writer::sqlite`), not through the pool.
#[tokio::test]
async fn a_send_into_a_room_over_a_logged_out_socket_is_never_stored() {
    let app = spawn_app().await;
    let (dora, _nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let room = common::ok(
        &dora,
        "rooms_create",
        &[("name", "ops"), ("members", "nemo")],
    )
    .await;
    let frame = json!({"type": "send", "conversation_id": room["id"], "body": "ghost", "client_id": cid(3)});
    send_after_logout(&app, &dora, frame).await;
    assert_eq!(stored_with_body(&app, "ghost").await, 0);
}

/// The `send` server function remembers its sender by session
/// (`chat::senders`); a session that ended or expired since is still refused
/// by the writer, never stored, and then forgotten.
#[tokio::test]
async fn an_http_send_from_a_remembered_sender_whose_session_ended_is_never_stored() {
    let app = spawn_app().await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    assert_eq!(
        dora.send("nemo", "first", &cid(4)).await.status,
        StatusCode::OK
    );
    // Ended in the database only, as another node or the command line would.
    let id = dora.id().await;
    app::auth::session_store::end_sessions_of(&app.db, id as i32)
        .await
        .unwrap();
    // Remembered: the writer refuses it, as it stores nothing for an ended
    // session. Then forgotten: the next send reads the session and finds none.
    let expected = [
        "Your session has ended. Please log in again.",
        "Please log in.",
    ];
    for (n, message) in expected.into_iter().enumerate() {
        let refused = dora.send("nemo", "ghost", &cid(5 + n)).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.json()["message"], message, "{}", refused.json());
    }
    assert_eq!(stored_with_body(&app, "ghost").await, 0);

    // Expired rather than ended: the same.
    assert_eq!(
        nemo.send("dora", "second", &cid(7)).await.status,
        StatusCode::OK
    );
    app.db
        .execute_unprepared("UPDATE sessions SET expires_at = 1")
        .await
        .unwrap();
    let refused = nemo.send("dora", "ghost", &cid(8)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["message"], expected[0], "{}", refused.json());
    assert_eq!(stored_with_body(&app, "ghost").await, 0);
    assert_eq!(stored_with_body(&app, "first").await, 1);
    assert_eq!(stored_with_body(&app, "second").await, 1);
}

#[tokio::test]
async fn ending_sessions_elsewhere_closes_sockets_within_seconds() {
    let app = spawn_app().await;
    let dora = user(&app, "dora").await;
    let mut ws = dora.socket(None).await;
    // As `kanect-server reset-password` does from another process: only the
    // database changes; the server's session watch must notice.
    let id = dora.id().await;
    app::auth::session_store::end_sessions_of(&app.db, id as i32)
        .await
        .unwrap();
    assert_eq!(ws.closed_code().await, SIGNED_OUT);
}

#[tokio::test]
async fn ending_sessions_while_sockets_connect_leaves_none_behind() {
    let app = spawn_app().await;
    let dora = user(&app, "dora").await;
    let id = dora.id().await as i32;
    for round in 0..10 {
        let c = second_session(&app, "dora").await;
        let (socket, ended) = tokio::join!(
            c.raw_socket(String::new(), Some(app.base.as_str())),
            app::auth::session_store::end_sessions_of(&app.db, id)
        );
        ended.unwrap();
        // The handshake was refused, or the socket is closed soon after.
        if let Ok(mut socket) = socket {
            assert_eq!(socket.closed_code().await, SIGNED_OUT, "round {round}");
        }
    }
}

#[tokio::test]
async fn a_request_in_flight_cannot_bring_an_ended_session_back() {
    use tower_sessions::{SessionStore, session::Id};
    let app = spawn_app().await;
    let dora = user(&app, "dora").await;
    let store = app::auth::session_store::DbSessionStore::new(app.db.clone());
    let cookie = dora.cookie_header().unwrap();
    let id: Id = cookie
        .split("kanect_session=")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // A request loaded the session ...
    let mut record = store.load(&id).await.unwrap().expect("session exists");
    // ... an admin ended every session of the user ...
    let user_id = dora.id().await as i32;
    app::auth::session_store::end_sessions_of(&app.db, user_id)
        .await
        .unwrap();
    // ... and the request finishes by saving what it loaded.
    record
        .data
        .insert("renewed_at".into(), serde_json::json!(1));
    store.save(&record).await.unwrap();
    assert!(store.load(&id).await.unwrap().is_none());
    assert!(dora.whoami().await.is_null());
}

/// The one session's expiry and data, as stored.
async fn stored_session(app: &TestApp) -> (i64, serde_json::Value) {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT expires_at, data FROM sessions",
        ))
        .await
        .unwrap()
        .expect("one session");
    let expires: i64 = row.try_get("", "expires_at").unwrap();
    let data: String = row.try_get("", "data").unwrap();
    (expires, serde_json::from_str(&data).unwrap())
}

#[tokio::test]
async fn a_session_is_pushed_forward_at_most_hourly_and_ends_when_expired() {
    let app = spawn_app().await;
    let dora = user(&app, "dora").await;
    // Just logged in: requests read the session and write nothing.
    let (expires, data) = stored_session(&app).await;
    assert_eq!(dora.whoami().await["username"], "dora");
    assert_eq!(stored_session(&app).await, (expires, data.clone()));

    // As if the last renewal were long ago and the session about to expire:
    // the next request pushes the expiry forward again.
    let mut old = data.clone();
    old["renewed_at"] = json!(1);
    let soon = app::db::now_millis() + 60_000;
    app.db
        .execute_unprepared(&format!(
            "UPDATE sessions SET expires_at = {soon}, data = '{old}'"
        ))
        .await
        .unwrap();
    assert_eq!(dora.whoami().await["username"], "dora");
    let (renewed_expiry, renewed) = stored_session(&app).await;
    assert!(
        renewed_expiry > soon + 86_400_000,
        "{renewed_expiry} vs {soon}"
    );
    assert!(renewed["renewed_at"].as_i64().unwrap() > 1, "{renewed}");
    assert_eq!(renewed["user_id"], data["user_id"]);

    // Expired: the session no longer names anyone.
    app.db
        .execute_unprepared("UPDATE sessions SET expires_at = 1")
        .await
        .unwrap();
    assert!(dora.whoami().await.is_null());
}

#[tokio::test]
async fn a_socket_closes_when_its_session_expires() {
    let app = spawn_app().await;
    let dora = user(&app, "dora").await;
    let soon = app::db::now_millis() + 1_500;
    app.db
        .execute_unprepared(&format!("UPDATE sessions SET expires_at = {soon}"))
        .await
        .unwrap();
    let mut ws = dora.socket(None).await;
    assert_eq!(ws.closed_code().await, SIGNED_OUT);
}

#[tokio::test]
async fn a_user_keeps_at_most_twenty_sockets_and_loses_the_oldest() {
    let app = spawn_app().await;
    let dora = user(&app, "dora").await;
    let mut first = dora.socket(None).await;
    let mut rest = Vec::new();
    for _ in 0..20 {
        rest.push(dora.socket(None).await);
    }
    assert_eq!(first.closed_code().await, Some(4008));
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_sockets() {
    let app = spawn_app_with(|s| s.sockets_per_ip = 2).await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let _a = dora.socket(None).await;
    let _b = nemo.socket(None).await;
    let mut third = dora
        .raw_socket(String::new(), Some(&app.base.clone()))
        .await
        .unwrap();
    assert_eq!(third.closed_code().await, Some(1013));
}

#[tokio::test]
async fn a_fresh_socket_replays_nothing_and_starts_at_the_cursor() {
    let app = spawn_app_with(|s| s.send_limit_per_10s = 1_000).await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    for i in 0..30 {
        dora.send("nemo", &format!("old {i}"), &cid(i)).await;
    }
    let frames = nemo.call("events_since", &[("after", "0")]).await.json();
    let last_frame: serde_json::Value =
        serde_json::from_str(frames.as_array().unwrap().last().unwrap().as_str().unwrap()).unwrap();
    let last = last_frame["event_id"].as_i64().unwrap();
    let mut ws = nemo
        .raw_socket(String::new(), Some(&app.base.clone()))
        .await
        .unwrap();
    let hello = ws.next_event().await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["cursor"], last);
    // The next thing to arrive is the sentinel sent now: no old message.
    dora.send("nemo", "sentinel", &cid(99)).await;
    assert_eq!(ws.next_event().await["message"]["body"], "sentinel");
}

#[tokio::test]
async fn a_tab_too_far_behind_is_told_to_resync_instead_of_flooded() {
    let app = spawn_app_with(|s| s.send_limit_per_10s = 1_000_000).await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    // 1,200 messages, pipelined over a socket 60 at a time.
    let mut writer = dora.socket(None).await;
    for round in 0..20 {
        for i in 0..60 {
            let n = round * 60 + i + 1;
            let send = serde_json::json!({
                "type": "send", "to": "nemo", "body": format!("bulk {n}"),
                "client_id": format!("bulk-{n:06}"),
            });
            use futures::SinkExt;
            writer
                .ws
                .send(tokio_tungstenite::tungstenite::Message::Text(
                    send.to_string().into(),
                ))
                .await
                .unwrap();
        }
        for _ in 0..60 {
            writer.next_matching(|e| e["type"] == "sent").await;
        }
    }
    let mut ws = nemo.socket(Some(0)).await;
    let resync = ws.next_event().await;
    assert_eq!(resync["type"], "resync", "{resync}");
    assert!(resync["cursor"].as_i64().unwrap() >= 1200);
    let bodies_in_order = {
        let page = nemo.call("messages", &[("peer", "dora")]).await.json();
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    dora.send("nemo", "after the gap", &cid(1)).await;
    assert_eq!(ws.next_event().await["message"]["body"], "after the gap");
    // A tab a little behind still gets exactly what it missed.
    let cursor = resync["cursor"].as_i64().unwrap();
    let mut near = nemo.socket(Some(cursor - 3)).await;
    // (Pipelined sends commit in batches: the order is the page's.)
    for body in &bodies_in_order[bodies_in_order.len() - 3..] {
        assert_eq!(near.next_event().await["message"]["body"], *body);
    }
    assert_eq!(near.next_event().await["message"]["body"], "after the gap");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_after_the_write_timeout() {
    use futures::StreamExt;
    let app = spawn_app_with(|s| s.send_limit_per_10s = 1_000_000).await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    // A tab with a tiny receive buffer that never reads.
    let mut stalled = {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.set_recv_buffer_size(4096).unwrap();
        let stream = sock.connect(app.addr).await.unwrap();
        let mut req = format!("ws://{}/ws", app.addr)
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("cookie", nemo.cookie_header().unwrap().parse().unwrap());
        req.headers_mut()
            .insert("origin", app.base.parse().unwrap());
        let (ws, _) = tokio_tungstenite::client_async(req, stream).await.unwrap();
        common::Socket {
            ws: tokio_tungstenite::WebSocketStream::from_raw_socket(
                tokio_tungstenite::MaybeTlsStream::Plain(ws.into_inner()),
                tokio_tungstenite::tungstenite::protocol::Role::Client,
                None,
            )
            .await,
        }
    };
    // Fill the connection: large messages the stalled tab never reads, until
    // the server's writes can no longer complete (the hub drops its queue too).
    let body = "x".repeat(3_900);
    for i in 0..1_500 {
        dora.send("nemo", &body, &cid(10_000 + i)).await;
    }
    // Within the write timeout (10 s) the server gives up on the stuck write
    // and drops the connection without a closing handshake — it does not
    // wait, blocked, for a reader that never comes back.
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
    let drained = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut closing_code = None;
        while let Some(frame) = stalled.ws.next().await {
            match frame {
                Ok(tokio_tungstenite::tungstenite::Message::Close(f)) => {
                    closing_code = f.map(|f| u16::from(f.code));
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        closing_code
    })
    .await
    .expect("the connection is already gone: reading it ends at once");
    assert_eq!(
        drained, None,
        "dropped, not closed politely after the reader resumed"
    );
}
