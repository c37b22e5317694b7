//! Who may sign up: open, by join link only, or closed — an admin's choice,
//! enforced by the server whatever the page shows, and audited.

mod common;

use common::{GOOD_PASSWORD, TestApp, spawn_app};
use reqwest::StatusCode;

async fn signup_with(app: &TestApp, name: &str, join: Option<&str>) -> common::Reply {
    let email = format!("{name}@example.org");
    let mut form = vec![
        ("username", name),
        ("email", email.as_str()),
        ("password", GOOD_PASSWORD),
        ("password_again", GOOD_PASSWORD),
    ];
    if let Some(j) = join {
        form.push(("join", j));
    }
    app.client().call("signup", &form).await
}

#[tokio::test]
async fn sign_up_is_open_until_an_admin_says_otherwise() {
    let app = spawn_app().await;
    let mode = app.client().call("signup_mode", &[]).await.json();
    assert_eq!(mode, "open");
    assert_eq!(signup_with(&app, "amy", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn by_invitation_only_the_current_join_link_lets_people_in() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let policy = root
        .call("admin_set_signup_mode", &[("mode", "invite")])
        .await
        .json();
    assert_eq!(policy["mode"], "invite");
    let link = policy["join_link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/signup?join=", app.base)),
        "{link}"
    );
    let code = policy["join_code"].as_str().unwrap().to_owned();

    let r = signup_with(&app, "nojoin", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.body.contains("invitation"), "{}", r.body);
    assert_eq!(
        signup_with(&app, "guess", Some("0123456789abcdef"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        signup_with(&app, "invited", Some(&code)).await.status,
        StatusCode::OK
    );

    // A new link retires the old one.
    let renewed = root.call("admin_new_join_code", &[]).await.json();
    let new_code = renewed["join_code"].as_str().unwrap().to_owned();
    assert_ne!(new_code, code);
    assert_eq!(
        signup_with(&app, "latecomer", Some(&code)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        signup_with(&app, "newcomer", Some(&new_code)).await.status,
        StatusCode::OK
    );

    let audit = root.call("admin_audit", &[]).await.json();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"signup_mode") && actions.contains(&"join_code"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn closed_sign_up_refuses_everyone_but_the_command_line() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    root.call("admin_set_signup_mode", &[("mode", "closed")])
        .await;
    let code = root.call("admin_signup_policy", &[]).await.json()["join_code"]
        .as_str()
        .unwrap()
        .to_owned();
    for join in [None, Some(code.as_str())] {
        let r = signup_with(&app, "shut", join).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        assert!(r.body.contains("closed"), "{}", r.body);
    }
    assert_eq!(app.client().call("signup_mode", &[]).await.json(), "closed");
    // Admins still create accounts.
    app::admin::users::create_admin(&app.db, "second", async || {
        Ok(("second@example.org".into(), GOOD_PASSWORD.into()))
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn only_admins_change_who_may_sign_up() {
    let app = spawn_app().await;
    let amy = app.user("amy").await;
    let r = amy
        .call("admin_set_signup_mode", &[("mode", "closed")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let root = app.admin("root").await;
    let r = root
        .call("admin_set_signup_mode", &[("mode", "sometimes")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["fields"][0]["field"], "mode");
    assert_eq!(app.client().call("signup_mode", &[]).await.json(), "open");
}
