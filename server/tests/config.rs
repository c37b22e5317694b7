//! Configuration loading: the `[kanect]` table is read and checked at start,
//! and a bad value stops the server with a message naming the key.

use std::io::Write;

fn config_file(kanect_table: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    write!(
        f,
        "[kanect]\n{kanect_table}\n\n[package.metadata.leptos]\noutput-name = \"kanect\"\nsite-root = \"target/site\"\n"
    )
    .unwrap();
    f
}

#[test]
fn the_shipped_leptos_toml_loads_with_its_documented_defaults() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Leptos.toml");
    let config = server::config::load(&path).expect("Leptos.toml is valid");
    assert_eq!(config.settings.listen.to_string(), "127.0.0.1:3000");
    assert_eq!(config.settings.session_days, 14);
    assert_eq!(&*config.leptos.output_name, "kanect");
}

#[test]
fn values_in_the_file_are_used() {
    let f = config_file(
        "listen = \"0.0.0.0:8080\"\nsecure_cookies = true\npublic_origin = \"https://chat.example.com\"\nlog = \"debug\"",
    );
    let config = server::config::load(f.path()).unwrap();
    assert_eq!(config.settings.listen.to_string(), "0.0.0.0:8080");
    assert!(config.settings.secure_cookies);
}

#[test]
fn a_bad_value_is_refused_with_its_key() {
    let err = server::config::load(config_file("session_days = 0").path()).unwrap_err();
    assert!(err.contains("session_days"), "{err}");
    let err = server::config::load(config_file("listen = \"not an address\"").path()).unwrap_err();
    assert!(err.contains("listen"), "{err}");
    let err = server::config::load(config_file("log = \"info,[\"").path()).unwrap_err();
    assert!(err.contains("log"), "{err}");
}

#[test]
fn an_unknown_key_is_refused() {
    let err = server::config::load(config_file("session_dayz = 3").path()).unwrap_err();
    assert!(err.contains("session_dayz"), "{err}");
}

#[test]
fn a_missing_file_is_reported() {
    let err = server::config::load(std::path::Path::new("/nonexistent/kanect.toml")).unwrap_err();
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn the_production_example_loads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/kanect.toml");
    let config = server::config::load(&path).expect("deploy/kanect.toml is valid");
    let s = &config.settings;
    assert_eq!(s.nats_url, "nats://10.0.0.21:4222");
    assert!(s.secure_cookies);
    assert_eq!(s.metrics_allow.len(), 1);
    assert_eq!(s.trusted_proxies.len(), 1);
    assert_eq!(&*config.leptos.site_root, "/opt/kanect/site");
}
