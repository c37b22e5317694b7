//! Floods of expensive requests stay bounded: 500 concurrent sign-ups and 500
//! concurrent log-ins neither grow the server past its memory budget nor stall
//! other pages. (Its own test binary, so the process's peak memory is this
//! test's alone.)

mod common;

use std::time::{Duration, Instant};

use common::{GOOD_PASSWORD, spawn_app_with};
use reqwest::StatusCode;

/// Peak resident memory of this process (server included), in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_concurrent_signups_and_logins_stay_bounded() {
    let app = spawn_app_with(|s| s.login_max_failures = 1_000_000).await;
    app.user("dora").await;
    let signups: Vec<_> = (0..500)
        .map(|i| {
            let c = app.client();
            async move {
                c.signup(&format!("flood{i:04}"), GOOD_PASSWORD)
                    .await
                    .status
            }
        })
        .collect();
    let logins: Vec<_> = (0..500)
        .map(|_| {
            let c = app.client();
            async move { c.login("dora", "wrong-password-123").await.status }
        })
        .collect();
    let flood = tokio::spawn(async move {
        let (a, b) = futures::future::join(
            futures::future::join_all(signups),
            futures::future::join_all(logins),
        )
        .await;
        a.into_iter().chain(b).collect::<Vec<_>>()
    });
    // Meanwhile, a page that needs no hashing answers promptly.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    let page = app.client().get("/login").await;
    let waited = t.elapsed();
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        waited < Duration::from_secs(2),
        "a page waited {waited:?} behind the flood"
    );

    let statuses = flood.await.unwrap();
    for status in &statuses {
        assert!(
            [200, 401, 503].contains(&status.as_u16()),
            "unexpected {status}"
        );
    }
    let busy = statuses.iter().filter(|s| s.as_u16() == 503).count();
    assert!(busy > 0, "the queue of hashing work is bounded");
    let peak = peak_rss_mib();
    assert!(peak < 1024, "peak memory {peak} MiB");
}
