//! The command line: `kanect-server` serves (the default); `create-admin` and
//! `reset-password` manage accounts directly in the configured database, so
//! the first admin can exist before anyone can log in; `migrate-data` copies
//! an installation to another database (`migrate_data`). Passwords never come
//! from arguments: `KANECT_PASSWORD` if set, else a hidden prompt on a
//! terminal, else one line of standard input.

use std::{
    io::{BufRead, IsTerminal},
    process::ExitCode,
};

use app::{
    admin::{
        audit::Actor,
        users::{AdminCreated, create_admin, reset_password},
    },
    db::{self, entities::user},
    error::AppError,
};
use clap::{Parser, Subcommand};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::Config;

/// The environment variable a password may be given in.
pub const PASSWORD_ENV: &str = "KANECT_PASSWORD";

#[derive(Debug, Parser)]
#[command(
    name = "kanect-server",
    version,
    about = "Kanect, the real-time chat server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve Kanect (what running without a command does).
    Serve,
    /// Create an admin account, or make an existing user an active admin.
    /// A new account's password comes from KANECT_PASSWORD, a prompt, or stdin.
    CreateAdmin {
        #[arg(long)]
        username: String,
        /// Needed only when the account does not exist yet.
        #[arg(long)]
        email: Option<String>,
    },
    /// Give a user a new password (from KANECT_PASSWORD, a prompt, or stdin)
    /// and end all their sessions.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
    /// Copy a whole installation into an empty database (SQLite to
    /// PostgreSQL): every table, ids kept, counts verified, in one
    /// transaction. Stop the server first.
    MigrateData {
        /// The database to copy, e.g. sqlite://data/kanect.db
        #[arg(long)]
        from: String,
        /// The empty database to fill, e.g. postgres://kanect@db/kanect
        #[arg(long)]
        to: String,
        /// Copy sessions too, so nobody has to log in again.
        #[arg(long)]
        sessions: bool,
    },
}

/// Runs an account command against the configured database.
pub async fn run(command: Command, config: Config) -> ExitCode {
    if let Command::MigrateData { from, to, sessions } = &command {
        return match crate::migrate_data::run(from, to, *sessions).await {
            Ok(copied) => {
                for (table, rows) in copied {
                    println!("{table:>16}  {rows} rows");
                }
                println!("Copied into {to}; every table's row count matches the source.");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("kanect: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let settings = config.settings;
    if let Err(e) = std::fs::create_dir_all(&settings.data_dir) {
        eprintln!("kanect: cannot create {}: {e}", settings.data_dir.display());
        return ExitCode::FAILURE;
    }
    let db = match db::connect_and_migrate(&settings.effective_database_url()).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("kanect: cannot open the database: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        Command::Serve | Command::MigrateData { .. } => {
            unreachable!("not an account command")
        }
        Command::CreateAdmin { username, email } => {
            let created = create_admin(&db, &username, async || {
                let email = email.ok_or_else(|| {
                    AppError::field("email", "Give --email to create a new account.")
                })?;
                Ok((email, read_password()?))
            })
            .await;
            created.map(|outcome| match outcome {
                AdminCreated::Created => format!("Created the admin account {username}."),
                AdminCreated::Promoted => format!("{username} is now an active admin."),
                AdminCreated::AlreadyAdmin => format!("{username} is already an active admin."),
            })
        }
        Command::ResetPassword { username } => reset(&db, &username).await,
    };
    match result {
        Ok(done) => {
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kanect: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn reset(db: &sea_orm::DatabaseConnection, username: &str) -> Result<String, AppError> {
    let target = user::Entity::find()
        .filter(user::Column::UsernameKey.eq(username.trim().to_ascii_lowercase()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::field("username", format!("No user is called {username}.")))?;
    let password = read_password()?;
    reset_password(
        db,
        None,
        &Actor::command_line(),
        &target,
        &password,
        &password,
    )
    .await?;
    Ok(format!(
        "New password set for {}; their sessions were ended.",
        target.username
    ))
}

fn read_password() -> Result<String, AppError> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    let unreadable = |e: std::io::Error| AppError::Transport {
        message: format!("cannot read the password: {e}"),
    };
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password("Password: ").map_err(unreadable)?;
        let again = rpassword::prompt_password("Password again: ").map_err(unreadable)?;
        if password != again {
            return Err(AppError::field(
                "password_again",
                "The two passwords differ.",
            ));
        }
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(unreadable)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
