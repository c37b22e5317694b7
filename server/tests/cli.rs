//! `kanect-server create-admin` and `reset-password`, run as the real binary
//! against a data directory that the real server then serves.

mod common;

use std::{
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
};

use common::{GOOD_PASSWORD, spawn_app_with};
use reqwest::StatusCode;

const ADMIN_PASSWORD: &str = "root-Passphrase-for-kanect-1";

/// Where a test's Kanect keeps its data: a directory, and the database
/// (empty: SQLite in the directory).
struct Install {
    dir: tempfile::TempDir,
    database_url: String,
}

impl Install {
    async fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            database_url: common::database_url().await,
        }
    }

    /// Points a test server at this installation.
    fn settings(&self) -> impl FnOnce(&mut app::settings::Settings) + use<> {
        let (dir, url) = (self.dir.path().to_path_buf(), self.database_url.clone());
        move |s| {
            s.data_dir = dir;
            s.database_url = url;
        }
    }
}

fn kanect(
    data: &Install,
    args: &[&str],
    password_env: Option<&str>,
    stdin: Option<&str>,
) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kanect-server"));
    cmd.args(args)
        .current_dir(&root)
        .env("KANECT_CONFIG", root.join("Leptos.toml"))
        .env("KANECT_DATA_DIR", data.dir.path())
        .env("KANECT_DATABASE_URL", &data.database_url)
        .env_remove("KANECT_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = password_env {
        cmd.env("KANECT_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("kanect-server runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn create_admin_makes_an_account_that_can_use_the_console() {
    let data = Install::new().await;
    let out = kanect(
        &data,
        &[
            "create-admin",
            "--username",
            "root",
            "--email",
            "root@example.org",
        ],
        Some(ADMIN_PASSWORD),
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Created the admin account root"));
    // Running it again is harmless.
    let out = kanect(&data, &["create-admin", "--username", "root"], None, None);
    assert!(
        text(&out.stdout).contains("already an active admin"),
        "{}",
        text(&out.stderr)
    );

    let app = spawn_app_with(data.settings()).await;
    let root = app.client();
    assert_eq!(
        root.login("root", ADMIN_PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(root.whoami().await["is_admin"], true);
    assert_eq!(root.call("admin_stats", &[]).await.status, StatusCode::OK);
    let audit = root.call("admin_audit", &[]).await.json();
    assert_eq!(audit["entries"][0]["action"], "create_admin");
    assert_eq!(audit["entries"][0]["actor"], "command line");
}

#[tokio::test]
async fn create_admin_promotes_an_existing_user_without_asking_for_a_password() {
    let data = Install::new().await;
    let app = spawn_app_with(data.settings()).await;
    let bob = app.user("bob").await;
    assert_eq!(bob.whoami().await["is_admin"], false);
    let out = kanect(&data, &["create-admin", "--username", "BOB"], None, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("now an active admin"));
    assert_eq!(bob.whoami().await["is_admin"], true);
}

#[tokio::test]
async fn a_new_admin_needs_an_email_and_a_good_password() {
    let data = Install::new().await;
    let out = kanect(
        &data,
        &["create-admin", "--username", "root"],
        Some(ADMIN_PASSWORD),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--email"),
        "{}",
        text(&out.stderr)
    );
    let out = kanect(
        &data,
        &[
            "create-admin",
            "--username",
            "root",
            "--email",
            "root@example.org",
        ],
        Some("password1"),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("password:"),
        "{}",
        text(&out.stderr)
    );
    // A password is never taken from the arguments.
    let out = kanect(
        &data,
        &[
            "create-admin",
            "--username",
            "root",
            "--email",
            "root@example.org",
            "--password",
            ADMIN_PASSWORD,
        ],
        None,
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--password"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn reset_password_reads_stdin_and_ends_the_users_sessions() {
    let data = Install::new().await;
    let app = spawn_app_with(data.settings()).await;
    let bob = app.user("bob").await;
    let new = "a-Fresh-passphrase-for-bob-9";
    let out = kanect(
        &data,
        &["reset-password", "--username", "bob"],
        None,
        Some(&format!("{new}\n")),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(bob.whoami().await.is_null(), "the old session ended");
    assert_eq!(
        app.client().login("bob", GOOD_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.client().login("bob", new).await.status, StatusCode::OK);
    let out = kanect(
        &data,
        &["reset-password", "--username", "nobody"],
        Some(new),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("No user is called nobody"));
}
