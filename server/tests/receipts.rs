//! Read receipts in direct conversations: the other person learns how far
//! their messages were read, live and with the history; rooms send none.

mod common;

use common::{ok, post_to, spawn_app};

#[tokio::test]
async fn the_sender_sees_how_far_the_other_person_read_live_and_in_the_history() {
    let app = spawn_app().await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    // Amy's tab is open before the two ever talked.
    let mut amy_ws = amy.socket(None).await;
    let first = amy.send("bob", "one", "seen-00000001").await.json();
    let second = amy.send("bob", "two", "seen-00000002").await.json();
    let page = ok(&amy, "messages", &[("peer", "bob")]).await;
    assert_eq!(page["peer_read_id"], 0, "Bob has read nothing yet");

    bob.mark_read(&first).await;
    let seen = amy_ws.next_matching(|e| e["type"] == "seen").await;
    assert_eq!(
        (
            seen["user_id"].as_i64(),
            seen["last_read_id"].clone(),
            seen["conversation_id"].clone()
        ),
        (
            Some(bob.id().await),
            first["id"].clone(),
            first["conversation_id"].clone()
        )
    );
    assert!(
        seen["event_id"].is_i64(),
        "receipts are logged: a tab that was away catches up"
    );
    bob.mark_read(&second).await;
    let page = ok(&amy, "messages", &[("peer", "bob")]).await;
    assert_eq!(page["peer_read_id"], second["id"]);
}

#[tokio::test]
async fn rooms_send_no_receipts_to_their_members() {
    let app = spawn_app().await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob")],
    )
    .await;
    let id = room["id"].to_string();
    let sent = post_to(&amy, &id, "hello", "seen-00000003").await;
    let mut amy_ws = amy.socket(None).await;
    bob.mark_read(&sent).await;
    let sentinel = post_to(&bob, &id, "hi", "seen-00000004").await;
    let next = amy_ws
        .next_matching(|e| e["type"] != "heartbeat" && e["type"] != "presence")
        .await;
    assert_eq!(
        (next["type"].as_str(), next["message"]["id"].clone()),
        (Some("message"), sentinel["id"].clone())
    );
}
