//! Replies over the real server: the quote a reply carries (live, over the
//! socket's `send` frame, and in history), following its original's edits
//! and deletion, and the refusals — a reply to another conversation's
//! message, or to one that does not exist — which store nothing.

mod common;

use common::{ok, post_to, spawn_app};
use futures::SinkExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn reply_to(
    c: &common::Client,
    conversation: &str,
    body: &str,
    client_id: &str,
    to: &Value,
) -> common::Reply {
    c.call(
        "send",
        &[
            ("to", ""),
            ("conversation_id", conversation),
            ("body", body),
            ("client_id", client_id),
            ("reply_to", &to["id"].to_string()),
        ],
    )
    .await
}

#[tokio::test]
async fn a_reply_quotes_its_original_live_in_history_and_after_changes() {
    let app = spawn_app().await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob")],
    )
    .await;
    let id = room["id"].to_string();
    let original = post_to(&amy, &id, "Lunch at **noon**?\nOr later.", "rep-00000001").await;
    let mut live = amy.socket(None).await;

    let r = reply_to(&bob, &id, "noon works", "rep-00000002", &original).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let reply = r.json();
    assert_eq!(
        reply["reply"],
        json!({"id": original["id"], "sender_name": "amy", "snippet": "Lunch at **noon**? Or later."})
    );
    let e = live.next_matching(|e| e["type"] == "message").await;
    assert_eq!(e["message"]["reply"], reply["reply"], "live");

    // Over the socket, too.
    let mut bob_live = bob.socket(None).await;
    let frame = json!({"type": "send", "conversation_id": room["id"], "body": "or 1pm",
                       "client_id": "rep-00000003", "reply_to": original["id"]});
    bob_live
        .ws
        .send(tokio_tungstenite::tungstenite::Message::Text(
            frame.to_string().into(),
        ))
        .await
        .unwrap();
    let sent = bob_live.next_matching(|e| e["type"] == "sent").await;
    assert_eq!(sent["message"]["reply"]["id"], original["id"]);

    let page = ok(&amy, "conversation_page", &[("conversation_id", &id)]).await;
    let quoted: Vec<&Value> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["reply"].is_object())
        .collect();
    assert_eq!(quoted.len(), 2, "history shows both replies' quotes");
    assert_eq!(
        quoted[0]["reply"]["snippet"],
        "Lunch at **noon**? Or later."
    );

    ok(
        &amy,
        "edit",
        &[
            ("message_id", &original["id"].to_string()),
            ("body", "Lunch at one?"),
        ],
    )
    .await;
    let page = ok(&bob, "conversation_page", &[("conversation_id", &id)]).await;
    let first = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == reply["id"])
        .unwrap()
        .clone();
    assert_eq!(
        first["reply"]["snippet"], "Lunch at one?",
        "the quote follows an edit"
    );

    ok(
        &amy,
        "delete",
        &[("message_id", &original["id"].to_string())],
    )
    .await;
    let page = ok(&bob, "conversation_page", &[("conversation_id", &id)]).await;
    let first = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == reply["id"])
        .unwrap()
        .clone();
    assert_eq!(
        first["reply"],
        json!({"id": original["id"], "sender_name": "amy", "snippet": "", "deleted": true}),
        "a deleted original shows as deleted"
    );
}

#[tokio::test]
async fn a_reply_must_answer_a_live_message_of_its_own_conversation() {
    let app = spawn_app().await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let team = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob")],
    )
    .await["id"]
        .to_string();
    let other = ok(&amy, "rooms_create", &[("name", "other")]).await["id"].to_string();
    let elsewhere = post_to(&amy, &other, "private", "rep-00000010").await;
    let here = post_to(&amy, &team, "here", "rep-00000011").await;

    for (to, why) in [
        (
            elsewhere.clone(),
            "only reply to a message in this conversation",
        ),
        (
            json!({"id": 999_999}),
            "only reply to a message in this conversation",
        ),
    ] {
        let r = reply_to(&bob, &team, "psst", "rep-00000012", &to).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            r.body.contains("reply_to") && r.body.contains(why),
            "{}",
            r.body
        );
    }
    ok(&amy, "delete", &[("message_id", &here["id"].to_string())]).await;
    let r = reply_to(&bob, &team, "psst", "rep-00000012", &here).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("deleted"), "{}", r.body);

    // Nothing was stored: the same client id now sends, once.
    let page = ok(&bob, "conversation_page", &[("conversation_id", &team)]).await;
    assert!(
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["body"] != "psst")
    );
    let fine = post_to(&bob, &team, "psst", "rep-00000012").await;
    assert!(fine["reply"].is_null());
}
