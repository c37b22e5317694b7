//! Bounded work per visitor: log-in throttling, sign-up limits, client
//! addresses behind proxies, input rules, headers and hosts.

mod common;

use common::{GOOD_PASSWORD, spawn_app, spawn_app_with};
use reqwest::{StatusCode, header};

/// A log-in as sent through a proxy that says the client is `client_ip`.
async fn login_from(
    c: &common::Client,
    client_ip: &str,
    login: &str,
    password: &str,
) -> StatusCode {
    c.http
        .post(format!("{}/api/login", c.base))
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, &c.base)
        .header("x-forwarded-for", client_ip)
        .form(&[("login", login), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn parallel_wrong_passwords_get_at_most_the_allowed_answers() {
    let app = spawn_app_with(|s| s.login_max_failures = 5).await;
    let _dora = app.user("dora").await;
    let attacker = app.client();
    let tries = (0..60).map(|_| attacker.login("dora", "wrong-password-123"));
    let statuses = futures::future::join_all(tries).await;
    let unauthorized = statuses
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    let limited = statuses
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((unauthorized, limited), (5, 55));
}

#[tokio::test]
async fn someone_who_knows_a_username_cannot_lock_its_owner_out() {
    let app = spawn_app_with(|s| {
        s.login_max_failures = 3;
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    app.user("dora").await;
    let attacker = app.client();
    for _ in 0..3 {
        let status = login_from(&attacker, "203.0.113.66", "dora", "wrong-password-123").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = login_from(&attacker, "203.0.113.66", "dora", "wrong-password-123").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's address is stopped"
    );
    // The owner, from their own address, waits at most the account's delay.
    let owner = app.client();
    let mut status = login_from(&owner, "198.51.100.7", "dora", GOOD_PASSWORD).await;
    if status == StatusCode::TOO_MANY_REQUESTS {
        tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
        status = login_from(&owner, "198.51.100.7", "dora", GOOD_PASSWORD).await;
    }
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn forwarded_addresses_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app_with(|s| s.login_max_failures = 2).await;
    app.user("dora").await;
    let c = app.client();
    for i in 0..2 {
        let status = login_from(&c, &format!("192.0.2.{i}"), "dora", "wrong-password-123").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // A new forged address does not buy new attempts.
    let status = login_from(&c, "192.0.2.200", "dora", "wrong-password-123").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_overlong_login_is_refused_by_field() {
    let app = spawn_app().await;
    let r = app
        .client()
        .login(&"x".repeat(300), "whatever-password")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["fields"][0]["field"], "login");
}

#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let app = spawn_app_with(|s| s.signups_per_ip_per_hour = 2).await;
    for name in ["amy", "bob"] {
        assert_eq!(
            app.client().signup(name, GOOD_PASSWORD).await.status,
            StatusCode::OK
        );
    }
    let r = app.client().signup("cyd", GOOD_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.json()["kind"], "rate_limited");
    // Nothing was created, and a typo is still told as a typo, not counted.
    assert_eq!(
        app.client().login("cyd", GOOD_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let typo = app.client().signup("d", GOOD_PASSWORD).await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn sends_to_names_that_do_not_exist_use_up_the_send_limit() {
    let app = spawn_app_with(|s| s.send_limit_per_10s = 5).await;
    let dora = app.user("dora").await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let r = dora
            .send(&format!("nobody{i}"), "hi", &format!("random-name-{i:04}"))
            .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [404, 404, 404, 404, 404, 429, 429, 429]);
}

#[tokio::test]
async fn control_characters_and_invisible_only_bodies_are_refused_by_field() {
    let app = spawn_app().await;
    let dora = app.user("dora").await;
    app.user("nemo").await;
    for (i, body) in [
        "nul\u{0}byte",
        "\u{1b}[31mred",
        "\u{200b}\u{200d}",
        "\u{3164}",
    ]
    .into_iter()
    .enumerate()
    {
        let r = dora.send("nemo", body, &format!("bad-body-{i:04}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body:?}: {}",
            r.body
        );
        assert_eq!(r.json()["fields"][0]["field"], "body");
    }
}

#[tokio::test]
async fn a_request_for_another_host_name_is_refused() {
    let app = spawn_app().await;
    let c = app.client();
    let r = c
        .http
        .post(format!("{}/api/signup", c.base))
        .header(header::HOST, "rebound.example")
        .header(header::ORIGIN, "http://rebound.example")
        .header(header::ACCEPT, "application/json")
        .form(&[
            ("username", "mallory"),
            ("email", "m@example.org"),
            ("password", GOOD_PASSWORD),
            ("password_again", GOOD_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(
        app.client().login("mallory", GOOD_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "no account was made"
    );
    let page = c
        .http
        .get(format!("{}/login", c.base))
        .header(header::HOST, "localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK, "loopback names are fine");
}

/// Checks that a page's policy allows exactly the scripts it carries: every
/// `<script>` has the nonce the `Content-Security-Policy` names. Returns the policy.
fn scripts_run_under_their_policy(page: &common::Reply, path: &str) -> String {
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("{path}: no script nonce in {csp}"));
    let scripts = page.body.matches("<script").count();
    assert!(scripts > 0, "{path}: a page has its hydration scripts");
    assert_eq!(
        page.body.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "{path}: every script carries the policy's nonce"
    );
    csp
}

#[tokio::test]
async fn pages_allow_only_their_own_scripts_and_say_how_to_cache() {
    let app = spawn_app().await;
    let anon = app.client().get("/login").await;
    let csp = scripts_run_under_their_policy(&anon, "/login");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(anon.headers[header::CACHE_CONTROL], "no-cache");
    assert!(anon.headers.contains_key("permissions-policy"));
    assert!(!anon.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    // Another load, another nonce.
    let again = app.client().get("/login").await;
    assert_ne!(again.headers[header::CONTENT_SECURITY_POLICY], csp.as_str());

    let dora = app.user("dora").await;
    let mine = dora.get("/").await;
    assert_eq!(mine.headers[header::CACHE_CONTROL], "no-store");
    // Every kind of page, rendered many times at once: each answer's policy
    // names the nonce its own scripts carry.
    for path in ["/", "/admin/users", "/no/such/page"] {
        let res = dora.get(path).await;
        scripts_run_under_their_policy(&res, path);
    }
    let loads = (0..40).map(|i| {
        let client = app.client();
        let path = ["/login", "/signup"][i % 2];
        async move { (path, client.get(path).await) }
    });
    for (path, res) in futures::future::join_all(loads).await {
        scripts_run_under_their_policy(&res, path);
    }
    let api = dora.call("people", &[]).await;
    assert_eq!(api.headers[header::CACHE_CONTROL], "no-store");
    assert!(
        api.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
}

#[tokio::test]
async fn https_deployments_get_strict_transport_security() {
    let app = spawn_app_with(|s| s.secure_cookies = true).await;
    let page = app.client().get("/login").await;
    assert!(page.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
}

#[tokio::test]
async fn admin_functions_refuse_before_reading_their_arguments() {
    let app = spawn_app().await;
    let dora = app.user("dora").await;
    let garbage = [("user_id", "not-a-number"), ("active", "maybe")];
    let r = dora.call("admin_set_active", &garbage).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app.client().call("admin_set_active", &garbage).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let root = app.admin("root").await;
    let r = root.call("admin_set_active", &garbage).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "admins get the argument error"
    );
}

#[tokio::test]
async fn a_connection_that_never_sends_a_request_is_closed() {
    use tokio::io::AsyncReadExt;
    let app = spawn_app().await;
    let mut idle = Vec::new();
    for _ in 0..50 {
        idle.push(tokio::net::TcpStream::connect(app.addr).await.unwrap());
    }
    // Silent connections do not stop anyone else.
    assert_eq!(app.client().get("/login").await.status, StatusCode::OK);
    let timeout = server::serve::HEADER_READ_TIMEOUT + std::time::Duration::from_secs(5);
    let closed = async {
        let mut buf = [0u8; 512];
        while let Ok(n) = idle[0].read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::time::timeout(timeout, closed)
        .await
        .expect("the server closes a silent connection");
}
