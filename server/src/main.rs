//! `kanect-server`: reads the command line and the configuration, then
//! either runs an account command (`create-admin`, `reset-password`) or sets
//! up logging and serves until Ctrl-C or SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use server::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let path = server::config::default_path();
    let config = match server::config::load(&path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("kanect: bad configuration: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        None | Some(Command::Serve) => {}
        Some(command) => return server::cli::run(command, config).await,
    }
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(&config.settings.log))
        .init();
    match server::serve::raise_fd_limit() {
        Ok(limit) => tracing::info!(limit, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
    let server = match server::build(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("kanect: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("Kanect is listening on http://{}", server.local_addr());
    if let Err(e) = server.run(shutdown_signal()).await {
        eprintln!("kanect: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
