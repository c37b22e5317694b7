//! `kanect-server migrate-data`: an installation on SQLite, copied into an
//! empty database (PostgreSQL when `TEST_POSTGRES_URL` is set, else another
//! SQLite file), serves the same people, histories, unread counts, rooms,
//! reactions, replies, files, audit log and event log — and keeps working
//! (new ids follow the copied ones). A second copy into the same target is
//! refused; `--sessions` keeps people logged in.

mod common;

use std::{path::Path, process::Command};

use common::{Client, GOOD_PASSWORD, TestApp, ok, post_to, spawn_app_with};
use reqwest::StatusCode;
use serde_json::Value;

fn migrate(from: &str, to: &str, sessions: bool) -> std::process::Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kanect-server"));
    cmd.current_dir(&root)
        .env("KANECT_CONFIG", root.join("Leptos.toml"))
        .args(["migrate-data", "--from", from, "--to", to]);
    if sessions {
        cmd.arg("--sessions");
    }
    cmd.output().expect("kanect-server runs")
}

/// A database to copy into: a fresh PostgreSQL database, or a new SQLite
/// file in `dir`.
async fn target(dir: &Path, name: &str) -> String {
    match common::database_url().await {
        url if url.is_empty() => format!(
            "sqlite://{}?mode=rwc",
            dir.join(format!("{name}.db")).display()
        ),
        url => url,
    }
}

/// What a person sees of the installation: their conversations with unread
/// counts, each conversation's newest page, and the events they can replay.
async fn seen_by(c: &Client, peer: &str) -> Value {
    let people = c.call("people", &[]).await.json();
    let rooms = ok(c, "rooms_mine", &[]).await;
    let mut pages = Vec::new();
    for room in rooms.as_array().unwrap() {
        let id = room["room"]["id"].to_string();
        pages.push(ok(c, "conversation_page", &[("conversation_id", &id)]).await);
    }
    let dm = ok(c, "messages", &[("peer", peer)]).await;
    let events = ok(c, "events_since", &[("after", "0")]).await;
    serde_json::json!({"people": people, "rooms": rooms, "pages": pages, "dm": dm, "events": events})
}

async fn source() -> (TestApp, Client, Client, Client, String, String) {
    // The source is always SQLite, whatever the suite's backend.
    let app = spawn_app_with(|s| s.database_url = String::new()).await;
    let root = app.admin("root").await;
    let (amy, bob, cyd) = (
        app.user("amy").await,
        app.user("bob").await,
        app.user("cyd").await,
    );
    let first = amy.send("bob", "lunch?", "mig-00000001").await.json();
    bob.mark_read(&first).await;
    amy.send("bob", "at noon", "mig-00000002").await;
    let room = ok(
        &amy,
        "rooms_create",
        &[
            ("name", "moving"),
            ("topic", "to PostgreSQL"),
            ("is_public", "false"),
            ("members", "bob,cyd"),
        ],
    )
    .await;
    let room_id = room["id"].to_string();
    let hello = post_to(&bob, &room_id, "hello @amy", "mig-00000003").await;
    ok(
        &amy,
        "react",
        &[
            ("message_id", &hello["id"].to_string()),
            ("emoji", "🎉"),
            ("on", "true"),
        ],
    )
    .await;
    let notes = amy
        .upload(&room_id, "notes.txt", b"moving notes\n".to_vec())
        .await
        .json();
    let notes_id = notes["id"].as_str().unwrap().to_owned();
    ok(
        &amy,
        "send",
        &[
            ("to", ""),
            ("conversation_id", &room_id),
            ("body", "see the notes"),
            ("client_id", "mig-00000004"),
            ("reply_to", &hello["id"].to_string()),
            ("attachments", &notes_id),
        ],
    )
    .await;
    let cyd_id = cyd.id().await.to_string();
    ok(
        &root,
        "admin_set_active",
        &[("user_id", &cyd_id), ("active", "false")],
    )
    .await;
    (app, root, amy, bob, room_id, notes_id)
}

#[tokio::test]
async fn an_installation_copied_to_another_database_serves_the_same() {
    let (old, root, amy, bob, room_id, notes_id) = source().await;
    let from = format!("sqlite://{}", old.data_dir.join("kanect.db").display());
    let before_amy = seen_by(&amy, "bob").await;
    let before_bob = seen_by(&bob, "amy").await;
    let audit = ok(&root, "admin_audit", &[]).await;

    let scratch = tempfile::tempdir().unwrap();
    let to = target(scratch.path(), "copy").await;
    let out = migrate(&from, &to, false);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = {
        use sea_orm::{EntityTrait, PaginatorTrait};
        app::db::entities::message::Entity::find()
            .count(&old.db)
            .await
            .unwrap()
    };
    assert!(said.contains(&format!("messages  {stored} rows")), "{said}");
    assert!(said.contains("every table's row count matches"), "{said}");

    // A second copy into it is refused, and changes nothing.
    let again = migrate(&from, &to, false);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("copy into an empty database"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // The copy, served with the same files directory.
    let data = old.data_dir.clone();
    let new = spawn_app_with(move |s| {
        s.database_url = to;
        s.data_dir = data;
    })
    .await;
    // Sessions were not copied: everyone logs in again, with their password.
    let amy2 = new.client();
    assert_eq!(amy2.whoami().await["id"], Value::Null);
    assert_eq!(
        amy2.login("amy", GOOD_PASSWORD).await.status,
        StatusCode::OK
    );
    let bob2 = new.client();
    assert_eq!(
        bob2.login("bob", GOOD_PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(seen_by(&amy2, "bob").await, before_amy);
    assert_eq!(seen_by(&bob2, "amy").await, before_bob);
    // Deactivated stays deactivated.
    let cyd2 = new.client();
    assert_eq!(
        cyd2.login("cyd", GOOD_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let root2 = new.client();
    root2.login("root", GOOD_PASSWORD).await;
    assert_eq!(ok(&root2, "admin_audit", &[]).await, audit);
    let (status, _, bytes) = bob2
        .fetch(&format!("/files/{notes_id}/notes.txt"), None)
        .await;
    assert_eq!(
        (status, bytes),
        (StatusCode::OK, b"moving notes\n".to_vec())
    );

    // New writes follow the copied ids.
    let newest = before_bob["pages"][0]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let next = post_to(&bob2, &room_id, "after the move", "mig-00000005").await;
    assert!(next["id"].as_i64().unwrap() > newest, "{next}");
    let newest_event = before_bob["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            serde_json::from_str::<Value>(e.as_str().unwrap()).unwrap()["event_id"]
                .as_i64()
                .unwrap()
        })
        .max()
        .unwrap();
    let events = ok(
        &bob2,
        "events_since",
        &[("after", &newest_event.to_string())],
    )
    .await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("after the move")),
        "{events}"
    );
    let signed_up = new.user("dan").await;
    assert_eq!(signed_up.whoami().await["username"], "dan");
}

#[tokio::test]
async fn with_sessions_nobody_logs_in_again() {
    let (old, _root, amy, _bob, _room, _notes) = source().await;
    let from = format!("sqlite://{}", old.data_dir.join("kanect.db").display());
    let scratch = tempfile::tempdir().unwrap();
    let to = target(scratch.path(), "with-sessions").await;
    let out = migrate(&from, &to, true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data = old.data_dir.clone();
    let new = spawn_app_with(move |s| {
        s.database_url = to;
        s.data_dir = data;
    })
    .await;
    // The same browser (cookie) on the copy.
    assert_eq!(amy.at(&new.base).whoami().await["username"], "amy");
}
