//! `/metrics`: hidden unless configured; then only for allowed addresses or
//! the bearer token; and what it reports moves with what the node does.

mod common;

use common::spawn_app_with;
use reqwest::StatusCode;

const TOKEN: &str = "a-metrics-token-0123456789";

async fn scrape(base: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = reqwest::Client::new().get(format!("{base}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// The value of the sample `name` (with its labels) in `text`.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} missing from:\n{text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn metrics_are_hidden_by_default() {
    let app = spawn_app_with(|_| {}).await;
    assert_eq!(scrape(&app.base, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        scrape(&app.base, Some(TOKEN)).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_token_or_an_allowed_address_reads_them_and_they_move() {
    let app = spawn_app_with(|s| s.metrics_token = TOKEN.into()).await;
    assert_eq!(scrape(&app.base, None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        scrape(&app.base, Some("a-metrics-token-012345678X"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, before) = scrape(&app.base, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    let sent_before = sample(&before, "kanect_messages_sent_total");

    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let _ws = bob.socket(None).await;
    for i in 0..3 {
        let r = amy.send("bob", "counted", &format!("metrics-{i:06}")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let wrong = app.client();
    assert_eq!(
        wrong.login("amy", "not-her-password-1").await.status,
        StatusCode::UNAUTHORIZED
    );
    let (_, after) = scrape(&app.base, Some(TOKEN)).await;
    assert!(sample(&after, "kanect_messages_sent_total") >= sent_before + 3.0);
    assert!(sample(&after, "kanect_send_commit_seconds_count") >= 3.0);
    assert!(sample(&after, "kanect_writer_batch_size_count") >= 1.0);
    assert!(sample(&after, "kanect_db_write_wait_seconds_count") >= 1.0);
    assert!(sample(&after, "kanect_commit_delivery_seconds_count") >= 3.0);
    assert!(sample(&after, "kanect_refused_total{limit=\"login\"}") >= 1.0);
    assert!(sample(&after, "kanect_sockets") >= 1.0);
    assert!(sample(&after, "kanect_db_pool_connections") >= 1.0);

    // By address: this test talks from 127.0.0.1.
    let open = spawn_app_with(|s| s.metrics_allow = vec!["127.0.0.0/8".parse().unwrap()]).await;
    assert_eq!(scrape(&open.base, None).await.0, StatusCode::OK);
    let elsewhere = spawn_app_with(|s| s.metrics_allow = vec!["10.0.0.0/8".parse().unwrap()]).await;
    assert_eq!(scrape(&elsewhere.base, None).await.0, StatusCode::FORBIDDEN);
    // A forwarded address from a peer that is not a trusted proxy changes
    // nothing.
    let forged = reqwest::Client::new()
        .get(format!("{}/metrics", elsewhere.base))
        .header("x-forwarded-for", "10.1.2.3")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

/// The sample `name`, or 0 when the node has not reported it yet.
fn sample_or_zero(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0.0, |v| v.parse().unwrap())
}

/// On SQLite a plain send is stored on the writer's own connection; a
/// conversation's first message, a reply and a retried send take the
/// general way (and the retry gets the stored message back). On PostgreSQL
/// every batch takes the general way. Counted by `kanect_writer_batches`
/// (process-wide: other tests in this binary may add to it, never take away).
#[tokio::test]
async fn the_writer_stores_plain_sends_on_its_own_sqlite_connection() {
    const DIRECT: &str = "kanect_writer_batches_total{way=\"direct\"}";
    const GENERAL: &str = "kanect_writer_batches_total{way=\"general\"}";
    let app = spawn_app_with(|s| s.metrics_token = TOKEN.into()).await;
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let (_, before) = scrape(&app.base, Some(TOKEN)).await;

    let first = amy
        .send("bob", "opens the conversation", "way-00000001")
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let (_, after_first) = scrape(&app.base, Some(TOKEN)).await;
    let plain = amy.send("bob", "plain", "way-00000002").await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.body);
    let (_, after_plain) = scrape(&app.base, Some(TOKEN)).await;
    let retry = amy.send("bob", "plain", "way-00000002").await;
    assert_eq!(retry.json()["id"], plain.json()["id"], "{}", retry.body);
    let reply = bob
        .call(
            "send",
            &[
                ("to", "amy"),
                ("body", "a reply"),
                ("client_id", "way-00000003"),
                ("reply_to", &plain.json()["id"].to_string()),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let (_, after) = scrape(&app.base, Some(TOKEN)).await;

    let moved =
        |from: &str, to: &str, name: &str| sample_or_zero(to, name) - sample_or_zero(from, name);
    assert!(
        moved(&before, &after_first, GENERAL) >= 1.0,
        "{after_first}"
    );
    if common::on_postgres() {
        assert_eq!(sample_or_zero(&after, DIRECT), 0.0, "{after}");
        assert!(moved(&after_first, &after, GENERAL) >= 3.0, "{after}");
    } else {
        assert!(
            moved(&after_first, &after_plain, DIRECT) >= 1.0,
            "{after_plain}"
        );
        // The retry and the reply.
        assert!(moved(&after_plain, &after, GENERAL) >= 2.0, "{after}");
    }
    let history = amy.call("messages", &[("peer", "bob")]).await.json();
    let bodies: Vec<&str> = history["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("{history}"))
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["opens the conversation", "plain", "a reply"]);
}
