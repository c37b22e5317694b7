//! Live 1:1 chat over real HTTP and WebSocket clients against a real server.

mod common;

use common::{Client, GOOD_PASSWORD, TestApp, spawn_app};
use reqwest::StatusCode;

async fn user(app: &TestApp, name: &str) -> Client {
    let c = app.client();
    assert_eq!(c.signup(name, GOOD_PASSWORD).await.status, StatusCode::OK);
    c
}

fn cid(n: usize) -> String {
    format!("test-client-{n:06}")
}

#[tokio::test]
async fn a_message_reaches_the_recipients_socket_after_it_is_stored() {
    let app = spawn_app().await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let mut nemo_ws = nemo.socket(None).await;
    let r = dora.send("nemo", "hello <b>nemo</b>", &cid(1)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sent = r.json();
    let event = nemo_ws.next_event().await;
    assert_eq!(event["type"], "message");
    assert_eq!(event["message"], sent);
    assert_eq!(event["message"]["body"], "hello <b>nemo</b>");
    // And it is in the history either of them fetches.
    let page = nemo.call("messages", &[("peer", "dora")]).await.json();
    assert_eq!(page["messages"][0], sent);
}

#[tokio::test]
async fn every_tab_of_both_participants_gets_the_message_in_order() {
    let app = spawn_app().await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let mut tabs = vec![
        nemo.socket(None).await,
        nemo.socket(None).await,
        dora.socket(None).await,
    ];
    for i in 0..5 {
        dora.send("nemo", &format!("message {i}"), &cid(i)).await;
    }
    for tab in &mut tabs {
        for i in 0..5 {
            assert_eq!(
                tab.next_event().await["message"]["body"],
                format!("message {i}")
            );
        }
    }
}

#[tokio::test]
async fn a_third_user_can_neither_fetch_nor_receive_the_conversation() {
    let app = spawn_app().await;
    let (dora, nemo, eve) = (
        user(&app, "dora").await,
        user(&app, "nemo").await,
        user(&app, "eve").await,
    );
    let mut eve_ws = eve.socket(None).await;
    dora.send("nemo", "secret", &cid(1)).await;
    // Both of the pair read it, whichever of them has the smaller id.
    for (reader, peer) in [(&dora, "nemo"), (&nemo, "dora")] {
        let page = reader.call("messages", &[("peer", peer)]).await.json();
        assert_eq!(page["messages"][0]["body"], "secret");
    }
    // Eve's own "conversation with dora" (or nemo) is empty: the pair always
    // includes the caller.
    for peer in ["dora", "nemo"] {
        let page = eve.call("messages", &[("peer", peer)]).await.json();
        assert_eq!(page["messages"].as_array().unwrap().len(), 0);
        assert_eq!(page["conversation_id"], serde_json::Value::Null);
    }
    let since = eve.call("events_since", &[("after", "0")]).await.json();
    assert_eq!(since.as_array().unwrap().len(), 0);
    // Events arrive in id order: had "secret" been addressed to Eve, it would
    // come before this sentinel.
    dora.send("eve", "sentinel", &cid(2)).await;
    assert_eq!(eve_ws.next_event().await["message"]["body"], "sentinel");
}

#[tokio::test]
async fn anonymous_callers_get_401_everywhere() {
    let app = spawn_app().await;
    let anon = app.client();
    for (endpoint, form) in [
        ("people", vec![]),
        ("messages", vec![("peer", "dora")]),
        (
            "send",
            vec![("to", "dora"), ("body", "hi"), ("client_id", "client-0001")],
        ),
        ("mark_read", vec![("conversation_id", "1"), ("up_to", "1")]),
        ("events_since", vec![("after", "0")]),
    ] {
        let r = anon.call(endpoint, &form).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{endpoint}: {}", r.body);
    }
    assert!(anon.try_socket(None, Some(&app.base)).await.is_err());
}

#[tokio::test]
async fn a_cross_origin_socket_is_refused() {
    let app = spawn_app().await;
    let dora = user(&app, "dora").await;
    assert!(
        dora.try_socket(None, Some("http://evil.example"))
            .await
            .is_err()
    );
    assert!(dora.try_socket(None, None).await.is_err());
}

#[tokio::test]
async fn retrying_a_send_with_the_same_client_id_stores_one_message() {
    let app = spawn_app().await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let mut nemo_ws = nemo.socket(None).await;
    let first = dora.send("nemo", "once", &cid(7)).await.json();
    let again = dora.send("nemo", "once", &cid(7)).await.json();
    assert_eq!(first, again);
    assert_eq!(nemo_ws.next_event().await["message"]["id"], first["id"]);
    let page = nemo.call("messages", &[("peer", "dora")]).await.json();
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    // No second copy was delivered: the next event is the sentinel.
    dora.send("nemo", "sentinel", &cid(8)).await;
    assert_eq!(nemo_ws.next_event().await["message"]["body"], "sentinel");
}

#[tokio::test]
async fn resuming_after_a_dropped_socket_returns_exactly_the_missed_messages() {
    let app = spawn_app().await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let mut ws = nemo.socket(None).await;
    dora.send("nemo", "seen", &cid(1)).await;
    let last_seen = ws.next_event().await["event_id"].as_i64().unwrap();
    drop(ws);
    for i in 2..=4 {
        dora.send("nemo", &format!("missed {i}"), &cid(i)).await;
    }
    let mut ws = nemo.socket(Some(last_seen)).await;
    for i in 2..=4 {
        assert_eq!(
            ws.next_event().await["message"]["body"],
            format!("missed {i}")
        );
    }
    dora.send("nemo", "live again", &cid(5)).await;
    assert_eq!(ws.next_event().await["message"]["body"], "live again");
    // Nothing replayed twice: the next event is the sentinel.
    dora.send("nemo", "sentinel", &cid(6)).await;
    assert_eq!(ws.next_event().await["message"]["body"], "sentinel");
}

#[tokio::test]
async fn bad_messages_get_clear_errors() {
    let app = spawn_app().await;
    let dora = user(&app, "dora").await;
    user(&app, "nemo").await;
    let r = dora.send("nemo", "   \n ", &cid(1)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["fields"][0]["field"], "body");
    let long = "x".repeat(4001);
    let r = dora.send("nemo", &long, &cid(2)).await;
    assert!(
        r.json()["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 4000")
    );
    let r = dora.send("nobody", "hi", &cid(3)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = dora.send("dora", "hi", &cid(4)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = dora.send("nemo", "hi", "bad id").await;
    assert_eq!(r.json()["fields"][0]["field"], "client_id");
    // Reading: the refused parameter is named as the caller sent it.
    let r = dora.call("messages", &[("peer", "dora")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["fields"][0]["field"], "peer");
}

#[tokio::test]
async fn sending_too_fast_is_rate_limited() {
    let app = common::spawn_app_with(|s| s.send_limit_per_10s = 3).await;
    let dora = user(&app, "dora").await;
    user(&app, "nemo").await;
    for i in 0..3 {
        assert_eq!(
            dora.send("nemo", "hi", &cid(i)).await.status,
            StatusCode::OK
        );
    }
    let r = dora.send("nemo", "hi", &cid(9)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["kind"], "rate_limited");
}

#[tokio::test]
async fn concurrent_sends_from_both_sides_lose_nothing() {
    let app = common::spawn_app_with(|s| s.send_limit_per_10s = 10_000).await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let (dora, nemo) = (std::sync::Arc::new(dora), std::sync::Arc::new(nemo));
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (from, to) = if i % 2 == 0 {
            (dora.clone(), "nemo")
        } else {
            (nemo.clone(), "dora")
        };
        tasks.push(tokio::spawn(async move {
            let r = from.send(to, &format!("m{i}"), &cid(i)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.json()["id"].as_i64().unwrap()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 100);
    let since = dora.call("events_since", &[("after", "0")]).await.json();
    let messages = since
        .as_array()
        .unwrap()
        .iter()
        .map(|f| serde_json::from_str::<serde_json::Value>(f.as_str().unwrap()).unwrap())
        .filter(|e| e["type"] == "message")
        .count();
    assert_eq!(messages, 100);
}

#[tokio::test]
async fn older_messages_come_in_pages_of_fifty() {
    let app = common::spawn_app_with(|s| s.send_limit_per_10s = 10_000).await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    for i in 0..120 {
        dora.send("nemo", &format!("m{i}"), &cid(i)).await;
    }
    let newest = nemo.call("messages", &[("peer", "dora")]).await.json();
    let msgs = newest["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 50);
    assert_eq!(msgs[49]["body"], "m119");
    assert_eq!(newest["has_more"], true);
    let before = msgs[0]["id"].to_string();
    let older = nemo
        .call("messages", &[("peer", "dora"), ("before", &before)])
        .await
        .json();
    assert_eq!(older["messages"][49]["body"], "m69");
    let before = older["messages"][0]["id"].to_string();
    let oldest = nemo
        .call("messages", &[("peer", "dora"), ("before", &before)])
        .await
        .json();
    assert_eq!(oldest["messages"].as_array().unwrap().len(), 20);
    assert_eq!(oldest["has_more"], false);
}

#[tokio::test]
async fn unread_counts_rise_and_clear_when_read_in_every_tab() {
    let app = spawn_app().await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    user(&app, "amy").await;
    let mut last = serde_json::Value::Null;
    for i in 0..3 {
        last = dora.send("nemo", "hi", &cid(i)).await.json();
    }
    let people = nemo.call("people", &[]).await.json();
    assert_eq!(
        people[0]["username"], "dora",
        "recent conversations first: {people}"
    );
    assert_eq!(people[0]["unread"], 3);
    assert_eq!(people[1]["username"], "amy");
    let mut other_tab = nemo.socket(None).await;
    let r = nemo.mark_read(&last).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let event = other_tab.next_event().await;
    assert_eq!(event["type"], "read");
    assert_eq!(event["last_read_id"], last["id"]);
    assert_eq!(event["conversation_id"], last["conversation_id"]);
    // Dora is not told (read receipts are not shared yet).
    assert_eq!(nemo.call("people", &[]).await.json()[0]["unread"], 0);
}

#[tokio::test]
async fn presence_goes_on_and_off_with_the_socket() {
    let app = spawn_app().await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let mut dora_ws = dora.socket(None).await;
    let nemo_ws = nemo.socket(None).await;
    let nemo_id = nemo.whoami().await["id"].clone();
    let on = dora_ws
        .next_matching(|e| {
            e["type"] == "presence" && e["online"].as_array().unwrap().contains(&nemo_id)
        })
        .await;
    assert_eq!(on["type"], "presence");
    drop(nemo_ws);
    let off = dora_ws
        .next_matching(|e| {
            e["type"] == "presence" && e["offline"].as_array().unwrap().contains(&nemo_id)
        })
        .await;
    assert_eq!(off["type"], "presence");
    let people = dora.call("people", &[]).await.json();
    assert_eq!(people[0]["online"], false);
}

#[tokio::test]
async fn sends_succeed_while_other_connections_write_to_the_database() {
    use sea_orm::ConnectionTrait;
    let app = common::spawn_app_with(|s| s.send_limit_per_10s = 10_000).await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    // Another writer on the same database file, as an admin action, a session
    // save or the command line would be.
    let db = app.db.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                db.execute_unprepared(&format!("UPDATE users SET last_seen_at = {n}"))
                    .await
                    .unwrap();
            }
            n
        })
    };
    let sends = (0..200).map(|i| {
        let (from, to) = if i % 2 == 0 {
            (&dora, "nemo")
        } else {
            (&nemo, "dora")
        };
        async move {
            from.send(to, &format!("under contention {i}"), &cid(i))
                .await
        }
    });
    let replies = futures::future::join_all(sends).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(busy.await.unwrap() > 0, "the other writer ran");
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let page = dora.call("messages", &[("peer", "nemo")]).await.json();
    assert_eq!(page["messages"].as_array().unwrap().len(), 50);
    assert_eq!(page["has_more"], true);
}

/// Sends a text frame on a test socket.
async fn frame(ws: &mut common::Socket, json: serde_json::Value) {
    use futures::SinkExt;
    ws.ws
        .send(tokio_tungstenite::tungstenite::Message::Text(
            json.to_string().into(),
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn messages_sent_over_the_socket_are_answered_delivered_and_never_duplicated() {
    let app = spawn_app().await;
    let (dora, nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let mut dora_ws = dora.socket(None).await;
    let mut nemo_ws = nemo.socket(None).await;
    let send = serde_json::json!({"type": "send", "to": "nemo", "body": "over the socket", "client_id": cid(1)});
    frame(&mut dora_ws, send.clone()).await;
    let answer = dora_ws.next_matching(|e| e["type"] == "sent").await;
    assert_eq!(answer["message"]["body"], "over the socket");
    assert_eq!(answer["message"]["client_id"], cid(1));
    let got = nemo_ws.next_event().await;
    assert_eq!(got["type"], "message");
    assert_eq!(got["message"], answer["message"]);
    // The same client id again: the same message back, nothing new delivered.
    frame(&mut dora_ws, send).await;
    let again = dora_ws.next_matching(|e| e["type"] == "sent").await;
    assert_eq!(again["message"]["id"], answer["message"]["id"]);
    let page = nemo.call("messages", &[("peer", "dora")]).await.json();
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    // No second copy was delivered: the next event is the sentinel.
    dora.send("nemo", "sentinel", &cid(2)).await;
    assert_eq!(nemo_ws.next_event().await["message"]["body"], "sentinel");
}

#[tokio::test]
async fn bad_sends_over_the_socket_get_send_failed_with_the_reason() {
    // Sends to nobody and to oneself take from the budget too: 2 of these 4.
    let app = common::spawn_app_with(|s| s.send_limit_per_10s = 4).await;
    let (dora, _nemo) = (user(&app, "dora").await, user(&app, "nemo").await);
    let mut ws = dora.socket(None).await;
    let cases = [
        (
            serde_json::json!({"type": "send", "to": "nemo", "body": "   ", "client_id": cid(1)}),
            "validation",
            "body",
        ),
        (
            serde_json::json!({"type": "send", "to": "nemo", "body": "hi", "client_id": "x"}),
            "validation",
            "client_id",
        ),
        (
            serde_json::json!({"type": "send", "to": "nobody", "body": "hi", "client_id": cid(2)}),
            "not_found",
            "",
        ),
        (
            serde_json::json!({"type": "send", "to": "dora", "body": "hi", "client_id": cid(3)}),
            "validation",
            "to",
        ),
    ];
    for (send, kind, field) in cases {
        frame(&mut ws, send.clone()).await;
        let failed = ws.next_event().await;
        assert_eq!(failed["type"], "send_failed", "{send}: {failed}");
        assert_eq!(failed["client_id"], send["client_id"]);
        assert_eq!(failed["error"]["kind"], kind, "{failed}");
        if !field.is_empty() {
            assert_eq!(failed["error"]["fields"][0]["field"], field, "{failed}");
        }
    }
    // The per-user send limit applies to the socket as to the server function.
    for i in 10..13 {
        frame(
            &mut ws,
            serde_json::json!({"type": "send", "to": "nemo", "body": "hi", "client_id": cid(i)}),
        )
        .await;
    }
    let answer = |e: &serde_json::Value| e["type"] == "sent" || e["type"] == "send_failed";
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let e = ws.next_matching(answer).await;
        kinds.push(if e["type"] == "sent" {
            "sent".to_owned()
        } else {
            e["error"]["kind"].as_str().unwrap().to_owned()
        });
    }
    kinds.sort();
    assert_eq!(kinds, ["rate_limited", "sent", "sent"]);
    // Frames that are not sends are ignored; the socket stays open and answers.
    frame(&mut ws, serde_json::json!({"type": "dance"})).await;
    frame(
        &mut ws,
        serde_json::json!({"type": "send", "to": "nemo", "body": "hi", "client_id": cid(20)}),
    )
    .await;
    let e = ws.next_matching(answer).await;
    assert_eq!(e["client_id"], cid(20), "{e}");
}

#[tokio::test]
async fn an_oversized_client_frame_closes_the_socket() {
    let app = spawn_app().await;
    let dora = user(&app, "dora").await;
    let mut ws = dora.socket(None).await;
    let body = "x".repeat(40 * 1024);
    frame(
        &mut ws,
        serde_json::json!({"type": "send", "to": "nemo", "body": body, "client_id": cid(1)}),
    )
    .await;
    ws.expect_closed().await;
}

#[tokio::test]
async fn unread_counts_stop_at_a_hundred_and_count_only_after_the_read_marker() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let (dora, nemo, eve) = (
        user(&app, "dora").await,
        user(&app, "nemo").await,
        user(&app, "eve").await,
    );
    // Eve writes 3, nemo reads them, then 2 more; dora writes 150.
    for i in 0..3 {
        eve.send("nemo", "early", &cid(i)).await;
    }
    let last = eve.send("nemo", "read up to here", &cid(3)).await.json();
    nemo.mark_read(&last).await;
    for i in 4..6 {
        eve.send("nemo", "later", &cid(i)).await;
    }
    let first = dora.send("nemo", "bulk", &cid(10)).await.json();
    let (d, c) = (dora.id().await, &first["conversation_id"]);
    app.db
        .execute_unprepared(&format!(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 149)
             INSERT INTO messages (conversation_id, sender_id, kind, body, client_id, created_at)
             SELECT {c}, {d}, 'text', 'bulk', 'bulk-' || i, 0 FROM seq;
             UPDATE conversations SET last_message_id = (SELECT MAX(id) FROM messages) WHERE id = {c}"
        ))
        .await
        .unwrap();
    let people = nemo.call("people", &[]).await.json();
    let unread = |name: &str| {
        people
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["username"] == name)
            .unwrap()["unread"]
            .clone()
    };
    assert_eq!(unread("dora"), 100);
    assert_eq!(unread("eve"), 2);
}
