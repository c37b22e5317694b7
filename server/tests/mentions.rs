//! Mentions and notification levels over real HTTP and WebSocket clients:
//! who can be mentioned, what members see live and in history, how levels
//! decide unread marks, and who may do what.

mod common;

use common::{Client, ok, post_to, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `who`'s sidebar entry for room `id`.
async fn entry(who: &Client, id: &str) -> Value {
    let rooms = ok(who, "rooms_mine", &[]).await;
    rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["room"]["id"].as_i64().map(|n| n.to_string()).as_deref() == Some(id))
        .cloned()
        .expect("a member sees the room")
}

#[tokio::test]
async fn a_mention_reaches_the_mentioned_member_live_in_history_and_in_their_badge() {
    let app = spawn_app().await;
    let (amy, bob, cyd) = (
        app.user("amy").await,
        app.user("bob").await,
        app.user("cyd").await,
    );
    let _dan = app.user("Dan").await;
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob, cyd")],
    )
    .await;
    let id = room["id"].to_string();
    let mut bob_ws = bob.socket(None).await;

    // Dan exists but is not a member; "nobody" is nobody; an address is not
    // a mention; "@BOB." is Bob with a full stop.
    let sent = post_to(
        &amy,
        &id,
        "hi @BOB. and @Dan, @nobody — mail amy@bob.example",
        "men-00000001",
    )
    .await;
    assert_eq!(sent["mentions"], json!(["bob"]));
    assert_eq!(sent["sender_name"], "amy");
    let live = bob_ws
        .next_matching(|e| e["type"] == "message" && e["message"]["system"].is_null())
        .await;
    assert_eq!(live["message"]["mentions"], json!(["bob"]));
    assert_eq!(live["message"]["sender_name"], "amy");

    // Rooms count mentions by default: Bob has one, Cyd none; both have an
    // unread message.
    let b = entry(&bob, &id).await;
    assert_eq!(
        (
            b["unread"].as_i64(),
            b["mentions"].as_i64(),
            b["notify"].as_str()
        ),
        (Some(1), Some(1), Some("mentions"))
    );
    let c = entry(&cyd, &id).await;
    assert_eq!(
        (c["unread"].as_i64(), c["mentions"].as_i64()),
        (Some(1), Some(0))
    );

    // History shows the same names to everyone.
    let page = ok(&cyd, "conversation_page", &[("conversation_id", &id)]).await;
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["mentions"].clone(), last["sender_name"].clone()),
        (json!(["bob"]), json!("amy"))
    );

    // Reading clears the mention; a later one counts again.
    bob.mark_read(&sent).await;
    assert_eq!(entry(&bob, &id).await["mentions"], 0);
    post_to(&cyd, &id, "@bob again", "men-00000002").await;
    assert_eq!(entry(&bob, &id).await["mentions"], 1);

    // In a direct conversation a mention counts the same way.
    let dm = bob.send("amy", "ping @amy", "men-00000003").await.json();
    assert_eq!(dm["mentions"], json!(["amy"]));
    let people = ok(&amy, "people", &[]).await;
    let from_bob = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["username"] == "bob")
        .unwrap()
        .clone();
    assert_eq!(
        (
            from_bob["unread"].as_i64(),
            from_bob["mentions"].as_i64(),
            from_bob["notify"].as_str()
        ),
        (Some(1), Some(1), Some("all"))
    );
}

#[tokio::test]
async fn a_deleted_message_takes_its_mentions_with_it() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob")],
    )
    .await;
    let id = room["id"].to_string();
    let sent = post_to(&amy, &id, "@bob look", "del-00000001").await;
    assert_eq!(entry(&bob, &id).await["mentions"], 1);
    ok(
        &root,
        "admin_delete_message",
        &[("message_id", &sent["id"].to_string())],
    )
    .await;
    assert_eq!(entry(&bob, &id).await["mentions"], 0);
}

#[tokio::test]
async fn levels_are_per_member_validated_and_only_for_members() {
    let app = spawn_app().await;
    let (amy, bob, dan) = (
        app.user("amy").await,
        app.user("bob").await,
        app.user("dan").await,
    );
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob")],
    )
    .await;
    let id = room["id"].to_string();

    ok(
        &bob,
        "notify",
        &[("conversation_id", &id), ("notify", "nothing")],
    )
    .await;
    assert_eq!(entry(&bob, &id).await["notify"], "nothing");
    assert_eq!(
        entry(&amy, &id).await["notify"],
        "mentions",
        "Amy's level is her own"
    );

    let r = bob
        .call("notify", &[("conversation_id", &id), ("notify", "loud")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("notify"), "{}", r.body);
    assert_eq!(
        entry(&bob, &id).await["notify"],
        "nothing",
        "a refused level changes nothing"
    );

    let r = dan
        .call("notify", &[("conversation_id", &id), ("notify", "all")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn completion_offers_members_by_prefix_and_nothing_to_outsiders() {
    let app = spawn_app().await;
    let amy = app.user("amy").await;
    for name in ["bob", "Bea", "b_x", "bxy", "cyd"] {
        app.user(name).await;
    }
    let _outsider = app.user("bart").await;
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob Bea b_x bxy cyd")],
    )
    .await;
    let id = room["id"].to_string();
    let offer = |prefix: &'static str| {
        let (amy, id) = (&amy, id.clone());
        async move {
            ok(
                amy,
                "mention_candidates",
                &[("conversation_id", &id), ("prefix", prefix)],
            )
            .await
        }
    };
    assert_eq!(
        offer("b").await,
        json!(["b_x", "Bea", "bob", "bxy"]),
        "members only, by name"
    );
    assert_eq!(
        offer("B_").await,
        json!(["b_x"]),
        "'_' is a character, not a wildcard"
    );
    assert_eq!(offer("").await.as_array().unwrap().len(), 6);
    assert_eq!(offer("%").await, json!([]));

    let dan = app.user("dan").await;
    let r = dan
        .call(
            "mention_candidates",
            &[("conversation_id", &id), ("prefix", "b")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
