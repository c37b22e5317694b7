//! Rooms over real HTTP and WebSocket clients: the lifecycle, authorisation
//! by membership on every endpoint and socket, and resume of every logged
//! event kind.

mod common;

use common::{Client, TestApp, ok, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn post(c: &Client, room: &Value, body: &str, client_id: &str) -> Reply {
    c.call(
        "send",
        &[
            ("to", ""),
            ("conversation_id", &room["id"].to_string()),
            ("body", body),
            ("client_id", client_id),
        ],
    )
    .await
}

use common::Reply;

async fn create(c: &Client, name: &str, public: bool, members: &str) -> Value {
    ok(
        c,
        "rooms_create",
        &[
            ("name", name),
            ("topic", "all things"),
            ("is_public", if public { "true" } else { "false" }),
            ("members", members),
        ],
    )
    .await
}

async fn three(app: &TestApp) -> (Client, Client, Client) {
    (
        app.user("amy").await,
        app.user("bob").await,
        app.user("cyd").await,
    )
}

#[tokio::test]
async fn three_people_create_join_talk_rename_leave_and_archive_a_room() {
    let app = spawn_app().await;
    let (amy, bob, cyd) = three(&app).await;
    let (mut amy_ws, mut bob_ws, mut cyd_ws) = (
        amy.socket(None).await,
        bob.socket(None).await,
        cyd.socket(None).await,
    );

    let room = create(&amy, "general", true, "bob").await;
    assert_eq!(
        (room["kind"].as_str(), room["member_count"].as_i64()),
        (Some("room"), Some(2))
    );
    // Bob learns of it live: the room, then its first system line.
    let news = bob_ws.next_matching(|e| e["type"] == "conversation").await;
    assert_eq!(news["conversation"]["name"], "general");
    let line = bob_ws.next_event().await;
    assert_eq!(line["message"]["system"], true);
    assert_eq!(line["message"]["body"], "amy created the room");

    // Cyd finds it and joins; the members see it happen.
    let listed = ok(&cyd, "rooms_browse", &[]).await;
    assert_eq!(listed[0]["room"]["id"], room["id"]);
    assert_eq!(listed[0]["joined"], false);
    let id = room["id"].to_string();
    ok(&cyd, "rooms_join", &[("conversation_id", &id)]).await;
    let joined = amy_ws.next_matching(|e| e["type"] == "member_joined").await;
    assert_eq!(joined["user_id"], cyd.id().await);
    assert_eq!(amy_ws.next_event().await["message"]["body"], "cyd joined");

    // All three talk; everyone gets every message, in order.
    post(&amy, &room, "hello room", "room-00000001").await;
    post(&bob, &room, "hi amy", "room-00000002").await;
    let r = post(&cyd, &room, "hey all", "room-00000003").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for ws in [&mut amy_ws, &mut bob_ws, &mut cyd_ws] {
        let bodies: Vec<Value> = {
            let mut got = Vec::new();
            while got.len() < 3 {
                let e = ws.next_matching(|e| e["type"] == "message").await;
                if e["message"]["system"] != true {
                    got.push(e["message"]["body"].clone());
                }
            }
            got
        };
        assert_eq!(
            bodies,
            [json!("hello room"), json!("hi amy"), json!("hey all")]
        );
    }
    let members = ok(&cyd, "conversation_members", &[("conversation_id", &id)]).await;
    let names: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["amy", "bob", "cyd"], "owner first, then by name");
    assert_eq!(members[0]["role"], "owner");

    // Only the owner renames; everyone sees the new name.
    let r = bob
        .call(
            "rooms_update",
            &[("conversation_id", &id), ("name", "mine")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    ok(
        &amy,
        "rooms_update",
        &[
            ("conversation_id", &id),
            ("name", "lobby"),
            ("topic", "say hi"),
        ],
    )
    .await;
    let renamed = cyd_ws.next_matching(|e| e["type"] == "conversation").await;
    assert_eq!(renamed["conversation"]["name"], "lobby");
    assert_eq!(renamed["conversation"]["topic"], "say hi");

    // Bob leaves: the others are told, and he no longer reads it.
    ok(&bob, "rooms_leave", &[("conversation_id", &id)]).await;
    let left = amy_ws.next_matching(|e| e["type"] == "member_left").await;
    assert_eq!(left["user_id"], bob.id().await);
    let own = bob_ws.next_matching(|e| e["type"] == "member_left").await;
    assert_eq!(own["user_id"], bob.id().await);
    let r = bob
        .call("conversation_page", &[("conversation_id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Archived: readable, not writable.
    ok(&amy, "rooms_archive", &[("conversation_id", &id)]).await;
    let r = post(&cyd, &room, "too late", "room-00000004").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["fields"][0]["field"], "conversation_id");
    let page = ok(&cyd, "conversation_page", &[("conversation_id", &id)]).await;
    assert_eq!(page["conversation"]["archived"], true);
    let texts: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["system"] != true)
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["hello room", "hi amy", "hey all"]);
}

#[tokio::test]
async fn a_private_room_is_invisible_to_outsiders_on_every_endpoint_and_socket() {
    let app = spawn_app().await;
    let (amy, bob, cyd) = three(&app).await;
    let mut cyd_ws = cyd.socket(None).await;
    let room = create(&amy, "secret", false, "bob").await;
    post(&amy, &room, "for bob only", "priv-00000001").await;
    let id = room["id"].to_string();

    assert_eq!(ok(&cyd, "rooms_browse", &[]).await, json!([]));
    let refusals: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("conversation_page", vec![("conversation_id", &id)]),
        ("conversation_members", vec![("conversation_id", &id)]),
        ("rooms_join", vec![("conversation_id", &id)]),
        ("rooms_leave", vec![("conversation_id", &id)]),
        (
            "rooms_add",
            vec![("conversation_id", &id), ("usernames", "cyd")],
        ),
        (
            "rooms_remove",
            vec![("conversation_id", &id), ("user_id", "1")],
        ),
        (
            "rooms_update",
            vec![("conversation_id", &id), ("name", "mine")],
        ),
        ("rooms_archive", vec![("conversation_id", &id)]),
        ("mark_read", vec![("conversation_id", &id), ("up_to", "1")]),
        (
            "send",
            vec![
                ("to", ""),
                ("conversation_id", &id),
                ("body", "let me in"),
                ("client_id", "priv-00000002"),
            ],
        ),
    ];
    for (endpoint, form) in &refusals {
        let r = cyd.call(endpoint, form).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{endpoint}: {}", r.body);
    }
    // A room that does not exist answers the same.
    let r = cyd
        .call("conversation_page", &[("conversation_id", "999999")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nothing of it reached cyd's socket or replay: the first thing cyd sees
    // is the sentinel sent to him afterwards.
    amy.send("cyd", "sentinel", "priv-00000003").await;
    assert_eq!(cyd_ws.next_event().await["message"]["body"], "sentinel");
    let frames = ok(&cyd, "events_since", &[("after", "0")]).await;
    assert!(!frames.to_string().contains("for bob only"));

    // The owner adds cyd: now cyd reads it, history included.
    ok(
        &amy,
        "rooms_add",
        &[("conversation_id", &id), ("usernames", "cyd")],
    )
    .await;
    let news = cyd_ws.next_matching(|e| e["type"] == "conversation").await;
    assert_eq!(news["conversation"]["name"], "secret");
    let page = ok(&cyd, "conversation_page", &[("conversation_id", &id)]).await;
    assert!(page.to_string().contains("for bob only"));

    // Removed again: told once, then nothing more arrives.
    let cyd_id = cyd.id().await.to_string();
    ok(
        &amy,
        "rooms_remove",
        &[("conversation_id", &id), ("user_id", &cyd_id)],
    )
    .await;
    let gone = cyd_ws.next_matching(|e| e["type"] == "member_left").await;
    assert_eq!(gone["user_id"].to_string(), cyd_id);
    post(&bob, &room, "after cyd left", "priv-00000004").await;
    amy.send("cyd", "second sentinel", "priv-00000005").await;
    let next = cyd_ws
        .next_matching(|e| e["type"] == "message" && e["message"]["system"] != true)
        .await;
    assert_eq!(next["message"]["body"], "second sentinel");
    let r = cyd
        .call("conversation_page", &[("conversation_id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_tab_that_was_offline_catches_up_on_every_kind_of_change() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let (amy, bob, cyd) = three(&app).await;
    let room = create(&amy, "general", true, "bob").await;
    let id = room["id"].to_string();
    let doomed = post(&amy, &room, "delete me", "off-00000001").await.json();
    // Bob's tab knows everything up to here, then goes offline.
    let mut bob_ws = bob.socket(None).await;
    let kept = post(&amy, &room, "before the gap", "off-00000002")
        .await
        .json();
    let last_seen = bob_ws
        .next_matching(|e| e["message"]["body"] == "before the gap")
        .await["event_id"]
        .as_i64()
        .unwrap();
    drop(bob_ws);

    // While he is away: a message, a join, a rename, a moderation, and his
    // own read marker and notification level from another tab.
    post(&amy, &room, "while away, @bob", "off-00000003").await;
    ok(&cyd, "rooms_join", &[("conversation_id", &id)]).await;
    ok(
        &amy,
        "rooms_update",
        &[
            ("conversation_id", &id),
            ("name", "lobby"),
            ("topic", "all things"),
        ],
    )
    .await;
    ok(
        &root,
        "admin_delete_message",
        &[("message_id", &doomed["id"].to_string())],
    )
    .await;
    bob.mark_read(&kept).await;
    ok(
        &bob,
        "notify",
        &[("conversation_id", &id), ("notify", "all")],
    )
    .await;

    let mut ws = bob.socket(Some(last_seen)).await;
    let mut kinds = Vec::new();
    let mut last = last_seen;
    loop {
        let e = ws
            .next_matching(|e| e["type"] != "heartbeat" && e["type"] != "presence")
            .await;
        let id = e["event_id"]
            .as_i64()
            .expect("replayed events carry their id");
        assert!(id > last, "in order, once each: {id} after {last}");
        last = id;
        kinds.push(e["type"].as_str().unwrap().to_owned());
        if e["type"] == "message" && e["message"]["body"] == "while away, @bob" {
            assert_eq!(e["message"]["mentions"], json!(["bob"]), "{e}");
            assert_eq!(e["message"]["sender_name"], "amy");
        }
        if e["type"] == "notify" {
            assert_eq!(e["notify"], "all");
            break;
        }
    }
    assert_eq!(
        kinds,
        [
            "message",
            "member_joined",
            "message",
            "message",
            "conversation",
            "message_deleted",
            "read",
            "notify"
        ],
        "the message, cyd's join and its line, the rename line and the room, the deletion, the marker, the level"
    );
    // Then live events.
    post(&amy, &room, "live again", "off-00000004").await;
    assert_eq!(ws.next_event().await["message"]["body"], "live again");
}

#[tokio::test]
async fn admins_list_archive_and_delete_rooms_and_members_see_it_live() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let (amy, bob, _cyd) = three(&app).await;
    let room = create(&amy, "general", false, "bob").await;
    let id = room["id"].to_string();
    post(&amy, &room, "hello", "adm-00000001").await;
    let mut bob_ws = bob.socket(None).await;

    let r = amy.call("admin_rooms", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only admins");
    let listed = ok(&root, "admin_rooms", &[]).await;
    assert_eq!(listed[0]["name"], "general");
    assert_eq!(
        (
            listed[0]["members"].as_i64(),
            listed[0]["messages"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(listed[0]["is_public"], false);
    assert!(listed[0]["last_activity"].is_i64());

    ok(&root, "admin_archive_room", &[("room_id", &id)]).await;
    let archived = bob_ws.next_matching(|e| e["type"] == "conversation").await;
    assert_eq!(archived["conversation"]["archived"], true);
    let r = post(&bob, &room, "still there?", "adm-00000002").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    ok(&root, "admin_delete_room", &[("room_id", &id)]).await;
    let gone = bob_ws.next_matching(|e| e["type"] == "member_left").await;
    assert_eq!(gone["conversation_id"], room["id"]);
    assert_eq!(gone["user_id"], bob.id().await);
    let r = bob
        .call("conversation_page", &[("conversation_id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(ok(&root, "admin_rooms", &[]).await, json!([]));
    let audit = ok(&root, "admin_audit", &[]).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(&actions[..2], ["delete_room", "archive_room"], "{audit}");
}
