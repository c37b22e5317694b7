//! Upgrading a database written before conversations existed: every 1:1
//! history becomes a direct conversation with the same messages, ids, read
//! markers and unread counts. `fixtures/before-conversations.db` was made by
//! that release with `fixtures/before-conversations.py` (amy, bob and cyd;
//! amy has read bob's first message and cyd's first).

mod common;

use common::{GOOD_PASSWORD, spawn_app_with};
use reqwest::StatusCode;
use serde_json::Value;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/before-conversations.db"
);

fn by_name<'a>(people: &'a Value, name: &str) -> &'a Value {
    people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["username"] == name)
        .unwrap_or_else(|| panic!("{name} in {people}"))
}

#[tokio::test]
async fn one_to_one_histories_survive_the_upgrade() {
    // The fixture is a SQLite file: this test runs on SQLite whatever the
    // suite's backend.
    let app = spawn_app_with(|s| {
        s.database_url = String::new();
        std::fs::copy(FIXTURE, s.data_dir.join("kanect.db")).expect("fixture copied");
    })
    .await;
    let amy = app.client();
    assert_eq!(amy.login("amy", GOOD_PASSWORD).await.status, StatusCode::OK);

    // Unread counts are what they were: bob 1 of 2, cyd 2 of 3.
    let people = amy.call("people", &[]).await.json();
    assert_eq!(by_name(&people, "cyd")["unread"], 2, "{people}");
    assert_eq!(by_name(&people, "bob")["unread"], 1, "{people}");
    assert_eq!(by_name(&people, "cyd")["last_message_id"], 9);
    assert_eq!(people[0]["username"], "cyd", "newest activity first");

    // The same messages with the same ids, in one conversation per pair.
    let page = amy.call("messages", &[("peer", "bob")]).await.json();
    let ids: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(page["messages"][3]["body"], "bob to amy 0");
    let conversation = page["conversation_id"].clone();
    assert!(
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["conversation_id"] == conversation)
    );
    let cyd = amy.call("messages", &[("peer", "cyd")]).await.json();
    assert_ne!(cyd["conversation_id"], conversation);
    assert_eq!(cyd["messages"].as_array().unwrap().len(), 4);

    // Bob's side: nothing unread (he wrote last), and a pair that never
    // talked has no conversation.
    let bob = app.client();
    assert_eq!(bob.login("bob", GOOD_PASSWORD).await.status, StatusCode::OK);
    let people = bob.call("people", &[]).await.json();
    assert_eq!(by_name(&people, "amy")["unread"], 0);
    assert_eq!(by_name(&people, "cyd")["conversation_id"], Value::Null);

    // Life goes on: a new message continues the ids and counts as unread.
    let sent = bob
        .send("amy", "after the upgrade", "upgrade-00000001")
        .await
        .json();
    assert_eq!(sent["id"], 10);
    assert_eq!(sent["conversation_id"], conversation);
    let people = amy.call("people", &[]).await.json();
    assert_eq!(by_name(&people, "bob")["unread"], 2);
}
