//! The admin console's server functions and pages, against the real server:
//! who may call them, what each change does to sessions and live sockets,
//! the last-admin rule, the audit log, and bad input.

mod common;

use common::{Client, GOOD_PASSWORD, ok, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

async fn id_of(c: &Client) -> String {
    c.whoami().await["id"].to_string()
}

/// Sends a message as `c` (the `send` server function); it must be stored.
async fn sent(c: &Client, to: &str, body: &str, client_id: &str) -> Value {
    let r = c.send(to, body, client_id).await;
    assert!(r.status.is_success(), "send: {} {}", r.status, r.body);
    r.json()
}

/// Every admin endpoint with parameters valid for `target`.
fn endpoints(target: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let t = target.to_owned();
    vec![
        ("admin_stats", vec![]),
        ("admin_users", vec![("search", "a".into())]),
        (
            "admin_set_email",
            vec![("user_id", t.clone()), ("email", "new@example.org".into())],
        ),
        (
            "admin_set_role",
            vec![("user_id", t.clone()), ("role", "admin".into())],
        ),
        (
            "admin_set_active",
            vec![("user_id", t.clone()), ("active", "true".into())],
        ),
        (
            "admin_reset_password",
            vec![
                ("user_id", t.clone()),
                ("password", "another-Good-passphrase-7".into()),
                ("password_again", "another-Good-passphrase-7".into()),
            ],
        ),
        ("admin_end_sessions", vec![("user_id", t.clone())]),
        ("admin_messages", vec![("text", "hi".into())]),
        (
            "admin_delete_message",
            vec![("message_id", "999999".into())],
        ),
        ("admin_audit", vec![]),
    ]
}

#[tokio::test]
async fn every_admin_function_refuses_anonymous_callers_and_regular_users() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let mallory = app.user("mallory").await;
    let target = id_of(&mallory).await;
    let anonymous = app.client();
    for (endpoint, form) in endpoints(&target) {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = anonymous.call(endpoint, &form).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{endpoint}: {}", r.body);
        let r = mallory.call(endpoint, &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{endpoint}: {}", r.body);
        assert_eq!(r.json()["kind"], "forbidden");
    }
    // Nothing the refused calls asked for happened.
    let users = ok(&root, "admin_users", &[("search", "mallory")]).await;
    assert_eq!(users["users"][0]["role"], "user");
    assert_eq!(users["users"][0]["email"], "mallory@example.org");
    let audit = ok(&root, "admin_audit", &[]).await;
    assert_eq!(audit["total"], 1, "only root's own promotion: {audit}");
    // And an admin gets through every one (the message to delete is missing: 404).
    for (endpoint, form) in endpoints(&target) {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = root.call(endpoint, &form).await;
        let expected = if endpoint == "admin_delete_message" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        assert_eq!(r.status, expected, "{endpoint}: {}", r.body);
    }
}

#[tokio::test]
async fn the_console_is_403_for_regular_users_and_a_login_redirect_for_visitors() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let bob = app.user("bob").await;
    for path in ["/admin", "/admin/users", "/admin/messages", "/admin/audit"] {
        let r = bob.get(path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert!(r.body.contains("Admins only"), "{path}");
        let r = app.client().get(path).await;
        assert_eq!(r.status, StatusCode::FOUND, "{path}");
        assert_eq!(r.headers["location"], "/login");
        let r = root.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(!r.body.contains("Admins only"), "{path}");
    }
    assert!(
        root.get("/admin/users")
            .await
            .body
            .contains("bob@example.org")
    );
}

#[tokio::test]
async fn deactivating_ends_sessions_and_sockets_at_once_and_reactivating_restores_access() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let bob = app.user("bob").await;
    let alice = app.user("alice").await;
    let bob_id = id_of(&bob).await;
    let mut bob_ws = bob.socket(None).await;
    let mut other_tab = bob.socket(None).await;
    // Alice writes to Bob first, so the server knows him as a recipient.
    sent(&alice, "bob", "hi bob", "cid-00000000").await;
    for ws in [&mut bob_ws, &mut other_tab] {
        assert_eq!(ws.next_event().await["type"], "message");
    }

    let r = ok(
        &root,
        "admin_set_active",
        &[("user_id", &bob_id), ("active", "false")],
    )
    .await;
    assert_eq!(r["is_active"], false);
    for ws in [&mut bob_ws, &mut other_tab] {
        assert_eq!(ws.next_event().await["type"], "signed_out");
        ws.expect_closed().await;
    }
    // The session is gone on the server, not just hidden.
    assert!(bob.whoami().await.is_null());
    assert_eq!(
        bob.call("people", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(bob.try_socket(None, Some(&app.base)).await.is_err());
    let r = app.client().login("bob", GOOD_PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("deactivated"), "{}", r.body);
    let people = ok(&alice, "people", &[]).await;
    assert!(
        people
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["username"] != "bob")
    );
    assert_eq!(
        alice
            .send("bob", "still there?", "cid-00000001")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    ok(
        &root,
        "admin_set_active",
        &[("user_id", &bob_id), ("active", "true")],
    )
    .await;
    let again = app.client();
    assert_eq!(
        again.login("bob", GOOD_PASSWORD).await.status,
        StatusCode::OK
    );
    let people = ok(&alice, "people", &[]).await;
    assert!(
        people
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["username"] == "bob")
    );
}

#[tokio::test]
async fn a_deleted_message_disappears_live_for_both_participants() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let (mut alice_ws, mut bob_ws) = (alice.socket(None).await, bob.socket(None).await);
    let kept = sent(&alice, "bob", "keep me", "cid-00000001").await;
    let gone = sent(&alice, "bob", "delete me", "cid-00000002").await;
    for ws in [&mut alice_ws, &mut bob_ws] {
        assert_eq!(ws.next_event().await["message"], kept);
        assert_eq!(ws.next_event().await["message"], gone);
    }
    let id = gone["id"].to_string();
    ok(&root, "admin_delete_message", &[("message_id", &id)]).await;
    for ws in [&mut alice_ws, &mut bob_ws] {
        let e = ws.next_event().await;
        assert_eq!(e["type"], "message_deleted", "{e}");
        assert_eq!(e["message_id"], gone["id"]);
    }
    let page = ok(&bob, "messages", &[("peer", "alice")]).await;
    let ids: Vec<&Value> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert_eq!(ids, vec![&kept["id"]]);
    // Deleting it again: it is not there any more.
    assert_eq!(
        root.call("admin_delete_message", &[("message_id", &id)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let audit = ok(&root, "admin_audit", &[("action", "delete_message")]).await;
    assert_eq!(audit["total"], 1);
    assert_eq!(audit["entries"][0]["message_id"], gone["id"]);
    assert_eq!(audit["entries"][0]["actor"], "root");
    assert_eq!(audit["entries"][0]["target"], "alice");
}

#[tokio::test]
async fn the_last_active_admin_can_be_neither_demoted_nor_deactivated() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let root_id = id_of(&root).await;
    for (endpoint, form) in [
        (
            "admin_set_role",
            [("user_id", root_id.as_str()), ("role", "user")],
        ),
        (
            "admin_set_active",
            [("user_id", root_id.as_str()), ("active", "false")],
        ),
    ] {
        let r = root.call(endpoint, &form).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{endpoint}: {}", r.body);
        assert!(
            r.json()["message"]
                .as_str()
                .unwrap()
                .contains("last active admin")
        );
    }
    assert!(root.whoami().await["is_admin"].as_bool().unwrap());

    // With a second admin, root may step down; then the second is the last.
    let ada = app.user("ada").await;
    let ada_id = id_of(&ada).await;
    ok(
        &root,
        "admin_set_role",
        &[("user_id", &ada_id), ("role", "admin")],
    )
    .await;
    ok(
        &root,
        "admin_set_role",
        &[("user_id", &root_id), ("role", "user")],
    )
    .await;
    assert_eq!(
        root.call("admin_stats", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let r = ada
        .call(
            "admin_set_active",
            &[("user_id", &ada_id), ("active", "false")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // An inactive admin does not count: deactivating every other admin is fine.
    ok(
        &ada,
        "admin_set_role",
        &[("user_id", &root_id), ("role", "admin")],
    )
    .await;
    ok(
        &ada,
        "admin_set_active",
        &[("user_id", &root_id), ("active", "false")],
    )
    .await;
    let r = ada
        .call("admin_set_role", &[("user_id", &ada_id), ("role", "user")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

#[tokio::test]
async fn every_action_is_audited_newest_first_and_the_log_filters() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let bob = app.user("bob").await;
    let bob_id = id_of(&bob).await;
    ok(
        &root,
        "admin_set_email",
        &[("user_id", &bob_id), ("email", "Bob@Example.net")],
    )
    .await;
    ok(
        &root,
        "admin_set_role",
        &[("user_id", &bob_id), ("role", "admin")],
    )
    .await;
    ok(
        &root,
        "admin_set_role",
        &[("user_id", &bob_id), ("role", "user")],
    )
    .await;
    ok(
        &root,
        "admin_reset_password",
        &[
            ("user_id", &bob_id),
            ("password", "brand-New-passphrase-42"),
            ("password_again", "brand-New-passphrase-42"),
        ],
    )
    .await;
    ok(&root, "admin_end_sessions", &[("user_id", &bob_id)]).await;
    ok(
        &root,
        "admin_set_active",
        &[("user_id", &bob_id), ("active", "false")],
    )
    .await;
    ok(
        &root,
        "admin_set_active",
        &[("user_id", &bob_id), ("active", "true")],
    )
    .await;

    let log = ok(&root, "admin_audit", &[("target", "BOB")]).await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "reactivate",
            "deactivate",
            "end_sessions",
            "reset_password",
            "demote",
            "promote",
            "change_email"
        ]
    );
    let email = &log["entries"][6];
    assert_eq!(email["actor"], "root");
    assert_eq!(email["detail"], "bob@example.org → bob@example.net");
    assert!(email["created_at"].as_i64().unwrap() > 0);
    let log = ok(
        &root,
        "admin_audit",
        &[("action", "promote"), ("actor", "root")],
    )
    .await;
    // root's own promotion came from the "command line"; bob's from root.
    assert_eq!(log["total"], 1);
    assert_eq!(log["entries"][0]["target"], "bob");
    let r = root
        .call("admin_audit", &[("actor", "nobody"), ("action", "explode")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let err = r.json();
    let fields: Vec<&str> = err["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["actor", "action"]);
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let bob = app.user("bob").await;
    app.user("carol").await;
    let bob_id = id_of(&bob).await;
    let field_of = |r: &common::Reply| r.json()["fields"][0]["field"].as_str().unwrap().to_owned();

    let r = root
        .call(
            "admin_set_email",
            &[("user_id", &bob_id), ("email", "not-an-email")],
        )
        .await;
    assert_eq!(
        (r.status, field_of(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "email".into())
    );
    let r = root
        .call(
            "admin_set_email",
            &[("user_id", &bob_id), ("email", "CAROL@example.org")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("already registered"), "{}", r.body);
    let r = root
        .call(
            "admin_set_email",
            &[("user_id", "424242"), ("email", "x@example.org")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = root
        .call(
            "admin_set_role",
            &[("user_id", &bob_id), ("role", "superuser")],
        )
        .await;
    assert_eq!(
        (r.status, field_of(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "role".into())
    );
    let r = root
        .call(
            "admin_reset_password",
            &[
                ("user_id", &bob_id),
                ("password", "password123"),
                ("password_again", "password123"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, field_of(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "password".into())
    );
    let r = root
        .call(
            "admin_users",
            &[("role", "root"), ("sort", "id;drop"), ("page", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["fields"].as_array().unwrap().len(),
        3,
        "{}",
        r.body
    );
    let r = root
        .call(
            "admin_messages",
            &[("user_a", "ghost"), ("from", "2026-02-30"), ("to", "soon")],
        )
        .await;
    let fields: Vec<String> = r.json()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["user_a", "from", "to"]);
    let r = root
        .call(
            "admin_messages",
            &[("from", "2026-11-25"), ("to", "2026-11-24")],
        )
        .await;
    assert_eq!(
        (r.status, field_of(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "to".into())
    );
    let r = root
        .call(
            "admin_set_active",
            &[("user_id", "nope"), ("active", "false")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // Bob is untouched: same email, password, role and session.
    let me = bob.whoami().await;
    assert_eq!(me["username"], "bob");
    assert_eq!(me["is_admin"], false);
    assert_eq!(
        app.client()
            .login("bob@example.org", GOOD_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(ok(&root, "admin_audit", &[]).await["total"], 1);
}

#[tokio::test]
async fn a_password_reset_logs_the_user_out_and_the_new_password_works() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let bob = app.user("bob").await;
    let bob_id = id_of(&bob).await;
    let mut ws = bob.socket(None).await;
    let new = "brand-New-passphrase-42";
    let r = root
        .call(
            "admin_reset_password",
            &[
                ("user_id", &bob_id),
                ("password", new),
                ("password_again", "typo"),
            ],
        )
        .await;
    assert_eq!(r.json()["fields"][0]["field"], "password_again");
    ok(
        &root,
        "admin_reset_password",
        &[
            ("user_id", &bob_id),
            ("password", new),
            ("password_again", new),
        ],
    )
    .await;
    assert_eq!(ws.next_event().await["type"], "signed_out");
    assert!(bob.whoami().await.is_null());
    assert_eq!(
        app.client().login("bob", GOOD_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.client().login("bob", new).await.status, StatusCode::OK);
}

#[tokio::test]
async fn users_are_searched_filtered_sorted_and_paged() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    for i in 0..22 {
        app.user(&format!("member{i:02}")).await;
    }
    let ann = app.user("Annabel").await;
    let ann_id = id_of(&ann).await;
    ok(
        &root,
        "admin_set_active",
        &[("user_id", &ann_id), ("active", "false")],
    )
    .await;

    let all = ok(&root, "admin_users", &[]).await;
    assert_eq!(
        (all["total"].as_u64(), all["pages"].as_u64()),
        (Some(24), Some(2))
    );
    assert_eq!(all["users"].as_array().unwrap().len(), 20);
    assert_eq!(
        all["users"][0]["username"], "Annabel",
        "username A–Z, any case"
    );
    let second = ok(&root, "admin_users", &[("page", "2")]).await;
    let names: Vec<&str> = second["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["member19", "member20", "member21", "root"]);
    let found = ok(&root, "admin_users", &[("search", "MEMBER1")]).await;
    assert_eq!(found["total"], 10);
    let by_email = ok(&root, "admin_users", &[("search", "annabel@example")]).await;
    assert_eq!(by_email["users"][0]["username"], "Annabel");
    let inactive = ok(&root, "admin_users", &[("active", "inactive")]).await;
    assert_eq!(inactive["total"], 1);
    let admins = ok(&root, "admin_users", &[("role", "admin")]).await;
    assert_eq!(admins["users"][0]["username"], "root");
    assert_eq!(admins["total"], 1);
    let newest = ok(&root, "admin_users", &[("sort", "newest")]).await;
    assert_eq!(newest["users"][0]["username"], "Annabel");
    let wild = ok(&root, "admin_users", &[("search", "%")]).await;
    assert_eq!(wild["total"], 0, "LIKE wildcards are matched literally");
}

#[tokio::test]
async fn messages_are_found_by_pair_text_and_date() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    sent(&alice, "bob", "lunch at noon?", "cid-00000001").await;
    sent(&bob, "alice", "sure, LUNCH it is", "cid-00000002").await;
    sent(&carol, "alice", "lunch for me too", "cid-00000003").await;
    sent(&carol, "bob", "hello bob", "cid-00000004").await;

    let bodies = |v: &Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect()
    };
    let pair = ok(
        &root,
        "admin_messages",
        &[("user_a", "alice"), ("user_b", "bob")],
    )
    .await;
    assert_eq!(bodies(&pair), ["sure, LUNCH it is", "lunch at noon?"]);
    assert_eq!(pair["messages"][0]["sender"], "bob");
    let lunch = ok(&root, "admin_messages", &[("text", "lunch")]).await;
    assert_eq!(bodies(&lunch).len(), 3);
    let carols = ok(&root, "admin_messages", &[("user_a", "carol")]).await;
    assert_eq!(bodies(&carols), ["hello bob", "lunch for me too"]);
    let today = app::dates::format_utc(app::db::now_millis())[..10].to_owned();
    let dated = ok(&root, "admin_messages", &[("from", &today), ("to", &today)]).await;
    assert_eq!(bodies(&dated).len(), 4);
    let before = ok(&root, "admin_messages", &[("to", "2020-01-01")]).await;
    assert_eq!(bodies(&before).len(), 0);
    assert_eq!(before["has_more"], false);
}

#[tokio::test]
async fn the_dashboard_counts_users_presence_and_messages() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let _ws = alice.socket(None).await;
    sent(&alice, "bob", "one", "cid-00000001").await;
    sent(&bob, "alice", "two", "cid-00000002").await;
    ok(
        &root,
        "admin_set_active",
        &[("user_id", &id_of(&bob).await), ("active", "false")],
    )
    .await;
    let s = ok(&root, "admin_stats", &[]).await;
    assert_eq!(s["users"], 3);
    assert_eq!(s["active_users"], 2);
    assert_eq!(s["admins"], 1);
    assert_eq!(s["online_now"], 1);
    assert_eq!(s["messages_today"], 2);
    assert_eq!(s["messages_total"], 2);
}
