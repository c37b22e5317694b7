//! Files over the real server: a byte-exact round trip (a 25 MiB file
//! too), live and in history; refusals that keep nothing (too large, over
//! quota, a decompression bomb, a type not allowed); who may upload and
//! download; active content served only as a download; thumbnails; ranges;
//! and files leaving with their message, or when abandoned.

mod common;

use common::{TestApp, ok, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Deterministic bytes that do not compress or look like anything.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    })
    .write_to(&mut out, image::ImageFormat::Png)
    .unwrap();
    out.into_inner()
}

/// Files in the store (blobs, not staged uploads).
fn stored(app: &TestApp) -> usize {
    let root = app.data_dir.join("files");
    let mut n = 0;
    for dir in std::fs::read_dir(&root).unwrap().flatten() {
        if dir.file_name() != "tmp" {
            n += std::fs::read_dir(dir.path()).unwrap().count();
        }
    }
    n
}

fn staged(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.join("files/tmp"))
        .unwrap()
        .count()
}

async fn room(app: &TestApp) -> (common::Client, common::Client, String) {
    let (amy, bob) = (app.user("amy").await, app.user("bob").await);
    let room = ok(
        &amy,
        "rooms_create",
        &[("name", "files"), ("members", "bob")],
    )
    .await;
    (amy, bob, room["id"].to_string())
}

async fn send_with(
    c: &common::Client,
    conversation: &str,
    body: &str,
    client_id: &str,
    ids: &[&Value],
) -> common::Reply {
    let ids: Vec<&str> = ids.iter().map(|a| a["id"].as_str().unwrap()).collect();
    c.call(
        "send",
        &[
            ("to", ""),
            ("conversation_id", conversation),
            ("body", body),
            ("client_id", client_id),
            ("attachments", &ids.join(",")),
        ],
    )
    .await
}

#[tokio::test]
async fn files_round_trip_byte_exact_live_and_in_history() {
    let app = spawn_app().await;
    let (amy, bob, id) = room(&app).await;
    let mut live = bob.socket(None).await;
    let big = noise(25 * 1024 * 1024, 1);
    let notes = b"plain notes\n".to_vec();
    let a = amy.upload(&id, "big.bin", big.clone()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = a.json();
    assert_eq!(
        (a["name"].as_str(), a["size"].as_u64(), a["mime"].as_str()),
        (
            Some("big.bin"),
            Some(big.len() as u64),
            Some("application/octet-stream")
        )
    );
    let b = amy.upload(&id, "notes.txt", notes.clone()).await.json();
    assert_eq!(b["mime"], "text/plain");

    // Before it is sent, only the uploader can fetch it.
    let path = format!("/files/{}/notes.txt", b["id"].as_str().unwrap());
    assert_eq!(amy.fetch(&path, None).await.0, StatusCode::OK);
    assert_eq!(bob.fetch(&path, None).await.0, StatusCode::NOT_FOUND);

    // A message of files alone needs no text.
    let r = send_with(&amy, &id, "", "file-00000001", &[&a, &b]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sent = r.json();
    assert_eq!(sent["attachments"].as_array().unwrap().len(), 2);
    let e = live
        .next_matching(|e| e["type"] == "message" && e["message"]["id"] == sent["id"])
        .await;
    assert_eq!(e["message"]["attachments"], sent["attachments"]);
    let page = ok(&bob, "conversation_page", &[("conversation_id", &id)]).await;
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["attachments"], sent["attachments"]);

    let (status, headers, bytes) = bob
        .fetch(
            &format!("/files/{}/big.bin", a["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes == big, "byte-exact");
    assert_eq!(
        headers["cache-control"],
        "private, max-age=31536000, immutable"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"big.bin\"")
    );
    assert_eq!(bob.fetch(&path, None).await.2, notes);

    // Ranges, for large files.
    let (status, headers, part) = bob
        .fetch(
            &format!("/files/{}/big.bin", a["id"].as_str().unwrap()),
            Some("bytes=1000-1099"),
        )
        .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part, big[1000..1100]);
    assert_eq!(
        headers["content-range"],
        format!("bytes 1000-1099/{}", big.len())
    );

    // The same bytes again are stored once.
    let before = stored(&app);
    let again = amy.upload(&id, "copy.txt", notes.clone()).await.json();
    assert_ne!(again["id"], b["id"]);
    assert_eq!(stored(&app), before);

    // A file is sent once: not again, not by someone else, not elsewhere.
    let r = send_with(&amy, &id, "twice", "file-00000002", &[&a]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("attachments"));
    let r = send_with(&bob, &id, "mine now", "file-00000003", &[&again]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn who_may_upload_and_download() {
    let app = spawn_app().await;
    let (amy, _bob, id) = room(&app).await;
    let dan = app.user("dan").await;
    assert_eq!(
        dan.upload(&id, "x.txt", b"hi".to_vec()).await.status,
        StatusCode::NOT_FOUND
    );
    let anonymous = app.client();
    assert_eq!(
        anonymous.upload(&id, "x.txt", b"hi".to_vec()).await.status,
        StatusCode::UNAUTHORIZED
    );
    let a = amy.upload(&id, "x.txt", b"hello".to_vec()).await.json();
    send_with(&amy, &id, "here", "file-00000010", &[&a]).await;
    let path = format!("/files/{}/x.txt", a["id"].as_str().unwrap());
    assert_eq!(dan.fetch(&path, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        anonymous.fetch(&path, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        dan.fetch("/files/AAAAAAAAAAAAAAAAAAAAAA/x.txt", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // From another site: refused before anything is read.
    let r = amy
        .http
        .post(format!(
            "{}/api/upload?conversation_id={id}&name=x.txt",
            amy.base
        ))
        .header("origin", "https://evil.example")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn refusals_say_why_and_keep_nothing() {
    let app = spawn_app_with(|s| {
        s.max_upload_mib = 1;
        s.upload_quota_mib = 2;
    })
    .await;
    let (amy, _bob, id) = room(&app).await;
    let mib = 1024 * 1024;

    // Over the size: declared, and streamed without a length.
    let r = amy.upload(&id, "big.bin", noise(mib + 1, 2)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at most 1 MiB"), "{}", r.body);
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = noise(mib + 1, 3)
        .chunks(64 * 1024)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let r = amy
        .upload(
            &id,
            "streamed.bin",
            reqwest::Body::wrap_stream(futures::stream::iter(chunks)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("at most 1 MiB"), "{}", r.body);
    assert_eq!((stored(&app), staged(&app)), (0, 0), "nothing kept");

    // The quota.
    for n in 0..2 {
        let r = amy.upload(&id, "ok.bin", noise(mib - 10, 10 + n)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = amy.upload(&id, "full.bin", noise(100, 20)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("storage is full"), "{}", r.body);
    let limits = ok(&amy, "upload_limits", &[]).await;
    assert_eq!(limits["max_bytes"], mib);
    assert_eq!(limits["used_bytes"], 2 * (mib - 10));

    // Empty, and nameless.
    let dan_room = ok(&app.user("dan").await, "rooms_create", &[("name", "d")]).await;
    let _ = dan_room;
    let r = amy.upload(&id, "", b"x".to_vec()).await;
    assert!(r.body.contains("name"), "{}", r.body);
}

#[tokio::test]
async fn images_get_thumbnails_and_bombs_are_refused() {
    let app = spawn_app().await;
    let (amy, bob, id) = room(&app).await;
    let a = amy.upload(&id, "wide.png", png(1200, 600)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = a.json();
    assert_eq!(
        (
            a["mime"].as_str(),
            a["thumb"].as_bool(),
            a["width"].as_u64(),
            a["height"].as_u64()
        ),
        (Some("image/png"), Some(true), Some(1200), Some(600))
    );
    send_with(&amy, &id, "look", "file-00000020", &[&a]).await;
    let (status, headers, bytes) = bob
        .fetch(&format!("/files/{}/thumb", a["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    let thumb = image::load_from_memory(&bytes).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (480, 240));

    // 8000 × 8000 of one colour: a few KB on disk, 64 megapixels decoded.
    let bomb = {
        use image::ImageEncoder;
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Best,
            image::codecs::png::FilterType::NoFilter,
        )
        .write_image(
            &vec![0u8; 8000 * 8000],
            8000,
            8000,
            image::ExtendedColorType::L8,
        )
        .unwrap();
        out
    };
    assert!(bomb.len() < 1_000_000, "{} bytes", bomb.len());
    let before = stored(&app);
    let r = amy.upload(&id, "bomb.png", bomb).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("too large to show"), "{}", r.body);
    assert_eq!((stored(&app), staged(&app)), (before, 0));
}

#[tokio::test]
async fn active_content_is_only_ever_a_download() {
    let app = spawn_app().await;
    let (amy, bob, id) = room(&app).await;
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>"#
            .to_vec();
    let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
    let s = amy.upload(&id, "logo.png", svg).await.json();
    let h = amy.upload(&id, "page.jpg", html).await.json();
    assert_eq!(
        (s["mime"].as_str(), h["mime"].as_str()),
        (Some("image/svg+xml"), Some("text/html")),
        "sniffed, not taken from the name"
    );
    assert!(s["thumb"].is_null());
    send_with(&amy, &id, "", "file-00000030", &[&s, &h]).await;
    for (a, name) in [(&s, "logo.png"), (&h, "page.jpg")] {
        let (status, headers, _) = bob
            .fetch(
                &format!("/files/{}/{name}", a["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment"),
            "{name}"
        );
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("sandbox"),
            "{name}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
    // Only allowed types, when the list is set.
    let app = spawn_app_with(|s| s.upload_types = vec!["image/*".into()]).await;
    let (amy, _, id) = room(&app).await;
    let r = amy.upload(&id, "notes.txt", b"text".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("text/plain are not allowed"), "{}", r.body);
    assert_eq!(
        amy.upload(&id, "ok.png", png(10, 10)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn files_leave_with_their_message_or_when_abandoned() {
    let app = spawn_app().await;
    let (amy, bob, id) = room(&app).await;
    let a = amy
        .upload(&id, "a.txt", b"first file".to_vec())
        .await
        .json();
    let sent = send_with(&amy, &id, "with a file", "file-00000040", &[&a])
        .await
        .json();
    assert_eq!(stored(&app), 1);
    ok(&amy, "delete", &[("message_id", &sent["id"].to_string())]).await;
    assert_eq!(
        bob.fetch(&format!("/files/{}/a.txt", a["id"].as_str().unwrap()), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(stored(&app), 0, "the bytes are gone");

    // An upload never sent is removed by the cleanup; a sent one stays.
    let kept = amy.upload(&id, "kept.txt", b"kept".to_vec()).await.json();
    send_with(&amy, &id, "", "file-00000041", &[&kept]).await;
    let orphan = amy
        .upload(&id, "orphan.txt", b"never sent".to_vec())
        .await
        .json();
    assert_eq!(stored(&app), 2);
    let removed = app::files::records::clean_abandoned(&app.db, app.files.store.as_ref(), 0)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(stored(&app), 1);
    assert_eq!(
        amy.fetch(
            &format!("/files/{}/orphan.txt", orphan["id"].as_str().unwrap()),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.fetch(
            &format!("/files/{}/kept.txt", kept["id"].as_str().unwrap()),
            None
        )
        .await
        .2,
        b"kept"
    );
    let r = send_with(&amy, &id, "late", "file-00000042", &[&orphan]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let _ = json!(null);
}

#[tokio::test]
async fn admins_see_storage_per_person_and_remove_a_file() {
    let app = spawn_app().await;
    let (amy, bob, id) = room(&app).await;
    let root = app.admin("root").await;
    let a = amy.upload(&id, "a.bin", noise(3000, 50)).await.json();
    let b = amy.upload(&id, "b.txt", b"keep me".to_vec()).await.json();
    let sent = send_with(&amy, &id, "two files", "file-00000050", &[&a, &b])
        .await
        .json();
    assert_eq!(
        amy.call("admin_files", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let storage = ok(&root, "admin_files", &[]).await;
    assert_eq!(
        storage["people"],
        json!([{"username": "amy", "files": 2, "bytes": 3007}])
    );
    assert_eq!(storage["largest"][0]["name"], "a.bin");

    let mut live = bob.socket(None).await;
    ok(
        &root,
        "admin_delete_file",
        &[("file_id", a["id"].as_str().unwrap())],
    )
    .await;
    let e = live.next_matching(|e| e["type"] == "message_updated").await;
    assert_eq!(e["message"]["id"], sent["id"]);
    assert_eq!(e["message"]["attachments"].as_array().unwrap().len(), 1);
    assert_eq!(e["message"]["attachments"][0]["name"], "b.txt");
    assert_eq!(
        bob.fetch(&format!("/files/{}/a.bin", a["id"].as_str().unwrap()), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let audit = ok(&root, "admin_audit", &[("action", "delete_file")]).await;
    assert_eq!(audit["total"], 1);
}

#[tokio::test]
async fn a_file_named_by_two_sends_at_once_goes_with_one() {
    use futures::SinkExt;
    let app = spawn_app().await;
    let (amy, _bob, id) = room(&app).await;
    let a = amy
        .upload(&id, "once.txt", b"only once".to_vec())
        .await
        .json();
    let mut ws = amy.socket(None).await;
    for n in 1..=2 {
        let frame = json!({"type": "send", "conversation_id": id.parse::<i64>().unwrap(), "body": "",
                           "client_id": format!("twice-0000000{n}"), "attachments": [a["id"]]});
        ws.ws
            .send(tokio_tungstenite::tungstenite::Message::Text(
                frame.to_string().into(),
            ))
            .await
            .unwrap();
    }
    let mut outcomes = Vec::new();
    while outcomes.len() < 2 {
        let e = ws
            .next_matching(|e| e["type"] == "sent" || e["type"] == "send_failed")
            .await;
        outcomes.push(e["type"].as_str().unwrap().to_owned());
    }
    outcomes.sort();
    assert_eq!(outcomes, ["send_failed", "sent"]);
}

#[tokio::test]
async fn retrying_a_send_with_a_file_answers_with_the_stored_message() {
    let app = spawn_app().await;
    let (amy, bob, id) = room(&app).await;
    let mut live = bob.socket(None).await;
    let a = amy
        .upload(&id, "notes.txt", b"sent once".to_vec())
        .await
        .json();
    let first = send_with(&amy, &id, "with a file", "retry-file-01", &[&a]).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    // The answer was lost; the browser sends the same message again.
    let again = send_with(&amy, &id, "with a file", "retry-file-01", &[&a]).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(first.json(), again.json());
    assert_eq!(again.json()["attachments"][0]["id"], a["id"]);
    assert_eq!(live.next_event().await["message"]["id"], first.json()["id"]);
    // Published once: the next event is the sentinel.
    send_with(&amy, &id, "sentinel", "retry-file-02", &[]).await;
    assert_eq!(live.next_event().await["message"]["body"], "sentinel");
    // Another send still cannot take the file.
    let other = send_with(&amy, &id, "again", "retry-file-03", &[&a]).await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
}
