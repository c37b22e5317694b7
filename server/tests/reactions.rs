//! Reactions over the real server: adding and removing live, on resume and
//! in history; toggling that changes nothing logs nothing (shown by a
//! sentinel); 50 people reacting at once each land exactly once; emoji
//! search; and who may react.

mod common;

use common::{ok, post_to, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn react(c: &common::Client, message: &Value, emoji: &str, on: bool) -> common::Reply {
    c.call(
        "react",
        &[
            ("message_id", &message["id"].to_string()),
            ("emoji", emoji),
            ("on", if on { "true" } else { "false" }),
        ],
    )
    .await
}

#[tokio::test]
async fn reactions_reach_members_live_on_resume_and_in_history_once() {
    let app = spawn_app().await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "team"), ("members", "bob")],
    )
    .await;
    let id = room["id"].to_string();
    let m = post_to(&amy, &id, "ship it?", "rct-00000001").await;
    let mut live = amy.socket(None).await;

    let r = react(&bob, &m, "👍", true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let bob_id = bob.id().await;
    assert_eq!(
        r.json(),
        json!([{"emoji": "👍", "by": [{"id": bob_id, "name": "bob"}]}])
    );
    let e = live.next_matching(|e| e["type"] == "reaction").await;
    // A second tab of Amy's saw everything before this, then went offline.
    let before = e["event_id"].as_i64().unwrap() - 1;
    assert_eq!(
        (
            e["message_id"].clone(),
            e["emoji"].clone(),
            e["username"].clone(),
            e["on"].clone()
        ),
        (m["id"].clone(), json!("👍"), json!("bob"), json!(true))
    );
    // The same again, and removing what is not there, change nothing and
    // send nothing: the next event is the sentinel.
    assert_eq!(react(&bob, &m, "👍", true).await.status, StatusCode::OK);
    assert_eq!(react(&bob, &m, "🎉", false).await.status, StatusCode::OK);
    // "❤" (unqualified) is stored as "❤️".
    let hearts = react(&amy, &m, "❤", true).await.json();
    assert_eq!(hearts[1]["emoji"], "❤️");
    let e = live.next_matching(|e| e["type"] == "reaction").await;
    assert_eq!(
        (e["emoji"].as_str(), e["username"].as_str()),
        (Some("❤️"), Some("amy"))
    );
    assert_eq!(react(&bob, &m, "👍", false).await.status, StatusCode::OK);
    let e = live.next_matching(|e| e["type"] == "reaction").await;
    assert_eq!(
        (e["emoji"].as_str(), e["on"].as_bool()),
        (Some("👍"), Some(false))
    );

    let page = ok(&bob, "conversation_page", &[("conversation_id", &id)]).await;
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    let amy_id = amy.id().await;
    assert_eq!(
        last["reactions"],
        json!([{"emoji": "❤️", "by": [{"id": amy_id, "name": "amy"}]}])
    );

    // A tab that was offline replays the three changes, in order.
    let mut resumed = amy.socket(Some(before)).await;
    let mut changes = Vec::new();
    while changes.len() < 3 {
        let e = resumed.next_matching(|e| e["event_id"].is_i64()).await;
        assert_eq!(e["type"], "reaction", "{e}");
        changes.push((
            e["emoji"].as_str().unwrap().to_owned(),
            e["on"].as_bool().unwrap(),
        ));
    }
    assert_eq!(
        changes,
        [
            ("👍".to_owned(), true),
            ("❤️".to_owned(), true),
            ("👍".to_owned(), false)
        ]
    );

    // An edit keeps them; a deletion drops them.
    let edited = ok(
        &amy,
        "edit",
        &[("message_id", &m["id"].to_string()), ("body", "ship it!")],
    )
    .await;
    assert_eq!(edited["reactions"], last["reactions"]);
    ok(&amy, "delete", &[("message_id", &m["id"].to_string())]).await;
    let page = ok(&bob, "conversation_page", &[("conversation_id", &id)]).await;
    assert!(page["messages"].as_array().unwrap().last().unwrap()["reactions"].is_null());
    assert_eq!(
        react(&bob, &m, "👍", true).await.status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn fifty_people_reacting_at_once_each_land_exactly_once() {
    let app = spawn_app_with(|s| {
        s.signups_per_ip_per_hour = 1_000;
        s.signups_per_hour = 1_000;
    })
    .await;
    let amy = app.user("amy").await;
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "crowd"), ("is_public", "true")],
    )
    .await;
    let id = room["id"].to_string();
    let mut people = Vec::new();
    for i in 0..50 {
        let c = app.user(&format!("fan{i:02}")).await;
        ok(&c, "rooms_join", &[("conversation_id", &id)]).await;
        people.push(c);
    }
    let m = post_to(&amy, &id, "vote", "rct-00000002").await;
    let mut live = amy.socket(None).await;
    // Everyone adds the same emoji twice and another once, all at once.
    let tasks = people.iter().flat_map(|c| {
        [
            react(c, &m, "👍", true),
            react(c, &m, "👍", true),
            react(c, &m, "🚀", true),
        ]
    });
    for r in futures::future::join_all(tasks).await {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let sentinel = post_to(&amy, &id, "counted", "rct-00000003").await;
    let mut events = 0;
    loop {
        let e = live
            .next_matching(|e| e["type"] == "reaction" || e["type"] == "message")
            .await;
        if e["type"] == "message" {
            assert_eq!(e["message"]["id"], sentinel["id"]);
            break;
        }
        events += 1;
    }
    assert_eq!(events, 100, "one event per real change");
    let page = ok(&amy, "conversation_page", &[("conversation_id", &id)]).await;
    let voted = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == m["id"])
        .unwrap()
        .clone();
    let counts: Vec<(String, usize)> = voted["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["emoji"].as_str().unwrap().to_owned(),
                r["by"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(counts.len(), 2);
    assert!(counts.iter().all(|(_, n)| *n == 50), "{counts:?}");
}

#[tokio::test]
async fn only_members_react_with_real_emoji_and_search_finds_them() {
    let app = spawn_app().await;
    let (amy, dan) = (app.user("amy").await, app.user("dan").await);
    let room = ok(&amy, "rooms_create", &[("name", "team")]).await;
    let id = room["id"].to_string();
    let m = post_to(&amy, &id, "hi", "rct-00000004").await;
    assert_eq!(
        react(&dan, &m, "👍", true).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        react(&amy, &json!({"id": 987_654}), "👍", true)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for bad in ["", "ok", "<b>", "👍👍"] {
        let r = react(&amy, &m, bad, true).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert!(r.body.contains("emoji"), "{}", r.body);
    }
    let line =
        ok(&amy, "conversation_page", &[("conversation_id", &id)]).await["messages"][0].clone();
    assert_eq!(line["system"], true);
    assert_eq!(
        react(&amy, &line, "👍", true).await.status,
        StatusCode::CONFLICT
    );
    let anonymous = app.client();
    assert_eq!(
        react(&anonymous, &m, "👍", true).await.status,
        StatusCode::UNAUTHORIZED
    );

    let page = ok(&amy, "conversation_page", &[("conversation_id", &id)]).await;
    assert!(
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["reactions"].is_null())
    );

    let found = ok(&amy, "emoji_search", &[("query", "party")]).await;
    assert!(
        found.as_array().unwrap().iter().any(|h| h["emoji"] == "🎉"),
        "{found}"
    );
    assert_eq!(
        anonymous
            .call("emoji_search", &[("query", "party")])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
