//! Loading configuration once at start: Kanect's `[kanect]` table and Leptos'
//! `[package.metadata.leptos]` table from `Leptos.toml` (or the file named by
//! `KANECT_CONFIG`), then `KANECT_*` / `LEPTOS_*` environment overrides
//! (`KANECT_CONFIG` and `KANECT_PASSWORD`, read by the account commands, are
//! not settings).
//! Any unknown key or bad value stops the server with a message naming it.

use std::path::{Path, PathBuf};

use app::settings::Settings;
use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use leptos::config::LeptosOptions;

#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub leptos: LeptosOptions,
}

/// The configuration file: `$KANECT_CONFIG`, else `Leptos.toml` in the working directory.
pub fn default_path() -> PathBuf {
    std::env::var_os("KANECT_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("Leptos.toml"))
}

pub fn load(path: &Path) -> Result<Config, String> {
    if !path.exists() {
        return Err(format!("configuration file {} not found", path.display()));
    }
    let settings: Settings = Figment::from(Toml::file(path))
        .focus("kanect")
        .merge(Env::prefixed("KANECT_").ignore(&["config", "password"]))
        .extract()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    settings
        .validate()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    tracing_subscriber::EnvFilter::try_new(&settings.log)
        .map_err(|e| format!("{}: log = {:?}: {e}", path.display(), settings.log))?;
    let mut leptos = leptos::config::get_configuration(Some(&path.to_string_lossy()))
        .map_err(|e| format!("{}: [package.metadata.leptos]: {e}", path.display()))?
        .leptos_options;
    leptos.hash_files = hash_file_beside_binary(&leptos.hash_file);
    Ok(Config { settings, leptos })
}

/// cargo-leptos' build writes the content hashes of the site's file names to
/// a file beside the server binary (Leptos reads it from there). The server
/// asks for hashed names exactly when that file is there: a binary built with
/// plain cargo next to an unhashed site, or copied without it, still asks for
/// files that exist.
fn hash_file_beside_binary(name: &str) -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .is_some_and(|path| path.is_file())
}
