//! Kanect's runtime settings: the `[kanect]` table of `Leptos.toml`, overridden
//! by `KANECT_*` environment variables. Read once at start (by the server's
//! config loader) and shared read-only through `AppState`.

use std::{net::SocketAddr, path::PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address and port to listen on. Port 0 picks a free port.
    pub listen: SocketAddr,
    /// Directory for Kanect's files (the SQLite database). Created if missing.
    pub data_dir: PathBuf,
    /// Database URL. Empty means `sqlite://<data_dir>/kanect.db`.
    pub database_url: String,
    /// Log filter, in `tracing_subscriber::EnvFilter` syntax (`info`, `kanect=debug,info`).
    pub log: String,
    /// Mark the session cookie `Secure` (only sent over HTTPS). Turn on behind TLS.
    pub secure_cookies: bool,
    /// The public origin people use, e.g. `https://chat.example.com`. When set,
    /// state-changing requests and WebSockets must come from exactly this origin;
    /// when empty, their `Origin` must match the `Host` they were sent to.
    pub public_origin: String,
    /// Days a session lives without use before it expires (sliding).
    pub session_days: u32,
    /// Failed logins allowed per account and per client IP within the window.
    pub login_max_failures: u32,
    /// The failed-login window, in minutes.
    pub login_window_minutes: u32,
    /// Messages one user may send in any 10 seconds.
    pub send_limit_per_10s: u32,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is
    /// believed. Empty: the client address is always the connection's peer.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Live sockets one client address may hold at once.
    pub sockets_per_ip: u32,
    /// Accounts one client address may create per hour.
    pub signups_per_ip_per_hour: u32,
    /// Accounts everyone together may create per hour.
    pub signups_per_hour: u32,
    /// Days the event log keeps events. A tab offline for longer is told to
    /// reload what it shows (`resync`) instead of replaying.
    pub event_retention_days: u32,
    /// Largest file one may attach, in MiB.
    pub max_upload_mib: u32,
    /// What one person may store in files, in MiB.
    pub upload_quota_mib: u32,
    /// Types people may attach (`image/*`, `application/pdf`); empty:
    /// everything (active content is only ever served as a download).
    pub upload_types: Vec<String>,
    /// NATS server(s) the nodes of one installation share live events
    /// through (`nats://host:4222`, comma-separated for a cluster). Empty:
    /// one node, live events in process.
    pub nats_url: String,
    /// Client addresses (or CIDR ranges) that may read `/metrics`.
    pub metrics_allow: Vec<ipnet::IpNet>,
    /// A bearer token that may read `/metrics` from anywhere. With neither
    /// set, `/metrics` answers 404.
    pub metrics_token: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            log: "info".into(),
            secure_cookies: false,
            public_origin: String::new(),
            session_days: 14,
            login_max_failures: 10,
            login_window_minutes: 15,
            send_limit_per_10s: 20,
            trusted_proxies: Vec::new(),
            sockets_per_ip: 1_000,
            signups_per_ip_per_hour: 10,
            signups_per_hour: 200,
            event_retention_days: 30,
            max_upload_mib: 25,
            upload_quota_mib: 1024,
            upload_types: Vec::new(),
            nats_url: String::new(),
            metrics_allow: Vec::new(),
            metrics_token: String::new(),
        }
    }
}

impl Settings {
    /// Checks values that parse but make no sense; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=365).contains(&self.session_days) {
            return Err(format!(
                "session_days = {}: use 1 to 365",
                self.session_days
            ));
        }
        if !(1..=3650).contains(&self.event_retention_days) {
            return Err(format!(
                "event_retention_days = {}: use 1 to 3650",
                self.event_retention_days
            ));
        }
        if self.login_max_failures == 0 {
            return Err("login_max_failures = 0: use at least 1".into());
        }
        if !(1..=1_000_000).contains(&self.send_limit_per_10s) {
            return Err(format!(
                "send_limit_per_10s = {}: use 1 to 1000000",
                self.send_limit_per_10s
            ));
        }
        if !(1..=24 * 60).contains(&self.login_window_minutes) {
            return Err(format!(
                "login_window_minutes = {}: use 1 to 1440",
                self.login_window_minutes
            ));
        }
        if !self.public_origin.is_empty() {
            let o = &self.public_origin;
            // scheme://host[:port] and nothing after it but an optional '/'.
            let host = match o.split_once("://") {
                Some(("http" | "https", rest)) => rest.strip_suffix('/').unwrap_or(rest),
                _ => "",
            };
            let ok = !host.is_empty() && !host.contains(['/', '?', '#']);
            if !ok {
                return Err(format!(
                    "public_origin = {o:?}: use scheme://host[:port], like https://chat.example.com"
                ));
            }
        }
        if self.secure_cookies && self.public_origin.is_empty() {
            return Err(
                "public_origin is required when secure_cookies = true (set it to the https:// origin people use)"
                    .into(),
            );
        }
        if !(1..=4096).contains(&self.max_upload_mib) {
            return Err(format!(
                "max_upload_mib = {}: use 1 to 4096",
                self.max_upload_mib
            ));
        }
        if self.upload_quota_mib < self.max_upload_mib {
            return Err(format!(
                "upload_quota_mib = {}: use at least max_upload_mib ({})",
                self.upload_quota_mib, self.max_upload_mib
            ));
        }
        for (key, value) in [
            ("sockets_per_ip", self.sockets_per_ip),
            ("signups_per_ip_per_hour", self.signups_per_ip_per_hour),
            ("signups_per_hour", self.signups_per_hour),
        ] {
            if !(1..=1_000_000).contains(&value) {
                return Err(format!("{key} = {value}: use 1 to 1000000"));
            }
        }
        let url = &self.database_url;
        if !url.is_empty()
            && !["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| url.starts_with(p))
        {
            return Err(format!(
                "database_url = {url:?}: use sqlite:… or postgres://…"
            ));
        }
        if !self.metrics_token.is_empty() && self.metrics_token.len() < 16 {
            return Err("metrics_token: use at least 16 characters".into());
        }
        if !self.nats_url.is_empty()
            && !self.nats_url.split(',').all(|u| {
                ["nats://", "tls://"]
                    .iter()
                    .any(|p| u.trim().starts_with(p))
            })
        {
            return Err(format!(
                "nats_url = {:?}: use nats://host:4222 (comma-separated for several)",
                self.nats_url
            ));
        }
        Ok(())
    }

    /// The database URL to connect to, defaulting to a file in `data_dir`.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("kanect.db").display()
            )
        } else {
            self.database_url.clone()
        }
    }

    /// `public_origin` without a trailing slash, if set.
    pub fn origin(&self) -> Option<&str> {
        let o = self.public_origin.trim_end_matches('/');
        (!o.is_empty()).then_some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_use_a_sqlite_file_in_the_data_dir() {
        let s = Settings::default();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(
            s.effective_database_url(),
            "sqlite://data/kanect.db?mode=rwc"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let s = Settings {
            session_days: 0,
            ..Default::default()
        };
        assert!(s.validate().unwrap_err().starts_with("session_days"));
        let s = Settings {
            public_origin: "chat.example.com".into(),
            ..Default::default()
        };
        assert!(s.validate().unwrap_err().starts_with("public_origin"));
        let s = Settings {
            public_origin: "https://chat.example.com/app".into(),
            ..Default::default()
        };
        assert!(s.validate().is_err());
        let s = Settings {
            public_origin: "https://chat.example.com/".into(),
            ..Default::default()
        };
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.origin(), Some("https://chat.example.com"));
        let s = Settings {
            secure_cookies: true,
            ..Default::default()
        };
        assert!(s.validate().unwrap_err().starts_with("public_origin"));
        let s = Settings {
            sockets_per_ip: 0,
            ..Default::default()
        };
        assert!(s.validate().unwrap_err().starts_with("sockets_per_ip"));
    }
}
