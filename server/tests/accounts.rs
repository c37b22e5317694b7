//! Sign-up, log-in, log-out and sessions, over real HTTP against a real server.

mod common;

use common::{GOOD_PASSWORD, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn signing_up_logs_the_new_user_in() {
    let app = spawn_app().await;
    let c = app.client();
    let r = c.signup("Dora", GOOD_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["username"], "Dora");
    let me = c.whoami().await;
    assert_eq!(me["username"], "Dora");
    assert_eq!(me["is_admin"], false);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    let r = app.client().signup("dora", GOOD_PASSWORD).await;
    let cookie = r
        .headers
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap();
    assert!(cookie.starts_with("kanect_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn secure_cookies_can_be_switched_on() {
    let app = common::spawn_app_with(|s| s.secure_cookies = true).await;
    let r = app.client().signup("dora", GOOD_PASSWORD).await;
    let cookie = r.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn every_invalid_field_is_reported_by_name() {
    let app = spawn_app().await;
    let r = app
        .client()
        .call(
            "signup",
            &[
                ("username", "x"),
                ("email", "not-an-email"),
                ("password", "short"),
                ("password_again", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.json();
    assert_eq!(body["kind"], "validation");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["username", "email", "password"]);
}

#[tokio::test]
async fn common_passwords_and_mismatched_repeats_are_refused() {
    let app = spawn_app().await;
    let c = app.client();
    let r = c.signup("dora", "password1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("too common"), "{}", r.body);
    let r = c
        .call(
            "signup",
            &[
                ("username", "dora"),
                ("email", "d@example.org"),
                ("password", GOOD_PASSWORD),
                ("password_again", "something-else-1"),
            ],
        )
        .await;
    assert_eq!(r.json()["fields"][0]["field"], "password_again");
}

#[tokio::test]
async fn usernames_and_emails_are_unique_regardless_of_case() {
    let app = spawn_app().await;
    assert_eq!(
        app.client().signup("Nemo", GOOD_PASSWORD).await.status,
        StatusCode::OK
    );
    let r = app
        .client()
        .call(
            "signup",
            &[
                ("username", "NEMO"),
                ("email", "NEMO@example.org"),
                ("password", GOOD_PASSWORD),
                ("password_again", GOOD_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["username", "email"]);
}

#[tokio::test]
async fn logging_in_works_with_username_or_email_in_any_case() {
    let app = spawn_app().await;
    app.client().signup("Venisri", GOOD_PASSWORD).await;
    for login in ["venisri", "VENISRI@example.org"] {
        let c = app.client();
        let r = c.login(login, GOOD_PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{login}: {}", r.body);
        assert_eq!(c.whoami().await["username"], "Venisri");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.client().signup("dora", GOOD_PASSWORD).await;
    let wrong = app.client().login("dora", "not-the-password").await;
    let unknown = app.client().login("nobody", "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn logging_in_rotates_the_session_id() {
    let app = spawn_app().await;
    let c = app.client();
    let first = c.signup("dora", GOOD_PASSWORD).await;
    let before = first
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let r = c.login("dora", GOOD_PASSWORD).await;
    let after = r
        .headers
        .get("set-cookie")
        .expect("a new cookie")
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(before, after);
}

#[tokio::test]
async fn logging_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let c = app.client();
    let r = c.signup("dora", GOOD_PASSWORD).await;
    let cookie = r
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(c.call("logout", &[]).await.status, StatusCode::OK);
    assert!(c.whoami().await.is_null());
    // Replaying the old cookie does not bring the session back.
    let replay = reqwest::Client::new()
        .post(format!("{}/api/current_user", app.base))
        .header("origin", &app.base)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.text().await.unwrap(), "null");
}

#[tokio::test]
async fn repeated_failures_are_rate_limited_with_a_wait_time() {
    let app = common::spawn_app_with(|s| s.login_max_failures = 3).await;
    app.client().signup("dora", GOOD_PASSWORD).await;
    let c = app.client();
    for _ in 0..3 {
        assert_eq!(
            c.login("dora", "wrong-password-1").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = c.login("dora", GOOD_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let body = r.json();
    assert_eq!(body["kind"], "rate_limited");
    assert!(body["retry_after_secs"].as_u64().unwrap() > 800);
}

#[tokio::test]
async fn cross_origin_posts_are_refused() {
    let app = spawn_app().await;
    let c = app.client();
    let form = [
        ("username", "mallory"),
        ("email", "m@example.org"),
        ("password", GOOD_PASSWORD),
        ("password_again", GOOD_PASSWORD),
    ];
    let evil = c
        .call_from("signup", &form, Some("http://evil.example"))
        .await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    let none = c.call_from("signup", &form, None).await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    // Nothing was created: the same sign-up from the right origin succeeds.
    assert_eq!(c.call("signup", &form).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_configured_public_origin_is_the_only_one_accepted() {
    let app = common::spawn_app_with(|s| s.public_origin = "https://chat.example.com".into()).await;
    let c = app.client();
    let host_origin = c.call("current_user", &[]).await;
    assert_eq!(host_origin.status, StatusCode::FORBIDDEN);
    let ok = c
        .call_from("current_user", &[], Some("https://chat.example.com"))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
}
