//! Authors editing and deleting their own messages, over real HTTP and
//! WebSocket clients: live, on resume, in history and unread counts, and who
//! may do it.

mod common;

use common::{ok, post_to, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_edit_and_a_deletion_reach_members_live_on_resume_and_in_history() {
    let app = spawn_app().await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob")],
    )
    .await;
    let id = room["id"].to_string();
    let mut live = bob.socket(None).await;
    let sent = post_to(&amy, &id, "helo", "edit-00000001").await;
    let mid = sent["id"].to_string();
    let seen = live
        .next_matching(|e| e["type"] == "message" && e["message"]["body"] == "helo")
        .await;
    let before = seen["event_id"].as_i64().unwrap();
    // A second tab of Bob's knows everything up to here, then goes offline.

    let edited = ok(
        &amy,
        "edit",
        &[("message_id", &mid), ("body", "hello @bob")],
    )
    .await;
    assert_eq!(
        (edited["body"].as_str(), edited["mentions"].clone()),
        (Some("hello @bob"), json!(["bob"]))
    );
    assert!(edited["edited_at"].is_i64());
    let e = live.next_matching(|e| e["type"] == "message_updated").await;
    assert_eq!(e["message"]["body"], "hello @bob");
    assert_eq!(e["message"]["id"], sent["id"]);
    let mine = ok(&bob, "rooms_mine", &[]).await;
    assert_eq!(
        (mine[0]["unread"].as_i64(), mine[0]["mentions"].as_i64()),
        (Some(1), Some(1)),
        "the edit's mention counts"
    );

    let gone = ok(&amy, "delete", &[("message_id", &mid)]).await;
    assert_eq!(
        (gone["deleted"].as_bool(), gone["body"].as_str()),
        (Some(true), Some(""))
    );
    let e = live.next_matching(|e| e["type"] == "message_updated").await;
    assert_eq!(e["message"]["deleted"], true);
    let mine = ok(&bob, "rooms_mine", &[]).await;
    assert_eq!(
        (mine[0]["unread"].as_i64(), mine[0]["mentions"].as_i64()),
        (Some(0), Some(0)),
        "a deleted message is not unread"
    );

    // The offline tab gets both changes, in order, once.
    let mut resumed = bob.socket(Some(before)).await;
    let first = resumed.next_matching(|e| e["event_id"].is_i64()).await;
    let second = resumed.next_matching(|e| e["event_id"].is_i64()).await;
    assert_eq!(
        (
            first["message"]["body"].as_str(),
            second["message"]["deleted"].as_bool()
        ),
        (Some("hello @bob"), Some(true))
    );
    // History shows it deleted, in place.
    let page = ok(&bob, "conversation_page", &[("conversation_id", &id)]).await;
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["id"].clone(),
            last["deleted"].clone(),
            last["body"].clone()
        ),
        (sent["id"].clone(), json!(true), json!(""))
    );

    // Retrying the original send still finds the message (no duplicate).
    let again = post_to(&amy, &id, "helo", "edit-00000001").await;
    assert_eq!(
        (again["id"].clone(), again["deleted"].clone()),
        (sent["id"].clone(), json!(true))
    );
}

#[tokio::test]
async fn only_the_author_changes_a_message_and_refusals_change_nothing() {
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
    let sent = post_to(&amy, &id, "original", "edit-00000002").await;
    let mid = sent["id"].to_string();
    let line =
        ok(&amy, "conversation_page", &[("conversation_id", &id)]).await["messages"][0].clone();
    assert_eq!(line["system"], true);

    let status = |r: common::Reply| r.status;
    assert_eq!(
        status(
            bob.call("edit", &[("message_id", &mid), ("body", "mine now")])
                .await
        ),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(bob.call("delete", &[("message_id", &mid)]).await),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(
            dan.call("edit", &[("message_id", &mid), ("body", "hi")])
                .await
        ),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(dan.call("delete", &[("message_id", &mid)]).await),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(
            amy.call(
                "edit",
                &[("message_id", &line["id"].to_string()), ("body", "x")]
            )
            .await
        ),
        StatusCode::FORBIDDEN,
        "system lines stay"
    );
    let r = amy
        .call("edit", &[("message_id", &mid), ("body", "   ")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("body"), "{}", r.body);
    assert_eq!(
        status(
            amy.call("edit", &[("message_id", "999999"), ("body", "x")])
                .await
        ),
        StatusCode::NOT_FOUND
    );

    let page = ok(&bob, "conversation_page", &[("conversation_id", &id)]).await;
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["body"].as_str(), last["edited_at"].is_null()),
        (Some("original"), true)
    );

    ok(&amy, "delete", &[("message_id", &mid)]).await;
    let r = amy
        .call("edit", &[("message_id", &mid), ("body", "back")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a deleted message stays deleted"
    );
}
