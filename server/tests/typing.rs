//! Typing indicators over real sockets: members other than the typist see
//! it, outsiders cannot cause it, a fast typist is thinned out, and nothing
//! is logged.

mod common;

use common::{Socket, ok, post_to, spawn_app};
use futures::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;

async fn typing(ws: &mut Socket, conversation_id: &Value) {
    let frame = json!({"type": "typing", "conversation_id": conversation_id}).to_string();
    ws.ws
        .send(WsMessage::Text(frame.into()))
        .await
        .expect("sent");
}

/// The next event that is neither a heartbeat nor presence.
async fn next(ws: &mut Socket) -> Value {
    ws.next_matching(|e| e["type"] != "heartbeat" && e["type"] != "presence")
        .await
}

#[tokio::test]
async fn members_see_who_is_typing_and_nobody_else_can_make_them() {
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
    let (mut amy_ws, mut bob_ws, mut dan_ws) = (
        amy.socket(None).await,
        bob.socket(None).await,
        dan.socket(None).await,
    );
    typing(&mut amy_ws, &room["id"]).await;
    let seen = bob_ws.next_matching(|e| e["type"] == "typing").await;
    assert_eq!(seen["conversation_id"], room["id"]);
    assert_eq!(
        (seen["user_id"].clone(), seen["username"].as_str()),
        (json!(amy.id().await), Some("amy"))
    );
    assert!(seen["event_id"].is_null(), "typing is not logged");

    // Again at once: thinned out. An outsider's typing: dropped. The message
    // after both is the next thing Bob gets.
    typing(&mut amy_ws, &room["id"]).await;
    typing(&mut dan_ws, &room["id"]).await;
    let sentinel = post_to(&amy, &room["id"].to_string(), "done typing", "typ-00000001").await;
    let after = next(&mut bob_ws).await;
    assert_eq!(
        (after["type"].as_str(), after["message"]["id"].clone()),
        (Some("message"), sentinel["id"].clone())
    );
    // The typist does not hear herself: her own message is her next event.
    let own = next(&mut amy_ws).await;
    assert_eq!(own["message"]["id"], sentinel["id"]);

    // Nothing of it is in the log a tab catches up from.
    let frames = ok(&bob, "events_since", &[("after", "0")]).await;
    assert!(
        frames
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f.as_str().unwrap().contains("\"typing\"")),
        "{frames}"
    );
}
