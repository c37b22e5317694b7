//! Server-rendered pages and the forms as a browser without JavaScript uses them.

mod common;

use common::{GOOD_PASSWORD, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_login_page() {
    let app = spawn_app().await;
    let r = app.client().get("/").await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    assert_eq!(r.headers["location"], "/login");
}

#[tokio::test]
async fn the_login_and_signup_pages_render_labelled_forms() {
    let app = spawn_app().await;
    let c = app.client();
    let login = c.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(
        login.body.contains(r#"action="/api/login""#),
        "{}",
        login.body
    );
    assert!(login.body.contains(r#"<label for="f-login">"#));
    let signup = c.get("/signup").await;
    assert!(signup.body.contains(r#"action="/api/signup""#));
    assert!(signup.body.contains(r#"<label for="f-password_again">"#));
}

#[tokio::test]
async fn unknown_pages_get_a_404_page() {
    let app = spawn_app().await;
    let r = app.client().get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Page not found"));
}

#[tokio::test]
async fn a_logged_in_user_sees_the_chat_view() {
    let app = spawn_app().await;
    let c = app.client();
    c.signup("dora", GOOD_PASSWORD).await;
    let r = c.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Direct messages"), "{}", r.body);
    assert!(r.body.contains("Rooms"), "{}", r.body);
    assert!(r.body.contains("Log out"));
    // Old conversation links lead to the new address.
    let old = c.get("/chats/nemo").await;
    assert_eq!(old.status, StatusCode::FOUND);
    assert_eq!(old.headers[reqwest::header::LOCATION], "/dm/nemo");
}

#[tokio::test]
async fn a_form_posted_without_javascript_redirects_to_the_chat_view() {
    let app = spawn_app().await;
    let c = app.client();
    let form = [
        ("username", "dora"),
        ("email", "dora@example.org"),
        ("password", GOOD_PASSWORD),
        ("password_again", GOOD_PASSWORD),
    ];
    let r = c.submit_form("signup", &form, "/signup").await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(r.headers["location"], "/");
    assert_eq!(c.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_failed_form_post_without_javascript_shows_its_errors_on_the_page() {
    let app = spawn_app().await;
    let c = app.client();
    let r = c
        .submit_form(
            "login",
            &[("login", "nobody"), ("password", "wrong-password")],
            "/login",
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let location = r.headers["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("/login?") && location.contains("__err="),
        "{location}"
    );
    let page = c.get(location.trim_start_matches(&app.base)).await;
    assert!(
        page.body.contains("Wrong username/email or password."),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn logging_out_without_javascript_lands_on_the_login_page() {
    let app = spawn_app().await;
    let c = app.client();
    c.signup("dora", GOOD_PASSWORD).await;
    let r = c.submit_form("logout", &[], "/").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.headers["location"], "/login");
    assert!(c.get("/").await.status.is_redirection());
}

/// Every page a signed-in admin can open is rendered to its end, many times
/// and several at once: a page whose streamed body stalls would fail here.
#[tokio::test]
async fn every_page_renders_to_the_end_under_repeated_concurrent_loads() {
    use futures::StreamExt;
    let app = spawn_app().await;
    let root = app.admin("root").await;
    app.user("bob").await;
    let pages = [
        "/",
        "/dm/bob",
        "/rooms",
        "/rooms/new",
        "/admin",
        "/admin/users",
        "/admin/messages",
        "/admin/audit",
    ];
    let loads = (0..40).flat_map(|_| pages);
    let stalled = futures::stream::iter(loads)
        .map(|path| {
            let root = &root;
            async move {
                let wait = std::time::Duration::from_secs(10);
                match tokio::time::timeout(wait, root.get(path)).await {
                    Ok(r) => {
                        assert_eq!(r.status, StatusCode::OK, "{path}");
                        assert!(r.body.contains("</html>"), "{path}: {}", r.body);
                        None
                    }
                    Err(_) => Some(path),
                }
            }
        })
        .buffer_unordered(6)
        .filter_map(|stalled| async move { stalled })
        .collect::<Vec<_>>()
        .await;
    assert!(stalled.is_empty(), "never finished: {stalled:?}");
}

/// The console is one route: each address renders its own page inside the
/// console's frame, and an address the console does not have is a 404.
#[tokio::test]
async fn each_console_address_renders_its_page_and_others_are_not_found() {
    let app = spawn_app().await;
    let root = app.admin("root").await;
    let pages = [
        ("/admin", "Dashboard"),
        ("/admin/users", "Users"),
        ("/admin/messages", "Messages"),
        ("/admin/rooms", "Rooms"),
        ("/admin/files", "Files"),
        ("/admin/audit", "Audit log"),
        ("/admin/settings", "Settings"),
    ];
    for (path, heading) in pages {
        let r = root.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.body.contains(r#"aria-label="Admin""#),
            "{path}: no console frame"
        );
        assert!(
            r.body.contains(&format!("<h1>{heading}<")),
            "{path}: {}",
            r.body
        );
        let others = pages.iter().filter(|(_, h)| *h != heading);
        for (_, other) in others {
            assert!(
                !r.body.contains(&format!("<h1>{other}<")),
                "{path} shows {other}"
            );
        }
    }
    let r = root.get("/admin/nothing-here").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Page not found"), "{}", r.body);
}
