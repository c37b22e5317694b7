//! The event log's ordering guarantee, with deliberately reordered hand-overs.
//!
//! Event ids commit in id order (the counter row is locked until commit), but
//! the publishers that hand committed events to the live layer finish in any
//! order — two request handlers, the writer, and with several nodes, the
//! broker. Sockets must still see every event once, in id order, and an
//! event whose publisher never hands it over must still arrive (read from the
//! log).

mod common;

use app::{
    chat::model::Event,
    db::begin_write,
    events::log::{self, Audience, Logged, NewEvent},
};
use common::{TestApp, spawn_app};

/// Commits one event for `user` in its own transaction, without publishing it.
async fn commit_one(app: &TestApp, user: i32, marker: i64) -> Logged {
    commit(
        app,
        user,
        Event::Read {
            conversation_id: 0,
            last_read_id: marker,
        },
    )
    .await
}

/// Commits `event` for `user` alone, in a transaction of its own.
async fn commit(app: &TestApp, user: i32, event: Event) -> Logged {
    let txn = begin_write(&app.db).await.unwrap();
    let mut logged = log::append(&txn, &[NewEvent::new(Audience::User(user), event)])
        .await
        .unwrap();
    txn.commit().await.unwrap();
    logged.pop().unwrap()
}

#[tokio::test]
async fn events_handed_over_out_of_order_reach_sockets_in_id_order() {
    let app = spawn_app().await;
    let nemo = app.user("nemo").await;
    let id = nemo.id().await as i32;
    let mut ws = nemo.socket(None).await;
    let first = commit_one(&app, id, 1).await;
    let second = commit_one(&app, id, 2).await;
    let third = commit_one(&app, id, 3).await;
    assert_eq!((second.id, third.id), (first.id + 1, first.id + 2));
    // Handed over last first.
    app.live.publish(vec![third.clone()]);
    app.live.publish(vec![second.clone()]);
    app.live.publish(vec![first.clone()]);
    for want in [&first, &second, &third] {
        let got = ws.next_event().await;
        assert_eq!(got["event_id"], want.id, "{got}");
    }
    // Handing one over again changes nothing: the sentinel comes next.
    app.live.publish(vec![second]);
    let sentinel = commit_one(&app, id, 4).await;
    app.live.publish(vec![sentinel.clone()]);
    assert_eq!(ws.next_event().await["event_id"], sentinel.id);
}

#[tokio::test]
async fn an_event_whose_publisher_failed_is_read_from_the_log() {
    let app = spawn_app().await;
    let nemo = app.user("nemo").await;
    let id = nemo.id().await as i32;
    let mut ws = nemo.socket(None).await;
    // Committed, never handed over (its publisher died after the commit).
    let lost = commit_one(&app, id, 1).await;
    let next = commit_one(&app, id, 2).await;
    app.live.publish(vec![next.clone()]);
    let got = ws.next_event().await;
    assert_eq!(got["event_id"], lost.id, "the missing id first: {got}");
    assert_eq!(got["last_read_id"], 1);
    assert_eq!(ws.next_event().await["event_id"], next.id);
}

#[tokio::test]
async fn a_resuming_socket_gets_exactly_what_it_missed_then_live_events() {
    let app = spawn_app().await;
    let nemo = app.user("nemo").await;
    let id = nemo.id().await as i32;
    let seen = commit_one(&app, id, 1).await;
    app.live.publish(vec![seen.clone()]);
    let mut missed = Vec::new();
    for marker in 2..=4 {
        let e = commit_one(&app, id, marker).await;
        app.live.publish(vec![e.clone()]);
        missed.push(e);
    }
    let mut ws = nemo.socket(Some(seen.id)).await;
    for want in &missed {
        assert_eq!(ws.next_event().await["event_id"], want.id);
    }
    let live = commit_one(&app, id, 5).await;
    app.live.publish(vec![live.clone()]);
    assert_eq!(ws.next_event().await["event_id"], live.id);
}

#[tokio::test]
async fn a_tab_behind_what_the_log_keeps_is_told_to_resync() {
    let app = spawn_app().await;
    let nemo = app.user("nemo").await;
    let id = nemo.id().await as i32;
    let old = commit_one(&app, id, 1).await;
    let newer = commit_one(&app, id, 2).await;
    // Everything so far is past the retention.
    log::prune(&app.db, app::db::now_millis() + 1)
        .await
        .unwrap();
    let mut ws = nemo.socket(Some(old.id - 1)).await;
    let resync = ws.next_event().await;
    assert_eq!(resync["type"], "resync", "{resync}");
    assert_eq!(resync["cursor"], newer.id);
    let polled = nemo
        .call("events_since", &[("after", &(old.id - 1).to_string())])
        .await
        .json();
    assert_eq!(polled.as_array().unwrap().len(), 1);
    assert!(polled[0].as_str().unwrap().contains(r#""type":"resync""#));
    // Up to date: nothing to replay, and a tab from the future starts afresh.
    let mut current = nemo.socket(Some(newer.id)).await;
    let sentinel = commit_one(&app, id, 3).await;
    app.live.publish(vec![newer, sentinel.clone()]);
    assert_eq!(current.next_event().await["event_id"], sentinel.id);
    let mut ahead = nemo.socket(Some(sentinel.id + 100)).await;
    assert_eq!(ahead.next_event().await["type"], "resync");
}

/// Commits one event for `user` whose frame is about `size` bytes.
async fn commit_large(app: &TestApp, user: i32, size: usize) -> Logged {
    let event = Event::Typing {
        conversation_id: 0,
        user_id: user,
        username: "x".repeat(size),
    };
    commit(app, user, event).await
}

/// `/ws` over a TCP socket whose receive buffer is a few KB, so the server's
/// writes stall as soon as the client stops reading.
async fn narrow_socket(c: &common::Client, after: Option<i64>) -> common::Socket {
    use tokio_tungstenite::{MaybeTlsStream, tungstenite::client::IntoClientRequest};
    let addr: std::net::SocketAddr = c.base.trim_start_matches("http://").parse().unwrap();
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4096).unwrap();
    let stream = tcp.connect(addr).await.unwrap();
    let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
    let url = format!("{}/ws{query}", c.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("cookie", c.cookie_header().unwrap().parse().unwrap());
    req.headers_mut().insert("origin", c.base.parse().unwrap());
    let (ws, _) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(stream))
        .await
        .unwrap();
    let mut socket = common::Socket { ws };
    assert_eq!(socket.next_event().await["type"], "hello");
    socket
}

/// A tab that stops reading while events pour in: the server's writes to it
/// stall (the connection takes no more), and what follows must wait behind
/// them — or the socket is dropped as too slow and the tab resumes. Either
/// way it gets every event once, in id order, once it reads again.
#[tokio::test]
async fn a_tab_that_stops_reading_gets_every_event_once_in_order() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let app = spawn_app().await;
    let nemo = app.user("nemo").await;
    let id = nemo.id().await as i32;
    let mut ws = narrow_socket(&nemo, None).await;
    let stalled = || {
        app::metrics::metrics()
            .live_frames
            .get_or_create(&vec![("how", "stalled")])
            .get()
    };
    let stalled_before = stalled();
    // About 3 MB while the tab reads nothing.
    let mut sent = Vec::new();
    for _ in 0..50 {
        let event = commit_large(&app, id, 60_000).await;
        app.live.publish(vec![event.clone()]);
        sent.push(event.id);
    }
    // The server found the connection full.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while stalled() == stalled_before {
        assert!(tokio::time::Instant::now() < deadline, "no write stalled");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let sentinel = commit_one(&app, id, 1).await;
    app.live.publish(vec![sentinel.clone()]);
    sent.push(sentinel.id);

    let mut got = Vec::new();
    while got.last() != Some(&sentinel.id) {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(15), ws.ws.next())
            .await
            .expect("a frame within 15 s");
        match frame {
            Some(Ok(Message::Text(text))) => {
                let event: serde_json::Value = serde_json::from_str(&text).unwrap();
                if let Some(event_id) = event["event_id"].as_i64() {
                    got.push(event_id);
                }
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                // Dropped as too slow: resume after the last one it has.
                let last = got.last().copied().unwrap_or(sent[0] - 1);
                ws = narrow_socket(&nemo, Some(last)).await;
            }
            Some(Ok(_)) => {}
        }
    }
    assert_eq!(got, sent, "every event once, in id order");
}
