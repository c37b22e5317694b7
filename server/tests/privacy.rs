//! What people share, over the real server: with typing off, typing frames
//! reach no one; with receipts off, reading sends no "seen", history shows
//! no read marker either way, and "Seen by" in rooms skips them — and is
//! refused to them. A change reaches the person's other tabs.

mod common;

use common::{Socket, ok, post_to, spawn_app};
use futures::SinkExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;

async fn share(c: &common::Client, typing: bool, receipts: bool) {
    ok(
        c,
        "privacy",
        &[
            ("share_typing", &typing.to_string()),
            ("share_receipts", &receipts.to_string()),
        ],
    )
    .await;
}

async fn typing(ws: &mut Socket, conversation_id: &Value) {
    let frame = json!({"type": "typing", "conversation_id": conversation_id}).to_string();
    ws.ws
        .send(WsMessage::Text(frame.into()))
        .await
        .expect("sent");
}

#[tokio::test]
async fn typing_off_reaches_no_one_and_other_tabs_learn_the_setting() {
    let app = spawn_app().await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob")],
    )
    .await;
    let other = ok(
        &amy,
        "rooms_create",
        &[("name", "other"), ("members", "bob")],
    )
    .await;
    let (mut amy_ws, mut bob_ws) = (amy.socket(None).await, bob.socket(None).await);
    share(&amy, false, true).await;
    let e = amy_ws.next_matching(|e| e["type"] == "privacy").await;
    assert_eq!(
        (e["share_typing"].as_bool(), e["share_receipts"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(amy.whoami().await["share_typing"], false);

    typing(&mut amy_ws, &room["id"]).await;
    let sentinel = post_to(&amy, &room["id"].to_string(), "quietly", "prv-00000001").await;
    let next = bob_ws
        .next_matching(|e| e["type"] == "typing" || e["type"] == "message")
        .await;
    assert_eq!(
        next["message"]["id"], sentinel["id"],
        "no typing before the sentinel: {next}"
    );

    // (In another room: the earlier frame still counts toward this room's
    // one-every-2-s thinning.)
    share(&amy, true, true).await;
    typing(&mut amy_ws, &other["id"]).await;
    let next = bob_ws
        .next_matching(|e| e["type"] == "typing" || e["type"] == "message")
        .await;
    assert_eq!(next["type"], "typing", "on again");
}

#[tokio::test]
async fn receipts_off_sends_none_and_shows_none() {
    let app = spawn_app().await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let first = amy.send("bob", "one", "prv-00000002").await.json();
    let mut amy_ws = amy.socket(None).await;
    share(&bob, true, false).await;
    bob.mark_read(&first).await;
    let sentinel = bob.send("amy", "read it", "prv-00000003").await.json();
    let next = amy_ws
        .next_matching(|e| e["type"] == "seen" || e["type"] == "message")
        .await;
    assert_eq!(
        next["message"]["id"], sentinel["id"],
        "no seen before the sentinel: {next}"
    );
    let page = ok(&amy, "messages", &[("peer", "bob")]).await;
    assert_eq!(page["peer_read_id"], 0, "Amy does not see Bob's marker");

    // Bob sees no one's either.
    amy.mark_read(&sentinel).await;
    let page = ok(&bob, "messages", &[("peer", "amy")]).await;
    assert_eq!(page["peer_read_id"], 0, "Bob does not see Amy's marker");
    share(&bob, true, true).await;
    let page = ok(&bob, "messages", &[("peer", "amy")]).await;
    assert_eq!(
        page["peer_read_id"], sentinel["id"],
        "and does once receipts are on"
    );
}

async fn seen_by(c: &common::Client, m: &Value) -> common::Reply {
    c.call("seen_by", &[("message_id", &m["id"].to_string())])
        .await
}

#[tokio::test]
async fn seen_by_counts_the_room_members_who_share_receipts() {
    let app = spawn_app().await;
    let (amy, bob, cas, dan) = (
        app.user("amy").await,
        app.user("bob").await,
        app.user("cas").await,
        app.user("dan").await,
    );
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob,cas")],
    )
    .await;
    let id = room["id"].to_string();
    let m = post_to(&amy, &id, "read me", "prv-00000004").await;
    assert_eq!(
        seen_by(&amy, &m).await.json(),
        json!({"count": 0, "names": []})
    );
    share(&cas, true, false).await;
    bob.mark_read(&m).await;
    cas.mark_read(&m).await;
    assert_eq!(
        seen_by(&amy, &m).await.json(),
        json!({"count": 1, "names": ["bob"]})
    );
    let later = post_to(&amy, &id, "not read yet", "prv-00000005").await;
    let r = amy
        .call("seen_by", &[("message_id", &later["id"].to_string())])
        .await;
    assert_eq!(r.json(), json!({"count": 0, "names": []}));

    assert_eq!(
        seen_by(&cas, &m).await.status,
        StatusCode::CONFLICT,
        "receipts off: none to see"
    );
    assert_eq!(
        seen_by(&dan, &m).await.status,
        StatusCode::NOT_FOUND,
        "not a member"
    );
}
