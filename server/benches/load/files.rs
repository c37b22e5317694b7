//! Files: a 25 MiB upload and download over loopback, each against copying
//! the same file with `cp` (then `fsync`, as an upload is durable before it
//! is answered) in the same run; and the server's peak memory while 20 such
//! uploads arrive at once.

use std::time::{Duration, Instant};

use crate::{
    harness::{ServerProcess, User},
    report::Report,
};

const MIB: usize = 1024 * 1024;
const SIZE: usize = 25 * MIB;

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn mib_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / MIB as f64 / d.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn id_of(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).expect("JSON");
    v["id"].as_str().expect("an id").to_owned()
}

pub async fn run(server: &ServerProcess, rounds: usize) {
    let amy = User::signup(&server.base, "fileamy").await;
    let bob = User::signup(&server.base, "filebob").await;
    let room = amy
        .call("rooms_create", &[("name", "files"), ("members", "filebob")])
        .await
        .expect("room");
    let room = serde_json::from_str::<serde_json::Value>(&room).unwrap()["id"].to_string();
    let data = noise(SIZE, 7);

    // Baseline: cp of the same file on the same disk, then fsync.
    let dir = server.data_dir().join("bench");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("src.bin");
    std::fs::write(&src, &data).unwrap();
    let mut cp = Vec::new();
    for i in 0..rounds {
        let dst = dir.join(format!("copy{i}.bin"));
        let t = Instant::now();
        let ok = std::process::Command::new("cp")
            .arg(&src)
            .arg(&dst)
            .status()
            .unwrap()
            .success();
        std::fs::File::open(&dst).unwrap().sync_all().unwrap();
        assert!(ok);
        cp.push(mib_per_s(SIZE, t.elapsed()));
        std::fs::remove_file(&dst).unwrap();
    }
    let cp = median(cp);

    let mut up = Vec::new();
    let mut ids = Vec::new();
    for i in 0..rounds {
        let mut bytes = data.clone();
        bytes[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let t = Instant::now();
        let answer = amy.upload(&room, "big.bin", bytes).await.expect("uploaded");
        up.push(mib_per_s(SIZE, t.elapsed()));
        ids.push(id_of(&answer));
    }
    let sent = amy
        .call(
            "send",
            &[
                ("to", ""),
                ("conversation_id", &room),
                ("body", "files"),
                ("client_id", "bench-files-1"),
                ("attachments", &ids.join(",")),
            ],
        )
        .await;
    sent.expect("sent");
    let mut down = Vec::new();
    for id in &ids {
        let t = Instant::now();
        let n = bob
            .download(&format!("/files/{id}/big.bin"))
            .await
            .expect("downloaded");
        assert_eq!(n, SIZE);
        down.push(mib_per_s(SIZE, t.elapsed()));
    }
    let (up, down) = (median(up), median(down));
    Report::compared(
        "files",
        "upload 25 MiB, MiB/s (median)",
        format!("{up:.0}"),
        format!("cp + fsync: {cp:.0}"),
        up / cp,
    );
    Report::compared(
        "files",
        "download 25 MiB, MiB/s (median)",
        format!("{down:.0}"),
        format!("cp + fsync: {cp:.0}"),
        down / cp,
    );

    // 20 uploads at once, 4 per person: the server's peak memory.
    let people = User::many(&server.base, "fileup", 5).await;
    amy.call(
        "rooms_add",
        &[
            ("conversation_id", &room),
            (
                "usernames",
                &people
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        ],
    )
    .await
    .expect("members added");
    let before = server.rss_kib();
    server.reset_peak();
    let t = Instant::now();
    let uploads = people.iter().flat_map(|p| {
        let room = room.clone();
        (0..4u64).map(move |k| {
            let room = room.clone();
            let mut bytes = noise(SIZE, 100 + k);
            bytes[..4].copy_from_slice(b"conc");
            async move { p.upload(&room, "big.bin", bytes).await }
        })
    });
    for r in futures::future::join_all(uploads).await {
        r.expect("uploaded");
    }
    let took = t.elapsed();
    let peak = server.peak_rss_kib();
    Report::row(
        "files",
        "20 concurrent 25 MiB uploads: server RSS before → peak",
        format!(
            "{:.0} → {:.0} MiB (+{:.0} MiB; {:.0} MiB/s in all)",
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0,
            mib_per_s(20 * SIZE, took)
        ),
    );
}
